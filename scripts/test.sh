#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 or 13 machine:
#   ./scripts/test.sh                  the system pass (the system's own OpenSSL and
#                                      programs, whatever line that is: 3.0 on Debian 12,
#                                      3.5 on 13), then each supported line the system
#                                      does not have (3.5, 4.0) built from Debian's
#                                      sources, then the ASan+UBSan and fuzz passes on
#                                      the system's line
#   ./scripts/test.sh --openssl LINE   one line: 3.0, 3.5 or 4.0 (the system's, or built)
#   ./scripts/test.sh --quick          plain passes only (combines with --openssl)
#   ./scripts/test.sh --sanitize       only the sanitizer and fuzz passes (system line)
# On Debian 12 the whole run (no --openssl, not --sanitize) also runs the suite
# in a Debian 13 root (scripts/debian13-pass.sh; IOTSAFE_DEBIAN13=0 leaves it
# out), which then stands for the 3.5 line instead of a built 3.5.
# Installs missing packages (apt-get); builds OpenSSL 3.5/4.x, curl and mosquitto
# from Debian's source packages into a cache (scripts/openssl-line.sh,
# IOTSAFE_CACHE_DIR, default /var/cache/iotsafe-provider) the first time; builds
# the project once per line with meson, runs `meson test` with that line's
# openssl, libraries, curl and mosquitto first, and ends with one line
# "N passed, N failed, N skipped" over everything.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
. scripts/deps.sh
. scripts/openssl-line.sh
. scripts/pkcs11-provider.sh

usage() { echo "usage: $0 [--quick|--sanitize] [--openssl 3.0|3.5|4.0]"; exit 2; }
# The system's own OpenSSL line (major.minor of the openssl program apt installs).
system_line() {
  local v
  v=$(PATH=/usr/bin:/bin openssl version 2>/dev/null | awk '{ print $2 }')
  v=${v%%[a-z-]*}
  echo "${v%.*}"
}
plain=1 sanitize=1 lines=() explicit=0
set_line() { case "$1" in 3.0 | 3.5) lines=("$1") ;; 4 | 4.x | 4.0) lines=(4.0) ;; *) usage ;; esac; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) sanitize=0 ;;
    --sanitize) plain=0 ;;
    --openssl) [ $# -ge 2 ] || usage; set_line "$2"; explicit=1; shift ;;
    --openssl=*) set_line "${1#--openssl=}"; explicit=1 ;;
    *) usage ;;
  esac
  shift
done

iotsafe_install_deps || { echo "package installation failed"; echo "0 passed, 1 failed"; exit 1; }
sys_line=$(system_line)
[ -n "$sys_line" ] || { echo "no system openssl"; echo "0 passed, 1 failed"; exit 1; }
# On Debian 12 the whole run also runs the suite in a Debian 13 root (its own OpenSSL 3.5 and
# programs: scripts/debian13-pass.sh), which then stands for the 3.5 line (IOTSAFE_DEBIAN13=0: not).
debian13=0
if [ $explicit -eq 0 ] && [ $plain -eq 1 ] && [ "${IOTSAFE_DEBIAN13:-1}" != 0 ] &&
  grep -q '^VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
  debian13=1
fi
if [ ${#lines[@]} -eq 0 ]; then # the system first, then what only a build can give
  lines=("$sys_line")
  for l in 3.5 4.0; do
    [ "$l" = "$sys_line" ] || { [ "$l" = 3.5 ] && [ $debian13 -eq 1 ]; } || lines+=("$l")
  done
fi
[ $plain -eq 1 ] || lines=("$sys_line")

# End-to-end tests give each pcscd its own mount namespace: that needs root.
if [ "$(id -u)" -ne 0 ]; then
  echo "The end-to-end tests start pcscd in private mount namespaces and must run as root (sudo $0)."
  echo "0 passed, 1 failed"; exit 1
fi

# The group whose members share a card's state, as the Debian package makes it:
# the tests run services (nginx's workers) and attackers as other users.
if ! getent group iotsafe >/dev/null && ! groupadd --system iotsafe; then
  echo "cannot create the group iotsafe"; echo "0 passed, 1 failed"; exit 1
fi

# pkcs11-provider for test/e2e/pkcs11-provider.sh (scripts/pkcs11-provider.sh): the
# system's package, else trixie's in the cache. One module serves every line with
# libcrypto.so.3; on another line that test skips, naming the OpenSSL it loads.
if p11prov_ensure; then
  export IOTSAFE_PKCS11_PROVIDER=$P11PROV_MODULE
  echo "=== pkcs11-provider: $P11PROV_MODULE"
else
  echo "=== pkcs11-provider: not available; test/e2e/pkcs11-provider.sh will skip"
fi

total_pass=0 total_fail=0 total_skip=0
jobs=${IOTSAFE_TEST_JOBS:-4}
summary=()
t_start=$(date +%s)

run_pass() { # name builddir meson-options...
  local name=$1 dir=$2 t0=$(date +%s); shift 2
  echo "=== $name: configure and build ($dir)"
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" || { total_fail=$((total_fail + 1)); summary+=("$name: configure failed"); return; }
  fi
  ninja -C "$dir" || { echo "build failed"; total_fail=$((total_fail + 1)); summary+=("$name: build failed"); return; }
  echo "=== $name: meson test"
  rm -f "$dir/meson-logs/testlog.json"
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
  local line="$name: $1 passed, $2 failed, $3 skipped ($(( $(date +%s) - t0 )) s)"
  echo "=== $line"
  summary+=("$line")
  total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); total_skip=$((total_skip + $3))
}

# Run a pass with one OpenSSL line in the environment: its openssl, curl and
# mosquitto first on PATH, its libraries first for the dynamic loader (3.5 keeps
# the system's soname, so the system's programs load it too; 4.x does not).
run_line() { # line plain|sanitize
  local line=$1 kind=$2
  if [ "$line" = "$sys_line" ]; then
    local label
    label="OpenSSL $(PATH=/usr/bin:/bin openssl version | awk '{ print $2 }') (system)"
    export IOTSAFE_OPENSSL_LINE=$sys_line IOTSAFE_SYSTEM_PASS=1
    if [ "$kind" = plain ]; then
      run_pass "$label: tests" build
    else
      run_pass "$label: tests under ASan+UBSan" build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
      # libFuzzer smoke runs of every parser target (clang); tests=false: the suite above already ran
      CC=clang run_pass "$label: fuzz targets (short runs)" build-fuzz -Dfuzz=true -Dtests=false
    fi
    unset IOTSAFE_SYSTEM_PASS
    return
  fi
  if [ "$line" = 3.0 ]; then # only a system can give 3.0 (Debian 12)
    echo "=== OpenSSL 3.0: not this system's line ($sys_line): run the suite on Debian 12 for it"
    return
  fi
  echo "=== OpenSSL $line: OpenSSL, curl and mosquitto from Debian's sources (cache $(ossl_cache_dir))"
  if ! ossl_line_ensure "$line"; then
    echo "=== OpenSSL $line: could not fetch or build OpenSSL, curl or mosquitto"
    total_fail=$((total_fail + 1)); summary+=("OpenSSL $line: toolchain build failed"); return
  fi
  local ver; ver=$("$OSSL_PREFIX/bin/openssl" version | awk '{ print $2 }')
  (
    export IOTSAFE_OPENSSL_LINE=${ver%.*}
    local mpath= mlib= mpc=
    [ -n "$MOSQ_PREFIX" ] && mpath=$MOSQ_PREFIX/bin:$MOSQ_PREFIX/sbin: mlib=:$MOSQ_PREFIX/lib mpc=,$MOSQ_PREFIX/lib/pkgconfig
    export PATH=$OSSL_PREFIX/bin:$CURL_PREFIX/bin:$mpath$PATH
    export LD_LIBRARY_PATH=$OSSL_PREFIX/lib$mlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    echo "=== OpenSSL $line: $(openssl version); $(curl --version | head -n 1 | cut -d' ' -f1-2); mosquitto ${MOSQ_PREFIX:+$(mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version \([^ ]*\).*/\1/p')}${MOSQ_PREFIX:-not built for this line}"
    # A build directory per OpenSSL version, keyed like the cache.
    run_pass "OpenSSL $ver: tests" "build-openssl-$ver" \
      -Dpkg_config_path="$OSSL_PREFIX/lib/pkgconfig$mpc"
    echo "$total_pass $total_fail $total_skip" >"$counts_file"
    printf '%s\n' "${summary[@]}" >"$summary_file"
  )
  read -r total_pass total_fail total_skip <"$counts_file"
  mapfile -t summary <"$summary_file"
}
counts_file=$(mktemp) summary_file=$(mktemp) WORK_LOG_DIR=$(mktemp -d)
trap 'rm -rf "$counts_file" "$summary_file" "$WORK_LOG_DIR"' EXIT

for line in "${lines[@]}"; do
  [ $plain -eq 1 ] && run_line "$line" plain
done
if [ $debian13 -eq 1 ]; then
  echo "=== Debian 13 (trixie) pass: the suite in a trixie root (scripts/debian13-pass.sh)"
  t0=$(date +%s)
  out=$WORK_LOG_DIR/debian13.log
  ./scripts/debian13-pass.sh 2>&1 | tee "$out"
  set -- $(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' "$out" | tail -n 1)
  if [ $# -eq 3 ]; then
    ver=$(sed -n 's/^=== \(OpenSSL [^ ]* (system)\): tests: .*/\1/p' "$out" | tail -n 1)
    summary+=("Debian 13 (trixie), ${ver:-OpenSSL 3.5}: $1 passed, $2 failed, $3 skipped ($(( $(date +%s) - t0 )) s)")
    total_pass=$((total_pass + $1)); total_fail=$((total_fail + $2)); total_skip=$((total_skip + $3))
  else
    summary+=("Debian 13 (trixie): the pass did not run (see above)")
    total_fail=$((total_fail + 1))
  fi
fi
if [ $sanitize -eq 1 ]; then
  case " ${lines[*]} " in
    *" $sys_line "*) run_line "$sys_line" sanitize ;;
    *) echo "=== the ASan+UBSan and fuzz passes run on the system's line, $sys_line (--openssl $sys_line or no --openssl)" ;;
  esac
fi

echo "=== summary (wall time $(( $(date +%s) - t_start )) s)"
printf '    %s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ $total_fail -eq 0 ]
