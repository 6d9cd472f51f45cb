/* SPDX-License-Identifier: MIT */
/*
 * Ports by name (sqnsupgrade_host.h): a port is a backend (src/port/backend.h:
 * the serial device or the socket:// serial server) and what every backend
 * shares, done here once: the kind chosen by name, the defaults, the words
 * for a failed open, byte counts, the trace hook. The bridge of mirror mode
 * is the system's (bridge_posix.c, bridge_win.c). The core sees the port
 * through the ops below, which call the backend's.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "host.h"
#include "port_clock.h"
#include "port_impl.h"

#define DEFAULT_BAUD 921600u
#define DEFAULT_CONNECT_MS 5000u

/* What an OS error means when opening a port; fmt takes the port's name. */
struct errno_words {
	int os_errno;
	const char *fmt;
};

#ifdef _WIN32
#define SERIAL_BACKEND win_serial_backend
#define SERIAL_RATE_OK win_serial_rate_ok
#define SERIAL_LISTING "sqnsupgrade list-ports, or the Device Manager's Ports (COM & LPT)"
#else
#define SERIAL_BACKEND posix_serial_backend
#define SERIAL_RATE_OK posix_serial_rate_ok
#define SERIAL_LISTING "ls /dev/ttyUSB* /dev/ttyACM*"
#endif

static const struct errno_words serial_words[] = {
    {ENOENT, "port '%s' does not exist: check the cable and the name (" SERIAL_LISTING ")"},
    {EBUSY, "port '%s' is in use by another program (another sqnsupgrade, a terminal?): close "
	    "it and run this again"},
    {ENOTTY, "'%s' is not a serial port"},
    {EACCES, "no permission to open '%s': add yourself to the 'dialout' group, then log in "
	     "again"},
    {0, NULL},
};

static const struct errno_words tcp_words[] = {
    {ENOENT, "cannot connect to %s: the host or port name is not known"},
    {EAGAIN, "cannot connect to %s: the name does not resolve now; try again"},
    {0, NULL},
};

/* The kinds of port, the first whose prefix starts the name taken; the last takes any. */
static const struct kind {
	const char *prefix;
	const struct host_backend *backend;
	const struct errno_words *words; /* sqns_port_open_error, by errno */
	const char *other;		 /* ... for any other errno: name, the OS's words */
	const char *bad_arg;		 /* ... for SQNS_ERR_ARG: name */
} kinds[] = {
    {"socket://", &tcp_backend, tcp_words, "cannot connect to %s: %s",
     "'%s' needs a host and a port: socket://HOST:PORT"},
    {"", &SERIAL_BACKEND, serial_words, "cannot open port '%s': %s",
     "cannot open port '%s': this system cannot set that rate"},
};

static const struct kind *kind_of(const char *name)
{
	const struct kind *k = kinds;
	while (strncmp(name, k->prefix, strlen(k->prefix)) != 0)
		k++;
	return k;
}

/* ---- the core's ops: the backend's, with the counts and the trace around them ---- */

static int port_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct sqns_port *p = port;
	int n = p->be->read(p->state, buf, len, timeout_ms);
	if (n > 0) {
		p->rx += (uint64_t)n;
		if (p->trace)
			p->trace(p->trace_user, false, buf, (size_t)n);
	}
	return n;
}

static int port_write(void *port, const uint8_t *buf, size_t len)
{
	struct sqns_port *p = port;
	if (p->trace)
		p->trace(p->trace_user, true, buf, len);
	int r = p->be->write(p->state, buf, len);
	if (r == SQNS_OK)
		p->tx += len;
	return r;
}

static int port_set_rate(void *port, uint32_t baud)
{
	struct sqns_port *p = port;
	return p->be->set_rate(p->state, baud);
}

static uint32_t port_now(void *port)
{
	(void)port;
	return port_now_ms();
}

static const struct sqns_port_ops ops_rate = {
    .read = port_read, .write = port_write, .set_rate = port_set_rate, .now_ms = port_now};
static const struct sqns_port_ops ops_fixed = {
    .read = port_read, .write = port_write, .set_rate = NULL, .now_ms = port_now};

/* ---- open, close, and the rest of the API ---- */

struct sqns_port *sqns_port_open(const char *name, const struct sqns_port_opts *opts, int *err)
{
	struct sqns_port_opts o = opts ? *opts : (struct sqns_port_opts){0};
	int r = SQNS_ERR_ARG, e = EINVAL;
	struct sqns_port *p = NULL;
	if (name && *name) {
		const struct host_backend *be = kind_of(name)->backend;
		if (!o.baud)
			o.baud = DEFAULT_BAUD;
		if (!o.connect_ms)
			o.connect_ms = DEFAULT_CONNECT_MS;
		p = calloc(1, sizeof *p);
		void *state = p ? calloc(1, be->size) : NULL;
		if (state) {
			*p = (struct sqns_port){.be = be, .state = state};
			p->baud = be->set_rate ? o.baud : 0;
			r = be->open(state, name, &o);
			e = errno;
		} else {
			r = SQNS_ERR_IO;
			e = ENOMEM;
		}
	}
	if (err)
		*err = r;
	if (r == SQNS_OK)
		return p;
	if (p)
		free(p->state);
	free(p);
	errno = e;
	return NULL;
}

void sqns_port_config(struct sqns_port *port, struct sqns_config *cfg)
{
	cfg->ops = port->be->set_rate ? &ops_rate : &ops_fixed;
	cfg->port = port;
	if (!cfg->baud && port->baud)
		cfg->baud = port->baud;
}

bool sqns_port_is_network(const struct sqns_port *port)
{
	return !port->be->set_rate;
}

int sqns_port_errno(const struct sqns_port *port)
{
	return port->be->os_errno(port->state);
}

void sqns_port_counts(const struct sqns_port *port, uint64_t *tx, uint64_t *rx)
{
	*tx = port->tx;
	*rx = port->rx;
}

void sqns_port_trace(struct sqns_port *port, sqns_trace_fn fn, void *user)
{
	port->trace = fn;
	port->trace_user = user;
}

int sqns_port_keep_lines(struct sqns_port *port)
{
	if (!port->be->keep_lines)
		return SQNS_ERR_UNSUPPORTED;
	int r = port->be->keep_lines(port->state);
	if (r != SQNS_OK)
		errno = port->be->os_errno(port->state);
	return r;
}

bool sqns_port_rate_ok(uint32_t baud)
{
	return SERIAL_RATE_OK(baud);
}

uint32_t sqns_host_now_ms(void)
{
	return port_now_ms();
}

void sqns_port_close(struct sqns_port *port)
{
	if (!port)
		return;
	port->be->close(port->state);
	free(port->state);
	free(port);
}

/* ---- what to tell a person when sqns_port_open failed ---- */

/* The words for e from the table, else `other` (name, then the OS's own words). */
static const char *errno_sentence(const struct errno_words *w, const char *other, const char *name,
				  int e, char *buf, size_t len)
{
	for (; w->fmt; w++) {
		if (w->os_errno == e) {
			snprintf(buf, len, w->fmt, name);
			return buf;
		}
	}
	char os[128];
	snprintf(buf, len, other, name, host_strerror(e, os, sizeof os));
	return buf;
}

const char *sqns_port_open_error(const char *name, int err, int os_errno, char *buf, size_t len)
{
	if (!name || !*name) {
		snprintf(buf, len, "no port given");
		return buf;
	}
	const struct kind *k = kind_of(name);
	if (err == SQNS_ERR_ARG) {
		snprintf(buf, len, k->bad_arg, name);
		return buf;
	}
	return errno_sentence(k->words, k->other, name, os_errno, buf, len);
}

int sqns_port_bridge(struct sqns_port *a, struct sqns_port *b, bool (*should_stop)(void *user),
		     void *user)
{
	struct sqns_bridge_result res;
	int r = sqns_port_bridge_report(a, b, should_stop, user, &res);
	if (r != SQNS_OK)
		errno = res.os_errno;
	return r;
}
