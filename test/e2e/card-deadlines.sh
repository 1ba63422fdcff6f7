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
line_program "key_holder=$KEY_HOLDER" "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up
READER="Virtual PCD 00 00"
faults() { # lines of the simulator's log for fault KIND on INS
    count_lines "$WORK/sim.log" "fault $1 on INS $2"
}
wait_card() {
    "$BUILD_ROOT/test/e2e/pcsc_wait" --timeout 20000 --aid A0000005590010 >>"$WORK/wait.log" 2>&1
}
# No timing is asserted: "gave up before the card came back" is read from the
# order of events (the process ended while the card's hang was still going on).
hang_over() { # how many hangs the simulator has ended (by dropping the connection)
    count_lines "$WORK/sim.log" 'fault hang: dropping the connection'
}
wait_hang_over() { # wait (max 30 s) until more than $1 hangs have ended
    local i=0
    while [ "$(hang_over)" -le "$1" ] && [ $i -lt 1500 ]; do
        sleep 0.02
        i=$((i + 1))
    done
}

ok "the card signs before any fault" "$KEY_HOLDER" "$CARD_KEY_URI" sign 2

# ---- the card stops answering COMPUTE SIGNATURE for 14 s, then browns out
sim_stop
sim_start --set fault=hang --set fault-ins=2B --set hang-ms=14000
"$KEY_HOLDER" "$CARD_KEY_URI" sign 1 >"$WORK/a.out" 2>&1 &
a=$!
track_pid "$a"
wait_log "$WORK/sim.log" 'fault hang on INS 2B' 20
fails "iotsafe:.*:card did not answer in time:.*waiting for the card in reader '$READER': no turn after 1\.0 s \(another process holds it, or the card does not answer\)" \
    "a second process waiting behind the hung card gives up after its own deadline" \
    env IOTSAFE_TIMEOUT=1 "$KEY_HOLDER" "$CARD_KEY_URI" sign 1
ok "... while the first one is still waiting for the card" kill -0 "$a"
wait "$a"
rc=$?
is "the first process (default deadline) failed" "$rc" 1
like "... naming command, object, reader and time waited" "$(cat "$WORK/a.out")" \
    "iotsafe:.*:card did not answer in time:.*COMPUTE SIGNATURE UPDATE on private key id=01 \(DEVKEY\): no answer from the card in reader '$READER' after 10\.0 s; not sent again \(the card may have executed it\)"
is "... before the card came back" "$(hang_over)" 0
is "COMPUTE SIGNATURE reached the card once" "$(faults hang 2B)" 1
wait_hang_over 0
ok "the card is back after its brown-out" wait_card
ok "... and usable" "$KEY_HOLDER" "$CARD_KEY_URI" sign 2

# ---- the same with `timeout` = 1 s in the environment
sim_stop
sim_start --set fault=hang --set fault-ins=2B --set hang-ms=8000
h0=$(hang_over)
fails "iotsafe:.*:card did not answer in time:.*COMPUTE SIGNATURE UPDATE on private key id=01 \(DEVKEY\): no answer from the card in reader '$READER' after 1\.0 s; not sent again \(the card may have executed it\)" \
    "IOTSAFE_TIMEOUT=1: a hung signature fails after 1 s" \
    env IOTSAFE_TIMEOUT=1 "$KEY_HOLDER" "$CARD_KEY_URI" sign 1
is "... while the card was still hanging" "$(hang_over)" "$h0"
wait_hang_over "$h0"
ok "the card is back" wait_card
ok "after the hang the next process signs" env IOTSAFE_TIMEOUT=1 "$KEY_HOLDER" "$CARD_KEY_URI" sign 2

# In one process: the handle is reset after the deadline and the next operation works.
. "$SOURCE_ROOT/test/e2e/card-session.sh"
sim_stop
sim_start --set fault=hang --set fault-ins=2B --set hang-ms=4000
h0=$(hang_over)
session_start IOTSAFE_TIMEOUT=1
session load "$CARD_KEY_URI"
like "a long-running process loads the key" "$REPLY_LINE" '^loaded 04'
session sign
is "its signature times out" "$REPLY_LINE" "sign FAILED"
like "... with the deadline's message" "$(cat "$SESSION_ERR")" "no answer from the card in reader '$READER' after 1\.0 s"
wait_hang_over "$h0"
ok "the card is back" wait_card
session sign
is "the same handle signs again" "$REPLY_LINE" "sign ok"
session sign
is "... and again" "$REPLY_LINE" "sign ok"
session_stop
is "the process exits cleanly" "$SESSION_RC" 0

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
