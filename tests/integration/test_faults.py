# SPDX-License-Identifier: MIT
"""The fault matrix: every single fault, at several positions of the transfer.

Each case first proves that its fault happened where it was put (the simulator
logs a `fault`, `stall`, `power_cut` or `vanish` event for it): a case whose
fault never fired would prove nothing. Then the run either completes through
retries the CLI really made (counted in its --log transcript), or stops cleanly
with the expected status and a message that names the modem's state and a
command; the simulator is then restarted from its state file (a power cycle)
and that command must finish the job with a byte-exact image. A table of
outcomes is printed at the end.

The byte faults are drawn from --seed: the same seed and the same host bytes
give the same faults, so each rate and seed below was chosen to strike several
times, and the case asserts that it did.
"""
import os
import re
import shlex
import signal
import unittest

from harness import SQNSUPGRADE, SimTestCase, run_cli, sha256_file

SIZE = 100000
BLOCK = 2016
NBLOCKS = (SIZE + BLOCK - 1) // BLOCK
POSITIONS = {"start": 0, "8%": SIZE * 8 // 100, "middle": SIZE // 2, "99%": SIZE * 99 // 100,
             "after": SIZE}
# Short host deadlines, so that a fault costs seconds, not minutes.
FAST_HOST = ["--stp-timeout", "2", "--apply-timeout", "30", "--boot-timeout", "30",
             "--wake-timeout", "10"]
STP_RESET, STP_BLOCK, STP_RESPONSE = 0, 3, 0x80
RETRY_LINE = re.compile(r"^\s*\d+\.\d{3} \[stp\] answer invalid \(.*\): retry (\d+)$")
REQUEST_LINE = re.compile(r"^\s*\d+\.\d{3} \[stp\] > (\w+) sid=(\d+) tid=(\d+) len=\d+$")

RESULTS = {}


def request_at(pos):
    """The STP request in flight at image byte `pos` (1-based, as sqnsim counts):
    RESET (1), OPEN_SESSION (2), then a TRANSFER_BLOCK_CMD and a TRANSFER_BLOCK a block."""
    if pos >= SIZE:
        return 3 + 2 * NBLOCKS  # the closing RESET
    return 4 + 2 * (pos // BLOCK)  # that block's TRANSFER_BLOCK


def op_at(pos):
    return STP_RESET if pos >= SIZE else STP_BLOCK


class FaultMatrix(SimTestCase):
    @classmethod
    def tearDownClass(cls):
        if not RESULTS:
            return
        rows = sorted({r for r, _ in RESULTS})
        cols = [c for c in list(POSITIONS) + ["-"] if any(k[1] == c for k in RESULTS)]
        width = max(len(r) for r in rows) + 2
        cell = max(len(v) for v in RESULTS.values()) + 2
        lines = ["", "fault matrix (fault x position -> outcome; retries the CLI made)",
                 "".ljust(width) + "".join(c.ljust(cell) for c in cols)]
        for r in rows:
            lines.append(r.ljust(width) +
                         "".join(RESULTS.get((r, c), "").ljust(cell) for c in cols).rstrip())
        table = "\n".join(lines) + "\n"
        print(table)
        path = os.environ.get("SQNS_FAULT_TABLE")
        if path:
            with open(path, "w") as f:
                f.write(table)

    def fresh(self, *fault, name):
        sim = self.sim(*fault, name=name)
        image = sim.mkimage("CATM1-39529.dup", size=SIZE, seed=11)
        return sim, image

    def assertByteExact(self, sim, image):
        last = sim.events("image")[-1]
        self.assertTrue(last["complete"], last)
        self.assertEqual(last["sha256"], sha256_file(image))
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def resume_command(self, r):
        lines = [l.strip() for l in r.err.splitlines() if l.startswith("  sqnsupgrade -p ")]
        self.assertEqual(len(lines), 1, "no single resume command in:\n%s" % r.err)
        argv = shlex.split(lines[0])
        return [SQNSUPGRADE] + argv[1:]

    @staticmethod
    def stp_retries(log):
        """The STP requests the CLI sent again (same op, sid and tid as one sent before),
        from its transcript: each retry of an exchange, and a second closing RESET."""
        sent, again = set(), 0
        with open(log) as f:
            for line in f:
                m = REQUEST_LINE.match(line.rstrip("\n"))
                if m:
                    again += m.groups() in sent
                    sent.add(m.groups())
        return again

    @staticmethod
    def at_retries(sim):
        """The AT commands the CLI sent again right after an ERROR."""
        ats = sim.events("at")
        return sum(1 for a, b in zip(ats, ats[1:])
                   if a["result"] == "ERROR" and b["cmd"] == a["cmd"])

    def run_case(self, row, col, fault, fired, status=0, retried=True, cli=()):
        """Run with the fault and check with fired(sim) that it struck where it was put.

        status 0: the fault must be absorbed (with retries if retried). Otherwise the run
        must stop cleanly with that status; the printed command, after a power cycle
        without the fault, finishes the job."""
        name = "%s-%s" % (row, col)
        sim, image = self.fresh(*fault, name=name)
        log = os.path.join(sim.workdir, "cli.log")
        r = run_cli(*FAST_HOST, *cli, "--log", log, "run", image, port=sim.link)
        fired(sim)
        retries = self.stp_retries(log) + self.at_retries(sim)
        if status == 0:
            self.assertExit(r, 0)
            self.assertByteExact(sim, image)
            if retried:
                self.assertGreater(retries, 0, "the fault fired, yet nothing was retried")
            RESULTS[(row, col)] = "ok, %d retr%s" % (retries, "y" if retries == 1 else "ies") \
                if retries else "ok"
            return
        self.assertExit(r, status)
        self.assertRegex(r.err, r"(upgrade mode \(4\)|recovery mode \(0\)|was not changed|"
                                r"new firmware is installed|The whole image was sent)", repr(r))
        cmd = self.resume_command(r)
        # Power cycle: stop the simulator if it still runs, start it from its state file
        # without the fault.
        sim.stop(signal.SIGKILL if sim.proc and sim.proc.poll() is None else signal.SIGTERM)
        sim.args = [a for a in sim.args if a not in fault]
        sim.start()
        r2 = run_cli(*cmd[1:])
        self.assertEqual(r2.status, 0, "resume command %s failed: %r" % (cmd, r2))
        self.assertByteExact(sim, image)
        RESULTS[(row, col)] = "stop %d, resumed" % r.status

    # ---- what fired, and where ----

    def assertFaultAt(self, sim, kind, pos):
        """One `kind` fault, on the STP request in flight at image byte pos."""
        n = request_at(pos)
        faults = [e for e in sim.events("fault") if e["kind"] == kind]
        self.assertEqual(len(faults), 1, faults)
        op = op_at(pos) | (STP_RESPONSE if kind.startswith("corrupt_") else 0)
        self.assertEqual((faults[0]["n"], faults[0]["op"], faults[0]["tid"]), (n, op, n - 1),
                         faults)

    def assertStallAt(self, sim, pct, ms):
        """One stall, in the block that brought the image to pct %."""
        stalls = sim.events("stall")
        self.assertEqual(len(stalls), 1, stalls)
        lo = SIZE * pct // 100
        self.assertTrue(lo <= stalls[0]["at"] < lo + BLOCK or stalls[0]["at"] == SIZE, stalls)
        self.assertEqual(stalls[0]["ms"], ms)

    def assertCutAt(self, sim, kind, n):
        events = sim.events(kind)
        self.assertEqual([e["at"] for e in events], [n], events)

    # ---- the matrix ----

    def test_dropped_request(self):
        for col, pos in POSITIONS.items():
            with self.subTest(position=col):
                self.run_case("drop-request", col, ["--drop-request", str(request_at(pos))],
                              lambda sim: self.assertFaultAt(sim, "drop_request", pos))

    def test_corrupted_response(self):
        for col, pos in POSITIONS.items():
            with self.subTest(position=col):
                # A garbled answer to the closing RESET still says the modem got it: the
                # session is over and nothing is resent.
                self.run_case("corrupt-response", col,
                              ["--corrupt-response", str(request_at(pos))],
                              lambda sim: self.assertFaultAt(sim, "corrupt_response", pos),
                              retried=pos < SIZE)

    def test_corrupted_signature(self):
        # The answer's "tsaf" garbled: no frame where one was due, resent at once.
        for col, pos in POSITIONS.items():
            with self.subTest(position=col):
                self.run_case("corrupt-signature", col,
                              ["--corrupt-signature", str(request_at(pos))],
                              lambda sim: self.assertFaultAt(sim, "corrupt_signature", pos),
                              retried=pos < SIZE)

    def test_modem_hangs_for_good(self):
        # Silent forever from the block at pos on: the exchange's silence limit
        # (--stall-timeout, 4 s here; 5 minutes by default) ends the run with 6 and --resume.
        for col, pos in POSITIONS.items():
            n = max(1, pos)
            tid = request_at(min(pos, SIZE - 1)) - 1  # the block that brings the image to n

            def fired(sim, n=n, tid=tid):
                hangs = [(e["at"], e["tid"]) for e in sim.events("fault") if e["kind"] == "hang"]
                self.assertEqual(hangs, [(n, tid)])

            with self.subTest(position=col):
                self.run_case("hang", col, ["--hang-at", str(n)], fired, status=6,
                              cli=["--stall-timeout", "4"])

    def test_stall_longer_than_the_answer_timeout(self):
        for col, pos in POSITIONS.items():
            pct = max(1, min(100, pos * 100 // SIZE))
            with self.subTest(position=col):
                self.run_case("stall 3s", col, ["--stall-at", "%d:3000" % pct],
                              lambda sim: self.assertStallAt(sim, pct, 3000))

    def test_power_cut(self):
        for col, pos in POSITIONS.items():
            n = max(1, pos)
            with self.subTest(position=col):
                self.run_case("power-cut", col, ["--power-cut-at", str(n)],
                              lambda sim: self.assertCutAt(sim, "power_cut", n), status=4)

    def test_port_vanishes(self):
        for col, pos in POSITIONS.items():
            n = max(1, pos)
            with self.subTest(position=col):
                self.run_case("port-vanishes", col, ["--vanish-at", str(n)],
                              lambda sim: self.assertCutAt(sim, "vanish", n), status=4)

    # Host->modem faults strike among the ~100 kB the host sends; modem->host ones among
    # the ~2.5 kB of answers, hence the higher rate. Each seed strikes several times, and
    # absorbably: a flipped bit in a residue-0 answer (CRC 0, so unprotected) would make
    # the host resend bytes the modem already has, and the modem reject the image.
    BYTE_FAULTS = [("--flip-rx", "0.00005", "7"), ("--drop-rx", "0.00005", "7"),
                   ("--flip-tx", "0.002", "3"), ("--drop-tx", "0.002", "7")]

    def test_byte_faults(self):
        for kind, rate, seed in self.BYTE_FAULTS:
            with self.subTest(fault=kind):
                def fired(sim, kind=kind):
                    events = [e for e in sim.events("fault") if e["kind"] == kind[2:].replace(
                        "-", "_")]
                    self.assertGreaterEqual(len(events), 2, "%s did not strike" % kind)
                self.run_case("%s %s" % (kind[2:], rate), "-", [kind, rate, "--seed", seed],
                              fired)

    def test_answers_invalid_after_every_retry(self):
        # Every answer's signature garbled: the first exchange (the opening RESET) fails
        # 1 + 4 times, then exit 6 (the transfer failed) with the modem in upgrade mode and
        # --resume.
        def fired(sim):
            faults = [(e["n"], e["op"], e["tid"]) for e in sim.events("fault")
                      if e["kind"] == "corrupt_signature"]
            self.assertEqual(faults, [(n, STP_RESET | STP_RESPONSE, 0) for n in range(1, 6)])
        self.run_case("invalid answers", "start", ["--corrupt-signature-every", "1"], fired,
                      status=6)
        log = os.path.join(self.workdir, "invalid answers-start", "cli.log")
        with open(log) as f:
            retries = [int(m.group(1)) for m in map(RETRY_LINE.match, f) if m]
        self.assertEqual(retries, [1, 2, 3, 4])

    AT_STEPS = ["AT+SQNSUPGRADENTF=\"started\"", "AT+CFUN=4", "AT+SMSWBOOT=3,1",
                "AT+SMSTPU=\"ON_THE_FLY\"", "AT+SMUPGRADE?", "AT+SMSWBOOT?", "AT+SMSWBOOT=1,1"]

    def assertAtErrors(self, sim, errors):
        """The ERROR answers given: [(command, its count)], in this order."""
        faults = [(e["cmd"], e["n"]) for e in sim.events("fault") if e["kind"] == "at_error"]
        self.assertEqual(faults, errors)

    def test_at_error_at_each_step(self):
        # One ERROR: the CLI gets past it (sends it again, or takes another way); 0.
        for step in self.AT_STEPS:
            with self.subTest(step=step):
                self.run_case("ERROR " + step, "-", ["--at-error", step],
                              lambda sim: self.assertAtErrors(sim, [(step, 1)]), retried=False)

    # A required step that keeps failing: its command and its one retry answered ERROR. The
    # final reboot has two forms (=1,1, and =1,0 then AT^RESET, as older firmware needs):
    # the step fails when both do.
    PERSISTENT = {
        "AT+CFUN=4": [("AT+CFUN=4", 1), ("AT+CFUN=4", 2)],
        "AT+SMSTPU=\"ON_THE_FLY\"": [("AT+SMSTPU=\"ON_THE_FLY\"", 1),
                                      ("AT+SMSTPU=\"ON_THE_FLY\"", 2)],
        "AT+SMSWBOOT=1,x": [("AT+SMSWBOOT=1,1", 1), ("AT+SMSWBOOT=1,0", 1),
                            ("AT+SMSWBOOT=1,0", 2)],
    }

    def test_persistent_at_error(self):
        # A clean stop (1) with the command that finishes the job, which then does.
        for step, errors in self.PERSISTENT.items():
            fault = []
            for cmd, n in errors:
                fault += ["--at-error", "%s:%d" % (cmd, n)]
            with self.subTest(step=step):
                self.run_case("ERROR x2 " + step, "-", fault,
                              lambda sim: self.assertAtErrors(sim, errors), status=1)

if __name__ == "__main__":
    unittest.main()
