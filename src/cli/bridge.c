/* SPDX-License-Identifier: MIT */
/* `sqnsupgrade bridge PORT_A PORT_B`: bytes both ways until a side closes or Ctrl-C. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Open one side as the session opens its port; NULL when it failed (message printed). */
static struct sqns_port *open_end(const char *name, uint32_t baud, bool rtscts, FILE *err,
				  int *status)
{
	struct sqns_port_opts opts = {.baud = baud, .rtscts = rtscts};
	int r;
	struct sqns_port *p = sqns_port_open(name, &opts, &r);
	if (!p) {
		char why[600];
		fprintf(err, "sqnsupgrade: %s\n",
			sqns_port_open_error(name, r, errno, why, sizeof why));
		*status = r == SQNS_ERR_ARG ? EXIT_USAGE : EXIT_PORT;
	}
	return p;
}

int cmd_bridge(struct session *s)
{
	struct cli *c = s->cli;
	const char *name[2] = {c->args[0], c->args[1]};
	uint32_t baud[2] = {c->baud_a ? c->baud_a : c->baud, c->baud_b ? c->baud_b : c->baud};
	int status = EXIT_OK;
	struct sqns_port *a = open_end(name[0], baud[0], c->rtscts, s->out.err, &status);
	struct sqns_port *b = a ? open_end(name[1], baud[1], c->rtscts, s->out.err, &status) : NULL;
	if (!b) {
		sqns_port_close(a);
		return status;
	}
	if (!c->quiet) {
		fprintf(s->out.err,
			"sqnsupgrade: bridging %s (%u baud) and %s (%u baud); Ctrl-C stops\n",
			name[0], baud[0], name[1], baud[1]);
		fflush(s->out.err);
	}
	struct sqns_bridge_result res;
	int r = sqns_port_bridge_report(a, b, cli_should_abort, NULL, &res);
	if (r != SQNS_OK && res.closed < 0) {
		fprintf(s->out.err, "sqnsupgrade: bridge: %s\n", strerror(res.os_errno));
		status = EXIT_FAIL;
	}
	if (!c->quiet) {
		if (res.closed >= 0)
			fprintf(s->out.err, "sqnsupgrade: %s closed: bridge stopped",
				name[res.closed]);
		else
			fprintf(s->out.err, "sqnsupgrade: bridge stopped");
		fprintf(s->out.err, " (%llu bytes %s -> %s, %llu bytes %s -> %s)\n",
			(unsigned long long)res.in[0], name[0], name[1],
			(unsigned long long)res.in[1], name[1], name[0]);
	}
	sqns_port_close(a);
	sqns_port_close(b);
	return status;
}
