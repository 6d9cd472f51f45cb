# SPDX-License-Identifier: MIT
"""--json: one JSON object a line for every phase and percent, then a result object."""
import json
import unittest

from harness import SimTestCase, run_cli


def parse(out):
    return [json.loads(line) for line in out.splitlines()]


class JsonTest(SimTestCase):
    def test_upgrade_event_stream(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=50000)
        r = run_cli("--json", "run", image, port=sim.link)
        self.assertExit(r, 0)
        events = parse(r.out)  # every line is JSON, nothing else on stdout
        phases = [e["phase"] for e in events if e["event"] == "phase"]
        self.assertEqual(phases, ["wakeup", "plan", "reboot_upgrade", "stp_on_the_fly",
                                  "download_done", "resetting", "completed", "verified"])
        progress = [e["percent"] for e in events if e["event"] == "progress"]
        self.assertEqual(progress[0], 0)
        self.assertEqual(progress[-1], 100)
        self.assertEqual(progress, sorted(set(progress)))
        self.assertIn({"event": "session", "version": 1, "max_transfer": 8192}, events)
        result = events[-1]
        self.assertEqual((result["event"], result["command"], result["status"], result["stage"],
                          result["running_build"], result["target_build"], result["verified"]),
                         ("result", "run", 0, "done", 39529, 39529, True))
        self.assertIn("SYSTEM VERSION", result["text"])
        self.assertEqual(result["error"], "")

    def test_busy_modem_reports_each_second(self):
        # 7 s of silence: "seconds" counts the clock from the last answer; by the end of the
        # stall it has reached 5 with 2 s to spare.
        _, _, r = self.upgrade("--stall-at", "50:7000", size=50000, cli=["--json"])
        events = parse(r.out)
        busy = [i for i, e in enumerate(events) if e["event"] == "busy"]
        seconds = [events[i]["seconds"] for i in busy]
        self.assertTrue(seconds, r.out)
        self.assertEqual(seconds, sorted(set(seconds)))
        self.assertGreaterEqual(seconds[0], 1, seconds)
        self.assertGreaterEqual(seconds[-1], 5, seconds)
        # All inside the transfer, at the stall: after some progress, before the end.
        percents = [e["percent"] for e in events[:busy[0]] if e["event"] == "progress"]
        self.assertTrue(percents and 0 < percents[-1] < 100, percents)
        self.assertIn(100, [e.get("percent") for e in events[busy[-1]:]])

    def test_waits_on_the_modem_report_each_second(self):
        sim, _, r = self.upgrade("--boot-ms", "15000", cli=["--json"])
        events = parse(r.out)
        # The reboot into upgrade mode (15 s), between that phase and the transfer's: the
        # "seconds" of phase reboot_upgrade are the clock's since the wait began, so they
        # reach the reboot's length as the modem measured it, less 2 s to spare (counting
        # restarted one-second timers fell a second behind every five probes or so).
        names = [e.get("phase") for e in events if e["event"] == "phase"]
        start = events.index({"event": "phase", "phase": "reboot_upgrade"})
        stp = events.index({"event": "phase", "phase": "stp_on_the_fly"})
        waits = [e for e in events[start:stp] if e["event"] == "wait"]
        seconds = [w["seconds"] for w in waits]
        self.assertTrue(seconds, events[start:stp])
        self.assertEqual(seconds, sorted(set(seconds)))
        self.assertGreaterEqual(seconds[0], 1, seconds)
        reboot = [m["t"] for m in sim.events("mode") if (m["from"], m["to"]) == (2, 4)]
        booted = [b["t"] for b in sim.events("boot") if b["mode"] == 4]
        self.assertEqual((len(reboot), len(booted)), (1, 1))
        took_s = (booted[0] - reboot[0]) // 1000
        self.assertGreaterEqual(took_s, 15)
        self.assertGreaterEqual(seconds[-1], took_s - 2, (took_s, seconds))
        self.assertEqual({w["phase"] for w in waits}, {"reboot_upgrade"})
        # The reboot after the transfer, as resetting.
        reset = events.index({"event": "phase", "phase": "resetting"})
        self.assertTrue(any(e["event"] == "wait" and e["phase"] == "resetting"
                            for e in events[reset:]), names)

    def test_failure_result_carries_the_message(self):
        sim = self.sim("--build", "38638")
        diff = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=9000)
        r = run_cli("--json", "run", diff, port=sim.link)
        self.assertExit(r, 10)
        result = parse(r.out)[-1]
        self.assertEqual((result["status"], result["stage"], result["verified"]),
                         (10, "untouched", False))
        self.assertIn("applies only to build 33080", result["error"])
        self.assertIn("applies only to build 33080", r.err)  # still shown to a person

    def test_queries(self):
        sim = self.sim()
        r = run_cli("--json", "state", port=sim.link)
        self.assertExit(r, 0)
        result = parse(r.out)[-1]
        self.assertEqual((result["command"], result["mode"], result["mode_name"], result["text"]),
                         ("state", 2, "application", "2 application\n"))
        r = run_cli("--json", "imei", port=sim.link)
        self.assertEqual(parse(r.out)[-1]["text"], "354346099225475\n")


if __name__ == "__main__":
    unittest.main()
