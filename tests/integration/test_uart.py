# SPDX-License-Identifier: MIT
"""Mirror mode: `uart` prepares the modem, then bridges it to the computer's port."""
import os
import select
import signal
import subprocess
import unittest

from harness import HANG_GUARD, SimTestCase, cli_command, run_cli, sha256_file
import test_ports

MIRROR = "Going into MIRROR mode... please close this terminal to resume the upgrade via UART"


class UartTest(SimTestCase):
    pty_pair = test_ports.BridgeTest.pty_pair
    reap = test_ports.BridgeTest.reap

    def start_uart(self, sim, host, *args):
        """Run uart in the background; return once it says it is mirroring."""
        proc = subprocess.Popen(cli_command("uart", "--host", host, *args, port=sim.link),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(self.reap, proc)
        # Read the raw pipe (never the buffered reader, whose lines select() cannot see).
        fd = proc.stdout.fileno()
        text = b""
        while MIRROR.encode() + b"\n" not in text:
            ready, _, _ = select.select([fd], [], [], HANG_GUARD)
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                self.fail("uart ended before mirroring: %s%s" % (
                    text.decode(), proc.stderr.read().decode()))
            text += chunk
        return proc, text.decode()

    def stop_uart(self, proc):
        proc.send_signal(signal.SIGINT)
        self.assertEqual(proc.wait(timeout=HANG_GUARD), 0)

    def check_upgraded(self, sim, image):
        last = sim.events("image")[-1]
        self.assertTrue(last["complete"])
        self.assertEqual(last["sha256"], sha256_file(image))
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_normal_method(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=60000)
        _, a, b = self.pty_pair()
        proc, out = self.start_uart(sim, b)
        self.assertIn("Attempting AT wakeup...", out)
        # Prepared: the modem waits in upgrade mode, and nothing was sent yet.
        self.assertEqual([(m["from"], m["to"]) for m in sim.events("mode")], [(2, 4)])
        self.assertEqual(sim.events("image"), [])
        # The computer's side finishes the job through the mirror.
        r = run_cli("run", image, port=a)
        self.assertExit(r, 0)
        self.assertIn("The modem is in upgrade mode: resuming the upgrade", r.out)
        self.check_upgraded(sim, image)
        self.stop_uart(proc)

    def test_recovery_with_updater_and_bootrom(self):
        sim = self.sim("--factory", factory=True)
        image = sim.mkimage("CATM1-39529.dup", size=60000)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000)
        rom = sim.mkimage("bootrom.bin", kind="bootrom", size=20000)
        _, a, b = self.pty_pair()
        proc, out = self.start_uart(sim, b, "--recovery", "--updater", elf, "--bootrom", rom)
        self.assertIn("Bootrom updated successfully, switching to upgrade mode", out)
        self.assertIn("Upgrader loaded successfully, modem is in upgrade mode", out)
        r = run_cli("run", image, port=a)
        self.assertExit(r, 0)
        self.assertEqual([(e["kind"], e["complete"]) for e in sim.events("image")],
                         [("bootrom", True), ("updater", True), ("full", True)])
        self.check_upgraded(sim, image)
        self.stop_uart(proc)

    def test_recovery_without_updater_is_refused(self):
        sim = self.sim()
        r = run_cli("uart", "--host", os.path.join(self.workdir, "ttyX"), "--recovery",
                    port=sim.link)
        self.assertExit(r, 2)
        self.assertIn("needs --updater FILE", r.err)
        self.assertEqual(sim.at_commands(), [])


if __name__ == "__main__":
    unittest.main()
