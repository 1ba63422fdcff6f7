#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# ECDH on the card: `openssl pkeyutl -derive -inkey iotsafe:label=DHKEY
# -peerkey peer.pem` puts the peer into the card's peer slot and the card
# computes the secret (PUT PUBLIC KEY + COMPUTE DH); it must equal the default
# provider's ECDH with the software copy of the same scalar
# (test/data/devkey-soft.pem: DHKEY shares DEVKEY's d). X9.63 KDF on top,
# slot selection (auto, dh-peer-slot from env and openssl.cnf) and refusals.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}
SOFT=$SOURCE_ROOT/test/data/devkey-soft.pem
card_up
cd "$WORK" || exit 1

peer() { # NAME CURVE: software peer key pair
    ossl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -out "$1.key" &&
        ossl pkey -in "$1.key" -pubout -out "$1.pem"
}
ok "software P-256 peer 1" peer peer1 P-256
ok "software P-256 peer 2" peer peer2 P-256

for p in peer1 peer2; do
    ok "card ECDH with $p" openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey "$p.pem" -out "card-$p.bin"
    ok "software ECDH with the same scalar and $p" ossl pkeyutl -derive -inkey "$SOFT" -peerkey "$p.pem" -out "soft-$p.bin"
    ok "card secret equals the default provider's ($p)" cmp "card-$p.bin" "soft-$p.bin"
    is "secret is 32 bytes ($p)" "$(wc -c <"card-$p.bin" | tr -d ' ')" 32
done
ok "the peer side agrees too (peer's private key, card's public key)" \
    sh -c "openssl pkey -in 'iotsafe:label=DHKEY' -pubout -out dh.pem && OPENSSL_CONF=/dev/null openssl pkeyutl -derive -inkey peer1.key -peerkey dh.pem -out peer-side.bin"
ok "both sides have the same secret" cmp card-peer1.bin peer-side.bin
ok "different peers give different secrets" sh -c '! cmp -s card-peer1.bin card-peer2.bin'
ok "a key-agreement-only key (NOSIGN) derives" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=NOSIGN' -peerkey peer1.pem -out nosign.bin

# ---- what goes over the wire: the peer point in, the secret redacted
# (the slot holds peer1 from the NOSIGN derive: peer2 has to be written)
trace=$WORK/dh.trace
IOTSAFE_TRACE=1 openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer2.pem \
    -out traced.bin 2>"$trace"
is "traced derive succeeded" "$?" 0
like "READ PUBLIC KEY of the peer slot 05 first" "$(cat "$trace")" 'iotsafe: > [0-9A-F]{2} CD 00 00 03 85 01 05'
like "PUT PUBLIC KEY into the peer slot 05" "$(cat "$trace")" 'iotsafe: > [0-9A-F]{2} 24 00 03 03 85 01 05'
# the same peer again: the slot already holds it, no NVM write
trace2=$WORK/dh2.trace
IOTSAFE_TRACE=1 openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer2.pem \
    -out traced2.bin 2>"$trace2"
is "second traced derive succeeded" "$?" 0
ok "same secret the second time" cmp traced.bin traced2.bin
like "the slot is read back" "$(cat "$trace2")" 'iotsafe: > [0-9A-F]{2} CD 00 00 03 85 01 05'
is "no PUT PUBLIC KEY for an unchanged peer" "$(grep -cE 'iotsafe: > [0-9A-F]{2} (24|D8) ' "$trace2")" 0
like "COMPUTE DH with key 04 and slot 05" "$(cat "$trace")" 'iotsafe: > [0-9A-F]{2} 46 00 00 06 84 01 04 85 01 05'
like "the shared secret is redacted from the trace" "$(cat "$trace")" '\[32 bytes redacted\] 90 00'
like "no secret bytes in the trace" "$(grep -c "$(od -An -tx1 -N8 traced.bin | tr -d ' \n' | tr a-f A-F | sed 's/../& /g; s/ $//')" "$trace")" '^0$'

# ---- X9.63 KDF (CMS uses it), computed on the host from the card's secret
kdf=(-pkeyopt kdf-type:X963KDF -pkeyopt kdf-digest:SHA256 -pkeyopt kdf-outlen:48 -pkeyopt hexkdf-ukm:0A0B0C)
ok "card ECDH + X9.63 KDF" openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer1.pem "${kdf[@]}" -out card-kdf.bin
ok "software ECDH + X9.63 KDF" ossl pkeyutl -derive -inkey "$SOFT" -peerkey peer1.pem "${kdf[@]}" -out soft-kdf.bin
ok "KDF outputs are equal" cmp card-kdf.bin soft-kdf.bin
is "KDF output is 48 bytes" "$(wc -c <card-kdf.bin | tr -d ' ')" 48
fails 'ECDH KDF .* is not supported' "an unknown KDF is refused" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer1.pem -pkeyopt kdf-type:HKDF -out x.bin

# ---- the peer slot: dh-peer-slot from the environment and from openssl.cnf
ok "IOTSAFE_DH_PEER_SLOT=05" env IOTSAFE_DH_PEER_SLOT=05 \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer2.pem -out env.bin
ok "same secret with the explicit slot" cmp env.bin card-peer2.bin
sed 's/^\[iotsafe_sect\]$/[iotsafe_sect]\ndh-peer-slot = 05/' "$OPENSSL_CONF" >slot.cnf
ok "dh-peer-slot = 05 in openssl.cnf" env OPENSSL_CONF="$WORK/slot.cnf" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer2.pem -out cnf.bin
ok "same secret with the configured slot" cmp cnf.bin card-peer2.bin
fails 'dh-peer-slot 33: no public key object with this ID' "a slot that does not exist" \
    env IOTSAFE_DH_PEER_SLOT=33 openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer1.pem -out x.bin
fails 'dh-peer-slot 01 cannot take a prime256v1 peer key' "a slot without update access" \
    env IOTSAFE_DH_PEER_SLOT=01 openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer1.pem -out x.bin
ok "DEVKEY's public key (read-only) is untouched" \
    sh -c "openssl pkey -in 'iotsafe:label=DEVKEY;type=public' -pubin -pubout -out devpub.pem"
ok "DEVKEY's public key still the one of the soft key" \
    sh -c "OPENSSL_CONF=/dev/null openssl pkey -in '$SOFT' -pubout | cmp - devpub.pem"

# ---- refusals
fails 'private key id=01 \(DEVKEY\) may not be used for key agreement' \
    "a sign-only key is refused" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DEVKEY' -peerkey peer1.pem -out x.bin
fails 'private key id=02 \(GENKEY\) may not be used for key agreement' \
    "a sign+keygen key is refused" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=GENKEY' -peerkey peer1.pem -out x.bin
ok "software brainpoolP256r1 peer" peer bp brainpoolP256r1
ok "software secp384r1 peer" peer p384 secp384r1
fails 'the peer key is on brainpoolP256r1 but the card key, private key id=04 \(DHKEY\), is on prime256v1' \
    "a peer on another curve is refused" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey bp.pem -out x.bin
fails 'curve secp384r1 is not supported' "a peer on an unsupported curve is refused" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey p384.pem -out x.bin
fails 'no public key object with update access on brainpoolP256r1' \
    "no peer slot on the key's curve (BPKEY on the standard card)" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=BPKEY' -peerkey bp.pem -out x.bin
fails 'no private key matching iotsafe:label=NOSUCHKEY' "missing key" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=NOSUCHKEY' -peerkey peer1.pem -out x.bin
sim_stop
fails 'no card' "card absent" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer1.pem -out x.bin
sim_start
ok "ECDH works again once the card is back" \
    openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer1.pem -out again.bin
ok "same secret as before" cmp again.bin card-peer1.bin

# ---- another key pair's public key is never the peer slot, even when writable
# (libiotsafe's rule, the PKCS#11 module's too): DEVKEY's (01, ahead of 05)
sim_stop
awk '/^\[/ {sect = $0; name = ""} /^# / {name = $2}
    sect == "[public-key]" && name == "DEVKEY" && /^access = / {$0 = "access = 03"} {print}' \
    "$SIM_STATE" >state.new && mv state.new "$SIM_STATE"
sim_start
trace3=$WORK/dh3.trace
IOTSAFE_TRACE=1 openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer2.pem \
    -out pair.bin 2>"$trace3"
is "derive with DEVKEY's public key writable" "$?" 0
ok "same secret as before" cmp pair.bin card-peer2.bin
like "PUT PUBLIC KEY into the peer slot 05" "$(cat "$trace3")" 'iotsafe: > [0-9A-F]{2} 24 00 03 03 85 01 05'
is "nothing put into DEVKEY's public key 01" "$(grep -cE 'iotsafe: > [0-9A-F]{2} 24 00 03 03 85 01 01' "$trace3")" 0
ok "DEVKEY's public key is still the soft key's" \
    sh -c "openssl pkey -in 'iotsafe:label=DEVKEY;type=public' -pubin -pubout | cmp - devpub.pem"
fails "dh-peer-slot 01 cannot take a prime256v1 peer key \\(it needs update access, the same curve, and must not be a key pair's public key\\)" \
    "dh-peer-slot naming another key pair's (writable) public key" \
    env IOTSAFE_DH_PEER_SLOT=01 openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey peer1.pem -out x.bin

done_testing
