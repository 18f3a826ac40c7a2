#!/usr/bin/env bash
# Installs the Debian 12 packages liquid builds with, only those missing. Run as root (or with sudo).
# Extra package names given as arguments are installed too (scripts/fuzz.sh adds clang).
set -euo pipefail
packages=(
  build-essential cmake pkg-config ninja-build ccache
  libeigen3-dev libboost-dev nlohmann-json3-dev libcli11-dev
  libopencv-dev libfftw3-dev libsndfile1-dev portaudio19-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-libav
  mosquitto libmosquitto-dev mosquitto-clients python3
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev fonts-dejavu-core xvfb xauth imagemagick
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
