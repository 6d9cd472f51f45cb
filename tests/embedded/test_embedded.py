# SPDX-License-Identifier: MIT
"""The example bare-metal port on the host (bm_host_upgrade) upgrading the simulator.

bm_host_upgrade is examples/baremetal/bm_port.c and bm_ring.c with the core,
a thread as the UART receive interrupt feeding the ring byte by byte, a thread
as the 1 kHz SysTick, and the image memory-mapped: the embedded build's code
paths, run rather than only compiled.
"""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import HANG_GUARD, SimTestCase, sha256_file  # noqa: E402
from test_upgrade import NORMAL_FLOW, subsequence  # noqa: E402

BM_HOST = os.environ.get("BM_HOST_BIN", os.path.join(HERE, "..", "..", "build", "tests",
                                                     "embedded", "bm_host_upgrade"))
STAGE_DONE = 3


class BareMetalPortTest(SimTestCase):
    def upgrade(self, sim, image, *flags):
        proc = subprocess.run([BM_HOST] + list(flags) + [sim.link, image], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=HANG_GUARD)
        out = proc.stdout.decode(errors="replace")
        self.assertEqual(proc.returncode, 0, "%s\n%s" % (out, proc.stderr.decode()))
        return out

    def check_upgraded(self, sim, image, out, method="ON_THE_FLY"):
        result = out.splitlines()[-1]
        self.assertTrue(result.startswith(
            "result: success (0), stage %d, build 39529, ring dropped 0," % STAGE_DONE), out)
        imgs = sim.events("image")
        self.assertEqual(len(imgs), 1, imgs)
        self.assertEqual(imgs[0]["method"], method)
        self.assertTrue(imgs[0]["complete"])
        self.assertEqual(imgs[0]["bytes"], os.path.getsize(image))
        self.assertEqual(imgs[0]["sha256"], sha256_file(image))
        self.assertEqual([u["result"] for u in sim.events("upgrade")], ["success"])
        boot = sim.events("boot")[-1]
        self.assertEqual((boot["mode"], boot["build"]), (2, 39529))

    def test_normal_upgrade(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=150000)
        out = self.upgrade(sim, image)
        self.check_upgraded(sim, image, out)
        self.assertIn("session: version 1, max transfer 8192", out)
        self.assertIn("progress 100%", out)
        self.assertTrue(subsequence(sim.at_commands(), NORMAL_FLOW), sim.at_commands())
        self.assertEqual([(m["from"], m["to"]) for m in sim.events("mode")], [(2, 4), (4, 2)])

    def test_fff_with_residues(self):
        sim = self.sim("--residue-every", "3")
        image = sim.mkimage("CATM1-39529.dup", size=60000, seed=3)
        out = self.upgrade(sim, image, "--fff")
        self.check_upgraded(sim, image, out, "FFF")

    def test_resume_from_upgrade_mode(self):
        sim = self.sim("--mode", "4")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        out = self.upgrade(sim, image, "--resume")
        self.check_upgraded(sim, image, out)
        self.assertNotIn("AT+SMSWBOOT=3,1", sim.at_commands())

    def test_lost_and_corrupted_answers_are_retried(self):
        sim = self.sim("--drop-request", "4", "--corrupt-response", "7")
        image = sim.mkimage("CATM1-39529.dup", size=40000, seed=5)
        out = self.upgrade(sim, image, "--stp-timeout", "2000")
        self.check_upgraded(sim, image, out)
        self.assertEqual(len(sim.events("stp_open")), 1)


if __name__ == "__main__":
    unittest.main()
