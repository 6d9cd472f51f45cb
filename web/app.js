/* SPDX-License-Identifier: MIT */
/*
 * The page: the serial port (Web Serial), the user's files, and the words.
 * The upgrade itself is libsqnsupgrade's core in WebAssembly (sqnsweb.js,
 * web/src/sqnsweb.c): this file only carries its bytes and says what its events
 * and results mean. The sentences are the command line's (src/cli/output.c and
 * src/cli/run.c), each group marked with the function it mirrors; where the
 * command line prints a command to run, the page names its own buttons.
 */
"use strict";

(function () {
	const $ = (id) => document.getElementById(id);

	/* USB ids of the serial chips in front of a Pycom modem: the library's (sqns_usb_ids). */
	const pycomUsb = () => (K && K.usb) || [];

	/* The words' flags (include/sqnsupgrade_words.h). */
	const WORDS_ERR = 1, WORDS_OPEN = 2, WORDS_VERBOSE = 4;

	const BUSY_HINT_S = 3; /* src/cli/output.h */
	const BUSY_REPEAT_S = 30; /* src/cli/output.c */
	const WAIT_HINT_S = 10; /* src/cli/output.c */
	const CHUNK = 256 * 1024; /* bytes read from a File at once */

	let engine = null; /* the WebAssembly module */
	let K = null; /* the header's enums, from the engine */
	let port = null; /* the SerialPort chosen */
	let link = null; /* the open SerialLink, or null */
	let running = false;
	let abort = false;
	let planned = null; /* the files and options of the plan shown */
	const log = []; /* the downloadable log */
	const t0 = performance.now();

	/* ---- the log and the transcript ---- */

	function stamp() {
		const t = Math.floor(performance.now() - t0);
		return String(Math.floor(t / 1000)).padStart(6) + "." + String(t % 1000).padStart(3, "0");
	}

	let logDirty = false;
	function logLine(text) {
		log.push(stamp() + " " + text);
		logDirty = true;
	}

	/* A line of the transcript: what the command line prints (err: its stderr). */
	function say(text, cls) {
		const t = $("transcript");
		const span = document.createElement("span");
		if (cls)
			span.className = cls;
		span.textContent = text + "\n";
		t.appendChild(span);
		t.scrollTop = t.scrollHeight;
		for (const line of text.split("\n"))
			logLine("[page] " + line);
	}
	const sayErr = (text) => say(text, "err");

	setInterval(() => {
		if (!logDirty || $("log").hidden)
			return;
		logDirty = false;
		const el = $("log");
		el.textContent = log.slice(-400).join("\n");
		el.scrollTop = el.scrollHeight;
	}, 500);

	/* ---- the serial port ---- */

	/*
	 * A SerialPort as the core's port ops: reads with a timeout over the
	 * stream's reader (one read stays pending across timeouts, so no byte is
	 * lost), writes through the writer, and a rate change as Web Serial allows
	 * it: close, then open at the new rate.
	 */
	class SerialLink {
		constructor(serial) {
			this.port = serial;
			this.baud = 0;
			this.queue = [];
			this.pending = null;
			this.failed = null;
			this.txBytes = 0;
			this.rxBytes = 0;
		}

		async open(baud) {
			await this.port.open({ baudRate: baud, bufferSize: 65536 });
			this.baud = baud;
			this.reader = this.port.readable.getReader();
			this.writer = this.port.writable.getWriter();
			this.queue = [];
			this.pending = null;
			this.failed = null;
		}

		take(len) {
			const out = new Uint8Array(len);
			let n = 0;
			while (n < len && this.queue.length) {
				const head = this.queue[0];
				const k = Math.min(len - n, head.length);
				out.set(head.subarray(0, k), n);
				n += k;
				if (k === head.length)
					this.queue.shift();
				else
					this.queue[0] = head.subarray(k);
			}
			this.rxBytes += n;
			return out.subarray(0, n);
		}

		/* The core's read: a Uint8Array, 0 when the time ran out, or SQNS_ERR_IO. */
		async read(len, timeoutMs) {
			if (this.queue.length)
				return this.take(len);
			if (this.failed)
				return K.err.IO;
			if (timeoutMs === 0 && !this.pending)
				return 0;
			if (!this.pending) {
				this.pending = this.reader.read().then(
				    (r) => r, (e) => ({ error: e }));
			}
			let timer = null;
			const late = new Promise((res) => { timer = setTimeout(() => res(null), timeoutMs); });
			const r = await Promise.race([this.pending, late]);
			clearTimeout(timer);
			if (r === null)
				return 0;
			this.pending = null;
			if (r.error || r.done) {
				this.failed = r.error ? String(r.error.message || r.error) : "the port was closed";
				return K.err.IO;
			}
			if (r.value && r.value.length)
				this.queue.push(r.value);
			return this.queue.length ? this.take(len) : 0;
		}

		async write(bytes) {
			if (this.failed)
				return K.err.IO;
			try {
				await this.writer.write(bytes);
				this.txBytes += bytes.length;
				return 0;
			} catch (e) {
				this.failed = String(e.message || e);
				return K.err.IO;
			}
		}

		async setRate(baud) {
			if (baud === this.baud)
				return 0;
			try {
				await this.release();
				await this.port.close();
				await this.open(baud);
				return 0;
			} catch (e) {
				this.failed = String(e.message || e);
				return K.err.IO;
			}
		}

		async release() {
			try { await this.reader.cancel(); } catch (e) { /* already gone */ }
			try { this.reader.releaseLock(); } catch (e) { /* idem */ }
			try { this.writer.releaseLock(); } catch (e) { /* idem */ }
		}

		async close() {
			await this.release();
			try { await this.port.close(); } catch (e) { /* a port already lost */ }
		}
	}

	function portName(p) {
		const info = p && p.getInfo ? p.getInfo() : {};
		if (!info.usbVendorId)
			return "serial port";
		const hex = (v) => v.toString(16).padStart(4, "0");
		const known = pycomUsb().find((k) => k[0] === info.usbVendorId && k[1] === info.usbProductId);
		return "USB " + hex(info.usbVendorId) + ":" + hex(info.usbProductId || 0) +
		       (known ? " (" + known[2] + ")" : "");
	}

	/* ---- a Pycom board's REPL: the library's (sqnsupgrade_board.h), the words here ---- */

	const MIRROR_RATE = 921600;
	const B = () => K.board; /* sqns_board_status */
	const boardText = (i) => engine.UTF8ToString(engine._sqnsweb_board_text(i));
	const boardMethod = (files) => (files[1] ? K.method.RECOVERY : K.method.NORMAL);
	const uartCall = (files) => engine.UTF8ToString(engine._sqnsweb_board_call(boardMethod(files)));

	/* SQNS_BOARD_IO and SQNS_BOARD_ABORTED */
	function replIoFailed(st) {
		if (st === B().ABORTED) {
			sayErr("interrupted while talking to the board's REPL");
			return showResult("failed", "Stopped while talking to the board's REPL.");
		}
		sayErr("port '" + portName(port) + "' failed: " + (link && link.failed ? link.failed : "lost") +
		       " (unplugged?)");
		showResult("failed", "The port failed while talking to the board: plug it again and retry.");
	}

	/* The board's REPL taken and checked (sqns_board_take): true, or false after saying why. */
	async function takeBoard() {
		if (!(await openLink(K.repl.repl_rate)))
			return false;
		engine.port = link;
		const st = await engine.ccall("sqnsweb_board_take", "number", [], [], { async: true });
		const sysname = boardText(0), machine = boardText(1);
		if (st === B().OK) {
			say("Board: " + sysname + " (" + machine + ", firmware " + boardText(2) + ")");
			return true;
		}
		if (st === B().NO_REPL) {
			sayErr("no MicroPython REPL answered on '" + portName(port) + "' at 115200 baud: sent " +
			       "Ctrl-C twice and Ctrl-A (the raw REPL), " + K.repl.repl_tries + " times, and waited " +
			       K.repl.repl_tries * (K.repl.repl_ms + K.repl.drain_ms) / 1000 + " s for its banner. " +
			       "The board may already be in mirror mode (after an earlier upgrade or " +
			       "sqnsupgrade.uart()): then uncheck \u201cPycom board\u201d and check again. Otherwise " +
			       "check that nothing else (a terminal, Pymakr) holds the port, or press the board's " +
			       "reset button.");
			showResult("failed", "No MicroPython REPL answered: nothing was sent to the modem.");
		} else if (st === B().NO_UNAME) {
			sayErr("the board's REPL on '" + portName(port) + "' did not answer os.uname() (" +
			       (boardText(3) || "no answer") + ")");
			showResult("failed", "The board's REPL did not answer: nothing was sent to the modem.");
		} else if (st === B().NOT_MODEM) {
			sayErr("the board on '" + portName(port) + "' is a " + sysname + " (" + machine +
			       "): only GPy, FiPy and G01 boards carry the SQN3330 modem. Nothing was sent to a modem.");
			showResult("refused", "This board has no SQN3330 modem: nothing was sent to a modem.");
		} else {
			replIoFailed(st);
		}
		return false;
	}

	/* The board left at its friendly prompt (after its plan). */
	const releaseBoard = () => engine.ccall("sqnsweb_board_release", "number", [], [], { async: true });

	/* dry_run of board.c: the board's part of the plan; uart() would change the modem. */
	function boardPlanText(files) {
		const lines = ["Plan (dry run: nothing on the board or the modem was changed):",
			       "  1. on the board: import sqnsupgrade; " + uartCall(files)];
		if (files[1])
			lines.push("     (the recovery method: the board replaces a factory boot ROM, reboots the " +
				   "modem into recovery mode and moves it to 921600 baud)");
		else
			lines.push("     (the normal method: the modem stays as it is)");
		lines.push("  2. this port at 921600 baud, through the board's mirror");
		if (files[1])
			lines.push("  3. updater: send " + files[1].name + "; firmware: send " + files[0].name +
				   ", then verify");
		else
			lines.push("  3. the upgrade as against a bare modem (its plan needs the modem: it is " +
				   "made after the board's mirror is up)");
		return lines.join("\n");
	}

	/* uart() on the board and its mirror (sqns_board_mirror): true when the board is in mirror mode. */
	async function boardToMirror(files) {
		const call = uartCall(files);
		say("Running on the board: import sqnsupgrade; " + call);
		engine.port = link;
		const st = await engine.ccall("sqnsweb_board_mirror", "number", ["number"], [boardMethod(files)],
					      { async: true });
		if (st === B().OK) {
			say("The board is in mirror mode: on to the modem at 921600 baud. (Until the " +
			    "board is reset, uncheck \u201cPycom board\u201d on this page.)");
			return true;
		}
		if (st === B().NOT_TAKEN) {
			sayErr("the board's raw REPL did not take the code");
			showResult("failed", "The board's raw REPL did not take the code: nothing was sent to the modem.");
		} else if (st === B().UART_TIMEOUT) {
			sayErr("the board's " + call + " did not finish within " + K.repl.uart_ms / 1000 + " s");
			showResult("failed", "The board did not finish: power-cycle it and try again.");
		} else if (st === B().UART_FAILED) {
			const l = boardText(3);
			sayErr("the board's " + call + " failed: " + l);
			if (engine._sqnsweb_board_fault() === K.fault.OTHER)
				sayErr("Power-cycle the board (disconnect power: the reset button is not enough) and try again.");
			showResult("failed", "The board's " + call + " failed: " + l);
		} else {
			replIoFailed(st);
		}
		return false;
	}

	async function choosePort() {
		try {
			const filters = [...new Set(pycomUsb().map((k) => k[0]))].map((v) => ({ usbVendorId: v }));
			port = await navigator.serial.requestPort({ filters });
		} catch (e) {
			return; /* the user closed the chooser */
		}
		if (link) {
			await link.close();
			link = null;
		}
		$("port-name").textContent = portName(port);
		$("port-name").classList.remove("muted");
		updateButtons();
	}

	/* ---- the user's files ---- */

	/* A File (or decoded bytes) read in slices, with one chunk cached. */
	class Source {
		constructor(name, file, bytes) {
			this.name = name;
			this.file = file;
			this.bytes = bytes;
			this.size = bytes ? bytes.length : file.size;
			this.cacheAt = -1;
			this.cache = null;
		}

		async read(offset, len) {
			if (this.bytes)
				return this.bytes.subarray(offset, offset + len);
			if (this.cacheAt < 0 || offset < this.cacheAt ||
			    offset + len > this.cacheAt + this.cache.length) {
				const end = Math.min(this.size, offset + Math.max(len, CHUNK));
				this.cache = new Uint8Array(await this.file.slice(offset, end).arrayBuffer());
				this.cacheAt = offset;
			}
			return this.cache.subarray(offset - this.cacheAt, offset - this.cacheAt + len);
		}
	}

	async function inflate(bytes, format) {
		const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format));
		return new Uint8Array(await new Response(stream).arrayBuffer());
	}

	/*
	 * The boot ROM as the command line's --bootrom takes it (src/host/bootrom.c):
	 * the raw image (UPGR...), or Pycom's sqnsbr.py / sqnsbrz.py, whose BOOTROM is
	 * a base64 literal, zlib-compressed in sqnsbrz.py. Anything else goes to the
	 * core as it is, which refuses what does not start with UPGR.
	 */
	async function bootromBytes(file) {
		const raw = new Uint8Array(await file.arrayBuffer());
		if (raw.length >= 4 && String.fromCharCode(...raw.subarray(0, 4)) === "UPGR")
			return raw;
		const text = new TextDecoder("latin1").decode(raw);
		const m = /\bBOOTROM\s*=\s*([\w.(\s]*?)\b(?:[bBrR]{1,2})?("""|'''|"|')/.exec(text);
		if (!m || !/(a2b_base64|b64decode|standard_b64decode|decodebytes)\s*\(/.test(m[1]))
			return raw;
		const start = m.index + m[0].length;
		const end = text.indexOf(m[2], start);
		if (end < 0)
			return raw;
		const b64 = text.slice(start, end).replace(/\\[nrt]|\\\r?\n|\s/g, "");
		let bytes;
		try {
			bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
		} catch (e) {
			return raw;
		}
		const upgr = bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === "UPGR";
		if (!upgr && bytes[0] === 0x1f && bytes[1] === 0x8b)
			return inflate(bytes, "gzip");
		if (!upgr && (/decompress/.test(m[1]) || bytes[0] === 0x78))
			return inflate(bytes, "deflate");
		return bytes;
	}

	/*
	 * Pycom's release archive (CATM1-39529.zip), read by zip.js: the core gets
	 * its members' names and sizes, opens the ones it checks or chooses
	 * (Module.openMember), and reads them through readImage as it reads the
	 * files. A member is inflated into memory when first opened, its CRC-32
	 * checked, and kept for the runs that follow; nothing is unpacked to disk.
	 */
	const MEMBERS_MAX = 256; /* web/src/sqnsweb.c */

	class Release {
		constructor(file, zip) {
			this.name = file.name;
			this.zip = zip;
			this.entries = zip.entries.filter((e) => !e.dir);
			this.data = new Map(); /* index: the member's bytes */
			this.errors = new Map(); /* index: why it could not be read (zip.js's words) */
		}

		async open(i) {
			if (this.data.has(i))
				return 0;
			try {
				this.data.set(i, await this.zip.read(this.entries[i]));
				return 0;
			} catch (e) {
				this.errors.set(i, e && e.message ? e.message : String(e));
				logLine("[page] " + this.entries[i].name + ": " + this.errors.get(i));
				return -1;
			}
		}

		source(i) {
			const bytes = this.data.get(i);
			return bytes ? { read: async (offset, len) => bytes.subarray(offset, offset + len) } : null;
		}
	}

	/* A zip archive, by its first bytes ("PK\3\4", or "PK\5\6" for an empty one), whatever its name. */
	async function isZip(file) {
		const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
		return head.length === 4 && head[0] === 0x50 && head[1] === 0x4b &&
		       ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
	}

	/*
	 * The files chosen now: [firmware, updater, bootrom] Sources or null; with a
	 * release archive in the firmware field, files.archive is its File and
	 * files[0] null.
	 */
	async function loadFiles() {
		const fw = $("firmware").files[0];
		const upd = $("updater").files[0];
		const rom = $("bootrom").files[0];
		const archive = fw && (await isZip(fw)) ? fw : null;
		const files = [
			fw && !archive ? new Source(fw.name, fw) : null,
			upd ? new Source(upd.name, upd) : null,
			rom ? new Source(rom.name, null, await bootromBytes(rom)) : null,
		];
		files.archive = archive;
		files.release = null;
		return files;
	}

	/*
	 * The archive's table of contents (zip.js): files.release, or false after
	 * saying why the archive cannot be used (before the port opens).
	 */
	async function openRelease(files) {
		const name = files.archive.name;
		let zip;
		try {
			zip = await SqnsZip.open(files.archive);
		} catch (e) {
			if (!(e instanceof SqnsZip.ZipError))
				throw e;
			if (e.reason === "unsupported")
				sayErr("Refused: '" + name + "' is a zip archive the page cannot read: " + e.message +
				       ". Unpack it and give its firmware .dup (and updater.elf) instead.");
			else
				sayErr("Refused: '" + name + "' is a zip archive, but a damaged one: " + e.message +
				       ". Download it again.");
			showResult("refused", "Refused before anything was sent: see the messages above.");
			return false;
		}
		const release = new Release(files.archive, zip);
		if (release.entries.length > MEMBERS_MAX) {
			sayErr("Refused: '" + name + "' holds " + release.entries.length + " files, more than a " +
			       "modem firmware release (the page reads " + MEMBERS_MAX + "): it is not Pycom's " +
			       "release archive. Give its firmware .dup (and updater.elf) instead.");
			showResult("refused", "Refused before anything was sent: see the messages above.");
			return false;
		}
		if (files[1]) {
			sayErr("Refused: '" + name + "' is a release archive, which brings its own updater.elf: " +
			       "clear the updater.elf field, or give the firmware .dup instead of the archive.");
			showResult("refused", "Refused before anything was sent: see the messages above.");
			return false;
		}
		files.release = release;
		return true;
	}

	/* A release the core refused (sqns_release_check): its words, and zip.js's for a member it could not read. */
	function releaseRefusal(fromRun) {
		const text = engine.UTF8ToString(engine._sqnsweb_words_release_problem(fromRun ? 1 : 0))
			.replace(/\n$/, "");
		sayErr("Refused: " + text);
		const r = engine.files && engine.files.release;
		if (r)
			for (const [i, why] of r.errors)
				sayErr("  " + r.entries[i].name + ": " + why);
		showResult("refused", "Refused before anything was sent: see the messages above.");
	}

	/* ---- words: src/cli/output.c ---- */

	/* format_amount */
	function amount(done, total) {
		if (total >= 1048576)
			return Math.floor(done / 1048576) + "." + Math.floor((done % 1048576) * 10 / 1048576) +
			       "/" + (total / 1048576).toFixed(1) + " MiB";
		if (total >= 10240)
			return Math.floor(done / 1024) + "/" + Math.floor((total + 512) / 1024) + " KiB";
		return done + "/" + total + " B";
	}

	/* format_rate */
	function rateText(bps) {
		return bps >= 1048576 ? (bps / 1048576).toFixed(1) + " MiB/s" : (bps / 1024).toFixed(1) + " KiB/s";
	}

	/* format_eta */
	function etaText(seconds) {
		const s = seconds > 359999 ? 359999 : Math.round(seconds);
		const two = (v) => String(v).padStart(2, "0");
		if (s >= 3600)
			return "ETA " + Math.floor(s / 3600) + ":" + two(Math.floor(s / 60) % 60) + ":" + two(s % 60);
		return "ETA " + Math.floor(s / 60) + ":" + two(s % 60);
	}

	/* format_bar, without a terminal: the line printed every 10 %. */
	function barLine(done, total) {
		const width = 40;
		const pct = total ? Math.floor(done * 100 / total) : 100;
		const fill = total ? Math.floor(done * width / total) : width;
		return "Sending " + total + " bytes: [" + "#".repeat(fill) + " ".repeat(width - fill) + "] " +
		       String(pct).padStart(3) + "%";
	}

	const OP_NAMES = ["RESET", "OPEN_SESSION", "TRANSFER_BLOCK_CMD", "TRANSFER_BLOCK"];

	/* trace: one log line for a wire event, in the command line's --log format. */
	function trace(ev) {
		switch (ev.type) {
		case K.ev.AT_TX:
			return "[at] > " + ev.text;
		case K.ev.AT_RX:
			return "[at] < " + ev.text;
		case K.ev.STP_TX:
		case K.ev.STP_RX:
			return "[stp] " + (ev.type === K.ev.STP_TX ? ">" : "<") + " " + OP_NAMES[ev.frame.op & 3] +
			       (ev.type === K.ev.STP_RX ? " (answer)" : "") + " sid=" + ev.frame.sid +
			       " tid=" + ev.frame.tid + " len=" + ev.frame.len;
		case K.ev.RATE:
			return "[port] rate " + ev.value;
		case K.ev.RETRY:
			return "[stp] answer invalid (" + strerror(ev.err) + "): retry " + ev.value;
		case K.ev.SESSION:
			return "[stp] session open: version " + ev.value + ", max transfer " + ev.total;
		default:
			return null;
		}
	}

	const strerror = (e) => engine.UTF8ToString(engine._sqnsweb_strerror(e));
	const result = () => JSON.parse(engine.UTF8ToString(engine._sqnsweb_result()));

	/* ---- the run's view: output.c's struct output ---- */

	let view = null;

	function newView() {
		return {
			fff: false,
			barShown: -1,
			done: 0,
			total: 0,
			lastMs: 0,
			samples: [],
			busyS: 0,
			busySaid: false,
			busyNext: BUSY_REPEAT_S,
			tickPhase: -1,
			tickS: 0,
			tickSaid: false,
			dots: "",
			open: "",
			drawn: 0,
		};
	}

	function drawProgress(force) {
		const now = performance.now();
		if (!force && now - view.drawn < 100 && view.done < view.total)
			return;
		view.drawn = now;
		const pct = view.total ? Math.floor(view.done * 100 / view.total) : 100;
		$("progress-box").hidden = false;
		$("bar").value = pct;
		$("pct").textContent = pct + " %";
		/* amount() rounds the done part down; complete reads as complete. */
		const whole = amount(view.total, view.total).replace(/^[\d.]+\//, "");
		$("bytes").textContent = view.done >= view.total && view.total
		    ? whole.replace(/^([\d.]+)/, "$1/$1") : amount(view.done, view.total);
		const s = view.samples;
		let bps = -1;
		if (s.length && now - s[0][0] >= 500)
			bps = (view.done - s[0][1]) * 1000 / (now - s[0][0]);
		$("rate").textContent = bps > 0 ? rateText(bps) : "";
		$("eta").textContent = bps > 0 && view.done < view.total ? etaText((view.total - view.done) / bps) : "";
	}

	/* progress */
	function progress(done, total) {
		const now = performance.now();
		const restart = done === 0 || total !== view.total || done < view.done;
		const wasBusy = view.busyS >= BUSY_HINT_S;
		if (restart || wasBusy)
			view.samples = [];
		view.done = done;
		view.total = total;
		view.lastMs = now;
		view.busyS = 0;
		view.busySaid = false;
		$("busy").hidden = true;
		const s = view.samples;
		if (!s.length || now - s[s.length - 1][0] >= 250) {
			s.push([now, done]);
			if (s.length > 16)
				s.shift();
		}
		drawProgress(wasBusy || restart);
		const pct = total ? Math.floor(done * 100 / total) : 100;
		if (view.barShown < 0 || Math.floor(pct / 10) !== Math.floor(view.barShown / 10)) {
			view.barShown = pct;
			say(barLine(done, total));
		}
	}

	/* stp_silence: the busy hint, from the clock since the last progress. */
	function stpSilence() {
		if (view.total === 0 || view.barShown < 0 || view.barShown >= 100)
			return;
		const seconds = view.busyS = Math.floor((performance.now() - view.lastMs) / 1000);
		if (seconds < BUSY_HINT_S)
			return;
		const busy = $("busy");
		busy.hidden = false;
		busy.textContent = "modem busy for " + seconds + " s: this is normal, keep waiting";
		$("rate").textContent = "";
		$("eta").textContent = "";
		if (!view.busySaid) {
			view.busySaid = true;
			view.busyNext = BUSY_REPEAT_S;
			sayWords(engine._sqnsweb_words_busy(0));
		} else if (seconds >= view.busyNext) {
			sayWords(engine._sqnsweb_words_busy(view.busyNext));
			view.busyNext += BUSY_REPEAT_S;
		}
	}

	/* at_silence */
	function atSilence(p, seconds) {
		if (p === K.phase.RESETTING) {
			view.dots += ".";
			return;
		}
		if (view.tickSaid || seconds < WAIT_HINT_S)
			return;
		view.tickSaid = true;
		sayWords(engine._sqnsweb_words_wait(p, seconds));
	}

	function endDots() {
		if (view.open) {
			say(view.open + view.dots);
			view.open = "";
			view.dots = "";
		}
	}

	/* The library's words (a C string of the engine), line by line; err: its stderr. */
	function sayWords(ptr, err, cls) {
		const text = engine.UTF8ToString(ptr).replace(/\n$/, "");
		if (text)
			say(text, err ? "err" : cls);
		return text;
	}

	/* The words of an event (phases, the STP session, retries), as the command line says them. */
	function eventWords(ev) {
		const flags = engine._sqnsweb_event_flags();
		if (ev.type === K.ev.PHASE && ev.phase !== K.phase.RESETTING)
			endDots();
		if (ev.type === K.ev.PHASE && ev.phase === K.phase.PLAN) {
			view.planReady = true;
			/* From a release, the upgrade's transcript names the member chosen (a dry
			 * run's plan box does); through a board's mirror no dry run showed it. */
			if (!view.dryRun)
				sayWords(engine._sqnsweb_words_choice());
		}
		if (ev.type === K.ev.RETRY) {
			sayWords(engine._sqnsweb_event_words(), false, "retry");
			return;
		}
		if (flags & WORDS_VERBOSE)
			return; /* the page has no -v */
		if (flags & WORDS_OPEN) {
			view.open = engine.UTF8ToString(engine._sqnsweb_event_words());
			view.dots = "";
			return;
		}
		sayWords(engine._sqnsweb_event_words(), flags & WORDS_ERR);
	}

	/* output_event */
	function onEvent(ev) {
		if (!view)
			return;
		if (ev.type === K.ev.TICK && ev.phase !== K.phase.STP_WAIT) {
			if (ev.phase !== view.tickPhase || ev.value < view.tickS) {
				view.tickPhase = ev.phase;
				view.tickSaid = false;
			}
			view.tickS = ev.value;
		}
		if (ev.type !== K.ev.PROGRESS && ev.type !== K.ev.TICK) {
			const line = trace(ev);
			logLine(line !== null ? line : ev.type === K.ev.PHASE ? "[phase] " + ev.phase : "[event] " + ev.type);
		}
		switch (ev.type) {
		case K.ev.PHASE:
			view.tickPhase = -1;
			eventWords(ev);
			break;
		case K.ev.SESSION:
			eventWords(ev);
			view.barShown = -1;
			break;
		case K.ev.PROGRESS:
			progress(ev.done, ev.total);
			break;
		case K.ev.TICK:
			if (ev.phase === K.phase.STP_WAIT)
				stpSilence();
			else
				atSilence(ev.phase, ev.value);
			break;
		case K.ev.RETRY:
			eventWords(ev);
			break;
		default:
			break;
		}
	}

	/* ---- words: src/cli/run.c and src/cli/session.c ---- */

	/*
	 * refusal: why, before anything changed (the library's words). fromRun: the
	 * run's plan, and the modem was seen; else the files alone.
	 */
	function refusal(why, fromRun) {
		const text = engine.UTF8ToString(engine._sqnsweb_words_refusal(why, fromRun ? 1 : 0))
			.replace(/\n$/, "");
		sayErr("Refused: " + text);
		showResult("refused", "Refused before anything was sent: see the messages above.");
	}

	/* explain_failure: the modem's state and what finishes the job (the library's words). */
	function explainFailure(err) {
		const silent = view.total && view.done < view.total ? performance.now() - view.lastMs : 0;
		const portWords = err === K.err.IO
			? "port '" + portName(port) + "' failed: " + (link && link.failed ? link.failed : "lost") +
			  " (unplugged?)"
			: "";
		const text = engine.ccall("sqnsweb_words_failure", "string", ["number", "number", "string"],
					  [err, Math.floor(silent), portWords]).replace(/\n$/, "");
		sayErr(text);
		showResult("failed", text.split("\n").slice(1).join(" "));
	}

	/* After a successful run: the boot ROM step still to do (a warning), or null. */
	function bootromPending() {
		const w = sayWords(engine._sqnsweb_words_bootrom_pending(), true);
		return w || null;
	}

	function showResult(kind, text) {
		const el = $("result");
		el.hidden = false;
		el.className = "result " + kind;
		el.textContent = text;
		el.dataset.kind = kind;
	}

	/* ---- the run ---- */

	async function openLink(baud) {
		if (link && !link.failed)
			return true;
		if (link) {
			await link.close();
			link = null;
		}
		const l = new SerialLink(port);
		try {
			await l.open(baud);
		} catch (e) {
			sayErr("port '" + portName(port) + "' cannot be opened: " + (e.message || e) +
			       ". Is another program using it? Close it, or choose the port again.");
			showResult("failed", "The port cannot be opened: nothing was sent to the modem.");
			return false;
		}
		link = l;
		return true;
	}

	async function closeLink() {
		if (link) {
			const l = link;
			link = null;
			await l.close();
		}
	}

	function options() {
		return {
			fff: $("fff").checked ? 1 : 0,
			force: $("force").checked ? 1 : 0,
			board: $("board").checked,
			/* A board's mirror carries 921600 only (board_check_cli). */
			baud: $("board").checked ? MIRROR_RATE : parseInt($("baud").value, 10),
		};
	}

	function setFiles(files) {
		files.forEach((f, i) => engine.ccall("sqnsweb_set_image", null, ["number", "string", "number"],
						     [i, f ? f.name : "", f ? f.size : 0]));
		const rel = files.release;
		engine.ccall("sqnsweb_set_release", "number", ["string", "number"],
			     [rel ? rel.name : "", rel ? rel.entries.length : 0]);
		if (rel) {
			for (const e of rel.entries)
				engine.ccall("sqnsweb_add_member", "number", ["string", "number"], [e.name, e.size]);
		}
		engine.files = files;
	}

	async function runCore(dryRun, opts) {
		view = newView();
		view.dryRun = !!dryRun;
		abort = false;
		/* The core starts every run at the application rate, as a newly opened port is. */
		if (link.baud !== opts.baud && (await link.setRate(opts.baud)) !== 0)
			return K.err.IO;
		engine.port = link;
		engine.ccall("sqnsweb_set_port_name", null, ["string"], [portName(port)]);
		/* Through uart()'s mirror the rate is fixed: the core refuses a recovery it would need. */
		engine._sqnsweb_set_fixed_rate(opts.board && boardMethod(engine.files) === K.method.NORMAL ? 1 : 0);
		sayWords(engine._sqnsweb_words_welcome());
		const r = await engine.ccall("sqnsweb_upgrade", "number",
					     ["number", "number", "number", "number", "number"],
					     [dryRun, opts.fff, opts.force, opts.baud, 0], { async: true });
		endDots();
		logLine("# port totals: sent " + (link ? link.txBytes : 0) + " bytes, received " +
			(link ? link.rxBytes : 0) + " bytes");
		return r;
	}

	function resetRun() {
		$("transcript").textContent = "";
		$("result").hidden = true;
		$("progress-box").hidden = true;
		$("busy").hidden = true;
		$("plan-text").hidden = true;
		$("confirm").hidden = true;
	}

	async function checkAndPlan() {
		if (running)
			return;
		running = true;
		updateButtons();
		resetRun();
		planned = null;
		try {
			const opts = options();
			const files = await loadFiles();
			if (files.archive && !(await openRelease(files)))
				return;
			setFiles(files);
			/* Every check the files allow, before the port is even opened (cmd_run). */
			const c = await engine.ccall("sqnsweb_check", "number", ["number", "number"],
						      [opts.fff, opts.force], { async: true });
			if (c === K.err.REFUSED) {
				if (engine._sqnsweb_file_refusal() === K.refuse.RELEASE)
					releaseRefusal(false);
				else
					refusal(engine._sqnsweb_file_refusal(), false);
				return;
			}
			if (c !== K.err.OK) {
				sayErr("cannot read the firmware files");
				showResult("failed", "The files cannot be read: nothing was sent to the modem.");
				return;
			}
			if (opts.board) {
				/* The board's plan: the modem's needs the mirror, which uart() changes. */
				if (await takeBoard()) {
					await releaseBoard();
					$("plan-text").textContent = boardPlanText(files);
					$("plan-text").hidden = false;
					$("confirm").hidden = false;
					planned = { files, opts };
				}
				await closeLink();
				return;
			}
			if (!(await openLink(opts.baud)))
				return;
			const r = await runCore(1, opts);
			if (r === K.err.REFUSED) {
				if (result().refusal === K.refuse.RELEASE)
					releaseRefusal(true);
				else
					refusal(result().refusal, true);
				await closeLink();
				return;
			}
			if (r !== K.err.OK) {
				explainFailure(r);
				await closeLink();
				return;
			}
			/*
			 * The plan is shown whenever the core made one (SQNS_PHASE_PLAN), in
			 * recovery mode too, whose stage is RECOVERY rather than UNTOUCHED.
			 */
			if (view.planReady) {
				/* From a release: the member chosen and why, then the plan. */
				const choice = engine.UTF8ToString(engine._sqnsweb_words_choice());
				$("plan-text").textContent = (choice + engine.UTF8ToString(engine._sqnsweb_words_plan()))
					.replace(/\n$/, "");
				$("plan-text").hidden = false;
				logLine("[page] " + $("plan-text").textContent.replace(/\n/g, "\n[page] "));
				$("confirm").hidden = false;
				planned = { files, opts };
			} else {
				/*
				 * Nothing to plan: the modem already runs the build (the words
				 * said so). From a release, the plan box says what was chosen:
				 * nothing; a factory boot ROM still to replace is the warning.
				 */
				const choice = engine.UTF8ToString(engine._sqnsweb_words_choice()).replace(/\n$/, "");
				if (choice) {
					$("plan-text").textContent = choice;
					$("plan-text").hidden = false;
				}
				const w = bootromPending();
				showResult(w ? "warning" : "ok", w || "Nothing to do: the modem already runs this build.");
				await closeLink();
			}
		} finally {
			running = false;
			updateButtons();
		}
	}

	async function upgrade() {
		if (running || !planned)
			return;
		running = true;
		updateButtons();
		const { files, opts } = planned;
		$("confirm").hidden = true;
		$("transcript").textContent = "";
		$("result").hidden = true;
		$("cancel").hidden = false;
		try {
			setFiles(files);
			if (opts.board) {
				if (!(await takeBoard()) || !(await boardToMirror(files))) {
					await closeLink();
					return;
				}
			}
			if (!(await openLink(opts.baud)))
				return;
			const r = await runCore(0, opts);
			if (r === K.err.REFUSED) {
				const why = result().refusal;
				if (why === K.refuse.RELEASE)
					releaseRefusal(true);
				else
					refusal(why, true);
				/* The board's method was chosen before the modem could be seen: uart(). */
				if (opts.board && files.release &&
				    (why === K.refuse.BOOTROM_MISSING || why === K.refuse.FACTORY_BOOTROM))
					sayErr("Through the Pycom board, the board can replace the factory boot ROM " +
					       "itself: give the archive's .dup and updater.elf instead of the archive " +
					       "(the page then runs " + engine.UTF8ToString(
						       engine._sqnsweb_board_call(K.method.RECOVERY)) + " on the board).");
			} else if (r === K.err.UNSUPPORTED && opts.board && files.release) {
				/* The release chose the recovery method, which uart()'s mirror cannot carry. */
				sayErr("The modem needs the recovery method, which the board's mirror " +
				       "(uart()) cannot carry: nothing was changed on it. Give the archive's " +
				       ".dup and updater.elf instead of the archive: the page then runs " +
				       engine.UTF8ToString(engine._sqnsweb_board_call(K.method.RECOVERY)) +
				       " on the board, which does the recovery itself.");
				showResult("refused", "Refused before anything was changed: see the messages above.");
			} else if (r !== K.err.OK) {
				explainFailure(r);
			} else if (result().stage !== K.stage.DONE) {
				const said = sayWords(engine._sqnsweb_words_result(1)); /* the boot ROM verified */
				const w = bootromPending();
				showResult(w ? "warning" : "ok",
					   w || said || "Nothing to do: the modem already runs this build.");
			} else {
				sayWords(engine._sqnsweb_words_result(1));
				/* The verdict alone: the closing lines without the version block. */
				const verdict = engine.UTF8ToString(engine._sqnsweb_words_result(0))
					.replace(/^Here's the current firmware version:\n\n/, "").replace(/\n$/, "");
				const w = bootromPending();
				showResult(w ? "warning" : "ok", verdict + (w ? "\n" + w : ""));
			}
			$("progress-box").hidden = !view.total;
			$("busy").hidden = true;
			await closeLink();
			planned = null;
		} finally {
			running = false;
			$("cancel").hidden = true;
			updateButtons();
		}
	}

	function downloadLog() {
		const header = "# sqnsupgrade web page log, " + new Date().toISOString() + ", " +
			       navigator.userAgent + "\n";
		const blob = new Blob([header + log.join("\n") + "\n"], { type: "text/plain" });
		const a = document.createElement("a");
		a.href = URL.createObjectURL(blob);
		a.download = "sqnsupgrade-web.log";
		document.body.appendChild(a);
		a.click();
		setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
	}

	function updateButtons() {
		const ready = engine && port && $("firmware").files.length > 0;
		$("plan").disabled = running || !ready;
		$("go").disabled = running || !planned;
		$("connect").disabled = running;
	}

	async function start() {
		if (!("serial" in navigator))
			$("unsupported").hidden = false;
		/* A fault of the page itself is shown, never swallowed. */
		const guarded = (fn) => () => fn().catch((e) => {
			console.error(e);
			sayErr("internal error of the page: " + (e && e.stack ? e.stack : e));
			showResult("failed", "The page failed: download the log and report it.");
		});
		$("connect").addEventListener("click", guarded(choosePort));
		$("plan").addEventListener("click", guarded(checkAndPlan));
		$("go").addEventListener("click", guarded(upgrade));
		$("cancel").addEventListener("click", () => {
			abort = true;
			logLine("[page] stop asked");
		});
		$("download-log").addEventListener("click", downloadLog);
		$("show-wire").addEventListener("change", () => {
			$("log").hidden = !$("show-wire").checked;
			logDirty = true;
		});
		for (const id of ["firmware", "updater", "bootrom", "fff", "force", "baud", "board"]) {
			$(id).addEventListener("change", () => {
				planned = null;
				$("confirm").hidden = true;
				updateButtons();
			});
		}
		engine = await createSqnsEngine({
			onEvent,
			/* The lines uart() prints on the board, as they come. */
			onBoardEvent: (ev) => say(ev.text),
			shouldAbort: () => abort,
			/* A release's member (web/src/sqnsweb.c): 0 once readable, < 0 if it cannot be read. */
			openMember: async (index) => {
				const r = engine.files && engine.files.release;
				return r && index < r.entries.length ? r.open(index) : -1;
			},
			readImage: async (which, offset, len) => {
				const r = engine.files && engine.files.release;
				const f = which >= 3 ? r && r.source(which - 3) : engine.files && engine.files[which];
				if (!f)
					return null;
				try {
					return await f.read(offset, len);
				} catch (e) {
					return null;
				}
			},
		});
		K = JSON.parse(engine.UTF8ToString(engine._sqnsweb_constants()));
		document.body.dataset.ready = "1";
		updateButtons();
	}

	start().catch((e) => {
		$("unsupported").hidden = false;
		$("unsupported").textContent = "The page could not start its engine: " + (e.message || e);
		console.error(e);
	});
})();
