/* sqnsupgrade: the command line. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_file.h"
#include "output.h"
#include "posix_serial.h"
#include "sqnsupgrade.h"

#ifndef SQNS_VERSION
#define SQNS_VERSION "0.1.0"
#endif

/* Exit statuses (documented in README.md and `sqnsupgrade --help`). */
enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	      /* any other failure */
	EXIT_USAGE = 2,	      /* bad command line */
	EXIT_FILE = 3,	      /* a file is missing, unreadable or not a firmware image */
	EXIT_PORT = 4,	      /* the port cannot be opened or is in use */
	EXIT_NO_MODEM = 5,    /* the modem does not answer */
	EXIT_TRANSFER = 6,    /* the transfer failed */
	EXIT_REJECTED = 7,    /* the modem rejected the image */
	EXIT_INTERRUPTED = 8, /* interrupted by a signal */
	EXIT_STATE = 9,	      /* the modem's mode does not allow this */
};

struct cli {
	const char *port;
	uint32_t baud;
	bool rtscts;
	int verbose;
	bool debug;
	struct sqns_timeouts timeouts;
	const char *command;
	const char *args[2];
	int nargs;
	bool fff, force_fff, resume;
};

struct session {
	struct cli *cli;
	struct posix_serial serial;
	struct output out;
	struct sqns_ctx ctx;
};

static const char usage_text[] =
    "Usage: sqnsupgrade [-p|--port PORT] [-b|--baud RATE] [--rtscts] [-v|--verbose] [--debug]\n"
    "                   COMMAND ...\n"
    "Firmware updater for the Sequans SQN3330 LTE modem (Pycom GPy, FiPy, G01).\n"
    "\n"
    "Commands:\n"
    "  run FIRMWARE.dup [UPDATER.elf] [--fff] [--force-fff] [--resume]\n"
    "                 upgrade the modem's firmware\n"
    "  info           say which mode the modem is in, and its version\n"
    "  version        print the modem's SYSTEM VERSION block (AT!=\"showver\")\n"
    "  state          print the modem's mode: its number and name\n"
    "  imei           print the modem's IMEI\n"
    "\n"
    "Options:\n"
    "  -p, --port PORT      serial port (default: $SQNSUPGRADE_PORT); a symlink is fine\n"
    "  -b, --baud RATE      the modem's rate (default 921600)\n"
    "      --rtscts         RTS/CTS hardware flow control\n"
    "  -v, --verbose        say more (retries, reboots)\n"
    "      --debug          trace every AT line and STP frame on stderr\n"
    "      --fff            store the image first, then apply it (images up to 4 MiB)\n"
    "      --force-fff      use FFF even above 4 MiB\n"
    "      --resume         the modem is in upgrade mode after a failed upgrade\n"
    "      --at-timeout S      one AT command (default 5)\n"
    "      --wake-timeout S    first contact with the modem (default 20)\n"
    "      --boot-timeout S    the modem rebooting (default 300)\n"
    "      --stp-timeout S     one STP answer (default 90)\n"
    "      --apply-timeout S   the modem checking an image (default 300)\n"
    "  -h, --help           this text;  --version  the program's version\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage, 3 file, 4 port, 5 modem not responding,\n"
    "6 transfer failed, 7 image rejected by the modem, 8 interrupted, 9 wrong modem mode.\n";

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
	OPT_APPLY_TIMEOUT,
	OPT_VERSION,
};

static const struct option long_options[] = {
    {"port", required_argument, NULL, 'p'},
    {"baud", required_argument, NULL, 'b'},
    {"rtscts", no_argument, NULL, OPT_RTSCTS},
    {"verbose", no_argument, NULL, 'v'},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"fff", no_argument, NULL, OPT_FFF},
    {"force-fff", no_argument, NULL, OPT_FORCE_FFF},
    {"resume", no_argument, NULL, OPT_RESUME},
    {"at-timeout", required_argument, NULL, OPT_AT_TIMEOUT},
    {"wake-timeout", required_argument, NULL, OPT_WAKE_TIMEOUT},
    {"boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT},
    {"stp-timeout", required_argument, NULL, OPT_STP_TIMEOUT},
    {"apply-timeout", required_argument, NULL, OPT_APPLY_TIMEOUT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("sqnsupgrade: ", stderr);
	fprintf(stderr, fmt, arg);
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
	if (errno || end == s || *end || !posix_serial_rate_ok((uint32_t)v))
		return false;
	*baud = (uint32_t)v;
	return true;
}

static uint32_t *timeout_slot(struct cli *c, int opt)
{
	switch (opt) {
	case OPT_AT_TIMEOUT:
		return &c->timeouts.at_ms;
	case OPT_WAKE_TIMEOUT:
		return &c->timeouts.detect_ms;
	case OPT_BOOT_TIMEOUT:
		return &c->timeouts.wake_ms;
	case OPT_STP_TIMEOUT:
		return &c->timeouts.stp_ms;
	default:
		return &c->timeouts.apply_ms;
	}
}

/* Returns -1 to go on, else the exit status. */
static int parse_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		c->port = arg;
		break;
	case 'b':
		if (!parse_baud(arg, &c->baud))
			return usage_error("unsupported rate '%s': use a standard rate such as "
					   "115200 or 921600",
					   arg);
		break;
	case 'v':
		c->verbose++;
		break;
	case 'h':
		fputs(usage_text, stdout);
		return EXIT_OK;
	case OPT_VERSION:
		printf("sqnsupgrade %s\n", SQNS_VERSION);
		return EXIT_OK;
	case OPT_RTSCTS:
		c->rtscts = true;
		break;
	case OPT_DEBUG:
		c->debug = true;
		break;
	case OPT_FFF:
		c->fff = true;
		break;
	case OPT_FORCE_FFF:
		c->fff = c->force_fff = true;
		break;
	case OPT_RESUME:
		c->resume = true;
		break;
	case OPT_AT_TIMEOUT:
	case OPT_WAKE_TIMEOUT:
	case OPT_BOOT_TIMEOUT:
	case OPT_STP_TIMEOUT:
	case OPT_APPLY_TIMEOUT:
		if (!parse_seconds(arg, timeout_slot(c, opt)))
			return usage_error("bad timeout '%s': give seconds, e.g. 30 or 0.5", arg);
		break;
	default:
		return EXIT_USAGE; /* getopt has said what */
	}
	return -1;
}

struct command {
	const char *name;
	int min_args, max_args;
	int (*fn)(struct session *s);
};

static const struct command *find_command(const char *name);

static int parse_args(struct cli *c, int argc, char **argv)
{
	int opt;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "p:b:vh", long_options, NULL)) != -1) {
		int r = parse_option(c, opt, optarg);
		if (r >= 0)
			return r;
	}
	if (optind >= argc)
		return usage_error("%sno command given", "");
	c->command = argv[optind++];
	const struct command *cmd = find_command(c->command);
	if (!cmd)
		return usage_error("unknown command '%s'", c->command);
	c->nargs = argc - optind;
	if (c->nargs < cmd->min_args)
		return usage_error("'%s' needs a firmware file: sqnsupgrade run FIRMWARE.dup",
				   c->command);
	if (c->nargs > cmd->max_args)
		return usage_error("too many arguments for '%s'", c->command);
	for (int i = 0; i < c->nargs; i++)
		c->args[i] = argv[optind + i];
	if ((c->fff || c->resume) && strcmp(c->command, "run") != 0)
		return usage_error("--fff, --force-fff and --resume go with 'run', not '%s'",
				   c->command);
	return -1;
}

static int open_port(struct session *s)
{
	struct cli *c = s->cli;
	if (!c->port || !*c->port) {
		fprintf(stderr, "sqnsupgrade: no port given: use -p PORT (e.g. -p /dev/ttyUSB0) or "
				"set SQNSUPGRADE_PORT\n");
		return EXIT_USAGE;
	}
	if (posix_serial_open(&s->serial, c->port, c->baud, c->rtscts) == SQNS_OK)
		return -1;
	int e = s->serial.os_errno;
	if (e == ENOENT)
		fprintf(stderr,
			"sqnsupgrade: port '%s' does not exist: check the cable and the name "
			"(ls /dev/ttyUSB* /dev/ttyACM*)\n",
			c->port);
	else if (e == EBUSY)
		fprintf(stderr,
			"sqnsupgrade: port '%s' is in use by another program (another sqnsupgrade, "
			"a terminal?): close it and run this again\n",
			c->port);
	else if (e == ENOTTY)
		fprintf(stderr, "sqnsupgrade: '%s' is not a serial port\n", c->port);
	else if (e == EACCES)
		fprintf(stderr,
			"sqnsupgrade: no permission to open '%s': add yourself to the 'dialout' "
			"group, then log in again\n",
			c->port);
	else
		fprintf(stderr, "sqnsupgrade: cannot open port '%s': %s\n", c->port, strerror(e));
	return EXIT_PORT;
}

static void shell_quote(char *out, size_t len, const char *s)
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

static int exit_for(int err)
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
	case SQNS_ERR_IO:
		return EXIT_PORT;
	default:
		return EXIT_FAIL;
	}
}

static void port_error(struct session *s, int err)
{
	if (err == SQNS_ERR_IO)
		fprintf(stderr, "sqnsupgrade: port '%s' failed: %s (unplugged?)\n", s->cli->port,
			strerror(s->serial.os_errno));
}

static int no_modem(struct session *s)
{
	fprintf(stderr,
		"sqnsupgrade: no modem answered AT on '%s' at %u baud. Check the port and the "
		"rate; if it still does not answer, power-cycle the board (disconnect power: the "
		"reset button is not enough) and try again.\n",
		s->cli->port, s->cli->baud);
	return EXIT_NO_MODEM;
}

/* After a failed upgrade: what state the modem is in, and the command that finishes. */
static void explain_failure(struct session *s, int err, const struct image_file *fw)
{
	char port[600], file[4200];
	shell_quote(port, sizeof port, s->cli->port);
	shell_quote(file, sizeof file, fw->path);
	output_break(&s->out);
	fprintf(stderr, "sqnsupgrade: upgrade failed: %s.\n", sqns_strerror(err));
	port_error(s, err);
	switch (s->ctx.stage) {
	case SQNS_STAGE_UNTOUCHED:
		fprintf(stderr, "The modem was not changed: it still runs its old firmware.\n");
		if (err == SQNS_ERR_NO_MODEM)
			(void)no_modem(s);
		return;
	case SQNS_STAGE_UPGRADE_MODE:
		fprintf(stderr, "The modem is in upgrade mode (4) and waits for a firmware image; "
				"it will not work as a modem until the upgrade is finished.\n");
		break;
	case SQNS_STAGE_TRANSFERRED:
		if (err == SQNS_ERR_REJECTED) {
			fprintf(stderr,
				"The modem refused '%s' (a differential image made for another "
				"build, or a damaged file) and stays in upgrade mode (4) until it "
				"gets a good one. Send a full image (NAME-BUILD.dup):\n"
				"  sqnsupgrade -p %s run FULL-IMAGE.dup --resume\n",
				fw->path, port);
			return;
		}
		fprintf(stderr, "The whole image was sent; the modem was checking or applying it "
				"and may be in upgrade mode (4).\n");
		break;
	case SQNS_STAGE_DONE:
		fprintf(stderr, "The new firmware is installed; only the final steps failed.\n");
		return;
	}
	fprintf(
	    stderr,
	    "To finish: power-cycle the board if the modem does not answer (disconnect power; the "
	    "reset button is not enough), then run:\n  sqnsupgrade -p %s run %s --resume\n",
	    port, file);
}

static void print_showver(struct session *s, const char *showver)
{
	output_block(&s->out, "Here's the current firmware version:\n\n");
	output_block(&s->out, showver);
}

static int cmd_run(struct session *s)
{
	struct cli *c = s->cli;
	struct image_file fw;
	char why[600];
	if (!image_file_open(&fw, c->args[0], why, sizeof why)) {
		fprintf(stderr, "sqnsupgrade: %s\n", why);
		return EXIT_FILE;
	}
	if (c->nargs > 1) {
		fprintf(stderr,
			"sqnsupgrade: the recovery method with '%s' is not supported yet; "
			"run without UPDATER.elf if the modem is in application or upgrade "
			"mode\n",
			c->args[1]);
		image_file_close(&fw);
		return EXIT_USAGE;
	}
	int status = open_port(s);
	if (status >= 0) {
		image_file_close(&fw);
		return status;
	}
	fputs("<<< Welcome to the SQN3330 firmware updater >>>\n", s->out.out);
	struct sqns_upgrade_opts opts = {
	    .image = &fw.image, .fff = c->fff, .force_fff = c->force_fff, .resume = c->resume};
	static char showver[2048];
	int r = sqns_upgrade(&s->ctx, &opts, showver, sizeof showver);
	if (r == SQNS_ERR_STATE) {
		output_break(&s->out);
		fprintf(stderr, "sqnsupgrade: the modem is in %s mode (%d): %s\n",
			sqns_mode_name(s->ctx.mode), s->ctx.mode,
			s->ctx.mode == SQNS_MODE_RECOVERY
			    ? "it needs updater.elf with a full (not differential) image, and the "
			      "recovery method is not supported yet"
			    : "this tool cannot upgrade from that mode yet");
		status = EXIT_STATE;
	} else if (r != SQNS_OK) {
		explain_failure(s, r, &fw);
		status = exit_for(r);
	} else {
		print_showver(s, showver);
		status = EXIT_OK;
	}
	image_file_close(&fw);
	return status;
}

/* Query commands: wake the modem and read its mode first. */
static int detect(struct session *s, int *mode)
{
	int status = open_port(s);
	if (status >= 0)
		return status;
	int r = sqns_detect(&s->ctx, mode);
	if (r == SQNS_ERR_NO_MODEM)
		return no_modem(s);
	if (r != SQNS_OK) {
		port_error(s, r);
		fprintf(stderr, "sqnsupgrade: cannot read the modem's mode: %s\n",
			sqns_strerror(r));
		return exit_for(r);
	}
	return -1;
}

static int need_application(struct session *s, int mode)
{
	if (mode == SQNS_MODE_APPLICATION)
		return -1;
	fprintf(stderr,
		"sqnsupgrade: the modem is in %s mode (%d); '%s' needs application mode (2). "
		"'sqnsupgrade info' says what to do.\n",
		sqns_mode_name(mode), mode, s->cli->command);
	return EXIT_STATE;
}

static int query_failed(struct session *s, int r)
{
	port_error(s, r);
	fprintf(stderr, "sqnsupgrade: %s failed: %s\n", s->cli->command, sqns_strerror(r));
	return exit_for(r);
}

static int cmd_state(struct session *s)
{
	int mode;
	int status = detect(s, &mode);
	if (status == EXIT_NO_MODEM)
		printf("none unknown\n");
	if (status >= 0)
		return status;
	printf("%d %s\n", mode, sqns_mode_name(mode));
	return EXIT_OK;
}

static int cmd_info(struct session *s)
{
	int mode;
	int status = detect(s, &mode);
	if (status == EXIT_NO_MODEM)
		printf("Cannot determine modem state!\n");
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
		printf("Your modem is in application mode. Here is the current version:\n");
		output_block(&s->out, ati1);
		printf("IMEI: %s\n", imei);
		break;
	}
	case SQNS_MODE_MTOOLS:
		printf("Your modem is in mTools mode.\n");
		break;
	case SQNS_MODE_RECOVERY:
		printf("Your modem is in recovery mode! Use firmware.dup and updater.elf to flash "
		       "new firmware.\n");
		break;
	default:
		printf("Your modem is in upgrade mode! Use firmware.dup to flash new firmware.\n");
		break;
	}
	return EXIT_OK;
}

static int cmd_version(struct session *s)
{
	int mode;
	static char showver[2048];
	int status = detect(s, &mode);
	if (status < 0)
		status = need_application(s, mode);
	if (status >= 0)
		return status;
	int r = sqns_showver(&s->ctx, showver, sizeof showver);
	if (r != SQNS_OK)
		return query_failed(s, r);
	output_block(&s->out, showver);
	return EXIT_OK;
}

static int cmd_imei(struct session *s)
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
	printf("%s\n", imei);
	return EXIT_OK;
}

static const struct command commands[] = {
    {"run", 1, 2, cmd_run},	{"info", 0, 0, cmd_info}, {"version", 0, 0, cmd_version},
    {"state", 0, 0, cmd_state}, {"imei", 0, 0, cmd_imei},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct cli cli = {.port = getenv("SQNSUPGRADE_PORT"), .baud = 921600};
	int status = parse_args(&cli, argc, argv);
	if (status >= 0)
		return status;
	static struct session s;
	s.cli = &cli;
	s.serial.fd = -1;
	output_init(&s.out, stdout, stderr, cli.verbose, cli.debug);
	struct sqns_config cfg = {
	    .ops = &posix_serial_ops,
	    .port = &s.serial,
	    .on_event = output_event,
	    .user = &s.out,
	    .baud = cli.baud,
	    .timeouts = cli.timeouts,
	};
	if (sqns_init(&s.ctx, &cfg) != SQNS_OK) {
		fprintf(stderr, "sqnsupgrade: internal error: bad configuration\n");
		return EXIT_FAIL;
	}
	status = find_command(cli.command)->fn(&s);
	output_break(&s.out);
	posix_serial_close(&s.serial);
	return status;
}
