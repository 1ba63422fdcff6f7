#!/usr/bin/env bash
# Benchmarks on the simulated card through the real pcscd + vpcd.
#   bench/run.sh [BUILD_DIR] [COUNT]
# Prints figures and ratios; nothing here passes or fails on timing.
set -u
SOURCE_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_ROOT=$(cd "${1:-$SOURCE_ROOT/build}" && pwd)
COUNT=${2:-500}
export SOURCE_ROOT BUILD_ROOT
. "$SOURCE_ROOT/test/e2e/harness.sh"

bench() {
  "$BUILD_ROOT/bench/bench_sign" -n "$1"
  "$BUILD_ROOT/bench/bench_evp" -n "$1"
  "$BUILD_ROOT/bench/bench_verify" -n "$(( $1 / 10 > 0 ? $1 / 10 : 1 ))" -r 10
}

echo "## simulator without latency: protocol and host overhead only"
card_up "$SOURCE_ROOT/test/data/card.conf" >/dev/null
bench "$COUNT"
echo
echo "## simulator with a SIM-like latency model (sign 150 ms, select 20 ms)"
sim_stop
sim_start --set latency-sign=150 --set latency-select=20 >/dev/null
bench 10

echo
echo "## sharing one card: 4 processes x 8 threads signing through the provider"
echo "## (longest stall of any process beside the signatures/s of the whole)"
sim_stop
sim_start >/dev/null
"$BUILD_ROOT/bench/bench_fair" -p 4 -t 8 -d 10
sim_stop
sim_start --set latency-sign=20 --set latency-select=5 >/dev/null
echo "## the same with a 20 ms signature"
"$BUILD_ROOT/bench/bench_fair" -p 4 -t 8 -d 10
