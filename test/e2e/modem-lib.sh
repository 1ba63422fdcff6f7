# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers for the modem-*.sh tests: the simulator plays a modem on a
# pseudo-terminal ($MODEM is the symlink to it), no pcscd involved.
# Source after harness.sh.
#
#   modem_up [iotsafe-sim options]...   start the simulator in modem mode with the
#                                       standard test card (fresh state the first
#                                       time, kept afterwards) and wait for $MODEM
#   modem_down                          stop it (a TAP check: it exits 0; the link disappears)
#   sim_log_count REGEX                 lines of the simulator log matching REGEX

MODEM=$WORK/modem
_M_PID=
_M_FRESH=--fresh

_m_bail() {
    echo "# $*"
    [ -f "$WORK/sim.log" ] && tail -n 40 "$WORK/sim.log" | sed 's/^/# /'
    echo "Bail out! $*"
    exit 1
}

modem_up() {
    local i=0
    [ -z "$_M_PID" ] || _m_bail "modem_up: simulator already running"
    echo "== iotsafe-sim --modem $MODEM $*" >>"$WORK/sim.log"
    # shellcheck disable=SC2086 # _M_FRESH is one word or empty
    "$BUILD_ROOT/sim/iotsafe-sim" --modem "$MODEM" --config "$SOURCE_ROOT/test/data/card.conf" \
        --state "$SIM_STATE" $_M_FRESH --verbose "$@" >>"$WORK/sim.log" 2>&1 </dev/null &
    _M_PID=$!
    _M_FRESH=
    track_pid "$_M_PID"
    while [ ! -L "$MODEM" ]; do
        i=$((i + 1))
        if [ $i -gt 1000 ] || ! kill -0 "$_M_PID" 2>/dev/null; then
            _m_bail "the simulator did not create $MODEM"
        fi
        sleep 0.01
    done
}

modem_down() {
    local rc
    [ -n "$_M_PID" ] || return 0
    kill "$_M_PID" 2>/dev/null
    wait "$_M_PID" 2>/dev/null
    rc=$?
    _M_PID=
    # exit status 0 on SIGTERM; a sanitizer finding would show here
    is "the simulated modem exits cleanly" "$rc" 0
    [ ! -e "$MODEM" ] || _m_bail "modem_down: $MODEM still there"
}

sim_log_count() {
    grep -cE "$1" "$WORK/sim.log"
}
