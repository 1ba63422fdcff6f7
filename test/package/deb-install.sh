#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The Debian packages: scripts/build-deb.sh builds them from this tree
# (dpkg-buildpackage -us -uc -b, parallel=2, no tests), lintian finds no
# error, `dpkg -x` unpacks them into a scratch root, and the unpacked files
# alone work: the installed iotsafe-sim (with its installed demo card) is the
# card behind pcscd + vpcd, the system openssl.cnf with the packaged snippet
# `.include`d at its end activates the packaged module (found through
# OPENSSL_MODULES, as it would be in OpenSSL's modules directory), and
# `openssl storeutl iotsafe:`, a CSR signed on the card and the installed
# iotsafe-tool all work. The PKCS#11 module: with only the package's files in
# p11-kit's two directories (bind-mounted over them in a private mount
# namespace), `p11-kit list-modules` and `p11tool --list-tokens` find the card
# through the package's registration, and pkcs11-tool signs with the installed
# module. Prints how long the build took.

. "$SOURCE_ROOT/test/e2e/harness.sh"

[ -z "${IOTSAFE_SAN_PRELOAD:-}" ] || skip_all "the packages are built and tested in the plain pass"
# The packages build against the distribution's own OpenSSL: that line tests them.
sys_openssl=$(PATH=/usr/bin:/bin openssl version | awk '{ print $2 }')
[ "$IOTSAFE_OPENSSL_LINE" = "${sys_openssl%.*}" ] ||
    skip_all "the packages use the system's own OpenSSL ($sys_openssl): tested in the system pass"
for p in dpkg-buildpackage lintian dpkg pkg-config; do
    command -v "$p" >/dev/null || skip_all "$p is not installed"
done
line_program openssl

debs=$WORK/debs
start=$(date +%s)
ok "dpkg-buildpackage -us -uc -b (scripts/build-deb.sh)" "$SOURCE_ROOT/scripts/build-deb.sh" "$debs"
diag "$LAST_OUT"
diag "package build: $(($(date +%s) - start)) s"
[ "$LAST_RC" = 0 ] || { echo "Bail out! the packages did not build"; exit 1; }
for p in libiotsafe0 libiotsafe-dev openssl-provider-iotsafe iotsafe-pkcs11 iotsafe-tools iotsafe-sim; do
    is "package $p was built" "$(ls "$debs"/${p}_*.deb 2>/dev/null | wc -l)" 1
done

start=$(date +%s)
ok "lintian finds no error" lintian --fail-on error "$debs"/*.changes
diag "lintian: $(($(date +%s) - start)) s; tags: $(printf '%s\n' "$LAST_OUT" | grep -c '^[EW]:')"
is "lintian reports no E: tag" "$(printf '%s\n' "$LAST_OUT" | grep -c '^E:')" 0

root=$WORK/root
for d in "$debs"/*.deb; do
    dpkg -x "$d" "$root" || echo "Bail out! dpkg -x $d failed"
done
modulesdir=$(pkg-config --variable=modulesdir libcrypto)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
# where p11-kit loads modules named without a path from, and reads their registrations
p11dir=$(pkg-config --variable=p11_module_path p11-kit-1 2>/dev/null)
p11dir=${p11dir:-/usr/lib/$multiarch/pkcs11}
p11conf=$(pkg-config --variable=p11_module_configs p11-kit-1 2>/dev/null)
p11conf=${p11conf:-/usr/share/p11-kit/modules}
for f in "$modulesdir/iotsafe.so" /etc/ssl/openssl.cnf.d/iotsafe.cnf \
    /usr/share/iotsafe-provider/openssl.cnf /usr/lib/"$multiarch"/libiotsafe.so.0 \
    /usr/lib/"$multiarch"/pkgconfig/libiotsafe.pc /usr/include/iotsafe/iotsafe.h \
    /usr/bin/iotsafe-tool /usr/bin/iotsafe-sim /usr/share/iotsafe-sim/demo-card.conf \
    /usr/share/man/man1/iotsafe-tool.1.gz /usr/share/man/man1/iotsafe-sim.1.gz \
    /usr/share/man/man7/provider-iotsafe.7.gz \
    "$p11dir/iotsafe-pkcs11.so" "$p11conf/iotsafe-pkcs11.module" /etc/iotsafe/pkcs11.conf \
    /usr/share/iotsafe-pkcs11/pkcs11.conf /usr/share/man/man8/iotsafe-pkcs11.8.gz; do
    ok "installed: $f" test -e "$root$f"
done
is "the shared-state directory is made at boot: root's, group iotsafe, 2770" \
    "$(grep -v '^#' "$root/usr/lib/tmpfiles.d/libiotsafe0.conf")" "d /run/iotsafe 2770 root iotsafe -"
like "pcscd's polkit check lets the group iotsafe use the card (pcscd 2.x)" \
    "$(cat "$root/usr/share/polkit-1/rules.d/60-iotsafe-pcscd.rules")" 'subject\.isInGroup\("iotsafe"\)'
dpkg-deb -e "$debs"/libiotsafe0_*.deb "$WORK/libiotsafe0.ctrl"
like "libiotsafe0's postinst makes the group iotsafe" "$(cat "$WORK/libiotsafe0.ctrl/postinst")" \
    'addgroup --system --quiet iotsafe'
like "... and the directory where nothing runs tmpfiles.d" "$(cat "$WORK/libiotsafe0.ctrl/postinst")" \
    'install -d -o root -g iotsafe -m 2770 /run/iotsafe'
like "iotsafe.so is an OpenSSL provider module" \
    "$(nm -D --defined-only "$root$modulesdir/iotsafe.so" 2>&1)" ' T OSSL_provider_init$'
ok "the iotsafe-tool man page renders" env MANWIDTH=80 man -l "$root/usr/share/man/man1/iotsafe-tool.1.gz"
like "it has the command list" "$LAST_OUT" 'keyfile OBJECT \[--out FILE\]'

# ---- the PKCS#11 module's package
is "iotsafe-pkcs11.module names the module without a path (p11-kit's module directory)" \
    "$(grep -v -e '^#' -e '^$' "$root$p11conf/iotsafe-pkcs11.module")" "module: iotsafe-pkcs11.so"
like "iotsafe-pkcs11.so exports C_GetFunctionList" \
    "$(nm -D --defined-only "$root$p11dir/iotsafe-pkcs11.so" 2>&1)" ' T C_GetFunctionList$'
is "... that exports the C_ functions only" \
    "$(nm -D --defined-only "$root$p11dir/iotsafe-pkcs11.so" | awk '$2 ~ /^[TDBRW]$/ && $3 !~ /^C_/' | wc -l)" 0
dpkg-deb -e "$debs"/iotsafe-pkcs11_*.deb "$WORK/iotsafe-pkcs11.ctrl"
is "/etc/iotsafe/pkcs11.conf is the package's one conffile" "$(cat "$WORK/iotsafe-pkcs11.ctrl/conffiles")" \
    /etc/iotsafe/pkcs11.conf
is "... every line of which is a comment: the defaults" \
    "$(grep -cv -e '^#' -e '^$' "$root/etc/iotsafe/pkcs11.conf")" 0
is "... the same text as the reference copy" \
    "$(cmp "$root/etc/iotsafe/pkcs11.conf" "$root/usr/share/iotsafe-pkcs11/pkcs11.conf" && echo same)" same
deps=$(dpkg-deb -f "$debs"/iotsafe-pkcs11_*.deb Depends)
like "iotsafe-pkcs11 depends on this libiotsafe0 (the group iotsafe, /run/iotsafe)" "$deps" \
    'libiotsafe0 \(= [^)]+\)'
like "... and on pcsc-lite's library (shlibs)" "$deps" 'libpcsclite1'
like "... and recommends p11-kit" "$(dpkg-deb -f "$debs"/iotsafe-pkcs11_*.deb Recommends)" '(^|, )p11-kit(,|$)'
ok "the iotsafe-pkcs11 man page renders" env MANWIDTH=80 man -l "$root/usr/share/man/man8/iotsafe-pkcs11.8.gz"
like "it gives the URI of a card key" "$LAST_OUT" "pkcs11:token=IoT%20SAFE;object=[A-Z]+;type=private"

# ---- the installed simulator is the card; the installed tool and provider use it
_H_SIM_BIN=$root/usr/bin/iotsafe-sim
TOOL=$root/usr/bin/iotsafe-tool
card_up "$root/usr/share/iotsafe-sim/demo-card.conf"
ok "installed iotsafe-tool lists the card" "$TOOL" list
like "the demo card's key pair CLIENT is there" "$LAST_OUT" '^private-key id=01 label=CLIENT '

# The system configuration, with the packaged snippet included at its end.
{
    cat /etc/ssl/openssl.cnf
    echo ".include $root/etc/ssl/openssl.cnf.d/iotsafe.cnf"
} >"$WORK/system-openssl.cnf"
export OPENSSL_CONF=$WORK/system-openssl.cnf
export OPENSSL_MODULES=$root$modulesdir
ok "openssl list -providers" openssl list -providers
like "default, then iotsafe, both active" "$(printf '%s\n' "$LAST_OUT" | grep -E '^  [a-z]+$' | tr -d ' ' | tr '\n' ' ')" '^default iotsafe $'
ok "openssl storeutl iotsafe: with the installed module" env LD_DEBUG=files openssl storeutl iotsafe:
like "storeutl lists the card's two private keys first" "$(printf '%s\n' "$LAST_OUT" | grep -E '^[0-9]+: ' | head -n 2 | tr '\n' ' ')" '^0: Pkey 1: Pkey $'
like "storeutl found the demo card's 4 keys" "$LAST_OUT" '^Total found: 4$'
like "the module loaded is the installed one" "$LAST_OUT" "file=$root$modulesdir/iotsafe\\.so \\[0\\];  dynamically loaded"
is "no build-tree file was loaded" "$(printf '%s\n' "$LAST_OUT" | grep -c "file=$BUILD_ROOT")" 0
ok "a CSR signed on the card by the installed provider" \
    openssl req -new -key 'iotsafe:label=CLIENT;type=private' -subj /CN=from-the-package -out "$WORK/pkg.csr"
ok "the default provider alone verifies it" env OPENSSL_CONF=/dev/null openssl req -in "$WORK/pkg.csr" -verify -noout

# ---- the installed PKCS#11 module, registered by the package: in a private
# mount namespace, p11-kit's module directory and its registrations directory
# hold the package's files only (bind mounts; /etc/pkcs11 and the user's
# configuration are emptied), so p11-kit finds the module as an installed
# system would, by the package's iotsafe-pkcs11.module and nothing else.
in_p11kit_root() { # CMD...
    local etc=$WORK/empty-etc-pkcs11
    mkdir -p "$etc" "$WORK/p11home"
    # shellcheck disable=SC2016 # the inner shell's variables
    unshare --mount --propagation private sh -c '
        root=$1 dir=$2 conf=$3 etc=$4
        shift 4
        mount --bind "$root$dir" "$dir" && mount --bind "$root$conf" "$conf" || exit 99
        if [ -d /etc/pkcs11 ]; then mount --bind "$etc" /etc/pkcs11 || exit 99; fi
        exec "$@"' sh "$root" "$p11dir" "$p11conf" "$etc" \
        env HOME="$WORK/p11home" XDG_CONFIG_HOME="$WORK/p11home" OPENSSL_CONF=/dev/null timeout 30 "$@"
}
if ! command -v p11-kit >/dev/null; then
    skip "p11-kit list-modules with the package's registration" "p11-kit is not installed"
elif [ ! -d "$p11dir" ] || [ ! -d "$p11conf" ]; then
    skip "p11-kit list-modules with the package's registration" "$p11dir or $p11conf does not exist here to mount over"
else
    ok "p11-kit list-modules (the package's files in p11-kit's directories)" in_p11kit_root env LD_DEBUG=files p11-kit list-modules
    mods=$(printf '%s\n' "$LAST_OUT" | grep -v -E -e '^ *[0-9]+:' -e '^$')
    is "p11-kit lists one module" "$(printf '%s\n' "$mods" | grep -vc '^[[:space:]]')" 1
    is "... the package's iotsafe-pkcs11, as its registration names it" \
        "$(p11kit_module_names "$mods")" iotsafe-pkcs11
    like "... from p11-kit's module directory" "$LAST_OUT" "file=$p11dir/iotsafe-pkcs11\\.so \\[0\\];  dynamically loaded"
    for l in 'library-description: IoT SAFE card keys \(libiotsafe\)' 'token: IoT SAFE' \
        'manufacturer: GSMA IoT SAFE' 'model: IoT SAFE applet'; do
        like "... with the installed card: $l" "$mods" "^[[:space:]]+$l\$"
    done
    if command -v p11tool >/dev/null; then
        ok "p11tool --list-tokens, without --provider" in_p11kit_root setsid -w p11tool --batch --list-tokens
        like "... finds the card's token through p11-kit" "$LAST_OUT" \
            'URL: pkcs11:model=IoT%20SAFE%20applet;manufacturer=GSMA%20IoT%20SAFE;serial=[0-9a-f]+;token=IoT%20SAFE'
    else
        skip "p11tool --list-tokens through p11-kit" "p11tool is not installed (gnutls-bin)"
    fi
fi
MOD=$root$p11dir/iotsafe-pkcs11.so
if command -v pkcs11-tool >/dev/null; then
    ok "pkcs11-tool --list-objects with the installed module" env OPENSSL_CONF=/dev/null pkcs11-tool --module "$MOD" --list-objects
    like "the demo card's private key CLIENT, ID 01" "$(printf '%s\n' "$LAST_OUT" | grep -A2 '^Private Key Object; EC' | tr -s ' \n' ' ')" \
        'label: CLIENT ID: 01'
    echo 'signed by the installed module' >"$WORK/msg"
    ok "pkcs11-tool signs with CLIENT (ECDSA-SHA256)" env OPENSSL_CONF=/dev/null pkcs11-tool --module "$MOD" \
        --sign --mechanism ECDSA-SHA256 --id 01 --signature-format openssl --input-file "$WORK/msg" --output-file "$WORK/msg.sig"
    ok "pkcs11-tool reads CLIENT's public key" env OPENSSL_CONF=/dev/null pkcs11-tool --module "$MOD" \
        --read-object --type pubkey --id 01 --output-file "$WORK/client.der"
    ok "the default provider alone verifies the signature" env OPENSSL_CONF=/dev/null openssl dgst -sha256 \
        -verify "$WORK/client.der" -keyform DER -signature "$WORK/msg.sig" "$WORK/msg"
else
    skip "pkcs11-tool with the installed module" "pkcs11-tool is not installed (opensc)"
fi

done_testing
