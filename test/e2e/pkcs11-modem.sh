#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The PKCS#11 module with the `modem` setting: the card behind an AT modem
# (the simulator on a pseudo-terminal, no pcscd) is the module's one slot,
# with AT+CSIM (the module's own channel) and AT+CGLA (the modem's channel).
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/modem-lib.sh"
command -v pkcs11-tool >/dev/null || skip_all "pkcs11-tool (opensc) is not installed"
line_program pkcs11-tool "iotsafe-pkcs11.so=$P11_MODULE"
cd "$WORK" || exit 1
unset OPENSSL_CONF
P=(pkcs11-tool --module "$P11_MODULE")
ossl() { OPENSSL_CONF=/dev/null openssl "$@"; }
printf 'through the modem\n' >msg
ok "software public key" ossl pkey -in "$SOURCE_ROOT/test/data/devkey-soft.pem" -pubout -out soft.pub

modem_up
for mode in csim cgla; do
    export IOTSAFE_MODEM=$MODEM IOTSAFE_MODEM_MODE=$mode
    ok "pkcs11-tool -L ($mode)" "${P[@]}" -L
    like "the modem is the one slot ($mode)" "$LAST_OUT" "^Slot 0 \\(0x0\\): $MODEM"
    like "with the IoT SAFE token ($mode)" "$LAST_OUT" 'token label +: IoT SAFE'
    is "no other slot ($mode)" "$(printf '%s\n' "$LAST_OUT" | grep -c '^Slot ')" 1
    ok "the objects ($mode)" "${P[@]}" -O
    like "DEVKEY is there ($mode)" "$LAST_OUT" '  label:      DEVKEY'$'\n''  ID:         01'
    n=$(sim_log_count '^iotsafe-sim: > [0-9A-F]{2}2B')
    ok "ECDSA-SHA256 through the modem ($mode)" "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o "sig-$mode" --signature-format openssl
    ok "it verifies with the software key ($mode)" ossl dgst -sha256 -verify soft.pub -signature "sig-$mode" msg
    now=$(sim_log_count '^iotsafe-sim: > [0-9A-F]{2}2B')
    ok "the card behind the modem signed ($mode)" test "$now" -gt "$n"
done
like "AT+CGLA: the modem opened the channel itself (AT+CCHO)" "$(cat sim.log)" 'iotsafe-sim: modem AT\+CCHO'
modem_down
export IOTSAFE_MODEM_MODE=csim
fails "^iotsafe-pkcs11: cannot open modem device '$MODEM': No such file or directory$" "a modem that is gone: said, naming the device" "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o x
like "no slot has a token" "$LAST_OUT" 'No slot with a token was found|No slots'
done_testing
