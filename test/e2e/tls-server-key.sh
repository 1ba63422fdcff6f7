#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The card key as a TLS SERVER key: `openssl s_server -key iotsafe:...`;
# `openssl s_client` (software only) verifies the server against the test CA
# over TLS 1.3 and TLS 1.2 (ECDHE-ECDSA). The device certificate is for client
# authentication only (EKU clientAuth), so the card first signs a CSR and the
# test CA issues a serverAuth certificate for the same card key. Also: a card
# removed under a running server and put back, and clear refusals for a
# missing key and a key that does not match the certificate.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up

issue_card_cert card-server "$CARD_KEY_URI" "$DEVICE_CN" server
is "the server certificate certifies the card's public key" \
    "$(openssl x509 -in "$WORK/card-server.pem" -noout -pubkey)" \
    "$(openssl pkey -in "$CARD_KEY_URI" -pubout 2>&1)"
servercert=$WORK/card-server.pem

port=$(free_port)
srv_out=$WORK/server.out
srv_err=$WORK/server.err
# IOTSAFE_TRACE=1 on the side that holds the card key: its stderr gets one
# line per APDU, which gives the cost of one handshake below. -rev (echo
# server) never reads stdin, so s_server keeps running in the background; it
# prints its per-connection summary to stderr too.
spawn_listening "$port" "s_server with the card key" "$srv_out" "$srv_err" env IOTSAFE_TRACE=1 \
    openssl s_server -accept "127.0.0.1:$port" -rev \
    -cert "$servercert" -key "$CARD_KEY_URI"
server=$SPAWNED_PID
ok "s_server loaded the card key and listens" kill -0 "$server"
like "s_server's key load traced APDUs" "$(apdus "$srv_err")" '^[1-9][0-9]*$'

client() {
    openssl s_client -connect "127.0.0.1:$port" -servername localhost \
        -verify_return_error -CAfile "$CA_CERT" "$@"
}

# ---- TLS 1.3
base=$(apdus "$srv_err")
ok "TLS 1.3 handshake, server key on the card" client -tls1_3
like "client verified the card-signed server" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
like "TLS 1.3 negotiated" "$LAST_OUT" 'New, TLSv1\.3, Cipher is TLS_'
like "server certificate is the card-key certificate" "$LAST_OUT" "subject=CN ?= ?$DEVICE_CN"
like "server signed with ECDSA" "$LAST_OUT" "Peer signature type: $(line_expect peer-sig-type P-256)"
report_apdus "TLS 1.3 server, warm s_server" "$srv_err" "$base"
like "the handshake used the card (signature APDUs traced)" \
    "$(tail -n +"$((base + 1))" "$srv_err" | grep -c 'iotsafe: > .. 2[AB] ')" '^[1-9]'

# ---- TLS 1.2, ECDHE-ECDSA
base=$(apdus "$srv_err")
ok "TLS 1.2 ECDHE-ECDSA handshake, server key on the card" \
    client -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
like "client verified the card-signed server (TLS 1.2)" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
like "TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256 negotiated" "$LAST_OUT" \
    'New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256'
report_apdus "TLS 1.2 ECDHE-ECDSA server, warm s_server" "$srv_err" "$base"

# TLS 1.2 lets the client ask for SHA-384 with a P-256 key: the provider must
# hash with SHA-384 and have the card sign that digest.
ok "TLS 1.2 with signature algorithm ECDSA+SHA384" \
    client -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384 -sigalgs ECDSA+SHA384
like "server signed with SHA-384" "$LAST_OUT" 'Peer signing digest: SHA384'
like "verified (SHA-384)" "$LAST_OUT" 'Verify return code: 0 \(ok\)'

is "server completed every handshake" "$(count_lines "$srv_err" '^CONNECTION ESTABLISHED')" 3
is "server saw TLS 1.3 once" "$(count_lines "$srv_err" '^Protocol version: TLSv1\.3')" 1
is "server saw TLS 1.2 twice" "$(count_lines "$srv_err" '^Protocol version: TLSv1\.2')" 2

# ---- card removed under the running server, then put back
sim_stop
fails 'alert|error|errno|handshake failure|unexpected eof|:0A0' \
    "no handshake while the card is absent" client -tls1_3
like "server reported the card failure" "$(cat "$srv_err")" 'error:[0-9A-F]+:iotsafe:.*card'
ok "s_server survived the card removal" kill -0 "$server"
sim_start
ok "TLS 1.3 handshake again after the card is back" client -tls1_3
like "verified after reinsertion" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
stop_spawned "$server"

# ---- refusals at start-up (no port is opened; each exits at once)
port2=$(free_port)
fails 'object not found on card.*NOSUCHKEY' \
    "s_server refuses a key label that is not on the card" \
    openssl s_server -accept "127.0.0.1:$port2" -naccept 1 \
    -cert "$servercert" -key 'iotsafe:label=NOSUCHKEY;type=private'
fails 'key values mismatch' \
    "s_server refuses a card key that does not match the certificate" \
    openssl s_server -accept "127.0.0.1:$port2" -naccept 1 \
    -cert "$servercert" -key 'iotsafe:label=GENKEY;type=private'

done_testing
