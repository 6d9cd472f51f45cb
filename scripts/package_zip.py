# SPDX-License-Identifier: MIT
"""A reproducible zip for make package (scripts/package.sh): every file under one top folder,
in the order given, with the time of SOURCE_DATE_EPOCH and fixed modes.

    package_zip.py OUT.zip TOPFOLDER NAME=PATH...

NAME is the file's path inside TOPFOLDER. A .txt file gets CRLF line ends (Notepad on
older Windows shows a LF-only file as one line).
"""
import os
import sys
import time
import zipfile


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: package_zip.py OUT.zip TOPFOLDER NAME=PATH...")
    out, top, pairs = argv[1], argv[2], argv[3:]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))
    # Zip times are local DOS times from 1980: the commit's time in UTC, no earlier than 1980.
    stamp = time.gmtime(max(epoch, 315532800))[:6]
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for pair in pairs:
            name, sep, path = pair.partition("=")
            if not sep or not name or not path:
                sys.exit("package_zip.py: %r is not NAME=PATH" % pair)
            with open(path, "rb") as f:
                data = f.read()
            if name.endswith(".txt"):
                data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            info = zipfile.ZipInfo(top + "/" + name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the modes below are read
            mode = 0o755 if name.endswith((".exe", ".dll")) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            z.writestr(info, data)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
