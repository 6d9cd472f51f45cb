#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# package.lintian: lintian on the .deb of make package: any error (an E: line) fails; the
# warnings and the rest are printed (README.md, "Download", lists the ones that remain).
#   lintian.sh DIST VERSION
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
dist=$1 version=$2
shopt -s nullglob
debs=("$dist"/sqnsupgrade_"$version"-*_*.deb)
[ ${#debs[@]} -eq 1 ] ||
    fail "expected one $dist/sqnsupgrade_$version-*.deb (make package), found ${#debs[@]}"
command -v lintian >/dev/null || fail "no lintian (bash scripts/deps.sh installs it)"
# --pedantic --display-info: every tag, down to the pedantic and informational ones; the
# overrides (packaging/debian/lintian-overrides, shipped in the .deb) are applied and shown as
# O: lines.
# Lintian's own status is not the verdict (it changes between versions with --fail-on): the
# E: lines are. Its "running with root privileges" notice goes to stderr.
out=$(lintian --pedantic --display-info --show-overrides "${debs[0]}" 2>&1) || true
printf '%s\n' "$out"
! grep -q '^E: ' <<<"$out" || fail "lintian reports errors for ${debs[0]}"
# A lintian that did not look at the package (a crash, a bad file) prints no tags and no
# error: make sure it read this one.
grep -q '^O: sqnsupgrade: ' <<<"$out" ||
    fail "lintian shows none of the package's overrides: did it check ${debs[0]}?"
echo "lintian: no error for ${debs[0]##*/}"
