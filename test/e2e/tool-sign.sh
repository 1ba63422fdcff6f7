#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool sign/verify: OpenSSL verifies card signatures; 2 APDUs per steady-state signature.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program openssl "iotsafe-tool=$TOOL"

card_up

msg=$WORK/msg.txt
printf 'IoT SAFE end-to-end test message\n' >"$msg"
ok "pubkey DEVKEY" to_file "$WORK/dev.pem" "$TOOL" pubkey --label DEVKEY

for h in sha256 sha384 sha512; do
    ok "sign --hash $h" "$TOOL" sign --label DEVKEY --in "$msg" --hash "$h" --out "$WORK/sig-$h.der"
    ok "DER ECDSA-Sig-Value ($h)" ossl asn1parse -inform DER -in "$WORK/sig-$h.der"
    ok "openssl dgst -verify accepts it ($h)" \
        ossl dgst -"$h" -verify "$WORK/dev.pem" -signature "$WORK/sig-$h.der" "$msg"
    ok "the card verifies it ($h)" "$TOOL" verify --label DEVKEY --in "$msg" --sig "$WORK/sig-$h.der" --hash "$h"
    like "verify says OK ($h)" "$LAST_OUT" '^signature OK$'
done

ok "sign to stdout" to_file "$WORK/sig-stdout.der" "$TOOL" sign --id 01 --in "$msg"
ok "stdout signature verifies" ossl dgst -sha256 -verify "$WORK/dev.pem" -signature "$WORK/sig-stdout.der" "$msg"

printf 'tampered\n' >"$WORK/other.txt"
fails 'signature mismatch' "card rejects a signature over another message" \
    "$TOOL" verify --label DEVKEY --in "$WORK/other.txt" --sig "$WORK/sig-sha256.der"
is "mismatch: exit code 10" "$LAST_RC" 10
fails 'Verification failure' "openssl rejects it too" \
    ossl dgst -sha256 -verify "$WORK/dev.pem" -signature "$WORK/sig-sha256.der" "$WORK/other.txt"

# brainpool key
ok "pubkey BPKEY" to_file "$WORK/bp.pem" "$TOOL" pubkey --label BPKEY
ok "sign with BPKEY" "$TOOL" sign --label BPKEY --in "$msg" --out "$WORK/sig-bp.der"
ok "openssl verifies the brainpool signature" \
    ossl dgst -sha256 -verify "$WORK/bp.pem" -signature "$WORK/sig-bp.der" "$msg"

# Steady state: after the first signature, each one costs INIT + UPDATE only.
IOTSAFE_TRACE=1 "$TOOL" sign --label DEVKEY --in "$msg" --repeat 4 --stats \
    --out "$WORK/sig-rep.der" 2>"$WORK/trace.txt"
is "sign --repeat with trace exits 0" "$?" 0
ok "last repeated signature verifies" \
    ossl dgst -sha256 -verify "$WORK/dev.pem" -signature "$WORK/sig-rep.der" "$msg"
# Count the outgoing APDU lines between the tool's per-signature markers.
counts=$(awk '/^iotsafe: >/ { n++ } /^iotsafe-tool: signature [0-9]+:/ { printf "%d ", n; n = 0 }' "$WORK/trace.txt")
like "trace has one count per signature" "$counts" '^[0-9]+ [0-9]+ [0-9]+ [0-9]+ $'
is "trace: 2 APDUs for each signature after the first" "$(echo "$counts" | cut -d' ' -f2-4)" "2 2 2"
like "stats agree" "$(grep '^iotsafe-tool: signature 4:' "$WORK/trace.txt")" ': 2 APDUs$'
# CLA and INS of the APDUs of the last signature (between the markers 3 and 4).
last=$(awk '/^iotsafe-tool: signature 3:/ { on = 1; next } /^iotsafe-tool: signature 4:/ { on = 0 }
            on && /^iotsafe: >/ { printf "%s %s ", $3, $4 }' "$WORK/trace.txt")
like "the steady-state signature is INIT then UPDATE" "$last" '^[0-9A-F]{2} 2A [0-9A-F]{2} 2B $'
grep -q '^iotsafe: >' "$WORK/trace.txt" || diag "$(head -n 20 "$WORK/trace.txt")"

fails 'in FILE is required' "sign without --in" "$TOOL" sign --label DEVKEY
is "exit code 2" "$LAST_RC" 2
fails 'cannot open' "sign with a missing input file" "$TOOL" sign --label DEVKEY --in "$WORK/nope"
is "exit code 2" "$LAST_RC" 2

done_testing
