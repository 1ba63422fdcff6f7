#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The iotsafe: store loader through openssl storeutl/x509: keys by reference,
# certificates by value, expectations and search filters.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}

card_up

ok "storeutl iotsafe: lists everything" openssl storeutl 'iotsafe:'
# 5 private keys, 5 readable public keys (the empty PEER slot is skipped), 2 certificates.
like "12 objects" "$LAST_OUT" 'Total found: 12'
is "5 private keys (by reference)" "$(printf '%s\n' "$LAST_OUT" | grep -c '^[0-9]*: Pkey')" 5
is "5 public keys" "$(printf '%s\n' "$LAST_OUT" | grep -c '^[0-9]*: Public key')" 5
is "2 certificates" "$(printf '%s\n' "$LAST_OUT" | grep -c '^[0-9]*: Certificate')" 2
like "private keys print as key references, never key material" "$LAST_OUT" 'BEGIN IOTSAFE KEY REFERENCE'
ok "no private key material in the listing" sh -c "! printf '%s' \"\$0\" | grep -q 'PRIVATE KEY-----'" "$LAST_OUT"

ok "storeutl -keys" openssl storeutl -keys 'iotsafe:'
like "5 keys" "$LAST_OUT" 'Total found: 5'
ok "storeutl -certs" openssl storeutl -certs 'iotsafe:'
like "2 certificates" "$LAST_OUT" 'Total found: 2'
ok "storeutl -certs type=cert" openssl storeutl -certs 'iotsafe:type=cert'
like "2 certificates by type" "$LAST_OUT" 'Total found: 2'
ok "storeutl -alias DEVCERT" openssl storeutl -alias DEVCERT 'iotsafe:'
like "alias finds one certificate" "$LAST_OUT" 'Total found: 1'
ok "storeutl -subject (CA)" openssl storeutl -certs -subject '/CN=iotsafe test CA' 'iotsafe:'
like "subject finds the CA certificate" "$LAST_OUT" 'Total found: 1'
like "it is the CA" "$LAST_OUT" 'Certificate'
ok "storeutl type=public" openssl storeutl 'iotsafe:type=public'
like "5 public keys by type" "$LAST_OUT" 'Total found: 5'
ok "storeutl one key by label" openssl storeutl 'iotsafe:label=GENKEY;type=private'
like "one key" "$LAST_OUT" 'Total found: 1'

# Certificates by value: byte-identical to the provisioning files.
ok "x509 -in iotsafe:label=DEVCERT" openssl x509 -in 'iotsafe:label=DEVCERT' -out "$WORK/devcert.pem"
ok "DEVCERT equals test/data/devcert.pem" \
    bash -c "ossl() { OPENSSL_CONF=/dev/null openssl \"\$@\"; }; cmp <(ossl x509 -in '$WORK/devcert.pem' -outform DER) <(ossl x509 -in '$SOURCE_ROOT/test/data/devcert.pem' -outform DER)"
ok "x509 -in iotsafe:id=%03 (CA certificate)" openssl x509 -in 'iotsafe:id=%03;type=cert' -noout -subject
like "CA subject" "$LAST_OUT" 'iotsafe test CA'
ok "card certificate chain verifies" \
    sh -c "openssl x509 -in 'iotsafe:label=CACERT' -out '$WORK/ca.pem' && OPENSSL_CONF=/dev/null openssl verify -CAfile '$WORK/ca.pem' '$WORK/devcert.pem'"

done_testing
