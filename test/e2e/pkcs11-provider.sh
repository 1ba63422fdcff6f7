#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# OpenSSL driving the PKCS#11 module (P11_MODULE) through pkcs11-provider
# (latchset's OpenSSL 3 provider), with an openssl.cnf of its own: default +
# pkcs11, no iotsafe provider, so the card is reached only through
# pkcs11-provider -> iotsafe-pkcs11.so -> pcscd. Keys by RFC 7512 URI:
#   pkey (public key = the software copy's), storeutl (the card's objects),
#   pkeyutl -sign and dgst -sign (verified with the software public key),
#   req (CSR signed on the card), s_server with the card key, s_client with
#   the card key for mutual TLS; TLS 1.3 and 1.2.
# Every signing step checks that the CARD signed (COMPUTE SIGNATURE in the
# simulator's log). pkcs11-provider is test.sh's (IOTSAFE_PKCS11_PROVIDER:
# scripts/pkcs11-provider.sh), else the system's package.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

p11prov=${IOTSAFE_PKCS11_PROVIDER:-}
if [ -z "$p11prov" ]; then
    p11prov=$(dpkg-query -L pkcs11-provider 2>/dev/null | grep -m 1 '/ossl-modules/pkcs11\.so$') || p11prov=
fi
[ -n "$p11prov" ] && [ -f "$p11prov" ] ||
    skip_all "pkcs11-provider not found (scripts/pkcs11-provider.sh fetch, then IOTSAFE_PKCS11_PROVIDER=its path; test.sh does both)"
if [ ! -f "${P11_MODULE:-}" ]; then
    echo "Bail out! the PKCS#11 module is missing: P11_MODULE=${P11_MODULE:-}"
    exit 1
fi
# The module is checked too when it loads a libcrypto of its own.
if env -u LD_PRELOAD ldd "$P11_MODULE" 2>/dev/null | grep -q 'libcrypto\.so'; then
    line_program openssl "pkcs11-provider=$p11prov" "iotsafe-pkcs11.so=$P11_MODULE"
else
    line_program openssl "pkcs11-provider=$p11prov"
fi

KEY='pkcs11:token=IoT%20SAFE;object=DEVKEY;type=private'
PUB='pkcs11:token=IoT%20SAFE;object=DEVKEY;type=public'
SOFT_KEY=$SOURCE_ROOT/test/data/devkey-soft.pem

card_up
# After card_up, which points OPENSSL_CONF at the harness's (iotsafe provider).
P11_CONF=$WORK/pkcs11.cnf
SOFT_CONF=$WORK/software.cnf
write_conf() { # file with-pkcs11
    {
        echo "openssl_conf = openssl_init"
        # 4.0's `x509 -req` takes these as the harness's configuration gives them
        echo "extensions = x509_default_extensions"
        echo "[x509_default_extensions]"
        echo "subjectKeyIdentifier = hash"
        echo "authorityKeyIdentifier = keyid:nonss,issuer:nonss"
        echo "[openssl_init]"
        echo "providers = provider_sect"
        echo "[provider_sect]"
        echo "default = default_sect"
        [ "$2" = 1 ] && echo "pkcs11 = pkcs11_sect"
        echo "[default_sect]"
        echo "activate = 1"
        if [ "$2" = 1 ]; then
            echo "[pkcs11_sect]"
            echo "module = $p11prov"
            echo "pkcs11-module-path = $P11_MODULE"
            echo "activate = 1"
        fi
    } >"$1"
}
write_conf "$P11_CONF" 1
write_conf "$SOFT_CONF" 0
export OPENSSL_CONF=$P11_CONF
unset OPENSSL_MODULES
soft() { OPENSSL_CONF=$SOFT_CONF "$@"; }
# Each command that reaches the card, bounded.
p11() { timeout 30 openssl "$@"; }

# Sanitizer pass: pkcs11-provider dlopens the module with RTLD_DEEPBIND, which the
# sanitizer runtime refuses (it aborts the program); the plain pass runs this test.
if [ -n "${IOTSAFE_SAN_PRELOAD:-}" ] &&
    p11 pkey -pubin -in "$PUB" -pubout 2>&1 | grep -q 'RTLD_DEEPBIND flag which is incompatible with sanitizer runtime'; then
    skip_all "pkcs11-provider loads the module with RTLD_DEEPBIND, which the sanitizer runtime refuses; the plain pass runs this test"
fi

# ---- the providers: pkcs11 active, iotsafe absent
ok "openssl lists its providers" p11 list -providers -verbose
p11block=$(sed -n '/^ *name: PKCS#11 Provider$/,/^ *build info:/p' <<<"$LAST_OUT")
like "pkcs11-provider is loaded" "$p11block" 'PKCS#11 Provider'
like "pkcs11-provider is active" "$p11block" '^ *status: active$'
is "no iotsafe provider in this configuration" "$(grep -ci iotsafe <<<"$LAST_OUT")" 0
# pkcs11-provider reports the OpenSSL it was compiled with: Debian's trixie package
# says 3.5.0 on every 3.x line, whose libcrypto.so.3 it needs at >= 3.0.7 (its
# Depends); line_program above showed it loads the line's own libcrypto.
p11ver=$(sed -n 's/^ *version: //p' <<<"$p11block")
diag "pkcs11-provider: compiled with OpenSSL $p11ver, running on $(openssl version)"
like "pkcs11-provider was compiled for the line's OpenSSL major version (${IOTSAFE_OPENSSL_LINE%%.*})" \
    "$p11ver" "^${IOTSAFE_OPENSSL_LINE%%.*}\.[0-9]+\.[0-9]+"

# ---- public key
soft openssl pkey -in "$SOFT_KEY" -pubout -out "$WORK/soft-pub.pem" 2>"$WORK/soft-pub.err" || {
    sed 's/^/# /' "$WORK/soft-pub.err"
    echo "Bail out! cannot read the software key"
    exit 1
}
# -pubin: 3.0's pkey would ask the store for a private key only.
ok "pkey reads the public key by URI" p11 pkey -pubin -in "$PUB" -pubout
is "the card's public key is the software copy's" "$LAST_OUT" "$(cat "$WORK/soft-pub.pem")"
ok "pkey reads the public key by id" p11 pkey -pubin -in 'pkcs11:token=IoT%20SAFE;id=%01;type=public' -pubout
is "id=%01 is DEVKEY's public key" "$LAST_OUT" "$(cat "$WORK/soft-pub.pem")"
fails 'Could not|error' "a label that is not on the card is refused" \
    p11 pkey -pubin -in 'pkcs11:token=IoT%20SAFE;object=NOSUCHKEY;type=public' -pubout

# ---- the store
before=$(card_signatures)
ok "storeutl lists the token's objects" p11 storeutl 'pkcs11:token=IoT%20SAFE'
list=$LAST_OUT
like "the listing found objects" "$list" '^Total found: [1-9][0-9]*$'
like "the listing holds a certificate" "$list" '^[0-9]+: Certificate$'
like "the listing holds public keys" "$list" '^[0-9]+: Public key$'
like "the listing holds private keys (not exported)" "$list" '^[0-9]+: (Pkey|Private key)$'
is "listing the store made no signature" "$(card_signatures)" "$before"
ok "storeutl reads DEVCERT by label" p11 storeutl -certs -noout -text 'pkcs11:token=IoT%20SAFE;object=DEVCERT'
like "DEVCERT is the device certificate" "$LAST_OUT" "Subject: ?CN ?= ?$DEVICE_CN"
p11 storeutl -certs 'pkcs11:token=IoT%20SAFE;object=DEVCERT' 2>/dev/null |
    openssl x509 -outform DER -out "$WORK/devcert-card.der" 2>/dev/null
soft openssl x509 -in "$DEVCERT" -outform DER -out "$WORK/devcert.der"
ok "the card's DEVCERT is test/data/devcert.pem" cmp "$WORK/devcert-card.der" "$WORK/devcert.der"

# ---- signatures: the card signs, the software public key verifies
printf 'IoT SAFE through pkcs11-provider\n' >"$WORK/msg"
soft openssl dgst -sha256 -binary -out "$WORK/msg.sha256" "$WORK/msg"
before=$(card_signatures)
ok "pkeyutl -sign with the private key by URI" \
    p11 pkeyutl -sign -inkey "$KEY" -in "$WORK/msg.sha256" -out "$WORK/msg.sig"
card_signed "the card signed (pkeyutl)" "$before"
ok "the software public key verifies it" \
    soft openssl pkeyutl -verify -pubin -inkey "$WORK/soft-pub.pem" -in "$WORK/msg.sha256" -sigfile "$WORK/msg.sig"
like "pkeyutl -verify says so" "$LAST_OUT" 'Signature Verified Successfully'

before=$(card_signatures)
ok "dgst -sha384 -sign with the private key by URI" \
    p11 dgst -sha384 -sign "$KEY" -out "$WORK/msg.sig384" "$WORK/msg"
card_signed "the card signed (dgst)" "$before"
ok "the software public key verifies it (SHA-384)" \
    soft openssl dgst -sha384 -verify "$WORK/soft-pub.pem" -signature "$WORK/msg.sig384" "$WORK/msg"

# ---- a CSR signed on the card, and a server certificate for the card key
# (DEVCERT is for client authentication only)
before=$(card_signatures)
issue_card_cert card-server "$KEY" "$DEVICE_CN" server
card_signed "the card signed the CSR (req)" "$before"
ok "the CSR's signature verifies" soft openssl req -verify -noout -in "$WORK/card-server.csr"
is "the certificate is for the card's public key" \
    "$(soft openssl x509 -in "$WORK/card-server.pem" -noout -pubkey 2>&1)" "$(cat "$WORK/soft-pub.pem")"

# ---- s_server with the card key; software s_client verifies it
port=$(free_port)
srv_err=$WORK/card-server.err
spawn_listening "$port" "s_server with the card key" "$WORK/card-server.out" "$srv_err" \
    openssl s_server -accept "127.0.0.1:$port" -rev -cert "$WORK/card-server.pem" -key "$KEY"
server=$SPAWNED_PID

to_card_server() {
    soft timeout 20 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
        -verify_return_error -CAfile "$CA_CERT" "$@"
}
server_case() { # what s_client-options...
    local what=$1 before
    shift
    before=$(card_signatures)
    ok "handshake with the card key as server key: $what" to_card_server "$@"
    like "the client verified the card-key certificate ($what)" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
    like "the server certificate is the card key's ($what)" "$LAST_OUT" "subject=CN ?= ?$DEVICE_CN"
    like "the server signed with ECDSA ($what)" "$LAST_OUT" "Peer signature type: $(line_expect peer-sig-type P-256)"
    card_signed "the card signed the handshake ($what)" "$before"
}
server_case "TLS 1.3" -tls1_3
like "TLS 1.3 negotiated" "$LAST_OUT" 'New, TLSv1\.3, Cipher is TLS_'
server_case "TLS 1.2 ECDHE-ECDSA" -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
like "TLS 1.2 ECDHE-ECDSA negotiated" "$LAST_OUT" 'New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256'
ok "s_server still runs" kill -0 "$server"
stop_spawned "$server"

# ---- mutual TLS: s_client with the card key and DEVCERT; software server
soft issue_cert server 127.0.0.1 server
port=$(free_port)
srv_log=$WORK/server.log
OPENSSL_CONF=$SOFT_CONF start_s_server "$port" "$WORK/server.out" "$srv_log" -rev
server=$SPAWNED_PID
client_case() { # what s_client-options...
    local what=$1 before
    shift
    before=$(card_signatures)
    ok "mutual TLS with the card key as client key: $what" \
        p11 s_client -connect "127.0.0.1:$port" -verify_return_error \
        -CAfile "$CA_CERT" -cert "$DEVCERT" -key "$KEY" "$@"
    like "the client verified the server ($what)" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
    card_signed "the card signed CertificateVerify ($what)" "$before"
    server_saw_device "$srv_log" "$what"
}
client_case "TLS 1.3" -tls1_3
like "TLS 1.3 negotiated (client key)" "$LAST_OUT" 'New, TLSv1\.3, Cipher is TLS_'
client_case "TLS 1.2 ECDHE-ECDSA" -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384
like "TLS 1.2 ECDHE-ECDSA negotiated (client key)" "$LAST_OUT" 'New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384'
fails 'key values mismatch' "s_client refuses a card key that does not match the certificate" \
    p11 s_client -connect "127.0.0.1:$port" -CAfile "$CA_CERT" -cert "$DEVCERT" \
    -key 'pkcs11:token=IoT%20SAFE;object=GENKEY;type=private' -tls1_3
stop_spawned "$server"

done_testing
