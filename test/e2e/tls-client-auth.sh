#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The card key for TLS CLIENT authentication: `openssl s_server
# -verify_return_error -Verify 1` (software server certificate from the test CA)
# requires a client certificate; `openssl s_client -cert devcert.pem` signs
# CertificateVerify on the card, with the key named by an iotsafe: URI and by
# a PEM key-reference file, over TLS 1.3 and TLS 1.2.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl curl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up
issue_cert server 127.0.0.1 server

# The key-reference file through the provider's encoder (iotsafe-tool keyfile
# is used by the curl and MQTT scripts, so both writers are covered).
keyfile=$WORK/card-key.pem
ok "openssl pkey writes the key-reference file" \
    openssl pkey -in "$CARD_KEY_URI" -out "$keyfile"
like "the file is a key reference" "$(cat "$keyfile" 2>/dev/null)" '^-----BEGIN IOTSAFE KEY REFERENCE-----'
is "the file holds no private key" "$(grep -c 'PRIVATE KEY' "$keyfile" 2>/dev/null)" 0

port=$(free_port)
# s_server -rev prints its per-connection summary on stderr.
srv_log=$WORK/server.log
start_s_server "$port" "$WORK/server.out" "$srv_log" -rev
server=$SPAWNED_PID

client() {
    openssl s_client -connect "127.0.0.1:$port" -verify_return_error \
        -CAfile "$CA_CERT" -cert "$DEVCERT" "$@"
}

run_case() {
    local what=$1 key=$2 proto
    shift 2
    case " $* " in
    *' -tls1_3 '*) proto='TLSv1\.3' ;;
    *) proto='TLSv1\.2' ;;
    esac
    ok "client auth with the card key: $what" client -key "$key" "$@"
    like "negotiated $proto ($what)" "$LAST_OUT" "New, $proto, Cipher is"
    like "client verified the server ($what)" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
    server_saw_device "$srv_log" "$what"
}

run_case "URI, TLS 1.3" "$CARD_KEY_URI" -tls1_3
run_case "URI, TLS 1.2 ECDHE-ECDSA" "$CARD_KEY_URI" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
run_case "key file, TLS 1.3" "$keyfile" -tls1_3
run_case "key file, TLS 1.2 ECDHE-ECDSA" "$keyfile" -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384

# One traced handshake: the client is a fresh process, so its trace holds the
# key load too; the signature itself is the 2A/2B part of the split.
trace=$WORK/client.trace
IOTSAFE_TRACE=1 openssl s_client -connect "127.0.0.1:$port" -verify_return_error \
    -CAfile "$CA_CERT" -cert "$DEVCERT" -key "$keyfile" -tls1_3 \
    </dev/null >"$WORK/client.out" 2>"$trace"
like "traced TLS 1.3 client-auth handshake completed" "$(cat "$WORK/client.out")" 'Verify return code: 0 \(ok\)'
report_apdus "TLS 1.3 client auth, fresh s_client incl. key load" "$trace"
server_saw_device "$srv_log" "traced run"

# ---- refusals
# TLS 1.2: the server's alert arrives before the client finishes its handshake.
fails 'alert|handshake failure' \
    "server rejects a client without a certificate" \
    openssl s_client -connect "127.0.0.1:$port" -CAfile "$CA_CERT" -tls1_2
fails 'key values mismatch' \
    "s_client refuses a card key that does not match the certificate" \
    client -key 'iotsafe:label=GENKEY;type=private' -tls1_3
fails 'object not found on card.*NOSUCHKEY' \
    "s_client refuses a key label that is not on the card" \
    client -key 'iotsafe:label=NOSUCHKEY;type=private' -tls1_3

stop_spawned "$server"
done_testing
