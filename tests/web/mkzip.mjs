/* SPDX-License-Identifier: MIT */
/*
 * Zip archives for the tests, written by Python's zipfile (a maintained writer, not
 * the page's reader checking itself): makeZip(out, members, opts) where members are
 * [name, path or Buffer] pairs or [name, bytes, "stored"|"deflated"]. opts.stream: written
 * to a pipe, so that zipfile puts data descriptors after the members (flag bit 3).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const WRITER = `
import json, sys, zipfile
spec = json.load(open(sys.argv[1]))
out = sys.stdout.buffer if spec["stream"] else open(spec["out"], "wb")
with zipfile.ZipFile(out, "w") as z:
    for m in spec["members"]:
        method = zipfile.ZIP_STORED if m["method"] == "stored" else zipfile.ZIP_DEFLATED
        data = open(m["path"], "rb").read() if m["path"] else bytes.fromhex(m["hex"])
        info = zipfile.ZipInfo(m["name"], date_time=(2019, 5, 10, 12, 0, 0))
        info.compress_type = method
        z.writestr(info, data)
`;

export function makeZip(out, members, opts = {}) {
	const spec = {
		out,
		stream: !!opts.stream,
		members: members.map(([name, data, method]) => ({
			name,
			method: method || opts.method || "deflated",
			path: typeof data === "string" ? data : null,
			hex: typeof data === "string" ? null : Buffer.from(data).toString("hex"),
		})),
	};
	const specFile = out + ".json";
	fs.writeFileSync(specFile, JSON.stringify(spec));
	const r = spawnSync("python3", ["-c", WRITER, specFile], { maxBuffer: 1 << 28 });
	fs.rmSync(specFile);
	if (r.status !== 0)
		throw new Error("zipfile: " + r.stderr);
	if (opts.stream)
		fs.writeFileSync(out, r.stdout);
	return out;
}
