#!/usr/bin/env bash
# Install the Debian packages (12 and 13: names both releases have) the build, the tests and the demo need.
# Sourced by test.sh and demo.sh (no shell options set here); does nothing
# when everything is present.
IOTSAFE_DEB_PACKAGES=(
  gcc build-essential clang libclang-rt-dev cmake meson ninja-build pkg-config
  libssl-dev openssl libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools check
  curl mosquitto mosquitto-clients libmosquitto-dev
  util-linux procps iproute2 python3
  nginx haproxy stunnel4 socat openvpn hostapd eapoltest libpaho-mqtt-dev binutils
  pandoc man-db dpkg-dev debhelper lintian clang-format mmdebstrap
  polkitd dbus-daemon
  opensc gnutls-bin p11-kit openssh-client openssh-server
  strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libstrongswan-extra-plugins
  libcharon-extra-plugins iputils-ping
  libp11-kit-dev
)

iotsafe_install_deps() {
  local missing=() p
  for p in "${IOTSAFE_DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  # A pcscd, mosquitto, nginx, haproxy, openvpn or hostapd the packages may
  # start is never used: the tests and the demo start their own, in private
  # namespaces and on free ports.
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q || return 1
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
}
