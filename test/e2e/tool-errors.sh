#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool error paths: message and exit code for each, plus reset/removal recovery.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program openssl "iotsafe-tool=$TOOL"

msg=$WORK/msg
printf 'error test\n' >"$msg"

# raw DESC: the last output holds no ESC or BEL byte (user text is escaped).
raw() {
    case $LAST_OUT in
    *$'\e'* | *$'\a'*) is "$1: no raw ESC or BEL" "$(printf '%s' "$LAST_OUT" | od -An -c)" "no control bytes" ;;
    *) is "$1: no raw ESC or BEL" "no control bytes" "no control bytes" ;;
    esac
}

# No PC/SC service: before card_up the harness's socket does not exist.
fails 'iotsafe-tool: no PC/SC service' "no pcscd: clear message" "$TOOL" list
is "no pcscd: exit code 3" "$LAST_RC" 3
fails 'iotsafe-tool: no PC/SC service' "no pcscd (list --readers)" "$TOOL" list --readers
is "no pcscd (list --readers): exit code 3" "$LAST_RC" 3
# The reader the user asked for is quoted escaped, whatever the error.
fails 'iotsafe-tool: no PC/SC service \(is pcscd running\?\): \\x1b\[31mX\\x07: ' \
    "no pcscd, hostile --reader: shown escaped" "$TOOL" --reader $'\e[31mX\a' list
raw "no pcscd, hostile --reader"
fails 'iotsafe-tool: no reader: cannot open modem device .\\x1b\]0;T\\x07/nonexistent.: ' \
    "hostile --modem: shown escaped" "$TOOL" --modem $'\e]0;T\a/nonexistent' list
raw "hostile --modem"

card_up

fails 'iotsafe-tool: no reader: no reader matches .\\x1b\[31mX\\x07. \(readers: ' \
    "unknown hostile --reader: shown escaped" "$TOOL" --reader $'\e[31mX\a' list
is "unknown hostile --reader: exit code 3" "$LAST_RC" 3
raw "unknown hostile --reader"

# No card: simulator stopped, the reader is empty.
sim_stop
fails 'iotsafe-tool: no card' "no card: clear message" "$TOOL" --reader "Virtual PCD 00 00" list
is "no card: exit code 4" "$LAST_RC" 4
fails 'iotsafe-tool: no card' "no card, default reader selection" "$TOOL" list
is "no card (default reader): exit code 4" "$LAST_RC" 4

# Applet absent: the card only knows another AID and answers 6A82.
sim_start --set aid=A000000559FFFF
fails 'iotsafe-tool: IoT SAFE applet not found.*6A82' "applet absent: clear message" "$TOOL" --reader "Virtual PCD 00 00" list
is "applet absent: exit code 5" "$LAST_RC" 5
fails 'applet not found' "applet absent, default reader selection" "$TOOL" pubkey --label DEVKEY
is "applet absent (default reader): exit code 5" "$LAST_RC" 5
ok "the applet is found under its AID with --aid" "$TOOL" --aid A000000559FFFF list
sim_stop
sim_start

# Unknown object.
fails 'iotsafe-tool: unknown object: no public key or private key matching iotsafe:label=NOPE on the card in reader' "unknown label" "$TOOL" pubkey --label NOPE
is "unknown label: exit code 6" "$LAST_RC" 6
fails 'iotsafe-tool: unknown object: no private key matching iotsafe:id=%7F on the card in reader' "unknown ID" "$TOOL" sign --id 7F --in "$msg"
is "unknown ID: exit code 6" "$LAST_RC" 6

# Usage refused: NOSIGN may only do key agreement (card answers 6985).
fails 'iotsafe-tool: usage refused' "sign with NOSIGN is refused" "$TOOL" sign --label NOSIGN --in "$msg"
is "usage refused: exit code 7" "$LAST_RC" 7

# A key type the tool does not know (the card says 7F): refused before the card
# is asked, with the key named by ID and label and its type (exit 1, unsupported).
ok "GENKEY's public key before" to_file "$WORK/gen-before.pem" "$TOOL" pubkey --label GENKEY
sim_stop
sim_start --set fault=key-type-unknown
ok "unknown key type: list shows it" "$TOOL" list
like "unknown key type: listed as other" "$LAST_OUT" '^private-key +id=01 label=DEVKEY key-type=other '
NOTEC='is not an EC key this tool can use'
fails "iotsafe-tool: unsupported key type: key type 0x7F of private key id=01 \(DEVKEY\) $NOTEC\$" \
    "unknown key type: sign" "$TOOL" sign --label DEVKEY --in "$msg" --stats --out "$WORK/sig-7f"
is "unknown key type: sign exits 1" "$LAST_RC" 1
is "unknown key type: the card was not asked to sign (no --stats line)" \
    "$(printf '%s\n' "$LAST_OUT" | grep -c 'signature 1:')" 0
ok "unknown key type: no signature written" test ! -e "$WORK/sig-7f"
fails "iotsafe-tool: unsupported key type: key type 0x7F of public key id=01 \(DEVKEY\) $NOTEC\$" \
    "unknown key type: pubkey" "$TOOL" pubkey --label DEVKEY
is "unknown key type: pubkey exits 1" "$LAST_RC" 1
fails "iotsafe-tool: unsupported key type: key type 0x7F of private key id=01 \(DEVKEY\) $NOTEC\$" \
    "unknown key type: keyfile" "$TOOL" keyfile --id 01
is "unknown key type: keyfile exits 1" "$LAST_RC" 1
fails "iotsafe-tool: unsupported key type: key type 0x7F of private key id=02 \(GENKEY\) $NOTEC\$" \
    "unknown key type: genkey" "$TOOL" genkey --label GENKEY
is "unknown key type: genkey exits 1" "$LAST_RC" 1
sim_stop
sim_start
ok "GENKEY's public key after" to_file "$WORK/gen-after.pem" "$TOOL" pubkey --label GENKEY
is "unknown key type: genkey refused before the card made a new key" \
    "$(cat "$WORK/gen-after.pem")" "$(cat "$WORK/gen-before.pem")"

# Bad arguments.
fails 'invalid argument' "bad --id" "$TOOL" pubkey --id 0G
is "bad --id: exit code 2" "$LAST_RC" 2
fails 'invalid argument' "bad --hash" "$TOOL" sign --label DEVKEY --in "$msg" --hash md5
is "bad --hash: exit code 2" "$LAST_RC" 2
fails 'invalid argument' "random without a count" "$TOOL" random
fails 'invalid argument' "random 0" "$TOOL" random 0
ok "random 48" "$TOOL" random 48
like "random prints 48 bytes of hex" "$LAST_OUT" '^[0-9a-f]{96}$'

# Reset recovery: another client resets the card while the tool idles between
# two signatures (outside any transaction); the tool reconnects, reselects and
# carries on.
pub=$WORK/pub.pem
ok "pubkey DEVKEY" to_file "$pub" "$TOOL" pubkey --label DEVKEY
"$TOOL" sign --label DEVKEY --in "$msg" --repeat 3 --interval 1000 --stats \
    --out "$WORK/sig-reset.der" >"$WORK/reset.out" 2>&1 &
signer=$!
track_pid "$signer"
sleep 0.4
card_reset
wait "$signer"
rc=$?
is "signing survives a card reset by another client" "$rc" 0
[ "$rc" = 0 ] || diag "$(cat "$WORK/reset.out")"
like "all three signatures were made" "$(cat "$WORK/reset.out")" 'signature 3: '
like "the signature after the reset reselected the applet (more than 2 APDUs)" \
    "$(grep 'signature 2:' "$WORK/reset.out")" 'signature 2: ([3-9]|[1-9][0-9]+) APDUs'
like "and the next one is back to 2 APDUs" "$(grep 'signature 3:' "$WORK/reset.out")" 'signature 3: 2 APDUs'
ok "the signature made after the reset verifies" \
    ossl dgst -sha256 -verify "$pub" -signature "$WORK/sig-reset.der" "$msg"
ok "the next operation works too" "$TOOL" list

# Card removed mid-sequence: the simulator is stopped during a slow signature
# (it still answers the APDU in flight, then goes; the next one finds no card).
sim_stop
sim_start --set latency-sign=1500
"$TOOL" sign --label DEVKEY --in "$msg" --repeat 3 --out "$WORK/sig-gone.der" >"$WORK/gone.out" 2>&1 &
signer=$!
track_pid "$signer"
sleep 0.6
sim_stop
wait "$signer"
rc=$?
like "card removed: non-zero exit code 9 or 4" "$rc" '^(9|4)$'
like "card removed: clear message" "$(cat "$WORK/gone.out")" 'iotsafe-tool: (card removed|no card|card communication failed)'
sim_start
ok "the card works again after re-insertion" "$TOOL" sign --label DEVKEY --in "$msg" --out "$WORK/sig-back.der"
ok "and its signature verifies" ossl dgst -sha256 -verify "$pub" -signature "$WORK/sig-back.der" "$msg"

done_testing
