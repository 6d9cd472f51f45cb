# SPDX-License-Identifier: MIT
"""Several modems at once: `run` with -p given several times."""
import json
import unittest

from harness import SimTestCase, run_cli


class FleetTest(SimTestCase):
    def modems(self, n, *extra_for_last):
        sims = [self.sim(name="m%d" % i) for i in range(n - 1)]
        sims.append(self.sim(*extra_for_last, name="m%d" % (n - 1)))
        image = sims[0].mkimage("CATM1-39529.dup", size=60000)
        ports = []
        for s in sims:
            ports += ["-p", s.link]
        return sims, image, ports

    def test_all_succeed_with_json_summary(self):
        sims, image, ports = self.modems(4)
        r = run_cli(*ports, "--json", "run", image)
        self.assertExit(r, 0)
        summary = json.loads(r.out)
        self.assertEqual([m["port"] for m in summary], [s.link for s in sims])
        for m in summary:
            self.assertEqual((m["status"], m["old_build"], m["new_build"], m["error"]),
                             (0, 38638, 39529, ""))
            self.assertEqual(m["bytes"], 60000)
        for s in sims:
            self.assertEqual(s.events("boot")[-1]["build"], 39529)
            self.assertTrue(s.events("image")[-1]["complete"])

    def test_one_failure_does_not_stop_the_others(self):
        # --wake-timeout also bounds the healthy modems' waits (their 300 ms reboots, with
        # three simulators and three transfers on the machine): 15 s, not a tight 2 s. The
        # silent one costs those 15 s.
        sims, image, ports = self.modems(3, "--silent")
        r = run_cli(*ports, "--wake-timeout", "15", "run", image)
        self.assertExit(r, 5)
        rows = {l.split()[0]: l.split()[1:] for l in r.out.splitlines()
                if l.split() and l.split()[0] in [s.link for s in sims]}
        self.assertEqual(rows[sims[0].link][:4], ["ok", "38638", "->", "39529"])
        self.assertEqual(rows[sims[1].link][:4], ["ok", "38638", "->", "39529"])
        self.assertEqual(rows[sims[2].link][:2], ["exit", "5"])
        self.assertIn("== %s" % sims[2].link, r.err)
        self.assertIn("no modem answered AT", r.err)
        for s in sims[:2]:
            self.assertEqual(s.events("boot")[-1]["build"], 39529)

    def test_same_port_twice_is_refused(self):
        sims, image, _ = self.modems(1)
        r = run_cli("-p", sims[0].link, "-p", sims[0].link, "run", image)
        self.assertExit(r, 2)
        self.assertIn("given twice", r.err)


if __name__ == "__main__":
    unittest.main()
