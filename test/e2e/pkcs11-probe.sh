#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The PKCS#11 module as a program drives it through its function list, where
# pkcs11-tool cannot show a fact: the interfaces, attributes a card key cannot
# have, a removed card ending its sessions (new ones work when it is back), a
# reset card reselected in the same session, fork(), and threads x sessions x
# processes sharing the card. p11_probe stands for that program: it links no
# OpenSSL, so this runs on every line the module is built for.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/channels-common.sh"
SIM_VERBOSE=1
line_program "iotsafe-pkcs11.so=$P11_MODULE"
card_up
cd "$WORK" || exit 1
unset OPENSSL_CONF
PROBE=("$P11_PROBE" "$P11_MODULE")
sigs() { grep -cE '^iotsafe-sim: > [0-9A-F]{2}2B' "$WORK/sim.log"; }
mkfifo ctl
exec 7<>ctl

# ---- the module itself: interfaces, no login, a private key's value never given
ok "PKCS#11 3.0 interface list" "${PROBE[@]}" info
like "one interface, PKCS 11, with the 2.40 function list" "$LAST_OUT" "interface 'PKCS 11' version 2\\.40"
like "no login required" "$LAST_OUT" 'login required no'
ok "a private key's attributes" "${PROBE[@]}" attrs
like "CKA_VALUE is sensitive, never given" "$LAST_OUT" 'CKA_VALUE CKR_ATTRIBUTE_SENSITIVE len unavailable'
like "RSA attributes do not exist on an EC key" "$LAST_OUT" 'CKA_MODULUS CKR_ATTRIBUTE_TYPE_INVALID len unavailable'
like "CKA_EC_PARAMS does" "$LAST_OUT" 'CKA_EC_PARAMS CKR_OK len given'

# ---- removal: the signature fails, the session ends, a new one works when the card is back
"${PROBE[@]}" removal <ctl >removal.out 2>&1 &
pid=$!
track_pid "$pid"
wait_for() { for _ in $(seq 100); do grep -q "$1" removal.out && return 0; sleep 0.1; done; return 1; }
ok "signed before the removal" wait_for '^sign CKR_OK$'
sim_stop
echo removed >&7
ok "the program saw the removal" wait_for '^open while removed'
sim_start
echo back >&7
wait "$pid"
LAST_OUT=$(cat removal.out)
like "the signature fails with CKR_DEVICE_REMOVED" "$LAST_OUT" '^sign after removal CKR_DEVICE_REMOVED$'
like "its session is gone" "$LAST_OUT" '^old session CKR_SESSION_HANDLE_INVALID$'
like "no token while removed" "$LAST_OUT" '^tokens while removed 0$'
like "a session cannot open" "$LAST_OUT" '^open while removed CKR_TOKEN_NOT_PRESENT$'
like "a new session signs when the card is back" "$LAST_OUT" '^new session sign CKR_OK$'
like "the removal was said" "$LAST_OUT" "iotsafe-pkcs11: card went away and could not be reconnected: reconnecting after card reset/removal on reader 'Virtual PCD 00 00': No smart card inserted"

# ---- reset: the same session goes on
"${PROBE[@]}" again <ctl >again.out 2>&1 &
pid=$!
track_pid "$pid"
for _ in $(seq 100); do grep -q '^sign ' again.out && break; sleep 0.1; done
card_reset
echo reset >&7
wait "$pid"
like "the same session signs after a reset" "$(cat again.out)" '^same session sign CKR_OK$'

# ---- channels: a program that exits without C_Finalize, and programs killed by SIGKILL, cost
# the card no channel for good (the census is the card's own, from the simulator's log)
is "no logical channel open after the programs above" "$(census)" none
ok "a program that exits without C_Finalize" "${PROBE[@]}" sign-exit
is "... closed its channel at exit" "$(census)" none
# A holder keeps the card in use: pcscd powers an idle card down, which would close leaked
# channels and hide them.
start_probe() { # NAME: p11_probe again, its stdin on the FIFO NAME.in kept open by us
    mkfifo "$1.in"
    "${PROBE[@]}" again <"$1.in" >"$1.out" 2>&1 &
    eval "$1_pid=$!"
    track_pid "$!"
    exec {_fd}>"$1.in"
    eval "$1_fd=$_fd"
    for _ in $(seq 100); do grep -q '^sign ' "$1.out" && return 0; sleep 0.1; done
    return 1
}
ok "a holder signs and keeps its session" start_probe hold
like "... on the card's channel 1" "$(census)" '^1$'
ok "a second program signs" start_probe dead1
ok "a third program signs" start_probe dead2
is "the card has no free channel" "$(census)" "1 2 3"
{ kill -9 "$dead1_pid" "$dead2_pid" && wait "$dead1_pid" "$dead2_pid"; } 2>/dev/null
is "after SIGKILL their channels are still open on the card" "$(census)" "1 2 3"
ok "a program that may not share the basic channel signs: the dead programs' channels are reclaimed" \
    env IOTSAFE_CHANNEL_EXHAUSTED=fail "${PROBE[@]}" sign
is "... and closed, its own too" "$(census)" "1"
echo go >&"$hold_fd"
wait "$hold_pid"
like "the holder signs again in its session" "$(cat hold.out)" '^same session sign CKR_OK$'
is "no channel left" "$(census)" none

# ---- fork: the child must C_Initialize, then works; the parent goes on
ok "fork" "${PROBE[@]}" fork
like "the child gets CKR_CRYPTOKI_NOT_INITIALIZED first" "$LAST_OUT" '^child before C_Initialize CKR_CRYPTOKI_NOT_INITIALIZED$'
like "then signs" "$LAST_OUT" '^child sign CKR_OK$'
like "the parent still signs" "$LAST_OUT" '^parent sign again CKR_OK$'

# ---- threads x sessions x processes share the card
n=$(sigs)
pids=()
for i in 1 2 3; do
    "${PROBE[@]}" threads 4 3 >"threads-$i.out" 2>&1 &
    pids+=($!)
    track_pid "$!"
done
for i in 1 2 3; do
    wait "${pids[$((i - 1))]}"
    is "process $i: 4 threads x 3 sessions x 3 signatures" "$(grep '^signed' "threads-$i.out")" 'signed 36 of 36'
done
is "the card made all 108" "$(($(sigs) - n))" 108
done_testing
