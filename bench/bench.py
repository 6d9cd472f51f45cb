#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: the CLI against the paced simulator, one table.

For each case the simulator paces its pty like a UART at the link rate
(rate/10 bytes a second each way). Each case runs RUNS times; the table shows
medians. Columns:
  payload     image bytes
  stp_s       STP wall time: first RESET sent -> closing RESET sent (the CLI's --log)
  limit_s     line-rate limit: payload * 10 / rate
  eff         limit_s / stp_s (the protocol's own ceiling is ~0.967)
  cpu_s/MiB   the CLI's user + sys CPU seconds per MiB of image
  cpu_min     the same, the lowest of the runs
  rss_KiB     the CLI's peak resident set
  wire_s      every byte the host sent, at 10 bits a byte: the time the line was busy
  overhead_s  whole upgrade wall - the modem's own waits (boots, applies) - wire_s
Then the fleet row, and the release row (issue 21): a modem on 38638 upgraded from Pycom's
archive, where the differential image is chosen, against the same modem given the full image,
at 921600 with the field's timing (sqnsim --field-timing): the whole upgrade's wall time each.
SQNS_BENCH_ONLY=release (or cases, fleet) runs that part alone.
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("SQNS_BUILD_DIR", os.path.join(HERE, "..", "build-release"))

import harness  # noqa: E402

RUNS = int(os.environ.get("SQNS_BENCH_RUNS", "3"))
MiB = 1024 * 1024
CASES = [  # (label, image bytes, rate)
    ("1 MiB @ 921600", 1 * MiB, 921600),
    ("4 MiB @ 921600", 4 * MiB, 921600),
    ("16 MiB @ 3686400", 16 * MiB, 3686400),  # no termios constant: set through termios2
    ("16 MiB @ 4000000", 16 * MiB, 4000000),  # negotiated up from 921600 with AT+IPR
]
SIM_TIMING = ["--boot-ms", "300", "--apply-ms", "500", "--bootloader0", "38638", "--pace"]


def parse_log(path):
    """Times (s) of the first and the closing STP RESET the CLI sent, and bytes sent."""
    first = last = None
    sent = 0
    with open(path) as f:
        for line in f:
            m = re.match(r"# port totals: sent (\d+) bytes", line)
            if m:
                sent = int(m.group(1))
            m = re.match(r"\s*(\d+)\.(\d+) \[stp\] > RESET", line)
            if m:
                t = int(m.group(1)) + int(m.group(2)) / 1000
                first = t if first is None else first
                last = t
    return first, last, sent


def one_run(label, size, rate, workdir):
    # The modem starts at 921600 like a real one; a faster case is negotiated (AT+IPR).
    sim = harness.Sim(workdir, *(SIM_TIMING + ["--max-rate", str(max(rate, 921600))]))
    sim.start()
    try:
        image = sim.mkimage("CATM1-39529.dup", size=size, seed=3)
        log = os.path.join(workdir, "wire.log")
        timing = os.path.join(workdir, "time.txt")
        cmd = ["/usr/bin/time", "-q", "-f", "%e %U %S %M", "-o", timing, harness.SQNSUPGRADE,
               "-p", sim.link, "-b", str(rate), "--log", log, "run", image]
        r = subprocess.run(cmd, capture_output=True, timeout=3600)
        if r.returncode != 0:
            raise RuntimeError("%s failed: %s" % (label, r.stderr.decode()))
    finally:
        sim.stop()
    wall, user, sys_, rss = open(timing).read().split()
    first, last, sent = parse_log(log)
    imposed = [e for e in sim.events("power_off")][-1]["imposed_ms"] / 1000
    stp = last - first
    limit = size * 10 / rate
    wire = sent * 10 / rate
    return {
        "stp_s": stp, "limit_s": limit, "eff": limit / stp,
        "cpu_s_per_mib": (float(user) + float(sys_)) / (size / MiB),
        "rss_kib": int(rss),
        "wire_s": wire,
        "overhead_s": float(wall) - imposed - wire,
    }


FLEET = 16  # paced simulators at once
FLEET_SIZE = 1 * MiB


def fleet_run(workdir):
    """16 paced modems upgraded by one CLI: each link's STP efficiency."""
    rate = 921600
    sims = []
    try:
        for i in range(FLEET):
            wd = os.path.join(workdir, "m%d" % i)
            os.makedirs(wd)
            sims.append(harness.Sim(wd, *SIM_TIMING).start())
        image = sims[0].mkimage("CATM1-39529.dup", size=FLEET_SIZE, seed=5)
        cmd = [harness.SQNSUPGRADE, "--json"]
        for s in sims:
            cmd += ["-p", s.link]
        start = time.monotonic()
        r = subprocess.run(cmd + ["run", image], capture_output=True, timeout=3600)
        wall = time.monotonic() - start
        if r.returncode != 0:
            raise RuntimeError("fleet failed: %s" % r.stderr.decode()[-2000:])
        summary = json.loads(r.stdout)
    finally:
        for s in sims:
            s.stop()
    limit = FLEET_SIZE * 10 / rate
    effs = sorted(limit / m["stp_seconds"] for m in summary)
    return wall, effs


# The release row: Pycom's CATM1-39529.zip as shipped (sizes of the real files).
RELEASE_FULL = 5996938   # CATM1-39529.dup
RELEASE_DIFF = 452000    # upgdiff_38638-to-39529.dup, about
RELEASE_TIMING = ["--field-timing", "--bootloader0", "38638", "--pace"]


def release_run(workdir, from_archive):
    """One whole upgrade of a modem on 38638 at 921600: from the archive, or the full image."""
    sim = harness.Sim(workdir, *RELEASE_TIMING)
    sim.start()
    try:
        full = sim.mkimage("CATM1-39529.dup", size=RELEASE_FULL, seed=3)
        target = full
        if from_archive:
            diff = sim.mkimage("upgdiff_38638-to-39529.dup", kind="diff", frm=38638,
                               size=RELEASE_DIFF, seed=4)
            elf = sim.mkimage("updater.elf", kind="updater", size=306076, seed=5)
            target = os.path.join(workdir, "CATM1-39529.zip")
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
                for path in (full, diff, elf):
                    z.write(path, "CATM1-39529/" + os.path.basename(path))
        start = time.monotonic()
        r = subprocess.run([harness.SQNSUPGRADE, "-p", sim.link, "run", target],
                           capture_output=True, timeout=3600)
        wall = time.monotonic() - start
        if r.returncode != 0:
            raise RuntimeError("release row failed: %s" % r.stderr.decode()[-2000:])
        sent = [e["bytes"] for e in sim.events("image")]
    finally:
        sim.stop()
    return wall, sent


def release_row():
    walls = {}
    for from_archive in (True, False):
        runs = []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory(prefix="sqns-release-") as wd:
                runs.append(release_run(wd, from_archive))
        walls[from_archive] = (statistics.median(w for w, _ in runs), runs[0][1])
    (arch, arch_sent), (full, full_sent) = walls[True], walls[False]
    print("modem on 38638, whole upgrade @ 921600, field timing: from CATM1-39529.zip "
          "(the diff, %d bytes, chosen) %.1f s; given CATM1-39529.dup (%d bytes) %.1f s; "
          "%.1f s less" % (sum(arch_sent), arch, sum(full_sent), full, full - arch), flush=True)
    return {"case": "release", "archive_s": arch, "archive_bytes": sum(arch_sent),
            "full_s": full, "full_bytes": sum(full_sent)}


def main():
    print("sqnsupgrade benchmark: %s, %d cores, %s; simulator paced at the link rate, "
          "no added latency; median of %d runs" % (platform.machine(), os.cpu_count(),
                                                   platform.platform(), RUNS))
    header = "%-18s %10s %8s %8s %6s %10s %8s %8s %8s %10s" % (
        "case", "payload", "stp_s", "limit_s", "eff", "cpu_s/MiB", "cpu_min", "rss_KiB",
        "wire_s", "overhead_s")
    only = os.environ.get("SQNS_BENCH_ONLY")
    rows = []
    if only == "release":
        rows.append(release_row())
        return write_json(rows)
    print(header)
    for label, size, rate in CASES if only in (None, "", "cases") else ():
        runs = []
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory(prefix="sqns-bench-") as wd:
                runs.append(one_run(label, size, rate, wd))
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        cpu_min = min(r["cpu_s_per_mib"] for r in runs)
        rows.append(dict(case=label, payload=size, cpu_min_s_per_mib=cpu_min, **med))
        print("%-18s %10d %8.2f %8.2f %6.3f %10.4f %8.4f %8d %8.2f %10.2f" % (
            label, size, med["stp_s"], med["limit_s"], med["eff"], med["cpu_s_per_mib"],
            cpu_min, med["rss_kib"], med["wire_s"], med["overhead_s"]), flush=True)
    if only in (None, "", "fleet"):
        with tempfile.TemporaryDirectory(prefix="sqns-fleet-") as wd:
            wall, effs = fleet_run(wd)
        print("%d modems x 1 MiB @ 921600 at once: wall %.1f s, per-link STP efficiency "
              "min %.3f, median %.3f, max %.3f" % (FLEET, wall, effs[0],
                                                    statistics.median(effs), effs[-1]))
        rows.append({"case": "fleet", "modems": FLEET, "wall_s": wall, "eff_min": effs[0],
                     "eff_median": statistics.median(effs)})
    if only in (None, ""):
        rows.append(release_row())
    print("cpu_min is the least disturbed run: on a virtual machine each wake-up's context "
          "switch costs what the host's load makes it, and the CLI wakes about twice per "
          "2016-byte block (the protocol's minimum)")
    write_json(rows)


def write_json(rows):
    out = os.environ.get("SQNS_BENCH_JSON")
    if out:
        with open(out, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
