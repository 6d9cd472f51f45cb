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

	/* USB ids of the serial chips in front of a Pycom modem (src/cli/ports.c known_usb). */
	const PYCOM_USB = [
		[0x0403, 0x6001, "FTDI adapter (Pycom boards)"],
		[0x0403, 0x6015, "FTDI adapter (Pycom expansion board 2)"],
		[0x10c4, 0xea60, "CP210x adapter (Pycom boards)"],
		[0x04d8, 0xf011, "Pycom expansion board"],
		[0x04d8, 0xf012, "Pycom Pysense"],
		[0x04d8, 0xf013, "Pycom Pytrack"],
		[0x04d8, 0xef98, "Pycom expansion board 3"],
		[0x04d8, 0xef99, "Pycom Pyscan/Pytrack 2"],
	];

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
		const known = PYCOM_USB.find((k) => k[0] === info.usbVendorId && k[1] === info.usbProductId);
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
			const filters = [...new Set(PYCOM_USB.map((k) => k[0]))].map((v) => ({ usbVendorId: v }));
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

	/* The files chosen now: [firmware, updater, bootrom] Sources or null. */
	async function loadFiles() {
		const fw = $("firmware").files[0];
		const upd = $("updater").files[0];
		const rom = $("bootrom").files[0];
		return [
			fw ? new Source(fw.name, fw) : null,
			upd ? new Source(upd.name, upd) : null,
			rom ? new Source(rom.name, null, await bootromBytes(rom)) : null,
		];
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

	/* wait_words */
	function waitWords(p) {
		if (p === K.phase.NEGOTIATE)
			return "Loading the updater";
		if (p === K.phase.REBOOT_UPGRADE)
			return "Rebooting into upgrade mode";
		if (p === K.phase.CHECKING)
			return "Checking the earlier image";
		return "Waiting for the modem";
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
	const modeName = (m) => engine.UTF8ToString(engine._sqnsweb_mode_name(m));
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
			say("The modem is busy (it erases or commits flash near 7-10 % and 99 %): " +
			    "this is normal, waiting for it...");
		} else if (seconds >= view.busyNext) {
			say("The modem is still busy after " + view.busyNext + " s: this is normal, waiting...");
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
		if (p === K.phase.CHECKING)
			say(waitWords(p) + ": still on-going after " + seconds +
			    " s, which is normal (it can take a few minutes)");
		else
			say(waitWords(p) + ": no answer yet after " + seconds +
			    " s, which is normal (it can take a few minutes)");
	}

	/* warn_forced */
	function warnForced() {
		const p = result().plan;
		if (!p.forced)
			return;
		if (p.overridden === K.refuse.DIFF_WRONG_BASE)
			sayErr("warning: force: sending a differential image for build " + p.target.from +
			       " to a modem on build " + p.running_build + "; the modem will probably refuse it");
		else
			sayErr("warning: force: upgrading a modem with the factory boot ROM without the " +
			       "recovery method; the module may break");
	}

	/* bootrom_again */
	function bootromAgain() {
		const p = result().plan;
		const b0 = p.bootloader0_after ? p.bootloader0_after : p.bootloader0;
		if (p.bootrom_only)
			say("The modem already runs build " + p.running_build + ", and its boot ROM " +
			    "(Bootloader0) still reads " + b0 + ": sending the boot ROM, by the stored method (FFF)");
		else
			say("The boot ROM (Bootloader0) still reads " + b0 + " after the upgrade: sending it " +
			    "again, by the stored method (FFF)");
	}

	function endDots() {
		if (view.dots) {
			say("Resetting (DO NOT DISCONNECT POWER!!!)" + view.dots);
			view.dots = "";
		}
	}

	/* phase */
	function phase(p) {
		const P = K.phase;
		if (p !== P.RESETTING)
			endDots();
		switch (p) {
		case P.WAKEUP: say("Attempting AT wakeup..."); break;
		case P.RESUME: say("The modem is in upgrade mode: resuming the upgrade"); break;
		case P.FFF_TOO_BIG: say("Firmware file is too big to load via FFF method. Using ON_THE_FLY"); break;
		case P.REJECTED: say("The modem refused the image. Its report: " + engine.UTF8ToString(engine._sqnsweb_report())); break;
		case P.BASE_UNKNOWN: say("The modem's build cannot be read in this mode: the modem itself checks " +
		                         "that the image applies to build " + result().plan.target.from + "."); break;
		case P.STP_ON_THE_FLY: view.fff = false; say("Starting STP ON_THE_FLY"); break;
		case P.STP_FFF: view.fff = true; say("Starting STP FFF (DO NOT DISCONNECT POWER!!!)"); break;
		case P.DOWNLOAD_DONE:
			say(view.fff ? "Code download done, applying the stored image"
				     : "Code download done, returning to user mode");
			break;
		case P.RESETTING: view.dots = " "; break;
		case P.COMPLETED: say("Upgrade completed!"); break;
		case P.STP_BOOTROM: say("Starting STP (DO NOT DISCONNECT POWER!!!)"); break;
		case P.BOOTROM_DONE: say("Bootrom updated successfully, switching to upgrade mode"); break;
		case P.NEGOTIATE: say("Attempting AT auto-negotiation..."); break;
		case P.UPDATER_DONE: say("Upgrader loaded successfully, modem is in upgrade mode"); break;
		case P.PPP_ESCAPE: say("No answer: trying the +++ escape of a data session..."); break;
		case P.STP_ABANDONED:
			say("The modem was still in an interrupted transfer: closed it, waiting for the modem...");
			break;
		case P.FAST_LINK: {
			const r = result();
			if (r.rate !== r.baud)
				say("Transfer at " + r.rate + " baud");
			break;
		}
		case P.CHECKING:
			say("The modem is still checking an earlier image (AT+SMUPGRADE? on-going): waiting for it...");
			break;
		case P.BOOTROM_AGAIN: bootromAgain(); break;
		case P.PLAN: view.planReady = true; warnForced(); break;
		case P.ALREADY_CURRENT:
			say("The modem already runs build " + result().plan.running_build +
			    ": nothing to do (the force box flashes it again).");
			break;
		default: break;
		}
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
			phase(ev.phase);
			break;
		case K.ev.SESSION:
			say("Session opened: version " + ev.value + ", max transfer " + ev.total + " bytes");
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
			say("STP answer invalid (" + strerror(ev.err) + "): retry " + ev.value + " of " +
			    K.stp_retries, "retry");
			break;
		default:
			break;
		}
	}

	/* ---- words: src/cli/run.c and src/cli/session.c ---- */

	const AGAIN = "choose the port again if it was lost, then press \u201cCheck and show the plan\u201d " +
		      "and \u201cUpgrade now\u201d with the same files: the page finds the modem where it is " +
		      "and finishes the job";

	/* refusal: why, before anything changed; modemSeen adds that nothing was changed. */
	function refusal(files, why, p, modemSeen) {
		const R = K.refuse;
		const fw = files[0] ? files[0].name : "";
		let text;
		switch (why) {
		case R.UPDATER_NOT_ELF:
			text = "'" + files[1].name + "' is not an ELF file, so it is not updater.elf; give the " +
			       "updater.elf from the firmware archive as the second file";
			break;
		case R.FIRMWARE_IS_ELF:
			text = "'" + fw + "' is an ELF file: that is updater.elf, not a firmware image. Give it as " +
			       "updater.elf and the .dup as the firmware image";
			break;
		case R.DIFF_WITH_UPDATER:
			text = "'" + fw + "' is a differential image, and the recovery method (updater.elf) needs a " +
			       "full image such as NAME-" + p.target.build + ".dup: a differential image never " +
			       "follows updater.elf";
			break;
		case R.DIFF_WRONG_BASE:
			text = "'" + fw + "' applies only to build " + p.target.from + ", and the modem runs build " +
			       p.running_build + ". Use upgdiff_" + p.running_build + "-to-" + p.target.build +
			       ".dup or the full image, or the force box to send it anyway";
			break;
		case R.FACTORY_BOOTROM:
			text = "the modem still has its factory boot ROM (Bootloader0 " + p.bootloader0 + "): a " +
			       "first upgrade MUST use the recovery method, otherwise the module may break. Give " +
			       "updater.elf and the boot ROM file too, then check again\n(the force box skips this check)";
			break;
		case R.BOOTROM_MISSING:
			text = "the modem still has its factory boot ROM (Bootloader0 " + p.bootloader0 + "), so the " +
			       "recovery method starts by replacing it, and no boot ROM file was given. Sequans' boot " +
			       "ROM is not shipped with this tool: get it from Pycom's module firmware, then give it " +
			       "as the boot ROM file and check again";
			break;
		case R.RECOVERY_NO_UPDATER:
			text = "the modem is in recovery mode (0): it needs updater.elf with a full (not " +
			       "differential) image: give NAME-BUILD.dup and updater.elf";
			break;
		case R.RECOVERY_DIFF:
			text = "the modem is in recovery mode (0) and '" + fw + "' is a differential image: " +
			       "recovery needs a full image (NAME-BUILD.dup) with updater.elf";
			break;
		case R.MTOOLS_UPDATER:
			text = "the modem is in mTools mode (1): it takes the .dup alone; check again without updater.elf";
			break;
		case R.BOOTROM_NOT_UPGR:
			text = "'" + files[2].name + "' is not a boot ROM: a boot ROM image starts with the magic " +
			       "UPGR. Give the raw boot ROM, or Pycom's sqnsbr.py or sqnsbrz.py";
			break;
		case R.FIRMWARE_IS_ZIP:
		case R.FIRMWARE_IS_COMPRESSED:
		case R.FIRMWARE_IS_TAR:
			text = "'" + fw + "' is an archive, not a firmware image: unpack it and give the .dup " +
			       "file it holds, such as CATM1-39529.dup";
			break;
		case R.FIRMWARE_IS_HTML:
		case R.FIRMWARE_IS_TEXT:
			text = "'" + fw + "' is a web page or a text file, not a firmware image: download the " +
			       ".dup file itself again";
			break;
		case R.FIRMWARE_IS_BOOTROM:
			text = "'" + fw + "' is the boot ROM (it starts with UPGR), not a firmware image: give " +
			       "it as the boot ROM file, and the .dup as the firmware";
			break;
		case R.PART2_WRONG_BASE:
			text = "'" + fw + "' is part 2 of a two-part release: it applies to the intermediate build " +
			       p.target.from + " that part 1 leaves, and the modem runs build " + p.running_build +
			       ". Send part 1 first";
			break;
		default:
			text = "refused";
		}
		sayErr("Refused: " + text);
		if (modemSeen)
			sayErr("Nothing was changed on the modem.");
		showResult("refused", "Refused before anything was sent: see the messages above.");
	}

	/* format_duration */
	function duration(seconds) {
		if (seconds < 120)
			return seconds + " s";
		if (seconds % 60 === 0)
			return seconds / 60 + " minutes";
		return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
	}

	/* explain_silence */
	function explainSilence(err, stallMs) {
		const silent = view.total && view.done < view.total ? performance.now() - view.lastMs : 0;
		if (err !== K.err.TIMEOUT || silent < 1000)
			return false;
		if (stallMs && silent + 1000 >= stallMs) {
			sayErr("The modem stayed silent for " + duration(Math.round(stallMs / 1000)) + " in one " +
			       "exchange of the transfer, retries included: past that limit (5 minutes) a modem has hung.");
			return true;
		}
		sayErr("The modem stayed silent for " + duration(Math.floor(silent / 1000)) + " in one " +
		       "exchange of the transfer, retries included.");
		return false;
	}

	/* explain_failure: the modem's state and what finishes the job. */
	function explainFailure(err, files) {
		const r = result();
		const S = K.stage;
		sayErr("upgrade failed: " + strerror(err) + ".");
		if (err === K.err.IO)
			sayErr("port '" + portName(port) + "' failed: " + (link && link.failed ? link.failed : "lost") +
			       " (unplugged?)");
		const hung = explainSilence(err, r.stall_ms);
		let state, next;
		switch (r.stage) {
		case S.UNTOUCHED:
			state = "The modem was not changed: it still runs its old firmware.";
			sayErr(state);
			if (err === K.err.NO_MODEM)
				sayErr("no modem answered AT on '" + portName(port) + "' at " + r.baud + " baud. Check " +
				       "the port and the rate; if it still does not answer, power-cycle the board " +
				       "(disconnect power: the reset button is not enough) and try again.");
			next = "To try again: " + AGAIN + ".";
			sayErr(next);
			return showResult("failed", state + " " + next);
		case S.RECOVERY:
			state = "The modem is in recovery mode (0) and has no working firmware; it needs " +
				"updater.elf and a full image.";
			sayErr(state);
			if (!files[1] || r.plan.target.differential) {
				next = "To finish: give NAME-BUILD.dup and updater.elf, then check and upgrade again.";
				sayErr(next);
				return showResult("failed", state + " " + next);
			}
			break;
		case S.UPGRADE_MODE:
			state = "The modem is in upgrade mode (4) and waits for a firmware image; it will not work " +
				"as a modem until the upgrade is finished.";
			sayErr(state);
			break;
		case S.TRANSFERRED:
			if (err === K.err.REJECTED) {
				state = "The modem refused '" + files[0].name + "' (a differential image made for another " +
					"build, or a damaged file) and stays in upgrade mode (4) until it gets a good one.";
				next = "Send a full image (NAME-BUILD.dup): choose it as the firmware image, then check " +
				       "and upgrade again.";
				sayErr(state + " " + next);
				return showResult("failed", state + " " + next);
			}
			state = "The whole image was sent; the modem was checking or applying it and may be in " +
				"upgrade mode (4).";
			sayErr(state);
			break;
		case S.DONE:
			if (err === K.err.VERIFY)
				state = "The modem runs build " + r.plan.running_build + ", not build " +
					r.plan.target.build + " named by '" + files[0].name + "'.";
			else if (r.plan.bootrom_pending)
				state = "The new firmware is installed and runs; sending the boot ROM again failed, so " +
					"Bootloader0 still reads " + K.factory_bootloader0 + " (the factory's). To finish: " +
					"power-cycle the board if the modem does not answer (disconnect power; the reset " +
					"button is not enough), then " + AGAIN + ".";
			else
				state = "The new firmware is installed; only the final steps failed.";
			sayErr(state);
			return showResult("failed", state);
		}
		next = "To finish: power-cycle the board" + (hung ? "" : " if the modem does not answer") +
		       " (disconnect power; the reset button is not enough), then " + AGAIN + ".";
		sayErr(next);
		showResult("failed", state + " " + next);
	}

	/* transfer_seconds */
	const transferSeconds = (bytes, rate) => bytes * 10 / rate * 1.035;

	/* print_plan and print_bootrom_only */
	function planText(files, baud) {
		const r = result();
		const p = r.plan;
		const [fw, upd, rom] = files;
		const lines = ["Plan (dry run: nothing on the modem was changed):"];
		let m = "  modem: " + modeName(p.mode) + " mode (" + p.mode + ") at " + p.rate + " baud";
		if (p.running_build)
			m += ", running build " + p.running_build + ", boot ROM " + p.bootloader0;
		lines.push(m);
		if (p.bootrom_only) {
			lines.push("  1. only the boot ROM, stored (FFF): the modem already runs build " +
				   p.running_build + " and Bootloader0 still reads " + p.bootloader0);
			lines.push("  2. boot ROM: send " + rom.name + " (" + rom.size + " bytes) by FFF, apply it, " +
				   "verify Bootloader0");
			lines.push("  estimated transfer time at " + baud + " baud: " +
				   Math.round(transferSeconds(rom.size, baud)) + " s");
			return lines.join("\n");
		}
		let step = 1, secs = 0;
		if (p.bootrom_step) {
			lines.push("  " + step++ + ". boot ROM: send " + rom.name + " (" + rom.size + " bytes) " +
				   "ON_THE_FLY after a reboot into upgrade mode, then reboot into recovery mode");
			secs += transferSeconds(rom.size, baud);
		}
		if (p.recovery_step)
			lines.push("  " + step++ + ". reboot into recovery mode");
		if (p.updater_step) {
			lines.push("  " + step++ + ". updater: negotiate 115200 -> " + baud + " baud, send " +
				   upd.name + " (" + upd.size + " bytes), wait for upgrade mode");
			secs += transferSeconds(upd.size, baud);
		}
		lines.push("  " + step++ + ". firmware: send " + fw.name + " (" + fw.size + " bytes, " +
			   (p.target.differential ? "differential" : "full image") +
			   (p.target_known ? "" : ", build not named by the file") + ") " +
			   (p.fff ? "by FFF, then apply" : "ON_THE_FLY") +
			   (p.mode === 2 && !p.fff && !p.updater_step ? " after a reboot into upgrade mode" : ""));
		secs += transferSeconds(fw.size, baud);
		if (p.target_known)
			lines.push("  " + step++ + ". reboot into application mode, verify build " + p.target.build);
		else
			lines.push("  " + step++ + ". reboot into application mode");
		const factory = p.bootrom_step || p.bootloader0 === K.factory_bootloader0 || !p.bootloader0;
		if (rom && factory)
			lines.push("  " + step + ". then, if Bootloader0 still reads " + K.factory_bootloader0 +
				   ": the boot ROM again, stored (FFF), " + rom.name + " (" + rom.size + " bytes)");
		else if (p.bootloader0 === K.factory_bootloader0)
			lines.push("  (Bootloader0 reads " + p.bootloader0 + " and no boot ROM file is given: it will " +
				   "stay the factory's)");
		lines.push("  estimated transfer time at " + baud + " baud: " + Math.round(secs) + " s");
		return lines.join("\n");
	}

	/* bootrom_result */
	function bootromResult(files) {
		const r = result();
		const p = r.plan;
		if (p.bootrom_again && !p.bootrom_pending && p.bootloader0_after)
			say("Verified: boot ROM (Bootloader0) now build " + p.bootloader0_after);
		if (!p.bootrom_pending)
			return null;
		const w = "warning: " + (r.stage === K.stage.DONE ? "the upgrade worked and " : "") +
			  "the modem runs build " + p.running_build + ", but its boot ROM (Bootloader0) still " +
			  "reads " + (p.bootloader0_after || K.factory_bootloader0) + ", the factory's" +
			  (files[2] ? " even after it was sent again" : "") + ". To finish, give the boot ROM " +
			  "(Pycom's sqnsbr.py, sqnsbrz.py or the raw image) as the boot ROM file, then check " +
			  "and upgrade again.";
		sayErr(w);
		return w;
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
		engine.files = files;
	}

	async function runCore(dryRun, opts) {
		view = newView();
		abort = false;
		/* The core starts every run at the application rate, as a newly opened port is. */
		if (link.baud !== opts.baud && (await link.setRate(opts.baud)) !== 0)
			return K.err.IO;
		engine.port = link;
		say("<<< Welcome to the SQN3330 firmware updater >>>");
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
			setFiles(files);
			/* Every check the files allow, before the port is even opened (cmd_run). */
			const c = await engine.ccall("sqnsweb_check", "number", ["number", "number"],
						      [opts.fff, opts.force], { async: true });
			if (c === K.err.REFUSED) {
				const info = JSON.parse(engine.ccall("sqnsweb_parse_name", "string", ["string"],
								     [files[0].name]));
				refusal(files, engine._sqnsweb_file_refusal(), { target: info }, false);
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
				refusal(files, result().refusal, result().plan, true);
				await closeLink();
				return;
			}
			if (r !== K.err.OK) {
				explainFailure(r, files);
				await closeLink();
				return;
			}
			/*
			 * The plan is shown whenever the core made one (SQNS_PHASE_PLAN), in
			 * recovery mode too, whose stage is RECOVERY rather than UNTOUCHED.
			 */
			if (view.planReady) {
				$("plan-text").textContent = planText(files, opts.baud);
				$("plan-text").hidden = false;
				logLine("[page] " + $("plan-text").textContent.replace(/\n/g, "\n[page] "));
				$("confirm").hidden = false;
				planned = { files, opts };
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
				refusal(files, result().refusal, result().plan, true);
			} else if (r !== K.err.OK) {
				explainFailure(r, files);
			} else if (result().stage !== K.stage.DONE) {
				const w = bootromResult(files);
				showResult(w ? "warning" : "ok", w || "Nothing to do: the modem already runs this build.");
			} else {
				say("Here's the current firmware version:\n");
				say(engine.UTF8ToString(engine._sqnsweb_showver()).replace(/\n$/, ""));
				const p = result().plan;
				let verdict;
				if (p.target_known)
					verdict = "Verified: modem now runs build " + p.running_build;
				else
					verdict = "Not verified: the name '" + files[0].name + "' does not say which " +
						  "build it installs";
				say(verdict);
				const w = bootromResult(files);
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
			readImage: async (which, offset, len) => {
				const f = engine.files && engine.files[which];
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
