#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every man page renders without a single groff warning (a stray control
# character, an unknown macro, a bad escape).
set -euo pipefail
status=0
for page in "$@"; do
    out=$(groff -man -ww -z "$page" 2>&1 || true)
    if [ -n "$out" ]; then
        echo "$page:"
        echo "$out"
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "$# pages render cleanly"
exit "$status"
