# SPDX-License-Identifier: MIT
"""Integration test harness: drives the sqnsupgrade CLI against sqnsim.

Each test gets its own simulator on its own pty link in a temporary folder.
The simulator prints a ready line once its link exists; it is stopped by its
PID. Nothing here sleeps to wait for an event: the harness waits on the ready
line, on process exit, or on the event log growing.
"""
import hashlib
import json
import os
import re
import atexit
import contextlib
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
# Run by hand: the build of `make` (build/), else the one of scripts/test.sh (build-test/).
BUILD = os.environ.get("SQNS_BUILD_DIR") or next(
    (d for d in (os.path.join(HERE, "..", "..", b) for b in ("build", "build-test"))
     if os.path.exists(os.path.join(d, "sqnsupgrade"))), os.path.join(HERE, "..", "..", "build"))
SQNSUPGRADE = os.environ.get("SQNSUPGRADE_BIN", os.path.join(BUILD, "sqnsupgrade"))
SQNSIM = os.environ.get("SQNSIM_BIN", os.path.join(BUILD, "sim", "sqnsim"))

# A guard against hangs, not a timing assertion: generous for slow shared machines.
HANG_GUARD = float(os.environ.get("SQNS_HANG_GUARD", "240"))

# Fast modem timings for the tests (milliseconds).
FAST = ["--boot-ms", "300", "--apply-ms", "400", "--bootloader-ms", "300"]
# A modem whose boot ROM was replaced by an earlier recovery upgrade; the
# simulator's default, like a real modem's, is the factory boot ROM (33080).
UPGRADED_ONCE = ["--bootloader0", "38638"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


class Sim:
    """One simulated modem: its link, state file and event log."""

    def __init__(self, workdir, *args, state=True):
        self.workdir = workdir
        self.link = os.path.join(workdir, "ttySIM")
        self.log = os.path.join(workdir, "sim-events.jsonl")
        self.state = os.path.join(workdir, "sim-state") if state else None
        self.args = list(args)
        self.proc = None

    def start(self, *extra):
        cmd = [SQNSIM, "--link", self.link, "--log", self.log]
        if self.state:
            cmd += ["--state", self.state]
        cmd += self.args + list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], HANG_GUARD)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("sqnsim: ready"):
            self.proc.kill()
            raise RuntimeError("sqnsim did not start: %r %r" % (line, self.proc.stderr.read()))
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=HANG_GUARD)
        if self.proc:
            self.proc.stdout.close()
            self.proc.stderr.close()
        self.proc = None

    def events(self, kind=None):
        if not os.path.exists(self.log):
            return []
        out = []
        with open(self.log) as f:
            for line in f:
                line = line.strip()
                if line:
                    ev = json.loads(line)
                    if kind is None or ev.get("ev") == kind:
                        out.append(ev)
        return out

    def wait_for(self, kind, guard=HANG_GUARD):
        """Wait until the event log holds an event of this kind (it is written as it happens)."""
        end = time.monotonic() + guard
        while time.monotonic() < end:
            found = self.events(kind)
            if found:
                return found
            if self.proc.poll() is not None:
                break
            # Block on the log growing rather than polling it in a hot loop.
            select.select([], [], [], 0.05)
        raise AssertionError("no %s event in the simulator's log" % kind)

    def at_commands(self):
        return [e["cmd"] for e in self.events("at")]

    def slave(self):
        """The pty slave the link points at (/dev/pts/N)."""
        return os.path.realpath(self.link)

    @contextlib.contextmanager
    def frozen(self):
        """The simulator stopped (SIGSTOP) inside the block: the modem neither reads nor
        answers, so a CLI in the middle of an exchange stays there, holding the port, until
        the block ends (SIGCONT). For looking at the port mid-run without a race."""
        self.proc.send_signal(signal.SIGSTOP)
        try:
            yield self
        finally:
            self.proc.send_signal(signal.SIGCONT)

    def mkimage(self, name, kind="full", build=39529, size=20000, frm=None, seed=1, channel=None):
        path = os.path.join(self.workdir, name)
        cmd = [SQNSIM, "mkimage", "--kind", kind, "--build", str(build), "--size", str(size),
               "--seed", str(seed)]
        if frm is not None:
            cmd += ["--from", str(frm)]
        if channel is not None:
            cmd += ["--channel", channel]
        subprocess.run(cmd + [path], check=True, timeout=HANG_GUARD)
        return path


class Result:
    def __init__(self, status, out, err, rusage, signalled=False):
        self.status = status
        self.out = out.decode(errors="replace")
        self.err = err.decode(errors="replace")
        self.rusage = rusage  # the CLI's own: ru_maxrss (KiB), ru_utime, ru_stime
        self.signalled = signalled  # killed by a signal (a crash), not an exit() of its own

    def __repr__(self):
        return "exit %s\n--- stdout\n%s--- stderr\n%s" % (self.status, self.out, self.err)


# SQNS_WRAPPER runs the CLI under a tool, e.g. "valgrind --error-exitcode=99 -q".
WRAPPER = os.environ.get("SQNS_WRAPPER", "").split()


# The user an unprivileged run takes (nobody), for what root is never refused.
NOBODY = 65534
_nobody_bin = []


def nobody_binary():
    """A copy of the CLI that uid NOBODY may execute: the build tree may sit in a folder
    only root can enter. Made once per process, in a 0755 temporary folder."""
    if not _nobody_bin:
        folder = tempfile.mkdtemp(prefix="sqns-nobody-")
        atexit.register(shutil.rmtree, folder, True)
        os.chmod(folder, 0o755)
        path = os.path.join(folder, "sqnsupgrade")
        shutil.copyfile(SQNSUPGRADE, path)
        os.chmod(path, 0o755)
        _nobody_bin.append(path)
    return _nobody_bin[0]


def as_nobody(cmd):
    """cmd run as uid/gid NOBODY without supplementary groups (setpriv), when this process
    is root; as it is otherwise (a normal user is already unprivileged)."""
    if os.geteuid() != 0:
        return list(cmd)
    return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups"] + list(cmd)


def open_for_nobody(*paths):
    """Let uid NOBODY reach paths (chmod 0755 for folders, 0666 for the rest): the test's
    temporary folder is 0700, a pty slave 0600."""
    for p in paths:
        os.chmod(p, 0o755 if os.path.isdir(p) else 0o666)


def cli_command(*args, port=None, unprivileged=False):
    """The CLI's argv. unprivileged=True: as uid NOBODY when root (see as_nobody); without
    SQNS_WRAPPER, whose tool (valgrind) would write its log where nobody may not."""
    if unprivileged:
        cmd = as_nobody([nobody_binary() if os.geteuid() == 0 else SQNSUPGRADE])
    else:
        cmd = WRAPPER + [SQNSUPGRADE]
    if port:
        cmd += ["-p", port]
    return cmd + [str(a) for a in args]


def run_cli(*args, env=None, port=None, measure=False, unprivileged=False):
    """Run the CLI to its end; a hang past HANG_GUARD kills it and fails.

    measure=True runs it under GNU time, whose small process forks it, so that
    the peak resident set (result.max_rss_kb) is the CLI's own and not this
    Python process's pages inherited across fork. unprivileged=True: see cli_command."""
    full_env = dict(os.environ)
    full_env.pop("SQNSUPGRADE_PORT", None)
    if env:
        full_env.update(env)
    cmd = cli_command(*args, port=port, unprivileged=unprivileged)
    rss_file = None
    if measure:
        fd, rss_file = tempfile.mkstemp(prefix="sqns-rss-")
        os.close(fd)
        # Without -q, GNU time writes "Command terminated by signal N" for a crash.
        cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env)
    chunks = {proc.stdout: [], proc.stderr: []}

    def drain(f):
        for block in iter(lambda: f.read1(65536), b""):
            chunks[f].append(block)

    readers = [threading.Thread(target=drain, args=(f,)) for f in chunks]
    for t in readers:
        t.start()
    guard = threading.Timer(HANG_GUARD, proc.kill)
    guard.start()
    _, status, rusage = os.wait4(proc.pid, 0)
    guard.cancel()
    signalled = os.WIFSIGNALED(status)
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in readers:
        t.join()
    proc.stdout.close()
    proc.stderr.close()
    if proc.returncode == -signal.SIGKILL:
        raise AssertionError("sqnsupgrade hung past %s s: %s" % (HANG_GUARD, args))
    result = Result(proc.returncode, b"".join(chunks[proc.stdout]),
                    b"".join(chunks[proc.stderr]), rusage, signalled)
    if rss_file:
        with open(rss_file) as f:
            text = f.read()
        result.max_rss_kb = int(text.split()[-1])
        if "terminated by signal" in text:  # time exits 128 + N for it
            result.signalled = True
        os.unlink(rss_file)
    return result


def wait_output_line(proc, predicate):
    """Read a running CLI's stdout (a pipe) line by line until predicate(line) holds;
    returns the lines read. Its end, or a hang past HANG_GUARD (the CLI is killed), fails."""
    guard = threading.Timer(HANG_GUARD, proc.kill)
    guard.start()
    lines = []
    try:
        for raw in iter(proc.stdout.readline, b""):
            lines.append(raw.decode(errors="replace").rstrip("\n"))
            if predicate(lines[-1]):
                return lines
    finally:
        guard.cancel()
    raise AssertionError("the CLI's output ended without the awaited line:\n%s" % "\n".join(lines))


def interrupt_transfer(sim, *args):
    """`run` with args, SIGINT once the STP session is open. Returns (exit status, stderr,
    the arguments of the printed --resume command after its port, or None)."""
    proc = subprocess.Popen(cli_command("run", *args, port=sim.link),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sim.wait_for("stp_open")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=HANG_GUARD)
    err = err.decode()
    command = re.search(r"^  (sqnsupgrade .*--resume)$", err, re.M)
    return proc.returncode, err, command.group(1).split()[3:] if command else None


class SimTestCase(unittest.TestCase):
    """A test with a temporary folder; sims started through self.sim() are stopped after."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="sqns-")
        self.workdir = self.tmp.name
        self.sims = []

    def tearDown(self):
        for s in self.sims:
            s.stop()
        self.tmp.cleanup()

    def sim(self, *args, start=True, name=None, factory=False):
        wd = self.workdir
        if name:
            wd = os.path.join(self.workdir, name)
            os.makedirs(wd, exist_ok=True)
        s = Sim(wd, *(FAST + ([] if factory else UPGRADED_ONCE) + list(args)))
        self.sims.append(s)
        return s.start() if start else s

    def upgrade(self, *simargs, size=20000, cli=(), status=0):
        """A simulator with simargs, a full image of `size`, `run` with cli options; the exit
        status checked. Returns (sim, image, result)."""
        sim = self.sim(*simargs)
        image = sim.mkimage("CATM1-39529.dup", size=size)
        r = run_cli(*cli, "run", image, port=sim.link)
        self.assertExit(r, status)
        return sim, image, r

    def assertExit(self, result, status):
        """The CLI exited by itself (no signal, no sanitizer abort) with this status."""
        self.assertFalse(result.signalled, "killed by a signal: %r" % result)
        self.assertEqual(result.status, status, repr(result))

    def assertLinesInOrder(self, text, lines):
        """Each line appears, in this order, as a whole line of text."""
        got = text.splitlines()
        pos = 0
        for want in lines:
            while pos < len(got) and got[pos].rstrip() != want:
                pos += 1
            self.assertLess(pos, len(got), "line %r missing or out of order in:\n%s" % (want, text))
            pos += 1

    def assertModemUnchanged(self, sim):
        """Queries only: no STP session, no mode change, no upgrade."""
        for kind in ("stp_start", "stp_open", "image", "upgrade", "mode"):
            self.assertEqual(sim.events(kind), [], "the modem was changed: %s" % kind)

    def assertNothingSent(self, sim):
        """The modem received no byte: no AT command, no STP frame, no noise."""
        events = sim.events()
        for ev in events:
            self.assertNotIn(ev["ev"], ("at", "stp_start", "stp_open", "stp_reject", "image",
                                        "upgrade", "ppp"), "the modem saw traffic: %r" % ev)
        offs = [ev for ev in events if ev["ev"] == "power_off"]
        self.assertTrue(offs, "stop the simulator before asserting on its byte count")
        self.assertEqual(offs[-1]["rx_bytes"], 0, "the modem received bytes")
