# SPDX-License-Identifier: MIT
"""Ports: socket:// through a serial server (socat), list-ports, the lone port, bridge."""
import os
import select
import signal
import socket
import subprocess
import threading
import time
import unittest

from harness import HANG_GUARD, SimTestCase, cli_command, run_cli, sha256_file


def free_tcp_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class SerialServer:
    """socat as ser2net: one TCP listener, a child a connection that opens the sim's link."""

    def __init__(self, link):
        self.port = free_tcp_port()
        self.lines = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen(
            ["socat", "-d", "-d",
             "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork" % self.port,
             "FILE:%s,raw,echo=0,b921600" % link],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self._wait_listening()

    def _read(self):
        for line in iter(self.proc.stderr.readline, b""):
            with self.cond:
                self.lines.append(line.decode(errors="replace"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def children_done(self):
        return sum(1 for l in self.lines if l and "childdied" in l)

    def wait_children(self, n):
        """Wait until n connections' children have exited (none still holds the link)."""
        with self.cond:
            ok = self.cond.wait_for(lambda: self.children_done() >= n or None in self.lines,
                                    HANG_GUARD)
        if not ok or self.children_done() < n:
            raise AssertionError("socat's child did not exit: %s" % "".join(
                l for l in self.lines if l))

    def _wait_listening(self):
        # Connect until it accepts (bounded); each refused attempt waits on socat's stderr.
        end = time.monotonic() + HANG_GUARD
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=5).close()
                break
            except ConnectionRefusedError:
                if self.proc.poll() is not None or time.monotonic() > end:
                    raise RuntimeError("socat did not listen: %s" % "".join(
                        l for l in self.lines if l))
                with self.cond:
                    self.cond.wait(0.05)
        # The probe's child opened the link: let it go before a real client comes.
        self.wait_children(1)

    @property
    def url(self):
        return "socket://127.0.0.1:%d" % self.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=HANG_GUARD)
        self.reader.join(HANG_GUARD)
        self.proc.stderr.close()


class SocketTest(SimTestCase):
    def server(self, sim):
        srv = SerialServer(sim.link)
        self.addCleanup(srv.stop)
        return srv

    def test_upgrade_and_state_over_socket(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=150000)
        srv = self.server(sim)
        r = run_cli("run", image, port=srv.url)
        self.assertExit(r, 0)
        self.assertTrue(r.out.endswith("Verified: modem now runs build 39529\n"), r.out)
        self.assertIn("Sending 150000 bytes: [" + "#" * 40 + "] 100%", r.out)
        images = sim.events("image")
        self.assertEqual(len(images), 1, images)
        self.assertEqual(images[0]["method"], "ON_THE_FLY")
        self.assertEqual(images[0]["bytes"], os.path.getsize(image))
        self.assertEqual(images[0]["sha256"], sha256_file(image))
        self.assertTrue(images[0]["complete"])
        self.assertEqual([u["result"] for u in sim.events("upgrade")], ["success"])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)
        srv.wait_children(2)
        r = run_cli("state", port=srv.url)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "2 application\n")

    def test_recovery_refused_over_socket(self):
        sim = self.sim()
        image = sim.mkimage("CATM1-39529.dup", size=4000)
        updater = sim.mkimage("updater.elf", kind="updater", size=4000)
        srv = self.server(sim)
        r = run_cli("run", image, updater, port=srv.url)
        self.assertExit(r, 2)
        self.assertIn("socket://", r.err)
        self.assertIn("cannot do", r.err)
        self.assertIn("115200", r.err)
        self.assertEqual(r.out, "")
        # Refused before connecting: the modem saw nothing.
        self.assertEqual(sim.at_commands(), [])

    def test_release_needing_recovery_refused_over_socket(self):
        # From an archive the method is known only once the modem is found: a factory boot
        # ROM needs the recovery method, which socket:// cannot carry; refused before any change.
        import zipfile
        sim = self.sim("--build", "38638", factory=True)
        archive = os.path.join(self.workdir, "CATM1-39529.zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(sim.mkimage("CATM1-39529.dup", size=4000), "CATM1-39529.dup")
            z.write(sim.mkimage("updater.elf", kind="updater", size=4000), "updater.elf")
        rom = sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=4000)
        srv = self.server(sim)
        r = run_cli("run", archive, "--bootrom", rom, port=srv.url)
        self.assertExit(r, 1)
        self.assertIn("cannot change its rate", r.err)
        self.assertIn("The modem was not changed", r.err)
        self.assertIn("run it on the modem's serial port itself", r.err)
        self.assertNotIn("To try again", r.err)
        self.assertModemUnchanged(sim)

    def test_connection_refused(self):
        port = free_tcp_port()
        r = run_cli("state", port="socket://127.0.0.1:%d" % port)
        self.assertExit(r, 4)
        self.assertEqual(len(r.err.splitlines()), 1, r.err)
        self.assertIn("cannot connect to socket://127.0.0.1:%d" % port, r.err)
        self.assertIn("refused", r.err.lower())


class FakeSysfs:
    """A sysfs tree laid out like the kernel's: class/tty links into devices/."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "class", "tty"), exist_ok=True)
        for bus in ("pnp", "platform", "serial-base", "usb"):
            os.makedirs(os.path.join(root, "bus", bus), exist_ok=True)
        # Virtual terminals have no device.
        for name in ("tty0", "ptmx"):
            self._tty(name, os.path.join("devices", "virtual", "tty", name), None)

    def _dir(self, rel, attrs=None, bus=None):
        path = os.path.join(self.root, rel)
        os.makedirs(path, exist_ok=True)
        for k, v in (attrs or {}).items():
            with open(os.path.join(path, k), "w") as f:
                f.write(v + "\n")
        if bus and not os.path.lexists(os.path.join(path, "subsystem")):
            os.symlink(os.path.relpath(os.path.join(self.root, "bus", bus), path),
                       os.path.join(path, "subsystem"))
        return path

    def _tty(self, name, tty_rel, device_rel, attrs=None):
        tty = self._dir(tty_rel, attrs)
        if device_rel:
            os.symlink(os.path.relpath(os.path.join(self.root, device_rel), tty),
                       os.path.join(tty, "device"))
        os.symlink(os.path.relpath(tty, os.path.join(self.root, "class", "tty")),
                   os.path.join(self.root, "class", "tty", name))

    def usb(self, name, vid, pid, manufacturer, product, serial, bus_port):
        usbdev = "devices/pci0000:00/0000:00:14.0/usb1/" + bus_port
        self._dir(usbdev, {"idVendor": vid, "idProduct": pid, "manufacturer": manufacturer,
                           "product": product, "serial": serial}, bus="usb")
        intf = usbdev + "/" + bus_port + ":1.0"
        self._dir(intf, bus="usb")
        if name.startswith("ttyACM"):  # cdc_acm: the interface is the device
            self._tty(name, intf + "/tty/" + name, intf)
        else:  # usb-serial: a port device under the interface
            port = self._dir(intf + "/" + name)
            self._tty(name, intf + "/" + name + "/tty/" + name, os.path.relpath(port, self.root))

    def uart(self, name, real):
        """A built-in UART: on a pnp controller (real), or an unprobed platform stub."""
        ctrl = "devices/pnp0/00:04" if real else "devices/platform/serial8250"
        self._dir(ctrl, bus="pnp" if real else "platform")
        base = self._dir(ctrl + "/" + name + ":0", bus="serial-base")
        port = self._dir(ctrl + "/" + name + ":0/" + name + ":0.0", bus="serial-base")
        self._tty(name, os.path.relpath(port, self.root) + "/tty/" + name,
                  os.path.relpath(port, self.root), {"type": "4" if real else "0"})
        del base


class ListPortsTest(SimTestCase):
    def sysfs(self):
        return FakeSysfs(os.path.join(self.workdir, "sys"))

    def list_ports(self, fs):
        return run_cli("--sysfs-root", fs.root, "list-ports")

    def test_no_port(self):
        fs = self.sysfs()
        fs.uart("ttyS1", real=False)
        r = self.list_ports(fs)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "")
        self.assertEqual(r.err, "sqnsupgrade: no serial port found\n")
        # No port to fall back on: the usual error, one line.
        r = run_cli("--sysfs-root", fs.root, "state")
        self.assertExit(r, 2)
        self.assertEqual(len(r.err.splitlines()), 1, r.err)
        self.assertIn("no port given", r.err)
        self.assertIn("SQNSUPGRADE_PORT", r.err)

    def test_only_builtin_uart(self):
        # A PC with its own UART only: listed as it is, and stderr says what that means.
        fs = self.sysfs()
        fs.uart("ttyS0", real=True)
        r = self.list_ports(fs)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "/dev/ttyS0\t-\t-\t-\t-\t-\n")
        self.assertEqual(r.err.splitlines(), [
            "sqnsupgrade: no USB serial port found: /dev/ttyS0 is the computer's own serial "
            "port, not a Pycom board. A GPy, FiPy or G01 on USB appears as /dev/ttyUSB* or "
            "/dev/ttyACM*: plug it in, with a data cable (some carry power only), then run "
            "list-ports again."])
        r = run_cli("-q", "--sysfs-root", fs.root, "list-ports")
        self.assertEqual((r.status, r.err), (0, ""))
        # With a USB port there too: no such line.
        fs.usb("ttyUSB97", "0403", "6001", "FTDI", "FT232R USB UART", "A50285BI", "1-1")
        r = self.list_ports(fs)
        self.assertExit(r, 0)
        self.assertEqual(r.err, "")

    def test_one_port_is_used_when_none_is_given(self):
        fs = self.sysfs()
        fs.usb("ttyUSB97", "0403", "6001", "FTDI", "FT232R USB UART", "A50285BI", "1-1")
        r = self.list_ports(fs)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "/dev/ttyUSB97\t0403:6001\tFTDI\tFT232R USB UART\tA50285BI\t"
                                "FTDI adapter (Pycom boards)\n")
        self.assertEqual(r.err, "")
        for cmd in ("state", "info", "version", "imei"):
            r = run_cli("--sysfs-root", fs.root, cmd)
            self.assertIn("sqnsupgrade: using /dev/ttyUSB97 (the only USB serial port found)\n",
                          r.err)
            # The fake port has no /dev node: the open fails on that very name.
            self.assertExit(r, 4)
            self.assertIn("'/dev/ttyUSB97' does not exist", r.err)
        # -p and $SQNSUPGRADE_PORT still win.
        sim = self.sim()
        r = run_cli("--sysfs-root", fs.root, "state", port=sim.link)
        self.assertExit(r, 0)
        self.assertEqual(r.err, "")
        r = run_cli("--sysfs-root", fs.root, "state", env={"SQNSUPGRADE_PORT": sim.link})
        self.assertExit(r, 0)
        self.assertEqual(r.out, "2 application\n")
        self.assertEqual(r.err, "")

    def test_several_ports(self):
        fs = self.sysfs()
        fs.usb("ttyUSB97", "0403", "6015", "FTDI", "FT230X Basic UART", "DN02ABCD", "1-1")
        fs.usb("ttyACM96", "04d8", "ef98", "Pycom", "Expansion3", "Py7a1b2c", "1-2")
        fs.usb("ttyUSB910", "1a86", "7523", "", "USB2.0-Serial", "", "1-3")
        fs.usb("ttyACM9", "10c4", "ea60", "Silicon Labs", "CP2102 USB to UART Bridge Controller",
               "0001", "1-4")
        fs.uart("ttyS0", real=True)
        fs.uart("ttyS1", real=False)
        r = self.list_ports(fs)
        self.assertExit(r, 0)
        self.assertEqual(r.out.splitlines(), [
            "/dev/ttyACM9\t10c4:ea60\tSilicon Labs\tCP2102 USB to UART Bridge Controller\t0001\t"
            "CP210x adapter (Pycom boards)",
            "/dev/ttyACM96\t04d8:ef98\tPycom\tExpansion3\tPy7a1b2c\tPycom expansion board 3",
            "/dev/ttyS0\t-\t-\t-\t-\t-",
            "/dev/ttyUSB97\t0403:6015\tFTDI\tFT230X Basic UART\tDN02ABCD\t"
            "FTDI adapter (Pycom expansion board 2)",
            "/dev/ttyUSB910\t1a86:7523\t-\tUSB2.0-Serial\t-\t-",
        ])
        # Several candidates: no guess; the error lists the USB ones.
        image = os.path.join(self.workdir, "CATM1-39529.dup")
        r = run_cli("--sysfs-root", fs.root, "run", image)
        self.assertExit(r, 2)
        self.assertEqual(r.out, "")
        self.assertNotIn("using", r.err)
        lines = r.err.splitlines()
        self.assertIn("no port given", lines[0])
        self.assertEqual(lines[1], "sqnsupgrade: 4 USB serial ports found, pick one:")
        self.assertEqual([l.split()[0] for l in lines[2:]],
                         ["/dev/ttyACM9", "/dev/ttyACM96", "/dev/ttyUSB97", "/dev/ttyUSB910"])
        self.assertIn("(Pycom expansion board 3)", lines[3])


class BridgeTest(SimTestCase):
    """CLI -> pty pair (socat) -> sqnsupgrade bridge -> simulator."""

    def pty_pair(self):
        a, b = os.path.join(self.workdir, "ttyA"), os.path.join(self.workdir, "ttyB")
        proc = subprocess.Popen(["socat", "-d", "-d", "PTY,link=%s,raw,echo=0" % a,
                                 "PTY,link=%s,raw,echo=0" % b],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(self.reap, proc)
        # Both links exist once socat says its loop started.
        for line in iter(proc.stderr.readline, b""):
            if b"starting data transfer loop" in line:
                return proc, a, b
        raise RuntimeError("socat did not make the pty pair")

    def reap(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=HANG_GUARD)
        for f in (proc.stdout, proc.stderr):
            if f:
                f.close()

    def bridge(self, *args):
        proc = subprocess.Popen(cli_command("bridge", *args), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(self.reap, proc)
        ready, _, _ = select.select([proc.stderr], [], [], HANG_GUARD)
        line = proc.stderr.readline().decode() if ready else ""
        self.assertTrue(line.startswith("sqnsupgrade: bridging "), line)
        return proc

    def test_upgrade_through_bridge(self):
        sim = self.sim("--build", "38638")
        image = sim.mkimage("CATM1-39529.dup", build=39529, size=150000)
        pair, a, b = self.pty_pair()
        # The modem's side must be at the modem's rate: the simulator checks it. (Its
        # power-on may see the link's initial 9600 before anyone opens it: not counted.)
        sim.wait_for("boot")
        mismatches = len(sim.events("rate_mismatch"))
        br = self.bridge(b, sim.link, "--baud-a", "115200", "--baud-b", "921600")
        r = run_cli("state", port=a)
        self.assertExit(r, 0)
        self.assertEqual(r.out, "2 application\n")
        r = run_cli("run", image, port=a)
        self.assertExit(r, 0)
        self.assertTrue(r.out.endswith("Verified: modem now runs build 39529\n"), r.out)
        images = sim.events("image")
        self.assertEqual(len(images), 1, images)
        self.assertEqual(images[0]["bytes"], os.path.getsize(image))
        self.assertEqual(images[0]["sha256"], sha256_file(image))
        self.assertTrue(images[0]["complete"])
        self.assertEqual(sim.events("boot")[-1]["build"], 39529)
        self.assertEqual(len(sim.events("rate_mismatch")), mismatches)
        # Ctrl-C stops it, with the byte counts.
        br.send_signal(signal.SIGINT)
        self.assertEqual(br.wait(timeout=HANG_GUARD), 0)
        err = br.stderr.read().decode()
        self.assertRegex(err, r"^sqnsupgrade: bridge stopped \(\d+ bytes .*ttyB -> .*ttySIM, "
                              r"\d+ bytes .*ttySIM -> .*ttyB\)\n$")
        sent = int(err.split("(")[1].split()[0])
        self.assertGreater(sent, os.path.getsize(image))

    def test_bridge_stops_when_a_side_closes(self):
        sim = self.sim()
        pair, a, b = self.pty_pair()
        br = self.bridge(b, sim.link)
        pair.send_signal(signal.SIGTERM)  # the far side goes away
        pair.wait(timeout=HANG_GUARD)
        self.assertEqual(br.wait(timeout=HANG_GUARD), 0)
        self.assertIn("closed: bridge stopped", br.stderr.read().decode())

    def test_bridge_usage(self):
        r = run_cli("bridge", os.path.join(self.workdir, "only-one"))
        self.assertExit(r, 2)
        self.assertIn("bridge PORT_A PORT_B", r.err)
        r = run_cli("bridge", os.path.join(self.workdir, "nope"), os.path.join(self.workdir, "no"))
        self.assertExit(r, 4)
        self.assertIn("nope", r.err)


if __name__ == "__main__":
    unittest.main()
