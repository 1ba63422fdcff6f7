#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Malformed card answers through pcscd, seen by OpenSSL programs: with the
# simulator's fault=KIND (doc/simulator.md) the provider fails with the reason
# "malformed card answer" and a message naming the command and the object,
# for pkey -pubout, dgst -sign, storeutl and key files; nothing crashes and
# the card works again once it answers properly.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

KEYFILE_CHECK=$BUILD_ROOT/test/provider/keyfile_check
K='iotsafe:label=DEVKEY'
R="in reader 'Virtual PCD 00 00'"
msg=$WORK/msg
printf 'malformed answer test\n' >"$msg"

card_up
ok "key file for DEVKEY" openssl pkey -in "$K" -out "$WORK/card-key.pem"
# A v1 file (as written before v2) is resolved on the card at load: the list
# and public key faults below reach it; a v2 file only meets the signature.
make_bogus_keyref "$WORK/v1-key.pem" 'iotsafe:id=%01;label=DEVKEY;type=private'
ok "public key for verification" openssl pkey -in "$K" -pubout -out "$WORK/dev.pub"

fault() {
    sim_stop
    sim_start --set "fault=$1"
}

# ---- object list cut inside an object's TLV
fault truncated-list
LIST_ERR='malformed card answer:.*object list: TLV length runs past the end of its structure'
fails "$LIST_ERR" "truncated list: pkey -pubout" openssl pkey -in "$K" -pubout
fails "$LIST_ERR" "truncated list: dgst -sign" openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"
fails "$LIST_ERR" "truncated list: storeutl" openssl storeutl 'iotsafe:'
fails "$LIST_ERR" "truncated list: v1 key file through openssl req" \
    openssl req -new -key "$WORK/v1-key.pem" -subj /CN=x -out "$WORK/x.csr"
fails "$LIST_ERR" "truncated list: v1 key file through PEM_read_bio_PrivateKey" \
    "$KEYFILE_CHECK" "$WORK/v1-key.pem"
ok "truncated list: a v2 key file still loads (no list needed)" \
    openssl pkey -in "$WORK/card-key.pem" -pubout -out /dev/null

# ---- READ PUBLIC KEY with an inner length past the end
fault bad-pubkey
PUB_ERR="malformed card answer:.*READ PUBLIC KEY on public key id=01 \\(DEVKEY\\) $R: malformed card answer"
fails "$PUB_ERR" "bad public key answer: pkey -pubout" openssl pkey -in "$K" -pubout
fails "$PUB_ERR" "bad public key answer: dgst -sign" openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"
fails "$PUB_ERR" "bad public key answer: storeutl of the key" openssl storeutl "$K"
# A listing skips empty slots quietly, but not a garbled answer.
fails "$PUB_ERR" "bad public key answer: storeutl iotsafe: (listing)" openssl storeutl 'iotsafe:'
fails "$PUB_ERR" "bad public key answer: v1 key file" openssl pkey -in "$WORK/v1-key.pem" -pubout
ok "bad public key answer: a v2 key file carries its public key" \
    openssl pkey -in "$WORK/card-key.pem" -pubout -out /dev/null
ok "bad public key answer: certificates still load" openssl storeutl 'iotsafe:type=cert'

# ---- signature TLV 33 with a length past the end
fault bad-signature
SIG_ERR="malformed card answer:.*COMPUTE SIGNATURE on private key id=01 \\(DEVKEY\\) $R: malformed card answer"
fails "$SIG_ERR" "bad signature answer: dgst -sign" openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"
# Signing with a v2 file never read the object list, so the card's label is
# not in the message (the key ID is).
SIG_ERR_V2="malformed card answer:.*COMPUTE SIGNATURE on private key id=01 $R: malformed card answer"
fails "$SIG_ERR_V2" "bad signature answer: dgst -sign with the key file" \
    openssl dgst -sha256 -sign "$WORK/card-key.pem" -out "$WORK/s" "$msg"
fails "$SIG_ERR_V2" "bad signature answer: req" \
    openssl req -new -key "$WORK/card-key.pem" -subj /CN=x -out "$WORK/x.csr"
ok "bad signature answer: pkey -pubout is unaffected" openssl pkey -in "$K" -pubout

# ---- answers a short APDU cannot have, and 61xx chains that do not end: the
# APDU layer refuses them, naming the command, the object and the reader
SIGCTX="COMPUTE SIGNATURE on private key id=01 \\(DEVKEY\\) $R: malformed card answer"
shape() { # FAULT REASON DESC
    fault "$1"
    fails "malformed card answer:.*$SIGCTX: $2" "$3" \
        env IOTSAFE_TRACE=1 openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"
    like "$3: the card was asked (2B in the trace)" "$LAST_OUT" 'iotsafe: > [0-9A-F]{2} 2B 80'
}
shape endless-61xx "card kept answering 61xx after 32 GET RESPONSE commands" "61xx for ever"
is "61xx for ever: 32 GET RESPONSE commands, then the host gives up" \
    "$(printf '%s\n' "$LAST_OUT" | grep -cE '^iotsafe: > [0-9A-F]{2} C0 ')" 32
shape answer-over-1k "card answer longer than 1024 bytes" "GET RESPONSE chain past 1024 bytes"
shape answer-one-byte "card answer of 1 byte has no status word" "answer of 1 byte"
shape answer-257 "card answer of 257 data bytes to a short APDU that allows 256" "answer of 257 data bytes"
shape answer-258 "card answer of 258 data bytes to a short APDU that allows 256" "answer of 258 data bytes"
fault none
ok "after the broken answers: dgst -sign works again" openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"

# ---- GET RANDOM short, through the opt-in card RNG as the DRBG
fault short-random
sed 's/^\[openssl_init\]$/[openssl_init]\nrandom = random_sect/; s/^\[iotsafe_sect\]$/[iotsafe_sect]\nrand = 1/' \
    "$OPENSSL_CONF" >"$WORK/rand.cnf"
printf '[random_sect]\nrandom = CARD-RNG\n' >>"$WORK/rand.cnf"
fails "malformed card answer:.*GET RANDOM $R: malformed card answer: no random bytes returned" \
    "short random: openssl rand through CARD-RNG" env OPENSSL_CONF="$WORK/rand.cnf" openssl rand -hex 16
ok "short random: signing is unaffected" openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"

# ---- back to a well-behaved card
fault none
ok "fault=none: dgst -sign works again" openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"
ok "and the signature verifies" env OPENSSL_CONF=/dev/null openssl dgst -sha256 -verify "$WORK/dev.pub" -signature "$WORK/s" "$msg"
ok "fault=none: storeutl iotsafe: works again" openssl storeutl 'iotsafe:'

done_testing
