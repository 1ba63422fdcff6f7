#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Untrusted text is escaped before it reaches a message or a listing: a label
# on the card made of ESC sequences, BEL, a newline (to forge a second line)
# and NUL, hostile URIs, attribute names and reader names. The exact escaped
# form is asserted, and no control byte reaches the output.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL"

card_up
# The NOSIGN key pair (id 07, key agreement only) gets a hostile label in the
# card's state file: ESC[2J ESC[31m PWNED BEL LF "forged" NUL "x".
sim_stop
sed -i 's/^label = 4E4F5349474E$/label = 1B5B324A1B5B33316D50574E4544070A666F726765640078/I' "$SIM_STATE"
is "both halves of NOSIGN relabelled" "$(grep -c '^label = 1B5B324A' "$SIM_STATE")" 2
sim_start
ESCAPED='\x1b[2J\x1b[31mPWNED\x07\x0aforged\x00x'
msg=$WORK/msg
printf 'hostile text\n' >"$msg"

# has DESC TEXT: the last command's output holds TEXT verbatim.
has() {
    if printf '%s' "$LAST_OUT" | grep -qF -- "$2"; then ok "$1" true; else
        ok "$1" sh -c "printf '%s\n' 'output lacks: $2'; printf '%s\n' \"\$1\"; false" sh "$LAST_OUT"
    fi
}
# clean DESC: no ESC, BEL or NUL in the last output, no line starting with "forged".
clean() {
    ok "$1: no control bytes" sh -c "! printf '%s' \"\$1\" | grep -q \$'[\\a\\033]'" sh "$LAST_OUT"
    ok "$1: no forged line" sh -c "! printf '%s\n' \"\$1\" | grep -q '^forged'" sh "$LAST_OUT"
}

ok "the card lists the hostile label (iotsafe-tool list)" "$TOOL" list
has "tool list: label escaped" "$ESCAPED"
clean "tool list"

fails 'may not be used for signing' "provider: signing with the hostile-label key is refused" \
    openssl dgst -sha256 -sign 'iotsafe:id=%07' -out "$WORK/s" "$msg"
has "provider message: label escaped" "private key id=07 ($ESCAPED) may not be used for signing"
clean "provider message"

fails 'COMPUTE SIGNATURE on private key id=07' "tool: the card refuses to sign" \
    "$TOOL" sign --id 07 --in "$msg"
has "libiotsafe message: label escaped" \
    "COMPUTE SIGNATURE on private key id=07 ($ESCAPED) in reader 'Virtual PCD 00 00': card answered 6985"
clean "libiotsafe message"

# the tool's own messages name the key the same way
sim_stop
sim_start --set fault=key-type-unknown
fails 'unsupported key type' "tool: a key type it does not know" "$TOOL" sign --id 07 --in "$msg"
has "tool message: label escaped" \
    "unsupported key type: key type 0x7F of private key id=07 ($ESCAPED) is not an EC key this tool can use"
clean "tool message"
sim_stop
sim_start

# ---- hostile URIs: attribute names, values, reader names
fails 'malformed URI' "URI with an ESC in an attribute name" openssl pkey -in $'iotsafe:\e[2J=1' -pubout
has "URI and attribute name escaped" \
    "malformed URI 'iotsafe:\\x1b[2J=1': unknown attribute '\\x1b[2J' (known: id, label, type, reader)"
clean "hostile attribute name"
fails 'malformed URI' "URI with a newline in a value" openssl pkey -in $'iotsafe:type=pri\nforged' -pubout
has "value escaped" "malformed URI 'iotsafe:type=pri\\x0aforged'"
clean "hostile value"
fails "no private key matching" "percent-encoded hostile label: shown percent-encoded" \
    openssl pkey -in 'iotsafe:label=%1B%5B2J%07' -pubout
has "label in the URI form" "no private key matching iotsafe:label=%1B%5B2J%07 on the card"
clean "hostile label in a URI"
fails "no reader matches" "hostile reader name" openssl pkey -in 'iotsafe:label=DEVKEY;reader=%1B%5B2J%07' -pubout
has "reader name escaped" "no reader matches '\\x1b[2J\\x07' (readers: 'Virtual PCD 00 00'"
clean "hostile reader"
fails "invalid URI" "tool: hostile URI" "$TOOL" pubkey --uri $'iotsafe:\e]0;title\a=1'
has "tool: URI escaped" "invalid URI 'iotsafe:\\x1b]0;title\\x07=1'"
clean "tool: hostile URI"

done_testing
