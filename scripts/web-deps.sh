#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the web page needs. `scripts/web-deps.sh` installs emscripten
# (make web); `scripts/web-deps.sh --test` adds headless Chromium, Node.js and
# the browser tests' npm packages (tests/web/package-lock.json, `npm ci`).
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(emscripten cmake make python3)
if [ "${1:-}" = "--test" ]; then
    PACKAGES+=(chromium chromium-driver)
    command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)
fi
bash scripts/deps.sh --only "${PACKAGES[@]}"
if [ "${1:-}" = "--test" ]; then
    # playwright-core only: it drives /usr/bin/chromium and never downloads a browser.
    lock=tests/web/package-lock.json
    stamp=tests/web/node_modules/.sqns-lock
    if ! cmp -s "$lock" "$stamp" 2>/dev/null; then
        (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
        cp "$lock" "$stamp"
    fi
fi
