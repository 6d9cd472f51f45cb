# SPDX-License-Identifier: MIT
"""Conformance: every flow of the reference client, command by command, against sqnsim.

Each test runs the CLI against a simulated modem and compares what the updater did that changes
the modem with what the reference client sends in the same flow (docs/protocol.md section 6):
the AT commands that are not reads, each with the mode the modem was in, the STP transfers
(method, image kind) and the reboots (mode from, mode to), in order. The reference's sequences
below are transcribed row by row from its recorded dialogues, reads included, and go through the
same filter as the simulator's log.

Every difference the comparison lets through is one of docs/protocol.md section 10, named by its
D-number beside the allowance; nothing else may differ. Every AT command must answer OK, except
where a D-number says why ERROR is expected. Every transfer must be complete and byte-exact.
"""
import difflib
import os
import unittest

from harness import SimTestCase, run_cli, sha256_file


def REBOOT(frm, to):
    return ("REBOOT", frm, to)


def STP(method, kind):
    return ("STP", method, kind)


# ---- the reference's dialogues (an AT row is (mode, command)) ----

# Normal method, ON_THE_FLY: run(port, 'CATM1-39529.dup', load_fff=False), modem in mode 2.
REF_NORMAL_ON_THE_FLY = [
    (2, "AT"), (2, "AT+BIND=AT"), (2, "ATE0"), (2, "AT+SMLOG?"), (2, "AT+SMOD?"),
    (2, 'AT+SQNSUPGRADENTF="started"'), (2, "AT"), (2, 'AT+SQNWL="sqndcc",2'), (2, "AT+CFUN=4"),
    (2, "AT+SMSWBOOT=3,1"),
    REBOOT(2, 4),
    (4, "AT"), (4, "AT"), (4, "AT+CFUN=4"), (4, "AT+SMLOG?"), (4, 'AT+SMSTPU="ON_THE_FLY"'),
    STP("ON_THE_FLY", "full"),
    (4, "AT"), (4, "AT+SMUPGRADE?"), (4, "AT+SMSWBOOT?"), (4, "AT+SMUPGRADE?"),
    (4, "AT+SMSWBOOT=1,1"),
    REBOOT(4, 2),
    (2, "AT"), (2, "AT"), (2, 'AT+SQNSUPGRADENTF="success"'), (2, "AT"), (2, "AT"),
    (2, "AT+CGSN"), (2, "ATI1"),
]


def ref_stored(kind):
    """The stored method (FFF), the reference's PC default: run(port, FILE) in mode 2. The
    dialogue is the same for a full image and a differential one."""
    return [
        (2, "AT"), (2, "AT+BIND=AT"), (2, "ATE0"), (2, "AT+SMLOG?"), (2, "AT+SMOD?"),
        (2, 'AT+SQNSUPGRADENTF="started"'), (2, "AT"), (2, 'AT+SQNWL="sqndcc",2'),
        (2, "AT+CFUN=4"), (2, "AT+SMSTPU"),
        STP("FFF", kind),
        (2, "AT+SMUPGRADE"),
        REBOOT(2, 4),
        (4, "AT+SMUPGRADE?"),
        REBOOT(4, 2),
        (2, "AT+SMUPGRADE?"), (2, "AT+SMSWBOOT?"), (2, "AT+SMUPGRADE?"), (2, "AT"), (2, "AT"),
        (2, 'AT+SQNSUPGRADENTF="success"'), (2, "AT"), (2, "AT"), (2, "AT+CGSN"), (2, "ATI1"),
    ]


# Stored method (FFF): run(port, 'CATM1-39529.dup').
REF_FFF = ref_stored("full")
# Differential image: run(port, 'upgdiff_38638-to-39529.dup').
REF_DIFFERENTIAL = ref_stored("diff")

# Recovery method, step 1: the boot ROM, through upgrade mode (Bootloader0 reads 33080).
REF_RECOVERY_STEP1_BOOTROM = [
    (2, "AT"), (2, "AT+BIND=AT"), (2, "ATE0"), (2, "AT+SMLOG?"), (2, "AT+SMOD?"),
    (2, 'AT+SQNSUPGRADENTF="started"'), (2, "AT"), (2, 'AT+SQNWL="sqndcc",2'), (2, "AT+CFUN=4"),
    (2, "AT+SMSWBOOT=3,1"),
    REBOOT(2, 4),
    (4, "AT"), (4, "AT"), (4, "AT+CFUN=4"), (4, "AT+SMLOG?"), (4, 'AT+SMSTPU="ON_THE_FLY"'),
    STP("ON_THE_FLY", "bootrom"),
    (4, "AT+SMSWBOOT=0,1"),
    REBOOT(4, 0),
]

# Recovery method, steps 2 and 3: updater.elf from mode 0 (115200 -> 921600), then the firmware.
REF_RECOVERY_STEPS2_3 = [
    (0, "AT+SMOD?"), (0, "AT"), (0, "AT+IPR=921600"),
    (0, "AT+SMOD?"), (0, "AT+STP"),
    STP("STP", "updater"),
    REBOOT(0, 4),
    (4, "AT"), (4, "AT"), (4, "AT+SMOD?"), (4, 'AT+SMSTPU="ON_THE_FLY"'),
    STP("ON_THE_FLY", "full"),
    (4, "AT"), (4, "AT+SMUPGRADE?"), (4, "AT+SMSWBOOT?"), (4, "AT+SMUPGRADE?"),
    (4, "AT+SMSWBOOT=1,1"),
    REBOOT(4, 2),
    (2, "AT"), (2, "AT"), (2, 'AT+SQNSUPGRADENTF="success"'), (2, "AT"), (2, "AT"),
    (2, "AT+CGSN"), (2, "ATI1"),
]

# Recovery method, step 4: Bootloader0 still reads 33080 after the firmware: the boot ROM again,
# stored (FFF), in application mode.
REF_RECOVERY_STEP4_BOOTROM_FFF = [
    (2, "AT"), (2, "AT+BIND=AT"), (2, "ATE0"), (2, "AT+SMLOG?"), (2, "AT+SMOD?"),
    (2, 'AT+SQNSUPGRADENTF="started"'), (2, "AT"), (2, 'AT+SQNWL="sqndcc",2'), (2, "AT+CFUN=4"),
    (2, "AT+SMSTPU"),
    STP("FFF", "bootrom"),
    (2, "AT+SMUPGRADE"),
    REBOOT(2, 4),
    (4, "AT+SMUPGRADE?"),
    REBOOT(4, 2),
    (2, "AT+SMUPGRADE?"), (2, "AT+SMSWBOOT?"), (2, "AT+SMUPGRADE?"), (2, "AT"), (2, "AT"),
    (2, 'AT+SQNSUPGRADENTF="success"'),
]

# version(port).
REF_VERSION = [(2, "AT"), (2, "AT"), (2, "AT+CGSN"), (2, "ATI1")]

# ---- what is compared ----

# Reads: they change nothing on the modem, and reading more or less than the reference is
# deliberate: D1 (ATE0 after every boot), D3 (showver before planning and after the upgrade,
# AT+SMOD? after reboots, no AT+SMLOG?, no AT+CGSN/ATI1 at the end), D5 (AT+SMUPGRADE? polls
# where the reference sleeps). AT+BIND=AT is not a read: the reference sends it, so do we.
READS = {"AT", "ATE0", 'AT!="SHOWVER"', "AT+CGSN", "ATI1"}


def is_read(row):
    return isinstance(row[0], int) and (row[1].upper() in READS or row[1].endswith("?"))


def changes(rows):
    return [r for r in rows if not is_read(r)]


class Allowance:
    """One difference from the reference that docs/protocol.md section 10 documents."""

    def __init__(self, dnum, why, drop=lambda row: False, error_ok=lambda mode, cmd: False):
        self.dnum, self.why, self.drop, self.error_ok = dnum, why, drop, error_ok


# ATE0 is sent right after detection in whatever mode the modem is found, and after every boot;
# the boot ROM (mode 0) answers ERROR and never echoes anyway.
D1 = Allowance("D1", "ATE0 wherever the modem is found; ERROR in mode 0 tolerated",
               error_ok=lambda mode, cmd: cmd == "ATE0" and mode == 0)
# The detection binds the AT channel in whatever mode it finds the modem: in mode 0 (the boot
# ROM answers ERROR), and for the queries too (the reference's version() does not).
D2_MODE0 = Allowance("D2", "AT+BIND=AT right after detection in mode 0, answered ERROR",
                     drop=lambda row: row == (0, "AT+BIND=AT"),
                     error_ok=lambda mode, cmd: cmd == "AT+BIND=AT" and mode == 0)
D2_QUERY = Allowance("D2", "the queries start with the same detection, AT+BIND=AT included",
                     drop=lambda row: row == (2, "AT+BIND=AT"))


class ConformanceTest(SimTestCase):
    # ---- the comparison ----

    def sequence(self, sim):
        """What the updater did, from the simulator's log, as the dialogues' rows."""
        rows = []
        for ev in sim.events():
            if ev["ev"] == "at":
                rows.append((ev["mode"], ev["cmd"]))
            elif ev["ev"] == "image":
                rows.append(STP(ev["method"], ev["kind"]))
            elif ev["ev"] == "mode":
                rows.append(REBOOT(ev["from"], ev["to"]))
        return rows

    def assertConforms(self, sim, reference, allow=()):
        """Our changes equal the reference's, after the allowances; every answer OK unless an
        allowance expects ERROR."""
        ours = self.sequence(sim)
        errors = [(ev["mode"], ev["cmd"], ev["result"]) for ev in sim.events("at")
                  if ev["result"] != "OK" and not any(a.error_ok(ev["mode"], ev["cmd"])
                                                        for a in (D1,) + tuple(allow))]
        self.assertEqual(errors, [], "commands not answered OK (no D-number allows it)")
        got = [r for r in changes(ours) if not any(a.drop(r) for a in allow)]
        want = changes(reference)
        if got != want:
            self.fail("the updater's changes differ from the reference's%s\n%s" % (
                "".join("\n  allowed: %s %s" % (a.dnum, a.why) for a in allow),
                side_by_side(want, got)))

    def assertTransfersExact(self, sim, files):
        """Every STP session delivered a complete image, byte for byte the file's."""
        images = sim.events("image")
        self.assertEqual(len(sim.events("stp_start")), len(images), "a transfer without image")
        for img in images:
            path = files[img["kind"]]
            self.assertTrue(img["complete"], img)
            self.assertNotIn("bad_at", img)
            self.assertEqual(img["bytes"], os.path.getsize(path), img)
            self.assertEqual(img["sha256"], sha256_file(path), img)
        self.assertEqual([u["result"] for u in sim.events("upgrade")],
                         ["success"] * len(sim.events("upgrade")))

    def assertRuns(self, sim, build):
        boot = sim.events("boot")[-1]
        self.assertEqual((boot["mode"], boot["build"]), (2, build))

    def recovery_files(self, sim):
        return {"full": sim.mkimage("CATM1-39529.dup", size=30000),
                "updater": sim.mkimage("updater.elf", kind="updater", build=39529, size=20000),
                "bootrom": sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=6000)}

    # ---- the flows ----

    def test_normal_on_the_fly(self):
        sim = self.sim("--build", "38638")
        fw = sim.mkimage("CATM1-39529.dup", size=30000)
        r = run_cli("run", fw, port=sim.link)
        self.assertExit(r, 0)
        self.assertConforms(sim, REF_NORMAL_ON_THE_FLY)
        self.assertTransfersExact(sim, {"full": fw})
        self.assertRuns(sim, 39529)

    def test_fff(self):
        sim = self.sim("--build", "38638")
        fw = sim.mkimage("CATM1-39529.dup", size=30000)
        r = run_cli("run", fw, "--fff", port=sim.link)
        self.assertExit(r, 0)
        self.assertConforms(sim, REF_FFF)
        self.assertTransfersExact(sim, {"full": fw})
        self.assertRuns(sim, 39529)

    def test_differential(self):
        # The reference's run() stores by default; --fff asks us for the same method.
        sim = self.sim("--build", "38638")
        diff = sim.mkimage("upgdiff_38638-to-39529.dup", kind="diff", frm=38638, size=12000)
        r = run_cli("run", diff, "--fff", port=sim.link)
        self.assertExit(r, 0)
        self.assertConforms(sim, REF_DIFFERENTIAL)
        self.assertTransfersExact(sim, {"diff": diff})
        self.assertRuns(sim, 39529)

    def test_differential_default_method(self):
        # D6: without --fff we send ON_THE_FLY where the reference's PC run() stores (FFF): the
        # dialogue is then the normal method's, with the differential image.
        sim = self.sim("--build", "38638")
        diff = sim.mkimage("upgdiff_38638-to-39529.dup", kind="diff", frm=38638, size=12000)
        r = run_cli("run", diff, port=sim.link)
        self.assertExit(r, 0)
        d6 = [STP("ON_THE_FLY", "diff") if row == STP("ON_THE_FLY", "full") else row
              for row in REF_NORMAL_ON_THE_FLY]
        self.assertConforms(sim, d6)
        self.assertTransfersExact(sim, {"diff": diff})
        self.assertRuns(sim, 39529)

    def test_recovery_from_mode_0(self):
        # Steps 2 and 3. D8: the negotiation at 115200 is ours (the reference's PC path cannot).
        sim = self.sim("--mode", "0")
        files = self.recovery_files(sim)
        r = run_cli("run", files["full"], files["updater"], port=sim.link)
        self.assertExit(r, 0)
        self.assertConforms(sim, REF_RECOVERY_STEPS2_3, allow=(D2_MODE0,))
        self.assertTransfersExact(sim, files)
        self.assertRuns(sim, 39529)

    def test_first_upgrade_of_a_factory_modem(self):
        # Steps 1 to 3; the boot ROM took, so no step 4.
        sim = self.sim("--factory", "--build", "38638", factory=True)
        files = self.recovery_files(sim)
        r = run_cli("run", files["full"], files["updater"], "--bootrom", files["bootrom"],
                    port=sim.link)
        self.assertExit(r, 0)
        self.assertConforms(sim, REF_RECOVERY_STEP1_BOOTROM + REF_RECOVERY_STEPS2_3)
        self.assertTransfersExact(sim, files)
        self.assertRuns(sim, 39529)
        self.assertIn("Bootloader0  : 5.1.1.0 [39529]", r.out)

    def test_step_4_boot_rom_again_by_fff(self):
        # A modem whose Bootloader0 ignores a boot ROM sent ON_THE_FLY: still 33080 after the
        # firmware, so the boot ROM goes again, stored, in application mode.
        sim = self.sim("--factory", "--build", "38638", "--sticky-bootrom", factory=True)
        files = self.recovery_files(sim)
        r = run_cli("run", files["full"], files["updater"], "--bootrom", files["bootrom"],
                    port=sim.link)
        self.assertExit(r, 0)
        self.assertConforms(sim, REF_RECOVERY_STEP1_BOOTROM + REF_RECOVERY_STEPS2_3 +
                            REF_RECOVERY_STEP4_BOOTROM_FFF)
        self.assertTransfersExact(sim, files)
        self.assertRuns(sim, 39529)
        self.assertEqual(sim.events("upgrade")[-1]["kind"], "bootrom")
        self.assertEqual(sim.events("upgrade")[-1]["build"], 39529)

    def test_version(self):
        sim = self.sim("--build", "38638")
        r = run_cli("version", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("SYSTEM VERSION", r.out)
        self.assertConforms(sim, REF_VERSION, allow=(D2_QUERY,))
        self.assertModemUnchanged(sim)


def side_by_side(want, got):
    """The two sequences as a diff: '-' the reference only, '+' ours only."""
    def fmt(row):
        if isinstance(row[0], int):
            return "mode %d  %s" % row
        return "%s %s %s" % row
    return "\n".join(difflib.ndiff([fmt(r) for r in want], [fmt(r) for r in got]))

if __name__ == "__main__":
    unittest.main()
