# SPDX-License-Identifier: MIT
"""package.archives: the Windows zip and the web page's tarball of `make package`.

- scripts/package_zip.py, on files of its own in a temporary folder: one top folder, the
  names given, the bytes (CRLF for .txt), modes, the fixed time; the same zip twice.
- dist/sqnsupgrade-VERSION-web.tar.gz holds web/dist, byte for byte, under one folder
  (skipped when web/dist has not been built: make package skips the tarball then too).
- dist/sqnsupgrade-VERSION-windows-x86_64.zip holds build-windows/sqnsupgrade.exe and .dll,
  the Python module and the Windows README (skipped when make windows has not run).
"""
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
DIST = os.environ.get("SQNS_DIST", os.path.join(TOP, "dist"))
VERSION = os.environ.get("SQNS_VERSION") or subprocess.run(
    ["sed", "-n", r"s/^project(sqnsupgrade VERSION \([0-9.]*\).*/\1/p",
     os.path.join(TOP, "CMakeLists.txt")], capture_output=True, text=True).stdout.strip()
WEB_DIST = os.path.join(TOP, "web", "dist")
WIN_BUILD = os.path.join(TOP, "build-windows")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def files_under(folder):
    out = {}
    for d, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, folder)] = read(p)
    return out


class ZipScriptTest(unittest.TestCase):
    def make(self, folder, out):
        env = dict(os.environ, SOURCE_DATE_EPOCH="1764990000")
        subprocess.run([sys.executable, os.path.join(TOP, "scripts", "package_zip.py"), out,
                        "top-1", "a.exe=" + os.path.join(folder, "a"),
                        "sub/b.py=" + os.path.join(folder, "b"),
                        "README.txt=" + os.path.join(folder, "r")], check=True, env=env)

    def test_layout(self):
        with tempfile.TemporaryDirectory() as t:
            for name, data in (("a", b"MZ\x00\x01"), ("b", b"x = 1\n"), ("r", b"one\ntwo\r\n")):
                with open(os.path.join(t, name), "wb") as f:
                    f.write(data)
            self.make(t, os.path.join(t, "1.zip"))
            self.make(t, os.path.join(t, "2.zip"))
            self.assertEqual(read(os.path.join(t, "1.zip")), read(os.path.join(t, "2.zip")))
            with zipfile.ZipFile(os.path.join(t, "1.zip")) as z:
                self.assertEqual(z.namelist(),
                                 ["top-1/a.exe", "top-1/sub/b.py", "top-1/README.txt"])
                self.assertEqual(z.read("top-1/a.exe"), b"MZ\x00\x01")
                self.assertEqual(z.read("top-1/sub/b.py"), b"x = 1\n")
                self.assertEqual(z.read("top-1/README.txt"), b"one\r\ntwo\r\n")
                modes = [(i.external_attr >> 16) & 0o777 for i in z.infolist()]
                self.assertEqual(modes, [0o755, 0o644, 0o644])
                self.assertEqual(z.infolist()[0].date_time, (2025, 12, 6, 3, 0, 0))
            self.assertNotEqual(subprocess.run(
                [sys.executable, os.path.join(TOP, "scripts", "package_zip.py"),
                 os.path.join(t, "3.zip"), "top", "no-equals-sign"],
                capture_output=True).returncode, 0)


class WebTarballTest(unittest.TestCase):
    def test_web_tarball(self):
        if not os.path.exists(os.path.join(WEB_DIST, "index.html")):
            self.skipTest("web/dist not built (make web): make package skips the tarball")
        name = "sqnsupgrade-%s-web" % VERSION
        path = os.path.join(DIST, name + ".tar.gz")
        self.assertTrue(os.path.exists(path), "no %s (make package)" % path)
        want = files_under(WEB_DIST)
        for needed in ("index.html", "app.js", "style.css", "sqnsweb.js", "sqnsweb.wasm"):
            self.assertIn(needed, want)
        got = {}
        with tarfile.open(path) as tar:
            for m in tar.getmembers():
                self.assertTrue(m.name == name or m.name.startswith(name + "/"), m.name)
                self.assertEqual((m.uid, m.gid), (0, 0), m.name)
                if m.isdir():
                    self.assertEqual(m.mode, 0o755, m.name)
                else:
                    self.assertTrue(m.isfile(), m.name)
                    self.assertEqual(m.mode, 0o644, m.name)
                    got[m.name[len(name) + 1:]] = tar.extractfile(m).read()
        self.assertEqual(sorted(got), sorted(want))
        for rel in want:
            self.assertEqual(hashlib.sha256(got[rel]).hexdigest(),
                             hashlib.sha256(want[rel]).hexdigest(), rel)


class WindowsZipTest(unittest.TestCase):
    def test_windows_zip(self):
        exe = os.path.join(WIN_BUILD, "sqnsupgrade.exe")
        dll = os.path.join(WIN_BUILD, "sqnsupgrade.dll")
        if not (os.path.exists(exe) and os.path.exists(dll)):
            self.skipTest("build-windows/ not built (make windows): make package skips the zip")
        name = "sqnsupgrade-%s-windows-x86_64" % VERSION
        path = os.path.join(DIST, name + ".zip")
        self.assertTrue(os.path.exists(path), "no %s (make package)" % path)
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            self.assertEqual(z.read(name + "/sqnsupgrade.exe"), read(exe))
            self.assertEqual(z.read(name + "/sqnsupgrade.dll"), read(dll))
            self.assertEqual(z.read(name + "/sqnsupgrade/__init__.py"),
                             read(os.path.join(TOP, "python", "sqnsupgrade", "__init__.py")))
            readme = z.read(name + "/README.txt")
            self.assertIn(b"COM", readme)
            self.assertNotIn(b"\n", readme.replace(b"\r\n", b""))  # CRLF only
            self.assertIn(name + "/LICENSE.txt", names)
            self.assertTrue(all(n.startswith(name + "/") for n in names), names)


if __name__ == "__main__":
    unittest.main()
