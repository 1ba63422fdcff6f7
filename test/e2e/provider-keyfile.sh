#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Key-reference files: written by the encoder (v2), read back by the decoders
# (v2 without touching the card, v1 through the card), and used by programs
# that only take a key file.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL"

ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}

card_up
K='iotsafe:label=DEVKEY'
msg=$WORK/msg.txt
printf 'key file test\n' >"$msg"

ok "pkey -in iotsafe:... -out card-key.pem" openssl pkey -in "$K" -out "$WORK/card-key.pem"
like "PEM label" "$(head -n 1 "$WORK/card-key.pem")" '^-----BEGIN IOTSAFE KEY REFERENCE-----$'
ok "the body is the documented DER" ossl asn1parse -in "$WORK/card-key.pem"
like "magic string" "$LAST_OUT" 'VISIBLESTRING +:IoT SAFE key reference v2'
like "URI with id, label and type" "$LAST_OUT" 'UTF8STRING +:iotsafe:id=%01;label=DEVKEY;type=private'
like "the curve" "$LAST_OUT" 'OBJECT +:prime256v1'
like "the public point" "$LAST_OUT" 'BIT STRING'
like "the paired public key object" "$LAST_OUT" 'UTF8STRING +:iotsafe:id=%01;label=DEVKEY;type=public'
like "the applet" "$LAST_OUT" 'OCTET STRING +\[HEX DUMP\]:A0000005590010'
ok "one PEM block, nothing else" sh -c "[ \$(grep -c BEGIN '$WORK/card-key.pem') = 1 ]"

ok "pkey -in card-key.pem -pubout" openssl pkey -in "$WORK/card-key.pem" -pubout -out "$WORK/kf.pem"
ok "pkey -in iotsafe: -pubout" openssl pkey -in "$K" -pubout -out "$WORK/uri.pem"
ok "key file and URI give the same key" cmp "$WORK/kf.pem" "$WORK/uri.pem"
ok "req -new -key card-key.pem" openssl req -new -key "$WORK/card-key.pem" -subj /CN=kf -out "$WORK/kf.csr"
ok "req -verify" ossl req -verify -in "$WORK/kf.csr" -noout
ok "dgst -sign with card-key.pem" openssl dgst -sha256 -sign "$WORK/card-key.pem" -out "$WORK/kf.sig" "$msg"
ok "default provider verifies it" ossl dgst -sha256 -verify "$WORK/uri.pem" -signature "$WORK/kf.sig" "$msg"
ok "-keyform PEM explicitly" openssl req -new -key "$WORK/card-key.pem" -keyform PEM -subj /CN=kf -out /dev/null

ok "DER key reference (-outform DER)" openssl pkey -in "$K" -outform DER -out "$WORK/card-key.der"
ok "DER key reference is the PEM body" \
    bash -c "OPENSSL_CONF=/dev/null openssl base64 -d -in <(grep -v -- ----- '$WORK/card-key.pem') | cmp - '$WORK/card-key.der'"
ok "pkey -inform DER reads it back" openssl pkey -in "$WORK/card-key.der" -inform DER -pubout -out "$WORK/der.pem"
ok "same key from the DER file" cmp "$WORK/der.pem" "$WORK/uri.pem"

ok "iotsafe-tool keyfile" "$TOOL" keyfile --label DEVKEY --out "$WORK/tool-key.pem"
ok "the tool writes the same v2 key file as the encoder" cmp "$WORK/tool-key.pem" "$WORK/card-key.pem"
ok "the tool's key file works with openssl" openssl pkey -in "$WORK/tool-key.pem" -pubout -out "$WORK/tool.pem"
ok "same key from the tool's key file" cmp "$WORK/tool.pem" "$WORK/uri.pem"

ok "key file for BPKEY" openssl pkey -in 'iotsafe:label=BPKEY' -out "$WORK/bp-key.pem"
ok "BPKEY key file signs a CSR" openssl req -new -key "$WORK/bp-key.pem" -subj /CN=bp -out "$WORK/bp.csr"
ok "brainpool CSR verifies" ossl req -verify -in "$WORK/bp.csr" -noout

# The label is kept: a key file written with reader= still names the same key.
ok "key file with a reader" openssl pkey -in 'iotsafe:label=DEVKEY;reader=Virtual%20PCD%2000%2000' -out "$WORK/rd-key.pem"
ok "its URI carries the reader" ossl asn1parse -in "$WORK/rd-key.pem"
like "reader in the URI" "$LAST_OUT" 'reader=Virtual%20PCD%2000%2000'
ok "and it loads" openssl pkey -in "$WORK/rd-key.pem" -pubout -out "$WORK/rd.pem"
ok "same key" cmp "$WORK/rd.pem" "$WORK/uri.pem"

# v2 loads touch no card; v1 files (written before v2) keep working through the card.
IOTSAFE_TRACE=1 openssl pkey -in "$WORK/card-key.pem" -pubout -out "$WORK/v2.pub" 2>"$WORK/v2.trace"
is "v2 key file loads" "$?" 0
is "loading a v2 key file sends no APDU" "$(apdus "$WORK/v2.trace")" 0
ok "same key" cmp "$WORK/v2.pub" "$WORK/uri.pem"
make_bogus_keyref "$WORK/v1-key.pem" 'iotsafe:id=%01;label=DEVKEY;type=private'
IOTSAFE_TRACE=1 openssl pkey -in "$WORK/v1-key.pem" -pubout -out "$WORK/v1.pub" 2>"$WORK/v1.trace"
is "v1 key file still loads" "$?" 0
like "a v1 key file is resolved on the card" "$(apdus "$WORK/v1.trace")" '^[1-9][0-9]*$'
ok "same key from the v1 file" cmp "$WORK/v1.pub" "$WORK/uri.pem"
ok "v1 key file still signs" openssl dgst -sha256 -sign "$WORK/v1-key.pem" -out "$WORK/v1.sig" "$msg"
ok "and the signature verifies" ossl dgst -sha256 -verify "$WORK/uri.pem" -signature "$WORK/v1.sig" "$msg"
# The applet a v2 file was written for is the one identity check that needs no card.
fails 'key reference was written for the applet A0000005590010, this provider uses applet A0000002480400' \
    "v2 file used through another applet" \
    env IOTSAFE_AID=A0000002480400 openssl pkey -in "$WORK/card-key.pem" -pubout -out /dev/null
# Ordinary key files still go to the default provider untouched.
ok "ordinary EC key file still works" ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/soft.pem"
ok "openssl with the provider reads it" openssl pkey -in "$WORK/soft.pem" -pubout -out /dev/null
ok "and signs with it" openssl dgst -sha256 -sign "$WORK/soft.pem" -out /dev/null "$msg"

done_testing
