#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README quotes the core's flash size on a Cortex-M4 ("in N.N KiB of flash");
# scripts/cross.sh measures it (.text + .data of every core object). The quoted
# figure must be the measured one, to the tenth of a KiB it is quoted to.
# usage: core_size.sh SOURCE_DIR CROSS_BUILD_DIR
set -euo pipefail
src=${1:?usage: core_size.sh SOURCE_DIR CROSS_BUILD_DIR}
build=${2:?usage: core_size.sh SOURCE_DIR CROSS_BUILD_DIR}
quoted=$(grep -oE 'in [0-9]+(\.[0-9])? KiB of flash' "$src/README.md" | head -n1 | awk '{ print $2 }')
if [ -z "$quoted" ]; then
    echo "FAIL: README.md quotes no core flash size ('in N.N KiB of flash')" >&2
    exit 1
fi
out=$(SQNS_CROSS_BUILD="$build" bash "$src/scripts/cross.sh")
printf '%s\n' "$out"
bytes=$(printf '%s\n' "$out" | sed -n 's/^core flash: \([0-9]*\) bytes.*/\1/p')
if [ -z "$bytes" ]; then
    echo "FAIL: scripts/cross.sh printed no 'core flash: N bytes' line" >&2
    exit 1
fi
measured=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1024 }')
if [ "$measured" != "$quoted" ]; then
    echo "FAIL: README.md says the core takes $quoted KiB of flash; scripts/cross.sh measures $bytes bytes = $measured KiB" >&2
    exit 1
fi
echo "core flash: README $quoted KiB = measured $bytes bytes"
