# SPDX-License-Identifier: MIT
"""python/sqnsupgrade against the simulator: values, callbacks, errors, threads, cancel.

The module is called in this process (its transcript captured by redirecting
sys.stdout), except where a signal must reach it (a child python3).
"""
import contextlib
import io
import json
import ctypes
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
sys.path.insert(0, os.path.join(SRC, "python"))

from harness import HANG_GUARD, SimTestCase, run_cli, sha256_file  # noqa: E402

import sqnsupgrade  # noqa: E402
from sqnsupgrade import SqnsupgradeError  # noqa: E402

IMEI = "354346099225475"


def steady(text):
    """The console text without what depends on timing: the dots of a reset."""
    return re.sub(r"(\(DO NOT DISCONNECT POWER!!!\))\.+", r"\1", text)


@contextlib.contextmanager
def console():
    """sys.stdout and sys.stderr captured: yields (out, err) StringIOs."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


class Progress:
    """A progress= callable that records its calls (thread-safe enough: one per call)."""

    def __init__(self, cancel_at=None, cancel=None, raise_at=None):
        self.calls = []
        self.times = []
        self.cancel_at, self.cancel, self.raise_at = cancel_at, cancel, raise_at

    def __call__(self, done, total, step):
        self.calls.append((done, total, step))
        self.times.append(time.monotonic())
        if self.cancel_at is not None and done >= total * self.cancel_at:
            self.cancel.set()
        if self.raise_at is not None and done >= total * self.raise_at:
            raise ValueError("stop here")


class ModuleTest(SimTestCase):
    def check_upgraded(self, sim, image, method="ON_THE_FLY"):
        imgs = sim.events("image")
        self.assertEqual([(i["method"], i["bytes"], i["complete"]) for i in imgs][-1:],
                         [(method, os.path.getsize(image), True)])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def assertSessionClosedEarly(self, sim):
        """The STP session was closed (RESET): the modem judged a partial image."""
        images = sim.wait_for("image")
        self.assertEqual(len(images), 1)
        self.assertFalse(images[0]["complete"], images[0])

    def test_version_is_the_librarys(self):
        # sqns_version(), the one version: the module's __version__ and the CLI's --version.
        self.assertRegex(sqnsupgrade.__version__, r"^\d+\.\d+\.\d+$")
        r = run_cli("--version")
        self.assertEqual(r.out.strip(), "sqnsupgrade " + sqnsupgrade.__version__)

    # ---- queries ----

    def test_queries_return_values(self):
        sim = self.sim("--build", "38638", "--imei", IMEI)
        with console() as (out, err):
            self.assertEqual(sqnsupgrade.state(sim.link), 2)
            self.assertEqual(sqnsupgrade.imei(sim.link), IMEI)
        self.assertEqual((out.getvalue(), err.getvalue()), ("", ""))  # values, not text
        with console() as (out, _):
            info = sqnsupgrade.info(sim.link)
        self.assertEqual((info.mode, info.mode_name, info.build, info.imei),
                         (2, "application", 38638, IMEI))
        self.assertIn("LR5.1.1.0-38638", info.ati1)
        # It prints the document's sentences, as the command does.
        cli = run_cli("info", port=sim.link)
        self.assertEqual(out.getvalue(), cli.out)
        self.assertEqual(str(info), cli.out)
        with console() as (out, _):
            ver = sqnsupgrade.version(sim.link)
        self.assertEqual((ver.software, ver.bootloader0), (38638, 38638))
        self.assertEqual(ver.fields["Bootloader1"], "5.1.1.0 [38638]")
        self.assertTrue(ver.text.startswith("SYSTEM VERSION\n"), ver.text)
        self.assertEqual(out.getvalue(), run_cli("version", port=sim.link).out)
        with console() as (out, _):
            sqnsupgrade.info(sim.link, quiet=True)
        self.assertEqual(out.getvalue(), "")
        self.assertModemUnchanged(sim)

    def test_queries_in_upgrade_mode(self):
        sim = self.sim("--mode", "4")
        self.assertEqual(sqnsupgrade.state(sim.link), 4)
        with console() as (out, _):
            info = sqnsupgrade.info(sim.link)
        self.assertEqual((info.mode, info.ati1, info.imei), (4, None, None))
        self.assertEqual(out.getvalue(), "Your modem is in upgrade mode! Use firmware.dup to "
                                         "flash new firmware.\n")
        for fn in (sqnsupgrade.version, sqnsupgrade.imei):
            with self.subTest(fn=fn.__name__), self.assertRaises(SqnsupgradeError) as cm:
                fn(sim.link, quiet=True) if fn is sqnsupgrade.version else fn(sim.link)
            e = cm.exception
            self.assertEqual((e.status, e.error, e.mode, e.stage), (9, "state", 4, "untouched"))
            self.assertIn("upgrade mode (4)", str(e))

    def test_no_modem_and_no_port(self):
        sim = self.sim("--silent")
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.state(sim.link, timeouts={"detect": 1.5, "at": 0.5})
        self.assertEqual((cm.exception.status, cm.exception.error), (5, "no_modem"))
        self.assertIn("no modem answered AT on '%s'" % sim.link, str(cm.exception))
        missing = os.path.join(self.workdir, "ttyNONE")
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.imei(missing)
        self.assertEqual((cm.exception.status, cm.exception.os_errno), (4, 2))  # ENOENT
        self.assertIn("does not exist", str(cm.exception))
        saved = os.environ.pop("SQNSUPGRADE_PORT", None)
        try:
            with self.assertRaises(SqnsupgradeError) as cm:
                sqnsupgrade.state()
        finally:
            if saved is not None:
                os.environ["SQNSUPGRADE_PORT"] = saved
        self.assertEqual(cm.exception.status, 2)

    # ---- run ----

    def test_run_reports_progress_and_returns_a_typed_result(self):
        sim = self.sim("--build", "38638")
        twin = self.sim("--build", "38638", name="twin")
        image = sim.mkimage("CATM1-39529.dup", size=60000)
        progress = Progress()
        events = []
        with console() as (out, err):
            result = sqnsupgrade.run(sim.link, image, progress=progress, on_event=events.append)
        self.check_upgraded(sim, image)
        # Progress: image bytes, growing, ending at the file's size, for the firmware.
        size = os.path.getsize(image)
        self.assertGreater(len(progress.calls), 5)
        dones = [d for d, _, _ in progress.calls]
        self.assertEqual(dones, sorted(dones))
        self.assertEqual(progress.calls[-1], (size, size, "firmware"))
        self.assertEqual({t for _, t, _ in progress.calls}, {size})
        # The result: values, not text.
        self.assertIsInstance(result, sqnsupgrade.Result)
        self.assertTrue(result)
        self.assertEqual((result.stage, result.mode, result.old_build, result.new_build,
                          result.target_build, result.verified, result.bootloader0,
                          result.bootrom_pending, result.already_current),
                         ("done", 2, 38638, 39529, 39529, True, 38638, False, False))
        self.assertIn("Software     : 5.1.1.0 [39529]", result.showver)
        # Events: every one of the library's, typed.
        phases = [e.phase for e in events if e.type == "phase"]
        self.assertEqual(phases[0], "wakeup")
        for p in ("plan", "stp_on_the_fly", "download_done", "completed", "verified"):
            self.assertIn(p, phases)
        self.assertIn("AT+SMOD?", [e.text for e in events if e.type == "at_tx"])
        self.assertEqual([e.value for e in events if e.phase == "verified"], [39529])
        # The console: the document's transcript, as the command prints it.
        cli = run_cli("run", image, port=twin.link)
        self.assertEqual(cli.status, 0, repr(cli))
        self.assertEqual(steady(out.getvalue()), steady(cli.out))
        self.assertEqual(err.getvalue(), "")
        self.assertTrue(out.getvalue().endswith("Verified: modem now runs build 39529\n"))
        # Once more: nothing to do.
        again = sqnsupgrade.run(sim.link, image, quiet=True)
        self.assertEqual((again.stage, again.already_current, again.old_build, again.verified),
                         ("untouched", True, 39529, False))

    def test_first_upgrade_by_the_recovery_method_names_each_transfer(self):
        sim = self.sim("--factory", "--build", "38638", factory=True)
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        elf = sim.mkimage("updater.elf", kind="updater", build=39529, size=30000)
        rom = sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=25000)
        with self.assertRaises(SqnsupgradeError) as cm:  # the factory boot ROM needs it
            sqnsupgrade.run(sim.link, image, elf, quiet=True)
        self.assertEqual((cm.exception.status, cm.exception.refusal), (10, "bootrom_missing"))
        self.assertEqual(cm.exception.result.bootloader0, 33080)
        progress = Progress()
        result = sqnsupgrade.run(sim.link, image, elf, bootrom=rom, quiet=True,
                                 progress=progress)
        self.assertTrue(result.verified and result.bootrom_step and result.updater_step, result)
        self.assertEqual((result.bootloader0, result.bootrom_pending), (33080, False))
        self.assertNotEqual(result.bootloader0_after, 33080)
        # Each transfer ends at its file's size, under its name, in the method's order.
        ends = [(step, done) for done, total, step in progress.calls if done == total]
        steps = [s for s, _ in ends]
        self.assertEqual(steps[:3], ["bootrom", "updater", "firmware"])
        self.assertEqual(dict(ends), {"bootrom": os.path.getsize(rom),
                                      "updater": os.path.getsize(elf),
                                      "firmware": os.path.getsize(image)})

    def test_refused_by_the_files_before_the_port_opens(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=5000)
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(sim.link, image, image, quiet=True)  # the second is no ELF
        e = cm.exception
        self.assertEqual((e.status, e.error, e.refusal, e.stage), (10, "refused",
                                                                   "updater_not_elf", None))
        self.assertIn("is not an ELF file", str(e))
        sim.stop()
        self.assertNothingSent(sim)

    def test_refused_by_the_modem_sends_no_image(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=9000)
        with console() as (out, _), self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(sim.link, image)
        e = cm.exception
        self.assertEqual((e.status, e.err, e.refusal, e.stage, e.mode),
                         (10, -12, "diff_wrong_base", "untouched", 2))
        self.assertIn("applies only to build 33080, and the modem runs build 38638", str(e))
        self.assertIn("Nothing was changed on the modem.", str(e))
        self.assertEqual(e.result.old_build, 38638)
        self.assertModemUnchanged(sim)
        self.assertEqual(out.getvalue(), "<<< Welcome to the SQN3330 firmware updater >>>\n"
                                         "Attempting AT wakeup...\n")

    def test_file_and_port_errors(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=5000)
        missing = os.path.join(self.workdir, "nope.dup")
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(sim.link, missing, quiet=True)
        self.assertEqual((cm.exception.status, cm.exception.error), (3, "image"))
        self.assertIn("nope.dup", str(cm.exception))
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(os.path.join(self.workdir, "ttyNONE"), image, quiet=True)
        self.assertEqual((cm.exception.status, cm.exception.error), (4, "io"))
        self.assertEqual(sim.events("image"), [])

    def test_rejected_after_the_transfer_says_the_stage(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("upgdiff_33080-to-39529.dup", kind="diff", frm=33080, size=9000)
        with console() as (_, err), self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(sim.link, image, force=True)
        e = cm.exception
        # The modem refused to leave upgrade mode for its old firmware: it waits there.
        self.assertEqual((e.status, e.error, e.stage), (7, "rejected", "upgrade_mode"))
        self.assertIn("FULL-IMAGE.dup", e.modem_state)
        self.assertTrue(e.result.forced)
        self.assertIn("warning: force=True", err.getvalue())

    def test_two_part_release_in_one_call(self):
        sim = self.sim("--build", "38638")
        p1 = sim.mkimage("CATM1-5.2-48829-1.dup", build=39529, size=9000, seed=1)
        sim.mkimage("CATM1-5.2-48829-2.dup", build=48829, size=9000, seed=2)
        with console() as (out, _):
            result = sqnsupgrade.run(sim.link, p1)
        self.assertEqual(result.new_build, 48829)
        self.assertIn("Verified: part 1 of 2 is in: the modem runs the intermediate build 39529",
                      out.getvalue())
        self.assertIn("Verified: modem now runs build 48829", out.getvalue())
        self.assertEqual([i["build"] for i in sim.events("image")], [39529, 48829])

    def test_damaged_zip_is_refused_before_the_port(self):
        # A zip archive is a release, read by the library: this one is cut short.
        path = os.path.join(self.workdir, "CATM1-39529.zip")
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04" + os.urandom(600))
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(os.path.join(self.workdir, "ttyNONE"), path, quiet=True)
        self.assertEqual(cm.exception.status, 3)
        self.assertIn("'%s' is damaged" % path, str(cm.exception))

    # ---- releases: the archive as Pycom ships it, the choice made by the library ----

    def release(self, sim, name="CATM1-39529.zip", folder=False):
        import zipfile
        files = {
            "CATM1-39529.dup": sim.mkimage("CATM1-39529.dup", size=60000, seed=1),
            "upgdiff_38638-to-39529.dup": sim.mkimage("upgdiff_38638-to-39529.dup",
                                                      kind="diff", frm=38638, size=8000,
                                                      seed=2),
            "updater.elf": sim.mkimage("updater.elf", kind="updater", size=30000, seed=3),
        }
        if folder:
            path = os.path.join(self.workdir, "CATM1-39529")
            os.makedirs(path)
            for member, src in files.items():
                shutil.copy(src, os.path.join(path, member))
            return path, files
        path = os.path.join(self.workdir, name)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for member, src in files.items():
                z.write(src, "CATM1-39529/" + member)
        return path, files

    def test_release_diff_choice(self):
        sim = self.sim("--build", "38638")
        path, files = self.release(sim)
        with console() as (out, _):
            result = sqnsupgrade.run(sim.link, path)
        self.assertEqual((result.choice, result.image, result.updater),
                         ("diff", "CATM1-39529/upgdiff_38638-to-39529.dup", None))
        self.assertTrue(result.verified)
        self.assertEqual(result.new_build, 39529)
        self.assertIn("From CATM1-39529.zip, the modem runs 38638: upgdiff_38638-to-39529.dup, "
                      "8 KB, instead of CATM1-39529.dup, 60 KB", out.getvalue())
        self.check_upgraded(sim, files["upgdiff_38638-to-39529.dup"])
        self.assertEqual(sim.events("image")[0]["sha256"],
                         sha256_file(files["upgdiff_38638-to-39529.dup"]))

    def test_release_recovery_choice(self):
        sim = self.sim("--mode", "0")
        path, files = self.release(sim, folder=True)
        with console() as (out, _):
            result = sqnsupgrade.run(sim.link, path)
        self.assertEqual((result.choice, result.image, result.updater),
                         ("full_unread", "CATM1-39529.dup", "updater.elf"))
        self.assertTrue(result.updater_step)
        self.assertIn("by the recovery method with the release's updater.elf", out.getvalue())
        self.assertEqual([(i["kind"], i["sha256"]) for i in sim.events("image")],
                         [("updater", sha256_file(files["updater.elf"])),
                          ("full", sha256_file(files["CATM1-39529.dup"]))])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)

    def test_release_refused_and_updater_beside_it(self):
        sim = self.sim("--build", "38638")
        path, files = self.release(sim)
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(sim.link, path, files["updater.elf"], quiet=True)
        self.assertEqual(cm.exception.status, 2)
        self.assertIn("holds updater.elf itself", str(cm.exception))
        empty = os.path.join(self.workdir, "empty.zip")
        import zipfile
        zipfile.ZipFile(empty, "w").close()
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(sim.link, empty, quiet=True)
        self.assertEqual((cm.exception.status, cm.exception.refusal), (3, "release"))
        self.assertIn("holds no firmware image", str(cm.exception))
        sim.stop()
        self.assertNothingSent(sim)

    def test_two_modems_from_two_threads(self):
        sims = [self.sim("--build", "38638", "--pace", name="m%d" % i) for i in range(2)]
        images = [s.mkimage("CATM1-39529.dup", size=120000, seed=i + 1)
                  for i, s in enumerate(sims)]
        progress = [Progress(), Progress()]
        results, errors = [None, None], []
        start = threading.Barrier(2)

        def upgrade(i):
            try:
                start.wait()
                results[i] = sqnsupgrade.run(sims[i].link, images[i], quiet=True,
                                             progress=progress[i])
            except BaseException as e:  # reported by the main thread
                errors.append(e)

        threads = [threading.Thread(target=upgrade, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANG_GUARD)
        self.assertEqual(errors, [])
        for i in range(2):
            self.assertTrue(results[i].verified, results[i])
            self.assertEqual(results[i].new_build, 39529)
            self.check_upgraded(sims[i], images[i])
            self.assertEqual(sims[i].events("image")[-1]["sha256"], sha256_file(images[i]))
        # At the same time: each transfer began before the other ended.
        a, b = progress
        self.assertLess(a.times[0], b.times[-1])
        self.assertLess(b.times[0], a.times[-1])

    def test_cancel_mid_transfer_closes_the_session(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=80000)
        cancel = threading.Event()
        progress = Progress(cancel_at=0.3, cancel=cancel)
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.run(sim.link, image, quiet=True, progress=progress, cancel=cancel)
        e = cm.exception
        self.assertEqual((e.status, e.error, e.stage), (8, "aborted", "upgrade_mode"))
        self.assertIn("interrupted", str(e))
        self.assertIn("upgrade mode (4)", e.modem_state)
        self.assertLess(progress.calls[-1][0], os.path.getsize(image))
        self.assertSessionClosedEarly(sim)
        # What the message says finishes the job: the same call again resumes.
        result = sqnsupgrade.run(sim.link, image, quiet=True)
        self.assertTrue(result.resumed and result.verified, result)
        self.check_upgraded(sim, image)

    def test_an_exception_in_a_callback_stops_cleanly_and_propagates(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=80000)
        with self.assertRaises(ValueError):
            sqnsupgrade.run(sim.link, image, quiet=True, progress=Progress(raise_at=0.3))
        self.assertSessionClosedEarly(sim)

    def test_ctrl_c_closes_the_session_then_raises_keyboard_interrupt(self):
        sim = self.sim("--build", "38638", "--pace")
        image = sim.mkimage("CATM1-39529.dup", size=400000)
        child = ("import json, sys, sqnsupgrade\n"
                 "try:\n"
                 "    sqnsupgrade.run(sys.argv[1], sys.argv[2], quiet=True)\n"
                 "    print(json.dumps('finished'))\n"
                 "except KeyboardInterrupt:\n"
                 "    print(json.dumps('KeyboardInterrupt'))\n")
        env = dict(os.environ, PYTHONPATH=os.path.join(SRC, "python"))
        proc = subprocess.Popen([sys.executable, "-c", child, sim.link, image],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        sim.wait_for("stp_open")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=HANG_GUARD)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(json.loads(out), "KeyboardInterrupt")
        self.assertSessionClosedEarly(sim)

    def test_board_forms_take_the_port_from_the_environment(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=8000)
        elf = os.path.join(self.workdir, "updater.elf")
        with open(elf, "wb") as f:
            f.write(b"\x7fELF" + bytes(300))
        saved = os.environ.get("SQNSUPGRADE_PORT")
        os.environ["SQNSUPGRADE_PORT"] = sim.link
        try:
            with console() as (out, _):
                plan = sqnsupgrade.run(image, elf, dry_run=True)  # run(dup, elf)
            self.assertTrue(plan.dry_run and plan.updater_step, plan)
            self.assertEqual(plan.stage, "untouched")
            self.assertIn("Plan (dry run", out.getvalue())
            self.assertIn("updater: negotiate", out.getvalue())
            self.assertEqual(sim.events("image"), [])
            result = sqnsupgrade.run(image, quiet=True)  # run(dup)
        finally:
            if saved is None:
                del os.environ["SQNSUPGRADE_PORT"]
            else:
                os.environ["SQNSUPGRADE_PORT"] = saved
        self.assertTrue(result.verified)
        self.check_upgraded(sim, image)

    def test_load_fff_force_fff_and_fc(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=30000)
        with console() as (out, _):
            result = sqnsupgrade.run(sim.link, image, load_fff=True)
        self.assertTrue(result.fff and result.verified, result)
        self.assertIn("Starting STP FFF (DO NOT DISCONNECT POWER!!!)\n", out.getvalue())
        self.check_upgraded(sim, image, "FFF")
        self.assertIn("AT+SMSTPU", sim.at_commands())
        other = self.sim(name="other")
        result = sqnsupgrade.run(other.link, image, force_fff=True, fc=True, quiet=True)
        self.assertTrue(result.fff and result.verified, result)
        self.check_upgraded(other, image, "FFF")

    def test_resume_verbose_debug(self):
        sim = self.sim("--mode", "4", "--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=20000)
        with console() as (out, err):
            result = sqnsupgrade.run(sim.link, image, resume=True, verbose=True, debug=True)
        self.assertTrue(result.resumed and result.verified, result)
        self.assertEqual((result.mode, result.old_build), (4, None))
        self.assertIn("The modem is in upgrade mode: resuming the upgrade\n", out.getvalue())
        self.assertNotIn("AT+SMSWBOOT=3,1", sim.at_commands())
        self.check_upgraded(sim, image)
        self.assertIn("[at] > AT+SMOD?\n", err.getvalue())
        self.assertIn("[stp] > OPEN_SESSION", err.getvalue())

    # ---- mirror mode ----

    def test_uart_prepares_then_mirrors_until_the_computer_closes(self):
        sim = self.sim("--build", "38638")
        server = socket.create_server(("127.0.0.1", 0))
        host = "socket://127.0.0.1:%d" % server.getsockname()[1]
        answers = []

        def computer():
            conn, _ = server.accept()
            with conn:
                conn.settimeout(HANG_GUARD)
                conn.sendall(b"AT+SMOD?\r")
                data = b""
                while b"OK" not in data:
                    chunk = conn.recv(256)
                    if not chunk:
                        break
                    data += chunk
                answers.append(data.decode(errors="replace"))

        t = threading.Thread(target=computer)
        t.start()
        try:
            with console() as (out, _):
                result = sqnsupgrade.uart(port=sim.link, host=host)
        finally:
            t.join(HANG_GUARD)
            server.close()
        self.assertEqual(result.stage, "upgrade_mode")
        self.assertIn("Going into MIRROR mode... please close this terminal to resume the "
                      "upgrade via UART\n", out.getvalue())
        self.assertEqual(len(answers), 1)
        self.assertIn("\r\n4\r\nOK", answers[0])  # AT+SMOD? answered through the mirror
        with self.assertRaises(SqnsupgradeError) as cm:
            sqnsupgrade.uart(True, port=sim.link, host=host)
        self.assertEqual(cm.exception.status, 2)

    # ---- the process ----

    def test_calls_leave_python_signals_alone(self):
        sim = self.sim("--imei", IMEI)
        before = signal.getsignal(signal.SIGINT)
        self.assertEqual(sqnsupgrade.state(sim.link), 2)
        with self.assertRaises(SqnsupgradeError):
            sqnsupgrade.run(sim.link, os.path.join(self.workdir, "nope.dup"), quiet=True)
        self.assertIs(signal.getsignal(signal.SIGINT), before)
        self.assertTrue(os.path.samefile(sqnsupgrade.library_path(),
                                         os.environ.get("SQNSUPGRADE_LIB",
                                                        sqnsupgrade.library_path())))


class TreeLookupTest(unittest.TestCase):
    """The module of a source tree (PYTHONPATH=python) finds the library the README's commands
    build: scripts/demo.sh's build-release/ as well as make's build/; never a library in the
    clone's parent folder; and when there is none, the error names every place it tried."""

    def setUp(self):
        self.top = tempfile.mkdtemp(prefix="sqns-tree-")
        self.addCleanup(shutil.rmtree, self.top)
        self.root = os.path.join(self.top, "clone")
        shutil.copytree(os.path.join(SRC, "python", "sqnsupgrade"),
                        os.path.join(self.root, "python", "sqnsupgrade"),
                        ignore=shutil.ignore_patterns("__pycache__"))
        open(os.path.join(self.root, "CMakeLists.txt"), "w").close()
        # A decoy in the parent folder: loading it would fail with an ELF error.
        with open(os.path.join(self.top, sqnsupgrade._LIBNAME), "w") as f:
            f.write("not a library\n")

    def load(self):
        env = {k: v for k, v in os.environ.items() if k not in ("SQNSUPGRADE_LIB",
                                                                  "LD_LIBRARY_PATH")}
        env["PYTHONPATH"] = os.path.join(self.root, "python")
        return subprocess.run([sys.executable, "-c", "import sqnsupgrade, os; "
                               "print(os.path.realpath(sqnsupgrade.library_path()))"],
                              cwd=self.top, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=HANG_GUARD)

    def test_demo_build_found(self):
        built = os.path.realpath(sqnsupgrade.library_path())
        os.makedirs(os.path.join(self.root, "build-release"))
        os.symlink(built, os.path.join(self.root, "build-release", sqnsupgrade._LIBNAME))
        r = self.load()
        self.assertEqual((r.returncode, r.stdout.strip()), (0, built), r.stderr)

    def test_none_built_names_the_places(self):
        r = self.load()
        self.assertNotEqual(r.returncode, 0)
        last = r.stderr.strip().splitlines()
        self.assertIn("ImportError: sqnsupgrade: cannot load libsqnsupgrade.so.0. Tried:", last)
        for build in ("build", "build-release", "build-test"):
            self.assertIn("  %s (the source tree's %s/: not there)" % (
                os.path.join(self.root, build, sqnsupgrade._LIBNAME), build), last)
        self.assertNotIn(os.path.join(self.top, sqnsupgrade._LIBNAME) + " ", r.stderr)
        self.assertIn("set SQNSUPGRADE_LIB to its path", last[-1])


class ReleaseReaderTest(unittest.TestCase):
    """The library's release reader (sqns_release_open) read through its own open() and each
    image's read(): any offset, forward, back to the start, back a little, in stored and
    deflated members and in a folder's files, gives the member's bytes."""

    OPEN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t,
                            ctypes.POINTER(sqnsupgrade._Image))
    READ = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32,
                            ctypes.POINTER(ctypes.c_uint8), ctypes.c_size_t)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="sqns-reader-")
        self.lib = sqnsupgrade._library()
        rnd = random.Random(7)
        # Incompressible and compressible contents, each larger than the reader's blocks.
        self.data = {"CATM1-39529/CATM1-39529.dup": rnd.randbytes(300000),
                     "CATM1-39529/updater.elf": b"\x7fELF" + bytes(range(256)) * 1200}

    def tearDown(self):
        self.tmp.cleanup()

    def open(self, path):
        err, why = ctypes.c_int(0), ctypes.create_string_buffer(1024)
        rf = self.lib.sqns_release_open(os.fsencode(path), ctypes.byref(err), why, len(why))
        self.assertTrue(rf, why.value)
        self.addCleanup(self.lib.sqns_release_close, rf)
        return self.lib.sqns_release_of(rf).contents

    def read(self, img, offset, n):
        buf = (ctypes.c_uint8 * max(n, 1))()
        r = self.READ(img.read)(img.ctx, offset, buf, n)
        return r, bytes(buf[:n])

    def check(self, rel):
        names = {rel.members[i].name.decode(): i for i in range(rel.count)}
        self.assertEqual(sorted(names), sorted(self.data))
        for name, data in self.data.items():
            img = sqnsupgrade._Image()
            self.assertEqual(self.OPEN(rel.open)(rel.ctx, names[name], ctypes.byref(img)), 0)
            self.assertEqual((img.name.decode(), img.size), (name, len(data)))
            for off, n in ((0, 16), (100000, 2016), (100000, 2016), (100500, 700),
                           (250000, 2016), (4000, 2016), (len(data) - 10, 10), (0, 4)):
                with self.subTest(member=name, offset=off):
                    self.assertEqual(self.read(img, off, n), (0, data[off:off + n]))
            self.assertNotEqual(self.read(img, len(data) - 10, 11)[0], 0)  # past its end

    def test_stored_and_deflated_members(self):
        for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            path = os.path.join(self.tmp.name, "r%d.zip" % method)
            with zipfile.ZipFile(path, "w", method) as z:
                for name, data in self.data.items():
                    z.writestr(name, data)
            with self.subTest(method=method):
                self.check(self.open(path))

    def test_folder(self):
        for name, data in self.data.items():
            path = os.path.join(self.tmp.name, "unpacked", name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        self.check(self.open(os.path.join(self.tmp.name, "unpacked")))

    def test_what_is_a_release(self):
        zpath = os.path.join(self.tmp.name, "renamed.bin")
        with zipfile.ZipFile(zpath, "w") as z:
            z.writestr("a.txt", "x")
        dup = os.path.join(self.tmp.name, "CATM1-39529.dup")
        with open(dup, "wb") as f:
            f.write(os.urandom(1000))
        for path, want in ((zpath, True), (self.tmp.name, True), (dup, False),
                           (os.path.join(self.tmp.name, "none.zip"), False)):
            with self.subTest(path=path):
                self.assertEqual(self.lib.sqns_release_is(os.fsencode(path)), want)


if __name__ == "__main__":
    unittest.main()
