#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The PKCS#11 module under p11-kit and GnuTLS. `p11tool --provider` lists the
# card's token and the RFC 7512 URIs of DEVKEY's private and public key and of
# DEVCERT. A private p11-kit configuration registers the module, as the
# package's module file will: `p11-kit list-modules` and `p11tool` without
# --provider find the card, and gnutls-cli (which loads only the modules p11-kit
# registers) authenticates with the card key, named by a pkcs11: URI, to
# `openssl s_server` (software key) that requires and verifies a client
# certificate from the test CA, over TLS 1.3 and TLS 1.2, with the certificate
# read from the card or from devcert.pem. The simulator's log shows the card
# signed. Nothing may ask for a PIN: the clients have no terminal and no input.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

# GnuTLS does not use OpenSSL; openssl (certificates, s_server) does.
line_program openssl
for p in p11tool p11-kit gnutls-cli setpriv setsid; do
    command -v "$p" >/dev/null || skip_all "$p is not installed"
done
[ -f "${P11_MODULE:-}" ] || { echo "Bail out! P11_MODULE '${P11_MODULE:-}' is not a file"; exit 1; }
diag "$(p11tool --version | head -n 1); p11-kit $(dpkg-query -W -f='${Version}' p11-kit 2>/dev/null || echo '?')"

card_up
issue_cert server 127.0.0.1 server
# The card is reached only through the module: no process here loads the provider.
export OPENSSL_CONF=/dev/null
unset GNUTLS_PIN GNUTLS_SO_PIN

# No terminal (setsid) and no input: a PIN prompt fails instead of waiting.
p11() { setsid -w timeout 30 p11tool --batch "$@"; }

# ---- the token and its objects, module named on the command line
TOKEN_LABEL='IoT%20SAFE'
ok "p11tool --list-tokens" p11 --provider "$P11_MODULE" --list-tokens
tokens=$LAST_OUT
token_uri=$(printf '%s\n' "$tokens" | sed -n 's/^[[:space:]]*URL: \(pkcs11:.*;token=IoT%20SAFE\)$/\1/p')
is "one token, the card" "$(printf '%s\n' "$token_uri" | grep -c '^pkcs11:')" 1
serial=$(printf '%s\n' "$token_uri" | sed -n 's/.*;serial=\([^;]*\);.*/\1/p')
is "token URI" "$token_uri" \
    "pkcs11:model=IoT%20SAFE%20applet;manufacturer=GSMA%20IoT%20SAFE;serial=$serial;token=$TOKEN_LABEL"
like "token serial: 16 hex digits" "$serial" '^[0-9a-f]{16}$'
is "the token needs no login (no 'Requires login' flag)" \
    "$(printf '%s\n' "$tokens" | grep -A4 -xF "	URL: $token_uri" | grep -c 'Requires login')" 0

KEY_URI="$token_uri;id=%01;object=DEVKEY;type=private"
PUB_URI="$token_uri;id=%01;object=DEVKEY;type=public"
CERT_URI="$token_uri;id=%01;object=DEVCERT;type=cert"
ok "p11tool --list-all" p11 --provider "$P11_MODULE" --list-all
urls=$(printf '%s\n' "$LAST_OUT" | sed -n 's/^[[:space:]]*URL: //p')
for u in "$KEY_URI" "$PUB_URI" "$CERT_URI"; do
    is "listed: $u" "$(printf '%s\n' "$urls" | grep -cxF -- "$u")" 1
done
listing=$LAST_OUT
type_of() { # URI: the Type line that follows its URL line in the listing
    printf '%s\n' "$listing" | grep -A1 -xF "	URL: $1" | sed -n 's/^[[:space:]]*Type: //p'
}
is "DEVKEY's private key is an EC P-256 key" "$(type_of "$KEY_URI")" 'Private key (EC/ECDSA-SECP256R1)'
is "DEVKEY's public key is an EC P-256 key" "$(type_of "$PUB_URI")" 'Public key (EC/ECDSA-SECP256R1)'
is "DEVCERT is an X.509 certificate for an EC P-256 key" "$(type_of "$CERT_URI")" \
    'X.509 Certificate (EC/ECDSA-SECP256R1)'

# A URI written into a configuration must stay valid: same token after the card restarts.
sim_stop
sim_start
ok "p11tool --list-tokens after a card restart" p11 --provider "$P11_MODULE" --list-tokens
is "the same token URI (serial) after the restart" \
    "$(printf '%s\n' "$LAST_OUT" | sed -n 's/^[[:space:]]*URL: //p')" "$token_uri"

# The objects hold what test/data holds: the certificate, and the public key of devkey-soft.pem.
ok "p11tool exports DEVCERT" p11 --provider "$P11_MODULE" --export "$CERT_URI"
is "DEVCERT on the card is test/data/devcert.pem" \
    "$(printf '%s\n' "$LAST_OUT" | openssl x509 -outform DER 2>&1 | sha256sum)" \
    "$(openssl x509 -in "$DEVCERT" -outform DER | sha256sum)"
ok "p11tool exports DEVKEY's public key" p11 --provider "$P11_MODULE" --export-pubkey "$KEY_URI"
is "DEVKEY's public key is devkey-soft.pem's" \
    "$(printf '%s\n' "$LAST_OUT" | openssl pkey -pubin -outform DER 2>&1 | sha256sum)" \
    "$(openssl pkey -in "$SOURCE_ROOT/test/data/devkey-soft.pem" -pubout -outform DER | sha256sum)"

# ---- p11-kit: the module registered in a private configuration
# p11-kit 0.24 takes its system paths (/etc/pkcs11, /usr/share/p11-kit/modules)
# from the build, with no variable to move them, and reads the user's
# configuration ($XDG_CONFIG_HOME/pkcs11) only for users other than root. So a
# service user (nobody, in the group iotsafe for the shared card state) with a
# private XDG_CONFIG_HOME: `user-config: only` leaves the system's modules
# (p11-kit-trust, OpenSC...) out, so the card is reached only through this module.
NOBODY=65534
as_user $NOBODY "$STATE_GID" true # prepares $WORK/unpriv
cp "$P11_MODULE" "$WORK/unpriv/iotsafe-pkcs11.so" && chmod 0755 "$WORK/unpriv/iotsafe-pkcs11.so"
XDG=$WORK/xdg
mkdir -p "$XDG/pkcs11/modules"
echo 'user-config: only' >"$XDG/pkcs11/pkcs11.conf"
echo "module: $WORK/unpriv/iotsafe-pkcs11.so" >"$XDG/pkcs11/modules/iotsafe-pkcs11.module"
chmod -R a+rX "$XDG"
# as_user keeps the environment: HOME too points into the private directory, not at root's.
user() { # CMD...: as the service user, with the private p11-kit configuration, no terminal
    as_user $NOBODY "$STATE_GID" env OPENSSL_CONF=/dev/null XDG_CONFIG_HOME="$XDG" HOME="$XDG" \
        setsid -w timeout 30 "$@"
}

ok "p11-kit list-modules" user p11-kit list-modules
mods=$LAST_OUT
is "p11-kit loads only the module of the private configuration" "$(p11kit_module_names "$mods")" \
    iotsafe-pkcs11
like "the module is the one its file names" "$mods" \
    "(^iotsafe-pkcs11: |[[:space:]]path: )$WORK/unpriv/iotsafe-pkcs11\\.so"
for l in 'token: IoT SAFE' 'manufacturer: GSMA IoT SAFE' 'model: IoT SAFE applet' "serial-number: $serial"; do
    is "list-modules shows the card: $l" "$(printf '%s\n' "$mods" | grep -cxE "[[:space:]]+$l")" 1
done
ok "p11tool --list-tokens without --provider" user p11tool --batch --list-tokens
is "p11tool finds the card's token through p11-kit" \
    "$(printf '%s\n' "$LAST_OUT" | sed -n 's/^[[:space:]]*URL: //p')" "$token_uri"
ok "p11tool --list-all without --provider" user p11tool --batch --list-all "$token_uri"
is "DEVKEY's private key through p11-kit" \
    "$(printf '%s\n' "$LAST_OUT" | sed -n 's/^[[:space:]]*URL: //p' | grep -cxF -- "$KEY_URI")" 1

# ---- gnutls-cli: mutual TLS with the card key
if san_pass; then
    # As curl: with the runtime preloaded, gnutls-cli hangs at exit in p11-kit's
    # destructor (freelocale waits on glibc's setlocale lock), after the handshake.
    skip "gnutls-cli mutual TLS" "gnutls-cli hangs at exit in p11-kit's destructor with the sanitizer runtime preloaded (glibc setlocale lock); covered by the plain pass"
else
    port=$(free_port)
    srv_log=$WORK/server.log
    # -rev: an echo server; it prints its per-connection summary on stderr
    start_s_server "$port" "$WORK/server.out" "$srv_log" -rev
    server=$SPAWNED_PID

    server_saw_version() { # WHAT VERSION: one more verified device handshake, of TLS VERSION
        server_saw_device "$srv_log" "$1"
        like "server's last handshake was TLS $2 ($1)" \
            "$(grep '^Protocol version:' "$srv_log" | tail -n 1)" "^Protocol version: TLSv$2\$"
    }

    # The URIs a user writes (token and label), not the long ones p11tool lists.
    tls() { # VERSION CERT KEY
        user gnutls-cli -p "$port" 127.0.0.1 --x509cafile "$CA_CERT" \
            --priority "NORMAL:-VERS-ALL:+VERS-TLS$1" --x509certfile "$2" --x509keyfile "$3"
    }

    for v in 1.3 1.2; do
        for c in "card:pkcs11:token=IoT%20SAFE;object=DEVCERT;type=cert" "file:$DEVCERT"; do
            what="TLS $v, certificate from the ${c%%:*}"
            n=$(card_signatures)
            ok "gnutls-cli with the card key ($what)" tls "$v" "${c#*:}" 'pkcs11:token=IoT%20SAFE;object=DEVKEY;type=private'
            out=$LAST_OUT
            like "handshake completed ($what)" "$out" '^- Handshake was completed$'
            like "client verified the server ($what)" "$out" '^- Status: The certificate is trusted\. ?$'
            like "client sent its certificate ($what)" "$out" '^- Successfully sent 1 certificate\(s\) to server\.$'
            like "negotiated TLS $v with ECDSA ($what)" "$out" "^- Description: \\(TLS${v}[-)].*ECDSA"
            is "nothing asked for a PIN ($what)" "$(printf '%s\n' "$out" | grep -cE 'requires user PIN|Enter PIN')" 0
            server_saw_version "$what" "$v"
            card_signed "the card signed ($what)" "$n"
        done
    done

    # ---- refusals
    n=$(card_signatures)
    fails '^\*\*\* Error loading url: The requested data were not available\.$' \
        "gnutls-cli refuses a key that is not on the card" \
        tls 1.3 "$DEVCERT" 'pkcs11:token=IoT%20SAFE;object=NOSUCHKEY;type=private'
    is "the card signed nothing for it" "$(($(card_signatures) - n))" 0
    # gnutls-cli does not compare a PKCS#11 key with the certificate: the card signs
    # with the other key and the server, which checks the signature against the
    # certificate, ends the handshake.
    n=$(card_signatures)
    fails '^\*\*\* Received alert \[51\]: Decrypt error$' \
        "the server refuses a card key that does not match the certificate" \
        tls 1.3 "$DEVCERT" 'pkcs11:token=IoT%20SAFE;object=GENKEY;type=private'
    card_signed "the card signed with that key" "$n"
    ok "the server found the signature bad" wait_log "$srv_log" ':tls_process_cert_verify:bad signature:' 10
    is "the server saw no other verified device" "$(count_lines "$srv_log" '^Verification: OK')" "$SERVER_SEEN"

    stop_spawned "$server"
fi
done_testing
