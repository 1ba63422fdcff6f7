#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates the test PKI of the standard test card. Run once; the outputs are committed.
#   devkey-soft.pem  software copy of the DEVKEY private key: the published RFC 6979 A.2.5
#                    P-256 test key, not a secret
#   ca.key, ca.pem   test CA (P-256, CN "iotsafe test CA", valid 100 years)
#   devcert.pem      CN "iotsafe-device", DEVKEY's public key, issued by the test CA
set -eu
cd "$(dirname "$0")"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# ECPrivateKey { version 1, privateKey d, parameters prime256v1 } built from the fixed scalar
cat > "$T/key.cnf" <<EOC
asn1=SEQUENCE:ec
[ec]
version=INTEGER:1
key=FORMAT:HEX,OCTETSTRING:C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
params=EXPLICIT:0,OID:prime256v1
EOC
openssl asn1parse -genconf "$T/key.cnf" -out "$T/key.der" -noout
openssl pkey -inform DER -in "$T/key.der" -out devkey-soft.pem

# Certificates via "openssl ca" so the validity can start in the past (2020): a CI machine
# whose clock lags the generation date must still accept them.
mkdir -p "$T/db"
: > "$T/db/index.txt"
cat > "$T/ca.cnf" <<EOC
[ca]
default_ca = test_ca
[test_ca]
database = $T/db/index.txt
new_certs_dir = $T/db
serial = $T/db/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_dev]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyAgreement
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOC
START=20200101000000Z
END=21191231235959Z

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
openssl req -new -key ca.key -subj "/CN=iotsafe test CA" -out "$T/ca.csr"
echo 1000 > "$T/db/serial"
openssl ca -batch -notext -config "$T/ca.cnf" -selfsign -keyfile ca.key -in "$T/ca.csr" \
  -startdate $START -enddate $END -extensions v3_ca -out ca.pem

openssl req -new -key devkey-soft.pem -subj "/CN=iotsafe-device" -out "$T/dev.csr"
openssl ca -batch -notext -config "$T/ca.cnf" -cert ca.pem -keyfile ca.key -in "$T/dev.csr" \
  -startdate $START -enddate $END -extensions v3_dev -out devcert.pem
openssl verify -CAfile ca.pem devcert.pem
