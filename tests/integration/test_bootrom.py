# SPDX-License-Identifier: MIT
"""--bootrom: the raw boot ROM, Pycom's sqnsbr.py and sqnsbrz.py forms, step 4, and refusals.

The Python files are made here from a simulator boot ROM image, in the shape of Pycom's
modules: a class whose BOOTROM attribute is a base64 literal (sqnsbr.py), or the same literal
zlib-compressed first (sqnsbrz.py).
"""
import base64
import json
import os
import unittest
import zlib

from harness import SimTestCase, interrupt_transfer, run_cli, sha256_file

ROM_SIZE = 55570

MODULE = '''# A boot ROM carrier in the shape of Pycom's {name}, made by the test.

class bootrom(object):
    import binascii
{imports}
    def __init__(self):
        self.__size = len(self.BOOTROM)

    def get_size(self):
        return self.__size

    BOOTROM={value}
'''


def module_text(name, data, compressed, wrap=False, quote='"""'):
    """Python source holding data as Pycom's modules do."""
    payload = zlib.compress(data, 9) if compressed else data
    text = base64.b64encode(payload).decode()
    if wrap:  # line-wrapped base64, as base64.encodebytes writes it
        text = "\n".join(text[i:i + 76] for i in range(0, len(text), 76))
    literal = "binascii.a2b_base64(b%s%s%s)" % (quote, text, quote)
    value = "zlib.decompress(%s)" % literal if compressed else literal
    imports = "    import zlib\n" if compressed else ""
    return MODULE.format(name=name, imports=imports, value=value)


class BootromTest(SimTestCase):
    def write(self, name, content):
        path = os.path.join(self.workdir, name)
        with open(path, "wb" if isinstance(content, bytes) else "w") as f:
            f.write(content)
        return path

    def raw_rom(self, sim):
        return sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=ROM_SIZE)

    def first_upgrade_files(self, sim):
        return (sim.mkimage("CATM1-39529.dup", size=20000),
                sim.mkimage("updater.elf", kind="updater", build=39529, size=30000))

    def assertBootromReceived(self, sim, raw):
        roms = [e for e in sim.events("image") if e["kind"] == "bootrom"]
        self.assertTrue(roms, sim.events("image"))
        for rom in roms:
            self.assertTrue(rom["complete"], rom)
            self.assertEqual(rom["sha256"], sha256_file(raw))

    def first_upgrade(self, form, *simargs):
        """A factory modem's first upgrade with the boot ROM given in `form`."""
        sim = self.sim("--factory", "--build", "38638", *simargs, factory=True)
        raw = self.raw_rom(sim)
        with open(raw, "rb") as f:
            data = f.read()
        if form == "raw":
            rom = raw
        elif form == "sqnsbr.py":
            rom = self.write("sqnsbr.py", module_text("sqnsbr.py", data, False))
        else:
            rom = self.write("sqnsbrz.py", module_text("sqnsbrz.py", data, True, wrap=True))
        fw, elf = self.first_upgrade_files(sim)
        r = run_cli("run", fw, elf, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Bootrom updated successfully, switching to upgrade mode", r.out)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertBootromReceived(sim, raw)
        return sim, r

    # ---- the three forms, each in a whole first upgrade ----

    def test_raw_image(self):
        self.first_upgrade("raw")

    def test_sqnsbr_py(self):
        self.first_upgrade("sqnsbr.py")

    def test_sqnsbrz_py(self):
        self.first_upgrade("sqnsbrz.py")

    def test_shapes_of_the_literal(self):
        # The dry run decodes the file and names the boot ROM's size: no transfer needed.
        sim = self.sim(factory=True)
        raw = self.raw_rom(sim)
        with open(raw, "rb") as f:
            data = f.read()
        fw, elf = self.first_upgrade_files(sim)
        shapes = {
            "one_line.py": module_text("sqnsbr.py", data, False),
            "wrapped.py": module_text("sqnsbr.py", data, False, wrap=True),
            "single_quotes.py": module_text("sqnsbr.py", data, False, quote="'"),
            "triple_single.py": module_text("sqnsbrz.py", data, True, quote="'''"),
            "spaced.py": "import base64, zlib\nBOOTROM = zlib.decompress(\n    base64.b64decode("
                         "b'%s'))\n" % base64.b64encode(zlib.compress(data)).decode(),
        }
        for name, text in shapes.items():
            with self.subTest(name):
                rom = self.write(name, text)
                r = run_cli("run", fw, elf, "--bootrom", rom, "--dry-run", port=sim.link)
                self.assertExit(r, 0)
                self.assertIn("1. boot ROM: send %s (%d bytes)" % (name, ROM_SIZE), r.out)
        self.assertModemUnchanged(sim)

    # ---- step 4, and the boot ROM alone ----

    def test_boot_rom_sent_again_when_it_did_not_take(self):
        sim, r = self.first_upgrade("sqnsbrz.py", "--sticky-bootrom")
        self.assertLinesInOrder(r.out, [
            "Upgrade completed!",
            "The boot ROM (Bootloader0) still reads 33080 after the upgrade: sending it again, "
            "by the stored method (FFF)",
            "Starting STP FFF (DO NOT DISCONNECT POWER!!!)",
            "Verified: modem now runs build 39529",
            "Verified: boot ROM (Bootloader0) now build 39529"])
        self.assertEqual([(e["method"], e["kind"]) for e in sim.events("image")
                          if e["kind"] == "bootrom"], [("ON_THE_FLY", "bootrom"), ("FFF", "bootrom")])

    def test_factory_boot_rom_left_says_how_to_finish(self):
        # Firmware current, boot ROM the factory's, no boot ROM file: exit 0 and the command.
        sim = self.sim("--build", "39529", factory=True)
        fw = sim.mkimage("CATM1-39529.dup", size=9000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("still reads 33080, the factory's", r.err)
        self.assertIn("sqnsupgrade -p %s run %s --bootrom BOOTROM" % (sim.link, fw), r.err)
        self.assertIn("Pycom's sqnsbr.py, sqnsbrz.py or the raw image", r.err)
        self.assertModemUnchanged(sim)

    def test_boot_rom_only_on_a_current_modem(self):
        sim = self.sim("--build", "39529", factory=True)
        fw = sim.mkimage("CATM1-39529.dup", size=9000)
        raw = self.raw_rom(sim)
        r = run_cli("run", fw, "--bootrom", raw, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("only the boot ROM, stored (FFF)", r.out)
        self.assertModemUnchanged(sim)
        r = run_cli("run", fw, "--bootrom", raw, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: boot ROM (Bootloader0) now build 39529", r.out)
        self.assertEqual([(e["method"], e["kind"]) for e in sim.events("image")],
                         [("FFF", "bootrom")])
        self.assertBootromReceived(sim, raw)

    # ---- refusals: one line, exit 10, the modem never touched ----

    def refused(self, name, content, *words):
        sim = self.sim(factory=True)
        fw, elf = self.first_upgrade_files(sim)
        if content is None:  # one of the upgrade's own files, given as the boot ROM
            rom = {"CATM1-39529.dup": fw, "updater.elf": elf}[name]
        else:
            rom = self.write(name, content)
        r = run_cli("run", fw, elf, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 10)
        self.assertEqual(r.out, "")
        self.assertEqual(len(r.err.splitlines()), 1, r.err)
        self.assertTrue(r.err.startswith("sqnsupgrade: '%s'" % name), r.err)
        for w in words:
            self.assertIn(w, r.err)
        sim.stop()
        self.assertNothingSent(sim)

    def test_python_without_a_literal(self):
        self.refused("sqnsbr.py", "import binascii\n\nclass bootrom(object):\n"
                                  "    def __init__(self):\n"
                                  "        self.__size = len(self.BOOTROM)\n\n"
                                  "    BOOTROM = open('/flash/bootrom.bin', 'rb').read()\n",
                     "looks like Python but holds no base64 BOOTROM literal")

    def test_python_with_broken_base64(self):
        good = base64.b64encode(b"UPGR" + bytes(range(256)) * 4).decode()
        broken = good[:100] + "!*" + good[100:]
        self.refused("sqnsbr.py", 'BOOTROM=binascii.a2b_base64(b"""%s""")\n' % broken,
                     "not valid base64", "'!'")

    def test_python_with_truncated_base64(self):
        good = base64.b64encode(b"UPGR" + bytes(range(256)) * 4).decode()
        self.refused("sqnsbr.py", 'BOOTROM=binascii.a2b_base64(b"""%s""")\n' % good[:-3],
                     "not valid base64")

    def test_sqnsbrz_with_broken_zlib(self):
        packed = bytearray(zlib.compress(b"UPGR" + os.urandom(4000)))
        packed[len(packed) // 2:] = b"\xff" * (len(packed) - len(packed) // 2)
        text = 'BOOTROM=zlib.decompress(binascii.a2b_base64(b"""%s"""))\n' % (
            base64.b64encode(bytes(packed)).decode())
        self.refused("sqnsbrz.py", text, "zlib data is damaged")

    def test_python_literal_that_is_no_boot_rom(self):
        text = 'BOOTROM=binascii.a2b_base64(b"""%s""")\n' % (
            base64.b64encode(b"ELF?" + bytes(300)).decode())
        self.refused("sqnsbr.py", text, "not a boot ROM", "UPGR")

    def test_firmware_image_given_as_boot_rom(self):
        self.refused("CATM1-39529.dup", None, "is not a boot ROM: it starts with",
                     "(a boot ROM starts with UPGR)")

    def test_updater_given_as_boot_rom(self):
        self.refused("updater.elf", None, "is an ELF file (updater.elf), not a boot ROM")

    def test_text_file(self):
        self.refused("notes.txt", "The boot ROM is in Pycom's library, lib/sqnsupgrade.\n" * 5,
                     "is a text file, not a boot ROM")

    # ---- waits: the checking phase's hint, from the core's seconds ----

    def test_modem_still_checking_says_so_and_waits(self):
        # Ctrl-C mid-transfer; the resume at once finds the modem checking the partial image
        # for 12 s: one line when the wait starts, one hint after 10 s, seconds in --json.
        sim = self.sim("--pace", "--check-ms", "12000")
        fw = sim.mkimage("CATM1-39529.dup", size=400000)
        status, err, resume = interrupt_transfer(sim, fw)
        self.assertEqual(status, 8, err)
        self.assertIsNotNone(resume, err)
        r = run_cli("--json", *resume, port=sim.link)
        self.assertExit(r, 0)
        events = [json.loads(line) for line in r.out.splitlines()]
        waits = [e["seconds"] for e in events if e.get("phase") == "checking"
                 and e["event"] == "wait"]
        self.assertGreaterEqual(len(waits), 10, events)
        self.assertEqual(waits, sorted(waits))
        text = events[-1]["text"]
        self.assertIn("The modem is still checking an earlier image (AT+SMUPGRADE? on-going): "
                      "waiting for it...", text)
        self.assertRegex(text, r"Checking the earlier image: still on-going after 1\d s, which "
                               r"is normal")
        self.assertEqual(text.count("still on-going after"), 1, text)

    # ---- --stall-timeout ----

    def test_stall_timeout_validation(self):
        sim = self.sim()
        fw = sim.mkimage("CATM1-39529.dup", size=9000)
        for bad in ("x", "0", "-5", "100000"):
            r = run_cli("--stall-timeout", bad, "run", fw, port=sim.link)
            self.assertExit(r, 2)
            self.assertIn("bad timeout '%s'" % bad, r.err)
        self.assertModemUnchanged(sim)

    def test_a_stall_longer_than_the_limit_says_the_modem_hangs(self):
        sim = self.sim("--hang-at", "10000")
        fw = sim.mkimage("CATM1-39529.dup", size=40000)
        r = run_cli("--stall-timeout", "3", "--stp-timeout", "1", "run", fw, port=sim.link)
        self.assertExit(r, 6)
        self.assertIn("stayed silent for 3 s in one exchange of the transfer", r.err)
        self.assertIn("The modem is in upgrade mode (4)", r.err)
        self.assertIn("power-cycle the board (disconnect power", r.err)
        self.assertIn("sqnsupgrade -p %s run %s --resume" % (sim.link, fw), r.err)


if __name__ == "__main__":
    unittest.main()
