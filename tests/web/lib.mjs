/* SPDX-License-Identifier: MIT */
/*
 * What the browser tests and bench/web_bench.mjs share: sqnsim, the bridge and
 * Chromium, each started here and stopped by its process id. Nothing sleeps to
 * wait for an event: the helpers wait on ready lines, the page's elements, the
 * simulator's event log and process exits.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
const BUILD = process.env.SQNS_BUILD_DIR || path.join(ROOT, "build-web");
export const SQNSIM = process.env.SQNSIM_BIN || path.join(BUILD, "sim", "sqnsim");
export const SQNSUPGRADE = process.env.SQNSUPGRADE_BIN || path.join(BUILD, "sqnsupgrade");
export const DIST = process.env.SQNS_WEB_DIST || path.join(ROOT, "web", "dist");
export const OUT = process.env.SQNS_WEB_OUT || path.join(BUILD, "web-artifacts");
export const CHROMIUM = process.env.SQNS_CHROMIUM || "/usr/bin/chromium";
/* A guard against hangs, not a timing assertion. */
export const HANG_MS = Number(process.env.SQNS_HANG_GUARD_MS || 240000);
/* Fast modem timings for the tests (milliseconds). */
export const FAST = ["--boot-ms", "300", "--apply-ms", "400", "--bootloader-ms", "300"];
export const UPGRADED_ONCE = ["--bootloader0", "38638"];

/* Children still running when this process ends (a failed test) are stopped by their pid. */
const children = new Set();
process.on("exit", () => {
	for (const c of children) {
		try { c.kill("SIGTERM"); } catch (e) { /* gone */ }
	}
});

/* A child process whose stdout lines are awaited one pattern at a time. */
function started(cmd, args, readyRe, what) {
	const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
	children.add(proc);
	proc.on("exit", () => children.delete(proc));
	const lines = [];
	let stderr = "";
	proc.stderr.on("data", (d) => { stderr += d; });
	const rl = readline.createInterface({ input: proc.stdout });
	const waiters = [];
	rl.on("line", (l) => {
		lines.push(l);
		for (const w of waiters.splice(0))
			w();
	});
	const exited = new Promise((res) => proc.on("exit", (code, sig) => res({ code, sig })));
	const waitLine = (re, ms = HANG_MS) =>
		new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(what + ": no line " + re + " in " + ms +
									 " ms; stderr: " + stderr)), ms);
			const check = () => {
				const hit = lines.find((l) => re.test(l));
				if (hit) {
					clearTimeout(timer);
					resolve(hit);
				} else {
					waiters.push(check);
				}
			};
			check();
			exited.then(({ code }) => {
				if (!lines.find((l) => re.test(l))) {
					clearTimeout(timer);
					reject(new Error(what + " exited " + code + ": " + stderr));
				}
			});
		});
	return { proc, lines, waitLine, exited, stderr: () => stderr, ready: waitLine(readyRe) };
}

/* tmpdir(prefix), and cleaned(body) for a test that removes them when it passes (tmp.mjs). */
export { cleaned, tmpdir } from "./tmp.mjs";
/* makeZip(out, members, opts): an archive written by Python's zipfile (mkzip.mjs). */
export { makeZip } from "./mkzip.mjs";

/* sqnsim on a pty link in dir, with its event log and state file. */
export class Sim {
	constructor(dir, args = []) {
		this.dir = dir;
		this.link = path.join(dir, "ttySIM");
		this.log = path.join(dir, "sim-events.jsonl");
		this.state = path.join(dir, "sim-state");
		this.args = args;
	}

	async start(extra = []) {
		this.p = started(SQNSIM, ["--link", this.link, "--log", this.log, "--state", this.state,
					  ...this.args, ...extra], /^sqnsim: ready/, "sqnsim");
		await this.p.ready;
		return this;
	}

	mkimage(name, kind, build, size, extra = []) {
		const out = path.join(this.dir, name);
		const r = spawnSync(SQNSIM, ["mkimage", "--kind", kind, "--build", String(build),
					     "--size", String(size), ...extra, out]);
		if (r.status !== 0)
			throw new Error("mkimage: " + r.stderr);
		return out;
	}

	events(kind) {
		if (!fs.existsSync(this.log))
			return [];
		return fs.readFileSync(this.log, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
			.filter((e) => !kind || e.ev === kind);
	}

	/* The exit status (4 after --vanish-at, 0 after SIGTERM). */
	async stop() {
		if (!this.p)
			return null;
		const p = this.p;
		this.p = null;
		if (p.proc.exitCode === null && p.proc.signalCode === null)
			p.proc.kill("SIGTERM");
		return (await p.exited).code;
	}
}

/* The test-only bridge: web/dist and the WebSocket onto the simulator's pty. */
export class Bridge {
	constructor(link) {
		this.link = link;
	}

	async start() {
		this.p = started("python3", [path.join(HERE, "bridge.py"), "--root", DIST, "--link", this.link],
				 /^bridge: ready /, "bridge");
		const line = await this.p.ready;
		this.url = line.split(" ").pop();
		return this;
	}

	/* Lines the bridge printed: "bridge: open 921600 {...}", "bridge: pty lost {...}"... */
	notes() {
		return this.p ? this.p.lines.slice() : [];
	}

	async stop() {
		if (!this.p)
			return;
		const p = this.p;
		this.p = null;
		p.proc.kill("SIGTERM");
		await p.exited;
	}
}

export async function launchBrowser() {
	/* launch() gives Chromium a new, empty --user-data-dir of its own. */
	const args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
		      "--disable-component-update", "--disable-sync", "--disable-quic"];
	return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/* A page with the test transport behind navigator.serial, loaded and its engine ready. */
export async function openPage(browser, url) {
	const context = await browser.newContext({ viewport: { width: 1100, height: 1300 }, acceptDownloads: true });
	await context.addInitScript({ path: path.join(HERE, "fake_serial.js") });
	const page = await context.newPage();
	page.consoleErrors = [];
	page.requests = [];
	page.on("request", (r) => page.requests.push(r.url()));
	page.on("console", (m) => { if (m.type() === "error") page.consoleErrors.push(m.text()); });
	page.on("pageerror", (e) => page.consoleErrors.push(String(e)));
	await page.goto(url);
	await page.waitForSelector("body[data-ready='1']", { timeout: HANG_MS });
	return page;
}

/* Choose the port and the files, then check and show the plan. */
export async function planUpgrade(page, files, opts = {}) {
	await page.click("#connect");
	await page.waitForFunction(() => document.getElementById("port-name").textContent.startsWith("USB"));
	await page.setInputFiles("#firmware", files.firmware);
	if (files.updater)
		await page.setInputFiles("#updater", files.updater);
	if (files.bootrom)
		await page.setInputFiles("#bootrom", files.bootrom);
	if (opts.fff)
		await page.check("#fff");
	if (opts.force)
		await page.check("#force");
	await page.click("#plan");
	await page.waitForFunction(() => !document.getElementById("plan-text").hidden ||
				   !document.getElementById("result").hidden, null, { timeout: HANG_MS });
}

/* Confirm the plan and wait for the result box. */
export async function confirmUpgrade(page) {
	await page.click("#go");
	return waitResult(page);
}

export async function waitResult(page) {
	await page.waitForFunction(() => !document.getElementById("result").hidden &&
				   document.getElementById("go").disabled !== undefined &&
				   document.getElementById("cancel").hidden, null, { timeout: HANG_MS, polling: 200 });
	return page.evaluate(() => ({
		kind: document.getElementById("result").dataset.kind,
		result: document.getElementById("result").textContent,
		transcript: document.getElementById("transcript").textContent,
	}));
}

export async function screenshot(page, name) {
	fs.mkdirSync(OUT, { recursive: true });
	const file = path.join(OUT, name + ".png");
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

/* The page's downloadable log, through its button. */
export async function downloadLog(page, name) {
	fs.mkdirSync(OUT, { recursive: true });
	const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-log")]);
	const file = path.join(OUT, name + ".log");
	await download.saveAs(file);
	return file;
}
