#!/usr/bin/env bash
# install.pkgconfig: install into a temporary prefix, build examples/hello.c
# against it through pkg-config (shared and static), run it, check the
# installed Python module finds the installed library, then `make uninstall`
# and check that no file is left.
#   install_test.sh SOURCE_DIR BUILD_DIR LIBDIR PYTHON_DIR CC
set -euo pipefail
src=$1 build=$2 libdir=$3 pydir=$4 cc=$5
work=$(mktemp -d /tmp/sqns-install-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
for f in "$libdir/libsqnsupgrade.so" "$libdir/libsqnsupgrade.so.0" "$libdir/libsqnsupgrade.a" \
    "$libdir/pkgconfig/sqnsupgrade.pc" include/sqnsupgrade.h include/sqnsupgrade_cli.h \
    bin/sqnsupgrade bin/sqnsim "$pydir/sqnsupgrade/__init__.py" share/man/man1/sqnsupgrade.1 \
    share/man/man1/sqnsim.1 share/man/man3/libsqnsupgrade.3; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
done
soname=$(readelf -d "$prefix/$libdir/libsqnsupgrade.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libsqnsupgrade.so.0 ] || fail "soname is '$soname'"
[ -L "$prefix/$libdir/libsqnsupgrade.so.0" ] || fail "libsqnsupgrade.so.0 is not a symlink"
"$prefix/bin/sqnsupgrade" --version | grep -qx 'sqnsupgrade 0.1.0' || fail "sqnsupgrade --version"

export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
[ "$(pkg-config --modversion sqnsupgrade)" = 0.1.0 ] || fail "pkg-config --modversion"
echo "pkg-config --cflags --libs sqnsupgrade: $(pkg-config --cflags --libs sqnsupgrade)"

expected="timeout: the modem did not answer in time
upgdiff_38638-to-39529.dup: differential, build 38638 to build 39529"

echo "== hello, shared"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/hello" "$src/examples/hello.c" \
    $(pkg-config --cflags --libs sqnsupgrade)
out=$(LD_LIBRARY_PATH=$prefix/$libdir "$work/hello")
[ "$out" = "$expected" ] || fail "hello printed: $out"
LD_LIBRARY_PATH=$prefix/$libdir ldd "$work/hello" | grep -q "libsqnsupgrade.so.0 => $prefix/$libdir/" ||
    fail "hello did not load the installed library"
out=$(LD_LIBRARY_PATH=$prefix/$libdir "$work/hello" CATM1-39529.dup)
[ "$(echo "$out" | tail -1)" = "CATM1-39529.dup: full image of build 39529" ] || fail "hello: $out"

echo "== hello, static"
# shellcheck disable=SC2046
"$cc" -std=c11 -o "$work/hello-static" "$src/examples/hello.c" $(pkg-config --cflags sqnsupgrade) \
    "$(pkg-config --variable=libdir sqnsupgrade)/libsqnsupgrade.a"
[ "$("$work/hello-static")" = "$expected" ] || fail "static hello"
! ldd "$work/hello-static" | grep -q libsqnsupgrade || fail "static hello uses the shared library"
# Both libraries define exactly the public functions; every other name stays inside.
for lib in "$libdir/libsqnsupgrade.a" "$libdir/libsqnsupgrade.so"; do
    extra=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF == 3 { print $3 }' |
        grep -v '^sqns_' || true)
    [ -z "$extra" ] || fail "$lib exports more than the public API: $(echo $extra)"
done

echo "== the installed Python module loads the installed library"
got=$(env -u SQNSUPGRADE_LIB PYTHONPATH="$prefix/$pydir" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -c 'import sqnsupgrade, os; print(os.path.realpath(sqnsupgrade.library_path()))')
[ "$got" = "$(realpath "$prefix/$libdir/libsqnsupgrade.so.0")" ] || fail "python loaded $got"

echo "== make uninstall"
make -s -C "$src" uninstall BUILD="$build" >"$work/uninstall.log"
left=$(find "$prefix" \( -type f -o -type l \) -print)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "installed $(wc -l <"$build/install_manifest.txt") files, built and ran hello, uninstalled all"
