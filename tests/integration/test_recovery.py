# SPDX-License-Identifier: MIT
"""Recovery upgrades: boot ROM, updater.elf, rate negotiation, modes 0, 1, 3, PPP."""
import unittest

from harness import SimTestCase, run_cli, sha256_file

FULL_TRANSCRIPT = [
    "<<< Welcome to the SQN3330 firmware updater >>>",
    "Attempting AT wakeup...",
    "Starting STP (DO NOT DISCONNECT POWER!!!)",
    "Session opened: version 1, max transfer 8192 bytes",
    "Sending 54854 bytes: [########################################] 100%",
    "Bootrom updated successfully, switching to upgrade mode",
    "Attempting AT auto-negotiation...",
    "Session opened: version 1, max transfer 2048 bytes",
    "Sending 306076 bytes: [########################################] 100%",
    "Attempting AT wakeup...",
    "Upgrader loaded successfully, modem is in upgrade mode",
    "Attempting AT wakeup...",
    "Starting STP ON_THE_FLY",
    "Session opened: version 1, max transfer 8192 bytes",
    "Sending 400000 bytes: [########################################] 100%",
    "Code download done, returning to user mode",
    "Upgrade completed!",
    "Here's the current firmware version:",
    "",
    "SYSTEM VERSION",
    "==============",
    "  FIRMWARE VERSION",
]


class RecoveryTest(SimTestCase):
    def files(self, sim, fw_size=400000):
        return (sim.mkimage("CATM1-39529.dup", size=fw_size),
                sim.mkimage("updater.elf", kind="updater", build=39529, size=306076),
                sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=54854))

    def images(self, sim):
        return [(e["method"], e["kind"], e["complete"]) for e in sim.events("image")]

    def test_first_upgrade_ever_full_transcript(self):
        sim = self.sim("--factory", "--build", "38638", factory=True)
        fw, elf, rom = self.files(sim)
        r = run_cli("run", fw, elf, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 0)
        self.assertLinesInOrder(r.out, FULL_TRANSCRIPT)
        self.assertRegex(r.out, r"\nResetting \(DO NOT DISCONNECT POWER!!!\)\.*\nUpgrade completed!")
        self.assertIn("Bootloader0  : 5.1.1.0 [39529]", r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual(self.images(sim), [("ON_THE_FLY", "bootrom", True), ("STP", "updater", True),
                                            ("ON_THE_FLY", "full", True)])
        self.assertEqual(sim.events("image")[2]["sha256"], sha256_file(fw))
        # The boot ROM goes ON_THE_FLY from upgrade mode (4), as the reference sends it.
        self.assertEqual([(m["from"], m["to"]) for m in sim.events("mode")],
                         [(2, 4), (4, 0), (0, 4), (4, 2)])
        otf = [e for e in sim.events("at") if e["cmd"] == 'AT+SMSTPU="ON_THE_FLY"']
        self.assertEqual([(e["mode"], e["result"]) for e in otf], [(4, "OK"), (4, "OK")])
        cmds = sim.at_commands()
        self.assertIn("AT+IPR=921600", cmds)
        self.assertIn("AT+STP", cmds)
        self.assertIn("AT+SMSWBOOT=0,1", cmds)
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_recovery_without_boot_rom_step(self):
        sim = self.sim("--build", "38638")   # boot ROM replaced earlier
        fw, elf, _ = self.files(sim, fw_size=50000)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertNotIn("Bootrom updated", r.out)
        self.assertIn("Upgrader loaded successfully, modem is in upgrade mode", r.out)
        self.assertEqual(self.images(sim), [("STP", "updater", True), ("ON_THE_FLY", "full", True)])

    def test_modem_already_in_recovery(self):
        sim = self.sim("--mode", "0")
        fw, elf, _ = self.files(sim, fw_size=50000)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Attempting AT auto-negotiation...", r.out)
        self.assertEqual(self.images(sim), [("STP", "updater", True), ("ON_THE_FLY", "full", True)])
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)

    def test_dry_run_in_recovery_mode_shows_the_plan(self):
        sim = self.sim("--mode", "0")
        fw, elf, _ = self.files(sim, fw_size=50000)
        r = run_cli("run", fw, elf, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Plan (dry run: nothing on the modem was changed):", r.out)
        self.assertIn("updater: negotiate 115200 -> 921600 baud, send updater.elf", r.out)
        self.assertModemUnchanged(sim)

    def test_recovery_mode_without_updater_is_refused(self):
        sim = self.sim("--mode", "0")
        fw, _, _ = self.files(sim, fw_size=5000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("recovery mode (0): it needs updater.elf with a full (not differential) image",
                      r.err)
        self.assertModemUnchanged(sim)

    def test_recovery_queries(self):
        sim = self.sim("--mode", "0")
        r = run_cli("state", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "0 recovery\n")
        r = run_cli("info", port=sim.link)
        self.assertExit(r, 9)  # not application mode: the mode does not allow the command
        self.assertEqual(r.out, "Your modem is in recovery mode! Use firmware.dup and updater.elf "
                                "to flash new firmware.\n")

    def test_slow_bootloader_still_negotiates(self):
        # 12 s of boot after the boot ROM step: longer than the reference tool's
        # 10 one-second tries.
        sim = self.sim("--factory", "--bootloader-ms", "12000", factory=True)
        fw, elf, rom = self.files(sim, fw_size=5000)
        r = run_cli("run", fw, elf, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)

    def test_slow_bootloader_found_at_start(self):
        sim = self.sim("--mode", "0", "--bootloader-ms", "12000")
        fw, elf, _ = self.files(sim, fw_size=5000)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)

    def test_factory_bootrom_without_bootrom_file_is_refused(self):
        sim = self.sim(factory=True)
        fw, elf, _ = self.files(sim, fw_size=5000)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("factory boot ROM (Bootloader0 33080)", r.err)
        self.assertIn("--bootrom BOOTROM", r.err)
        self.assertModemUnchanged(sim)

    def test_mtools_mode(self):
        sim = self.sim("--mode", "1")
        fw = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_updater_mode_3_resumes(self):
        sim = self.sim("--mode", "3")
        fw = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("resuming", r.out)
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_ppp_session_is_hung_up(self):
        sim = self.sim("--ppp")
        fw = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("+++ escape", r.out)
        self.assertIn("command", [e["state"] for e in sim.events("ppp")])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_old_firmware_without_smswboot_3_1(self):
        sim = self.sim("--old-firmware")
        fw = sim.mkimage("CATM1-39529.dup", size=20000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        cmds = sim.at_commands()
        self.assertIn("AT+SMSWBOOT=3,0", cmds)
        self.assertIn("AT^RESET", cmds)
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)


if __name__ == "__main__":
    unittest.main()
