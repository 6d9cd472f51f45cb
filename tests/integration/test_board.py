# SPDX-License-Identifier: MIT
"""--board: a Pycom board's REPL in front of the modem (sqnsim --board), in one command."""
import os
import select
import termios
import time
import tty
import unittest

from harness import HANG_GUARD, SimTestCase, run_cli, sha256_file

MIRROR_NOTE = "The board is in mirror mode"


class BoardTest(SimTestCase):
    def board(self, *args, factory=False):
        return self.sim("--board", *args, factory=factory)

    def images(self, sim):
        return [(e["kind"], e["complete"]) for e in sim.events("image")]

    def index(self, sim, pred):
        """Position in the event log of the first event for which pred holds."""
        for i, e in enumerate(sim.events()):
            if pred(e):
                return i
        self.fail("no such event in the simulator's log")

    def mirror_at(self, sim):
        return self.index(sim, lambda e: e["ev"] == "board" and e["state"] == "mirror")

    def check_upgraded(self, sim, image):
        last = sim.events("image")[-1]
        self.assertTrue(last["complete"])
        self.assertEqual(last["sha256"], sha256_file(image))
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_normal_method(self):
        sim = self.board()
        image = sim.mkimage("CATM1-39529.dup", size=60000)
        r = run_cli("--board", "run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Board: GPy (GPy with ESP32", r.out)
        self.assertIn("Running on the board: import sqnsupgrade; sqnsupgrade.uart()", r.out)
        self.assertIn(MIRROR_NOTE, r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual([e["recovery"] for e in sim.events("board_uart")], [False])
        # uart() leaves the modem as it is: every change comes through the mirror.
        mirror = self.mirror_at(sim)
        self.assertGreater(self.index(sim, lambda e: e["ev"] == "mode"), mirror)
        self.assertEqual(self.images(sim), [("full", True)])
        self.check_upgraded(sim, image)

    def test_recovery_method(self):
        """uart(True) on the board: boot ROM and negotiation; the computer sends the rest."""
        sim = self.board("--factory", factory=True)
        image = sim.mkimage("CATM1-39529.dup", size=60000)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000)
        r = run_cli("--board", "run", image, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("sqnsupgrade.uart(True)", r.out)
        self.assertLinesInOrder(r.out, [
            "Starting STP (DO NOT DISCONNECT POWER!!!)",
            "Bootrom updated successfully, switching to upgrade mode",
            "Attempting AT auto-negotiation...",
            "<<< Welcome to the SQN3330 firmware updater >>>",
            "Upgrader loaded successfully, modem is in upgrade mode",
            "Verified: modem now runs build 39529",
        ])
        self.assertEqual(self.images(sim), [("bootrom", True), ("updater", True), ("full", True)])
        # The board sent the boot ROM and moved the modem to 921600 in recovery mode;
        # updater.elf and the firmware went through the mirror.
        mirror = self.mirror_at(sim)
        self.assertLess(self.index(sim, lambda e: e.get("kind") == "bootrom"), mirror)
        self.assertGreater(self.index(sim, lambda e: e.get("kind") == "updater"), mirror)
        modes = [(m["from"], m["to"]) for m in sim.events("mode")]
        self.assertEqual(modes, [(2, 4), (4, 0), (0, 4), (4, 2)])
        ipr = [e for e in sim.events("at") if e["cmd"].startswith("AT+IPR")]
        self.assertEqual([(e["mode"], e["cmd"]) for e in ipr], [(0, "AT+IPR=921600")])
        self.assertLess(self.index(sim, lambda e: e.get("cmd") == "AT+IPR=921600"), mirror)
        self.check_upgraded(sim, image)
        self.assertIn("5.1.1.0 [39529]", r.out.split("Bootloader0")[1].splitlines()[0])

    def test_recovery_with_updater_on_flash(self):
        """uart(True, '/flash/updater.elf'): the computer sends the firmware only."""
        sim = self.sim("--board", "--factory", factory=True, start=False)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000)
        sim.start("--board-updater", elf)
        image = sim.mkimage("CATM1-39529.dup", size=60000)
        r = run_cli("--board", "run", image, "--board-updater", "/flash/updater.elf",
                    port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("sqnsupgrade.uart(True, '/flash/updater.elf')", r.out)
        self.assertIn("Upgrader loaded successfully, modem is in upgrade mode", r.out)
        self.assertIn("The modem is in upgrade mode: resuming the upgrade", r.out)
        self.assertEqual(self.images(sim), [("bootrom", True), ("updater", True), ("full", True)])
        mirror = self.mirror_at(sim)
        self.assertLess(self.index(sim, lambda e: e.get("kind") == "updater"), mirror)
        self.assertGreater(self.index(sim, lambda e: e.get("kind") == "full"), mirror)
        self.check_upgraded(sim, image)

    def test_updater_missing_on_the_board(self):
        sim = self.board()
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("--board", "run", image, "--board-updater", "/flash/updater.elf",
                    port=sim.link)
        self.assertExit(r, 3)
        self.assertIn("ENOENT", r.err)
        self.assertIn("no such file", r.err)
        self.assertModemUnchanged(sim)
        self.assertEqual(sim.at_commands(), [])

    def test_info_through_the_board(self):
        sim = self.board()
        r = run_cli("--board", "info", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Your modem is in application mode. Here is the current version:", r.out)
        self.assertIn("LR5.1.1.0-38638", r.out)
        self.assertModemUnchanged(sim)
        self.assertEqual([e["recovery"] for e in sim.events("board_uart")], [False])

    def test_board_without_the_modem_is_refused(self):
        sim = self.board("--board-name", "LoPy4")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("--board", "run", image, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("is a LoPy4 (LoPy4 with ESP32)", r.err)
        self.assertIn("only GPy, FiPy and G01", r.err)
        self.assertEqual(len(r.err.strip().splitlines()), 1, r.err)
        # Nothing reached the modem, and uart() never ran.
        self.assertEqual(sim.at_commands(), [])
        self.assertEqual(sim.events("board_uart"), [])
        self.assertModemUnchanged(sim)

    def test_port_already_in_mirror_mode(self):
        sim = self.board("--board-mirror")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        start = time.monotonic()
        r = run_cli("--board", "run", image, port=sim.link)
        self.assertExit(r, 5)
        self.assertLess(time.monotonic() - start, 20)
        self.assertIn("no MicroPython REPL answered", r.err)
        self.assertIn("already be in mirror mode", r.err)
        self.assertIn("without --board", r.err)
        self.assertEqual(sim.at_commands(), [])
        # Then the plain command works, through the mirror.
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.check_upgraded(sim, image)

    def test_repl_that_hangs(self):
        sim = self.board("--board-hang")
        start = time.monotonic()
        r = run_cli("--board", "state", port=sim.link)
        elapsed = time.monotonic() - start
        self.assertExit(r, 5)
        self.assertLess(elapsed, 20)
        self.assertIn("no MicroPython REPL answered on '%s' at 115200 baud" % sim.link, r.err)
        self.assertIn("Ctrl-C twice and Ctrl-A", r.err)
        self.assertEqual(sim.at_commands(), [])

    def test_dry_run_changes_nothing(self):
        sim = self.board("--factory", factory=True)
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000)
        r = run_cli("--board", "run", image, elf, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("1. on the board: import sqnsupgrade; sqnsupgrade.uart(True)", r.out)
        self.assertEqual(sim.events("board_uart"), [])
        self.assertEqual(sim.at_commands(), [])

    def test_rate_above_the_mirror_refused(self):
        """-b above 921600 with --board: a usage error that says why, before any port opens."""
        for rate in ("3686400", "1843200", "115200"):
            r = run_cli("-b", rate, "--board", "run", os.path.join(self.workdir, "x.dup"),
                        port=os.path.join(self.workdir, "nothing"))
            self.assertExit(r, 2)
            self.assertIn("-b %s cannot go with --board" % rate, r.err)
            self.assertIn("does not follow a rate change", r.err)

    def test_board_options_refused_elsewhere(self):
        r = run_cli("--board", "list-ports")
        self.assertExit(r, 2)
        self.assertIn("--board goes with run, info, version, state and imei", r.err)
        r = run_cli("run", "x.dup", "--board-updater", "/flash/updater.elf", port="/dev/null")
        self.assertExit(r, 2)
        self.assertIn("--board-updater goes with --board", r.err)
        r = run_cli("--board", "info", port="socket://localhost:1")
        self.assertExit(r, 2)
        self.assertIn("socket://", r.err)


class MirrorModelTest(SimTestCase):
    """The simulated board's mirror: 921600 both sides, and AT+IPR is not followed."""

    def open(self, sim, rate):
        fd = os.open(sim.link, os.O_RDWR | os.O_NOCTTY)
        self.addCleanup(os.close, fd)
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        attrs[4] = attrs[5] = getattr(termios, "B%d" % rate)
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        return fd

    def ask(self, fd, line, until=b"OK\r\n", guard=3.0):
        os.write(fd, line)
        got = b""
        end = time.monotonic() + guard
        while until not in got and time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], end - time.monotonic())
            if ready:
                got += os.read(fd, 4096)
        return got

    def test_ipr_through_the_mirror_gives_noise(self):
        sim = self.sim("--board", "--board-mirror")
        sim.wait_for("boot")
        fd = self.open(sim, 921600)
        self.assertIn(b"OK\r\n", self.ask(fd, b"ATE0\r\n"))
        self.assertIn(b"OK\r\n", self.ask(fd, b"AT+IPR=115200\r\n"))
        # The modem listens at 115200 now; the bridge stays at 921600.
        self.assertNotIn(b"OK", self.ask(fd, b"AT\r\n", guard=1.0))
        mismatch = sim.events("rate_mismatch")
        self.assertEqual((mismatch[-1]["host"], mismatch[-1]["modem"]), (921600, 115200))
        # The host moving to 115200 does not help: the board's USB side stays at 921600.
        fd2 = self.open(sim, 115200)
        self.assertNotIn(b"OK", self.ask(fd2, b"AT\r\n", guard=1.0))
        self.assertTrue(sim.events("board_rate_mismatch"))


if __name__ == "__main__":
    unittest.main()
