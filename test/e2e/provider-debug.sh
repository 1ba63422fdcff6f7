#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The one tracing switch (trace / IOTSAFE_TRACE) and the provider's debug log:
# settings at first use, handles opened, every error raised (also those a
# program never prints), bad settings at load, LEVEL:FILE; and the same words
# in iotsafe-tool.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"
TOOL=$BUILD_ROOT/tools/iotsafe-tool

card_up
printf 'message\n' >"$WORK/m"

# debug on stderr: settings in force, the handle, the APDU trace, the error.
IOTSAFE_TRACE=debug IOTSAFE_TIMEOUT=7 openssl dgst -sha256 -sign 'iotsafe:label=NOPE' \
    -out /dev/null "$WORK/m" 2>"$WORK/d1"
rc=$?
ok "a key that is not on the card fails" test "$rc" -ne 0
PID_RE='iotsafe: debug: \[[0-9]+\]'
like "load line names the version and OpenSSL" "$(cat "$WORK/d1")" "$PID_RE provider [0-9.]+ loaded into OpenSSL [0-9]"
like "settings in force at first use, with their origin" "$(cat "$WORK/d1")" \
    "$PID_RE settings in force: trace=debug \\(IOTSAFE_TRACE\\), timeout=7 \\(IOTSAFE_TIMEOUT\\)"
like "the handle opened, with its reader" "$(cat "$WORK/d1")" "$PID_RE opened the card in reader '[^']+'"
like "the error raised, with reason, message and place" "$(cat "$WORK/d1")" \
    "$PID_RE error: object not found on card: no private key matching iotsafe:label=NOPE on the card in reader '.*' \\(in [a-z_]+, .*\\.c:[0-9]+\\)"
is "the APDU trace is on too" "$(grep -c '^iotsafe: > ' "$WORK/d1")" "$(grep -c '^iotsafe: < ' "$WORK/d1")"
ok "APDUs were traced" test "$(grep -c '^iotsafe: > ' "$WORK/d1")" -gt 0

# yes = APDU trace only, no debug lines.
IOTSAFE_TRACE=yes openssl dgst -sha256 -sign 'iotsafe:label=DEVKEY' -out /dev/null "$WORK/m" 2>"$WORK/d2"
is "IOTSAFE_TRACE=yes signs" "$?" 0
is "yes: one COMPUTE SIGNATURE UPDATE traced" "$(grep -cE '^iotsafe: > [0-9A-F]{2} 2B' "$WORK/d2")" 1
is "yes: no debug lines" "$(grep -c 'iotsafe: debug:' "$WORK/d2")" 0

# LEVEL:FILE: the lines go to the file (appended), nothing on stderr.
IOTSAFE_TRACE="debug:$WORK/log" openssl dgst -sha256 -sign 'iotsafe:label=DEVKEY' -out /dev/null "$WORK/m" 2>"$WORK/d3"
is "debug:FILE signs" "$?" 0
is "debug:FILE: nothing of ours on stderr" "$(grep -c '^iotsafe:' "$WORK/d3")" 0
like "debug:FILE: the file has the settings" "$(cat "$WORK/log")" "settings in force: trace=debug:"
is "debug:FILE: the file has the APDU trace" "$(grep -cE '^iotsafe: > [0-9A-F]{2} 2B' "$WORK/log")" 1
IOTSAFE_TRACE="debug:$WORK/log" openssl dgst -sha256 -sign 'iotsafe:label=DEVKEY' -out /dev/null "$WORK/m" 2>/dev/null
is "debug:FILE appends" "$(grep -cE '^iotsafe: > [0-9A-F]{2} 2B' "$WORK/log")" 2

# A bad setting in the config section: the debug log says so at load, even
# where OpenSSL drops errors raised while it loads its config.
cp "$OPENSSL_CONF" "$WORK/bad.cnf" # [iotsafe_sect] is its last section
printf 'cla = sideways\ntrace = debug\n' >>"$WORK/bad.cnf"
OPENSSL_CONF=$WORK/bad.cnf openssl list -providers >/dev/null 2>"$WORK/d4"
like "bad config: the load line says why the provider is unusable" "$(cat "$WORK/d4")" \
    "$PID_RE unusable: bad value 'sideways' for 'cla' in the provider's config section \\(auto, proprietary or interindustry\\)"
is "bad config: no card I/O at load" "$(grep -c '^iotsafe: >' "$WORK/d4")" 0

# No debug output and no card I/O when the provider is only loaded.
IOTSAFE_TRACE=debug openssl list -signature-algorithms >/dev/null 2>"$WORK/d5"
is "loading only: no APDU" "$(grep -c '^iotsafe: >' "$WORK/d5")" 0
is "loading only: no settings line (no card used)" "$(grep -c 'settings in force' "$WORK/d5")" 0

# iotsafe-tool reads the same words.
IOTSAFE_TRACE=yes "$TOOL" list >/dev/null 2>"$WORK/t1"
is "tool: IOTSAFE_TRACE=yes traces (as the provider does)" "$(grep -c '^iotsafe: > ' "$WORK/t1")" \
    "$(grep -c '^iotsafe: < ' "$WORK/t1")"
ok "tool: some APDUs traced" test "$(grep -c '^iotsafe: > ' "$WORK/t1")" -gt 0
IOTSAFE_TRACE="apdu:$WORK/tool.log" "$TOOL" list >/dev/null 2>"$WORK/t2"
is "tool: apdu:FILE leaves stderr clean" "$(grep -c '^iotsafe:' "$WORK/t2")" 0
ok "tool: apdu:FILE fills the file" grep -q '^iotsafe: > ' "$WORK/tool.log"
fails "IOTSAFE_TRACE 'loud' must be" "tool: a bad IOTSAFE_TRACE is refused" \
    env IOTSAFE_TRACE=loud "$TOOL" list
is "tool: bad IOTSAFE_TRACE exits 2" "$LAST_RC" 2
like "tool: its message" "$LAST_OUT" \
    "iotsafe-tool: invalid argument: IOTSAFE_TRACE 'loud' must be no, yes, apdu or debug, optionally followed by :FILE"
IOTSAFE_TRACE=no "$TOOL" list >/dev/null 2>"$WORK/t3"
is "tool: IOTSAFE_TRACE=no: no trace" "$(grep -c '^iotsafe:' "$WORK/t3")" 0

done_testing
