#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool read-file: the provisioned certificates come back byte for byte.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program openssl "iotsafe-tool=$TOOL"

card_up

data=$SOURCE_ROOT/test/data
ok "read-file DEVCERT (PEM)" "$TOOL" read-file --label DEVCERT --out "$WORK/dev.pem"
like "PEM certificate" "$(head -n 1 "$WORK/dev.pem")" '^-----BEGIN CERTIFICATE-----$'
is "DEVCERT equals test/data/devcert.pem" "$(cert_der_hex "$WORK/dev.pem")" "$(cert_der_hex "$data/devcert.pem")"
ok "read-file --der" "$TOOL" read-file --label DEVCERT --der --out "$WORK/dev.der"
is "DER equals the provisioned certificate" "$(hex_of "$WORK/dev.der")" "$(cert_der_hex "$data/devcert.pem")"
ok "read-file to stdout by URI" to_file "$WORK/dev2.pem" "$TOOL" read-file --uri 'iotsafe:id=%02;type=cert'
ok "same PEM by URI" cmp "$WORK/dev.pem" "$WORK/dev2.pem"
ok "read-file CACERT" "$TOOL" read-file --id 03 --out "$WORK/ca.pem"
is "CACERT equals test/data/ca.pem" "$(cert_der_hex "$WORK/ca.pem")" "$(cert_der_hex "$data/ca.pem")"
ok "the device certificate verifies against the CA read from the card" \
    ossl verify -CAfile "$WORK/ca.pem" "$WORK/dev.pem"
ok "the device certificate holds DEVKEY" sh -c 'OPENSSL_CONF=/dev/null openssl x509 -in "$1" -pubkey -noout >"$2"' sh "$WORK/dev.pem" "$WORK/certkey.pem"
is "certificate key equals DEVKEY" "$(spki_hex "$WORK/certkey.pem")" "$DEVKEY_SPKI_HEX"

fails 'unknown object' "read-file of a key label" "$TOOL" read-file --label DEVKEY
is "exit code 6" "$LAST_RC" 6
fails 'unknown object' "read-file of a missing ID" "$TOOL" read-file --id 7E
is "exit code 6" "$LAST_RC" 6

done_testing
