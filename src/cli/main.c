/* SPDX-License-Identifier: MIT */
/* sqnsupgrade: the command line. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"
#include "cli.h"
#include "sqnsupgrade_cli.h"

static int open_log(struct session *s)
{
	if (!s->cli->log)
		return -1;
	s->out.log = fopen(s->cli->log, "a");
	if (!s->out.log) {
		fprintf(stderr, "sqnsupgrade: cannot write the log '%s': %s\n", s->cli->log,
			strerror(errno));
		return EXIT_FILE;
	}
	s->out.t0 = sqns_host_now_ms();
	fprintf(s->out.log, "# sqnsupgrade %s: %s on %s\n", sqns_version(), s->cli->command,
		s->cli->port ? s->cli->port : "(no port)");
	return -1;
}

static bool quiet_run(const struct cli *c)
{
	return c->quiet && c->nports <= 1 && !c->dry_run && strcmp(c->command, "run") == 0;
}

/* `run -q`: the one line that says how it ended. */
static void quiet_result(struct session *s)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	if (s->ctx.res.stage != SQNS_STAGE_DONE) {
		fprintf(s->out.out,
			"The modem already runs build %u: nothing to do (--force flashes it "
			"again).\n",
			p->running_build);
	} else if (p->target_known) {
		fprintf(s->out.out, "Verified: modem now runs build %u\n", p->running_build);
		if (p->bootrom_again && !p->bootrom_pending && p->bootloader0_after)
			fprintf(s->out.out, "Verified: boot ROM (Bootloader0) now build %u\n",
				p->bootloader0_after);
	} else {
		const char *slash = path_last_separator(s->cli->args[0]);
		fprintf(s->out.out,
			"Not verified: the name '%s' does not say which build it installs\n",
			slash ? slash + 1 : s->cli->args[0]);
	}
	fflush(s->out.out);
}

static const char *stage_name(enum sqns_stage st)
{
	switch (st) {
	case SQNS_STAGE_UNTOUCHED:
		return "untouched";
	case SQNS_STAGE_UPGRADE_MODE:
		return "upgrade_mode";
	case SQNS_STAGE_TRANSFERRED:
		return "transferred";
	case SQNS_STAGE_DONE:
		return "done";
	case SQNS_STAGE_RECOVERY:
		return "recovery";
	}
	return "unknown";
}

/*
 * --json with one modem: the events went out as they came; the human text and
 * the messages were captured, and end the stream as one result object.
 */
static void json_result(struct session *s, int status, const char *text, const char *err)
{
	FILE *f = s->out.json;
	/* No port opened, no context: nothing is known of the modem. */
	const struct sqns_result none = {.mode = SQNS_MODE_UNKNOWN};
	const struct sqns_result *c = s->out.ctx ? &s->ctx.res : &none;
	fputs("{\"event\": \"result\", \"command\": ", f);
	output_json_string(f, s->cli->command);
	fprintf(f, ", \"status\": %d, \"mode\": %d, \"mode_name\": \"%s\"", status, c->mode,
		sqns_mode_name(c->mode));
	if (strcmp(s->cli->command, "run") == 0)
		fprintf(f,
			", \"stage\": \"%s\", \"running_build\": %u, \"target_build\": %u, "
			"\"verified\": %s",
			stage_name(c->stage), c->plan.running_build,
			c->plan.target_known ? c->plan.target.build : 0,
			c->stage == SQNS_STAGE_DONE && c->plan.target_known && status == 0
			    ? "true"
			    : "false");
	if (strcmp(s->cli->command, "run") == 0)
		fprintf(f, ", \"bootloader0\": %u, \"bootrom_pending\": %s",
			c->plan.bootloader0_after ? c->plan.bootloader0_after : c->plan.bootloader0,
			c->plan.bootrom_pending ? "true" : "false");
	if (s->chosen.from_release) {
		static const char *const whys[] = {
		    [SQNS_CHOSE_NONE] = "none",	    [SQNS_CHOSE_DIFF] = "diff",
		    [SQNS_CHOSE_FULL] = "full",	    [SQNS_CHOSE_FULL_UNREAD] = "full_unread",
		    [SQNS_CHOSE_SWITCH] = "switch", [SQNS_CHOSE_DIFF_ONLY] = "diff_only",
		    [SQNS_CHOSE_PARTS] = "parts",   [SQNS_CHOSE_CURRENT] = "current"};
		int why = s->chosen.why;
		fputs(", \"release\": {\"path\": ", f);
		output_json_string(f, s->chosen.release);
		fprintf(f, ", \"why\": \"%s\", \"image\": ",
			why >= 0 && (size_t)why < sizeof whys / sizeof whys[0] ? whys[why]
									       : "none");
		output_json_string(f, s->chosen.image);
		fputs(", \"part2\": ", f);
		output_json_string(f, s->chosen.part2);
		fputs(", \"updater\": ", f);
		output_json_string(f, s->chosen.updater);
		fputs("}", f);
	}
	fputs(", \"text\": ", f);
	output_json_string(f, text ? text : "");
	fputs(", \"error\": ", f);
	output_json_string(f, err ? err : "");
	fputs("}\n", f);
	fflush(f);
}

/* The command line into c; -1 to go on, else the exit status (help and errors printed). */
static int parse_command_line(struct cli *c, int argc, char **argv)
{
	int status = cli_parse(c, argc, argv);
	if (status < 0)
		status = board_check_cli(c);
	if (status < 0 && (!c->port || !*c->port) && cli_find_command(c->command)->needs_port)
		status = ports_default(c);
	if (status >= 0)
		fflush(stdout);
	return status;
}

/*
 * One sqns_cli_main call, on the heap: the session, and what cli_setup set up
 * that cli_teardown must undo (several calls may run in one process, one at a
 * time: nothing of it is static).
 */
struct invocation {
	struct cli cli;
	struct session s;
	/* The signal or console handlers found, put back at the end. */
	struct caught_signals *signals;
	bool ran;      /* the command ran: --json reports its result */
	bool json_one; /* --json with one modem: text captured, one result object */
	char *json_text, *json_err;
	size_t json_text_len, json_err_len;
	FILE *shown; /* -q run: the real transcript stream ... */
	FILE *sink;  /* ... and the null device in its place */
};

/*
 * The context's configuration, set once here; session_open_port adds the port
 * and initialises the context with it.
 */
static void session_start(struct session *s)
{
	const struct cli *c = s->cli;
	s->hexdump = c->pkgdebug;
	output_init(&s->out, stdout, stderr, c->verbose, c->debug);
	s->cfg = (struct sqns_config){
	    .on_event = output_event,
	    .user = &s->out,
	    /* Above 921600 the modem starts at 921600; -b is then the transfer's rate. */
	    .baud = c->baud > SQNS_APPLICATION_RATE ? SQNS_APPLICATION_RATE : c->baud,
	    .fast_baud = c->baud > SQNS_APPLICATION_RATE ? c->baud : 0,
	    .timeouts = c->timeouts,
	    .should_abort = cli_should_abort,
	};
}

/* --json with one modem: the text and the messages go to memory, the events to stdout. */
static int capture_streams(struct invocation *inv)
{
	struct output *o = &inv->s.out;
	o->json = stdout;
	o->tty = false;
	o->out = cli_memstream_open(&inv->json_text, &inv->json_text_len);
	o->err = cli_memstream_open(&inv->json_err, &inv->json_err_len);
	if (!o->out || !o->err) {
		fprintf(stderr, "sqnsupgrade: out of memory\n");
		return EXIT_FAIL;
	}
	return -1;
}

/* The output streams: captured (--json), coloured, or muted (-q run). */
static int setup_streams(struct invocation *inv)
{
	struct output *o = &inv->s.out;
	inv->json_one = inv->cli.json && inv->cli.nports <= 1;
	if (inv->json_one)
		return capture_streams(inv);
	colour_streams(o);
	if (quiet_run(&inv->cli) && (inv->sink = fopen(NULL_DEVICE, "w")) != NULL) {
		inv->shown = o->out;
		o->out =
		    inv->sink; /* -q: the transcript goes nowhere; the result line at the end */
	}
	return -1;
}

/* Everything the command needs around it; -1 when ready, else the exit status. */
static int cli_setup(struct invocation *inv)
{
	inv->s.cli = &inv->cli;
	session_start(&inv->s);
	int status = open_log(&inv->s);
	if (status >= 0)
		return status;
	inv->signals = signals_catch();
	return setup_streams(inv);
}

static int cli_dispatch(struct invocation *inv)
{
	inv->ran = true;
	/* --board: the board's REPL first, then the command as against a bare modem. */
	int status = inv->cli.board ? board_take(&inv->s) : -1;
	if (status < 0)
		status = cli_find_command(inv->cli.command)->fn(&inv->s);
	output_break(&inv->s.out);
	return status;
}

/* --json with one modem: the messages to stderr, then the result object on stdout. */
static void finish_json(struct invocation *inv, int status)
{
	struct output *o = &inv->s.out;
	if (o->out && o->out != stdout)
		cli_memstream_close(o->out);
	if (o->err && o->err != stderr)
		cli_memstream_close(o->err);
	o->out = stdout;
	o->err = stderr;
	if (inv->json_err)
		fputs(inv->json_err, stderr); /* the messages still reach a person */
	if (inv->ran)
		json_result(&inv->s, status, inv->json_text, inv->json_err);
	free(inv->json_text);
	free(inv->json_err);
}

/* Undo what cli_setup did, whatever step it reached; every exit goes through here. */
static void cli_teardown(struct invocation *inv, int status)
{
	struct output *o = &inv->s.out;
	if (inv->json_one)
		finish_json(inv, status);
	if (inv->sink) {
		fclose(inv->sink);
		o->out = inv->shown;
		if (status == EXIT_OK && inv->ran)
			quiet_result(&inv->s);
	}
	if (o->out)
		colour_close_streams(o, stdout, stderr);
	session_close(&inv->s);
	if (o->log)
		fclose(o->log);
	signals_restore(inv->signals);
}

/* The whole command line (sqnsupgrade_cli.h), called by the executable's main(). */
int sqns_cli_main(int argc, char **argv)
{
	struct invocation *inv = calloc(1, sizeof *inv);
	if (!inv) {
		fprintf(stderr, "sqnsupgrade: out of memory\n");
		return EXIT_FAIL;
	}
	inv->cli = (struct cli){.port = getenv("SQNSUPGRADE_PORT"), .baud = SQNS_APPLICATION_RATE};
	signals_clear();
	int status = parse_command_line(&inv->cli, argc, argv);
	if (status < 0) {
		status = cli_setup(inv);
		if (status < 0)
			status = cli_dispatch(inv);
		cli_teardown(inv, status);
	}
	fflush(stdout);
	free(inv);
	return status;
}
