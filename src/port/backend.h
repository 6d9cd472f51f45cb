/* SPDX-License-Identifier: MIT */
/*
 * One kind of host port behind one table, as libmodbus puts RTU and TCP
 * behind its modbus_backend_t: what differs between a serial device and a
 * socket:// serial server, on POSIX (posix_serial.c, tcp.c) or Windows
 * (win_serial.c, win_tcp.c). src/host/port.c holds a port of either kind and
 * does, once for both, what does not differ: choosing the kind by name, the
 * defaults, byte counts, the trace hook (--pkgdebug's hex dump); the bridge is
 * bridge_posix.c or bridge_win.c. A backend has no logging of its own.
 */
#ifndef SQNS_BACKEND_H
#define SQNS_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sqnsupgrade_host.h"

struct host_backend {
	const char *name; /* "serial", "tcp": for messages and tests */
	size_t size;	  /* of the backend's state, which the port allocates zeroed */
	/*
	 * Open `name` (the whole name, e.g. "socket://host:2000") into state with
	 * opts (defaults filled in). SQNS_OK, or SQNS_ERR_ARG / SQNS_ERR_IO with
	 * errno set as sqns_port_open documents.
	 */
	int (*open)(void *state, const char *name, const struct sqns_port_opts *opts);
	void (*close)(void *state);
	/* The core's port ops (struct sqns_port_ops), on the state. */
	int (*read)(void *state, uint8_t *buf, size_t len, uint32_t timeout_ms);
	int (*write)(void *state, const uint8_t *buf, size_t len);
	int (*set_rate)(void *state, uint32_t baud); /* NULL: the rate is not ours to change */
	/* Closing leaves the modem lines (DTR/RTS) up; NULL: there are none. */
	int (*keep_lines)(void *state);
	/* The OS error of the last failure, 0 when none. */
	int (*os_errno)(const void *state);
	/*
	 * The POSIX bridge's (bridge_posix.c): the descriptor to poll, one
	 * non-blocking write (no SIGPIPE). NULL on Windows, whose bridge uses read and
	 * write (bridge_win.c).
	 */
	int (*fd)(const void *state);
	ssize_t (*write_some)(void *state, const uint8_t *buf, size_t len);
};

#ifdef _WIN32
extern const struct host_backend win_serial_backend; /* win_serial.c */
extern const struct host_backend tcp_backend;	     /* win_tcp.c */
/* True when `baud` may be asked of a COM port (the driver has the last word). */
bool win_serial_rate_ok(uint32_t baud);
#else
extern const struct host_backend posix_serial_backend; /* posix_serial.c */
extern const struct host_backend tcp_backend;	       /* tcp.c */
/* True when `baud` is a rate termios can set here (posix_serial.c). */
bool posix_serial_rate_ok(uint32_t baud);
#endif

#endif
