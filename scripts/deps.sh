#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian packages a job needs, through sudo when not root.
#   bash scripts/deps.sh          everything the tests need (CI, make test)
#   bash scripts/deps.sh --run    only what building and running need (the demo, make)
#   bash scripts/deps.sh --only PKG...   exactly these packages
#   bash scripts/deps.sh --windows       the Windows cross build and wine (make windows,
#                                        ctest -L windows; docs/windows.md)
set -euo pipefail
# Build and run: the compiler, CMake, pkg-config, zlib (--bootrom's sqnsbrz.py), libzip
# (release archives: run CATM1-39529.zip; SQNS_ZIP=OFF builds without it), Python
# (`make` configures the tests, which are Python, and make install asks python3 where its
# modules go; the Python module and make bench run on it). The demo itself needs no Python:
# it waits for the simulator's ready line.
RUN_PACKAGES=(build-essential cmake pkg-config zlib1g-dev libzip-dev python3)
# The tests: cmocka, the integration tests' tools, valgrind, the man-page lint,
# the cross build for the Cortex-M4 and QEMU to run it, clang for libFuzzer.
TEST_PACKAGES=(libcmocka-dev clang-format socat tmux time valgrind groff-base
    gcc-arm-none-eabi libnewlib-arm-none-eabi clang libclang-rt-dev qemu-system-arm)
# make package and its tests (scripts/package.sh, tests/package): dpkg-shlibdeps and
# dpkg-architecture (dpkg-dev), lintian. The zip is Python's zipfile: no zip needed.
TEST_PACKAGES+=(dpkg-dev lintian)

# The Windows build: mingw-w64 and its zlib (linked statically), wine to run the tests.
WINDOWS_PACKAGES=(gcc-mingw-w64-x86-64 libz-mingw-w64-dev wine wine64 cmake make python3)

if [ "${1:-}" = "--windows" ]; then
    PACKAGES=("${WINDOWS_PACKAGES[@]}")
elif [ "${1:-}" = "--only" ]; then # --only PKG...: exactly these (scripts/web-deps.sh)
    shift
    PACKAGES=("$@")
else
    PACKAGES=("${RUN_PACKAGES[@]}")
    [ "${1:-}" = "--run" ] || PACKAGES+=("${TEST_PACKAGES[@]}")
fi
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
