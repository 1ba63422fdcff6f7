#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# A small C program linked only against libmosquitto (helpers/mqtt_publish.c,
# none of our code) publishes with the card key: OPENSSL_CONF activates the
# provider and --key names the PEM key-reference file. mosquitto_sub receives
# the message and the broker shows the card certificate's identity.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl mosquitto mosquitto_sub "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL" "mqtt_publish=${MQTT_PUBLISH:-$BUILD_ROOT/test/e2e/mqtt_publish}"

MQTT_PUBLISH=${MQTT_PUBLISH:-$BUILD_ROOT/test/e2e/mqtt_publish}
[ -x "$MQTT_PUBLISH" ] || {
    echo "Bail out! $MQTT_PUBLISH is not built"
    exit 1
}

card_up
issue_cert listener mqtt-listener client

keyfile=$WORK/card-key.pem
ok "iotsafe-tool writes the key-reference file" \
    "$TOOL" keyfile --label DEVKEY --out "$keyfile"

# What the program links: libmosquitto (and through it libssl/libcrypto),
# never libiotsafe; the provider only arrives by OPENSSL_CONF at run time.
libs=$(ldd "$MQTT_PUBLISH" 2>&1)
like "mqtt_publish links libmosquitto" "$libs" 'libmosquitto\.so'
is "mqtt_publish links none of our libraries" "$(printf '%s\n' "$libs" | grep -Ec 'libiotsafe|iotsafe\.so')" 0

start_broker

publish() {
    "$MQTT_PUBLISH" --port "$BROKER_PORT" --cafile "$CA_CERT" --cert "$DEVCERT" "$@"
}

start_sub "$WORK/sub1.out" listener-1 iotsafe/c "$WORK/listener.pem" "$WORK/listener.key"
ok "mqtt_publish with the card key file (QoS 1)" \
    publish --key "$keyfile" --id c-pub-1 --topic iotsafe/c --message 'hello from libmosquitto'
like "mqtt_publish reported the acknowledged publish" "$LAST_OUT" '^published 23 bytes'
wait "$SUB_PID"
is "mosquitto_sub exited after one message" "$?" 0
is "mosquitto_sub received the message" "$(cat "$WORK/sub1.out")" 'hello from libmosquitto'
is "broker took the card certificate's CN as username" "$(broker_identity c-pub-1)" "$DEVICE_CN"

# One traced run for the APDU count (QoS 0: no subscriber needed).
trace=$WORK/pub.trace
IOTSAFE_TRACE=1 "$MQTT_PUBLISH" --port "$BROKER_PORT" --cafile "$CA_CERT" --cert "$DEVCERT" \
    --key "$keyfile" --id c-pub-2 --topic iotsafe/trace --message traced --qos 0 \
    </dev/null >/dev/null 2>"$trace"
is "traced mqtt_publish succeeded" "$?" 0
is "broker identity of the traced run" "$(broker_identity c-pub-2)" "$DEVICE_CN"
report_apdus "libmosquitto client auth, fresh process incl. key load" "$trace"

# ---- refusals: the program reports OpenSSL's reason through libmosquitto
ok "iotsafe-tool writes a key file for another card key" \
    "$TOOL" keyfile --label GENKEY --out "$WORK/genkey.pem"
fails 'key values mismatch|Unable to load client key' \
    "mqtt_publish refuses a card key that does not match the certificate" \
    publish --key "$WORK/genkey.pem" --id c-pub-bad --topic iotsafe/x --message x
make_bogus_keyref "$WORK/missing-key.pem" 'iotsafe:label=NOSUCHKEY;type=private'
fails 'OpenSSL Error\[0\]: error:[0-9A-F]+:iotsafe::object not found on card' \
    "mqtt_publish refuses a key file naming a key that is not on the card, and says why" \
    publish --key "$WORK/missing-key.pem" --id c-pub-missing --topic iotsafe/x --message x
like "libmosquitto names the key file" "$LAST_OUT" 'Unable to load client key'
fails 'usage: mqtt_publish' "mqtt_publish rejects a bad command line" \
    "$MQTT_PUBLISH" --port 0 --topic x

stop_spawned "$BROKER_PID"
done_testing
