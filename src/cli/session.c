/* The port and the words for failures, shared by every command. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The port is open: the context is set up with it (the core's cfg is never written later). */
static int attach(struct session *s, const struct sqns_port_ops *ops, void *port)
{
	struct sqns_config cfg = s->ctx.cfg;
	cfg.ops = ops;
	cfg.port = port;
	if (sqns_init(&s->ctx, &cfg) != SQNS_OK) {
		fprintf(s->out.err, "sqnsupgrade: internal error: bad configuration\n");
		return EXIT_FAIL;
	}
	return -1;
}

/* socket://HOST:PORT: a serial server sets the line rate; we cannot. */
static int open_tcp(struct session *s, const char *host, const char *service)
{
	if (!*host || !*service) {
		fprintf(s->out.err,
			"sqnsupgrade: '%s' needs a host and a port: socket://HOST:PORT\n",
			s->cli->port);
		return EXIT_USAGE;
	}
	if (tcp_port_open(&s->tcp, host, service, 5000) != SQNS_OK) {
		fprintf(s->out.err, "sqnsupgrade: cannot connect to %s: %s\n", s->cli->port,
			s->tcp.gai_error ? gai_strerror(s->tcp.gai_error)
					 : strerror(s->tcp.os_errno));
		return EXIT_PORT;
	}
	s->is_tcp = true;
	return attach(s, &tcp_port_ops, &s->tcp);
}

int session_open_port(struct session *s)
{
	struct cli *c = s->cli;
	if (!c->port || !*c->port) {
		fprintf(s->out.err,
			"sqnsupgrade: no port given: use -p PORT (e.g. -p /dev/ttyUSB0) or "
			"set SQNSUPGRADE_PORT\n");
		return EXIT_USAGE;
	}
	char buf[512];
	const char *host, *service;
	if (tcp_parse_url(c->port, buf, sizeof buf, &host, &service))
		return open_tcp(s, host, service);
	if (posix_serial_open(&s->serial, c->port, s->ctx.cfg.baud, c->rtscts) == SQNS_OK)
		return attach(s, &posix_serial_ops, &s->serial);
	int e = s->serial.os_errno;
	if (e == ENOENT)
		fprintf(s->out.err,
			"sqnsupgrade: port '%s' does not exist: check the cable and the name "
			"(ls /dev/ttyUSB* /dev/ttyACM*)\n",
			c->port);
	else if (e == EBUSY)
		fprintf(s->out.err,
			"sqnsupgrade: port '%s' is in use by another program (another sqnsupgrade, "
			"a terminal?): close it and run this again\n",
			c->port);
	else if (e == ENOTTY)
		fprintf(s->out.err, "sqnsupgrade: '%s' is not a serial port\n", c->port);
	else if (e == EACCES)
		fprintf(s->out.err,
			"sqnsupgrade: no permission to open '%s': add yourself to the 'dialout' "
			"group, then log in again\n",
			c->port);
	else
		fprintf(s->out.err, "sqnsupgrade: cannot open port '%s': %s\n", c->port,
			strerror(e));
	return EXIT_PORT;
}

void shell_quote(char *out, size_t len, const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:=",
			    *p))
			plain = false;
	if (plain) {
		snprintf(out, len, "%s", s);
		return;
	}
	size_t n = 0;
	out[n++] = '\'';
	for (const char *p = s; *p && n + 5 < len; p++) {
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *p;
		}
	}
	out[n++] = '\'';
	out[n] = '\0';
}

int exit_for(int err)
{
	switch (err) {
	case SQNS_ERR_NO_MODEM:
		return EXIT_NO_MODEM;
	case SQNS_ERR_PROTOCOL:
	case SQNS_ERR_TIMEOUT:
		return EXIT_TRANSFER;
	case SQNS_ERR_REJECTED:
		return EXIT_REJECTED;
	case SQNS_ERR_ABORTED:
		return EXIT_INTERRUPTED;
	case SQNS_ERR_STATE:
		return EXIT_STATE;
	case SQNS_ERR_IMAGE:
		return EXIT_FILE;
	case SQNS_ERR_REFUSED:
		return EXIT_REFUSED;
	case SQNS_ERR_VERIFY:
		return EXIT_VERIFY;
	case SQNS_ERR_IO:
		return EXIT_PORT;
	default:
		return EXIT_FAIL;
	}
}

void port_error(struct session *s, int err)
{
	if (err == SQNS_ERR_IO && s->is_tcp) {
		fprintf(s->out.err, "sqnsupgrade: connection to '%s' failed: %s\n", s->cli->port,
			strerror(s->tcp.os_errno));
		return;
	}
	if (err == SQNS_ERR_IO)
		fprintf(s->out.err, "sqnsupgrade: port '%s' failed: %s (unplugged?)\n",
			s->cli->port, strerror(s->serial.os_errno));
}

int no_modem(struct session *s)
{
	fprintf(s->out.err,
		"sqnsupgrade: no modem answered AT on '%s' at %u baud. Check the port and the "
		"rate; if it still does not answer, power-cycle the board (disconnect power: the "
		"reset button is not enough) and try again.\n",
		s->cli->port, s->cli->baud);
	return EXIT_NO_MODEM;
}

/* After a failed upgrade: what state the modem is in, and the command that finishes. */

void session_close(struct session *s)
{
	if (s->is_tcp)
		tcp_port_close(&s->tcp);
	else
		posix_serial_close(&s->serial);
}
