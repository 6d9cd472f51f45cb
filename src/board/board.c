/* SPDX-License-Identifier: MIT */
/*
 * A Pycom board's REPL taken over the port's ops (include/sqnsupgrade_board.h).
 * Portable like the core: no OS calls, no heap, no stdio.
 */
#include <string.h>

#include "sqnsupgrade_board.h"

#define BANNER "raw REPL; CTRL-B to exit\r\n>"

void sqns_board_init(struct sqns_board *b, const struct sqns_board_config *cfg)
{
	memset(b, 0, sizeof *b);
	b->cfg = *cfg;
}

static uint32_t now(struct sqns_board *b)
{
	return b->cfg.ops->now_ms(b->cfg.port);
}

static void emit(struct sqns_board *b, enum sqns_board_event_type type, const char *data,
		 size_t len)
{
	if (b->cfg.on_event)
		b->cfg.on_event(b->cfg.user, &(struct sqns_board_event){type, data, len});
}

static int rx(struct sqns_board *b, uint8_t *buf, size_t len, uint32_t ms)
{
	if (b->cfg.should_abort && b->cfg.should_abort(b->cfg.user))
		return SQNS_ERR_ABORTED;
	int n = b->cfg.ops->read(b->cfg.port, buf, len, ms);
	if (n > 0)
		emit(b, SQNS_BOARD_EV_RX, (const char *)buf, (size_t)n);
	return n;
}

static int tx(struct sqns_board *b, const char *data)
{
	size_t len = strlen(data);
	emit(b, SQNS_BOARD_EV_TX, data, len);
	return b->cfg.ops->write(b->cfg.port, (const uint8_t *)data, len);
}

static void reset_text(struct sqns_board *b)
{
	b->len = 0;
	b->text[0] = '\0';
}

static void keep(struct sqns_board *b, const uint8_t *buf, size_t n)
{
	if (n >= sizeof b->text)
		return;
	if (b->len + n >= sizeof b->text) {
		size_t drop = b->len + n - (sizeof b->text - 1);
		memmove(b->text, b->text + drop, b->len - drop);
		b->len -= drop;
	}
	memcpy(b->text + b->len, buf, n);
	b->len += n;
	b->text[b->len] = '\0';
}

/* Where marker starts in text[from..len), or NULL. */
static char *find(struct sqns_board *b, size_t from, const char *marker)
{
	size_t m = strlen(marker);
	for (size_t i = from; i + m <= b->len; i++)
		if (memcmp(b->text + i, marker, m) == 0)
			return b->text + i;
	return NULL;
}

/* Read until the text holds marker (1), for at most ms (0), or < 0. */
static int read_until(struct sqns_board *b, const char *marker, uint32_t ms)
{
	uint32_t end = now(b) + ms;
	while (!find(b, 0, marker)) {
		int32_t left = (int32_t)(end - now(b));
		uint8_t buf[256];
		if (left <= 0)
			return 0;
		int n = rx(b, buf, sizeof buf, (uint32_t)left);
		if (n < 0)
			return n;
		keep(b, buf, (size_t)n);
	}
	return 1;
}

/* Read until the board has been quiet for QUIET_MS (at most DRAIN_MS). */
static int drain(struct sqns_board *b)
{
	uint32_t end = now(b) + SQNS_BOARD_DRAIN_MS;
	for (;;) {
		uint8_t buf[256];
		int32_t left = (int32_t)(end - now(b));
		if (left <= 0)
			return SQNS_OK;
		int n =
		    rx(b, buf, sizeof buf,
		       left < (int32_t)SQNS_BOARD_QUIET_MS ? (uint32_t)left : SQNS_BOARD_QUIET_MS);
		if (n <= 0)
			return n;
		keep(b, buf, (size_t)n);
	}
}

static enum sqns_board_status failed(struct sqns_board *b, int rc)
{
	if (rc == SQNS_ERR_ABORTED)
		return SQNS_BOARD_ABORTED;
	b->err = rc;
	return SQNS_BOARD_IO;
}

/*
 * The last line of a text fed a byte at a time (a Python traceback's
 * "OSError: ..."): a line of only '\r' does not count, trailing '\r' go.
 */
struct last_line {
	char cur[256];
	size_t n;
	char *out;
	size_t cap;
};

static void commit(struct last_line *l)
{
	size_t n = l->n;
	while (n > 0 && l->cur[n - 1] == '\r')
		n--;
	if (n > 0) {
		size_t k = n < l->cap - 1 ? n : l->cap - 1;
		memcpy(l->out, l->cur, k);
		l->out[k] = '\0';
	}
	l->n = 0;
}

static void feed(struct last_line *l, char ch)
{
	if (ch == '\n')
		commit(l);
	else if (l->n < sizeof l->cur)
		l->cur[l->n++] = ch;
}

static void last_line(const char *text, size_t len, char *out, size_t cap)
{
	struct last_line l = {.out = out, .cap = cap};
	out[0] = '\0';
	for (size_t i = 0; i < len; i++)
		feed(&l, text[i]);
	commit(&l);
}

/* field='value' of a uname tuple in text[0..len) into out ("?" when absent); false if absent. */
static bool uname_field(const char *text, size_t len, const char *field, char *out, size_t cap)
{
	size_t f = strlen(field);
	out[0] = '?';
	out[1] = '\0';
	for (size_t i = 0; i + f + 2 <= len; i++) {
		if (memcmp(text + i, field, f) != 0 || text[i + f] != '=' ||
		    text[i + f + 1] != '\'')
			continue;
		const char *p = text + i + f + 2, *q = memchr(p, '\'', len - (size_t)(p - text));
		if (!q)
			return false;
		size_t k = (size_t)(q - p) < cap - 1 ? (size_t)(q - p) : cap - 1;
		memcpy(out, p, k);
		out[k] = '\0';
		return true;
	}
	return false;
}

/* Ctrl-C twice, then the raw REPL; 1 when its banner came, 0 when nothing answered. */
static int enter_raw_repl(struct sqns_board *b)
{
	for (int i = 0; i < SQNS_BOARD_REPL_TRIES; i++) {
		int rc;
		if ((rc = tx(b, "\r\x03\x03")) < 0 || (rc = drain(b)) < 0)
			return rc;
		reset_text(b);
		if ((rc = tx(b, "\r\x01")) < 0)
			return rc;
		if ((rc = read_until(b, BANNER, SQNS_BOARD_REPL_MS)) != 0) {
			b->raw = rc > 0;
			return rc;
		}
	}
	return 0;
}

/* code and Ctrl-D, then the board's "OK": what follows it stays in the text. 1, 0 or < 0. */
static int send_code(struct sqns_board *b, const char *code)
{
	reset_text(b);
	int rc = tx(b, code);
	if (rc < 0 || (rc = tx(b, "\x04")) < 0)
		return rc;
	if ((rc = read_until(b, "OK", SQNS_BOARD_ANSWER_MS)) <= 0)
		return rc;
	size_t skip = (size_t)(find(b, 0, "OK") + 2 - b->text);
	memmove(b->text, b->text + skip, b->len - skip + 1);
	b->len -= skip;
	return 1;
}

static bool carries_modem(const char *sysname)
{
	return strcmp(sysname, "GPy") == 0 || strcmp(sysname, "FiPy") == 0 ||
	       strcmp(sysname, "G01") == 0;
}

enum sqns_board_status sqns_board_take(struct sqns_board *b)
{
	int rc = SQNS_OK;
	if (b->cfg.ops->set_rate)
		rc = b->cfg.ops->set_rate(b->cfg.port, SQNS_BOARD_REPL_RATE);
	if (rc < 0 || (rc = enter_raw_repl(b)) < 0)
		return failed(b, rc);
	if (rc == 0)
		return SQNS_BOARD_NO_REPL;
	/* os.uname(): the output up to \x04, the error text up to the next. */
	rc = send_code(b, "import os; print(os.uname())");
	if (rc > 0 && (rc = read_until(b, "\x04", SQNS_BOARD_ANSWER_MS)) > 0)
		rc = read_until(b, "\x04>", SQNS_BOARD_ANSWER_MS);
	if (rc < 0)
		return failed(b, rc);
	size_t out = rc > 0 ? (size_t)((char *)memchr(b->text, 0x04, b->len) - b->text) : 0;
	bool named = rc > 0 && uname_field(b->text, out, "sysname", b->sysname, sizeof b->sysname);
	if (!named) {
		if (rc == 0) {
			last_line(b->text, b->len, b->why, sizeof b->why);
		} else {
			const char *err = b->text + out + 1;
			const char *end = memchr(err, 0x04, b->len - out - 1);
			if (end && end > err)
				last_line(err, (size_t)(end - err), b->why, sizeof b->why);
			else
				last_line(b->text, out, b->why, sizeof b->why);
		}
		return SQNS_BOARD_NO_UNAME;
	}
	uname_field(b->text, out, "machine", b->machine, sizeof b->machine);
	uname_field(b->text, out, "release", b->release, sizeof b->release);
	return carries_modem(b->sysname) ? SQNS_BOARD_OK : SQNS_BOARD_NOT_MODEM;
}

static bool put(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);
	if (*pos + n >= len)
		return false;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return true;
}

bool sqns_board_call(enum sqns_board_method method, const char *path, char *buf, size_t len)
{
	size_t pos = 0;
	if (len == 0)
		return false;
	buf[0] = '\0';
	switch (method) {
	case SQNS_BOARD_NORMAL:
		return put(buf, len, &pos, "sqnsupgrade.uart()");
	case SQNS_BOARD_RECOVERY:
		return put(buf, len, &pos, "sqnsupgrade.uart(True)");
	case SQNS_BOARD_RECOVERY_FLASH:
		if (!path || path[0] != '/' || strpbrk(path, "'\\\"\r\n"))
			return false;
		return put(buf, len, &pos, "sqnsupgrade.uart(True, '") &&
		       put(buf, len, &pos, path) && put(buf, len, &pos, "')");
	}
	return false;
}

static enum sqns_board_fault fault_of(const char *line)
{
	if (strstr(line, "ENOENT"))
		return SQNS_BOARD_FAULT_NO_FILE;
	if (strstr(line, "no module named"))
		return SQNS_BOARD_FAULT_NO_MODULE;
	if (strstr(line, "does not answer"))
		return SQNS_BOARD_FAULT_NO_MODEM;
	return SQNS_BOARD_FAULT_OTHER;
}

/*
 * uart()'s output, from the text after "OK" on: each line to on_event until
 * the mirror line (1), or its error text between the two \x04 (0, why set).
 */
static int follow_uart(struct sqns_board *b)
{
	char line[512];
	size_t n = 0;
	int eots = 0;
	struct last_line err = {.out = b->why, .cap = sizeof b->why};
	uint32_t limit = b->cfg.uart_ms ? b->cfg.uart_ms : SQNS_BOARD_UART_MS;
	uint32_t end = now(b) + limit;
	b->why[0] = '\0';
	for (;;) {
		for (size_t i = 0; i < b->len; i++) {
			char ch = b->text[i];
			if (ch == 0x04) {
				if (++eots == 2) {
					commit(&err);
					b->fault = fault_of(b->why);
					return 0;
				}
				continue;
			}
			if (eots == 1) {
				feed(&err, ch);
				continue;
			}
			if (ch == '\r')
				continue;
			if (ch != '\n') {
				if (n + 1 < sizeof line)
					line[n++] = ch;
				continue;
			}
			line[n] = '\0';
			if (strncmp(line, SQNS_BOARD_MIRROR_LINE, strlen(SQNS_BOARD_MIRROR_LINE)) ==
			    0)
				return 1;
			emit(b, SQNS_BOARD_EV_LINE, line, n);
			n = 0;
		}
		int32_t left = (int32_t)(end - now(b));
		if (left <= 0)
			return -1;
		reset_text(b);
		int got = rx(b, (uint8_t *)b->text, sizeof b->text - 1, (uint32_t)left);
		if (got < 0)
			return got - 1; /* below -1: the ops' error, shifted */
		b->len = (size_t)got;
		b->text[b->len] = '\0';
	}
}

enum sqns_board_status sqns_board_mirror(struct sqns_board *b, enum sqns_board_method method,
					 const char *path)
{
	char code[340] = "import sqnsupgrade; ";
	b->fault = SQNS_BOARD_FAULT_OTHER;
	b->why[0] = '\0';
	if (!sqns_board_call(method, path, b->call, sizeof b->call))
		return SQNS_BOARD_BAD_PATH;
	strcat(code, b->call);
	int rc = send_code(b, code);
	if (rc < 0)
		return failed(b, rc);
	if (rc == 0)
		return SQNS_BOARD_NOT_TAKEN;
	rc = follow_uart(b);
	if (rc == 0)
		return SQNS_BOARD_UART_FAILED;
	if (rc == -1)
		return SQNS_BOARD_UART_TIMEOUT;
	if (rc < -1)
		return failed(b, rc + 1);
	b->raw = false; /* the board's REPL is gone: it mirrors the modem */
	if (!b->cfg.ops->set_rate ||
	    (rc = b->cfg.ops->set_rate(b->cfg.port, SQNS_APPLICATION_RATE)) < 0)
		return failed(b, rc < 0 ? rc : SQNS_ERR_IO);
	return SQNS_BOARD_OK;
}

int sqns_board_release(struct sqns_board *b)
{
	if (!b->raw)
		return SQNS_OK;
	b->raw = false;
	return tx(b, "\x02");
}
