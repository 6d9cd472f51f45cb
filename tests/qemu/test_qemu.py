# SPDX-License-Identifier: MIT
"""The Cortex-M4 example firmware in QEMU (mps2-an386) upgrading the simulator.

examples/baremetal/board_mps2.c is cross-built (embedded/, -DSQNS_MPS2=ON) and
run by qemu-system-arm: its UART0 is the simulator's pty (-chardev serial), the
image partition (struct bm_fw_header + the .dup) is loaded into its flash with
-device loader, the upgrade is chosen by the semihosting command line, and the
firmware reports through semihosting: a short log on stdout, the exit status.

The line rate: QEMU opens the pty raw at 115200, and the CMSDK UART model hands
pclk / BAUDDIV to the tty on every BAUDDIV write, so the pty's rate (which the
simulator compares with its own, 921600 for the application) is the one the
firmware programs, as on a real board. Nothing is set from here; the test
checks the pty reads 921600 afterwards. The flows run here (normal method, FFF,
resume, retries) stay at 921600; recovery, which moves to 115200 and back, is
not run.

When qemu-system-arm (or the cross compiler) is missing and scripts/deps.sh
cannot install it, the script exits 77: CTest reports the test as skipped.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import termios
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from harness import HANG_GUARD, SimTestCase, sha256_file  # noqa: E402

FW_BUILD = os.environ.get("QEMU_FW_BUILD", os.path.join(ROOT, "build", "qemu-firmware"))
FIRMWARE = os.path.join(FW_BUILD, "sqns_mps2_example.elf")
FIGURES = os.environ.get("QEMU_FIGURES")  # where to write the measured figures
IMAGE_ADDR = 0x00040000  # board_mps2.c's BM_IMAGE_ADDR
FW_MAGIC = 0x534E5153  # BM_FW_MAGIC
FLASH_BUDGET = 24 * 1024
RAM_BUDGET = 10 * 1024
STAGE_DONE = 3

MEASURED = {}  # what the firmware reported, printed once at the end


def missing_tools():
    return [t for t in ("qemu-system-arm", "arm-none-eabi-gcc") if shutil.which(t) is None]


def build_firmware():
    """Configure and build the mps2 firmware in FW_BUILD (incremental: fast when done)."""
    subprocess.run(["cmake", "-S", os.path.join(ROOT, "embedded"), "-B", FW_BUILD,
                    "-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(ROOT, "cmake", "arm-none-eabi.cmake"),
                    "-DSQNS_MPS2=ON"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", FW_BUILD, "--target", "sqns_mps2_example", "-j2"],
                   check=True, stdout=subprocess.DEVNULL)


def elf_sizes():
    """(text, data, bss) of the firmware, from the ELF."""
    out = subprocess.run(["arm-none-eabi-size", FIRMWARE], check=True,
                         stdout=subprocess.PIPE).stdout.decode().splitlines()
    text, data, bss = out[1].split()[:3]
    return int(text), int(data), int(bss)


def static_stack_bound():
    """scripts/stack_depth.py over this build's call graphs (core, port, board_mps2)."""
    ci = []
    for d, _, files in os.walk(FW_BUILD):
        if "sqns_m4_example.dir" in d:
            continue
        ci += [os.path.join(d, f) for f in files if f.endswith(".ci")]
    args = ["Reset_Handler", "--isr", "SysTick_Handler", "--isr", "UART0RX_Handler"]
    for f in ("port_read", "port_write", "port_set_rate", "port_now", "flash_read", "on_event",
              "uart_tx", "uart_set_baud", "wait_for_interrupt"):
        args += ["--indirect", f]
    out = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "stack_depth.py")] + args
                         + sorted(ci), check=True, stdout=subprocess.PIPE).stdout.decode()
    return out.strip()


class QemuUpgradeTest(SimTestCase):
    def run_firmware(self, sim, image, *flags):
        """The firmware in QEMU against sim, to its exit; returns its semihosting log."""
        with open(image, "rb") as f:
            body = f.read()
        partition = os.path.join(self.workdir, "partition.bin")
        name = os.path.basename(image).encode()
        with open(partition, "wb") as f:
            f.write(struct.pack("<II56s", FW_MAGIC, len(body), name) + body)
        log = os.path.join(self.workdir, "semihosting.log")
        semihosting = "enable=on,target=native,chardev=log,arg=sqns" + "".join(
            ",arg=" + a for a in flags)
        cmd = ["qemu-system-arm", "-M", "mps2-an386", "-nodefaults", "-display", "none",
               "-nic", "none", "-kernel", FIRMWARE,
               "-chardev", "serial,id=modem,path=" + sim.link, "-serial", "chardev:modem",
               "-device", "loader,file=%s,addr=0x%x,force-raw=on" % (partition, IMAGE_ADDR),
               "-chardev", "file,id=log,path=" + log, "-semihosting-config", semihosting]
        start = time.monotonic()
        try:
            # A hang guard, not a wait: QEMU exits when the firmware does.
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=HANG_GUARD)
        except subprocess.TimeoutExpired:
            with open(log, errors="replace") as f:
                self.fail("QEMU still running after %s s:\n%s" % (HANG_GUARD, f.read()))
        elapsed = time.monotonic() - start
        with open(log, errors="replace") as f:
            out = f.read()
        self.assertEqual(proc.returncode, 0, "exit %d\n%s\n%s%s" % (
            proc.returncode, out, proc.stdout.decode(errors="replace"),
            proc.stderr.decode(errors="replace")))
        print("\n%s: %.1f s in QEMU for %d bytes" % (self.id().split(".")[-1], elapsed, len(body)))
        print(out, end="")
        self.record(out)
        # The guest's BAUDDIV reached the host tty: the pty reads the modem's rate.
        fd = os.open(sim.slave(), os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            self.assertEqual(termios.tcgetattr(fd)[5], termios.B921600)
        finally:
            os.close(fd)
        return out

    def record(self, out):
        m = re.search(r"^stack: (\d+) of (\d+) bytes used", out, re.M)
        self.assertTrue(m, out)
        used, reserved = int(m.group(1)), int(m.group(2))
        self.assertLess(used, reserved, "the painted stack was used up: it may have overflowed")
        m = re.search(r"^ram: (\d+) bytes .*; flash: (\d+) bytes$", out, re.M)
        self.assertTrue(m, out)
        ram, flash = int(m.group(1)), int(m.group(2))
        self.assertLessEqual(ram, RAM_BUDGET)
        self.assertLessEqual(flash, FLASH_BUDGET)
        text, data, bss = elf_sizes()
        self.assertEqual(flash, text + data, "the firmware's own flash figure is the ELF's")
        self.assertEqual(ram, data + bss, "the firmware's RAM figure is the ELF's (.stack is NOLOAD)")
        MEASURED["stack"] = max(MEASURED.get("stack", 0), used)
        MEASURED.update(reserved=reserved, ram=ram, flash=flash)

    def check_upgraded(self, sim, image, out, method="ON_THE_FLY"):
        self.assertRegex(out, r"(?m)^result: success \(0\), stage %d, build 39529, retries \d+, "
                         r"ring dropped 0$" % STAGE_DONE)
        imgs = sim.events("image")
        self.assertEqual(len(imgs), 1, imgs)
        self.assertEqual(imgs[0]["method"], method)
        self.assertTrue(imgs[0]["complete"], imgs[0])
        self.assertEqual(imgs[0]["bytes"], os.path.getsize(image))
        self.assertEqual(imgs[0]["sha256"], sha256_file(image))
        self.assertEqual([u["result"] for u in sim.events("upgrade")], ["success"])
        boot = sim.events("boot")[-1]
        self.assertEqual((boot["mode"], boot["build"]), (2, 39529))

    def test_normal_method(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", size=120000)
        out = self.run_firmware(sim, image)
        self.check_upgraded(sim, image, out)
        self.assertIn("session: version 1, max transfer 8192", out)
        self.assertIn("progress 100%", out)
        self.assertEqual([(m["from"], m["to"]) for m in sim.events("mode")], [(2, 4), (4, 2)])

    def test_fff(self):
        sim = self.sim("--residue-every", "3")
        image = sim.mkimage("CATM1-39529.dup", size=60000, seed=3)
        out = self.run_firmware(sim, image, "--fff")
        self.check_upgraded(sim, image, out, "FFF")
        self.assertIn("upgrade: CATM1-39529.dup, 60000 bytes, FFF", out)

    def test_resume_from_upgrade_mode(self):
        sim = self.sim("--mode", "4")
        image = sim.mkimage("CATM1-39529.dup", size=40000)
        out = self.run_firmware(sim, image, "--resume")
        self.check_upgraded(sim, image, out)
        self.assertNotIn("AT+SMSWBOOT=3,1", sim.at_commands())

    def test_corrupted_answers_are_retried(self):
        sim = self.sim("--corrupt-response", "5", "--corrupt-signature-every", "9")
        image = sim.mkimage("CATM1-39529.dup", size=40000, seed=5)
        out = self.run_firmware(sim, image, "--stp-timeout=2000")
        self.check_upgraded(sim, image, out)
        faults = [f for f in sim.events("fault")
                  if f["kind"] in ("corrupt_response", "corrupt_signature")]
        self.assertGreaterEqual(len(faults), 2, faults)
        retries = int(re.search(r"retries (\d+)", out).group(1))
        self.assertGreaterEqual(retries, len(faults), out)
        self.assertEqual(len(sim.events("stp_open")), 1)

    @classmethod
    def tearDownClass(cls):
        if not MEASURED:
            return
        bound = static_stack_bound()
        text = ("measured in QEMU (mps2-an386, board_mps2.c): stack high-water mark %d of %d "
                "bytes; RAM %d / %d bytes (.data + .bss + stack); flash %d / %d bytes\n"
                "static bound (scripts/stack_depth.py): %s\n"
                % (MEASURED["stack"], MEASURED["reserved"], MEASURED["ram"], RAM_BUDGET,
                   MEASURED["flash"], FLASH_BUDGET, bound))
        print("\n" + text, end="")
        # For CI's log, beside scripts/cross.sh's static figures (ctest shows output on failure only).
        if FIGURES:
            with open(FIGURES, "w") as f:
                f.write(text)
        # The static analysis is an upper bound: a deeper measured stack would prove it wrong.
        worst = int(bound.split()[-1])
        if MEASURED["stack"] > worst:
            raise AssertionError("measured stack %d above the static bound %d"
                                 % (MEASURED["stack"], worst))


def main():
    if FIGURES and os.path.exists(FIGURES):
        os.unlink(FIGURES)  # no stale figures from an earlier run
    if missing_tools():
        # CI installs both through scripts/deps.sh; elsewhere, try the same.
        subprocess.run(["bash", os.path.join(ROOT, "scripts", "deps.sh")],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    missing = missing_tools()
    if missing:
        print("SKIP: %s not installed and scripts/deps.sh could not install it: the firmware "
              "cannot run in QEMU here" % " and ".join(missing))
        return 77
    build_firmware()
    prog = unittest.main(module=__name__, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
