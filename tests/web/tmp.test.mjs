/* SPDX-License-Identifier: MIT */
/* tmp.mjs without a browser: a passing test's folders are removed, a failing one's kept and named. */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { cleaned, tmpdir } from "./tmp.mjs";

const context = (said) => ({ diagnostic: (line) => said.push(line) });

test("a passing test's folders are removed", async () => {
	const dirs = [];
	const said = [];
	await cleaned(async () => {
		for (let i = 0; i < 2; i++) {
			dirs.push(tmpdir("sqns-web-"));
			fs.writeFileSync(path.join(dirs[i], "sim-events.jsonl"), "{}\n");
		}
	})(context(said));
	for (const dir of dirs)
		assert.equal(fs.existsSync(dir), false, dir + " is left");
	assert.deepEqual(said, []);
});

test("a failing test's folder is kept and its path printed", async () => {
	let dir;
	const said = [];
	await assert.rejects(cleaned(async () => {
		dir = tmpdir("sqns-web-");
		assert.equal(1, 2);
	})(context(said)), assert.AssertionError);
	try {
		assert.equal(fs.existsSync(dir), true, "the failed test's folder is gone");
		assert.deepEqual(said, ["the failed test's files are kept in " + dir]);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
	}
});

test("a skipped test (it returns early) counts as passed", async () => {
	let dir;
	await cleaned(async (t) => {
		dir = tmpdir("sqns-web-");
		return t.skip("no board");
	})({ skip: () => undefined, diagnostic: () => undefined });
	assert.equal(fs.existsSync(dir), false);
});
