#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool genkey: the container gets a new key that survives a simulator restart.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program openssl "iotsafe-tool=$TOOL"

card_up

ok "pubkey GENKEY before" to_file "$WORK/before.pem" "$TOOL" pubkey --label GENKEY
ok "genkey GENKEY" "$TOOL" genkey --label GENKEY --out "$WORK/gen.pem"
like "genkey prints a PEM public key" "$(head -n 1 "$WORK/gen.pem")" '^-----BEGIN PUBLIC KEY-----$'
ok "pubkey GENKEY after" to_file "$WORK/after.pem" "$TOOL" pubkey --label GENKEY
ok "genkey output equals the card's new public key" cmp "$WORK/gen.pem" "$WORK/after.pem"
ok "the public key changed" sh -c '! cmp -s "$1" "$2"' sh "$WORK/before.pem" "$WORK/after.pem"

printf 'signed with a fresh key\n' >"$WORK/msg"
ok "sign with the new key" "$TOOL" sign --label GENKEY --in "$WORK/msg" --out "$WORK/sig.der"
ok "openssl verifies against the new public key" \
    ossl dgst -sha256 -verify "$WORK/after.pem" -signature "$WORK/sig.der" "$WORK/msg"

sim_stop
sim_start
ok "pubkey GENKEY after a simulator restart" to_file "$WORK/restart.pem" "$TOOL" pubkey --label GENKEY
ok "the generated key survived the restart" cmp "$WORK/after.pem" "$WORK/restart.pem"

ok "genkey to stdout (by ID)" to_file "$WORK/gen2.pem" "$TOOL" genkey --id 02
ok "second genkey gives another key" sh -c '! cmp -s "$1" "$2"' sh "$WORK/after.pem" "$WORK/gen2.pem"

fails 'usage refused' "genkey on DEVKEY (no keygen function) is refused" "$TOOL" genkey --label DEVKEY
is "usage refused: exit code 7" "$LAST_RC" 7
ok "DEVKEY unchanged" to_file "$WORK/dev.pem" "$TOOL" pubkey --label DEVKEY
is "DEVKEY still the known key" "$(spki_hex "$WORK/dev.pem")" "$DEVKEY_SPKI_HEX"
fails 'unknown object' "genkey on a missing container" "$TOOL" genkey --label NOSUCHKEY
is "unknown object: exit code 6" "$LAST_RC" 6

done_testing
