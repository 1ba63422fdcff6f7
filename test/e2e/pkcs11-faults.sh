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

# ---- ECDH: the peer slot is never a key pair's public key (libiotsafe's rule,
# the provider's), and what the module can refuse never reaches the card
restart_with
puts() { grep -cE '^iotsafe-sim: > [0-9A-F]{2}(24|D8)' "$WORK/sim.log"; }
dhs() { grep -cE '^iotsafe-sim: > [0-9A-F]{2}46' "$WORK/sim.log"; }
set_access() { # NAME ACCESS: the access byte (60) of public key NAME in the card's state
    awk -v n="$1" -v a="$2" '/^\[/ {sect = $0; name = ""} /^# / {name = $2}
        sect == "[public-key]" && name == n && /^access = / {$0 = "access = " a} {print}' \
        "$SIM_STATE" >state.new && mv state.new "$SIM_STATE"
}
ec_points() { # the listing of DEVKEY's and DHKEY's public keys
    "${P[@]}" -O --type pubkey 2>/dev/null | awk '/^[A-Z]/ {if (keep) printf "%s", obj; obj = ""; keep = 0}
        {obj = obj $0 "\n"} /^ *label: *(DEVKEY|DHKEY)$/ {keep = 1} END {if (keep) printf "%s", obj}'
}
# a peer the slot does not hold yet (the one above went in with the off-curve fault)
OPENSSL_CONF=/dev/null openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer2.key &&
    OPENSSL_CONF=/dev/null openssl pkey -in peer2.key -pubout -outform DER -out peer2.der
# DEVKEY's and DHKEY's public keys, ahead of the peer slot 05 in the list, made writable
sim_stop
set_access DEVKEY 03
set_access DHKEY 03
sim_start
ec_points >points-before
like "the listing shows both points" "$(grep -c '^ *EC_POINT:' points-before)" '^2$'
put_inits() { grep -E '^iotsafe-sim: > [0-9A-F]{2}24[0-9A-F]{6}8501' "$WORK/sim.log"; }
m=$(put_inits | wc -l)
ok "ECDH with writable key pair public keys ahead of the peer slot" \
    "${P[@]}" --derive -m ECDH1-DERIVE --id 04 --input-file peer2.der --output-file z2.bin
is "one PUT PUBLIC KEY, into the peer slot 05" "$(put_inits | tail -n +$((m + 1)) | grep -o "8501..$")" 850105
ec_points >points-after
ok "DEVKEY's and DHKEY's public points are unchanged" cmp points-before points-after
ok "and DEVKEY still signs (its signature verifies with its point)" \
    "${P[@]}" --sign -m ECDSA-SHA256 --id 01 -i msg -o s
n=$(puts)
fails "^iotsafe-pkcs11: dh-peer-slot 01 cannot take a prime256v1 peer key \\(it needs update access, the same curve, and must not be a key pair's public key\\)\$" \
    "dh-peer-slot naming a key pair's public key (writable) is refused" \
    env IOTSAFE_DH_PEER_SLOT=01 "${P[@]}" --derive -m ECDH1-DERIVE --id 04 --input-file peer2.der --output-file x.bin
like "as CKR_KEY_FUNCTION_NOT_PERMITTED" "$LAST_OUT" 'CKR_KEY_FUNCTION_NOT_PERMITTED'
fails "^iotsafe-pkcs11: dh-peer-slot 33: no public key object with this ID on the card $R\$" \
    "dh-peer-slot naming no object" \
    env IOTSAFE_DH_PEER_SLOT=33 "${P[@]}" --derive -m ECDH1-DERIVE --id 04 --input-file peer2.der --output-file x.bin
sim_stop
set_access PEER 01
sim_start
fails "^iotsafe-pkcs11: dh-peer-slot 05 cannot take a prime256v1 peer key" \
    "dh-peer-slot naming a slot without update access is refused" \
    env IOTSAFE_DH_PEER_SLOT=05 "${P[@]}" --derive -m ECDH1-DERIVE --id 04 --input-file peer2.der --output-file x.bin
fails "^iotsafe-pkcs11: no public key object with update access on prime256v1 to receive the ECDH peer key on the card $R \\(see dh-peer-slot\\)\$" \
    "no slot: the key pairs' writable public keys are not taken instead" \
    "${P[@]}" --derive -m ECDH1-DERIVE --id 04 --input-file peer2.der --output-file x.bin
is "no PUT PUBLIC KEY for any refusal" "$(puts)" "$n"
ec_points >points-after2
ok "the public points are still unchanged" cmp points-before points-after2
sim_stop
set_access PEER 03
sim_start

# the peer point and the template are checked before any card I/O
point=$(tail -c 65 peer2.der | od -An -tx1 -v | tr -d ' \n')
off=${point%??}$(printf '%02x' $((0x${point: -2} ^ 1))) # Y changed: not on the curve
n=$(puts)
d=$(dhs)
out=$("$P11_PROBE" "$P11_MODULE" derive-bad-template "$off" 2>&1)
like "an off-curve peer point: CKR_MECHANISM_PARAM_INVALID" "$out" '^good 0x71$'
like "and said" "$out" "iotsafe-pkcs11: the ECDH peer point is not an uncompressed point on prime256v1, the curve of private key id=04 \\(DHKEY\\)"
is "no PUT PUBLIC KEY or COMPUTE DH for it" "$(puts) $(dhs)" "$n $d"
out=$("$P11_PROBE" "$P11_MODULE" derive-bad-template "$point" 2>&1)
for c in sensitive-in-a-ulong label-without-buffer id-without-buffer value-len-in-a-byte; do
    like "template $c: CKR_ATTRIBUTE_VALUE_INVALID" "$out" "^$c 0x13\$"
done
like "template AES of 20 bytes: CKR_TEMPLATE_INCONSISTENT" "$out" '^aes-20-bytes 0xd1$'
like "a good template (sensitive AES-128) derives" "$out" '^good 0x0$'
like "and its value stays inside" "$out" 'value of the sensitive secret CKR_ATTRIBUTE_SENSITIVE'
is "the card computed only for the good ones" "$(dhs)" "$((d + 1))"

done_testing
