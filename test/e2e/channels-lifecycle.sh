#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Logical channels on a SIM-sized card (basic + 3): programs that exit with a
# card key loaded (no provider teardown), forked children, the openssl CLI and
# processes killed with SIGKILL must not cost the card a channel for good;
# when live processes hold them all, `channel-exhausted` decides (fail naming
# the card's 6A81, or share the basic channel). The census comes from the
# simulator's log ("channels open: ..."), i.e. from the card itself.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/channels-common.sh"
line_program openssl "key_holder=$KEY_HOLDER" "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up

hold_card
is "a long-running process holds the key" "$HOLD_LINES" "signed holding"
base=$(census)
is "census: the holder's channel" "$base" "1"
powered=$(power_events)
# Until the last part, running out of channels is an error: no silent fallback
# to the basic channel can hide a leak.
export IOTSAFE_CHANNEL_EXHAUSTED=fail

# ---- exits without provider teardown
for i in 1 2 3 4 5; do
    ok "exit() with the key loaded, no OpenSSL cleanup ($i)" "$KEY_HOLDER" "$CARD_KEY_URI" exit
done
is "census after 5 such exits" "$(census)" "$base"

ok "a forked child signs and exits; the parent still signs on its channel" \
    "$KEY_HOLDER" "$CARD_KEY_URI" fork
is "fork: both signed" "$LAST_OUT" "signed
child signed, parent signed"
is "census after fork + exits" "$(census)" "$base"

for i in 1 2 3; do
    ok "openssl pkey -pubout ($i)" openssl pkey -in "$CARD_KEY_URI" -pubout -out "$WORK/pub.pem"
    ok "openssl pkeyutl -sign ($i)" sh -c "printf '%32s' x | openssl pkeyutl -sign -inkey '$CARD_KEY_URI' -out '$WORK/sig.bin'"
done
keyfile=$WORK/card-key.pem
ok "key-reference file" "$TOOL" keyfile --label DEVKEY --out "$keyfile"
for i in 1 2 3; do
    ok "openssl s_client-style load of the key-reference PEM ($i)" \
        openssl pkey -in "$keyfile" -pubout -out "$WORK/pub2.pem"
done
issue_cert server localhost server
port=$(free_port)
start_s_server "$port" "$WORK/server.out" "$WORK/server.log" -rev
for i in 1 2 3; do
    ok "openssl s_client with the card key for client authentication ($i)" \
        openssl s_client -connect "127.0.0.1:$port" -verify_return_error -CAfile "$CA_CERT" \
        -cert "$DEVCERT" -key "$CARD_KEY_URI"
done
stop_spawned "$SPAWNED_PID"
is "census after the openssl commands (pkey, pkeyutl, s_client)" "$(census)" "$base"

# ---- SIGKILL: no handler runs; the next process that finds the card full recovers
for i in 1 2 3 4 5 6; do
    "$KEY_HOLDER" "$CARD_KEY_URI" kill >"$WORK/kill.out" 2>&1
    is "killed process $i signed, then died by SIGKILL" "$?:$(cat "$WORK/kill.out")" "137:signed"
done
like "census after 6 killed processes: at most the 2 free channels are left to the dead" \
    "$(census)" '^1( [23]){0,2}$'
ok "a new process still gets a channel and signs" "$KEY_HOLDER" "$CARD_KEY_URI" exit
ok "and the one after it" "$KEY_HOLDER" "$CARD_KEY_URI" fork
like "channels of killed processes were closed by their successors" \
    "$(grep -a -c 'channels open: 1 (command)' "$WORK/sim.log")" '^[1-9][0-9]*$'

# A dead owner whose pid came back as another process (pid reuse): the start
# time in the record tells them apart. Two processes hold channels 2 and 3 and
# are killed; their record lines are then forged to name the holder's live pid
# with another start time: the next process must still reclaim both.
mkfifo "$WORK/dead.in"
"$KEY_HOLDER" "$CARD_KEY_URI" hold <"$WORK/dead.in" >"$WORK/d2.out" 2>&1 &
d2=$!
"$KEY_HOLDER" "$CARD_KEY_URI" hold <"$WORK/dead.in" >"$WORK/d3.out" 2>&1 &
d3=$!
exec {dead_in}>"$WORK/dead.in" # their stdin stays open until they are killed
track_pid "$d2"
track_pid "$d3"
for i in $(seq 300); do
    grep -q holding "$WORK/d2.out" && grep -q holding "$WORK/d3.out" && break
    sleep 0.1
done
{ kill -9 "$d2" "$d3" && wait "$d2" "$d3"; } 2>/dev/null
exec {dead_in}>&-
like "the card is full again (two dead owners)" "$(census)" '^1 2 3$'
rec=$(grep -l "^1 $HOLD_PID " "$STATE_DIR"/channels-* 2>/dev/null | head -n 1)
ns=$(stat -Lc %i /proc/self/ns/pid)
if [ -n "$rec" ]; then
    grep -v '^[23] ' "$rec" >"$WORK/rec.new"
    echo "2 $HOLD_PID 1 $ns" >>"$WORK/rec.new"
    echo "3 $HOLD_PID 1 $ns" >>"$WORK/rec.new"
    cat "$WORK/rec.new" >"$rec"
    ok "records naming a live pid with another start time are reclaimed" \
        "$KEY_HOLDER" "$CARD_KEY_URI" exit
    is "... both channels closed" "$(census)" "1"
else
    _h_report 0 "the channel record of this card exists"
fi

# ---- every channel held by a live process: channel-exhausted decides
unset IOTSAFE_CHANNEL_EXHAUSTED
start_holder H2
start_holder H3
is "three live processes hold the three channels" "$(census)" "1 2 3"

fails 'MANAGE CHANNEL \(open\) on the card in reader .Virtual PCD 00 00.: card answered 6A81 \(function not supported\): no free logical channel \(channel-exhausted=fail\)' \
    "channel-exhausted=fail: the card's 6A81 is reported" \
    env IOTSAFE_CHANNEL_EXHAUSTED=fail "$KEY_HOLDER" "$CARD_KEY_URI" exit
ok "default (auto) on a PC/SC reader: the basic channel is shared" \
    env IOTSAFE_TRACE=1 "$KEY_HOLDER" "$CARD_KEY_URI" sign 3
like "... SELECT on the basic channel before each operation" "$LAST_OUT" '00 A4 04 00 07 A0 00 00 05 59 00 10'
is "... one SELECT per card operation (3 to load the key, 1 + 3 signatures)" \
    "$(grep -c '^iotsafe: > 00 A4 04 00 07 A0 00 00 05 59 00 10' <<<"$LAST_OUT")" 7
is "... a logical channel asked for once, not before every operation (at most once a second)" \
    "$(grep -c '^iotsafe: > 00 70 00 00' <<<"$LAST_OUT")" 1
ok "channel-exhausted=basic works the same" \
    env IOTSAFE_CHANNEL_EXHAUSTED=basic "$KEY_HOLDER" "$CARD_KEY_URI" sign 2
STOPPED=
stop_holder H2 # stdin closes: they exit(0) with the key loaded
stop_holder H3
is "the two extra holders exited normally" "$STOPPED" "0 0"
is "... and closed their channels at exit" "$(census)" "1"
is "no power event hid anything during the test" "$(power_events)" "$powered"

done_testing
