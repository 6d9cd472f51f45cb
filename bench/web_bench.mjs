#!/usr/bin/env node
/* SPDX-License-Identifier: MIT */
/*
 * The web page's STP efficiency beside the command line's: the same paced
 * simulator at 921600 baud, the same 1 MiB image, upgraded by
 *   - the CLI (sqnsupgrade --log), and
 *   - the page in headless Chromium (the core in WebAssembly) through the
 *     test-only WebSocket SerialPort and bridge (tests/web).
 * Both logs have the same format; stp_s is the first STP RESET sent -> the
 * closing RESET sent, limit_s = payload * 10 / rate, eff = limit_s / stp_s.
 *
 *   node bench/web_bench.mjs        (needs make web and scripts/web-deps.sh --test)
 * SQNS_BENCH_RUNS (default 3) runs each; medians. SQNSUPGRADE_BIN / SQNSIM_BIN
 * choose the binaries (default: build-release, else build-web).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "..");
const release = path.join(ROOT, "build-release");
if (!process.env.SQNS_BUILD_DIR && fs.existsSync(path.join(release, "sqnsupgrade")) &&
    fs.existsSync(path.join(release, "sim", "sqnsim")))
	process.env.SQNS_BUILD_DIR = release;
/* lib.mjs imports playwright-core from tests/web/node_modules. */
const L = await import(path.join(ROOT, "tests", "web", "lib.mjs"));

const RUNS = Number(process.env.SQNS_BENCH_RUNS || 3);
const SIZE = 1024 * 1024;
const RATE = 921600;
const SIM_TIMING = ["--boot-ms", "300", "--apply-ms", "500", "--bootloader0", "38638", "--pace"];

/* Seconds from the first to the last "[stp] > RESET" of a --log style log, and bytes sent. */
function stpSeconds(logText) {
	let first = null, last = null, sent = 0;
	for (const line of logText.split("\n")) {
		const m = /^\s*(\d+)\.(\d+) \[stp\] > RESET/.exec(line);
		if (m) {
			const t = Number(m[1]) + Number(m[2]) / 1000;
			if (first === null)
				first = t;
			last = t;
		}
		const s = /^# port totals: sent (\d+) bytes/.exec(line.replace(/^\s*\d+\.\d+ /, ""));
		if (s)
			sent = Number(s[1]);
	}
	return { stp: last - first, sent };
}

async function cliRun() {
	const dir = L.tmpdir("sqns-wbench-");
	const sim = await new L.Sim(dir, SIM_TIMING).start();
	try {
		const img = sim.mkimage("CATM1-39529.dup", "full", 39529, SIZE, ["--seed", "3"]);
		const log = path.join(dir, "wire.log");
		const r = spawnSync(L.SQNSUPGRADE, ["-p", sim.link, "-b", String(RATE), "--log", log, "run", img],
				    { encoding: "utf8", timeout: 3600000 });
		if (r.status !== 0)
			throw new Error("CLI failed: " + r.stderr);
		return stpSeconds(fs.readFileSync(log, "utf8"));
	} finally {
		await sim.stop();
	}
}

async function pageRun(browser) {
	const dir = L.tmpdir("sqns-wbench-");
	const sim = await new L.Sim(dir, SIM_TIMING).start();
	const bridge = await new L.Bridge(sim.link).start();
	const page = await L.openPage(browser, bridge.url);
	try {
		const img = sim.mkimage("CATM1-39529.dup", "full", 39529, SIZE, ["--seed", "3"]);
		await L.planUpgrade(page, { firmware: img });
		const r = await L.confirmUpgrade(page);
		if (r.kind !== "ok")
			throw new Error("page failed: " + r.transcript);
		const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-log")]);
		const file = path.join(dir, "page.log");
		await download.saveAs(file);
		/* The page's log holds the dry run too: the upgrade's part follows the last welcome line. */
		const text = fs.readFileSync(file, "utf8");
		const at = text.lastIndexOf("<<< Welcome");
		return stpSeconds(text.slice(text.lastIndexOf("\n", at) + 1));
	} finally {
		await page.context().close();
		await bridge.stop();
		await sim.stop();
	}
}

const median = (xs) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const limit = SIZE * 10 / RATE;
const browser = await L.launchBrowser();
const cli = [], web = [];
try {
	for (let i = 0; i < RUNS; i++) {
		cli.push(await cliRun());
		web.push(await pageRun(browser));
	}
} finally {
	await browser.close();
}
const row = (label, runs) => {
	const stp = median(runs.map((r) => r.stp));
	console.log(label.padEnd(34) + String(SIZE).padStart(10) + stp.toFixed(2).padStart(8) +
		    limit.toFixed(2).padStart(9) + (limit / stp).toFixed(3).padStart(7) +
		    String(median(runs.map((r) => r.sent))).padStart(10));
	return stp;
};
console.log("web page vs CLI: the same paced simulator, 1 MiB @ 921600, median of " + RUNS + " runs");
console.log("case".padEnd(34) + "payload".padStart(10) + "stp_s".padStart(8) + "limit_s".padStart(9) +
	    "eff".padStart(7) + "sent".padStart(10));
const a = row("CLI (sqnsupgrade)", cli);
const b = row("web page (WASM, WebSocket bridge)", web);
console.log("the page's STP efficiency is " + (a / b).toFixed(3) + " of the CLI's (" +
	    ((b / a - 1) * 100).toFixed(1) + " % more STP time)");
const out = process.env.SQNS_WEB_BENCH_JSON;
if (out)
	fs.writeFileSync(out, JSON.stringify({ limit_s: limit, cli, web }, null, 1));
