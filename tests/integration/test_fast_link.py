# SPDX-License-Identifier: MIT
"""--baud above 921600: the transfer moves to the faster rate with AT+IPR, or stays."""
import unittest

from harness import SimTestCase, run_cli, sha256_file


class FastLinkTest(SimTestCase):
    def check_done(self, sim, image):
        last = sim.events("image")[-1]
        self.assertTrue(last["complete"])
        self.assertEqual(last["sha256"], sha256_file(image))
        self.assertEqual(sim.events("boot")[-1]["mode"], 2)

    def check_fast_transfer(self, sim, image, rate):
        """The modem, in upgrade mode, took AT+IPR=rate once; the line never garbled."""
        ipr = [e for e in sim.events("at") if e["cmd"] == "AT+IPR=%d" % rate]
        self.assertEqual([(e["mode"], e["result"]) for e in ipr], [(4, "OK")])
        self.assertEqual(sim.events("rate_mismatch"), [])
        self.check_done(sim, image)

    def test_transfer_at_4000000(self):
        sim = self.sim("--max-rate", "4000000")
        image = sim.mkimage("CATM1-39529.dup", size=80000)
        r = run_cli("-b", "4000000", "run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertLinesInOrder(r.out, ["Attempting AT wakeup...", "Transfer at 4000000 baud",
                                        "Starting STP ON_THE_FLY", "Upgrade completed!"])
        self.check_fast_transfer(sim, image, 4000000)
        # The application came back at its own rate and answers there.
        r = run_cli("state", port=sim.link)
        self.assertEqual(r.out, "2 application\n")

    def transfer_seconds(self, sim):
        """From the session's opening to the image's end, by the simulator's clock."""
        opened = sim.events("stp_open")
        done = sim.events("image")
        self.assertEqual((len(opened), len(done)), (1, 1))
        return (done[0]["t"] - opened[0]["t"]) / 1000.0

    def test_faster_rate_moves_the_bytes_faster(self):
        # Paced like a UART (rate/10 bytes a second each way, at the modem's current rate):
        # at 921600 the image takes at least size/92160 s; at 4000000 it must take less
        # than that bound, which no transfer at 921600 can, whatever the machine's load.
        size = 600000
        floor_921600 = size / 92160.0
        slow = self.sim("--pace", "--max-rate", "4000000", name="slow")
        image = slow.mkimage("CATM1-39529.dup", size=size)
        r = run_cli("run", image, port=slow.link)
        self.assertExit(r, 0)
        self.check_done(slow, image)
        slow_s = self.transfer_seconds(slow)
        self.assertGreaterEqual(slow_s, 0.95 * floor_921600, "the simulator did not pace")
        fast = self.sim("--pace", "--max-rate", "4000000", name="fast")
        r = run_cli("-b", "4000000", "run", image, port=fast.link)
        self.assertExit(r, 0)
        self.check_fast_transfer(fast, image, 4000000)
        fast_s = self.transfer_seconds(fast)
        self.assertLess(fast_s, 0.75 * floor_921600, (slow_s, fast_s))
        self.assertLess(fast_s, slow_s, (slow_s, fast_s))

    def test_transfer_at_3686400(self):
        # No termios B-constant: the host sets it through termios2 (BOTHER).
        sim, image, r = self.upgrade("--max-rate", "4000000", size=80000, cli=["-b", "3686400"])
        self.assertIn("Transfer at 3686400 baud", r.out)
        self.check_fast_transfer(sim, image, 3686400)

    def test_cable_that_cannot_carry_the_rate(self):
        # Both ends accept 3686400, but the cable garbles it: the modem is stranded there.
        sim, image, r = self.upgrade("--max-rate", "4000000", "--line-max", "921600",
                                     size=40000, cli=["-b", "3686400"], status=5)
        self.assertIn("the modem moved to 3686400 baud, but this port or cable does not carry "
                      "that rate", r.err)
        self.assertIn("Do not use -b 3686400 with this port.", r.err)
        self.assertIn("The modem is in upgrade mode (4)", r.err)
        self.assertTrue(sim.events("line_noise"))
        self.assertEqual(sim.events("image"), [])
        # The printed command, after a power cycle (the modem restarts at 921600), finishes.
        cmd = [l.strip() for l in r.err.splitlines() if l.strip().startswith("sqnsupgrade -p")]
        self.assertEqual(len(cmd), 1, r.err)
        self.assertNotIn("-b", cmd[0].split())
        self.assertTrue(cmd[0].endswith(" --resume"), cmd[0])
        sim.stop()
        sim.start()
        r = run_cli(*cmd[0].split()[3:], port=sim.link)
        self.assertExit(r, 0)
        self.check_done(sim, image)

    def test_modem_refuses_the_rate(self):
        sim = self.sim("--max-rate", "921600")
        image = sim.mkimage("CATM1-39529.dup", size=40000)
        r = run_cli("-b", "4000000", "run", image, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("refused 4000000 baud: the transfer runs at 921600", r.err)
        self.assertEqual([e["result"] for e in sim.events("at") if e["cmd"].startswith("AT+IPR")],
                         ["ERROR"])
        self.check_done(sim, image)


if __name__ == "__main__":
    unittest.main()
