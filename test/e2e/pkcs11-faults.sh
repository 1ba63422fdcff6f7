#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The PKCS#11 module when things go wrong, with the guarantees the provider
# has: a lying card's signature is refused, a silent card meets the deadline,
# no free channel is said (or the basic channel shared), hostile labels are
# escaped, bad settings stop the module with one message. (Removal, reset,
# fork and sharing: pkcs11-probe.sh.)
. "$SOURCE_ROOT/test/e2e/harness.sh"
SIM_VERBOSE=1
command -v pkcs11-tool >/dev/null || skip_all "pkcs11-tool (opensc) is not installed"
# pkcs11-tool loads the module: both must be on the line under test
line_program pkcs11-tool "iotsafe-pkcs11.so=$P11_MODULE"
card_up
cd "$WORK" || exit 1
unset OPENSSL_CONF
P=(pkcs11-tool --module "$P11_MODULE")
R="in reader 'Virtual PCD 00 00'"
printf 'fault test\n' >msg
sigs() { grep -cE '^iotsafe-sim: > [0-9A-F]{2}2B' "$WORK/sim.log"; }
restart_with() {
    sim_stop
    sim_start "$@"
}

# ---- bad settings: said once, and the module refuses to work
fails "^iotsafe-pkcs11: bad value 'abc' for environment variable IOTSAFE_TIMEOUT \\(seconds, 0\\.1 to 3600\\); the module is unusable until this is fixed\$" \
    "a bad IOTSAFE_TIMEOUT" env IOTSAFE_TIMEOUT=abc "${P[@]}" -L
like "C_Initialize fails" "$LAST_OUT" 'C_Initialize failed: rv = CKR_FUNCTION_FAILED'
is "said once" "$(printf '%s\n' "$LAST_OUT" | grep -c '^iotsafe-pkcs11:')" 1
printf '# the module file\nreader = Virtual PCD 00 00\ntimeout = 5\nbogus = 1\n' >bad.conf
fails "^iotsafe-pkcs11: $WORK/bad.conf line 4: unknown setting 'bogus'; the module is unusable until this is fixed\$" \
    "an unknown setting in the module file" env IOTSAFE_PKCS11_CONF="$WORK/bad.conf" "${P[@]}" -L
printf 'timeout = 5\nchannel-exhausted = never\n' >bad2.conf
fails "^iotsafe-pkcs11: bad value 'never' for 'channel-exhausted' in $WORK/bad2.conf line 2 \\(auto, fail or basic\\); the module is unusable until this is fixed\$" \
    "a bad value in the module file" env IOTSAFE_PKCS11_CONF="$WORK/bad2.conf" "${P[@]}" -L
fails "^iotsafe-pkcs11: cannot read the configuration file '$WORK/none.conf': No such file or directory" \
    "a module file that does not exist" env IOTSAFE_PKCS11_CONF="$WORK/none.conf" "${P[@]}" -L
printf 'reader = Virtual PCD 00 00\ntimeout = 5\ntrace = debug\n' >good.conf
ok "a good module file" env IOTSAFE_PKCS11_CONF="$WORK/good.conf" "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s
like "trace = debug: where the settings came from" "$LAST_OUT" \
    "^iotsafe-pkcs11: debug: \\[[0-9]+\\] settings: file $WORK/good.conf; environment: IOTSAFE_STATE_DIR\$"
like "trace = debug: the card opened, and the shared state" "$LAST_OUT" \
    "iotsafe-pkcs11: debug: \\[[0-9]+\\] opened the card in 'Virtual PCD 00 00' \\(shared state: $STATE_DIR \\(group iotsafe\\)\\)"
like "trace = debug: what went to the card" "$LAST_OUT" \
    'iotsafe-pkcs11: debug: \[[0-9]+\] signing a 32-byte digest with private key id=01 \(DEVKEY\) as SHA256 \(32 bytes to the card\)'
like "and the APDU trace" "$LAST_OUT" 'iotsafe: > [0-9A-F]{2} 2B 80 01'

# ---- a lying card: nothing released, the key and reader named
restart_with --set fault=sig-r-zero
n=$(sigs)
rm -f s
fails "^iotsafe-pkcs11: card returned an invalid signature for private key id=01 \\(DEVKEY\\) $R: r is zero\$" \
    "r = 0 is refused" "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s
ok "no signature written" test ! -s s
ok "the card was asked" test "$(sigs)" -gt "$n"
restart_with --set fault=sig-random
fails "^iotsafe-pkcs11: card returned an invalid signature for private key id=01 \\(DEVKEY\\) $R: it does not verify with the key's public key" \
    "a signature that does not verify is refused" "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s
ok "no signature written" test ! -s s
restart_with --set fault=dh-off-curve
OPENSSL_CONF=/dev/null openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer.key &&
    OPENSSL_CONF=/dev/null openssl pkey -in peer.key -pubout -outform DER -out peer.der
fails "^iotsafe-pkcs11: card returned an invalid shared secret for private key id=04 \\(DHKEY\\) $R: not the x-coordinate of a point on the curve\$" \
    "an ECDH secret off the curve is refused" \
    "${P[@]}" --derive -m ECDH1-DERIVE --id 04 --input-file peer.der --output-file z.bin
ok "no secret written" test ! -s z.bin
restart_with --set fault=sig-s-zero
fails "invalid signature for private key id=01 \\(DEVKEY\\) $R: s is zero" \
    "s = 0 is refused even with verify-signatures = no" \
    env IOTSAFE_VERIFY_SIGNATURES=no "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s

# ---- a silent card: the deadline, said with the command and the reader
restart_with --set fault=hang --set fault-ins=2B --set hang-ms=8000
fails "^iotsafe-pkcs11: COMPUTE SIGNATURE UPDATE on private key id=01 \\(DEVKEY\\): no answer from the card $R after 2\\.0 s; not sent again \\(the card may have executed it\\)\$" \
    "a card that does not answer meets the 2 s deadline" \
    env IOTSAFE_TIMEOUT=2 "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s
like "the program gets CKR_DEVICE_ERROR" "$LAST_OUT" 'rv = CKR_DEVICE_ERROR'

# ---- no free logical channel
restart_with --set channels=0
fails "^iotsafe-pkcs11: MANAGE CHANNEL \\(open\\) on the card $R: card answered 6A81 \\(function not supported\\): no free logical channel \\(channel-exhausted=fail\\)\$" \
    "channel-exhausted=fail names the card's 6A81" env IOTSAFE_CHANNEL_EXHAUSTED=fail "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s
n=$(sigs)
ok "by default a PC/SC reader shares the basic channel" "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s
ok "and the card signed there" test "$(sigs)" -gt "$n"

# ---- hostile labels: escaped in every message
restart_with
sim_stop
sed -i 's/^label = 4E4F5349474E$/label = 1B5B324A1B5B33316D50574E4544070A666F726765640078/I' "$SIM_STATE"
sim_start
ESC='\\x1b\[2J\\x1b\[31mPWNED\\x07\\x0aforged\\x00x'
fails "^iotsafe-pkcs11: private key id=07 \\($ESC\\) holds prime256v1 keys: the template asks for another curve\$" \
    "the card's hostile label is escaped" "${P[@]}" --keypairgen --key-type EC:brainpoolP256r1 --id 07
ok "no control byte reached the output" sh -c "! printf '%s' \"\$1\" | grep -q \$'[\\a\\033]'" sh "$LAST_OUT"
fails "^iotsafe-pkcs11: no private key label=\\\\x1b\\[2Jevil on the card in 'Virtual PCD 00 00'\$" \
    "a hostile label from the program is escaped" "${P[@]}" --keypairgen --key-type EC:prime256v1 --label $'\e[2Jevil'

done_testing
