# SPDX-License-Identifier: MIT
# A wrapper over CMake for the usual targets:
#   make                        build into $(BUILD) (default: build/), optimised (Release;
#                               BUILD_TYPE=Debug for a debug build)
#   make test                   every test, as CI runs them (scripts/test.sh)
#   make install PREFIX=DIR     install into DIR (default /usr/local); DESTDIR is honoured
#   make uninstall              remove exactly the files the last install listed, and the
#                               folders it created once they are empty (DESTDIR as for install)
#   make demo                   the README's first command (scripts/demo.sh)
#   make bench                  the benchmark table (Release build, paced simulator)
#   make fuzz                   libFuzzer harnesses, FUZZ_SECONDS each (default 600)
#   make web                    the web page (the core in WebAssembly) into web/dist (V=1: verbose)
#   make package                the packages a user downloads, into dist/ (scripts/package.sh):
#                               the Debian .deb (CPack, built in build-package/), the Windows zip
#                               (from build-windows/, skipped when not built; WINDOWS=1 runs
#                               make windows first) and the web page's tarball (from web/dist,
#                               skipped when make web has not run)
#   make windows                sqnsupgrade.exe and sqnsupgrade.dll for 64-bit Windows, each one
#                               file (statically linked), cross-built with mingw-w64 into
#                               build-windows/ (docs/windows.md)
BUILD ?= build
BUILD_TYPE ?= Release
PREFIX ?= /usr/local
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all test install uninstall demo bench fuzz web windows package

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

# The packages (scripts/package.sh): dist/ (gitignored).
package:
	WINDOWS="$(WINDOWS)" bash scripts/package.sh

# The web page: emscripten (Debian's) builds web/ into web/dist; serve it with
#   python3 -m http.server 8000 --bind 127.0.0.1 --directory web/dist
# Quiet: emcmake's `configure:` line, the build's lines and make's Entering/Leaving directory
# go to build-wasm/make-web.log, printed only when a step fails; V=1 shows them as they come.
WEB_LOG = build-wasm/make-web.log
web:
	@bash scripts/web-deps.sh
	@mkdir -p build-wasm
	@if [ "$(V)" = 1 ]; then \
		emcmake cmake -S web -B build-wasm && cmake --build build-wasm -j$(JOBS); \
	else \
		{ emcmake cmake -S web -B build-wasm && cmake --build build-wasm -j$(JOBS); } \
			>$(WEB_LOG) 2>&1 || \
			{ cat $(WEB_LOG) >&2; echo "make web: failed (log: $(WEB_LOG))" >&2; exit 1; }; \
	fi
	@echo "make web: the page is in web/dist (log: $(WEB_LOG), V=1 to see it as it runs)"

# Windows: Debian's mingw-w64 (scripts/deps.sh --windows installs it, and wine for the tests).
# No zip archive input there (SQNS_ZIP=OFF): Debian has no libzip for mingw-w64.
windows:
	@bash scripts/deps.sh --windows
	cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
		-DCMAKE_BUILD_TYPE=Release -DSQNS_TESTS=OFF -DSQNS_ZIP=OFF --no-warn-unused-cli \
		$(CMAKE_FLAGS)
	cmake --build build-windows -j$(JOBS) --target sqnsupgrade sqnsupgrade_shared
	@echo "make windows: build-windows/sqnsupgrade.exe and build-windows/sqnsupgrade.dll"

install: all
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

# install_manifest.txt is written by `cmake --install`, and install_dirs.txt by our install
# rules: the folders that install created (cmake/library.cmake). Neither has DESTDIR in its
# paths: give uninstall the same DESTDIR as install.
# Uninstall removes the files, the bytecode Python wrote beside the module's .py files, then
# those folders, deepest first, when they are empty (rmdir: never a file someone else put there).
# An empty .../sqnsupgrade/ left behind would import as an empty namespace package.
uninstall:
	@test -f $(BUILD)/install_manifest.txt || \
		{ echo "make uninstall: no $(BUILD)/install_manifest.txt: nothing was installed from $(BUILD)" >&2; exit 1; }
	@while IFS= read -r f || [ -n "$$f" ]; do \
		f="$(DESTDIR)$$f"; \
		if [ -e "$$f" ] || [ -L "$$f" ]; then echo "Removing $$f"; rm -f -- "$$f"; fi; \
		case "$$f" in *.py) \
			d=$${f%/*}/__pycache__ b=$${f##*/}; rm -f -- "$$d/$${b%.py}".*.pyc; \
			rmdir -- "$$d" 2>/dev/null || true;; \
		esac; \
	done < $(BUILD)/install_manifest.txt
	@if [ -f $(BUILD)/install_dirs.txt ]; then \
		sort -r $(BUILD)/install_dirs.txt | while IFS= read -r d; do \
			d="$(DESTDIR)$$d"; \
			if [ -n "$$d" ] && [ -d "$$d" ] && rmdir -- "$$d" 2>/dev/null; then echo "Removing $$d/"; fi; \
		done; \
		rm -f $(BUILD)/install_dirs.txt; \
	fi
