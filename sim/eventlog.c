/* SPDX-License-Identifier: MIT */
#include "eventlog.h"

#include <stdarg.h>
#include <string.h>

int evlog_open(struct evlog *log, const char *path)
{
	clock_gettime(CLOCK_MONOTONIC, &log->t0);
	log->f = NULL;
	if (!path)
		return 0;
	log->f = fopen(path, "a");
	return log->f ? 0 : -1;
}

void evlog_close(struct evlog *log)
{
	if (log->f)
		fclose(log->f);
	log->f = NULL;
}

static void put(struct ev *e, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(e->buf) - e->len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	e->len += ((size_t)n < room) ? (size_t)n : room - 1;
}

static void put_json_string(struct ev *e, const char *s)
{
	put(e, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			put(e, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(e, "\\u%04x", c);
		else
			put(e, "%c", c);
	}
	put(e, "\"");
}

void ev_begin(struct ev *e, const char *name)
{
	e->len = 0;
	e->buf[0] = '\0';
	put(e, "{\"ev\":");
	put_json_string(e, name);
}

void ev_int(struct ev *e, const char *key, long long v)
{
	put(e, ",\"%s\":%lld", key, v);
}

void ev_str(struct ev *e, const char *key, const char *v)
{
	put(e, ",\"%s\":", key);
	put_json_string(e, v);
}

void ev_bool(struct ev *e, const char *key, bool v)
{
	put(e, ",\"%s\":%s", key, v ? "true" : "false");
}

void ev_end(struct evlog *log, struct ev *e)
{
	struct timespec now;
	long long ms;

	if (!log->f)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - log->t0.tv_sec) * 1000LL + (now.tv_nsec - log->t0.tv_nsec) / 1000000;
	ev_int(e, "t", ms);
	fprintf(log->f, "%s}\n", e->buf);
	fflush(log->f);
}
