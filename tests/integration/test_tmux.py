# SPDX-License-Identifier: MIT
"""The progress bar on a real terminal (tmux): one screen line, redrawn in place."""
import os
import re
import shlex
import subprocess
import time
import unittest

from harness import HANG_GUARD, SimTestCase, cli_command


class TmuxTest(SimTestCase):
    socket = None

    def tearDown(self):
        # Before the temporary folder (and the server's socket in it) goes.
        if self.socket:
            subprocess.run(["tmux", "-S", self.socket, "kill-server"], stderr=subprocess.DEVNULL,
                           timeout=HANG_GUARD)
        super().tearDown()

    def tmux(self, *args):
        proc = subprocess.run(["tmux", "-S", self.socket] + list(args), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout.decode(errors="replace")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "sqns").splitlines()

    def wait_screen(self, predicate):
        """Capture the pane until predicate(lines) holds; returns every capture taken."""
        captures = []
        end = time.monotonic() + HANG_GUARD
        while time.monotonic() < end:
            lines = self.screen()
            captures.append(lines)
            if predicate(lines):
                return captures
            # Between captures: a short wait on nothing, bounded by HANG_GUARD overall.
            time.sleep(0.02)
        self.fail("the pane never showed what was awaited:\n%s" % "\n".join(captures[-1]))

    def run_in_pane(self, args, width, height, port=None):
        """The CLI in a detached tmux pane of width x height; its exit status is echoed after."""
        self.socket = os.path.join(self.workdir, "tmux.sock")
        cmd = " ".join(shlex.quote(a) for a in cli_command(*args, port=port))
        shell = "env -u SQNSUPGRADE_PORT %s; echo \"EXIT=$?\"; exec cat" % cmd
        self.tmux("new-session", "-d", "-s", "sqns", "-x", str(width), "-y", str(height), shell)

    def test_bar_is_redrawn_in_place(self):
        # Paced like a real UART, with a flash erase at 50 %: 8 s, so the hint shown after
        # 3 s stays on screen 5 s, however slowly the captures come.
        sim = self.sim("--build", "38638", "--pace", "--stall-at", "50:8000")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=300000)
        self.run_in_pane(["run", image], 160, 60, port=sim.link)

        def sending(lines):
            return [i for i, l in enumerate(lines) if "Sending 300000 bytes: [" in l]

        self.wait_screen(lambda lines: sending(lines))
        during = self.wait_screen(
            lambda lines: any(l.startswith("EXIT=") for l in lines) or
            any(l.endswith("100%") for l in lines))
        final = self.wait_screen(lambda lines: any(l.startswith("EXIT=") for l in lines))[-1]
        self.assertIn("EXIT=0", final, "\n".join(final))
        self.assertIn("Verified: modem now runs build 39529", final)
        # Every capture: exactly one screen line holds the bar, always the same line.
        rows = set()
        bars = []
        for lines in during + [final]:
            found = sending(lines)
            self.assertEqual(len(found), 1, "\n".join(lines))
            rows.add(found[0])
            bars.append(lines[found[0]].rstrip())
        self.assertEqual(len(rows), 1, rows)
        # Beside the bar: bytes, throughput and ETA; during the erase, the busy hint.
        shown = "\n".join(sorted(set(bars)))
        self.assertTrue(any(re.search(r"\] +\d+%  \d+/293 KiB  [\d.]+ KiB/s  ETA \d+:\d\d$", b)
                            for b in bars), shown)
        self.assertTrue(any(re.search(r"\]  49%  modem busy for \d+ s: this is normal", b)
                            for b in bars), shown)
        self.assertTrue(all(len(b) < 160 for b in bars), shown)
        # ... and it changed between captures: redrawn, not appended.
        self.assertGreater(len(set(bars)), 2, bars)
        self.assertTrue(bars[-1].endswith("[" + "#" * 40 + "] 100%"), bars[-1])
        self.assertEqual(len(sim.events("image")), 1)

    def test_80_columns_show_throughput_and_eta(self):
        # The document's line takes 70 of 80 columns: the bar is shortened while it runs so that
        # throughput and ETA fit beside it, and ends as the document's line.
        sim = self.sim("--build", "38638", "--pace")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=300000)
        self.run_in_pane(["run", image], 80, 40, port=sim.link)

        def bar(lines):
            found = [l.rstrip() for l in lines if l.startswith("Sending 300000 bytes: [")]
            return found[0] if found else None

        during = self.wait_screen(lambda lines: any(l.startswith("EXIT=") for l in lines))
        bars = [bar(lines) for lines in during if bar(lines)]
        shown = "\n".join(sorted(set(bars)))
        self.assertTrue(any(re.search(r"\] +\d+%  [\d.]+ KiB/s  ETA \d+:\d\d$", b) for b in bars),
                        shown)
        self.assertTrue(all(len(b) <= 79 for b in bars), shown)
        self.assertIn("EXIT=0", during[-1], "\n".join(during[-1]))
        self.assertTrue(bars[-1].endswith("[" + "#" * 40 + "] 100%"), bars[-1])

    def test_narrow_terminal_gets_a_shorter_bar(self):
        # 50 columns: the document's 70-character line would wrap and could not be redrawn.
        sim = self.sim("--build", "38638", "--pace")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=300000)
        self.run_in_pane(["run", image], 50, 40, port=sim.link)

        def bar_rows(lines):
            return [i for i, l in enumerate(lines) if l.startswith("Sending 300000 bytes: [")]

        self.wait_screen(bar_rows)
        during = self.wait_screen(
            lambda lines: any(l.startswith("EXIT=") for l in lines) or
            any(re.search(r"\] +9\d%", l) for l in lines))
        rows = set()
        for lines in during:
            found = bar_rows(lines)
            self.assertEqual(len(found), 1, "\n".join(lines))
            rows.add(found[0])
            line = lines[found[0]].rstrip()
            self.assertLessEqual(len(line), 49, line)
            if not line.endswith("100%"):
                self.assertEqual(len(re.search(r"\[([# ]*)\]", line).group(1)), 20, line)
        self.assertEqual(len(rows), 1, rows)
        final = self.wait_screen(lambda lines: any(l.startswith("EXIT=") for l in lines))[-1]
        self.assertIn("EXIT=0", final, "\n".join(final))

    def test_fleet_lines_show_a_busy_modem(self):
        # Two modems at once; the second erases flash for 8 s at 50 % (its hint, after 3 s,
        # stays 5 s).
        quiet = self.sim("--pace", name="m0")
        busy = self.sim("--pace", "--stall-at", "50:8000", name="m1")
        image = quiet.mkimage("CATM1-39529.dup", size=100000)
        self.run_in_pane(["-p", quiet.link, "-p", busy.link, "run", image], 160, 60)
        during = self.wait_screen(lambda lines: any("modem busy for" in l for l in lines))
        rows = [l for l in during[-1] if l.startswith(busy.link[:28])]
        self.assertEqual(len(rows), 1, "\n".join(during[-1]))
        self.assertRegex(rows[0], r"sending firmware +\d+%  modem busy for \d+ s \(normal\)")
        final = self.wait_screen(lambda lines: any(l.startswith("EXIT=") for l in lines))[-1]
        self.assertIn("EXIT=0", final, "\n".join(final))
        # Once the modem answered, the hint went: no line of the final screen has it.
        self.assertFalse(any("modem busy" in l for l in final), "\n".join(final))


if __name__ == "__main__":
    unittest.main()
