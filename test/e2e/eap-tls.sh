#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# 802.1X EAP-TLS, the device joining a network: `eapol_test` (wpa_supplicant's
# EAP peer) with `private_key` = the card key file authenticates to hostapd's
# built-in EAP server through its RADIUS server on loopback (`driver=none`),
# over TLS 1.2 (the EAP-TLS default) and TLS 1.3; hostapd logs the device's
# certificate. Then hostapd's own `private_key` is the card key file.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

line_program eapol_test hostapd
HOSTAPD=$(PATH=$PATH:/usr/sbin command -v hostapd)
card_up
make_keyfile
issue_cert radius 127.0.0.1 server
issue_cert peer eap-peer client
issue_card_cert_ext card-server "$DEVICE_CN-radius" 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth'
SECRET=iotsafe-radius-secret

# start_radius NAME CERT KEY: hostapd as a RADIUS/EAP server on a free UDP port ($RPORT).
start_radius() {
    local name=$1 cert=$2 key=$3
    RPORT=$(free_port)
    echo '* TLS' >"$WORK/eap_users"
    printf '127.0.0.1/32 %s\n' "$SECRET" >"$WORK/radius_clients"
    cat >"$WORK/$name.conf" <<EOF2
driver=none
logger_stdout=-1
logger_stdout_level=0
eap_server=1
eap_user_file=$WORK/eap_users
ca_cert=$CA_CERT
server_cert=$cert
private_key=$key
tls_flags=[ENABLE-TLSv1.3]
radius_server_clients=$WORK/radius_clients
radius_server_auth_port=$RPORT
radius_server_ipv6=0
EOF2
    spawn "$WORK/$name.log" "$WORK/$name.err" "${FOREIGN[@]}" "$HOSTAPD" -d "$WORK/$name.conf"
    RADIUS_PID=$SPAWNED_PID
    if ! wait_log "$WORK/$name.log" 'RADIUS server: auth socket|ENABLED|hostapd_setup_interface' 10; then
        sed 's/^/# /' "$WORK/$name.log" "$WORK/$name.err" | tail -n 30
        echo "Bail out! hostapd did not start"
        exit 1
    fi
    # The RADIUS socket is bound once the interface is set up.
    for _ in $(seq 250); do
        ss -lun "sport = :$RPORT" 2>/dev/null | grep -q ":$RPORT" && break
        sleep 0.02
    done
}

# peer NAME CERT KEY [PHASE1]: one EAP-TLS authentication with eapol_test.
peer() {
    local name=$1 cert=$2 key=$3 phase1=${4:-}
    {
        echo 'network={'
        echo '  key_mgmt=IEEE8021X'
        echo '  eap=TLS'
        echo "  identity=\"$name\""
        echo "  ca_cert=\"$CA_CERT\""
        echo "  client_cert=\"$cert\""
        echo "  private_key=\"$key\""
        [ -z "$phase1" ] || echo "  phase1=\"$phase1\""
        echo '}'
    } >"$WORK/$name.conf"
    timeout 60 "${FOREIGN[@]}" eapol_test -c "$WORK/$name.conf" -a 127.0.0.1 -p "$RPORT" \
        -s "$SECRET" -t 20 -r 0
}

start_radius radius "$WORK/radius.pem" "$WORK/radius.key"
for ver in 1.2 1.3; do
    if [ $ver = 1.3 ]; then ph='tls_disable_tlsv1_3=0'; else ph='tls_disable_tlsv1_3=1'; fi
    n=$(card_signatures)
    ok "eapol_test EAP-TLS with the card key file (TLS $ver)" \
        peer "device-tls$ver" "$DEVCERT" "$KEYFILE" "$ph"
    like "eapol_test: EAP-TLS succeeded (TLS $ver)" "$LAST_OUT" '^SUCCESS$'
    like "eapol_test: the peer verified the RADIUS server" "$LAST_OUT" 'CTRL-EVENT-EAP-PEER-CERT depth=0 subject=.*/CN=127\.0\.0\.1'
    card_signed "the card signed the device's EAP-TLS handshake (TLS $ver)" "$n"
done
is "hostapd verified the device certificate, twice" \
    "$(count_lines "$WORK/radius.log" "^authsrv: peer certificate: depth=0 .*subject=/CN=$DEVICE_CN\$")" 2
is "hostapd used TLS 1.2, then TLS 1.3" \
    "$(sed -n 's/^SSL: Using TLS version //p' "$WORK/radius.log" | uniq | tr '\n' ' ')" "TLSv1.2 TLSv1.3 "
like "hostapd granted access (EAP-Success)" "$(cat "$WORK/radius.log")" 'EAP-Success|Access-Accept'
stop_spawned "$RADIUS_PID"

# ---- the card key as the RADIUS server's key
start_radius card-radius "$WORK/card-server.pem" "$KEYFILE"
n=$(card_signatures)
ok "eapol_test (software key) against hostapd with the card key" \
    peer "peer-soft" "$WORK/peer.pem" "$WORK/peer.key"
like "eapol_test: EAP-TLS succeeded" "$LAST_OUT" '^SUCCESS$'
like "the peer verified hostapd's card-key certificate" "$LAST_OUT" \
    "CTRL-EVENT-EAP-PEER-CERT depth=0 subject=.*/CN=$DEVICE_CN-radius"
card_signed "the card signed hostapd's handshake" "$n"
stop_spawned "$RADIUS_PID"

done_testing
