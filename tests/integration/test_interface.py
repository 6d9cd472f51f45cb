# SPDX-License-Identifier: MIT
"""The interface: help for every command, -q, colours and NO_COLOR, bash completion."""
import os
import pty
import select
import subprocess
import unittest

from harness import HANG_GUARD, SQNSUPGRADE, SimTestCase, cli_command, run_cli
from test_ports import FakeSysfs

HERE = os.path.dirname(os.path.abspath(__file__))
COMPLETION = os.path.join(HERE, "..", "..", "completion", "sqnsupgrade.bash")
COMMANDS = ["run", "info", "version", "state", "imei", "list-ports", "bridge", "uart"]


def run_on_tty(args, env):
    """The CLI with stdout and stderr on a terminal; returns (status, bytes seen)."""
    master, slave = pty.openpty()
    full_env = dict(os.environ)
    for k in ("NO_COLOR", "SQNSUPGRADE_PORT"):
        full_env.pop(k, None)
    full_env.update(env)
    proc = subprocess.Popen(cli_command(*args), stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, env=full_env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], HANG_GUARD)
        if not ready:
            proc.kill()
            raise AssertionError("sqnsupgrade hung on a terminal: %s" % (args,))
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not data:
            break
        out += data
    os.close(master)
    return proc.wait(timeout=HANG_GUARD), out


class HelpTest(SimTestCase):
    def test_every_command_has_help(self):
        usage = run_cli("--help")
        self.assertExit(usage, 0)
        for cmd in COMMANDS:
            self.assertIn("  " + cmd, usage.out)
            for args in ((cmd, "--help"), (cmd, "-h"), ("--help", cmd)):
                r = run_cli(*args)
                self.assertExit(r, 0)
                self.assertTrue(r.out.startswith("Usage: sqnsupgrade [OPTIONS] " + cmd), r.out)
                self.assertGreater(len(r.out.splitlines()), 1, r.out)
                self.assertEqual(r.err, "")
        # Help needs no arguments, no port and no modem.
        r = run_cli("run", "--help", env={"SQNSUPGRADE_PORT": "/nonexistent"})
        self.assertExit(r, 0)
        self.assertIn("FIRMWARE.dup", r.out)


class QuietTest(SimTestCase):
    def test_quiet_upgrade_prints_only_the_result(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=60000)
        r = run_cli("-q", "run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "Verified: modem now runs build 39529\n")
        self.assertEqual(r.err, "")
        self.assertEqual(len(sim.events("image")), 1)
        # Nothing to do: still one line.
        r = run_cli("--quiet", "run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "The modem already runs build 39529: nothing to do "
                                "(--force flashes it again).\n")
        self.assertEqual(r.err, "")
        # Queries print their answer as ever.
        r = run_cli("-q", "state", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "2 application\n")

    def test_quiet_still_prints_errors(self):
        sim = self.sim("--silent")
        image = sim.mkimage("CATM1-39529.dup", size=4000)
        r = run_cli("-q", "--wake-timeout", "1", "run", image, port=sim.link)
        self.assertExit(r, 5)
        self.assertEqual(r.out, "")
        self.assertIn("no modem answered", r.err)


class ColourTest(SimTestCase):
    def test_colours_on_a_terminal_unless_no_color(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=30000)
        status, out = run_on_tty(["-p", sim.link, "run", image], {})
        self.assertEqual(status, 0, out)
        self.assertIn(b"\x1b[1;32mVerified: modem now runs build 39529\x1b[0m", out)
        status, out = run_on_tty(["-p", sim.link + "-missing", "state"], {})
        self.assertEqual(status, 4, out)
        self.assertTrue(out.startswith(b"\x1b[31msqnsupgrade: port "), out)
        # NO_COLOR: not one escape byte, on the same terminal.
        status, out = run_on_tty(["-p", sim.link, "run", image, "--force"], {"NO_COLOR": "1"})
        self.assertEqual(status, 0, out)
        self.assertIn(b"Verified: modem now runs build 39529", out)
        self.assertNotIn(b"\x1b", out)
        status, out = run_on_tty(["-p", sim.link + "-missing", "state"], {"NO_COLOR": "1"})
        self.assertEqual(status, 4, out)
        self.assertNotIn(b"\x1b", out)

    def test_no_colours_in_a_pipe(self):
        sim = self.sim()
        r = run_cli("-p", sim.link + "-missing", "state")
        self.assertExit(r, 4)
        self.assertNotIn("\x1b", r.err)


class CompletionTest(SimTestCase):
    def complete(self, *words):
        """COMPREPLY for the command line `words` (the last one being completed)."""
        script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); '
                  '_sqnsupgrade; printf "%s\\n" "${COMPREPLY[@]}"')
        env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(SQNSUPGRADE)) + ":" +
                   os.environ.get("PATH", ""))
        proc = subprocess.run(["bash", "-c", script, "complete", COMPLETION] + list(words),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                              cwd=self.workdir, timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return [l for l in proc.stdout.decode().splitlines() if l]

    def test_syntax(self):
        proc = subprocess.run(["bash", "-n", COMPLETION], stderr=subprocess.PIPE,
                              timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_completes(self):
        self.assertEqual(self.complete("sqnsupgrade", "r"), ["run"])
        self.assertEqual(self.complete("sqnsupgrade", "l"), ["list-ports"])
        self.assertEqual(sorted(self.complete("sqnsupgrade", "")), sorted(COMMANDS))
        self.assertIn("--quiet", self.complete("sqnsupgrade", "--q"))
        self.assertEqual(sorted(self.complete("sqnsupgrade", "run", "--f")),
                         ["--fff", "--force", "--force-fff"])
        # Firmware files: .dup and .elf, releases (.zip), and folders.
        for name in ("CATM1-39529.dup", "updater.elf", "notes.txt", "CATM1-41065.zip"):
            open(os.path.join(self.workdir, name), "w").close()
        os.mkdir(os.path.join(self.workdir, "fw"))
        self.assertEqual(sorted(self.complete("sqnsupgrade", "-p", "x", "run", "")),
                         ["CATM1-39529.dup", "CATM1-41065.zip", "fw/", "updater.elf"])
        # Ports: what list-ports finds, and socket://.
        fs = FakeSysfs(os.path.join(self.workdir, "sys"))
        self.assertEqual(self.complete("sqnsupgrade", "--sysfs-root", fs.root, "-p", ""),
                         ["socket://"])
        fs.usb("ttyUSB97", "0403", "6001", "FTDI", "FT232R USB UART", "A50285BI", "1-1")
        fs.usb("ttyACM96", "04d8", "ef98", "Pycom", "Expansion3", "Py7a1b2c", "1-2")
        self.assertEqual(self.complete("sqnsupgrade", "--sysfs-root", fs.root, "-p", ""),
                         ["/dev/ttyACM96", "/dev/ttyUSB97", "socket://"])
        self.assertEqual(self.complete("sqnsupgrade", "--sysfs-root", fs.root, "-p", "/dev/ttyU"),
                         ["/dev/ttyUSB97"])


if __name__ == "__main__":
    unittest.main()
