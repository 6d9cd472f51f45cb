#!/usr/bin/env bash
# Installs the Debian packages the build, the demo and the tests need.
set -euo pipefail
PACKAGES=(build-essential cmake pkg-config libcmocka-dev zlib1g-dev python3 clang-format socat tmux time valgrind groff-base
    gcc-arm-none-eabi libnewlib-arm-none-eabi clang libclang-rt-dev qemu-system-arm)
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    echo "Installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
