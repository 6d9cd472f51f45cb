/* SPDX-License-Identifier: MIT */
/*
 * Ctrl-C, Ctrl-Break and the console window closing on Windows (cli.h:
 * signals_catch), as SIGINT is on POSIX (signals_posix.c): the first sets the
 * abort flag the core asks between blocks (the STP session is closed, exit 8);
 * a second one is left to the default handler, which ends the process.
 */
#include <stdlib.h>
#include <windows.h>

#include "cli.h"

static volatile LONG interrupted;

struct caught_signals {
	int unused;
};

static BOOL WINAPI on_console_event(DWORD event)
{
	switch (event) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
		/* A second one: the user means it (FALSE: the next handler, the default). */
		return InterlockedExchange(&interrupted, 1) == 0;
	default:
		return FALSE;
	}
}

bool cli_should_abort(void *user)
{
	(void)user;
	return InterlockedCompareExchange(&interrupted, 0, 0) != 0;
}

void signals_clear(void)
{
	InterlockedExchange(&interrupted, 0);
}

struct caught_signals *signals_catch(void)
{
	struct caught_signals *c = calloc(1, sizeof *c);
	if (c && !SetConsoleCtrlHandler(on_console_event, TRUE)) {
		free(c);
		c = NULL;
	}
	return c;
}

void signals_restore(struct caught_signals *c)
{
	if (!c)
		return;
	SetConsoleCtrlHandler(on_console_event, FALSE);
	free(c);
}
