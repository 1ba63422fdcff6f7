# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # HOLD_LINES is for the sourcing scripts
#
# Helpers of the logical-channel scripts (channels-*.sh). Source it after
# harness.sh and tls-common.sh, once card_up has run; needs $KEY_HOLDER.
#
#   census          the channels open on the card, from the simulator's log
#                   (e.g. "1 2"; "none" when only the basic channel is)
#   power_events    how many times the card closed every channel because it was
#                   powered down, reset or disconnected
#   start_holder NAME [PREFIX...]
#                   start key_holder in "hold" mode (behind the command PREFIX,
#                   e.g. unshare) with its stdin on a FIFO we keep open; sets
#                   NAME_PID (tracked) and waits for its line "holding"
#   stop_holder NAME
#                   close its stdin: it exits normally (closing its channel);
#                   its exit code is appended to $STOPPED
#   hold_card       start_holder HOLD: it keeps the card in use, so pcscd does
#                   not power an idle card down (which would close leaked
#                   channels and hide them), and holds channel 1. Sets
#                   HOLD_LINES to its two lines ("signed holding").

census() {
    grep -a 'iotsafe-sim: channels open:' "$WORK/sim.log" | tail -n 1 |
        sed -e 's/.*channels open: //' -e 's/ (.*//'
}

power_events() {
    count_lines "$WORK/sim.log" 'channels open: none \((power|reset|disconnected)'
}

HOLDER_FDS=()
start_holder() { # NAME [COMMAND PREFIX...]
    local name=$1 i=0 fd pid closes=
    shift
    mkfifo "$WORK/$name.in"
    # the new holder must not keep the other holders' stdin open
    for fd in "${HOLDER_FDS[@]+"${HOLDER_FDS[@]}"}"; do
        closes+=" $fd>&-"
    done
    eval '"$@" "$KEY_HOLDER" "$CARD_KEY_URI" hold <"$WORK/$name.in" >"$WORK/$name.out" 2>>"$WORK/hold.err"'"$closes &"
    pid=$!
    track_pid "$pid"
    exec {fd}>"$WORK/$name.in" # the holder's stdin stays open while we keep this end
    HOLDER_FDS+=("$fd")
    eval "${name}_PID=$pid ${name}_FD=$fd"
    while ! grep -q holding "$WORK/$name.out" && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}
stop_holder() { # NAME: close its stdin, it exits normally; appends its exit code to $STOPPED
    local fd pid
    eval "fd=\$${1}_FD pid=\$${1}_PID"
    exec {fd}>&-
    wait "$pid"
    STOPPED="${STOPPED:+$STOPPED }$?"
}
hold_card() {
    start_holder HOLD
    HOLD_LINES=$(tr '\n' ' ' <"$WORK/HOLD.out")
    HOLD_LINES=${HOLD_LINES% }
}
