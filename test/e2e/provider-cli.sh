#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The provider with the openssl CLI: public key export, CSR, self-signed and
# card-signed certificates, dgst/pkeyutl signatures checked by the default
# provider alone (SHA-1 to SHA-512, on keys whose card allows every hash or one
# only: what the card was handed, from the trace), brainpool, and that none of
# this needs the private key.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so" "iotsafe-tool=$TOOL"

# Default provider only: the reference side of every check.
ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}
hex_of() {
    od -An -v -tx1 "$1" | tr -d ' \n'
}
# DEVKEY is the RFC 6979 A.2.5 key: its SubjectPublicKeyInfo is known.
DEVKEY_SPKI_HEX=3059301306072a8648ce3d020106082a8648ce3d03010703420004
DEVKEY_SPKI_HEX+=60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6
DEVKEY_SPKI_HEX+=7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299

# The standard card plus two keys with DEVKEY's scalar whose card allows one hash only.
sed "s|^content = |content = $SOURCE_ROOT/test/data/|" "$SOURCE_ROOT/test/data/card.conf" >"$WORK/card.conf"
for k in 256:0A 384:0B; do
    printf '\n[keypair ONLY%s]\nprivate-id = %s\npublic-id = %s\ncurve = P-256\nfunctions = sign\nhashes = sha%s\nkey = %s\n' \
        "${k%:*}" "${k#*:}" "${k#*:}" "${k%:*}" C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721 \
        >>"$WORK/card.conf"
done
card_up "$WORK/card.conf"
K='iotsafe:label=DEVKEY'
SOFT=$SOURCE_ROOT/test/data/devkey-soft.pem # DEVKEY's software copy
msg=$WORK/msg.txt
printf 'IoT SAFE provider test message\n' >"$msg"

# ---- public key
ok "pkey -pubout (DER) from the card key" openssl pkey -in "$K" -pubout -outform DER -out "$WORK/dev.der"
is "public key equals the card's DEVKEY" "$(hex_of "$WORK/dev.der")" "$DEVKEY_SPKI_HEX"
ok "pkey -pubout (PEM)" openssl pkey -in "$K" -pubout -out "$WORK/dev.pem"
ok "iotsafe-tool pubkey of the same key" "$TOOL" pubkey --label DEVKEY --out "$WORK/tool.pem"
ok "provider and tool agree on the public key" cmp "$WORK/dev.pem" "$WORK/tool.pem"
ok "by id and type" openssl pkey -in 'iotsafe:id=%01;type=private' -pubout -out "$WORK/dev-id.pem"
ok "same key by id" cmp "$WORK/dev.pem" "$WORK/dev-id.pem"
ok "by reader substring" openssl pkey -in 'iotsafe:label=DEVKEY;reader=Virtual' -pubout -out "$WORK/dev-rd.pem"
ok "same key by reader" cmp "$WORK/dev.pem" "$WORK/dev-rd.pem"
ok "public key object (type=public) loads with -pubin" \
    openssl pkey -pubin -in 'iotsafe:label=DEVKEY;type=public' -pubout -out "$WORK/dev-pub.pem"
ok "same key from the public key object" cmp "$WORK/dev.pem" "$WORK/dev-pub.pem"
ok "-text_pub prints the public half" openssl pkey -in "$K" -text_pub -noout
like "text names the curve" "$LAST_OUT" 'ASN1 OID: prime256v1'
like "text names the card object" "$LAST_OUT" 'iotsafe:id=%01;label=DEVKEY;type=private'

# ---- CSR and certificates
ok "req -new signed by the card" openssl req -new -key "$K" -subj /CN=iotsafe-device -out "$WORK/dev.csr"
ok "req -verify with the default provider only" ossl req -verify -in "$WORK/dev.csr" -noout
like "self-signature verifies" "$LAST_OUT" 'verify OK'
ok "the CSR carries the card's public key" \
    sh -c "openssl req -in '$WORK/dev.csr' -pubkey -noout | cmp - '$WORK/dev.pem'"
ok "req -x509 self-signed by the card" \
    openssl req -x509 -new -key "$K" -subj /CN=self -days 2 -sha384 $(line_expect req-x509-ca-args) \
    -out "$WORK/self.pem"
ok "the self-signed certificate verifies (default provider)" ossl verify -CAfile "$WORK/self.pem" "$WORK/self.pem"
ok "certificate signature algorithm" ossl x509 -in "$WORK/self.pem" -noout -text
like "ecdsa-with-SHA384 (algorithm-id from the provider)" "$LAST_OUT" 'Signature Algorithm: ecdsa-with-SHA384'
ok "x509 -req: the card key signs a certificate as CA" \
    openssl x509 -req -in "$WORK/dev.csr" -CA "$WORK/self.pem" -CAkey "$K" -CAcreateserial \
    -days 2 -out "$WORK/issued.pem"
ok "issued certificate verifies against the card-signed root" \
    ossl verify -CAfile "$WORK/self.pem" "$WORK/issued.pem"
ok "the card's DEVCERT matches the card key (x509 -checkend + key match)" \
    openssl x509 -in "$SOURCE_ROOT/test/data/devcert.pem" -noout -pubkey -out "$WORK/certpub.pem"
ok "certificate public key equals the card key" cmp "$WORK/certpub.pem" "$WORK/dev.pem"

# ---- signatures, verified by the default provider with the public key only
for h in sha256 sha384 sha512; do
    ok "dgst -$h -sign with the card key" openssl dgst -"$h" -sign "$K" -out "$WORK/sig-$h" "$msg"
    ok "default provider verifies the $h signature" \
        ossl dgst -"$h" -verify "$WORK/dev.pem" -signature "$WORK/sig-$h" "$msg"
done
ok "signature is DER ECDSA-Sig-Value" ossl asn1parse -inform DER -in "$WORK/sig-sha256"
is "a SEQUENCE of two INTEGERs" "$(printf '%s\n' "$LAST_OUT" | grep -c 'prim: INTEGER')" 2
ok "sha256 digest of the message" ossl dgst -sha256 -binary -out "$WORK/md" "$msg"
ok "pkeyutl -sign of a pre-hashed digest" openssl pkeyutl -sign -inkey "$K" -in "$WORK/md" -out "$WORK/raw.sig"
ok "default provider verifies the pre-hashed signature" \
    ossl pkeyutl -verify -pubin -inkey "$WORK/dev.pem" -in "$WORK/md" -sigfile "$WORK/raw.sig"
ok "pkeyutl -sign with digest:sha256 set" \
    openssl pkeyutl -sign -inkey "$K" -in "$WORK/md" -out "$WORK/raw2.sig" -pkeyopt digest:sha256
ok "and it verifies" ossl pkeyutl -verify -pubin -inkey "$WORK/dev.pem" -in "$WORK/md" -sigfile "$WORK/raw2.sig"

# ---- digests of any length: the card gets the same ECDSA integer as a digest of
# a hash the key allows (iotsafe_ecdsa_card_input): a digest of an allowed hash as
# it is, else cut or left-padded to P-256's 32 bytes, zeros after it up to a longer
# allowed hash. The signature is over the application's digest.
apdu_hex() { # the bytes of a file (or stdin) as the trace shows them: "2D 6D ..."
    od -An -v -tx1 "$@" | tr 'a-f\n' 'A-F ' | tr -s ' ' | sed 's/^ //; s/ $//'
}
zeros() { # n zero bytes, as apdu_hex writes them
    local i s=
    for ((i = 0; i < $1; i++)); do s+=" 00"; done
    printf '%s' "${s# }"
}
hash_code() { # tag 91's value for a hash of n bytes
    case $1 in 32) echo "00 01" ;; 48) echo "00 02" ;; *) echo "00 04" ;; esac
}
# What the card must get for a digest file when the key allows hashes of the given
# lengths (shortest first): "HASH|BYTES".
expect_card_input() {
    local f=$1 n l int
    shift
    n=$(stat -c %s "$f")
    for l in "$@"; do
        if [ "$l" -eq "$n" ]; then
            printf '%s|%s' "$(hash_code "$l")" "$(apdu_hex "$f")"
            return
        fi
    done
    if [ "$n" -ge 32 ]; then int=$(head -c 32 "$f" | apdu_hex); else int="$(zeros $((32 - n))) $(apdu_hex "$f")"; fi
    [ "$1" -gt 32 ] && int+=" $(zeros $(($1 - 32)))"
    printf '%s|%s' "$(hash_code "$1")" "$int"
}
ok "DEVKEY's software copy, public half" ossl pkey -in "$SOFT" -pubout -out "$WORK/soft.pub"
for key in 'DEVKEY 32 48 64' 'ONLY256 32' 'ONLY384 48'; do
    set -- $key
    label=$1
    shift
    for h in sha1 sha224 sha256 sha384 sha512; do
        ossl dgst -"$h" -binary -out "$WORK/md-$h" "$msg"
        IOTSAFE_TRACE=1 openssl dgst -"$h" -sign "iotsafe:label=$label" -out "$WORK/sig-$label-$h" "$msg" \
            2>"$WORK/trace-$label-$h"
        is "$label, $h: dgst -sign" "$?" 0
        want=$(expect_card_input "$WORK/md-$h" "$@")
        like "$label, $h: the card signs it as hash ${want%%|*}" "$(cat "$WORK/trace-$label-$h")" \
            "iotsafe: > [0-9A-F]{2} 2A 00 01 .*91 02 ${want%%|*}"
        like "$label, $h: the card gets the digest's ECDSA integer" "$(cat "$WORK/trace-$label-$h")" \
            "iotsafe: > [0-9A-F]{2} 2B 80 01 [0-9A-F]{2} 9E [0-9A-F]{2} ${want#*|} 00\$"
        ok "$label, $h: DEVKEY's software copy verifies it" \
            ossl dgst -"$h" -verify "$WORK/soft.pub" -signature "$WORK/sig-$label-$h" "$msg"
    done
done
ok "pkeyutl -sign of a pre-hashed SHA-1 digest (no digest set)" \
    openssl pkeyutl -sign -inkey "$K" -in "$WORK/md-sha1" -out "$WORK/raw-sha1.sig"
ok "the software copy verifies it" \
    ossl pkeyutl -verify -inkey "$SOFT" -in "$WORK/md-sha1" -sigfile "$WORK/raw-sha1.sig"
ok "pkeyutl -sign with digest:sha224 set" \
    openssl pkeyutl -sign -inkey "$K" -in "$WORK/md-sha224" -out "$WORK/raw-sha224.sig" -pkeyopt digest:sha224
ok "the software copy verifies it" \
    ossl pkeyutl -verify -inkey "$SOFT" -in "$WORK/md-sha224" -sigfile "$WORK/raw-sha224.sig" -pkeyopt digest:sha224
for h in sha1 sha224; do
    ok "req -new -$h signed by the card" openssl req -new -key "$K" -subj "/CN=$h" -"$h" -out "$WORK/$h.csr"
    ok "the $h CSR verifies (default provider)" ossl req -verify -in "$WORK/$h.csr" -noout -text
    like "ecdsa-with-${h^^} (algorithm-id from the provider)" "$LAST_OUT" "Signature Algorithm: ecdsa-with-${h^^}\$"
done

# ---- brainpoolP256r1
ok "BPKEY public key" openssl pkey -in 'iotsafe:label=BPKEY' -pubout -out "$WORK/bp.pem"
ok "BPKEY is on brainpoolP256r1" ossl pkey -pubin -in "$WORK/bp.pem" -noout -text
like "curve name" "$LAST_OUT" 'brainpoolP256r1'
ok "dgst -sign with BPKEY" openssl dgst -sha256 -sign 'iotsafe:label=BPKEY' -out "$WORK/bp.sig" "$msg"
ok "default provider verifies the brainpool signature" \
    ossl dgst -sha256 -verify "$WORK/bp.pem" -signature "$WORK/bp.sig" "$msg"
ok "CSR signed by BPKEY" openssl req -new -key 'iotsafe:label=BPKEY' -subj /CN=bp -out "$WORK/bp.csr"
ok "brainpool CSR verifies" ossl req -verify -in "$WORK/bp.csr" -noout

# ---- the provider registers no digest/cipher/RNG and loads without a card
ok "list -providers" openssl list -providers
like "iotsafe is active" "$LAST_OUT" 'iotsafe'
ok "list -digest-algorithms" openssl list -digest-algorithms
like "no digest comes from iotsafe" "$(printf '%s\n' "$LAST_OUT" | grep -c '@ iotsafe')" '^0$'
pcscd_stop
ok "provider loads with no pcscd at all (no card I/O at load)" openssl list -key-managers
like "EC key manager @ iotsafe listed" "$LAST_OUT" 'id-ecPublicKey.*@ iotsafe'

done_testing
