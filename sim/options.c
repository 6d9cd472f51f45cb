/* SPDX-License-Identifier: MIT */
/*
 * The command line: sqnsim --link PATH [options]. Exits with status 2 and a
 * message on anything it does not accept.
 *
 * Every option is one row of the table below: its name, what its value is
 * called in --help, the field of struct sim_config it sets, its bounds (for a
 * number) and its help text. getopt's table and --help are generated from it;
 * numbers, flags, strings and probabilities go through one generic setter each,
 * and only the options with a grammar of their own have code (custom()).
 */
#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELP_COLUMN 23 /* help text starts here */
#define OPT_BASE 256   /* getopt's value of the first row: above every letter and '?' */

enum opt_kind {
	K_SECTION, /* a heading in --help, not an option */
	K_NUM,	   /* an unsigned decimal number in [min, max] */
	K_FLAG,	   /* sets a bool */
	K_STR,	   /* keeps the string */
	K_PROB,	   /* a probability in 0..1 (a double) */
	K_CUSTOM,  /* its own grammar: custom() */
};

/* The C type of a number's field. */
enum num_type { N_INT, N_UINT, N_ULONG, N_ULLONG };

/* Options with a grammar of their own (K_CUSTOM). */
enum custom_id {
	C_NONE,
	C_HELP,
	C_FAULTS_IN,
	C_STALL_AT,
	C_AT_ERROR,
	C_NONSENSE,
	C_FLOOD,
	C_ENDLESS_LINE,
	C_BOARD_NAME,
	C_CHANNEL,
};

struct sim_opt {
	const char *name; /* without "--"; a K_SECTION's heading */
	const char *arg;  /* the value's name in --help; NULL: no value */
	enum opt_kind kind;
	size_t off; /* of the field in struct sim_config */
	enum num_type type;
	unsigned long long min, max;
	enum custom_id id;
	const char *help; /* '\n' continues on the next line, at the help column */
};

/* The row of each kind of option; a number's type is its field's. */
/* clang-format off */
#define FIELD_TYPE(f)                                                                              \
	_Generic(((struct sim_config *)0)->f,                                                      \
		 int: N_INT,                                                                       \
		 unsigned: N_UINT,                                                                 \
		 unsigned long: N_ULONG,                                                           \
		 unsigned long long: N_ULLONG)
#define FIELD(f) .off = offsetof(struct sim_config, f)
#define SECTION(title) {.name = title, .kind = K_SECTION}
#define NUM(nm, a, f, lo, hi, h)                                                                   \
	{.name = nm, .arg = a, .kind = K_NUM, FIELD(f), .type = FIELD_TYPE(f), .min = lo,          \
	 .max = hi, .help = h}
#define FLAG(nm, f, h) {.name = nm, .kind = K_FLAG, FIELD(f), .help = h}
#define STR(nm, a, f, h) {.name = nm, .arg = a, .kind = K_STR, FIELD(f), .help = h}
#define PROB(nm, f, h) {.name = nm, .arg = "P", .kind = K_PROB, FIELD(f), .help = h}
#define CUSTOM(nm, a, i, h) {.name = nm, .arg = a, .kind = K_CUSTOM, .id = i, .help = h}
/* clang-format on */

#define MS_MAX 3600000ull
#define RATE_MIN 50ull
#define RATE_MAX 16000000ull
#define BUILD_MAX 99999999ull

static const struct sim_opt opts[] = {
    SECTION("the modem (without a state file; a state file wins):"),
    STR("link", "PATH", link, "symlink to the modem's UART (a pty), replaced if it exists"),
    STR("state", "FILE", state_path, "persistent modem state (flash), loaded and saved"),
    STR("log", "FILE", log_path, "event log, JSON lines, appended"),
    NUM("mode", "N", mode, 0, 4, "mode at first power-on: 0, 1, 2, 3, 4 (default 2)"),
    NUM("build", "N", build, 1, BUILD_MAX, "application build (default 38638)"),
    NUM("bootloader0", "N", bootloader0, 1, BUILD_MAX,
	"boot ROM build shown by showver (default 33080)"),
    FLAG("factory", factory, "fresh from the factory: Bootloader1/2 NA, UE Unknown"),
    FLAG("ppp", ppp, "in a PPP data session until the host escapes with +++"),
    FLAG("old-firmware", old_firmware,
	 "every AT+SMSWBOOT=T,1 answers ERROR (use =T,0 and AT^RESET)"),
    FLAG("sticky-bootrom", sticky_bootrom,
	 "a boot ROM sent ON_THE_FLY is reported success but\n"
	 "Bootloader0 keeps its build (only AT+SMSTPU changes it)"),
    STR("imei", "DIGITS", imei, "IMEI (default 354346099225475)"),
    CUSTOM("channel", "catm1|nb1", C_CHANNEL,
	   "the firmware's channel (default catm1): CAT-M1 5.1.1.0\n"
	   "(5.2.1.0 from build 48000), NB-IoT 6.0.0.0"),
    SECTION("what real modems were seen doing (all off by default):"),
    FLAG("first-error", first_error,
	 "the first command line after a boot or after 5 s without\n"
	 "input answers ERROR"),
    NUM("crash-dump", "N", crash_dump, 1, ULONG_MAX,
	"before every Nth answer (modes 1-4), ~300 bytes of\n"
	"binary crash dump without a line end"),
    NUM("urc", "N", urc, 1, ULONG_MAX,
	"every Nth answer in mode 2 has a URC line before it and\n"
	"one after its OK (+CPSMS, +CEREG alternately)"),
    FLAG("showver-2017", showver_2017,
	 "showver's older layout: BUILD5.1.1.0-N by ... at 2017-12-11"),
    FLAG("showver-error-once", showver_error_once,
	 "the first showver after power-on answers ERROR"),
    FLAG("refusal-keeps-firmware", refusal_keeps_firmware,
	 "after a refused diff the updater may boot the old\n"
	 "firmware (AT+SMSWBOOT=1,1)"),
    FLAG("fff-stuck", fff_stuck,
	 "the FFF store is read-only: an AT+SMSTPU session never\n"
	 "answers its first block, nor anything after it"),
    SECTION("timing and the line:"),
    NUM("boot-ms", "N", boot_ms, 0, MS_MAX, "reboot to +SYSSTART (default 2000)"),
    NUM("bootloader-ms", "N", bootloader_ms, 0, MS_MAX,
	"reboot into recovery (mode 0) to +SYSSTART (default 2000)"),
    NUM("apply-ms", "N", apply_ms, 0, MS_MAX, "silence after an image is complete (default 3000)"),
    NUM("check-ms", "N", check_ms, 0, MS_MAX,
	"checking an incomplete ON_THE_FLY image (default 3000)"),
    NUM("rate", "N", rate, RATE_MIN, RATE_MAX, "the application's UART rate (default 921600)"),
    NUM("max-rate", "N", max_rate, RATE_MIN, RATE_MAX,
	"AT+IPR above N answers ERROR (default 921600)"),
    NUM("line-max", "N", line_max, RATE_MIN, RATE_MAX,
	"the cable carries up to N baud: above it, both ends agree\n"
	"on the rate but every byte arrives as noise (default: any)"),
    NUM("max-transfer", "N", max_transfer, 17, 65535, "STP max transfer (default 8192)"),
    NUM("fff-capacity", "N", fff_capacity, 0, ULLONG_MAX,
	"bytes the FFF store holds (default 4194304)"),
    FLAG("pace", pace, "move bytes no faster than the UART (rate/10 bytes/s)"),
    NUM("latency-ms", "N", latency_ms, 0, MS_MAX, "hold every answer N ms (default 0)"),
    NUM("app-boot-ms", "N", app_boot_ms, 0, MS_MAX,
	"updater to application after an upgrade (AT+SMSWBOOT=1,1)\n"
	"to +SYSSTART (default: --boot-ms)"),
    NUM("updater-ms", "N", updater_ms, 0, MS_MAX,
	"updater.elf loaded to answering in mode 4\n(default: --boot-ms)"),
    FLAG("field-timing", field_timing,
	 "--app-boot-ms 25000 --updater-ms 20000 (an explicit one wins)"),
    SECTION("faults (all drawn from --seed):"),
    NUM("seed", "N", faults.seed, 0, ULLONG_MAX, "seed of every random choice (default 1)"),
    PROB("flip-rx", faults.flip_rx, "per-byte probability of a bit flip, host to modem"),
    PROB("flip-tx", faults.flip_tx, "per-byte probability of a bit flip, modem to host"),
    PROB("drop-rx", faults.drop_rx, "per-byte probability of a lost byte, host to modem"),
    PROB("drop-tx", faults.drop_tx, "per-byte probability of a lost byte, modem to host"),
    CUSTOM("faults-in", "stp|all", C_FAULTS_IN, "where byte faults strike (default stp: only STP)"),
    NUM("drop-request", "N", faults.drop_request, 1, ULONG_MAX,
	"ignore the Nth STP request of the run (no answer)"),
    NUM("corrupt-response", "N", faults.corrupt_response, 1, ULONG_MAX,
	"corrupt the header CRC of the Nth STP response"),
    NUM("corrupt-signature", "N", faults.corrupt_signature, 1, ULONG_MAX,
	"corrupt the signature (tsaf) of the Nth STP response"),
    NUM("corrupt-signature-every", "N", faults.corrupt_signature_every, 1, ULONG_MAX,
	"the same for every Nth STP response"),
    CUSTOM("stall-at", "PCT:MS", C_STALL_AT,
	   "stop answering MS ms when the image reaches PCT %\n(repeatable, up to 8)"),
    NUM("power-cut-at", "N", faults.power_cut_at, 1, ULLONG_MAX,
	"lose power at N image bytes: exit 3"),
    NUM("vanish-at", "N", faults.vanish_at, 1, ULLONG_MAX,
	"the USB link vanishes at N image bytes: exit 4"),
    NUM("hang-at", "N", faults.hang_at, 1, ULLONG_MAX,
	"at N image bytes the modem hangs for good (pty stays)"),
    CUSTOM("at-error", "CMD[:N]", C_AT_ERROR,
	   "answer ERROR to the Nth (default 1st) line CMD\n(repeatable, up to 8)"),
    NUM("residue-every", "N", residue_every, 0, ULONG_MAX,
	"every Nth block leaves a residue of 16 (default 0: never)"),
    FLAG("silent", silent, "a dead modem: never answers"),
    CUSTOM("nonsense", NULL, C_NONSENSE, "answer every command with random lines, no result code"),
    CUSTOM("flood", NULL, C_FLOOD, "stream bytes without line ends from boot on"),
    CUSTOM("endless-line", NULL, C_ENDLESS_LINE,
	   "answer the first command with a line that never ends"),
    SECTION("a Pycom board in front of the modem:"),
    FLAG("board", board.on,
	 "the link is the board's USB port: MicroPython's REPL at\n"
	 "115200 (main.py runs until Ctrl-C), then after\n"
	 "sqnsupgrade.uart() the modem through its mirror at 921600"),
    CUSTOM("board-name", "NAME", C_BOARD_NAME,
	   "os.uname().sysname (default GPy; only GPy, FiPy and G01\n"
	   "have the modem and sqnsupgrade)"),
    STR("board-updater", "FILE", board.updater, "the board's /flash/updater.elf"),
    FLAG("board-idle", board.idle, "no main.py runs: the prompt waits"),
    FLAG("board-hang", board.hang, "the REPL never answers"),
    FLAG("board-mirror", board.mirror, "already in mirror mode at power-on"),
    CUSTOM("help", NULL, C_HELP, NULL),
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void print_help_text(FILE *f, const char *help)
{
	while (help && *help) {
		size_t n = strcspn(help, "\n");

		fprintf(f, "%.*s\n", (int)n, help);
		help += n;
		if (*help == '\n' && help[1])
			fprintf(f, "%*s", HELP_COLUMN, "");
		if (*help == '\n')
			help++;
	}
}

/* --help: generated from the table. */
static void usage(FILE *f)
{
	fprintf(f, "usage: sqnsim --link PATH [options]\n"
		   "       sqnsim mkimage --kind full|diff|bootrom|updater --build N [--from N]\n"
		   "                      --size BYTES [--seed S] [--channel catm1|nb1] OUT\n");
	for (size_t i = 0; i < NOPTS; i++) {
		const struct sim_opt *o = &opts[i];
		char label[64];
		int n;

		if (o->kind == K_SECTION) {
			fprintf(f, "%s\n", o->name);
			continue;
		}
		n = snprintf(label, sizeof(label), "  --%s%s%s", o->name, o->arg ? " " : "",
			     o->arg ? o->arg : "");
		if (!o->help) {
			fprintf(f, "%s\n", label);
			continue;
		}
		if (n < HELP_COLUMN)
			fprintf(f, "%-*s", HELP_COLUMN, label);
		else
			fprintf(f, "%s\n%*s", label, HELP_COLUMN, "");
		print_help_text(f, o->help);
	}
}

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

/* The one parser of every number: its bounds and its field's type come from the row. */
static void set_number(struct sim_config *c, const struct sim_opt *o, const char *v)
{
	unsigned long long n = number(o->name, v, o->min, o->max);
	char *field = (char *)c + o->off;

	switch (o->type) {
	case N_INT:
		*(int *)(void *)field = (int)n;
		break;
	case N_UINT:
		*(unsigned *)(void *)field = (unsigned)n;
		break;
	case N_ULONG:
		*(unsigned long *)(void *)field = (unsigned long)n;
		break;
	case N_ULLONG:
		*(unsigned long long *)(void *)field = n;
		break;
	}
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
	c->app_boot_ms = SIM_MS_UNSET;
	c->updater_ms = SIM_MS_UNSET;
}

/* Times left unset: --field-timing's, else --boot-ms (an explicit option wins in any order). */
static void resolve_times(struct sim_config *c)
{
	if (c->app_boot_ms == SIM_MS_UNSET)
		c->app_boot_ms = c->field_timing ? 25000 : c->boot_ms;
	if (c->updater_ms == SIM_MS_UNSET)
		c->updater_ms = c->field_timing ? 20000 : c->boot_ms;
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

static void set_board_name(struct board_config *b, const char *v)
{
	if (!*v || strlen(v) > 15 ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
		strlen(v))
		bad("board-name", "1 to 15 letters and digits", v);
	b->name = v;
}

/* The options with a grammar of their own. */
static void custom(struct sim_config *c, enum custom_id id, const char *v)
{
	switch (id) {
	case C_HELP:
		usage(stdout);
		exit(0);
	case C_FAULTS_IN:
		if (strcmp(v, "stp") != 0 && strcmp(v, "all") != 0)
			bad("faults-in", "expected stp or all", v);
		c->faults.everywhere = strcmp(v, "all") == 0;
		break;
	case C_STALL_AT:
		add_stall(&c->faults, v);
		break;
	case C_AT_ERROR:
		add_at_error(&c->faults, v);
		break;
	case C_NONSENSE:
		set_babble(&c->faults, BABBLE_NONSENSE, "nonsense");
		break;
	case C_FLOOD:
		set_babble(&c->faults, BABBLE_FLOOD, "flood");
		break;
	case C_ENDLESS_LINE:
		set_babble(&c->faults, BABBLE_ENDLESS, "endless-line");
		break;
	case C_BOARD_NAME:
		set_board_name(&c->board, v);
		break;
	case C_CHANNEL:
		if (channel_parse(v, &c->channel) != 0)
			bad("channel", "expected catm1 or nb1", v);
		break;
	case C_NONE:
		break;
	}
}

static void apply_option(struct sim_config *c, const struct sim_opt *o, const char *v)
{
	char *field = (char *)c + o->off;
	double p;

	switch (o->kind) {
	case K_NUM:
		set_number(c, o, v);
		break;
	case K_FLAG:
		*(bool *)(void *)field = true;
		break;
	case K_STR:
		*(const char **)(void *)field = v;
		break;
	case K_PROB:
		if (faults_parse_prob(v, &p) != 0)
			bad(o->name, "expected a probability in 0..1", v);
		*(double *)(void *)field = p;
		break;
	case K_CUSTOM:
		custom(c, o->id, v);
		break;
	case K_SECTION:
		break;
	}
}

/* getopt's table from ours: getopt returns OPT_BASE + the row's index. */
static void build_getopt(struct option *lo)
{
	size_t n = 0;

	for (size_t i = 0; i < NOPTS; i++) {
		if (opts[i].kind == K_SECTION)
			continue;
		lo[n].name = opts[i].name;
		lo[n].has_arg = opts[i].arg ? required_argument : no_argument;
		lo[n].flag = NULL;
		lo[n].val = OPT_BASE + (int)i;
		n++;
	}
	memset(&lo[n], 0, sizeof(lo[n]));
}

static bool valid_imei(const char *v)
{
	return strlen(v) == 15 && strspn(v, "0123456789") == 15;
}

/* Options that only make sense together. */
static void check_combinations(const struct sim_config *c)
{
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

void options_parse(int argc, char **argv, struct sim_config *c)
{
	struct option lo[NOPTS + 1];
	int opt;

	set_defaults(c);
	build_getopt(lo);
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (opt < OPT_BASE || (size_t)(opt - OPT_BASE) >= NOPTS) { /* '?' */
			usage(stderr);
			exit(2);
		}
		apply_option(c, &opts[opt - OPT_BASE], optarg);
	}
	if (optind != argc || !c->link) {
		fprintf(stderr, "sqnsim: %s\n",
			c->link ? "unexpected argument" : "--link is required");
		usage(stderr);
		exit(2);
	}
	check_combinations(c);
	resolve_times(c);
}
