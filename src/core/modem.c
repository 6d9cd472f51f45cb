/* SPDX-License-Identifier: MIT */
/* What the modem is and runs: mode, versions, IMEI, and their parsers. */
#include "internal.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parse decimal digits at s into *v; false when there are none or it overflows. */
static bool parse_u32(const char *s, uint32_t *v, const char **rest)
{
	uint64_t n = 0;
	const char *p = s;
	for (; is_digit(*p); p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UINT32_MAX)
			return false;
	}
	if (p == s)
		return false;
	*v = (uint32_t)n;
	if (rest)
		*rest = p;
	return true;
}

/*
 * Send cmd; its answer into resp, *value past an optional "PREFIX:" and
 * spaces (a modem may answer "+SMOD: 2" or "2").
 */
static int at_value(struct sqns_ctx *ctx, const char *cmd, const char *prefix, char *resp,
		    size_t len, const char **value)
{
	int r = sqns_at(ctx, cmd, resp, len, 0);
	if (r != SQNS_OK)
		return r;
	const char *p = resp;
	if (sqns_starts_with(p, prefix))
		p += sqns_strlen(prefix);
	while (*p == ' ')
		p++;
	*value = p;
	return SQNS_OK;
}

int sqns_get_mode(struct sqns_ctx *ctx, int *mode)
{
	char resp[64];
	const char *p;
	/* The answer is one integer; nothing else before it. */
	int r = at_value(ctx, "AT+SMOD?", "+SMOD:", resp, sizeof resp, &p);
	if (r != SQNS_OK)
		return r;
	uint32_t v;
	const char *rest;
	if (!parse_u32(p, &v, &rest) || (*rest && *rest != '\n') || v > 4)
		return SQNS_ERR_PROTOCOL;
	*mode = (int)v;
	ctx->res.mode = (int)v;
	return SQNS_OK;
}

#define PROBE_MS 1500u	   /* one rate's wake-up attempt during detection */
#define PPP_GUARD_MS 1100u /* the silence a data session needs around +++ */
#define STP_PROBE_MS 500u  /* an STP RESET's answer, from a modem stuck in STP */
/*
 * A modem that is booting is silent for a few seconds, then says +SYSSTART:
 * the +++ escape of a data session is tried only once detection has probed
 * for this long, so that a modem powered on with the tool does not get it.
 */
#define PPP_AFTER_MS 6000u

int sqns_set_rate(struct sqns_ctx *ctx, uint32_t rate)
{
	if (ctx->res.rate == rate)
		return SQNS_OK;
	if (!ctx->cfg.ops->set_rate)
		return SQNS_ERR_UNSUPPORTED;
	if (ctx->cfg.ops->set_rate(ctx->cfg.port, rate) != SQNS_OK)
		return SQNS_ERR_IO;
	ctx->res.rate = rate;
	struct sqns_event ev = {.type = SQNS_EV_RATE, .value = (int)rate};
	sqns_emit(ctx, &ev);
	return sqns_drain(ctx, 0);
}

/* Discard input until `ms` have passed: the host keeps silent meanwhile. */
static int keep_silent(struct sqns_ctx *ctx, uint32_t ms)
{
	uint32_t end = deadline_in(ctx, ms);
	uint8_t c;
	int r;
	while ((r = sqns_rx_byte(ctx, &c, end)) == 1)
		;
	return r;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * A modem in a PPP session ignores AT until +++ framed by a second of silence.
 * The guard times are the protocol's, not a wait for an event. Until `end`.
 */
static int ppp_escape(struct sqns_ctx *ctx, uint32_t end)
{
	if (deadline_left(ctx, end) < 2 * PPP_GUARD_MS)
		return SQNS_ERR_NO_MODEM;
	sqns_emit_phase(ctx, SQNS_PHASE_PPP_ESCAPE);
	int r = keep_silent(ctx, PPP_GUARD_MS);
	if (r < 0)
		return r;
	struct sqns_event ev = {.type = SQNS_EV_AT_TX, .text = "+++", .len = 3};
	sqns_emit(ctx, &ev);
	if ((r = sqns_tx(ctx, (const uint8_t *)"+++", 3)) < 0)
		return r;
	r = sqns_wait_line(ctx, "OK",
			   min_u32(PPP_GUARD_MS + ctx->cfg.timeouts.at_ms, deadline_left(ctx, end)),
			   -1);
	return r == SQNS_ERR_TIMEOUT ? SQNS_ERR_NO_MODEM : r;
}

static int probe(struct sqns_ctx *ctx, uint32_t rate, uint32_t end)
{
	int r = sqns_set_rate(ctx, rate);
	if (r != SQNS_OK)
		return r;
	uint32_t left = deadline_left(ctx, end);
	return left ? sqns_wakeup(ctx, min_u32(PROBE_MS, left)) : SQNS_ERR_NO_MODEM;
}

/*
 * One round of probing: the application rate, the recovery bootloader's
 * 115200, then (when try_ppp) the +++ escape of a data session.
 */
static int probe_round(struct sqns_ctx *ctx, uint32_t end, bool try_ppp)
{
	int r = probe(ctx, ctx->cfg.baud, end);
	if (r != SQNS_ERR_NO_MODEM)
		return r;
	/* A faster transfer rate that an interrupted run left the modem at. */
	if (ctx->cfg.fast_baud > ctx->cfg.baud) {
		r = probe(ctx, ctx->cfg.fast_baud, end);
		if (r != SQNS_ERR_NO_MODEM)
			return r;
		if ((r = sqns_set_rate(ctx, ctx->cfg.baud)) != SQNS_OK)
			return r;
	}
	/* A modem whose host vanished mid-transfer still speaks STP: close that session. */
	if (deadline_left(ctx, end) > 0 && sqns_stp_probe(ctx, STP_PROBE_MS) == SQNS_OK) {
		sqns_emit_phase(ctx, SQNS_PHASE_STP_ABANDONED);
		r = sqns_wakeup(ctx, deadline_left(ctx, end));
		if (r != SQNS_ERR_NO_MODEM)
			return r;
	}
	if (ctx->cfg.baud != SQNS_RECOVERY_RATE && ctx->cfg.ops->set_rate) {
		r = probe(ctx, SQNS_RECOVERY_RATE, end);
		if (r != SQNS_ERR_NO_MODEM)
			return r;
	}
	if (!try_ppp)
		return SQNS_ERR_NO_MODEM;
	if ((r = sqns_set_rate(ctx, ctx->cfg.baud)) != SQNS_OK)
		return r;
	return ppp_escape(ctx, end);
}

int sqns_detect(struct sqns_ctx *ctx, int *mode)
{
	uint32_t start = sqns_now(ctx);
	uint32_t end = start + ctx->cfg.timeouts.detect_ms;
	int r;
	bool ppp_tried = false;
	do {
		/* Once, and not before a booting modem had the time to answer. */
		bool try_ppp = !ppp_tried && sqns_now(ctx) - start >= PPP_AFTER_MS;
		r = probe_round(ctx, end, try_ppp);
		ppp_tried = ppp_tried || try_ppp;
	} while (r == SQNS_ERR_NO_MODEM && deadline_left(ctx, end) > 0);
	if (r != SQNS_OK)
		return r;
	/*
	 * Bind the UART to the AT channel and turn echo off where the firmware
	 * knows how; the updater and the boot ROM answer ERROR and never echo.
	 */
	static const char *const setup[] = {"AT+BIND=AT", "ATE0"};
	for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++) {
		r = sqns_at(ctx, setup[i], NULL, 0, 0);
		if (r != SQNS_OK && r != SQNS_ERR_MODEM)
			return r;
	}
	return sqns_get_mode(ctx, mode);
}

int sqns_showver(struct sqns_ctx *ctx, char *buf, size_t len)
{
	/* A modem fresh from a failed updater answered ERROR once, then the table. */
	int r = sqns_at(ctx, "AT!=\"showver\"", buf, len, 0);
	if (r == SQNS_ERR_MODEM)
		r = sqns_at(ctx, "AT!=\"showver\"", buf, len, 0);
	return r;
}

int sqns_ati1(struct sqns_ctx *ctx, char *buf, size_t len)
{
	return sqns_at(ctx, "ATI1", buf, len, 0);
}

int sqns_imei(struct sqns_ctx *ctx, char imei[16])
{
	char resp[64];
	const char *p;
	int r = at_value(ctx, "AT+CGSN", "+CGSN:", resp, sizeof resp, &p);
	if (r != SQNS_OK)
		return r;
	for (int i = 0; i < 15; i++) {
		if (!is_digit(p[i]))
			return SQNS_ERR_PROTOCOL;
		imei[i] = p[i];
	}
	if (p[15] && p[15] != '\n')
		return SQNS_ERR_PROTOCOL;
	imei[15] = '\0';
	return SQNS_OK;
}

/* The line of a '\n'-separated text that contains needle, as [start, end). */
static const char *find_line(const char *text, const char *needle, const char **end)
{
	const char *line = text;
	while (*line) {
		const char *e = line;
		while (*e && *e != '\n')
			e++;
		for (const char *p = line; p < e; p++) {
			if (sqns_starts_with(p, needle)) {
				*end = e;
				return line;
			}
		}
		line = *e ? e + 1 : e;
	}
	return NULL;
}

bool sqns_parse_ati1_build(const char *ati1, uint32_t *build)
{
	const char *end;
	const char *line = find_line(ati1, "LR", &end);
	if (!line)
		return false;
	const char *dash = NULL;
	for (const char *p = line; p < end; p++)
		if (*p == '-')
			dash = p;
	if (!dash)
		return false;
	const char *rest;
	uint32_t v;
	if (!parse_u32(dash + 1, &v, &rest) || (rest != end && *rest != '\r'))
		return false;
	*build = v;
	return true;
}

/*
 * A showver row's build, in either layout: "5.1.1.0 [38638] by ..." or the
 * older "BUILD5.1.1.0-33988 by ..." (docs/protocol.md section 8).
 */
static bool row_build(const char *p, const char *end, uint32_t *build)
{
	const char *rest;
	uint32_t v = 0;
	for (; p < end; p++) {
		if (*p == '[' && parse_u32(p + 1, &v, &rest) && *rest == ']')
			break;
		if (sqns_starts_with(p, "BUILD")) {
			const char *q = p + 5;
			while (q < end && (is_digit(*q) || *q == '.'))
				q++;
			if (q < end && *q == '-' && parse_u32(q + 1, &v, &rest) &&
			    (rest == end || *rest == ' ' || *rest == '\r'))
				break;
		}
	}
	if (p >= end)
		return false;
	*build = v;
	return true;
}

bool sqns_parse_showver_build(const char *showver, const char *name, uint32_t *build)
{
	const char *end;
	const char *line = find_line(showver, name, &end);
	return line && row_build(line, end, build);
}

/* The channel of a firmware version's major number: 5 is CAT-M1, 6 NB-IoT. */
static int channel_of_major(char major)
{
	return major == '5'   ? SQNS_CHANNEL_CATM1
	       : major == '6' ? SQNS_CHANNEL_NBIOT
			      : SQNS_CHANNEL_UNKNOWN;
}

bool sqns_parse_showver_channel(const char *showver, int *channel)
{
	const char *end;
	const char *line = find_line(showver, "Software", &end);
	if (!line)
		return false;
	const char *p = line;
	while (p < end && *p != ':')
		p++;
	for (p++; p < end && (*p == ' ' || sqns_starts_with(p, "BUILD")); p += *p == ' ' ? 1 : 5)
		;
	if (p + 1 >= end || p[1] != '.' || channel_of_major(*p) == SQNS_CHANNEL_UNKNOWN)
		return false;
	*channel = channel_of_major(*p);
	return true;
}

bool sqns_parse_ati1_channel(const char *ati1, int *channel)
{
	const char *end;
	const char *line = find_line(ati1, "LR", &end);
	if (!line)
		return false;
	while (line < end && !sqns_starts_with(line, "LR"))
		line++;
	if (end - line < 4 || line[3] != '.' || channel_of_major(line[2]) == SQNS_CHANNEL_UNKNOWN)
		return false;
	*channel = channel_of_major(line[2]);
	return true;
}
