# SPDX-License-Identifier: MIT
"""sqnsupgrade.exe (make windows) under wine against sqnsim, as the Linux CLI is tested.

The exe runs in a private WINEPREFIX in the build folder (SQNS_WINEPREFIX), made once
with `wineboot -i`; a persistent wineserver serves every run of this file and is stopped
at its end. Each test's simulated modem is COM5 to Windows: the prefix's dosdevices/com5
is a symlink to the simulator's pty. Everything else is the integration harness
(tests/integration/harness.py), with wine as the CLI's wrapper: the same waits on
events, never a sleep.

What wine cannot show is left to a Windows machine (docs/windows.md): a port in use
(wine lets a second process open a COM port that another holds with share mode 0, which
Windows refuses), the Ports class of SetupAPI with USB ids, a console's Ctrl-C, a real
USB serial driver's timeouts.
"""
import glob
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

EXE = os.environ.get("SQNS_WINDOWS_EXE", "")
PREFIX = os.environ.get("SQNS_WINEPREFIX", "")
WINE = os.environ.get("SQNS_WINE", "wine")
WINESERVER = os.environ.get("SQNS_WINESERVER", "wineserver")
MINGW_CC = os.environ.get("SQNS_MINGW_CC", "")
# Before the harness is imported: it reads its CLI and wrapper from the environment.
os.environ.update({
    "WINEPREFIX": PREFIX,
    "WINEARCH": "win64",
    "WINEDEBUG": "-all",
    "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no prompt to install Mono or Gecko
    "SQNSUPGRADE_BIN": EXE,
    "SQNS_WRAPPER": WINE,
})

from harness import HANG_GUARD, Result, SimTestCase, cli_command, sha256_file  # noqa: E402
import test_ports  # noqa: E402  (a module, not its classes: unittest would run those here)

PORT = "COM5"


class Started:
    """wine with the CLI, its output into files: wine's own service processes, which the
    first program of a session starts, inherit its descriptors and would keep pipes open
    long after the program ended."""

    def __init__(self, *args, port=None, command=None, env=None):
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        given = env or {}
        env = dict(os.environ)
        env.pop("SQNSUPGRADE_PORT", None)  # only as a test gives it
        env.update(given)
        argv = (command or cli_command(port=port)) + [str(a) for a in args]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.out,
                                     stderr=self.err, env=env)

    def wait_err(self, text):
        """Wait until the program's stderr holds text (it is written as it happens)."""
        end = time.monotonic() + HANG_GUARD
        while time.monotonic() < end:
            self.err.seek(0)
            if text.encode() in self.err.read():
                return
            if self.proc.poll() is not None:
                break
            select.select([], [], [], 0.05)  # the file grows: look again, not in a hot loop
        self.err.seek(0)
        raise AssertionError("no %r on stderr: %r" % (text, self.err.read()))

    def result(self):
        try:
            status = self.proc.wait(timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("sqnsupgrade.exe hung past %s s" % HANG_GUARD)
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read())
            f.close()
        # Text mode: Windows's C library writes each line end as CR LF.
        return Result(status, texts[0].replace(b"\r\n", b"\n"),
                      texts[1].replace(b"\r\n", b"\n"), None)


def run_cli(*args, port=None, env=None):
    return Started(*args, port=port, env=env).result()


def setUpModule():
    if not EXE or not PREFIX:
        raise unittest.SkipTest("SQNS_WINDOWS_EXE and SQNS_WINEPREFIX are not set")
    os.makedirs(PREFIX, exist_ok=True)
    env = dict(os.environ)
    if not os.path.exists(os.path.join(PREFIX, "system.reg")):
        # The prefix, once (about 8 s); then wineserver -w waits for what it started.
        subprocess.run([WINE, "wineboot", "-i"], env=env, check=True, timeout=HANG_GUARD,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([WINESERVER, "-w"], env=env, check=True, timeout=HANG_GUARD,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    # One wineserver for every run of this file (each run starts in about 0.5 s then); one
    # already running for the prefix answers 2, and serves as well.
    subprocess.run([WINESERVER, "-p"], env=env, timeout=HANG_GUARD,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def tearDownModule():
    if PREFIX:
        subprocess.run([WINESERVER, "-k"], env=dict(os.environ), timeout=HANG_GUARD,
                       stderr=subprocess.DEVNULL)


def com_link(n=5):
    return os.path.join(PREFIX, "dosdevices", "com%d" % n)


def words(command):
    """A printed command as cmd or PowerShell splits it: double-quoted words, or bare ones."""
    return [w[1:-1] if w.startswith('"') else w for w in re.findall(r'"[^"]*"|\S+', command)]


class WindowsTest(SimTestCase):
    pty_pair = test_ports.BridgeTest.pty_pair  # socat's pty pair, reaped at the end
    reap = test_ports.BridgeTest.reap

    def sim(self, *args, com=5, **kw):
        """A simulated modem, COMn (COM5 unless said) to the programs of the prefix."""
        s = super().sim(*args, **kw)
        link = com_link(com)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(s.slave(), link)
        self.addCleanup(lambda: os.path.lexists(link) and os.unlink(link))
        return s

    def exe(self, *args, port=PORT):
        return run_cli(*args, port=port)

    def test_info(self):
        sim = self.sim()
        r = self.exe("info")
        self.assertExit(r, 0)
        self.assertIn("Your modem is in application mode", r.out)
        self.assertIn("LR5.1.1.0-38638", r.out)
        self.assertIn("IMEI: 354346099225475", r.out)
        self.assertModemUnchanged(sim)

    def test_port_names(self):
        # com5, the \\.\COM5 form and $SQNSUPGRADE_PORT name the same port.
        self.sim()
        for name in ("com5", "\\\\.\\COM5"):
            r = self.exe("version", port=name)
            self.assertExit(r, 0)
            self.assertIn("Software     : 5.1.1.0 [38638]", r.out)
        r = run_cli("version", env={"SQNSUPGRADE_PORT": "COM5"})
        self.assertExit(r, 0)
        self.assertIn("Software     : 5.1.1.0 [38638]", r.out)

    def test_normal_upgrade(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=300000)
        r = self.exe("run", image)
        self.assertExit(r, 0)
        self.assertIn("Sending 300000 bytes: [" + "#" * 40 + "] 100%", r.out)
        self.assertTrue(r.out.endswith("Verified: modem now runs build 39529\n"), r.out)
        images = sim.events("image")
        self.assertEqual([(i["method"], i["complete"]) for i in images], [("ON_THE_FLY", True)])
        self.assertEqual(images[0]["sha256"], sha256_file(image))
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_recovery_with_rate_change(self):
        # Recovery mode answers at 115200: the updater goes after AT+IPR=921600, at 921600.
        sim = self.sim("--mode", "0")
        fw = sim.mkimage("CATM1-39529.dup", size=50000)
        elf = sim.mkimage("updater.elf", kind="updater", build=39529, size=100000)
        r = self.exe("run", fw, elf)
        self.assertExit(r, 0)
        self.assertIn("Attempting AT auto-negotiation...", r.out)
        self.assertIn("Upgrader loaded successfully, modem is in upgrade mode", r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertIn("AT+IPR=921600", sim.at_commands())
        self.assertEqual([(i["method"], i["kind"], i["complete"]) for i in sim.events("image")],
                         [("STP", "updater", True), ("ON_THE_FLY", "full", True)])
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)

    def test_differential_image(self):
        sim = self.sim("--build", "38638")
        diff = sim.mkimage("upgdiff_38638-to-39529.dup", kind="diff", frm=38638, size=30000)
        r = self.exe("run", diff)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual([i["kind"] for i in sim.events("image")], ["diff"])

    def test_failure_half_way_prints_a_windows_resume_command(self):
        # A folder with a space: the command must quote it the way cmd and PowerShell read.
        sim = self.sim("--build", "38638", "--hang-at", "60000")
        folder = os.path.join(self.workdir, "my files")
        os.makedirs(folder)
        image = sim.mkimage(os.path.join("my files", "CATM1-39529.dup"), size=120000)
        r = self.exe("--stall-timeout", "2", "run", image)
        self.assertExit(r, 6)
        self.assertIn("upgrade mode (4)", r.err)
        m = re.search(r"^  (sqnsupgrade -p COM5 run .*--resume)$", r.err, re.M)
        self.assertTrue(m, r.err)
        self.assertRegex(m.group(1), r' run "Z:\\.*\\my files\\CATM1-39529\.dup" --resume$')
        # Pasted as printed (after the power cycle), it finishes the job.
        sim.stop()
        sim.args.remove("--hang-at")
        sim.args.remove("60000")
        sim.start()
        os.unlink(com_link())
        os.symlink(sim.slave(), com_link())
        r = run_cli(*words(m.group(1))[1:])
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)

    def test_json_result(self):
        # --json with one modem: the transcript is captured (a temporary file on Windows,
        # memstream_win.c) and ends the stream as one result object.
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=30000)
        r = self.exe("--json", "run", image)
        self.assertExit(r, 0)
        events = [json.loads(line) for line in r.out.splitlines()]
        result = events[-1]
        self.assertEqual((result["event"], result["status"], result["stage"], result["verified"]),
                         ("result", 0, "done", True))
        self.assertIn("Verified: modem now runs build 39529", result["text"])
        self.assertTrue(any(e.get("event") == "progress" for e in events[:-1]), events)

    def test_several_modems_at_once(self):
        # -p COM5 -p COM6: one thread a modem (winpthread), each one's output captured.
        sims = [self.sim("--build", "38638", com=5, name="m5"),
                self.sim("--build", "38638", com=6, name="m6")]
        image = sims[0].mkimage("CATM1-39529.dup", size=60000)
        r = run_cli("-p", "COM5", "-p", "COM6", "--json", "run", image)
        self.assertExit(r, 0)
        summary = json.loads(r.out)
        self.assertEqual([m["port"] for m in summary], ["COM5", "COM6"])
        for m in summary:
            self.assertEqual((m["status"], m["old_build"], m["new_build"], m["error"]),
                             (0, 38638, 39529, ""))
        for s in sims:
            self.assertEqual(s.events("boot")[-1]["build"], 39529)

    def test_dll_alone_exports_the_api(self):
        # sqnsupgrade.dll copied alone into a folder: it loads with Windows's own DLLs only,
        # and exports every function the public headers declare.
        if not MINGW_CC:
            self.skipTest("no mingw-w64 compiler (SQNS_MINGW_CC)")
        dll = os.path.join(os.path.dirname(EXE), "sqnsupgrade.dll")
        alone = os.path.join(self.workdir, "alone")
        os.makedirs(alone)
        shutil.copy(dll, alone)
        check = os.path.join(self.workdir, "dll_check.exe")
        subprocess.run([MINGW_CC, "-O2", "-Wall", "-Wextra", "-Werror", "-o", check,
                        os.path.join(HERE, "dll_check.c")], check=True, timeout=HANG_GUARD)
        names = set()
        for h in glob.glob(os.path.join(HERE, "..", "..", "include", "sqnsupgrade*.h")):
            with open(h) as f:
                names.update(re.findall(r"^SQNS_API\b[^;(]*?\b(sqns_\w+)\s*\(", f.read(), re.M))
        self.assertGreater(len(names), 40, names)
        r = Started(*sorted(names), command=[WINE, check, os.path.join(alone, "sqnsupgrade.dll")])
        r = r.result()
        self.assertExit(r, 0)
        version = run_cli("--version")
        self.assertIn("version %s" % version.out.split()[-1], r.out)

    def test_ctrl_c_closes_the_session_and_prints_the_resume_command(self):
        # wine turns SIGINT into the console's Ctrl-C event (SetConsoleCtrlHandler).
        sim = self.sim("--pace")
        image = sim.mkimage("CATM1-39529.dup", size=400000)
        proc = Started("run", image, port=PORT)
        sim.wait_for("stp_open")
        proc.proc.send_signal(signal.SIGINT)
        r = proc.result()
        self.assertExit(r, 8)
        m = re.search(r"^  (sqnsupgrade -p COM5 run .*--resume)$", r.err, re.M)
        self.assertTrue(m, r.err)
        self.assertFalse(sim.events("image")[-1]["complete"] if sim.events("image") else False)
        # The printed command finishes the job.
        r = run_cli(*words(m.group(1))[1:])
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual(sim.events("image")[-1]["sha256"], sha256_file(image))

    def test_bridge(self):
        # The Linux CLI -> pty pair (socat) -> sqnsupgrade.exe bridge COM6 COM5 -> the modem:
        # bridge_win.c's timed reads both ways; Ctrl-C (SIGINT) stops it with its counts.
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=150000)
        _, a, b = self.pty_pair()
        six = com_link(6)
        if os.path.lexists(six):
            os.unlink(six)
        os.symlink(os.path.realpath(b), six)
        self.addCleanup(os.unlink, six)
        br = Started("bridge", "COM6", "COM5", "--baud-a", "115200", "--baud-b", "921600")
        br.wait_err("sqnsupgrade: bridging COM6")
        linux = os.environ.get("SQNS_LINUX_CLI", "")
        if not linux:
            br.proc.kill()
            br.result()
            self.skipTest("no Linux sqnsupgrade (SQNS_LINUX_CLI)")
        r = Started("-p", a, "run", image, command=[linux]).result()
        self.assertExit(r, 0)
        self.assertTrue(r.out.endswith("Verified: modem now runs build 39529\n"), r.out)
        self.assertEqual(sim.events("image")[-1]["sha256"], sha256_file(image))
        br.proc.send_signal(signal.SIGINT)
        done = br.result()
        self.assertExit(done, 0)
        self.assertRegex(done.err, r"sqnsupgrade: bridge stopped \(\d+ bytes COM6 -> COM5, "
                                   r"\d+ bytes COM5 -> COM6\)\n$")
        self.assertGreater(int(done.err.split("stopped (")[1].split()[0]), os.path.getsize(image))

    def test_port_does_not_exist(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=1000)
        r = self.exe("run", image, port="COM9")
        self.assertExit(r, 4)
        self.assertEqual(r.err.count("\n"), 1, r.err)
        self.assertIn("port 'COM9' does not exist", r.err)

    def test_bad_files(self):
        sim = self.sim()
        r = self.exe("run", os.path.join(self.workdir, "missing.dup"))
        self.assertExit(r, 3)
        self.assertIn("cannot open firmware file", r.err)
        tiny = os.path.join(self.workdir, "CATM1-39529.dup")
        with open(tiny, "wb") as f:
            f.write(b"x" * 127)
        r = self.exe("run", tiny)
        self.assertExit(r, 3)
        self.assertIn("127 bytes", r.err)
        image = sim.mkimage("CATM1-39530.dup", size=1000)
        fake = sim.mkimage("updater.elf", kind="full", size=1000)
        r = self.exe("run", image, fake)
        self.assertExit(r, 10)
        self.assertIn("'updater.elf' is not an ELF file", r.err)
        sim.stop()
        self.assertNothingSent(sim)

    def test_release_folder_and_zip(self):
        # The release unpacked (Explorer's "Extract all"): the folder is read and the diff chosen.
        sim = self.sim("--build", "38638")
        folder = os.path.join(self.workdir, "CATM1-39529")
        os.makedirs(folder)
        sim.mkimage(os.path.join("CATM1-39529", "CATM1-39529.dup"), size=60000)
        sim.mkimage(os.path.join("CATM1-39529", "upgdiff_38638-to-39529.dup"), kind="diff",
                    frm=38638, size=8000)
        sim.mkimage(os.path.join("CATM1-39529", "updater.elf"), kind="updater", size=30000)
        r = self.exe("run", folder)
        self.assertExit(r, 0)
        self.assertIn("From CATM1-39529, the modem runs 38638: upgdiff_38638-to-39529.dup", r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual([i["kind"] for i in sim.events("image")], ["diff"])
        # This build reads no zip (no libzip for mingw-w64 in Debian): one line, the folder way.
        archive = os.path.join(self.workdir, "CATM1-39529.zip")
        with zipfile.ZipFile(archive, "w") as z:
            z.write(os.path.join(folder, "CATM1-39529.dup"), "CATM1-39529/CATM1-39529.dup")
        sent = len(sim.events("image"))
        r = self.exe("run", archive)
        self.assertExit(r, 3)
        self.assertIn("unpack", r.err)
        self.assertIn("give its folder instead", r.err)
        self.assertEqual(len(sim.events("image")), sent)

    def test_list_ports_runs(self):
        # wine has no Ports class devices: the listing is empty, and says so, exit 0.
        r = run_cli("list-ports")
        self.assertExit(r, 0)

    def test_socket(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=100000)
        srv = test_ports.SerialServer(sim.link)
        self.addCleanup(srv.stop)
        r = self.exe("run", image, port=srv.url)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual(sim.events("image")[0]["sha256"], sha256_file(image))

    def test_help_names_windows_ports(self):
        r = run_cli("info")
        self.assertExit(r, 2)
        self.assertIn("-p COM5", r.err)


if __name__ == "__main__":
    unittest.main()
