#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# A long-running process sees a key that ANOTHER process regenerated, on its
# next load (issue 4): every key load, by URI (store) or key file (decoder),
# starts from the card instead of the card handle's cache. The cost: the
# object list and one public key read per load; nothing more per signature.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/card-session.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL" "card_session=$CARD_SESSION"

card_up
GEN='iotsafe:label=GENKEY;type=private'

# The uncompressed point of a PEM public key (P-256: the last 65 bytes of the SPKI).
point_of() {
    openssl pkey -pubin -in "$1" -outform DER | tail -c 65 | od -An -v -tx1 | tr -d ' \n'
}
# Outgoing APDUs with instruction byte $1 in the session's trace after line $2.
traced() {
    tail -n +"$(($2 + 1))" "$SESSION_ERR" | grep -cE "^iotsafe: > [0-9A-F]{2} $1( |$)"
}
lines() {
    wc -l <"$SESSION_ERR"
}

ok "key file naming GENKEY" openssl pkey -in "$GEN" -out "$WORK/gen-key.pem"
ok "GENKEY's public key before" sh -c "openssl pkey -in '$GEN' -pubout >'$WORK/old.pem'"
old=$(point_of "$WORK/old.pem")
like "old point read" "$old" '^04[0-9a-f]{128}$'

session_start IOTSAFE_TRACE=1
session load "$GEN"
is "long-running process: load GENKEY by URI" "$REPLY_LINE" "loaded $old"
session load "$WORK/gen-key.pem"
is "long-running process: load GENKEY's key file" "$REPLY_LINE" "loaded $old"
# No signature yet: a card may refuse to regenerate a key that has a
# signature session open on another process's channel (the simulator does).

ok "another process regenerates GENKEY" "$TOOL" genkey --label GENKEY --out "$WORK/new.pem"
new=$(point_of "$WORK/new.pem")
like "new point read" "$new" '^04[0-9a-f]{128}$'
ok "the card holds a new key" test "$new" != "$old"

base=$(lines)
session load "$GEN"
is "reload by URI sees the new key" "$REPLY_LINE" "loaded $new"
is "a load by URI reads one public key" "$(traced CD "$base")" 1
is "a load by URI selects nothing again" "$(traced A4 "$base")" 0
base=$(lines)
session load "$WORK/gen-key.pem"
is "reload of the key file sees the new key" "$REPLY_LINE" "loaded $new"
is "a key file load reads one public key (resolved once, not per decoder stage)" \
    "$(traced CD "$base")" 1

# Once more, with the key file first: no order dependence between the two paths.
ok "another process regenerates GENKEY again" "$TOOL" genkey --label GENKEY --out "$WORK/new2.pem"
new2=$(point_of "$WORK/new2.pem")
like "second new point read" "$new2" '^04[0-9a-f]{128}$'
ok "the card holds another new key" test "$new2" != "$new"
session load "$WORK/gen-key.pem"
is "key file reload sees the second new key" "$REPLY_LINE" "loaded $new2"
session load "$GEN"
is "URI reload sees the second new key" "$REPLY_LINE" "loaded $new2"
base=$(lines)
session sign
is "the reloaded key signs (verified with the new public key)" "$REPLY_LINE" "sign ok"
is "a signature costs two APDUs" "$(tail -n +"$((base + 1))" "$SESSION_ERR" | grep -c '^iotsafe: >')" 2
session_stop
is "the long-running process exits cleanly" "$SESSION_RC" 0
ok "no private key material in the session's trace" \
    sh -c "! grep -qi 'c9 af a9 d8 45 ba 75 16' '$SESSION_ERR'"

done_testing
