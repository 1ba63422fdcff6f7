#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# curl (7.88 has no provider option) authenticates with the card key through
# the PEM key-reference file: `curl --cert devcert.pem --key card-key.pem`
# against an HTTPS server (openssl s_server -www) that requires a client
# certificate. The server's status page shows the client certificate it saw.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl curl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL"
san_blocks_curl && skip_all "$SAN_CURL_REASON"

card_up
issue_cert server 127.0.0.1 server

keyfile=$WORK/card-key.pem
ok "iotsafe-tool writes the key-reference file" \
    "$TOOL" keyfile --label DEVKEY --out "$keyfile"
like "the file is a key reference" "$(cat "$keyfile" 2>/dev/null)" '^-----BEGIN IOTSAFE KEY REFERENCE-----'

port=$(free_port)
# -www answers "GET /" with a status page that includes the peer certificate.
start_s_server "$port" "$WORK/server.out" "$WORK/server.err" -www
server=$SPAWNED_PID
url=https://127.0.0.1:$port/

https() {
    curl -sS --max-time 20 --cacert "$CA_CERT" "$@" "$url"
}

diag "$(curl --version | head -n 1 | cut -d' ' -f1-2)"

ok "curl with --key card-key.pem (TLS 1.3)" https --cert "$DEVCERT" --key "$keyfile"
page=$LAST_OUT
like "server saw the card's certificate" "$page" "Subject: ?CN ?= ?$DEVICE_CN"
like "page was served over TLS 1.3" "$page" 'New, TLSv1\.3, Cipher is'

ok "curl with --key card-key.pem (TLS 1.2)" \
    https --tlsv1.2 --tls-max 1.2 --cert "$DEVCERT" --key "$keyfile"
like "server saw the card's certificate (TLS 1.2)" "$LAST_OUT" "Subject: ?CN ?= ?$DEVICE_CN"
like "page was served over TLS 1.2" "$LAST_OUT" 'New, TLSv1\.2, Cipher is'

# One traced request: curl is a fresh process, so the count includes loading
# the key file; the signature itself is the 2A/2B part of the split.
trace=$WORK/curl.trace
IOTSAFE_TRACE=1 curl -sS --max-time 20 --cacert "$CA_CERT" \
    --cert "$DEVCERT" --key "$keyfile" -o "$WORK/traced.html" "$url" 2>"$trace"
like "traced request succeeded" "$(cat "$WORK/traced.html" 2>/dev/null)" "Subject: ?CN ?= ?$DEVICE_CN"
report_apdus "curl TLS 1.3 client auth, fresh process incl. key load" "$trace"

# ---- refusals
# Without --key curl looks for the key in the certificate file and stops.
fails 'unable to set private key file|private key' \
    "no request without the key" https --cert "$DEVCERT"
fails 'alert|certificate required|handshake' \
    "server rejects a request without a client certificate" https
make_bogus_keyref "$WORK/missing-key.pem" 'iotsafe:label=NOSUCHKEY;type=private'
# curl 7.88 prints only its own message for a key it cannot load, never
# OpenSSL's error queue (where the provider's reason is: see doc/provider.md).
fails "curl: \\((58|43)\\) unable to set private key file: '$WORK/missing-key.pem' type PEM" \
    "a key file naming a key that is not on the card is refused" \
    https --cert "$DEVCERT" --key "$WORK/missing-key.pem"
ok "iotsafe-tool writes a key file for another card key" \
    "$TOOL" keyfile --label GENKEY --out "$WORK/genkey.pem"
fails 'unable to set private key file|private key|mismatch' \
    "a card key that does not match the certificate is refused" \
    https --cert "$DEVCERT" --key "$WORK/genkey.pem"

# The card goes away: curl must fail with an error, not hang or crash. The v2
# key file loads without the card; the handshake's signature fails, and curl
# shows the reason.
sim_stop
fails "curl: \\(35\\) .*iotsafe::no card in (any )?reader" \
    "no request while the card is absent" https --cert "$DEVCERT" --key "$keyfile"
sim_start
ok "request works again once the card is back" https --cert "$DEVCERT" --key "$keyfile"
like "server saw the card's certificate again" "$LAST_OUT" "Subject: ?CN ?= ?$DEVICE_CN"

stop_spawned "$server"
done_testing
