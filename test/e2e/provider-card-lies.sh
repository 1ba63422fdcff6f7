#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A card that lies, through pcscd (the simulator's value faults, doc/simulator.md):
# every signature is checked on the host before release (r and s in [1, n-1],
# ECDSA verification with the key's public point), ECDH results and public
# keys read from the card are checked too. A wrong value is an error naming
# the key and the reader, never output; the trace shows the card was asked.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/card-session.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

card_up
K='iotsafe:label=DEVKEY'
R="in reader 'Virtual PCD 00 00'"
WHO="private key id=01 \(DEVKEY\) $R"
msg=$WORK/msg
printf 'lying card test\n' >"$msg"
ok "public key for verification" openssl pkey -in "$K" -pubout -out "$WORK/dev.pub"
ok "key file" openssl pkey -in "$K" -out "$WORK/card-key.pem"

fault() {
    sim_stop
    sim_start --set "fault=$1"
}

# sign_fails REGEX DESC: dgst -sign fails with REGEX, writes no signature, and
# the card computed one (COMPUTE SIGNATURE UPDATE in the APDU trace).
sign_fails() {
    rm -f "$WORK/sig"
    fails "$1" "$2" env IOTSAFE_TRACE=1 openssl dgst -sha256 -sign "$K" -out "$WORK/sig" "$msg"
    like "$2: the card was asked (2B in the trace)" "$LAST_OUT" 'iotsafe: > [0-9A-F]{2} 2B 80'
    ok "$2: no signature released" test ! -s "$WORK/sig"
}

INV="card returned an invalid signature for $WHO"
fault sig-r-zero
sign_fails "$INV: r is zero" "r = 0"
fault sig-s-zero
sign_fails "$INV: s is zero" "s = 0"
fault sig-r-order
sign_fails "$INV: r is not below the group order" "r = n"
fault sig-random
sign_fails "$INV: it does not verify with the key's public key \(the key on the card may have changed since this key was loaded\)" \
    "random r||s"
fails "$INV: it does not verify" "random r||s through a key file (PEM_read_bio_PrivateKey)" \
    openssl dgst -sha256 -sign "$WORK/card-key.pem" -out "$WORK/sig" "$msg"
fault sig-short
sign_fails "$INV: 62 bytes of r\|\|s, a prime256v1 signature has 64" "r||s of 62 bytes"
fault sig-long
sign_fails "malformed card answer:.*COMPUTE SIGNATURE on private key id=01 \(DEVKEY\).*: malformed card answer: raw signature r\|\|s of 200 bytes, at most 64 expected" \
    "r||s of 200 bytes: malformed answer, not a buffer problem"
ok "200 bytes: no 'buffer too small'" sh -c "! printf '%s' \"\$1\" | grep -q 'buffer too small'" sh "$LAST_OUT"

# ---- verification off (documented cost trade-off): range checks stay
fault sig-random
ok "verify-signatures off (env): the random signature is released" \
    env IOTSAFE_VERIFY_SIGNATURES=no openssl dgst -sha256 -sign "$K" -out "$WORK/sig" "$msg"
fails "Verification failure" "and it does not verify: what verify-before-release prevents" \
    env OPENSSL_CONF=/dev/null openssl dgst -sha256 -verify "$WORK/dev.pub" -signature "$WORK/sig" "$msg"
cp "$OPENSSL_CONF" "$WORK/noverify.cnf" # [iotsafe_sect] is its last section
printf 'verify-signatures = no\n' >>"$WORK/noverify.cnf"
ok "verify-signatures = no in the config section: released too" \
    env OPENSSL_CONF="$WORK/noverify.cnf" openssl dgst -sha256 -sign "$K" -out "$WORK/sig" "$msg"
fault sig-r-zero
fails "$INV: r is zero" "verification off: r = 0 is still refused" \
    env IOTSAFE_VERIFY_SIGNATURES=no openssl dgst -sha256 -sign "$K" -out "$WORK/sig" "$msg"

# ---- ECDH results
ok "peer key" openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/peer.pem"
ok "peer public key" openssl pkey -in "$WORK/peer.pem" -pubout -out "$WORK/peer.pub"
DH='iotsafe:label=DHKEY'
DHWHO="private key id=04 \(DHKEY\) $R"
fault dh-zero
fails "card returned an invalid shared secret for $DHWHO: all zero" "ECDH: all-zero secret" \
    openssl pkeyutl -derive -inkey "$DH" -peerkey "$WORK/peer.pub" -out "$WORK/z"
ok "ECDH all zero: nothing written" test ! -s "$WORK/z"
fault dh-off-curve
fails "card returned an invalid shared secret for $DHWHO: not the x-coordinate of a point on the curve" \
    "ECDH: x of no point" openssl pkeyutl -derive -inkey "$DH" -peerkey "$WORK/peer.pub" -out "$WORK/z"

# ---- public keys read from the card
fault pubkey-off-curve
fails "public key id=01 \(DEVKEY\) on the card $R is not a point on prime256v1" \
    "public key off the curve" openssl pkey -in "$K" -pubout
fault pubkey-short
fails "public key id=01 \(DEVKEY\) on the card $R is 33 bytes long; an uncompressed prime256v1 point has 65" \
    "public key of 33 bytes" openssl pkey -in "$K" -pubout

# ---- a key type the provider does not know (every key says 7F): refused at
# load, the key named by ID and label
fault key-type-unknown
fails "private key id=01 \(DEVKEY\) has key type 7F, not an EC curve this provider supports" \
    "unknown key type: the key is not loaded" openssl pkey -in "$K" -pubout

# ---- a key changed on the card under a running process
fault none
GEN='iotsafe:label=GENKEY;type=private'
session_start
session load "$GEN"
like "long-running process loads GENKEY" "$REPLY_LINE" '^loaded 04'
session sign
is "and signs with it" "$REPLY_LINE" "sign ok"
session_stop
# (a card refuses to regenerate a key with a signature session open elsewhere)
session_start
session load "$GEN"
like "a new process loads GENKEY" "$REPLY_LINE" '^loaded 04'
ok "another process regenerates GENKEY" "$TOOL" genkey --label GENKEY --out "$WORK/new.pem"
session sign
is "the old public key does not verify the new key's signature: refused" "$REPLY_LINE" "sign FAILED"
session_stop
like "the error says the key may have changed on the card" "$(cat "$SESSION_ERR")" \
    "card returned an invalid signature for private key id=02 \(GENKEY\) $R: it does not verify with the key's public key \(the key on the card may have changed since this key was loaded\)"

fault none
ok "fault=none: dgst -sign works again" openssl dgst -sha256 -sign "$K" -out "$WORK/sig" "$msg"
ok "and the signature verifies" env OPENSSL_CONF=/dev/null openssl dgst -sha256 -verify "$WORK/dev.pub" -signature "$WORK/sig" "$msg"

done_testing
