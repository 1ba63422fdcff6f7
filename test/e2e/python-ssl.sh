#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Python's ssl module (helpers/py_tls.py, standard library only) with the
# card key file given to load_cert_chain(): as a TLS client against
# `openssl s_server -Verify` (TLS 1.3 and 1.2), and as a TLS server that
# requires client certificates, reached by `openssl s_client` with a software
# client certificate.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

PY_TLS=$SOURCE_ROOT/test/e2e/helpers/py_tls.py
line_program "$("$PY" -c 'import _ssl; print(_ssl.__file__)')" openssl
card_up
make_keyfile
issue_cert server 127.0.0.1 server
issue_cert peer python-peer client

# ---- Python client, card key; software s_server requires a client certificate
port=$(free_port)
start_s_server "$port" "$WORK/s_server.out" "$WORK/s_server.err" -rev
server=$SPAWNED_PID
for v in 1.3 1.2; do
    n=$(card_signatures)
    ok "python client with the card key file (TLS $v)" \
        "${FOREIGN[@]}" "$PY" "$PY_TLS" client "$port" "$CA_CERT" "$DEVCERT" "$KEYFILE" "$v"
    like "TLSv$v negotiated" "$LAST_OUT" "^version TLSv$v\$"
    like "python verified the server" "$LAST_OUT" '^peer 127\.0\.0\.1$'
    like "data went through (TLS $v)" "$LAST_OUT" '^echo nohtyp morf olleh$'
    card_signed "the card signed the python client's CertificateVerify (TLS $v)" "$n"
done
wait_log "$WORK/s_server.err" "^Peer certificate: CN ?= ?$DEVICE_CN\$" 5
is "s_server saw the device certificate twice" \
    "$(count_lines "$WORK/s_server.err" "^Peer certificate: CN ?= ?$DEVICE_CN\$")" 2
stop_spawned "$server"

# ---- Python server, card key; the client uses a software certificate
issue_card_cert_ext card-server 127.0.0.1 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1'
port=$(free_port)
spawn "$WORK/py_server.out" "$WORK/py_server.err" \
    "${FOREIGN[@]}" "$PY" "$PY_TLS" server "$port" "$CA_CERT" "$WORK/card-server.pem" "$KEYFILE" 2
pyserver=$SPAWNED_PID
wait_log "$WORK/py_server.out" '^listening' 10 ||
    { sed 's/^/# /' "$WORK/py_server.err"; echo "Bail out! python server did not start"; exit 1; }
for v in tls1_3 tls1_2; do
    n=$(card_signatures)
    ok "s_client to the python server with the card key ($v)" \
        openssl s_client -connect "127.0.0.1:$port" -"$v" -verify_return_error -CAfile "$CA_CERT" \
        -cert "$WORK/peer.pem" -key "$WORK/peer.key"
    like "s_client verified the card-key server ($v)" "$LAST_OUT" 'Verify return code: 0 \(ok\)'
    like "server certificate is the card's ($v)" "$LAST_OUT" 'subject=CN ?= ?127\.0\.0\.1'
    card_signed "the card signed the python server's handshake ($v)" "$n"
done
wait "$pyserver"
is "python server exited after two clients" "$?" 0
is "python server saw the client's identity each time" \
    "$(grep -c '^client python-peer version TLSv1\.[23]$' "$WORK/py_server.out")" 2

done_testing
