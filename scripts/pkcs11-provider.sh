#!/usr/bin/env bash
# pkcs11-provider (latchset's OpenSSL 3 provider for PKCS#11 modules), for the
# test that drives our PKCS#11 module through OpenSSL (test/e2e/pkcs11-provider.sh).
#
#   scripts/pkcs11-provider.sh fetch   take it (once) into the cache, print the provider's path
#   scripts/pkcs11-provider.sh env     the same as the variable test.sh exports
#
# Sourced by test.sh (functions p11prov_*); needs scripts/openssl-line.sh. The
# system's own package when it is installed (Debian 13 and later); else Debian's
# trixie package, newest 1.x, through the private apt configuration of
# openssl-line.sh (binary lists for this architecture, checksums checked by apt),
# unpacked into the cache directory keyed by version and reused. A binary, not a
# build: the archive serves the binary package but not the source package's
# files, and the binary asks only for libcrypto.so.3 >= 3.0.7 (its Depends), so
# it serves Debian 12's 3.0 and every 3.x line; a 4.x line has another soname,
# and the test then skips naming the OpenSSL the provider loads.
#
# Environment: IOTSAFE_CACHE_DIR, IOTSAFE_OFFLINE=1 (only what the cache holds).

p11prov_log() { echo "pkcs11-provider: $*" >&2; }

# The system's provider module, when the distribution's package is installed.
p11prov_system() {
  dpkg-query -W -f='${Status}' pkcs11-provider 2>/dev/null | grep -q 'install ok installed' || return 1
  dpkg-query -L pkcs11-provider 2>/dev/null | grep -m 1 '/ossl-modules/pkcs11\.so$'
}

# Unpack one version of the package into the cache (one fetcher at a time).
p11prov_fetch_locked() { # version
  local v=$1 p tmp deb
  p=$(ossl_cache_dir)/pkcs11-provider-$v
  [ -f "$p/.complete" ] && return 0
  [ -z "${IOTSAFE_OFFLINE:-}" ] || return 1
  tmp=$(mktemp -d "$(ossl_cache_dir)/.pkcs11-provider.XXXXXX") || return 1
  p11prov_log "downloading trixie's pkcs11-provider $v"
  # apt's download sandbox user must be able to write the directory
  chmod 0755 "$tmp" && chown _apt "$tmp" 2>/dev/null
  if ! (cd "$tmp" && ossl_apt trixie-deb apt-get download "pkcs11-provider=$v" >&2); then
    p11prov_log "pkcs11-provider $v cannot be downloaded"
    rm -rf "$tmp"; return 1
  fi
  deb=$(find "$tmp" -maxdepth 1 -name 'pkcs11-provider_*.deb' | head -n 1)
  rm -rf "$p"
  if [ -z "$deb" ] || ! dpkg-deb -x "$deb" "$p"; then
    p11prov_log "pkcs11-provider $v: the package cannot be unpacked"
    rm -rf "$tmp" "$p"; return 1
  fi
  rm -rf "$tmp"
  touch "$p/.complete"
}

# The module of the newest usable version: the system's, else the cache's
# (offline: the newest one already there). Sets P11PROV_MODULE.
p11prov_ensure() {
  local listed v so
  P11PROV_MODULE=
  if so=$(p11prov_system); then P11PROV_MODULE=$so; return 0; fi
  mkdir -p "$(ossl_cache_dir)" || return 1
  if [ -n "${IOTSAFE_OFFLINE:-}" ]; then
    listed=$(find "$(ossl_cache_dir)" -maxdepth 2 -path '*/pkcs11-provider-*/.complete' 2>/dev/null |
      sed 's#.*/pkcs11-provider-\([^/]*\)/\.complete$#\1#' | sed 's/$/\t/' | ossl_sort_versions)
  else
    ossl_apt_update trixie deb || return 1
    listed=$(ossl_apt trixie-deb apt-cache show pkcs11-provider 2>/dev/null |
      awk '/^Version: / { print $2 "\t" }' | sort -u | ossl_sort_versions)
  fi
  while IFS=$'\t' read -r v _; do
    case "${v#*:}" in 1.*) ;; *) continue ;; esac
    # One fetcher at a time: test runs may share the cache.
    ( flock 8 || exit 1; p11prov_fetch_locked "$v" ) 8>"$(ossl_cache_dir)/.lock-pkcs11-provider" || continue
    so=$(find "$(ossl_cache_dir)/pkcs11-provider-$v" -path '*/ossl-modules/pkcs11.so' | head -n 1)
    if [ -n "$so" ]; then P11PROV_MODULE=$so; return 0; fi
    p11prov_log "pkcs11-provider $v holds no ossl-modules/pkcs11.so"
  done <<< "$listed"
  p11prov_log "no pkcs11-provider 1.x in trixie${IOTSAFE_OFFLINE:+ (offline: none in the cache)}"
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -u
  . "$(dirname "$0")/openssl-line.sh"
  case "${1:-}" in
    fetch) p11prov_ensure && echo "$P11PROV_MODULE" || exit 1 ;;
    env) p11prov_ensure || exit 1; printf 'IOTSAFE_PKCS11_PROVIDER=%q\n' "$P11PROV_MODULE" ;;
    *) echo "usage: $0 fetch|env" >&2; exit 2 ;;
  esac
fi
