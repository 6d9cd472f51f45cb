/* The port and the words for failures, shared by every command. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "host.h"

/* The port is open: the context is set up with it (the core's cfg is never written later). */
static int attach(struct session *s, const struct sqns_config *cfg)
{
	if (sqns_init(&s->ctx, cfg) != SQNS_OK) {
		fprintf(s->out.err, "sqnsupgrade: internal error: bad configuration\n");
		return EXIT_FAIL;
	}
	return -1;
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
	struct sqns_port_opts opts = {.baud = s->ctx.cfg.baud, .rtscts = c->rtscts};
	int r = host_port_open_parts(c->port, &opts, &s->serial, &s->tcp, &s->is_tcp);
	if (r != SQNS_OK) {
		char why[600];
		fprintf(s->out.err, "sqnsupgrade: %s\n",
			sqns_port_open_error(c->port, r, errno, why, sizeof why));
		return r == SQNS_ERR_ARG ? EXIT_USAGE : EXIT_PORT;
	}
	struct sqns_config cfg = s->ctx.cfg;
	host_port_config_parts(s->is_tcp, &s->serial, &s->tcp, &cfg);
	return attach(s, &cfg);
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
