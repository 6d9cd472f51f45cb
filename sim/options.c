/*
 * The command line: sqnsim --link PATH [options]. Exits with status 2 and a
 * message on anything it does not accept.
 */
#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sqnsim --link PATH [options]\n"
	    "       sqnsim mkimage --kind full|diff|bootrom|updater --build N [--from N]\n"
	    "                      --size BYTES [--seed S] OUT\n"
	    "the modem (without a state file; a state file wins):\n"
	    "  --link PATH          symlink to the modem's UART (a pty), replaced if it exists\n"
	    "  --state FILE         persistent modem state (flash), loaded and saved\n"
	    "  --log FILE           event log, JSON lines, appended\n"
	    "  --mode N             mode at first power-on: 0, 1, 2, 3, 4 (default 2)\n"
	    "  --build N            application build (default 38638)\n"
	    "  --bootloader0 N      boot ROM build shown by showver (default 33080)\n"
	    "  --factory            fresh from the factory: Bootloader1/2 NA, UE Unknown\n"
	    "  --ppp                in a PPP data session until the host escapes with +++\n"
	    "  --old-firmware       every AT+SMSWBOOT=T,1 answers ERROR (use =T,0 and AT^RESET)\n"
	    "  --sticky-bootrom     a boot ROM sent ON_THE_FLY is reported success but\n"
	    "                       Bootloader0 keeps its build (only AT+SMSTPU changes it)\n"
	    "  --imei DIGITS        IMEI (default 354346099225475)\n"
	    "timing and the line:\n"
	    "  --boot-ms N          reboot to +SYSSTART (default 2000)\n"
	    "  --bootloader-ms N    reboot into recovery (mode 0) to +SYSSTART (default 2000)\n"
	    "  --apply-ms N         silence after an image is complete (default 3000)\n"
	    "  --check-ms N         checking an incomplete ON_THE_FLY image (default 3000)\n"
	    "  --rate N             the application's UART rate (default 921600)\n"
	    "  --max-rate N         AT+IPR above N answers ERROR (default 921600)\n"
	    "  --line-max N         the cable carries up to N baud: above it, both ends agree\n"
	    "                       on the rate but every byte arrives as noise (default: any)\n"
	    "  --max-transfer N     STP max transfer (default 8192)\n"
	    "  --fff-capacity N     bytes the FFF store holds (default 4194304)\n"
	    "  --pace               move bytes no faster than the UART (rate/10 bytes/s)\n"
	    "  --latency-ms N       hold every answer N ms (default 0)\n"
	    "faults (all drawn from --seed):\n"
	    "  --seed N             seed of every random choice (default 1)\n"
	    "  --flip-rx P          per-byte probability of a bit flip, host to modem\n"
	    "  --flip-tx P          per-byte probability of a bit flip, modem to host\n"
	    "  --drop-rx P          per-byte probability of a lost byte, host to modem\n"
	    "  --drop-tx P          per-byte probability of a lost byte, modem to host\n"
	    "  --faults-in stp|all  where byte faults strike (default stp: only STP)\n"
	    "  --drop-request N     ignore the Nth STP request of the run (no answer)\n"
	    "  --corrupt-response N corrupt the header CRC of the Nth STP response\n"
	    "  --corrupt-signature N\n"
	    "                       corrupt the signature (tsaf) of the Nth STP response\n"
	    "  --corrupt-signature-every N\n"
	    "                       the same for every Nth STP response\n"
	    "  --stall-at PCT:MS    stop answering MS ms when the image reaches PCT %%\n"
	    "                       (repeatable, up to 8)\n"
	    "  --power-cut-at N     lose power at N image bytes: exit 3\n"
	    "  --vanish-at N        the USB link vanishes at N image bytes: exit 4\n"
	    "  --hang-at N          at N image bytes the modem hangs for good (pty stays)\n"
	    "  --at-error CMD[:N]   answer ERROR to the Nth (default 1st) line CMD\n"
	    "                       (repeatable, up to 8)\n"
	    "  --residue-every N    every Nth block leaves a residue of 16 (default 0: never)\n"
	    "  --silent             a dead modem: never answers\n"
	    "  --nonsense           answer every command with random lines, no result code\n"
	    "  --flood              stream bytes without line ends from boot on\n"
	    "  --endless-line       answer the first command with a line that never ends\n"
	    "a Pycom board in front of the modem:\n"
	    "  --board              the link is the board's USB port: MicroPython's REPL at\n"
	    "                       115200 (main.py runs until Ctrl-C), then after\n"
	    "                       sqnsupgrade.uart() the modem through its mirror at 921600\n"
	    "  --board-name NAME    os.uname().sysname (default GPy; only GPy, FiPy and G01\n"
	    "                       have the modem and sqnsupgrade)\n"
	    "  --board-updater FILE the board's /flash/updater.elf\n"
	    "  --board-idle         no main.py runs: the prompt waits\n"
	    "  --board-hang         the REPL never answers\n"
	    "  --board-mirror       already in mirror mode at power-on\n"
	    "  --help\n");
}

enum {
	OPT_LINK = 256,
	OPT_STATE,
	OPT_LOG,
	OPT_MODE,
	OPT_BUILD,
	OPT_IMEI,
	OPT_BOOT_MS,
	OPT_APPLY_MS,
	OPT_RATE,
	OPT_MAX_TRANSFER,
	OPT_FFF_CAPACITY,
	OPT_RESIDUE_EVERY,
	OPT_SILENT,
	OPT_HELP,
	OPT_BOOTLOADER0,
	OPT_FACTORY,
	OPT_BOOTLOADER_MS,
	OPT_MAX_RATE,
	OPT_LINE_MAX,
	OPT_PPP,
	OPT_OLD_FIRMWARE,
	OPT_PACE,
	OPT_LATENCY_MS,
	OPT_SEED,
	OPT_FLIP_RX,
	OPT_FLIP_TX,
	OPT_DROP_RX,
	OPT_DROP_TX,
	OPT_FAULTS_IN,
	OPT_DROP_REQUEST,
	OPT_CORRUPT_RESPONSE,
	OPT_STALL_AT,
	OPT_POWER_CUT_AT,
	OPT_VANISH_AT,
	OPT_AT_ERROR,
	OPT_NONSENSE,
	OPT_FLOOD,
	OPT_ENDLESS_LINE,
	OPT_STICKY_BOOTROM,
	OPT_CHECK_MS,
	OPT_CORRUPT_SIGNATURE,
	OPT_CORRUPT_SIGNATURE_EVERY,
	OPT_HANG_AT,
	OPT_BOARD,
	OPT_BOARD_NAME,
	OPT_BOARD_UPDATER,
	OPT_BOARD_IDLE,
	OPT_BOARD_HANG,
	OPT_BOARD_MIRROR,
};

static const struct option long_opts[] = {
    {"link", required_argument, NULL, OPT_LINK},
    {"state", required_argument, NULL, OPT_STATE},
    {"log", required_argument, NULL, OPT_LOG},
    {"mode", required_argument, NULL, OPT_MODE},
    {"build", required_argument, NULL, OPT_BUILD},
    {"imei", required_argument, NULL, OPT_IMEI},
    {"boot-ms", required_argument, NULL, OPT_BOOT_MS},
    {"apply-ms", required_argument, NULL, OPT_APPLY_MS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"max-transfer", required_argument, NULL, OPT_MAX_TRANSFER},
    {"fff-capacity", required_argument, NULL, OPT_FFF_CAPACITY},
    {"residue-every", required_argument, NULL, OPT_RESIDUE_EVERY},
    {"silent", no_argument, NULL, OPT_SILENT},
    {"help", no_argument, NULL, OPT_HELP},
    {"bootloader0", required_argument, NULL, OPT_BOOTLOADER0},
    {"factory", no_argument, NULL, OPT_FACTORY},
    {"bootloader-ms", required_argument, NULL, OPT_BOOTLOADER_MS},
    {"max-rate", required_argument, NULL, OPT_MAX_RATE},
    {"line-max", required_argument, NULL, OPT_LINE_MAX},
    {"ppp", no_argument, NULL, OPT_PPP},
    {"old-firmware", no_argument, NULL, OPT_OLD_FIRMWARE},
    {"pace", no_argument, NULL, OPT_PACE},
    {"latency-ms", required_argument, NULL, OPT_LATENCY_MS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"flip-rx", required_argument, NULL, OPT_FLIP_RX},
    {"flip-tx", required_argument, NULL, OPT_FLIP_TX},
    {"drop-rx", required_argument, NULL, OPT_DROP_RX},
    {"drop-tx", required_argument, NULL, OPT_DROP_TX},
    {"faults-in", required_argument, NULL, OPT_FAULTS_IN},
    {"drop-request", required_argument, NULL, OPT_DROP_REQUEST},
    {"corrupt-response", required_argument, NULL, OPT_CORRUPT_RESPONSE},
    {"stall-at", required_argument, NULL, OPT_STALL_AT},
    {"power-cut-at", required_argument, NULL, OPT_POWER_CUT_AT},
    {"vanish-at", required_argument, NULL, OPT_VANISH_AT},
    {"at-error", required_argument, NULL, OPT_AT_ERROR},
    {"nonsense", no_argument, NULL, OPT_NONSENSE},
    {"flood", no_argument, NULL, OPT_FLOOD},
    {"endless-line", no_argument, NULL, OPT_ENDLESS_LINE},
    {"sticky-bootrom", no_argument, NULL, OPT_STICKY_BOOTROM},
    {"check-ms", required_argument, NULL, OPT_CHECK_MS},
    {"corrupt-signature", required_argument, NULL, OPT_CORRUPT_SIGNATURE},
    {"corrupt-signature-every", required_argument, NULL, OPT_CORRUPT_SIGNATURE_EVERY},
    {"hang-at", required_argument, NULL, OPT_HANG_AT},
    {"board", no_argument, NULL, OPT_BOARD},
    {"board-name", required_argument, NULL, OPT_BOARD_NAME},
    {"board-updater", required_argument, NULL, OPT_BOARD_UPDATER},
    {"board-idle", no_argument, NULL, OPT_BOARD_IDLE},
    {"board-hang", no_argument, NULL, OPT_BOARD_HANG},
    {"board-mirror", no_argument, NULL, OPT_BOARD_MIRROR},
    {NULL, 0, NULL, 0},
};

static void __attribute__((noreturn)) bad(const char *opt, const char *why, const char *v)
{
	fprintf(stderr, "sqnsim: --%s: %s, got '%s'\n", opt, why, v);
	exit(2);
}

/* Parses an unsigned decimal number in [min, max]; exits on anything else. */
static unsigned long long number(const char *opt, const char *v, unsigned long long min,
				 unsigned long long max)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || !*v || *end || v[0] == '-' || n < min || n > max) {
		fprintf(stderr, "sqnsim: --%s: expected a number in %llu..%llu, got '%s'\n", opt,
			min, max, v);
		exit(2);
	}
	return n;
}

static double prob(const char *opt, const char *v)
{
	double p;

	if (faults_parse_prob(v, &p) != 0)
		bad(opt, "expected a probability in 0..1", v);
	return p;
}

static void set_defaults(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = 2;
	c->build = 38638;
	c->imei = "354346099225475";
	c->boot_ms = 2000;
	c->apply_ms = 3000;
	c->check_ms = 3000;
	c->rate = 921600;
	c->max_transfer = 8192;
	c->fff_capacity = 4194304;
	c->bootloader0 = 33080;
	c->bootloader_ms = 2000;
	c->max_rate = 921600;
	c->faults.seed = 1;
	c->board.name = "GPy";
}

/* The board's options; false when opt is not one. */
static bool board_option(struct board_config *b, int opt, const char *v)
{
	switch (opt) {
	case OPT_BOARD:
		b->on = true;
		break;
	case OPT_BOARD_NAME:
		if (!*v || strlen(v) > 15 ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
			strlen(v))
			bad("board-name", "1 to 15 letters and digits", v);
		b->name = v;
		break;
	case OPT_BOARD_UPDATER:
		b->updater = v;
		break;
	case OPT_BOARD_IDLE:
		b->idle = true;
		break;
	case OPT_BOARD_HANG:
		b->hang = true;
		break;
	case OPT_BOARD_MIRROR:
		b->mirror = true;
		break;
	default:
		return false;
	}
	return true;
}

static void set_babble(struct fault_config *f, enum babble b, const char *opt)
{
	if (f->babble != BABBLE_NONE && f->babble != b)
		bad(opt, "only one of --nonsense, --flood, --endless-line", opt);
	f->babble = b;
}

static void add_stall(struct fault_config *f, const char *v)
{
	if (f->n_stalls == FAULT_MAX_STALLS)
		bad("stall-at", "at most 8", v);
	if (faults_parse_stall(v, &f->stalls[f->n_stalls]) != 0)
		bad("stall-at", "expected PCT:MS (PCT 0..100, MS up to 3600000)", v);
	f->n_stalls++;
}

static void add_at_error(struct fault_config *f, const char *v)
{
	if (f->n_at_errors == FAULT_MAX_AT_ERRORS)
		bad("at-error", "at most 8", v);
	if (faults_parse_at_error(v, &f->at_errors[f->n_at_errors]) != 0)
		bad("at-error", "expected CMD or CMD:N (N from 1)", v);
	f->n_at_errors++;
}

/* The fault options; false when opt is not one. */
static bool fault_option(struct fault_config *f, int opt, const char *v)
{
	switch (opt) {
	case OPT_SEED:
		f->seed = number("seed", v, 0, ULLONG_MAX);
		break;
	case OPT_FLIP_RX:
		f->flip_rx = prob("flip-rx", v);
		break;
	case OPT_FLIP_TX:
		f->flip_tx = prob("flip-tx", v);
		break;
	case OPT_DROP_RX:
		f->drop_rx = prob("drop-rx", v);
		break;
	case OPT_DROP_TX:
		f->drop_tx = prob("drop-tx", v);
		break;
	case OPT_FAULTS_IN:
		if (strcmp(v, "stp") != 0 && strcmp(v, "all") != 0)
			bad("faults-in", "expected stp or all", v);
		f->everywhere = strcmp(v, "all") == 0;
		break;
	case OPT_DROP_REQUEST:
		f->drop_request = (unsigned long)number("drop-request", v, 1, ULONG_MAX);
		break;
	case OPT_CORRUPT_RESPONSE:
		f->corrupt_response = (unsigned long)number("corrupt-response", v, 1, ULONG_MAX);
		break;
	case OPT_CORRUPT_SIGNATURE:
		f->corrupt_signature = (unsigned long)number("corrupt-signature", v, 1, ULONG_MAX);
		break;
	case OPT_CORRUPT_SIGNATURE_EVERY:
		f->corrupt_signature_every =
		    (unsigned long)number("corrupt-signature-every", v, 1, ULONG_MAX);
		break;
	case OPT_HANG_AT:
		f->hang_at = number("hang-at", v, 1, ULLONG_MAX);
		break;
	case OPT_STALL_AT:
		add_stall(f, v);
		break;
	case OPT_POWER_CUT_AT:
		f->power_cut_at = number("power-cut-at", v, 1, ULLONG_MAX);
		break;
	case OPT_VANISH_AT:
		f->vanish_at = number("vanish-at", v, 1, ULLONG_MAX);
		break;
	case OPT_AT_ERROR:
		add_at_error(f, v);
		break;
	case OPT_NONSENSE:
		set_babble(f, BABBLE_NONSENSE, "nonsense");
		break;
	case OPT_FLOOD:
		set_babble(f, BABBLE_FLOOD, "flood");
		break;
	case OPT_ENDLESS_LINE:
		set_babble(f, BABBLE_ENDLESS, "endless-line");
		break;
	default:
		return false;
	}
	return true;
}

/* What the modem is when it has no state file. */
static bool modem_option(struct sim_config *c, int opt, const char *v)
{
	switch (opt) {
	case OPT_MODE:
		c->mode = (int)number("mode", v, 0, 4);
		break;
	case OPT_BUILD:
		c->build = (unsigned long)number("build", v, 1, 99999999);
		break;
	case OPT_BOOTLOADER0:
		c->bootloader0 = (unsigned long)number("bootloader0", v, 1, 99999999);
		break;
	case OPT_FACTORY:
		c->factory = true;
		break;
	case OPT_PPP:
		c->ppp = true;
		break;
	case OPT_OLD_FIRMWARE:
		c->old_firmware = true;
		break;
	case OPT_STICKY_BOOTROM:
		c->sticky_bootrom = true;
		break;
	case OPT_IMEI:
		c->imei = v;
		break;
	default:
		return false;
	}
	return true;
}

static bool timing_option(struct sim_config *c, int opt, const char *v)
{
	switch (opt) {
	case OPT_BOOT_MS:
		c->boot_ms = (unsigned long)number("boot-ms", v, 0, 3600000);
		break;
	case OPT_BOOTLOADER_MS:
		c->bootloader_ms = (unsigned long)number("bootloader-ms", v, 0, 3600000);
		break;
	case OPT_APPLY_MS:
		c->apply_ms = (unsigned long)number("apply-ms", v, 0, 3600000);
		break;
	case OPT_CHECK_MS:
		c->check_ms = (unsigned long)number("check-ms", v, 0, 3600000);
		break;
	case OPT_LATENCY_MS:
		c->latency_ms = (unsigned long)number("latency-ms", v, 0, 3600000);
		break;
	case OPT_RATE:
		c->rate = (unsigned long)number("rate", v, 50, 16000000);
		break;
	case OPT_MAX_RATE:
		c->max_rate = (unsigned long)number("max-rate", v, 50, 16000000);
		break;
	case OPT_LINE_MAX:
		c->line_max = (unsigned long)number("line-max", v, 50, 16000000);
		break;
	case OPT_PACE:
		c->pace = true;
		break;
	default:
		return false;
	}
	return true;
}

static void apply_option(struct sim_config *c, int opt, const char *v)
{
	if (modem_option(c, opt, v) || timing_option(c, opt, v) ||
	    fault_option(&c->faults, opt, v) || board_option(&c->board, opt, v))
		return;
	switch (opt) {
	case OPT_LINK:
		c->link = v;
		break;
	case OPT_STATE:
		c->state_path = v;
		break;
	case OPT_LOG:
		c->log_path = v;
		break;
	case OPT_MAX_TRANSFER:
		c->max_transfer = (unsigned)number("max-transfer", v, 17, 65535);
		break;
	case OPT_FFF_CAPACITY:
		c->fff_capacity = number("fff-capacity", v, 0, ULLONG_MAX);
		break;
	case OPT_RESIDUE_EVERY:
		c->residue_every = (unsigned long)number("residue-every", v, 0, ULONG_MAX);
		break;
	case OPT_SILENT:
		c->silent = true;
		break;
	}
}

static bool valid_imei(const char *v)
{
	return strlen(v) == 15 && strspn(v, "0123456789") == 15;
}

void options_parse(int argc, char **argv, struct sim_config *c)
{
	int opt;

	set_defaults(c);
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			usage(stdout);
			exit(0);
		}
		if (opt == '?') {
			usage(stderr);
			exit(2);
		}
		apply_option(c, opt, optarg);
	}
	if (optind != argc || !c->link) {
		fprintf(stderr, "sqnsim: %s\n",
			c->link ? "unexpected argument" : "--link is required");
		usage(stderr);
		exit(2);
	}
	if (!valid_imei(c->imei))
		bad("imei", "15 digits", c->imei);
	if (!c->board.on && (c->board.updater || c->board.idle || c->board.hang ||
			     c->board.mirror || strcmp(c->board.name, "GPy") != 0)) {
		fprintf(stderr, "sqnsim: the --board-* options go with --board\n");
		exit(2);
	}
	if (c->board.hang + c->board.mirror + c->board.idle > 1) {
		fprintf(stderr, "sqnsim: only one of --board-idle, --board-hang, --board-mirror\n");
		exit(2);
	}
}
