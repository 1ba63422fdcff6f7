#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# stunnel4 both ways with the card key file (`key =`):
#   server: TLS on a free port, `verifyChain` + `requireCert` against the
#   test CA, forwarding to a plain echo service; a Python ssl client
#   (software certificate) verifies the card-key certificate and stunnel
#   logs the client's identity;
#   client: plain TCP in, TLS out with the device certificate and card key to
#   `openssl s_server -Verify`, which sees the device's identity.
# Then both at once, chained: plain -> stunnel client -> stunnel server ->
# echo, both stunnel processes signing on the one card.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

line_program stunnel4 openssl socat "$("$PY" -c 'import _ssl; print(_ssl.__file__)')"
card_up
make_keyfile
issue_card_cert_ext card-server 127.0.0.1 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1'
issue_cert client stunnel-client client
issue_cert server 127.0.0.1 server

echo_port=$(free_port)
# One line back, then the service closes the connection (so clients see the end).
spawn_listening "$echo_port" "echo service" "$WORK/echo.out" "$WORK/echo.err" \
    "${FOREIGN[@]}" socat "TCP-LISTEN:$echo_port,bind=127.0.0.1,fork,reuseaddr" SYSTEM:'head -n 1'

# start_stunnel NAME PORT: stunnel4 in the foreground on $WORK/NAME.conf; wait
# until its log says it listens on PORT (a probe connection would count as a
# client and, for a client-mode service, open a TLS connection).
start_stunnel() {
    local name=$1 port=$2
    spawn "$WORK/$name.out" "$WORK/$name.err" "${FOREIGN[@]}" stunnel4 "$WORK/$name.conf"
    if ! wait_log "$WORK/$name.log" "bound to 127\\.0\\.0\\.1:$port\$" 10; then
        sed 's/^/# /' "$WORK/$name.out" "$WORK/$name.err" "$WORK/$name.log" 2>/dev/null
        echo "Bail out! stunnel4 $name did not start"
        exit 1
    fi
}

# ---- server side
sport=$(free_port)
cat >"$WORK/server.conf" <<EOF2
foreground = yes
pid =
output = $WORK/server.log
debug = info
[tls-in]
accept = 127.0.0.1:$sport
connect = 127.0.0.1:$echo_port
cert = $WORK/card-server.pem
key = $KEYFILE
CAfile = $CA_CERT
verifyChain = yes
requireCert = yes
EOF2
start_stunnel server "$sport"
# The software client is helpers/py_tls.py (Python's ssl): it verifies the
# server, sends one line and prints what came back.
for v in 1.3 1.2; do
    n=$(card_signatures)
    py_tls_client "python client through stunnel's card-key server" stunnel "$sport" "$v"
    like "data went through stunnel to the echo service (TLS $v)" "$LAST_OUT" '^echo hello from python$'
    card_signed "the card signed stunnel's server handshake (TLS $v)" "$n"
done
# stunnel logs a connection's lines as it goes: wait for the second one's too
for i in $(seq 100); do
    [ "$(count_lines "$WORK/server.log" 'Certificate accepted at depth=0: CN=stunnel-client')" -ge 2 ] && break
    sleep 0.05
done
is "stunnel accepted the client's certificate (twice)" \
    "$(count_lines "$WORK/server.log" 'Certificate accepted at depth=0: CN=stunnel-client')" 2

# ---- client side
tport=$(free_port)
start_s_server "$tport" "$WORK/s_server.out" "$WORK/s_server.err" -rev
cport=$(free_port)
cat >"$WORK/client.conf" <<EOF2
foreground = yes
pid =
output = $WORK/client.log
debug = info
[tls-out]
client = yes
accept = 127.0.0.1:$cport
connect = 127.0.0.1:$tport
cert = $DEVCERT
key = $KEYFILE
CAfile = $CA_CERT
verifyChain = yes
checkIP = 127.0.0.1
EOF2
start_stunnel client "$cport"
n=$(card_signatures)
out=$(printf 'hello card\n' | timeout 20 "${FOREIGN[@]}" socat -t 5 - "TCP:127.0.0.1:$cport" 2>&1)
is "s_server's answer came back through stunnel (client side)" "$out" 'drac olleh'
card_signed "the card signed stunnel's client handshake" "$n"
wait_log "$WORK/s_server.err" "^Peer certificate: CN ?= ?$DEVICE_CN\$" 5
is "s_server saw the device certificate" \
    "$(count_lines "$WORK/s_server.err" "^Peer certificate: CN ?= ?$DEVICE_CN\$")" 1

# ---- chained: stunnel client (card key) -> stunnel server (card key) -> echo
chport=$(free_port)
sed -e "s/^accept = .*/accept = 127.0.0.1:$chport/" -e "s/^connect = .*/connect = 127.0.0.1:$sport/" \
    -e "s#^output = .*#output = $WORK/chain.log#" -e 's/^\[tls-out\]/[chain]/' \
    "$WORK/client.conf" >"$WORK/chain.conf"
start_stunnel chain "$chport"
n=$(card_signatures)
out=$(printf 'card to card\n' | timeout 20 "${FOREIGN[@]}" socat -t 5 - "TCP:127.0.0.1:$chport" 2>&1)
is "data crossed both card-key stunnels" "$out" 'card to card'
card_signed "the card signed both ends of the chained tunnel" "$n" 2
wait_log "$WORK/server.log" "Certificate accepted at depth=0: CN=$DEVICE_CN" 5
is "stunnel server accepted the device certificate from the stunnel client" \
    "$(count_lines "$WORK/server.log" "Certificate accepted at depth=0: CN=$DEVICE_CN")" 1

done_testing
