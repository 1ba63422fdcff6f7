#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# brainpoolP256r1 card keys (key type 23, BPKEY): sign + default-provider
# verify, CSR, certificate, ECDH through a brainpool peer slot, key
# generation, and TLS 1.2 on both sides (server key and client key). TLS 1.3
# signs with brainpool keys from OpenSSL 3.2 on (RFC 8734 signature schemes):
# it is checked to work there and to fail on 3.0 (line_expect brainpool-tls13),
# so the documentation stays true on every line.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl curl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}
BP='iotsafe:label=BPKEY'

# The standard card plus a brainpool peer slot for ECDH.
sed "s|^content = |content = $SOURCE_ROOT/test/data/|" "$SOURCE_ROOT/test/data/card.conf" >"$WORK/bp-card.conf"
printf '\n[public-key BPPEER]\nid = 09\ncurve = brainpoolP256r1\naccess = read, update\nvalue = empty\n' \
    >>"$WORK/bp-card.conf"
card_up "$WORK/bp-card.conf"
cd "$WORK" || exit 1
printf 'brainpool message\n' >msg

# ---- sign, verify, CSR, certificate
ok "BPKEY public key" openssl pkey -in "$BP" -pubout -out bp.pub
ok "it is a brainpoolP256r1 key" ossl pkey -pubin -in bp.pub -text -noout
like "curve" "$LAST_OUT" 'ASN1 OID: brainpoolP256r1'
for h in sha256 sha384 sha512; do
    ok "dgst -$h -sign with BPKEY" openssl dgst -"$h" -sign "$BP" -out "sig-$h" msg
    ok "default provider verifies ($h)" ossl dgst -"$h" -verify bp.pub -signature "sig-$h" msg
done
ok "CSR signed by BPKEY" openssl req -new -key "$BP" -subj /CN=bp-device -out bp.csr
ok "the CSR verifies with the default provider" ossl req -verify -in bp.csr -noout
ok "the CSR holds the card's brainpool key" sh -c "OPENSSL_CONF=/dev/null openssl req -in bp.csr -pubkey -noout | cmp - bp.pub"
ok "self-signed brainpool certificate by the card" \
    openssl req -x509 -new -key "$BP" -subj /CN=bp-self -days 2 $(line_expect req-x509-ca-args) -out bp-self.pem
ok "and it verifies" ossl verify -CAfile bp-self.pem bp-self.pem

# ---- ECDH (the brainpool slot 09 is picked automatically)
ok "software brainpool peer" ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 -out peer.key
ok "peer public key" ossl pkey -in peer.key -pubout -out peer.pem
IOTSAFE_TRACE=1 openssl pkeyutl -derive -inkey "$BP" -peerkey peer.pem -out card.bin 2>dh.trace
is "card ECDH on brainpoolP256r1" "$?" 0
like "the peer went into the brainpool slot 09" "$(cat dh.trace)" 'iotsafe: > [0-9A-F]{2} 46 00 00 06 84 01 06 85 01 09'
ok "the peer side computes the same secret" ossl pkeyutl -derive -inkey peer.key -peerkey bp.pub -out soft.bin
ok "secrets are equal" cmp card.bin soft.bin
ok "P-256 peer" ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out p256.key
ok "P-256 peer public key" ossl pkey -in p256.key -pubout -out p256.pem
IOTSAFE_TRACE=1 openssl pkeyutl -derive -inkey iotsafe:label=DHKEY -peerkey p256.pem -out p.bin 2>p.trace
is "P-256 ECDH next to the brainpool slot" "$?" 0
like "slot 05 for the P-256 key" "$(cat p.trace)" 'iotsafe: > [0-9A-F]{2} 46 00 00 06 84 01 04 85 01 05'
fails 'the peer key is on prime256v1 but the card key, private key id=06 \(BPKEY\), is on brainpoolP256r1' \
    "a P-256 peer for the brainpool key is refused" \
    openssl pkeyutl -derive -inkey "$BP" -peerkey p256.pem -out x.bin

# ---- key generation in the brainpool container
ok "genpkey BPKEY" openssl genpkey -propquery '?provider=iotsafe' -algorithm EC \
    -pkeyopt iotsafe-label:BPKEY -pkeyopt group:brainpoolP256r1 -out bp-key.pem
ok "new public key" openssl pkey -in bp-key.pem -pubout -out bp2.pub
ok "it changed" sh -c '! cmp -s bp.pub bp2.pub'
ok "the regenerated key signs" openssl dgst -sha256 -sign bp-key.pem -out sig-new msg
ok "and verifies" ossl dgst -sha256 -verify bp2.pub -signature sig-new msg

# ---- TLS 1.2, the card key on the server
issue_card_cert bpsrv "$BP" 127.0.0.1 server
port=$(free_port)
spawn_listening "$port" s_server srv.out srv.err openssl s_server -accept "127.0.0.1:$port" -www \
    -cert bpsrv.pem -key "$BP"
srv=$SPAWNED_PID
ok "s_client TLS 1.2 offering brainpoolP256r1" \
    sh -c "echo Q | openssl s_client -connect 127.0.0.1:$port -CAfile '$CA_CERT' -verify_return_error -tls1_2 -curves brainpoolP256r1:P-256"
like "ECDHE-ECDSA with the card's brainpool signature" "$LAST_OUT" 'Cipher is ECDHE-ECDSA'
like "server certificate verified" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
if san_blocks_curl; then
    skip "curl TLS 1.2 offering brainpoolP256r1" "$SAN_CURL_REASON"
else
    ok "curl TLS 1.2 offering brainpoolP256r1" \
        curl -sS --max-time 20 --cacert "$CA_CERT" --tlsv1.2 --tls-max 1.2 --curves brainpoolP256r1:P-256 "https://127.0.0.1:$port/"
    like "served over TLS 1.2" "$LAST_OUT" 'New, TLSv1\.2, Cipher is ECDHE-ECDSA'
fi
fails 'handshake failure|alert' "a client that does not offer brainpoolP256r1 cannot use the brainpool certificate (TLS 1.2)" \
    sh -c "echo Q | openssl s_client -connect 127.0.0.1:$port -CAfile '$CA_CERT' -tls1_2 -curves P-256"
if [ "$(line_expect brainpool-tls13)" = yes ]; then
    ok "TLS 1.3 with the brainpool server certificate (RFC 8734)" \
        sh -c "echo Q | openssl s_client -connect 127.0.0.1:$port -CAfile '$CA_CERT' -verify_return_error -tls1_3"
    like "TLS 1.3 negotiated" "$LAST_OUT" 'New, TLSv1\.3, Cipher is TLS_'
    like "the card signed with the brainpool TLS 1.3 scheme" "$LAST_OUT" \
        "Peer signature type: $(line_expect peer-sig-type brainpoolP256r1)"
else
    fails 'protocol version|alert' "TLS 1.3 with the brainpool server certificate fails on OpenSSL $IOTSAFE_OPENSSL_LINE" \
        sh -c "echo Q | openssl s_client -connect 127.0.0.1:$port -CAfile '$CA_CERT' -tls1_3"
fi
stop_spawned "$srv"

# ---- TLS 1.2, the card key as client certificate
issue_cert server 127.0.0.1 server
issue_card_cert bpcli "$BP" bp-device client
ok "key reference file for BPKEY" openssl pkey -in "$BP" -out bp-ref.pem
port=$(free_port)
start_s_server "$port" srv2.out srv2.err -www -curves P-256:brainpoolP256r1
srv=$SPAWNED_PID
ok "s_client TLS 1.2 with the brainpool card key" \
    sh -c "echo Q | openssl s_client -connect 127.0.0.1:$port -CAfile '$CA_CERT' -verify_return_error -tls1_2 -curves P-256:brainpoolP256r1 -cert bpcli.pem -key '$BP'"
like "handshake done" "$LAST_OUT" 'Cipher is ECDHE-ECDSA'
if san_blocks_curl; then
    skip "curl TLS 1.2 --key bp-ref.pem (key reference file)" "$SAN_CURL_REASON"
else
    ok "curl TLS 1.2 --key bp-ref.pem (key reference file)" \
        curl -sS --max-time 20 --cacert "$CA_CERT" --tlsv1.2 --tls-max 1.2 --curves P-256:brainpoolP256r1 \
        --cert bpcli.pem --key bp-ref.pem "https://127.0.0.1:$port/"
    like "server saw the brainpool client certificate" "$LAST_OUT" 'Subject: ?CN ?= ?bp-device'
    if [ "$(line_expect brainpool-tls13)" = yes ]; then
        ok "curl TLS 1.3 --key bp-ref.pem: the brainpool client key signs (RFC 8734)" \
            curl -sS --max-time 20 --cacert "$CA_CERT" --tlsv1.3 --cert bpcli.pem --key bp-ref.pem "https://127.0.0.1:$port/"
        like "server saw the brainpool client certificate over TLS 1.3" "$LAST_OUT" 'Subject: ?CN ?= ?bp-device'
        like "served over TLS 1.3" "$LAST_OUT" 'New, TLSv1\.3, Cipher is TLS_'
    else
        fails 'certificate required|alert' \
            "TLS 1.3: OpenSSL $IOTSAFE_OPENSSL_LINE has no brainpool signature scheme, so no client certificate is sent" \
            curl -sS --max-time 20 --cacert "$CA_CERT" --tlsv1.3 --cert bpcli.pem --key bp-ref.pem "https://127.0.0.1:$port/"
    fi
fi
stop_spawned "$srv"

# ---- what the line knows of RFC 8734 (checked so doc/key-lifecycle.md stays true)
if [ "$(line_expect brainpool-tls13)" = no ]; then
    fails 'SSL_CONF_cmd' "OpenSSL $IOTSAFE_OPENSSL_LINE does not know ecdsa_brainpoolP256r1tls13_sha256" \
        sh -c "echo Q | OPENSSL_CONF=/dev/null openssl s_client -connect 127.0.0.1:1 -sigalgs ecdsa_brainpoolP256r1tls13_sha256"
else
    fails 'connect' "OpenSSL $IOTSAFE_OPENSSL_LINE accepts -sigalgs ecdsa_brainpoolP256r1tls13_sha256 (fails only at connect)" \
        sh -c "echo Q | OPENSSL_CONF=/dev/null openssl s_client -connect 127.0.0.1:1 -sigalgs ecdsa_brainpoolP256r1tls13_sha256"
    like "no SSL_CONF_cmd error" "$(printf '%s\n' "$LAST_OUT" | grep -c SSL_CONF_cmd)" '^0$'
fi

done_testing
