/* SPDX-License-Identifier: MIT */
/*
 * STP master (docs/protocol.md section 4): length-driven response reader, retries
 * with resynchronisation, full blocks, residue.
 */
#include "internal.h"
#include "stp_frame.h"

#define STP_CLOSE_MS 2000u /* the closing RESET's answer may never come */
#define STP_RESYNC_QUIET_MS 50u
#define STP_GARBLED_MS 100u /* a pause inside an answer: it was garbled (many char times) */
#define STP_TICK_MS 1000u   /* a TICK (SQNS_PHASE_STP_WAIT) per second of silence */

struct stp_rsp {
	struct stp_header h;
	uint8_t payload[4];
};

const char *sqns_stp_op_name(unsigned op)
{
	static const char *const names[] = {"RESET", "OPEN_SESSION", "TRANSFER_BLOCK_CMD",
					    "TRANSFER_BLOCK"};
	op &= ~STP_OP_RESPONSE;
	return op < sizeof names / sizeof names[0] ? names[op] : "UNKNOWN";
}

static void emit_frame(struct sqns_ctx *ctx, enum sqns_event_type type, const uint8_t *hdr)
{
	struct stp_header h;
	stp_decode(hdr, &h);
	struct sqns_event ev = {.type = type};
	ev.frame.op = h.op;
	ev.frame.sid = h.sid;
	ev.frame.len = h.length;
	ev.frame.tid = h.tid;
	sqns_emit(ctx, &ev);
}

/*
 * Waiting for one answer. Before its first byte the modem may stay silent for
 * minutes while it erases or commits flash: each second of it is reported
 * (TICK, SQNS_PHASE_STP_WAIT, value = seconds since the request went out) so
 * that a user interface can tell a busy modem from a hung tool. Once bytes
 * flow, a modem sends the rest of its frame at once: a pause of
 * STP_GARBLED_MS after bytes that made no valid frame means the answer was
 * garbled, and the request is sent again now rather than at `end`.
 */
struct answer_wait {
	uint32_t end;
	uint32_t next_tick;
	int seconds;
	bool started; /* a byte of the answer arrived */
};

static void answer_wait_init(struct sqns_ctx *ctx, struct answer_wait *w, uint32_t end)
{
	*w = (struct answer_wait){.end = end, .next_tick = deadline_in(ctx, STP_TICK_MS)};
}

/* The next byte: 1, or SQNS_ERR_TIMEOUT, SQNS_ERR_PROTOCOL (garbled), SQNS_ERR_IO... */
static int rx_answer_byte(struct sqns_ctx *ctx, uint8_t *c, struct answer_wait *w)
{
	if (w->started) {
		uint32_t quiet = deadline_in(ctx, STP_GARBLED_MS);
		bool quiet_first = (int32_t)(quiet - w->end) < 0;
		int r = sqns_rx_byte(ctx, c, quiet_first ? quiet : w->end);
		if (r == 0)
			return quiet_first ? SQNS_ERR_PROTOCOL : SQNS_ERR_TIMEOUT;
		return r;
	}
	for (;;) {
		bool tick_first = (int32_t)(w->next_tick - w->end) < 0;
		int r = sqns_rx_byte(ctx, c, tick_first ? w->next_tick : w->end);
		if (r == 1)
			w->started = true;
		if (r != 0)
			return r;
		if (!tick_first)
			return SQNS_ERR_TIMEOUT;
		w->next_tick += STP_TICK_MS;
		struct sqns_event ev = {
		    .type = SQNS_EV_TICK, .phase = SQNS_PHASE_STP_WAIT, .value = ++w->seconds};
		sqns_emit(ctx, &ev);
	}
}

/* Read n bytes of the answer into buf. */
static int rx_answer(struct sqns_ctx *ctx, uint8_t *buf, unsigned n, struct answer_wait *w)
{
	for (unsigned i = 0; i < n; i++) {
		int r = rx_answer_byte(ctx, &buf[i], w);
		if (r != 1)
			return r;
	}
	return SQNS_OK;
}

/* Hunt for the "tsaf" signature, then read the header and payload the length asks for. */
static int read_response(struct sqns_ctx *ctx, struct stp_rsp *rsp, uint32_t end)
{
	uint8_t hdr[STP_HDR_LEN];
	uint32_t window = 0;
	struct answer_wait w;
	uint8_t c;
	int r;
	answer_wait_init(ctx, &w, end);
	while (window != STP_SIG_RESPONSE) {
		if ((r = rx_answer_byte(ctx, &c, &w)) != 1)
			return r;
		window = (window << 8) | c;
	}
	stp_put32(hdr, window);
	if ((r = rx_answer(ctx, hdr + 4, STP_HDR_LEN - 4, &w)) != SQNS_OK)
		return r;
	if (!stp_header_crc_ok(hdr, true))
		return SQNS_ERR_PROTOCOL;
	stp_decode(hdr, &rsp->h);
	if (rsp->h.length > sizeof rsp->payload)
		return SQNS_ERR_PROTOCOL;
	if ((r = rx_answer(ctx, rsp->payload, rsp->h.length, &w)) != SQNS_OK)
		return r;
	if (!stp_payload_crc_ok(&rsp->h, rsp->payload, true))
		return SQNS_ERR_PROTOCOL;
	emit_frame(ctx, SQNS_EV_STP_RX, hdr);
	return SQNS_OK;
}

/* The minimum payload each response must carry, and its own sanity checks. */
static int check_response(const struct stp_rsp *rsp, uint8_t op, uint8_t sid, uint32_t tid,
			  uint16_t block_len)
{
	if (rsp->h.op != (op | STP_OP_RESPONSE) || rsp->h.sid != sid || rsp->h.tid != tid)
		return SQNS_ERR_PROTOCOL;
	if (op == STP_OP_OPEN_SESSION && rsp->h.length < 4)
		return SQNS_ERR_PROTOCOL;
	if (op == STP_OP_TRANSFER_BLOCK) {
		/* A residue-0 answer has CRC 0 ("none"): the residue is unprotected. */
		if (rsp->h.length < 2 || stp_get16(rsp->payload) > block_len)
			return SQNS_ERR_PROTOCOL;
	}
	return SQNS_OK;
}

/*
 * Send one request (header in hdr, payload after it) and wait for its answer,
 * resending the identical request up to SQNS_STP_RETRIES times after a bad,
 * mismatched or missing answer. However many retries are left, the exchange
 * ends after stall_ms: a modem silent that long has hung (Pycom's instructions
 * allows 5 minutes of stall), and the user must hear so.
 */
static int transact(struct sqns_ctx *ctx, uint8_t *frame, uint16_t block_len, struct stp_rsp *rsp,
		    uint32_t timeout_ms)
{
	struct stp_header req;
	stp_decode(frame, &req);
	uint32_t give_up = deadline_in(ctx, ctx->cfg.timeouts.stall_ms);
	int r = SQNS_ERR_PROTOCOL;
	for (unsigned attempt = 0; attempt <= SQNS_STP_RETRIES; attempt++) {
		if (attempt > 0 && deadline_left(ctx, give_up) == 0)
			return SQNS_ERR_TIMEOUT;
		if (attempt > 0) {
			struct sqns_event ev = {
			    .type = SQNS_EV_RETRY, .value = (int)attempt, .err = r};
			sqns_emit(ctx, &ev);
			/* Bytes of a bad frame may still be on the wire. */
			if ((r = sqns_drain(ctx, STP_RESYNC_QUIET_MS)) < 0)
				return r;
		}
		emit_frame(ctx, SQNS_EV_STP_TX, frame);
		if ((r = sqns_tx(ctx, frame, STP_HDR_LEN + (size_t)req.length)) < 0)
			return r;
		uint32_t end = deadline_in(ctx, timeout_ms);
		r = read_response(ctx, rsp, (int32_t)(end - give_up) < 0 ? end : give_up);
		if (r == SQNS_OK)
			r = check_response(rsp, req.op, req.sid, req.tid, block_len);
		if (r == SQNS_OK || r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
			return r;
	}
	return r;
}

/*
 * After an exchange: the next tid. Also after an interruption while waiting
 * for the answer: the request went out and the modem takes it, so the closing
 * RESET must carry the tid after it, or the modem refuses it and stays in STP.
 */
static int exchange_done(struct sqns_ctx *ctx, int r)
{
	if (r == SQNS_OK || r == SQNS_ERR_ABORTED)
		sqns_priv(ctx)->tid++;
	return r;
}

/* Build a small request in buf (header + payload of at most 4 bytes) and run it. */
static int simple_request(struct sqns_ctx *ctx, uint8_t op, uint8_t sid, const uint8_t *payload,
			  uint16_t len, struct stp_rsp *rsp, uint32_t timeout_ms)
{
	uint8_t buf[STP_HDR_LEN + 4];
	for (uint16_t i = 0; i < len; i++)
		buf[STP_HDR_LEN + i] = payload[i];
	stp_encode(buf, STP_SIG_REQUEST, op, sid, sqns_priv(ctx)->tid, payload, len);
	return exchange_done(ctx, transact(ctx, buf, len, rsp, timeout_ms));
}

static int open_session(struct sqns_ctx *ctx)
{
	struct stp_rsp rsp;
	uint32_t t = ctx->cfg.timeouts.stp_ms;
	sqns_priv(ctx)->tid = 0;
	int r = simple_request(ctx, STP_OP_RESET, 0, NULL, 0, &rsp, t);
	if (r == SQNS_OK)
		r = simple_request(ctx, STP_OP_OPEN_SESSION, 1, NULL, 0, &rsp, t);
	if (r != SQNS_OK)
		return r;
	sqns_priv(ctx)->max_transfer = stp_get16(rsp.payload + 2);
	if (rsp.payload[0] != 1 || sqns_priv(ctx)->max_transfer <= STP_HDR_LEN)
		return SQNS_ERR_PROTOCOL;
	struct sqns_event ev = {.type = SQNS_EV_SESSION,
				.value = rsp.payload[1],
				.total = sqns_priv(ctx)->max_transfer};
	sqns_emit(ctx, &ev);
	return SQNS_OK;
}

/* One block: TRANSFER_BLOCK_CMD then TRANSFER_BLOCK; *consumed = len - residue. */
static int send_block(struct sqns_ctx *ctx, uint16_t len, uint16_t *consumed)
{
	struct stp_rsp rsp;
	uint8_t announce[2];
	uint32_t t = ctx->cfg.timeouts.stp_ms;
	stp_put16(announce, len);
	int r = simple_request(ctx, STP_OP_TRANSFER_BLOCK_CMD, 1, announce, 2, &rsp, t);
	if (r != SQNS_OK)
		return r;
	stp_encode(sqns_priv(ctx)->frame, STP_SIG_REQUEST, STP_OP_TRANSFER_BLOCK, 1,
		   sqns_priv(ctx)->tid, sqns_priv(ctx)->frame + STP_HDR_LEN, len);
	r = exchange_done(ctx, transact(ctx, sqns_priv(ctx)->frame, len, &rsp, t));
	if (r != SQNS_OK)
		return r;
	*consumed = (uint16_t)(len - stp_get16(rsp.payload));
	return SQNS_OK;
}

/*
 * The closing RESET. Real modems often never answer it, but a modem that did
 * not get it stays in STP and never applies the image: send it twice when the
 * first one goes unanswered (a modem that has left STP ignores the second).
 */
static void close_session(struct sqns_ctx *ctx)
{
	struct stp_rsp rsp;
	uint8_t buf[STP_HDR_LEN];
	sqns_priv(ctx)->closing = true; /* an interrupted transfer still ends cleanly */
	stp_encode(buf, STP_SIG_REQUEST, STP_OP_RESET, 1, sqns_priv(ctx)->tid, NULL, 0);
	for (int attempt = 0; attempt < 2; attempt++) {
		emit_frame(ctx, SQNS_EV_STP_TX, buf);
		if (sqns_tx(ctx, buf, sizeof buf) != SQNS_OK)
			break;
		/* An interrupted block's answer may come first: wait for the RESET's own. */
		uint32_t end = deadline_in(ctx, STP_CLOSE_MS);
		int r;
		do
			r = read_response(ctx, &rsp, end);
		while (r == SQNS_OK && rsp.h.op != (STP_OP_RESET | STP_OP_RESPONSE));
		if (r != SQNS_ERR_TIMEOUT)
			break;
	}
	sqns_priv(ctx)->tid++;
	sqns_priv(ctx)->closing = false;
}

/*
 * A modem stuck in an old session (its host vanished mid-transfer) answers an
 * opening RESET; it leaves STP only on the closing form (sid 1, the next tid)
 * of an open session, so open an empty one and close it: the modem judges the
 * empty image incomplete and answers AT again.
 */
int sqns_stp_probe(struct sqns_ctx *ctx, uint32_t timeout_ms)
{
	struct stp_rsp rsp;
	uint8_t buf[STP_HDR_LEN];
	int r = sqns_drain(ctx, 0);
	if (r != SQNS_OK)
		return r;
	stp_encode(buf, STP_SIG_REQUEST, STP_OP_RESET, 0, 0, NULL, 0);
	emit_frame(ctx, SQNS_EV_STP_TX, buf);
	if ((r = sqns_tx(ctx, buf, sizeof buf)) != SQNS_OK)
		return r;
	r = read_response(ctx, &rsp, deadline_in(ctx, timeout_ms));
	if (r == SQNS_OK && rsp.h.op != (STP_OP_RESET | STP_OP_RESPONSE))
		r = SQNS_ERR_PROTOCOL;
	if (r != SQNS_OK)
		return r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED ? r : SQNS_ERR_NO_MODEM;
	sqns_priv(ctx)->tid = 1;
	r = simple_request(ctx, STP_OP_OPEN_SESSION, 1, NULL, 0, &rsp, timeout_ms);
	if (r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
		return r;
	close_session(ctx);
	return SQNS_OK;
}

static void emit_progress(struct sqns_ctx *ctx, uint32_t done, uint32_t total)
{
	struct sqns_event ev = {.type = SQNS_EV_PROGRESS, .done = done, .total = total};
	sqns_emit(ctx, &ev);
}

static int send_image(struct sqns_ctx *ctx, const struct sqns_image *img)
{
	uint32_t block = sqns_priv(ctx)->max_transfer - STP_HDR_LEN;
	if (block > STP_MAX_BLOCK)
		block = STP_MAX_BLOCK;
	uint32_t offset = 0;
	unsigned stuck = 0; /* blocks in a row the modem took nothing of */
	emit_progress(ctx, 0, img->size);
	while (offset < img->size) {
		if (sqns_aborted(ctx))
			return SQNS_ERR_ABORTED;
		uint32_t left = img->size - offset;
		uint16_t len = (uint16_t)(left < block ? left : block);
		if (img->read(img->ctx, offset, sqns_priv(ctx)->frame + STP_HDR_LEN, len) !=
		    SQNS_OK)
			return SQNS_ERR_IMAGE;
		uint16_t consumed;
		int r = send_block(ctx, len, &consumed);
		if (r != SQNS_OK)
			return r;
		if (consumed == 0 && ++stuck > SQNS_STP_RETRIES)
			return SQNS_ERR_PROTOCOL;
		if (consumed)
			stuck = 0;
		offset += consumed;
		emit_progress(ctx, offset, img->size);
	}
	return SQNS_OK;
}

int sqns_stp_send(struct sqns_ctx *ctx, const struct sqns_image *img)
{
	if (!img || !img->read)
		return SQNS_ERR_ARG;
	int r = sqns_drain(ctx, 0);
	if (r == SQNS_OK)
		r = open_session(ctx);
	if (r != SQNS_OK)
		return r;
	r = send_image(ctx, img);
	/* Interrupted or done, the session ends with a RESET the modem understands. */
	if (r == SQNS_OK || r == SQNS_ERR_ABORTED || r == SQNS_ERR_IMAGE)
		close_session(ctx);
	return r;
}
