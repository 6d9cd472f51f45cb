/* SPDX-License-Identifier: MIT */
/*
 * The simulator's event log: one JSON object per line, appended and flushed
 * line by line so that a test can follow it while the modem runs.
 *
 * Usage: struct ev e; ev_begin(&e, "boot"); ev_int(&e, "mode", 2); ev_end(log, &e);
 * A NULL or closed log swallows the events.
 */
#ifndef SQNSIM_EVENTLOG_H
#define SQNSIM_EVENTLOG_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

struct evlog {
	FILE *f;
	struct timespec t0; /* "t" is milliseconds since this instant */
};

struct ev {
	char buf[1024];
	size_t len;
};

/* Returns 0, or -1 with errno when the file cannot be opened. NULL path: no log. */
int evlog_open(struct evlog *log, const char *path);
void evlog_close(struct evlog *log);

void ev_begin(struct ev *e, const char *name);
void ev_int(struct ev *e, const char *key, long long v);
void ev_str(struct ev *e, const char *key, const char *v);
void ev_bool(struct ev *e, const char *key, bool v);
void ev_end(struct evlog *log, struct ev *e);

#endif
