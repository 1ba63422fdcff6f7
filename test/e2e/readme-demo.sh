#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The README's first command, scripts/demo.sh, on this system with its own
# programs (OpenSSL, curl, mosquitto): every step passes, curl's run went
# through the card, and the message mosquitto_pub sent with the card key
# arrived. Runs in the system pass only (the demo uses the system's programs)
# and without the package check (the suite's own set-up did that).
. "$SOURCE_ROOT/test/e2e/harness.sh"

[ -z "${IOTSAFE_SAN_PRELOAD:-}" ] || skip_all "the demo runs in the plain pass"
sys_openssl=$(PATH=/usr/bin:/bin openssl version | awk '{ print $2 }')
[ "$IOTSAFE_OPENSSL_LINE" = "${sys_openssl%.*}" ] ||
    skip_all "the demo uses the system's own OpenSSL ($sys_openssl): run in the system pass"
line_program openssl curl mosquitto_pub

ok "scripts/demo.sh --no-install passes every step" \
    env -u OPENSSL_CONF -u PCSCLITE_CSOCK_NAME TMPDIR="$WORK" \
    "$SOURCE_ROOT/scripts/demo.sh" --no-install --build-dir "$BUILD_ROOT"
out=$LAST_OUT
is "its 12 steps (13 with the package check), in order, to the end" \
    "$(printf '%s\n' "$out" | sed -n 's/^== \([0-9]*\)\. .*/\1/p' | tr '\n' ' ')$(printf '%s\n' "$out" | grep '^== ' | tail -n 1)" \
    "$(seq -s ' ' 1 12) == 12. Done"
like "curl's run went through the card" "$out" 'Card APDUs for that whole curl run \(key load \+ handshake signature\): [1-9][0-9]*'
like "the card-key client's message reached mosquitto_sub" "$out" 'demo/telemetry \{"temp": 21\.5, "from": "card-held key"\}'
like "the broker knew the device by its card certificate" "$out" "as demo-device \\(p2, c1, k60, u'demo-device'\\)"
done_testing
