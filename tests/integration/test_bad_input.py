# SPDX-License-Identifier: MIT
"""Bad input: a one-line error, a non-zero exit, and not one byte sent to the modem."""
import fcntl
import os
import unittest

from harness import SimTestCase, open_for_nobody, run_cli


class BadInputTest(SimTestCase):
    def setUp(self):
        super().setUp()
        self.modem = self.sim()

    def tearDown(self):
        self.modem.stop()  # power_off carries the modem's byte counters
        self.assertNothingSent(self.modem)
        super().tearDown()

    def assertOneLineError(self, r, status, *words):
        self.assertExit(r, status)
        self.assertEqual(r.out, "")
        self.assertEqual(len(r.err.splitlines()), 1, r.err)
        self.assertTrue(r.err.startswith("sqnsupgrade: "), r.err)
        for w in words:
            self.assertIn(w, r.err)

    def test_missing_file(self):
        r = run_cli("run", os.path.join(self.workdir, "nope.dup"), port=self.modem.link)
        self.assertOneLineError(r, 3, "nope.dup", "No such file")

    def test_directory(self):
        # A folder is a release (an unpacked archive): this one holds no firmware image.
        r = run_cli("run", self.workdir, port=self.modem.link)
        self.assertOneLineError(r, 3, "holds no firmware image")

    def test_tiny_file(self):
        path = os.path.join(self.workdir, "tiny.dup")
        with open(path, "wb") as f:
            f.write(b"x" * 127)
        r = run_cli("run", path, port=self.modem.link)
        self.assertOneLineError(r, 3, "127 bytes", "under 128")

    def test_unreadable_file(self):
        # Root reads any file, and CI runs as root: the CLI runs as nobody (setpriv), who
        # may reach the folder, the link and the port, but not read the file.
        path = self.modem.mkimage("CATM1-39529.dup", size=1000)
        os.chmod(path, 0)
        open_for_nobody(self.workdir, self.modem.slave())
        r = run_cli("run", path, port=self.modem.link, unprivileged=True)
        self.assertOneLineError(r, 3, path, "Permission denied")
        # The control: as the same user, a readable file in the same folder is read (and
        # refused for its size, before the modem is touched).
        tiny = os.path.join(self.workdir, "tiny.dup")
        with open(tiny, "wb") as f:
            f.write(b"x" * 127)
        os.chmod(tiny, 0o644)
        r = run_cli("run", tiny, port=self.modem.link, unprivileged=True)
        self.assertOneLineError(r, 3, "127 bytes", "under 128")

    def test_port_does_not_exist(self):
        image = self.modem.mkimage("CATM1-39529.dup", size=1000)
        r = run_cli("run", image, port=os.path.join(self.workdir, "ttyNONE"))
        self.assertOneLineError(r, 4, "does not exist")

    def test_no_port(self):
        image = self.modem.mkimage("CATM1-39529.dup", size=1000)
        # An empty sysfs: no serial port to fall back on, whatever this machine has.
        r = run_cli("--sysfs-root", self.workdir, "run", image)
        self.assertOneLineError(r, 2, "SQNSUPGRADE_PORT")

    def test_port_in_use(self):
        image = self.modem.mkimage("CATM1-39529.dup", size=1000)
        # Another updater holds the port: the same lock an sqnsupgrade takes.
        fd = os.open(self.modem.link, os.O_RDWR | os.O_NOCTTY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            r = run_cli("run", image, port=self.modem.link)
        finally:
            os.close(fd)
        self.assertOneLineError(r, 4, "in use")

    def test_updater_that_is_not_elf(self):
        image = self.modem.mkimage("CATM1-39529.dup", size=1000)
        fake = self.modem.mkimage("updater.elf", kind="full", size=1000)
        r = run_cli("run", image, fake, port=self.modem.link)
        self.assertOneLineError(r, 10, "'updater.elf' is not an ELF file")

    def test_files_swapped(self):
        image = self.modem.mkimage("CATM1-39529.dup", size=1000)
        elf = self.modem.mkimage("updater.elf", kind="updater", size=1000)
        r = run_cli("run", elf, image, port=self.modem.link)
        self.assertOneLineError(r, 10, "'updater.elf' is an ELF file", "run FIRMWARE.dup UPDATER.elf")

    # A file that is recognisably not a firmware image is never sent (what the modem then
    # does with a differential image and updater.elf is in test_field.py).
    def write(self, name, data):
        path = os.path.join(self.workdir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_zip_archive_without_firmware(self):
        # A zip archive is a release (test_archive.py); one without a .dup is refused whole.
        import io
        import zipfile
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("README.txt", "release notes\n")
        path = self.write("CATM1-39529.zip", buf.getvalue())
        r = run_cli("run", path, port=self.modem.link)
        self.assertOneLineError(r, 3, "'CATM1-39529.zip' holds no firmware image")

    def test_zip_archive_as_updater(self):
        # The release holds updater.elf: a second file beside it is a usage error.
        import io
        import zipfile
        image = self.modem.mkimage("CATM1-39529.dup", size=1000)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(image, "CATM1-39529.dup")
        path = self.write("CATM1-39529.zip", buf.getvalue())
        elf = self.modem.mkimage("updater.elf", kind="updater", size=1000)
        r = run_cli("run", path, elf, port=self.modem.link)
        self.assertOneLineError(r, 2, "is a release", "give it alone")

    def test_gzip_and_tar(self):
        import gzip
        import io
        import tarfile
        path = self.write("CATM1-39529.dup.gz", gzip.compress(os.urandom(3000)))
        r = run_cli("run", path, port=self.modem.link)
        self.assertOneLineError(r, 10, "is a compressed file", "unpack it")
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            data = os.urandom(3000)
            info = tarfile.TarInfo("CATM1-39529.dup")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        path = self.write("CATM1-39529.tar", buf.getvalue())
        r = run_cli("run", path, port=self.modem.link)
        self.assertOneLineError(r, 10, "is a tar archive", "tar -xf")

    def test_html_page_saved_instead(self):
        page = b"<!DOCTYPE html>\n<html><head><title>Login</title></head><body>" + b"x" * 400
        path = self.write("CATM1-39529.dup", page)
        r = run_cli("run", path, port=self.modem.link)
        self.assertOneLineError(r, 10, "'CATM1-39529.dup' is an HTML page", "download")

    def test_text_file(self):
        path = self.write("CATM1-39529.dup", b"Please read the instructions.\n" * 20)
        r = run_cli("run", path, port=self.modem.link)
        self.assertOneLineError(r, 10, "is a text file, not a firmware image")

    def test_bootrom_as_firmware(self):
        rom = self.modem.mkimage("bootrom.bin", kind="bootrom", build=40000, size=1000)
        r = run_cli("run", rom, port=self.modem.link)
        self.assertOneLineError(r, 10, "'bootrom.bin' is the boot ROM", "--bootrom")

    def test_part2_beside_part1_is_checked_too(self):
        part1 = self.modem.mkimage("CATM1-5.2-48829-1.dup", size=1000)
        self.write("CATM1-5.2-48829-2.dup", b"<html>not found</html>" + b" " * 300)
        r = run_cli("run", part1, port=self.modem.link)
        self.assertOneLineError(r, 10, "'CATM1-5.2-48829-2.dup' is an HTML page")

    def test_missing_bootrom_file(self):
        image = self.modem.mkimage("CATM1-39529.dup", size=1000)
        elf = self.modem.mkimage("updater.elf", kind="updater", size=1000)
        r = run_cli("run", image, elf, "--bootrom", os.path.join(self.workdir, "nope.bin"),
                    port=self.modem.link)
        self.assertOneLineError(r, 3, "nope.bin")

    def test_usage_errors(self):
        for args, word in ((["frobnicate"], "unknown command"), (["run"], "needs a firmware"),
                           (["-b", "12345", "state"], "unsupported rate"),
                           (["--stp-timeout", "x", "state"], "bad timeout")):
            r = run_cli(*args, port=self.modem.link)
            self.assertExit(r, 2)
            self.assertIn(word, r.err)


if __name__ == "__main__":
    unittest.main()
