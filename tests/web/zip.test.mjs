/* SPDX-License-Identifier: MIT */
/*
 * web/zip.js, the page's zip reader, in Node (its DecompressionStream is the
 * browser's API): archives written by Python's zipfile, read back member by member.
 *   cd tests/web && node --test zip.test.mjs     (ctest -L web: web.zip)
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { after, test } from "node:test";
import SqnsZip from "../../web/zip.js";
import { makeZip } from "./mkzip.mjs";
import { tmpdir } from "./tmp.mjs";

const dir = tmpdir("sqns-zip-");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/* Bytes that deflate somewhat, like an image: repeated blocks with noise. */
function imageLike(n, seed) {
	const out = Buffer.alloc(n);
	const noise = crypto.createHash("sha256").update(String(seed)).digest();
	for (let i = 0; i < n; i++)
		out[i] = (i % 251) ^ (i % 4096 < 64 ? noise[i % 32] : 0);
	return out;
}

const zipOf = (name, members, opts) => fs.readFileSync(makeZip(path.join(dir, name), members, opts));

async function reason(promise) {
	try {
		await promise;
	} catch (e) {
		assert.ok(e instanceof SqnsZip.ZipError, "a ZipError: " + e);
		return [e.reason, e.message];
	}
	assert.fail("no error");
}

test("stored and deflated members read back as written, with their names and sizes", async () => {
	const full = imageLike(300000, 1), upd = imageLike(20000, 2);
	const bytes = zipOf("mixed.zip", [["CATM1-39529/CATM1-39529.dup", full, "deflated"],
					  ["CATM1-39529/updater.elf", upd, "stored"],
					  ["CATM1-39529/", Buffer.alloc(0), "stored"]]);
	const zip = await SqnsZip.open(new Blob([bytes]));
	assert.deepEqual(zip.entries.map((e) => [e.name, e.size, e.method, e.dir]),
			 [["CATM1-39529/CATM1-39529.dup", 300000, 8, false],
			  ["CATM1-39529/updater.elf", 20000, 0, false], ["CATM1-39529/", 0, 0, true]]);
	assert.ok(zip.entries[0].csize < full.length, "the image was deflated");
	assert.deepEqual(Buffer.from(await zip.read(zip.entries[0])), full);
	assert.deepEqual(Buffer.from(await zip.read(zip.entries[1])), upd);
	assert.equal((await zip.read(zip.entries[2])).length, 0);
	/* A Uint8Array works as a Blob does. */
	const again = await SqnsZip.open(new Uint8Array(bytes));
	assert.deepEqual(Buffer.from(await again.read(again.entries[1])), upd);
});

test("members followed by data descriptors (a zip written to a pipe)", async () => {
	const a = imageLike(70000, 3);
	const zip = await SqnsZip.open(new Blob([zipOf("stream.zip", [["a.dup", a], ["b.txt", Buffer.from("hi\n")]],
						       { stream: true })]));
	assert.ok(zip.entries[0].flags & 8, "zipfile wrote a data descriptor");
	assert.deepEqual(Buffer.from(await zip.read(zip.entries[0])), a);
	assert.equal(Buffer.from(await zip.read(zip.entries[1])).toString(), "hi\n");
});

test("an empty archive has no members", async () => {
	const bytes = zipOf("empty.zip", []);
	assert.equal(bytes.length, 22);
	assert.deepEqual((await SqnsZip.open(new Blob([bytes]))).entries, []);
});

test("what is not a zip archive says so", async () => {
	const [r1] = await reason(SqnsZip.open(new Blob([Buffer.from("PK\x03\x04")])));
	assert.equal(r1, "not-zip");
	const [r2, m2] = await reason(SqnsZip.open(new Blob([Buffer.concat([Buffer.from("PK\x03\x04", "latin1"),
									      Buffer.alloc(2000, 7)])])));
	assert.equal(r2, "not-zip");
	assert.match(m2, /no zip table of contents/);
});

test("a truncated archive is damaged or has no table of contents", async () => {
	const bytes = zipOf("whole.zip", [["x.dup", imageLike(50000, 4)]]);
	const [r] = await reason(SqnsZip.open(new Blob([bytes.subarray(0, bytes.length - 10)])));
	assert.equal(r, "not-zip");
	/* The end of the table kept, the members' data cut out: the table points beyond. */
	const cdStart = bytes.readUInt32LE(bytes.length - 6);
	const cut = Buffer.concat([bytes.subarray(0, 100), bytes.subarray(cdStart)]);
	const [r2, m2] = await reason(SqnsZip.open(new Blob([cut])));
	assert.equal(r2, "damaged", m2);
});

test("a member larger than the archive: damaged", async () => {
	const bytes = Buffer.from(zipOf("big.zip", [["CATM1-39529.dup", imageLike(40000, 5)]]));
	const cd = bytes.readUInt32LE(bytes.length - 6);
	assert.equal(bytes.readUInt32LE(cd), 0x02014b50);
	bytes.writeUInt32LE(bytes.length * 4, cd + 20); /* its packed size */
	const [r, m] = await reason(SqnsZip.open(new Blob([bytes])));
	assert.equal(r, "damaged");
	assert.match(m, /'CATM1-39529\.dup' \(\d+ bytes packed, at offset 0\) is larger than the archive holds/);
	/* Its offset beyond the end, likewise. */
	const b2 = Buffer.from(zipOf("far.zip", [["far.dup", imageLike(1000, 6)]]));
	b2.writeUInt32LE(1 << 30, b2.readUInt32LE(b2.length - 6) + 42);
	assert.equal((await reason(SqnsZip.open(new Blob([b2]))))[0], "damaged");
});

test("a member whose bytes changed fails its CRC-32; an unpacked size that lies, too", async () => {
	const data = imageLike(30000, 7);
	const stored = Buffer.from(zipOf("crc.zip", [["s.dup", data, "stored"]]));
	stored[30 + "s.dup".length + 1000] ^= 0x55;
	let zip = await SqnsZip.open(new Blob([stored]));
	let [r, m] = await reason(zip.read(zip.entries[0]));
	assert.equal(r, "damaged");
	assert.match(m, /'s\.dup' does not match its CRC-32/);

	const deflated = Buffer.from(zipOf("size.zip", [["d.dup", data, "deflated"]]));
	const cd = deflated.readUInt32LE(deflated.length - 6);
	deflated.writeUInt32LE(data.length - 1, cd + 24); /* its unpacked size */
	zip = await SqnsZip.open(new Blob([deflated]));
	[r, m] = await reason(zip.read(zip.entries[0]));
	assert.equal(r, "damaged");
	assert.match(m, /inflates to more than its 29999 bytes/);

	const garbled = Buffer.from(zipOf("garbled.zip", [["g.dup", data, "deflated"]]));
	garbled.fill(0xff, 30 + 5, 30 + 5 + 64);
	zip = await SqnsZip.open(new Blob([garbled]));
	[r, m] = await reason(zip.read(zip.entries[0]));
	assert.equal(r, "damaged", m);
});

test("CRC-32 of the standard check string", () => {
	assert.equal(SqnsZip.crc32(Buffer.from("123456789")), 0xcbf43926);
});
