#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool uri and keyfile (the IOTSAFE KEY REFERENCE PEM).
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program openssl "iotsafe-tool=$TOOL"

card_up

ok "uri of DEVKEY" "$TOOL" uri --label DEVKEY
is "private key URI" "$LAST_OUT" 'iotsafe:id=%01;label=DEVKEY;type=private'
ok "uri of the public key" "$TOOL" uri --label DEVKEY --type public
is "public key URI" "$LAST_OUT" 'iotsafe:id=%01;label=DEVKEY;type=public'
ok "uri of a certificate file" "$TOOL" uri --label DEVCERT
is "cert URI" "$LAST_OUT" 'iotsafe:id=%02;label=DEVCERT;type=cert'
ok "the printed URI names the same object" "$TOOL" pubkey --uri 'iotsafe:id=%01;label=DEVKEY;type=private'
fails 'unknown object' "URI whose label does not match its ID" "$TOOL" pubkey --uri 'iotsafe:id=%01;label=GENKEY;type=private'
is "exit code 6" "$LAST_RC" 6

ok "keyfile DEVKEY" "$TOOL" keyfile --label DEVKEY --out "$WORK/key.pem"
like "PEM label" "$(head -n 1 "$WORK/key.pem")" '^-----BEGIN IOTSAFE KEY REFERENCE-----$'
ok "DER structure" ossl asn1parse -in "$WORK/key.pem"
like "SEQUENCE" "$LAST_OUT" 'cons: SEQUENCE'
like "version string" "$LAST_OUT" 'VISIBLESTRING +:IoT SAFE key reference v2'
like "URI" "$LAST_OUT" 'UTF8STRING +:iotsafe:id=%01;label=DEVKEY;type=private'
like "public key object" "$LAST_OUT" 'UTF8STRING +:iotsafe:id=%01;label=DEVKEY;type=public'
ok "keyfile to stdout" "$TOOL" keyfile --id 02
like "GENKEY reference" "$LAST_OUT" 'BEGIN IOTSAFE KEY REFERENCE'
fails 'unknown object' "keyfile of a public-only object" "$TOOL" keyfile --label PEER
is "exit code 6" "$LAST_RC" 6

done_testing
