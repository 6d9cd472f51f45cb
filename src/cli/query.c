/* SPDX-License-Identifier: MIT */
/* The query commands: info, version, state, imei. */
#include <stdio.h>

#include "cli.h"

/* Query commands: wake the modem and read its mode first. */
static int detect(struct session *s, int *mode)
{
	int status = session_open_port(s);
	if (status >= 0)
		return status;
	int r = sqns_detect(&s->ctx, mode);
	if (r == SQNS_ERR_NO_MODEM)
		return no_modem(s);
	if (r != SQNS_OK) {
		port_error(s, r);
		fprintf(s->out.err, "sqnsupgrade: cannot read the modem's mode: %s\n",
			sqns_strerror(r));
		return exit_for(r);
	}
	return -1;
}

static int need_application(struct session *s, int mode)
{
	if (mode == SQNS_MODE_APPLICATION)
		return -1;
	fprintf(s->out.err,
		"sqnsupgrade: the modem is in %s mode (%d); '%s' needs application mode (2). "
		"'sqnsupgrade info' says what to do.\n",
		sqns_mode_name(mode), mode, s->cli->command);
	return EXIT_STATE;
}

static int query_failed(struct session *s, int r)
{
	port_error(s, r);
	fprintf(s->out.err, "sqnsupgrade: %s failed: %s\n", s->cli->command, sqns_strerror(r));
	return exit_for(r);
}

int cmd_state(struct session *s)
{
	int mode;
	int status = detect(s, &mode);
	if (status == EXIT_NO_MODEM)
		fprintf(s->out.out, "none unknown\n");
	if (status >= 0)
		return status;
	fprintf(s->out.out, "%d %s\n", mode, sqns_mode_name(mode));
	return EXIT_OK;
}

int cmd_info(struct session *s)
{
	int mode;
	int status = detect(s, &mode);
	if (status == EXIT_NO_MODEM)
		fprintf(s->out.out, "Cannot determine modem state!\n");
	if (status >= 0)
		return status;
	switch (mode) {
	case SQNS_MODE_APPLICATION: {
		char ati1[256];
		char imei[16];
		int r = sqns_ati1(&s->ctx, ati1, sizeof ati1);
		if (r == SQNS_OK)
			r = sqns_imei(&s->ctx, imei);
		if (r != SQNS_OK)
			return query_failed(s, r);
		fprintf(s->out.out,
			"Your modem is in application mode. Here is the current version:\n");
		output_block(&s->out, ati1);
		int channel;
		if (sqns_parse_ati1_channel(ati1, &channel))
			fprintf(s->out.out, "Channel: %s\n", sqns_channel_name(channel));
		fprintf(s->out.out, "IMEI: %s\n", imei);
		break;
	}
	case SQNS_MODE_MTOOLS:
		fprintf(s->out.out, "Your modem is in mTools mode.\n");
		break;
	case SQNS_MODE_RECOVERY:
		fprintf(s->out.out,
			"Your modem is in recovery mode! Use firmware.dup and updater.elf to flash "
			"new firmware.\n");
		break;
	default:
		fprintf(s->out.out,
			"Your modem is in upgrade mode! Use firmware.dup to flash new firmware.\n");
		break;
	}
	/* Only application mode has a version and an IMEI to show, and is a working modem: in any
	 * other mode info says which, and exits as version and imei do (9), so that a script can
	 * tell a modem left in upgrade or recovery mode from one that works. */
	return mode == SQNS_MODE_APPLICATION ? EXIT_OK : EXIT_STATE;
}

int cmd_version(struct session *s)
{
	int mode;
	int status = detect(s, &mode);
	if (status < 0)
		status = need_application(s, mode);
	if (status >= 0)
		return status;
	int r = sqns_showver(&s->ctx, s->showver, sizeof s->showver);
	if (r != SQNS_OK)
		return query_failed(s, r);
	output_block(&s->out, s->showver);
	return EXIT_OK;
}

int cmd_imei(struct session *s)
{
	int mode;
	char imei[16];
	int status = detect(s, &mode);
	if (status < 0)
		status = need_application(s, mode);
	if (status >= 0)
		return status;
	int r = sqns_imei(&s->ctx, imei);
	if (r != SQNS_OK)
		return query_failed(s, r);
	fprintf(s->out.out, "%s\n", imei);
	return EXIT_OK;
}
