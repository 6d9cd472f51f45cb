# SPDX-License-Identifier: MIT
"""package.deb: the .deb that `make package` left in dist/, unpacked with `dpkg-deb -x` into a
temporary folder (not installed), does what it says:

- it holds the tool, sqnsim, libsqnsupgrade.so.0, the headers, sqnsupgrade.pc, the gzipped
  man pages, the bash completion, the Python module in /usr/lib/python3/dist-packages, the
  copyright and changelog.Debian.gz;
- its sqnsupgrade upgrades its sqnsim 38638 -> 39529 end to end (exit 0, the verified line);
- examples/upgrade.c builds against its headers and sqnsupgrade.pc and upgrades its sqnsim
  with its libsqnsupgrade.so.0;
- its Python module, imported from the unpacked folder, loads the unpacked library by itself
  (no SQNSUPGRADE_LIB, no LD_LIBRARY_PATH) and runs info() and a dry run against its sqnsim.

SQNS_DIST: the folder of the .deb (default: dist/ at the top); SQNS_VERSION: the version.
"""
import glob
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
import harness  # noqa: E402  (the simulator and the CLI runner of the integration tests)

DIST = os.environ.get("SQNS_DIST", os.path.join(TOP, "dist"))
VERSION = os.environ.get("SQNS_VERSION", "")
MULTIARCH = subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], capture_output=True,
                           text=True, check=True).stdout.strip()
PYDIR = "usr/lib/python3/dist-packages"

# The Python side, run by a python3 without site (-S: no system dist-packages, so no
# installed sqnsupgrade can answer instead) and with a clean environment.
PY_CHECK = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import sqnsupgrade
port, image = sys.argv[2], sys.argv[3]
info = sqnsupgrade.info(port, quiet=True)
plan = sqnsupgrade.run(port, image, dry_run=True, quiet=True)
print(json.dumps({"module": sqnsupgrade.__file__, "library": sqnsupgrade.library_path(),
                  "mode": info.mode_name, "build": info.build, "dry_run": plan.dry_run,
                  "stage": plan.stage}))
"""


def the_deb():
    pattern = os.path.join(DIST, "sqnsupgrade_%s-*_*.deb" % (VERSION or "*"))
    found = sorted(glob.glob(pattern))
    if len(found) != 1:
        raise AssertionError("expected one .deb matching %s (run make package first), found %s"
                             % (pattern, found))
    return found[0]


class DebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.deb = the_deb()
        cls.root = tempfile.mkdtemp(prefix="sqns-deb-")
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True)
        cls.tool = os.path.join(cls.root, "usr/bin/sqnsupgrade")
        # The unpacked simulator and tool, through the integration harness.
        harness.SQNSIM = os.path.join(cls.root, "usr/bin/sqnsim")
        harness.SQNSUPGRADE = cls.tool

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="sqns-deb-run-")
        self.sims = []

    def tearDown(self):
        for s in self.sims:
            s.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def sim(self, *args):
        s = harness.Sim(self.workdir, *harness.UPGRADED_ONCE, *harness.FAST, *args).start()
        self.sims.append(s)
        return s

    def path(self, rel):
        return os.path.join(self.root, rel)

    def test_contents(self):
        lib = "usr/lib/%s/" % MULTIARCH
        for rel in ("usr/bin/sqnsupgrade", "usr/bin/sqnsim", lib + "libsqnsupgrade.so.0",
                    lib + "libsqnsupgrade.so", lib + "libsqnsupgrade.a",
                    lib + "pkgconfig/sqnsupgrade.pc", "usr/include/sqnsupgrade.h",
                    "usr/include/sqnsupgrade_host.h", "usr/include/sqnsupgrade_board.h",
                    "usr/include/sqnsupgrade_words.h", PYDIR + "/sqnsupgrade/__init__.py",
                    "usr/share/man/man1/sqnsupgrade.1.gz", "usr/share/man/man1/sqnsim.1.gz",
                    "usr/share/man/man3/libsqnsupgrade.3.gz",
                    "usr/share/bash-completion/completions/sqnsupgrade",
                    "usr/share/doc/sqnsupgrade/copyright",
                    "usr/share/doc/sqnsupgrade/changelog.Debian.gz"):
            self.assertTrue(os.path.exists(self.path(rel)), "not in the .deb: " + rel)
        # Man pages and the changelog are gzip files, and still what they were.
        with gzip.open(self.path("usr/share/man/man1/sqnsupgrade.1.gz"), "rt") as f:
            self.assertTrue(f.read().startswith(".TH SQNSUPGRADE 1"))
        with gzip.open(self.path("usr/share/doc/sqnsupgrade/changelog.Debian.gz"), "rt") as f:
            first = f.readline()
        control = subprocess.run(["dpkg-deb", "-f", self.deb, "Version", "Depends"],
                                 capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(": ", 1) for line in control.splitlines())
        self.assertEqual(first.split()[:2], ["sqnsupgrade", "(%s)" % fields["Version"]])
        self.assertIn("zlib1g", fields["Depends"])  # from dpkg-shlibdeps
        self.assertIn("libzip", fields["Depends"])  # release archives (run CATM1-39529.zip)
        self.assertIn("libc6", fields["Depends"])
        # No file of the build machine's: no .pyc, no build path in the .pc file.
        self.assertEqual(glob.glob(self.path(PYDIR) + "/**/*.pyc", recursive=True), [])
        with open(self.path(lib + "pkgconfig/sqnsupgrade.pc")) as f:
            self.assertNotIn(TOP, f.read())

    def test_the_tool_upgrades_the_simulator(self):
        # Linked with libsqnsupgrade.a: it needs no library of the package at run time.
        dyn = subprocess.run(["readelf", "-d", self.tool], capture_output=True, text=True,
                             check=True).stdout
        self.assertNotIn("libsqnsupgrade", dyn)
        self.assertNotIn("RUNPATH", dyn)
        r = harness.run_cli("--version")
        self.assertEqual(r.status, 0, r)
        if VERSION:
            self.assertEqual(r.out.strip(), "sqnsupgrade " + VERSION)
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=60000)
        env = {"LD_LIBRARY_PATH": ""}
        r = harness.run_cli("run", image, port=sim.link, env=env)
        self.assertEqual(r.status, 0, r)
        self.assertTrue(r.out.endswith("Verified: modem now runs build 39529\n"), r)
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)
        self.assertEqual([u["result"] for u in sim.events("upgrade")], ["success"])

    def test_a_program_builds_against_the_unpacked_library(self):
        # examples/upgrade.c through the unpacked sqnsupgrade.pc (relocatable: its prefix is
        # found from its own folder), run with the unpacked libsqnsupgrade.so.0.
        libdir = self.path("usr/lib/" + MULTIARCH)
        env = dict(os.environ, PKG_CONFIG_PATH=libdir + "/pkgconfig", PKG_CONFIG_LIBDIR="")
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "sqnsupgrade"], env=env,
                               capture_output=True, text=True, check=True).stdout.split()
        paths = {f[:2]: os.path.realpath(f[2:]) for f in flags if f[:2] in ("-L", "-I")}
        self.assertEqual(paths, {"-L": os.path.realpath(libdir),
                                 "-I": os.path.realpath(self.path("usr/include"))})
        prog = os.path.join(self.workdir, "upgrade")
        subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Werror", "-o", prog,
                        os.path.join(TOP, "examples", "upgrade.c")] + flags, check=True)
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=20000)
        p = subprocess.run([prog, sim.link, image], capture_output=True, text=True,
                           env=dict(os.environ, LD_LIBRARY_PATH=libdir),
                           timeout=harness.HANG_GUARD)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("success: the new firmware is applied", p.stdout)
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_the_python_module_loads_the_unpacked_library(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=20000)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONDONTWRITEBYTECODE": "1"}
        p = subprocess.run(["/usr/bin/python3", "-S", "-c", PY_CHECK, self.path(PYDIR), sim.link,
                            image], capture_output=True, text=True, env=env,
                           timeout=harness.HANG_GUARD)
        self.assertEqual(p.returncode, 0, p.stderr)
        got = json.loads(p.stdout.strip().splitlines()[-1])
        self.assertTrue(got["module"].startswith(self.root + "/"), got)
        self.assertTrue(got["library"].startswith(self.root + "/"), got)
        self.assertTrue(got["library"].endswith("/libsqnsupgrade.so.0"), got)
        self.assertEqual((got["mode"], got["build"]), ("application", 38638))
        self.assertEqual((got["dry_run"], got["stage"]), (True, "untouched"))
        self.assertEqual(sim.events("image"), [])  # a dry run sends nothing


if __name__ == "__main__":
    unittest.main()
