#!/usr/bin/env bash
# The suite on Debian 13 (trixie) from a Debian 12 machine: a trixie root made
# with mmdebstrap, with every package scripts/deps.sh names, from the archive
# addresses the machine's own apt sources use (main and security; the
# machine's sources are never touched); cached as a tarball in the cache
# directory, keyed by the package list, remade after 7 days (point releases).
# Each run unpacks it afresh, clones this checkout into it and runs, inside a
# private mount namespace (its own /proc, /dev, /sys, /run, /tmp; no system
# bus, as in a container), the README's test command for the system's line:
#
#   scripts/test.sh --quick --openssl 3.5   (trixie's own OpenSSL 3.5 and programs)
#
#   scripts/debian13-pass.sh       prints that run's output; exit status is its own
#   scripts/debian13-pass.sh --root-only   only makes (or checks) the cached root
# Sourced functions and variables: scripts/deps.sh, scripts/openssl-line.sh.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/deps.sh"
. "$here/scripts/openssl-line.sh"

log() { echo "debian13: $*" >&2; }
cache=$(ossl_cache_dir)
mkdir -p "$cache" || exit 1

# mmdebstrap's own packages must not be listed: it fetches them with apt itself.
pkgs=$(printf '%s\n' "${IOTSAFE_DEB_PACKAGES[@]}" git | sort -u | paste -sd, -)
key=$(printf '%s' "$pkgs" | sha256sum | cut -c1-12)
tarball=$cache/trixie-root-$key.tar
if [ -f "$tarball" ] && [ -n "$(find "$tarball" -mtime +7)" ]; then
  rm -f "$tarball" # a week old: take the newest point releases again
fi
if [ ! -f "$tarball" ]; then
  main=$(ossl_archive_uri) || { log "no Debian archive in the machine's apt sources"; exit 1; }
  sec=$(ossl_archive_uri security) || sec=
  mirrors=("deb $main trixie main" "deb $main trixie-updates main")
  [ -n "$sec" ] && mirrors+=("deb $sec trixie-security main")
  log "making the trixie root ($tarball) from $main${sec:+ and $sec}"
  rm -f "$tarball.part"
  mmdebstrap --quiet --variant=minbase --format=tar --include="$pkgs" \
    --aptopt='APT::Install-Recommends "false"' \
    --customize-hook='rm -f "$1"/usr/sbin/policy-rc.d; printf "#!/bin/sh\nexit 101\n" >"$1"/usr/sbin/policy-rc.d; chmod 755 "$1"/usr/sbin/policy-rc.d' \
    trixie "$tarball.part" "${mirrors[@]}" || { log "mmdebstrap failed"; rm -f "$tarball.part"; exit 1; }
  mv "$tarball.part" "$tarball"
  # roots of other package lists are never used again
  find "$cache" -maxdepth 1 -name "trixie-root-*.tar" ! -name "${tarball##*/}" -delete
fi
[ "${1:-}" = --root-only ] && { echo "$tarball"; exit 0; }

root=$(mktemp -d /var/tmp/iotsafe-trixie.XXXXXX) || exit 1
trap 'rm -rf --one-file-system "$root"' EXIT
tar -C "$root" -xf "$tarball" || { log "cannot unpack $tarball"; exit 1; }
if git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
  git clone -q "$here" "$root/src" || exit 1
else
  mkdir -p "$root/src" && tar -C "$here" --exclude='./build*' -cf - . | tar -C "$root/src" -xf - || exit 1
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null

# / of the root must be a mount point for the tests' own `unshare --propagation`.
unshare --mount --propagation private bash -c '
  r=$1
  mount --bind "$r" "$r" && mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
    mount --rbind /sys "$r/sys" && mount -t tmpfs tmpfs "$r/run" && mount -t tmpfs tmpfs "$r/tmp" || exit 1
  exec chroot "$r" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 CI=${CI:-} IOTSAFE_TEST_JOBS=${IOTSAFE_TEST_JOBS:-4} \
    bash -c "cd /src && ./scripts/test.sh --quick --openssl 3.5"
' bash "$root"
