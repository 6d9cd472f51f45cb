#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every test: unit (cmocka) and integration (CLI against sqnsim), in a normal
# build and again under AddressSanitizer + UndefinedBehaviorSanitizer.
# Its build folders are its own: build-test/ (Debug, every test), build-asan/,
# build-web/ and build-wasm/ (make web), build-windows/ (make windows), build-wine/,
# build-package/ (make package) and build-package-test/; make and make install keep build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
jobs=$(nproc)
build=build-test

echo "== format check"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include sim tests -name '*.[ch]')
clang-format --dry-run --Werror $files

echo "== build and test"
cmake -S . -B $build -DCMAKE_BUILD_TYPE=Debug -DSQNS_TESTS=ON -DSQNS_SANITIZE=OFF >/dev/null
cmake --build $build -j"$jobs"
(cd $build && ctest --output-on-failure -j"$jobs")
cat $build/fault-matrix.txt
echo "== the example firmware in QEMU (mps2-an386): measured on the target"
cat $build/qemu-figures.txt 2>/dev/null || echo "(no figures: the QEMU test was skipped)"

echo "== ASan + UBSan build and test"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSQNS_TESTS=ON -DSQNS_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j"$jobs" \
    -LE "valgrind|demo")

# The core cross-built for a Cortex-M4: its flash and RAM sizes (scripts/cross.sh).
echo "== cross build: the core for a Cortex-M4 (arm-none-eabi), sizes"
bash scripts/cross.sh

echo "== fuzz smoke: each libFuzzer harness for 20 s (make fuzz runs them longer)"
FUZZ_SECONDS=20 bash scripts/fuzz.sh

# The web page (the core in WebAssembly) built by make web, then driven in headless Chromium
# against sqnsim.
echo "== web: make web, then the page in headless Chromium against sqnsim (ctest -L web)"
bash scripts/web-deps.sh --test
make web
cmake -S . -B build-web -DCMAKE_BUILD_TYPE=Debug -DSQNS_TESTS=ON -DSQNS_WEB_TESTS=ON >/dev/null
cmake --build build-web -j"$jobs" --target sqnsim sqnsupgrade sqnsupgrade_shared
(cd build-web && ctest --output-on-failure -L web)
echo "web screenshots and logs: build-web/web-artifacts"

# sqnsupgrade.exe cross-built by make windows (mingw-w64), then run under wine against sqnsim
# in build-wine/, whose private wine prefix is made on the first run (docs/windows.md).
echo "== windows: make windows, then ctest -L windows under wine"
make windows
cmake -S . -B build-wine -DCMAKE_BUILD_TYPE=Debug -DSQNS_TESTS=ON -DSQNS_WINDOWS_TESTS=ON >/dev/null
cmake --build build-wine -j"$jobs" --target sqnsim sqnsupgrade
(cd build-wine && ctest --output-on-failure -L windows)

# The packages a user downloads (make package: dist/), then their tests: the .deb unpacked
# upgrading sqnsim, lintian on it, the Windows zip and the web page's tarball (ctest -L package;
# the zip's test is skipped when make windows has not run). After the web and windows stages:
# web/dist and build-windows/ are built, so the tarball and the Windows zip are made and tested.
echo "== packages: make package, then ctest -L package"
make package
cmake -S . -B build-package-test -DCMAKE_BUILD_TYPE=Debug -DSQNS_TESTS=ON \
    -DSQNS_PACKAGE_TESTS=ON >/dev/null
(cd build-package-test && ctest --output-on-failure -L package)
ls -l dist
