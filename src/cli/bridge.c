/* `sqnsupgrade bridge PORT_A PORT_B`: bytes both ways until a side closes or Ctrl-C. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct end {
	const char *name;
	uint32_t baud;
	struct posix_serial serial;
	struct tcp_port tcp;
	bool is_tcp;
	int fd;
	uint64_t bytes_in; /* read from this side */
};

static int open_end(struct end *e, bool rtscts, FILE *err)
{
	char buf[512];
	const char *host, *service;
	e->serial.fd = -1;
	e->tcp.fd = -1;
	if (tcp_parse_url(e->name, buf, sizeof buf, &host, &service)) {
		if (!*host || !*service) {
			fprintf(err,
				"sqnsupgrade: '%s' needs a host and a port: socket://HOST:PORT\n",
				e->name);
			return EXIT_USAGE;
		}
		if (tcp_port_open(&e->tcp, host, service, 5000) != SQNS_OK) {
			fprintf(err, "sqnsupgrade: cannot connect to %s: %s\n", e->name,
				e->tcp.gai_error ? gai_strerror(e->tcp.gai_error)
						 : strerror(e->tcp.os_errno));
			return EXIT_PORT;
		}
		e->is_tcp = true;
		e->fd = e->tcp.fd;
		return -1;
	}
	if (posix_serial_open(&e->serial, e->name, e->baud, rtscts) != SQNS_OK) {
		int en = e->serial.os_errno;
		fprintf(err, "sqnsupgrade: cannot open port '%s': %s\n", e->name,
			en == EWOULDBLOCK ? "in use by another program" : strerror(en));
		return EXIT_PORT;
	}
	e->fd = e->serial.fd;
	return -1;
}

static void close_end(struct end *e)
{
	if (e->is_tcp)
		tcp_port_close(&e->tcp);
	else if (e->serial.fd >= 0)
		posix_serial_close(&e->serial);
}

/* Write all of buf to fd (non-blocking): false when the side is gone or on Ctrl-C. */
static bool write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (cli_should_abort(NULL))
			return false;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return false;
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL))
			return false;
	}
	return true;
}

/* One read from `from` copied to `to`; false when `from` closed or failed. */
static bool pump(struct end *from, struct end *to, const char **why)
{
	unsigned char buf[8192];
	ssize_t n = read(from->fd, buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		*why = from->name;
		return false;
	}
	from->bytes_in += (uint64_t)n;
	if (!write_all(to->fd, buf, (size_t)n)) {
		*why = to->name;
		return false;
	}
	return true;
}

int cmd_bridge(struct session *s)
{
	struct cli *c = s->cli;
	struct end ends[2] = {
	    {.name = c->args[0], .baud = c->baud_a ? c->baud_a : c->baud},
	    {.name = c->args[1], .baud = c->baud_b ? c->baud_b : c->baud},
	};
	int status = open_end(&ends[0], c->rtscts, s->out.err);
	if (status >= 0)
		return status;
	if ((status = open_end(&ends[1], c->rtscts, s->out.err)) >= 0) {
		close_end(&ends[0]);
		return status;
	}
	if (!c->quiet) {
		fprintf(s->out.err,
			"sqnsupgrade: bridging %s (%u baud) and %s (%u baud); Ctrl-C stops\n",
			ends[0].name, ends[0].baud, ends[1].name, ends[1].baud);
		fflush(s->out.err);
	}
	const char *closed = NULL;
	while (!closed && !cli_should_abort(NULL)) {
		struct pollfd p[2] = {{.fd = ends[0].fd, .events = POLLIN},
				      {.fd = ends[1].fd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(s->out.err, "sqnsupgrade: bridge: %s\n", strerror(errno));
			status = EXIT_FAIL;
			break;
		}
		for (int i = 0; i < 2 && !closed; i++) {
			if (p[i].revents & POLLIN) {
				if (!pump(&ends[i], &ends[1 - i], &closed))
					break;
			} else if (p[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
				closed = ends[i].name;
			}
		}
	}
	if (!c->quiet) {
		if (closed)
			fprintf(s->out.err, "sqnsupgrade: %s closed: bridge stopped", closed);
		else
			fprintf(s->out.err, "sqnsupgrade: bridge stopped");
		fprintf(s->out.err, " (%llu bytes %s -> %s, %llu bytes %s -> %s)\n",
			(unsigned long long)ends[0].bytes_in, ends[0].name, ends[1].name,
			(unsigned long long)ends[1].bytes_in, ends[1].name, ends[0].name);
	}
	close_end(&ends[0]);
	close_end(&ends[1]);
	return status < 0 ? EXIT_OK : status;
}
