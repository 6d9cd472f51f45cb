/* SPDX-License-Identifier: MIT */
/*
 * The page's zip reader: Pycom's release archives (CATM1-39529.zip: the full
 * image, updater.elf, differential images), read in the browser without
 * unpacking anything to disk. The central directory is read here (it is a
 * table of fixed fields: APPNOTE.TXT sections 4.3.12 to 4.3.16); the members'
 * data are inflated by the browser's own DecompressionStream("deflate-raw"),
 * so that the page carries no inflater of its own nor any dependency.
 * Stored (method 0) and deflated (method 8) members; every member's CRC-32
 * and size are checked after it is read. No ZIP64, no encryption: Pycom's
 * archives use neither, and such an archive is refused, never misread.
 *
 * A plain script (the page loads it with <script>) that is also a CommonJS
 * module, for its tests in Node (tests/web/zip.test.mjs).
 *
 *   const zip = await SqnsZip.open(blob);   // a File, a Blob or a Uint8Array
 *   zip.entries   // [{ name, size, csize, method, crc, offset, dir }], as the archive lists them
 *   await zip.read(entry)                   // a Uint8Array of entry.size bytes, checked
 *
 * Every failure is a SqnsZip.ZipError whose reason is "not-zip" (no end of
 * central directory), "damaged" (a table that does not hold, a member beyond
 * the archive's end, a CRC or size that does not match) or "unsupported"
 * (ZIP64, encryption, another compression method); its message says which.
 */
"use strict";

(function (root) {
	const EOCD_SIG = 0x06054b50;
	const CEN_SIG = 0x02014b50;
	const LOC_SIG = 0x04034b50;
	const EOCD_MIN = 22;
	const COMMENT_MAX = 0xffff;

	class ZipError extends Error {
		constructor(reason, message) {
			super(message);
			this.name = "ZipError";
			this.reason = reason;
		}
	}

	const damaged = (m) => new ZipError("damaged", m);

	let crcTable = null;

	function crc32(bytes, crc = 0) {
		if (!crcTable) {
			crcTable = new Uint32Array(256);
			for (let n = 0; n < 256; n++) {
				let c = n;
				for (let k = 0; k < 8; k++)
					c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
				crcTable[n] = c >>> 0;
			}
		}
		let c = ~crc >>> 0;
		for (let i = 0; i < bytes.length; i++)
			c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
		return ~c >>> 0;
	}

	async function slice(blob, start, end) {
		return new Uint8Array(await blob.slice(start, end).arrayBuffer());
	}

	/* Names: UTF-8 when flag bit 11 says so, else code page 437, read as Latin-1 (ASCII in practice). */
	function decodeName(bytes, utf8) {
		return new TextDecoder(utf8 ? "utf-8" : "latin1").decode(bytes);
	}

	class Archive {
		constructor(blob, entries) {
			this.blob = blob;
			this.size = blob.size;
			this.entries = entries;
		}

		/* The member's data, inflated and checked against its CRC-32 and size. */
		async read(entry) {
			if (entry.flags & 1)
				throw new ZipError("unsupported", "'" + entry.name + "' is encrypted");
			if (entry.method !== 0 && entry.method !== 8)
				throw new ZipError("unsupported", "'" + entry.name + "' is compressed with method " +
						   entry.method + " (only stored and deflated members are read)");
			const head = await slice(this.blob, entry.offset, entry.offset + 30);
			const dv = new DataView(head.buffer, head.byteOffset, head.length);
			if (head.length < 30 || dv.getUint32(0, true) !== LOC_SIG)
				throw damaged("the local header of '" + entry.name + "' is not at offset " + entry.offset);
			const start = entry.offset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
			if (start + entry.csize > this.size)
				throw damaged("'" + entry.name + "' (" + entry.csize + " bytes packed) runs past the " +
					      "archive's end (" + this.size + " bytes)");
			const packed = this.blob.slice(start, start + entry.csize);
			let out;
			if (entry.method === 0) {
				if (entry.csize !== entry.size)
					throw damaged("'" + entry.name + "' is stored, but its sizes differ (" + entry.csize +
						      " and " + entry.size + " bytes)");
				out = new Uint8Array(await packed.arrayBuffer());
			} else {
				out = await inflate(packed, entry);
			}
			if (crc32(out) !== entry.crc)
				throw damaged("'" + entry.name + "' does not match its CRC-32");
			return out;
		}
	}

	/* deflate-raw by the browser, into a buffer of the size the directory says, and no more. */
	async function inflate(packed, entry) {
		const out = new Uint8Array(entry.size);
		let n = 0;
		const reader = packed.stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done)
					break;
				if (n + value.length > out.length)
					throw damaged("'" + entry.name + "' inflates to more than its " + entry.size + " bytes");
				out.set(value, n);
				n += value.length;
			}
		} catch (e) {
			reader.cancel().catch(() => {});
			if (e instanceof ZipError)
				throw e;
			throw damaged("'" + entry.name + "' cannot be inflated (" + (e.message || e) + ")");
		}
		if (n !== out.length)
			throw damaged("'" + entry.name + "' inflates to " + n + " bytes, not " + entry.size);
		return out;
	}

	/* The archive's table of contents: the end of central directory record, then the directory. */
	async function open(input) {
		const blob = input instanceof Blob ? input : new Blob([input]);
		const size = blob.size;
		if (size < EOCD_MIN)
			throw new ZipError("not-zip", "it is too short to be a zip archive (" + size + " bytes)");
		const tailStart = Math.max(0, size - EOCD_MIN - COMMENT_MAX);
		const tail = await slice(blob, tailStart, size);
		const tv = new DataView(tail.buffer, tail.byteOffset, tail.length);
		let at = -1;
		for (let i = tail.length - EOCD_MIN; i >= 0; i--) {
			if (tv.getUint32(i, true) === EOCD_SIG && i + EOCD_MIN + tv.getUint16(i + 20, true) <= tail.length) {
				at = i;
				break;
			}
		}
		if (at < 0)
			throw new ZipError("not-zip", "no zip table of contents (end of central directory) in it");
		const disk = tv.getUint16(at + 4, true), cdDisk = tv.getUint16(at + 6, true);
		const count = tv.getUint16(at + 10, true);
		const cdSize = tv.getUint32(at + 12, true), cdOffset = tv.getUint32(at + 16, true);
		if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff)
			throw new ZipError("unsupported", "it is a ZIP64 archive");
		if (disk !== 0 || cdDisk !== 0 || tv.getUint16(at + 8, true) !== count)
			throw new ZipError("unsupported", "it is one part of a split (multi-disk) archive");
		const eocdAt = tailStart + at;
		if (cdOffset + cdSize > eocdAt)
			throw damaged("its table of contents (" + cdSize + " bytes at " + cdOffset +
				      ") runs past its end (" + size + " bytes)");
		const cd = await slice(blob, cdOffset, cdOffset + cdSize);
		const dv = new DataView(cd.buffer, cd.byteOffset, cd.length);
		const entries = [];
		let p = 0;
		for (let i = 0; i < count; i++) {
			if (p + 46 > cd.length || dv.getUint32(p, true) !== CEN_SIG)
				throw damaged("its table of contents ends after " + i + " of " + count + " members");
			const flags = dv.getUint16(p + 8, true);
			const nameLen = dv.getUint16(p + 28, true);
			const extraLen = dv.getUint16(p + 30, true);
			const commentLen = dv.getUint16(p + 32, true);
			if (p + 46 + nameLen + extraLen + commentLen > cd.length)
				throw damaged("its table of contents ends inside member " + (i + 1) + " of " + count);
			const name = decodeName(cd.subarray(p + 46, p + 46 + nameLen), flags & 0x800);
			const e = {
				name,
				flags,
				method: dv.getUint16(p + 10, true),
				crc: dv.getUint32(p + 16, true),
				csize: dv.getUint32(p + 20, true),
				size: dv.getUint32(p + 24, true),
				offset: dv.getUint32(p + 42, true),
				dir: name.endsWith("/"),
			};
			if (e.csize === 0xffffffff || e.size === 0xffffffff || e.offset === 0xffffffff)
				throw new ZipError("unsupported", "'" + name + "' is a ZIP64 member");
			/* A member larger than the archive, or beyond it: the archive is damaged. */
			if (e.offset + 30 + e.csize > cdOffset)
				throw damaged("'" + name + "' (" + e.csize + " bytes packed, at offset " + e.offset +
					      ") is larger than the archive holds (" + size + " bytes)");
			entries.push(e);
			p += 46 + nameLen + extraLen + commentLen;
		}
		return new Archive(blob, entries);
	}

	const api = { open, crc32, ZipError };
	if (typeof module === "object" && module.exports)
		module.exports = api;
	else
		root.SqnsZip = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
