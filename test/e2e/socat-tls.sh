#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# socat's OPENSSL addresses with the card key file (`key=`):
#   OPENSSL-LISTEN (server, verify=1): a Python ssl client with a software
#   certificate verifies the card-key certificate; socat hands the client's
#   certificate subject to the command it runs (SOCAT_OPENSSL_X509_SUBJECT);
#   OPENSSL (client) to `openssl s_server -Verify`, which sees the device.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

line_program socat openssl "$("$PY" -c 'import _ssl; print(_ssl.__file__)')"
card_up
make_keyfile
issue_card_cert_ext card-server 127.0.0.1 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1'
issue_cert client socat-client client
issue_cert server 127.0.0.1 server

# ---- socat as the TLS server
port=$(free_port)
spawn "$WORK/socat-server.out" "$WORK/socat-server.err" "${FOREIGN[@]}" socat \
    "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert=$WORK/card-server.pem,key=$KEYFILE,cafile=$CA_CERT,verify=1" \
    SYSTEM:'head -n 1 >/dev/null; echo "peer $SOCAT_OPENSSL_X509_SUBJECT"'
server=$SPAWNED_PID
# No probe connection: it would be a failed TLS handshake in socat's log.
for _ in $(seq 500); do
    ss -ltn "sport = :$port" 2>/dev/null | grep -q LISTEN && break
    sleep 0.02
done
for v in 1.3 1.2; do
    n=$(card_signatures)
    py_tls_client "python client to socat's card-key server" socat "$port" "$v"
    like "socat verified the client and passed on its identity (TLS $v)" "$LAST_OUT" \
        '^echo peer .*CN ?= ?socat-client'
    card_signed "the card signed socat's server handshake (TLS $v)" "$n"
done
fails 'alert|error|closed' "socat refuses a client without a certificate" \
    timeout 20 openssl s_client -connect "127.0.0.1:$port" -CAfile "$CA_CERT" -tls1_2
stop_spawned "$server"

# ---- socat as the TLS client
tport=$(free_port)
start_s_server "$tport" "$WORK/s_server.out" "$WORK/s_server.err" -rev
for v in TLS1.3 TLS1.2; do
    n=$(card_signatures)
    out=$(printf 'hello card\n' | timeout 20 "${FOREIGN[@]}" socat -t 2 - \
        "OPENSSL:127.0.0.1:$tport,cert=$DEVCERT,key=$KEYFILE,cafile=$CA_CERT,openssl-min-proto-version=$v,openssl-max-proto-version=$v" 2>"$WORK/socat-client.err")
    # the answer alone: socat 1.8 writes warnings (e.g. on the key file) to stderr
    is "s_server's answer came back to socat ($v)" "$out" 'drac olleh'
    is "... socat reported no error ($v)" "$(grep -c ' E ' "$WORK/socat-client.err")" 0
    card_signed "the card signed socat's client handshake ($v)" "$n"
done
wait_log "$WORK/s_server.err" "^Peer certificate: CN ?= ?$DEVICE_CN\$" 5
is "s_server saw the device certificate (twice)" \
    "$(count_lines "$WORK/s_server.err" "^Peer certificate: CN ?= ?$DEVICE_CN\$")" 2
like "s_server saw TLS 1.3 and 1.2" \
    "$(grep -c '^Protocol version: TLSv1\.3' "$WORK/s_server.err"):$(grep -c '^Protocol version: TLSv1\.2' "$WORK/s_server.err")" '^1:1$'

done_testing
