#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The OpenSSL provider with its `modem` setting: unchanged openssl commands
# use the card key through a (simulated) modem, AT+CSIM and AT+CGLA, no pcscd.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
. "$SOURCE_ROOT/test/e2e/modem-lib.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

module=$BUILD_ROOT/provider/iotsafe.so
[ -f "$module" ] || skip_all "provider not built"

# openssl.cnf: default, then iotsafe with the given extra lines in its section.
write_cnf() {
    local out=$1
    shift
    {
        echo "openssl_conf = openssl_init"
        echo "[openssl_init]"
        echo "providers = provider_sect"
        echo "[provider_sect]"
        echo "default = default_sect"
        echo "iotsafe = iotsafe_sect"
        echo "[default_sect]"
        echo "activate = 1"
        echo "[iotsafe_sect]"
        echo "module = $module"
        echo "activate = 1"
        printf '%s\n' "$@"
    } >"$out"
}

key='iotsafe:label=DEVKEY;type=private'
msg=$WORK/msg.txt
printf 'provider through a modem\n' >"$msg"
write_cnf "$WORK/modem.cnf" "modem = $MODEM"
write_cnf "$WORK/plain.cnf"
export OPENSSL_CONF=$WORK/modem.cnf

# openssl pkey -pubout and dgst -sign/-verify; $1 names the run.
prov_round() {
    local tag=$1
    ok "$tag: openssl pkey -pubout" openssl pkey -in "$key" -pubout -out "$WORK/pub-$tag.pem"
    is "$tag: public key is DEVKEY" "$(spki_hex "$WORK/pub-$tag.pem")" "$DEVKEY_SPKI_HEX"
    ok "$tag: openssl dgst -sign" openssl dgst -sha256 -sign "$key" -out "$WORK/sig-$tag.der" "$msg"
    ok "$tag: plain openssl verifies it" \
        ossl dgst -sha256 -verify "$WORK/pub-$tag.pem" -signature "$WORK/sig-$tag.der" "$msg"
    ok "$tag: dgst -verify with the card key" \
        openssl dgst -sha256 -verify "$WORK/pub-$tag.pem" -signature "$WORK/sig-$tag.der" "$msg"
    like "$tag: Verified OK" "$LAST_OUT" 'Verified OK'
}

modem_up
prov_round csim
IOTSAFE_MODEM_MODE=cgla prov_round cgla-env
write_cnf "$WORK/cgla.cnf" "modem = $MODEM" "modem-mode = cgla"
OPENSSL_CONF=$WORK/cgla.cnf prov_round cgla-cnf
OPENSSL_CONF=$WORK/plain.cnf IOTSAFE_MODEM=$MODEM prov_round env-only

ok "storeutl lists the card through the modem" openssl storeutl -certs iotsafe:
like "storeutl: both certificates" "$LAST_OUT" 'Total found: 2'
ok "a certificate request signed on the card" \
    openssl req -new -key "$key" -subj /CN=modem-device -out "$WORK/req.pem"
ok "the request's signature verifies" ossl req -in "$WORK/req.pem" -verify -noout

# Without the modem setting the provider looks for PC/SC, and there is none here.
fails 'PC/SC|pcscd|no reader|not found' "without modem: PC/SC, which is absent" \
    env OPENSSL_CONF="$WORK/plain.cnf" openssl pkey -in "$key" -pubout
# A bad modem-mode leaves the provider loaded but inactive, and says why.
ok "provider listed with modem-mode cgla" env IOTSAFE_MODEM_MODE=cgla openssl list -providers -verbose
like "provider active" "$(sed -n '/^  iotsafe$/,/status:/p' <<<"$LAST_OUT")" 'status: active'
ok "openssl list with a bad modem-mode" env IOTSAFE_MODEM_MODE=bogus openssl list -providers -verbose
like "bad modem-mode: the provider is listed, inactive" "$(sed -n '/^  iotsafe$/,/status:/p' <<<"$LAST_OUT")" 'status: inactive'
fails "bad value 'bogus' for environment variable IOTSAFE_MODEM_MODE \\(csim or cgla\\)" \
    "bad modem-mode: operations fail with the reason" \
    env IOTSAFE_MODEM_MODE=bogus openssl pkey -in "$key" -pubout
fails "cannot open modem device" "missing modem device is reported" \
    env IOTSAFE_MODEM="$WORK/no-such-tty" openssl pkey -in "$key" -pubout

# 61xx through the modem.
modem_down
modem_up --set t0=yes
prov_round t0-csim
IOTSAFE_MODEM_MODE=cgla prov_round t0-cgla
is "the provider closed every AT+CCHO session" "$(sim_log_count 'modem AT\+CCHC')" "$(sim_log_count 'modem AT\+CCHO$')"
modem_down

# `timeout` reaches the modem: an APDU waits the card layer's deadline for its
# command, not the modem transport's fixed 10 s.
modem_up --set latency-sign=1500
ok "a 1.5 s signature within the default deadline (10 s)" \
    openssl dgst -sha256 -sign "$key" -out /dev/null "$msg"
fails "COMPUTE SIGNATURE UPDATE on private key id=01 \\(DEVKEY\\): no answer from the card in reader 'modem .*' after 0\\.5 s; not sent again" \
    "timeout = 0.5: the signature times out, as over PC/SC" \
    env IOTSAFE_TIMEOUT=0.5 openssl dgst -sha256 -sign "$key" -out /dev/null "$msg"
ok "timeout = 3: the signature is in time" \
    env IOTSAFE_TIMEOUT=3 openssl dgst -sha256 -sign "$key" -out /dev/null "$msg"
modem_down

done_testing
