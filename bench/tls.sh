#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What an application pays for the card, measured side by side in one run:
# mutual-TLS handshakes against `openssl s_server` on loopback, signatures and
# key loads, for a software key (twice: the A/A control), the same software
# key with the iotsafe provider loaded, and the card key by URI and by key
# file (v1 and v2). Clients run one configuration at a time, alternating in
# rounds, so drift of the machine spreads evenly; each figure sums all rounds.
# Then the signature floor and the APDUs and time of fresh processes
# (openssl pkey, curl, mosquitto_pub), without and with a SIM-like latency.
#   bench/tls.sh [BUILD_DIR] [ROUNDS] [HANDSHAKES_PER_ROUND]
# Prints figures and ratios; nothing here passes or fails on timing.
set -u
SOURCE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_ROOT=$(cd "${1:-$SOURCE_ROOT/build}" && pwd)
ROUNDS=${2:-30}
PER=${3:-20}
export SOURCE_ROOT BUILD_ROOT
# A private scratch root: nothing else on the machine cleans it up mid-run.
export TMPDIR=$BUILD_ROOT/bench-tmp
mkdir -p "$TMPDIR"
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"

BT=$BUILD_ROOT/bench/bench_tls
URI='iotsafe:label=DEVKEY;type=private'
LATENCY=(--set latency-sign=150 --set latency-select=20)

card_up >/dev/null
CARD_CNF=$OPENSSL_CONF
SOFT_CNF=$WORK/default.cnf
printf '%s\n' 'openssl_conf = openssl_init' '[openssl_init]' 'providers = provider_sect' \
    '[provider_sect]' 'default = default_sect' '[default_sect]' 'activate = 1' >"$SOFT_CNF"

issue_cert server 127.0.0.1 server >/dev/null
SOFT_KEY=$SOURCE_ROOT/test/data/devkey-soft.pem # the scalar of DEVKEY, so one certificate serves all
make_bogus_keyref "$WORK/v1.pem" "$URI"
openssl pkey -in "$URI" -out "$WORK/v2.pem" 2>/dev/null
if openssl asn1parse -in "$WORK/v2.pem" 2>/dev/null | grep -q 'key reference v2'; then
    V2=$WORK/v2.pem
else
    V2= # this build writes no v2 key files
fi

PORT=$(free_port)
OPENSSL_CONF=$SOFT_CNF spawn "$WORK/srv.out" "$WORK/srv.err" openssl s_server -accept "$PORT" \
    -cert "$WORK/server.pem" -key "$WORK/server.key" -CAfile "$CA_CERT" -Verify 1 -www -quiet
wait_port "$PORT" || { cat "$WORK/srv.err"; exit 1; }

# name|openssl.cnf|key
CONFIGS=("software|$SOFT_CNF|$SOFT_KEY" "software (A/A)|$SOFT_CNF|$SOFT_KEY"
    "software, iotsafe loaded|$CARD_CNF|$SOFT_KEY" "card key (URI)|$CARD_CNF|$URI"
    "card key (file v1)|$CARD_CNF|$WORK/v1.pem")
[ -z "$V2" ] || CONFIGS+=("card key (file v2)|$CARD_CNF|$V2")

# run_rounds MODE N [bench_tls options...]: every round runs every config
# once (N operations); each config's per-round rates go to $WORK/rates.<i>,
# its CPU microseconds per operation to $WORK/cpu.<i>.
run_rounds() {
    local mode=$1 n=$2 r i name cnf key out
    shift 2
    for i in "${!CONFIGS[@]}"; do : >"$WORK/rates.$i"; : >"$WORK/cpu.$i"; done
    for ((r = 0; r < ROUNDS; r++)); do
        for i in "${!CONFIGS[@]}"; do
            IFS='|' read -r name cnf key <<<"${CONFIGS[$i]}"
            if out=$(OPENSSL_CONF=$cnf "$BT" "$mode" -k "$key" -n "$n" "$@" 2>"$WORK/bt.err"); then
                echo "$out" | awk '{ if ($3 > 0) print $2 / $3 }' >>"$WORK/rates.$i"
                echo "$out" | awk '{ if ($2 > 0) print 1e6 * $4 / $2 }' >>"$WORK/cpu.$i"
            else
                echo "# $name: bench_tls $mode failed:"
                sed 's/^/#   /' "$WORK/bt.err"
            fi
        done
    done
}

# Median of the per-round rates of config $1 (0 if none); of file $2 if given.
median() {
    sort -g "${2:-$WORK/rates.$1}" | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# table TITLE: one row per config: its best round (the least disturbed by
# whatever else the machine runs) as rate, time per operation and ratio to
# the first config ("software"); the median round's rate and ratio; the
# client's own CPU time per operation in its best round, with its ratio.
table() {
    local b0 m0 c0 i name b m c
    b0=$(best "$WORK/rates.0" max)
    m0=$(median 0)
    c0=$(best "$WORK/cpu.0" min)
    printf '| %s | best /s | µs each | ratio | median /s | ratio | client CPU µs | CPU ratio |\n' "$1"
    printf '| --- | --- | --- | --- | --- | --- | --- | --- |\n'
    for i in "${!CONFIGS[@]}"; do
        IFS='|' read -r name _ _ <<<"${CONFIGS[$i]}"
        b=$(best "$WORK/rates.$i" max)
        m=$(median "$i")
        c=$(best "$WORK/cpu.$i" min)
        awk -v name="$name" -v b="$b" -v b0="$b0" -v m="$m" -v m0="$m0" -v c="$c" -v c0="$c0" \
            'BEGIN { printf "| %s | %.0f | %.1f | %.3f | %.0f | %.3f | %.1f | %.3f |\n", name, b, (b > 0) ? 1e6 / b : 0, (b0 > 0) ? b / b0 : 0, m, (m0 > 0) ? m / m0 : 0, c, (c > 0) ? c0 / c : 0 }'
    done
    echo
}

# best FILE max|min: the largest or smallest number in FILE (0 if none).
best() {
    sort -g "$1" | awk -v w="$2" 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR == 0) print 0; else print (w == "max") ? hi : lo }'
}

# Instructions per handshake (callgrind), software keys on both sides in one
# process: without the provider, and with it loaded. Deterministic, unlike
# rates on a shared machine. Prints "<Ir per handshake>" for OPENSSL_CONF=$1.
ir_per_handshake() {
    local v=$1 cnf=$2 a b
    a=$(OPENSSL_CONF=$cnf valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$BUILD_ROOT/bench/bench_hs" "$WORK/hs" 5 "$v" 2>&1 | sed -n 's/.*Collected : //p')
    b=$(OPENSSL_CONF=$cnf valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$BUILD_ROOT/bench/bench_hs" "$WORK/hs" 25 "$v" 2>&1 | sed -n 's/.*Collected : //p')
    awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0 && b > 0) printf "%.0f\n", (b - a) / 20; else print 0 }'
}

echo "# OpenSSL $(openssl version | cut -d' ' -f2), $ROUNDS rounds, build $(basename "$BUILD_ROOT")"
echo
for v in 1.3 1.2; do
    run_rounds handshake "$PER" -p "$PORT" -c "$DEVCERT" -A "$CA_CERT" -V "$v"
    table "TLS $v mutual-TLS handshakes ($((ROUNDS * PER)) each)"
done
run_rounds sign "$((PER * 2))"
table "signatures (EVP_DigestSign, SHA-256)"
CARD_SIG_RATE=$(best "$WORK/rates.3" max) # "card key (URI)", best round
run_rounds load "$((PER / 2))"
table "key loads, again in the same process"

if command -v valgrind >/dev/null; then
    mkdir -p "$WORK/hs"
    cp "$WORK/server.pem" "$WORK/server.key" "$CA_CERT" "$WORK/hs/"
    cp "$DEVCERT" "$WORK/hs/client.pem"
    cp "$SOFT_KEY" "$WORK/hs/client.key"
    printf '| instructions per handshake (callgrind, client + server in one process) | without iotsafe | iotsafe loaded | ratio |\n| --- | --- | --- | --- |\n'
    for v in 1.3 1.2; do
        a=$(ir_per_handshake "$v" "$SOFT_CNF")
        b=$(ir_per_handshake "$v" "$CARD_CNF")
        awk -v v="$v" -v a="$a" -v b="$b" 'BEGIN { printf "| TLS %s | %d | %d | %.4f |\n", v, a, b, (b > 0) ? a / b : 0 }'
    done
    echo
else
    echo "(valgrind not installed: no instruction counts)"
fi

floor=$("$BUILD_ROOT/bench/bench_floor" -C "$SOURCE_ROOT/test/data/card.conf" -S "$WORK/floor.state" -n 500)
echo "$floor" | awk '{ printf "- %s: %.1f µs\n", $1, $2 * 1e6 }'
awk -v r="$CARD_SIG_RATE" -v f="$(echo "$floor" | awk '$1 == "floor" { print $2 }')" \
    -v x="$(echo "$floor" | awk '$1 == "transaction" { print $2 }')" \
    'BEGIN { s = (r > 0) ? 1 / r : 0; printf "- card signature (URI key): %.1f µs (best round) = %.2f x the floor; the PC/SC transaction around INIT + UPDATE accounts for %.1f µs of it\n\n", s * 1e6, (f > 0) ? s / f : 0, x * 1e6 }'

# ---- fresh processes: APDUs and wall time, averaged over REPS runs
BROKER_QUIET=1 start_broker >/dev/null
fresh() {
    local reps=$1 what=$2 key=$3 i t0 t1 total=0 ap=0
    shift 3
    for ((i = 0; i < reps; i++)); do
        t0=$(date +%s%N)
        case $what in
        pkey) IOTSAFE_TRACE=1 openssl pkey -in "$key" -pubout -out /dev/null 2>"$WORK/f.err" ;;
        curl) IOTSAFE_TRACE=1 curl -s -o /dev/null --cacert "$CA_CERT" --cert "$DEVCERT" \
            --key "$key" "https://127.0.0.1:$PORT/" 2>"$WORK/f.err" ;;
        mosquitto_pub) IOTSAFE_TRACE=1 mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" \
            --cafile "$CA_CERT" --cert "$DEVCERT" --key "$key" -i "bench$i" -t bench -m x \
            2>"$WORK/f.err" ;;
        esac || { echo "| $what | $(basename "$key") | failed: $(head -c 200 "$WORK/f.err" | tr '\n' ' ') |"; return; }
        t1=$(date +%s%N)
        total=$((total + t1 - t0))
        ap=$(apdus "$WORK/f.err")
    done
    printf '| %s | %s | %s | %s | %.1f |\n' "$what" "$(basename "$key")" "$ap" \
        "$(_tls_ins_split "$WORK/f.err")" "$(awk -v t="$total" -v r="$reps" 'BEGIN{print t/r/1e6}')"
}
fresh_table() {
    local reps=$1 k p
    printf '| program | key | APDUs | by INS | ms per run |\n| --- | --- | --- | --- | --- |\n'
    for p in pkey curl mosquitto_pub; do
        for k in "$WORK/v1.pem" ${V2:+"$V2"}; do fresh "$reps" "$p" "$k"; done
    done
    fresh "$reps" pkey "$URI"
    echo
}
echo "## fresh processes, simulator without latency"
fresh_table 10
echo "## fresh processes, SIM-like latency (sign 150 ms, select 20 ms)"
sim_stop
sim_start "${LATENCY[@]}" >/dev/null
fresh_table 3
