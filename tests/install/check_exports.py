#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The library exports exactly the functions its public headers declare.

    check_exports.py CC LIBSQNSUPGRADE.so LIBSQNSUPGRADE.a HEADER...

The headers are preprocessed with CC (comments and #if gone); every function
they declare must carry SQNS_API (visibility "default"). The shared library's
dynamic symbols must be exactly those functions, and in the archive those
must be the only global symbols of default visibility: every other global is
hidden (built with -fvisibility=hidden).
"""
import re
import subprocess
import sys


def declared(cc, headers):
    """{name: marked} for every function the headers declare."""
    names = {}
    for header in headers:
        text = subprocess.run([cc, "-E", "-P", "-x", "c", header], check=True,
                              capture_output=True, text=True).stdout
        # Declarations end at ';' or '}': look at each one's text before the name.
        for stmt in re.split(r"[;{}]", text):
            m = re.search(r"\b(sqns_[a-z0-9_]+)\s*\(", stmt)
            if m and not re.search(r"\(\s*\*\s*" + m.group(1), stmt):
                names[m.group(1)] = 'visibility("default")' in stmt
    return names


def shared_exports(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    return {f[2] for f in (line.split() for line in out.splitlines()) if len(f) == 3}


def archive_default_globals(lib):
    out = subprocess.run(["readelf", "-sW", lib], check=True, capture_output=True,
                         text=True).stdout
    found = set()
    for line in out.splitlines():
        f = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(f) == 8 and f[4] in ("GLOBAL", "WEAK") and f[5] == "DEFAULT" and f[6] != "UND":
            found.add(f[7])
    return found


def main():
    cc, so, archive, headers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    api = declared(cc, headers)
    failed = False
    unmarked = sorted(n for n, marked in api.items() if not marked)
    if unmarked:
        print("FAIL: declared without SQNS_API: " + " ".join(unmarked))
        failed = True
    for lib, got in ((so, shared_exports(so)), (archive, archive_default_globals(archive))):
        extra, missing = sorted(got - set(api)), sorted(set(api) - got)
        if extra:
            print("FAIL: %s exports what no public header declares: %s" % (lib, " ".join(extra)))
        if missing:
            print("FAIL: %s does not export: %s" % (lib, " ".join(missing)))
        failed = failed or bool(extra or missing)
    if not failed:
        print("exports: the %d functions of %s, nothing else" %
              (len(api), ", ".join(h.rsplit("/", 1)[-1] for h in headers)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
