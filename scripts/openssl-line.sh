#!/usr/bin/env bash
# OpenSSL lines other than the system's, built from Debian's source packages.
#
#   scripts/openssl-line.sh build 3.5|4.0   fetch and build OpenSSL, curl and mosquitto for that line
#   scripts/openssl-line.sh env 3.5|4.0     the same, then print the shell variables test.sh uses
#
# Sourced by test.sh (functions ossl_line_*). The newest `openssl` source package that
# Debian's archive serves is taken from trixie (3.5.x) or experimental (4.x), curl from
# trixie (3.5) or unstable (4.x: trixie's curl does not build with 4.0), mosquitto from trixie, through a private apt configuration under the cache directory:
# the archive address is the one the machine's own apt sources use; the machine's
# sources and package lists are never touched. When a listed version's files cannot
# be downloaded, the next listed version is taken. Each build lands in a prefix keyed
# by its versions and is reused while present.
#
# Environment: IOTSAFE_CACHE_DIR (default /var/cache/iotsafe-provider),
# IOTSAFE_BUILD_JOBS (default 2), IOTSAFE_OFFLINE=1 (use only what the cache holds).

ossl_cache_dir() { echo "${IOTSAFE_CACHE_DIR:-/var/cache/iotsafe-provider}"; }
ossl_log() { echo "openssl-line: $*" >&2; }

# The first Debian main archive the machine's apt sources name (not the security
# archive; with the argument "security", the security archive), in one-line
# (.list) or deb822 (.sources) format.
ossl_archive_uri() {
  local want=${1:-main} f files=()
  [ -f /etc/apt/sources.list ] && files+=(/etc/apt/sources.list)
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 1
  awk -v want="$want" '
    function debian_suite(s) {
      sub(/-(updates|backports|proposed-updates|security)$/, "", s)
      return s ~ /^(buster|bullseye|bookworm|trixie|forky|duke|sid|unstable|testing|stable|oldstable)$/
    }
    function consider(types, uris, suites, comps,   n, i, u, s, ok) {
      if (types !~ /(^| )deb(-src)?( |$)/ || comps !~ /(^| )main( |$)/) return
      n = split(suites, s, " "); ok = 0
      for (i = 1; i <= n; i++) if (debian_suite(s[i])) ok = 1
      if (!ok) return
      n = split(uris, u, " ")
      for (i = 1; i <= n; i++)
        if ((want == "security") == (u[i] ~ /security/)) { print u[i]; found = 1; exit }
    }
    FNR == 1 { flush() }
    function flush() {
      if (deb822 && enabled != "no") consider(t, uri, su, co)
      t = uri = su = co = ""; enabled = ""
    }
    FILENAME ~ /\.sources$/ {
      deb822 = 1
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^#/) next
      key = tolower($1); sub(/:$/, "", key); $1 = ""; val = $0; sub(/^ +/, "", val)
      if (key == "types") t = val; else if (key == "uris") uri = val
      else if (key == "suites") su = val; else if (key == "components") co = val
      else if (key == "enabled") enabled = tolower(val)
      next
    }
    {
      deb822 = 0
      sub(/#.*/, "")
      if (NF < 4) next
      typ = $1; i = 2
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      u = $i; s = $(i + 1); c = ""
      for (j = i + 2; j <= NF; j++) c = c " " $j
      consider(typ, u, s, c)
    }
    END { if (!found) flush() }
  ' "${files[@]}"
}

# apt-get / apt-cache with a private configuration for one suite.
ossl_apt() { # suite apt-get|apt-cache args...
  local suite=$1 tool=$2; shift 2
  local d; d=$(ossl_cache_dir)/apt/$suite
  "$tool" -q -o Dir::Etc::sourcelist="$d/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache" \
    -o Dir::Etc::preferences=/nonexistent -o Dir::Etc::preferencesparts=/nonexistent \
    -o APT::Get::List-Cleanup=false "$@"
}

# Refresh the private package lists of a suite (at most daily): its source
# packages, or with "deb" its binary packages for this machine's architecture,
# kept apart under the name SUITE-deb (ossl_apt SUITE-deb ... reads them).
ossl_apt_update() { # suite [deb]
  local suite=$1 kind=${2:-deb-src} key d uri opts lists=Sources
  key=$suite opts="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
  if [ "$kind" = deb ]; then
    key=$suite-deb opts="$opts arch=$(dpkg --print-architecture)" lists=Packages
  fi
  d=$(ossl_cache_dir)/apt/$key
  mkdir -p "$d/lists/partial" "$d/cache/archives/partial" || return 1
  if [ -n "${IOTSAFE_OFFLINE:-}" ]; then return 0; fi
  if [ -n "$(find "$d/lists" -maxdepth 1 -name "*_$lists*" -mmin -1440 2>/dev/null)" ]; then
    return 0
  fi
  uri=$(ossl_archive_uri) || true
  if [ -z "$uri" ]; then
    ossl_log "no Debian archive found in the machine's apt sources"
    return 1
  fi
  echo "$kind [$opts] $uri $suite main" > "$d/sources.list"
  [ "$suite" = trixie ] && echo "$kind [$opts] $uri trixie-updates main" >> "$d/sources.list"
  ossl_apt "$key" apt-get update >&2 || ossl_log "apt-get update for $key failed; using the lists already cached"
}

# Listed versions of a source package, newest first: "version<TAB>uri/directory".
ossl_listed_versions() { # suite package
  local uri
  uri=$(awk '{ print $3; exit }' "$(ossl_cache_dir)/apt/$1/sources.list" 2>/dev/null)
  ossl_apt "$1" apt-cache showsrc "$2" 2>/dev/null | awk -v p="$2" -v uri="$uri" '
    /^Package: / { pk = $2 } /^Version: / { v = $2 } /^Directory: / { d = $2 }
    /^$/ { if (pk == p && v != "") print v "\t" uri "/" d; pk = v = d = "" }
    END { if (pk == p && v != "") print v "\t" uri "/" d }' |
    sort -u | while IFS=$'\t' read -r v loc; do echo "$v"$'\t'"$loc"; done |
    ossl_sort_versions
}

ossl_sort_versions() { # stdin: "version<TAB>rest", newest first (dpkg ordering)
  local lines=() sorted=() l i j
  mapfile -t lines
  for l in "${lines[@]}"; do
    i=${#sorted[@]}
    sorted+=("$l")
    while [ "$i" -gt 0 ]; do
      j=$((i - 1))
      if dpkg --compare-versions "${sorted[$i]%%$'\t'*}" gt "${sorted[$j]%%$'\t'*}"; then
        l=${sorted[$j]}; sorted[$j]=${sorted[$i]}; sorted[$i]=$l; i=$j
      else break; fi
    done
  done
  [ ${#sorted[@]} -gt 0 ] && printf '%s\n' "${sorted[@]}"
}

# Download one source package version (all its files, sha256-checked) and unpack
# it without Debian's patches. Prints the unpacked directory; fails on any missing file.
ossl_fetch_source() { # suite package version location
  mkdir -p "$(ossl_cache_dir)/src" || return 1
  # Lines building in parallel share the unpacked sources: one fetcher at a time.
  ( flock 8 || exit 1; ossl_fetch_source_locked "$@" ) 8>"$(ossl_cache_dir)/src/.lock"
}
ossl_fetch_source_locked() {
  local suite=$1 pkg=$2 ver=$3 loc=$4 dir files sum size name
  dir=$(ossl_cache_dir)/src/${pkg}_$ver
  if [ -f "$dir/.unpacked" ]; then echo "$dir/src"; return 0; fi
  rm -rf "$dir"; mkdir -p "$dir" || return 1
  files=$(ossl_apt "$suite" apt-cache showsrc "$pkg" 2>/dev/null | awk -v v="$ver" '
    /^Version: / { cur = $2 } /^[A-Z]/ { sec = $1 }
    /^ / && cur == v && sec == "Checksums-Sha256:" { print $1, $2, $3 }' | sort -u)
  [ -n "$files" ] || return 1
  while read -r sum size name; do
    ossl_log "downloading $loc/$name"
    if ! curl -fsSL --retry 2 -o "$dir/$name" "$loc/$name"; then
      ossl_log "$pkg $ver: $name cannot be downloaded"
      rm -rf "$dir"; return 1
    fi
    if [ "$(sha256sum < "$dir/$name" | cut -d' ' -f1)" != "$sum" ]; then
      ossl_log "$pkg $ver: $name does not match the archive's checksum"
      rm -rf "$dir"; return 1
    fi
  done <<< "$files"
  (cd "$dir" && dpkg-source --skip-patches -x ./*.dsc src >/dev/null) || { rm -rf "$dir"; return 1; }
  touch "$dir/.unpacked"
  echo "$dir/src"
}

# Newest downloadable version of a package in a suite whose upstream version
# starts with a prefix; runs "callback version srcdir" and stops at the first success.
# Prefers a version already built (callback returns 0 without a source when its
# prefix is complete: it is called first with an empty srcdir).
ossl_newest() { # suite package version-prefix callback
  local suite=$1 pkg=$2 want=$3 cb=$4 v loc up src listed
  ossl_apt_update "$suite" || return 1
  listed=$(ossl_listed_versions "$suite" "$pkg")
  while IFS=$'\t' read -r v loc; do
    [ -n "$v" ] || continue
    up=${v#*:}; up=${up%-*}
    case "$up" in "$want"*) ;; *) continue ;; esac
    "$cb" "$up" "" && return 0
    [ -n "${IOTSAFE_OFFLINE:-}" ] && continue
    src=$(ossl_fetch_source "$suite" "$pkg" "$v" "$loc") || continue
    "$cb" "$up" "$src" && return 0
    ossl_log "$pkg $up: build failed"
    return 1
  done <<< "$listed"
  ossl_log "no downloadable $pkg $want* in $suite"
  return 1
}

ossl_jobs() { echo "${IOTSAFE_BUILD_JOBS:-2}"; }

# Run a build function with its output in a log; show the log's end when it fails.
ossl_logged() { # logfile function args...
  local log=$1; shift
  ("$@") > "$log" 2>&1 && return 0
  ossl_log "build failed, end of $log:"; tail -n 40 "$log" >&2
  return 1
}

# --- OpenSSL --------------------------------------------------------------
OSSL_PREFIX=
ossl_make_openssl() { # prefix srcdir
  cd "$2" && ./Configure --prefix="$1" --libdir=lib --openssldir="$1/ssl" \
    shared no-docs no-tests -O2 "-Wl,-rpath,$1/lib" &&
    make -j"$(ossl_jobs)" && make install_sw install_ssldirs
}
ossl_build_openssl_cb() { # upstream-version srcdir
  local p; p=$(ossl_cache_dir)/openssl-$1
  if [ -f "$p/.complete" ]; then OSSL_PREFIX=$p; return 0; fi
  [ -n "$2" ] || return 1
  ossl_log "building OpenSSL $1 into $p"
  rm -rf "$p"
  ossl_logged "$2/../build-openssl.log" ossl_make_openssl "$p" "$2" || return 1
  rm -f "$p"/lib/*.a
  touch "$p/.complete"; OSSL_PREFIX=$p
  rm -rf "${2%/src}" # the installed prefix is what is reused (a source tree is ~250 MB)
}

# --- curl (static libcurl, minimal features, linked to one OpenSSL by rpath) --
CURL_PREFIX=
ossl_make_curl() { # prefix srcdir builddir
  rm -rf "$3" && mkdir -p "$3" && cd "$3" &&
    PKG_CONFIG_PATH="$OSSL_PREFIX/lib/pkgconfig" LDFLAGS="-Wl,-rpath,$OSSL_PREFIX/lib" \
    "$2/configure" --prefix="$1" --with-openssl="$OSSL_PREFIX" --disable-shared --enable-static \
      --disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet --disable-tftp \
      --disable-pop3 --disable-imap --disable-smtp --disable-gopher --disable-mqtt --disable-manual \
      --disable-docs --without-libpsl --without-libidn2 --without-nghttp2 --without-nghttp3 \
      --without-ngtcp2 --without-brotli --without-zstd --without-zlib --without-librtmp \
      --without-libssh2 --without-libssh --without-gssapi --disable-ntlm --without-ca-bundle \
      --without-ca-path --without-ca-fallback &&
    make -j"$(ossl_jobs)" && make install
}
ossl_build_curl_cb() { # upstream-version srcdir
  local p; p=$(ossl_cache_dir)/curl-$1+openssl-${OSSL_PREFIX##*/openssl-}
  if [ -f "$p/.complete" ]; then CURL_PREFIX=$p; return 0; fi
  [ -n "$2" ] || return 1
  ossl_log "building curl $1 against $OSSL_PREFIX into $p"
  rm -rf "$p"
  ossl_logged "$2/../build-${OSSL_PREFIX##*/}.log" ossl_make_curl "$p" "$2" "$2/../build-${OSSL_PREFIX##*/}" || return 1
  touch "$p/.complete"; CURL_PREFIX=$p
  rm -rf "$2/../build-${OSSL_PREFIX##*/}" # the source stays for the other line
}

# --- mosquitto (broker, clients, libmosquitto; no cJSON, docs, websockets) -----
MOSQ_PREFIX=
ossl_make_mosquitto() { # prefix srcdir builddir
  rm -rf "$3" && mkdir -p "$3" && cd "$3" &&
    cmake -S "$2" -B . -DCMAKE_INSTALL_PREFIX="$1" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_RPATH="$1/lib;$OSSL_PREFIX/lib" \
      -DOPENSSL_ROOT_DIR="$OSSL_PREFIX" -DWITH_CJSON=OFF -DDOCUMENTATION=OFF \
      -DWITH_WEBSOCKETS=OFF -DWITH_SRV=OFF -DWITH_PLUGINS=OFF -DWITH_APPS=OFF \
      -DWITH_STATIC_LIBRARIES=OFF -DWITH_LIB_CPP=OFF -DWITH_SYSTEMD=OFF &&
    make -j"$(ossl_jobs)" && make install
}
ossl_build_mosquitto_cb() { # upstream-version srcdir
  local p; p=$(ossl_cache_dir)/mosquitto-$1+openssl-${OSSL_PREFIX##*/openssl-}
  if [ -f "$p/.complete" ]; then MOSQ_PREFIX=$p; return 0; fi
  [ -n "$2" ] && [ ! -f "$p.failed" ] || return 1
  ossl_log "building mosquitto $1 against $OSSL_PREFIX into $p"
  rm -rf "$p"
  ossl_logged "$2/../build-${OSSL_PREFIX##*/}.log" ossl_make_mosquitto "$p" "$2" "$2/../build-${OSSL_PREFIX##*/}" ||
    { touch "$p.failed"; return 1; } # not retried: remove this file to try again
  touch "$p/.complete"; MOSQ_PREFIX=$p
  rm -rf "$2/../build-${OSSL_PREFIX##*/}"
}

# Build (or reuse) OpenSSL, curl and mosquitto for a line; sets OSSL_PREFIX,
# CURL_PREFIX, MOSQ_PREFIX.
ossl_line_ensure() { # 3.5|4.0
  # curl for 4.x from unstable: trixie's 8.14 predates 4.0's opaque ASN1_STRING.
  local suite want curl_suite
  case "$1" in
    3.5) suite=trixie want=3.5. curl_suite=trixie ;;
    4 | 4.x | 4.0) suite=experimental want=4. curl_suite=sid ;;
    *) ossl_log "unknown OpenSSL line $1 (3.5 or 4.0)"; return 2 ;;
  esac
  mkdir -p "$(ossl_cache_dir)" || return 1
  OSSL_PREFIX= CURL_PREFIX= MOSQ_PREFIX=
  # One builder per line at a time (parallel runs share its prefixes).
  (
    flock 9 || exit 1
    ossl_newest "$suite" openssl "$want" ossl_build_openssl_cb || exit 1
    ossl_newest "$curl_suite" curl "" ossl_build_curl_cb || exit 1
    # mosquitto 2.0.x does not build with 4.0 (opaque ASN1_STRING): its tests then
    # skip with the reason (the system's mosquitto is on another OpenSSL).
    ossl_newest trixie mosquitto "" ossl_build_mosquitto_cb ||
      ossl_log "no mosquitto for this line: the MQTT tests will skip"
    printf '%s\n' "$OSSL_PREFIX" "$CURL_PREFIX" "$MOSQ_PREFIX" >"$(ossl_cache_dir)/.line-$1"
  ) 9>"$(ossl_cache_dir)/.lock-$1" || return 1
  { read -r OSSL_PREFIX; read -r CURL_PREFIX; read -r MOSQ_PREFIX; } <"$(ossl_cache_dir)/.line-$1"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -u
  case "${1:-}" in
    build) ossl_line_ensure "${2:-}" || exit 1 ;;
    env)
      ossl_line_ensure "${2:-}" || exit 1
      printf 'OSSL_PREFIX=%q\nCURL_PREFIX=%q\nMOSQ_PREFIX=%q\n' "$OSSL_PREFIX" "$CURL_PREFIX" "$MOSQ_PREFIX" ;;
    archive) ossl_archive_uri ;;
    *) echo "usage: $0 build|env 3.5|4.0" >&2; exit 2 ;;
  esac
fi
