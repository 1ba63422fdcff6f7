# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # REPLY_LINE is for the sourcing scripts
#
# A long-running provider user for the end-to-end scripts: the card_session
# helper (test/provider/card_session.c) as a bash coprocess. Source it after
# harness.sh and card_up (the helper inherits OPENSSL_CONF and the PC/SC socket):
#
#   session_start [ENV=VALUE]...   start it (env settings for it only); its
#                                  stderr goes to $SESSION_ERR
#   session CMD...                 send one command line, wait (max 60 s) for the
#                                  reply line: $REPLY_LINE ("(no reply)" if none)
#   session_stop                   send quit and wait for it to exit; its exit
#                                  status in $SESSION_RC (sanitizer reports fail it)

CARD_SESSION=$BUILD_ROOT/test/provider/card_session
SESSION_ERR=$WORK/session.err
SESSION_RC=
REPLY_LINE=

session_start() {
    coproc SESSION { exec env "$@" "$CARD_SESSION" 2>>"$SESSION_ERR"; }
    track_pid "$SESSION_PID"
}

session() {
    REPLY_LINE="(no reply)"
    printf '%s\n' "$*" >&"${SESSION[1]}" || return 1
    IFS= read -r -t 60 REPLY_LINE <&"${SESSION[0]}" || REPLY_LINE="(no reply)"
}

session_stop() {
    local pid=$SESSION_PID
    printf 'quit\n' >&"${SESSION[1]}" 2>/dev/null
    wait "$pid" 2>/dev/null
    SESSION_RC=$?
}
