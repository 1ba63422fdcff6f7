#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The Eclipse Paho C client (helpers/paho_publish.c, linked to
# libpaho-mqtt3cs only) publishes with the card key file as its
# `privateKey`, to mosquitto with require_certificate and
# use_identity_as_username, over TLS 1.3 and (a second listener limited to)
# TLS 1.2; mosquitto_sub receives the messages and the broker names the
# card certificate's identity.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

PAHO_PUBLISH=${PAHO_PUBLISH:-$BUILD_ROOT/test/e2e/paho_publish}
[ -x "$PAHO_PUBLISH" ] || { echo "Bail out! $PAHO_PUBLISH is not built"; exit 1; }
line_program "$PAHO_PUBLISH" mosquitto mosquitto_sub
card_up
make_keyfile
issue_cert listener paho-listener client
issue_cert broker 127.0.0.1 server

libs=$(ldd "$PAHO_PUBLISH" 2>&1)
like "paho_publish links libpaho-mqtt3cs" "$libs" 'libpaho-mqtt3cs\.so'
is "paho_publish links none of our libraries" "$(printf '%s\n' "$libs" | grep -cE "libiotsafe|provider/iotsafe\.so")" 0

# Two listeners: any TLS version, and TLS 1.2 only.
BROKER_PORT=$(free_port)
port12=$(free_port)
BROKER_LOG=$WORK/broker.log
{
    printf '%s\n' 'per_listener_settings false' 'persistence false' 'user root' \
        "log_dest file $BROKER_LOG" 'log_type all' 'connection_messages true' 'allow_anonymous false'
    for p in "$BROKER_PORT" "$port12"; do
        printf '%s\n' "listener $p 127.0.0.1" "cafile $CA_CERT" "certfile $WORK/broker.pem" \
            "keyfile $WORK/broker.key" 'require_certificate true' 'use_identity_as_username true'
        [ "$p" = "$port12" ] && echo 'tls_version tlsv1.2'
    done
} >"$WORK/mosquitto.conf"
spawn "$WORK/broker.out" "$WORK/broker.err" mosquitto -c "$WORK/mosquitto.conf"
broker=$SPAWNED_PID
wait_log "$BROKER_LOG" "Opening ipv4 listen socket on port $port12\\." 10 ||
    { sed 's/^/# /' "$WORK/broker.err" "$BROKER_LOG"; echo "Bail out! mosquitto did not start"; exit 1; }

i=0
for p in "$BROKER_PORT" "$port12"; do
    i=$((i + 1))
    if [ "$p" = "$port12" ]; then v='TLS 1.2'; else v='TLS 1.3'; fi
    start_sub "$WORK/sub$i.out" "listener-$i" "iotsafe/paho$i" "$WORK/listener.pem" "$WORK/listener.key"
    n=$(card_signatures)
    ok "paho_publish with the card key file ($v)" \
        "${FOREIGN[@]}" "$PAHO_PUBLISH" --port "$p" --cafile "$CA_CERT" --cert "$DEVCERT" \
        --key "$KEYFILE" --id "paho-$i" --topic "iotsafe/paho$i" --message "hello from paho $i"
    like "Paho reported the acknowledged publish ($v)" "$LAST_OUT" "^published 17 bytes to iotsafe/paho$i\$"
    card_signed "the card signed Paho's CertificateVerify ($v)" "$n"
    wait "$SUB_PID"
    is "mosquitto_sub received the message ($v)" "$(cat "$WORK/sub$i.out")" "hello from paho $i"
    is "the broker took the card certificate's CN as username ($v)" "$(broker_identity "paho-$i")" "$DEVICE_CN"
done

# ---- refusal: a key file naming another card key. Paho's synchronous API
# reports only "Failure (-1)": OpenSSL's reason stays in Paho's own trace.
ok "a key file for another card key" "$TOOL" keyfile --label GENKEY --out "$WORK/genkey.pem"
fails 'connect to ssl://127\.0\.0\.1:[0-9]+ failed' "Paho refuses a card key that does not match the certificate" \
    "${FOREIGN[@]}" "$PAHO_PUBLISH" --port "$BROKER_PORT" --cafile "$CA_CERT" --cert "$DEVCERT" \
    --key "$WORK/genkey.pem" --id paho-bad --topic iotsafe/x --message x
like "the rejected client never got a username" "$(broker_identity paho-bad)" '^$'

stop_spawned "$broker"
done_testing
