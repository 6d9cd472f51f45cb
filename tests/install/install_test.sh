#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install.pkgconfig: install into a temporary prefix; check the exports of the
# installed libraries against the installed headers; build examples/upgrade.c
# against the installed library through pkg-config (shared, with an rpath and
# no LD_LIBRARY_PATH, and static), and let it upgrade a simulated modem (the
# installed sqnsim) 38638 -> 39529, checked in the simulator's event log;
# check the installed Python module finds the installed library; then
# `make uninstall` and check that nothing is left, not even a folder.
# Then the Python module where the system python3 looks: installed into a
# user's prefix (HOME=$work/home, prefix ~/.local) it imports with no
# PYTHONPATH, and after `make uninstall` `import sqnsupgrade` fails (no empty
# sqnsupgrade/ to import as a namespace package); installed into /usr/local
# (under DESTDIR) it lands in a folder of python3's sys.path.
#   install_test.sh SOURCE_DIR BUILD_DIR LIBDIR CC
set -euo pipefail
src=$1 build=$2 libdir=$3 cc=$4
python=/usr/bin/python3
work=$(mktemp -d /tmp/sqns-install-XXXXXX)
sim_pid=
cleanup() {
    [ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
# The module's folder, as the install chose it (cmake/python_dir.py): the manifest says.
init=$(grep '/sqnsupgrade/__init__.py$' "$build/install_manifest.txt") || fail "no Python module installed"
pydir=${init#"$prefix/"}
pydir=${pydir%/sqnsupgrade/__init__.py}
echo "Python module: $pydir"
for f in "$libdir/libsqnsupgrade.so" "$libdir/libsqnsupgrade.so.0" "$libdir/libsqnsupgrade.a" \
    "$libdir/pkgconfig/sqnsupgrade.pc" include/sqnsupgrade.h include/sqnsupgrade_host.h \
    include/sqnsupgrade_board.h \
    bin/sqnsupgrade bin/sqnsim "$pydir/sqnsupgrade/__init__.py" share/man/man1/sqnsupgrade.1 \
    share/man/man1/sqnsim.1 share/man/man3/libsqnsupgrade.3 \
    share/bash-completion/completions/sqnsupgrade; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
done
soname=$(readelf -d "$prefix/$libdir/libsqnsupgrade.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libsqnsupgrade.so.0 ] || fail "soname is '$soname'"
[ -L "$prefix/$libdir/libsqnsupgrade.so.0" ] || fail "libsqnsupgrade.so.0 is not a symlink"
"$prefix/bin/sqnsupgrade" --version | grep -qx 'sqnsupgrade 0.1.0' || fail "sqnsupgrade --version"
# bash-completion loads share/bash-completion/completions/NAME for the command NAME.
bash -c 'source "$1" && complete -p sqnsupgrade' _ "$prefix/share/bash-completion/completions/sqnsupgrade" |
    grep -q -- '-F _sqnsupgrade sqnsupgrade$' || fail "the installed completion does not complete sqnsupgrade"

echo "== exports: exactly the SQNS_API functions of the installed headers"
python3 "$src/tests/install/check_exports.py" "$cc" "$prefix/$libdir/libsqnsupgrade.so" \
    "$prefix/$libdir/libsqnsupgrade.a" "$prefix"/include/sqnsupgrade*.h

export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
[ "$(pkg-config --modversion sqnsupgrade)" = 0.1.0 ] || fail "pkg-config --modversion"
pc_libdir=$(pkg-config --variable=libdir sqnsupgrade)
[ "$(realpath "$pc_libdir")" = "$(realpath "$prefix/$libdir")" ] || fail "libdir is $pc_libdir"
echo "pkg-config --cflags --libs sqnsupgrade: $(pkg-config --cflags --libs sqnsupgrade)"

echo "== examples/upgrade.c, shared (rpath from pkg-config), and static"
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/upgrade" "$src/examples/upgrade.c" \
    $(pkg-config --cflags --libs sqnsupgrade) -Wl,-rpath,"$pc_libdir"
# ldd's output is read whole first: `ldd | grep -q` under pipefail fails now and then, when grep
# exits at its match and ldd dies of SIGPIPE.
libs=$(env -u LD_LIBRARY_PATH ldd "$work/upgrade")
grep -q "libsqnsupgrade.so.0 => $pc_libdir/" <<<"$libs" ||
    fail "upgrade does not load the installed library by its rpath"
# The archive, and what it needs besides (Libs.private: zlib).
private=$(pkg-config --static --libs-only-l sqnsupgrade | sed 's/-lsqnsupgrade//')
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror -o "$work/upgrade-static" "$src/examples/upgrade.c" \
    $(pkg-config --cflags sqnsupgrade) "$pc_libdir/libsqnsupgrade.a" $private
libs=$(ldd "$work/upgrade-static" 2>&1 || true)
! grep -q libsqnsupgrade <<<"$libs" || fail "static upgrade uses the shared library"

echo "== the example upgrades a simulated modem"
"$prefix/bin/sqnsim" mkimage --kind full --build 39529 --size 60000 "$work/CATM1-39529.dup"
coproc SIM { exec "$prefix/bin/sqnsim" --link "$work/modem" --bootloader0 38638 \
    --log "$work/events.log" --boot-ms 200 --apply-ms 200 2>&1; }
sim_pid=$SIM_PID
read -r -t 30 ready <&"${SIM[0]}" || fail "sqnsim did not start"
[[ $ready == "sqnsim: ready"* ]] || fail "sqnsim said: $ready"
env -u LD_LIBRARY_PATH "$work/upgrade" "$work/modem" "$work/CATM1-39529.dup" >"$work/upgrade.out" ||
    fail "upgrade exited $?: $(cat "$work/upgrade.out")"
tail -2 "$work/upgrade.out"
grep -q '100 %' "$work/upgrade.out" || fail "no progress to 100 %: $(cat "$work/upgrade.out")"
grep -qx 'success: the new firmware is applied' "$work/upgrade.out" ||
    fail "the example does not say where the modem stands: $(tail -1 "$work/upgrade.out")"
grep -q '"ev":"image".*"build":39529.*"complete":true' "$work/events.log" ||
    fail "the simulator did not receive the whole image"
grep -q '"ev":"upgrade","result":"success".*"build":39529' "$work/events.log" ||
    fail "the simulator did not apply the image"
# The static build against the same modem, which now runs 39529: nothing to do, success.
"$work/upgrade-static" "$work/modem" "$work/CATM1-39529.dup" >"$work/static.out" ||
    fail "static upgrade exited $?: $(cat "$work/static.out")"
kill "$sim_pid"
wait "$sim_pid" || true
sim_pid=

echo "== the installed Python module loads the installed library"
got=$(env -u SQNSUPGRADE_LIB PYTHONPATH="$prefix/$pydir" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -c 'import sqnsupgrade, os; print(os.path.realpath(sqnsupgrade.library_path()))')
[ "$got" = "$(realpath "$prefix/$libdir/libsqnsupgrade.so.0")" ] || fail "python loaded $got"
got=$(env -u SQNSUPGRADE_LIB PYTHONPATH="$prefix/$pydir" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -c 'import sqnsupgrade; print(sqnsupgrade.__version__)')
[ "$got" = 0.1.0 ] || fail "sqnsupgrade.__version__ is '$got' (sqns_version())"

echo "== make uninstall"
installed=$(wc -l <"$build/install_manifest.txt")
make -s -C "$src" uninstall BUILD="$build" >"$work/uninstall.log"
if [ -e "$prefix" ]; then
    left=$(find "$prefix" \( -type f -o -type l \) -print)
    [ -z "$left" ] || fail "left after uninstall: $left"
    fail "folders left after uninstall: $(find "$prefix" -type d | tr '\n' ' ')"
fi
echo "installed $installed files, upgraded sqnsim with the example, uninstalled all"

# The system python3 with a user's environment: no PYTHONPATH, a HOME of the test's own.
home=$work/home
mkdir -p "$home"
user_python() {
    (cd "$work" && env -u PYTHONPATH -u PYTHONUSERBASE -u PYTHONNOUSERSITE -u PYTHONHOME \
        -u PYTHONDONTWRITEBYTECODE -u SQNSUPGRADE_LIB HOME="$home" "$python" "$@")
}

echo "== make install PREFIX=~/.local: python3 imports it with no PYTHONPATH"
# make install is `make` then this step (which asks python3 where to put the module).
HOME=$home cmake --install "$build" --prefix "$home/.local" >"$work/install-user.log"
got=$(user_python -c 'import sqnsupgrade, os
print(os.path.realpath(sqnsupgrade.__file__)); print(os.path.realpath(sqnsupgrade.library_path()))') ||
    fail "python3 cannot import the module installed in ~/.local: $(grep -i python "$work/install-user.log")"
[ "$got" = "$(realpath "$home/.local")/$(user_python -c 'import site, os
print(os.path.relpath(site.getusersitepackages(), site.USER_BASE))')/sqnsupgrade/__init__.py
$(realpath "$home/.local/$libdir/libsqnsupgrade.so.0")" ] || fail "python3 imported: $got"
find "$home/.local" -name '*.pyc' | grep -q . || fail "python3 wrote no bytecode (the uninstall check needs it)"

echo "== make uninstall: import sqnsupgrade fails, nothing left in ~/.local"
make -s -C "$src" uninstall BUILD="$build" >"$work/uninstall-user.log"
[ ! -e "$home/.local" ] || fail "left after uninstall: $(find "$home/.local" | tr '\n' ' ')"
if out=$(user_python -c 'import sqnsupgrade; print(sqnsupgrade.__file__, sqnsupgrade.__path__)' 2>&1); then
    fail "import sqnsupgrade still works after uninstall: $out"
fi
grep -q "ModuleNotFoundError: No module named 'sqnsupgrade'" <<<"$out" || fail "import failed otherwise: $out"

echo "== DESTDIR=... make install PREFIX=/usr/local: the module in a folder of python3's sys.path"
dest=$work/dest
DESTDIR=$dest cmake --install "$build" --prefix /usr/local >"$work/install-system.log"
init=$(grep '/sqnsupgrade/__init__.py$' "$build/install_manifest.txt")
sysdir=${init#"$dest"}
sysdir=${sysdir%/sqnsupgrade/__init__.py}
user_python -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$sysdir" ||
    fail "installed into $sysdir, which python3 does not search: $(user_python -c 'import sys; print(sys.path)')"
DESTDIR=$dest make -s -C "$src" uninstall BUILD="$build" >"$work/uninstall-system.log"
# DESTDIR itself is the packager's: only what is under it goes.
[ -z "$(ls -A "$dest")" ] || fail "left after uninstall: $(find "$dest" | tr '\n' ' ')"
echo "~/.local: $(sed -n 's|.*/\.local/||p' <<<"$got" | head -1); /usr/local: $sysdir; both uninstalled"
