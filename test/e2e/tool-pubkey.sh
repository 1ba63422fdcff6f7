#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool pubkey: the DEVKEY point is the RFC 6979 A.2.5 key; naming forms; curves.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program openssl "iotsafe-tool=$TOOL"

card_up

ok "pubkey --label DEVKEY" to_file "$WORK/dev.pem" "$TOOL" pubkey --label DEVKEY
like "PEM SubjectPublicKeyInfo" "$(head -n 1 "$WORK/dev.pem")" '^-----BEGIN PUBLIC KEY-----$'
is "DEVKEY point equals the known key" "$(spki_hex "$WORK/dev.pem")" "$DEVKEY_SPKI_HEX"

ok "pubkey --id 01 --type private --out" "$TOOL" pubkey --id 01 --type private --out "$WORK/dev2.pem"
ok "same key via the private key's ID" cmp "$WORK/dev.pem" "$WORK/dev2.pem"
ok "pubkey --uri (public key object)" to_file "$WORK/dev3.pem" "$TOOL" pubkey --uri 'iotsafe:id=%01;type=public'
ok "same key via the public key URI" cmp "$WORK/dev.pem" "$WORK/dev3.pem"
ok "pubkey --uri by label and reader" to_file "$WORK/dev4.pem" "$TOOL" pubkey --uri 'iotsafe:label=DEVKEY;reader=Virtual%20PCD%2000%2000'
ok "same key via label and reader" cmp "$WORK/dev.pem" "$WORK/dev4.pem"

ok "pubkey DHKEY" to_file "$WORK/dh.pem" "$TOOL" pubkey --label DHKEY
is "DHKEY has the same d as DEVKEY" "$(spki_hex "$WORK/dh.pem")" "$DEVKEY_SPKI_HEX"

ok "pubkey BPKEY" to_file "$WORK/bp.pem" "$TOOL" pubkey --label BPKEY
ok "BPKEY parses" ossl pkey -pubin -in "$WORK/bp.pem" -noout -text
like "BPKEY is on brainpoolP256r1" "$LAST_OUT" 'brainpoolP256r1'

ok "pubkey GENKEY" to_file "$WORK/gen.pem" "$TOOL" pubkey --label GENKEY
ok "GENKEY parses as P-256" ossl pkey -pubin -in "$WORK/gen.pem" -noout -text
like "GENKEY is on P-256" "$LAST_OUT" 'prime256v1|P-256'

fails 'unknown object' "pubkey of a file is refused" "$TOOL" pubkey --label DEVCERT
is "exit code 6" "$LAST_RC" 6
fails 'iotsafe-tool: ' "pubkey of the empty PEER slot fails" "$TOOL" pubkey --label PEER
fails 'invalid URI' "bad %-escape in the URI" "$TOOL" pubkey --uri 'iotsafe:id=%0'
is "exit code 2" "$LAST_RC" 2
fails 'unknown attribute' "unknown URI attribute" "$TOOL" pubkey --uri 'iotsafe:slot=1'
fails 'duplicate attribute' "duplicate URI attribute" "$TOOL" pubkey --uri 'iotsafe:id=%01;id=%02'
fails 'empty value' "empty URI value" "$TOOL" pubkey --uri 'iotsafe:label='
fails 'needs an object' "no object named" "$TOOL" pubkey
is "exit code 2" "$LAST_RC" 2

done_testing
