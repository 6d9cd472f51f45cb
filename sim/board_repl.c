/* SPDX-License-Identifier: MIT */
/*
 * --board's USB side (board_private.h): the bytes the host sends, to main.py,
 * the friendly REPL or the raw one, and what the board prints back.
 */
#include "board_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- events ---- */

static void log_state(struct sim *s, const char *state)
{
	struct ev e;

	ev_begin(&e, "board");
	ev_str(&e, "state", state);
	ev_end(&s->log, &e);
}

void board_set_state(struct sim *s, enum b_state st)
{
	static const char *const names[] = {"script", "repl", "raw_repl", "uart", "mirror", "hang"};

	if (s->board->state == st)
		return;
	s->board->state = st;
	log_state(s, names[st]);
}

/* ---- the USB side ---- */

unsigned long board_usb_rate(const struct sim *s)
{
	return s->board->state == B_MIRROR ? BOARD_MIRROR_RATE : BOARD_REPL_RATE;
}

bool board_usb_ok(struct sim *s)
{
	struct board *b = s->board;
	unsigned long host = pty_host_rate(&s->pty);
	bool ok = host == board_usb_rate(s);
	struct ev e;

	if (!ok && !b->usb_mismatch) {
		ev_begin(&e, "board_rate_mismatch");
		ev_int(&e, "host", (long long)host);
		ev_int(&e, "board", (long long)board_usb_rate(s));
		ev_end(&s->log, &e);
	}
	b->usb_mismatch = !ok;
	return ok;
}

static void usb_write(struct sim *s, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (board_usb_ok(s))
		pty_queue(&s->pty, data, len);
	else
		pty_queue_noise(&s->pty, len);
}

void board_say(struct sim *s, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		usb_write(s, p, n);
		p += n;
		if (*p == '\n') {
			usb_write(s, "\r\n", 2);
			p++;
		}
	}
}

void board_sayf(struct sim *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	board_say(s, buf);
}

static void banner(struct sim *s)
{
	board_sayf(s,
		   "Pycom MicroPython " RELEASE " [" MPY_VERSION "]; %s with ESP32\n"
		   "Type \"help()\" for more information.\n>>> ",
		   s->cfg.board.name);
}

static void raw_banner(struct sim *s)
{
	board_say(s, "raw REPL; CTRL-B to exit\n>");
}

/* ---- the REPL's closing words ---- */

void board_code_done(struct sim *s)
{
	struct board *b = s->board;

	if (b->raw) {
		usb_write(s, "\x04", 1);
		board_say(s, b->err);
		usb_write(s, "\x04>", 2);
		board_set_state(s, B_RAW);
	} else {
		board_say(s, b->err);
		board_say(s, ">>> ");
		board_set_state(s, B_REPL);
	}
}

/* ---- the host's bytes ---- */

static void repl_byte(struct sim *s, uint8_t c)
{
	struct board *b = s->board;

	switch (c) {
	case 0x01: /* Ctrl-A: the raw REPL */
		board_say(s, "\n");
		raw_banner(s);
		b->code_len = 0;
		b->code_over = false;
		board_set_state(s, B_RAW);
		return;
	case 0x02:
		board_say(s, "\n");
		banner(s);
		b->line_len = 0;
		return;
	case 0x03: /* Ctrl-C at the prompt: the line is dropped */
		board_say(s, "\n>>> ");
		b->line_len = 0;
		return;
	case 0x04:
		if (b->line_len == 0) {
			board_say(s, "\nMPY: soft reboot\n");
			b->imported = 0;
			banner(s);
		}
		return;
	case 0x08:
	case 0x7f:
		if (b->line_len > 0) {
			b->line_len--;
			board_say(s, "\b \b");
		}
		return;
	case '\n':
		return;
	case '\r':
		board_say(s, "\n");
		b->line[b->line_len] = '\0';
		if (b->line_len == 0)
			board_say(s, ">>> "); /* an empty line: just the prompt again */
		else
			board_run_code(s, b->line, false);
		b->line_len = 0;
		return;
	default:
		if (c < 0x20 || b->line_len + 1 >= sizeof(b->line))
			return;
		b->line[b->line_len++] = (char)c;
		usb_write(s, &c, 1);
	}
}

static void raw_byte(struct sim *s, uint8_t c)
{
	struct board *b = s->board;

	switch (c) {
	case 0x01:
		board_say(s, "\n");
		raw_banner(s);
		b->code_len = 0;
		b->code_over = false;
		return;
	case 0x02:
		board_say(s, "\n");
		banner(s);
		b->line_len = 0;
		board_set_state(s, B_REPL);
		return;
	case 0x03:
		b->code_len = 0;
		b->code_over = false;
		return;
	case 0x04:
		usb_write(s, "OK", 2);
		if (b->code_len == 0) {
			board_say(s, "\nMPY: soft reboot\n");
			b->imported = 0;
			raw_banner(s);
			return;
		}
		b->code[b->code_len] = '\0';
		b->code_len = 0;
		if (b->code_over) {
			b->code_over = false;
			b->err[0] = '\0';
			snprintf(b->err, sizeof(b->err), "MemoryError: \n");
			b->raw = true;
			board_code_done(s);
			return;
		}
		board_run_code(s, b->code, true);
		return;
	default:
		if (b->code_len + 1 < sizeof(b->code))
			b->code[b->code_len++] = (char)c;
		else
			b->code_over = true;
	}
}

/* main.py's loop: Ctrl-C ends it with a KeyboardInterrupt, then the REPL starts. */
static void script_byte(struct sim *s, uint8_t c)
{
	if (c != 0x03)
		return;
	board_say(s, "Traceback (most recent call last):\n  File \"main.py\", line 7, in <module>\n"
		     "KeyboardInterrupt: \n");
	banner(s);
	s->board->line_len = 0;
	board_set_state(s, B_REPL);
}

size_t board_input(struct sim *s, const uint8_t *data, size_t len)
{
	struct board *b = s->board;

	switch (b->state) {
	case B_MIRROR:
		if (!board_usb_ok(s))
			return len; /* the board's UART reads garbage: it is lost */
		return sim_input(s, data, len);
	case B_HANG:
	case B_UART: /* busy in uart(): nothing typed is read until it returns */
		return len;
	default:
		break;
	}
	if (!board_usb_ok(s))
		return len;
	for (size_t i = 0; i < len; i++) {
		switch (b->state) {
		case B_SCRIPT:
			script_byte(s, data[i]);
			break;
		case B_REPL:
			repl_byte(s, data[i]);
			break;
		case B_RAW:
			raw_byte(s, data[i]);
			break;
		default:
			return len; /* uart() took over: the rest is not read */
		}
	}
	return len;
}
