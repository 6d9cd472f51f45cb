# SPDX-License-Identifier: MIT
"""What the reference client's order fixes on real modems, end to end.

Old firmware on every reboot, a garbled answer resent at once, a hung modem
bounded by the silence limit, a resume right after Ctrl-C while the modem
still checks what it got, and the boot ROM sent again by the stored method
when Bootloader0 still reads 33080 (the reference's step 4).
"""
import json
import re
import time
import unittest

from harness import SimTestCase, interrupt_transfer, run_cli, sha256_file


def json_events(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


class ReferenceOrderTest(SimTestCase):
    def files(self, sim, fw_size=60000):
        return (sim.mkimage("CATM1-39529.dup", size=fw_size),
                sim.mkimage("updater.elf", kind="updater", build=39529, size=30000),
                sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=5000))

    def reboots(self, sim):
        return [c for c in sim.at_commands() if c.startswith("AT+SMSWBOOT=") or c == "AT^RESET"]

    def test_old_firmware_falls_back_on_every_reboot(self):
        # Normal method: into upgrade mode (3) and back to the application (1).
        sim = self.sim("--old-firmware")
        fw, elf, _ = self.files(sim)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(self.reboots(sim), ["AT+SMSWBOOT=3,1", "AT+SMSWBOOT=3,0", "AT^RESET",
                                             "AT+SMSWBOOT=1,1", "AT+SMSWBOOT=1,0", "AT^RESET"])
        self.assertEqual([(m["from"], m["to"]) for m in sim.events("mode")], [(2, 4), (4, 2)])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)

    def test_old_firmware_falls_back_into_recovery(self):
        # The recovery method on a modem whose boot ROM was replaced: a reboot into mode 0.
        sim = self.sim("--old-firmware")
        fw, elf, _ = self.files(sim)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(self.reboots(sim)[:3], ["AT+SMSWBOOT=0,1", "AT+SMSWBOOT=0,0", "AT^RESET"])
        self.assertEqual([(m["from"], m["to"]) for m in sim.events("mode")],
                         [(2, 0), (0, 4), (4, 2)])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_garbled_signature_every_11th_answer_is_resent_at_once(self):
        # One byte of the signature of every 11th STP answer is corrupted. With a
        # 60 s answer timeout, a single garbled answer waited out would take a minute:
        # the whole 300 KB upgrade finishing sooner shows each was resent at once.
        sim = self.sim("--corrupt-signature-every", "11")
        fw = sim.mkimage("CATM1-39529.dup", size=300000)
        start = time.monotonic()
        r = run_cli("--json", "--stp-timeout", "60", "run", fw, port=sim.link)
        elapsed = time.monotonic() - start
        self.assertExit(r, 0)
        faults = [e for e in sim.events("fault") if e["kind"] == "corrupt_signature"]
        self.assertGreaterEqual(len(faults), 25)
        # Every garbled answer but the closing RESET's (never waited for) was resent once.
        resent = [e for e in faults if not (e["op"] == 0x80 and e["tid"] > 0)]
        retries = [e for e in json_events(r.out) if e.get("event") == "retry"]
        self.assertEqual(len(retries), len(resent))
        self.assertLess(elapsed, 60)
        last = sim.events("image")[-1]
        self.assertTrue(last["complete"])
        self.assertEqual(last["sha256"], sha256_file(fw))

    def test_hung_modem_stops_at_the_silence_limit(self):
        # The modem stops answering for good mid-transfer (its link stays up). Each
        # answer gets 4 s, the exchange 10 s of silence in all: it stops after two
        # resends, with two of its four retries left, and says what to do.
        sim = self.sim("--hang-at", "30000")
        fw = sim.mkimage("CATM1-39529.dup", size=100000)
        r = run_cli("-v", "--stp-timeout", "4", "--stall-timeout", "10", "run", fw,
                    port=sim.link)
        self.assertEqual(len(sim.events("hang")), 1)
        self.assertEqual(r.status, 6, repr(r))
        self.assertEqual(len(re.findall(r"retry \d of 4", r.err)), 2, r.err)
        self.assertIn("upgrade mode (4)", r.err)
        self.assertIn("power-cycle", r.err)
        self.assertIn("sqnsupgrade -p %s run %s --resume" % (sim.link, fw), r.err)

    def test_ctrl_c_then_the_printed_command_at_once(self):
        sim = self.sim("--pace", "--check-ms", "3000")
        fw = sim.mkimage("CATM1-39529.dup", size=400000)
        status, err, resume = interrupt_transfer(sim, fw)
        self.assertEqual(status, 8, err)
        self.assertIsNotNone(resume, err)
        # At once: the modem is still checking the partial image it got.
        r = run_cli(*resume, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("still checking an earlier image", r.out)
        checks = sim.events("check")
        self.assertEqual([c["state"] for c in checks[:2]], ["start", "done"])
        # Nothing was refused while the modem checked: the updater waited for it.
        self.assertNotIn("ERROR", [c["result"] for c in sim.events("at")
                                   if c["cmd"].startswith("AT+SMSTPU")])
        last = sim.events("image")[-1]
        self.assertTrue(last["complete"])
        self.assertEqual(last["sha256"], sha256_file(fw))


class BootRomAgainTest(SimTestCase):
    def test_boot_rom_that_did_not_take_is_sent_again_stored(self):
        # The modem takes the boot ROM ON_THE_FLY, but Bootloader0 keeps 33080.
        sim = self.sim("--factory", "--sticky-bootrom", factory=True)
        fw = sim.mkimage("CATM1-39529.dup", size=60000)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000)
        rom = sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=5000)
        r = run_cli("run", fw, elf, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertIn("The boot ROM (Bootloader0) still reads 33080 after the upgrade: sending it "
                      "again, by the stored method (FFF)", r.out)
        self.assertIn("Verified: boot ROM (Bootloader0) now build 39529", r.out)
        self.assertIn("Bootloader0  : 5.1.1.0 [39529]", r.out)
        images = [(e["method"], e["kind"], e["complete"]) for e in sim.events("image")]
        self.assertEqual(images, [("ON_THE_FLY", "bootrom", True), ("STP", "updater", True),
                                  ("ON_THE_FLY", "full", True), ("FFF", "bootrom", True)])

    def test_without_the_file_it_says_how_to_finish(self):
        # A modem found in recovery: no boot ROM step is possible before updater.elf.
        sim = self.sim("--mode", "0", "--bootloader0", "33080")
        fw = sim.mkimage("CATM1-39529.dup", size=60000)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000)
        rom = sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=5000)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertIn("33080", r.err)
        command = "sqnsupgrade -p %s run %s --bootrom BOOTROM" % (sim.link, fw)
        self.assertIn(command, r.err)
        # The printed command, with the file, finishes it: the boot ROM alone, stored.
        r = run_cli("run", fw, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: boot ROM (Bootloader0) now build 39529", r.out)
        self.assertEqual([e["kind"] for e in sim.events("image")], ["updater", "full", "bootrom"])
        self.assertEqual(sim.events("image")[-1]["method"], "FFF")


if __name__ == "__main__":
    unittest.main()
