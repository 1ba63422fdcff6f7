#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The whole story on the simulated IoT SAFE card, on a fresh Debian 12:
#
#   card generates its key pair -> CSR signed by the card -> a local CA issues
#   the certificate -> curl and mosquitto authenticate with the card key.
#
# Everything runs on 127.0.0.1 with a private pcscd + vpcd reader + simulator,
# and everything started here is stopped (by PID) on exit. Safe to re-run.
#
# usage: scripts/demo.sh [--no-install] [--keep] [--build-dir DIR]
#   --no-install     do not check or install Debian packages
#   --keep           keep the demo's working directory (printed at the end)
#   --build-dir DIR  meson build directory (default: build/ in the source tree)
#
# Needs root for the private mount namespace of pcscd; as a normal user it
# builds first and then re-runs the card part through sudo.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$ROOT/build
# one package list for the demo and the tests
. "$ROOT/scripts/deps.sh"

install=1
keep=0
setup=1
while [ $# -gt 0 ]; do
    case $1 in
    --no-install) install=0 ;;
    --keep) keep=1 ;;
    --build-dir)
        [ $# -ge 2 ] && [ -n "$2" ] || {
            echo "demo: --build-dir needs a directory" >&2
            exit 2
        }
        BUILD=$(realpath -m "$2")
        shift
        ;;
    --card-only) setup=0 ;; # internal: the sudo re-run after the build
    -h | --help)
        sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "demo: unknown argument '$1' (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

if [ -t 1 ]; then
    B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' DIM=$'\e[2m' N=$'\e[0m'
else
    B='' G='' R='' DIM='' N=''
fi
STEP=0

step() {
    STEP=$((STEP + 1))
    printf '\n%s== %d. %s%s\n' "$B" "$STEP" "$*" "$N"
}

say() {
    printf '   %s\n' "$@"
}

die() {
    printf '%sdemo: %s%s\n' "$R" "$*" "$N" >&2
    exit 1
}

# A command line as one could paste it into a shell.
show_cmd() {
    local a line=
    for a in "$@"; do
        case $a in
        *[!A-Za-z0-9_./:=@%+,-]* | '') a="'${a//\'/\'\\\'\'}'" ;;
        esac
        line+=" $a"
    done
    printf '   %s$%s%s\n' "$DIM" "$line" "$N"
}

# Show the command, run it, indent its output; stop the demo on failure.
run() {
    local out rc
    show_cmd "$@"
    out=$("$@" 2>&1)
    rc=$?
    [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/     /'
    [ $rc -eq 0 ] || die "failed (exit $rc): $*"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root for: $* (and sudo is not installed)"
    fi
}

# ------------------------------------------------------------------ setup
if [ $setup = 1 ]; then
    if [ $install = 1 ]; then
        step "Debian packages"
        iotsafe_install_deps || die "package installation failed"
        say "all present"
    fi

    step "Build (meson + ninja into $BUILD)"
    if [ -f "$BUILD/build.ninja" ]; then
        say "reusing $BUILD"
    else
        run meson setup "$BUILD" "$ROOT"
    fi
    ninja -C "$BUILD" >"$BUILD/demo-build.log" 2>&1 || {
        tail -n 30 "$BUILD/demo-build.log" >&2
        die "build failed (full log: $BUILD/demo-build.log)"
    }
    say "built: $BUILD/provider/iotsafe.so, sim/iotsafe-sim, tools/iotsafe-tool"

    if [ "$(id -u)" != 0 ]; then
        say "" "the card part needs root (private mount namespace for pcscd): re-running with sudo"
        args=(--card-only --build-dir "$BUILD")
        [ $keep = 0 ] || args+=(--keep)
        exec sudo env PATH="$PATH" bash "$0" "${args[@]}"
    fi
fi
[ "$(id -u)" = 0 ] || die "the card part must run as root"
for f in provider/iotsafe.so sim/iotsafe-sim tools/iotsafe-tool test/e2e/pcsc_wait test/e2e/free_port; do
    [ -e "$BUILD/$f" ] || die "$BUILD/$f is missing: build first (scripts/demo.sh without --card-only)"
done

# ------------------------------------------------------------------ the card
# The e2e harness starts pcscd in its own mount namespace, a vpcd reader on a
# free port and the simulator, and stops them by PID on exit. Its TAP helpers
# are not used here.
export BUILD_ROOT=$BUILD SOURCE_ROOT=$ROOT
[ $keep = 0 ] || export HARNESS_KEEP=1
# shellcheck source=../test/e2e/harness.sh
. "$ROOT/test/e2e/harness.sh"
D=$WORK/demo
mkdir -p "$D"
cd "$D" || die "cannot enter $D"

CARD_CONF=$ROOT/conf/demo-card.conf
LABEL=CLIENT
KEY_URI="iotsafe:label=$LABEL;type=private"

step "Start a simulated IoT SAFE card behind a private pcscd"
card_up "$CARD_CONF"
say "card config:  $CARD_CONF" \
    "pcscd socket: $PCSCLITE_CSOCK_NAME" \
    "openssl.cnf:  $OPENSSL_CONF (default provider first, then iotsafe)"

step "What the card holds"
run "$TOOL" list

step "Generate the key pair ON THE CARD (container '$LABEL')"
# Prefer the provider (openssl genpkey names the card container); older builds
# without that option fall back to iotsafe-tool. Either way the private key is
# born on the card and never leaves it.
# The result must be a key reference: a software key from another provider
# would defeat the point, so anything else falls back to the tool.
if openssl genpkey -propquery '?provider=iotsafe' -algorithm EC \
    -pkeyopt "iotsafe-uri:$KEY_URI" -out client-key.pem >genpkey.log 2>&1 &&
    grep -q '^-----BEGIN IOTSAFE KEY REFERENCE-----' client-key.pem; then
    show_cmd openssl genpkey -propquery '?provider=iotsafe' -algorithm EC \
        -pkeyopt "iotsafe-uri:$KEY_URI" -out client-key.pem
else
    rm -f client-key.pem
    run "$TOOL" genkey --label "$LABEL"
fi
run openssl pkey -in "$KEY_URI" -pubout -out client-pub.pem
run cat client-pub.pem

step "A key file for programs that only take files (curl 7.88, mosquitto)"
[ -f client-key.pem ] || run openssl pkey -in "$KEY_URI" -out client-key.pem
run cat client-key.pem
say "It holds only a reference (an iotsafe: URI), no key material:"
run openssl asn1parse -in client-key.pem

step "Certificate signing request, signed by the card"
run openssl req -new -key "$KEY_URI" -subj "/O=IoT SAFE demo/CN=demo-device" -out client.csr
run openssl req -in client.csr -noout -verify -subject

step "A local CA (openssl ca) issues the device certificate"
mkdir -p ca/newcerts
: >ca/index.txt
echo 1000 >ca/serial
cat >ca/ca.cnf <<EOF
[ca]
default_ca = demo_ca
[demo_ca]
dir = $D/ca
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 30
policy = policy_any
copy_extensions = none
unique_subject = no
[policy_any]
organizationName = optional
commonName = supplied
[device]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
EOF
run openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout ca/ca.key -subj "/O=IoT SAFE demo/CN=Demo CA" -days 30 -out ca/ca.pem
run openssl ca -batch -config ca/ca.cnf -extensions device -in client.csr -out client.pem -notext
run openssl verify -CAfile ca/ca.pem client.pem
say "The certificate matches the key on the card:"
run openssl x509 -in client.pem -noout -subject -ext extendedKeyUsage

# Server certificates are ordinary software ones from the same CA.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key \
    -subj "/O=IoT SAFE demo/CN=127.0.0.1" -out server.csr >/dev/null 2>&1 &&
    openssl ca -batch -config ca/ca.cnf -extensions server -in server.csr -out server.pem \
        -notext >/dev/null 2>&1 || die "cannot issue the server certificate"

step "HTTPS server that requires a client certificate"
HTTPS_PORT=$(free_port)
openssl s_server -accept "127.0.0.1:$HTTPS_PORT" -www -cert server.pem -key server.key \
    -verify_return_error -Verify 1 -CAfile ca/ca.pem </dev/null >https.log 2>&1 &
track_pid $!
wait_port "$HTTPS_PORT" || die "the HTTPS server did not start"
say "openssl s_server -www on https://127.0.0.1:$HTTPS_PORT/ (client certificate required)"

step "curl authenticates with the card key"
say "curl $(curl --version | head -n 1 | cut -d' ' -f2) takes the key file; curl >= 8.12 also takes --engine iotsafe --key-type PROV --key '$KEY_URI'"
show_cmd curl --cacert ca/ca.pem --cert client.pem --key client-key.pem "https://127.0.0.1:$HTTPS_PORT/"
IOTSAFE_TRACE=1 curl -sS --max-time 20 --cacert ca/ca.pem --cert client.pem --key client-key.pem \
    "https://127.0.0.1:$HTTPS_PORT/" >page.html 2>curl.trace || {
    grep -v '^iotsafe:' curl.trace >&2
    die "curl failed"
}
say "The server's status page shows the client certificate it saw:"
grep -E 'New, TLS|Subject: |Issuer: ' page.html | sed 's/^ */     /'
say "Card APDUs for that whole curl run (key load + handshake signature): $(grep -c 'iotsafe: >' curl.trace)"
say "Without the card key the server refuses the client:"
if curl -sS --max-time 20 --cacert ca/ca.pem "https://127.0.0.1:$HTTPS_PORT/" >/dev/null 2>curl-nocert.err; then
    die "the server accepted a client without a certificate"
fi
sed 's/^/     /' curl-nocert.err

step "MQTT: mosquitto broker that takes the certificate's CN as username"
MQTT_PORT=$(free_port)
cat >mosquitto.conf <<EOF
per_listener_settings false
persistence false
user root
log_dest file $D/broker.log
log_type all
connection_messages true
allow_anonymous false
listener $MQTT_PORT 127.0.0.1
cafile $D/ca/ca.pem
certfile $D/server.pem
keyfile $D/server.key
require_certificate true
use_identity_as_username true
EOF
mosquitto -c mosquitto.conf </dev/null >broker.out 2>&1 &
track_pid $!
wait_port "$MQTT_PORT" || die "mosquitto did not start"
say "mosquitto on 127.0.0.1:$MQTT_PORT (require_certificate, use_identity_as_username)"

# The dashboard listening is an ordinary software client.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dash.key \
    -subj "/O=IoT SAFE demo/CN=dashboard" -out dash.csr >/dev/null 2>&1 &&
    openssl ca -batch -config ca/ca.cnf -extensions device -in dash.csr -out dash.pem \
        -notext >/dev/null 2>&1 || die "cannot issue the dashboard certificate"
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" --cafile ca/ca.pem --cert dash.pem --key dash.key \
    -i dashboard -t demo/telemetry -C 1 -W 20 -v </dev/null >sub.out 2>&1 &
SUB=$!
track_pid $SUB
for _ in $(seq 500); do
    grep -q 'Sending SUBACK to dashboard' broker.log 2>/dev/null && break
    sleep 0.02
done

step "mosquitto_pub publishes with the card key; mosquitto_sub receives it"
run mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" --cafile ca/ca.pem --cert client.pem \
    --key client-key.pem -i demo-device -t demo/telemetry -m '{"temp": 21.5, "from": "card-held key"}'
wait "$SUB" || die "mosquitto_sub did not receive the message: $(cat sub.out)"
say "mosquitto_sub printed:"
sed 's/^/     /' sub.out
say "The broker's log: the device is known by its card certificate"
grep -E "as demo-device .*u'" broker.log | sed 's/^[0-9]*: /     /'

step "Done"
say "${G}The private key was generated on the card and never left it; its certificate" \
    "authenticated curl (HTTPS) and mosquitto (MQTT) with no change to either program.${N}" \
    "Stopping the servers, the simulator and pcscd."
[ $keep = 0 ] || say "kept: $WORK"
