/* SPDX-License-Identifier: MIT */
/*
 * sqnsim: the single-threaded poll loop.
 *
 *   sqnsim --link PATH [options]              (options.c)
 *   sqnsim mkimage --kind K --build N [--from N] --size BYTES [--seed S] [--channel C] OUT
 *
 * The loop sleeps in ppoll until the pty has bytes, the host can take bytes,
 * or the earliest timer (or pacing token) is due. It reads no more than the
 * modem may consume and writes no more than it may emit, and neither while
 * the modem is held (a stall, an answer's latency).
 */
#include "sim.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
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

static int load_state(struct sim *s)
{
	struct modem_state *st = &s->st;

	memset(st, 0, sizeof(*st));
	st->mode = s->cfg.mode;
	st->build = s->cfg.build;
	st->bootloader0 = s->cfg.bootloader0;
	st->factory = s->cfg.factory;
	st->ppp = s->cfg.ppp;
	st->channel = s->cfg.channel; /* a state file without the key: CAT-M1 */
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

/* ---- moving bytes ---- */

/* The rate bytes move at on the pty: the modem's UART, or the board's USB side. */
static unsigned long line_rate(const struct sim *s)
{
	return s->board ? board_usb_rate(s) : s->listen_rate;
}

/* Bytes the modem may take from the pty now. */
static size_t rx_allowance(struct sim *s)
{
	size_t room = sizeof(s->in) - s->in_len;

	if (s->held || room == 0)
		return 0;
	if (s->cfg.pace) {
		size_t a = pace_allow(&s->pace_rx, line_rate(s));

		room = a < room ? a : room;
	}
	return room;
}

/* Bytes the modem may put on the pty now. */
static size_t tx_allowance(struct sim *s)
{
	if (s->held || s->pty.out_len == 0)
		return 0;
	return s->cfg.pace ? pace_allow(&s->pace_tx, line_rate(s)) : SIZE_MAX;
}

/* Feeds what was read and not yet consumed (a hold may have stopped it). */
static void pump(struct sim *s)
{
	size_t n;

	if (s->board)
		board_pump(s); /* the board's own traffic with the modem */
	if (s->in_len == 0 || s->held || s->halt)
		return;
	n = s->board ? board_input(s, s->in, s->in_len) : sim_input(s, s->in, s->in_len);
	memmove(s->in, s->in + n, s->in_len - n);
	s->in_len -= n;
}

static void read_input(struct sim *s, size_t max)
{
	ssize_t n = read(s->pty.master, s->in + s->in_len, max);

	if (n <= 0)
		return;
	s->rx_bytes += (unsigned long long)n;
	s->in_len += (size_t)n;
	if (s->cfg.pace)
		pace_take(&s->pace_rx, (size_t)n);
	pump(s);
}

static int write_output(struct sim *s)
{
	size_t max = tx_allowance(s);
	size_t written = 0;

	if (max == 0)
		return 0;
	if (pty_flush(&s->pty, max, &written) != 0)
		return -1;
	if (s->cfg.pace)
		pace_take(&s->pace_tx, written);
	return 0;
}

static long min_ms(long a, long b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* How long ppoll may sleep: the earliest timer, or pacing tokens still to come. */
static long wait_ms(struct sim *s, size_t rx, size_t tx)
{
	long ms = sim_timer_ms(s);

	if (s->board && board_busy(s))
		return 0;
	if (!s->cfg.pace || s->held)
		return ms;
	if (rx == 0 && s->in_len < sizeof(s->in))
		ms = min_ms(ms, pace_wait_ms(&s->pace_rx, line_rate(s)));
	if (tx == 0 && s->pty.out_len > 0)
		ms = min_ms(ms, pace_wait_ms(&s->pace_tx, line_rate(s)));
	return ms;
}

static int wait_once(struct sim *s, const sigset_t *mask)
{
	struct pollfd pfd = {.fd = s->pty.master, .events = 0};
	size_t rx = rx_allowance(s), tx = tx_allowance(s);
	long ms = wait_ms(s, rx, tx);
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	int n;

	if (rx > 0)
		pfd.events |= POLLIN;
	if (tx > 0)
		pfd.events |= POLLOUT;
	n = ppoll(&pfd, 1, ms < 0 ? NULL : &ts, mask);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (pfd.revents & POLLIN)
		read_input(s, rx);
	return 0;
}

static int run(struct sim *s, const sigset_t *mask)
{
	while (!stop_requested && !s->halt) {
		pump(s);
		if (s->halt)
			break;
		if (wait_once(s, mask) != 0) {
			perror("sqnsim: ppoll");
			return -1;
		}
		if (s->halt)
			break;
		sim_timer(s);
		if (write_output(s) != 0) {
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
	if (s->cfg.board.on && board_init(s) != 0)
		return -1;
	faults_init(&s->faults, &s->cfg.faults);
	if (pty_open(&s->pty, s->cfg.link, &what) != 0) {
		fprintf(stderr, "sqnsim: %s: %s: %s\n", s->cfg.link, what, strerror(errno));
		return -1;
	}
	return 0;
}

/* After SIGTERM: a clean power-off. After a halt: no goodbye, the port just goes. */
static int finish(struct sim *s, int rc)
{
	int status = rc == 0 ? 0 : 1;

	if (s->halt) {
		transfer_halt(s);
		status = (int)s->halt;
	} else {
		sim_power_off(s);
	}
	pty_close(&s->pty);
	board_free(s);
	evlog_close(&s->log);
	return status;
}

int main(int argc, char **argv)
{
	struct sim *sim;
	sigset_t mask;
	int status;

	if (argc > 1 && strcmp(argv[1], "mkimage") == 0)
		return image_mkimage_main(argc - 1, argv + 1);
	sim = calloc(1, sizeof(*sim));
	if (!sim)
		return 1;
	options_parse(argc, argv, &sim->cfg);
	install_signals(&mask);
	if (start(sim) != 0)
		return 1;
	sim_power_on(sim);
	if (sim->board)
		board_power_on(sim);
	printf("sqnsim: ready %s (pid %ld)\n", sim->cfg.link, (long)getpid());
	fflush(stdout);
	status = finish(sim, run(sim, &mask));
	free(sim);
	return status;
}
