/* SPDX-License-Identifier: MIT */
/*
 * The command line's grammar: every option and command is declared once, in
 * the tables below. getopt's table, the checks that an option goes with the
 * command, `--help` and `COMMAND --help` are all generated from them.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define HELP_WIDTH 79 /* help lines end before this column */

/* Long-only options, numbered above every letter; the others are keyed by their letter. */
enum long_only {
	OPT_RTSCTS = 256,
	OPT_DEBUG,
	OPT_FFF,
	OPT_FORCE_FFF,
	OPT_RESUME,
	OPT_AT_TIMEOUT,
	OPT_WAKE_TIMEOUT,
	OPT_BOOT_TIMEOUT,
	OPT_STP_TIMEOUT,
	OPT_STALL_TIMEOUT,
	OPT_APPLY_TIMEOUT,
	OPT_VERSION,
	OPT_BOOTROM,
	OPT_FORCE,
	OPT_DRY_RUN,
	OPT_LOG,
	OPT_PKGDEBUG,
	OPT_JSON,
	OPT_SYSFS_ROOT,
	OPT_BAUD_A,
	OPT_RECOVERY,
	OPT_UPDATER,
	OPT_HOST,
	OPT_BAUD_B,
	OPT_BOARD,
	OPT_BOARD_UPDATER,
	OPT_END
};

struct opt {
	const char *name; /* the long name, without "--" */
	int key;	  /* its letter (-p), or an OPT_ value for a long-only option */
	const char *arg;  /* the value's name in help ("PORT"), NULL for a flag */
	const char *help; /* wrapped to the width; '\n' forces a line break */
	unsigned flags;
};

static bool has_letter(const struct opt *o)
{
	return o->key < OPT_RTSCTS;
}

#define HELP_IN_USAGE 1u /* on the first line of --help */
#define HELP_HIDDEN 2u	 /* in no help (a test hook) */
#define HELP_REQUIRED 4u /* the command needs it: no brackets in its synopsis */

/* Options every command takes (--help lists them first). */
static const struct opt global_opts[] = {
    {"port", 'p', "PORT",
     "serial port (default: $SQNSUPGRADE_PORT); a symlink is fine; socket://HOST:PORT "
     "for a serial server; repeat -p to upgrade several modems at once (run only)",
     HELP_IN_USAGE},
    {"baud", 'b', "RATE",
     "the modem's rate (default 921600); above 921600, the rate the transfer is moved to "
     "with AT+IPR (921600 if refused), e.g. 3686400 (set through termios2 on Linux)",
     HELP_IN_USAGE},
    {"rtscts", OPT_RTSCTS, NULL, "RTS/CTS hardware flow control", HELP_IN_USAGE},
    {"board", OPT_BOARD, NULL,
     "the port is a Pycom board's USB port with MicroPython (GPy, FiPy, G01): take its "
     "REPL at 115200, run sqnsupgrade.uart(...) on it for the method, then go on at 921600 "
     "through its mirror (run, info, version, state, imei)",
     HELP_IN_USAGE},
    {"verbose", 'v', NULL, "say more (retries, reboots)", HELP_IN_USAGE},
    {"quiet", 'q', NULL, "print only errors and the final result line", HELP_IN_USAGE},
    {"json", OPT_JSON, NULL,
     "JSON lines on stdout: every phase and percent, then a result object (with several "
     "ports: one summary array)",
     0},
    {"debug", OPT_DEBUG, NULL, "trace every AT line and STP frame on stderr", HELP_IN_USAGE},
    {"pkgdebug", OPT_PKGDEBUG, NULL, "hex dump of every byte on the port, on stderr", 0},
    {"log", OPT_LOG, "FILE", "append a timestamped transcript of the wire to FILE", 0},
    {"at-timeout", OPT_AT_TIMEOUT, "S", "seconds for one AT command (default 5)", 0},
    {"wake-timeout", OPT_WAKE_TIMEOUT, "S", "first contact with the modem (default 20)", 0},
    {"boot-timeout", OPT_BOOT_TIMEOUT, "S", "the modem rebooting (default 300)", 0},
    {"stp-timeout", OPT_STP_TIMEOUT, "S", "one STP answer (default 90)", 0},
    {"stall-timeout", OPT_STALL_TIMEOUT, "S",
     "the longest silence of one STP exchange, retries included (default 300): longer "
     "means the modem hangs",
     0},
    {"apply-timeout", OPT_APPLY_TIMEOUT, "S", "the modem checking an image (default 300)", 0},
    {"sysfs-root", OPT_SYSFS_ROOT, "DIR", "where list-ports looks instead of /sys", HELP_HIDDEN},
    {"help", 'h', NULL, "this text, or with a command, that command's", 0},
    {"version", OPT_VERSION, NULL, "the program's version", 0},
    {NULL, 0, NULL, NULL, 0},
};

static const struct opt run_opts[] = {
    {"fff", OPT_FFF, NULL, "store the image first, then apply it (up to 4 MiB)", 0},
    {"force-fff", OPT_FORCE_FFF, NULL, "use FFF even above 4 MiB", 0},
    {"resume", OPT_RESUME, NULL, "the modem is in upgrade mode after a failed upgrade", 0},
    {"bootrom", OPT_BOOTROM, "FILE",
     "the boot ROM, for a modem with the factory one (Bootloader0 33080): the raw image, "
     "or Pycom's sqnsbr.py or sqnsbrz.py; on a modem already on the target build, only "
     "the boot ROM is sent",
     0},
    {"force", OPT_FORCE, NULL,
     "override a refused differential base or factory boot ROM, and flash even when the "
     "modem already runs the target build",
     0},
    {"dry-run", OPT_DRY_RUN, NULL, "detect the modem, print the plan, change nothing", 0},
    {"board-updater", OPT_BOARD_UPDATER, "PATH",
     "with --board: the recovery method with updater.elf from the board's flash (e.g. "
     "/flash/updater.elf): the board loads it, the computer sends the firmware only",
     0},
    {NULL, 0, NULL, NULL, 0},
};

static const struct opt uart_opts[] = {
    {"host", OPT_HOST, "PORT", "the port the computer's sqnsupgrade talks to", HELP_REQUIRED},
    {"recovery", OPT_RECOVERY, NULL,
     "the recovery method: needs --updater (the mirror cannot follow the rate change of "
     "loading updater.elf later)",
     0},
    {"updater", OPT_UPDATER, "FILE", "updater.elf, loaded here before mirroring (with --recovery)",
     0},
    {"bootrom", OPT_BOOTROM, "FILE",
     "the boot ROM, when the modem still has the factory one (with --recovery)", 0},
    {NULL, 0, NULL, NULL, 0},
};

static const struct opt bridge_opts[] = {
    {"baud-a", OPT_BAUD_A, "RATE", "PORT_A's rate (default -b's, 921600)", 0},
    {"baud-b", OPT_BAUD_B, "RATE", "PORT_B's rate (default -b's, 921600)", 0},
    {NULL, 0, NULL, NULL, 0},
};

static const struct opt no_opts[] = {{NULL, 0, NULL, NULL, 0}};

static const struct cli_command commands[] = {
    {"run", "FIRMWARE.dup [UPDATER.elf] | RELEASE.zip | FOLDER", 1, 2, cmd_run,
     "upgrade the modem's firmware; with UPDATER.elf by the recovery method",
     "Upgrade the modem's firmware with FIRMWARE.dup (full or differential image); with "
     "UPDATER.elf by the recovery method (serial ports only, not socket://). Or give the "
     "release as Pycom published it, RELEASE.zip (CATM1-39529.zip), or the FOLDER it was "
     "unpacked into: the modem is detected and the smallest image that fits is chosen "
     "from it (the differential image from the build it runs, else the full image; both "
     "parts of a two-part release), with its updater.elf when the recovery method is "
     "needed; --dry-run says what and why. Repeat -p to upgrade several modems at once "
     "(--json for a JSON summary).",
     run_opts, "a firmware file", true, true},
    {"info", "", 0, 0, cmd_info, "say which mode the modem is in, and its version",
     "Say which mode the modem is in; in application mode, its version and IMEI. In any other "
     "mode it exits 9 after its sentence.",
     no_opts, NULL, true, false},
    {"version", "", 0, 0, cmd_version, "print the modem's SYSTEM VERSION block (AT!=\"showver\")",
     "Print the modem's SYSTEM VERSION block (AT!=\"showver\"); application mode only.", no_opts,
     NULL, true, false},
    {"state", "", 0, 0, cmd_state, "print the modem's mode: its number and name",
     "Print the modem's mode: its number and name (e.g. \"2 application\").", no_opts, NULL, true,
     false},
    {"imei", "", 0, 0, cmd_imei, "print the modem's IMEI",
     "Print the modem's IMEI; application mode only.", no_opts, NULL, true, false},
    {"list-ports", "", 0, 0, cmd_list_ports,
     "list the serial ports, marking the USB-serial chips of Pycom boards",
     "List the serial ports (ttyUSB*, ttyACM*, ttyS* with a device), one a line, "
     "tab-separated: path, USB VID:PID, manufacturer, product, serial number, and the "
     "USB-serial chip when it is one Pycom boards use (FTDI, CP210x, expansion board, "
     "Pysense, Pytrack). '-' marks what is unknown.",
     no_opts, NULL, false, false},
    {"uart", "", 0, 0, cmd_uart, "mirror mode: prepare the modem, then bridge it to --host",
     "Mirror mode, as sqnsupgrade.uart() on the board in Pycom's Modem Firmware Update "
     "instructions: bring the modem (-p) to "
     "upgrade mode, print \"Going into MIRROR mode...\", then copy bytes between it and "
     "the port facing the computer (--host) until one closes or Ctrl-C. The computer then "
     "runs: sqnsupgrade -p ITS_PORT run FIRMWARE.dup",
     uart_opts, NULL, true, false},
    {"bridge", "PORT_A PORT_B", 2, 2, cmd_bridge,
     "copy bytes both ways between two ports until one closes or Ctrl-C",
     "Copy bytes both ways between two ports (serial or socket://HOST:PORT) until one "
     "closes or Ctrl-C; e.g. to reach a modem through another computer's port.",
     bridge_opts, "two ports", false, false},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char about_text[] =
    "Firmware updater for the Sequans SQN3330 LTE modem (Pycom GPy, FiPy, G01).";
static const char default_port_text[] =
    "Without -p and $SQNSUPGRADE_PORT, the only serial port there is is used.\n"
    "'sqnsupgrade COMMAND --help' describes one command.";
static const char exit_text[] =
    "Exit status: 0 success, 1 failure, 2 usage, 3 file, 4 port, 5 modem not responding, "
    "6 transfer failed, 7 image rejected by the modem, 8 interrupted, 9 wrong modem mode "
    "(info: not in application mode), "
    "10 refused by a safety check (also a --bootrom file that holds no boot ROM), 11 the "
    "modem runs another build after the upgrade. A verified firmware whose boot ROM stays "
    "the factory's is a success (0), with a warning that says how to finish.";

const struct cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; name && i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* ---- help: words wrapped to HELP_WIDTH ---- */

struct line {
	FILE *f;
	int col;    /* the column the next character goes to */
	int indent; /* where continuation lines start */
	bool fresh; /* nothing written since the indent */
	int lines;  /* line breaks so far */
};

static void new_line(struct line *l)
{
	fprintf(l->f, "\n%*s", l->indent, "");
	l->col = l->indent;
	l->fresh = true;
	l->lines++;
}

/* One unbreakable item, after a space unless it starts the line. */
static void put_word(struct line *l, const char *w, int len)
{
	if (!l->fresh && l->col + 1 + len > HELP_WIDTH)
		new_line(l);
	if (!l->fresh) {
		fputc(' ', l->f);
		l->col++;
	}
	fprintf(l->f, "%.*s", len, w);
	l->col += len;
	l->fresh = false;
}

/* Text word by word; '\n' starts a new line. */
static void put_text(struct line *l, const char *text)
{
	const char *p = text;
	while (*p) {
		if (*p == '\n') {
			new_line(l);
			p++;
		} else if (*p == ' ') {
			p++;
		} else {
			int n = (int)strcspn(p, " \n");
			put_word(l, p, n);
			p += n;
		}
	}
}

static void end_line(struct line *l)
{
	fputc('\n', l->f);
	l->col = 0;
	l->fresh = true;
}

/* "[--name ARG]", or "--name ARG" for a required option. */
static void put_synopsis_opt(struct line *l, const struct opt *o)
{
	char w[64];
	bool req = o->flags & HELP_REQUIRED;
	int n = snprintf(w, sizeof w, "%s--%s%s%s%s", req ? "" : "[", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "", req ? "" : "]");
	put_word(l, w, n);
}

/* NAME ARGS [--opt]...: the command's synopsis, continued at l->indent. */
static void put_synopsis(struct line *l, const struct cli_command *cmd)
{
	put_word(l, cmd->name, (int)strlen(cmd->name));
	put_text(l, cmd->args);
	for (const struct opt *o = cmd->opts; o->name; o++)
		put_synopsis_opt(l, o);
}

/* "  -p, --port PORT" or "      --json": an option's left column. */
static int opt_label(char *buf, size_t len, const struct opt *o, bool short_slot)
{
	char letter[8] = "";
	if (has_letter(o))
		snprintf(letter, sizeof letter, "-%c, ", o->key);
	else if (short_slot)
		snprintf(letter, sizeof letter, "    ");
	return snprintf(buf, len, "  %s--%s%s%s", letter, o->name, o->arg ? " " : "",
			o->arg ? o->arg : "");
}

static void put_opts(FILE *f, const struct opt *opts, bool short_slot, int column)
{
	for (const struct opt *o = opts; o->name; o++) {
		if (o->flags & HELP_HIDDEN)
			continue;
		char label[64];
		int n = opt_label(label, sizeof label, o, short_slot);
		fputs(label, f);
		struct line l = {.f = f, .col = n, .indent = column, .fresh = true};
		if (n + 2 > column)
			new_line(&l);
		else
			l.col = fprintf(f, "%*s", column - n, "") + n;
		put_text(&l, o->help);
		end_line(&l);
	}
}

/* The widest label of a table, plus two spaces. */
static int opts_column(const struct opt *opts, bool short_slot)
{
	int w = 0;
	for (const struct opt *o = opts; o->name; o++) {
		char label[64];
		int n = opt_label(label, sizeof label, o, short_slot);
		if (!(o->flags & HELP_HIDDEN) && n > w)
			w = n;
	}
	return w + 2;
}

static void put_paragraph(FILE *f, const char *text)
{
	struct line l = {.f = f, .fresh = true};
	put_text(&l, text);
	end_line(&l);
}

/* `sqnsupgrade COMMAND --help`. */
static void command_help(FILE *f, const struct cli_command *cmd)
{
	struct line l = {.f = f, .fresh = true};
	put_text(&l, "Usage: sqnsupgrade [OPTIONS]");
	l.indent = l.col + 1 + (int)strlen(cmd->name) + 1;
	put_synopsis(&l, cmd);
	end_line(&l);
	put_paragraph(f, cmd->help);
	if (cmd->opts->name)
		put_opts(f, cmd->opts, false, opts_column(cmd->opts, false));
	fputs("OPTIONS: those every command takes, in 'sqnsupgrade --help'.\n", f);
}

/* The first line of --help: the options marked HELP_IN_USAGE. */
static void usage_line(FILE *f)
{
	struct line l = {.f = f, .fresh = true};
	put_text(&l, "Usage: sqnsupgrade");
	l.indent = l.col + 1;
	for (const struct opt *o = global_opts; o->name; o++) {
		if (!(o->flags & HELP_IN_USAGE))
			continue;
		char w[64];
		int n = has_letter(o) ? snprintf(w, sizeof w, "[-%c|--%s%s%s]", o->key, o->name,
						 o->arg ? " " : "", o->arg ? o->arg : "")
				      : snprintf(w, sizeof w, "[--%s%s%s]", o->name,
						 o->arg ? " " : "", o->arg ? o->arg : "");
		put_word(&l, w, n);
	}
	put_text(&l, "COMMAND ...");
	end_line(&l);
}

/* The "Commands:" list: each synopsis, and its summary beside it or below. */
static void command_list(FILE *f)
{
	enum { SUMMARY_COL = 17 };
	fputs("Commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		struct line l = {.f = f, .col = 2, .indent = 6, .fresh = true};
		fputs("  ", f);
		put_synopsis(&l, &commands[i]);
		l.indent = SUMMARY_COL;
		if (l.lines == 0 && l.col <= SUMMARY_COL - 2) {
			l.col += fprintf(f, "%*s", SUMMARY_COL - l.col, "");
			l.fresh = true;
		} else {
			new_line(&l);
		}
		put_text(&l, commands[i].summary);
		end_line(&l);
	}
}

/* `sqnsupgrade --help`. */
static void global_help(FILE *f)
{
	int column = opts_column(global_opts, true);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		int c = opts_column(commands[i].opts, true);
		column = c > column ? c : column;
	}
	usage_line(f);
	put_paragraph(f, about_text);
	fputc('\n', f);
	command_list(f);
	put_paragraph(f, default_port_text);
	fputs("\nOptions:\n", f);
	put_opts(f, global_opts, true, column);
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!commands[i].opts->name)
			continue;
		fprintf(f, "\nOptions of %s:\n", commands[i].name);
		put_opts(f, commands[i].opts, true, column);
	}
	fputc('\n', f);
	put_paragraph(f, exit_text);
}

/* ---- parsing ---- */

static int usage_error(const char *fmt, const char *arg)
{
	fputs("sqnsupgrade: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see sqnsupgrade --help)\n", stderr);
	return EXIT_USAGE;
}

/* ---- suggestions for a mistyped option or command ---- */

#define SUGGEST_MAX 32 /* longer words get no suggestion */

/* Edits (insert, delete, substitute, swap two neighbours) from a[0..na) to b; a large number when
 * either is too long to compare. */
static int distance(const char *a, size_t na, const char *b)
{
	size_t nb = strlen(b);
	if (na >= SUGGEST_MAX || nb >= SUGGEST_MAX)
		return 1000;
	int d[SUGGEST_MAX][SUGGEST_MAX];
	for (size_t i = 0; i <= na; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= na; i++) {
		for (size_t j = 1; j <= nb; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[na][nb];
}

/* The closest name: within 2 edits (1 for a word of up to 4 letters), and unique. */
struct suggestion {
	const char *name;
	int dist;
	bool tie;
};

static void consider(struct suggestion *s, const char *word, size_t len, const char *name)
{
	int d = distance(word, len, name);
	if (d > (len <= 4 ? 1 : 2))
		return;
	if (!s->name || d < s->dist) {
		*s = (struct suggestion){name, d, false};
	} else if (d == s->dist && strcmp(name, s->name) != 0) {
		s->tie = true;
	}
}

static void consider_opts(struct suggestion *s, const char *word, size_t len,
			  const struct opt *opts)
{
	for (const struct opt *o = opts; o->name; o++)
		if (!(o->flags & HELP_HIDDEN))
			consider(s, word, len, o->name);
}

/* Whether word[0..len) starts two long options or more (--bau: --baud, --baud-a, --baud-b). */
static bool ambiguous(const char *word, size_t len)
{
	const char *first = NULL;
	const struct opt *tables[NCOMMANDS + 1];
	tables[0] = global_opts;
	for (size_t i = 0; i < NCOMMANDS; i++)
		tables[i + 1] = commands[i].opts;
	for (size_t t = 0; t <= NCOMMANDS; t++) {
		for (const struct opt *o = tables[t]; o->name; o++) {
			if (strncmp(o->name, word, len) != 0)
				continue;
			if (first && strcmp(first, o->name) != 0)
				return true;
			first = o->name;
		}
	}
	return false;
}

/* The long option word[0..len) (without "--") was meant to be, or NULL. */
static const char *suggest_option(const char *word, size_t len)
{
	if (ambiguous(word, len))
		return NULL; /* ambiguous, not mistyped: the candidates are all right */
	struct suggestion s = {0};
	consider_opts(&s, word, len, global_opts);
	for (size_t i = 0; i < NCOMMANDS; i++)
		consider_opts(&s, word, len, commands[i].opts);
	return s.tie ? NULL : s.name;
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);
	return n >= m && strcasecmp(s + n - m, end) == 0;
}

/* An option getopt did not take (word: its argv word): unknown or ambiguous, or no value. */
static int bad_option(int key, const char *word)
{
	bool is_long = strncmp(word, "--", 2) == 0;
	char letter[3] = {'-', (char)optopt, '\0'};
	const char *shown = is_long ? word : letter;
	int len = is_long ? (int)strcspn(word, "=") : 2;
	const char *meant = NULL;
	if (key == ':') {
		fprintf(stderr, "sqnsupgrade: option '%.*s' needs a value", len, shown);
	} else {
		fprintf(stderr, "sqnsupgrade: unknown or ambiguous option '%.*s'", len, shown);
		if (is_long)
			meant = suggest_option(word + 2, (size_t)len - 2);
	}
	if (meant)
		fprintf(stderr, ": did you mean --%s?", meant);
	fputs(" (see sqnsupgrade --help)\n", stderr);
	return EXIT_USAGE;
}

/* An unknown command (argv[first]): a firmware file given without `run` gets the whole command
 * line with it, a mistyped command the closest name. Options were moved before it by getopt. */
static int unknown_command(int argc, char **argv, int first)
{
	const char *word = argv[first];
	fprintf(stderr, "sqnsupgrade: unknown command '%s'", word);
	if (ends_with(word, ".dup")) {
		fputs("; did you mean: sqnsupgrade", stderr);
		for (int i = 1; i < argc; i++) {
			char quoted[2 * PATH_MAX];
			shell_quote(quoted, sizeof quoted, argv[i]);
			fprintf(stderr, "%s %s", i == first ? " run" : "", quoted);
		}
		fputc('?', stderr);
	} else {
		struct suggestion s = {0};
		for (size_t i = 0; i < NCOMMANDS; i++)
			consider(&s, word, strlen(word), commands[i].name);
		if (s.name && !s.tie)
			fprintf(stderr, ": did you mean '%s'?", s.name);
	}
	fputs(" (see sqnsupgrade --help)\n", stderr);
	return EXIT_USAGE;
}

static bool parse_seconds(const char *s, uint32_t *ms)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || v <= 0 || v > 86400)
		return false;
	*ms = (uint32_t)(v * 1000.0 + 0.5);
	return *ms > 0;
}

static bool parse_baud(const char *s, uint32_t *baud)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !sqns_port_rate_ok((uint32_t)v))
		return false;
	*baud = (uint32_t)v;
	return true;
}

static uint32_t *timeout_slot(struct cli *c, int key)
{
	switch (key) {
	case OPT_AT_TIMEOUT:
		return &c->timeouts.at_ms;
	case OPT_WAKE_TIMEOUT:
		return &c->timeouts.detect_ms;
	case OPT_BOOT_TIMEOUT:
		return &c->timeouts.wake_ms;
	case OPT_STP_TIMEOUT:
		return &c->timeouts.stp_ms;
	case OPT_STALL_TIMEOUT:
		return &c->timeouts.stall_ms;
	default:
		return &c->timeouts.apply_ms;
	}
}

/* The flags: where each goes in struct cli. */
static bool *flag_slot(struct cli *c, int key)
{
	switch (key) {
	case 'h':
		return &c->help;
	case 'q':
		return &c->quiet;
	case OPT_RECOVERY:
		return &c->recovery;
	case OPT_RTSCTS:
		return &c->rtscts;
	case OPT_DEBUG:
		return &c->debug;
	case OPT_FFF:
		return &c->fff;
	case OPT_RESUME:
		return &c->resume;
	case OPT_FORCE:
		return &c->force;
	case OPT_DRY_RUN:
		return &c->dry_run;
	case OPT_PKGDEBUG:
		return &c->pkgdebug;
	case OPT_JSON:
		return &c->json;
	case OPT_BOARD:
		return &c->board;
	default:
		return NULL;
	}
}

/* The options with a file or port value: where each goes in struct cli. */
static const char **string_slot(struct cli *c, int key)
{
	switch (key) {
	case OPT_SYSFS_ROOT:
		return &c->sysfs_root;
	case OPT_UPDATER:
		return &c->updater;
	case OPT_HOST:
		return &c->host;
	case OPT_BOOTROM:
		return &c->bootrom;
	case OPT_LOG:
		return &c->log;
	case OPT_BOARD_UPDATER:
		return &c->board_updater;
	default:
		return NULL;
	}
}

static int bad_rate(const char *arg)
{
	return usage_error("unsupported rate '%s': use a standard rate such as 115200 or 921600 "
			   "(or 3686400 for the transfer)",
			   arg);
}

/* The options with a value to check; -1 to go on, else the exit status. */
static int parse_value(struct cli *c, int key, const char *arg)
{
	switch (key) {
	case 'p':
		if (c->nports == (int)(sizeof c->ports / sizeof c->ports[0]))
			return usage_error("at most %s ports at once", "16");
		c->ports[c->nports++] = arg;
		c->port = c->ports[0];
		return -1;
	case 'b':
		return parse_baud(arg, &c->baud) ? -1 : bad_rate(arg);
	case OPT_BAUD_A:
	case OPT_BAUD_B:
		return parse_baud(arg, key == OPT_BAUD_A ? &c->baud_a : &c->baud_b) ? -1
										    : bad_rate(arg);
	default:
		if (!parse_seconds(arg, timeout_slot(c, key)))
			return usage_error("bad timeout '%s': give seconds, e.g. 30 or 0.5", arg);
		return -1;
	}
}

/* One option; -1 to go on, else the exit status. */
static int parse_option(struct cli *c, int key, const char *arg)
{
	bool *flag = flag_slot(c, key);
	const char **s = string_slot(c, key);
	if (flag) {
		*flag = true;
	} else if (s) {
		*s = arg;
	} else if (key == 'v') {
		c->verbose++;
	} else if (key == OPT_FORCE_FFF) {
		c->fff = c->force_fff = true;
	} else if (key == OPT_VERSION) {
		printf("sqnsupgrade %s\n", sqns_version());
		return EXIT_OK;
	} else {
		return parse_value(c, key, arg);
	}
	return -1;
}

/* getopt's tables from ours: every option once (--bootrom belongs to two commands). */
struct getopt_tables {
	struct option longs[64];
	char shorts[32];
};

static void add_long(struct getopt_tables *t, int *n, const struct opt *o)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(t->longs[i].name, o->name) == 0)
			return;
	t->longs[(*n)++] =
	    (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
}

static void build_getopt(struct getopt_tables *t)
{
	int n = 0;
	size_t ns = 0;
	t->shorts[ns++] = ':'; /* a missing value is ':', not '?' */
	for (const struct opt *o = global_opts; o->name; o++) {
		add_long(t, &n, o);
		if (has_letter(o)) {
			t->shorts[ns++] = (char)o->key;
			if (o->arg)
				t->shorts[ns++] = ':';
		}
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		for (const struct opt *o = commands[i].opts; o->name; o++)
			add_long(t, &n, o);
	t->longs[n] = (struct option){NULL, 0, NULL, 0};
	t->shorts[ns] = '\0';
}

static bool takes(const struct opt *opts, int key)
{
	for (const struct opt *o = opts; o->name; o++)
		if (o->key == key)
			return true;
	return false;
}

/* A command's option given with another command: say which commands take it. */
static int wrong_command(const struct cli_command *cmd, int key)
{
	char which[160] = "";
	const char *name = NULL;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		for (const struct opt *o = commands[i].opts; o->name; o++) {
			if (o->key != key)
				continue;
			name = o->name;
			size_t len = strlen(which);
			snprintf(which + len, sizeof which - len, "%s'%s'", len ? " and " : "",
				 commands[i].name);
		}
	}
	fprintf(stderr, "sqnsupgrade: --%s goes with %s, not '%s' (see sqnsupgrade --help)\n", name,
		which, cmd->name);
	return EXIT_USAGE;
}

/* The command's arguments and options; -1 to go on, else the exit status. */
static int check_command(struct cli *c, const struct cli_command *cmd, const bool *seen)
{
	if (c->nargs < cmd->min_args) {
		fprintf(stderr,
			"sqnsupgrade: '%s' needs %s: sqnsupgrade %s %s (see sqnsupgrade --help)\n",
			cmd->name, cmd->missing ? cmd->missing : "arguments", cmd->name, cmd->args);
		return EXIT_USAGE;
	}
	if (c->nargs > cmd->max_args)
		return usage_error("too many arguments for '%s'", cmd->name);
	if (c->nports > 1 && !cmd->several_ports)
		return usage_error("several ports go with 'run' only, not '%s'", cmd->name);
	for (int key = OPT_RTSCTS; key < OPT_END; key++)
		if (seen[key - OPT_RTSCTS] && !takes(global_opts, key) && !takes(cmd->opts, key))
			return wrong_command(cmd, key);
	return -1;
}

int cli_parse(struct cli *c, int argc, char **argv)
{
	struct getopt_tables t;
	bool seen[OPT_END - OPT_RTSCTS] = {false};
	build_getopt(&t);
	optind = 0; /* a second call in the same process parses from scratch */
	opterr = 0; /* getopt's own words carry no hint: ours below */
	int key;
	while ((key = getopt_long(argc, argv, t.shorts, t.longs, NULL)) != -1) {
		if (key == '?' || key == ':')
			return bad_option(key, argv[optind - 1]);
		if (key >= OPT_RTSCTS && key < OPT_END)
			seen[key - OPT_RTSCTS] = true;
		int r = parse_option(c, key, optarg);
		if (r >= 0)
			return r;
	}
	const struct cli_command *cmd = optind < argc ? cli_find_command(argv[optind]) : NULL;
	if (c->help) {
		if (cmd)
			command_help(stdout, cmd);
		else
			global_help(stdout);
		return EXIT_OK;
	}
	if (optind >= argc)
		return usage_error("%sno command given", "");
	c->command = argv[optind++];
	if (!cmd)
		return unknown_command(argc, argv, optind - 1);
	c->nargs = argc - optind;
	for (int i = 0; i < c->nargs && i < cmd->max_args; i++)
		c->args[i] = argv[optind + i];
	return check_command(c, cmd, seen);
}
