/* SPDX-License-Identifier: MIT */
/*
 * Colours on a terminal: a stream that wraps whole lines starting with a known
 * prefix ("Verified:", "sqnsupgrade: ") in an ANSI colour. Only installed when
 * the stream is a terminal and NO_COLOR is not set (https://no-color.org).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define RESET "\033[0m"

struct colour_rule {
	const char *prefix;
	const char *sgr; /* the escape sequence that starts the colour */
};

static const struct colour_rule out_rules[] = {
    {"Verified:", "\033[1;32m"},
    {"Upgrade completed!", "\033[32m"},
    {"Not verified:", "\033[33m"},
    {NULL, NULL},
};

static const struct colour_rule err_rules[] = {
    {"sqnsupgrade: warning:", "\033[33m"},
    {"sqnsupgrade: ", "\033[31m"},
    {NULL, NULL},
};

struct colour_stream {
	FILE *real;
	const struct colour_rule *rules;
	bool line_start; /* the next byte starts a line */
	bool open;	 /* a colour is on until the end of the line */
};

static ssize_t colour_write(void *cookie, const char *buf, size_t size)
{
	struct colour_stream *c = cookie;
	size_t i = 0;
	while (i < size) {
		if (c->line_start) {
			c->line_start = false;
			for (const struct colour_rule *r = c->rules; r->prefix; r++) {
				size_t n = strlen(r->prefix);
				if (size - i >= n && memcmp(buf + i, r->prefix, n) == 0) {
					fputs(r->sgr, c->real);
					c->open = true;
					break;
				}
			}
		}
		const char *nl = memchr(buf + i, '\n', size - i);
		size_t len = nl ? (size_t)(nl - (buf + i)) : size - i;
		fwrite(buf + i, 1, len, c->real);
		i += len;
		if (nl) {
			if (c->open)
				fputs(RESET, c->real);
			c->open = false;
			fputc('\n', c->real);
			c->line_start = true;
			i++;
		}
	}
	fflush(c->real);
	return (ssize_t)size;
}

static int colour_close(void *cookie)
{
	struct colour_stream *c = cookie;
	if (c->open)
		fputs(RESET, c->real);
	fflush(c->real);
	free(c);
	return 0;
}

bool colour_wanted(FILE *f)
{
	const char *no = getenv("NO_COLOR");
	return isatty(fileno(f)) && !(no && *no);
}

/* The stream's state belongs to the new FILE: colour_close frees it. */
static FILE *wrap(FILE *real, const struct colour_rule *rules)
{
	struct colour_stream *c = malloc(sizeof *c);
	if (!c)
		return real;
	*c = (struct colour_stream){.real = real, .rules = rules, .line_start = true};
	cookie_io_functions_t fns = {.write = colour_write, .close = colour_close};
	FILE *f = fopencookie(c, "w", fns);
	if (!f) {
		free(c);
		return real;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

void colour_streams(struct output *o)
{
	if (colour_wanted(o->out))
		o->out = wrap(o->out, out_rules);
	if (colour_wanted(o->err))
		o->err = wrap(o->err, err_rules);
}

void colour_close_streams(struct output *o, FILE *out, FILE *err)
{
	if (o->out != out) {
		fclose(o->out);
		o->out = out;
	}
	if (o->err != err) {
		fclose(o->err);
		o->err = err;
	}
}
