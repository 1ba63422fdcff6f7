#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Each simulator quirk switch on its own: list, pubkey, sign (+ OpenSSL verify)
# and read-file must still work.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/lib-tool.sh"
line_program openssl "iotsafe-tool=$TOOL"

card_up

msg=$WORK/msg
printf 'quirk test\n' >"$msg"
devcert_hex=$(cert_der_hex "$SOURCE_ROOT/test/data/devcert.pem")

# check_card TAG [TOOL OPTIONS...]
check_card() {
    local tag=$1
    shift
    ok "[$tag] list" "$TOOL" "$@" list
    like "[$tag] list shows DEVKEY and DEVCERT" "$(printf '%s\n' "$LAST_OUT" | grep -E 'label=(DEVKEY|DEVCERT) ' | grep -c .)" '^[3-9]$'
    like "[$tag] list shows the last objects too" "$LAST_OUT" 'label=PSK '
    ok "[$tag] pubkey" to_file "$WORK/pub.pem" "$TOOL" "$@" pubkey --label DEVKEY
    is "[$tag] pubkey is DEVKEY" "$(spki_hex "$WORK/pub.pem")" "$DEVKEY_SPKI_HEX"
    ok "[$tag] sign" "$TOOL" "$@" sign --label DEVKEY --in "$msg" --out "$WORK/sig.der"
    ok "[$tag] openssl verifies" ossl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig.der" "$msg"
    ok "[$tag] sign twice in one process" "$TOOL" "$@" sign --label DEVKEY --in "$msg" --repeat 2 --out "$WORK/sig2.der"
    ok "[$tag] openssl verifies the second" ossl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig2.der" "$msg"
    ok "[$tag] read-file" "$TOOL" "$@" read-file --label DEVCERT --der --out "$WORK/cert.der"
    is "[$tag] certificate intact" "$(hex_of "$WORK/cert.der")" "$devcert_hex"
}

check_card default

for q in cla=proprietary cla=interindustry sig-length=1 sig-format=der t0=yes \
    session-policy=strict read-file-pad=yes list-page=40 implicit-channel=no latency-sign=150; do
    sim_stop
    sim_start --set "$q"
    check_card "$q"
done

# Host-side switches against the matching card behaviour.
sim_stop
sim_start --set cla=interindustry
check_card "cla=interindustry, --cla interindustry" --cla interindustry
sim_stop
sim_start --set cla=proprietary
check_card "cla=proprietary, --cla proprietary" --cla proprietary
sim_stop
sim_start --set implicit-channel=no
check_card "implicit-channel=no, --basic-channel" --basic-channel

done_testing
