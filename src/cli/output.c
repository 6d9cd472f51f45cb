#define _DEFAULT_SOURCE
#include <string.h>
#include <unistd.h>

#include "output.h"
#include "posix_serial.h"

#define BAR_WIDTH 40

void output_init(struct output *o, FILE *out, FILE *err, int verbose, bool debug)
{
	*o = (struct output){.out = out, .err = err, .verbose = verbose, .debug = debug};
	o->tty = isatty(fileno(out));
	o->bar_shown = -1;
}

void output_break(struct output *o)
{
	if (o->line_open) {
		fputc('\n', o->out);
		o->line_open = false;
	}
	fflush(o->out);
}

void output_block(struct output *o, const char *text)
{
	output_break(o);
	fputs(text, o->out);
	if (*text && text[strlen(text) - 1] != '\n')
		fputc('\n', o->out);
	fflush(o->out);
}

static void say(struct output *o, const char *line)
{
	output_break(o);
	fprintf(o->out, "%s\n", line);
	fflush(o->out);
}

static void draw_bar(struct output *o, uint32_t done, uint32_t total)
{
	int pct = total ? (int)((uint64_t)done * 100 / total) : 100;
	int fill = total ? (int)((uint64_t)done * BAR_WIDTH / total) : BAR_WIDTH;
	/* On a terminal redraw when the figure changes; elsewhere one line per 10 %. */
	int step = o->tty ? 1 : 10;
	if (o->bar_shown >= 0 && pct / step == o->bar_shown / step)
		return;
	o->bar_shown = pct;
	char bar[BAR_WIDTH + 1];
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, ' ', (size_t)(BAR_WIDTH - fill));
	bar[BAR_WIDTH] = '\0';
	fprintf(o->out, "%sSending %u bytes: [%s] %3d%%", o->tty ? "\r" : "", total, bar, pct);
	if (o->tty && pct < 100) {
		o->line_open = true;
	} else {
		fputc('\n', o->out);
		o->line_open = false;
	}
	fflush(o->out);
}

static void warn_forced(struct output *o)
{
	const struct sqns_plan *p = o->ctx ? &o->ctx->plan : NULL;
	if (!p || !p->forced)
		return;
	output_break(o);
	if (p->overridden == SQNS_REFUSE_DIFF_WRONG_BASE)
		fprintf(o->err,
			"sqnsupgrade: warning: --force: sending a differential image for build %u "
			"to a modem on build %u; the modem will probably refuse it\n",
			p->target.from, p->running_build);
	else
		fprintf(
		    o->err,
		    "sqnsupgrade: warning: --force: upgrading a modem with the factory boot ROM "
		    "without the recovery method; the module may break\n");
}

static void phase(struct output *o, enum sqns_phase p)
{
	switch (p) {
	case SQNS_PHASE_WAKEUP:
		say(o, "Attempting AT wakeup...");
		break;
	case SQNS_PHASE_REBOOT_UPGRADE:
		if (o->verbose)
			say(o, "Rebooting the modem into upgrade mode...");
		break;
	case SQNS_PHASE_RESUME:
		say(o, "The modem is in upgrade mode: resuming the upgrade");
		break;
	case SQNS_PHASE_FFF_TOO_BIG:
		say(o, "Firmware file is too big to load via FFF method. Using ON_THE_FLY");
		break;
	case SQNS_PHASE_STP_ON_THE_FLY:
		o->fff = false;
		say(o, "Starting STP ON_THE_FLY");
		break;
	case SQNS_PHASE_STP_FFF:
		o->fff = true;
		say(o, "Starting STP FFF (DO NOT DISCONNECT POWER!!!)");
		break;
	case SQNS_PHASE_DOWNLOAD_DONE:
		say(o, o->fff ? "Code download done, applying the stored image"
			      : "Code download done, returning to user mode");
		break;
	case SQNS_PHASE_RESETTING:
		output_break(o);
		fputs("Resetting (DO NOT DISCONNECT POWER!!!)", o->out);
		o->line_open = true;
		fflush(o->out);
		break;
	case SQNS_PHASE_COMPLETED:
		say(o, "Upgrade completed!");
		break;
	case SQNS_PHASE_STP_BOOTROM:
		say(o, "Starting STP (DO NOT DISCONNECT POWER!!!)");
		break;
	case SQNS_PHASE_BOOTROM_DONE:
		say(o, "Bootrom updated successfully, switching to upgrade mode");
		break;
	case SQNS_PHASE_NEGOTIATE:
		say(o, "Attempting AT auto-negotiation...");
		break;
	case SQNS_PHASE_UPDATER_DONE:
		say(o, "Upgrader loaded successfully, modem is in upgrade mode");
		break;
	case SQNS_PHASE_PPP_ESCAPE:
		say(o, "No answer: trying the +++ escape of a data session...");
		break;
	case SQNS_PHASE_STP_ABANDONED:
		say(o, "The modem was still in an interrupted transfer: closed it, waiting for the "
		       "modem...");
		break;
	case SQNS_PHASE_FAST_LINK:
		output_break(o);
		if (o->ctx && o->ctx->rate != o->ctx->cfg.baud)
			fprintf(o->out, "Transfer at %u baud\n", o->ctx->rate);
		else
			fprintf(o->err,
				"sqnsupgrade: the modem or the port refused %u baud: the transfer "
				"runs at %u\n",
				o->ctx ? o->ctx->cfg.fast_baud : 0, o->ctx ? o->ctx->cfg.baud : 0);
		break;
	case SQNS_PHASE_PLAN:
		warn_forced(o);
		break;
	case SQNS_PHASE_ALREADY_CURRENT:
		output_break(o);
		fprintf(
		    o->out,
		    "The modem already runs build %u: nothing to do (--force flashes it again).\n",
		    o->ctx ? o->ctx->plan.running_build : 0);
		break;
	case SQNS_PHASE_APPLYING:
	case SQNS_PHASE_VERIFIED:
		break;
	}
}

static const char *op_name(uint8_t op)
{
	static const char *names[] = {"RESET", "OPEN_SESSION", "TRANSFER_BLOCK_CMD",
				      "TRANSFER_BLOCK"};
	return names[op & 3];
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
			ev->type == SQNS_EV_STP_TX ? ">" : "<", op_name(ev->frame.op),
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
	uint32_t t = posix_now_ms() - o->t0;
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
		if (ev->phase == SQNS_PHASE_VERIFIED || ev->phase == SQNS_PHASE_FAST_LINK)
			fprintf(f, ", \"value\": %d", ev->value);
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
	if (o->json)
		json_event(o, ev);
	if (o->log && ev->type != SQNS_EV_PROGRESS && ev->type != SQNS_EV_TICK)
		log_event(o, ev);
	switch (ev->type) {
	case SQNS_EV_PHASE:
		phase(o, ev->phase);
		break;
	case SQNS_EV_SESSION: {
		char line[96];
		snprintf(line, sizeof line, "Session opened: version %d, max transfer %u bytes",
			 ev->value, ev->total);
		say(o, line);
		o->bar_shown = -1;
		break;
	}
	case SQNS_EV_PROGRESS:
		draw_bar(o, ev->done, ev->total);
		break;
	case SQNS_EV_TICK:
		if (ev->phase == SQNS_PHASE_RESETTING) {
			fputc('.', o->out);
			fflush(o->out);
		}
		break;
	case SQNS_EV_RETRY:
		if (o->verbose) {
			output_break(o);
			fprintf(o->err, "STP answer invalid (%s): retry %d of 4\n",
				sqns_strerror(ev->err), ev->value);
		}
		break;
	default:
		if (o->debug)
			(void)trace(o->err, ev);
		break;
	}
}
