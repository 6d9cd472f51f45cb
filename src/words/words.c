/* SPDX-License-Identifier: MIT */
/*
 * The words of libsqnsupgrade (include/sqnsupgrade_words.h): every sentence
 * the command line, the Python module and the web page print about an
 * upgrade, written once. Portable: no OS call, no heap, no stdio; a small
 * formatter of its own (%s %u %d %%) writes into the caller's buffer.
 */
#include <stdarg.h>

#include "sqnsupgrade_words.h"

/* ---- the formatter ---- */

struct wbuf {
	char *p;
	size_t len; /* room, the NUL included */
	size_t n;   /* the whole text's length so far */
};

static void w_init(struct wbuf *w, char *buf, size_t len)
{
	*w = (struct wbuf){.p = buf, .len = buf ? len : 0};
	if (w->len)
		w->p[0] = '\0';
}

static void w_putn(struct wbuf *w, const char *s, size_t k)
{
	for (size_t i = 0; i < k; i++, w->n++)
		if (w->n + 1 < w->len)
			w->p[w->n] = s[i];
	if (w->len)
		w->p[w->n < w->len ? w->n : w->len - 1] = '\0';
}

static size_t w_strlen(const char *s)
{
	size_t k = 0;
	while (s[k])
		k++;
	return k;
}

static void w_puts(struct wbuf *w, const char *s)
{
	w_putn(w, s ? s : "", s ? w_strlen(s) : 0);
}

static void w_putu(struct wbuf *w, unsigned long v)
{
	char d[24];
	size_t k = sizeof d;
	do {
		d[--k] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	w_putn(w, d + k, sizeof d - k);
}

static void w_putd(struct wbuf *w, long v)
{
	if (v < 0) {
		w_putn(w, "-", 1);
		w_putu(w, (unsigned long)-(v + 1) + 1u);
	} else {
		w_putu(w, (unsigned long)v);
	}
}

/* %s (NULL reads as ""), %u (unsigned), %d (int), %%. */
static void w_vf(struct wbuf *w, const char *fmt, va_list ap)
{
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			const char *e = f;
			while (e[1] && e[1] != '%')
				e++;
			w_putn(w, f, (size_t)(e - f) + 1);
			f = e;
			continue;
		}
		switch (*++f) {
		case 's':
			w_puts(w, va_arg(ap, const char *));
			break;
		case 'u':
			w_putu(w, va_arg(ap, unsigned));
			break;
		case 'd':
			w_putd(w, va_arg(ap, int));
			break;
		case '%':
			w_putn(w, "%", 1);
			break;
		default:
			return;
		}
	}
}

static void w_f(struct wbuf *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	w_vf(w, fmt, ap);
	va_end(ap);
}

static int w_done(const struct wbuf *w)
{
	return w->n > 0x7fffffffu ? 0x7fffffff : (int)w->n;
}

/* ---- naming things for the reader ---- */

static const char *base_name(const char *path)
{
	const char *b = path ? path : "";
	for (const char *p = b; *p; p++)
		if (*p == '/' || *p == '\\') /* a Windows path's too, as the core's names */
			b = p + 1;
	return b;
}

static enum sqns_words_style style_of(const struct sqns_words_how *how)
{
	return how ? how->style : SQNS_WORDS_CLI;
}

static const char *port_of(const struct sqns_words_how *how)
{
	return how && how->port ? how->port : "PORT";
}

/* One word of a command line, quoted for the reader's shell or language. */
static void w_word(struct wbuf *w, const struct sqns_words_how *how, const char *word)
{
	if (style_of(how) == SQNS_WORDS_PYTHON) {
		w_putn(w, "'", 1);
		for (const char *p = word; *p; p++) {
			if (*p == '\'' || *p == '\\')
				w_putn(w, "\\", 1);
			w_putn(w, p, 1);
		}
		w_putn(w, "'", 1);
		return;
	}
	if (!how || !how->quote) {
		w_puts(w, word);
		return;
	}
	char q[512];
	size_t room = w->n + 1 < w->len ? w->len - w->n : 0;
	if (room > sizeof q) { /* quoted in place, where the buffer has the room */
		how->quote(w->p + w->n, room, word);
		size_t k = w_strlen(w->p + w->n);
		if (k + 1 < room) {
			w->n += k;
			return;
		}
		w->p[w->n] = '\0';
	}
	how->quote(q, sizeof q, word);
	w_puts(w, q);
}

/* What a command carries after its files. */
enum extra {
	EXTRA_NONE,
	EXTRA_RESUME,		   /* --resume */
	EXTRA_BOOTROM,		   /* --bootrom FILE (the word given) */
	EXTRA_BOOTROM_PLACEHOLDER, /* --bootrom BOOTROM */
	EXTRA_UPDATER_BOOTROM,	   /* updater.elf --bootrom BOOTROM */
};

/*
 * The command (CLI) or call (Python) that runs the upgrade again with `file`
 * as the firmware, the updater when there is one and with_updater; the page
 * names its buttons instead.
 */
static void w_command(struct wbuf *w, const struct sqns_words_how *how,
		      const struct sqns_words_files *f, const char *file, bool with_updater,
		      enum extra extra, const char *rom)
{
	const char *upd = with_updater && f && f->updater ? f->updater : NULL;
	if (f && f->release) { /* the release holds updater.elf: it is chosen again */
		file = f->release;
		upd = NULL;
		if (extra == EXTRA_UPDATER_BOOTROM)
			extra = EXTRA_BOOTROM_PLACEHOLDER;
	}
	/* The boot ROM given to a release's run goes with it again: the choice may need it. */
	const char *keep_rom =
	    f && f->release && f->bootrom && (extra == EXTRA_NONE || extra == EXTRA_RESUME)
		? f->bootrom
		: NULL;
	switch (style_of(how)) {
	case SQNS_WORDS_PAGE:
		w_puts(w,
		       "choose the port again if it was lost, then press \u201cCheck and show the "
		       "plan\u201d and \u201cUpgrade now\u201d with the same files: the page finds "
		       "the modem where it is and finishes the job");
		return;
	case SQNS_WORDS_PYTHON:
		w_puts(w, "sqnsupgrade.run(");
		w_word(w, how, port_of(how));
		w_puts(w, ", ");
		w_word(w, how, file);
		if (upd) {
			w_puts(w, ", ");
			w_word(w, how, upd);
		}
		if (extra == EXTRA_UPDATER_BOOTROM)
			w_puts(w, ", 'updater.elf', bootrom='BOOTROM'");
		else if (extra == EXTRA_BOOTROM_PLACEHOLDER)
			w_puts(w, ", bootrom='BOOTROM'");
		else if (extra == EXTRA_BOOTROM) {
			w_puts(w, ", bootrom=");
			w_word(w, how, rom);
		}
		if (keep_rom) {
			w_puts(w, ", bootrom=");
			w_word(w, how, keep_rom);
		}
		if (extra == EXTRA_RESUME)
			w_puts(w, ", resume=True");
		w_puts(w, ")");
		return;
	case SQNS_WORDS_CLI:
		break;
	}
	w_puts(w, "sqnsupgrade -p ");
	w_word(w, how, port_of(how));
	w_puts(w, " run ");
	w_word(w, how, file);
	if (upd) {
		w_puts(w, " ");
		w_word(w, how, upd);
	}
	if (keep_rom) {
		w_puts(w, " --bootrom ");
		w_word(w, how, keep_rom);
	}
	switch (extra) {
	case EXTRA_NONE:
		break;
	case EXTRA_RESUME:
		w_puts(w, " --resume");
		break;
	case EXTRA_BOOTROM:
		w_puts(w, " --bootrom ");
		w_word(w, how, rom);
		break;
	case EXTRA_BOOTROM_PLACEHOLDER:
		w_puts(w, " --bootrom BOOTROM");
		break;
	case EXTRA_UPDATER_BOOTROM:
		w_puts(w, " updater.elf --bootrom BOOTROM");
		break;
	}
}

/* "Run:" / "Call:" / "Then" before a command on its own line. */
static const char *run_word(const struct sqns_words_how *how)
{
	return style_of(how) == SQNS_WORDS_PYTHON ? "Call" : "Run";
}

/* An option, as the reader names it. */
enum option { OPT_FORCE, OPT_FFF, OPT_BAUD };

static const char *option(const struct sqns_words_how *how, enum option o)
{
	static const char *const names[3][3] = {
	    [SQNS_WORDS_CLI] = {"--force", "--fff", "-b"},
	    [SQNS_WORDS_PYTHON] = {"force=True", "load_fff", "baud="},
	    [SQNS_WORDS_PAGE] = {"the force box", "the FFF box", "the rate"},
	};
	return names[style_of(how)][o];
}

/* The program's name before a diagnostic: "sqnsupgrade: " where there is a program. */
static const char *prefix(const struct sqns_words_how *how)
{
	return style_of(how) == SQNS_WORDS_PAGE ? "" : "sqnsupgrade: ";
}

/* ---- the transcript ---- */

int sqns_words_welcome(char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	w_puts(&w, "<<< Welcome to the SQN3330 firmware updater >>>\n");
	return w_done(&w);
}

static void warn_forced(struct wbuf *w, const struct sqns_plan *p, const struct sqns_words_how *how)
{
	if (!p->forced)
		return;
	w_f(w, "%swarning: %s: ", prefix(how), option(how, OPT_FORCE));
	if (p->overridden == SQNS_REFUSE_DIFF_WRONG_BASE)
		w_f(w,
		    "sending a differential image for build %u to a modem on build %u; the modem "
		    "will probably refuse it\n",
		    p->target.from, p->running_build);
	else
		w_puts(w,
		       "upgrading a modem with the factory boot ROM without the recovery method; "
		       "the module may break\n");
}

static void phase_words(struct wbuf *w, struct sqns_words_state *st, const struct sqns_ctx *ctx,
			const struct sqns_event *ev, const struct sqns_words_how *how,
			unsigned *flags)
{
	const struct sqns_plan *p = &ctx->res.plan;
	switch (ev->phase) {
	case SQNS_PHASE_WAKEUP:
		w_puts(w, "Attempting AT wakeup...\n");
		break;
	case SQNS_PHASE_REBOOT_UPGRADE:
		*flags |= SQNS_WORDS_VERBOSE;
		w_puts(w, "Rebooting the modem into upgrade mode...\n");
		break;
	case SQNS_PHASE_RESUME:
		w_puts(w, "The modem is in upgrade mode: resuming the upgrade\n");
		break;
	case SQNS_PHASE_FFF_TOO_BIG:
		w_puts(w, "Firmware file is too big to load via FFF method. Using ON_THE_FLY\n");
		break;
	case SQNS_PHASE_STP_ON_THE_FLY:
		st->fff = false;
		w_puts(w, "Starting STP ON_THE_FLY\n");
		break;
	case SQNS_PHASE_STP_FFF:
		st->fff = true;
		w_puts(w, "Starting STP FFF (DO NOT DISCONNECT POWER!!!)\n");
		break;
	case SQNS_PHASE_DOWNLOAD_DONE:
		w_puts(w, st->fff ? "Code download done, applying the stored image\n"
				  : "Code download done, returning to user mode\n");
		break;
	case SQNS_PHASE_RESETTING:
		*flags |= SQNS_WORDS_OPEN;
		w_puts(w, "Resetting (DO NOT DISCONNECT POWER!!!)");
		break;
	case SQNS_PHASE_COMPLETED:
		w_puts(w, "Upgrade completed!\n");
		break;
	case SQNS_PHASE_STP_BOOTROM:
		w_puts(w, "Starting STP (DO NOT DISCONNECT POWER!!!)\n");
		break;
	case SQNS_PHASE_BOOTROM_DONE:
		w_puts(w, "Bootrom updated successfully, switching to upgrade mode\n");
		break;
	case SQNS_PHASE_NEGOTIATE:
		w_puts(w, "Attempting AT auto-negotiation...\n");
		break;
	case SQNS_PHASE_UPDATER_DONE:
		w_puts(w, "Upgrader loaded successfully, modem is in upgrade mode\n");
		break;
	case SQNS_PHASE_PPP_ESCAPE:
		w_puts(w, "No answer: trying the +++ escape of a data session...\n");
		break;
	case SQNS_PHASE_STP_ABANDONED:
		w_puts(w, "The modem was still in an interrupted transfer: closed it, waiting for "
			  "the modem...\n");
		break;
	case SQNS_PHASE_FAST_LINK:
		if (ctx->res.rate != ctx->cfg.baud) {
			w_f(w, "Transfer at %u baud\n", ctx->res.rate);
		} else {
			*flags |= SQNS_WORDS_ERR;
			w_f(w, "%sthe modem or the port refused %u baud: the transfer runs at %u\n",
			    prefix(how), ctx->cfg.fast_baud, ctx->cfg.baud);
		}
		break;
	case SQNS_PHASE_FAST_LINK_LOST:
		*flags |= SQNS_WORDS_ERR;
		w_f(w,
		    "%sthe modem moved to %u baud, but this port or cable does not carry that rate "
		    "and the modem did not hear the way back: it stays at %u baud until it "
		    "restarts. Do not use %s%s%u with this port.\n",
		    prefix(how), ctx->cfg.fast_baud, ctx->cfg.fast_baud, option(how, OPT_BAUD),
		    style_of(how) == SQNS_WORDS_CLI ? " " : "", ctx->cfg.fast_baud);
		break;
	case SQNS_PHASE_CHECKING:
		w_puts(w, "The modem is still checking an earlier image (AT+SMUPGRADE? on-going): "
			  "waiting for it...\n");
		break;
	case SQNS_PHASE_BOOTROM_AGAIN:
		if (p->bootrom_only)
			w_f(w,
			    "The modem already runs build %u, and its boot ROM (Bootloader0) still "
			    "reads %u: sending the boot ROM, by the stored method (FFF)\n",
			    p->running_build,
			    p->bootloader0_after ? p->bootloader0_after : p->bootloader0);
		else
			w_f(w,
			    "The boot ROM (Bootloader0) still reads %u after the upgrade: sending "
			    "it "
			    "again, by the stored method (FFF)\n",
			    p->bootloader0_after ? p->bootloader0_after : p->bootloader0);
		break;
	case SQNS_PHASE_PLAN:
		st->planned = true;
		*flags |= SQNS_WORDS_ERR;
		warn_forced(w, p, how);
		break;
	case SQNS_PHASE_ALREADY_CURRENT:
		w_f(w, "The modem already runs build %u: nothing to do (%s flashes it again).\n",
		    p->running_build, option(how, OPT_FORCE));
		break;
	case SQNS_PHASE_BASE_UNKNOWN:
		w_f(w,
		    "The modem is in %s mode (%d), where its build cannot be read: the modem "
		    "itself "
		    "checks that %s applies to build %u.\n",
		    sqns_mode_name(p->mode), p->mode,
		    p->target.part == 2 ? "part 2" : "the differential image", p->target.from);
		break;
	case SQNS_PHASE_PART1_ON_THE_FLY:
		w_f(w,
		    "Part 1 of a two-part release always goes ON_THE_FLY (Pycom requires it): %s "
		    "is "
		    "not used for it\n",
		    option(how, OPT_FFF));
		break;
	case SQNS_PHASE_PART1_DONE:
		w_f(w, "Verified: part 1 of 2 is in: the modem runs the intermediate build %u\n",
		    p->running_build);
		if (p->part2_step)
			w_puts(w, "Part 2 follows now, with no power cycle in between\n");
		break;
	case SQNS_PHASE_REJECTED:
		w_f(w, "The modem refused the image. Its report: %s\n", ctx->res.report);
		break;
	case SQNS_PHASE_BOOTROM_VERIFIED: /* said after the firmware's verdict */
	case SQNS_PHASE_BOOTROM_FACTORY:
	case SQNS_PHASE_APPLYING:
	case SQNS_PHASE_VERIFIED: /* said after the firmware version */
	case SQNS_PHASE_STP_WAIT:
		break;
	}
}

int sqns_words_event(struct sqns_words_state *st, const struct sqns_ctx *ctx,
		     const struct sqns_event *ev, const struct sqns_words_how *how, unsigned *flags,
		     char *buf, size_t len)
{
	struct wbuf w;
	unsigned fl = 0;
	w_init(&w, buf, len);
	switch (ev->type) {
	case SQNS_EV_PHASE:
		if (st && ctx)
			phase_words(&w, st, ctx, ev, how, &fl);
		break;
	case SQNS_EV_SESSION:
		w_f(&w, "Session opened: version %d, max transfer %u bytes\n", ev->value,
		    ev->total);
		break;
	case SQNS_EV_RETRY:
		fl |= SQNS_WORDS_ERR | SQNS_WORDS_VERBOSE;
		w_f(&w, "STP answer invalid (%s): retry %d of %u\n", sqns_strerror(ev->err),
		    ev->value, (unsigned)SQNS_STP_RETRIES);
		break;
	default:
		break;
	}
	if (flags)
		*flags = fl;
	return w_done(&w);
}

int sqns_words_wait(int phase, int seconds, char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	const char *what = phase == SQNS_PHASE_NEGOTIATE	? "Loading the updater"
			   : phase == SQNS_PHASE_REBOOT_UPGRADE ? "Rebooting into upgrade mode"
			   : phase == SQNS_PHASE_CHECKING	? "Checking the earlier image"
								: "Waiting for the modem";
	w_f(&w, "%s: %s after %d s, which is normal (it can take a few minutes)\n", what,
	    phase == SQNS_PHASE_CHECKING ? "still on-going" : "no answer yet", seconds);
	return w_done(&w);
}

int sqns_words_busy(int seconds, char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	if (seconds <= 0)
		w_puts(&w, "The modem is busy (it erases or commits flash near 7-10 % and 99 %): "
			   "this is normal, waiting for it...\n");
	else
		w_f(&w, "The modem is still busy after %d s: this is normal, waiting...\n",
		    seconds);
	return w_done(&w);
}

/* ---- the plan ---- */

static double transfer_seconds(uint32_t bytes, uint32_t rate)
{
	/* 10 bits a byte on the line, plus STP's two request/response turns a block. */
	return rate ? (double)bytes * 10.0 / rate * 1.035 : 0.0;
}

/* Whole seconds as printf's "%.0f" gives them: to the nearest, a tie to the even. */
static unsigned whole_seconds(double s)
{
	if (!(s > 0.0))
		return 0;
	if (s >= 4294967295.0)
		return 4294967295u;
	unsigned u = (unsigned)s;
	double frac = s - (double)u;
	if (frac > 0.5 || (frac == 0.5 && (u & 1u)))
		u++;
	return u;
}

static void plan_bootrom_only(struct wbuf *w, const struct sqns_plan *p,
			      const struct sqns_words_files *f, uint32_t rate)
{
	w_f(w,
	    "  1. only the boot ROM, stored (FFF): the modem already runs build %u and "
	    "Bootloader0 still reads %u\n",
	    p->running_build, p->bootloader0);
	w_f(w, "  2. boot ROM: send %s (%u bytes) by FFF, apply it, verify Bootloader0\n",
	    base_name(f->bootrom), f->bootrom_size);
	w_f(w, "  estimated transfer time at %u baud: %u s\n", rate,
	    whole_seconds(transfer_seconds(f->bootrom_size, rate)));
}

int sqns_words_plan(const struct sqns_ctx *ctx, const struct sqns_words_files *f,
		    const struct sqns_words_how *how, char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	(void)how;
	const struct sqns_plan *p = &ctx->res.plan;
	uint32_t rate = f->baud;
	double secs = 0;
	int step = 1;
	w_puts(&w, "Plan (dry run: nothing on the modem was changed):\n");
	w_f(&w, "  modem: %s mode (%d) at %u baud", sqns_mode_name(p->mode), p->mode, p->rate);
	if (p->running_build)
		w_f(&w, ", running build %u (%s), boot ROM %u", p->running_build,
		    sqns_channel_name(p->channel), p->bootloader0);
	w_puts(&w, "\n");
	if (p->channel && p->target.channel && p->channel != p->target.channel)
		w_f(&w, "  a switch of channel: the modem runs %s firmware, %s is %s firmware\n",
		    sqns_channel_name(p->channel), base_name(f->firmware),
		    sqns_channel_name(p->target.channel));
	if (p->bootrom_only) {
		plan_bootrom_only(&w, p, f, rate);
		return w_done(&w);
	}
	if (p->bootrom_step) {
		w_f(&w,
		    "  %d. boot ROM: send %s (%u bytes) ON_THE_FLY after a reboot into upgrade "
		    "mode, "
		    "then reboot into recovery mode\n",
		    step++, base_name(f->bootrom), f->bootrom_size);
		secs += transfer_seconds(f->bootrom_size, rate);
	}
	if (p->recovery_step)
		w_f(&w, "  %d. reboot into recovery mode\n", step++);
	if (p->updater_step) {
		w_f(&w,
		    "  %d. updater: negotiate %u -> %u baud, send %s (%u bytes), wait for upgrade "
		    "mode\n",
		    step++, SQNS_RECOVERY_RATE, rate, base_name(f->updater), f->updater_size);
		secs += transfer_seconds(f->updater_size, rate);
	}
	/* From the application, ON_THE_FLY goes after a reboot into upgrade mode. */
	bool reboot_first = p->mode == SQNS_MODE_APPLICATION && !p->fff && !p->updater_step;
	w_f(&w, "  %d. firmware: send %s (%u bytes, %s%s) %s%s%s%s\n", step++,
	    base_name(f->firmware), f->firmware_size,
	    p->target.part == 1	     ? "part 1 of 2"
	    : p->target.part == 2    ? "part 2 of 2"
	    : p->target.differential ? "differential"
				     : "full image",
	    p->target_known ? "" : ", the name gives no build",
	    p->fff ? "by FFF, then apply" : "ON_THE_FLY",
	    reboot_first ? " after a reboot into upgrade mode" : "", p->target.channel ? "; " : "",
	    p->target.channel ? sqns_channel_name(p->target.channel) : "");
	secs += transfer_seconds(f->firmware_size, rate);
	if (p->base_unknown)
		w_f(&w,
		    "     (its base, build %u, cannot be read in %s mode: the modem checks it)\n",
		    p->target.from, sqns_mode_name(p->mode));
	if (p->target.part == 1 && p->target.leaves)
		w_f(&w, "  %d. reboot into application mode, verify the intermediate build %u\n",
		    step++, p->target.leaves);
	else if (p->target.part == 1)
		w_f(&w,
		    "  %d. reboot into application mode, report the build (the name does not say "
		    "which intermediate build part 1 leaves)\n",
		    step++);
	else if (p->target_known)
		w_f(&w, "  %d. reboot into application mode, verify build %u\n", step++,
		    p->target.build);
	else
		w_f(&w,
		    "  %d. reboot into application mode, report the build it runs (the name gives "
		    "none to verify)\n",
		    step++);
	if (p->part2_step) {
		w_f(&w,
		    "  %d. part 2: send %s (%u bytes) ON_THE_FLY after a reboot into upgrade mode, "
		    "with no power cycle in between\n",
		    step++, base_name(f->part2), f->part2_size);
		w_f(&w, "  %d. reboot into application mode, verify build %u\n", step++,
		    p->part2.build);
		secs += transfer_seconds(f->part2_size, rate);
	} else if (p->target.part == 1) {
		w_puts(&w, "  (part 2 is not beside part 1: it must follow before any power cycle, "
			   "in a second run)\n");
	}
	bool factory =
	    p->bootrom_step || p->bootloader0 == SQNS_FACTORY_BOOTLOADER0 || !p->bootloader0;
	if (f->bootrom && factory)
		w_f(&w,
		    "  %d. then, if Bootloader0 still reads %u: the boot ROM again, stored (FFF), "
		    "%s "
		    "(%u bytes)\n",
		    step, SQNS_FACTORY_BOOTLOADER0, base_name(f->bootrom), f->bootrom_size);
	else if (p->bootloader0 == SQNS_FACTORY_BOOTLOADER0)
		w_f(&w,
		    "  (Bootloader0 reads %u and no boot ROM file is given: it will stay the "
		    "factory's)\n",
		    p->bootloader0);
	w_f(&w, "  estimated transfer time at %u baud: %u s\n", rate, whole_seconds(secs));
	return w_done(&w);
}

/* ---- refusals ---- */

/* What a file that is not a firmware image is, and what to do instead. */
static void not_firmware(struct wbuf *w, enum sqns_refusal why, const char *fw,
			 const struct sqns_words_how *how)
{
	bool cli = style_of(how) == SQNS_WORDS_CLI;
	switch (why) {
	case SQNS_REFUSE_FIRMWARE_IS_ELF:
		w_f(w, "'%s' is an ELF file: that is updater.elf, not a firmware image. ", fw);
		if (cli)
			w_puts(w, "The order is: run FIRMWARE.dup UPDATER.elf\n");
		else
			w_puts(w, "Give it as updater.elf and the .dup as the firmware image\n");
		break;
	case SQNS_REFUSE_FIRMWARE_IS_ZIP:
		/* run takes the archive itself as a release: this is a caller that wants a .dup. */
		w_f(w,
		    "'%s' is a zip archive, not a firmware image: give it as the release (alone: "
		    "the "
		    "image and the method are chosen from it), or unpack it",
		    fw);
		if (cli)
			w_f(w, " (unzip '%s')", fw);
		w_puts(w, " and give the .dup file it holds, such as CATM1-39529.dup\n");
		break;
	case SQNS_REFUSE_FIRMWARE_IS_COMPRESSED:
		w_f(w,
		    "'%s' is a compressed file (gzip, xz, bzip2 or 7-Zip), not a firmware image: "
		    "unpack it and give the .dup file it holds\n",
		    fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_TAR:
		w_f(w, "'%s' is a tar archive, not a firmware image: unpack it", fw);
		if (cli)
			w_f(w, " (tar -xf '%s')", fw);
		w_puts(w, " and give the .dup file it holds\n");
		break;
	case SQNS_REFUSE_FIRMWARE_IS_HTML:
		w_f(w,
		    "'%s' is an HTML page (a download page saved instead of the file, or a login "
		    "page), not a firmware image: download the .dup file itself again\n",
		    fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_TEXT:
		w_f(w,
		    "'%s' is a text file, not a firmware image: give the .dup file from the "
		    "firmware "
		    "archive\n",
		    fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_BOOTROM:
		w_f(w,
		    "'%s' is the boot ROM (it starts with UPGR), not a firmware image: give it %s, "
		    "and the .dup file as the firmware\n",
		    fw,
		    style_of(how) == SQNS_WORDS_PYTHON ? "as bootrom="
		    : cli			       ? "with --bootrom"
						       : "as the boot ROM file");
		break;
	default:
		break;
	}
}

/* The differential image, or part 2, whose base the modem does not run. */
static void wrong_base(struct wbuf *w, enum sqns_refusal why, const struct sqns_plan *p,
		       const struct sqns_words_files *f, const struct sqns_words_how *how)
{
	const char *fw = base_name(f->firmware);
	const char *force = option(how, OPT_FORCE);
	bool page = style_of(how) == SQNS_WORDS_PAGE;
	if (why == SQNS_REFUSE_PART2_WRONG_BASE) {
		char part1[1024];
		size_t n = w_strlen(f->firmware);
		if (n >= sizeof part1 || n < 5)
			n = 0;
		for (size_t i = 0; i < n; i++)
			part1[i] = f->firmware[i];
		part1[n] = '\0';
		if (n)
			part1[n - 5] = '1';
		w_f(w,
		    "'%s' is part 2 of a two-part release: it applies to the intermediate build %u "
		    "that part 1 leaves, and the modem runs build %u. Send part 1 first",
		    fw, p->target.from, p->running_build);
		if (page) {
			w_f(w, " (%s sends part 2 anyway)\n", force);
			return;
		}
		w_puts(w, " (part 2 follows in the same run when it lies beside it):\n  ");
		w_command(w, how, f, part1, false, EXTRA_NONE, NULL);
		w_f(w, "\n(%s sends part 2 anyway)\n", force);
		return;
	}
	if (f->fitting && !page) {
		w_f(w,
		    "'%s' applies only to build %u, and the modem runs build %u. The file that "
		    "fits "
		    "is beside it:\n  ",
		    fw, p->target.from, p->running_build);
		w_command(w, how, f, f->fitting, false, EXTRA_NONE, NULL);
		w_f(w, "\n(%s sends '%s' anyway)\n", force, fw);
		return;
	}
	w_f(w,
	    "'%s' applies only to build %u, and the modem runs build %u. Use upgdiff_%u-to-%u.dup "
	    "or the full image of build %u, or %s to send it anyway\n",
	    fw, p->target.from, p->running_build, p->running_build, p->target.build,
	    p->target.build, force);
}

int sqns_words_refusal(enum sqns_refusal why, const struct sqns_plan *p, bool modem_seen,
		       const struct sqns_words_files *f, const struct sqns_words_how *how,
		       char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	enum sqns_words_style style = style_of(how);
	switch (why) {
	case SQNS_REFUSE_UPDATER_NOT_ELF:
		w_f(&w,
		    "'%s' is not an ELF file, so it is not updater.elf; give the updater.elf from "
		    "the firmware archive as the second file\n",
		    base_name(f->updater));
		break;
	case SQNS_REFUSE_FIRMWARE_IS_ELF:
	case SQNS_REFUSE_FIRMWARE_IS_ZIP:
	case SQNS_REFUSE_FIRMWARE_IS_COMPRESSED:
	case SQNS_REFUSE_FIRMWARE_IS_TAR:
	case SQNS_REFUSE_FIRMWARE_IS_HTML:
	case SQNS_REFUSE_FIRMWARE_IS_TEXT:
	case SQNS_REFUSE_FIRMWARE_IS_BOOTROM:
		not_firmware(&w, why, base_name(f->firmware), how);
		break;
	case SQNS_REFUSE_DIFF_WRONG_BASE:
	case SQNS_REFUSE_PART2_WRONG_BASE:
		wrong_base(&w, why, p, f, how);
		break;
	case SQNS_REFUSE_FACTORY_BOOTROM:
		w_f(&w,
		    "the modem still has its factory boot ROM (Bootloader0 %u): a first upgrade "
		    "MUST use the recovery method, otherwise the module may break. ",
		    p->bootloader0);
		if (style == SQNS_WORDS_PAGE) {
			w_puts(&w, "Give updater.elf and the boot ROM file too, then check again");
		} else {
			w_f(&w, "%s:\n  ", run_word(how));
			w_command(&w, how, f, f->firmware, true, EXTRA_UPDATER_BOOTROM, NULL);
		}
		w_f(&w, "\n(%s skips this check)\n", option(how, OPT_FORCE));
		break;
	case SQNS_REFUSE_BOOTROM_MISSING:
		w_f(&w,
		    "the modem still has its factory boot ROM (Bootloader0 %u), so the recovery "
		    "method starts by replacing it, and no boot ROM file was given. Sequans' boot "
		    "ROM is not shipped with this tool. ",
		    p->bootloader0);
		if (style == SQNS_WORDS_PAGE) {
			w_puts(&w, "Give it as the boot ROM file and check again");
		} else {
			w_f(&w, "%s:\n  ", run_word(how));
			w_command(&w, how, f, f->firmware, true, EXTRA_BOOTROM_PLACEHOLDER, NULL);
			w_puts(&w, "\nwhere BOOTROM");
		}
		w_puts(&w, style == SQNS_WORDS_PAGE ? ": it is" : " is");
		w_puts(&w,
		       " sqnsbrz.py or sqnsbr.py from Pycom's library (folder lib/sqnsupgrade of "
		       "github.com/pycom/pycom-libraries), or the raw image\n");
		break;
	case SQNS_REFUSE_RECOVERY_NO_UPDATER:
		w_puts(&w,
		       "the modem is in recovery mode (0): it needs updater.elf with a full (not "
		       "differential) image: ");
		if (style == SQNS_WORDS_CLI)
			w_puts(&w, "sqnsupgrade -p PORT run NAME-BUILD.dup updater.elf\n");
		else if (style == SQNS_WORDS_PYTHON)
			w_puts(&w, "run(port, 'NAME-BUILD.dup', 'updater.elf')\n");
		else
			w_puts(&w, "give NAME-BUILD.dup and updater.elf\n");
		break;
	case SQNS_REFUSE_NO_IMAGE_FITS:
		if (p->running_build)
			w_f(&w,
			    "the release holds differential images only, and none of them is from "
			    "build %u, which the modem runs: use the release's full image\n",
			    p->running_build);
		else
			w_f(&w,
			    "the release holds differential images only, and in %s mode the "
			    "modem's build cannot be read to choose one: use the release's full "
			    "image\n",
			    sqns_mode_name(p->mode));
		break;
	case SQNS_REFUSE_RELEASE:
		w_puts(&w, "the release cannot be used as it is: check it before the port opens\n");
		break;
	case SQNS_REFUSE_MTOOLS_UPDATER:
		w_f(&w,
		    "the modem is in mTools mode (1): it takes the .dup alone; %s again without "
		    "updater.elf\n",
		    style == SQNS_WORDS_PAGE ? "check" : "run");
		break;
	case SQNS_REFUSE_BOOTROM_NOT_UPGR:
		w_f(&w,
		    "'%s' is not a boot ROM: a boot ROM image starts with the magic UPGR. Give the "
		    "raw boot ROM, or Pycom's sqnsbr.py or sqnsbrz.py\n",
		    base_name(f->bootrom));
		break;
	case SQNS_REFUSE_DIFF_WITH_UPDATER: /* no longer returned by the library */
	case SQNS_REFUSE_RECOVERY_DIFF:
	case SQNS_REFUSE_NONE:
		w_puts(&w, "refused\n");
		break;
	}
	if (modem_seen)
		w_puts(&w, "Nothing was changed on the modem.\n");
	return w_done(&w);
}

/* ---- failures ---- */

int sqns_words_no_modem(const struct sqns_words_how *how, uint32_t baud, char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	w_f(&w,
	    "no modem answered AT on '%s' at %u baud. Check the port and the rate; if it still "
	    "does not answer, power-cycle the board (disconnect power: the reset button is not "
	    "enough) and try again.\n",
	    port_of(how), baud);
	return w_done(&w);
}

/* "90 s", "5 minutes", "5 min 30 s". */
static void w_duration(struct wbuf *w, uint32_t seconds)
{
	if (seconds < 120)
		w_f(w, "%u s", seconds);
	else if (seconds % 60 == 0)
		w_f(w, "%u minutes", seconds / 60);
	else
		w_f(w, "%u min %u s", seconds / 60, seconds % 60);
}

/*
 * A transfer that ended on a silent modem: how long it stayed silent. True
 * when that reached the stall limit: the modem hangs.
 */
static bool explain_silence(struct wbuf *w, const struct sqns_ctx *ctx, int err, uint32_t silent_ms,
			    const struct sqns_words_how *how)
{
	uint32_t limit_ms = ctx->cfg.timeouts.stall_ms;
	if (err != SQNS_ERR_TIMEOUT || silent_ms < 1000)
		return false;
	w_puts(w, "The modem stayed silent for ");
	if (limit_ms && silent_ms + 1000 >= limit_ms) {
		w_duration(w, (limit_ms + 500) / 1000);
		w_f(w,
		    " in one exchange of the transfer, retries included: past that limit (%s, 5 "
		    "minutes unless set) a modem has hung.\n",
		    style_of(how) == SQNS_WORDS_PYTHON ? "timeouts={'stall': ...}"
		    : style_of(how) == SQNS_WORDS_CLI  ? "--stall-timeout"
						       : "the stall limit");
		return true;
	}
	w_duration(w, silent_ms / 1000);
	w_puts(w, " in one exchange of the transfer, retries included.\n");
	return false;
}

/* "  CMD\n" after "To finish..." words: the command line or call on its own line. */
static void w_then(struct wbuf *w, const struct sqns_words_how *how,
		   const struct sqns_words_files *f, const char *file, bool with_updater,
		   enum extra extra, const char *rom)
{
	if (style_of(how) == SQNS_WORDS_PAGE) {
		/* "To try again: choose...", "then choose..." */
		if (w->n == 0 || w->n >= w->len || w->p[w->n - 1] != ' ')
			w_puts(w, ": ");
		w_command(w, how, f, file, with_updater, extra, rom);
		w_puts(w, ".\n");
		return;
	}
	w_puts(w, ":\n  ");
	w_command(w, how, f, file, with_updater, extra, rom);
	w_puts(w, "\n");
}

static void explain_bootrom_pending(struct wbuf *w, const struct sqns_words_files *f,
				    const struct sqns_words_how *how)
{
	w_f(w,
	    "The new firmware is installed and runs; sending the boot ROM again failed, so "
	    "Bootloader0 still reads %u (the factory's). To finish: power-cycle the board if the "
	    "modem does not answer (disconnect power; the reset button is not enough), then %s",
	    SQNS_FACTORY_BOOTLOADER0, style_of(how) == SQNS_WORDS_PAGE ? "" : "run");
	w_then(w, how, f, f->firmware, false, EXTRA_BOOTROM, f->bootrom ? f->bootrom : "BOOTROM");
}

/*
 * The modem refused the image after its transfer. It booted its old firmware
 * back (stage untouched), or it waits in upgrade mode for a full image.
 */
static void explain_rejection(struct wbuf *w, const struct sqns_ctx *ctx,
			      const struct sqns_words_files *f, const char *img,
			      const struct sqns_words_how *how)
{
	const struct sqns_plan *p = &ctx->res.plan;
	const struct sqns_image_info *t = p->part1_done ? &p->part2 : &p->target;
	const char *file = f->fitting ? f->fitting : "FULL-IMAGE.dup";
	if (ctx->res.stage == SQNS_STAGE_UNTOUCHED) {
		w_f(w,
		    "The modem refused '%s' and booted its old firmware again: it still runs build "
		    "%u. %s",
		    img, p->running_build,
		    t->differential ? "A differential image fits only the build it was made for; "
				      "send the image that fits this modem"
				    : "Send a good copy of the image");
		w_then(w, how, f, file, false, EXTRA_NONE, NULL);
		return;
	}
	w_f(w,
	    "The modem refused '%s' (a differential image made for another build, or a damaged "
	    "file) and stays in upgrade mode (4): it waits for a full image (NAME-BUILD.dup). "
	    "Send one",
	    img);
	w_then(w, how, f, file, true, EXTRA_RESUME, NULL);
}

/* The modem runs another build than the image's name says. */
static void explain_verify(struct wbuf *w, const struct sqns_plan *p, const char *img)
{
	const struct sqns_image_info *t = p->part1_done ? &p->part2 : &p->target;
	const char *name = base_name(img);
	if (t->part == 1)
		w_f(w,
		    "The modem runs build %u, not the intermediate build %u that part 1 ('%s') "
		    "leaves.\n",
		    p->running_build, t->leaves, name);
	else if (t->leaves)
		w_f(w, "The modem runs build %u, not build %u named by '%s'.\n", p->running_build,
		    t->leaves, name);
	else if (p->build_before && p->running_build == p->build_before)
		w_f(w, "The modem still runs build %u, the build it ran before '%s' was sent.\n",
		    p->running_build, name);
	else
		w_f(w, "The modem runs %s firmware, and '%s' is %s firmware.\n",
		    sqns_channel_name(p->channel), name, sqns_channel_name(t->channel));
}

int sqns_words_failure(const struct sqns_ctx *ctx, const struct sqns_words_failure *fail,
		       const struct sqns_words_files *f, const struct sqns_words_how *how,
		       char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	int err = fail->err;
	const struct sqns_plan *p = &ctx->res.plan;
	bool page = style_of(how) == SQNS_WORDS_PAGE;
	/* Once part 1 is in, what is left is part 2. */
	bool on_part2 = p->part1_done && f->part2;
	const char *img = on_part2 ? f->part2 : f->firmware;
	w_f(&w, "%supgrade failed: %s.\n", prefix(how),
	    err == SQNS_ERR_ABORTED && style_of(how) == SQNS_WORDS_PYTHON ? "interrupted"
									  : sqns_strerror(err));
	if (p->part1_done)
		w_f(&w,
		    "Part 1 of the release is in (the modem ran the intermediate build); part 2, "
		    "'%s', failed.\n",
		    base_name(img));
	if (fail->port_words && *fail->port_words) {
		w_puts(&w, fail->port_words);
		if (fail->port_words[w_strlen(fail->port_words) - 1] != '\n')
			w_puts(&w, "\n");
	}
	bool hung = explain_silence(&w, ctx, err, fail->silent_ms, how);
	const char *power = "power-cycle the board";
	switch (ctx->res.stage) {
	case SQNS_STAGE_UNTOUCHED:
		if (err == SQNS_ERR_REJECTED) {
			explain_rejection(&w, ctx, f, img, how);
			return w_done(&w);
		}
		w_puts(&w, "The modem was not changed: it still runs its old firmware.\n");
		if (err == SQNS_ERR_UNSUPPORTED) { /* the same port would fail the same way */
			w_puts(&w, "The recovery method moves the modem from 115200 baud to the "
				   "application rate, which this connection (socket://) cannot do: "
				   "run it on the modem's serial port itself.\n");
			return w_done(&w);
		}
		if (p->fff)
			w_f(&w,
			    "A stored (FFF) transfer that stalls is the known fault of a modem "
			    "whose "
			    "file system is read-only; ON_THE_FLY, the default, does not use it. "
			    "%s.\n",
			    style_of(how) == SQNS_WORDS_PYTHON ? "Call it without load_fff"
			    : page			       ? "Leave the FFF box off"
							       : "Run without --fff");
		if (err == SQNS_ERR_NO_MODEM) {
			w_puts(&w, prefix(how));
			char line[400];
			sqns_words_no_modem(how, f->baud, line, sizeof line);
			w_puts(&w, line);
		}
		if (hung) /* a modem that hangs answers nothing until it restarts */
			w_f(&w,
			    "To try again: %s (disconnect power; the reset button is not enough), "
			    "then %s",
			    power, page ? "" : "run");
		else
			w_puts(&w, "To try again");
		w_then(&w, how, f, img, !on_part2, EXTRA_NONE, NULL);
		return w_done(&w);
	case SQNS_STAGE_RECOVERY:
		w_puts(&w,
		       "The modem is in recovery mode (0) and has no working firmware; it needs "
		       "updater.elf and a full image.\n");
		if (!f->updater || p->target.differential) {
			if (style_of(how) == SQNS_WORDS_CLI)
				w_puts(&w, "To finish: sqnsupgrade -p PORT run NAME-BUILD.dup "
					   "updater.elf\n");
			else if (style_of(how) == SQNS_WORDS_PYTHON)
				w_puts(&w, "To finish: sqnsupgrade.run(port, 'NAME-BUILD.dup', "
					   "'updater.elf')\n");
			else
				w_puts(&w, "To finish: give NAME-BUILD.dup and updater.elf, then "
					   "check and upgrade again.\n");
			return w_done(&w);
		}
		break;
	case SQNS_STAGE_UPGRADE_MODE:
		if (err == SQNS_ERR_REJECTED) {
			explain_rejection(&w, ctx, f, img, how);
			return w_done(&w);
		}
		w_puts(&w,
		       "The modem is in upgrade mode (4) and waits for a firmware image; it will "
		       "not work as a modem until the upgrade is finished.\n");
		break;
	case SQNS_STAGE_TRANSFERRED:
		w_puts(&w,
		       "The whole image was sent; the modem was checking or applying it and may "
		       "be in upgrade mode (4).\n");
		break;
	case SQNS_STAGE_DONE:
		if (err == SQNS_ERR_VERIFY)
			explain_verify(&w, p, img);
		else if (p->bootrom_pending)
			explain_bootrom_pending(&w, f, how);
		else
			w_puts(&w, "The new firmware is installed; only the final steps failed.\n");
		return w_done(&w);
	}
	w_f(&w, "To finish: %s%s (disconnect power; the reset button is not enough), then %s",
	    power, hung ? "" : " if the modem does not answer", page ? "" : "run");
	w_then(&w, how, f, img, !on_part2, EXTRA_RESUME, NULL);
	return w_done(&w);
}

/* ---- the closing lines ---- */

/* Part 2 beside part 1: the same name with "-2" where part 1's has "-1". */
static bool part2_name(const char *fw, char *out, size_t len)
{
	struct sqns_image_info info;
	sqns_parse_image_name(fw, &info);
	size_t n = w_strlen(fw);
	if (info.part != 1 || n < 6 || n >= len || fw[n - 6] != '-' || fw[n - 5] != '1' ||
	    fw[n - 4] != '.')
		return false;
	for (size_t i = 0; i <= n; i++)
		out[i] = fw[i];
	out[n - 5] = '2';
	return true;
}

int sqns_words_result(const struct sqns_ctx *ctx, const char *showver,
		      const struct sqns_words_files *f, const struct sqns_words_how *how, char *buf,
		      size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	const struct sqns_plan *p = &ctx->res.plan;
	if (ctx->res.stage == SQNS_STAGE_DONE) {
		const struct sqns_image_info *t = p->part2_step ? &p->part2 : &p->target;
		const char *img = p->part2_step ? f->part2 : f->firmware;
		w_puts(&w, "Here's the current firmware version:\n\n");
		if (showver && *showver) {
			w_puts(&w, showver);
			if (showver[w_strlen(showver) - 1] != '\n')
				w_puts(&w, "\n");
		}
		if (t->part == 1) {
			/* Part 1 alone: part 2 must follow before any power cycle. */
			char part2[1024];
			bool beside = part2_name(f->firmware, part2, sizeof part2);
			w_f(&w,
			    "Part 2 of this release must follow now, before any power cycle or "
			    "reset "
			    "of the modem. %s",
			    style_of(how) == SQNS_WORDS_PAGE ? "Then" : run_word(how));
			w_then(&w, how, f, beside ? part2 : "PART-2.dup", false, EXTRA_NONE, NULL);
		} else if (t->leaves) {
			w_f(&w, "Verified: modem now runs build %u\n", p->running_build);
		} else if (p->running_build) {
			w_f(&w,
			    "The modem now runs build %u (the name '%s' gives no build to verify "
			    "against)\n",
			    p->running_build, base_name(img));
		} else {
			w_f(&w,
			    "Not verified: the name '%s' gives no build, and showver none either\n",
			    base_name(img));
		}
	}
	if (p->bootrom_again && !p->bootrom_pending && p->bootloader0_after)
		w_f(&w, "Verified: boot ROM (Bootloader0) now build %u\n", p->bootloader0_after);
	return w_done(&w);
}

int sqns_words_bootrom_pending(const struct sqns_ctx *ctx, const struct sqns_words_files *f,
			       const struct sqns_words_how *how, char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	const struct sqns_plan *p = &ctx->res.plan;
	if (!p->bootrom_pending)
		return w_done(&w);
	w_f(&w,
	    "%swarning: %sthe modem runs build %u, but its boot ROM (Bootloader0) still reads %u, "
	    "the factory's%s. To finish, %s",
	    prefix(how), ctx->res.stage == SQNS_STAGE_DONE ? "the upgrade worked and " : "",
	    p->running_build,
	    p->bootloader0_after ? p->bootloader0_after : SQNS_FACTORY_BOOTLOADER0,
	    f->bootrom ? " even after it was sent again" : "",
	    style_of(how) == SQNS_WORDS_PYTHON ? "call"
	    : style_of(how) == SQNS_WORDS_PAGE ? ""
					       : "run");
	w_then(&w, how, f, f->firmware, false, EXTRA_BOOTROM_PLACEHOLDER, NULL);
	w_puts(&w,
	       "where BOOTROM is the boot ROM: Pycom's sqnsbr.py, sqnsbrz.py or the raw image.\n");
	return w_done(&w);
}

/* ---- releases ---- */

/* A size as a file manager shows it: "452 KB", "5.9 MB" (decimal units). */
static void w_size(struct wbuf *w, uint32_t bytes)
{
	if (bytes < 1000u) {
		w_f(w, "%u bytes", bytes);
	} else if (bytes < 1000000u) {
		w_f(w, "%u KB", (bytes + 500u) / 1000u);
	} else {
		unsigned tenths = (unsigned)((bytes + 50000u) / 100000u);
		w_f(w, "%u.%u MB", tenths / 10u, tenths % 10u);
	}
}

static const struct sqns_member *member_at(const struct sqns_release *rel, int i)
{
	return rel && i >= 0 && (size_t)i < rel->count ? &rel->members[i] : NULL;
}

/* "CATM1-39529.dup, 5.9 MB" */
static void w_member(struct wbuf *w, const struct sqns_release *rel, int i)
{
	const struct sqns_member *m = member_at(rel, i);
	if (!m)
		return;
	w_f(w, "%s, ", base_name(m->name));
	w_size(w, m->size);
}

void sqns_words_files_from_release(const struct sqns_ctx *ctx, const struct sqns_release *rel,
				   const char *release_name, struct sqns_words_files *f)
{
	const struct sqns_choice *c = &ctx->res.plan.choice;
	const struct sqns_member *m;
	f->release = release_name;
	f->firmware = f->updater = f->part2 = NULL;
	f->firmware_size = f->updater_size = f->part2_size = 0;
	if ((m = member_at(rel, c->image))) {
		f->firmware = m->name;
		f->firmware_size = m->size;
	}
	if ((m = member_at(rel, c->updater))) {
		f->updater = m->name;
		f->updater_size = m->size;
	}
	if ((m = member_at(rel, c->part2))) {
		f->part2 = m->name;
		f->part2_size = m->size;
	}
}

/* How the chosen image goes: the recovery method or not, and why. */
static void w_method(struct wbuf *w, const struct sqns_plan *p, const struct sqns_release *rel)
{
	const struct sqns_choice *c = &p->choice;
	if (!c->recovery)
		return;
	const char *why = p->mode == SQNS_MODE_RECOVERY ? "the modem is in recovery mode"
							: "its boot ROM is the factory's";
	if (member_at(rel, c->updater))
		w_f(w, "; by the recovery method with the release's %s (%s)",
		    base_name(rel->members[c->updater].name), why);
	else
		w_f(w, "; the recovery method is needed (%s) and the release holds no updater.elf",
		    why);
}

int sqns_words_choice(const struct sqns_ctx *ctx, const struct sqns_release *rel,
		      const char *release_name, uint32_t baud, char *buf, size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	const struct sqns_plan *p = &ctx->res.plan;
	const struct sqns_choice *c = &p->choice;
	const struct sqns_member *image = member_at(rel, c->image), *full = member_at(rel, c->full);
	if (!p->from_release || !image)
		return w_done(&w);
	w_f(&w, "From %s, ", base_name(release_name));
	switch (c->why) {
	case SQNS_CHOSE_CURRENT:
		w_f(&w, "nothing to send: the modem already runs build %u\n", p->running_build);
		return w_done(&w);
	case SQNS_CHOSE_DIFF:
		w_f(&w, "the modem runs %u: ", p->running_build);
		w_member(&w, rel, c->image);
		if (full && full->size > image->size) {
			w_puts(&w, ", instead of ");
			w_member(&w, rel, c->full);
			w_f(&w, ": about %u s less",
			    whole_seconds(transfer_seconds(full->size - image->size, baud)));
		} else {
			w_puts(&w, " (the release holds no full image)");
		}
		break;
	case SQNS_CHOSE_FULL:
		w_f(&w, "the modem runs %u: ", p->running_build);
		w_member(&w, rel, c->image);
		if (c->older)
			w_f(&w, ", the full image of an older build than the modem's");
		else
			w_f(&w, ", the full image: no differential image in the release is from %u",
			    p->running_build);
		break;
	case SQNS_CHOSE_FULL_UNREAD:
		w_member(&w, rel, c->image);
		w_f(&w,
		    ", the full image: in %s mode the modem's build cannot be read, so no "
		    "differential image is chosen",
		    sqns_mode_name(p->mode));
		break;
	case SQNS_CHOSE_SWITCH:
		w_member(&w, rel, c->image);
		w_f(&w,
		    ", the full image: the modem runs %s firmware and this release is %s, a "
		    "switch of channel",
		    sqns_channel_name(p->channel), sqns_channel_name(p->target.channel));
		break;
	case SQNS_CHOSE_DIFF_ONLY:
		w_member(&w, rel, c->image);
		if (p->running_build)
			w_f(&w, ", the release's only image (the modem runs %u)", p->running_build);
		else
			w_f(&w,
			    ", the release's only image: in %s mode the modem's build cannot be "
			    "read, so the modem checks the image's base itself",
			    sqns_mode_name(p->mode));
		break;
	case SQNS_CHOSE_PARTS:
		w_puts(&w,
		       "both parts of the two-part release in one run, no power cycle between: ");
		w_member(&w, rel, c->image);
		w_puts(&w, ", then ");
		w_member(&w, rel, c->part2);
		break;
	case SQNS_CHOSE_NONE:
		break;
	}
	w_method(&w, p, rel);
	w_puts(&w, "\n");
	return w_done(&w);
}

/* What a refused member is, for the release's line. */
static const char *member_kind(enum sqns_refusal why)
{
	switch (why) {
	case SQNS_REFUSE_FIRMWARE_IS_ELF:
		return "an ELF file";
	case SQNS_REFUSE_FIRMWARE_IS_ZIP:
		return "a zip archive";
	case SQNS_REFUSE_FIRMWARE_IS_COMPRESSED:
		return "a compressed file";
	case SQNS_REFUSE_FIRMWARE_IS_TAR:
		return "a tar archive";
	case SQNS_REFUSE_FIRMWARE_IS_HTML:
		return "an HTML page";
	case SQNS_REFUSE_FIRMWARE_IS_TEXT:
		return "a text file";
	case SQNS_REFUSE_FIRMWARE_IS_BOOTROM:
		return "the boot ROM";
	default:
		return "something else";
	}
}

static const char *member_name(const struct sqns_release *rel, int i)
{
	const struct sqns_member *m = member_at(rel, i);
	return m ? m->name : "?";
}

int sqns_words_release_problem(const struct sqns_release_summary *sum,
			       const struct sqns_release *rel, const char *release_name, char *buf,
			       size_t len)
{
	struct wbuf w;
	w_init(&w, buf, len);
	const char *r = base_name(release_name);
	const char *one = member_name(rel, sum->member), *other = member_name(rel, sum->other);
	struct sqns_image_info a, b;
	switch (sum->problem) {
	case SQNS_RELEASE_OK:
		break;
	case SQNS_RELEASE_EMPTY:
		w_f(&w,
		    "'%s' holds no firmware image (.dup)%s: it is not a modem firmware release; "
		    "download the release (such as CATM1-41065.zip) again\n",
		    r, rel && rel->count ? "" : ", nothing at all");
		break;
	case SQNS_RELEASE_NO_BUILD:
		w_f(&w,
		    "'%s' holds '%s', whose name gives no build, so the release cannot be sorted "
		    "out: give its .dup file (and updater.elf) instead of the release\n",
		    r, one);
		break;
	case SQNS_RELEASE_TWO_RELEASES:
		sqns_parse_image_name(one, &a);
		sqns_parse_image_name(other, &b);
		if (a.build != b.build || a.channel == b.channel)
			w_f(&w,
			    "'%s' holds more than one release: '%s' (build %u) and '%s' (build %u)",
			    r, other, b.build, one, a.build);
		else
			w_f(&w, "'%s' holds more than one release: '%s' (%s) and '%s' (%s)", r,
			    other, sqns_channel_name(b.channel), one, sqns_channel_name(a.channel));
		w_puts(&w, ": keep one release per archive or folder, or give the .dup you mean\n");
		break;
	case SQNS_RELEASE_TWO_UPDATERS:
		w_f(&w,
		    "'%s' holds updater.elf twice ('%s' and '%s'): keep one release per archive "
		    "or folder, or give the files themselves\n",
		    r, other, one);
		break;
	case SQNS_RELEASE_PART_MISSING:
		sqns_parse_image_name(one, &a);
		w_f(&w,
		    "'%s' holds part %u of the two-part release %u ('%s') without part %u: both "
		    "go in one run; download the release again\n",
		    r, a.part, a.build, one, a.part == 1 ? 2u : 1u);
		break;
	case SQNS_RELEASE_NOT_FIRMWARE:
		w_f(&w,
		    "'%s' holds '%s', which is %s, not a firmware image: the release is damaged "
		    "or not Pycom's; download it again\n",
		    r, one, member_kind(sum->refusal));
		break;
	case SQNS_RELEASE_UPDATER_NOT_ELF:
		w_f(&w,
		    "'%s' holds '%s', which is not an ELF file, so it is not updater.elf: the "
		    "release is damaged or not Pycom's; download it again\n",
		    r, one);
		break;
	case SQNS_RELEASE_UNREADABLE:
		w_f(&w,
		    "'%s' is damaged: '%s' cannot be read from it; download the release again\n", r,
		    one);
		break;
	}
	return w_done(&w);
}

/* ---- Pycom's USB bridges ---- */

static const struct sqns_usb_id usb_ids[] = {
    {0x0403, 0x6001, "FTDI adapter (Pycom boards)"},
    {0x0403, 0x6015, "FTDI adapter (Pycom expansion board 2)"},
    {0x10c4, 0xea60, "CP210x adapter (Pycom boards)"},
    {0x04d8, 0xf011, "Pycom expansion board"},
    {0x04d8, 0xf012, "Pycom Pysense"},
    {0x04d8, 0xf013, "Pycom Pytrack"},
    {0x04d8, 0xef98, "Pycom expansion board 3"},
    {0x04d8, 0xef99, "Pycom Pyscan/Pytrack 2"},
};

const struct sqns_usb_id *sqns_usb_ids(size_t *n)
{
	if (n)
		*n = sizeof usb_ids / sizeof usb_ids[0];
	return usb_ids;
}
