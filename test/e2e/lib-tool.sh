# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Helpers shared by the tool-*.sh e2e tests. Source after harness.sh.

# The standard test card's DEVKEY (and DHKEY) public point: RFC 6979 A.2.5.
DEVKEY_X=60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6
DEVKEY_Y=7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299
# SubjectPublicKeyInfo DER of a P-256 key: fixed header, then 04 || X || Y.
P256_SPKI_PREFIX=3059301306072a8648ce3d020106082a8648ce3d030107034200
DEVKEY_SPKI_HEX=${P256_SPKI_PREFIX}04${DEVKEY_X}${DEVKEY_Y}

# Plain OpenSSL for reference checks: these tests check the tool, not the provider.
ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}

# Lower-case hex of a file's bytes on stdout.
hex_of() {
    od -An -v -tx1 "$1" | tr -d ' \n'
}

# Hex of the DER SubjectPublicKeyInfo in a PEM public key file.
spki_hex() {
    local out="$WORK/spki.$$.$RANDOM.der"
    ossl pkey -pubin -in "$1" -outform DER -out "$out" && hex_of "$out"
}

# Hex of the DER form of a PEM certificate file.
cert_der_hex() {
    local out="$WORK/cert.$$.$RANDOM.der"
    ossl x509 -in "$1" -outform DER -out "$out" && hex_of "$out"
}

# Run CMD with stdout to FILE (for ok/fails, which capture output themselves).
to_file() {
    local f=$1
    shift
    "$@" >"$f"
}
