#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Several processes and threads on one card: all make progress (fair turns,
# one command sequence per PC/SC transaction), and a process killed while it
# holds or waits for its turn does not block the others. No timing is
# asserted; bench/bench_fair measures the stalls.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program "key_holder=$KEY_HOLDER" "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up --set latency-sign=20

pids=()
for i in 1 2 3 4; do
    "$KEY_HOLDER" "$CARD_KEY_URI" sign 30 >"$WORK/p$i.out" 2>&1 &
    pids+=($!)
    track_pid $!
done
for i in 1 2 3 4; do
    wait "${pids[$((i - 1))]}"
    is "process $i of 4 signing at once: all 30 signatures" "$?:$(cat "$WORK/p$i.out")" "0:signed 30"
done

ok "4 processes x 4 threads, every process completes signatures" \
    "$BUILD_ROOT/bench/bench_fair" -p 4 -t 4 -d 3
like "... without errors" "$LAST_OUT" 'errors 0,'
is "... and none of them starved (0 signatures)" \
    "$(printf '%s\n' "$LAST_OUT" | grep -c ': 0 signatures')" 0

# a process killed in the middle of its turns
"$KEY_HOLDER" "$CARD_KEY_URI" sign 100000 >/dev/null 2>&1 &
victim=$!
track_pid "$victim"
sleep 0.5
IOTSAFE_TIMEOUT=10 "$KEY_HOLDER" "$CARD_KEY_URI" sign 20 >"$WORK/b.out" 2>&1 &
b=$!
track_pid "$b"
sleep 0.3
kill -9 "$victim"
wait "$b"
is "a process killed with SIGKILL while sharing the card does not block the others" \
    "$?:$(cat "$WORK/b.out")" "0:signed 20"
ok "and the next process signs too" env IOTSAFE_TIMEOUT=10 "$KEY_HOLDER" "$CARD_KEY_URI" sign 5

done_testing
