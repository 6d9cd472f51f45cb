#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The simulated modem on its own: AT lines and hand-built STP frames on the pty.

No updater involved: this checks what sqnsim itself answers, mode by mode, and
what it logs. Run with

    SQNSIM_BIN=build/sim/sqnsim python3 sim/tests/test_sim_model.py [-v] [Test.name]

Only the standard library. Every wait is on the modem's bytes, its event log
or its exit, with a deadline.
"""

import json
import os
import re
import select
import signal
import struct
import subprocess
import tempfile
import termios
import time
import unittest

SQNSIM = os.environ.get("SQNSIM_BIN", "sqnsim")
WAIT = 10.0  # seconds: the longest any single expected thing may take

FAST = ["--boot-ms", "100", "--bootloader-ms", "150", "--apply-ms", "300", "--check-ms", "700"]

BAUD = {115200: termios.B115200, 921600: termios.B921600}

# ---- STP frames ----

OP_RESET, OP_OPEN, OP_CMD, OP_BLOCK = 0, 1, 2, 3
SIG_REQ, SIG_RESP = b"fast", b"tsaf"


def crc16(data, crc=0):
    """CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final xor."""
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def frame(op, sid, tid, payload=b""):
    """A request: sig, op, sid, length, tid, header CRC, payload CRC (big-endian)."""
    pcrc = crc16(payload) if payload else 0
    hdr = SIG_REQ + struct.pack(">BBHIHH", op, sid, len(payload), tid, 0, pcrc)
    hcrc = crc16(hdr)
    return SIG_REQ + struct.pack(">BBHIHH", op, sid, len(payload), tid, hcrc, pcrc) + payload


assert crc16(b"123456789") == 0x31C3


def parse_response(raw):
    sig = raw[:4]
    op, sid, length, tid, hcrc, pcrc = struct.unpack(">BBHIHH", raw[4:16])
    return {"sig": sig, "op": op, "sid": sid, "len": length, "tid": tid, "hcrc": hcrc,
            "pcrc": pcrc, "payload": raw[16:16 + length]}


# ---- the simulator ----


class Sim:
    """One sqnsim process, its pty link opened raw, its event log."""

    def __init__(self, tmp, args, state=None):
        tmp = tempfile.mkdtemp(dir=tmp)  # one directory per process
        self.tmp = tmp
        self.link = os.path.join(tmp, "modem")
        self.log = os.path.join(tmp, "events.jsonl")
        self.state = state or os.path.join(tmp, "state")
        cmd = [SQNSIM, "--link", self.link, "--log", self.log, "--state", self.state] + args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("sqnsim: ready"):
            raise RuntimeError("sqnsim did not start: %r %r" % (line, self.proc.stderr.read()))
        self.fd = os.open(self.link, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.buf = b""
        self.log_pos = 0
        self.events = []
        self.rate(921600)

    def rate(self, baud):
        a = termios.tcgetattr(self.fd)
        a[0] = 0  # iflag
        a[1] = 0  # oflag
        a[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
        a[3] = 0  # lflag
        a[4] = a[5] = BAUD[baud]
        a[6][termios.VMIN] = 0
        a[6][termios.VTIME] = 0
        termios.tcsetattr(self.fd, termios.TCSANOW, a)

    def close(self):
        try:
            os.close(self.fd)
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def stop(self):
        """SIGTERM: the modem powers off cleanly; returns the exit status."""
        os.close(self.fd)
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(WAIT)
        return rc

    # -- bytes --

    def send(self, data):
        while data:
            select.select([], [self.fd], [], WAIT)
            n = os.write(self.fd, data)
            data = data[n:]

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.fd], [], [], min(left, 0.2))
        if r:
            try:
                self.buf += os.read(self.fd, 65536)
            except BlockingIOError:
                pass
        return True

    def expect(self, pattern, timeout=WAIT):
        """Consumes input up to and including the regex (bytes); returns the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern, re.S)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if not self._fill(deadline):
                raise AssertionError("timeout waiting for %r; have %r" % (pattern, self.buf))

    def read_exact(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise AssertionError("timeout reading %d bytes; have %r" % (n, self.buf))
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def quiet(self, seconds):
        """Whatever arrives within seconds (used to show that nothing does)."""
        deadline = time.monotonic() + seconds
        while self._fill(deadline):
            pass
        out, self.buf = self.buf, b""
        return out

    # -- AT --

    def at(self, cmd, timeout=WAIT):
        """Sends a command line; returns (result, text before the result code)."""
        self.send(cmd.encode() + b"\r")
        m = self.expect(rb"(.*?)(OK|ERROR)\r\n", timeout)
        return m.group(2).decode(), m.group(1).decode(errors="replace")

    def sysstart(self, timeout=WAIT):
        self.expect(rb"\+SYSSTART\r\n", timeout)

    # -- events --

    def poll_events(self):
        try:
            with open(self.log) as f:
                f.seek(self.log_pos)
                data = f.read()
        except FileNotFoundError:
            return
        lines = data.split("\n")
        rest = lines.pop()  # an unfinished line stays for next time
        self.log_pos += len(data) - len(rest)
        self.events += [json.loads(x) for x in lines if x]

    def event(self, ev, timeout=WAIT, **fields):
        """Waits for the first event ev with these fields; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            self.poll_events()
            for e in self.events:
                if e["ev"] == ev and all(e.get(k) == v for k, v in fields.items()):
                    return e
            if time.monotonic() > deadline:
                raise AssertionError("no event %s %r in %r" % (ev, fields, self.events))
            if self.proc.poll() is not None:
                self.poll_events()
                continue
            time.sleep(0.02)  # polling a file; the deadline bounds it

    def all(self, ev, **fields):
        self.poll_events()
        return [e for e in self.events
                if e["ev"] == ev and all(e.get(k) == v for k, v in fields.items())]

    def state_dict(self):
        with open(self.state) as f:
            return dict(line.strip().split("=", 1) for line in f if "=" in line)

    # -- STP --

    def req(self, op, sid, tid, payload=b"", answer=True):
        self.send(frame(op, sid, tid, payload))
        if not answer:
            return None
        hdr = self.read_exact(16)
        length = struct.unpack(">H", hdr[6:8])[0]
        r = parse_response(hdr + self.read_exact(length))
        return r

    def good(self, r, op, tid):
        assert r["sig"] == SIG_RESP, r
        assert r["op"] == op | 0x80, r
        assert r["tid"] == tid, r
        return r

    def open_session(self):
        """RESET(0,0), OPEN(1,1); returns (next tid, block limit)."""
        self.good(self.req(OP_RESET, 0, 0), OP_RESET, 0)
        r = self.good(self.req(OP_OPEN, 1, 1), OP_OPEN, 1)
        max_transfer = struct.unpack(">H", r["payload"][2:4])[0]
        return 2, min(max_transfer - 16, 2016)

    def blocks(self, data, tid, limit):
        """Sends data in blocks; returns the next tid."""
        pos = 0
        while pos < len(data):
            chunk = data[pos:pos + limit]
            self.good(self.req(OP_CMD, 1, tid, struct.pack(">H", len(chunk))), OP_CMD, tid)
            r = self.good(self.req(OP_BLOCK, 1, tid + 1, chunk), OP_BLOCK, tid + 1)
            residue = struct.unpack(">H", r["payload"])[0]
            pos += len(chunk) - residue
            tid += 2
        return tid

    def transfer(self, data, close=True):
        tid, limit = self.open_session()
        tid = self.blocks(data, tid, limit)
        if close:
            self.good(self.req(OP_RESET, 1, tid), OP_RESET, tid)
        return tid

    # -- flows --

    def wake(self):
        """After a boot into mode 1 or 2: echo off."""
        self.sysstart()
        self.assertok("ATE0")

    def assertok(self, cmd):
        res, text = self.at(cmd)
        if res != "OK":
            raise AssertionError("%s answered %s %r" % (cmd, res, text))
        return text

    def to_updater(self):
        """Application → upgrade mode, as the reference does (AT+SMSWBOOT=3,1)."""
        self.assertok("AT+SMSWBOOT=3,1")
        self.event("mode", **{"from": 2, "to": 4})
        self.sysstart()


def mkimage(tmp, kind, build, size, frm=None, seed=None, channel=None):
    out = os.path.join(tmp, "%s-%d-%d-%s-%s.img" % (kind, build, size, frm, channel))
    cmd = [SQNSIM, "mkimage", "--kind", kind, "--build", str(build), "--size", str(size)]
    if frm is not None:
        cmd += ["--from", str(frm)]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if channel is not None:
        cmd += ["--channel", channel]
    subprocess.run(cmd + [out], check=True)
    with open(out, "rb") as f:
        return f.read()


class SimTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="sqnsim-model-")
        self.tmp = self._tmp.name
        self.sims = []

    def tearDown(self):
        for s in self.sims:
            s.close()
        self._tmp.cleanup()

    def sim(self, *args, state=None):
        s = Sim(self.tmp, FAST + list(args), state=state)
        self.sims.append(s)
        return s

    def image(self, kind, build, size=20000, **kw):
        return mkimage(self.tmp, kind, build, size, **kw)

    def refused(self, m, cmd, mode):
        res, _ = m.at(cmd)
        self.assertEqual(res, "ERROR", cmd)
        e = [x for x in m.all("at", cmd=cmd, mode=mode)]
        self.assertTrue(e and e[-1]["result"] == "ERROR", (cmd, e))


# ---- 1. commands by mode ----


class CommandsByMode(SimTest):
    def test_application_refuses_on_the_fly_and_stp(self):
        m = self.sim("--mode", "2")
        m.wake()
        self.refused(m, 'AT+SMSTPU="ON_THE_FLY"', 2)
        self.refused(m, "AT+STP", 2)
        self.assertIn("+SMLOG: LOG_INHERIT", m.assertok("AT+SMLOG?"))
        self.assertEqual(m.assertok("AT+SMOD?").strip(), "2")
        self.assertEqual(m.all("stp_start"), [])

    def test_updater_modes(self):
        for mode in (3, 4):
            with self.subTest(mode=mode):
                m = self.sim("--mode", str(mode))
                m.sysstart()
                res, text = m.at("AT")  # no echo in the updater
                self.assertEqual((res, text), ("OK", "\r\n"))
                self.assertRegex(m.assertok("AT+SMLOG?"), r"\+SMLOG: \S+")
                self.refused(m, "AT+SMSTPU", mode)
                self.refused(m, "AT+STP", mode)
                m.assertok('AT+SMSTPU="ON_THE_FLY"')
                m.event("stp_start", method="ON_THE_FLY")

    def test_recovery(self):
        m = self.sim("--mode", "0")
        m.rate(115200)
        m.sysstart()
        for cmd in ("AT+SMSTPU", 'AT+SMSTPU="ON_THE_FLY"', "AT+SMLOG?", "AT+SMUPGRADE?"):
            self.refused(m, cmd, 0)
        m.assertok("AT+STP")
        m.event("stp_start", method="STP")

    def test_mtools_on_the_fly_full_image(self):
        img = self.image("full", 39529)
        m = self.sim("--mode", "1")
        m.wake()
        self.refused(m, "AT+SMLOG?", 1)
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.event("stp_start", method="ON_THE_FLY")
        m.transfer(img)
        m.event("upgrade", result="success", kind="full", build=39529)
        m.event("mode", **{"from": 1, "to": 2})
        m.wake()
        self.assertIn("39529", m.assertok("ATI1"))

    def test_mtools_on_the_fly_boot_rom_and_diff(self):
        m = self.sim("--mode", "1")
        m.wake()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("bootrom", 40000, 2000))
        m.event("upgrade", result="success", kind="bootrom", build=40000)
        self.assertEqual(m.state_dict()["bootloader0"], "40000")
        self.assertEqual(m.state_dict()["mode"], "1")
        # A diff is not taken in mtools, even from the running build.
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("diff", 39529, frm=38638))
        m.event("upgrade", result="fail", kind="diff")
        self.assertEqual(m.assertok("AT+SMOD?").strip(), "1")


# ---- 2. --old-firmware ----


class OldFirmware(SimTest):
    def test_every_reboot_now_is_refused(self):
        m = self.sim("--mode", "2", "--old-firmware")
        m.wake()
        for t in (0, 1, 3):
            self.refused(m, "AT+SMSWBOOT=%d,1" % t, 2)
        m.assertok("AT+SMSWBOOT=3,0")
        self.assertIn("FFH", m.assertok("AT+SMSWBOOT?"))
        m.assertok("AT^RESET")
        m.event("mode", **{"from": 2, "to": 4})
        m.sysstart()
        for t in (0, 1, 3):
            self.refused(m, "AT+SMSWBOOT=%d,1" % t, 4)
        self.refused(m, "AT+SMSWBOOT=1,0", 4)  # no image applied yet
        m.assertok("AT+SMSWBOOT=3,0")
        m.assertok("AT^RESET")
        m.event("boot", mode=4)
        m.sysstart()
        # An image applied: target 1 by =1,0 and AT^RESET.
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 39529))
        m.event("upgrade", result="success")
        self.refused(m, "AT+SMSWBOOT=1,1", 4)
        m.assertok("AT+SMSWBOOT=1,0")
        m.assertok("AT^RESET")
        m.event("mode", **{"from": 4, "to": 2})
        m.wake()
        self.assertIn("39529", m.assertok("ATI1"))

    def test_target_0_by_reset(self):
        m = self.sim("--mode", "4", "--old-firmware")
        m.sysstart()
        self.refused(m, "AT+SMSWBOOT=0,1", 4)
        m.assertok("AT+SMSWBOOT=0,0")
        m.assertok("AT^RESET")
        m.event("mode", **{"from": 4, "to": 0})
        m.rate(115200)
        m.sysstart()
        self.assertEqual(m.assertok("AT+SMOD?").strip(), "0")


# ---- 3, 4. the stored method ----


class StoredMethod(SimTest):
    def store(self, m, img):
        m.assertok("AT+SMSTPU")
        m.event("stp_start", method="FFF")
        m.transfer(img)
        m.event("image", method="FFF")

    def apply(self, m):
        """AT+SMUPGRADE as recorded: 2 → 4 (on-going) → 2."""
        m.assertok("AT+SMUPGRADE")
        m.event("mode", **{"from": 2, "to": 4})
        m.sysstart()
        res, text = m.at("AT+SMUPGRADE?")
        self.assertEqual(res, "OK")
        self.assertIn("+SMUPGRADE: on-going", text)
        self.assertEqual(m.state_dict()["mode"], "2")  # the flash still boots the application
        m.event("mode", **{"from": 4, "to": 2})
        m.wake()

    def test_fff_full_image(self):
        m = self.sim("--mode", "2")
        m.wake()
        self.store(m, self.image("full", 39529))
        self.apply(m)
        self.assertIn("+SMUPGRADE: success", m.assertok("AT+SMUPGRADE?"))
        self.assertIn("+SMSWBOOT: FFF", m.assertok("AT+SMSWBOOT?"))
        self.assertIn("39529", m.assertok("ATI1"))
        m.event("upgrade", result="success", kind="full", build=39529)
        modes = [(e["from"], e["to"]) for e in m.all("mode")]
        self.assertEqual(modes, [(2, 4), (4, 2)])
        # No echo in mode 4, and mode 4 answered with "+SMUPGRADE: on-going".
        q = [e for e in m.all("at", cmd="AT+SMUPGRADE?")]
        self.assertEqual(q[0]["mode"], 4)

    def test_fff_mode4_part_refuses_new_work(self):
        m = self.sim("--mode", "2", "--apply-ms", "1500")
        m.wake()
        self.store(m, self.image("full", 39529))
        m.assertok("AT+SMUPGRADE")
        m.sysstart()
        self.assertEqual(m.assertok("AT+SMOD?").strip(), "4")
        self.refused(m, 'AT+SMSTPU="ON_THE_FLY"', 4)
        self.refused(m, "AT+SMSWBOOT=1,1", 4)
        m.event("mode", **{"from": 4, "to": 2})

    def test_fff_fail_keeps_the_build(self):
        m = self.sim("--mode", "2")
        m.wake()
        self.store(m, self.image("diff", 39529, frm=11111))
        self.apply(m)
        self.assertIn("+SMUPGRADE: fail", m.assertok("AT+SMUPGRADE?"))
        self.assertIn("38638", m.assertok("ATI1"))

    def test_fff_boot_rom(self):
        m = self.sim("--mode", "2")
        m.wake()
        self.store(m, self.image("bootrom", 40000, 3000))
        self.apply(m)
        self.assertIn("+SMUPGRADE: success", m.assertok("AT+SMUPGRADE?"))
        text = m.assertok('AT!="showver"')
        self.assertIn("Bootloader0  : 5.1.1.0 [40000]", text)
        self.assertIn("Software     : 5.1.1.0 [38638]", text)
        m.event("upgrade", result="success", kind="bootrom", build=40000)

    def test_power_cut_in_the_mode4_part(self):
        m = self.sim("--mode", "2", "--apply-ms", "60000")
        m.wake()
        self.store(m, self.image("full", 39529))
        m.assertok("AT+SMUPGRADE")
        m.sysstart()
        m.proc.kill()  # the power goes: no goodbye, the flash as it is
        m.proc.wait()
        m.close()
        self.sims.remove(m)
        m2 = self.sim(state=m.state)
        m2.event("power_on", mode=2, build=38638)
        m2.wake()
        self.assertIn("+SMUPGRADE: fail", m2.assertok("AT+SMUPGRADE?"))
        self.assertIn("38638", m2.assertok("ATI1"))
        self.assertEqual(m2.state_dict()["fff"], "1")  # still stored: try again
        self.apply(m2)
        self.assertIn("+SMUPGRADE: success", m2.assertok("AT+SMUPGRADE?"))
        self.assertIn("39529", m2.assertok("ATI1"))


# ---- 5. --sticky-bootrom, and the reference's boot ROM step ----


class BootRom(SimTest):
    def otf_bootrom(self, *args):
        m = self.sim("--mode", "2", *args)
        m.wake()
        m.to_updater()
        m.assertok("AT+CFUN=4")
        m.assertok("AT+SMLOG?")
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("bootrom", 40000, 4000))
        return m

    def test_reference_step_1(self):
        m = self.otf_bootrom()
        m.event("upgrade", result="success", kind="bootrom", build=40000)
        self.assertEqual(m.state_dict()["bootloader0"], "40000")
        m.assertok("AT+SMSWBOOT=0,1")
        m.event("mode", **{"from": 4, "to": 0})
        m.rate(115200)
        m.sysstart()
        self.assertEqual(m.assertok("AT+SMOD?").strip(), "0")
        boot = m.event("boot", mode=0)
        switch = m.all("mode", to=0)[0]
        self.assertGreaterEqual(boot["t"] - switch["t"], 150)

    def test_sticky(self):
        m = self.otf_bootrom("--sticky-bootrom")
        m.event("upgrade", result="success", kind="bootrom")
        self.assertIn("success", m.assertok("AT+SMUPGRADE?"))
        self.assertEqual(m.state_dict()["bootloader0"], "33080")


# ---- 6. checking after an interrupted ON_THE_FLY transfer ----


class Check(SimTest):
    def test_incomplete_image_is_checked(self):
        img = self.image("full", 39529)
        m = self.sim("--mode", "4", "--check-ms", "1500")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(img[:6000])
        m.event("check", state="start", method="ON_THE_FLY")
        m.assertok("AT")
        self.assertIn("+SMUPGRADE: on-going", m.assertok("AT+SMUPGRADE?"))
        for cmd in ('AT+SMSTPU="ON_THE_FLY"', "AT+SMSTPU", "AT+SMSWBOOT=0,1", "AT+SMSWBOOT=3,0"):
            self.refused(m, cmd, 4)
        m.event("check", state="done")
        m.event("upgrade", result="fail")
        self.assertIn("+SMUPGRADE: fail", m.assertok("AT+SMUPGRADE?"))
        self.assertEqual(m.assertok("AT+SMOD?").strip(), "4")
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(img)
        m.event("upgrade", result="success", build=39529)
        self.assertEqual(len(m.all("check", state="start")), 1)

    def test_complete_image_is_applied_silently(self):
        m = self.sim("--mode", "4", "--apply-ms", "800")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 39529))
        m.send(b"AT\r")
        self.assertEqual(m.quiet(0.4), b"")  # applying: input discarded
        m.event("upgrade", result="success")
        m.assertok("AT")
        self.assertEqual(m.all("check"), [])

    def test_mtools_incomplete(self):
        m = self.sim("--mode", "1")
        m.wake()
        m.assertok("AT+SMSTPU")
        m.transfer(self.image("full", 39529)[:5000])
        m.event("check", state="start", method="MTOOLS")
        self.refused(m, "AT+SMSTPU", 1)
        m.event("check", state="done")
        m.event("upgrade", result="fail")


# ---- 7. faults ----


class Faults(SimTest):
    def test_corrupt_signature(self):
        m = self.sim("--mode", "4", "--corrupt-signature", "3")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.good(m.req(OP_RESET, 0, 0), OP_RESET, 0)
        m.good(m.req(OP_OPEN, 1, 1), OP_OPEN, 1)
        r = m.req(OP_CMD, 1, 2, struct.pack(">H", 100))
        self.assertNotEqual(r["sig"], SIG_RESP)
        self.assertEqual((r["op"], r["tid"]), (0x82, 2))
        m.good(m.req(OP_CMD, 1, 2, struct.pack(">H", 100)), OP_CMD, 2)  # repeated: good
        e = m.event("fault", kind="corrupt_signature")
        self.assertEqual((e["n"], e["op"], e["tid"]), (3, 0x82, 2))

    def test_corrupt_signature_every(self):
        img = self.image("full", 39529, 5000)
        m = self.sim("--mode", "4", "--corrupt-signature-every", "6")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        n = 0
        bad = []
        reqs = [(OP_RESET, 0, 0, b""), (OP_OPEN, 1, 1, b"")]
        tid = 2
        for pos in range(0, len(img), 1000):
            chunk = img[pos:pos + 1000]
            reqs += [(OP_CMD, 1, tid, struct.pack(">H", len(chunk))),
                     (OP_BLOCK, 1, tid + 1, chunk)]
            tid += 2
        reqs.append((OP_RESET, 1, tid, b""))
        for op, sid, t, p in reqs:
            while True:
                r = m.req(op, sid, t, p)
                n += 1
                if r["sig"] == SIG_RESP:
                    break
                bad.append(n)
        # 15 responses; the closing RESET's (the last) must not be hit: it is not repeatable.
        self.assertEqual(bad, [6, 12])
        self.assertEqual([e["n"] for e in m.all("fault", kind="corrupt_signature")], bad)
        m.event("upgrade", result="success")

    def test_hang(self):
        img = self.image("full", 39529, 10000)
        m = self.sim("--mode", "4", "--hang-at", "4000")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        tid, _ = m.open_session()
        tid = m.blocks(img[:3000], tid, 1000)
        m.good(m.req(OP_CMD, 1, tid, struct.pack(">H", 1000)), OP_CMD, tid)
        m.req(OP_BLOCK, 1, tid + 1, img[3000:4000], answer=False)
        m.event("hang", at=4000)
        e = m.event("fault", kind="hang")
        self.assertEqual((e["at"], e["tid"]), (4000, tid + 1))
        m.send(frame(OP_BLOCK, 1, tid + 1, img[3000:4000]) + b"AT\r" + frame(OP_RESET, 0, 0))
        self.assertEqual(m.quiet(0.5), b"")
        self.assertIsNone(m.proc.poll())
        self.assertEqual(m.stop(), 0)
        m.event("power_off")


# ---- 8. STP RESET ----


class Reset(SimTest):
    def test_restart_drops_the_data(self):
        img = self.image("full", 39529, 8000)
        m = self.sim("--mode", "4")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        tid, limit = m.open_session()
        m.blocks(img[:3000], tid, limit)
        m.good(m.req(OP_RESET, 0, 0), OP_RESET, 0)  # answered; still STP
        self.assertEqual(m.event("stp_restart")["bytes"], 3000)
        m.good(m.req(OP_OPEN, 1, 1), OP_OPEN, 1)
        tid = m.blocks(img, 2, limit)
        m.good(m.req(OP_RESET, 1, tid), OP_RESET, tid)
        e = m.event("image")
        self.assertEqual((e["bytes"], e["complete"]), (8000, True))
        m.event("upgrade", result="success")

    def test_closing_without_data(self):
        m = self.sim("--mode", "4")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.good(m.req(OP_RESET, 0, 0), OP_RESET, 0)
        m.good(m.req(OP_RESET, 0, 0), OP_RESET, 0)  # a repeat: still STP
        m.send(b"AT\r")  # junk to STP
        self.assertEqual(m.quiet(0.3), b"")
        m.good(m.req(OP_RESET, 0, 0, b""), OP_RESET, 0)
        m.good(m.req(OP_OPEN, 1, 1), OP_OPEN, 1)
        m.good(m.req(OP_RESET, 1, 2), OP_RESET, 2)
        e = m.event("image")
        self.assertEqual((e["bytes"], e["complete"]), (0, False))
        m.event("check", state="start", bytes=0)
        m.assertok("AT")
        self.assertEqual(m.all("stp_restart"), [])

    def test_stuck_session_after_a_vanished_host(self):
        img = self.image("full", 39529, 8000)
        m = self.sim("--mode", "4", "--vanish-at", "3000")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        tid, _ = m.open_session()
        tid = m.blocks(img[:2000], tid, 1000)
        m.good(m.req(OP_CMD, 1, tid, struct.pack(">H", 1000)), OP_CMD, tid)
        m.req(OP_BLOCK, 1, tid + 1, img[2000:3000], answer=False)  # answered into the void
        self.assertEqual(m.proc.wait(WAIT), 4)
        m.close()
        self.sims.remove(m)
        m2 = self.sim(state=m.state)
        m2.event("resume", bytes=3000)
        m2.good(m2.req(OP_RESET, 0, 0), OP_RESET, 0)
        self.assertEqual(m2.event("stp_restart")["bytes"], 3000)
        m2.good(m2.req(OP_OPEN, 1, 1), OP_OPEN, 1)
        m2.good(m2.req(OP_RESET, 1, 2), OP_RESET, 2)
        e = m2.event("image")
        self.assertEqual((e["bytes"], e["complete"]), (0, False))
        m2.event("check", state="start")
        self.assertIn("on-going", m2.assertok("AT+SMUPGRADE?"))
        m2.event("check", state="done")
        self.assertIn("fail", m2.assertok("AT+SMUPGRADE?"))
        self.assertEqual(m2.assertok("AT+SMOD?").strip(), "4")

    def test_fff_closed_empty(self):
        m = self.sim("--mode", "2")
        m.wake()
        m.assertok("AT+SMSTPU")
        m.good(m.req(OP_RESET, 0, 0), OP_RESET, 0)
        m.good(m.req(OP_OPEN, 1, 1), OP_OPEN, 1)
        m.good(m.req(OP_RESET, 1, 2), OP_RESET, 2)
        e = m.event("image", method="FFF")
        self.assertEqual((e["bytes"], e["complete"]), (0, False))
        m.assertok("AT")
        self.assertEqual(m.state_dict()["fff_complete"], "0")


# ---- 9. mkimage --kind bootrom ----


class MkImage(SimTest):
    def test_bootrom_layout(self):
        img = self.image("bootrom", 40000, 1000)
        self.assertTrue(img.startswith(b"UPGRbootrom upgrade package"))
        self.assertLess(img.index(b"SQNSIM-IMAGE kind=bootrom build=40000"), 200)
        self.assertEqual(len(img), 1000)

    def test_modem_checks_the_magic(self):
        img = bytearray(self.image("bootrom", 40000, 1000))
        img[0:4] = b"XXXX"
        m = self.sim("--mode", "4")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(bytes(img))
        e = m.event("image")
        self.assertEqual((e["kind"], e["complete"], e["bad_at"]), ("bootrom", False, 0))


# ---- 10. the command line (one table row per option) ----


class Options(SimTest):
    def run_sim(self, *args):
        return subprocess.run([SQNSIM] + list(args), capture_output=True, text=True, timeout=WAIT)

    def test_numbers_are_bounded(self):
        for opt, bad, lo, hi in (("--mode", "5", 0, 4), ("--boot-ms", "x", 0, 3600000),
                                 ("--rate", "49", 50, 16000000),
                                 ("--max-transfer", "16", 17, 65535),
                                 ("--seed", "-1", 0, 2**64 - 1),
                                 ("--hang-at", "0", 1, 2**64 - 1)):
            with self.subTest(opt=opt):
                r = self.run_sim("--link", os.path.join(self.tmp, "x"), opt, bad)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stderr.splitlines()[0],
                                 "sqnsim: %s: expected a number in %d..%d, got '%s'"
                                 % (opt, lo, hi, bad))

    def test_help_lists_every_option(self):
        r = self.run_sim("--help")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("usage: sqnsim --link PATH [options]\n"))
        for line in ("  --boot-ms N          reboot to +SYSSTART (default 2000)",
                     "  --corrupt-signature N",
                     "  --stall-at PCT:MS    stop answering MS ms when the image reaches PCT %",
                     "                       (repeatable, up to 8)",
                     "  --board-updater FILE the board's /flash/updater.elf", "  --help"):
            self.assertIn(line + "\n", r.stdout)


# ---- 11. what real modems were seen doing ----

CPSMS = b'\r\n+CPSMS: 1,,,"10000110","00011110"\r\n'
CEREG = b"\r\n+CEREG: 2\r\n"
BUILT_2017 = "by robot-soft at 2017-12-11 15:06:33"


def showver(rows, ue):
    """The SYSTEM VERSION block as AT!="showver" answers it, before OK."""
    lines = ["SYSTEM VERSION", "==============", "  FIRMWARE VERSION"] + rows[:3] + \
        ["    NV Info      : 1.1,0,0", rows[3], "    UE           : " + ue, "  COMPONENTS",
         "    ZSP0         : 1.0.99-13604", "    ZSP1         : 1.0.99-12341"]
    return "\r\n" + "".join(x + "\r\n" for x in lines)


class FieldTest(SimTest):
    def power_cycle(self, m, *args):
        """SIGTERM (a clean power-off), then a new process on the same flash."""
        self.assertEqual(m.stop(), 0)
        m.proc.stdout.close()
        m.proc.stderr.close()
        self.sims.remove(m)
        return self.sim(*args, state=m.state)


class FirstError(FieldTest):
    def test_first_line_after_every_boot(self):
        m = self.sim("--mode", "2", "--first-error")
        m.sysstart()
        m.send(b"AT+CGSN\r")
        self.assertEqual(m.read_exact(len(b"AT+CGSN\r\r\nERROR\r\n")), b"AT+CGSN\r\r\nERROR\r\n")
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(len(b"AT\r\r\nOK\r\n")), b"AT\r\r\nOK\r\n")
        e = m.event("first_error")
        self.assertEqual((e["mode"], e["cmd"], e["why"]), (2, "AT+CGSN", "boot"))
        self.assertEqual(m.all("at", cmd="AT+CGSN")[0]["result"], "ERROR")
        m.assertok("ATE0")
        m.assertok("AT^RESET")  # every boot
        m.event("boot", mode=2)
        m.sysstart()
        self.assertEqual(m.at("ATE0"), ("ERROR", "ATE0\r\r\n"))
        self.assertEqual(m.at("ATE0"), ("OK", "ATE0\r\r\n"))
        self.assertEqual(len(m.all("first_error")), 2)

    def test_boot_rom_answers_tersely(self):
        m = self.sim("--mode", "0", "--first-error")
        m.rate(115200)
        m.sysstart()
        for cmd, answer in ((b"AT\r", b"ERROR\r\n"), (b"AT\r", b"OK\r\n"),
                            (b"AT+SMOD?\r", b"0\r\nOK\r\n")):
            m.send(cmd)
            self.assertEqual(m.read_exact(len(answer)), answer)
        e = m.event("first_error")
        self.assertEqual((e["mode"], e["why"]), (0, "boot"))

    def test_first_line_after_five_idle_seconds(self):
        m = self.sim("--mode", "4", "--first-error")
        m.sysstart()
        self.assertEqual(m.at("AT"), ("ERROR", "\r\n"))
        self.assertEqual(m.at("AT+SMOD?"), ("OK", "\r\n4\r\n"))
        self.assertEqual(m.quiet(5.3), b"")  # the host says nothing for 5 s
        m.send(b"AT+SMOD?\r")
        self.assertEqual(m.read_exact(len(b"\r\nERROR\r\n")), b"\r\nERROR\r\n")
        self.assertEqual(m.at("AT+SMOD?"), ("OK", "\r\n4\r\n"))
        self.assertEqual([e["why"] for e in m.all("first_error")], ["boot", "idle"])


class CrashDump(FieldTest):
    def test_every_nth_answer_has_a_dump_in_front(self):
        m = self.sim("--mode", "4", "--crash-dump", "2")
        m.sysstart()
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(6), b"\r\nOK\r\n")
        m.send(b"AT+SMOD?\r")
        raw = m.read_exact(300 + len(b"\r\n4\r\nOK\r\n"))
        dump, answer = raw[:300], raw[300:]
        self.assertEqual(answer, b"\r\n4\r\nOK\r\n")
        self.assertNotIn(b"\r", dump)
        self.assertNotIn(b"\n", dump)
        self.assertIn(b"\0\0", dump)
        self.assertIn(b"5.1.1.0 [39529] by robot-soft at 2018-08-20", dump)
        self.assertIn(b"Assertion failed", dump)
        self.assertTrue(dump.endswith(b"hal_misc.c@420 'Spurious Int"), dump)
        self.assertTrue(any(b >= 0x80 for b in dump))
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(6), b"\r\nOK\r\n")
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(306), dump + b"\r\nOK\r\n")
        self.assertEqual([(e["n"], e["cmd"], e["bytes"]) for e in m.all("crash_dump")],
                         [(2, "AT+SMOD?", 300), (4, "AT", 300)])

    def test_not_in_the_boot_rom(self):
        m = self.sim("--mode", "0", "--crash-dump", "1")
        m.rate(115200)
        m.sysstart()
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(4), b"OK\r\n")
        self.assertEqual(m.all("crash_dump"), [])


class Urc(FieldTest):
    def test_every_nth_answer_in_the_application(self):
        m = self.sim("--mode", "2", "--urc", "2")
        m.wake()  # ATE0: the first command line
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(len(CPSMS) + 6 + len(CEREG)), CPSMS + b"\r\nOK\r\n" + CEREG)
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(6), b"\r\nOK\r\n")
        m.send(b"AT+SMOD?\r")
        want = CPSMS + b"\r\n2\r\nOK\r\n" + CEREG
        self.assertEqual(m.read_exact(len(want)), want)
        self.assertEqual(m.quiet(0.2), b"")
        self.assertEqual([(e["where"], e["line"]) for e in m.all("urc")],
                         [("before", '+CPSMS: 1,,,"10000110","00011110"'),
                          ("after", "+CEREG: 2")] * 2)

    def test_not_in_the_updater(self):
        m = self.sim("--mode", "4", "--urc", "1")
        m.sysstart()
        m.send(b"AT\r")
        self.assertEqual(m.read_exact(6), b"\r\nOK\r\n")
        self.assertEqual(m.quiet(0.2), b"")
        self.assertEqual(m.all("urc"), [])


class Showver(FieldTest):
    def test_todays_layout(self):
        m = self.sim("--mode", "2")
        m.wake()
        self.assertEqual(m.assertok('AT!="showver"'), showver(
            ["    Bootloader0  : 5.1.1.0 [33080]", "    Bootloader1* : 5.1.1.0 [38638]",
             "    Bootloader2  : 5.1.1.0 [38638]",
             "    Software     : 5.1.1.0 [38638] by robot-soft at 2018-08-20 09:51:46"],
            "5.0.0.0d"))
        self.assertEqual(m.event("showver")["layout"], "2018")

    def test_2017_layout(self):
        m = self.sim("--mode", "2", "--showver-2017", "--build", "33988")
        m.wake()
        self.assertEqual(m.assertok('AT!="showver"'), showver(
            ["    Bootloader0  : BUILD5.1.1.0-33080 " + BUILT_2017,
             "    Bootloader1* : BUILD5.1.1.0-33988 " + BUILT_2017,
             "    Bootloader2  : BUILD5.1.1.0-33988 " + BUILT_2017,
             "    Software     : BUILD5.1.1.0-33988 " + BUILT_2017], "5.0.0.0d"))
        e = m.event("showver")
        self.assertEqual((e["layout"], e["version"], e["build"]), ("2017", "5.1.1.0", 33988))

    def test_error_once_per_power_on(self):
        m = self.sim("--mode", "2", "--showver-error-once")
        m.wake()
        self.assertEqual(m.at('AT!="showver"'), ("ERROR", "\r\n"))
        self.assertIn("Bootloader1* : 5.1.1.0 [38638]", m.assertok('AT!="showver"'))
        self.assertIn("Bootloader1* : 5.1.1.0 [38638]", m.assertok('AT!="showver"'))
        m.assertok("AT^RESET")  # a reboot is not a power cycle
        m.wake()
        self.assertIn("SYSTEM VERSION", m.assertok('AT!="showver"'))
        self.assertEqual(len(m.all("showver_error")), 1)
        m2 = self.power_cycle(m, "--showver-error-once")
        m2.wake()
        self.assertEqual(m2.at('AT!="showver"'), ("ERROR", "\r\n"))
        self.assertIn("SYSTEM VERSION", m2.assertok('AT!="showver"'))
        m2.event("showver_error", mode=2)


PATCH = "\r\n+SMUPGRADE: failure[diffUpgrade,239] Patch didn't apply!\r\n"


class RefusedDiff(FieldTest):
    def refuse(self, m):
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("diff", 39529, frm=11111))
        e = m.event("upgrade", result="fail")
        self.assertEqual((e["kind"], e["reason"], e["build"]), ("diff", "patch", 38638))
        self.assertEqual(m.assertok("AT+SMUPGRADE?"), PATCH)

    def test_the_modems_words(self):
        m = self.sim("--mode", "2")
        m.wake()
        m.to_updater()
        self.refuse(m)
        self.refused(m, "AT+SMSWBOOT=1,1", 4)  # the default: the updater does not leave
        self.refused(m, "AT+SMSWBOOT=1,0", 4)
        self.assertEqual(m.state_dict()["report"], "fail_patch")
        # Other failures keep the plain word: an incomplete image, a full image for another build.
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 48829, frm=39529))
        e = m.event("upgrade", result="fail", kind="full")
        self.assertNotIn("reason", e)
        self.assertEqual(m.assertok("AT+SMUPGRADE?"), "\r\n+SMUPGRADE: fail\r\n")

    def test_stored_diff_for_another_base(self):
        m = self.sim("--mode", "2")
        m.wake()
        m.assertok("AT+SMSTPU")
        m.transfer(self.image("diff", 39529, frm=11111))
        m.event("image", method="FFF")
        m.assertok("AT+SMUPGRADE")
        m.sysstart()  # mode 4, applying
        m.event("mode", **{"from": 4, "to": 2})
        m.wake()
        self.assertEqual(m.assertok("AT+SMUPGRADE?"), PATCH)
        self.assertEqual(m.event("upgrade", result="fail")["reason"], "patch")
        self.assertEqual(m.assertok("ATI1"), "\r\nUE5.0.0.0d\r\nLR5.1.1.0-38638\r\n")

    def test_refusal_keeps_firmware(self):
        for how in ("=1,1", "=1,0"):
            with self.subTest(how=how):
                m = self.sim("--mode", "2", "--refusal-keeps-firmware")
                m.wake()
                m.to_updater()
                self.refuse(m)
                if how == "=1,1":
                    m.assertok("AT+SMSWBOOT=1,1")
                else:
                    m.assertok("AT+SMSWBOOT=1,0")
                    m.assertok("AT^RESET")
                m.event("mode", **{"from": 4, "to": 2})
                m.wake()
                self.assertEqual(m.assertok("ATI1"), "\r\nUE5.0.0.0d\r\nLR5.1.1.0-38638\r\n")
                self.assertEqual(m.assertok("AT+SMOD?"), "\r\n2\r\n")

    def test_refusal_keeps_firmware_not_after_other_failures(self):
        m = self.sim("--mode", "4", "--refusal-keeps-firmware")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 48829, frm=39529))
        m.event("upgrade", result="fail")
        self.refused(m, "AT+SMSWBOOT=1,1", 4)


class Timing(FieldTest):
    def test_app_boot_after_an_upgrade(self):
        m = self.sim("--mode", "2", "--app-boot-ms", "1200")
        m.wake()
        m.to_updater()
        self.assertEqual(m.all("mode", to=4)[0]["ms"], 100)  # other boots: --boot-ms
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 39529))
        m.event("upgrade", result="success")
        m.assertok("AT+SMSWBOOT=1,1")
        switch = m.event("mode", **{"from": 4, "to": 2})
        self.assertEqual(switch["ms"], 1200)
        m.sysstart()
        boot = m.event("boot", mode=2, build=39529)
        self.assertEqual(boot["ms"], 1200)
        self.assertGreaterEqual(boot["t"] - switch["t"], 1200)

    def test_updater_load(self):
        m = self.sim("--mode", "0", "--updater-ms", "900")
        m.rate(115200)
        m.sysstart()
        m.assertok("AT+STP")
        m.transfer(self.image("updater", 1, 3000))
        switch = m.event("mode", **{"from": 0, "to": 4})
        self.assertEqual(switch["ms"], 900)
        m.rate(921600)  # the updater's rate
        m.send(b"AT\r")
        self.assertEqual(m.quiet(0.4), b"")  # loading: input discarded
        m.sysstart()
        boot = m.event("boot", mode=4)
        self.assertGreaterEqual(boot["t"] - switch["t"], 900)
        m.assertok("AT")

    def test_field_timing_and_explicit_options(self):
        for args, app, upd in ((["--field-timing"], 25000, 20000),
                               (["--app-boot-ms", "700", "--field-timing"], 700, 20000),
                               (["--field-timing", "--updater-ms", "600"], 25000, 600)):
            with self.subTest(args=args):
                m = self.sim("--mode", "0", *args)
                m.rate(115200)
                m.sysstart()
                m.assertok("AT+STP")
                m.transfer(self.image("updater", 1, 3000))
                self.assertEqual(m.event("mode", **{"from": 0, "to": 4})["ms"], upd)
                m.close()
                m = self.sim("--mode", "4", *args)
                m.sysstart()
                m.assertok('AT+SMSTPU="ON_THE_FLY"')
                m.transfer(self.image("full", 39529))
                m.event("upgrade", result="success")
                m.assertok("AT+SMSWBOOT=1,1")
                self.assertEqual(m.event("mode", **{"from": 4, "to": 2})["ms"], app)
                m.close()


class FffStuck(FieldTest):
    def test_first_block_never_answered(self):
        img = self.image("full", 39529)
        m = self.sim("--mode", "2", "--fff-stuck")
        m.wake()
        m.assertok("AT+SMSTPU")
        m.good(m.req(OP_RESET, 0, 0), OP_RESET, 0)
        m.good(m.req(OP_OPEN, 1, 1), OP_OPEN, 1)
        m.good(m.req(OP_CMD, 1, 2, struct.pack(">H", 1000)), OP_CMD, 2)
        m.req(OP_BLOCK, 1, 3, img[:1000], answer=False)
        e = m.event("fff_stuck")
        self.assertEqual((e["tid"], e["block"]), (3, 1000))
        m.send(frame(OP_BLOCK, 1, 3, img[:1000]) + frame(OP_RESET, 0, 0) + b"AT\r")
        self.assertEqual(m.quiet(0.5), b"")
        self.assertEqual(m.all("image"), [])
        m2 = self.power_cycle(m, "--fff-stuck")
        m.event("power_off")
        m2.wake()
        self.assertEqual(m2.assertok("ATI1"), "\r\nUE5.0.0.0d\r\nLR5.1.1.0-38638\r\n")

    def test_on_the_fly_unaffected(self):
        m = self.sim("--mode", "4", "--fff-stuck")
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 39529))
        m.event("upgrade", result="success")
        self.assertEqual(m.all("fff_stuck"), [])


class Channels(FieldTest):
    def test_versions_follow_the_channel(self):
        for args, ati1, rows, ue in (
                (["--channel", "nb1", "--build", "41019"], "\r\nUE6.0.0.0\r\nLR6.0.0.0-41019\r\n",
                 ["6.0.0.0 [41019]"], "6.0.0.0"),
                (["--build", "48829"], "\r\nUE5.2.0.3\r\nLR5.2.1.0-48829\r\n",
                 ["5.2.1.0 [48829]"], "5.2.0.3"),
                (["--channel", "catm1", "--build", "47999"],
                 "\r\nUE5.0.0.0d\r\nLR5.1.1.0-47999\r\n", ["5.1.1.0 [47999]"], "5.0.0.0d")):
            with self.subTest(args=args):
                m = self.sim("--mode", "2", *args)
                m.wake()
                self.assertEqual(m.assertok("ATI1"), ati1)
                v = rows[0]
                self.assertEqual(m.assertok('AT!="showver"'), showver(
                    ["    Bootloader0  : 5.1.1.0 [33080]", "    Bootloader1* : " + v,
                     "    Bootloader2  : " + v,
                     "    Software     : %s by robot-soft at 2018-08-20 09:51:46" % v], ue))
                m.close()

    def test_nb1_showver_2017(self):
        m = self.sim("--mode", "2", "--channel", "nb1", "--showver-2017")
        m.wake()
        self.assertIn("    Software     : BUILD6.0.0.0-38638 " + BUILT_2017 + "\r\n",
                      m.assertok('AT!="showver"'))

    def test_full_image_sets_the_channel_and_a_diff_keeps_it(self):
        m = self.sim("--mode", "2")
        m.wake()
        self.assertEqual(m.state_dict()["channel"], "catm1")
        m.to_updater()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 41019, channel="nb1"))
        self.assertEqual(m.event("image")["channel"], "nb1")
        self.assertEqual(m.event("upgrade", result="success")["channel"], "nb1")
        m.assertok("AT+SMSWBOOT=1,1")
        m.wake()
        self.assertEqual(m.assertok("ATI1"), "\r\nUE6.0.0.0\r\nLR6.0.0.0-41019\r\n")
        self.assertEqual(m.state_dict()["channel"], "nb1")
        m.to_updater()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("diff", 46262, frm=41019))
        m.event("upgrade", result="success", build=46262)
        m.assertok("AT+SMSWBOOT=1,1")
        m.wake()
        self.assertEqual(m.assertok("ATI1"), "\r\nUE6.0.0.0\r\nLR6.0.0.0-46262\r\n")
        # Back to CAT-M1 with a full image without the field.
        m.assertok("AT+SMSTPU")
        m.transfer(self.image("full", 39529))
        m.assertok("AT+SMUPGRADE")
        m.sysstart()  # mode 4, applying
        m.event("upgrade", result="success", build=39529)
        m.event("mode", **{"from": 4, "to": 2})
        m.wake()
        self.assertEqual(m.assertok("ATI1"), "\r\nUE5.0.0.0d\r\nLR5.1.1.0-39529\r\n")

    def test_state_file(self):
        m = self.sim("--mode", "2", "--channel", "nb1")
        m.wake()
        m2 = self.power_cycle(m)  # the flash wins over the default
        self.assertEqual(m.state_dict()["channel"], "nb1")
        self.assertEqual(m2.event("power_on")["channel"], "nb1")
        m2.wake()
        self.assertIn("UE6.0.0.0", m2.assertok("ATI1"))
        old = os.path.join(self.tmp, "old-state")
        with open(old, "w") as f:  # written before channels existed
            f.write("mode=2\nbuild=41065\nbootloader0=33080\nupgraded=0\nreport=none\nfff=0\n"
                    "factory=0\nppp=0\n")
        m3 = self.sim("--channel", "nb1", state=old)
        self.assertEqual(m3.event("power_on")["channel"], "catm1")
        m3.wake()
        self.assertEqual(m3.assertok("ATI1"), "\r\nUE5.0.0.0d\r\nLR5.1.1.0-41065\r\n")

    def test_mkimage_tag(self):
        self.assertIn(b"seed=41019 channel=nb1\n", self.image("full", 41019, channel="nb1")[:256])
        self.assertIn(b"seed=39529\n", self.image("full", 39529)[:256])
        r = subprocess.run([SQNSIM, "mkimage", "--kind", "full", "--build", "1", "--size", "400",
                            "--channel", "lte", os.path.join(self.tmp, "x")],
                           capture_output=True, timeout=WAIT)
        self.assertEqual(r.returncode, 2)


class TwoPartRelease(FieldTest):
    def test_part_two_follows_part_one(self):
        part1 = self.image("full", 39529)  # CATM1-5.2-48829-1.dup
        part2 = self.image("full", 48829, frm=39529)  # CATM1-5.2-48829-2.dup
        self.assertIn(b"kind=full build=48829 from=39529 ", part2[:256])
        m = self.sim("--mode", "2")
        m.wake()
        m.to_updater()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(part1)
        m.event("upgrade", result="success", build=39529)
        m.assertok('AT+SMSTPU="ON_THE_FLY"')  # before any reset
        m.transfer(part2)
        m.event("upgrade", result="success", build=48829)
        self.assertEqual(m.assertok("AT+SMUPGRADE?"), "\r\n+SMUPGRADE: success\r\n")
        m.assertok("AT+SMSWBOOT=1,1")
        m.wake()
        self.assertEqual(m.assertok("ATI1"), "\r\nUE5.2.0.3\r\nLR5.2.1.0-48829\r\n")

    def test_part_two_alone_fails(self):
        m = self.sim("--mode", "4")  # build 38638
        m.sysstart()
        m.assertok('AT+SMSTPU="ON_THE_FLY"')
        m.transfer(self.image("full", 48829, frm=39529))
        e = m.event("upgrade", result="fail", kind="full")
        self.assertNotIn("reason", e)
        self.assertEqual(m.assertok("AT+SMUPGRADE?"), "\r\n+SMUPGRADE: fail\r\n")
        self.refused(m, "AT+SMSWBOOT=1,1", 4)
        self.assertEqual(m.state_dict()["build"], "38638")


if __name__ == "__main__":
    unittest.main()
