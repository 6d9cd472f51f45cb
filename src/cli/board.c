/* SPDX-License-Identifier: MIT */
/*
 * --board: a Pycom board in one command. Pycom's instructions has the user
 * open the board's REPL, type `import sqnsupgrade; sqnsupgrade.uart(...)`,
 * close that terminal and run the updater on the same port. The library does
 * the same (sqnsupgrade_board.h: the raw REPL, os.uname(), uart(), the mirror
 * line, 921600); this file keeps the command line's part: the options, the
 * messages and the exit statuses.
 */
#include "board.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqnsupgrade_board.h"
#include "sqnsupgrade_host.h"

#define MIRROR_RATE SQNS_APPLICATION_RATE

struct repl {
	struct session *s;
	struct sqns_port *port;
	struct sqns_board b;
};

/* --debug: the REPL's bytes both ways; uart()'s lines as the command's output. */
static void on_board_event(void *user, const struct sqns_board_event *ev)
{
	struct repl *r = user;
	if (ev->type == SQNS_BOARD_EV_LINE) {
		output_block(&r->s->out, ev->len ? ev->data : "\n");
		return;
	}
	if (!r->s->cli->debug)
		return;
	if (ev->type == SQNS_BOARD_EV_RX) {
		fprintf(stderr, "REPL -> %.*s\n", (int)ev->len, ev->data);
		return;
	}
	fputs("REPL <- ", stderr);
	for (size_t i = 0; i < ev->len; i++)
		fprintf(stderr, (unsigned char)ev->data[i] < 0x20 ? "\\x%02x" : "%c",
			(unsigned char)ev->data[i]);
	fputc('\n', stderr);
}

/* The method the command asks for: its updater decides. */
static enum sqns_board_method method_of(const struct cli *c)
{
	if (c->board_updater)
		return SQNS_BOARD_RECOVERY_FLASH;
	if (strcmp(c->command, "run") == 0 && c->nargs > 1)
		return SQNS_BOARD_RECOVERY;
	return SQNS_BOARD_NORMAL;
}

static bool is_run(const struct cli *c)
{
	return strcmp(c->command, "run") == 0;
}

int board_check_cli(const struct cli *c)
{
	const char *why = NULL;
	char buf[400];
	if (!c->board && c->board_updater) {
		fprintf(stderr, "sqnsupgrade: --board-updater goes with --board (see sqnsupgrade "
				"--help)\n");
		return EXIT_USAGE;
	}
	if (!c->board)
		return -1;
	static const char *const takes[] = {"run", "info", "version", "state", "imei"};
	bool ok = false;
	for (size_t i = 0; i < sizeof takes / sizeof takes[0]; i++)
		ok = ok || strcmp(c->command, takes[i]) == 0;
	if (!ok) {
		snprintf(buf, sizeof buf,
			 "--board goes with run, info, version, state and imei, not '%s'",
			 c->command);
		why = buf;
	} else if (c->nports > 1) {
		why = "--board takes one port: one board at a time";
	} else if (c->port && strncmp(c->port, "socket://", 9) == 0) {
		why = "--board needs the board's serial port itself: its REPL runs at 115200 and "
		      "its mirror at 921600, and a socket:// link cannot change the rate";
	} else if (c->baud != MIRROR_RATE) {
		snprintf(buf, sizeof buf,
			 "-b %u cannot go with --board: the board's mirror runs at 921600 baud and "
			 "does not follow a rate change asked of the modem (AT+IPR), so the modem "
			 "is reached at 921600 only",
			 c->baud);
		why = buf;
	} else if (c->rtscts) {
		why = "--rtscts cannot go with --board: the board's mirror has no flow control "
		      "on its USB side";
	} else if (is_run(c) && c->nargs > 0 && c->board_updater && sqns_release_is(c->args[0])) {
		/* A release brings its own updater.elf, and the choice comes after uart(). */
		snprintf(buf, sizeof buf,
			 "--board-updater cannot go with a release ('%.120s'): give the .dup from "
			 "it with --board-updater, or the release alone",
			 c->args[0]);
		why = buf;
	} else if (c->board_updater &&
		   !sqns_board_call(SQNS_BOARD_RECOVERY_FLASH, c->board_updater, buf, sizeof buf)) {
		why = "--board-updater takes the path of updater.elf on the board, e.g. "
		      "/flash/updater.elf (no quotes)";
	}
	if (!why)
		return -1;
	fprintf(stderr, "sqnsupgrade: %s (see sqnsupgrade --help)\n", why);
	return EXIT_USAGE;
}

/* Before the port opens: what the plan says about the files. */
static int check_files(struct session *s)
{
	const struct cli *c = s->cli;
	FILE *o = s->out.out;
	if (!is_run(c))
		return -1;
	if (c->board_updater && c->nargs > 1)
		fprintf(o, "Note: %s is not sent: the board loads %s from its flash.\n", c->args[1],
			c->board_updater);
	if (c->bootrom && (c->nargs > 1 || c->board_updater))
		fprintf(o,
			"Note: the board sends the boot ROM from its own firmware; %s is sent only "
			"if Bootloader0 still reads %u after the upgrade.\n",
			c->bootrom, SQNS_FACTORY_BOOTLOADER0);
	return -1;
}

static int open_port(struct session *s, struct repl *r)
{
	const struct cli *c = s->cli;
	if (!c->port || !*c->port) {
		fprintf(s->out.err,
			"sqnsupgrade: no port given: use -p PORT (e.g. -p " EXAMPLE_PORT ") "
			"or set SQNSUPGRADE_PORT\n");
		return EXIT_USAGE;
	}
	int err;
	r->port =
	    sqns_port_open(c->port, &(struct sqns_port_opts){.baud = SQNS_BOARD_REPL_RATE}, &err);
	if (r->port) {
		struct sqns_config io;
		if (s->hexdump)
			sqns_port_trace(r->port, session_hexdump, NULL);
		sqns_port_config(r->port, &io);
		sqns_board_init(&r->b, &(struct sqns_board_config){
					   .ops = io.ops,
					   .port = io.port,
					   .on_event = on_board_event,
					   .should_abort = cli_should_abort,
					   .user = r,
					   .uart_ms = s->cfg.timeouts.wake_ms,
				       });
		return -1;
	}
	char why[600];
	fprintf(s->out.err, "sqnsupgrade: %s\n",
		sqns_port_open_error(c->port, err, errno, why, sizeof why));
	return EXIT_PORT;
}

/* SQNS_BOARD_IO and SQNS_BOARD_ABORTED: the exit status. */
static int io_failed(struct session *s, struct repl *r, enum sqns_board_status st)
{
	if (st == SQNS_BOARD_ABORTED) {
		fprintf(s->out.err, "sqnsupgrade: interrupted while talking to the board's REPL\n");
		return EXIT_INTERRUPTED;
	}
	fprintf(s->out.err, "sqnsupgrade: port '%s' failed: %s (unplugged?)\n", s->cli->port,
		strerror(sqns_port_errno(r->port)));
	return EXIT_PORT;
}

/* sqns_board_take's refusals: the exit status (-1 to go on). */
static int check_board(struct session *s, struct repl *r, enum sqns_board_status st)
{
	const struct sqns_board *b = &r->b;
	switch (st) {
	case SQNS_BOARD_OK:
		fprintf(s->out.out, "Board: %s (%s, firmware %s)\n", b->sysname, b->machine,
			b->release);
		return -1;
	case SQNS_BOARD_NO_REPL:
		fprintf(
		    s->out.err,
		    "sqnsupgrade: no MicroPython REPL answered on '%s' at 115200 baud: sent "
		    "Ctrl-C twice and Ctrl-A (the raw REPL), %d times, and waited %u s for its "
		    "banner. The board may already be in mirror mode (after an earlier --board or "
		    "sqnsupgrade.uart()): then run the same command without --board. Otherwise "
		    "check that nothing else (a terminal, Pymakr) holds the port, or press the "
		    "board's reset button.\n",
		    s->cli->port, SQNS_BOARD_REPL_TRIES,
		    SQNS_BOARD_REPL_TRIES * (SQNS_BOARD_REPL_MS + SQNS_BOARD_DRAIN_MS) / 1000);
		return EXIT_NO_MODEM;
	case SQNS_BOARD_NO_UNAME:
		fprintf(s->out.err,
			"sqnsupgrade: the board's REPL on '%s' did not answer os.uname() (%s)\n",
			s->cli->port, b->why[0] ? b->why : "no answer");
		return EXIT_FAIL;
	case SQNS_BOARD_NOT_MODEM:
		fprintf(
		    s->out.err,
		    "sqnsupgrade: the board on '%s' is a %s (%s): only GPy, FiPy and G01 boards "
		    "carry the SQN3330 modem. Nothing was sent to a modem.\n",
		    s->cli->port, b->sysname, b->machine);
		return EXIT_REFUSED;
	default:
		return io_failed(s, r, st);
	}
}

/* --dry-run: the board's part of the plan; uart() would change the modem. */
static int dry_run(struct session *s, const char *call)
{
	const struct cli *c = s->cli;
	FILE *o = s->out.out;
	fprintf(o, "Plan (dry run: nothing on the board or the modem was changed):\n");
	fprintf(o, "  1. on the board: import sqnsupgrade; %s\n", call);
	if (c->board_updater)
		fprintf(o,
			"     (the recovery method: the board replaces a factory boot ROM, reboots "
			"the modem into recovery mode, moves it to 921600 baud and loads %s)\n",
			c->board_updater);
	else if (c->nargs > 1)
		fprintf(o, "     (the recovery method: the board replaces a factory boot ROM, "
			   "reboots the modem into recovery mode and moves it to 921600 baud)\n");
	else
		fprintf(o, "     (the normal method: the modem stays as it is)\n");
	fprintf(o, "  2. this port at 921600 baud, through the board's mirror\n");
	if (c->board_updater)
		fprintf(o, "  3. firmware: send %s, then verify\n", c->args[0]);
	else if (c->nargs > 1)
		fprintf(o, "  3. updater: send %s; firmware: send %s, then verify\n", c->args[1],
			c->args[0]);
	else
		fprintf(o, "  3. the upgrade as against a bare modem (its plan needs the modem: "
			   "run without --dry-run)\n");
	return EXIT_OK;
}

/* sqns_board_mirror's end: the exit status, or -1 in mirror mode. */
static int mirror_status(struct session *s, struct repl *r, enum sqns_board_status st)
{
	const struct sqns_board *b = &r->b;
	switch (st) {
	case SQNS_BOARD_OK:
		/* Closing leaves DTR/RTS up: a board wired to reset on them stays put. */
		(void)sqns_port_keep_lines(r->port);
		fprintf(s->out.out,
			"The board is in mirror mode: on to the modem at 921600 baud. (Until the "
			"board is reset, run sqnsupgrade without --board.)\n");
		fflush(s->out.out);
		return -1;
	case SQNS_BOARD_NOT_TAKEN:
		fprintf(s->out.err, "sqnsupgrade: the board's raw REPL did not take the code\n");
		return EXIT_FAIL;
	case SQNS_BOARD_UART_TIMEOUT:
		fprintf(s->out.err,
			"sqnsupgrade: the board's %s did not finish within %u s (--boot-timeout)\n",
			b->call, (b->cfg.uart_ms ? b->cfg.uart_ms : SQNS_BOARD_UART_MS) / 1000);
		return EXIT_NO_MODEM;
	case SQNS_BOARD_UART_FAILED:
		break;
	default:
		return io_failed(s, r, st);
	}
	fprintf(s->out.err, "sqnsupgrade: the board's %s failed: %s\n", b->call, b->why);
	switch (b->fault) {
	case SQNS_BOARD_FAULT_NO_FILE:
		fprintf(s->out.err,
			"The board has no such file: copy updater.elf to its flash (e.g. "
			"with Pymakr or FTP), or give updater.elf to this command "
			"instead of --board-updater.\n");
		return EXIT_FILE;
	case SQNS_BOARD_FAULT_NO_MODULE:
		return EXIT_REFUSED;
	case SQNS_BOARD_FAULT_NO_MODEM:
		return EXIT_NO_MODEM;
	default:
		fputs("Power-cycle the board (disconnect power: the reset button is not enough) "
		      "and run the command again.\n",
		      s->out.err);
		return EXIT_FAIL;
	}
}

int board_take(struct session *s)
{
	struct repl *r = calloc(1, sizeof *r);
	char call[300];
	if (!r) {
		fprintf(s->out.err, "sqnsupgrade: out of memory\n");
		return EXIT_FAIL;
	}
	r->s = s;
	int status = check_files(s);
	if (status < 0)
		status = open_port(s, r);
	if (status >= 0) {
		free(r);
		return status;
	}
	enum sqns_board_status st = sqns_board_take(&r->b);
	status = check_board(s, r, st);
	enum sqns_board_method method = method_of(s->cli);
	(void)sqns_board_call(method, s->cli->board_updater, call, sizeof call);
	if (status < 0 && s->cli->dry_run)
		status = dry_run(s, call);
	if (status < 0) {
		fprintf(s->out.out, "Running on the board: import sqnsupgrade; %s\n", call);
		fflush(s->out.out);
		status =
		    mirror_status(s, r, sqns_board_mirror(&r->b, method, s->cli->board_updater));
		/* uart()'s mirror stays at 921600: a recovery the modem needs is refused. */
		s->fixed_rate = status < 0 && method == SQNS_BOARD_NORMAL;
	}
	/* The board left at its friendly prompt, unless it went quiet. */
	if (status >= 0 && r->b.raw && status != EXIT_NO_MODEM)
		(void)sqns_board_release(&r->b);
	sqns_port_close(r->port);
	free(r);
	return status;
}
