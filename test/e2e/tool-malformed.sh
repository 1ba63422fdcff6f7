#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Malformed card answers through the real pcscd: the simulator garbles one kind
# of answer on purpose (fault=KIND, see doc/simulator.md) and iotsafe-tool must
# say "malformed card answer", name the command or object, and exit 8. Answers
# the fault does not touch keep working.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program "iotsafe-tool=$TOOL"

msg=$WORK/msg
printf 'malformed answer test\n' >"$msg"

card_up

# fault KIND: restart the card with only that fault (same state).
fault() {
    sim_stop
    sim_start --set "fault=$1"
}

# ---- object list cut inside an object's TLV
fault truncated-list
fails "iotsafe-tool: malformed card answer: listing objects: GET DATA \\(object list\\) in reader 'Virtual PCD 00 00': malformed card answer: object list: TLV length runs past the end" \
    "truncated list: list" "$TOOL" list
is "truncated list: list exits 8" "$LAST_RC" 8
fails "iotsafe-tool: malformed card answer: label=DEVKEY: GET DATA \\(object list\\) in reader 'Virtual PCD 00 00': malformed card answer: object list" \
    "truncated list: pubkey by label needs the list" "$TOOL" pubkey --label DEVKEY
is "truncated list: pubkey exits 8" "$LAST_RC" 8
fails "iotsafe-tool: malformed card answer: label=DEVKEY: GET DATA \\(object list\\) in reader 'Virtual PCD 00 00': malformed card answer: object list" \
    "truncated list: sign by label" "$TOOL" sign --label DEVKEY --in "$msg"
is "truncated list: sign exits 8" "$LAST_RC" 8
ok "truncated list: GET RANDOM is unaffected" "$TOOL" random 8

# ---- READ PUBLIC KEY with an inner length past the end
fault bad-pubkey
fails "iotsafe-tool: malformed card answer: READ PUBLIC KEY on public key id=01 \\(DEVKEY\\) in reader 'Virtual PCD 00 00': " \
    "bad public key answer: pubkey" "$TOOL" pubkey --label DEVKEY
is "bad public key answer: pubkey exits 8" "$LAST_RC" 8
fails 'READ PUBLIC KEY on public key id=02 \(GENKEY\)' \
    "bad public key answer: pubkey by id" "$TOOL" pubkey --id 02
is "bad public key answer: by id exits 8" "$LAST_RC" 8
ok "bad public key answer: list is unaffected" "$TOOL" list
like "list shows DEVKEY" "$LAST_OUT" 'private-key id=01 label=DEVKEY'

# ---- signature TLV 33 with a length past the end
fault bad-signature
fails "iotsafe-tool: malformed card answer: COMPUTE SIGNATURE on private key id=01 \\(DEVKEY\\) in reader 'Virtual PCD 00 00': " \
    "bad signature answer: sign" "$TOOL" sign --label DEVKEY --in "$msg"
is "bad signature answer: sign exits 8" "$LAST_RC" 8
fails "malformed card answer: COMPUTE SIGNATURE on private key id=06 \\(BPKEY\\) in reader 'Virtual PCD 00 00': " \
    "bad signature answer: brainpool key too" "$TOOL" sign --label BPKEY --in "$msg"
is "bad signature answer: brainpool exits 8" "$LAST_RC" 8
ok "bad signature answer: pubkey is unaffected" "$TOOL" pubkey --label DEVKEY

# ---- a card that lies: well-formed signatures that are wrong are not written
for kind in sig-random sig-r-zero sig-s-zero sig-r-order sig-short; do
    fault "$kind"
    rm -f "$WORK/sig"
    fails "iotsafe-tool: malformed card answer: card returned an invalid signature for private key id=01 \\(DEVKEY\\) in reader 'Virtual PCD 00 00': it does not verify with the key's public key" \
        "$kind: sign" "$TOOL" sign --label DEVKEY --in "$msg" --out "$WORK/sig"
    is "$kind: sign exits 8" "$LAST_RC" 8
    ok "$kind: nothing written" test ! -s "$WORK/sig"
done
fault none
ok "honest card: sign" "$TOOL" sign --label DEVKEY --in "$msg" --out "$WORK/sig"
ok "and the signature verifies on the card" "$TOOL" verify --label DEVKEY --in "$msg" --sig "$WORK/sig"

# ---- GET RANDOM with fewer bytes than asked: libiotsafe asks again for the
# rest, so halving answers end in an empty one
fault short-random
fails "iotsafe-tool: malformed card answer: GET RANDOM in reader 'Virtual PCD 00 00': malformed card answer: no random bytes returned" \
    "short random: random 16" "$TOOL" random 16
is "short random: exits 8" "$LAST_RC" 8
ok "short random: sign is unaffected" "$TOOL" sign --label DEVKEY --in "$msg" --out "$WORK/sig"

# ---- several at once, then none
fault bad-pubkey,bad-signature
fails 'READ PUBLIC KEY' "two faults: pubkey" "$TOOL" pubkey --label DEVKEY
fails 'COMPUTE SIGNATURE' "two faults: sign" "$TOOL" sign --label DEVKEY --in "$msg"
fault none
ok "fault=none: pubkey works again" "$TOOL" pubkey --label DEVKEY
ok "fault=none: sign works again" "$TOOL" sign --label DEVKEY --in "$msg" --out "$WORK/sig"

done_testing
