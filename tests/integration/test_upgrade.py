# SPDX-License-Identifier: MIT
"""The upgrade of an application-mode modem, end to end through the CLI."""
import os
import re
import unittest

from harness import SimTestCase, run_cli, sha256_file

TRANSCRIPT = [
    "<<< Welcome to the SQN3330 firmware updater >>>",
    "Attempting AT wakeup...",
    "Starting STP ON_THE_FLY",
    "Session opened: version 1, max transfer 8192 bytes",
]
AFTER_TRANSFER = [
    "Code download done, returning to user mode",
    "Upgrade completed!",
    "Here's the current firmware version:",
    "SYSTEM VERSION",
    "==============",
    "  FIRMWARE VERSION",
]

# docs/protocol.md section 6, the normal flow, in order.
NORMAL_FLOW = [
    "AT+BIND=AT", "ATE0", "AT+SMOD?", 'AT+SQNSUPGRADENTF="started"', 'AT+SQNWL="sqndcc",2',
    "AT+CFUN=4", "AT+SMSWBOOT=3,1", "AT+CFUN=4", 'AT+SMSTPU="ON_THE_FLY"', "AT+SMUPGRADE?",
    "AT+SMSWBOOT?", "AT+SMSWBOOT=1,1", 'AT+SQNSUPGRADENTF="success"', 'AT!="showver"',
]


def subsequence(seq, wanted):
    it = iter(seq)
    return all(any(x == w for x in it) for w in wanted)


class UpgradeTest(SimTestCase):
    def check_image_received(self, sim, image, method):
        images = sim.events("image")
        self.assertEqual(len(images), 1, images)
        img = images[0]
        self.assertEqual(img["method"], method)
        self.assertEqual(img["bytes"], os.path.getsize(image))
        self.assertEqual(img["sha256"], sha256_file(image))
        self.assertTrue(img["complete"])
        ups = sim.events("upgrade")
        self.assertEqual([u["result"] for u in ups], ["success"])

    def check_running(self, sim, build):
        boots = sim.events("boot")
        self.assertEqual(boots[-1]["mode"], 2)
        self.assertEqual(boots[-1]["build"], build)

    def test_normal_upgrade(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=150000)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertLinesInOrder(r.out, TRANSCRIPT + AFTER_TRANSFER)
        self.assertIn("Software     : 5.1.1.0 [39529]", r.out)
        self.assertTrue(r.out.endswith("Verified: modem now runs build 39529\n"), r.out)
        self.assertIn("Sending 150000 bytes: [" + "#" * 40 + "] 100%", r.out)
        self.assertRegex(r.out, r"Resetting \(DO NOT DISCONNECT POWER!!!\)\.*\n")
        self.assertEqual(r.err, "")
        self.check_image_received(sim, image, "ON_THE_FLY")
        self.check_running(sim, 39529)
        cmds = sim.at_commands()
        self.assertTrue(subsequence(cmds, NORMAL_FLOW), cmds)
        # The one byte a modem may see as junk is the LF after the CR that switched it to STP.
        rejects = sim.events("stp_reject")
        self.assertTrue(all(e["reason"] == "junk" and e["value"] == 1 for e in rejects), rejects)
        self.assertLessEqual(len(rejects), 1)
        modes = [(m["from"], m["to"]) for m in sim.events("mode")]
        self.assertEqual(modes, [(2, 4), (4, 2)])

    def test_progress_without_tty_prints_one_line_per_ten_percent(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=100000)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        bars = [l for l in r.out.splitlines() if l.startswith("Sending 100000 bytes: [")]
        self.assertEqual([l[-4:].strip() for l in bars],
                         ["%d%%" % p for p in range(0, 101, 10)])
        self.assertNotIn("\r", r.out)

    def test_long_silence_says_the_modem_is_busy(self):
        # A flash erase near 8 %: the modem holds its answer 8 s, 5 s past the 3 s after
        # which the hint comes.
        sim, _, r = self.upgrade("--stall-at", "8:8000", size=100000)
        self.assertEqual(len(sim.events("stall")), 1)
        lines = r.out.splitlines()
        hints = [i for i, l in enumerate(lines) if l.startswith("The modem is busy")]
        self.assertEqual(len(hints), 1, r.out)
        self.assertIn("this is normal", lines[hints[0]])
        bars = [i for i, l in enumerate(lines) if l.startswith("Sending 100000 bytes: [")]
        self.assertEqual(len(bars), 11, r.out)  # still one line per 10 %
        self.assertTrue(bars[0] < hints[0] < bars[-1], r.out)
        self.check_running(sim, 39529)

    def test_long_stall_in_a_log_is_reported_every_30_s(self):
        # Minutes are normal on hardware; a log must not look dead meanwhile. 40 s here:
        # the line at 30 s, with 10 s to spare before the answer and 20 s before a second.
        _, _, r = self.upgrade("--stall-at", "99:40000", size=100000)
        lines = r.out.splitlines()
        self.assertEqual(len([l for l in lines if l.startswith("The modem is busy")]), 1, r.out)
        self.assertEqual([l for l in lines if l.startswith("The modem is still busy")],
                         ["The modem is still busy after 30 s: this is normal, waiting..."])
        self.assertLinesInOrder(r.out, [
            "Sending 100000 bytes: [####################################    ]  90%",
            "The modem is still busy after 30 s: this is normal, waiting...",
            "Sending 100000 bytes: [########################################] 100%"])

    def test_short_silence_says_nothing(self):
        # 1 s of silence, 2 s under the hint's 3 s: a loaded machine cannot stretch it there.
        _, _, r = self.upgrade("--stall-at", "50:1000", size=100000)
        self.assertNotIn("busy", r.out)

    def test_slow_reboot_says_to_wait(self):
        # A modem that takes 15 s to come back from each reboot: "after 10 s" is due at 10 s
        # of the clock, 5 s before the modem answers, however slow the probes in between.
        _, _, r = self.upgrade("--boot-ms", "15000")
        # "after N s": the seconds of the first tick at or past 10 s (10 unless the machine
        # held the CLI back a whole second).
        hints = re.findall(r"^Rebooting into upgrade mode: no answer yet after (\d+) s, which "
                           r"is normal \(it can take a few minutes\)$", r.out, re.M)
        self.assertEqual(len(hints), 1, r.out)
        self.assertTrue(10 <= int(hints[0]) < 15, hints)
        hint = ("Rebooting into upgrade mode: no answer yet after %s s, which is normal "
                "(it can take a few minutes)" % hints[0])
        self.assertLinesInOrder(r.out, ["Attempting AT wakeup...", hint, "Starting STP ON_THE_FLY",
                                        "Upgrade completed!"])
        # After the transfer the wait shows as the document's row of dots.
        self.assertRegex(r.out, r"Resetting \(DO NOT DISCONNECT POWER!!!\)\.{10,}\n")

    def test_env_port_and_symlink(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=5000)
        link2 = os.path.join(self.workdir, "modem")
        os.symlink(sim.link, link2)
        r = run_cli("run", image, env={"SQNSUPGRADE_PORT": link2})
        self.assertExit(r, 0)
        self.check_running(sim, 39529)

    def test_residue_is_resent(self):
        sim = self.sim("--residue-every", "3")
        image = sim.mkimage("CATM1-39529.dup", size=60000, seed=7)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.check_image_received(sim, image, "ON_THE_FLY")

    def test_fff(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=80000)
        r = run_cli("run", image, "--fff", port=sim.link)
        self.assertExit(r, 0)
        self.assertLinesInOrder(r.out, [
            "Attempting AT wakeup...", "Starting STP FFF (DO NOT DISCONNECT POWER!!!)",
            "Session opened: version 1, max transfer 8192 bytes", "Upgrade completed!",
            "SYSTEM VERSION"])
        self.check_image_received(sim, image, "FFF")
        self.check_running(sim, 39529)
        cmds = sim.at_commands()
        self.assertIn("AT+SMSTPU", cmds)
        self.assertIn("AT+SMUPGRADE", cmds)
        self.assertNotIn("AT+SMSWBOOT=3,1", cmds)
        self.assertNotIn("AT+SMSWBOOT=1,1", cmds)

    def test_fff_too_big_falls_back_to_on_the_fly(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=4 * 1024 * 1024 + 1)
        r = run_cli("run", image, "--fff", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Firmware file is too big to load via FFF method. Using ON_THE_FLY\n",
                      r.out)
        self.check_image_received(sim, image, "ON_THE_FLY")

    def test_resume_from_upgrade_mode(self):
        sim = self.sim("--mode", "4", "--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=30000)
        r = run_cli("run", image, "--resume", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("The modem is in upgrade mode: resuming the upgrade", r.out)
        cmds = sim.at_commands()
        for prep in ('AT+SQNSUPGRADENTF="started"', 'AT+SQNWL="sqndcc",2', "AT+SMSWBOOT=3,1"):
            self.assertNotIn(prep, cmds)
        self.check_image_received(sim, image, "ON_THE_FLY")
        self.check_running(sim, 39529)

    def test_resume_found_without_flag(self):
        sim = self.sim("--mode", "4")
        image = sim.mkimage("CATM1-39529.dup", size=9000)
        r = run_cli("run", image, port=sim.link)
        self.assertExit(r, 0)
        self.check_running(sim, 39529)

    def test_rejected_image_says_state_and_next_command(self):
        # A differential image for another base build, forced past the host's check:
        # the modem refuses it after the transfer.
        sim = self.sim("--build", "38638")
        image = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=9000)
        r = run_cli("run", image, "--force", port=sim.link)
        self.assertExit(r, 7)
        self.assertIn("warning: --force", r.err)
        self.assertIn("rejected", r.err)
        self.assertIn("refused '%s'" % image, r.err)
        self.assertIn("sqnsupgrade -p %s run FULL-IMAGE.dup --resume" % sim.link, r.err)
        self.assertEqual([u["result"] for u in sim.events("upgrade")], ["fail"])
        # A full image then finishes the job.
        full = sim.mkimage("CATM1-39529.dup", size=9000)
        r = run_cli("run", full, "--resume", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.check_running(sim, 39529)


if __name__ == "__main__":
    unittest.main()
