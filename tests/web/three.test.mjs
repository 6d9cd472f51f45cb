/* SPDX-License-Identifier: MIT */
/*
 * One upgrade, three ways: the command line, the Python module's run() and the
 * page in headless Chromium, each against its own sqnsim started alike, with
 * the same image. The three print the library's words (src/words), so their
 * transcripts must agree line for line, the progress bar's lines aside (a
 * terminal redraws it, a log gets one line per 10 %) and the Resetting line's
 * dots (one a second of waiting).
 *   cd tests/web && node --test three.test.mjs    (ctest -L web: web.three)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test as nodeTest } from "node:test";
import * as L from "./lib.mjs";

const test = (name, body) => nodeTest(name, L.cleaned(body));
const BUILD = process.env.SQNS_BUILD_DIR || path.join(L.ROOT, "build-web");
const LIB = process.env.SQNSUPGRADE_LIB || path.join(BUILD, "libsqnsupgrade.so.0");
const SIM_ARGS = [...L.FAST, ...L.UPGRADED_ONCE];

let browser;

before(async () => {
	for (const f of ["index.html", "app.js", "sqnsweb.js", "sqnsweb.wasm"])
		assert.ok(fs.existsSync(path.join(L.DIST, f)), "web/dist/" + f + " missing: run make web");
	/*
	 * The Python module loads the shared library, which `--target sqnsupgrade` does not
	 * build: built (or brought up to date: a stale one lacks what the module needs) here.
	 */
	{
		const r = spawnSync("cmake", ["--build", BUILD, "--target", "sqnsupgrade_shared"],
				    { encoding: "utf8" });
		assert.equal(r.status, 0, "cannot build libsqnsupgrade: " + r.stdout + r.stderr);
	}
	browser = await L.launchBrowser();
});

after(async () => {
	if (browser)
		await browser.close();
});

/*
 * A transcript to compare: the bar's lines go, the Resetting line loses its
 * dots, and the waiting hints (timing) go.
 */
function comparable(text) {
	return text.replace(/\r/g, "\n").split("\n")
		.filter((l) => !/^Sending \d+ bytes: \[/.test(l))
		.filter((l) => !/^\[[# ]+\] +\d+%/.test(l))
		.filter((l) => !/, which is normal \(it can take a few minutes\)$/.test(l))
		.map((l) => l.replace(/^(Resetting \(DO NOT DISCONNECT POWER!!!\))\.*$/, "$1"))
		.filter((l, i, a) => l !== "" || (i > 0 && a[i - 1] !== ""))
		.join("\n").replace(/\n+$/, "");
}

/* A fresh simulated modem in its own folder, with the image; stopped after body. */
async function withSim(body) {
	const dir = L.tmpdir("sqns-three-");
	const sim = await new L.Sim(dir, SIM_ARGS).start();
	const fw = sim.mkimage("CATM1-39529.dup", "full", 39529, 300000);
	try {
		return await body({ sim, fw, dir });
	} finally {
		await sim.stop();
	}
}

function upgraded(sim) {
	const up = sim.events("upgrade").filter((e) => e.kind !== "bootrom");
	assert.equal(up[up.length - 1].result, "success");
	assert.equal(up[up.length - 1].build, 39529);
}

describe("the same words three ways", () => {
	test("CLI, Python run() and the page print the same transcript", async () => {
		const cli = await withSim(async ({ sim, fw }) => {
			const r = spawnSync(L.SQNSUPGRADE, ["-p", sim.link, "run", fw], { encoding: "utf8" });
			assert.equal(r.status, 0, r.stdout + r.stderr);
			upgraded(sim);
			return r.stdout;
		});
		const py = await withSim(async ({ sim, fw }) => {
			const r = spawnSync("python3", ["-c", "import sys, sqnsupgrade\n" +
						       "sqnsupgrade.run(sys.argv[1], sys.argv[2])", sim.link, fw],
					    { encoding: "utf8", env: { ...process.env, SQNSUPGRADE_LIB: LIB,
								       PYTHONPATH: path.join(L.ROOT, "python"),
								       PYTHONDONTWRITEBYTECODE: "1" } });
			assert.equal(r.status, 0, r.stdout + r.stderr);
			upgraded(sim);
			return r.stdout;
		});
		const web = await withSim(async ({ sim, fw }) => {
			const bridge = await new L.Bridge(sim.link).start();
			const page = await L.openPage(browser, bridge.url);
			try {
				await L.planUpgrade(page, { firmware: fw });
				const r = await L.confirmUpgrade(page);
				assert.equal(r.kind, "ok", r.transcript);
				upgraded(sim);
				return r.transcript;
			} finally {
				await page.context().close();
				await bridge.stop();
			}
		});
		const [c, p, w] = [cli, py, web].map(comparable);
		assert.match(c, /Verified: modem now runs build 39529$/);
		for (const line of ["<<< Welcome to the SQN3330 firmware updater >>>", "Attempting AT wakeup...",
				    "Starting STP ON_THE_FLY", "Upgrade completed!",
				    "Here's the current firmware version:", "Software     : 5.1.1.0 [39529]"])
			assert.ok(c.includes(line), "the CLI's transcript has: " + line + "\n" + c);
		console.log("# the transcript, compared:\n# " + c.replace(/\n/g, "\n# "));
		assert.deepEqual(p.split("\n"), c.split("\n"), "Python's transcript is the CLI's");
		assert.deepEqual(w.split("\n"), c.split("\n"), "the page's transcript is the CLI's");
	});
});
