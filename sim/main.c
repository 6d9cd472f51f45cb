/*
 * sqnsim: options and the single-threaded poll loop.
 *
 *   sqnsim --link PATH [options]
 *   sqnsim mkimage --kind K --build N [--from N] --size BYTES [--seed S] OUT
 */
#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: sqnsim --link PATH [options]\n"
	    "       sqnsim mkimage --kind full|diff|bootrom|updater --build N [--from N]\n"
	    "                      --size BYTES [--seed S] OUT\n"
	    "options:\n"
	    "  --link PATH          symlink to the modem's UART (a pty), replaced if it exists\n"
	    "  --state FILE         persistent modem state (flash), loaded and saved\n"
	    "  --log FILE           event log, JSON lines, appended\n"
	    "  --mode N             mode at first power-on without state: 0, 2, 3, 4 (default 2)\n"
	    "  --build N            application build without state (default 38638)\n"
	    "  --imei DIGITS        IMEI (default 354346099225475)\n"
	    "  --boot-ms N          reboot to +SYSSTART (default 2000)\n"
	    "  --apply-ms N         silence after an image is complete (default 3000)\n"
	    "  --rate N             the application's UART rate (default 921600)\n"
	    "  --max-transfer N     STP max transfer (default 8192)\n"
	    "  --fff-capacity N     bytes the FFF store holds (default 4194304)\n"
	    "  --residue-every N    every Nth block leaves a residue of 16 (default 0: never)\n"
	    "  --silent             a dead modem: never answers\n"
	    "  --help\n");
}

static const struct option long_opts[] = {
    {"link", required_argument, NULL, 'l'},
    {"state", required_argument, NULL, 's'},
    {"log", required_argument, NULL, 'L'},
    {"mode", required_argument, NULL, 'm'},
    {"build", required_argument, NULL, 'b'},
    {"imei", required_argument, NULL, 'i'},
    {"boot-ms", required_argument, NULL, 'B'},
    {"apply-ms", required_argument, NULL, 'A'},
    {"rate", required_argument, NULL, 'r'},
    {"max-transfer", required_argument, NULL, 'x'},
    {"fff-capacity", required_argument, NULL, 'f'},
    {"residue-every", required_argument, NULL, 'R'},
    {"silent", no_argument, NULL, 'S'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

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

static void set_defaults(struct sim_config *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = 2;
	c->build = 38638;
	c->imei = "354346099225475";
	c->boot_ms = 2000;
	c->apply_ms = 3000;
	c->rate = 921600;
	c->max_transfer = 8192;
	c->fff_capacity = 4194304;
}

static bool valid_imei(const char *v)
{
	return strlen(v) == 15 && strspn(v, "0123456789") == 15;
}

static void apply_option(struct sim_config *c, int opt, const char *v)
{
	switch (opt) {
	case 'l':
		c->link = v;
		break;
	case 's':
		c->state_path = v;
		break;
	case 'L':
		c->log_path = v;
		break;
	case 'm':
		c->mode = (int)number("mode", v, 0, 4);
		break;
	case 'b':
		c->build = (unsigned long)number("build", v, 1, 99999999);
		break;
	case 'i':
		c->imei = v;
		break;
	case 'B':
		c->boot_ms = (unsigned long)number("boot-ms", v, 0, 3600000);
		break;
	case 'A':
		c->apply_ms = (unsigned long)number("apply-ms", v, 0, 3600000);
		break;
	case 'r':
		c->rate = (unsigned long)number("rate", v, 50, 16000000);
		break;
	case 'x':
		c->max_transfer = (unsigned)number("max-transfer", v, 17, 65535);
		break;
	case 'f':
		c->fff_capacity = number("fff-capacity", v, 0, ULLONG_MAX);
		break;
	case 'R':
		c->residue_every = (unsigned long)number("residue-every", v, 0, ULONG_MAX);
		break;
	case 'S':
		c->silent = true;
		break;
	}
}

static void parse_args(int argc, char **argv, struct sim_config *c)
{
	int opt;

	set_defaults(c);
	while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (opt == 'h') {
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
	if (!valid_imei(c->imei) || !at_mode_supported(c->mode)) {
		fprintf(stderr, "sqnsim: %s\n",
			valid_imei(c->imei) ? "--mode: 0, 2, 3 or 4 (mode 1 is not simulated)"
					    : "--imei: 15 digits");
		exit(2);
	}
}

static int load_state(struct sim *s)
{
	struct modem_state *st = &s->st;

	memset(st, 0, sizeof(*st));
	st->mode = s->cfg.mode;
	st->build = s->cfg.build;
	st->bootloader0 = 33080;
	st->report = REPORT_NONE;
	if (state_load(st, s->cfg.state_path) < 0) {
		fprintf(stderr, "sqnsim: %s: %s\n", s->cfg.state_path, strerror(errno));
		return -1;
	}
	if (!at_mode_supported(st->mode)) {
		fprintf(stderr, "sqnsim: %s: mode %d is not simulated\n", s->cfg.state_path,
			st->mode);
		return -1;
	}
	return 0;
}

static void install_signals(sigset_t *old)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, old); /* delivered only inside ppoll */
}

static void read_input(struct sim *s)
{
	uint8_t buf[65536];
	ssize_t n = read(s->pty.master, buf, sizeof(buf));

	if (n > 0) {
		s->rx_bytes += (unsigned long long)n;
		sim_input(s, buf, (size_t)n);
	}
}

static int wait_once(struct sim *s, const sigset_t *mask)
{
	struct pollfd pfd = {.fd = s->pty.master, .events = POLLIN};
	long ms = sim_timer_ms(s);
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	int n;

	if (s->pty.out_len > 0)
		pfd.events |= POLLOUT;
	n = ppoll(&pfd, 1, ms < 0 ? NULL : &ts, mask);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (pfd.revents & POLLIN)
		read_input(s);
	return 0;
}

static int run(struct sim *s, const sigset_t *mask)
{
	while (!stop_requested) {
		if (wait_once(s, mask) != 0) {
			perror("sqnsim: ppoll");
			return -1;
		}
		sim_timer(s);
		if (pty_flush(&s->pty) != 0) {
			perror("sqnsim: write");
			return -1;
		}
	}
	return 0;
}

static int start(struct sim *s)
{
	const char *what = "";

	if (evlog_open(&s->log, s->cfg.log_path) != 0) {
		fprintf(stderr, "sqnsim: %s: %s\n", s->cfg.log_path, strerror(errno));
		return -1;
	}
	if (load_state(s) != 0)
		return -1;
	if (pty_open(&s->pty, s->cfg.link, &what) != 0) {
		fprintf(stderr, "sqnsim: %s: %s: %s\n", s->cfg.link, what, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sim *sim;
	sigset_t mask;
	int rc;

	if (argc > 1 && strcmp(argv[1], "mkimage") == 0)
		return image_mkimage_main(argc - 1, argv + 1);
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return 1;
	parse_args(argc, argv, &sim->cfg);
	install_signals(&mask);
	if (start(sim) != 0)
		return 1;
	sim_power_on(sim);
	printf("sqnsim: ready %s (pid %ld)\n", sim->cfg.link, (long)getpid());
	fflush(stdout);
	rc = run(sim, &mask);
	sim_power_off(sim);
	pty_close(&sim->pty);
	evlog_close(&sim->log);
	free(sim);
	return rc == 0 ? 0 : 1;
}
