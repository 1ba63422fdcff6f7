#!/usr/bin/env bash
# A Debian root for a test, made with mmdebstrap from the archive addresses the
# machine's own apt sources use (main, -updates and -security; the machine's
# sources are never touched), cached as a tarball in the cache directory keyed
# by suite and package list and remade after 7 days (point releases); and a
# way to run a command in an unpacked copy of it. Sourced; needs
# scripts/openssl-line.sh (ossl_cache_dir, ossl_archive_uri). Functions:
#
#   debroot_tarball NAME SUITE PKG...   print the tarball NAME-<key>.tar (made
#                                       first when missing or a week old, one
#                                       maker at a time; other NAME-*
#                                       tarballs are removed); status 1 on failure
#   debroot_enter ROOT [--net] [--cache] CMD
#                                       run bash -c CMD chrooted in ROOT, in a
#                                       private mount namespace with its own /proc,
#                                       /run and /tmp (/dev and /sys from the host;
#                                       no system bus, as in a container); with
#                                       --net also its own network (loopback only)
#                                       and PID namespace (everything it started
#                                       dies with it); with --cache the cache
#                                       directory is shared with ROOT (roots made
#                                       inside are kept). Variables named in
#                                       DEBROOT_ENV are passed on.

debroot_log() { echo "debian-root: $*" >&2; }

debroot_tarball() {
  local name=$1 suite=$2 cache pkgs key tarball main sec
  shift 2
  cache=$(ossl_cache_dir)
  mkdir -p "$cache" || return 1
  # mmdebstrap's own packages must not be listed: it fetches them with apt itself.
  pkgs=$(printf '%s\n' "$@" | LC_ALL=C sort -u | paste -sd, -)
  key=$(printf '%s %s' "$suite" "$pkgs" | sha256sum | cut -c1-12)
  tarball=$cache/$name-$key.tar
  # one maker at a time per name (two test runs may share the cache); released when this returns
  local lockfd
  exec {lockfd}>"$cache/.lock-$name" && flock "$lockfd" || return 1
  if [ -f "$tarball" ] && [ -n "$(find "$tarball" -mtime +6)" ]; then
    rm -f "$tarball" # a week old: take the newest point releases again
  fi
  if [ ! -f "$tarball" ]; then
    main=$(ossl_archive_uri) || { debroot_log "no Debian archive in the machine's apt sources"; return 1; }
    sec=$(ossl_archive_uri security) || sec=
    local mirrors=("deb $main $suite main" "deb $main $suite-updates main")
    [ -n "$sec" ] && mirrors+=("deb $sec $suite-security main")
    debroot_log "making the $suite root $tarball from $main${sec:+ and $sec}"
    rm -f "$tarball.part"
    mmdebstrap --quiet --variant=minbase --format=tar --include="$pkgs" \
      --aptopt='APT::Install-Recommends "false"' \
      --customize-hook='rm -f "$1"/usr/sbin/policy-rc.d; printf "#!/bin/sh\nexit 101\n" >"$1"/usr/sbin/policy-rc.d; chmod 755 "$1"/usr/sbin/policy-rc.d' \
      "$suite" "$tarball.part" "${mirrors[@]}" >&2 || {
      debroot_log "mmdebstrap failed"
      rm -f "$tarball.part"
      exec {lockfd}>&-
      return 1
    }
    mv "$tarball.part" "$tarball"
    # roots of other package lists are never used again
    find "$cache" -maxdepth 1 -name "$name-*.tar" ! -name "${tarball##*/}" -delete
  fi
  exec {lockfd}>&-
  echo "$tarball"
}

debroot_enter() {
  local root=$1 net=0 cache= v envs=()
  shift
  while :; do
    case ${1:-} in
    --net) net=1 ;;
    --cache) cache=$(ossl_cache_dir) ;;
    *) break ;;
    esac
    shift
  done
  for v in ${DEBROOT_ENV:-}; do
    [ -n "${!v+x}" ] && envs+=("$v=${!v}")
  done
  local ns=(unshare --mount --propagation private)
  [ $net = 1 ] && ns+=(--net --pid --fork)
  # / of the root must be a mount point for the tests' own `unshare --propagation`.
  "${ns[@]}" bash -c '
    r=$1 net=$2 cache=$3 cmd=$4
    shift 4
    mount --bind "$r" "$r" && mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
      mount --rbind /sys "$r/sys" && mount -t tmpfs tmpfs "$r/run" && mount -t tmpfs tmpfs "$r/tmp" || exit 1
    if [ -n "$cache" ]; then
      mkdir -p "$r/var/cache/iotsafe-provider" && mount --bind "$cache" "$r/var/cache/iotsafe-provider" || exit 1
    fi
    [ "$net" = 0 ] || ip link set lo up || exit 1
    exec chroot "$r" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 "$@" bash -c "$cmd"
  ' bash "$root" "$net" "$cache" "$*" "${envs[@]}"
}
