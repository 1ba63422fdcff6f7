#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The first-boot enrollment flow, end to end through pcscd + vpcd + simulator:
#   fresh card -> key pair generated ON the card (openssl genpkey) -> CSR
#   signed by the card -> a local CA (openssl ca) issues the certificate ->
#   mutual TLS with curl (openssl s_server -Verify) and mosquitto
#   (require_certificate) -> rotation: the key is regenerated -> the old
#   certificate no longer matches the key -> new CSR, new certificate -> TLS
#   works again. Negative cases: missing container, wrong usage, wrong curve,
#   card absent. Container: GENKEY (sign + keygen) of the standard test card.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
line_program openssl curl mosquitto mosquitto_pub mosquitto_sub "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

ossl() {
    OPENSSL_CONF=/dev/null openssl "$@"
}
CONTAINER='iotsafe:label=GENKEY;type=private'
CN=enrolled-device

card_up # the first card_up provisions a fresh card
cd "$WORK" || exit 1

# A local CA run by `openssl ca` (index, serials, policy) with the test CA key.
mkdir -p ca/newcerts
: >ca/index.txt
echo 1000 >ca/serial
cat >ca.cnf <<EOF
[ca]
default_ca = local_ca
[local_ca]
dir = $WORK/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = $CA_CERT
private_key = $CA_KEY
default_md = sha256
default_days = 2
policy = policy_cn
unique_subject = no
copy_extensions = none
x509_extensions = device_ext
[policy_cn]
commonName = supplied
[device_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF

enroll() { # N: key generated before; CSR, certificate N
    openssl req -new -key device-key.pem -subj "/CN=$CN" -out "device$1.csr" &&
        ossl req -verify -in "device$1.csr" -noout &&
        openssl ca -batch -config ca.cnf -in "device$1.csr" -out "device$1.pem" -notext
}

# ---- 1. the key is born on the card
ok "card public key before enrollment" sh -c "openssl pkey -in '$CONTAINER' -pubout -out factory.pub"
ok "genpkey generates the key pair on the card" \
    openssl genpkey -propquery '?provider=iotsafe' -algorithm EC -pkeyopt "iotsafe-uri:$CONTAINER" \
    -out device-key.pem
like "the key file is only a reference" "$(head -n 1 device-key.pem)" 'IOTSAFE KEY REFERENCE'
ok "key file holds the URI, no key material" ossl asn1parse -in device-key.pem
like "URI of the container" "$LAST_OUT" 'iotsafe:id=%02;label=GENKEY;type=private'
ok "public key of the new pair" sh -c "openssl pkey -in device-key.pem -pubout -out key1.pub"
ok "the factory key was replaced" sh -c '! cmp -s factory.pub key1.pub'

# ---- 2. CSR signed by the card, 3. certificate from the local CA
ok "CSR signed by the card, certificate from openssl ca" enroll 1
ok "certificate verifies against the CA" ossl verify -CAfile "$CA_CERT" device1.pem
ok "certificate public key" sh -c "OPENSSL_CONF=/dev/null openssl x509 -in device1.pem -noout -pubkey >cert1.pub"
ok "the certificate holds the card's new public key" cmp cert1.pub key1.pub
ok "the CA database records the issue" grep -q "CN=$CN" ca/index.txt

# ---- 4. mutual TLS with curl and mosquitto
issue_cert server 127.0.0.1 server
port=$(free_port)
start_s_server "$port" srv.out srv.err -www
srv=$SPAWNED_PID
https() {
    curl -sS --max-time 20 --cacert "$CA_CERT" "$@" "https://127.0.0.1:$port/"
}
# curl_check ok|fails ...: the same as ok/fails, reported as skipped in the sanitizer pass.
curl_check() {
    local kind=$1
    shift
    if san_blocks_curl; then
        if [ "$kind" = ok ]; then skip "$1" "$SAN_CURL_REASON"; else skip "$2" "$SAN_CURL_REASON"; fi
        return 0
    fi
    "$kind" "$@"
}
curl_check ok "curl mutual TLS with the enrolled certificate and the card key" https --cert device1.pem --key device-key.pem
san_blocks_curl || like "server saw the enrolled device" "$LAST_OUT" "Subject: ?CN ?= ?$CN"

start_broker
pub() {
    mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" --cafile "$CA_CERT" "$@"
}
issue_cert listener mqtt-listener client
start_sub sub1.out listener-1 device/telemetry "$WORK/listener.pem" "$WORK/listener.key"
ok "mosquitto_pub with the enrolled certificate and the card key" \
    pub --cert device1.pem --key device-key.pem -i device-1 -t device/telemetry -m 'first boot'
wait "$SUB_PID"
is "the message arrived" "$(cat sub1.out)" 'first boot'
is "the broker knows the device by its certificate" "$(broker_identity device-1)" "$CN"

# ---- 5. rotation: a new key pair in the same container
ok "rotation: genpkey again" \
    openssl genpkey -propquery '?provider=iotsafe' -algorithm EC -pkeyopt "iotsafe-uri:$CONTAINER" \
    -out device-key2.pem
# The private key URI (the first UTF8String of the key file) names the container.
uri_of() {
    ossl asn1parse -in "$1" | sed -n 's/.*UTF8STRING *://p' | head -n 1
}
is "the new key file names the same container" "$(uri_of device-key2.pem)" "$(uri_of device-key.pem)"
ok "public key after rotation" sh -c "openssl pkey -in device-key2.pem -pubout -out key2.pub"
ok "the card holds a new key" sh -c '! cmp -s key1.pub key2.pub'
ok "it is the key the card reports" sh -c "openssl pkey -in '$CONTAINER' -pubout | cmp - key2.pub"
ok "the old certificate no longer matches the card key" sh -c '! cmp -s cert1.pub key2.pub'
# A v2 key file carries the public key: the device installs the new one.
ok "the device installs the new key file" cp device-key2.pem device-key.pem
curl_check fails 'unable to set private key file|private key|mismatch' \
    "curl with the old certificate and the rotated key fails" https --cert device1.pem --key device-key.pem
fails 'key values mismatch' "mosquitto_pub with the old certificate fails" \
    pub -d --cert device1.pem --key device-key.pem -i device-old -t device/telemetry -m stale

# ---- 6. re-enrollment: new CSR, new certificate, TLS works again
ok "new CSR and certificate for the rotated key" enroll 2
ok "new certificate verifies" ossl verify -CAfile "$CA_CERT" device2.pem
ok "new certificate public key" sh -c "OPENSSL_CONF=/dev/null openssl x509 -in device2.pem -noout -pubkey >cert2.pub"
ok "it holds the rotated key" cmp cert2.pub key2.pub
like "two certificates in the CA database" "$(grep -c "CN=$CN" ca/index.txt)" '^2$'
curl_check ok "curl mutual TLS after re-enrollment" https --cert device2.pem --key device-key.pem
san_blocks_curl || like "server saw the re-enrolled device" "$LAST_OUT" "Subject: ?CN ?= ?$CN"
start_sub sub2.out listener-2 device/telemetry "$WORK/listener.pem" "$WORK/listener.key"
ok "mosquitto_pub after re-enrollment" \
    pub --cert device2.pem --key device-key.pem -i device-2 -t device/telemetry -m 'after rotation'
wait "$SUB_PID"
is "the message arrived after rotation" "$(cat sub2.out)" 'after rotation'
is "same identity after rotation" "$(broker_identity device-2)" "$CN"

# ---- negative cases, with their messages
gen() {
    openssl genpkey -propquery '?provider=iotsafe' -algorithm EC "$@"
}
fails 'no private key matching iotsafe:label=NOSUCHKEY' "missing container" \
    gen -pkeyopt iotsafe-label:NOSUCHKEY -out x.pem
fails 'private key id=01 \(DEVKEY\) does not allow key generation' \
    "wrong usage: keygen on a container without the keygen function" \
    gen -pkeyopt iotsafe-label:DEVKEY -out x.pem
ok "a software ECDH peer" ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer.key
ok "its public key" ossl pkey -in peer.key -pubout -out peer.pem
fails 'private key id=02 \(GENKEY\) may not be used for key agreement' \
    "wrong usage: ECDH with the sign-only device key" \
    openssl pkeyutl -derive -inkey device-key.pem -peerkey peer.pem -out x.bin
fails 'holds prime256v1 keys, not brainpoolP256r1' "wrong curve for the container" \
    gen -pkeyopt "iotsafe-uri:$CONTAINER" -pkeyopt group:brainpoolP256r1 -out x.pem
ok "the failed attempts left the enrolled key alone" sh -c "openssl pkey -in '$CONTAINER' -pubout | cmp - key2.pub"
sim_stop
fails 'no card' "card absent: no key generation" gen -pkeyopt "iotsafe-uri:$CONTAINER" -out x.pem
# The v2 key file loads without the card; the signature is what needs it, and
# the reason reaches the openssl CLI and curl.
fails "no card in (any )?reader" "card absent: no CSR, and req says why" \
    openssl req -new -key device-key.pem -subj "/CN=$CN" -out x.csr
curl_check fails 'curl: \(35\) .*iotsafe::no card in (any )?reader' "card absent: no TLS, and curl says why" \
    https --cert device2.pem --key device-key.pem
sim_start
curl_check ok "card back: TLS works with the enrolled key" https --cert device2.pem --key device-key.pem

stop_spawned "$srv"
stop_spawned "$BROKER_PID"
done_testing
