# SPDX-License-Identifier: MIT
"""info, version, state and imei against the simulator."""
import unittest

from harness import SimTestCase, run_cli


class QueryTest(SimTestCase):
    def test_application_mode(self):
        sim = self.sim("--build", "38638", "--imei", "354346099225475")
        r = run_cli("state", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "2 application\n")
        r = run_cli("imei", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "354346099225475\n")
        r = run_cli("info", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out.splitlines(), [
            "Your modem is in application mode. Here is the current version:",
            "UE5.0.0.0d", "LR5.1.1.0-38638", "Channel: CAT-M1", "IMEI: 354346099225475"])
        r = run_cli("version", port=sim.link)
        self.assertExit(r, 0)
        lines = r.out.splitlines()
        self.assertEqual(lines[:3], ["SYSTEM VERSION", "==============", "  FIRMWARE VERSION"])
        self.assertIn("    Software     : 5.1.1.0 [38638] by robot-soft at 2018-08-20 09:51:46",
                      lines)
        # No echoed command leaks into the output.
        self.assertNotIn("AT", r.out.replace("AT ", ""))

    def test_upgrade_mode(self):
        sim = self.sim("--mode", "4")
        r = run_cli("state", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "4 upgrade\n")
        # info says the mode, and exits 9 (the mode does not allow the command): a script can
        # tell a modem left in upgrade mode from a working one.
        r = run_cli("info", port=sim.link)
        self.assertExit(r, 9)
        self.assertEqual(r.out,
                         "Your modem is in upgrade mode! Use firmware.dup to flash new firmware.\n")
        r = run_cli("version", port=sim.link)
        self.assertExit(r, 9)
        self.assertIn("upgrade mode (4)", r.err)

    def test_mtools_mode(self):
        # The README: info answers with the original tool's sentences, mtools mode included.
        sim = self.sim("--mode", "1")
        r = run_cli("state", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "1 mtools\n")
        r = run_cli("info", port=sim.link)
        self.assertExit(r, 9)  # not application mode: no version to show
        self.assertEqual(r.out, "Your modem is in mTools mode.\n")
        self.assertEqual(r.err, "")
        r = run_cli("version", port=sim.link)
        self.assertExit(r, 9)
        self.assertIn("mtools mode (1)", r.err)
        self.assertModemUnchanged(sim)

    def test_silent_modem_fails_cleanly(self):
        sim = self.sim("--silent")
        r = run_cli("--wake-timeout", "1.5", "info", port=sim.link)
        self.assertExit(r, 5)
        self.assertEqual(r.out, "Cannot determine modem state!\n")
        self.assertIn("power-cycle", r.err)
        r = run_cli("--wake-timeout", "1.5", "state", port=sim.link)
        self.assertExit(r, 5)
        image = sim.mkimage("CATM1-39529.dup", size=4000)
        r = run_cli("--wake-timeout", "1.5", "run", image, port=sim.link)
        self.assertExit(r, 5)
        self.assertIn("The modem was not changed", r.err)
        self.assertEqual(sim.events("stp_open"), [])

    def test_host_at_wrong_rate(self):
        sim = self.sim()
        r = run_cli("-b", "115200", "--wake-timeout", "1.5", "state", port=sim.link)
        self.assertExit(r, 5)
        self.assertIn("at 115200 baud", r.err)
        self.assertTrue(sim.events("rate_mismatch"))
        self.assertEqual(sim.at_commands(), [])
        # The same modem at the right rate answers.
        r = run_cli("state", port=sim.link)
        self.assertExit(r, 0)


if __name__ == "__main__":
    unittest.main()
