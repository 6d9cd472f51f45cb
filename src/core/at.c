/* SPDX-License-Identifier: MIT */
/* Receive buffer, line assembly and the AT command channel. */
#include "internal.h"

#define WAKE_PROBE_MS 200u    /* between two AT probes; a late OK still counts */
#define SYSSTART_GRACE_MS 20u /* an answer still due once +SYSSTART has come */
#define TICK_MS 1000u	      /* one TICK event per second of waiting */
#define DRAIN_MAX 65536u      /* a flooding modem cannot hold us in a drain */

size_t sqns_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

bool sqns_starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

bool sqns_contains(const char *s, const char *needle)
{
	for (; *s; s++)
		if (sqns_starts_with(s, needle))
			return true;
	return *needle == '\0';
}

bool sqns_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

size_t sqns_ctx_size(void)
{
	return sizeof(struct sqns_ctx);
}

int sqns_init(struct sqns_ctx *ctx, const struct sqns_config *cfg)
{
	if (!ctx || !cfg || !cfg->ops || !cfg->ops->read || !cfg->ops->write || !cfg->ops->now_ms)
		return SQNS_ERR_ARG;
	*ctx = (struct sqns_ctx){.cfg = *cfg, .res.mode = SQNS_MODE_UNKNOWN};
	*sqns_priv(ctx) = (struct sqns_ctx_private){.tick_phase = -1};
	struct sqns_timeouts *t = &ctx->cfg.timeouts;
	if (!ctx->cfg.baud)
		ctx->cfg.baud = SQNS_APPLICATION_RATE;
	ctx->res.rate = ctx->cfg.baud; /* the caller opened the port at this rate */
	if (!t->at_ms)
		t->at_ms = 5000;
	if (!t->detect_ms)
		t->detect_ms = 20000;
	if (!t->wake_ms)
		t->wake_ms = 300000;
	if (!t->stp_ms)
		t->stp_ms = 90000;
	if (!t->apply_ms)
		t->apply_ms = 300000;
	if (!t->stall_ms)
		t->stall_ms = 300000;
	return SQNS_OK;
}

void sqns_emit(struct sqns_ctx *ctx, const struct sqns_event *ev)
{
	if (ctx->cfg.on_event)
		ctx->cfg.on_event(ctx->cfg.user, ev);
}

void sqns_emit_phase(struct sqns_ctx *ctx, enum sqns_phase phase)
{
	sqns_priv(ctx)->tick_phase = -1; /* a new phase: the next wait counts from zero */
	struct sqns_event ev = {.type = SQNS_EV_PHASE, .phase = phase};
	sqns_emit(ctx, &ev);
}

bool sqns_aborted(struct sqns_ctx *ctx)
{
	return !sqns_priv(ctx)->closing && ctx->cfg.should_abort &&
	       ctx->cfg.should_abort(ctx->cfg.user);
}

static int rx_fill(struct sqns_ctx *ctx, uint32_t timeout_ms)
{
	int n = ctx->cfg.ops->read(ctx->cfg.port, sqns_priv(ctx)->rx, sizeof sqns_priv(ctx)->rx,
				   timeout_ms);
	if (n < 0)
		return SQNS_ERR_IO;
	sqns_priv(ctx)->rx_pos = 0;
	sqns_priv(ctx)->rx_len = (size_t)n;
	return n;
}

int sqns_rx_byte(struct sqns_ctx *ctx, uint8_t *b, uint32_t end)
{
	while (sqns_priv(ctx)->rx_pos == sqns_priv(ctx)->rx_len) {
		if (sqns_aborted(ctx))
			return SQNS_ERR_ABORTED;
		uint32_t left = deadline_left(ctx, end);
		/* Wake up at least once a second to honour should_abort. */
		int n = rx_fill(ctx, left > TICK_MS ? TICK_MS : left);
		if (n < 0)
			return n;
		if (n == 0 && left == 0)
			return 0;
	}
	*b = sqns_priv(ctx)->rx[sqns_priv(ctx)->rx_pos++];
	return 1;
}

int sqns_drain(struct sqns_ctx *ctx, uint32_t quiet_ms)
{
	size_t dropped = sqns_priv(ctx)->rx_len - sqns_priv(ctx)->rx_pos;
	sqns_priv(ctx)->rx_pos = sqns_priv(ctx)->rx_len = 0;
	sqns_priv(ctx)->line_len = 0;
	sqns_priv(ctx)->line_overflow = false;
	while (dropped < DRAIN_MAX) {
		int n = rx_fill(ctx, quiet_ms);
		if (n <= 0)
			return n;
		dropped += (size_t)n;
	}
	sqns_priv(ctx)->rx_pos = sqns_priv(ctx)->rx_len = 0;
	return SQNS_OK;
}

int sqns_tx(struct sqns_ctx *ctx, const uint8_t *buf, size_t len)
{
	int r = ctx->cfg.ops->write(ctx->cfg.port, buf, len);
	return r < 0 ? SQNS_ERR_IO : SQNS_OK;
}

static bool printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t';
}

/*
 * Bytes accumulate until CR or LF. A line with a byte that is not printable
 * ASCII is noise (a rate mismatch, a boot banner) and is dropped whole; an
 * endless line is cut at SQNS_LINE_MAX and the rest ignored.
 */
int sqns_read_line(struct sqns_ctx *ctx, uint32_t end)
{
	uint8_t c;
	int r;
	while ((r = sqns_rx_byte(ctx, &c, end)) == 1) {
		if (c == '\r' || c == '\n') {
			bool keep = sqns_priv(ctx)->line_len > 0 && !sqns_priv(ctx)->line_overflow;
			sqns_priv(ctx)->line[sqns_priv(ctx)->line_len] = '\0';
			sqns_priv(ctx)->line_len = 0;
			sqns_priv(ctx)->line_overflow = false;
			if (keep) {
				struct sqns_event ev = {.type = SQNS_EV_AT_RX,
							.text = sqns_priv(ctx)->line,
							.len = sqns_strlen(sqns_priv(ctx)->line)};
				sqns_emit(ctx, &ev);
				return 1;
			}
			continue;
		}
		if (!printable(c))
			sqns_priv(ctx)->line_overflow =
			    true; /* poison the line: dropped at its end */
		else if (sqns_priv(ctx)->line_len < SQNS_LINE_MAX)
			sqns_priv(ctx)->line[sqns_priv(ctx)->line_len++] = (char)c;
	}
	return r;
}

static bool is_urc(struct sqns_ctx *ctx, const char *line)
{
	if (sqns_starts_with(line, "+SYSSTART")) {
		sqns_priv(ctx)->sysstart = true;
		return true;
	}
	return sqns_starts_with(line, "+SHUTDOWN");
}

static bool is_error(const char *line)
{
	return sqns_streq(line, "ERROR") || sqns_starts_with(line, "+CME ERROR") ||
	       sqns_starts_with(line, "+CMS ERROR");
}

static void append_line(char *resp, size_t resp_len, size_t *used, const char *line)
{
	if (!resp || resp_len == 0)
		return;
	for (const char *p = line; *p && *used + 2 < resp_len; p++)
		resp[(*used)++] = *p;
	if (*used + 1 < resp_len)
		resp[(*used)++] = '\n';
	resp[*used] = '\0';
}

static int send_line(struct sqns_ctx *ctx, const char *cmd)
{
	struct sqns_event ev = {.type = SQNS_EV_AT_TX, .text = cmd, .len = sqns_strlen(cmd)};
	sqns_emit(ctx, &ev);
	int r = sqns_tx(ctx, (const uint8_t *)cmd, ev.len);
	if (r == SQNS_OK)
		r = sqns_tx(ctx, (const uint8_t *)"\r\n", 2);
	return r;
}

/*
 * An unsolicited line inside an answer: a "+" line that is not the command's
 * own (+NAME for AT+NAME...). Real modems put +CPSMS: and the like before a
 * command's own lines (docs/protocol.md section 3).
 */
static bool foreign_result(const char *cmd, const char *line)
{
	if (line[0] != '+')
		return false;
	if (!sqns_starts_with(cmd, "AT+"))
		return true;
	const char *name = cmd + 2;
	size_t n = 0;
	while (name[n] && name[n] != '=' && name[n] != '?')
		n++;
	for (size_t i = 0; i < n; i++)
		if (line[i] != name[i])
			return true;
	return line[n] != ':' && line[n] != '\0';
}

/* Read answer lines until OK / ERROR or the deadline. */
static int collect(struct sqns_ctx *ctx, const char *cmd, char *resp, size_t resp_len, uint32_t end)
{
	size_t used = 0;
	if (resp && resp_len)
		resp[0] = '\0';
	for (;;) {
		int r = sqns_read_line(ctx, end);
		if (r == 0)
			return SQNS_ERR_TIMEOUT;
		if (r < 0)
			return r;
		const char *line = sqns_priv(ctx)->line;
		if (sqns_starts_with(line, "+SYSSTART") && used == 0) {
			/*
			 * The modem booted while the command was on its way: it
			 * answers at once or it has lost it; do not wait it out.
			 */
			uint32_t grace = deadline_in(ctx, SYSSTART_GRACE_MS);
			if ((int32_t)(grace - end) < 0)
				end = grace;
		}
		if (sqns_streq(line, cmd) || is_urc(ctx, line))
			continue; /* echo or unsolicited */
		if (sqns_streq(line, "OK"))
			return SQNS_OK;
		if (is_error(line))
			return SQNS_ERR_MODEM;
		if (foreign_result(cmd, line))
			continue;
		append_line(resp, resp_len, &used, line);
	}
}

int sqns_at(struct sqns_ctx *ctx, const char *cmd, char *resp, size_t resp_len, uint32_t timeout_ms)
{
	/* Whatever is left over from an earlier answer must not pass for this one. */
	int r = sqns_drain(ctx, 0);
	if (r < 0)
		return r;
	r = send_line(ctx, cmd);
	if (r < 0)
		return r;
	return collect(ctx, cmd, resp, resp_len,
		       deadline_in(ctx, timeout_ms ? timeout_ms : ctx->cfg.timeouts.at_ms));
}

/*
 * Waits report one TICK per whole second since the wait of that phase began,
 * counted from the clock: a wait made of many short probes (or split across
 * calls, as a reboot is) reports real time, not the number of timer restarts.
 * A PHASE event ends the running wait (sqns_emit_phase).
 */
static void wait_begin(struct sqns_ctx *ctx, int phase)
{
	if (phase < 0 || phase == sqns_priv(ctx)->tick_phase)
		return;
	sqns_priv(ctx)->tick_phase = phase;
	sqns_priv(ctx)->tick_origin = sqns_now(ctx);
	sqns_priv(ctx)->tick_seconds = 0;
}

/* The deadline of the next TICK of the running wait. */
static uint32_t next_tick(struct sqns_ctx *ctx)
{
	return sqns_priv(ctx)->tick_origin + (sqns_priv(ctx)->tick_seconds + 1u) * TICK_MS;
}

static void ticks_due(struct sqns_ctx *ctx, int phase)
{
	if (phase < 0 || phase != sqns_priv(ctx)->tick_phase)
		return;
	while (deadline_left(ctx, next_tick(ctx)) == 0) {
		sqns_priv(ctx)->tick_seconds++;
		struct sqns_event ev = {.type = SQNS_EV_TICK,
					.phase = (enum sqns_phase)phase,
					.value = (int)sqns_priv(ctx)->tick_seconds};
		sqns_emit(ctx, &ev);
	}
}

/*
 * Probe with AT until an OK. Unlike sqns_at, a probe does not drain what came
 * before it: an OK that answers an earlier probe late proves the modem alive
 * just as well, so a modem slower to answer than WAKE_PROBE_MS is still heard.
 */
int sqns_wakeup_ticking(struct sqns_ctx *ctx, uint32_t timeout_ms, int phase)
{
	uint32_t end = deadline_in(ctx, timeout_ms ? timeout_ms : ctx->cfg.timeouts.wake_ms);
	wait_begin(ctx, phase);
	int r = sqns_drain(ctx, 0);
	while (r == SQNS_OK && deadline_left(ctx, end) > 0) {
		uint32_t left = deadline_left(ctx, end);
		if ((r = send_line(ctx, "AT")) != SQNS_OK)
			break;
		r = collect(ctx, "AT", NULL, 0,
			    sqns_now(ctx) + (left < WAKE_PROBE_MS ? left : WAKE_PROBE_MS));
		if (r == SQNS_OK || r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
			return r;
		/* A timeout, or ERROR from a modem that got a mangled line: probe again,
		 * after the other answers to that mangled line have gone by. */
		r = r == SQNS_ERR_MODEM ? sqns_drain(ctx, WAKE_PROBE_MS / 5) : SQNS_OK;
		ticks_due(ctx, phase);
	}
	return r == SQNS_OK ? SQNS_ERR_NO_MODEM : r;
}

int sqns_wakeup(struct sqns_ctx *ctx, uint32_t timeout_ms)
{
	return sqns_wakeup_ticking(ctx, timeout_ms, -1);
}

int sqns_wait_line(struct sqns_ctx *ctx, const char *prefix, uint32_t timeout_ms, int phase)
{
	uint32_t end = deadline_in(ctx, timeout_ms);
	wait_begin(ctx, phase);
	for (;;) {
		uint32_t slice = phase >= 0 ? deadline_left(ctx, next_tick(ctx)) : TICK_MS;
		uint32_t left = deadline_left(ctx, end);
		int r = sqns_read_line(ctx, sqns_now(ctx) + (slice < left ? slice : left));
		if (r < 0)
			return r;
		if (r == 1) {
			(void)is_urc(ctx, sqns_priv(ctx)->line);
			if (sqns_starts_with(sqns_priv(ctx)->line, prefix))
				return SQNS_OK;
		}
		ticks_due(ctx, phase);
		if (deadline_left(ctx, end) == 0)
			return SQNS_ERR_TIMEOUT;
	}
}
