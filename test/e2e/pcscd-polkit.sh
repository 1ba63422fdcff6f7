#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# pcscd 2.x (Debian 13) asks polkit about every client. This test runs the
# real chain a booted Debian 13 host runs: a system bus (dbus-daemon), polkitd
# with the package's rule (conf/60-iotsafe-pcscd.rules) and the test's pcscd
# with its polkit check on. A service user in the group iotsafe (www-data)
# signs with the card; a user outside the group, and the member when the rule
# is not installed, get the provider's message naming pcscd's polkit check and
# the group, not a bare "Access denied". polkit reads group membership from the
# group database, so polkitd sees a copy of /etc/group where www-data is a
# member; the bus, the rules directories and that copy are private to the test
# (mount namespace), and the machine's own are never touched.
. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

pcscd --help 2>&1 | grep -q -- '--disable-polkit' ||
    skip_all "pcscd $(pcscd --version 2>&1 | sed -n 's/^pcsc-lite version \(.*\)\.$/\1/p') has no polkit check (pcsc-lite 2.x has)"
POLKITD=/usr/lib/polkit-1/polkitd
for p in "$POLKITD" dbus-daemon dbus-send setpriv; do
    command -v "$p" >/dev/null || skip_all "$p is not installed"
done
line_program openssl
[ -d /etc/polkit-1/rules.d ] && [ -d /usr/share/polkit-1/rules.d ] ||
    skip_all "polkitd's rules directories are missing"
[ -f /usr/share/polkit-1/actions/org.debian.pcsc-lite.policy ] ||
    skip_all "pcscd's polkit actions (org.debian.pcsc-lite.policy) are not installed"

MEMBER=33    # www-data: a service user, in the group iotsafe for polkit
NOBODY=65534 # outside the group
RULE=$SOURCE_ROOT/conf/60-iotsafe-pcscd.rules

# ---- a private system bus
BUS=$WORK/bus
chmod 0711 "$WORK" # polkitd runs as its own user: the bus socket must be reachable
mkdir -m 0755 "$BUS"
cat >"$BUS/system.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$BUS/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$BUS/system.conf" --nofork --nopidfile >"$BUS/dbus.log" 2>&1 </dev/null &
track_pid $!
for _ in $(seq 500); do [ -S "$BUS/socket" ] && break; sleep 0.01; done
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$BUS/socket

# ---- polkitd with the rules of directory $1 and a group database where www-data is in iotsafe
awk -F: -v OFS=: '$1 == "iotsafe" { $4 = ($4 == "" ? "www-data" : $4 ",www-data") } { print }' \
    /etc/group >"$WORK/group"
like "in polkitd's group database www-data is a member of iotsafe" \
    "$(grep '^iotsafe:' "$WORK/group")" '^iotsafe:[^:]*:[0-9]+:(.*,)?www-data$'
POLKIT_PID=
has_polkit_name() { # prints true or false: does a polkitd own its name on the private bus?
    dbus-send --system --print-reply --dest=org.freedesktop.DBus / \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.PolicyKit1 2>/dev/null |
        sed -n 's/^ *boolean //p'
}
polkitd_start() { # RULES_DIR: polkitd reads only these rules (every rules directory it knows is masked)
    local empty=$WORK/no-rules n
    mkdir -p "$empty"
    unshare --mount --propagation private sh -c '
        rules=$1 empty=$2
        mount --bind "$rules" /etc/polkit-1/rules.d && mount --bind "$empty" /usr/share/polkit-1/rules.d &&
            mount --bind "$3" /etc/group || exit 1
        for d in /run/polkit-1/rules.d /usr/local/share/polkit-1/rules.d; do
            [ ! -d "$d" ] || mount --bind "$empty" "$d" || exit 1
        done
        exec "$4"' \
        sh "$1" "$empty" "$WORK/group" "$POLKITD" >>"$BUS/polkitd.log" 2>&1 </dev/null &
    POLKIT_PID=$!
    track_pid "$POLKIT_PID"
    for n in $(seq 1000); do
        [ "$(has_polkit_name)" = true ] && return 0
        sleep 0.01
    done
    echo "# polkitd did not take its name on the bus"
    sed 's/^/# /' "$BUS/polkitd.log"
    return 1
}
polkitd_stop() { # and wait until the bus has dropped its name, so the next one is not mistaken for it
    local n
    stop_pid "$POLKIT_PID"
    POLKIT_PID=
    for n in $(seq 1000); do
        [ "$(has_polkit_name)" = false ] && return 0
        sleep 0.01
    done
    return 1
}
mkdir -p "$WORK/rules"
cp "$RULE" "$WORK/rules/"
chmod -R a+rX "$WORK/rules"
polkitd_start "$WORK/rules" || { echo "Bail out! polkitd did not start"; exit 1; }

# ---- the test's pcscd with its polkit check on
export IOTSAFE_TEST_POLKIT=1
card_up
like "pcscd runs with its polkit check (no --disable-polkit)" "$(ps -o args= -p "$_H_PCSCD_PID")" '^pcscd --foreground -c [^ ]+ ?$'

soft() { OPENSSL_CONF=/dev/null openssl "$@"; }
ok "the card's public key" openssl pkey -in "$CARD_KEY_URI" -pubout -out "$WORK/pub.pem"
printf 'signed through polkit\n' >"$WORK/msg"
OUT=$WORK/out
mkdir -m 1777 "$OUT"
sign_as() { # UID GIDS NAME
    as_user "$1" "$2" openssl pkeyutl -sign -inkey "$CARD_KEY_URI" -rawin -digest sha256 \
        -in "$WORK/msg" -out "$OUT/$3.sig"
}
HINT="pcscd refused this process at its polkit check \\(org\\.debian\\.pcsc-lite\\.access_pcsc, access_card\\): run it as a member of the group iotsafe, which the rule /usr/share/polkit-1/rules.d/60-iotsafe-pcscd\\.rules allows"
DENIED="SCardEstablishContext: Access denied\\. \\(0x8010006A\\); $HINT"

# ---- with the package's rule
n=$(card_signatures)
ok "a service user in the group iotsafe (www-data) signs through pcscd's polkit check" \
    sign_as $MEMBER "$STATE_GID" member
card_signed "the card made that signature" "$n"
ok "... and it verifies with the card's public key" \
    soft pkeyutl -verify -pubin -inkey "$WORK/pub.pem" -rawin -digest sha256 -in "$WORK/msg" -sigfile "$OUT/member.sig"

pl=$(wc -l <"$_H_PCSCD_DIR/pcscd.log")
n=$(card_signatures)
fails "$DENIED" "a user outside the group is refused, with a message naming the polkit check and the group" \
    sign_as $NOBODY "" nobody
diag "$(printf '%s\n' "$LAST_OUT" | grep -m1 'Access denied')"
is "... the card saw nothing of it" "$(card_signatures)" "$n"
like "... and it was pcscd's polkit check that refused it" \
    "$(tail -n +"$((pl + 1))" "$_H_PCSCD_DIR/pcscd.log")" 'Rejected unauthorized PC/SC client'

# ---- without the rule: the group alone does not get through
polkitd_stop || { echo "Bail out! polkitd's name stayed on the bus"; exit 1; }
polkitd_start "$WORK/no-rules" || { echo "Bail out! polkitd did not restart"; exit 1; }
n=$(card_signatures)
fails "$DENIED" "without the rule the member is refused too, with the same message" \
    sign_as $MEMBER "$STATE_GID" member-norule
is "... the card saw nothing of it" "$(card_signatures)" "$n"

# ---- the rule again: polkit is asked per client, so no restart of pcscd is needed
polkitd_stop || { echo "Bail out! polkitd's name stayed on the bus"; exit 1; }
polkitd_start "$WORK/rules" || { echo "Bail out! polkitd did not restart"; exit 1; }
n=$(card_signatures)
ok "with the rule back the member signs again, with the same pcscd" sign_as $MEMBER "$STATE_GID" member2
card_signed "the card made that signature" "$n"

done_testing
