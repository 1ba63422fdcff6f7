#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# curl >= 8.12 loads the card key by URI through the provider, no key file:
#   curl --engine iotsafe --key-type PROV --key 'iotsafe:label=DEVKEY;type=private'
# against an HTTPS server (openssl s_server -www) that requires a client
# certificate. curl loads the named provider into a library context of its own
# (the configuration's providers are not used there), from OpenSSL's modules
# directory or OPENSSL_MODULES; provider settings then come from the
# environment (IOTSAFE_READER, IOTSAFE_TRACE...). The card must have signed
# (APDU trace) and the server must have seen the card's certificate.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl curl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"
san_blocks_curl && skip_all "$SAN_CURL_REASON"

curl_ver=$(curl --version | sed -n '1s/^curl \([0-9][0-9.]*\).*/\1/p')
diag "curl $curl_ver"
if ! printf '%s\n8.12.0\n' "$curl_ver" | sort -V -C -r; then
    skip_all "curl $curl_ver has no --key-type PROV (8.12 or later; test.sh --openssl 3.5|4.0 runs one built from Debian's source)"
fi

card_up
issue_cert server 127.0.0.1 server
export OPENSSL_MODULES=$BUILD_ROOT/provider

port=$(free_port)
start_s_server "$port" "$WORK/server.out" "$WORK/server.err" -www
server=$SPAWNED_PID
url=https://127.0.0.1:$port/

https() {
    curl -sS --max-time 20 --cacert "$CA_CERT" --cert "$DEVCERT" "$@" "$url"
}

trace=$WORK/curl.trace
IOTSAFE_TRACE=1 curl -sS --max-time 20 --cacert "$CA_CERT" --cert "$DEVCERT" \
    --engine iotsafe --key-type PROV --key "$CARD_KEY_URI" -o "$WORK/page.html" "$url" 2>"$trace"
is "curl --engine iotsafe --key-type PROV --key $CARD_KEY_URI (TLS 1.3)" "$?" 0
like "server saw the card's certificate" "$(cat "$WORK/page.html" 2>/dev/null)" "Subject: ?CN ?= ?$DEVICE_CN"
like "served over TLS 1.3" "$(cat "$WORK/page.html" 2>/dev/null)" 'New, TLSv1\.3, Cipher is'
like "the card signed: COMPUTE SIGNATURE INIT and UPDATE traced" "$(_tls_ins_split "$trace")" '(^| )2A:1 2B:1( |$)'
report_apdus "curl --key-type PROV, fresh process incl. key load" "$trace"

ok "TLS 1.2 with the key by URI" https --tlsv1.2 --tls-max 1.2 --engine iotsafe --key-type PROV --key "$CARD_KEY_URI"
like "server saw the card's certificate (TLS 1.2)" "$LAST_OUT" "Subject: ?CN ?= ?$DEVICE_CN"
like "served over TLS 1.2" "$LAST_OUT" 'New, TLSv1\.2, Cipher is ECDHE-ECDSA'

ok "the key by id, with a reader selector from the environment" \
    env IOTSAFE_READER='Virtual PCD' curl -sS --max-time 20 --cacert "$CA_CERT" --cert "$DEVCERT" \
    --engine iotsafe --key-type PROV --key 'iotsafe:id=%01;type=private' "$url"
like "server saw the card's certificate (by id)" "$LAST_OUT" "Subject: ?CN ?= ?$DEVICE_CN"

# ---- refusals
# curl shows the reason code's text of the first queued error (not its detail).
fails "No private key found in the openssl store: error:[0-9A-F]+:iotsafe::object not found on card" \
    "a URI naming no key on the card: curl shows the provider's reason" \
    https --engine iotsafe --key-type PROV --key 'iotsafe:label=NOSUCHKEY;type=private'
is "curl exit code 58 (local certificate problem)" "$LAST_RC" 58
fails 'crypto provider not set, cannot load private key' "--key-type PROV needs --engine iotsafe" \
    https --key-type PROV --key "$CARD_KEY_URI"
fails 'unable to set private key|key values mismatch' "a card key that does not match the certificate is refused" \
    https --engine iotsafe --key-type PROV --key 'iotsafe:label=GENKEY;type=private'
fails 'alert|certificate required|handshake' "server rejects a request without a client certificate" \
    curl -sS --max-time 20 --cacert "$CA_CERT" "$url"

sim_stop
fails 'No private key found in the openssl store: .*no card' "card absent: no request, and curl says why" \
    https --engine iotsafe --key-type PROV --key "$CARD_KEY_URI"
sim_start
ok "request works again once the card is back" https --engine iotsafe --key-type PROV --key "$CARD_KEY_URI"
like "server saw the card's certificate again" "$LAST_OUT" "Subject: ?CN ?= ?$DEVICE_CN"

stop_spawned "$server"
done_testing
