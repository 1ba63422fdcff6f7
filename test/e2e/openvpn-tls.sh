#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# OpenVPN 2.6 in TLS mode on loopback (`--dev null`: no tun device, only the
# TLS control channel and the data channel keys): the client's `--key` is the
# card key file against a server with a software key, over TLS 1.3 and 1.2;
# then the server's `--key` is the card key file. The peer that verifies
# logs the card certificate's CN (VERIFY OK / Peer Connection Initiated) and
# the card's log shows the signatures.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

line_program openvpn
OPENVPN=$(PATH=$PATH:/usr/sbin command -v openvpn)
card_up
make_keyfile
issue_cert server 127.0.0.1 server
issue_cert client vpn-client client
issue_card_cert_ext card-server "$DEVICE_CN-vpn" 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth'

# One TLS peer. Both sides share these; the data channel is never used.
vpn() {
    local name=$1
    shift
    spawn "$WORK/$name.log" "$WORK/$name.err" "${FOREIGN[@]}" "$OPENVPN" --dev null \
        --ca "$CA_CERT" --verb 3 --data-ciphers AES-256-GCM \
        --connect-retry 1 --connect-timeout 10 --hand-window 20 "$@"
}

# run_pair CASE TLSVER SERVER_CERT SERVER_KEY CLIENT_CERT CLIENT_KEY
# Start a server and a client, wait until both completed the TLS handshake,
# stop both; leaves $WORK/CASE-server.log and $WORK/CASE-client.log.
run_pair() {
    local c=$1 ver=$2 scert=$3 skey=$4 ccert=$5 ckey=$6 port spid cpid vopts
    port=$(free_port)
    if [ "$ver" = 1.3 ]; then vopts=(--tls-version-min 1.3); else vopts=(--tls-version-min 1.2 --tls-version-max 1.2); fi
    vpn "$c-server" --tls-server --dh none --proto tcp-server --local 127.0.0.1 --lport "$port" \
        --cert "$scert" --key "$skey" --remote-cert-tls client "${vopts[@]}"
    spid=$SPAWNED_PID
    wait_log "$WORK/$c-server.log" 'Listening for incoming TCP connection' 10
    vpn "$c-client" --tls-client --proto tcp-client --remote 127.0.0.1 "$port" --nobind \
        --cert "$ccert" --key "$ckey" --remote-cert-tls server --verify-x509-name "$(
            openssl x509 -in "$scert" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= //p')" name \
        "${vopts[@]}"
    cpid=$SPAWNED_PID
    ok "OpenVPN server completed its initialisation ($c)" \
        wait_log "$WORK/$c-server.log" 'Initialization Sequence Completed' 30
    ok "OpenVPN client completed its initialisation ($c)" \
        wait_log "$WORK/$c-client.log" 'Initialization Sequence Completed' 30
    stop_spawned "$cpid"
    stop_spawned "$spid"
    local s=$WORK/$c-server.log cl=$WORK/$c-client.log
    like "control channel on TLS $ver ($c)" "$(cat "$s" "$cl")" "Control Channel: TLSv$ver"
    if [ "$ver" = 1.2 ]; then
        # openvpn 2.6 names the cipher, not the protocol, for TLS 1.2 suites.
        like "TLS 1.2 suite is ECDHE-ECDSA ($c)" "$(cat "$cl")" "Control Channel: TLSv1\\.2, cipher TLSv1\\.2 ECDHE-ECDSA"
    fi
}

# ---- the device as a VPN client with the card key
for ver in 1.3 1.2; do
    n=$(card_signatures)
    run_pair "client-tls$ver" "$ver" "$WORK/server.pem" "$WORK/server.key" "$DEVCERT" "$KEYFILE"
    card_signed "the card signed the client's TLS $ver handshake" "$n"
    like "the server verified the device certificate (TLS $ver)" \
        "$(cat "$WORK/client-tls$ver-server.log")" "VERIFY OK: depth=0, CN=$DEVICE_CN\$"
    like "the server initiated the connection with the device (TLS $ver)" \
        "$(cat "$WORK/client-tls$ver-server.log")" "\\[$DEVICE_CN\\] Peer Connection Initiated"
done

# ---- the card key on the server side
n=$(card_signatures)
run_pair server-tls1.3 1.3 "$WORK/card-server.pem" "$KEYFILE" "$WORK/client.pem" "$WORK/client.key"
card_signed "the card signed the server's handshake" "$n"
like "the client verified the card-key server" "$(cat "$WORK/server-tls1.3-client.log")" \
    "VERIFY OK: depth=0, CN=$DEVICE_CN-vpn\$"
like "the server saw the software client" "$(cat "$WORK/server-tls1.3-server.log")" \
    '\[vpn-client\] Peer Connection Initiated'

# ---- refusal: the key file names a card key that does not match the certificate
ok "a key file for another card key" "$TOOL" keyfile --label GENKEY --out "$WORK/genkey.pem"
fails 'Private key does not match the certificate|key values mismatch' \
    "openvpn refuses a card key that does not match the certificate" \
    "${FOREIGN[@]}" "$OPENVPN" --dev null --tls-client --remote 127.0.0.1 1 --nobind \
    --ca "$CA_CERT" --cert "$DEVCERT" --key "$WORK/genkey.pem" --verb 3

done_testing
