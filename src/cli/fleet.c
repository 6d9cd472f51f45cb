/* SPDX-License-Identifier: MIT */
/*
 * `run` with several -p: one thread a modem, each with its own port, core
 * context and output. Each modem's transcript goes to memory; the screen
 * shows one live line a modem (a line per phase or 10 % when not a terminal),
 * then a table, and the failures' full explanations.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define MAX_MODEMS 16
#define REDRAW_MS 200u

struct modem {
	struct fleet *fleet;
	struct cli cli; /* a copy, with this modem's port */
	struct session s;
	pthread_t thread;
	char *out_text, *err_text;
	size_t out_len, err_len;
	/* live state, under fleet->lock */
	const char *doing;
	uint32_t done, total;
	int busy_s; /* seconds the modem has kept an STP answer waiting */
	uint32_t old_build;
	uint32_t t_start, t_stp, t_end, stp_ms;
	int status;
};

struct fleet {
	pthread_mutex_t lock;
	struct modem m[MAX_MODEMS];
	int n;
	bool tty;
	bool drawn;
	uint32_t last_draw;
	FILE *out;  /* the table, or the JSON summary */
	FILE *live; /* the live lines: stderr when stdout carries JSON */
};

static const char *phase_words(enum sqns_phase p)
{
	switch (p) {
	case SQNS_PHASE_WAKEUP:
		return "waking up";
	case SQNS_PHASE_REBOOT_UPGRADE:
		return "rebooting into upgrade mode";
	case SQNS_PHASE_RESUME:
		return "resuming";
	case SQNS_PHASE_STP_ON_THE_FLY:
	case SQNS_PHASE_STP_FFF:
		return "sending firmware";
	case SQNS_PHASE_STP_BOOTROM:
		return "sending boot ROM";
	case SQNS_PHASE_BOOTROM_AGAIN:
		return "sending boot ROM again (FFF)";
	case SQNS_PHASE_CHECKING:
		return "modem checks an earlier image";
	case SQNS_PHASE_NEGOTIATE:
		return "negotiating the rate";
	case SQNS_PHASE_RESETTING:
		return "applying, resetting";
	case SQNS_PHASE_COMPLETED:
		return "completed";
	case SQNS_PHASE_ALREADY_CURRENT:
		return "already on the target build";
	default:
		return NULL;
	}
}

static void draw_line(struct fleet *f, const struct modem *m)
{
	int pct = m->total ? (int)((uint64_t)m->done * 100 / m->total) : 0;
	fprintf(f->out, "%-28.28s %-28s", m->cli.port, m->doing ? m->doing : "starting");
	if (m->total)
		fprintf(f->out, " %3d%%", pct);
	if (m->busy_s >= BUSY_HINT_S)
		fprintf(f->out, "  modem busy for %d s (normal)", m->busy_s);
	fputc('\n', f->out);
}

/* On a terminal: all lines again, in place. Called with the lock held. */
static void redraw(struct fleet *f, bool force)
{
	uint32_t now = sqns_host_now_ms();
	if (!force && f->drawn && now - f->last_draw < REDRAW_MS)
		return;
	if (f->drawn)
		fprintf(f->out, "\033[%dA", f->n);
	for (int i = 0; i < f->n; i++) {
		fputs("\033[2K", f->out);
		draw_line(f, &f->m[i]);
	}
	fflush(f->out);
	f->drawn = true;
	f->last_draw = now;
}

static void note(struct modem *m, const char *doing, bool step)
{
	struct fleet *f = m->fleet;
	if (doing)
		m->doing = doing;
	if (f->tty) {
		redraw(f, false);
	} else if (step) {
		fprintf(f->live, "[%s] %s", m->cli.port, m->doing ? m->doing : "");
		if (m->total && m->doing && strcmp(m->doing, "sending firmware") == 0)
			fprintf(f->live, " %3d%%", (int)((uint64_t)m->done * 100 / m->total));
		fputc('\n', f->live);
		fflush(f->live);
	}
}

static void on_event(void *user, const struct sqns_event *ev)
{
	struct modem *m = user;
	struct fleet *f = m->fleet;
	pthread_mutex_lock(&f->lock);
	if (ev->type == SQNS_EV_PHASE) {
		if (ev->phase == SQNS_PHASE_PLAN || ev->phase == SQNS_PHASE_ALREADY_CURRENT)
			m->old_build = m->s.ctx.res.plan.running_build;
		const char *words = phase_words(ev->phase);
		if (words)
			note(m, words, true);
	} else if (ev->type == SQNS_EV_PROGRESS) {
		uint32_t before = m->total ? (uint32_t)((uint64_t)m->done * 10 / m->total) : 0;
		if (ev->done == 0)
			m->t_stp = sqns_host_now_ms();
		if (ev->done == ev->total)
			m->stp_ms = sqns_host_now_ms() - m->t_stp;
		m->done = ev->done;
		m->total = ev->total;
		m->busy_s = 0;
		note(m, NULL,
		     ev->done && (uint32_t)((uint64_t)ev->done * 10 / ev->total) != before);
	} else if (ev->type == SQNS_EV_TICK && ev->phase == SQNS_PHASE_STP_WAIT) {
		m->busy_s = ev->value;
		if (f->tty && ev->value >= BUSY_HINT_S)
			redraw(f, true);
	}
	pthread_mutex_unlock(&f->lock);
	output_event(&m->s.out, ev); /* the modem's own transcript, in memory */
}

static void *modem_main(void *arg)
{
	struct modem *m = arg;
	m->t_start = sqns_host_now_ms();
	m->status = cmd_run(&m->s);
	m->t_end = sqns_host_now_ms();
	output_break(&m->s.out);
	session_close(&m->s);
	cli_memstream_close(m->s.out.out);
	cli_memstream_close(m->s.out.err);
	pthread_mutex_lock(&m->fleet->lock);
	note(m, m->status == 0 ? "done" : "FAILED", true);
	pthread_mutex_unlock(&m->fleet->lock);
	return NULL;
}

static bool setup(struct fleet *f, struct modem *m, const struct session *proto, const char *port)
{
	*m = (struct modem){.fleet = f, .cli = *proto->cli};
	m->cli.port = port;
	m->cli.nports = 1;
	m->s.cli = &m->cli;
	FILE *out = cli_memstream_open(&m->out_text, &m->out_len);
	FILE *err = cli_memstream_open(&m->err_text, &m->err_len);
	if (!out || !err) {
		if (out)
			cli_memstream_close(out);
		if (err)
			cli_memstream_close(err);
		return false;
	}
	output_init(&m->s.out, out, err, m->cli.verbose, m->cli.debug);
	m->s.out.tty = false;
	/* The session's configuration with this modem's events; cmd_run opens its port. */
	m->s.cfg = proto->cfg;
	m->s.cfg.on_event = on_event;
	m->s.cfg.user = m;
	return true;
}

static void print_table(struct fleet *f)
{
	fprintf(f->out, "\n%-28s %-8s %-15s %9s %12s\n", "port", "result", "build", "time (s)",
		"KiB/s");
	for (int i = 0; i < f->n; i++) {
		const struct modem *m = &f->m[i];
		char build[40] = "-", result[16];
		const struct sqns_plan *p = &m->s.ctx.res.plan;
		if (m->s.ctx.res.stage == SQNS_STAGE_DONE)
			snprintf(build, sizeof build, "%u -> %u", m->old_build, p->running_build);
		else if (m->old_build && m->status == 0)
			snprintf(build, sizeof build, "%u (current)", m->old_build);
		else if (m->old_build)
			snprintf(build, sizeof build, "%u", m->old_build);
		snprintf(result, sizeof result, m->status ? "exit %d" : "ok", m->status);
		double kibps = m->stp_ms ? m->total / 1024.0 / (m->stp_ms / 1000.0) : 0;
		fprintf(f->out, "%-28.28s %-8s %-15s %9.1f %12.1f\n", m->cli.port, result, build,
			(m->t_end - m->t_start) / 1000.0, kibps);
	}
}

static void print_json(struct fleet *f)
{
	fputs("[", f->out);
	for (int i = 0; i < f->n; i++) {
		const struct modem *m = &f->m[i];
		fprintf(f->out, "%s\n {\"port\": ", i ? "," : "");
		output_json_string(f->out, m->cli.port);
		fprintf(
		    f->out,
		    ", \"status\": %d, \"old_build\": %u, \"new_build\": %u, \"seconds\": %.3f, "
		    "\"bytes\": %u, \"stp_seconds\": %.3f, \"error\": ",
		    m->status, m->old_build,
		    m->s.ctx.res.stage == SQNS_STAGE_DONE ? m->s.ctx.res.plan.running_build : 0,
		    (m->t_end - m->t_start) / 1000.0, m->total, m->stp_ms / 1000.0);
		output_json_string(f->out, m->status ? m->err_text : "");
		fputs("}", f->out);
	}
	fputs("\n]\n", f->out);
}

/* The same port twice would be two threads on one modem. */
static int check_ports(const struct cli *c)
{
	for (int i = 0; i < c->nports; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(c->ports[i], c->ports[j]) == 0) {
				fprintf(stderr, "sqnsupgrade: port '%s' is given twice\n",
					c->ports[i]);
				return EXIT_USAGE;
			}
	return -1;
}

/* A modem whose thread did not start fails alone; the others go on. */
static void not_started(struct fleet *f, struct modem *m, int err)
{
	fprintf(m->s.out.err,
		"sqnsupgrade: cannot start a thread for '%s': %s; nothing was sent to this "
		"modem\n",
		m->cli.port, strerror(err));
	m->status = EXIT_FAIL;
	cli_memstream_close(m->s.out.out);
	cli_memstream_close(m->s.out.err);
	pthread_mutex_lock(&f->lock);
	note(m, "FAILED", true);
	pthread_mutex_unlock(&f->lock);
}

/* Run every modem, each in its thread; the first failure's status, else EXIT_OK. */
static int run_all(struct fleet *f)
{
	bool started[MAX_MODEMS];
	for (int i = 0; i < f->n; i++) {
		int e = pthread_create(&f->m[i].thread, NULL, modem_main, &f->m[i]);
		started[i] = e == 0;
		if (e)
			not_started(f, &f->m[i], e);
	}
	int status = EXIT_OK;
	for (int i = 0; i < f->n; i++) {
		if (started[i])
			pthread_join(f->m[i].thread, NULL);
		if (f->m[i].status && status == EXIT_OK)
			status = f->m[i].status;
	}
	return status;
}

/* The table (or JSON), then the failures and the warnings of successes. */
static void report(struct fleet *f, bool json)
{
	if (f->tty)
		redraw(f, true);
	if (json) {
		print_json(f);
		return;
	}
	print_table(f);
	/* Failures, and the warnings of successes (a boot ROM left the factory's). */
	for (int i = 0; i < f->n; i++)
		if (f->m[i].status || (f->m[i].err_text && *f->m[i].err_text))
			fprintf(stderr, "\n== %s\n%s", f->m[i].cli.port, f->m[i].err_text);
}

/* Free what setup allocated for the first n modems (their streams are closed). */
static void release(struct fleet *f, int n)
{
	for (int i = 0; i < n; i++) {
		free(f->m[i].out_text);
		free(f->m[i].err_text);
	}
}

/* A modem set up but not run: its memory streams still open. */
static void discard(struct modem *m)
{
	if (m->s.out.out)
		cli_memstream_close(m->s.out.out);
	if (m->s.out.err)
		cli_memstream_close(m->s.out.err);
}

static int fleet_go(struct fleet *f, struct session *proto)
{
	const struct cli *c = proto->cli;
	f->out = proto->out.out;
	f->live = c->json ? stderr : f->out;
	f->tty = proto->out.tty && !c->json;
	f->n = c->nports;
	for (int i = 0; i < f->n; i++) {
		if (!setup(f, &f->m[i], proto, c->ports[i])) {
			fprintf(stderr, "sqnsupgrade: out of memory\n");
			for (int j = 0; j <= i; j++)
				discard(&f->m[j]);
			release(f, i + 1);
			return EXIT_FAIL;
		}
	}
	if (!c->json) {
		char modems[32];
		snprintf(modems, sizeof modems, " (%d modems)", f->n);
		output_welcome(f->out, modems);
	}
	int status = run_all(f);
	report(f, c->json);
	release(f, f->n);
	return status;
}

int fleet_run(struct session *proto)
{
	int status = check_ports(proto->cli);
	if (status >= 0)
		return status;
	struct fleet *f = calloc(1, sizeof *f);
	if (!f) {
		fprintf(stderr, "sqnsupgrade: out of memory\n");
		return EXIT_FAIL;
	}
	pthread_mutex_init(&f->lock, NULL);
	status = fleet_go(f, proto);
	pthread_mutex_destroy(&f->lock);
	free(f);
	return status;
}
