/* SPDX-License-Identifier: MIT */
#define _DEFAULT_SOURCE
#include <string.h>
#include <unistd.h>
#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <sys/ioctl.h>
#endif

#include "cli.h"
#include "output.h"
#include "sqnsupgrade_host.h"

#define BAR_WIDTH 40

void output_init(struct output *o, FILE *out, FILE *err, int verbose, bool debug)
{
	*o = (struct output){.out = out, .err = err, .verbose = verbose, .debug = debug};
	o->tty_fd = fileno(out);
	o->tty = o->tty_fd >= 0 && isatty(o->tty_fd);
	o->bar_shown = -1;
	o->tick_phase = -1;
	o->how = (struct sqns_words_how){.style = SQNS_WORDS_CLI, .quote = shell_quote};
}

void output_break(struct output *o)
{
	if (o->line_open) {
		fputc('\n', o->out);
		o->line_open = false;
	}
	fflush(o->out);
}

void output_welcome(FILE *f, const char *after)
{
	char line[96];
	int n = sqns_words_welcome(line, sizeof line);
	if (n > 0 && (size_t)n < sizeof line && line[n - 1] == '\n')
		line[n - 1] = '\0';
	fprintf(f, "%s%s\n", line, after ? after : "");
}

void output_block(struct output *o, const char *text)
{
	output_break(o);
	fputs(text, o->out);
	if (*text && text[strlen(text) - 1] != '\n')
		fputc('\n', o->out);
	fflush(o->out);
}

#define WAIT_HINT_S 10	 /* seconds of AT silence before a waiting hint shows */
#define REDRAW_MS 250	 /* a terminal's bar is redrawn at most this often, unless its % moves */
#define RATE_MIN_MS 500	 /* the shortest window a throughput is computed over */
#define EXTRAS_ROOM 24u	 /* beside a terminal's bar: room for "  89.6 KiB/s  ETA 1:05" */
#define BAR_MIN_WIDTH 20 /* the bar is not shortened below this to make that room */

static unsigned term_columns(const struct output *o)
{
#ifdef _WIN32
	CONSOLE_SCREEN_BUFFER_INFO info;
	HANDLE h = (HANDLE)_get_osfhandle(o->tty_fd);
	if (h != INVALID_HANDLE_VALUE && GetConsoleScreenBufferInfo(h, &info) &&
	    info.srWindow.Right >= info.srWindow.Left)
		return (unsigned)(info.srWindow.Right - info.srWindow.Left + 1);
#else
	struct winsize ws;
	if (ioctl(o->tty_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
#endif
	return 80;
}

/*
 * "146/293 KiB" or "2.9/5.7 MiB": both figures in the total's unit, the done
 * part rounded down so that it never reads as complete before it is.
 */
static void format_amount(char *buf, size_t n, uint32_t done, uint32_t total)
{
	if (total >= 1024u * 1024u)
		snprintf(buf, n, "%u.%u/%.1f MiB", done / 1048576u,
			 done % 1048576u * 10u / 1048576u, total / 1048576.0);
	else if (total >= 10u * 1024u)
		snprintf(buf, n, "%u/%u KiB", done / 1024u, (total + 512u) / 1024u);
	else
		snprintf(buf, n, "%u/%u B", done, total);
}

static void format_rate(char *buf, size_t n, double bytes_per_s)
{
	if (bytes_per_s >= 1048576.0)
		snprintf(buf, n, "%.1f MiB/s", bytes_per_s / 1048576.0);
	else
		snprintf(buf, n, "%.1f KiB/s", bytes_per_s / 1024.0);
}

static void format_eta(char *buf, size_t n, double seconds)
{
	unsigned long s = seconds > 359999.0 ? 359999ul : (unsigned long)(seconds + 0.5);
	if (s >= 3600)
		snprintf(buf, n, "ETA %lu:%02lu:%02lu", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, n, "ETA %lu:%02lu", s / 60, s % 60);
}

/* Remember (now, done) at most every REDRAW_MS; the window spans the last few seconds. */
static void rate_sample(struct output *o, uint32_t now, uint32_t done)
{
	unsigned newest = (o->bar.head + o->bar.n + RATE_SAMPLES - 1) % RATE_SAMPLES;
	if (o->bar.n > 0 && now - o->bar.t[newest] < REDRAW_MS)
		return;
	unsigned slot = (o->bar.head + o->bar.n) % RATE_SAMPLES;
	if (o->bar.n == RATE_SAMPLES)
		o->bar.head = (o->bar.head + 1) % RATE_SAMPLES;
	else
		o->bar.n++;
	o->bar.t[slot] = now;
	o->bar.bytes[slot] = done;
}

/* Bytes a second over the sample window, or a negative value while too short to tell. */
static double rate_now(const struct output *o, uint32_t now)
{
	if (o->bar.n == 0)
		return -1.0;
	uint32_t span = now - o->bar.t[o->bar.head];
	if (span < RATE_MIN_MS)
		return -1.0;
	return (o->bar.done - o->bar.bytes[o->bar.head]) * 1000.0 / span;
}

/*
 * What a terminal's bar carries beside it, at most `room` characters: the
 * busy hint during a long silence, else bytes, throughput and ETA (the longest
 * variant that fits).
 */
static void bar_extras(const struct output *o, uint32_t now, char *buf, size_t room)
{
	char v[3][128];
	int nv = 0;
	if (o->bar.busy_s >= BUSY_HINT_S) {
		snprintf(v[nv++], sizeof v[0],
			 "  modem busy for %d s: this is normal, keep waiting", o->bar.busy_s);
		snprintf(v[nv++], sizeof v[0], "  modem busy %d s, normal", o->bar.busy_s);
		snprintf(v[nv++], sizeof v[0], "  busy %ds", o->bar.busy_s);
	} else {
		char amount[48], rate[32] = "", eta[32] = "";
		format_amount(amount, sizeof amount, o->bar.done, o->bar.total);
		double bps = rate_now(o, now);
		if (bps > 0.0) {
			format_rate(rate, sizeof rate, bps);
			format_eta(eta, sizeof eta, (o->bar.total - o->bar.done) / bps);
			snprintf(v[nv++], sizeof v[0], "  %s  %s  %s", amount, rate, eta);
			snprintf(v[nv++], sizeof v[0], "  %s  %s", rate, eta);
			snprintf(v[nv++], sizeof v[0], "  %s", eta);
		} else {
			snprintf(v[nv++], sizeof v[0], "  %s", amount);
		}
	}
	buf[0] = '\0';
	for (int i = 0; i < nv; i++) {
		if (strlen(v[i]) <= room) {
			strcpy(buf, v[i]);
			return;
		}
	}
}

/* "Sending N bytes: [####    ]  42%" with a bar `width` wide (at most BAR_WIDTH). */
static int format_bar(char *line, size_t n, uint32_t done, uint32_t total, int width, bool prefix)
{
	char bar[BAR_WIDTH + 1];
	if (width > BAR_WIDTH)
		width = BAR_WIDTH;
	int pct = total ? (int)((uint64_t)done * 100 / total) : 100;
	int fill = total ? (int)((uint64_t)done * (unsigned)width / total) : width;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(width - fill));
	bar[width] = '\0';
	int len = prefix ? snprintf(line, n, "Sending %u bytes: [%s] %3d%%", total, bar, pct)
			 : snprintf(line, n, "[%s] %3d%%", bar, pct);
	return len < 0 ? 0 : len >= (int)n ? (int)n - 1 : len;
}

/*
 * The bar of Pycom's instructions. On a terminal it is redrawn in place with bytes,
 * throughput and ETA beside it, and ends as the document's line; elsewhere one
 * line per 10 %.
 */
static void draw_bar(struct output *o, bool force)
{
	uint32_t done = o->bar.done, total = o->bar.total;
	int pct = total ? (int)((uint64_t)done * 100 / total) : 100;
	uint32_t now = sqns_host_now_ms();
	if (!o->tty) {
		if (o->bar_shown >= 0 && pct / 10 == o->bar_shown / 10)
			return;
	} else if (!force && o->bar_shown == pct && pct < 100 &&
		   now - o->bar.drawn_ms < REDRAW_MS) {
		return;
	}
	o->bar_shown = pct;
	o->bar.drawn_ms = now;
	char line[256];
	int len = format_bar(line, sizeof line, done, total, BAR_WIDTH, true);
	if (!o->tty) {
		fprintf(o->out, "%s\n", line);
		fflush(o->out);
		return;
	}
	/*
	 * One screen row, never wrapped: a wrapped line cannot be redrawn with \r.
	 * A narrow terminal gets a shorter bar, then no "Sending N bytes: "; the
	 * final line is always the one of Pycom's instructions.
	 */
	unsigned cols = term_columns(o);
	if (pct < 100 && (unsigned)len + 1 > cols) {
		int fixed = len - BAR_WIDTH;
		if ((int)cols - 1 - fixed >= 10)
			len =
			    format_bar(line, sizeof line, done, total, (int)cols - 1 - fixed, true);
		else
			len = format_bar(line, sizeof line, done, total,
					 (int)cols - 8 >= 5 ? (int)cols - 8 : 5, false);
	}
	/*
	 * A terminal where the document's line fits but leaves no room beside it for the
	 * throughput and ETA (80 columns: 9 left): a shorter bar makes that room.
	 */
	if (pct < 100 && (unsigned)len + 1 <= cols && cols - 1 - (unsigned)len < EXTRAS_ROOM) {
		int width = BAR_WIDTH - (int)(EXTRAS_ROOM - (cols - 1 - (unsigned)len));
		if (width >= BAR_MIN_WIDTH)
			len = format_bar(line, sizeof line, done, total, width, true);
	}
	if (pct < 100 && len > 0 && (unsigned)len + 1 < cols && (size_t)len < sizeof line) {
		size_t room = cols - 1 - (unsigned)len;
		if (room > sizeof line - 1 - (size_t)len)
			room = sizeof line - 1 - (size_t)len;
		bar_extras(o, now, line + len, room);
	}
	len = (int)strlen(line);
	/* Blank what a longer earlier drawing left on the row. */
	fprintf(o->out, "\r%s%*s", line, o->bar_len > len ? o->bar_len - len : 0, "");
	o->bar_len = len;
	if (pct < 100) {
		o->line_open = true;
	} else {
		fputc('\n', o->out);
		o->line_open = false;
		o->bar_len = 0;
	}
	fflush(o->out);
}

static void progress(struct output *o, uint32_t done, uint32_t total)
{
	uint32_t now = sqns_host_now_ms();
	bool restart = done == 0 || total != o->bar.total || done < o->bar.done;
	bool was_busy = o->bar.busy_s >= BUSY_HINT_S;
	if (restart || was_busy) /* a stall says nothing of the link's throughput */
		o->bar.n = o->bar.head = 0;
	o->bar.done = done;
	o->bar.total = total;
	o->bar.last_ms = now;
	o->bar.busy_s = 0;
	o->bar.busy_said = false;
	rate_sample(o, now, done);
	draw_bar(o, was_busy);
}

#define BUSY_REPEAT_S 30 /* without a terminal, a line per this many seconds of a stall */

uint32_t output_stp_silence_ms(const struct output *o)
{
	if (o->bar.total == 0 || o->bar.done >= o->bar.total)
		return 0;
	return sqns_host_now_ms() - o->bar.last_ms;
}

/*
 * Another second without an STP answer. The silence is measured here, from
 * the last progress, on the clock: the core's count restarts when a request
 * is resent, and counting these events would fall behind on a loaded machine.
 */
static void stp_silence(struct output *o)
{
	if (o->bar.total == 0 || o->bar_shown < 0 || o->bar_shown >= 100)
		return;
	int seconds = o->bar.busy_s = (int)(output_stp_silence_ms(o) / 1000u);
	if (seconds < BUSY_HINT_S)
		return;
	if (o->tty) {
		draw_bar(o, true);
		return;
	}
	char line[200];
	if (!o->bar.busy_said) {
		o->bar.busy_said = true;
		o->bar.busy_next_s = BUSY_REPEAT_S;
		output_break(o);
		sqns_words_busy(0, line, sizeof line);
		fputs(line, o->out);
	} else if (seconds >= o->bar.busy_next_s) {
		sqns_words_busy(o->bar.busy_next_s, line, sizeof line);
		fputs(line, o->out);
		o->bar.busy_next_s += BUSY_REPEAT_S;
	}
	fflush(o->out);
}

/*
 * Another second of an AT wait (rebooting, loading the updater, checking,
 * applying): `seconds` since the wait began, from the core's clock.
 */
static void at_silence(struct output *o, enum sqns_phase p, int seconds)
{
	if (p == SQNS_PHASE_RESETTING) {
		fputc('.', o->out);
		fflush(o->out);
		return;
	}
	if (o->tick_said || seconds < WAIT_HINT_S)
		return;
	o->tick_said = true;
	output_break(o);
	char line[200];
	sqns_words_wait(p, seconds, line, sizeof line);
	fputs(line, o->out);
	fflush(o->out);
}

/*
 * The words of an event (src/words): phases, the STP session, retries. Said
 * on the transcript or, for warnings, on the error stream.
 */
static void words(struct output *o, const struct sqns_event *ev)
{
	static const struct sqns_ctx none = {.res.mode = SQNS_MODE_UNKNOWN};
	char text[2048];
	unsigned flags;
	sqns_words_event(&o->words, o->ctx ? o->ctx : &none, ev, &o->how, &flags, text,
			 sizeof text);
	o->fff = o->words.fff;
	o->planned = o->words.planned;
	if (!*text || ((flags & SQNS_WORDS_VERBOSE) && !o->verbose))
		return;
	output_break(o);
	fputs(text, flags & SQNS_WORDS_ERR ? o->err : o->out);
	o->line_open = (flags & SQNS_WORDS_OPEN) != 0;
	fflush(o->out);
}

/* From a release: the member chosen and why, once the core has planned. */
static void choice(struct output *o)
{
	if (!o->release || !o->ctx || !o->ctx->res.plan.from_release)
		return;
	char text[2048];
	sqns_words_choice(o->ctx, o->release, o->release_name, o->release_baud, text, sizeof text);
	if (!*text)
		return;
	output_break(o);
	fputs(text, o->out);
	fflush(o->out);
}

/* One line for a wire event into f; false for events that are not on the wire. */
static bool trace(FILE *f, const struct sqns_event *ev)
{
	switch (ev->type) {
	case SQNS_EV_AT_TX:
		fprintf(f, "[at] > %.*s\n", (int)ev->len, ev->text);
		return true;
	case SQNS_EV_AT_RX:
		fprintf(f, "[at] < %.*s\n", (int)ev->len, ev->text);
		return true;
	case SQNS_EV_STP_TX:
	case SQNS_EV_STP_RX:
		fprintf(f, "[stp] %s %s%s sid=%u tid=%u len=%u\n",
			ev->type == SQNS_EV_STP_TX ? ">" : "<", sqns_stp_op_name(ev->frame.op),
			ev->type == SQNS_EV_STP_RX ? " (answer)" : "", ev->frame.sid,
			(unsigned)ev->frame.tid, ev->frame.len);
		return true;
	case SQNS_EV_RATE:
		fprintf(f, "[port] rate %d\n", ev->value);
		return true;
	case SQNS_EV_RETRY:
		fprintf(f, "[stp] answer invalid (%s): retry %d\n", sqns_strerror(ev->err),
			ev->value);
		return true;
	case SQNS_EV_SESSION:
		fprintf(f, "[stp] session open: version %d, max transfer %u\n", ev->value,
			ev->total);
		return true;
	default:
		return false;
	}
}

static void log_event(struct output *o, const struct sqns_event *ev)
{
	uint32_t t = sqns_host_now_ms() - o->t0;
	fprintf(o->log, "%6u.%03u ", t / 1000, t % 1000);
	if (!trace(o->log, ev)) {
		if (ev->type == SQNS_EV_PHASE)
			fprintf(o->log, "[phase] %d\n", (int)ev->phase);
		else
			fprintf(o->log, "[event] %d\n", (int)ev->type);
	}
	fflush(o->log);
}

void output_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

const char *output_phase_name(enum sqns_phase p)
{
	static const char *const names[] = {
	    [SQNS_PHASE_WAKEUP] = "wakeup",
	    [SQNS_PHASE_REBOOT_UPGRADE] = "reboot_upgrade",
	    [SQNS_PHASE_RESUME] = "resume",
	    [SQNS_PHASE_FFF_TOO_BIG] = "fff_too_big",
	    [SQNS_PHASE_STP_ON_THE_FLY] = "stp_on_the_fly",
	    [SQNS_PHASE_STP_FFF] = "stp_fff",
	    [SQNS_PHASE_DOWNLOAD_DONE] = "download_done",
	    [SQNS_PHASE_APPLYING] = "applying",
	    [SQNS_PHASE_RESETTING] = "resetting",
	    [SQNS_PHASE_COMPLETED] = "completed",
	    [SQNS_PHASE_STP_BOOTROM] = "stp_bootrom",
	    [SQNS_PHASE_BOOTROM_DONE] = "bootrom_done",
	    [SQNS_PHASE_NEGOTIATE] = "negotiate",
	    [SQNS_PHASE_UPDATER_DONE] = "updater_done",
	    [SQNS_PHASE_PPP_ESCAPE] = "ppp_escape",
	    [SQNS_PHASE_STP_ABANDONED] = "stp_abandoned",
	    [SQNS_PHASE_FAST_LINK] = "fast_link",
	    [SQNS_PHASE_PLAN] = "plan",
	    [SQNS_PHASE_ALREADY_CURRENT] = "already_current",
	    [SQNS_PHASE_VERIFIED] = "verified",
	    [SQNS_PHASE_STP_WAIT] = "stp_wait",
	    [SQNS_PHASE_FAST_LINK_LOST] = "fast_link_lost",
	    [SQNS_PHASE_CHECKING] = "checking",
	    [SQNS_PHASE_BOOTROM_AGAIN] = "bootrom_again",
	    [SQNS_PHASE_BOOTROM_VERIFIED] = "bootrom_verified",
	    [SQNS_PHASE_BOOTROM_FACTORY] = "bootrom_factory",
	    [SQNS_PHASE_BASE_UNKNOWN] = "base_unknown",
	    [SQNS_PHASE_PART1_ON_THE_FLY] = "part1_on_the_fly",
	    [SQNS_PHASE_PART1_DONE] = "part1_done",
	    [SQNS_PHASE_REJECTED] = "rejected",
	};
	return (unsigned)p < sizeof names / sizeof names[0] && names[p] ? names[p] : "unknown";
}

/* --json: phases, sessions, retries and each percent of progress, one object a line. */
static void json_event(struct output *o, const struct sqns_event *ev)
{
	FILE *f = o->json;
	switch (ev->type) {
	case SQNS_EV_PHASE:
		fprintf(f, "{\"event\": \"phase\", \"phase\": \"%s\"",
			output_phase_name(ev->phase));
		if (ev->phase == SQNS_PHASE_VERIFIED || ev->phase == SQNS_PHASE_FAST_LINK ||
		    ev->phase == SQNS_PHASE_FAST_LINK_LOST ||
		    ev->phase == SQNS_PHASE_BOOTROM_VERIFIED ||
		    ev->phase == SQNS_PHASE_BOOTROM_FACTORY ||
		    ev->phase == SQNS_PHASE_BASE_UNKNOWN || ev->phase == SQNS_PHASE_PART1_DONE)
			fprintf(f, ", \"value\": %d", ev->value);
		if (ev->phase == SQNS_PHASE_REJECTED && o->ctx) {
			fputs(", \"report\": ", f);
			output_json_string(f, o->ctx->res.report);
		}
		fputs("}\n", f);
		o->json_pct = -1;
		break;
	case SQNS_EV_SESSION:
		fprintf(f, "{\"event\": \"session\", \"version\": %d, \"max_transfer\": %u}\n",
			ev->value, ev->total);
		break;
	case SQNS_EV_PROGRESS: {
		int pct = ev->total ? (int)((uint64_t)ev->done * 100 / ev->total) : 100;
		if (pct == o->json_pct)
			return;
		o->json_pct = pct;
		fprintf(f,
			"{\"event\": \"progress\", \"done\": %u, \"total\": %u, \"percent\": %d}\n",
			ev->done, ev->total, pct);
		break;
	}
	case SQNS_EV_TICK:
		if (ev->phase == SQNS_PHASE_STP_WAIT)
			fprintf(f, "{\"event\": \"busy\", \"seconds\": %d}\n", ev->value);
		else
			fprintf(f, "{\"event\": \"wait\", \"phase\": \"%s\", \"seconds\": %d}\n",
				output_phase_name(ev->phase), ev->value);
		break;
	case SQNS_EV_RETRY:
		fprintf(f, "{\"event\": \"retry\", \"attempt\": %d, \"error\": ", ev->value);
		output_json_string(f, sqns_strerror(ev->err));
		fputs("}\n", f);
		break;
	default:
		return;
	}
	fflush(f);
}

void output_event(void *user, const struct sqns_event *ev)
{
	struct output *o = user;
	/* A new AT wait: another phase, or its seconds counting from the start again. */
	if (ev->type == SQNS_EV_TICK && ev->phase != SQNS_PHASE_STP_WAIT) {
		if ((int)ev->phase != o->tick_phase || ev->value < o->tick_s) {
			o->tick_phase = (int)ev->phase;
			o->tick_said = false;
		}
		o->tick_s = ev->value;
	}
	if (o->json)
		json_event(o, ev);
	if (o->log && ev->type != SQNS_EV_PROGRESS && ev->type != SQNS_EV_TICK)
		log_event(o, ev);
	switch (ev->type) {
	case SQNS_EV_PHASE:
		o->tick_phase = -1;
		words(o, ev);
		if (ev->phase == SQNS_PHASE_PLAN || ev->phase == SQNS_PHASE_ALREADY_CURRENT)
			choice(o);
		break;
	case SQNS_EV_SESSION:
		words(o, ev);
		o->bar_shown = -1;
		break;
	case SQNS_EV_PROGRESS:
		progress(o, ev->done, ev->total);
		break;
	case SQNS_EV_TICK:
		if (ev->phase == SQNS_PHASE_STP_WAIT)
			stp_silence(o);
		else
			at_silence(o, ev->phase, ev->value);
		break;
	case SQNS_EV_RETRY:
		words(o, ev);
		break;
	default:
		if (o->debug)
			(void)trace(o->err, ev);
		break;
	}
}
