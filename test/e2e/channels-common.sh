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
#   hold_card       start key_holder in "hold" mode as coprocess HOLD (PID
#                   $HOLD_PID, tracked): it keeps the card in use, so pcscd does
#                   not power an idle card down (which would close leaked
#                   channels and hide them), and holds channel 1. Waits for its
#                   two lines and sets HOLD_LINES to them ("signed holding").

census() {
    grep -a 'iotsafe-sim: channels open:' "$WORK/sim.log" | tail -n 1 |
        sed -e 's/.*channels open: //' -e 's/ (.*//'
}

power_events() {
    count_lines "$WORK/sim.log" 'channels open: none \((power|reset|disconnected)'
}

hold_card() {
    local l1= l2=
    coproc HOLD { exec "$KEY_HOLDER" "$CARD_KEY_URI" hold 2>>"$WORK/hold.err"; }
    track_pid "$HOLD_PID"
    IFS= read -r -t 30 l1 <&"${HOLD[0]}"
    IFS= read -r -t 30 l2 <&"${HOLD[0]}"
    HOLD_LINES="$l1 $l2"
}
