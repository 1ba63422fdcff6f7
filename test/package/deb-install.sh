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
# iotsafe-tool all work. Prints how long the build took.

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
for p in libiotsafe0 libiotsafe-dev openssl-provider-iotsafe iotsafe-tools iotsafe-sim; do
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
for f in "$modulesdir/iotsafe.so" /etc/ssl/openssl.cnf.d/iotsafe.cnf \
    /usr/share/iotsafe-provider/openssl.cnf /usr/lib/"$multiarch"/libiotsafe.so.0 \
    /usr/lib/"$multiarch"/pkgconfig/libiotsafe.pc /usr/include/iotsafe/iotsafe.h \
    /usr/bin/iotsafe-tool /usr/bin/iotsafe-sim /usr/share/iotsafe-sim/demo-card.conf \
    /usr/share/man/man1/iotsafe-tool.1.gz /usr/share/man/man1/iotsafe-sim.1.gz \
    /usr/share/man/man7/provider-iotsafe.7.gz; do
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

done_testing
