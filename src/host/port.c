/*
 * Ports by name (sqnsupgrade_host.h): a serial device through posix_serial,
 * or socket://HOST:PORT through tcp; and the bridge of mirror mode, the one
 * loop that copies bytes between two of them.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host.h"
#include "posix_serial.h"
#include "tcp.h"

#define DEFAULT_BAUD 921600u
#define DEFAULT_CONNECT_MS 5000u
#define BRIDGE_POLL_MS 200 /* should_stop is asked at least this often */

struct sqns_port {
	bool is_tcp;
	uint32_t baud; /* the rate it was opened at (serial) */
	struct posix_serial serial;
	struct tcp_port tcp;
};

/* getaddrinfo's failures as errno values (sqns_port_open's contract has errno only). */
static int gai_errno(int g)
{
	switch (g) {
	case EAI_NONAME:
	case EAI_SERVICE:
	case EAI_FAIL:
		return ENOENT; /* the name does not resolve */
	case EAI_AGAIN:
		return EAGAIN;
	case EAI_MEMORY:
		return ENOMEM;
	case EAI_SYSTEM:
		return errno;
	default:
		return EINVAL;
	}
}

static int open_tcp(const char *name, uint32_t connect_ms, struct tcp_port *tcp)
{
	char buf[512];
	const char *host, *service;
	tcp_parse_url(name, buf, sizeof buf, &host, &service);
	if (!*host || !*service) {
		errno = EINVAL;
		return SQNS_ERR_ARG;
	}
	if (tcp_port_open(tcp, host, service, connect_ms) != SQNS_OK) {
		errno = tcp->gai_error ? gai_errno(tcp->gai_error) : tcp->os_errno;
		return SQNS_ERR_IO;
	}
	return SQNS_OK;
}

int host_port_open_parts(const char *name, const struct sqns_port_opts *opts,
			 struct posix_serial *serial, struct tcp_port *tcp, bool *is_tcp)
{
	struct sqns_port_opts o = opts ? *opts : (struct sqns_port_opts){0};
	serial->fd = -1;
	tcp->fd = -1;
	*is_tcp = false;
	if (!name || !*name) {
		errno = EINVAL;
		return SQNS_ERR_ARG;
	}
	if (strncmp(name, "socket://", 9) == 0) {
		*is_tcp = true;
		return open_tcp(name, o.connect_ms ? o.connect_ms : DEFAULT_CONNECT_MS, tcp);
	}
	int r = posix_serial_open(serial, name, o.baud ? o.baud : DEFAULT_BAUD, o.rtscts);
	if (r != SQNS_OK)
		errno = serial->os_errno;
	return r;
}

void host_port_config_parts(bool is_tcp, struct posix_serial *serial, struct tcp_port *tcp,
			    struct sqns_config *cfg)
{
	cfg->ops = is_tcp ? &tcp_port_ops : &posix_serial_ops;
	cfg->port = is_tcp ? (void *)tcp : (void *)serial;
}

struct sqns_port *sqns_port_open(const char *name, const struct sqns_port_opts *opts, int *err)
{
	struct sqns_port *p = calloc(1, sizeof *p);
	int r = p ? host_port_open_parts(name, opts, &p->serial, &p->tcp, &p->is_tcp) : SQNS_ERR_IO;
	if (err)
		*err = r;
	if (r == SQNS_OK) {
		p->baud = opts && opts->baud ? opts->baud : DEFAULT_BAUD;
		return p;
	}
	int e = p ? errno : ENOMEM;
	free(p);
	errno = e;
	return NULL;
}

void sqns_port_config(struct sqns_port *port, struct sqns_config *cfg)
{
	host_port_config_parts(port->is_tcp, &port->serial, &port->tcp, cfg);
	if (!cfg->baud && !port->is_tcp)
		cfg->baud = port->baud;
}

bool sqns_port_is_network(const struct sqns_port *port)
{
	return port->is_tcp;
}

int sqns_port_errno(const struct sqns_port *port)
{
	return port->is_tcp ? port->tcp.os_errno : port->serial.os_errno;
}

void sqns_port_close(struct sqns_port *port)
{
	if (!port)
		return;
	if (port->is_tcp)
		tcp_port_close(&port->tcp);
	else
		posix_serial_close(&port->serial);
	free(port);
}

void host_port_hexdump(struct sqns_port *port, FILE *f)
{
	port->serial.hexdump = f;
}

void host_port_counts(const struct sqns_port *port, uint64_t *tx, uint64_t *rx)
{
	*tx = port->is_tcp ? 0 : port->serial.tx_bytes;
	*rx = port->is_tcp ? 0 : port->serial.rx_bytes;
}

/* ---- what to tell a person when sqns_port_open failed ---- */

/* What an OS error means when opening a port; fmt takes the port's name. */
struct errno_words {
	int os_errno;
	const char *fmt;
};

static const struct errno_words serial_words[] = {
    {ENOENT, "port '%s' does not exist: check the cable and the name "
	     "(ls /dev/ttyUSB* /dev/ttyACM*)"},
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
	bool tcp = name && strncmp(name, "socket://", 9) == 0;
	if (!name || !*name)
		snprintf(buf, len, "no port given");
	else if (err == SQNS_ERR_ARG && tcp)
		snprintf(buf, len, "'%s' needs a host and a port: socket://HOST:PORT", name);
	else if (err == SQNS_ERR_ARG)
		snprintf(buf, len, "cannot open port '%s': this system cannot set that rate", name);
	else if (tcp)
		return errno_sentence(tcp_words, "cannot connect to %s: %s", name, os_errno, buf,
				      len);
	else
		return errno_sentence(serial_words, "cannot open port '%s': %s", name, os_errno,
				      buf, len);
	return buf;
}

/* ---- the bridge ---- */

static int port_fd(const struct sqns_port *p)
{
	return p->is_tcp ? p->tcp.fd : p->serial.fd;
}

static ssize_t port_write_some(const struct sqns_port *p, const unsigned char *buf, size_t len)
{
	/* A socket whose peer left must fail with EPIPE, not raise SIGPIPE. */
	if (p->is_tcp)
		return send(p->tcp.fd, buf, len, MSG_NOSIGNAL);
	return write(p->serial.fd, buf, len);
}

enum copied { COPIED, STOPPED, FAILED };

/* Write all of buf to `to` (non-blocking), asking should_stop while it waits. */
static enum copied write_all(struct sqns_port *to, const unsigned char *buf, size_t len,
			     bool (*should_stop)(void *user), void *user)
{
	while (len > 0) {
		ssize_t w = port_write_some(to, buf, len);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return FAILED;
		if (should_stop && should_stop(user))
			return STOPPED;
		struct pollfd p = {.fd = port_fd(to), .events = POLLOUT};
		if (poll(&p, 1, BRIDGE_POLL_MS) < 0 && errno != EINTR)
			return FAILED;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			errno = EPIPE;
			return FAILED;
		}
	}
	return COPIED;
}

/* The side that ended the bridge: SQNS_OK when it closed (end of file, hang-up), else IO. */
static int ended(struct host_bridge_result *res, int side, bool closed)
{
	res->closed = side;
	res->os_errno = closed ? 0 : errno;
	return closed ? SQNS_OK : SQNS_ERR_IO;
}

/* One read from side i copied to the other; -1 to go on, else the bridge's result. */
static int pump(struct sqns_port *ports[2], int i, short revents, bool (*should_stop)(void *),
		void *user, struct host_bridge_result *res)
{
	unsigned char buf[8192];
	ssize_t n = read(port_fd(ports[i]), buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	/* A tty whose other end hung up reads EIO: that is a close too. */
	if (n <= 0)
		return ended(res, i, n == 0 || (revents & POLLHUP));
	res->in[i] += (uint64_t)n;
	enum copied c = write_all(ports[1 - i], buf, (size_t)n, should_stop, user);
	if (c == STOPPED)
		return SQNS_OK;
	return c == COPIED ? -1 : ended(res, 1 - i, errno == EPIPE || errno == ECONNRESET);
}

int host_port_bridge(struct sqns_port *a, struct sqns_port *b, bool (*should_stop)(void *user),
		     void *user, struct host_bridge_result *res)
{
	struct sqns_port *ports[2] = {a, b};
	*res = (struct host_bridge_result){.closed = -1};
	while (!should_stop || !should_stop(user)) {
		struct pollfd p[2] = {{.fd = port_fd(a), .events = POLLIN},
				      {.fd = port_fd(b), .events = POLLIN}};
		if (poll(p, 2, BRIDGE_POLL_MS) < 0) {
			if (errno == EINTR)
				continue;
			res->os_errno = errno;
			return SQNS_ERR_IO;
		}
		for (int i = 0; i < 2; i++) {
			int r = -1;
			if (p[i].revents & POLLIN)
				r = pump(ports, i, p[i].revents, should_stop, user, res);
			else if (p[i].revents & POLLHUP)
				r = ended(res, i, true);
			else if (p[i].revents & (POLLERR | POLLNVAL)) {
				errno = EIO;
				r = ended(res, i, false);
			}
			if (r != -1)
				return r;
		}
	}
	return SQNS_OK;
}

int sqns_port_bridge(struct sqns_port *a, struct sqns_port *b, bool (*should_stop)(void *user),
		     void *user)
{
	struct host_bridge_result res;
	int r = host_port_bridge(a, b, should_stop, user, &res);
	if (r != SQNS_OK)
		errno = res.os_errno;
	return r;
}
