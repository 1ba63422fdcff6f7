#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# strongSwan IKEv2 with the card key through its pkcs11 plugin: an initiator
# charon loads the module under test ($P11_MODULE) and takes both its
# certificate (swanctl `cert.handle`) and its private key (`secrets.token`)
# from the token; it authenticates to a responder charon with a software key.
# Each charon lives in a network namespace of the test's own (a veth pair,
# private addresses) with its own strongswan.conf (STRONGSWAN_CONF), /run
# (charon's pid file is fixed at /var/run/charon.pid) and vici socket; nothing
# of /etc/strongswan* or /etc/swanctl is read. The responder logs the device
# certificate's identity and the simulator log shows that the card signed.
# The CHILD_SA carries a ping where the kernel can: XFRM, else kernel-libipsec
# (userland ESP over a TUN device), else the check stays at IKE level.
# Refusals: a card key that does not match the certificate, an untrusted CA.

. "$SOURCE_ROOT/test/e2e/harness.sh"
. "$SOURCE_ROOT/test/e2e/tls-common.sh"
. "$SOURCE_ROOT/test/e2e/stack-common.sh"

: "${P11_MODULE:?P11_MODULE must be set (meson test sets it)}"
CHARON=/usr/lib/ipsec/charon
PLUGINS=/usr/lib/ipsec/plugins
SWANCTL=$(PATH=$PATH:/usr/sbin command -v swanctl) || skip_all "swanctl is not installed (strongswan-swanctl)"
[ -x "$CHARON" ] || skip_all "strongSwan's charon is not installed (strongswan-charon)"
for p in pkcs11:libstrongswan-extra-plugins vici:strongswan-swanctl openssl:libstrongswan-standard-plugins; do
    [ -f "$PLUGINS/libstrongswan-${p%%:*}.so" ] ||
        skip_all "strongSwan's ${p%%:*} plugin is not installed (${p#*:})"
done
command -v nsenter >/dev/null || skip_all "nsenter is not installed (util-linux)"
[ -f "$P11_MODULE" ] || skip_all "the PKCS#11 module is not built: $P11_MODULE"
# ECDSA and ECDH in strongSwan come from its openssl plugin.
line_program "strongswan-openssl=$PLUGINS/libstrongswan-openssl.so"
diag "charon: $("$CHARON" --version 2>&1 | head -n 1)"

card_up
# What the responder must see: the device certificate's subject, as strongSwan prints a DN.
DEVICE_DN=$(openssl x509 -in "$DEVCERT" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')
is "the device certificate's subject is CN=$DEVICE_CN" "$DEVICE_DN" "CN=$DEVICE_CN"
issue_cert responder ike-responder server
RESP_DN=CN=ike-responder

IKE=$WORK/ike
mkdir -p "$IKE"
# Outer addresses on the veth pair; inner ones (the CHILD_SA's traffic
# selectors) on loopback, so the tunnel never swallows the IKE packets.
R_OUT=10.197.44.1 I_OUT=10.197.44.2 R_IN=10.197.46.1 I_IN=10.197.45.2

# ---------------------------------------------------------------- namespaces

# netns SIDE: a process holding a new network and mount namespace, where
# $IKE/SIDE/run is /run; sets NS_PID. Everything else enters with nsenter, keeping the
# holder's root and working directory (-r -w): entering a mount namespace would
# otherwise leave a chroot, as the Debian 13 pass runs in one.
netns() {
    local side=$1 d=$IKE/$1 i=0
    mkdir -p "$d/run"
    # shellcheck disable=SC2016 # $1 is the inner sh's
    unshare --net --mount --propagation private \
        sh -c 'mount --bind "$1/run" /run && ip link set lo up && : >/run/ready && exec sleep 600' \
        sh "$d" </dev/null >"$d/ns.err" 2>&1 &
    NS_PID=$!
    track_pid "$NS_PID"
    while [ ! -f "$d/run/ready" ]; do
        i=$((i + 1))
        if [ $i -gt 500 ] || ! _h_alive "$NS_PID"; then
            sed 's/^/# /' "$d/ns.err"
            echo "Bail out! cannot make the $side namespace"
            exit 1
        fi
        sleep 0.01
    done
}
netns resp
R_NS=$NS_PID
netns init
I_NS=$NS_PID
in_resp() { nsenter -t "$R_NS" -n -m -r -w -- "$@"; }
in_init() { nsenter -t "$I_NS" -n -m -r -w -- "$@"; }

if ! { in_resp ip link add ike-r type veth peer name ike-i netns "$I_NS" &&
    in_resp ip addr add "$R_OUT/24" dev ike-r && in_resp ip link set ike-r up &&
    in_resp ip addr add "$R_IN/32" dev lo &&
    in_init ip addr add "$I_OUT/24" dev ike-i && in_init ip link set ike-i up &&
    in_init ip addr add "$I_IN/32" dev lo; }; then
    echo "Bail out! cannot join the namespaces with a veth pair"
    exit 1
fi
ok "the namespaces reach each other over the veth pair" in_init ping -c 1 -W 5 "$R_OUT"

# ---------------------------------------------------------------- kernel backend

# Which IPsec backend can carry the SAs here: the kernel's XFRM when it takes an
# ESP state in the namespace, else strongSwan's userland ESP (kernel-libipsec,
# a TUN device), else none (IKE only). IOTSAFE_TEST_IKE_BACKEND forces one.
backend() {
    if in_init ip xfrm state add src "$I_OUT" dst "$R_OUT" proto esp spi 0x1001 \
        aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128 2>/dev/null; then
        in_init ip xfrm state flush
        echo xfrm
    elif [ -f "$PLUGINS/libstrongswan-kernel-libipsec.so" ] &&
        in_init ip tuntap add dev ike-probe mode tun 2>/dev/null; then
        in_init ip link del ike-probe
        echo libipsec
    else
        echo ike
    fi
}
BACKEND=${IOTSAFE_TEST_IKE_BACKEND:-$(backend)}
case $BACKEND in
xfrm) KERNEL_PLUGINS=kernel-netlink ;;
libipsec) KERNEL_PLUGINS='kernel-libipsec kernel-netlink' ;;
ike) KERNEL_PLUGINS=kernel-netlink ;; # installing the SAs fails: checked at IKE level only
*)
    echo "Bail out! IOTSAFE_TEST_IKE_BACKEND: xfrm, libipsec or ike, not '$BACKEND'"
    exit 1
    ;;
esac
[ -z "${IOTSAFE_TEST_IKE_BACKEND:-}" ] || diag "IPsec backend forced by IOTSAFE_TEST_IKE_BACKEND=$BACKEND"
case $BACKEND in
xfrm) diag "IPsec SAs: the kernel's XFRM in the namespaces" ;;
libipsec) diag "IPsec SAs: kernel-libipsec (userland ESP in UDP over TUN devices); the kernel's XFRM takes no ESP state here" ;;
ike) diag "IPsec SAs: none (no XFRM ESP, no TUN device): IKE_AUTH and the CHILD_SA proposal are checked at IKE level only" ;;
esac

# ---------------------------------------------------------------- charon

# conf SIDE PLUGIN...: $IKE/SIDE/strongswan.conf loading the common plugins
# and PLUGIN... (no modular loading from /etc/strongswan.d); the log goes to
# $IKE/SIDE/charon.log. Only the initiator gets the pkcs11 plugin: the
# responder must learn the device certificate from the IKE_AUTH, not the token.
conf() {
    local d=$IKE/$1
    shift
    cat >"$d/strongswan.conf" <<EOF
charon {
    load_modular = no
    load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey $* $KERNEL_PLUGINS socket-default vici
    # a peer that does not answer is given up within seconds, not minutes
    retransmit_tries = 3
    retransmit_timeout = 2
    plugins {
        vici {
            socket = unix://$d/charon.vici
        }
        pkcs11 {
            modules {
                iotsafe {
                    path = $P11_MODULE
                }
            }
        }
    }
    filelog {
        log {
            path = $d/charon.log
            default = 1
            ike = 2
            cfg = 2
            lib = 1
            flush_line = yes
        }
    }
}
swanctl {
    load = pem pkcs1 pkcs8 x509 openssl
}
EOF
}

# charon_start SIDE NSPID: charon in that namespace; waits for its vici socket.
charon_start() {
    local side=$1 ns=$2 d=$IKE/$1 i=0
    : >"$d/charon.log"
    rm -f "$d/charon.vici"
    spawn "$d/charon.out" "$d/charon.err" nsenter -t "$ns" -n -m -r -w -- "${FOREIGN[@]}" \
        STRONGSWAN_CONF="$d/strongswan.conf" OPENSSL_CONF="$IKE/openssl.cnf" "$CHARON"
    CHARON_PID=$SPAWNED_PID
    while [ ! -S "$d/charon.vici" ]; do
        i=$((i + 1))
        if [ $i -gt 1000 ] || ! _h_alive "$CHARON_PID"; then
            sed 's/^/# /' "$d/charon.err" "$d/charon.log" | tail -n 40
            echo "Bail out! charon ($side) did not start"
            exit 1
        fi
        sleep 0.01
    done
}

# swan SIDE COMMAND ARG...: swanctl against that side's charon, with its swanctl dir.
swan() {
    local d=$IKE/$1 cmd=$2
    shift 2
    STRONGSWAN_CONF="$d/strongswan.conf" SWANCTL_DIR="$d/swanctl" OPENSSL_CONF="$IKE/openssl.cnf" \
        timeout 60 "$SWANCTL" "$cmd" --uri "unix://$d/charon.vici" "$@"
}

# swanctl_dir SIDE: an empty swanctl directory (only what the test puts there).
swanctl_dir() {
    local s=$IKE/$1/swanctl
    rm -rf "$s"
    mkdir -p "$s"/{x509,x509ca,x509ocsp,x509aa,x509ac,x509crl,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
}

# responder CA_FILE: the responder's swanctl.conf, trusting CA_FILE only.
responder() {
    local s=$IKE/resp/swanctl
    swanctl_dir resp
    cp "$1" "$s/x509ca/ca.pem"
    cp "$WORK/responder.pem" "$s/x509/responder.pem"
    cp "$WORK/responder.key" "$s/ecdsa/responder.pem"
    cat >"$s/swanctl.conf" <<EOF
connections {
    device {
        version = 2
        local_addrs = $R_OUT
        remote_addrs = $I_OUT
        proposals = aes128gcm16-prfsha256-ecp256
        local {
            auth = pubkey
            certs = responder.pem
            id = "$RESP_DN"
        }
        remote {
            auth = pubkey
            id = %any
        }
        children {
            device {
                local_ts = $R_IN/32
                remote_ts = $I_IN/32
                esp_proposals = aes128gcm16
            }
        }
    }
}
EOF
}

# initiator CERT_HANDLE KEY_HANDLE: the initiator's swanctl.conf with the
# certificate and the key on the token (CKA_ID handles); its x509 directory
# stays empty, so the certificate can only come from the token.
initiator() {
    local s=$IKE/init/swanctl
    swanctl_dir init
    cp "$CA_CERT" "$s/x509ca/ca.pem"
    cat >"$s/swanctl.conf" <<EOF
connections {
    card {
        version = 2
        local_addrs = $I_OUT
        remote_addrs = $R_OUT
        proposals = aes128gcm16-prfsha256-ecp256
        local {
            auth = pubkey
            cert-card {
                handle = $1
                module = iotsafe
            }
        }
        remote {
            auth = pubkey
            id = "$RESP_DN"
        }
        children {
            card {
                local_ts = $I_IN/32
                remote_ts = $R_IN/32
                esp_proposals = aes128gcm16
            }
        }
    }
}
secrets {
    # no PIN: strongSwan still logs in, with an empty one, which the module accepts
    token-card {
        handle = $2
        module = iotsafe
    }
}
EOF
}

conf resp
conf init pkcs11
# The harness's openssl.cnf activates the iotsafe provider: charon's openssl
# plugin must not, so that every card operation goes through the PKCS#11 module.
: >"$IKE/openssl.cnf"

# both_up CA WHAT: a responder trusting CA and the initiator on the card key, both loaded.
both_up() {
    responder "$1"
    charon_start resp "$R_NS"
    R_PID=$CHARON_PID
    ok "the responder loads its configuration ($2)" swan resp --load-all
    charon_start init "$I_NS"
    I_PID=$CHARON_PID
    initiator 01 01
    ok "the initiator loads the card's certificate and key from the token ($2)" swan init --load-all
}

# ---------------------------------------------------------------- the device authenticates

both_up "$CA_CERT" "the test CA"
ILOG=$IKE/init/charon.log
like "charon loaded the card key from the token" "$(cat "$ILOG")" 'loaded ECDSA private key from token$'
like "charon took the certificate from the token" "$(cat "$ILOG")" \
    "id not specified, defaulting to cert subject '$DEVICE_DN'"

n=$(card_signatures)
if [ "$BACKEND" = ike ]; then
    # No kernel takes the SAs: the responder cannot install the CHILD_SA and
    # answers NO_PROPOSAL_CHOSEN after IKE_AUTH; the IKE_SA stays up.
    fails 'received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built' \
        "IKE_AUTH with the card key, CHILD_SA not installable (swanctl --initiate)" \
        swan init --initiate --child card --timeout 30
else
    ok "IKE_AUTH with the card key and the CHILD_SA succeed (swanctl --initiate)" \
        swan init --initiate --child card --timeout 30
fi
INIT_OUT=$LAST_OUT
like "the initiator signed with the card key" "$INIT_OUT" \
    "authentication of '$DEVICE_DN' \\(myself\\) with ECDSA_WITH_SHA256_DER successful"
like "the initiator established the IKE_SA" "$INIT_OUT" \
    "IKE_SA card\\[[0-9]+\\] established between $I_OUT\\[$DEVICE_DN\\]\\.\\.\\.$R_OUT\\[$RESP_DN\\]"
card_signed "the card signed the IKE_AUTH" "$n"
RLOG=$IKE/resp/charon.log
like "the responder received the device certificate" "$(cat "$RLOG")" \
    "received end entity cert \"$DEVICE_DN\""
like "the responder verified the card's signature" "$(cat "$RLOG")" \
    "authentication of '$DEVICE_DN' with ECDSA_WITH_SHA256_DER successful"
like "the responder established the IKE_SA with the device's identity" "$(cat "$RLOG")" \
    "IKE_SA device\\[[0-9]+\\] established between $R_OUT\\[$RESP_DN\\]\\.\\.\\.$I_OUT\\[$DEVICE_DN\\]"
if [ "$BACKEND" = ike ]; then
    like "the responder selected the CHILD_SA proposal" "$(cat "$RLOG")" \
        'selected proposal: ESP:AES_GCM_16_128'
else
    like "the responder established the CHILD_SA" "$(cat "$RLOG")" \
        "CHILD_SA device\\{[0-9]+\\} established with SPIs .* and TS $R_IN/32 === $I_IN/32"
    like "the initiator established the CHILD_SA" "$INIT_OUT" \
        "CHILD_SA card\\{[0-9]+\\} established with SPIs .* and TS $I_IN/32 === $R_IN/32"
    ok "a ping crosses the CHILD_SA" in_init ping -c 1 -W 5 -I "$I_IN" "$R_IN"
    like "the responder's SA counted the ping" "$(swan resp --list-sas)" \
        'in  +[0-9a-f]+, +[1-9][0-9]* bytes, +[1-9][0-9]* packets'
fi
stop_pid "$I_PID"

# ---------------------------------------------------------------- refusals

# A card key that is not the certificate's (GENKEY, CKA_ID 02, with DEVCERT):
# charon finds no private key for the certificate and never signs.
charon_start init "$I_NS"
I_PID=$CHARON_PID
initiator 01 02
ok "the initiator loads DEVCERT with another card key" swan init --load-all
like "charon loaded that card key from the token" "$(cat "$ILOG")" 'loaded ECDSA private key from token$'
n=$(card_signatures)
fails "no private key found for '$DEVICE_DN'" \
    "strongSwan refuses a card key that does not match the certificate" \
    swan init --initiate --child card --timeout 30
is "the card signed nothing for the mismatched pair" "$(($(card_signatures) - n))" 0
stop_pid "$I_PID"

# A responder that trusts another CA only: the card signs, the responder
# finds no trusted key for the device and answers AUTHENTICATION_FAILED.
# shellcheck disable=SC2046 # line_expect prints several arguments
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=other test CA' \
    $(line_expect req-x509-ca-args) -keyout "$WORK/other-ca.key" -out "$WORK/other-ca.pem" -days 2 2>"$WORK/other-ca.err" || {
    sed 's/^/# /' "$WORK/other-ca.err"
    echo "Bail out! cannot make the other CA"
    exit 1
}
stop_pid "$R_PID"
both_up "$WORK/other-ca.pem" "another CA"
n=$(card_signatures)
fails 'received AUTHENTICATION_FAILED notify error' \
    "the responder refuses the device certificate from an untrusted CA" \
    swan init --initiate --child card --timeout 30
card_signed "the card signed the refused IKE_AUTH" "$n"
like "the responder found no trusted key for the device" "$(cat "$RLOG")" \
    "no trusted ECDSA public key found for '$DEVICE_DN'"
stop_pid "$I_PID"
stop_pid "$R_PID"

done_testing
