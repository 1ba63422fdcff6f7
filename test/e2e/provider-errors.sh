#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Negative cases of the provider: each must fail (non-zero exit) with a clear
# message naming the object, the reader or the card's answer.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

KEYFILE_CHECK=$BUILD_ROOT/test/provider/keyfile_check
card_up
K='iotsafe:label=DEVKEY'
msg=$WORK/msg.txt
printf 'negative tests\n' >"$msg"
ok "key file for later" openssl pkey -in "$K" -out "$WORK/card-key.pem"
make_bogus_keyref "$WORK/v1-key.pem" 'iotsafe:id=%01;label=DEVKEY;type=private' # as written before v2

# ---- objects that do not exist / are not keys
fails "no private key matching iotsafe:label=NOPE on the card in reader 'Virtual PCD 00 00'" \
    "unknown label" openssl pkey -in 'iotsafe:label=NOPE' -pubout
fails 'no private key matching iotsafe:id=%09 ' "unknown id" openssl pkey -in 'iotsafe:id=%09' -pubout
fails 'no private key matching iotsafe:id=%01;label=GENKEY' "id and label of different objects" \
    openssl pkey -in 'iotsafe:id=%01;label=GENKEY' -pubout
fails 'no private key matching iotsafe:label=DEVCERT' "a certificate is not a key" \
    openssl pkey -in 'iotsafe:label=DEVCERT' -pubout
fails 'no certificate matching iotsafe:label=DEVKEY' "a key is not a certificate" \
    openssl x509 -in 'iotsafe:label=DEVKEY' -noout
if [ "$(line_expect load-pubkey-retries)" = yes ]; then
    # The apps' load_pubkey() quietly tries a public key, then a private key:
    # the user sees the second attempt's reason.
    fails 'no private key matching iotsafe:label=PEER on the card' \
        "empty PEER slot: pkey -pubin shows the reason of OpenSSL $IOTSAFE_OPENSSL_LINE's private-key retry" \
        openssl pkey -pubin -in 'iotsafe:label=PEER' -pubout
    fails 'READ PUBLIC KEY on public key id=05.*6985' "empty PEER slot: storeutl shows the card's status word" \
        openssl storeutl 'iotsafe:label=PEER'
else
    fails 'READ PUBLIC KEY on public key id=05.*6985' "empty PEER slot: the card's status word" \
        openssl pkey -pubin -in 'iotsafe:label=PEER' -pubout
fi
fails "no reader matches 'No Such Reader'" "reader missing" \
    openssl pkey -in 'iotsafe:label=DEVKEY;reader=No%20Such%20Reader' -pubout

# ---- malformed URIs
fails "malformed URI 'iotsafe:lable=DEVKEY': unknown attribute 'lable'" "unknown attribute" \
    openssl pkey -in 'iotsafe:lable=DEVKEY' -pubout
fails "bad percent-escape in value of 'id'" "bad %-escape" openssl pkey -in 'iotsafe:id=%0' -pubout
fails "duplicate attribute 'label'" "duplicate attribute" openssl pkey -in 'iotsafe:label=A;label=B' -pubout
fails "empty value for 'label'" "empty value" openssl pkey -in 'iotsafe:label=' -pubout
fails "malformed URI 'iotsafe:label=DEV KEY': byte 0x20 in value of 'label' must be percent-encoded" \
    "unescaped space" openssl pkey -in 'iotsafe:label=DEV KEY' -pubout
fails "bad value 'secret' for 'type'" "bad type" openssl storeutl 'iotsafe:type=secret'
fails "empty attribute" "stray ';'" openssl storeutl 'iotsafe:label=DEVKEY;'

# ---- the private key never leaves the card
fails 'private key id=01 \(DEVKEY\) stays on the card' "pkey -text (print private parts)" \
    openssl pkey -in "$K" -text -noout
# Our keymgmt refuses to export the private half, so libcrypto cannot make a
# legacy key for the traditional format: both of its reasons, in order.
fails 'evp_pkey_copy_downgraded:keymgmt export failure:.*key type = id-ecPublicKey' \
    "pkey -traditional (a private key format) is refused" \
    openssl pkey -in "$K" -traditional -out "$WORK/trad.pem"
like "PEM says the key type has no traditional form" "$LAST_OUT" \
    'PEM_write_bio_PrivateKey_traditional:unsupported public key type'
ok "nothing was written by the refused export" sh -c "[ ! -s '$WORK/trad.pem' ]"
fails 'stays on the card' "pkey -text with the key file" openssl pkey -in "$WORK/card-key.pem" -text -noout

# ---- usage and digest restrictions
fails 'private key id=07 \(NOSIGN\) may not be used for signing' "sign with the NOSIGN key" \
    openssl dgst -sha256 -sign 'iotsafe:label=NOSIGN' "$msg"
fails 'digest md5 cannot be used with IoT SAFE keys \(SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512 only\)' \
    "MD5 refused" openssl dgst -md5 -sign "$K" "$msg"
fails 'no private key matching iotsafe:label=DEVKEY;type=public' "a public key object cannot sign" \
    openssl dgst -sha256 -sign 'iotsafe:label=DEVKEY;type=public' "$msg"
ok "pre-hashed input of a wrong length" sh -c "head -c 20 /dev/zero >'$WORK/md20'"
fails 'input of 20 bytes is not a SHA-256 digest' "pkeyutl -sign of 20 bytes with digest:sha256" \
    openssl pkeyutl -sign -inkey "$K" -in "$WORK/md20" -pkeyopt digest:sha256

# ---- broken key files
printf -- '-----BEGIN IOTSAFE KEY REFERENCE-----\n%s\n-----END IOTSAFE KEY REFERENCE-----\n' \
    "$(printf '\x30\x2f\x1a\x19IoT SAFE key reference v1\x0c\x12iotsafe:lable=NOPE' | base64 -w0)" >"$WORK/bad-uri.pem"
fails "key reference holds a malformed URI 'iotsafe:lable=NOPE'" "key file with a malformed URI" \
    "$KEYFILE_CHECK" "$WORK/bad-uri.pem"
fails "key reference holds a malformed URI 'iotsafe:lable=NOPE'" "openssl CLI refuses it too, with the reason" \
    openssl pkey -in "$WORK/bad-uri.pem" -pubout
printf -- '-----BEGIN IOTSAFE KEY REFERENCE-----\n%s\n-----END IOTSAFE KEY REFERENCE-----\n' \
    "$(printf '\x30\x2d\x1a\x19IoT SAFE key reference v1\x0c\x10iotsafe:label=NO' | base64 -w0)" >"$WORK/no-key.pem"
fails "no private key matching iotsafe:label=NO on the card" "key file naming a missing key" \
    "$KEYFILE_CHECK" "$WORK/no-key.pem"
# The openssl CLI loads key files through its file store (not PEM_read_bio_PrivateKey).
fails "no private key matching iotsafe:label=NO on the card" "missing key: openssl pkey says why" \
    openssl pkey -in "$WORK/no-key.pem" -pubout
fails "no private key matching iotsafe:label=NO on the card" "missing key: openssl req says why" \
    openssl req -new -key "$WORK/no-key.pem" -subj /CN=x -out "$WORK/x.csr"
like "req names the file" "$LAST_OUT" "$(line_expect could-not-read-key) from $WORK/no-key.pem"
fails "no private key matching iotsafe:label=NO on the card" "missing key: s_client -key says why" \
    openssl s_client -connect 127.0.0.1:1 -cert "$SOURCE_ROOT/test/data/devcert.pem" -key "$WORK/no-key.pem"
printf -- '-----BEGIN IOTSAFE KEY REFERENCE-----\n%s\n-----END IOTSAFE KEY REFERENCE-----\n' \
    "$(printf '\x30\x03\x02\x01\x05' | base64 -w0)" >"$WORK/not-a-ref.pem"
fails 'the IOTSAFE KEY REFERENCE PEM block does not hold a key reference' \
    "our PEM label around another body" openssl pkey -in "$WORK/not-a-ref.pem" -pubout
fails 'does not hold a key reference' "the same through PEM_read_bio_PrivateKey" \
    "$KEYFILE_CHECK" "$WORK/not-a-ref.pem"
# Documented limit (doc/provider.md, "Errors"): a DER key reference has no PEM
# stage, and OpenSSL's file store drops the reason there (wording per line).
printf '\x30\x2d\x1a\x19IoT SAFE key reference v1\x0c\x10iotsafe:label=NO' >"$WORK/no-key.der"
fails "$(line_expect der-decoder-error)" \
    "DER key reference naming a missing key: refused" \
    openssl pkey -inform DER -in "$WORK/no-key.der" -pubout
ok "other PEM keys still load with the provider active" \
    openssl pkey -in "$SOURCE_ROOT/test/data/ca.key" -pubout -out /dev/null
fails "$(line_expect check-private-key):key values mismatch" "key file vs a certificate of another key" \
    sh -c "openssl pkey -in 'iotsafe:label=GENKEY' -out '$WORK/gen-key.pem' && '$KEYFILE_CHECK' '$WORK/gen-key.pem' '$SOURCE_ROOT/test/data/devcert.pem'"
is "exit code 3 (mismatch)" "$LAST_RC" 3
ok "the matching certificate is accepted" "$KEYFILE_CHECK" "$WORK/card-key.pem" "$SOURCE_ROOT/test/data/devcert.pem"

# ---- card removed, then pcscd gone
sim_stop
fails "no card in any reader|no card in reader 'Virtual PCD 00 00'" "card removed: URI" \
    openssl pkey -in "$K" -pubout
fails "no card in (any )?reader" "card removed: key file (PEM_read_bio_PrivateKey path)" \
    "$KEYFILE_CHECK" "$WORK/card-key.pem"
fails "no card in (any )?reader" "card removed: storeutl" openssl storeutl 'iotsafe:'
ok "card removed: a v2 key file still loads (it carries the public key)" \
    openssl pkey -in "$WORK/card-key.pem" -pubout -out /dev/null
fails "no card in (any )?reader" "card removed: v1 key file through openssl pkey" \
    openssl pkey -in "$WORK/v1-key.pem" -pubout
fails "no card in (any )?reader" "card removed: key file through openssl req" \
    openssl req -new -key "$WORK/card-key.pem" -subj /CN=x -out "$WORK/x.csr"
fails "no card in (any )?reader" "card removed: v1 key file through s_client -key" \
    openssl s_client -connect 127.0.0.1:1 -cert "$SOURCE_ROOT/test/data/devcert.pem" -key "$WORK/v1-key.pem"
fails "no card in (any )?reader" "card removed: dgst -sign" openssl dgst -sha256 -sign "$K" "$msg"
pcscd_stop
fails 'PC/SC service not available.*is pcscd running' "pcscd not running" openssl pkey -in "$K" -pubout
pcscd_start
sim_start
ok "card back: works again" openssl pkey -in "$K" -pubout -out /dev/null

done_testing
