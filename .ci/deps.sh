#!/usr/bin/env bash
# Installs what the tests need on Debian 12, only what is missing: the C
# toolchain and X11/GL headers Fyne's cgo build wants, Xvfb, screenshot and
# real-input tools (xdotool, xclip), Kamailio (with TLS) and sipp for SIP,
# PulseAudio null sinks as the headset, baresip as the far end and tshark to
# look at its media on the wire, PostgreSQL for the hub, D-Bus and GNOME
# Keyring for the sealed store's OS slot, mingw-w64 and
# osslsigncode for the Windows build, Wine to run it, and staticcheck.
set -euo pipefail

pkgs=(
  gcc make pkg-config git ca-certificates
  libgl1-mesa-dev xorg-dev libxkbcommon-dev
  xvfb x11-apps x11-utils imagemagick fontconfig xdotool xclip chromium fonts-wqy-microhei
  kamailio kamailio-tls-modules sip-tester
  pulseaudio pulseaudio-utils libasound2-plugins baresip tshark iproute2
  postgresql
  dbus-daemon gnome-keyring
  gcc-mingw-w64-x86-64 osslsigncode wine wine64
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

gobin="$(go env GOPATH)/bin"
if [ ! -x "$gobin/staticcheck" ]; then
  echo "deps: installing staticcheck"
  GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
echo "deps: ok"
