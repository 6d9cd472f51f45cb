# SPDX-License-Identifier: MIT
"""What the field does (docs/protocol.md section 11): Pycom's real release names, the user's
document's first-time command, the two-part release, the modem's own words when it refuses an
image, channels, and the awkward answers real modems gave (sqnsim's field options)."""
import os
import unittest

from harness import SimTestCase, run_cli


class FieldTest(SimTestCase):
    def helpers(self, sim):
        return (sim.mkimage("updater.elf", kind="updater", build=39529, size=30000),
                sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=5000))

    def upgrades(self, sim):
        return [(u["result"], u["kind"], u["build"]) for u in sim.events("upgrade")]

    # ---- the first-time command of Pycom's instructions ----

    def test_first_time_command_differential_with_updater(self):
        # A factory modem (33080 everywhere): upgdiff_33080-to-39529.dup with updater.elf is the
        # recovery method with that image; the boot ROM comes from Pycom's library on a PC.
        sim = self.sim("--build", "33080", factory=True)
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=12000)
        elf, rom = self.helpers(sim)
        r = run_cli("run", diff, elf, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Upgrader loaded successfully, modem is in upgrade mode", r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual([(i["method"], i["kind"]) for i in sim.events("image")],
                         [("ON_THE_FLY", "bootrom"), ("STP", "updater"), ("ON_THE_FLY", "diff")])
        self.assertEqual(self.upgrades(sim)[-1][:2], ("success", "diff"))

    def test_first_time_command_checks_the_base_first(self):
        # The same command on a modem that runs another build: refused before anything changes,
        # naming the file beside it that fits.
        sim = self.sim("--build", "38638")
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=12000)
        fits = sim.mkimage("upgdiff_38638-to-39529.dup", kind="diff", frm=38638, size=12000)
        sim.mkimage("CATM1-39529.dup", size=20000)
        elf, _ = self.helpers(sim)
        r = run_cli("run", diff, elf, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("applies only to build 33080, and the modem runs build 38638", r.err)
        self.assertIn("The file that fits is beside it:\n  sqnsupgrade -p %s run %s\n"
                      % (sim.link, fits), r.err)
        self.assertIn("Nothing was changed on the modem.", r.err)
        self.assertModemUnchanged(sim)

    def test_differential_with_updater_in_recovery_mode(self):
        # In recovery mode the build cannot be read: one line says so, and the modem checks.
        sim = self.sim("--mode", "0", "--build", "33080")
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=12000)
        elf, _ = self.helpers(sim)
        r = run_cli("run", diff, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("The modem is in recovery mode (0), where its build cannot be read: the "
                      "modem itself checks that the differential image applies to build 33080.",
                      r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)

    def test_differential_for_another_base_in_recovery_is_refused_by_the_modem(self):
        sim = self.sim("--mode", "0", "--build", "38638")
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=12000)
        elf, _ = self.helpers(sim)
        r = run_cli("run", diff, elf, port=sim.link)
        self.assertExit(r, 7)
        self.assertIn("The modem refused the image. Its report: +SMUPGRADE: ", r.out)
        # The updater cannot boot an application it did not write: upgrade mode, full image.
        self.assertIn("stays in upgrade mode (4): it waits for a full image", r.err)
        self.assertIn("run FULL-IMAGE.dup", r.err)
        self.assertEqual(sim.events("upgrade")[-1]["result"], "fail")

    # ---- release names ----

    def test_real_release_names_plan_their_build(self):
        sim = self.sim("--build", "38638")
        for name, build in (("FIPY_GPY_CATM1_36417.dup", 36417),
                            ("FIPY_LR6.1.2.0-46262_SMDD.dup", 46262),
                            ("NB1-41019.dup", 41019)):
            image = sim.mkimage(name, build=build, size=3000)
            r = run_cli("run", image, "--dry-run", port=sim.link)
            self.assertExit(r, 0)
            self.assertIn("verify build %d" % build, r.out)
        self.assertModemUnchanged(sim)

    def test_switch_of_channel_is_said(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("NB1-41019.dup", build=41019, size=3000)
        r = run_cli("run", image, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("running build 38638 (CAT-M1)", r.out)
        self.assertIn("a switch of channel: the modem runs CAT-M1 firmware, NB1-41019.dup is "
                      "NB-IoT firmware", r.out)

    def test_name_without_build_reports_the_build(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("firmware.dup", build=39529, size=9000)
        r = run_cli("run", image, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("the name gives no build", r.out)
        self.assertIn("report the build it runs (the name gives none to verify)", r.out)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("The modem now runs build 39529 (the name 'firmware.dup' gives no build "
                      "to verify against)", r.out)

    def test_name_without_build_fails_only_on_evidence(self):
        # The modem still runs the build it ran before: that is evidence, exit 11.
        sim = self.sim("--build", "38638")
        image = sim.mkimage("firmware.dup", build=38638, size=9000)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 11)
        self.assertIn("The modem still runs build 38638, the build it ran before 'firmware.dup' "
                      "was sent.", r.err)

    # ---- the two-part release ----

    def parts(self, sim, both=True):
        p1 = sim.mkimage("CATM1-5.2-48829-1.dup", build=39529, size=12000, seed=1)
        p2 = sim.mkimage("CATM1-5.2-48829-2.dup", build=48829, size=12000, seed=2) if both else None
        return p1, p2

    def test_two_parts_in_one_run(self):
        sim = self.sim("--build", "38638")
        p1, p2 = self.parts(sim)
        r = run_cli("run", p1, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("CATM1-5.2-48829-1.dup (12000 bytes, part 1 of 2) ON_THE_FLY after a reboot "
                      "into upgrade mode; CAT-M1", r.out)
        self.assertIn("verify the intermediate build 39529", r.out)
        self.assertIn("part 2: send CATM1-5.2-48829-2.dup (12000 bytes) ON_THE_FLY", r.out)
        self.assertIn("verify build 48829", r.out)
        r = run_cli("run", p1, "--fff", port=sim.link)
        self.assertExit(r, 0)
        self.assertLinesInOrder(r.out, [
            "Part 1 of a two-part release always goes ON_THE_FLY (Pycom requires it): --fff is "
            "not used for it",
            "Starting STP ON_THE_FLY",
            "Verified: part 1 of 2 is in: the modem runs the intermediate build 39529",
            "Part 2 follows now, with no power cycle in between",
            "Starting STP ON_THE_FLY",
            "Verified: modem now runs build 48829",
        ])
        self.assertEqual([(i["method"], i["build"]) for i in sim.events("image")],
                         [("ON_THE_FLY", 39529), ("ON_THE_FLY", 48829)])
        self.assertEqual(len(sim.events("power_on")), 1)  # no power cycle between the parts

    def test_part1_alone_says_part2_must_follow(self):
        sim = self.sim("--build", "38638")
        p1, _ = self.parts(sim, both=False)
        r = run_cli("run", p1, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: part 1 of 2 is in: the modem runs the intermediate build 39529",
                      r.out)
        want = os.path.join(os.path.dirname(p1), "CATM1-5.2-48829-2.dup")
        self.assertIn("Part 2 of this release must follow now, before any power cycle or reset "
                      "of the modem. Run:\n  sqnsupgrade -p %s run %s\n" % (sim.link, want), r.out)

    def test_part2_needs_the_build_part1_leaves(self):
        sim = self.sim("--build", "38638")
        p1, p2 = self.parts(sim)
        r = run_cli("run", p2, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("'CATM1-5.2-48829-2.dup' is part 2 of a two-part release: it applies to the "
                      "intermediate build 39529 that part 1 leaves, and the modem runs build 38638",
                      r.err)
        self.assertIn("sqnsupgrade -p %s run %s\n" % (sim.link, p1), r.err)
        self.assertModemUnchanged(sim)
        # On the intermediate build, part 2 alone goes.
        sim2 = self.sim("--build", "39529", name="on39529")
        r = run_cli("run", p2, port=sim2.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 48829", r.out)


if __name__ == "__main__":
    unittest.main()
