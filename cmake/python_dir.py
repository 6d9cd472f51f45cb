# SPDX-License-Identifier: MIT
"""Where this Python looks for modules under an install prefix, relative to it.

    python3 cmake/python_dir.py PREFIX

Asked at install time (cmake/library.cmake), so that `make install PREFIX=...`
puts the module where the interpreter finds it:
  - the user's prefix (site.USER_BASE, ~/.local): its user site, which is
    site-packages (lib/python3.11/site-packages), not Debian's dist-packages;
  - a prefix one of sys.path's site folders is under (Debian's /usr:
    lib/python3/dist-packages; /usr/local: lib/python3.11/dist-packages);
  - any other prefix: the interpreter's own layout for it (posix_prefix,
    lib/python3.11/site-packages), which PYTHONPATH then names.
"""
import os
import site
import sys
import sysconfig


def main():
    prefix = os.path.realpath(sys.argv[1])

    def under(path):
        path = os.path.realpath(path)
        return path.startswith(prefix + os.sep + "lib") and os.path.relpath(path, prefix)

    if site.USER_BASE and os.path.realpath(site.USER_BASE) == prefix:
        print(os.path.relpath(site.getusersitepackages(), site.USER_BASE))
        return
    for path in sys.path:
        if os.path.basename(path) in ("site-packages", "dist-packages") and under(path):
            print(under(path))
            return
    print(os.path.relpath(sysconfig.get_path("purelib", "posix_prefix",
                                             vars={"base": prefix, "platbase": prefix}), prefix))


if __name__ == "__main__":
    main()
