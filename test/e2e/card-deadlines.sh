#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Deadlines and the retry rule through pcscd, with the simulator's fault modes:
#  - hang: the card stops answering while vpcd keeps the connection. The
#    operation fails after `timeout` seconds naming command, object, reader and
#    the time waited; a second process is not left blocked; once the card is
#    back the next operation works.
#  - drop: the card executes the command and the connection drops before the
#    answer. COMPUTE SIGNATURE is sent exactly once (never re-sent silently);
#    a read (GET DATA) is retried transparently.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"

card_up
READER="Virtual PCD 00 00"
faults() { # lines of the simulator's log for fault KIND on INS
    count_lines "$WORK/sim.log" "fault $1 on INS $2"
}
elapsed_ok() { # SECONDS-based check: START MAX
    [ $(($(date +%s) - $1)) -le "$2" ]
}

ok "the card signs before any fault" "$KEY_HOLDER" "$CARD_KEY_URI" sign 2

# ---- the card stops answering COMPUTE SIGNATURE for 6 s, then browns out
sim_stop
sim_start --set fault=hang --set fault-ins=2B --set hang-ms=11000
t0=$(date +%s)
"$KEY_HOLDER" "$CARD_KEY_URI" sign 1 >"$WORK/a.out" 2>&1 &
a=$!
track_pid "$a"
sleep 0.5
t1=$(date +%s)
fails "iotsafe:.*:card did not answer in time:.*waiting for the card in reader '$READER': no turn after 1\.0 s \(another process holds it, or the card does not answer\)" \
    "a second process waiting behind the hung card gives up after its deadline" \
    env IOTSAFE_TIMEOUT=1 "$KEY_HOLDER" "$CARD_KEY_URI" sign 1
ok "... within 3 s" elapsed_ok "$t1" 3
wait "$a"
rc=$?
is "the first process (default deadline) failed" "$rc" 1
like "... naming command, object, reader and time waited" "$(cat "$WORK/a.out")" \
    "iotsafe:.*:card did not answer in time:.*COMPUTE SIGNATURE UPDATE on private key id=01 \(DEVKEY\): no answer from the card in reader '$READER' after 10\.0 s; not sent again \(the card may have executed it\)"
is "COMPUTE SIGNATURE reached the card once" "$(faults hang 2B)" 1
wait_card() {
    "$BUILD_ROOT/test/e2e/pcsc_wait" --timeout 20000 --aid A0000005590010 >>"$WORK/wait.log" 2>&1
}
sleep 1.5
ok "the card is back after its brown-out" wait_card
ok "... and usable" "$KEY_HOLDER" "$CARD_KEY_URI" sign 2

# ---- the same with `timeout` = 1 s in the environment
sim_stop
sim_start --set fault=hang --set fault-ins=2B --set hang-ms=3000
t0=$(date +%s)
fails "iotsafe:.*:card did not answer in time:.*COMPUTE SIGNATURE UPDATE on private key id=01 \(DEVKEY\): no answer from the card in reader '$READER' after 1\.0 s; not sent again \(the card may have executed it\)" \
    "IOTSAFE_TIMEOUT=1: a hung signature fails after 1 s" \
    env IOTSAFE_TIMEOUT=1 "$KEY_HOLDER" "$CARD_KEY_URI" sign 1
ok "... within 3 s, not after the card's 3 s hang" elapsed_ok "$t0" 2
sleep 3
ok "after the hang the next process signs" env IOTSAFE_TIMEOUT=1 "$KEY_HOLDER" "$CARD_KEY_URI" sign 2

# In one process: the handle is reset after the deadline and the next operation works.
sim_stop
sim_start --set fault=hang --set fault-ins=2B --set hang-ms=1500
session_cmds() {
    printf 'load %s\nsign\n' "$CARD_KEY_URI"
    sleep 2.5
    printf 'sign\nsign\nquit\n'
}
session_cmds | IOTSAFE_TIMEOUT=1 "$BUILD_ROOT/test/provider/card_session" >"$WORK/s.out" 2>"$WORK/s.err"
is "one process: timeout, then the same handle signs again" \
    "$(sed 's/^loaded 04[0-9a-f]*$/loaded/' "$WORK/s.out" | tr '\n' ' ')" \
    "loaded sign FAILED sign ok sign ok "
like "... with the deadline's message" "$(cat "$WORK/s.err")" "no answer from the card in reader '$READER' after 1\.0 s"

# ---- connection dropped during COMPUTE SIGNATURE, every time
sim_stop
sim_start --set fault=drop --set fault-ins=2B --set fault-count=0
fails "iotsafe:.*COMPUTE SIGNATURE UPDATE on private key id=01 \(DEVKEY\): the card in reader '$READER' went away during the command; not sent again \(the card may have executed it\)" \
    "a dropped signature fails at once" "$KEY_HOLDER" "$CARD_KEY_URI" sign 1
is "COMPUTE SIGNATURE was sent exactly once (no library or provider retry)" "$(faults drop 2B)" 1

# ---- connection dropped during a read: safe to send again, transparent
sim_stop
sim_start --set fault=drop --set fault-ins=CB --set fault-count=1
ok "a dropped GET DATA is retried and the operation succeeds" "$KEY_HOLDER" "$CARD_KEY_URI" sign 1
is "GET DATA was dropped once" "$(faults drop CB)" 1

done_testing
