# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # variables set here are for the sourcing scripts
#
# Helpers for the scripts that run whole third-party programs (servers,
# VPN, 802.1X, proxies, libraries) with the card key. Source after
# harness.sh and tls-common.sh; sets SIM_VERBOSE=1 so that the simulator
# logs every APDU it receives, which is what proves the CARD signed:
#
#   card_signatures            number of COMPUTE SIGNATURE (INIT, open) the
#                              card has received so far (from $WORK/sim.log)
#   card_signed DESC BEFORE [N]
#                              TAP check: the card received at least N
#                              (default 1) signatures since the count BEFORE
#   make_keyfile               $KEYFILE: the key-reference PEM of the device key
#   issue_card_cert_ext NAME CN EXT...
#                              certificate from the test CA for the card key,
#                              with the extension lines EXT: $WORK/NAME.pem
#   PY                         the distribution's python3 (never a shim)
#   py_tls_client DESC SERVER PORT VERSION
#                              TAP checks: helpers/py_tls.py connects to
#                              127.0.0.1:PORT with TLS VERSION and the software
#                              client certificate $WORK/client.{pem,key} (DESC),
#                              verified SERVER's card-key certificate for
#                              127.0.0.1 and negotiated VERSION; its output
#                              stays in $LAST_OUT for the caller's own checks

SIM_VERBOSE=1
PY=/usr/bin/python3
KEYFILE=$WORK/card-key.pem

py_tls_client() {
    local desc=$1 server=$2 port=$3 v=$4
    ok "$desc (TLS $v)" \
        timeout 20 "${FOREIGN[@]}" "$PY" "$SOURCE_ROOT/test/e2e/helpers/py_tls.py" client "$port" "$CA_CERT" \
        "$WORK/client.pem" "$WORK/client.key" "$v"
    like "the client verified $server's card-key certificate (TLS $v)" "$LAST_OUT" '^peer 127\.0\.0\.1$'
    like "TLSv$v negotiated" "$LAST_OUT" "^version TLSv$v\$"
}

card_signatures() {
    count_lines "$WORK/sim.log" '^iotsafe-sim: > [0-9A-F]{2}2A00'
}

card_signed() {
    local desc=$1 before=$2 min=${3:-1} now
    now=$(card_signatures)
    if [ $((now - before)) -ge "$min" ]; then
        _h_report 1 "$desc"
    else
        _h_report 0 "$desc"
        echo "# the card received $((now - before)) COMPUTE SIGNATURE since the mark, expected >= $min"
    fi
}

make_keyfile() {
    "$TOOL" keyfile --label DEVKEY --out "$KEYFILE" >"$WORK/keyfile.err" 2>&1 || {
        sed 's/^/# /' "$WORK/keyfile.err"
        echo "Bail out! iotsafe-tool keyfile failed"
        exit 1
    }
}

issue_card_cert_ext() {
    local name=$1 cn=$2
    shift 2
    printf '%s\n' "$@" >"$WORK/$name.ext"
    _tls_issue_ext "$name" "$CARD_KEY_URI" "$cn" "the certificate $name for the card key"
}

# FOREIGN: the prefix for programs we did not build. In the sanitizer pass
# they load the instrumented provider, so they need the sanitizer runtime
# preloaded; leak checks stay off for them, since what they leak at exit is
# theirs (the provider's leaks are checked with the openssl command). `env`
# execs, so a program spawned as "${FOREIGN[@]}" PROG keeps the PID that
# spawn reports.
FOREIGN=(env)
[ -z "${IOTSAFE_SAN_PRELOAD:-}" ] ||
    FOREIGN=(env "LD_PRELOAD=$IOTSAFE_SAN_PRELOAD" "ASAN_OPTIONS=detect_leaks=0:exitcode=23")

# An HTTPS GET with openssl s_client (software client certificate), so no
# check depends on curl: https_get PORT CERT KEY [s_client options...]
https_get() {
    local port=$1 cert=$2 key=$3
    shift 3
    printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' |
        openssl s_client -connect "127.0.0.1:$port" -verify_return_error -CAfile "$CA_CERT" \
            -cert "$cert" -key "$key" -ign_eof "$@" 2>&1
}
