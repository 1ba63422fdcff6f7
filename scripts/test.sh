#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine:
#   ./scripts/test.sh            unit + end-to-end tests, then again under ASan+UBSan
#   ./scripts/test.sh --quick    skip the sanitizer pass
#   ./scripts/test.sh --sanitize only the sanitizer pass
# Installs missing packages (apt-get), configures and builds with meson, runs
# `meson test`, and ends with one line "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/deps.sh
iotsafe_install_deps || { echo "package installation failed"; echo "0 passed, 1 failed"; exit 1; }

# End-to-end tests give each pcscd its own mount namespace: that needs root.
if [ "$(id -u)" -ne 0 ]; then
  echo "The end-to-end tests start pcscd in private mount namespaces and must run as root (sudo $0)."
  echo "0 passed, 1 failed"; exit 1
fi

plain=1 sanitize=1
case "${1:-}" in
  --quick) sanitize=0 ;;
  --sanitize) plain=0 ;;
  "") ;;
  *) echo "usage: $0 [--quick|--sanitize]"; exit 2 ;;
esac

total_pass=0 total_fail=0 total_skip=0
jobs=${IOTSAFE_TEST_JOBS:-4}

run_pass() { # name builddir meson-options...
  local name=$1 dir=$2; shift 2
  echo "=== $name: configure and build ($dir)"
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" || { total_fail=$((total_fail + 1)); return; }
  fi
  ninja -C "$dir" || { echo "build failed"; total_fail=$((total_fail + 1)); return; }
  echo "=== $name: meson test"
  meson test -C "$dir" --num-processes "$jobs" --print-errorlogs
  local counts
  counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = skip = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"):
        ok += 1
    elif r == "SKIP":
        skip += 1
    else:
        bad += 1
print(ok, bad, skip)
PY
) || counts="0 1 0"
  set -- $counts
  echo "=== $name: $1 passed, $2 failed, $3 skipped"
  total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); total_skip=$((total_skip + $3))
}

[ $plain -eq 1 ] && run_pass "tests" build
[ $sanitize -eq 1 ] && run_pass "tests under ASan+UBSan" build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
# libFuzzer smoke runs of every parser target (clang); tests=false: the suite above already ran
[ $sanitize -eq 1 ] && CC=clang run_pass "fuzz targets (short runs)" build-fuzz -Dfuzz=true -Dtests=false

echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ $total_fail -eq 0 ]
