#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# package.lintian: lintian on the .deb of make package: any error (an E: line) fails; the
# warnings and the rest are printed (README.md, "Download", lists the ones that remain).
#   lintian.sh DIST VERSION
set -euo pipefail
dist=$1 version=$2
shopt -s nullglob
debs=("$dist"/sqnsupgrade_"$version"-*_*.deb)
[ ${#debs[@]} -eq 1 ] || { echo "FAIL: expected one $dist/sqnsupgrade_$version-*.deb (make package), found ${#debs[@]}" >&2; exit 1; }
command -v lintian >/dev/null || { echo "FAIL: no lintian (bash scripts/deps.sh installs it)" >&2; exit 1; }
# --pedantic --display-info: every tag, down to the pedantic and informational ones; the
# overrides (packaging/debian/lintian-overrides, shipped in the .deb) are applied and shown as
# O: lines.
# Lintian's own status is not the verdict (it changes between versions with --fail-on): the
# E: lines are. Its "running with root privileges" notice goes to stderr.
out=$(lintian --pedantic --display-info --show-overrides "${debs[0]}" 2>&1) || true
printf '%s\n' "$out"
if grep -q '^E: ' <<<"$out"; then
    echo "FAIL: lintian reports errors for ${debs[0]}" >&2
    exit 1
fi
# A lintian that did not look at the package (a crash, a bad file) prints no tags and no
# error: make sure it read this one.
grep -q '^O: sqnsupgrade: ' <<<"$out" ||
    { echo "FAIL: lintian shows none of the package's overrides: did it check ${debs[0]}?" >&2; exit 1; }
echo "lintian: no error for ${debs[0]##*/}"
