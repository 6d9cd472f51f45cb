/* SPDX-License-Identifier: MIT */
/*
 * Ctrl-C, SIGTERM and SIGHUP on POSIX (cli.h: signals_catch): the first ends
 * the current block, closes the STP session, then stops (exit 8); a second
 * one is the default action. Windows has signals_win.c.
 */
#define _DEFAULT_SOURCE
#include <signal.h>
#include <stdlib.h>

#include "cli.h"

static volatile sig_atomic_t interrupted;

static const int caught[] = {SIGINT, SIGTERM, SIGHUP};
#define NCAUGHT (sizeof caught / sizeof caught[0])

/* The handlers in place before (a host process, e.g. Python), put back by signals_restore. */
struct caught_signals {
	struct sigaction old[NCAUGHT];
};

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

void signals_clear(void)
{
	interrupted = 0;
}

struct caught_signals *signals_catch(void)
{
	struct caught_signals *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NCAUGHT; i++)
		sigaction(caught[i], &sa, &c->old[i]);
	return c;
}

void signals_restore(struct caught_signals *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < NCAUGHT; i++)
		sigaction(caught[i], &c->old[i], NULL);
	free(c);
}
