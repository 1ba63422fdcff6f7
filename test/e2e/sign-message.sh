#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# OpenSSL 3.4+ message signing with a card key: an application fetches
# "ECDSA-SHA256" (or -SHA1, -224, -384, -512) from the provider and signs a
# message with EVP_PKEY_sign_message_init and one EVP_PKEY_sign, or with
# _update + _final. The host hashes, the card signs (traced; SHA-1 and SHA-224
# digests left-padded as SHA-256 ones), DEVKEY's software copy verifies.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"
line_at_least 3.4 || skip_all "message signing (EVP_PKEY_sign_message_init) is OpenSSL 3.4+; this is $IOTSAFE_OPENSSL_LINE"
line_program "sign_message=$SIGN_MESSAGE"

card_up
cd "$WORK" || exit 1
K='iotsafe:label=DEVKEY;type=private'
head -c 1000 /dev/urandom >msg
ok "DEVKEY's software copy, public half" \
    env OPENSSL_CONF=/dev/null openssl pkey -in "$SOURCE_ROOT/test/data/devkey-soft.pem" -pubout -out soft.pub

for bits in 1 224 256 384 512; do
    for mode in oneshot stream; do
        IOTSAFE_TRACE=1 "$SIGN_MESSAGE" "$K" "ECDSA-SHA$bits" '?provider=iotsafe' "$mode" msg "sig-$bits-$mode" 2>"t-$bits-$mode"
        is "ECDSA-SHA$bits, $mode: signed" "$?" 0
        like "ECDSA-SHA$bits, $mode: by the card (COMPUTE SIGNATURE INIT + UPDATE)" \
            "$(grep -Eo 'iotsafe: > [0-9A-F]{2} 2[AB] ' "t-$bits-$mode" | awk '{ print $4 }' | sort | tr '\n' ' ')" '^2A 2B $'
        ok "ECDSA-SHA$bits, $mode: DEVKEY's software copy verifies it" \
            env OPENSSL_CONF=/dev/null openssl dgst -sha"$bits" -verify soft.pub -signature "sig-$bits-$mode" msg
    done
done
fails 'unsupported|not supported|fetch' "ECDSA-SHA3-256 is not offered for card keys" \
    "$SIGN_MESSAGE" "$K" ECDSA-SHA3-256 'provider=iotsafe' oneshot msg x.sig

done_testing
