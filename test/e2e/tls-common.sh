# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash disable=SC2034 # variables set here are for the sourcing scripts
#
# Helpers shared by the TLS, curl and MQTT end-to-end scripts. Source it after
# harness.sh (it relies on $WORK, track_pid, wait_port and the TAP helpers):
#
#     . "$SOURCE_ROOT/test/e2e/harness.sh"
#     . "$SOURCE_ROOT/test/e2e/tls-common.sh"
#
#   CARD_KEY_URI              the device key on the standard test card
#   DEVCERT CA_CERT CA_KEY    the test PKI from test/data
#   DEVICE_CN                 subject CN of DEVCERT
#   issue_cert NAME CN [server|client]
#       software P-256 key + certificate from the test CA:
#       $WORK/NAME.key, $WORK/NAME.pem (server certs get SAN IP:127.0.0.1)
#   issue_card_cert NAME KEY_URI CN [server|client]
#       CSR signed by the card key KEY_URI, certificate from the test CA for
#       it: $WORK/NAME.pem
#   server_saw_device LOG WHAT
#       TAP checks: the s_server writing LOG saw one more verified handshake
#       with DEVCERT (SERVER_SEEN counts them)
#   spawn OUT ERR CMD...      start CMD in the background (stdin /dev/null,
#                             stdout to OUT, stderr to ERR), track its PID for
#                             the harness's EXIT trap; sets SPAWNED_PID
#   stop_spawned PID          stop one such process now
#   spawn_listening PORT WHAT OUT ERR CMD...
#       spawn CMD and wait until 127.0.0.1:PORT accepts connections; else
#       print OUT and ERR and bail out with "WHAT did not start"
#   start_s_server PORT OUT ERR ARG...
#       spawn `openssl s_server` on 127.0.0.1:PORT with the software server
#       certificate $WORK/server.{pem,key} (issue_cert server ...), requiring a
#       client certificate from the test CA, plus ARG... (-www, -rev, ...);
#       wait until it listens, else print OUT and ERR and bail out
#   wait_log FILE REGEX [SEC] wait (default 10 s) until FILE matches REGEX
#   count_lines FILE REGEX    number of lines of FILE matching REGEX (0 if none)
#   apdus FILE                number of card APDUs in an IOTSAFE_TRACE=1 log
#   report_apdus WHAT FILE [BASE]
#       print the TAP comment `# APDUs per handshake: N (WHAT)` for the APDUs
#       in FILE after the first BASE ones, with their split by instruction
#   make_bogus_keyref OUT URI write a key-reference PEM naming URI as-is
#   start_broker              mosquitto on a free port ($BROKER_PORT) with
#                             require_certificate + use_identity_as_username,
#                             server cert $WORK/broker.{pem,key} (issued here),
#                             log in $BROKER_LOG
#   start_sub OUT ID TOPIC CERT KEY
#                             mosquitto_sub waiting for one message (-C 1 -W 20)
#                             on TOPIC, subscribed when this returns; sets SUB_PID
#   broker_identity ID        the username the broker gave client ID (from its log)

CARD_KEY_URI='iotsafe:label=DEVKEY;type=private'
DEVCERT=$SOURCE_ROOT/test/data/devcert.pem
CA_CERT=$SOURCE_ROOT/test/data/ca.pem
CA_KEY=$SOURCE_ROOT/test/data/ca.key
DEVICE_CN=iotsafe-device
SPAWNED_PID=

# Extensions for the certificates issued here.
_tls_ext() {
    if [ "$1" = server ]; then
        printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature' \
            'extendedKeyUsage=serverAuth' \
            'subjectAltName=IP:127.0.0.1,DNS:localhost'
    else
        printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature' \
            'extendedKeyUsage=clientAuth'
    fi
}

# CSR signed by KEY (a file or an iotsafe: URI), certificate from the test CA
# with the extensions in $WORK/NAME.ext (stack-common.sh's issue_card_cert_ext
# uses it too). The serial file lives in $WORK so that nothing is written to
# the source tree. Bails out naming WHAT when it fails.
_tls_issue_ext() {
    local name=$1 key=$2 cn=$3 what=$4
    openssl req -new -key "$key" -subj "/CN=$cn" \
        -out "$WORK/$name.csr" 2>>"$WORK/$name.err" &&
        openssl x509 -req -in "$WORK/$name.csr" -CA "$CA_CERT" -CAkey "$CA_KEY" \
            -CAserial "$WORK/ca.srl" -CAcreateserial -days 2 -sha256 \
            -extfile "$WORK/$name.ext" -out "$WORK/$name.pem" 2>>"$WORK/$name.err" || {
        sed 's/^/# /' "$WORK/$name.err"
        echo "Bail out! cannot issue $what"
        exit 1
    }
}

_tls_issue() {
    local name=$1 kind=$4
    _tls_ext "$kind" >"$WORK/$name.ext"
    _tls_issue_ext "$name" "$2" "$3" "the $kind certificate $name"
}

issue_cert() {
    local name=$1 cn=$2 kind=${3:-server}
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -out "$WORK/$name.key" 2>"$WORK/$name.err" || {
        sed 's/^/# /' "$WORK/$name.err"
        echo "Bail out! cannot make the key for $name"
        exit 1
    }
    _tls_issue "$name" "$WORK/$name.key" "$cn" "$kind"
}

issue_card_cert() {
    : >"$WORK/$1.err"
    _tls_issue "$1" "$2" "$3" "${4:-server}"
}

spawn() {
    local out=$1 err=$2
    shift 2
    "$@" </dev/null >"$out" 2>"$err" &
    SPAWNED_PID=$!
    track_pid "$SPAWNED_PID"
}

# The harness's own stop (TERM, bounded wait, KILL, reap); its EXIT trap tries
# again at exit, which is harmless once the process is reaped.
stop_spawned() {
    _h_stop_pid "$1"
}

spawn_listening() {
    local port=$1 what=$2 out=$3 err=$4
    shift 4
    spawn "$out" "$err" "$@"
    wait_port "$port" && return 0
    sed 's/^/# /' "$out" "$err"
    echo "Bail out! $what did not start"
    exit 1
}

start_s_server() {
    local port=$1 out=$2 err=$3
    shift 3
    spawn_listening "$port" s_server "$out" "$err" openssl s_server -accept "127.0.0.1:$port" "$@" \
        -cert "$WORK/server.pem" -key "$WORK/server.key" \
        -verify_return_error -Verify 1 -CAfile "$CA_CERT"
}

wait_log() {
    local file=$1 re=$2 max=$(( ${3:-10} * 50 )) i=0
    while ! grep -Eq -- "$re" "$file" 2>/dev/null; do
        i=$((i + 1))
        [ $i -gt $max ] && return 1
        sleep 0.02
    done
    return 0
}

count_lines() {
    local n
    n=$(grep -Ec -- "$2" "$1" 2>/dev/null) || true
    echo "${n:-0}"
}

# server_saw_device LOG WHAT: TAP checks that the s_server writing LOG has seen
# one more verified client handshake with the device certificate; SERVER_SEEN
# counts them (each adds a "Peer certificate" and a "Verification: OK" line).
SERVER_SEEN=0
server_saw_device() {
    local log=$1 what=$2 n
    SERVER_SEEN=$((SERVER_SEEN + 1))
    # s_server may print its summary just after the client is gone (bounded wait).
    for _ in $(seq 100); do
        n=$(count_lines "$log" "^Peer certificate: CN ?= ?$DEVICE_CN\$")
        [ "$n" -ge "$SERVER_SEEN" ] && break
        sleep 0.05
    done
    is "server saw the card's certificate ($what)" "$n" "$SERVER_SEEN"
    is "server verified the client ($what)" "$(count_lines "$log" '^Verification: OK')" "$SERVER_SEEN"
}

apdus() {
    count_lines "$1" 'iotsafe: >'
}

# Instruction bytes of the traced commands, e.g. "2A:1 2B:1"; the CLA byte
# varies with the channel, so group by INS only.
_tls_ins_split() {
    grep -o 'iotsafe: > [0-9A-F][0-9A-F] [0-9A-F][0-9A-F]' "$1" 2>/dev/null |
        tail -n +"$(( ${2:-0} + 1 ))" | awk '{ n[$4]++ } END { for (i in n) printf "%s:%d ", i, n[i] }' |
        tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/^ *//; s/ *$//'
}

report_apdus() {
    local what=$1 file=$2 base=${3:-0} total
    total=$(apdus "$file")
    diag "APDUs per handshake: $((total - base)) ($what; by INS $(_tls_ins_split "$file" "$base"))"
}

# A key-reference PEM for an arbitrary URI, built with openssl alone so the
# negative tests do not depend on any tool refusing the URI first.
make_bogus_keyref() {
    local out=$1 uri=$2 conf=$WORK/keyref.asn1
    printf '%s\n' 'asn1=SEQUENCE:ref' '[ref]' \
        'magic=VISIBLESTRING:IoT SAFE key reference v1' "uri=UTF8:$uri" >"$conf"
    {
        echo '-----BEGIN IOTSAFE KEY REFERENCE-----'
        openssl asn1parse -genconf "$conf" -noout -out /dev/stdout | base64 -w 64
        echo '-----END IOTSAFE KEY REFERENCE-----'
    } >"$out"
}

start_broker() {
    issue_cert broker 127.0.0.1 server
    BROKER_PORT=$(free_port)
    BROKER_LOG=$WORK/broker.log
    # `user root` keeps a root broker from switching to the mosquitto user,
    # which could not read $WORK. The CN of a verified client certificate
    # becomes the username, so no anonymous client gets in.
    cat >"$WORK/mosquitto.conf" <<EOF
per_listener_settings false
persistence false
user root
log_dest file $BROKER_LOG
log_type all
connection_messages true
allow_anonymous false
listener $BROKER_PORT 127.0.0.1
cafile $CA_CERT
certfile $WORK/broker.pem
keyfile $WORK/broker.key
require_certificate true
use_identity_as_username true
EOF
    spawn "$WORK/broker.out" "$WORK/broker.err" mosquitto -c "$WORK/mosquitto.conf"
    BROKER_PID=$SPAWNED_PID
    if ! wait_port "$BROKER_PORT"; then
        sed 's/^/# /' "$WORK/broker.out" "$WORK/broker.err" "$BROKER_LOG" 2>/dev/null
        echo "Bail out! mosquitto did not start"
        exit 1
    fi
}

start_sub() {
    local out=$1 id=$2 topic=$3 cert=$4 key=$5
    spawn "$out" "$out.err" mosquitto_sub -h 127.0.0.1 -p "$BROKER_PORT" \
        --cafile "$CA_CERT" --cert "$cert" --key "$key" \
        -i "$id" -t "$topic" -C 1 -W 20
    SUB_PID=$SPAWNED_PID
    if ! wait_log "$BROKER_LOG" "Sending SUBACK to $id\$" 15; then
        sed 's/^/# /' "$out.err" "$BROKER_LOG"
        echo "Bail out! mosquitto_sub $id did not subscribe"
        exit 1
    fi
}

broker_identity() {
    sed -n "s/.*New client connected from .* as $1 (.*u'\\([^']*\\)').*/\\1/p" "$BROKER_LOG" | tail -n 1
}
