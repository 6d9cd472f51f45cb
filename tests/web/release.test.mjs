/* SPDX-License-Identifier: MIT */
/*
 * The page with Pycom's release archive (issue 21): one file field takes the
 * .zip, the core chooses the image that fits the modem (sqns_release_choose),
 * the plan names it, and the members are read from the archive into the
 * transfer. In headless Chromium against sqnsim, as web.test.mjs.
 *   cd tests/web && node --test release.test.mjs     (ctest -L web: web.release)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test as nodeTest } from "node:test";
import * as L from "./lib.mjs";

const test = (name, body) => nodeTest(name, L.cleaned(body));

let browser;

before(async () => {
	for (const f of ["index.html", "app.js", "zip.js", "sqnsweb.js", "sqnsweb.wasm"])
		assert.ok(fs.existsSync(path.join(L.DIST, f)), "web/dist/" + f + " missing: run make web");
	browser = await L.launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
});

async function withModem(simArgs, body) {
	const dir = L.tmpdir("sqns-web-");
	const sim = await new L.Sim(dir, simArgs).start();
	const bridge = await new L.Bridge(sim.link).start();
	const page = await L.openPage(browser, bridge.url);
	try {
		return await body({ sim, bridge, page, dir });
	} finally {
		await page.context().close();
		await bridge.stop();
		await sim.stop();
	}
}

const text = (page, id) => page.evaluate((i) => document.getElementById(i).textContent, id);
const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

/* Pycom's CATM1-39529.zip, as the simulator's images: the full image, two differential
 * images and updater.elf in a folder of the release's name. */
function release(sim, method) {
	const full = sim.mkimage("CATM1-39529.dup", "full", 39529, 600000);
	const diff = sim.mkimage("upgdiff_38638-to-39529.dup", "diff", 39529, 50000, ["--from", "38638"]);
	const other = sim.mkimage("upgdiff_38000-to-39529.dup", "diff", 39529, 60000, ["--from", "38000"]);
	const upd = sim.mkimage("updater.elf", "updater", 39529, 30000);
	const zip = L.makeZip(path.join(sim.dir, "CATM1-39529.zip"),
			      [["CATM1-39529/CATM1-39529.dup", full], ["CATM1-39529/upgdiff_38000-to-39529.dup", other],
			       ["CATM1-39529/upgdiff_38638-to-39529.dup", diff], ["CATM1-39529/updater.elf", upd],
			       ["CATM1-39529/README.txt", Buffer.from("Sequans modem firmware 39529\n")]],
			      { method });
	return { zip, full, diff, upd };
}

function lastUpgrade(sim) {
	const up = sim.events("upgrade").filter((e) => e.kind !== "bootrom");
	return up[up.length - 1];
}

describe("the page with a release archive, in headless Chromium against sqnsim", () => {
	test("the differential image from the running build: chosen, planned, sent from the archive, verified", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE], async ({ sim, page, bridge }) => {
			const { zip, diff } = release(sim, "deflated");
			await L.planUpgrade(page, { firmware: zip });
			const plan = await text(page, "plan-text");
			assert.match(plan, /^From CATM1-39529\.zip, the modem runs 38638: upgdiff_38638-to-39529\.dup, 50 KB, instead of CATM1-39529\.dup, 600 KB: about \d+ s less\n/);
			assert.match(plan, /Plan \(dry run: nothing on the modem was changed\):/);
			assert.match(plan, /firmware: send upgdiff_38638-to-39529\.dup \(50000 bytes, differential\) ON_THE_FLY/);
			assert.match(plan, /verify build 39529/);
			assert.doesNotMatch(plan, /updater/);
			assert.equal(sim.events("stp_start").length, 0, "the dry run sent no image");
			await L.screenshot(page, "release-01-plan");

			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.match(r.result, /Verified: modem now runs build 39529/);
			assert.match(r.transcript, /From CATM1-39529\.zip, the modem runs 38638: upgdiff_38638-to-39529\.dup/);
			const img = sim.events("image");
			assert.equal(img.length, 1, "one image: the differential one");
			assert.equal(img[0].complete, true);
			assert.equal(img[0].bytes, 50000);
			assert.equal(img[0].sha256, sha256(diff), "the member's bytes, inflated in the page");
			assert.equal(lastUpgrade(sim).result, "success");
			assert.equal(lastUpgrade(sim).build, 39529);
			assert.deepEqual(page.consoleErrors, []);
			assert.ok(!page.requests.some((u) => /\.zip|\.dup/.test(u)), "the archive never went to a server");
			assert.ok(bridge.notes().some((l) => l.startsWith("bridge: open 921600")));
		});
	});

	test("a modem in recovery mode: the release's updater.elf and its full image (stored members)", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--mode", "0"], async ({ sim, page }) => {
			const { zip, full, upd } = release(sim, "stored");
			await L.planUpgrade(page, { firmware: zip });
			const plan = await text(page, "plan-text");
			assert.match(plan, /^From CATM1-39529\.zip, CATM1-39529\.dup, 600 KB, the full image: in recovery mode the modem's build cannot be read, so no differential image is chosen; by the recovery method with the release's updater\.elf \(the modem is in recovery mode\)\n/);
			assert.match(plan, /recovery mode \(0\) at 115200 baud/);
			assert.match(plan, /updater: negotiate 115200 -> 921600 baud/);
			assert.match(plan, /CATM1-39529\.dup \(600000 bytes, full image\)/);

			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.ok(r.transcript.includes("Upgrader loaded successfully, modem is in upgrade mode"));
			const img = sim.events("image");
			assert.deepEqual(img.map((e) => [e.bytes, e.sha256, e.complete]),
					 [[30000, sha256(upd), true], [600000, sha256(full), true]],
					 "updater.elf, then the full image, as the archive holds them");
			assert.equal(lastUpgrade(sim).result, "success");
			assert.equal(lastUpgrade(sim).build, 39529);
		});
	});

	test("through a Pycom board's mirror: uart(), then the differential image the core chose there", async (t) => {
		const help = spawnSync(L.SQNSIM, ["--help"], { encoding: "utf8" });
		if (!/--board/.test((help.stdout || "") + (help.stderr || "")))
			return t.skip("sqnsim has no --board (no simulated MicroPython REPL)");
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--board"], async ({ sim, page }) => {
			const { zip, diff } = release(sim, "deflated");
			await page.check("#board");
			await L.planUpgrade(page, { firmware: zip });
			const plan = await text(page, "plan-text");
			assert.match(plan, /on the board: import sqnsupgrade; sqnsupgrade\.uart\(\)/);
			assert.match(plan, /the upgrade as against a bare modem/);
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.match(r.transcript, /The board is in mirror mode/);
			assert.match(r.transcript, /From CATM1-39529\.zip, the modem runs 38638: upgdiff_38638-to-39529\.dup, 50 KB, instead of CATM1-39529\.dup, 600 KB/);
			const img = sim.events("image");
			assert.deepEqual(img.map((e) => [e.bytes, e.sha256, e.complete]), [[50000, sha256(diff), true]]);
			assert.equal(lastUpgrade(sim).build, 39529);
		});
	});

	test("through a board, a factory boot ROM and the archive: refused, nothing changed, uart(True) named", async (t) => {
		const help = spawnSync(L.SQNSIM, ["--help"], { encoding: "utf8" });
		if (!/--board/.test((help.stdout || "") + (help.stderr || "")))
			return t.skip("sqnsim has no --board (no simulated MicroPython REPL)");
		await withModem([...L.FAST, "--board"], async ({ sim, page }) => {
			const { zip } = release(sim, "deflated");
			await page.check("#board");
			await L.planUpgrade(page, { firmware: zip });
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "refused", r.transcript);
			assert.match(r.transcript, /Refused: the modem still has its factory boot ROM \(Bootloader0 33080\)/);
			assert.match(r.transcript, /give the archive's \.dup and updater\.elf instead of the archive \(the page then runs sqnsupgrade\.uart\(True\) on the board\)/);
			assert.equal(sim.events("image").length, 0, "no image sent");
		});
	});

	test("through a board, a factory boot ROM, the archive and a boot ROM: the mirror cannot carry the recovery, nothing changed", async (t) => {
		const help = spawnSync(L.SQNSIM, ["--help"], { encoding: "utf8" });
		if (!/--board/.test((help.stdout || "") + (help.stderr || "")))
			return t.skip("sqnsim has no --board (no simulated MicroPython REPL)");
		await withModem([...L.FAST, "--board"], async ({ sim, page }) => {
			const { zip } = release(sim, "deflated");
			const rom = sim.mkimage("bootrom.bin", "bootrom", 39529, 5000);
			await page.check("#board");
			await L.planUpgrade(page, { firmware: zip, bootrom: rom });
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "refused", r.transcript);
			assert.match(r.transcript, /needs the recovery method, which the board's mirror \(uart\(\)\) cannot carry: nothing was changed/);
			assert.match(r.transcript, /sqnsupgrade\.uart\(True\) on the board/);
			assert.equal(sim.events("image").length, 0, "no image sent");
			assert.equal(sim.events("mode").length, 0, "no reboot");
		});
	});

	test("a modem that already runs the release's build: nothing to send", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--build", "39529"], async ({ sim, page }) => {
			const { zip } = release(sim, "deflated");
			await L.planUpgrade(page, { firmware: zip });
			const r = await L.waitResult(page);
			assert.equal(await text(page, "plan-text"), "From CATM1-39529.zip, nothing to send: the modem already runs build 39529");
			assert.equal(r.kind, "ok", r.transcript);
			assert.equal(r.result, "Nothing to do: the modem already runs this build.");
			assert.equal(await page.isHidden("#confirm"), true, "nothing to confirm");
			assert.equal(sim.events("image").length, 0, "no image sent");
			assert.equal(sim.events("mode").length, 0, "no reboot");
		});
	});

	test("a boot ROM that is not one, with the archive: refused before the port opens", async () => {
		await withModem([...L.FAST], async ({ sim, page, bridge }) => {
			const { zip } = release(sim, "deflated");
			const rom = path.join(sim.dir, "bootrom.bin");
			fs.writeFileSync(rom, Buffer.alloc(5000, 0x41));
			await L.planUpgrade(page, { firmware: zip, bootrom: rom });
			const r = await L.waitResult(page);
			assert.equal(r.kind, "refused", r.transcript);
			assert.match(r.transcript, /Refused: .*bootrom\.bin/);
			assert.ok(!bridge.notes().some((l) => l.startsWith("bridge: open")), "the port was never opened");
		});
	});

	test("a damaged archive is refused before the port opens", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE], async ({ sim, page, bridge }) => {
			const { zip } = release(sim, "deflated");
			/* The table of contents kept, the members' data cut short. */
			const bytes = fs.readFileSync(zip);
			const cd = bytes.readUInt32LE(bytes.length - 6);
			const cut = path.join(sim.dir, "cut", "CATM1-39529.zip");
			fs.mkdirSync(path.dirname(cut));
			fs.writeFileSync(cut, Buffer.concat([bytes.subarray(0, 200000), bytes.subarray(cd)]));
			await L.planUpgrade(page, { firmware: cut });
			const r = await L.waitResult(page);
			assert.equal(r.kind, "refused", r.transcript);
			assert.match(r.transcript, /Refused: 'CATM1-39529\.zip' is a zip archive, but a damaged one: its table of contents \(\d+ bytes at \d+\) runs past its end \(200400 bytes\)\. Download it again\./);
			assert.equal(sim.events("at").length, 0, "not one byte reached the modem");
			assert.ok(!bridge.notes().some((l) => l.startsWith("bridge: open")), "the port was never opened");
		});
	});

	test("a member that fails its CRC-32: the core's words for the release, before the port opens", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE], async ({ sim, page, bridge }) => {
			const full = sim.mkimage("CATM1-39529.dup", "full", 39529, 100000);
			const zip = L.makeZip(path.join(sim.dir, "CATM1-39529.zip"), [["CATM1-39529.dup", full]],
					      { method: "stored" });
			const bytes = fs.readFileSync(zip);
			bytes[30 + "CATM1-39529.dup".length + 5000] ^= 0xff;
			fs.writeFileSync(zip, bytes);
			await L.planUpgrade(page, { firmware: zip });
			const r = await L.waitResult(page);
			assert.equal(r.kind, "refused", r.transcript);
			assert.match(r.transcript, /Refused: 'CATM1-39529\.zip' is damaged: 'CATM1-39529\.dup' cannot be read from it; download the release again/);
			assert.match(r.transcript, /CATM1-39529\.dup: 'CATM1-39529\.dup' does not match its CRC-32/);
			assert.equal(sim.events("at").length, 0, "not one byte reached the modem");
			assert.ok(!bridge.notes().some((l) => l.startsWith("bridge: open")), "the port was never opened");
		});
	});
});
