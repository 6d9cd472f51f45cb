#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make fuzz: build the libFuzzer harnesses with clang and run each for
# FUZZ_SECONDS (default 600) from the seed corpora in tests/fuzz/corpus.
# New inputs go to a scratch copy; a crash leaves its input in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSQNS_FUZZ=ON -DSQNS_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_modem fuzz_parse >/dev/null
for h in modem parse; do
    corpus=$(mktemp -d)
    cp tests/fuzz/corpus/$h/* "$corpus"/
    echo "== fuzz_$h for ${seconds}s"
    (cd build-fuzz && ./tests/fuzz/fuzz_$h -max_total_time="$seconds" -print_final_stats=1 \
        "$corpus" 2>&1 | grep -E "^#[0-9]+ +DONE|cov:|stat::number_of_executed_units|ERROR|SUMMARY" \
        | tail -4)
    rm -rf "$corpus"
done
