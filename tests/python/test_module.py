"""python/sqnsupgrade against the simulator, compared with the sqnsupgrade command.

Each call of the module runs in a child /usr/bin/python3 so that its console
output (fd 1 and 2) can be compared byte for byte with the command's; the
child reports the call's result or exception as JSON.
"""
import json
import os
import re
import signal
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "python"))

from harness import HANG_GUARD, SimTestCase, run_cli  # noqa: E402

import sqnsupgrade  # noqa: E402

IMEI = "354346099225475"

CHILD = r"""
import json, sys
import sqnsupgrade
name, args, kwargs, result = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
try:
    value = getattr(sqnsupgrade, name)(*args, **kwargs)
    res = {"ok": True, "value": value}
except sqnsupgrade.SqnsupgradeError as e:
    res = {"ok": False, "message": str(e), "status": e.status, "stderr": e.stderr}
with open(result, "w") as f:
    json.dump(res, f)
"""


class Call:
    def __init__(self, proc, res):
        self.status = proc.returncode
        self.out = proc.stdout.decode(errors="replace")
        self.err = proc.stderr.decode(errors="replace")
        self.ok = res["ok"]
        self.value = res.get("value")
        self.message = res.get("message")
        self.error_status = res.get("status")

    def __repr__(self):
        return "child exit %s, ok %s value %r message %r\n--- stdout\n%s--- stderr\n%s" % (
            self.status, self.ok, self.value, self.message, self.out, self.err)


def steady(text):
    """The console text without what depends on timing: the dots of a reset."""
    return re.sub(r"(\(DO NOT DISCONNECT POWER!!!\))\.+", r"\1", text)


class ModuleTest(SimTestCase):
    def call(self, name, *args, env=None, **kwargs):
        result = os.path.join(self.workdir, "result.json")
        full_env = dict(os.environ, PYTHONPATH=os.path.join(SRC, "python"))
        full_env.pop("SQNSUPGRADE_PORT", None)
        full_env.update(env or {})
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, name, json.dumps(args), json.dumps(kwargs), result],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode(errors="replace"))
        with open(result) as f:
            return Call(proc, json.load(f))

    def assertSameConsole(self, call, cli):
        self.assertEqual(steady(call.out), steady(cli.out), "stdout differs:\n%r\n%r" % (call, cli))
        self.assertEqual(steady(call.err), steady(cli.err), "stderr differs:\n%r\n%r" % (call, cli))

    def assertRaisedLikeCli(self, call, cli):
        """The exception carries the command's error block and exit status."""
        self.assertFalse(call.ok, repr(call))
        self.assertEqual(call.error_status, cli.status)
        lines = cli.err.splitlines()
        first = next(i for i, l in enumerate(lines)
                     if l.startswith("sqnsupgrade: ") and "warning:" not in l)
        self.assertEqual(call.message, "\n".join(lines[first:]))
        self.assertSameConsole(call, cli)

    def check_upgraded(self, sim, image, method="ON_THE_FLY"):
        imgs = sim.events("image")
        self.assertEqual([(i["method"], i["bytes"], i["complete"]) for i in imgs],
                         [(method, os.path.getsize(image), True)])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    # ---- queries ----

    def test_queries_print_and_return_what_the_cli_prints(self):
        sim = self.sim("--build", "38638", "--imei", IMEI)
        expected = {"state": 2, "imei": IMEI}
        for name in ("state", "imei", "info", "version"):
            call = self.call(name, sim.link)
            cli = run_cli(name, port=sim.link)
            self.assertEqual(cli.status, 0, repr(cli))
            self.assertTrue(call.ok, repr(call))
            self.assertSameConsole(call, cli)
            self.assertEqual(call.value, expected.get(name, cli.out))
            if name == "info":
                self.assertIn("IMEI: " + IMEI + "\n", call.out)
        self.assertModemUnchanged(sim)

    def test_query_in_upgrade_mode(self):
        sim = self.sim("--mode", "4")
        call = self.call("state", sim.link)
        self.assertEqual(call.value, 4)
        self.assertEqual(call.out, "4 upgrade\n")
        call = self.call("version", sim.link)
        self.assertRaisedLikeCli(call, run_cli("version", port=sim.link))
        self.assertEqual(call.error_status, 9)
        self.assertIn("upgrade mode (4)", call.message)

    # ---- run ----

    def test_run_document_form_succeeds_with_the_cli_transcript(self):
        sim = self.sim("--build", "38638")
        twin = self.sim("--build", "38638", name="twin")
        image = sim.mkimage("CATM1-39529.dup", size=60000)
        call = self.call("run", sim.link, image)
        self.assertTrue(call.ok, repr(call))
        self.assertIs(call.value, True)
        self.check_upgraded(sim, image)
        cli = run_cli("run", image, port=twin.link)
        self.assertEqual(cli.status, 0, repr(cli))
        self.assertSameConsole(call, cli)
        self.assertIn("Upgrade completed!\n", call.out)
        self.assertTrue(call.out.endswith("Verified: modem now runs build 39529\n"), call.out)

    def test_run_failures_raise_with_the_cli_message(self):
        sim = self.sim("--build", "38638")
        missing = os.path.join(self.workdir, "nope.dup")
        image = sim.mkimage("CATM1-39529.dup", size=5000)
        cases = [
            (("run", sim.link, missing), {}, ["run", missing], sim.link, 3),
            (("run", os.path.join(self.workdir, "ttyNONE"), image), {}, ["run", image],
             os.path.join(self.workdir, "ttyNONE"), 4),
            (("run", sim.link, image, image), {}, ["run", image, image], sim.link, 10),
        ]
        for (name, *args), kwargs, cli_args, port, status in cases:
            with self.subTest(cli_args=cli_args, port=port):
                call = self.call(name, *args, **kwargs)
                cli = run_cli(*cli_args, port=port)
                self.assertEqual(cli.status, status, repr(cli))
                self.assertRaisedLikeCli(call, cli)
        self.assertEqual(sim.events("image"), [])

    def test_failure_after_the_transfer_raises_the_whole_explanation(self):
        # A differential image for another base, forced: the modem refuses it.
        sim = self.sim("--build", "38638")
        twin = self.sim("--build", "38638", name="twin")
        image = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=9000)
        call = self.call("run", sim.link, image, force=True)
        cli = run_cli("run", image, "--force", port=twin.link)
        self.assertEqual(cli.status, 7, repr(cli))
        self.assertEqual(call.error_status, 7)
        self.assertTrue(call.message.startswith("sqnsupgrade: upgrade failed: "), call.message)
        self.assertIn("run FULL-IMAGE.dup --resume", call.message)
        self.assertEqual(call.message, cli.err[cli.err.index("sqnsupgrade: upgrade failed"):]
                         .rstrip("\n").replace(twin.link, sim.link))

    def test_board_side_forms_take_the_port_from_the_environment(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=8000)
        env = {"SQNSUPGRADE_PORT": sim.link}
        # run(dup, elf): recognised as the board form (the first is a file, the second an .elf).
        elf = os.path.join(self.workdir, "updater.elf")
        with open(elf, "wb") as f:
            f.write(b"\x7fELF" + bytes(300))
        call = self.call("run", image, elf, dry_run=True, env=env)
        self.assertTrue(call.ok, repr(call))
        self.assertIn("Plan (dry run", call.out)
        self.assertIn("updater: negotiate", call.out)
        self.assertEqual(sim.events("image"), [])
        # run(dup)
        call = self.call("run", image, env=env)
        self.assertTrue(call.ok, repr(call))
        self.check_upgraded(sim, image)

    # ---- keyword arguments ----

    def test_keywords_map_to_the_cli_options(self):
        seen = []
        saved = sqnsupgrade._call
        sqnsupgrade._call = lambda args, capture_stdout=False: (seen.append(args) or (0, "2 x", ""))
        try:
            sqnsupgrade.run("P", "F.dup", "U.elf", resume=True, debug=True, verbose=True,
                            load_fff=True, fc=True, force_fff=True)
            sqnsupgrade.run("P", "F.dup", baudrate=115200)
            sqnsupgrade.info("P", verbose=True, debug=True)
            sqnsupgrade.state("P", fc=True, baud=460800)
        finally:
            sqnsupgrade._call = saved
        self.assertEqual(seen, [
            ["-p", "P", "--rtscts", "-v", "--debug", "run", "F.dup", "U.elf", "--fff",
             "--force-fff", "--resume"],
            ["-p", "P", "-b", 115200, "run", "F.dup"],
            ["-p", "P", "-v", "--debug", "info"],
            ["-p", "P", "-b", 460800, "--rtscts", "state"],
        ])

    def test_load_fff(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=30000)
        call = self.call("run", sim.link, image, load_fff=True)
        self.assertTrue(call.ok, repr(call))
        self.assertIn("Starting STP FFF (DO NOT DISCONNECT POWER!!!)\n", call.out)
        self.check_upgraded(sim, image, "FFF")
        self.assertIn("AT+SMSTPU", sim.at_commands())

    def test_force_fff_and_fc(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        call = self.call("run", sim.link, image, force_fff=True, fc=True)
        self.assertTrue(call.ok, repr(call))
        self.check_upgraded(sim, image, "FFF")

    def test_resume_verbose_debug(self):
        sim = self.sim("--mode", "4", "--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        call = self.call("run", sim.link, image, resume=True, verbose=True, debug=True)
        self.assertTrue(call.ok, repr(call))
        self.assertIn("The modem is in upgrade mode: resuming the upgrade\n", call.out)
        self.assertNotIn("AT+SMSWBOOT=3,1", sim.at_commands())
        self.check_upgraded(sim, image)
        self.assertIn("[at] > AT+SMOD?\n", call.err)  # --debug
        self.assertIn("[stp] > OPEN_SESSION", call.err)
        quiet = self.sim("--mode", "4", name="quiet")
        call = self.call("run", quiet.link, image, resume=True)
        self.assertEqual(call.err, "")

    # ---- in this process ----

    def test_calls_in_process_repeat_and_leave_python_signals_alone(self):
        sim = self.sim("--imei", IMEI)
        before = signal.getsignal(signal.SIGINT)
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(devnull, 1)  # keep the test log clean
        try:
            self.assertEqual(sqnsupgrade.state(sim.link), 2)
            self.assertEqual(sqnsupgrade.imei(sim.link), IMEI)
            self.assertEqual(sqnsupgrade.state(port=sim.link), 2)
            with self.assertRaises(sqnsupgrade.SqnsupgradeError) as cm:
                sqnsupgrade.run(sim.link, os.path.join(self.workdir, "nope.dup"))
            self.assertEqual(sqnsupgrade.cli("-p", sim.link, "state"), 0)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)
        self.assertEqual(cm.exception.status, 3)
        self.assertIn("nope.dup", str(cm.exception))
        self.assertIs(signal.getsignal(signal.SIGINT), before)
        self.assertTrue(os.path.samefile(sqnsupgrade.library_path(),
                                         os.environ.get("SQNSUPGRADE_LIB",
                                                        sqnsupgrade.library_path())))


if __name__ == "__main__":
    unittest.main()
