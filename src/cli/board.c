/*
 * --board: a Pycom board in one command. Pycom's instructions has the user
 * open the board's REPL, type `import sqnsupgrade; sqnsupgrade.uart(...)`,
 * close that terminal and run the updater on the same port. This does the
 * same through MicroPython's raw REPL: Ctrl-C twice (a running main.py
 * stops), Ctrl-A, the code, Ctrl-D; the board answers "OK", the output, \x04,
 * the error text, \x04 and ">". uart() answers with its progress lines and
 * then "Going into MIRROR mode...": from then on the port reaches the modem
 * at 921600, without flow control, and never at another rate.
 */
#define _GNU_SOURCE /* memmem */
#include "board.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqnsupgrade_host.h"

#define REPL_RATE 115200u
#define MIRROR_RATE SQNS_APPLICATION_RATE
#define QUIET_MS 200u	/* after Ctrl-C: the end of what a stopped script printed */
#define DRAIN_MS 1000u	/* at most this long waiting for that quiet */
#define REPL_MS 3000u	/* one attempt at the raw REPL's banner */
#define REPL_TRIES 2	/* "a few seconds": 2 x (drain + banner) */
#define ANSWER_MS 3000u /* "OK" and a short answer such as os.uname()'s */
#define FLASH_UPDATER "/flash/updater.elf"
#define MIRROR_LINE "Going into MIRROR mode"
#define UART_MS 300000u /* uart() on the board, without --boot-timeout: the core's wake_ms */

struct repl {
	struct session *s;
	struct sqns_port *port;
	struct sqns_config io; /* the port's ops (sqns_port_config): the REPL's own bytes */
	char text[4096];       /* what the board said since the last reset */
	size_t len;
};

static bool debug_on(const struct repl *r)
{
	return r->s->cli->debug;
}

static int rx(struct repl *r, uint8_t *buf, size_t len, uint32_t ms)
{
	if (cli_should_abort(NULL))
		return SQNS_ERR_ABORTED;
	return r->io.ops->read(r->io.port, buf, len, ms);
}

static int tx(struct repl *r, const char *data, size_t len)
{
	if (debug_on(r)) {
		fputs("REPL <- ", stderr);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, (unsigned char)data[i] < 0x20 ? "\\x%02x" : "%c",
				(unsigned char)data[i]);
		fputc('\n', stderr);
	}
	return r->io.ops->write(r->io.port, (const uint8_t *)data, len);
}

static void keep(struct repl *r, const uint8_t *buf, size_t n)
{
	if (debug_on(r))
		fprintf(stderr, "REPL -> %.*s\n", (int)n, (const char *)buf);
	if (n >= sizeof r->text)
		return;
	if (r->len + n >= sizeof r->text) {
		size_t drop = r->len + n - (sizeof r->text - 1);
		memmove(r->text, r->text + drop, r->len - drop);
		r->len -= drop;
	}
	memcpy(r->text + r->len, buf, n);
	r->len += n;
	r->text[r->len] = '\0';
}

/* Read until the text holds marker (true), for at most ms; false on timeout. */
static int read_until(struct repl *r, const char *marker, uint32_t ms)
{
	uint32_t end = sqns_host_now_ms() + ms;
	while (!memmem(r->text, r->len, marker, strlen(marker))) {
		int32_t left = (int32_t)(end - sqns_host_now_ms());
		uint8_t buf[256];
		if (left <= 0)
			return 0;
		int n = rx(r, buf, sizeof buf, (uint32_t)left);
		if (n < 0)
			return n;
		keep(r, buf, (size_t)n);
	}
	return 1;
}

/* Read until the board has been quiet for QUIET_MS (at most DRAIN_MS). */
static int drain(struct repl *r)
{
	uint32_t end = sqns_host_now_ms() + DRAIN_MS;
	for (;;) {
		uint8_t buf[256];
		int32_t left = (int32_t)(end - sqns_host_now_ms());
		if (left <= 0)
			return SQNS_OK;
		int n =
		    rx(r, buf, sizeof buf, left < (int32_t)QUIET_MS ? (uint32_t)left : QUIET_MS);
		if (n <= 0)
			return n;
		keep(r, buf, (size_t)n);
	}
}

static void reset_text(struct repl *r)
{
	r->len = 0;
	r->text[0] = '\0';
}

/* Ctrl-C twice, then the raw REPL; 1 when its banner came, 0 when nothing answered. */
static int enter_raw_repl(struct repl *r)
{
	for (int i = 0; i < REPL_TRIES; i++) {
		int rc;
		if ((rc = tx(r, "\r\x03\x03", 3)) < 0 || (rc = drain(r)) < 0)
			return rc;
		reset_text(r);
		if ((rc = tx(r, "\r\x01", 2)) < 0)
			return rc;
		if ((rc = read_until(r, "raw REPL; CTRL-B to exit\r\n>", REPL_MS)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Run code in the raw REPL and read its output and error text (each up to
 * its \x04). 1 when both came, 0 when the board did not answer in ms.
 */
static int exec_code(struct repl *r, const char *code, uint32_t ms, char *out, size_t out_len,
		     char *err, size_t err_len)
{
	reset_text(r);
	int rc = tx(r, code, strlen(code));
	if (rc < 0 || (rc = tx(r, "\x04", 1)) < 0)
		return rc;
	if ((rc = read_until(r, "OK", ANSWER_MS)) <= 0)
		return rc;
	char *start = strstr(r->text, "OK") + 2;
	size_t skip = (size_t)(start - r->text);
	memmove(r->text, start, r->len - skip + 1);
	r->len -= skip;
	if ((rc = read_until(r, "\x04", ms)) <= 0)
		return rc;
	char *eot = memchr(r->text, 0x04, r->len);
	if ((rc = read_until(r, "\x04>", ms)) <= 0)
		return rc;
	char *eot2 = memchr(eot + 1, 0x04, r->len - (size_t)(eot + 1 - r->text));
	snprintf(out, out_len, "%.*s", (int)(eot - r->text), r->text);
	snprintf(err, err_len, "%.*s", (int)(eot2 - eot - 1), eot + 1);
	return 1;
}

/* The last line of a Python traceback: "OSError: ...". */
static void last_line(const char *text, char *out, size_t len)
{
	const char *end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start), start);
}

/* field='value' of a uname tuple into out; false when absent. */
static bool uname_field(const char *uname, const char *field, char *out, size_t len)
{
	char key[32];
	snprintf(key, sizeof key, "%s='", field);
	const char *p = strstr(uname, key);
	if (!p)
		return false;
	p += strlen(key);
	const char *q = strchr(p, '\'');
	if (!q)
		return false;
	snprintf(out, len, "%.*s", (int)(q - p), p);
	return true;
}

static bool carries_modem(const char *sysname)
{
	return strcmp(sysname, "GPy") == 0 || strcmp(sysname, "FiPy") == 0 ||
	       strcmp(sysname, "G01") == 0;
}

/* The call for the command: the method decides uart()'s arguments. */
static void uart_call(const struct cli *c, char *out, size_t len)
{
	if (c->board_updater)
		snprintf(out, len, "sqnsupgrade.uart(True, '%s')", c->board_updater);
	else if (strcmp(c->command, "run") == 0 && c->nargs > 1)
		snprintf(out, len, "sqnsupgrade.uart(True)");
	else
		snprintf(out, len, "sqnsupgrade.uart()");
}

static bool is_run(const struct cli *c)
{
	return strcmp(c->command, "run") == 0;
}

int board_check_cli(const struct cli *c)
{
	const char *why = NULL;
	char buf[300];
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
	} else if (c->board_updater &&
		   (c->board_updater[0] != '/' || strpbrk(c->board_updater, "'\\\"\r\n"))) {
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
			"sqnsupgrade: no port given: use -p PORT (e.g. -p /dev/ttyUSB0) "
			"or set SQNSUPGRADE_PORT\n");
		return EXIT_USAGE;
	}
	int err;
	r->port = sqns_port_open(c->port, &(struct sqns_port_opts){.baud = REPL_RATE}, &err);
	if (r->port) {
		if (s->hexdump)
			sqns_port_trace(r->port, session_hexdump, NULL);
		sqns_port_config(r->port, &r->io);
		return -1;
	}
	char why[600];
	fprintf(s->out.err, "sqnsupgrade: %s\n",
		sqns_port_open_error(c->port, err, errno, why, sizeof why));
	return EXIT_PORT;
}

static int io_failed(struct session *s, struct repl *r, int rc)
{
	if (rc == SQNS_ERR_ABORTED) {
		fprintf(s->out.err, "sqnsupgrade: interrupted while talking to the board's REPL\n");
		return EXIT_INTERRUPTED;
	}
	fprintf(s->out.err, "sqnsupgrade: port '%s' failed: %s (unplugged?)\n", s->cli->port,
		strerror(sqns_port_errno(r->port)));
	return EXIT_PORT;
}

static int no_repl(struct session *s)
{
	fprintf(s->out.err,
		"sqnsupgrade: no MicroPython REPL answered on '%s' at 115200 baud: sent Ctrl-C "
		"twice and Ctrl-A (the raw REPL), %d times, and waited %u s for its banner. The "
		"board may already be in mirror mode (after an earlier --board or "
		"sqnsupgrade.uart()): then run the same command without --board. Otherwise check "
		"that nothing else (a terminal, Pymakr) holds the port, or press the board's reset "
		"button.\n",
		s->cli->port, REPL_TRIES, REPL_TRIES * (REPL_MS + DRAIN_MS) / 1000);
	return EXIT_NO_MODEM;
}

/* os.uname(): a GPy, FiPy or G01, or a refusal (-1 to go on). */
static int check_board(struct session *s, struct repl *r, char *sysname, size_t len)
{
	char out[1024], err[1024], machine[128] = "?", release[64] = "?";
	int rc = exec_code(r, "import os; print(os.uname())", ANSWER_MS, out, sizeof out, err,
			   sizeof err);
	if (rc < 0)
		return io_failed(s, r, rc);
	if (rc == 0 || !uname_field(out, "sysname", sysname, len)) {
		last_line(rc == 0 ? r->text : err[0] ? err : out, err, sizeof err);
		fprintf(s->out.err,
			"sqnsupgrade: the board's REPL on '%s' did not answer os.uname() (%s)\n",
			s->cli->port, err[0] ? err : "no answer");
		return EXIT_FAIL;
	}
	uname_field(out, "machine", machine, sizeof machine);
	uname_field(out, "release", release, sizeof release);
	if (!carries_modem(sysname)) {
		fprintf(
		    s->out.err,
		    "sqnsupgrade: the board on '%s' is a %s (%s): only GPy, FiPy and G01 boards "
		    "carry the SQN3330 modem. Nothing was sent to a modem.\n",
		    s->cli->port, sysname, machine);
		return EXIT_REFUSED;
	}
	fprintf(s->out.out, "Board: %s (%s, firmware %s)\n", sysname, machine, release);
	return -1;
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

/* What the board's failed uart() means for the exit status. */
static int uart_failed(struct session *s, const char *call, const char *err)
{
	char line[300];
	last_line(err, line, sizeof line);
	fprintf(s->out.err, "sqnsupgrade: the board's %s failed: %s\n", call, line);
	if (strstr(line, "ENOENT")) {
		fprintf(s->out.err,
			"The board has no such file: copy updater.elf to its flash (e.g. "
			"with Pymakr or FTP), or give updater.elf to this command "
			"instead of --board-updater.\n");
		return EXIT_FILE;
	}
	if (strstr(line, "no module named"))
		return EXIT_REFUSED;
	if (strstr(line, "does not answer"))
		return EXIT_NO_MODEM;
	fputs("Power-cycle the board (disconnect power: the reset button is not enough) and run "
	      "the command again.\n",
	      s->out.err);
	return EXIT_FAIL;
}

/*
 * uart(): print the board's lines as they come until the MIRROR line (-1), or
 * its error text between the two \x04 (the exit status).
 */
static int run_uart(struct session *s, struct repl *r, const char *call)
{
	char code[300], line[512], err[2048] = "";
	size_t n = 0, e = 0;
	int eots = 0;
	snprintf(code, sizeof code, "import sqnsupgrade; %s", call);
	fprintf(s->out.out, "Running on the board: %s\n", code);
	fflush(s->out.out);
	reset_text(r);
	int rc = tx(r, code, strlen(code));
	if (rc < 0 || (rc = tx(r, "\x04", 1)) < 0)
		return io_failed(s, r, rc);
	if ((rc = read_until(r, "OK", ANSWER_MS)) <= 0) {
		if (rc < 0)
			return io_failed(s, r, rc);
		fprintf(s->out.err, "sqnsupgrade: the board's raw REPL did not take the code\n");
		return EXIT_FAIL;
	}
	/* What came after the OK is the start of the output. */
	char *after = strstr(r->text, "OK") + 2;
	uint8_t pending[4096];
	size_t np = r->len - (size_t)(after - r->text);
	memcpy(pending, after, np);
	uint32_t limit_ms = s->cfg.timeouts.wake_ms ? s->cfg.timeouts.wake_ms : UART_MS;
	uint32_t end = sqns_host_now_ms() + limit_ms;
	for (;;) {
		for (size_t i = 0; i < np; i++) {
			char ch = (char)pending[i];
			if (ch == 0x04) {
				if (++eots == 2) {
					err[e] = '\0';
					return uart_failed(s, call, err);
				}
				continue;
			}
			if (eots == 1) {
				if (e + 1 < sizeof err)
					err[e++] = ch;
				continue;
			}
			if (ch == '\r')
				continue;
			if (ch != '\n') {
				if (n + 1 < sizeof line)
					line[n++] = ch;
				continue;
			}
			line[n] = '\0';
			n = 0;
			if (strncmp(line, MIRROR_LINE, strlen(MIRROR_LINE)) == 0)
				return -1;
			output_block(&s->out, line[0] ? line : "\n");
		}
		int32_t left = (int32_t)(end - sqns_host_now_ms());
		if (left <= 0) {
			fprintf(s->out.err,
				"sqnsupgrade: the board's %s did not finish within %u s "
				"(--boot-timeout)\n",
				call, limit_ms / 1000);
			return EXIT_NO_MODEM;
		}
		int got = rx(r, pending, sizeof pending, (uint32_t)left);
		if (got < 0)
			return io_failed(s, r, got);
		if (debug_on(r) && got > 0)
			fprintf(stderr, "REPL -> %.*s\n", got, (const char *)pending);
		np = (size_t)got;
	}
}

/* Into the mirror: 921600, and the port closed without dropping its modem lines. */
static int to_mirror(struct session *s, struct repl *r)
{
	if (r->io.ops->set_rate(r->io.port, MIRROR_RATE) != SQNS_OK)
		return io_failed(s, r, SQNS_ERR_IO);
	/* Closing leaves DTR/RTS up: a board wired to reset on them stays put. */
	(void)sqns_port_keep_lines(r->port);
	fprintf(s->out.out,
		"The board is in mirror mode: on to the modem at 921600 baud. (Until the board is "
		"reset, run sqnsupgrade without --board.)\n");
	fflush(s->out.out);
	return -1;
}

int board_take(struct session *s)
{
	struct repl *r = calloc(1, sizeof *r);
	char sysname[64], call[300];
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
	int rc = enter_raw_repl(r);
	if (rc < 0)
		status = io_failed(s, r, rc);
	else if (rc == 0)
		status = no_repl(s);
	if (status < 0)
		status = check_board(s, r, sysname, sizeof sysname);
	uart_call(s->cli, call, sizeof call);
	if (status < 0 && s->cli->dry_run)
		status = dry_run(s, call);
	if (status < 0)
		status = run_uart(s, r, call);
	if (status < 0)
		status = to_mirror(s, r);
	else if (rc > 0 && status != EXIT_NO_MODEM)
		(void)tx(r, "\x02", 1); /* leave the board at its friendly prompt */
	sqns_port_close(r->port);
	free(r);
	return status;
}
