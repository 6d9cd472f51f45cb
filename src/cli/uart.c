/* SPDX-License-Identifier: MIT */
/*
 * `sqnsupgrade uart`: sqnsupgrade.uart() of Pycom's instructions for a machine
 * that sits between the modem and the computer (a board's MCU running this
 * code, or a PC with two ports): prepare the modem, say so, then mirror.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <string.h>

#include "cli.h"

/*
 * Open the --updater or --bootrom file (open: sqns_file_open or
 * sqns_bootrom_open); -1 when open or not given, else the exit status (its
 * one-line message printed on err).
 */
static int open_file(struct sqns_file **f, const char *path,
		     struct sqns_file *(*open)(const char *, int *, char *, size_t), FILE *err)
{
	char why[700];
	int r;
	*f = NULL;
	if (!path || (*f = open(path, &r, why, sizeof why)) != NULL)
		return -1;
	fprintf(err, "sqnsupgrade: %s\n", why);
	return exit_for(r);
}

static int check_options(struct session *s)
{
	struct cli *c = s->cli;
	if (!c->host) {
		fprintf(s->out.err, "sqnsupgrade: uart needs --host PORT: the port facing the "
				    "computer that sends the firmware\n");
		return EXIT_USAGE;
	}
	if (c->recovery && !c->updater) {
		fprintf(s->out.err,
			"sqnsupgrade: uart --recovery needs --updater FILE: loading updater.elf "
			"later, through the mirror, changes the modem's rate and the mirror cannot "
			"follow\n");
		return EXIT_USAGE;
	}
	if (c->updater && !c->recovery) {
		fprintf(s->out.err, "sqnsupgrade: --updater goes with --recovery\n");
		return EXIT_USAGE;
	}
	return -1;
}

static int prepare_failed(struct session *s, int r)
{
	const struct sqns_ctx *ctx = &s->ctx;
	output_break(&s->out);
	if (r == SQNS_ERR_REFUSED) {
		if (ctx->res.refusal == SQNS_REFUSE_UPDATER_NOT_ELF)
			fprintf(s->out.err,
				"sqnsupgrade: '%s' is not an ELF file, so it is not "
				"updater.elf\n",
				s->cli->updater);
		else if (ctx->res.refusal == SQNS_REFUSE_BOOTROM_NOT_UPGR)
			fprintf(s->out.err,
				"sqnsupgrade: '%s' is not a boot ROM: a boot ROM image starts with "
				"UPGR\n",
				s->cli->bootrom);
		else if (ctx->res.refusal == SQNS_REFUSE_BOOTROM_MISSING)
			fprintf(
			    s->out.err,
			    "sqnsupgrade: the modem still has its factory boot ROM "
			    "(Bootloader0 %u): the recovery method starts by replacing it; give "
			    "--bootrom FILE\n",
			    ctx->res.plan.bootloader0);
		else
			fprintf(s->out.err, "sqnsupgrade: the modem is in recovery mode (0): use "
					    "uart --recovery --updater updater.elf\n");
		fputs("Nothing was changed on the modem.\n", s->out.err);
		return EXIT_REFUSED;
	}
	port_error(s, r);
	fprintf(s->out.err, "sqnsupgrade: cannot prepare the modem: %s.\n", sqns_strerror(r));
	if (ctx->res.stage == SQNS_STAGE_RECOVERY)
		fprintf(s->out.err, "The modem is in recovery mode (0): run uart again with "
				    "--recovery --updater updater.elf.\n");
	else if (ctx->res.stage != SQNS_STAGE_UNTOUCHED)
		fprintf(s->out.err, "The modem is in upgrade mode (4): run uart again, or the "
				    "upgrade from the computer.\n");
	return exit_for(r);
}

int cmd_uart(struct session *s)
{
	struct cli *c = s->cli;
	int status = check_options(s);
	if (status >= 0)
		return status;
	struct sqns_file *updater, *bootrom = NULL;
	status = open_file(&updater, c->updater, sqns_file_open, s->out.err);
	if (status < 0)
		status = open_file(&bootrom, c->bootrom, sqns_bootrom_open, s->out.err);
	if (status >= 0) {
		sqns_file_close(updater);
		return status;
	}
	struct sqns_upgrade_opts opts = {
	    .updater = updater ? sqns_file_image(updater) : NULL,
	    .bootrom = bootrom ? sqns_file_image(bootrom) : NULL,
	};
	if ((status = session_open_port(s)) < 0) {
		output_welcome(s->out.out, NULL);
		int r = sqns_prepare(&s->ctx, &opts);
		status = r == SQNS_OK ? -1 : prepare_failed(s, r);
	}
	sqns_file_close(updater);
	sqns_file_close(bootrom);
	if (status >= 0)
		return status;
	output_break(&s->out);
	fputs("Going into MIRROR mode... please close this terminal to resume the upgrade via "
	      "UART\n",
	      s->out.out);
	fflush(s->out.out);
	/* The bridge opens both ends itself: hand the modem's port over. */
	uint32_t modem_rate = s->ctx.res.rate;
	const char *modem = c->port;
	session_close(s);
	c->args[0] = c->host;
	c->args[1] = modem;
	c->baud_a = c->baud > SQNS_APPLICATION_RATE ? SQNS_APPLICATION_RATE : c->baud;
	c->baud_b = modem_rate;
	return cmd_bridge(s);
}
