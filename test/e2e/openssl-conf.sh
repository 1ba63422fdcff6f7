#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# conf/openssl.cnf and the README's configuration snippet, unchanged but for
# the module path (the provider is not installed here), on the OpenSSL line
# under test: the card key loads, signs a CSR, `openssl x509 -req` works as a
# mini-CA without -extfile (4.0 reads `extensions` from the default section),
# `req -x509` makes a CA with the card key, and a TLS 1.3 handshake signs on
# the card.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up
cd "$WORK" || exit 1
module=$BUILD_ROOT/provider/iotsafe.so

# The README's snippet: the first ```ini block.
awk '/^```ini$/ { f = 1; next } /^```$/ { if (f) exit } f' "$SOURCE_ROOT/README.md" >readme.cnf
like "the README has an openssl.cnf snippet" "$(cat readme.cnf)" '^openssl_conf = openssl_init'
cp "$SOURCE_ROOT/conf/openssl.cnf" conf.cnf

with_module() { # cnf
    sed -i "s|^\\[iotsafe_sect\\]\$|[iotsafe_sect]\\nmodule = $module|" "$1"
}

for name in conf readme; do
    cnf=$WORK/$name.cnf
    with_module "$cnf"
    o() { OPENSSL_CONF=$cnf openssl "$@"; }
    ok "$name: the card key's public half" o pkey -in "$CARD_KEY_URI" -pubout -out "$name.pub"
    ok "$name: CSR signed by the card" o req -new -key "$CARD_KEY_URI" -subj "/CN=$name" -out "$name.csr"
    ok "$name: x509 -req without -extfile (mini-CA)" \
        o x509 -req -in "$name.csr" -CA "$CA_CERT" -CAkey "$CA_KEY" -CAserial ca.srl -CAcreateserial \
        -days 2 -out "$name.pem"
    ok "$name: the certificate verifies" o verify -CAfile "$CA_CERT" "$name.pem"
    if line_at_least 4.0; then
        ok "$name: certificate text" o x509 -in "$name.pem" -noout -text
        like "$name: 4.0 added the configured key identifiers" "$LAST_OUT" 'X509v3 Authority Key Identifier'
    fi
    # shellcheck disable=SC2046 # the extension arguments are separate words
    ok "$name: req -x509 CA with the card key" \
        o req -x509 -new -key "$CARD_KEY_URI" -subj "/CN=$name CA" -days 2 \
        $(line_expect req-x509-ca-args) -out "$name-ca.pem"
    ok "$name: x509 -req with the card key as CA" \
        o x509 -req -in "$name.csr" -CA "$name-ca.pem" -CAkey "$CARD_KEY_URI" -CAserial card.srl \
        -CAcreateserial -days 2 -out "$name-issued.pem"
    ok "$name: issued by the card CA, verifies" o verify -CAfile "$name-ca.pem" "$name-issued.pem"
done

# TLS 1.3 with the card key as the server key, through conf/openssl.cnf.
issue_card_cert srv "$CARD_KEY_URI" 127.0.0.1 server
port=$(free_port)
spawn_listening "$port" s_server srv.out srv.err env OPENSSL_CONF="$WORK/conf.cnf" IOTSAFE_TRACE=1 \
    openssl s_server -accept "127.0.0.1:$port" -www -cert srv.pem -key "$CARD_KEY_URI"
base=$(apdus srv.err)
ok "conf: TLS 1.3 handshake, server key on the card" \
    sh -c "echo Q | OPENSSL_CONF=/dev/null openssl s_client -connect 127.0.0.1:$port -CAfile '$CA_CERT' -verify_return_error -tls1_3"
like "conf: TLS 1.3 negotiated" "$LAST_OUT" 'New, TLSv1\.3, Cipher is TLS_'
like "conf: the card signed (COMPUTE SIGNATURE traced)" \
    "$(tail -n +"$((base + 1))" srv.err | grep -c 'iotsafe: > .. 2[AB] ')" '^[1-9]'

done_testing
