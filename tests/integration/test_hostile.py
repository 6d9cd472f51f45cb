# SPDX-License-Identifier: MIT
"""A hostile or broken modem, and an impatient user: no crash, no hang, bounded memory."""
import re
import signal
import subprocess
import unittest

from harness import HANG_GUARD, SimTestCase, cli_command, run_cli, sha256_file, wait_output_line

GROWTH_KB = 4 * 1024  # what a hostile modem may add to the CLI's peak resident set
_baseline = []


def max_rss_kb():
    """The bound: the CLI's resident set at rest (sanitizers make it large) plus GROWTH_KB."""
    if not _baseline:
        _baseline.append(run_cli("--version", measure=True).max_rss_kb)
    return _baseline[0] + GROWTH_KB


class HostileModemTest(SimTestCase):
    def check_clean_failure(self, *simargs):
        sim = self.sim(*simargs)
        r = run_cli("--wake-timeout", "3", "state", port=sim.link, measure=True)
        self.assertExit(r, 5)
        self.assertIn("no modem answered AT", r.err)
        self.assertLess(r.max_rss_kb, max_rss_kb())
        image = sim.mkimage("CATM1-39529.dup", size=5000)
        r = run_cli("--wake-timeout", "3", "run", image, port=sim.link, measure=True)
        self.assertExit(r, 5)
        self.assertIn("The modem was not changed", r.err)
        self.assertLess(r.max_rss_kb, max_rss_kb())

    def test_nonsense_answers(self):
        self.check_clean_failure("--nonsense")

    def test_flooding_modem(self):
        self.check_clean_failure("--flood")

    def test_endless_line(self):
        sim = self.sim("--endless-line")
        r = run_cli("--wake-timeout", "3", "--at-timeout", "2", "info", port=sim.link,
                    measure=True)
        # A line that never ends is no answer: the CLI's own exit 5 with its message (a
        # crash or a sanitizer abort is a signal, which assertExit refuses).
        self.assertExit(r, 5)
        self.assertEqual(r.out, "Cannot determine modem state!\n")
        self.assertIn("sqnsupgrade: no modem answered AT on '%s'" % sim.link, r.err)
        self.assertLess(r.max_rss_kb, max_rss_kb())
        # The modem did babble: the line the CLI survived was really sent.
        self.assertEqual([e["kind"] for e in sim.events("babble")], ["endless_line"])


class InterruptTest(SimTestCase):
    def interrupt_during_transfer(self, sig):
        sim = self.sim("--pace")  # a transfer long enough to be interrupted
        image = sim.mkimage("CATM1-39529.dup", size=600000)
        proc = subprocess.Popen(cli_command("run", image, port=sim.link),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # Once image bytes went (the first progress line past 0 %): a RESET before any
        # block would leave the modem in STP without an image to judge.
        wait_output_line(proc, lambda l: re.match(r"Sending 600000 bytes: \[.*\] +[1-9]\d*%$", l))
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=HANG_GUARD)
        err = err.decode()
        # 8 is the CLI's own exit: a process killed by the signal would give -sig.
        self.assertEqual(proc.returncode, 8, err)
        self.assertIn("interrupted", err)
        self.assertIn("upgrade mode (4)", err)
        self.assertIn("sqnsupgrade -p %s run %s --resume" % (sim.link, image), err)
        # The session was closed with a RESET: the modem left STP and judged the image
        # (its log line may follow the answer the CLI exited on; seconds at most).
        images = sim.wait_for("image", guard=30)
        self.assertEqual(len(images), 1)
        self.assertFalse(images[0]["complete"])
        # The printed command finishes the job.
        r = run_cli("run", image, "--resume", port=sim.link)
        self.assertExit(r, 0)
        last = sim.events("image")[-1]
        self.assertTrue(last["complete"])
        self.assertEqual(last["sha256"], sha256_file(image))

    def test_ctrl_c_while_the_modem_holds_an_answer(self):
        # The signal lands between a block and its answer (the modem erases flash for 3 s):
        # the closing RESET must still be one the modem takes, the request after that block.
        sim = self.sim("--stall-at", "20:3000")
        image = sim.mkimage("CATM1-39529.dup", size=100000)
        proc = subprocess.Popen(cli_command("run", image, port=sim.link),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sim.wait_for("stall")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 8, err.decode())
        images = sim.wait_for("image", guard=30)
        self.assertEqual(len(images), 1)
        self.assertFalse(images[0]["complete"])
        self.assertEqual([e for e in sim.events("stp_reject") if e["reason"] != "junk"], [])
        r = run_cli("run", image, "--resume", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(sim.events("image")[-1]["sha256"], sha256_file(image))

    def test_ctrl_c_during_transfer_closes_the_session_and_says_how_to_resume(self):
        self.interrupt_during_transfer(signal.SIGINT)

    def test_sigterm_is_handled_like_ctrl_c(self):
        # The README: 8, interrupted (Ctrl-C, SIGTERM), the STP session closed first.
        self.interrupt_during_transfer(signal.SIGTERM)


if __name__ == "__main__":
    unittest.main()
