#!/usr/bin/env bash
# The suite on Debian 13 (trixie) from a Debian 12 machine: a trixie root made
# with every package scripts/deps.sh names (scripts/debian-root.sh: from the
# machine's own archive addresses, cached in the cache directory). Each run
# unpacks it afresh, clones this checkout into it and runs, inside a private
# mount namespace (no system bus, as in a container; the cache directory
# shared), the README's test command for the system's line:
#
#   scripts/test.sh --quick --openssl 3.5   (trixie's own OpenSSL 3.5 and programs)
#
#   scripts/debian13-pass.sh       prints that run's output; exit status is its own
#   scripts/debian13-pass.sh --root-only   only makes (or checks) the cached root
# Sourced functions and variables: scripts/deps.sh, scripts/openssl-line.sh, scripts/debian-root.sh.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/deps.sh"
. "$here/scripts/openssl-line.sh"
. "$here/scripts/debian-root.sh"

log() { echo "debian13: $*" >&2; }
# Besides deps.sh's names (both releases have them): Debian 13's own pkcs11-provider,
# which test/e2e/pkcs11-provider.sh uses there (Debian 12 has none: scripts/pkcs11-provider.sh).
root_pkgs=("${IOTSAFE_DEB_PACKAGES[@]}" git pkcs11-provider)
[ "${1:-}" = --root-only ] && { debroot_tarball trixie-root trixie "${root_pkgs[@]}"; exit; }
tarball=$(debroot_tarball trixie-root trixie "${root_pkgs[@]}") || exit 1

root=$(mktemp -d /var/tmp/iotsafe-trixie.XXXXXX) || exit 1
trap 'rm -rf --one-file-system "$root"' EXIT
tar -C "$root" -xf "$tarball" || { log "cannot unpack $tarball"; exit 1; }
if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
  git clone -q "$here" "$root/src" || exit 1
else
  mkdir -p "$root/src" && tar -C "$here" --exclude='./build*' -cf - . | tar -C "$root/src" -xf - || exit 1
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
# The cache directory is shared: the roots the package tests make are kept, as on the machine.
CI=${CI:-} IOTSAFE_TEST_JOBS=${IOTSAFE_TEST_JOBS:-4} DEBROOT_ENV="CI IOTSAFE_TEST_JOBS" \
  debroot_enter "$root" --cache "cd /src && ./scripts/test.sh --quick --openssl 3.5"
