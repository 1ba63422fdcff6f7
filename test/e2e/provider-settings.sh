#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Bad settings are loud: a bad value in the environment or in the provider's
# openssl.cnf section does not make the provider vanish (OpenSSL 3.0 drops
# errors raised while it loads the config). It loads, `openssl list
# -providers` shows it with status inactive, and every operation fails with
# the exact message; no card is touched.
. "$SOURCE_ROOT/test/e2e/harness.sh"
line_program openssl "iotsafe.so=$BUILD_ROOT/provider/iotsafe.so"

KEYFILE_CHECK=$BUILD_ROOT/test/provider/keyfile_check
card_up
K='iotsafe:label=DEVKEY'
msg=$WORK/msg
printf 'settings test\n' >"$msg"
ok "key file while the settings are good" openssl pkey -in "$K" -out "$WORK/card-key.pem"
UNUSABLE='; the IoT SAFE provider is unusable until this is fixed'

# env_bad VAR VALUE EXPECTED-VALUES: the exact message, on the CLI, for a
# store load, a signature with a key file and a listing; no APDU sent.
env_bad() {
    local want="bad value '$2' for environment variable $1 ($3)$UNUSABLE"
    local re
    re=$(printf '%s' "$want" | sed 's/[][\.*^$()+?{}|]/\\&/g')
    fails "$re" "$1=$2: pkey from the store" env IOTSAFE_TRACE=1 "$1=$2" openssl pkey -in "$K" -pubout
    ok "$1=$2: no APDU sent" sh -c "! printf '%s' \"\$1\" | grep -q '^iotsafe: >'" sh "$LAST_OUT"
    fails "$re" "$1=$2: dgst -sign with the key file" \
        env "$1=$2" openssl dgst -sha256 -sign "$WORK/card-key.pem" -out "$WORK/s" "$msg"
    fails "$re" "$1=$2: storeutl" env "$1=$2" openssl storeutl 'iotsafe:'
}
env_bad IOTSAFE_AID zz "5 to 16 bytes in hex"
env_bad IOTSAFE_AID A0000005 "5 to 16 bytes in hex"
env_bad IOTSAFE_CLA 8x "auto, proprietary or interindustry"
env_bad IOTSAFE_CHANNEL wide "logical or basic"
env_bad IOTSAFE_TRACE 2 "no, yes, apdu or debug, optionally followed by :FILE"
env_bad IOTSAFE_RAND sometimes "yes or no"
env_bad IOTSAFE_MODEM_MODE at "csim or cgla"
env_bad IOTSAFE_DH_PEER_SLOT 0 "an object ID of 1 to 20 bytes in hex"
env_bad IOTSAFE_VERIFY_SIGNATURES maybe "yes or no"

# The key file through PEM_read_bio_PrivateKey, as curl and mosquitto load it.
fails "bad value 'zz' for environment variable IOTSAFE_AID \(5 to 16 bytes in hex\)" \
    "IOTSAFE_AID=zz: key file through PEM_read_bio_PrivateKey" \
    env IOTSAFE_AID=zz "$KEYFILE_CHECK" "$WORK/card-key.pem"

# "status: ..." of provider $1 in `openssl list -providers -verbose` output $2.
status_of() {
    printf '%s\n' "$2" | sed -n "/^  $1\$/,/status:/p" | sed -n 's/^ *status: //p'
}

# The provider is listed, inactive; the default provider is unaffected.
ok "IOTSAFE_AID=zz: openssl list -providers" env IOTSAFE_AID=zz openssl list -providers -verbose
is "listed with status inactive" "$(status_of iotsafe "$LAST_OUT")" inactive
is "default stays active" "$(status_of default "$LAST_OUT")" active
ok "good settings: status active" openssl list -providers -verbose
is "iotsafe active" "$(status_of iotsafe "$LAST_OUT")" active
ok "IOTSAFE_AID=zz: default-provider work goes on" \
    env IOTSAFE_AID=zz openssl dgst -sha256 -out "$WORK/h" "$msg"

# The config-section form, and several bad settings at once.
cp "$OPENSSL_CONF" "$WORK/bad.cnf" # [iotsafe_sect] is its last section
printf 'aid = zz\nchannel = wide\n' >>"$WORK/bad.cnf"
fails "bad value 'zz' for 'aid' in the provider's config section \(5 to 16 bytes in hex\); bad value 'wide' for 'channel' in the provider's config section \(logical or basic\); the IoT SAFE provider is unusable until this is fixed" \
    "config aid = zz, channel = wide: both named" env OPENSSL_CONF="$WORK/bad.cnf" openssl pkey -in "$K" -pubout
ok "config: openssl list -providers" env OPENSSL_CONF="$WORK/bad.cnf" openssl list -providers -verbose
is "config: listed, inactive" "$(status_of iotsafe "$LAST_OUT")" inactive
fails "bad value 'zz' for 'aid' in the provider's config section" "config aid = zz: ECDH" \
    env OPENSSL_CONF="$WORK/bad.cnf" openssl pkeyutl -derive -inkey 'iotsafe:label=DHKEY' -peerkey "$WORK/card-key.pem"
ok "an environment variable overrides the bad config value" \
    env OPENSSL_CONF="$WORK/bad.cnf" IOTSAFE_AID=A0000005590010 IOTSAFE_CHANNEL=logical openssl pkey -in "$K" -pubout

# A hostile value is shown escaped.
fails "bad value '\\\\x1b\\[2J\\\\x07' for environment variable IOTSAFE_CLA" "hostile value escaped" \
    env IOTSAFE_CLA=$'\e[2J\a' openssl pkey -in "$K" -pubout
ok "no ESC or BEL reaches the terminal" sh -c "! printf '%s' \"\$1\" | grep -q \$'[\\a\\033]'" sh "$LAST_OUT"

ok "good settings: everything works again" openssl dgst -sha256 -sign "$K" -out "$WORK/s" "$msg"

done_testing
