#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# iotsafe-tool through a (simulated) modem: AT+CSIM and AT+CCHO/AT+CGLA, 61xx
# passed through the modem, modem dialects, locking between processes,
# reconnection after the modem comes back, and clear errors.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
. "$SOURCE_ROOT/test/e2e/modem-lib.sh"
line_program openssl "iotsafe-tool=$TOOL"

data=$SOURCE_ROOT/test/data
msg=$WORK/msg.txt
printf 'IoT SAFE through a modem\n' >"$msg"
cert_hex=$(cert_der_hex "$data/devcert.pem")

# list, pubkey, sign + openssl verify, read-file in one mode; $1 names the run.
tool_round() {
    local tag=$1
    shift
    ok "$tag: list" "$TOOL" "$@" list
    like "$tag: list shows DEVKEY" "$LAST_OUT" 'private-key id=01 label=DEVKEY'
    like "$tag: list shows DEVCERT" "$LAST_OUT" 'file +id=02 label=DEVCERT'
    ok "$tag: pubkey" to_file "$WORK/pub-$tag.pem" "$TOOL" "$@" pubkey --label DEVKEY
    is "$tag: public key is DEVKEY" "$(spki_hex "$WORK/pub-$tag.pem")" "$DEVKEY_SPKI_HEX"
    ok "$tag: sign" "$TOOL" "$@" sign --label DEVKEY --in "$msg" --out "$WORK/sig-$tag.der"
    ok "$tag: openssl verifies the signature" \
        ossl dgst -sha256 -verify "$WORK/pub-$tag.pem" -signature "$WORK/sig-$tag.der" "$msg"
    ok "$tag: sign with the brainpool key" "$TOOL" "$@" sign --label BPKEY --in "$msg" --out "$WORK/bp-$tag.der"
    ok "$tag: read-file DEVCERT" "$TOOL" "$@" read-file --label DEVCERT --out "$WORK/cert-$tag.pem"
    is "$tag: certificate equals test/data/devcert.pem" "$(cert_der_hex "$WORK/cert-$tag.pem")" "$cert_hex"
}

modem_up
tool_round csim --modem "$MODEM"
tool_round cgla --modem "$MODEM" --at-mode cgla
tool_round csim-explicit --modem "$MODEM" --at-mode csim

# CGLA: the modem opened the channel and selected; the tool sent CLA with channel bits 0.
ok "cgla: traced random" "$TOOL" --modem "$MODEM" --at-mode cgla --trace random 8
trace=$LAST_OUT
like "cgla: GET RANDOM goes out with CLA 80" "$trace" 'iotsafe: > 80 84 00 00 08'
is "cgla: no MANAGE CHANNEL or SELECT from the host" \
    "$(grep -cE '^iotsafe: > .. (70|A4) ' <<<"$trace")" 0
like "cgla: the modem put the channel into CLA" "$(tail -n 40 "$WORK/sim.log")" 'iotsafe-sim: > 8[1-3]840000'
# CSIM: the host opens its own logical channel.
ok "csim: traced random" "$TOOL" --modem "$MODEM" --trace random 8
like "csim: the host sends MANAGE CHANNEL" "$LAST_OUT" 'iotsafe: > 00 70 00 00 01'
like "csim: then SELECT on that channel" "$LAST_OUT" 'iotsafe: > 0[1-3] A4 04 00 07 A0 00 00 05 59 00 10'
is "every AT+CCHO was closed with AT+CCHC" "$(sim_log_count 'modem AT\+CCHC')" "$(sim_log_count 'modem AT\+CCHO$')"

# T=0 behaviour through the modem: 61xx comes back to the host, which sends GET RESPONSE.
modem_down
modem_up --set t0=yes
for mode in csim cgla; do
    ok "t0 $mode: traced sign" "$TOOL" --modem "$MODEM" --at-mode "$mode" --trace \
        sign --label DEVKEY --in "$msg" --out "$WORK/sig-t0-$mode.der"
    like "t0 $mode: the card answered 61xx" "$LAST_OUT" 'iotsafe: < 61 [0-9A-F]{2}'
    like "t0 $mode: the host fetched it with GET RESPONSE" "$LAST_OUT" 'iotsafe: > 8[0-3] C0 00 00'
    ok "t0 $mode: signature verifies" \
        ossl dgst -sha256 -verify "$WORK/pub-csim.pem" -signature "$WORK/sig-t0-$mode.der" "$msg"
    ok "t0 $mode: pubkey" to_file "$WORK/pub-t0-$mode.pem" "$TOOL" --modem "$MODEM" --at-mode "$mode" pubkey --id 01
    is "t0 $mode: public key is DEVKEY" "$(spki_hex "$WORK/pub-t0-$mode.pem")" "$DEVKEY_SPKI_HEX"
    ok "t0 $mode: read-file" "$TOOL" --modem "$MODEM" --at-mode "$mode" read-file --id 02 --out "$WORK/cert-t0-$mode.pem"
    is "t0 $mode: certificate intact" "$(cert_der_hex "$WORK/cert-t0-$mode.pem")" "$cert_hex"
done

# A chattier modem: echo on, hex without quotes, unsolicited lines and repeated answers.
modem_down
modem_up --modem-echo --modem-unquoted --modem-noise --set t0=yes
tool_round noisy-csim --modem "$MODEM"
tool_round noisy-cgla --modem "$MODEM" --at-mode cgla

# Two processes share the modem: the device lock keeps their AT commands apart.
"$TOOL" --modem "$MODEM" sign --label DEVKEY --in "$msg" --repeat 15 --out "$WORK/par1.der" \
    >"$WORK/par1.log" 2>&1 &
p1=$!
"$TOOL" --modem "$MODEM" --at-mode cgla sign --label GENKEY --in "$msg" --repeat 15 \
    --out "$WORK/par2.der" >"$WORK/par2.log" 2>&1 &
p2=$!
wait "$p1"
is "parallel signer 1 succeeds" "$?" 0
wait "$p2"
is "parallel signer 2 succeeds" "$?" 0
ok "signer 1's signature verifies" ossl dgst -sha256 -verify "$WORK/pub-csim.pem" -signature "$WORK/par1.der" "$msg"
ok "GENKEY pubkey" to_file "$WORK/gen.pem" "$TOOL" --modem "$MODEM" pubkey --label GENKEY
ok "signer 2's signature verifies" ossl dgst -sha256 -verify "$WORK/gen.pem" -signature "$WORK/par2.der" "$msg"

# The modem goes away and comes back (USB re-enumeration) while the tool idles
# between two signatures: it reopens the modem and goes on. (A modem lost in
# the middle of COMPUTE SIGNATURE UPDATE fails that signature instead: it is
# never sent again, see card-deadlines.sh.) The restart waits for the first
# signature's --stats line, so it falls in the 1 s pause after it.
for mode in csim cgla; do
    "$TOOL" --modem "$MODEM" --at-mode "$mode" sign --label DEVKEY --in "$msg" --repeat 4 \
        --interval 1000 --stats --out "$WORK/re-$mode.der" >"$WORK/re-$mode.log" 2>&1 &
    pt=$!
    for _ in $(seq 200); do
        grep -q 'iotsafe-tool: signature 1:' "$WORK/re-$mode.log" && break
        sleep 0.02
    done
    modem_down
    before=$(wc -l <"$WORK/sim.log")
    modem_up --set t0=yes
    wait "$pt"
    rc=$?
    is "$mode: signing survives a modem restart" "$rc" 0
    [ "$rc" = 0 ] || sed 's/^/# /' "$WORK/re-$mode.log"
    like "$mode: the tool went on signing on the restarted modem" \
        "$(tail -n +"$((before + 1))" "$WORK/sim.log")" 'iotsafe-sim: > 8[0-3]2B80'
    ok "$mode: last signature verifies" ossl dgst -sha256 -verify "$WORK/pub-csim.pem" -signature "$WORK/re-$mode.der" "$msg"
done

# Errors.
fails 'cannot open modem device .*/nonexistent/tty' "missing device: clear message" \
    "$TOOL" --modem "$WORK/nonexistent/tty" list
is "missing device: exit code 3" "$LAST_RC" 3
fails 'not a serial device' "a regular file is not a modem" "$TOOL" --modem "$msg" list
is "not a modem: exit code 3" "$LAST_RC" 3
fails 'needs --modem' "--at-mode alone is refused" "$TOOL" --at-mode cgla list
is "exit code 2" "$LAST_RC" 2
fails 'exclude each other' "--modem with --reader is refused" "$TOOL" --modem "$MODEM" --reader x list
fails "must be csim or cgla" "bad --at-mode" "$TOOL" --modem "$MODEM" --at-mode foo list
fails 'cannot open a channel to the IoT SAFE applet.*\+CME ERROR: 3' "cgla: wrong AID" \
    "$TOOL" --modem "$MODEM" --at-mode cgla --aid A0000005590099 list
is "cgla wrong AID: exit code 5" "$LAST_RC" 5
fails '6A82' "csim: wrong AID" "$TOOL" --modem "$MODEM" --aid A0000005590099 list
is "csim wrong AID: exit code 5" "$LAST_RC" 5
fails 'unknown object' "unknown label through the modem" "$TOOL" --modem "$MODEM" --at-mode cgla pubkey --label NOPE
is "unknown label: exit code 6" "$LAST_RC" 6
modem_down
fails 'cannot open modem device' "modem gone: clear message" "$TOOL" --modem "$MODEM" list
is "modem gone: exit code 3" "$LAST_RC" 3

done_testing
