/* SPDX-License-Identifier: MIT */
/*
 * Ctrl-C, Ctrl-Break and the console window closing on Windows (cli.h:
 * signals_catch), as SIGINT is on POSIX (signals_posix.c): the first sets the
 * abort flag the core asks between blocks (the STP session is closed, exit 8);
 * a second one is left to the default handler, which ends the process. A
 * closing window is held until the command has finished, within the 5 s
 * Windows gives.
 */
#include <stdlib.h>
#include <windows.h>

#include "cli.h"

static volatile LONG interrupted;
/* Set by signals_restore: the command has finished (closing the STP session first). */
static HANDLE finished;

/* Windows ends the process when a close event's handler returns, and gives it 5 s. */
#define CLOSE_GRACE_MS 4500

struct caught_signals {
	HANDLE finished;
};

static BOOL WINAPI on_console_event(DWORD event)
{
	switch (event) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
		/* A second one: the user means it (FALSE: the next handler, the default). */
		return InterlockedExchange(&interrupted, 1) == 0;
	case CTRL_CLOSE_EVENT:
		/* The window closes: the session is closed in the time Windows allows. */
		InterlockedExchange(&interrupted, 1);
		if (finished)
			WaitForSingleObject(finished, CLOSE_GRACE_MS);
		return TRUE;
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
	if (!c)
		return NULL;
	c->finished = CreateEventW(NULL, TRUE, FALSE, NULL);
	finished = c->finished;
	if (!SetConsoleCtrlHandler(on_console_event, TRUE)) {
		if (c->finished)
			CloseHandle(c->finished);
		finished = NULL;
		free(c);
		return NULL;
	}
	return c;
}

void signals_restore(struct caught_signals *c)
{
	if (!c)
		return;
	if (c->finished)
		SetEvent(c->finished); /* a close event's handler may return now */
	SetConsoleCtrlHandler(on_console_event, FALSE);
	finished = NULL;
	if (c->finished)
		CloseHandle(c->finished);
	free(c);
}
