#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's first command (scripts/demo.sh), end to end: it must exit 0 AND
# print the transcript. (CTest's PASS_REGULAR_EXPRESSION alone ignores the exit
# status, so a demo that printed the lines and then failed would have passed.)
set -uo pipefail
demo=${1:?usage: demo_check.sh scripts/demo.sh}
out=$(bash "$demo" 2>&1)
status=$?
printf '%s\n' "$out"
if [ "$status" -ne 0 ]; then
    echo "FAIL: the demo exited $status" >&2
    exit 1
fi
# The transcript's landmarks, each on its own line, in this order.
expected=(
    "Code download done, returning to user mode"
    "Upgrade completed!"
    "SYSTEM VERSION"
    "Verified: modem now runs build 39529"
)
rest=$out
for line in "${expected[@]}"; do
    # Everything after the first whole line equal to $line.
    after=$(printf '%s\n' "$rest" | awk -v want="$line" 'found { print; next } $0 == want { found = 1 }')
    if ! printf '%s\n' "$rest" | grep -qxF -- "$line"; then
        echo "FAIL: the demo's transcript lacks the line '$line' (or it is out of order)" >&2
        exit 1
    fi
    rest=$after
done
echo "demo OK: exit 0 and the transcript"
