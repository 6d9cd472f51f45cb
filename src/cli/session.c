/* SPDX-License-Identifier: MIT */
/* The port and the words for failures, shared by every command. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int session_open_port(struct session *s)
{
	struct cli *c = s->cli;
	if (!c->port || !*c->port) {
		fprintf(s->out.err,
			"sqnsupgrade: no port given: use -p PORT (e.g. -p " EXAMPLE_PORT ") or "
			"set SQNSUPGRADE_PORT\n");
		return EXIT_USAGE;
	}
	/* At the modem's rate (cfg.baud; when 0, the port's default, which cfg then takes). */
	struct sqns_port_opts opts = {.baud = s->cfg.baud, .rtscts = c->rtscts};
	int r;
	s->port = sqns_port_open(c->port, &opts, &r);
	if (!s->port) {
		char why[600];
		fprintf(s->out.err, "sqnsupgrade: %s\n",
			sqns_port_open_error(c->port, r, errno, why, sizeof why));
		return r == SQNS_ERR_ARG ? EXIT_USAGE : EXIT_PORT;
	}
	if (s->hexdump)
		sqns_port_trace(s->port, session_hexdump, NULL);
	struct sqns_config cfg = s->cfg;
	sqns_port_config(s->port, &cfg);
	if (s->fixed_rate) {
		s->fixed_ops = *cfg.ops;
		s->fixed_ops.set_rate = NULL;
		cfg.ops = &s->fixed_ops;
	}
	if (sqns_init(&s->ctx, &cfg) != SQNS_OK) {
		fprintf(s->out.err, "sqnsupgrade: internal error: bad configuration\n");
		return EXIT_FAIL;
	}
	s->out.ctx = &s->ctx;
	s->out.how.port = s->cli->port;
	return -1;
}

/* One hex dump line per 16 bytes, with the printable ASCII beside it. */
void session_hexdump(void *user, bool tx, const uint8_t *buf, size_t len)
{
	(void)user;
	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;
		fprintf(stderr, "[%s] %04zx:", tx ? "tx" : "rx", off);
		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				fprintf(stderr, " %02x", buf[off + i]);
			else
				fputs("   ", stderr);
		}
		fputs("  |", stderr);
		for (size_t i = 0; i < n; i++) {
			uint8_t c = buf[off + i];
			fputc(c >= 0x20 && c < 0x7f ? c : '.', stderr);
		}
		fputs("|\n", stderr);
	}
}

void session_log_totals(struct session *s)
{
	uint64_t tx, rx;
	if (!s->out.log || !s->port)
		return;
	sqns_port_counts(s->port, &tx, &rx);
	fprintf(s->out.log, "# port totals: sent %llu bytes, received %llu bytes\n",
		(unsigned long long)tx, (unsigned long long)rx);
}

#ifdef _WIN32
/*
 * For cmd and PowerShell alike: a word of plain characters as it is (a
 * backslash path included), else in double quotes, which both read the same
 * way. A Windows path has no double quote; a % or $ inside one is still
 * expanded by cmd or PowerShell (docs/windows.md).
 */
#define PLAIN_EXTRA "\\"
#define QUOTE '"'
#define QUOTE_IN_WORD "\""
#else
/* For a POSIX shell: single quotes, a single quote inside as '\''. */
#define PLAIN_EXTRA ""
#define QUOTE '\''
#define QUOTE_IN_WORD "'\\''"
#endif

void shell_quote(char *out, size_t len, const char *s)
{
	bool plain = *s != '\0';
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/"
			    "._-+:=" PLAIN_EXTRA,
			    *p))
			plain = false;
	if (plain) {
		snprintf(out, len, "%s", s);
		return;
	}
	size_t n = 0, in_word = strlen(QUOTE_IN_WORD);
	out[n++] = QUOTE;
	for (const char *p = s; *p && n + 5 < len; p++) {
		if (*p == QUOTE) {
			memcpy(out + n, QUOTE_IN_WORD, in_word);
			n += in_word;
		} else {
			out[n++] = *p;
		}
	}
	out[n++] = QUOTE;
	out[n] = '\0';
}

int exit_for(int err)
{
	switch (err) {
	case SQNS_ERR_NO_MODEM:
		return EXIT_NO_MODEM;
	case SQNS_ERR_PROTOCOL:
	case SQNS_ERR_TIMEOUT:
		return EXIT_TRANSFER;
	case SQNS_ERR_REJECTED:
		return EXIT_REJECTED;
	case SQNS_ERR_ABORTED:
		return EXIT_INTERRUPTED;
	case SQNS_ERR_STATE:
		return EXIT_STATE;
	case SQNS_ERR_IMAGE:
		return EXIT_FILE;
	case SQNS_ERR_REFUSED:
		return EXIT_REFUSED;
	case SQNS_ERR_VERIFY:
		return EXIT_VERIFY;
	case SQNS_ERR_IO:
		return EXIT_PORT;
	default:
		return EXIT_FAIL;
	}
}

void port_error_words(struct session *s, int err, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	if (err != SQNS_ERR_IO || !s->port)
		return;
	const char *why = strerror(sqns_port_errno(s->port));
	if (sqns_port_is_network(s->port))
		snprintf(buf, len, "sqnsupgrade: connection to '%s' failed: %s\n", s->cli->port,
			 why);
	else
		snprintf(buf, len, "sqnsupgrade: port '%s' failed: %s (unplugged?)\n", s->cli->port,
			 why);
}

void port_error(struct session *s, int err)
{
	char line[1200];
	port_error_words(s, err, line, sizeof line);
	fputs(line, s->out.err);
}

int no_modem(struct session *s)
{
	char line[1200];
	struct sqns_words_how how = {.style = SQNS_WORDS_CLI, .port = s->cli->port};
	sqns_words_no_modem(&how, s->cli->baud, line, sizeof line);
	fprintf(s->out.err, "sqnsupgrade: %s", line);
	return EXIT_NO_MODEM;
}

void session_close(struct session *s)
{
	sqns_port_close(s->port);
	s->port = NULL;
}
