#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Test-only: serves web/dist and carries a WebSocket onto sqnsim's pseudo-terminal.

    bridge.py --root web/dist --link /tmp/x/ttySIM

Listens on 127.0.0.1 only (port chosen by the OS) and prints one line,
`bridge: ready http://127.0.0.1:PORT/`, then serves until SIGTERM. The page and
the WebSocket share the origin, so the page's Content-Security-Policy
(connect-src 'self') holds in the tests too.

/ws: each WebSocket connection is one opening of the serial port. Its first
message is text, {"baud": N}: the bridge opens the pty, sets it raw at N baud
with termios (sqnsim reads the host's rate from the pty, so its rate model
holds), answers the text "open", then copies binary messages to the pty and the
pty's bytes back as binary messages. When the pty fails (the simulator vanished)
the bridge closes the WebSocket, as an unplugged USB adapter ends a Web Serial
port's streams. Standard library only.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import select
import signal
import socket
import struct
import sys
import termios
import threading
import tty

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
RATES = {r: getattr(termios, "B%d" % r) for r in (9600, 19200, 38400, 57600, 115200, 230400,
                                                  460800, 921600, 1000000, 2000000, 3000000,
                                                  4000000) if hasattr(termios, "B%d" % r)}


class WebSocket:
    """The server side of RFC 6455, enough for one browser peer."""

    def __init__(self, sock, rfile):
        self.sock = sock
        self.rfile = rfile
        self.lock = threading.Lock()
        self.closed = False

    def recv(self):
        """(opcode, payload), or (None, b'') at the end."""
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return None, b""
            op = head[0] & 0x0F
            n = head[1] & 0x7F
            if n == 126:
                n = struct.unpack(">H", self.rfile.read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytearray(self.rfile.read(n))
            if len(data) < n:
                return None, b""
            for i in range(n):
                data[i] ^= mask[i & 3]
            if op == 9:  # ping
                self.send(bytes(data), 10)
                continue
            if op == 10:
                continue
            if op == 8:
                return None, b""
            return op, bytes(data)

    def send(self, data, op=2):
        n = len(data)
        if n < 126:
            head = struct.pack(">BB", 0x80 | op, n)
        elif n < 65536:
            head = struct.pack(">BBH", 0x80 | op, 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | op, 127, n)
        with self.lock:
            if self.closed:
                return
            try:
                self.sock.sendall(head + data)
            except OSError:
                self.closed = True

    def close(self):
        self.send(struct.pack(">H", 1001), 8)
        with self.lock:
            self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def open_pty(path, baud):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    attrs = termios.tcgetattr(fd)
    attrs[4] = attrs[5] = RATES[baud]
    termios.tcsetattr(fd, termios.TCSANOW, attrs)
    return fd


class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("bridge: " + fmt % args + "\n")

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        if self.path != "/ws" or self.headers.get("Upgrade", "").lower() != "websocket":
            return super().do_GET()
        key = self.headers["Sec-WebSocket-Key"].encode()
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
        self.send_response_only(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        http.server.BaseHTTPRequestHandler.end_headers(self)
        self.wfile.flush()
        self.close_connection = True
        self.relay(WebSocket(self.connection, self.rfile))

    def relay(self, ws):
        op, data = ws.recv()
        if op != 1:
            return ws.close()
        baud = int(json.loads(data)["baud"])
        try:
            fd = open_pty(self.server.link, baud)
        except (OSError, KeyError) as e:
            ws.send(("error " + str(e)).encode(), 1)
            return ws.close()
        self.server.count("opens")
        self.server.note("open %d" % baud)
        ws.send(b"open", 1)
        done = threading.Event()
        wake_r, wake_w = os.pipe()  # the page closed the port: wakes the reader

        def pty_to_ws():
            while not done.is_set():
                ready, _, _ = select.select([fd, wake_r], [], [])
                if wake_r in ready:
                    break
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                self.server.count("rx", len(chunk))
                ws.send(chunk)
            if not done.is_set():  # the pty failed, not the page: the port is lost
                self.server.note("pty lost")
                ws.close()

        reader = threading.Thread(target=pty_to_ws, daemon=True)
        reader.start()
        try:
            while True:
                op, data = ws.recv()
                if op is None:
                    break
                if op == 2 and data:
                    self.server.count("tx", len(data))
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
        except OSError:
            pass
        finally:
            done.set()
            os.write(wake_w, b"x")
            reader.join()
            os.close(fd)
            os.close(wake_r)
            os.close(wake_w)
            self.server.note("close")
            ws.close()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, link, root, verbose):
        self.link = link
        self.verbose = verbose
        self.counts = {"opens": 0, "tx": 0, "rx": 0}
        self.counts_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0),
                         lambda *a, **k: Handler(*a, directory=root, **k))

    def count(self, key, n=1):
        with self.counts_lock:
            self.counts[key] += n

    def note(self, what):
        with self.counts_lock:
            print("bridge: %s %s" % (what, json.dumps(self.counts)), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--link", required=True)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    srv = Server(a.link, a.root, a.verbose)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    print("bridge: ready http://127.0.0.1:%d/" % srv.server_address[1], flush=True)
    srv.serve_forever()
    srv.note("stop")


if __name__ == "__main__":
    main()
