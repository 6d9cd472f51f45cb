/* SPDX-License-Identifier: MIT */
/*
 * Test-only: a SerialPort over a WebSocket to tests/web/bridge.py, which carries
 * the bytes onto sqnsim's pty. Injected by the test before the page loads
 * (page.addInitScript) in place of navigator.serial; the page's code is the same
 * as with a real port. open({baudRate}) opens a WebSocket and tells the bridge the
 * rate, which it sets on the pty; close() closes it. When the bridge loses the
 * pty, the streams fail as a real port's do when its USB adapter goes away.
 */
(() => {
	class WsSerialPort {
		constructor() {
			this.readable = null;
			this.writable = null;
			this.ws = null;
		}

		getInfo() {
			return { usbVendorId: 0x0403, usbProductId: 0x6001 };
		}

		open(options) {
			if (this.ws)
				return Promise.reject(new DOMException("The port is already open.", "InvalidStateError"));
			const baud = options && options.baudRate;
			return new Promise((resolve, reject) => {
				const ws = new WebSocket("ws://" + location.host + "/ws");
				ws.binaryType = "arraybuffer";
				let opened = false;
				let controller = null;
				ws.onopen = () => ws.send(JSON.stringify({ baud }));
				ws.onmessage = (m) => {
					if (typeof m.data === "string") {
						if (m.data === "open") {
							opened = true;
							resolve();
						} else {
							reject(new DOMException("Failed to open serial port: " + m.data,
										"NetworkError"));
						}
						return;
					}
					if (controller)
						controller.enqueue(new Uint8Array(m.data));
				};
				ws.onclose = () => {
					if (!opened)
						reject(new DOMException("Failed to open serial port.", "NetworkError"));
					if (controller && !this.closing) {
						controller.error(new DOMException("The device has been lost.", "NetworkError"));
						controller = null;
					}
					this.lost = !this.closing;
				};
				this.ws = ws;
				this.closing = false;
				this.readable = new ReadableStream({
					start: (c) => { controller = c; },
					cancel: () => { controller = null; },
				});
				this.writable = new WritableStream({
					write: (chunk) => {
						if (ws.readyState !== WebSocket.OPEN)
							throw new DOMException("The device has been lost.", "NetworkError");
						ws.send(chunk);
					},
				});
			});
		}

		async close() {
			const ws = this.ws;
			if (!ws)
				throw new DOMException("The port is already closed.", "InvalidStateError");
			this.closing = true;
			this.ws = null;
			this.readable = null;
			this.writable = null;
			if (ws.readyState !== WebSocket.CLOSED) {
				await new Promise((resolve) => {
					ws.addEventListener("close", resolve);
					ws.close();
				});
			}
		}
	}

	const serial = {
		requests: [],
		async requestPort(options) {
			serial.requests.push(options || {});
			return new WsSerialPort();
		},
		async getPorts() {
			return [];
		},
		addEventListener() {},
		removeEventListener() {},
	};
	Object.defineProperty(Navigator.prototype, "serial", { get: () => serial, configurable: true });
})();
