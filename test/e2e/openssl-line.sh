# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Which OpenSSL line a test runs on. Sourced by harness.sh.
#
#   line_program PROG...
#       for each PROG (a command on PATH, or the path of a binary or shared
#       object that links libssl/libcrypto), print
#           # PROG: OpenSSL <version> (<libcrypto path>)
#       and skip the whole script (skip_all) when PROG is not linked to the
#       OpenSSL line under test: the line of the `openssl` command on PATH,
#       or IOTSAFE_OPENSSL_LINE (e.g. 3.0, 3.5, 4.0) when that is set. A
#       program linked to another line would prove nothing about this one.

# major.minor.patch of the OpenSSL that the libcrypto file FILE is.
_line_version_of() {
    grep -aoE -m1 'OpenSSL [0-9]+\.[0-9]+\.[0-9]+[a-z0-9.-]*' "$1" 2>/dev/null | head -n 1 | cut -d' ' -f2
}

# The libcrypto a binary or shared object loads (ldd resolves it transitively).
_line_libcrypto_of() {
    ldd "$1" 2>/dev/null | sed -n 's/^[[:space:]]*libcrypto\.so\.[0-9.]* => \([^ ]*\) .*/\1/p' | head -n 1
}

# A wrapper script (the sanitizer pass puts some on PATH) stands for the
# program it execs.
_line_real_file() {
    local f
    f=$(readlink -f "$1")
    if [ "$(head -c 2 "$f" 2>/dev/null)" = '#!' ]; then
        sed -n 's/.*exec "\(\/[^"]*\)".*/\1/p' "$f" | head -n 1
    else
        echo "$f"
    fi
}

line_program() {
    local prog path lib ver want
    if [ -n "${IOTSAFE_OPENSSL_LINE:-}" ]; then
        want=$IOTSAFE_OPENSSL_LINE
    else
        ver=$(openssl version 2>/dev/null | sed -n 's/^OpenSSL \([0-9]*\.[0-9]*\)\..*/\1/p')
        want=${ver:-unknown}
    fi
    for prog in "$@"; do
        case $prog in
        */*) path=$prog ;;
        *) path=$(PATH=$PATH:/usr/sbin:/sbin command -v "$prog") || skip_all "$prog is not installed" ;;
        esac
        [ -e "$path" ] || skip_all "$prog is not installed"
        lib=$(_line_libcrypto_of "$(_line_real_file "$path")")
        [ -n "$lib" ] || skip_all "$prog does not link libcrypto"
        ver=$(_line_version_of "$lib")
        echo "# $prog: OpenSSL ${ver:-unknown} ($lib)"
        case $ver in
        "$want" | "$want".*) ;;
        *) skip_all "$prog is linked to OpenSSL ${ver:-unknown}, not to the line under test ($want)" ;;
        esac
    done
}
