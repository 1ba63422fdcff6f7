#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A v2 key file whose card key changed must fail at first use, never sign
# with a key nobody expects. A v2 file is loaded without the card, so the
# check is the one every card signature passes before it is released: it is
# verified against the public point of the key object (here: the point the
# file carries). Two ways the key changes under a file: the key is rotated on
# the card (GENERATE KEY PAIR by another process), or the file meets another
# card that has a key with the same ID and label.
# v1 files name the key only, so they follow the card (checked here too).
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL"

ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}
GEN='iotsafe:label=GENKEY;type=private'
INVALID='card returned an invalid signature'

card_up
printf 'rotation\n' >"$WORK/msg"
ok "v2 key file for GENKEY" openssl pkey -in "$GEN" -out "$WORK/gen-v2.pem"
make_bogus_keyref "$WORK/gen-v1.pem" "$GEN"
ok "it signs before the rotation" openssl dgst -sha256 -sign "$WORK/gen-v2.pem" -out "$WORK/s0" "$WORK/msg"
ok "public key before" openssl pkey -in "$WORK/gen-v2.pem" -pubout -out "$WORK/old.pub"
ok "and the signature verifies" ossl dgst -sha256 -verify "$WORK/old.pub" -signature "$WORK/s0" "$WORK/msg"

# ---- rotation on the same card
ok "another process rotates GENKEY" "$TOOL" genkey --label GENKEY --out "$WORK/new.pub"
ok "the card holds another key" sh -c "! cmp -s '$WORK/old.pub' '$WORK/new.pub'"
IOTSAFE_TRACE=1 openssl pkey -in "$WORK/gen-v2.pem" -pubout -out "$WORK/stale.pub" 2>"$WORK/t1"
is "the stale v2 file still loads (no card I/O)" "$?" 0
is "without any APDU" "$(apdus "$WORK/t1")" 0
fails "$INVALID" "signing with the stale v2 file fails at first use, naming the problem" \
    openssl dgst -sha256 -sign "$WORK/gen-v2.pem" -out "$WORK/s1" "$WORK/msg"
like "the error names the key" "$LAST_OUT" 'GENKEY'
ok "no signature file left behind that could be mistaken for one" sh -c "! test -s '$WORK/s1'"
ok "a v1 file follows the card: it signs with the new key" \
    openssl dgst -sha256 -sign "$WORK/gen-v1.pem" -out "$WORK/s2" "$WORK/msg"
ok "verified with the new public key" ossl dgst -sha256 -verify "$WORK/new.pub" -signature "$WORK/s2" "$WORK/msg"
ok "a new v2 file for the rotated key" openssl pkey -in "$GEN" -out "$WORK/gen-v2b.pem"
ok "signs again" openssl dgst -sha256 -sign "$WORK/gen-v2b.pem" -out "$WORK/s3" "$WORK/msg"
ok "verified with the new public key" ossl dgst -sha256 -verify "$WORK/new.pub" -signature "$WORK/s3" "$WORK/msg"

# ---- the file meets another card (same IDs and labels, other keys)
sim_stop
rm -f "$SIM_STATE"
_H_FRESH_DONE=0 # the next start provisions a new card: GENKEY is generated anew
sim_start
ok "the other card's GENKEY" openssl pkey -in "$GEN" -pubout -out "$WORK/other.pub"
ok "is another key" sh -c "! cmp -s '$WORK/other.pub' '$WORK/new.pub'"
fails "$INVALID" "the v2 file on another card fails at first use" \
    openssl dgst -sha256 -sign "$WORK/gen-v2b.pem" -out "$WORK/s4" "$WORK/msg"
ok "a v1 file names the key, not its value: it signs on the other card" \
    openssl dgst -sha256 -sign "$WORK/gen-v1.pem" -out /dev/null "$WORK/msg"

done_testing
