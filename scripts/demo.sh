#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The main job: build, start a simulated SQN3330 on a pseudo-terminal, and
# upgrade it from build 38638 to 39529 with the real CLI. The simulated modem
# had its boot ROM replaced by an earlier recovery upgrade (Bootloader0 38638),
# so the normal method applies; a factory modem would need the recovery method.
# Like a real one, the simulated modem goes silent while it erases flash near
# 8 % and commits it at 99 % (a few seconds here; up to minutes on hardware),
# and its port is paced at the line rate (921600 baud: 92,160 bytes a second),
# so the transfer takes what a real one takes, about 65 s for this image, and
# the bar shows throughput and ETA on a terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --run # build and run only; the tests install more (scripts/test.sh)
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSQNS_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null

work=$(mktemp -d)
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# A 5,996,938-byte image, the size of the user's document's CATM1-39529.dup.
./build-release/sim/sqnsim mkimage --kind full --build 39529 --size 5996938 "$work/CATM1-39529.dup"

# The simulator prints one ready line once its port exists; read it, then go.
coproc SIM { exec ./build-release/sim/sqnsim --link "$work/ttyGPy" --build 38638 --bootloader0 38638 \
    --pace --stall-at 8:4000 --stall-at 99:4000 --state "$work/modem.state" \
    --log "$work/modem-events.jsonl"; }
sim_pid=$SIM_PID
read -r ready <&"${SIM[0]}"
[[ $ready == "sqnsim: ready"* ]] || { echo "[demo] the simulator did not start: $ready" >&2; exit 1; }
echo "[demo] a simulated SQN3330 is ready, paced at 921600 baud; on a board the same upgrade is:"
echo "[demo]   sqnsupgrade -p /dev/ttyUSB0 run CATM1-39529.dup"
echo
./build-release/sqnsupgrade -p "$work/ttyGPy" run "$work/CATM1-39529.dup"
