#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make package: the packages a user downloads, into dist/ (gitignored):
#   sqnsupgrade_VERSION-REV_ARCH.deb          Debian/Ubuntu: CPack in build-package/
#                                             (cmake/package.cmake, prefix /usr)
#   sqnsupgrade-VERSION-windows-x86_64.zip    sqnsupgrade.exe and sqnsupgrade.dll from
#                                             build-windows/ (make windows), the Python module,
#                                             docs/README-windows.txt; skipped when they are
#                                             not built, unless WINDOWS=1 (runs make windows)
#   sqnsupgrade-VERSION-web.tar.gz            web/dist (make web), a folder ready to serve;
#                                             skipped when web/dist is not built
# The archives are reproducible: names sorted, owner 0, times from the last commit
# (SOURCE_DATE_EPOCH when set), gzip without name or time.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
dist=dist
build=build-package
version=$(sed -n 's/^project(sqnsupgrade VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "make package: no version in CMakeLists.txt" >&2; exit 1; }
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
mkdir -p "$dist"

# ---- the Debian package ----
# dpkg-shlibdeps (Depends) is in dpkg-dev; fakeroot is not needed (CPack writes owner 0).
bash scripts/deps.sh --only build-essential cmake pkg-config zlib1g-dev libzip-dev python3 dpkg-dev
# Debian's build flags (hardening: fortify, stack protector, relro, bindnow), as a Debian
# package build would use; -ffile-prefix-map keeps this folder's path out of the binaries.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)" \
    LDFLAGS=$(dpkg-buildflags --get LDFLAGS) \
    cmake -S . -B $build -DCMAKE_BUILD_TYPE=Release -DSQNS_TESTS=OFF \
    -DCMAKE_INSTALL_PREFIX=/usr -DSQNS_PYTHON_DIR=lib/python3/dist-packages >/dev/null
cmake --build $build -j"$jobs" >/dev/null
rm -rf "$build/packages"
(cd $build && cpack -G DEB >cpack.log 2>&1) ||
    { cat $build/cpack.log >&2; echo "make package: cpack failed" >&2; exit 1; }
deb=$(ls "$build"/packages/*.deb)
rm -f "$dist"/sqnsupgrade_*.deb
cp "$deb" "$dist/"
echo "make package: $dist/${deb##*/}"

# ---- the Windows zip ----
exe=build-windows/sqnsupgrade.exe dll=build-windows/sqnsupgrade.dll
if [ "${WINDOWS:-}" = 1 ]; then
    make windows
fi
zip_name=sqnsupgrade-$version-windows-x86_64
if [ -f $exe ] && [ -f $dll ]; then
    rm -f "$dist/$zip_name.zip"
    python3 scripts/package_zip.py "$dist/$zip_name.zip" "$zip_name" \
        "sqnsupgrade.exe=$exe" "sqnsupgrade.dll=$dll" \
        "README.txt=docs/README-windows.txt" "LICENSE.txt=LICENSE" \
        $(for f in python/sqnsupgrade/*.py; do echo "sqnsupgrade/${f##*/}=$f"; done)
    echo "make package: $dist/$zip_name.zip"
else
    echo "make package: no $exe and $dll (make windows, or make package WINDOWS=1):" \
        "Windows zip skipped"
fi

# ---- the web page ----
web_name=sqnsupgrade-$version-web
if [ -f web/dist/index.html ] && [ -f web/dist/sqnsweb.wasm ]; then
    rm -f "$dist/$web_name.tar.gz"
    # A copy with modes 0644/0755 (emcc leaves the .wasm executable).
    stage=$build/web
    rm -rf "$stage" && mkdir -p "$stage" && cp -R web/dist "$stage/$web_name"
    find "$stage/$web_name" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
        --mtime=@"$SOURCE_DATE_EPOCH" -cf - "$web_name" | gzip -9n >"$dist/$web_name.tar.gz"
    echo "make package: $dist/$web_name.tar.gz"
else
    echo "make package: no web/dist (make web): web page tarball skipped"
fi
