# A wrapper over CMake for the usual targets:
#   make                        build into $(BUILD) (default: build/), optimised (Release;
#                               BUILD_TYPE=Debug for a debug build)
#   make test                   every test, as CI runs them (scripts/test.sh)
#   make install PREFIX=DIR     install into DIR (default /usr/local); DESTDIR is honoured
#   make uninstall              remove exactly the files the last install listed
#   make demo                   the README's first command (scripts/demo.sh)
#   make bench                  the benchmark table (Release build, paced simulator)
#   make fuzz                   libFuzzer harnesses, FUZZ_SECONDS each (default 600)
#   make web                    the web page (the core in WebAssembly) into web/dist
BUILD ?= build
BUILD_TYPE ?= Release
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all test install uninstall demo bench fuzz web

all:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

test:
	bash scripts/test.sh

demo:
	bash scripts/demo.sh

bench:
	bash scripts/deps.sh --run
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSQNS_TESTS=OFF >/dev/null
	cmake --build build-release -j$(JOBS) >/dev/null
	python3 bench/bench.py
	@# The web page's STP efficiency beside the CLI's (bench/web_bench.mjs), when both are there.
	@if [ -f web/dist/sqnsweb.wasm ] && [ -d tests/web/node_modules/playwright-core ]; then \
		node bench/web_bench.mjs; \
	else echo "web page vs CLI: skipped (run make web and bash scripts/web-deps.sh --test first)"; fi

fuzz:
	bash scripts/fuzz.sh

# The web page: emscripten (Debian's) builds web/ into web/dist; serve it with
#   python3 -m http.server 8000 --bind 127.0.0.1 --directory web/dist
web:
	bash scripts/web-deps.sh
	emcmake cmake -S web -B build-wasm >/dev/null
	cmake --build build-wasm -j$(JOBS)

install: all
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# install_manifest.txt is written by `cmake --install` (with DESTDIR in each path).
uninstall:
	@test -f $(BUILD)/install_manifest.txt || \
		{ echo "make uninstall: no $(BUILD)/install_manifest.txt: nothing was installed from $(BUILD)" >&2; exit 1; }
	@while IFS= read -r f || [ -n "$$f" ]; do \
		if [ -e "$$f" ] || [ -L "$$f" ]; then echo "Removing $$f"; rm -f -- "$$f"; fi; \
	done < $(BUILD)/install_manifest.txt
