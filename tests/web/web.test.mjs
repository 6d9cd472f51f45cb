/* SPDX-License-Identifier: MIT */
/*
 * The web page (web/dist: the core in WebAssembly) in Debian's headless Chromium,
 * upgrading sqnsim through the test-only WebSocket SerialPort and bridge.
 *   cd tests/web && node --test web.test.mjs     (ctest -L web in a -DSQNS_WEB_TESTS=ON build)
 * Screenshots and the page's logs go to $SQNS_WEB_OUT (build-web/web-artifacts); a test's
 * simulator folder (/tmp/sqns-web-*) is removed when it passes, kept and named when it fails.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import zlib from "node:zlib";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test as nodeTest } from "node:test";
import * as L from "./lib.mjs";

/* Every test's /tmp/sqns-web-* folders: removed when it passes, kept and named when it fails. */
const test = (name, body) => nodeTest(name, L.cleaned(body));

let browser;

before(async () => {
	for (const f of ["index.html", "app.js", "sqnsweb.js", "sqnsweb.wasm"])
		assert.ok(fs.existsSync(path.join(L.DIST, f)), "web/dist/" + f + " missing: run make web");
	browser = await L.launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
});

/* One simulated modem, its bridge and a page; stopped whatever happens. */
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

function assertUpgraded(sim, build) {
	const img = sim.events("image");
	assert.ok(img.length >= 1, "the modem received an image");
	assert.equal(img[img.length - 1].complete, true, "the image arrived complete");
	const up = sim.events("upgrade").filter((e) => e.kind !== "bootrom");
	assert.equal(up[up.length - 1].result, "success");
	assert.equal(up[up.length - 1].build, build);
}

describe("the upgrade page in headless Chromium against sqnsim", () => {
	test("normal method (ON_THE_FLY): plan, confirm, progress, verified; screenshots", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--pace"], async ({ sim, page, bridge }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 600000);
			await L.screenshot(page, "01-before");
			await L.planUpgrade(page, { firmware: fw });
			const plan = await text(page, "plan-text");
			assert.match(plan, /Plan \(dry run: nothing on the modem was changed\):/);
			assert.match(plan, /modem: application mode \(2\) at 921600 baud, running build 38638/);
			assert.match(plan, /firmware: send CATM1-39529\.dup \(600000 bytes, full image\) ON_THE_FLY/);
			assert.match(plan, /verify build 39529/);
			assert.equal(sim.events("stp_start").length, 0, "the dry run sent no image");
			await L.screenshot(page, "02-plan");
			/* The filters asked for are the Pycom boards' USB vendors. */
			const filters = await page.evaluate(() => navigator.serial.requests[0].filters);
			assert.deepEqual(filters.map((f) => f.usbVendorId).sort(), [0x0403, 0x04d8, 0x10c4]);

			await page.click("#go");
			await page.waitForFunction(() => document.getElementById("bar").value >= 30, null,
						   { timeout: L.HANG_MS, polling: 50 });
			const stats = await page.evaluate(() => ["bytes", "rate", "eta"].map(
			    (i) => document.getElementById(i).textContent));
			await L.screenshot(page, "03-during");
			assert.match(stats[0], /^\d+\/586 KiB$/);
			const r = await L.waitResult(page);
			await L.screenshot(page, "04-after");
			assert.equal(r.kind, "ok", r.transcript);
			assert.match(r.result, /Verified: modem now runs build 39529/);
			for (const line of ["Attempting AT wakeup...", "Starting STP ON_THE_FLY",
					    "Session opened: version 1, max transfer 8192 bytes",
					    "Code download done, returning to user mode", "Upgrade completed!",
					    "Here's the current firmware version:", "Software     : 5.1.1.0 [39529]"])
				assert.ok(r.transcript.includes(line), "transcript has: " + line);
			assertUpgraded(sim, 39529);
			/* The throughput and the ETA were shown during the transfer. */
			assert.match(stats[1] + " " + stats[2], /KiB\/s ETA \d+:\d\d/);
			/* The log downloads, in the command line's --log format. */
			const log = fs.readFileSync(await L.downloadLog(page, "normal"), "utf8");
			assert.match(log, /\[at\] > AT\+SMSTPU="ON_THE_FLY"|\[at\] > AT\+SMSWBOOT/);
			assert.match(log, /\[stp\] > TRANSFER_BLOCK sid=1 tid=\d+ len=\d+/);
			/* Nothing the CSP refused, nothing from elsewhere, no file uploaded. */
			assert.deepEqual(page.consoleErrors, []);
			const origin = new URL(bridge.url).origin;
			const foreign = page.requests.filter((u) => !u.startsWith(origin + "/") && !u.startsWith("blob:"));
			assert.deepEqual(foreign, []);
			assert.ok(!page.requests.some((u) => /\.dup/.test(u)), "the image never went to a server");
			assert.ok(bridge.notes().some((l) => l.startsWith("bridge: open 921600")));
		});
	});

	test("the page as served, with the browser's own Web Serial: its CSP, nothing from elsewhere", async () => {
		const dir = L.tmpdir("sqns-web-");
		const bridge = await new L.Bridge(path.join(dir, "none")).start();
		const context = await browser.newContext();
		const page = await context.newPage();
		const errors = [];
		page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
		try {
			await page.goto(bridge.url);
			await page.waitForSelector("body[data-ready='1']", { timeout: L.HANG_MS });
			const csp = await page.getAttribute("meta[http-equiv='Content-Security-Policy']", "content");
			assert.match(csp, /default-src 'none'/);
			assert.match(csp, /connect-src 'self'/);
			assert.ok(!/https?:|\*/.test(csp), "the policy names no other origin");
			/* An inline script is refused by that policy. */
			const ran = await page.evaluate(() => {
				const s = document.createElement("script");
				s.textContent = "window.__inline = 1";
				document.body.appendChild(s);
				return window.__inline === 1;
			});
			assert.equal(ran, false);
			assert.equal(await page.evaluate(() => "serial" in navigator), true);
			await L.screenshot(page, "00-served");
		} finally {
			await context.close();
			await bridge.stop();
		}
		assert.ok(errors.every((e) => /Content Security Policy/.test(e)), errors.join("\n"));
	});

	test("FFF: stored, then applied", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE], async ({ sim, page }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 150000);
			await L.planUpgrade(page, { firmware: fw }, { fff: true });
			assert.match(await text(page, "plan-text"), /by FFF, then apply/);
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.ok(r.transcript.includes("Starting STP FFF (DO NOT DISCONNECT POWER!!!)"));
			assert.ok(r.transcript.includes("Code download done, applying the stored image"));
			assert.equal(sim.events("stp_start")[0].method, "FFF");
			assertUpgraded(sim, 39529);
		});
	});

	test("recovery with updater.elf from mode 0: 115200, then the application rate", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--mode", "0"], async ({ sim, page, bridge }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 120000);
			const upd = sim.mkimage("updater.elf", "updater", 39529, 60000);
			await L.planUpgrade(page, { firmware: fw, updater: upd });
			const plan = await text(page, "plan-text");
			assert.match(plan, /recovery mode \(0\) at 115200 baud/);
			assert.match(plan, /updater: negotiate 115200 -> 921600 baud, send updater\.elf \(60000 bytes\)/);
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.ok(r.transcript.includes("Attempting AT auto-negotiation..."));
			assert.ok(r.transcript.includes("Upgrader loaded successfully, modem is in upgrade mode"));
			assert.ok(sim.events("stp_start").some((e) => e.method === "STP"));
			assertUpgraded(sim, 39529);
			/* The page changed the port's rate: the bridge set both on the pty. */
			const opens = bridge.notes().filter((l) => l.startsWith("bridge: open"));
			assert.ok(opens.some((l) => l.startsWith("bridge: open 115200")), opens.join("\n"));
			assert.ok(opens.some((l) => l.startsWith("bridge: open 921600")), opens.join("\n"));
		});
	});

	test("first upgrade: factory boot ROM from Pycom's sqnsbrz.py (zlib + base64), updater, firmware", async () => {
		await withModem([...L.FAST], async ({ sim, page, dir }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 100000);
			const upd = sim.mkimage("updater.elf", "updater", 39529, 40000);
			const rom = fs.readFileSync(sim.mkimage("bootrom.bin", "bootrom", 39529, 54854));
			const b64 = zlib.deflateSync(rom).toString("base64").replace(/.{1,76}/g, "$&\n");
			const py = path.join(dir, "sqnsbrz.py");
			fs.writeFileSync(py, "import binascii, zlib\nclass BR:\n    BOOTROM = zlib.decompress(" +
					 "binascii.a2b_base64(b\"\"\"\n" + b64 + "\"\"\"))\n");
			await L.planUpgrade(page, { firmware: fw, updater: upd, bootrom: py });
			const plan = await text(page, "plan-text");
			assert.match(plan, /boot ROM: send sqnsbrz\.py \(54854 bytes\) ON_THE_FLY after a reboot into upgrade mode/);
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.ok(r.transcript.includes("Bootrom updated successfully, switching to upgrade mode"));
			const roms = sim.events("image").filter((e) => e.kind === "bootrom");
			assert.ok(roms.length >= 1 && roms.every((e) => e.complete), "the decoded boot ROM arrived whole");
			assertUpgraded(sim, 39529);
		});
	});

	test("Stop during the transfer: interrupted, with the modem's state", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--pace"], async ({ sim, page }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 400000);
			await L.planUpgrade(page, { firmware: fw });
			await page.click("#go");
			await page.waitForFunction(() => document.getElementById("bar").value >= 20, null,
						   { timeout: L.HANG_MS, polling: 50 });
			await page.click("#cancel");
			const r = await L.waitResult(page);
			assert.equal(r.kind, "failed");
			assert.match(r.transcript, /upgrade failed: interrupted\./);
			assert.match(r.transcript, /The modem is in upgrade mode \(4\)/);
			assert.ok(sim.events("image").every((e) => !e.complete), "the image was not completed");
		});
	});

	test("a differential image for another build is refused: nothing sent", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE], async ({ sim, page }) => {
			const fw = sim.mkimage("upgdiff_38000-to-39529.dup", "diff", 39529, 50000, ["--from", "38000"]);
			await L.planUpgrade(page, { firmware: fw });
			const r = await L.waitResult(page);
			assert.equal(r.kind, "refused");
			assert.match(r.transcript, /'upgdiff_38000-to-39529\.dup' applies only to build 38000, and the modem runs build 38638\. Use upgdiff_38638-to-39529\.dup or the full image/);
			assert.match(r.transcript, /Nothing was changed on the modem\./);
			assert.equal(await page.isHidden("#confirm"), true, "no upgrade is offered");
			await L.screenshot(page, "05-refused");
			assert.equal(sim.events("stp_start").length, 0, "no transfer started");
			assert.equal(sim.events("mode").length, 0, "no reboot");
			assert.equal(sim.events("image").length, 0, "no image");
		});
	});

	test("the first-time command: a differential image with updater.elf, from mode 0", async () => {
		/* Pycom's instructions: run('upgdiff_33080-to-39529.dup', 'updater.elf'). In mode 0 the
		 * build cannot be read: the page says so and goes on; the modem checks the base. */
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--mode", "0", "--build", "33080"], async ({ sim, page }) => {
			const fw = sim.mkimage("upgdiff_33080-to-39529.dup", "diff", 39529, 50000, ["--from", "33080"]);
			const upd = sim.mkimage("updater.elf", "updater", 39529, 30000);
			await L.planUpgrade(page, { firmware: fw, updater: upd });
			assert.match(await text(page, "plan-text"), /updater: negotiate 115200 -> 921600 baud/);
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.match(r.transcript, /cannot be read/);
			assert.match(r.transcript, /applies to build 33080/);
			assert.ok(r.transcript.includes("Upgrader loaded successfully, modem is in upgrade mode"));
			assertUpgraded(sim, 39529);
		});
	});

	test("a zip archive given as the firmware is refused before the port opens", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE], async ({ sim, page, bridge }) => {
			const fw = path.join(sim.dir, "CATM1-39529.zip");
			fs.writeFileSync(fw, Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.alloc(2000, 7)]));
			await L.planUpgrade(page, { firmware: fw });
			const r = await L.waitResult(page);
			assert.equal(r.kind, "refused");
			assert.match(r.transcript, /CATM1-39529\.zip' is a(?: zip)? archive/);
			assert.equal(sim.events("at").length, 0, "not one byte reached the modem");
			assert.ok(!bridge.notes().some((l) => l.startsWith("bridge: open")), "the port was never opened");
		});
	});

	test("a stall: the busy hint shows while the modem is silent, then it completes", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--stall-at", "40:6000"], async ({ sim, page }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 200000);
			await L.planUpgrade(page, { firmware: fw });
			await page.click("#go");
			await page.waitForSelector("#busy:not([hidden])", { timeout: L.HANG_MS });
			const hint = await text(page, "busy");
			assert.match(hint, /modem busy for \d+ s: this is normal, keep waiting/);
			await L.screenshot(page, "06-busy");
			const r = await L.waitResult(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.ok(r.transcript.includes("The modem is busy (it erases or commits flash near 7-10 % and 99 %): this is normal, waiting for it..."));
			assert.equal(await page.isHidden("#busy"), true, "the hint goes when the modem answers");
			assert.equal(sim.events("stall").length, 1);
			assertUpgraded(sim, 39529);
		});
	});

	test("a corrupted STP answer is retried", async () => {
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--corrupt-response", "6"], async ({ sim, page }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 100000);
			await L.planUpgrade(page, { firmware: fw });
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.match(r.transcript, /STP answer invalid \(.+\): retry 1 of 4/);
			assert.equal(sim.events("fault").filter((e) => e.kind === "corrupt_response").length, 1);
			assertUpgraded(sim, 39529);
		});
	});

	test("the port closes mid-transfer: the modem's state and the next step, which works", async () => {
		const dir = L.tmpdir("sqns-web-");
		const args = [...L.FAST, ...L.UPGRADED_ONCE];
		const sim = await new L.Sim(dir, args).start(["--vanish-at", "60000"]);
		const bridge = await new L.Bridge(sim.link).start();
		const page = await L.openPage(browser, bridge.url);
		try {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 150000);
			await L.planUpgrade(page, { firmware: fw });
			const r = await L.confirmUpgrade(page);
			await L.screenshot(page, "07-port-lost");
			assert.equal(r.kind, "failed");
			assert.match(r.transcript, /upgrade failed: the serial port failed\./);
			assert.match(r.transcript, /port 'USB 0403:6001 \(FTDI adapter \(Pycom boards\)\)' failed: .* \(unplugged\?\)/);
			assert.match(r.transcript, /The modem is in upgrade mode \(4\) and waits for a firmware image/);
			assert.match(r.result, /To finish: power-cycle the board if the modem does not answer \(disconnect power; the reset button is not enough\), then choose the port again/);
			assert.equal(await sim.stop(), 4, "sqnsim vanished (exit 4)");
			/* The next step: the modem back (same flash), the same buttons. */
			await sim.start();
			await page.click("#plan");
			await page.waitForSelector("#confirm:not([hidden])", { timeout: L.HANG_MS });
			const r2 = await L.confirmUpgrade(page);
			assert.equal(r2.kind, "ok", r2.transcript);
			assertUpgraded(sim, 39529);
		} finally {
			await page.context().close();
			await bridge.stop();
			await sim.stop();
		}
	});

	const hasBoard = () => {
		const help = spawnSync(L.SQNSIM, ["--help"], { encoding: "utf8" });
		return /--board/.test((help.stdout || "") + (help.stderr || ""));
	};
	const NO_BOARD = "sqnsim has no --board (no simulated MicroPython REPL): the board's REPL path cannot be tested";

	test("a Pycom board's REPL: the page runs uart(), then upgrades through the mirror", async (t) => {
		if (!hasBoard())
			return t.skip(NO_BOARD);
		await withModem([...L.FAST, ...L.UPGRADED_ONCE, "--board"], async ({ sim, page, bridge }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 100000);
			await page.check("#board");
			await L.planUpgrade(page, { firmware: fw });
			const plan = await text(page, "plan-text");
			assert.match(plan, /on the board: import sqnsupgrade; sqnsupgrade\.uart\(\)/);
			assert.match(await text(page, "transcript"), /Board: GPy \(GPy with ESP32, firmware /);
			assert.equal(sim.events("board_uart").length, 0, "the dry run left the modem alone");
			const r = await L.confirmUpgrade(page);
			await L.screenshot(page, "08-board");
			assert.equal(r.kind, "ok", r.transcript);
			for (const line of ["Running on the board: import sqnsupgrade; sqnsupgrade.uart()",
					    "The board is in mirror mode: on to the modem at 921600 baud.",
					    "Starting STP ON_THE_FLY", "Verified: modem now runs build 39529"])
				assert.ok(r.transcript.includes(line), "transcript has: " + line);
			assert.ok(sim.events("board").some((e) => e.state === "mirror"));
			assertUpgraded(sim, 39529);
			const opens = bridge.notes().filter((l) => l.startsWith("bridge: open"));
			assert.ok(opens[0].startsWith("bridge: open 115200"), opens.join("\n"));
		});
	});

	test("a Pycom board, first upgrade: uart(True) replaces the boot ROM, then updater and firmware", async (t) => {
		if (!hasBoard())
			return t.skip(NO_BOARD);
		await withModem([...L.FAST, "--board"], async ({ sim, page }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 100000);
			const upd = sim.mkimage("updater.elf", "updater", 39529, 40000);
			await page.check("#board");
			await L.planUpgrade(page, { firmware: fw, updater: upd });
			assert.match(await text(page, "plan-text"), /sqnsupgrade\.uart\(True\)/);
			const r = await L.confirmUpgrade(page);
			assert.equal(r.kind, "ok", r.transcript);
			assert.ok(r.transcript.includes("Bootrom updated successfully, switching to upgrade mode"));
			assert.ok(r.transcript.includes("Upgrader loaded successfully, modem is in upgrade mode"));
			assertUpgraded(sim, 39529);
		});
	});

	test("a board without the modem (LoPy4) is refused: nothing sent to a modem", async (t) => {
		if (!hasBoard())
			return t.skip(NO_BOARD);
		await withModem([...L.FAST, "--board", "--board-name", "LoPy4"], async ({ sim, page }) => {
			const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 50000);
			await page.check("#board");
			await L.planUpgrade(page, { firmware: fw });
			const r = await L.waitResult(page);
			assert.equal(r.kind, "refused");
			assert.match(r.transcript, /is a LoPy4 .*only GPy, FiPy and G01 boards carry the SQN3330 modem/);
			assert.equal(sim.events("at").length, 0);
		});
	});
});
