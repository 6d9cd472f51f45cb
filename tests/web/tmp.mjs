/* SPDX-License-Identifier: MIT */
/*
 * The browser tests' folders (/tmp/sqns-web-*): a passing test's are removed, a failing test's
 * are kept and their paths printed, to look at its simulator log and files. No dependency, so
 * that tmp.test.mjs checks it without a browser.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/* The folders made since the running test began (--test-concurrency=1: one test at a time). */
const made = [];

export function tmpdir(prefix) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
	made.push(dir);
	return dir;
}

/* A test's body, wrapped: the folders tmpdir() made during it go when it passes, stay when
 * it fails (thrown or rejected), each named on stderr and in the test's diagnostics. */
export function cleaned(body) {
	return async (t, ...rest) => {
		const first = made.length;
		let passed = false;
		try {
			const result = await body(t, ...rest);
			passed = true;
			return result;
		} finally {
			for (const dir of made.splice(first)) {
				if (passed) {
					fs.rmSync(dir, { recursive: true, force: true });
				} else {
					const line = "the failed test's files are kept in " + dir;
					console.error(line);
					if (t && typeof t.diagnostic === "function")
						t.diagnostic(line);
				}
			}
		}
	};
}
