# SPDX-License-Identifier: MIT
"""The field's modems (docs/protocol.md section 11), each habit an sqnsim option, driven end to end
through the CLI: first lines answered ERROR, crash dumps and URCs around answers, the 2017 showver
layout, a showver that fails once, a refused differential image that leaves the old firmware
working, the field's long waits, an FFF store stuck at 0 %, channels, and the second part of a
two-part release on the wrong base."""
import os
import unittest

from harness import SimTestCase, run_cli


class FieldModemTest(SimTestCase):
    def helpers(self, sim):
        return (sim.mkimage("updater.elf", kind="updater", build=39529, size=30000),
                sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=5000))

    def test_first_line_answered_error_after_every_boot(self):
        sim = self.sim("--first-error")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        # After power-on, after the reboot into upgrade mode and after the one back.
        self.assertGreaterEqual(len(sim.events("first_error")), 3)

    def test_first_line_error_in_the_boot_rom_too(self):
        # Recovery mode: the boot ROM answers its first line with its terse ERROR.
        sim = self.sim("--mode", "0", "--first-error")
        fw = sim.mkimage("CATM1-39529.dup", size=20000)
        elf, _ = self.helpers(sim)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn(0, [e.get("mode") for e in sim.events("first_error")])

    def test_crash_dumps_and_urcs_around_answers(self):
        sim = self.sim("--crash-dump", "3", "--urc", "2")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertTrue(sim.events("crash_dump"))
        self.assertTrue(sim.events("urc"))
        r = run_cli("info", port=sim.link)
        self.assertExit(r, 0)
        self.assertNotIn("+CPSMS", r.out)
        self.assertNotIn("+CEREG", r.out)

    def test_showver_2017_layout(self):
        sim = self.sim("--showver-2017", "--build", "38638")
        diff = sim.mkimage("upgdiff_38638-to-39529.dup", kind="diff", frm=38638, size=12000)
        r = run_cli("run", diff, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("running build 38638 (CAT-M1), boot ROM 38638", r.out)
        r = run_cli("run", diff, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("BUILD5.1.1.0-39529", r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)

    def test_showver_error_once(self):
        sim = self.sim("--showver-error-once")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(len(sim.events("showver_error")), 1)
        self.assertIn("Verified: modem now runs build 39529", r.out)

    def test_refused_differential_keeps_the_old_firmware(self):
        # A factory 46470 modem given the diff from 33080 (forced past the tool's own check):
        # the modem's words, its old firmware booted again, the image that fits named.
        sim = self.sim("--build", "46470", "--refusal-keeps-firmware")
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=12000)
        full = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", diff, "--force", port=sim.link)
        self.assertExit(r, 7)
        self.assertIn("The modem refused the image. Its report: +SMUPGRADE: "
                      "failure[diffUpgrade,239] Patch didn't apply!", r.out)
        self.assertIn("booted its old firmware again: it still runs build 46470", r.err)
        command = "sqnsupgrade -p %s run %s" % (sim.link, full)
        self.assertIn("\n  %s\n" % command, r.err)
        self.assertEqual(sim.events("upgrade")[-1].get("reason"), "patch")
        r = run_cli("state", port=sim.link)
        self.assertEqual(r.out, "2 application\n")
        r = run_cli("run", full, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)

    def test_refused_differential_without_old_firmware_waits_in_upgrade_mode(self):
        sim = self.sim("--build", "46470")
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=12000)
        full = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", diff, "--force", port=sim.link)
        self.assertExit(r, 7)
        self.assertIn("failure[diffUpgrade,239] Patch didn't apply!", r.out)
        self.assertIn("stays in upgrade mode (4): it waits for a full image", r.err)
        self.assertIn("sqnsupgrade -p %s run %s --resume" % (sim.link, full), r.err)
        r = run_cli("run", full, "--resume", port=sim.link)
        self.assertExit(r, 0)

    def test_field_timing(self):
        # +SYSSTART 25 s after AT+SMSWBOOT=1,1, an updater silent for 20 s: waited for.
        sim = self.sim("--mode", "0", "--field-timing")
        fw = sim.mkimage("CATM1-39529.dup", size=20000)
        elf, _ = self.helpers(sim)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertRegex(r.out, r"Resetting \(DO NOT DISCONNECT POWER!!!\)\.{20,}")

    def test_fff_store_stuck_suggests_on_the_fly(self):
        sim = self.sim("--fff-stuck")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", image, "--fff", "--stp-timeout", "2", "--stall-timeout", "6",
                    port=sim.link)
        self.assertExit(r, 6)
        self.assertTrue(sim.events("fff_stuck"))
        self.assertIn("file system is read-only; ON_THE_FLY, the default, does not use it", r.err)
        command = "sqnsupgrade -p %s run %s" % (sim.link, image)
        self.assertIn("power-cycle the board (disconnect power; the reset button is not enough), "
                      "then run:\n  %s\n" % command, r.err)
        # The power cycle (a restart of the simulator), then the printed command.
        sim.stop()
        sim.start()
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)

    def test_channel_switch_end_to_end(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("NB1-41019.dup", build=41019, size=20000, channel="nb1")
        self.assertEqual(run_cli("info", port=sim.link).out.count("Channel: CAT-M1"), 1)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 41019", r.out)
        r = run_cli("info", port=sim.link)
        self.assertIn("Channel: NB-IoT", r.out)
        self.assertIn("LR6.0.0.0-41019", r.out)

    def test_part2_forced_on_the_wrong_base_is_refused_by_the_modem(self):
        sim = self.sim("--build", "38638")
        p2 = sim.mkimage("CATM1-5.2-48829-2.dup", build=48829, frm=39529, size=12000)
        r = run_cli("run", p2, "--force", port=sim.link)
        self.assertExit(r, 7)
        self.assertEqual(sim.events("upgrade")[-1]["result"], "fail")

    def test_bootloader0_of_another_release_is_not_the_factory_one(self):
        sim = self.sim("--bootloader0", "41065", "--build", "41019", "--channel", "nb1")
        image = sim.mkimage("NB1-46262.dup", build=46262, size=20000, channel="nb1")
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertNotIn("factory", r.err)
        self.assertIn("Verified: modem now runs build 46262", r.out)


if __name__ == "__main__":
    unittest.main()
