# SPDX-License-Identifier: MIT
"""run ARCHIVE|FOLDER (issue 21): Pycom's release archive as the input, the image and the
method chosen for the modem found. Each modem state (application on the diff's base, on
another build, factory boot ROM, recovery, upgrade mode, already current) against the
archive shapes (full only, full + diffs + updater, two-part, wrong channel, damaged,
empty), built here with Python's zipfile (stored and deflated) from sqnsim's images."""
import json
import os
import shutil
import struct
import unittest
import zipfile

from harness import SimTestCase, interrupt_transfer, run_cli, sha256_file

FULL, DIFF, OTHER_DIFF = "CATM1-39529.dup", "upgdiff_38638-to-39529.dup", "upgdiff_37781-to-39529.dup"
FULL_SIZE, DIFF_SIZE = 60000, 8000


class ArchiveTest(SimTestCase):
    # ---- the archives ----

    def release_files(self, sim):
        """The images of CATM1-39529.zip: the full image, two diffs, updater.elf."""
        return {
            FULL: sim.mkimage(FULL, size=FULL_SIZE, seed=1),
            DIFF: sim.mkimage(DIFF, kind="diff", frm=38638, size=DIFF_SIZE, seed=2),
            OTHER_DIFF: sim.mkimage(OTHER_DIFF, kind="diff", frm=37781, size=DIFF_SIZE, seed=3),
            "updater.elf": sim.mkimage("updater.elf", kind="updater", size=30000, seed=4),
        }

    def zip(self, name, members, compression=zipfile.ZIP_DEFLATED, folder="CATM1-39529/"):
        """An archive holding members ({name in it: path or bytes}) under folder."""
        path = os.path.join(self.workdir, name)
        with zipfile.ZipFile(path, "w", compression) as z:
            for member, src in members.items():
                if isinstance(src, bytes):
                    z.writestr(folder + member, src)
                else:
                    z.write(src, folder + member)
        return path

    def full_release(self, sim, name="CATM1-39529.zip", **kw):
        files = self.release_files(sim)
        return self.zip(name, files, **kw), files

    def images(self, sim):
        return [(e["method"], e["kind"], e["build"]) for e in sim.events("image")]

    def final_build(self, sim):
        return sim.events("boot")[-1]["build"]

    def choice_line(self, r):
        lines = [line for line in r.out.splitlines() if line.startswith("From ")]
        self.assertEqual(len(lines), 1, r.out)
        return lines[0]

    def assertRefusedBeforePort(self, sim, r, status, *words):
        """One line, the status, and not one byte to the modem (the port was never opened)."""
        self.assertExit(r, status)
        self.assertEqual(r.out, "")
        self.assertEqual(len(r.err.splitlines()), 1, r.err)
        self.assertTrue(r.err.startswith("sqnsupgrade: "), r.err)
        for w in words:
            self.assertIn(w, r.err)
        sim.stop()
        self.assertNothingSent(sim)

    # ---- application mode ----

    def test_diff_chosen_on_its_base(self):
        sim = self.sim("--build", "38638")
        archive, files = self.full_release(sim)
        r = run_cli("run", archive, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        line = self.choice_line(r)
        self.assertIn("From CATM1-39529.zip, the modem runs 38638: %s, 8 KB, instead of %s, 60 KB"
                      % (DIFF, FULL), line)
        self.assertIn("send %s (8000 bytes, differential)" % DIFF, r.out)
        self.assertModemUnchanged(sim)
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn(DIFF, self.choice_line(r))
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual(self.images(sim), [("ON_THE_FLY", "diff", 39529)])
        self.assertEqual(sim.events("image")[0]["sha256"], sha256_file(files[DIFF]))
        self.assertEqual(self.final_build(sim), 39529)

    def test_json_names_the_chosen_member(self):
        sim = self.sim("--build", "38638")
        archive, _ = self.full_release(sim)
        r = run_cli("run", archive, "--dry-run", "--json", port=sim.link)
        self.assertExit(r, 0)
        result = json.loads(r.out.splitlines()[-1])
        self.assertEqual(result["release"]["why"], "diff")
        self.assertEqual(result["release"]["image"], "CATM1-39529/" + DIFF)
        self.assertEqual(result["release"]["updater"], "")
        self.assertIn(DIFF, result["text"])

    def test_full_chosen_on_another_build(self):
        sim = self.sim("--build", "36417")
        archive, _ = self.full_release(sim)
        r = run_cli("run", archive, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("the modem runs 36417: CATM1-39529.dup, 60 KB, the full image: no "
                      "differential image in the release is from 36417", self.choice_line(r))
        self.assertModemUnchanged(sim)

    def test_full_only_stored_upper_case_name(self):
        sim = self.sim("--build", "38638")
        full = sim.mkimage(FULL, size=FULL_SIZE)
        archive = self.zip("CATM1-39529.ZIP", {FULL: full}, zipfile.ZIP_STORED, folder="")
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("the full image: no differential image in the release is from 38638",
                      self.choice_line(r))
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual(self.images(sim), [("ON_THE_FLY", "full", 39529)])
        self.assertEqual(sim.events("image")[0]["sha256"], sha256_file(full))

    def test_already_current(self):
        sim = self.sim("--build", "39529")
        archive, _ = self.full_release(sim)
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("nothing to send: the modem already runs build 39529", self.choice_line(r))
        self.assertModemUnchanged(sim)

    def test_wrong_channel_is_a_switch(self):
        sim = self.sim("--build", "38638")
        nb1 = sim.mkimage("NB1-41019.dup", build=41019, size=9000, channel="nb1")
        archive = self.zip("NB1-41019.zip", {"NB1-41019.dup": nb1}, folder="")
        r = run_cli("run", archive, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("NB1-41019.dup, 9 KB, the full image: the modem runs CAT-M1 firmware and "
                      "this release is NB-IoT, a switch of channel", self.choice_line(r))
        self.assertModemUnchanged(sim)

    def test_diffs_only_none_fits(self):
        sim = self.sim("--build", "36417")
        files = self.release_files(sim)
        archive = self.zip("diffs.zip", {DIFF: files[DIFF], OTHER_DIFF: files[OTHER_DIFF]})
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("none of them is from build 36417", r.err)
        self.assertModemUnchanged(sim)

    def test_several_modems_each_its_own_choice(self):
        # -p twice: each modem is detected and gets the differential image from its build.
        a = self.sim("--build", "38638", name="a")
        b = self.sim("--build", "37781", name="b")
        archive, files = self.full_release(a)
        r = run_cli("-p", a.link, "-p", b.link, "--json", "run", archive)
        self.assertExit(r, 0)
        summary = json.loads(r.out)
        self.assertEqual([(m["old_build"], m["new_build"], m["bytes"]) for m in summary],
                         [(38638, 39529, DIFF_SIZE), (37781, 39529, DIFF_SIZE)])
        self.assertEqual([(e["kind"], e["from"], e["sha256"]) for e in a.events("image")],
                         [("diff", 38638, sha256_file(files[DIFF]))])
        self.assertEqual([(e["kind"], e["from"], e["sha256"]) for e in b.events("image")],
                         [("diff", 37781, sha256_file(files[OTHER_DIFF]))])

    # ---- two-part releases ----

    def parts_release(self, sim):
        p1 = sim.mkimage("CATM1-5.2-48829-1.dup", build=39529, size=12000, seed=1)
        p2 = sim.mkimage("CATM1-5.2-48829-2.dup", build=48829, size=12000, seed=2)
        elf = sim.mkimage("updater.elf", kind="updater", size=30000, seed=4)
        return self.zip("CATM1-48829.zip", {"CATM1-5.2-48829-1.dup": p1,
                                            "CATM1-5.2-48829-2.dup": p2, "updater.elf": elf},
                        folder="CATM1-48829/")

    def test_two_parts_in_one_run(self):
        sim = self.sim("--build", "38638")
        archive = self.parts_release(sim)
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("both parts of the two-part release in one run", self.choice_line(r))
        self.assertLinesInOrder(r.out, [
            "Verified: part 1 of 2 is in: the modem runs the intermediate build 39529",
            "Part 2 follows now, with no power cycle in between",
            "Verified: modem now runs build 48829",
        ])
        self.assertEqual(self.images(sim), [("ON_THE_FLY", "full", 39529),
                                            ("ON_THE_FLY", "full", 48829)])
        self.assertEqual(len(sim.events("power_on")), 1)
        self.assertEqual(self.final_build(sim), 48829)

    def test_two_parts_even_on_the_intermediate_build(self):
        # A regular 39529 is not known to be the intermediate: both parts go.
        sim = self.sim("--build", "39529")
        archive = self.parts_release(sim)
        r = run_cli("run", archive, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("both parts of the two-part release in one run", self.choice_line(r))
        self.assertIn("part 2: send CATM1-5.2-48829-2.dup", r.out)
        self.assertModemUnchanged(sim)

    def test_part_missing(self):
        sim = self.sim("--build", "38638")
        p1 = sim.mkimage("CATM1-5.2-48829-1.dup", build=39529, size=12000)
        archive = self.zip("CATM1-48829.zip", {"CATM1-5.2-48829-1.dup": p1})
        r = run_cli("run", archive, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "without part 2")

    # ---- recovery, the factory's boot ROM, upgrade mode ----

    def test_recovery_mode_takes_updater_and_full(self):
        sim = self.sim("--mode", "0")
        archive, files = self.full_release(sim)
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 0)
        line = self.choice_line(r)
        self.assertIn("CATM1-39529.dup, 60 KB, the full image: in recovery mode the modem's "
                      "build cannot be read", line)
        self.assertIn("by the recovery method with the release's updater.elf", line)
        self.assertEqual(self.images(sim), [("STP", "updater", 39529),
                                            ("ON_THE_FLY", "full", 39529)])
        self.assertEqual(sim.events("image")[1]["sha256"], sha256_file(files[FULL]))
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual(self.final_build(sim), 39529)

    def test_recovery_mode_diff_only_release(self):
        # No full image: the one differential image goes, its base checked by the modem.
        sim = self.sim("--mode", "0")
        files = self.release_files(sim)
        archive = self.zip("diff.zip", {DIFF: files[DIFF], "updater.elf": files["updater.elf"]})
        r = run_cli("run", archive, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("%s, 8 KB, the release's only image" % DIFF, self.choice_line(r))

    def test_factory_boot_rom(self):
        sim = self.sim("--factory", "--build", "38638", factory=True)
        archive, files = self.full_release(sim)
        # Pycom's archives hold no boot ROM: without --bootrom, refused before any change.
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("--bootrom BOOTROM", r.err)
        self.assertIn("sqnsupgrade -p %s run %s --bootrom BOOTROM" % (sim.link, archive), r.err)
        self.assertModemUnchanged(sim)
        rom = sim.mkimage("bootrom.bin", kind="bootrom", build=39529, size=54854)
        r = run_cli("run", archive, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("by the recovery method with the release's updater.elf (its boot ROM is "
                      "the factory's)", self.choice_line(r))
        self.assertEqual([k for _, k, _ in self.images(sim)], ["bootrom", "updater", "diff"])
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertIn("Bootloader0  : 5.1.1.0 [39529]", r.out)

    def test_upgrade_mode_resumed_with_the_full_image(self):
        sim = self.sim("--mode", "4")
        archive, files = self.full_release(sim)
        r = run_cli("run", archive, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("CATM1-39529.dup, 60 KB, the full image: in upgrade mode the modem's "
                      "build cannot be read", self.choice_line(r))
        self.assertEqual(self.images(sim), [("ON_THE_FLY", "full", 39529)])
        self.assertEqual(self.final_build(sim), 39529)

    def test_resent_blocks_read_again_from_the_archive(self):
        # A dropped request and a corrupted answer make the host send blocks again: the
        # member, streamed from a deflated archive, must give the same bytes again.
        sim = self.sim("--build", "36417", "--drop-request", "4", "--corrupt-response", "7")
        archive, files = self.full_release(sim)
        r = run_cli("--stp-timeout", "2", "--json", "run", archive, port=sim.link)
        self.assertExit(r, 0)
        events = [json.loads(line) for line in r.out.splitlines()]
        self.assertEqual(len([e for e in events if e["event"] == "retry"]), 2, r.out)
        images = sim.events("image")
        self.assertEqual([(e["kind"], e["complete"]) for e in images], [("full", True)])
        self.assertEqual(images[0]["sha256"], sha256_file(files[FULL]))
        self.assertTrue(events[-1]["verified"], events[-1])

    def test_interrupted_run_resumed_from_the_archive(self):
        # Ctrl-C in the transfer of the diff leaves the modem in upgrade mode; the command
        # printed names the archive, and running it chooses again: the full image.
        sim = self.sim("--build", "38638", "--pace")
        full = sim.mkimage(FULL, size=400000, seed=1)
        diff = sim.mkimage(DIFF, kind="diff", frm=38638, size=200000, seed=2)
        archive = self.zip("CATM1-39529.zip", {FULL: full, DIFF: diff})
        status, err, command = interrupt_transfer(sim, archive)
        self.assertEqual(status, 8, err)
        self.assertEqual(command, ["run", archive, "--resume"], err)
        r = run_cli(*command, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("CATM1-39529.dup, 400 KB, the full image: in upgrade mode the modem's "
                      "build cannot be read", self.choice_line(r))
        self.assertEqual([(e["kind"], e["complete"]) for e in sim.events("image")],
                         [("diff", False), ("full", True)])
        self.assertEqual(sim.events("image")[-1]["sha256"], sha256_file(full))
        self.assertEqual(self.final_build(sim), 39529)

    # ---- a folder ----

    def test_unpacked_folder(self):
        sim = self.sim("--build", "38638")
        files = self.release_files(sim)
        folder = os.path.join(self.workdir, "unpacked")
        os.makedirs(os.path.join(folder, "CATM1-39529"))
        for name, path in files.items():
            shutil.copy(path, os.path.join(folder, "CATM1-39529", name))
        r = run_cli("run", folder + "/", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn(DIFF + ", 8 KB, instead of " + FULL, self.choice_line(r))
        self.assertEqual(self.images(sim), [("ON_THE_FLY", "diff", 39529)])
        self.assertEqual(sim.events("image")[0]["sha256"], sha256_file(files[DIFF]))

    # ---- archives refused before the port opens ----

    def test_damaged_deflated_member(self):
        sim = self.sim("--build", "38638")
        archive, _ = self.full_release(sim)
        with zipfile.ZipFile(archive) as z:
            info = z.getinfo("CATM1-39529/" + FULL)
        with open(archive, "r+b") as f:
            # Past the local header (30 bytes, the name, the extra field): the data itself.
            f.seek(info.header_offset + 26)
            name_len, extra_len = struct.unpack("<HH", f.read(4))
            f.seek(info.header_offset + 30 + name_len + extra_len + info.compress_size // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        r = run_cli("run", archive, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "is damaged", FULL, "download it again")

    def test_truncated_archive(self):
        sim = self.sim("--build", "38638")
        archive, _ = self.full_release(sim)
        with open(archive, "r+b") as f:
            f.truncate(os.path.getsize(archive) // 2)
        r = run_cli("run", archive, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "CATM1-39529.zip' is damaged", "download it again")

    def test_member_larger_than_the_archive(self):
        sim = self.sim("--build", "38638")
        full = sim.mkimage(FULL, size=FULL_SIZE)
        archive = self.zip("CATM1-39529.zip", {FULL: full}, zipfile.ZIP_STORED, folder="")
        with zipfile.ZipFile(archive) as z:
            central = z.start_dir
        with open(archive, "r+b") as f:
            # The central directory's compressed and uncompressed sizes (offsets 20, 24).
            f.seek(central + 20)
            f.write(struct.pack("<II", 0x7FFFFFFF, 0x7FFFFFFF))
        r = run_cli("run", archive, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "is damaged")

    def test_not_a_zip(self):
        sim = self.sim("--build", "38638")
        path = os.path.join(self.workdir, "CATM1-39529.zip")
        with open(path, "w") as f:
            f.write("<html><body>Not found</body></html>\n" * 10)
        r = run_cli("run", path, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "is not a zip archive")

    def test_missing_archive(self):
        sim = self.sim("--build", "38638")
        r = run_cli("run", os.path.join(self.workdir, "CATM1-41065.zip"), port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "no such file or folder", "CATM1-41065.zip",
                                     "check the path")

    def test_empty_archive(self):
        sim = self.sim("--build", "38638")
        archive = self.zip("CATM1-39529.zip", {})
        r = run_cli("run", archive, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "holds no firmware image")

    def test_updater_that_is_not_elf(self):
        sim = self.sim("--build", "38638")
        files = self.release_files(sim)
        files["updater.elf"] = files[FULL]
        archive = self.zip("CATM1-39529.zip", files)
        r = run_cli("run", archive, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 10, "updater.elf")

    def test_two_releases(self):
        sim = self.sim("--build", "38638")
        files = self.release_files(sim)
        files["CATM1-41065.dup"] = sim.mkimage("CATM1-41065.dup", build=41065, size=9000)
        archive = self.zip("CATM1-39529.zip", files)
        r = run_cli("run", archive, port=sim.link)
        self.assertRefusedBeforePort(sim, r, 3, "more than one release")

    def test_through_a_board_the_choice_comes_behind_uart(self):
        # --board with a release: uart() (the normal method), then the choice through the mirror.
        sim = self.sim("--board", "--build", "38638")
        archive, files = self.full_release(sim)
        r = run_cli("--board", "run", archive, port=sim.link)
        self.assertExit(r, 0)
        self.assertIn("sqnsupgrade.uart()", r.out)
        self.assertIn("the modem runs 38638: " + DIFF, self.choice_line(r))
        self.assertIn("Verified: modem now runs build 39529", r.out)
        self.assertEqual([e["recovery"] for e in sim.events("board_uart")], [False])
        self.assertEqual(self.images(sim), [("ON_THE_FLY", "diff", 39529)])

    def test_through_a_board_a_recovery_choice_is_refused_before_any_change(self):
        # A factory boot ROM: the release chooses the recovery method, which uart()'s mirror
        # (921600 only) cannot carry: refused before any change, even with the boot ROM.
        sim = self.sim("--board", "--factory", "--build", "38638", factory=True)
        archive, _ = self.full_release(sim)
        rom = sim.mkimage("bootrom.bin", kind="bootrom", size=5000)
        r = run_cli("--board", "run", archive, "--bootrom", rom, port=sim.link)
        self.assertExit(r, 10)
        self.assertIn("the board's mirror (uart()) cannot carry: nothing was changed", r.err)
        self.assertIn("--board run %s updater.elf" % DIFF, r.err)  # the member chosen
        self.assertEqual(sim.events("image"), [])
        self.assertEqual(sim.events("mode"), [])

    def test_board_updater_goes_with_a_dup_not_a_release(self):
        sim = self.sim("--build", "38638")
        archive, _ = self.full_release(sim)
        r = run_cli("--board", "run", archive, "--board-updater", "/flash/updater.elf",
                    port=sim.link)
        self.assertRefusedBeforePort(sim, r, 2, "--board-updater cannot go with a release")

    def test_macos_extras_are_ignored(self):
        sim = self.sim("--build", "38638")
        files = self.release_files(sim)
        members = dict(files)
        members["._" + FULL] = b"\x00\x05\x16\x07" + b"\x00" * 200
        archive = self.zip("CATM1-39529.zip", members)
        with zipfile.ZipFile(archive, "a") as z:
            z.writestr("__MACOSX/CATM1-39529/._" + DIFF, b"\x00\x05\x16\x07" + b"\x00" * 200)
        r = run_cli("run", archive, "--dry-run", port=sim.link)
        self.assertExit(r, 0)
        self.assertIn(DIFF + ", 8 KB, instead of", self.choice_line(r))


if __name__ == "__main__":
    unittest.main()
