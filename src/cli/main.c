/* sqnsupgrade: the command line. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sqnsupgrade_cli.h"

#ifndef SQNS_VERSION
#define SQNS_VERSION "0.1.0"
#endif

static const char usage_text[] =
    "Usage: sqnsupgrade [-p|--port PORT] [-b|--baud RATE] [--rtscts] [-v|--verbose] [--debug]\n"
    "                   COMMAND ...\n"
    "Firmware updater for the Sequans SQN3330 LTE modem (Pycom GPy, FiPy, G01).\n"
    "\n"
    "Commands:\n"
    "  run FIRMWARE.dup [UPDATER.elf] [--fff] [--force-fff] [--resume]\n"
    "      [--bootrom FILE] [--force] [--dry-run]\n"
    "                 upgrade the modem's firmware; with UPDATER.elf by the recovery method\n"
    "  info           say which mode the modem is in, and its version\n"
    "  version        print the modem's SYSTEM VERSION block (AT!=\"showver\")\n"
    "  state          print the modem's mode: its number and name\n"
    "  imei           print the modem's IMEI\n"
    "  list-ports     list the serial ports, marking the USB-serial chips of Pycom boards\n"
    "  uart --host PORT [--recovery --updater FILE [--bootrom FILE]]\n"
    "                 mirror mode: prepare the modem, then bridge it to --host\n"
    "  bridge PORT_A PORT_B [--baud-a RATE] [--baud-b RATE]\n"
    "                 copy bytes both ways between two ports until one closes or Ctrl-C\n"
    "Without -p and $SQNSUPGRADE_PORT, the only serial port there is is used.\n"
    "'sqnsupgrade COMMAND --help' describes one command.\n"
    "\n"
    "Options:\n"
    "  -p, --port PORT      serial port (default: $SQNSUPGRADE_PORT); a symlink is fine;\n"
    "                       socket://HOST:PORT for a serial server; repeat -p to\n"
    "                       upgrade several modems at once (run only)\n"
    "      --json           JSON lines on stdout: every phase and percent, then a result\n"
    "                       object (with several ports: one summary array)\n"
    "  -b, --baud RATE      the modem's rate (default 921600); above 921600, the rate\n"
    "                       the transfer is moved to with AT+IPR (921600 if refused),\n"
    "                       e.g. 3686400 (set through termios2 on Linux)\n"
    "      --rtscts         RTS/CTS hardware flow control\n"
    "  -v, --verbose        say more (retries, reboots)\n"
    "  -q, --quiet          print only errors and the final result line\n"
    "      --debug          trace every AT line and STP frame on stderr\n"
    "      --pkgdebug       hex dump of every byte on the port, on stderr\n"
    "      --log FILE       append a timestamped transcript of the wire to FILE\n"
    "      --fff            store the image first, then apply it (images up to 4 MiB)\n"
    "      --force-fff      use FFF even above 4 MiB\n"
    "      --resume         the modem is in upgrade mode after a failed upgrade\n"
    "      --bootrom FILE   the boot ROM, for a modem with the factory one: the raw\n"
    "                       image, or Pycom's sqnsbr.py or sqnsbrz.py\n"
    "      --force          override a refused differential base or factory boot ROM,\n"
    "                       and flash even when the modem already runs the target build\n"
    "      --dry-run        detect the modem, print the plan, change nothing\n"
    "      --at-timeout S      one AT command (default 5)\n"
    "      --wake-timeout S    first contact with the modem (default 20)\n"
    "      --boot-timeout S    the modem rebooting (default 300)\n"
    "      --stp-timeout S     one STP answer (default 90)\n"
    "      --stall-timeout S   the longest silence of one STP exchange, retries\n"
    "                          included (default 300): longer means the modem hangs\n"
    "      --apply-timeout S   the modem checking an image (default 300)\n"
    "  -h, --help           this text;  --version  the program's version\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage, 3 file, 4 port, 5 modem not responding,\n"
    "6 transfer failed, 7 image rejected by the modem, 8 interrupted, 9 wrong modem mode,\n"
    "10 refused by a safety check (also a --bootrom file that holds no boot ROM), 11 the\n"
    "modem runs another build after the upgrade. A verified firmware whose boot ROM stays\n"
    "the factory's is a success (0), with a warning that says how to finish.\n";

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
    {"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT},
    {"apply-timeout", required_argument, NULL, OPT_APPLY_TIMEOUT},
    {"bootrom", required_argument, NULL, OPT_BOOTROM},
    {"force", no_argument, NULL, OPT_FORCE},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"log", required_argument, NULL, OPT_LOG},
    {"pkgdebug", no_argument, NULL, OPT_PKGDEBUG},
    {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},
    {"sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT},
    {"baud-a", required_argument, NULL, OPT_BAUD_A},
    {"recovery", no_argument, NULL, OPT_RECOVERY},
    {"updater", required_argument, NULL, OPT_UPDATER},
    {"host", required_argument, NULL, OPT_HOST},
    {"baud-b", required_argument, NULL, OPT_BAUD_B},
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
	case OPT_STALL_TIMEOUT:
		return &c->timeouts.stall_ms;
	default:
		return &c->timeouts.apply_ms;
	}
}

/* Returns -1 to go on, else the exit status. */
static int parse_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		if (c->nports == (int)(sizeof c->ports / sizeof c->ports[0]))
			return usage_error("at most %s ports at once", "16");
		c->ports[c->nports++] = arg;
		c->port = c->ports[0];
		break;
	case 'b':
		if (!parse_baud(arg, &c->baud))
			return usage_error("unsupported rate '%s': use a standard rate such as "
					   "115200 or 921600 (or 3686400 for the transfer)",
					   arg);
		break;
	case 'v':
		c->verbose++;
		break;
	case 'h':
		c->help = true;
		break;
	case 'q':
		c->quiet = true;
		break;
	case OPT_SYSFS_ROOT:
		c->sysfs_root = arg;
		break;
	case OPT_RECOVERY:
		c->recovery = true;
		break;
	case OPT_UPDATER:
		c->updater = arg;
		break;
	case OPT_HOST:
		c->host = arg;
		break;
	case OPT_BAUD_A:
	case OPT_BAUD_B:
		if (!parse_baud(arg, opt == OPT_BAUD_A ? &c->baud_a : &c->baud_b))
			return usage_error("unsupported rate '%s': use a standard rate such as "
					   "115200 or 921600 (or 3686400 for the transfer)",
					   arg);
		break;
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
	case OPT_BOOTROM:
		c->bootrom = arg;
		break;
	case OPT_FORCE:
		c->force = true;
		break;
	case OPT_DRY_RUN:
		c->dry_run = true;
		break;
	case OPT_LOG:
		c->log = arg;
		break;
	case OPT_PKGDEBUG:
		c->pkgdebug = true;
		break;
	case OPT_JSON:
		c->json = true;
		break;
	case OPT_AT_TIMEOUT:
	case OPT_WAKE_TIMEOUT:
	case OPT_BOOT_TIMEOUT:
	case OPT_STP_TIMEOUT:
	case OPT_STALL_TIMEOUT:
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
	const char *synopsis; /* after "sqnsupgrade [OPTIONS] " */
	const char *help;     /* `sqnsupgrade COMMAND --help` */
	bool needs_port;      /* talks to one modem: -p, $SQNSUPGRADE_PORT or the only port */
};

static const struct command *find_command(const char *name);

static int parse_args(struct cli *c, int argc, char **argv)
{
	int opt;
	opterr = 1;
	while ((opt = getopt_long(argc, argv, "p:b:vqh", long_options, NULL)) != -1) {
		int r = parse_option(c, opt, optarg);
		if (r >= 0)
			return r;
	}
	if (c->help && optind < argc && find_command(argv[optind])) {
		const struct command *h = find_command(argv[optind]);
		printf("Usage: sqnsupgrade [OPTIONS] %s\n%s", h->synopsis, h->help);
		return EXIT_OK;
	}
	if (c->help) {
		fputs(usage_text, stdout);
		return EXIT_OK;
	}
	if (optind >= argc)
		return usage_error("%sno command given", "");
	c->command = argv[optind++];
	const struct command *cmd = find_command(c->command);
	if (!cmd)
		return usage_error("unknown command '%s'", c->command);
	c->nargs = argc - optind;
	if (c->nargs < cmd->min_args && cmd->fn == cmd_run)
		return usage_error("'%s' needs a firmware file: sqnsupgrade run FIRMWARE.dup",
				   c->command);
	if (c->nargs < cmd->min_args)
		return usage_error("missing arguments: sqnsupgrade %s", cmd->synopsis);
	if (c->nargs > cmd->max_args)
		return usage_error("too many arguments for '%s'", c->command);
	for (int i = 0; i < c->nargs; i++)
		c->args[i] = argv[optind + i];
	if (c->nports > 1 && strcmp(c->command, "run") != 0)
		return usage_error("several ports go with 'run' only, not '%s'", c->command);
	if ((c->baud_a || c->baud_b) && strcmp(c->command, "bridge") != 0)
		return usage_error("--baud-a and --baud-b go with 'bridge', not '%s'", c->command);
	bool is_uart = strcmp(c->command, "uart") == 0;
	if ((c->recovery || c->updater || c->host) && !is_uart)
		return usage_error("--recovery, --updater and --host go with 'uart', not '%s'",
				   c->command);
	if ((c->fff || c->resume || c->force || c->dry_run || (c->bootrom && !is_uart)) &&
	    strcmp(c->command, "run") != 0)
		return usage_error(
		    "--fff, --force-fff, --resume, --force, --dry-run and --bootrom go "
		    "with 'run', not '%s'",
		    c->command);
	return -1;
}

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

static int cmd_state(struct session *s)
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

static int cmd_info(struct session *s)
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
	return EXIT_OK;
}

static int cmd_version(struct session *s)
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
	fprintf(s->out.out, "%s\n", imei);
	return EXIT_OK;
}

static const struct command commands[] = {
    {"run", 1, 2, cmd_run,
     "run FIRMWARE.dup [UPDATER.elf] [--fff] [--force-fff] [--resume] [--bootrom FILE] "
     "[--force] [--dry-run]",
     "Upgrade the modem's firmware with FIRMWARE.dup (full or differential image); with\n"
     "UPDATER.elf by the recovery method (serial ports only, not socket://).\n"
     "  --fff         store the image first, then apply it (images up to 4 MiB)\n"
     "  --force-fff   use FFF even above 4 MiB\n"
     "  --resume      the modem is in upgrade mode after a failed upgrade\n"
     "  --bootrom FILE  the boot ROM, for a modem with the factory one (Bootloader0\n"
     "                33080): the raw image, or Pycom's sqnsbr.py or sqnsbrz.py; on a\n"
     "                modem already on the target build, only the boot ROM is sent\n"
     "  --force       override a refused differential base or factory boot ROM\n"
     "  --dry-run     detect the modem, print the plan, change nothing\n"
     "Repeat -p to upgrade several modems at once (--json for a JSON summary).\n",
     true},
    {"info", 0, 0, cmd_info, "info",
     "Say which mode the modem is in; in application mode, its version and IMEI.\n", true},
    {"version", 0, 0, cmd_version, "version",
     "Print the modem's SYSTEM VERSION block (AT!=\"showver\"); application mode only.\n", true},
    {"state", 0, 0, cmd_state, "state",
     "Print the modem's mode: its number and name (e.g. \"2 application\").\n", true},
    {"imei", 0, 0, cmd_imei, "imei", "Print the modem's IMEI; application mode only.\n", true},
    {"list-ports", 0, 0, cmd_list_ports, "list-ports",
     "List the serial ports (ttyUSB*, ttyACM*, ttyS* with a device), one a line,\n"
     "tab-separated: path, USB VID:PID, manufacturer, product, serial number, and\n"
     "the USB-serial chip when it is one Pycom boards use (FTDI, CP210x, expansion\n"
     "board, Pysense, Pytrack). '-' marks what is unknown.\n",
     false},
    {"uart", 0, 0, cmd_uart, "uart --host PORT [--recovery --updater FILE [--bootrom FILE]]",
     "Mirror mode, as the user's document's sqnsupgrade.uart(): bring the modem (-p)\n"
     "to upgrade mode, print \"Going into MIRROR mode...\", then copy bytes between it\n"
     "and the port facing the computer (--host) until one closes or Ctrl-C. The\n"
     "computer then runs: sqnsupgrade -p ITS_PORT run FIRMWARE.dup\n"
     "  --host PORT      the port the computer's sqnsupgrade talks to\n"
     "  --recovery       the recovery method: needs --updater (the mirror cannot\n"
     "                   follow the rate change of loading updater.elf later)\n"
     "  --updater FILE   updater.elf, loaded here before mirroring\n"
     "  --bootrom FILE   the boot ROM, when the modem still has the factory one\n",
     true},
    {"bridge", 2, 2, cmd_bridge, "bridge PORT_A PORT_B [--baud-a RATE] [--baud-b RATE]",
     "Copy bytes both ways between two ports (serial or socket://HOST:PORT) until one\n"
     "closes or Ctrl-C; e.g. to reach a modem through another computer's port.\n"
     "  --baud-a RATE  PORT_A's rate (default -b's, 921600)\n"
     "  --baud-b RATE  PORT_B's rate (default -b's, 921600)\n",
     false},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	if (interrupted) {
		/* A second Ctrl-C: the user means it. */
		signal(sig, SIG_DFL);
		raise(sig);
	}
	interrupted = 1;
}

bool cli_should_abort(void *user)
{
	(void)user;
	return interrupted != 0;
}

static const int caught[] = {SIGINT, SIGTERM, SIGHUP};

/*
 * Ctrl-C and SIGTERM end the current block, close the STP session, then stop.
 * The handlers in place before are kept in old[] (a host process, e.g. Python).
 */
static void catch_signals(struct sigaction old[3])
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(caught[i], &sa, &old[i]);
}

static void restore_signals(const struct sigaction old[3])
{
	for (int i = 0; i < 3; i++)
		sigaction(caught[i], &old[i], NULL);
}

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
	s->out.t0 = posix_now_ms();
	fprintf(s->out.log, "# sqnsupgrade %s: %s on %s\n", SQNS_VERSION, s->cli->command,
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
		const char *slash = strrchr(s->cli->args[0], '/');
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
	const struct sqns_result *c = &s->ctx.res;
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
	optind = 0; /* a second call in the same process parses from scratch */
	int status = parse_args(c, argc, argv);
	if (status < 0 && (!c->port || !*c->port) && find_command(c->command)->needs_port)
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
	struct sigaction old[3]; /* the handlers found, put back at the end */
	bool signals_caught;
	bool ran;      /* the command ran: --json reports its result */
	bool json_one; /* --json with one modem: text captured, one result object */
	char *json_text, *json_err;
	size_t json_text_len, json_err_len;
	FILE *shown; /* -q run: the real transcript stream ... */
	FILE *sink;  /* ... and /dev/null in its place */
};

/* The context, with the port the session will open (the core's cfg is set once, here). */
static int session_start(struct session *s)
{
	const struct cli *c = s->cli;
	s->serial.fd = -1;
	if (c->pkgdebug)
		s->serial.hexdump = stderr;
	output_init(&s->out, stdout, stderr, c->verbose, c->debug);
	s->out.ctx = &s->ctx;
	struct sqns_config cfg = {
	    .ops = &posix_serial_ops,
	    .port = &s->serial,
	    .on_event = output_event,
	    .user = &s->out,
	    /* Above 921600 the modem starts at 921600; -b is then the transfer's rate. */
	    .baud = c->baud > 921600 ? 921600 : c->baud,
	    .fast_baud = c->baud > 921600 ? c->baud : 0,
	    .timeouts = c->timeouts,
	    .should_abort = cli_should_abort,
	};
	if (sqns_init(&s->ctx, &cfg) != SQNS_OK) {
		fprintf(stderr, "sqnsupgrade: internal error: bad configuration\n");
		return EXIT_FAIL;
	}
	return -1;
}

/* --json with one modem: the text and the messages go to memory, the events to stdout. */
static int capture_streams(struct invocation *inv)
{
	struct output *o = &inv->s.out;
	o->json = stdout;
	o->tty = false;
	o->out = open_memstream(&inv->json_text, &inv->json_text_len);
	o->err = open_memstream(&inv->json_err, &inv->json_err_len);
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
	if (quiet_run(&inv->cli) && (inv->sink = fopen("/dev/null", "w")) != NULL) {
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
	int status = session_start(&inv->s);
	if (status < 0)
		status = open_log(&inv->s);
	if (status >= 0)
		return status;
	catch_signals(inv->old);
	inv->signals_caught = true;
	return setup_streams(inv);
}

static int cli_dispatch(struct invocation *inv)
{
	inv->ran = true;
	int status = find_command(inv->cli.command)->fn(&inv->s);
	output_break(&inv->s.out);
	return status;
}

/* --json with one modem: the messages to stderr, then the result object on stdout. */
static void finish_json(struct invocation *inv, int status)
{
	struct output *o = &inv->s.out;
	if (o->out && o->out != stdout)
		fclose(o->out);
	if (o->err && o->err != stderr)
		fclose(o->err);
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
	if (inv->signals_caught)
		restore_signals(inv->old);
}

/* The whole command line; also exported by libsqnsupgrade (sqnsupgrade_cli.h). */
int sqns_cli_main(int argc, char **argv)
{
	struct invocation *inv = calloc(1, sizeof *inv);
	if (!inv) {
		fprintf(stderr, "sqnsupgrade: out of memory\n");
		return EXIT_FAIL;
	}
	inv->cli = (struct cli){.port = getenv("SQNSUPGRADE_PORT"), .baud = 921600};
	interrupted = 0;
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
