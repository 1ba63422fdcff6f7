#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The card key in the openssl PKI commands, each result verified by a
# process that loads the default provider only (OPENSSL_CONF=/dev/null):
# `cms -sign` and `smime -sign` (key file and URI), an OCSP responder
# (`ocsp -rsigner -rkey`), a time-stamping authority (`ts -reply -inkey`,
# which takes a key FILE only), and the card key as a CA key
# (`req -x509` self-signed root, `x509 -req -CAkey`).

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

line_program openssl
card_up
make_keyfile

# Verification runs without the provider: the default provider alone must accept the result.
soft() { OPENSSL_CONF=/dev/null openssl "$@"; }
printf 'card-signed message\n' >"$WORK/msg.txt"

# ---- CMS and S/MIME signatures
for how in file URI; do
    if [ $how = file ]; then key=$KEYFILE; else key=$CARD_KEY_URI; fi
    n=$(card_signatures)
    ok "cms -sign with the card key ($how)" \
        openssl cms -sign -in "$WORK/msg.txt" -signer "$DEVCERT" -inkey "$key" \
        -md sha256 -binary -outform DER -out "$WORK/msg-$how.p7s" -nodetach
    card_signed "the card signed the CMS SignedData ($how)" "$n"
    ok "default provider verifies the CMS signature ($how)" \
        soft cms -verify -inform DER -in "$WORK/msg-$how.p7s" -CAfile "$CA_CERT" \
        -purpose any -out "$WORK/msg-$how.out"
    is "CMS content intact ($how)" "$(cat "$WORK/msg-$how.out")" 'card-signed message'
    like "the signer is the device ($how)" \
        "$(soft cms -cmsout -print -inform DER -in "$WORK/msg-$how.p7s" 2>&1)" "CN ?= ?$DEVICE_CN"
done

n=$(card_signatures)
ok "smime -sign with the card key file" \
    openssl smime -sign -in "$WORK/msg.txt" -signer "$DEVCERT" -inkey "$KEYFILE" \
    -md sha256 -out "$WORK/msg.smime"
card_signed "the card signed the S/MIME message" "$n"
ok "default provider verifies the S/MIME signature" \
    soft smime -verify -in "$WORK/msg.smime" -CAfile "$CA_CERT" -purpose any -out "$WORK/smime.out"
like "S/MIME content intact" "$(cat "$WORK/smime.out")" 'card-signed message'

# ---- OCSP responder whose signing key is on the card
issue_card_cert_ext ocsp "$DEVICE_CN-ocsp" 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=critical,OCSPSigning'
serial=$(openssl x509 -in "$DEVCERT" -noout -serial | cut -d= -f2)
subject=$(openssl x509 -in "$DEVCERT" -noout -subject -nameopt compat | sed 's/^subject=//')
printf 'V\t301231235959Z\t\t%s\tunknown\t%s\n' "$serial" "$subject" >"$WORK/index.txt"
ok "OCSP request for the device certificate" \
    soft ocsp -issuer "$CA_CERT" -cert "$DEVCERT" -no_nonce -reqout "$WORK/req.der"
for how in file URI; do
    if [ $how = file ]; then key=$KEYFILE; else key=$CARD_KEY_URI; fi
    n=$(card_signatures)
    ok "ocsp responder signs with -rkey = card key ($how)" \
        openssl ocsp -index "$WORK/index.txt" -CA "$CA_CERT" -rsigner "$WORK/ocsp.pem" \
        -rkey "$key" -reqin "$WORK/req.der" -respout "$WORK/resp-$how.der"
    card_signed "the card signed the OCSP response ($how)" "$n"
    ok "default provider verifies the OCSP response ($how)" \
        soft ocsp -respin "$WORK/resp-$how.der" -issuer "$CA_CERT" -cert "$DEVCERT" \
        -CAfile "$CA_CERT" -no_nonce
    like "the OCSP response signature verified ($how)" "$LAST_OUT" \
        "^Response verify OK"
    like "device certificate status is good ($how)" "$LAST_OUT" ': good'
done

# ---- Time-stamping authority with the card key (ts takes a key file only)
issue_card_cert_ext tsa "$DEVICE_CN-tsa" 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=critical,timeStamping'
cat >"$WORK/tsa.cnf" <<EOC
[tsa]
default_tsa = tsa_config
[tsa_config]
serial = $WORK/tsa.serial
signer_cert = $WORK/tsa.pem
certs = $CA_CERT
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
EOC
echo 01 >"$WORK/tsa.serial"
ok "time-stamp query" \
    soft ts -query -data "$WORK/msg.txt" -sha256 -cert -out "$WORK/req.tsq"
n=$(card_signatures)
ok "ts -reply -inkey card key file" \
    openssl ts -reply -config "$WORK/tsa.cnf" -queryfile "$WORK/req.tsq" \
    -inkey "$KEYFILE" -out "$WORK/resp.tsr"
card_signed "the card signed the time-stamp token" "$n"
ok "default provider verifies the time-stamp" \
    soft ts -verify -queryfile "$WORK/req.tsq" -in "$WORK/resp.tsr" -CAfile "$CA_CERT"
like "time-stamp verification OK" "$LAST_OUT" '^Verification: OK'
# ts loads -inkey with PEM_read_bio_PrivateKey (no store): a URI is not a key for it.
fails 'fopen\(iotsafe:label=DEVKEY' \
    "ts -reply -inkey does not take an iotsafe: URI (a key file only)" \
    openssl ts -reply -config "$WORK/tsa.cnf" -queryfile "$WORK/req.tsq" \
    -inkey "$CARD_KEY_URI" -out "$WORK/resp-uri.tsr"

# ---- The card key as a CA key
n=$(card_signatures)
ok "req -x509: a self-signed CA certificate for the card key" \
    openssl req -new -x509 -key "$KEYFILE" -subj "/CN=$DEVICE_CN card CA" -days 2 -sha256 \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$WORK/cardca.pem"
card_signed "the card signed its CA certificate" "$n"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/leaf.key" 2>/dev/null
ok "a software CSR" soft req -new -key "$WORK/leaf.key" -subj /CN=leaf -out "$WORK/leaf.csr"
printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' >"$WORK/leaf.ext"
for how in file URI; do
    if [ $how = file ]; then key=$KEYFILE; else key=$CARD_KEY_URI; fi
    n=$(card_signatures)
    ok "x509 -req -CAkey card key ($how)" \
        openssl x509 -req -in "$WORK/leaf.csr" -CA "$WORK/cardca.pem" -CAkey "$key" \
        -CAserial "$WORK/cardca.srl" -CAcreateserial -days 1 -sha256 \
        -extfile "$WORK/leaf.ext" -out "$WORK/leaf-$how.pem"
    card_signed "the card signed the certificate ($how)" "$n"
    ok "default provider verifies the chain to the card CA ($how)" \
        soft verify -CAfile "$WORK/cardca.pem" "$WORK/leaf-$how.pem"
    like "issuer is the card CA ($how)" \
        "$(soft x509 -in "$WORK/leaf-$how.pem" -noout -issuer)" "CN ?= ?$DEVICE_CN card CA"
done

done_testing
