#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# The README's quick start with the packages, run as written: its shell blocks
# are taken from README.md (section "Quick start with the packages"), not
# retyped, so this fails when the README drifts. They run in a scratch Debian
# root of this system's release (scripts/debian-root.sh, cached) with its own
# network and PID namespaces (loopback only; everything dies with it): `apt
# install` of the packages built from this tree, the virtual card started by
# the documented command for systems without systemd, a CSR signed on the
# card, a key pair generated on the card, a local CA, curl's mutual TLS with
# the card key, then the provider activated system-wide. Then the packaged
# units' own command lines (User=, Environment=, ExecStart= with %i) restart
# the card: the key generated before is still there; iotsafe-sim@35964 puts a
# fresh card in vpcd's second reader. The card did the signing: each line's
# APDU trace (IOTSAFE_TRACE) is checked.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/scripts/openssl-line.sh"
. "$SOURCE_ROOT/scripts/debian-root.sh"

[ -z "${IOTSAFE_SAN_PRELOAD:-}" ] || skip_all "the packages are built and tested in the plain pass"
sys_openssl=$(PATH=/usr/bin:/bin openssl version | awk '{ print $2 }')
[ "$IOTSAFE_OPENSSL_LINE" = "${sys_openssl%.*}" ] ||
    skip_all "the packages use the system's own OpenSSL ($sys_openssl): tested in the system pass"
for p in dpkg-buildpackage mmdebstrap python3 ip; do
    command -v "$p" >/dev/null || skip_all "$p is not installed"
done
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case $codename in
bookworm | trixie) ;;
*) skip_all "the scratch root is made for Debian 12 or 13, not '${codename:-unknown}'" ;;
esac

# ---- the README's blocks
blocks=$WORK/blocks
mkdir -p "$blocks"
python3 - "$SOURCE_ROOT/README.md" "$blocks" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"^## Quick start with the packages.*?$(.*?)(?=^## )", text, re.M | re.S)
found = re.findall(r"^```sh\n(.*?)^```", m.group(1) if m else "", re.M | re.S)
for i, b in enumerate(found, 1):
    open(f"{sys.argv[2]}/{i}.sh", "w", encoding="utf-8").write(b)
EOF
is "the README's quick start has its four blocks" "$(ls "$blocks" | wc -l)" 4
is "block 1: the three commands" "$(wc -l <"$blocks/1.sh")" 3
like "... the second starts the virtual card with systemd" "$(sed -n 2p "$blocks/1.sh")" '^sudo systemctl enable --now iotsafe-sim$'
is "block 2: one command without systemd" "$(wc -l <"$blocks/2.sh")" 1

# ---- the packages and the scratch root
debs=$WORK/qs/debs
start=$(date +%s)
ok "the packages build (scripts/build-deb.sh)" "$SOURCE_ROOT/scripts/build-deb.sh" "$debs"
[ "$LAST_RC" = 0 ] || { echo "Bail out! the packages did not build"; exit 1; }
# what a fresh system of this release has, plus what the quick start itself names
tarball=$(debroot_tarball "quickstart-$codename" "$codename" pcscd vsmartcard-vpcd openssl curl \
    sudo adduser ca-certificates procps libpcsclite1 systemd)
[ -n "$tarball" ] || { echo "Bail out! no $codename root (mmdebstrap)"; exit 1; }
root=$WORK/root
mkdir -p "$root"
tar -C "$root" -xf "$tarball" || { echo "Bail out! cannot unpack $tarball"; exit 1; }
diag "packages and root: $(($(date +%s) - start)) s"
cp -r "$WORK/qs" "$root/qs"
cp "$blocks"/*.sh "$root/qs/"

# The runner: each line of a block in one shell, in order, as typed (or pasted); per line its
# output (out/N), APDU trace (out/N.trace) and exit status (out/N.rc).
cat >"$root/qs/run-lines.sh" <<'EOF'
n=0
run_block() {
    local line
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s\n' "$line" >"/qs/out/$n.cmd"
        export IOTSAFE_TRACE="yes:/qs/out/$n.trace"
        eval "$line" >"/qs/out/$n" 2>&1 </qs/answers # a user answers yes to apt
        echo "$?" >"/qs/out/$n.rc"
    done <"$1"
}
EOF
# The packaged unit's own command: its Environment= and EnvironmentFile=, %i, as its User=.
cat >"$root/qs/unit-exec.sh" <<'EOF'
unit_exec() { # UNIT INSTANCE: start the unit's ExecStart in the background
    local unit=/lib/systemd/system/$1 inst=$2 user cmd envf
    [ -f "$unit" ] || unit=/usr/lib/systemd/system/$1
    user=$(sed -n 's/^User=//p' "$unit")
    cmd=$(sed -n 's/^ExecStart=//p' "$unit" | sed "s/%i/$inst/g")
    (
        eval "export $(sed -n 's/^Environment=//p' "$unit")"
        envf=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
        [ -f "$envf" ] && { set -a; . "$envf"; set +a; }
        cmd=$(eval "echo \"$cmd\"")
        echo "$user: $cmd"
        runuser -u "$user" -- $cmd </dev/null >>/qs/out/sim-$inst.log 2>&1 &
        echo $! >/qs/out/sim-$inst.pid
    )
}
wait_card() { # READER: until iotsafe-tool lists its card (the service is up), at most ~10 s
    local i
    for i in $(seq 100); do iotsafe-tool --reader "$1" list >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}
unit_stop() { # INSTANCE
    local pid i
    pid=$(cat /qs/out/sim-$1.pid) && kill "$pid" || return 1
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}
card_key() { # NAME: CLIENT's public key read from the card; a signature with the key file
    iotsafe-tool pubkey --label CLIENT >"out/$1.pub" 2>&1
    IOTSAFE_TRACE="yes:out/$1.trace" openssl req -new -key device-key.pem -subj "/CN=$1" -out "$1.csr" >"out/$1.req" 2>&1
    echo "rc $?" >>"out/$1.req"
}
EOF
cat >"$root/qs/main.sh" <<'EOF'
set -u
cd /qs && mkdir -p out
yes | head -n 20 >answers
. /qs/run-lines.sh
. /qs/unit-exec.sh
export DEBIAN_FRONTEND=noninteractive
# block 1 without its second line (no systemd here), block 2 in its place
sed -n 1p 1.sh >step1.sh && sed -n 3p 1.sh >step3.sh
run_block step1.sh
run_block 2.sh
for i in $(seq 100); do pgrep -u iotsafe-sim -x iotsafe-sim >/dev/null && break; sleep 0.1; done
echo "sim users: $(ps -o user= -C iotsafe-sim | sort -u | tr '\n' ' ')" >out/sim-users
run_block step3.sh
openssl req -in device.csr -verify -noout >out/csr-verify 2>&1; echo "$?" >>out/csr-verify
run_block 3.sh
iotsafe-tool pubkey --label CLIENT >out/pub-genkey 2>&1
run_block 4.sh
# the units: restart the card with their own command, twice; its key must still be there
card_key before
pid=$(pgrep -u iotsafe-sim -x iotsafe-sim) && kill "$pid"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
unit_exec iotsafe-sim.service 35963 >out/unit-cmd
wait_card 'Virtual PCD 00 00'; echo "rc $?" >out/wait-1
card_key after
unit_stop 35963; echo "rc $?" >out/stop-1
unit_exec iotsafe-sim.service 35963 >/dev/null
wait_card 'Virtual PCD 00 00'; echo "rc $?" >out/wait-2
card_key after2
unit_exec iotsafe-sim@.service 35964 >out/unit-cmd-35964
wait_card 'Virtual PCD 00 01'; echo "rc $?" >out/wait-3
iotsafe-tool --reader 'Virtual PCD 00 01' list >out/list-35964 2>&1; echo "rc $?" >>out/list-35964
stat -c '%U %G %a' /var/lib/iotsafe-sim /var/lib/iotsafe-sim/card-35963.state /var/lib/iotsafe-sim/card-35964.state >out/state-files 2>&1
getent group iotsafe >out/group 2>&1
systemd-analyze verify --man=no /lib/systemd/system/iotsafe-sim.service \
    /lib/systemd/system/iotsafe-sim@35964.service >out/verify 2>&1
echo "rc $?" >>out/verify
dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' libiotsafe0 openssl-provider-iotsafe iotsafe-tools iotsafe-sim >out/dpkg 2>&1
EOF
ok "the quick start runs in a scratch $codename root" debroot_enter "$root" --net "bash /qs/main.sh"
O=$root/qs/out
out() { cat "$O/$1" 2>/dev/null; }
rc_of() { cat "$O/$1.rc" 2>/dev/null; }
apdus() { grep -c '^iotsafe: > ' "$O/$1.trace" 2>/dev/null; }
signs() { grep -Ec '^iotsafe: > [0-9A-F]{2} 2A 00' "$O/$1.trace" 2>/dev/null; }
show() { # N [FILTER...]: the command line of N and its output (through FILTER, default: all)
    local n=$1
    shift
    diag "\$ $(out "$n.cmd")"
    if [ $# -gt 0 ]; then out "$n" | "$@"; else out "$n"; fi | sed 's/^/#   /'
}

# line 1: apt install; line 2: the card without systemd; line 3: the CSR
is "1. apt install of the packages" "$(rc_of 1)" 0
show 1 grep -E '^(Setting up|Unpacking) .*iotsafe'
is "... all four installed" "$(out dpkg | awk '{ print $2 }' | tr '\n' ' ')" "ii ii ii ii "
like "... the group iotsafe exists" "$(out group)" '^iotsafe:x:[0-9]+:'
is "2. the virtual card, started without systemd (README's one command)" "$(rc_of 2)" 0
is "... runs as the user iotsafe-sim" "$(out sim-users)" "sim users: iotsafe-sim "
is "3. the CSR signed on the card" "$(rc_of 3)" 0
show 3
out csr-verify | sed 's/^/#   (then openssl req -verify) /'
is "... the card signed it (COMPUTE SIGNATURE in the trace)" "$(signs 3)" 1
like "... and the signature verifies" "$(out csr-verify)" '(verify OK|Certificate request self-signature verify OK)'
like "... the same CSR as a software check sees it" "$(out csr-verify | tail -n 1)" '^0$'

# block 3: lines 4-12
# line 4 (export OPENSSL_CONF) is proven by the lines after it, which load the provider
is "iotsafe-tool list" "$(rc_of 5)" 0
show 5
like "... the demo card's key pair CLIENT" "$(out 5)" '^private-key id=01 label=CLIENT '
is "genpkey: the card generates a key pair" "$(rc_of 6)" 0
like "... device-key.pem names the card key" "$(head -n 1 "$root/qs/device-key.pem")" 'BEGIN IOTSAFE KEY REFERENCE'
like "... the card was asked (APDUs in the trace)" "$(apdus 6)" '^[1-9][0-9]*$'
is "req with the key file: the card signs again" "$(rc_of 7)" 0
is "... one COMPUTE SIGNATURE" "$(signs 7)" 1
for n in 8 9 10 11; do
    is "$(out "$n.cmd" | cut -c1-60)..." "$(rc_of "$n")" 0
done
is "curl's mutual TLS with the card key" "$(rc_of 12)" 0
show 12 sed -n '/^Client certificate/,/Subject:/p'
like "... the server saw the device's certificate, from the local CA" "$(out 12 | grep -A12 '^Client certificate' | tr '\n' ' ')" \
    'Issuer: CN ?= ?my-ca .*Subject: CN ?= ?my-device'
is "... the card signed the handshake" "$(signs 12)" 1

# block 4: activated system-wide
is "the snippet appended to the system openssl.cnf" "$(rc_of 13) $(tail -n 1 "$root/etc/ssl/openssl.cnf")" \
    "0 .include /etc/ssl/openssl.cnf.d/iotsafe.cnf"
is "openssl list -providers (system configuration)" "$(rc_of 15)" 0
like "... default, then iotsafe" "$(out 15 | grep -E '^  [a-z]+$' | tr -d ' ' | tr '\n' ' ')" '^default iotsafe $'
is "curl again, without OPENSSL_CONF" "$(rc_of 16)" 0
is "... the card signed the handshake" "$(signs 16)" 1

# the units
like "the unit's command, as its user" "$(out unit-cmd)" \
    '^iotsafe-sim: /usr/bin/iotsafe-sim --port 35963 --config /usr/share/iotsafe-sim/demo-card.conf --state /var/lib/iotsafe-sim/card-35963.state$'
like "the key generated on the card" "$(out pub-genkey)" 'BEGIN PUBLIC KEY'
is "... is the one the card holds before the restarts" "$(out before.pub)" "$(out pub-genkey)"
is "... and signs with the key file (one COMPUTE SIGNATURE)" "$(out before.req | tail -n 1) $(signs before)" "rc 0 1"
is "the unit's card answers after the restart" "$(out wait-1)" "rc 0"
is "... with the key generated before" "$(out after.pub)" "$(out pub-genkey)"
is "... which signs with the key file (one COMPUTE SIGNATURE)" "$(out after.req | tail -n 1) $(signs after)" "rc 0 1"
is "the unit's card stopped by its PID (SIGTERM)" "$(out stop-1)" "rc 0"
is "... and answers after a second restart" "$(out wait-2)" "rc 0"
is "... with the same key" "$(out after2.pub)" "$(out pub-genkey)"
is "... which signs (one COMPUTE SIGNATURE)" "$(out after2.req | tail -n 1) $(signs after2)" "rc 0 1"
like "iotsafe-sim@35964's command" "$(out unit-cmd-35964)" \
    '^iotsafe-sim: /usr/bin/iotsafe-sim --port 35964 --config /usr/share/iotsafe-sim/demo-card.conf --state /var/lib/iotsafe-sim/card-35964.state$'
is "... its card answers" "$(out wait-3)" "rc 0"
like "... a fresh demo card in vpcd's second reader" "$(out list-35964)" '^private-key id=01 label=CLIENT '
is "state: the directory and each card's file are the service user's" "$(out state-files)" \
    "iotsafe-sim iotsafe-sim 750
iotsafe-sim iotsafe-sim 600
iotsafe-sim iotsafe-sim 600"

is "systemd-analyze verify accepts both units" "$(out verify)" "rc 0"

done_testing
