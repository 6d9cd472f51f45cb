# SPDX-License-Identifier: MIT
"""Safety checks: each refusal happens before the first byte that changes the modem."""
import unittest

from harness import SimTestCase, run_cli


class SafetyTest(SimTestCase):
    def test_differential_for_another_build_is_refused(self):
        sim = self.sim("--build", "38638")
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=9000)
        r = run_cli("run", diff, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("applies only to build 33080, and the modem runs build 38638", r.err)
        self.assertIn("upgdiff_38638-to-39529.dup", r.err)
        self.assertModemUnchanged(sim)

    def test_differential_on_its_base_build(self):
        sim = self.sim("--build", "38638")
        diff = sim.mkimage("upgdiff_38638-to-39529.dup", kind="diff", frm=38638, size=9000)
        r = run_cli("run", diff, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)

    def test_already_on_target_build(self):
        sim = self.sim("--build", "39529")
        fw = sim.mkimage("CATM1-39529.dup", size=9000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("The modem already runs build 39529: nothing to do", r.out)
        self.assertModemUnchanged(sim)
        r = run_cli("run", fw, "--force", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(len(sim.events("image")), 1)

    def test_first_upgrade_without_recovery_is_refused(self):
        sim = self.sim(factory=True)
        fw = sim.mkimage("CATM1-39529.dup", size=9000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("MUST use the recovery method", r.err)
        self.assertIn("sqnsupgrade -p %s run %s updater.elf --bootrom BOOTROM" % (sim.link, fw),
                      r.err)
        self.assertModemUnchanged(sim)
        r = run_cli("run", fw, "--force", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("warning: --force", r.err)

    def test_dry_run_changes_nothing(self):
        sim = self.sim("--build", "38638")
        fw = sim.mkimage("CATM1-39529.dup", size=921600)
        r = run_cli("run", fw, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Plan (dry run: nothing on the modem was changed):", r.out)
        self.assertIn("application mode (2) at 921600 baud, running build 38638", r.out)
        self.assertIn("firmware: send CATM1-39529.dup (921600 bytes, full image) ON_THE_FLY", r.out)
        self.assertRegex(r.out, r"estimated transfer time at 921600 baud: 1[01] s")
        self.assertModemUnchanged(sim)

    def test_dry_run_of_a_recovery(self):
        sim = self.sim(factory=True)
        fw = sim.mkimage("CATM1-39529.dup", size=9000)
        elf = sim.mkimage("updater.elf", kind="updater", size=3000)
        rom = sim.mkimage("bootrom.bin", kind="bootrom", size=3000)
        r = run_cli("run", fw, elf, "--bootrom", rom, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("1. boot ROM: send bootrom.bin (3000 bytes)", r.out)
        self.assertIn("2. updater: negotiate 115200 -> 921600 baud, send updater.elf", r.out)
        self.assertModemUnchanged(sim)

    def test_verification_catches_another_build(self):
        # The file says 40000, the image inside installs 39529.
        sim = self.sim("--build", "38638")
        fw = sim.mkimage("CATM1-40000.dup", build=39529, size=9000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 11)
        self.assertIn("The modem runs build 39529, not build 40000", r.err)


if __name__ == "__main__":
    unittest.main()
