# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# Which OpenSSL a test runs on. Sourced by harness.sh; needs its TAP helpers.
#
# The line under test is IOTSAFE_OPENSSL_LINE (major.minor: 3.0, 3.5, 4.0...;
# default 3.0, the system's). scripts/test.sh --openssl LINE sets it and puts
# that line's openssl, curl and mosquitto first on PATH (and, for a line with
# the system's soname, its libraries on LD_LIBRARY_PATH).
#
#   line_program PROG...
#       For each PROG (a name on PATH, an absolute path to a program or shared
#       library, or LABEL=PATH), find the libcrypto it loads in the current
#       environment (ldd honours LD_LIBRARY_PATH and rpaths), print
#       `# PROG: OpenSSL <version> (<libcrypto path>)`, and if that is not the
#       line under test, skip the rest of the script with the reason (skip_all
#       before the first check, else a diag line and done_testing). Call it at
#       the top of every end-to-end script for every program it runs.
#   line_python [PYTHON]
#       line_program for the `ssl` module of PYTHON (default python3): the
#       interpreter itself loads no libcrypto, its _ssl extension does.
#   line_of PROG          print "<version> <libcrypto path>" of PROG; status 0
#                         when it is on the line under test, 1 when not, 2 when
#                         PROG loads no libcrypto or cannot be found.
#   line_expect KEY [ARG] print what OpenSSL itself says or does on the line
#                         under test (regexes unless noted). Every
#                         version-dependent expectation of the suite lives here:
#     could-not-read-key    apps' message for a key file they cannot load
#                           ("Could not read" / "Could not find" / "Could not
#                           find or decode" private key)
#     could-not-read-cert   the same for a certificate
#     check-private-key     function named in a key/certificate mismatch error
#     peer-sig-type [CURVE] s_client's "Peer signature type:" value for an
#                           ECDSA peer on CURVE (P-256, P-384, brainpoolP256r1)
#     req-x509-ca-args      (words, not a regex) extensions that make
#                           `req -x509` write a CA certificate on every line
#     brainpool-tls13       "yes" when TLS 1.3 can sign with a brainpool key
#                           (RFC 8734 sigalgs, 3.2+), else "no"
#     seed-source-fallback  "yes" when a [random] seed = NAME that cannot be
#                           fetched falls back to OpenSSL's own seed source
#                           (3.x), "no" when it is an error (4.0+)
#     load-pubkey-retries   "yes" when the apps' load_pubkey() retries a failed
#                           public-key load as a private key and shows only the
#                           retry's error (3.5+), else "no"
#     der-decoder-error     what the file store reports when the decoder of a
#                           DER key fails (the decoder's reason is dropped):
#                           "ossl_store_handle_load_result:unsupported" (3.x),
#                           "OSSL_DECODER_from_bio:unsupported" (4.0)
#     drbg-seed-bytes       bytes a CTR-DRBG-256 asks its seed source for
#                           (plain number)
#   line_at_least X.Y     status 0 when the line under test is X.Y or newer.

# Unset (`meson test` run by hand): the line of the openssl program on PATH.
if [ -z "${IOTSAFE_OPENSSL_LINE:-}" ]; then
    IOTSAFE_OPENSSL_LINE=$(openssl version 2>/dev/null | awk '{ print $2 }')
    IOTSAFE_OPENSSL_LINE=${IOTSAFE_OPENSSL_LINE%.*}
    IOTSAFE_OPENSSL_LINE=${IOTSAFE_OPENSSL_LINE:-3.0}
fi

# Line X.Y as an integer for comparisons (3.5 -> 30005).
_ol_num() {
    local maj=${1%%.*} rest=${1#*.}
    local min=${rest%%.*}
    echo $((maj * 10000 + min))
}

line_at_least() {
    [ "$(_ol_num "$IOTSAFE_OPENSSL_LINE")" -ge "$(_ol_num "$1")" ]
}

# The file a name resolves to. The sanitizer pass puts wrapper scripts first on
# PATH (`LD_PRELOAD=... exec "/real/prog" "$@"`): look through them.
_ol_resolve() {
    local p=$1 target
    case $p in
    /*) ;;
    *) p=$(PATH=$PATH:/usr/sbin:/sbin command -v "$p") || return 1 ;;
    esac
    [ -e "$p" ] || return 1
    if [ "$(head -c 2 "$p" 2>/dev/null)" = '#!' ]; then
        target=$(sed -n 's/.*exec "\(\/[^"]*\)".*/\1/p' "$p" | head -n 1)
        [ -n "$target" ] && p=$target
    fi
    readlink -f "$p"
}

# "<version> <path>" of the libcrypto a program or library loads.
_ol_libcrypto() {
    local file=$1 lib ver
    # ldd runs the dynamic loader with this environment (LD_LIBRARY_PATH, rpaths).
    # No LD_PRELOAD: the sanitizer runtime does not change which libcrypto loads.
    lib=$(env -u LD_PRELOAD ldd "$file" 2>/dev/null |
        sed -n 's/^[[:space:]]*libcrypto\.so[.0-9]* => \(\/[^ ]*\) .*/\1/p' | head -n 1)
    [ -n "$lib" ] || return 1
    lib=$(readlink -f "$lib")
    # The version text OpenSSL_version() returns is a string in the library.
    ver=$(grep -aoE -m 1 'OpenSSL [0-9]+\.[0-9]+\.[0-9]+[a-z0-9.+~-]*  ?[0-9]{1,2} [A-Z][a-z]{2} [0-9]{4}' "$lib" |
        head -n 1 | awk '{ print $2 }')
    [ -n "$ver" ] || ver=unknown
    echo "$ver $lib"
}

line_of() {
    local spec=$1 file got ver
    file=$(_ol_resolve "${spec#*=}") || return 2
    got=$(_ol_libcrypto "$file") || return 2
    echo "$got"
    ver=${got%% *}
    case $ver in
    "$IOTSAFE_OPENSSL_LINE" | "$IOTSAFE_OPENSSL_LINE".*) return 0 ;;
    *) return 1 ;;
    esac
}

_ol_stop() {
    if [ "$_H_N" -eq 0 ]; then
        skip_all "$1"
    fi
    diag "skipping the rest: $1"
    done_testing
}

line_program() {
    local spec name got rc
    for spec in "$@"; do
        case $spec in
        *=*) name=${spec%%=*} ;;
        *) name=${spec##*/} ;;
        esac
        got=$(line_of "$spec")
        rc=$?
        case $rc in
        0) diag "$name: OpenSSL ${got%% *} (${got#* })" ;;
        1)
            diag "$name: OpenSSL ${got%% *} (${got#* })"
            _ol_stop "$name is linked to OpenSSL ${got%% *}, not the $IOTSAFE_OPENSSL_LINE line under test"
            ;;
        *)
            if ! _ol_resolve "${spec#*=}" >/dev/null; then
                _ol_stop "$name is not installed"
            fi
            _ol_stop "$name does not load libcrypto"
            ;;
        esac
    done
}

line_python() {
    local py=${1:-python3} mod
    mod=$("$py" -c 'import _ssl; print(_ssl.__file__)' 2>/dev/null) || mod=
    case $mod in
    /*) line_program "$py-ssl=$mod" ;;
    *) line_program "$py" ;; # _ssl built into the interpreter
    esac
}

line_expect() {
    local key=$1 arg=${2:-}
    case $key in
    could-not-read-key | could-not-read-cert)
        local what='private key'
        [ "$key" = could-not-read-cert ] && what=certificate
        if line_at_least 4.0; then
            echo "Could not find or decode $what"
        elif line_at_least 3.5; then
            echo "Could not find $what"
        else
            echo "Could not read $what"
        fi
        ;;
    check-private-key)
        if line_at_least 3.2; then echo 'ossl_x509_check_private_key'; else echo 'X509_check_private_key'; fi
        ;;
    peer-sig-type)
        if line_at_least 3.2; then
            case ${arg:-P-256} in
            P-256 | prime256v1) echo 'ecdsa_secp256r1_sha256' ;;
            P-384 | secp384r1) echo 'ecdsa_secp384r1_sha384' ;;
            P-521 | secp521r1) echo 'ecdsa_secp521r1_sha512' ;;
            brainpoolP256r1) echo 'ecdsa_brainpoolP256r1tls13_sha256' ;;
            brainpoolP384r1) echo 'ecdsa_brainpoolP384r1tls13_sha384' ;;
            brainpoolP512r1) echo 'ecdsa_brainpoolP512r1tls13_sha512' ;;
            *) echo "line_expect: unknown curve $arg" >&2; return 2 ;;
            esac
        else
            echo 'ECDSA'
        fi
        ;;
    req-x509-ca-args)
        # 3.2+ writes no basicConstraints unless asked; 3.0 took them from its
        # default config. Asking explicitly gives the same CA on every line.
        echo '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign'
        ;;
    brainpool-tls13)
        if line_at_least 3.2; then echo yes; else echo no; fi
        ;;
    seed-source-fallback)
        if line_at_least 4.0; then echo no; else echo yes; fi
        ;;
    der-decoder-error)
        if line_at_least 4.0; then echo 'OSSL_DECODER_from_bio:unsupported'; else echo 'ossl_store_handle_load_result:unsupported'; fi
        ;;
    load-pubkey-retries)
        if line_at_least 3.5; then echo yes; else echo no; fi
        ;;
    drbg-seed-bytes)
        echo 48
        ;;
    *)
        echo "line_expect: unknown key $key" >&2
        return 2
        ;;
    esac
}
