"""The fault matrix: every single fault, at several positions of the transfer.

Each run either completes through retries, or stops cleanly with a message
that names the modem's state and a command; the simulator is then restarted
from its state file (a power cycle) and that command must finish the job with
a byte-exact image. A table of outcomes is printed at the end.
"""
import os
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

RESULTS = {}


def request_at(pos):
    """The STP request in flight at image byte `pos` (1-based, as sqnsim counts)."""
    if pos >= SIZE:
        return 3 + 2 * NBLOCKS  # the closing RESET
    return 4 + 2 * (pos // BLOCK)  # that block's TRANSFER_BLOCK


class FaultMatrix(SimTestCase):
    @classmethod
    def tearDownClass(cls):
        rows = sorted({r for r, _ in RESULTS})
        cols = [c for c in list(POSITIONS) + ["-"] if any(k[1] == c for k in RESULTS)]
        width = max(len(r) for r in rows) + 2
        lines = ["", "fault matrix (fault x position -> outcome)",
                 "".ljust(width) + "".join(c.ljust(14) for c in cols)]
        for r in rows:
            lines.append(r.ljust(width) + "".join(RESULTS.get((r, c), "").ljust(14) for c in cols))
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

    def run_case(self, row, col, fault, expect_retry_only=False):
        """Run with the fault; succeed, or fail cleanly and resume after a power cycle."""
        name = "%s-%s" % (row, col)
        sim, image = self.fresh(*fault, name=name)
        r = run_cli(*FAST_HOST, "run", image, port=sim.link)
        if r.status == 0:
            self.assertByteExact(sim, image)
            RESULTS[(row, col)] = "ok (retries)" if sim.events("stp_repeat") or \
                sim.events("stp_reject") else "ok"
            return
        self.assertFalse(expect_retry_only, "this fault must be absorbed by retries: %r" % r)
        self.assertNotIn(r.status, (0, 2, 3), repr(r))
        self.assertRegex(r.err, r"(upgrade mode \(4\)|recovery mode \(0\)|was not changed|"
                                r"new firmware is installed)", repr(r))
        cmd = self.resume_command(r)
        # Power cycle: stop the simulator if it still runs, start it from its state file
        # without the fault.
        sim.stop(signal.SIGKILL if sim.proc and sim.proc.poll() is None else signal.SIGTERM)
        sim.args = [a for a in sim.args if a not in fault]
        sim.start()
        r2 = run_cli(*cmd[1:])
        self.assertEqual(r2.status, 0, "resume command %s failed: %r" % (cmd, r2))
        self.assertByteExact(sim, image)
        RESULTS[(row, col)] = "resumed (%d)" % r.status

    def test_dropped_request(self):
        for col, pos in POSITIONS.items():
            with self.subTest(position=col):
                self.run_case("drop-request", col, ["--drop-request", str(request_at(pos))],
                              expect_retry_only=True)

    def test_corrupted_response(self):
        for col, pos in POSITIONS.items():
            with self.subTest(position=col):
                self.run_case("corrupt-response", col,
                              ["--corrupt-response", str(request_at(pos))],
                              expect_retry_only=True)

    def test_stall_longer_than_the_answer_timeout(self):
        for col, pos in POSITIONS.items():
            pct = max(1, min(100, pos * 100 // SIZE))
            with self.subTest(position=col):
                self.run_case("stall 3s", col, ["--stall-at", "%d:3000" % pct],
                              expect_retry_only=True)

    def test_power_cut(self):
        for col, pos in POSITIONS.items():
            with self.subTest(position=col):
                self.run_case("power-cut", col, ["--power-cut-at", str(max(1, pos))])

    def test_port_vanishes(self):
        for col, pos in POSITIONS.items():
            with self.subTest(position=col):
                self.run_case("port-vanishes", col, ["--vanish-at", str(max(1, pos))])

    def test_byte_faults(self):
        for kind in ("--flip-rx", "--flip-tx", "--drop-rx", "--drop-tx"):
            with self.subTest(fault=kind):
                self.run_case(kind[2:] + " 5e-5", "-", [kind, "0.00005", "--seed", "7"],
                              expect_retry_only=True)

    def test_at_error_at_each_step(self):
        steps = ["AT+SQNSUPGRADENTF=\"started\"", "AT+CFUN=4", "AT+SMSWBOOT=3,1",
                 "AT+SMSTPU=\"ON_THE_FLY\"", "AT+SMUPGRADE?", "AT+SMSWBOOT?",
                 "AT+SMSWBOOT=1,1"]
        for step in steps:
            with self.subTest(step=step):
                self.run_case("ERROR " + step, "-", ["--at-error", step])

    def test_persistent_at_error(self):
        # ERROR to the command and to its one retry: a clean stop, then the printed command.
        for step in ["AT+CFUN=4", "AT+SMSTPU=\"ON_THE_FLY\"", "AT+SMSWBOOT=1,1"]:
            with self.subTest(step=step):
                self.run_case("ERROR x2 " + step, "-",
                              ["--at-error", step + ":1", "--at-error", step + ":2"])


if __name__ == "__main__":
    unittest.main()
