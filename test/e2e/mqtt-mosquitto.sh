#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# mosquitto 2.0 (no provider option) with the card key through the PEM
# key-reference file: a broker with require_certificate and
# use_identity_as_username; `mosquitto_pub --cert devcert.pem --key
# card-key.pem` publishes and `mosquitto_sub` receives the message; the
# broker's log shows the card certificate's identity as the username.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl mosquitto mosquitto_pub mosquitto_sub "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL"

card_up
issue_cert listener mqtt-listener client

keyfile=$WORK/card-key.pem
ok "iotsafe-tool writes the key-reference file" \
    "$TOOL" keyfile --label DEVKEY --out "$keyfile"

start_broker

pub() {
    mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" --cafile "$CA_CERT" "$@"
}

# ---- software subscriber, card publisher (TLS 1.3)
start_sub "$WORK/sub1.out" listener-1 iotsafe/hello "$WORK/listener.pem" "$WORK/listener.key"
is "the subscriber's identity is its software certificate" "$(broker_identity listener-1)" mqtt-listener
ok "mosquitto_pub with --key card-key.pem" \
    pub --cert "$DEVCERT" --key "$keyfile" -i card-pub-1 -t iotsafe/hello -m 'hello from the card'
wait "$SUB_PID"
is "mosquitto_sub exited after one message" "$?" 0
is "mosquitto_sub received the message" "$(cat "$WORK/sub1.out")" 'hello from the card'
is "broker took the card certificate's CN as username" "$(broker_identity card-pub-1)" "$DEVICE_CN"

# ---- TLS 1.2, with a traced publisher for the APDU count
start_sub "$WORK/sub2.out" listener-2 iotsafe/tls12 "$WORK/listener.pem" "$WORK/listener.key"
trace=$WORK/pub.trace
IOTSAFE_TRACE=1 mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" --cafile "$CA_CERT" \
    --cert "$DEVCERT" --key "$keyfile" --tls-version tlsv1.2 \
    -i card-pub-2 -t iotsafe/tls12 -m 'hello over TLS 1.2' </dev/null >/dev/null 2>"$trace"
is "traced TLS 1.2 mosquitto_pub succeeded" "$?" 0
wait "$SUB_PID"
is "mosquitto_sub received the TLS 1.2 message" "$(cat "$WORK/sub2.out")" 'hello over TLS 1.2'
is "broker identity over TLS 1.2" "$(broker_identity card-pub-2)" "$DEVICE_CN"
report_apdus "mosquitto_pub TLS 1.2 client auth, fresh process incl. key load" "$trace"

# ---- the card key on both ends: two processes share the card through pcscd
start_sub "$WORK/sub3.out" card-sub iotsafe/both "$DEVCERT" "$keyfile"
is "a card-key subscriber is accepted" "$(broker_identity card-sub)" "$DEVICE_CN"
ok "card-key publisher while a card-key subscriber is connected" \
    pub --cert "$DEVCERT" --key "$keyfile" -i card-pub-3 -t iotsafe/both -m 'card to card'
wait "$SUB_PID"
is "card-key subscriber received the message" "$(cat "$WORK/sub3.out")" 'card to card'

# ---- refusals
ok "iotsafe-tool writes a key file for another card key" \
    "$TOOL" keyfile --label GENKEY --out "$WORK/genkey.pem"
# -d makes mosquitto_pub print libmosquitto's errors, OpenSSL's reasons included.
fails 'key values mismatch' \
    "mosquitto_pub refuses a card key that does not match the certificate" \
    pub -d --cert "$DEVCERT" --key "$WORK/genkey.pem" -i card-pub-bad -t iotsafe/x -m x
make_bogus_keyref "$WORK/missing-key.pem" 'iotsafe:label=NOSUCHKEY;type=private'
# libmosquitto prints OpenSSL's reason strings (without the detail text).
fails 'OpenSSL Error\[0\]: error:[0-9A-F]+:iotsafe::object not found on card' \
    "mosquitto_pub refuses a key file naming a key that is not on the card, and says why" \
    pub -d --cert "$DEVCERT" --key "$WORK/missing-key.pem" -i card-pub-missing -t iotsafe/x -m x
like "it names the key file" "$LAST_OUT" "Unable to load client key file \"$WORK/missing-key.pem\""
fails 'Error|error|lost|refused' \
    "the broker rejects a client without a certificate" \
    pub -i no-cert -t iotsafe/x -m x
like "the rejected client never got a username" "$(broker_identity no-cert)" '^$'
sim_stop
fails 'OpenSSL Error\[0\]: error:[0-9A-F]+:iotsafe::no card in reader' \
    "card absent: mosquitto_pub says why" \
    pub -d --cert "$DEVCERT" --key "$keyfile" -i card-pub-absent -t iotsafe/x -m x
sim_start

stop_spawned "$BROKER_PID"
done_testing
