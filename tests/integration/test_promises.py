# SPDX-License-Identifier: MIT
"""What the README promises and no other test exercised: --log, --pkgdebug, --rtscts, the
exclusive open (TIOCEXCL) on its own, and the "no answer yet" line of a slow updater start.

(Exit statuses 1 and 6 are rows of the fault matrix, test_faults.py; SIGTERM is in
test_hostile.py; info in mtools mode in test_queries.py; the core's flash size in
tests/docs/core_size.sh.)
"""
import errno
import os
import re
import subprocess
import sys
import termios
import unittest

from harness import (HANG_GUARD, SimTestCase, as_nobody, cli_command, open_for_nobody, run_cli,
                     sha256_file)

STAMP = re.compile(r"^ *(\d+)\.(\d{3}) (.*)$")
STP_LINE = re.compile(r"^\[stp\] ([<>]) (\w+)( \(answer\))? sid=(\d+) tid=(\d+) len=(\d+)$")
HEX_LINE = re.compile(r"^\[(tx|rx)\] ([0-9a-f]{4}): ((?:[0-9a-f]{2} )*[0-9a-f]{2}) +\|.*\|$")

# Opens a path as the caller (for as_nobody): prints "ok" or the errno of open(2). It takes
# no lock, so only TIOCEXCL can refuse it on a tty.
OPENER = ("import os, sys\n"
          "try:\n"
          "    os.close(os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK))\n"
          "    print('ok')\n"
          "except OSError as e:\n"
          "    print(e.errno)\n")


def read_log(path):
    """The transcript: (header lines, [(ms, text)] for the stamped lines)."""
    headers, stamped = [], []
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("# "):
                headers.append(line)
                continue
            m = STAMP.match(line)
            assert m, "a line without its time stamp: %r" % line
            stamped.append((int(m.group(1)) * 1000 + int(m.group(2)), m.group(3)))
    return headers, stamped


def subsequence(seq, wanted):
    it = iter(seq)
    return all(any(x == w for x in it) for w in wanted)


class LogTest(SimTestCase):
    def test_log_is_a_transcript_of_the_wire(self):
        # A transfer moved to 4000000 baud, one answer garbled (a retry), then a query
        # appended to the same file.
        size = 30000
        sim = self.sim("--max-rate", "4000000", "--corrupt-response", "5")
        image = sim.mkimage("CATM1-39529.dup", size=size)
        log = os.path.join(self.workdir, "wire.log")
        r = run_cli("-b", "4000000", "--log", log, "run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(len([e for e in sim.events("fault")
                              if e["kind"] == "corrupt_response"]), 1)
        headers, lines = read_log(log)
        self.assertEqual(len(headers), 2, headers)  # the run, then its port totals
        self.assertRegex(headers[0], r"^# sqnsupgrade \S+: run on %s$" % re.escape(sim.link))
        self.assertEqual([ms for ms, _ in lines], sorted(ms for ms, _ in lines))
        texts = [t for _, t in lines]
        # AT lines: every command the modem took, in its order, and the answers.
        sent = [t[len("[at] > "):] for t in texts if t.startswith("[at] > ")]
        self.assertTrue(subsequence(sent, sim.at_commands()), (sent, sim.at_commands()))
        self.assertIn("[at] < +SMUPGRADE: success", texts)
        self.assertIn("[at] < OK", texts)
        # STP summaries: each request and its answer; the blocks carry the image once, the
        # one garbled answer's request twice.
        stp = [STP_LINE.match(t).groups() for t in texts if t.startswith("[stp] ") and
               STP_LINE.match(t)]
        requests = [(op, int(tid), int(n)) for d, op, ans, sid, tid, n in stp if d == ">"]
        answers = [(op, int(tid)) for d, op, ans, sid, tid, n in stp if d == "<"]
        self.assertEqual(requests[:2], [("RESET", 0, 0), ("OPEN_SESSION", 1, 0)])
        self.assertEqual(requests[-1][0], "RESET")
        blocks = {tid: n for op, tid, n in requests if op == "TRANSFER_BLOCK"}
        self.assertEqual(sum(blocks.values()), size)
        self.assertEqual(len(requests) - len(set(requests)), 1, requests)
        self.assertEqual({(op, tid) for op, tid, _ in requests}, set(answers))
        self.assertIn("[stp] session open: version 1, max transfer 8192", texts)
        self.assertTrue(any(t.startswith("[stp] answer invalid (") for t in texts), texts)
        # Rate changes: up for the transfer, back to the application's rate.
        rates = [t for t in texts if t.startswith("[port] rate ")]
        self.assertTrue(subsequence(rates, ["[port] rate 4000000", "[port] rate 921600"]), rates)
        # Appended, not truncated: a later command adds its own part.
        with open(log) as f:
            before = f.read()
        r = run_cli("--log", log, "state", port=sim.link)
        self.assertExit(r, 0)
        with open(log) as f:
            after = f.read()
        self.assertTrue(after.startswith(before))
        self.assertRegex(after[len(before):], r"^# sqnsupgrade \S+: state on ")
        self.assertIn("[at] > AT+SMOD?", after[len(before):])


class PkgDebugTest(SimTestCase):
    def test_every_byte_is_dumped(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=5000)
        r = run_cli("--pkgdebug", "run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("Verified: modem now runs build 39529", r.out)
        dumped = {"tx": bytearray(), "rx": bytearray()}
        for line in r.err.splitlines():
            m = HEX_LINE.match(line)
            self.assertTrue(m, "not a hex dump line on stderr: %r" % line)
            dumped[m.group(1)] += bytes.fromhex(m.group(3))
        tx, rx = bytes(dumped["tx"]), bytes(dumped["rx"])
        sim.stop()
        # Every byte the modem read is in the dump, and nothing else.
        self.assertEqual(len(tx), sim.events("power_off")[-1]["rx_bytes"])
        self.assertIn(b"AT+SMSWBOOT=3,1\r", tx)
        with open(image, "rb") as f:
            data = f.read()
        for off in range(0, len(data), 2016):
            self.assertIn(data[off:off + 2016], tx)
        self.assertIn(b"+SYSSTART", rx)
        self.assertIn(b"tsaf", rx)
        self.assertIn(b"+SMUPGRADE: success", rx)


class PortTest(SimTestCase):
    """The port as the CLI sets it, looked at mid-run: the simulator is frozen (SIGSTOP)
    after the STP session opened, so the CLI waits for an answer, holding the port, for
    as long as the test looks."""

    def start_and_freeze(self, *cli, name, before=None, size=30000):
        sim = self.sim(name=name)
        if before:
            before(sim)
        image = sim.mkimage("CATM1-39529.dup", size=size)
        proc = subprocess.Popen(cli_command(*cli, "run", image, port=sim.link),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        sim.wait_for("stp_open")
        return sim, proc

    def finish(self, sim, proc):
        out, err = proc.communicate(timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"Verified: modem now runs build 39529", out)
        proc.stdout.close()
        proc.stderr.close()

    def cflag_mid_run(self, *cli, name, before=None):
        sim, proc = self.start_and_freeze(*cli, name=name, before=before)
        with sim.frozen():
            self.assertIsNone(proc.poll(), "the CLI was not in the middle of its run")
            # Root opens a tty despite TIOCEXCL; termios are the tty's, whoever reads them.
            fd = os.open(sim.link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            try:
                cflag = termios.tcgetattr(fd)[2]
            finally:
                os.close(fd)
        self.finish(sim, proc)
        return sim, cflag

    @staticmethod
    def set_crtscts(sim):
        fd = os.open(sim.link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            attrs = termios.tcgetattr(fd)
            attrs[2] |= termios.CRTSCTS
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        finally:
            os.close(fd)

    @unittest.skipUnless(os.geteuid() == 0, "only root may open the port while the CLI holds "
                                            "it (TIOCEXCL); CI runs as root")
    def test_rtscts_sets_hardware_flow_control(self):
        sim, cflag = self.cflag_mid_run("--rtscts", name="with")
        self.assertTrue(cflag & termios.CRTSCTS, "--rtscts, yet CRTSCTS is clear")
        # Without it the CLI clears it, though the tty has it set before the run.
        sim, cflag = self.cflag_mid_run(name="without", before=self.set_crtscts)
        self.assertFalse(cflag & termios.CRTSCTS, "no --rtscts, yet CRTSCTS is set")

    def nobody_opens(self, path):
        """open(2) of path as an unprivileged user, without any lock: "ok" or an errno."""
        proc = subprocess.run(as_nobody([sys.executable, "-c", OPENER, path]),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.decode().strip()

    def test_exclusive_open_refuses_a_second_opener_without_the_lock(self):
        # The port is locked twice: flock (which stops even root) and TIOCEXCL (which stops
        # any other opener, also one that never asks for the lock: a terminal program). The
        # lock file/flock is tested in test_bad_input; here TIOCEXCL alone: the second
        # opener takes no lock, and it is not root, whom TIOCEXCL lets through.
        sim = self.sim()
        open_for_nobody(self.workdir, sim.slave())
        self.assertEqual(self.nobody_opens(sim.slave()), "ok")  # the control: mode, owner
        image = sim.mkimage("CATM1-39529.dup", size=30000)
        proc = subprocess.Popen(cli_command("run", image, port=sim.link),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        sim.wait_for("stp_open")
        with sim.frozen():
            self.assertIsNone(proc.poll(), "the CLI was not in the middle of its run")
            self.assertEqual(self.nobody_opens(sim.slave()), str(errno.EBUSY))
            # A second sqnsupgrade as that user is refused at open(2), before its flock.
            r = run_cli("state", port=sim.link, unprivileged=True)
            self.assertExit(r, 4)
            self.assertIn("is in use by another program", r.err)
        self.finish(sim, proc)
        # Released at the end of the run.
        self.assertEqual(self.nobody_opens(sim.slave()), "ok")
        self.assertEqual(len(sim.events("image")), 1)
        self.assertEqual(sim.events("image")[0]["sha256"], sha256_file(image))


class SlowUpdaterTest(SimTestCase):
    def test_slow_updater_start_says_to_wait(self):
        # The recovery method from recovery mode: once updater.elf is loaded, the modem
        # takes 15 s to start it (and 15 s for the final reboot). The line comes at 10 s of
        # the clock, whatever a loaded machine does to the probes in between.
        sim = self.sim("--mode", "0", "--boot-ms", "15000")
        fw = sim.mkimage("CATM1-39529.dup", size=20000)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000)
        r = run_cli("run", fw, elf, port=sim.link)
        self.assertExit(r, 0)
        # "after N s": the first tick at or past 10 s (10 unless the machine held the CLI
        # back a whole second).
        hint = re.compile(r"^[A-Z][^:]*: no answer yet after (\d+) s, which is normal "
                          r"\(it can take a few minutes\)$")
        lines = r.out.splitlines()
        hints = [i for i, l in enumerate(lines) if hint.match(l)]
        self.assertEqual(len(hints), 1, r.out)
        self.assertTrue(10 <= int(hint.match(lines[hints[0]]).group(1)) < 15, lines[hints[0]])
        loaded = lines.index("Sending 30000 bytes: [" + "#" * 40 + "] 100%")
        started = lines.index("Upgrader loaded successfully, modem is in upgrade mode")
        self.assertTrue(loaded < hints[0] < started, r.out)
        self.assertEqual([(m["from"], m["to"]) for m in sim.events("mode")], [(0, 4), (4, 2)])


if __name__ == "__main__":
    unittest.main()
