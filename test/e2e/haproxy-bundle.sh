#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# haproxy terminating TLS with `crt BUNDLE`, where BUNDLE is one PEM file
# holding the server certificate followed by the card's key-reference block
# (no private key anywhere), `verify required` against the test CA. Clients
# (openssl s_client, software certificates) see the card-key certificate;
# haproxy reports the client's identity in its answer (%[ssl_c_s_dn]).

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

line_program haproxy openssl
HAPROXY=$(PATH=$PATH:/usr/sbin command -v haproxy)
card_up
make_keyfile
issue_card_cert_ext card-server 127.0.0.1 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1'
issue_cert client haproxy-client client

bundle=$WORK/bundle.pem
cat "$WORK/card-server.pem" "$KEYFILE" >"$bundle"
is "the bundle holds a certificate and a key reference, no private key" \
    "$(grep -c -e '^-----BEGIN CERTIFICATE-----' -e '^-----BEGIN IOTSAFE KEY REFERENCE-----' "$bundle"):$(grep -c 'PRIVATE KEY' "$bundle")" \
    "2:0"

port=$(free_port)
cat >"$WORK/haproxy.cfg" <<EOF2
global
    nbthread 2
    log stderr format raw local0 info
defaults
    mode http
    log global
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend tls
    bind 127.0.0.1:$port ssl crt $bundle ca-file $CA_CERT verify required
    http-request return status 200 content-type text/plain lf-string "verify=%[ssl_c_verify] dn=%[ssl_c_s_dn] proto=%[ssl_fc_protocol]\n"
EOF2
ok "haproxy -c accepts the bundle" "${FOREIGN[@]}" "$HAPROXY" -c -f "$WORK/haproxy.cfg"
spawn_listening "$port" haproxy "$WORK/haproxy.out" "$WORK/haproxy.err" \
    "${FOREIGN[@]}" "$HAPROXY" -db -f "$WORK/haproxy.cfg"
hapid=$SPAWNED_PID

for v in tls1_3 tls1_2 tls1_3 tls1_2; do
    n=$(card_signatures)
    out=$(https_get "$port" "$WORK/client.pem" "$WORK/client.key" -"$v")
    like "client verified the card-key server ($v)" "$out" 'Verify return code: 0 \(ok\)'
    like "server certificate is the card's ($v)" "$out" 'subject=CN ?= ?127\.0\.0\.1'
    like "haproxy verified the client and saw its identity ($v)" "$out" \
        "^verify=0 dn=/CN=haproxy-client proto=TLSv1\\.[23]\$"
    card_signed "the card signed haproxy's handshake ($v)" "$n"
done
out=$(printf 'GET / HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$port" \
    -CAfile "$CA_CERT" -ign_eof 2>&1)
is "a client without a certificate gets no answer" "$(printf '%s\n' "$out" | grep -c '^verify=')" 0
ok "haproxy still running" kill -0 "$hapid"

# A bundle whose key reference names another card key: haproxy refuses it at start-up.
ok "a key file for another card key" "$TOOL" keyfile --label GENKEY --out "$WORK/genkey.pem"
cat "$WORK/card-server.pem" "$WORK/genkey.pem" >"$WORK/bad-bundle.pem"
sed "s#crt $bundle#crt $WORK/bad-bundle.pem#" "$WORK/haproxy.cfg" >"$WORK/bad.cfg"
fails 'inconsistencies between private key and certificate|key values mismatch' \
    "haproxy refuses a bundle whose card key does not match the certificate" \
    "${FOREIGN[@]}" "$HAPROXY" -c -f "$WORK/bad.cfg"

# SIGTERM: haproxy (-db) has no handler for it, so no exit handler of ours runs and its
# channel stays open; the next process that opens a channel closes it (owner provably gone).
stop_spawned "$hapid"
mark=$(wc -l <"$WORK/sim.log")
ok "the next process uses the card" openssl pkey -in "$CARD_KEY_URI" -pubout -out "$WORK/next.pub"
is "... and closed the channel haproxy left behind: no channel open, by command" \
    "$(tail -n +"$mark" "$WORK/sim.log" | grep -a 'channels open:' | tail -n 1)" \
    "iotsafe-sim: channels open: none (command)"
is "... no power event did it" "$(tail -n +"$mark" "$WORK/sim.log" | grep -ac 'channels open: none (power')" 0
done_testing
