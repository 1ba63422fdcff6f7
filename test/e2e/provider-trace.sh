#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# APDU cost of provider operations (IOTSAFE_TRACE=1): one SELECT per process,
# exactly two APDUs (COMPUTE SIGNATURE INIT 2A + UPDATE 2B) per signature, no
# card I/O for loading the provider, and a working card handle after fork().
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

KEYFILE_CHECK=$BUILD_ROOT/test/provider/keyfile_check
card_up
K='iotsafe:label=DEVKEY'
printf 'message\n' >"$WORK/m1"

# Count outgoing APDUs with instruction byte INS in a trace file.
count_ins() {
    grep -cE "^iotsafe: > [0-9A-F]{2} $2( |$)" "$1"
}

IOTSAFE_TRACE=1 openssl dgst -sha256 -sign "$K" -out "$WORK/s1" "$WORK/m1" 2>"$WORK/t1"
is "dgst -sign with trace exits 0" "$?" 0
is "one signature: one COMPUTE SIGNATURE INIT (2A)" "$(count_ins "$WORK/t1" 2A)" 1
is "one signature: one COMPUTE SIGNATURE UPDATE (2B)" "$(count_ins "$WORK/t1" 2B)" 1
is "one SELECT for the whole process" "$(count_ins "$WORK/t1" A4)" 1
ok "no private key material in the trace" sh -c "! grep -qi 'c9 af a9 d8 45 ba 75 16' '$WORK/t1'"

# Three signatures in one process (key file, as curl/mosquitto load it):
# still one SELECT, 2 APDUs each.
ok "key file" openssl pkey -in "$K" -out "$WORK/card-key.pem"
IOTSAFE_TRACE=1 "$KEYFILE_CHECK" --repeat 3 "$WORK/card-key.pem" >/dev/null 2>"$WORK/t3"
is "three signatures with trace exit 0" "$?" 0
is "three signatures: three 2A" "$(count_ins "$WORK/t3" 2A)" 3
is "three signatures: three 2B" "$(count_ins "$WORK/t3" 2B)" 3
is "three signatures: still one SELECT (no re-SELECT per operation)" "$(count_ins "$WORK/t3" A4)" 1
is "a v2 key file: no public key read" "$(count_ins "$WORK/t3" CD)" 0
is "a v2 key file: no object list read" "$(count_ins "$WORK/t3" CB)" 0

# A fresh process signing once with a v2 key file: channel, SELECT, INIT,
# UPDATE, channel close, nothing else.
IOTSAFE_TRACE=1 openssl dgst -sha256 -sign "$WORK/card-key.pem" -out "$WORK/s5" "$WORK/m1" 2>"$WORK/t5"
is "dgst -sign with the v2 key file exits 0" "$?" 0
is "fresh process, one signature: 5 APDUs" "$(grep -c '^iotsafe: >' "$WORK/t5")" 5
is "in this order" "$(grep -oE '^iotsafe: > [0-9A-F]{2} [0-9A-F]{2}' "$WORK/t5" | cut -d' ' -f4 | tr '\n' ' ')" \
    "70 A4 2A 2B 70 "

# The same URI loaded twice in one process: the second load costs nothing.
SESSION_BIN=$BUILD_ROOT/test/provider/card_session
printf 'load %s\nquit\n' "$K" | IOTSAFE_TRACE=1 "$SESSION_BIN" >"$WORK/o6" 2>"$WORK/t6"
printf 'load %s\nload %s\nquit\n' "$K" "$K" | IOTSAFE_TRACE=1 "$SESSION_BIN" >"$WORK/o7" 2>"$WORK/t7"
is "both loads succeed" "$(grep -c '^loaded 04' "$WORK/o7")" 2
is "loading a URI twice costs what loading it once does" \
    "$(grep -c '^iotsafe: >' "$WORK/t7")" "$(grep -c '^iotsafe: >' "$WORK/t6")"
is "one public key read for two loads" "$(count_ins "$WORK/t7" CD)" 1
is "one SELECT for two loads" "$(count_ins "$WORK/t7" A4)" 1

# Loading the provider and listing algorithms sends nothing to the card.
IOTSAFE_TRACE=1 openssl list -signature-algorithms >/dev/null 2>"$WORK/t0"
is "no APDU when only loading the provider" "$(grep -c '^iotsafe: >' "$WORK/t0")" 0

# The trace switch in the provider's config section works like the env var.
cp "$OPENSSL_CONF" "$WORK/trace.cnf" # [iotsafe_sect] is its last section
printf 'trace = 1\n' >>"$WORK/trace.cnf"
OPENSSL_CONF=$WORK/trace.cnf openssl dgst -sha256 -sign "$K" -out /dev/null "$WORK/m1" 2>"$WORK/tc"
is "config 'trace = 1' in [iotsafe_sect] traces too" "$(count_ins "$WORK/tc" 2B)" 1

# fork(): the child reopens its own handle, the parent keeps working.
ok "sign in parent, forked child, parent again" "$KEYFILE_CHECK" --fork "$WORK/card-key.pem"
like "child signed" "$LAST_OUT" 'child: signature ok'
like "parent signed after the fork" "$LAST_OUT" 'parent after fork: signature ok'

# fork() while another thread of the parent is inside a signature (it may hold
# the provider's lock or the card handle): each child still gets a handle of
# its own and signs (a child stuck on an inherited lock fails after 20 s).
ok "20 forks while a second thread signs" "$KEYFILE_CHECK" --fork-busy 20 "$WORK/card-key.pem"
like "every child signed" "$LAST_OUT" 'fork while busy: 20 children signed, the busy thread made [1-9][0-9]* signatures$'
like "the parent signs after the busy forks" "$LAST_OUT" 'parent after busy forks: signature ok'

# Threads: eight threads sign at once with one key (one card handle, serialised
# by libiotsafe); every signature verifies.
ok "8 threads x 4 signatures with one key" "$KEYFILE_CHECK" --threads 8 "$WORK/card-key.pem"
like "all threaded signatures verified" "$LAST_OUT" 'threads: all signatures ok'

done_testing
