/* SPDX-License-Identifier: MIT */
#include "stp_slave.h"

#include <string.h>

void stp_slave_init(struct stp_slave *s, const struct stp_slave_ops *ops, void *ctx,
		    unsigned max_transfer)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->max_transfer = max_transfer;
	s->step = STP_RX_SIG;
	s->sess = STP_S_IDLE;
}

void stp_slave_resume(struct stp_slave *s, const struct stp_slave_ops *ops, void *ctx,
		      unsigned max_transfer, uint32_t next_tid)
{
	stp_slave_init(s, ops, ctx, max_transfer);
	s->sess = STP_S_OPEN;
	s->next_tid = next_tid;
	s->data_seen = true;
}

uint32_t stp_slave_next_tid(const struct stp_slave *s)
{
	return s->next_tid;
}

uint16_t stp_slave_block_limit(const struct stp_slave *s)
{
	unsigned limit = s->max_transfer > STP_HDR_LEN ? s->max_transfer - STP_HDR_LEN : 0;

	return (uint16_t)(limit < STP_MAX_BLOCK ? limit : STP_MAX_BLOCK);
}

static void reject(struct stp_slave *s, const char *reason, unsigned long detail)
{
	s->ops->reject(s->ctx, reason, detail);
}

/* The payload a request may carry at most, by op; 0 for an unknown op. */
static size_t payload_limit(const struct stp_slave *s, uint8_t op)
{
	switch (op) {
	case STP_OP_RESET:
	case STP_OP_OPEN_SESSION:
		return 0;
	case STP_OP_TRANSFER_BLOCK_CMD:
		return 2;
	case STP_OP_TRANSFER_BLOCK:
		return stp_slave_block_limit(s);
	default:
		return 0;
	}
}

/* ---- answers ---- */

static void respond(struct stp_slave *s, const uint8_t *payload, uint16_t len)
{
	uint8_t *r = s->last_resp;

	stp_encode(r, STP_SIG_RESPONSE, (uint8_t)(s->h.op | STP_OP_RESPONSE), s->h.sid, s->h.tid,
		   payload, len);
	if (s->h.op == STP_OP_RESET)
		memset(r + 12, 0, 4); /* the real modem leaves both CRCs zero */
	if (len)
		memcpy(r + STP_HDR_LEN, payload, len);
	s->last_resp_len = STP_HDR_LEN + len;
	memcpy(s->last_req, s->hdr, STP_HDR_LEN);
	s->have_last = true;
	s->ops->send(s->ctx, r, s->last_resp_len);
}

static bool is_repeat(const struct stp_slave *s)
{
	return s->have_last && memcmp(s->last_req, s->hdr, STP_HDR_LEN) == 0;
}

/* ---- requests, once a frame passed its CRCs ---- */

static void do_reset(struct stp_slave *s)
{
	const struct stp_header *h = &s->h;
	bool opening = h->sid == 0 && h->tid == 0;
	bool closing = h->sid == 1 && s->sess >= STP_S_OPEN && h->tid == s->next_tid;

	if (!opening && !closing) {
		if (h->sid > 1)
			reject(s, "sid", h->sid);
		else if (h->sid == 1 && s->sess < STP_S_OPEN)
			reject(s, "sequence", h->tid);
		else
			reject(s, "tid", h->tid);
		return;
	}
	respond(s, NULL, 0);
	if (closing) {
		/* The episode ends, whatever the session carried (maybe nothing). */
		s->closed = true;
		s->ops->closed(s->ctx);
		return;
	}
	/* RESET(0, 0): a new session; the port keeps speaking STP. */
	if (s->data_seen) {
		s->data_seen = false;
		s->ops->restarted(s->ctx);
	}
	s->sess = STP_S_RESET;
	s->next_tid = 1;
	s->block_len = 0;
}

static void do_open(struct stp_slave *s)
{
	uint8_t p[4];

	if (s->sess != STP_S_RESET) {
		reject(s, "sequence", s->h.tid);
		return;
	}
	if (s->h.sid != 1 || s->h.tid != 1) {
		reject(s, s->h.sid != 1 ? "sid" : "tid", s->h.tid);
		return;
	}
	p[0] = 1; /* ok */
	p[1] = 1; /* version */
	stp_put16(p + 2, (uint16_t)s->max_transfer);
	respond(s, p, 4);
	s->sess = STP_S_OPEN;
	s->next_tid = 2;
	s->ops->opened(s->ctx, s->max_transfer);
}

/* Session state, sid and tid of a request inside an open session. */
static bool in_session(struct stp_slave *s, enum stp_sess want)
{
	if (s->sess != want) {
		reject(s, "sequence", s->h.tid);
		return false;
	}
	if (s->h.sid != 1) {
		reject(s, "sid", s->h.sid);
		return false;
	}
	if (s->h.tid != s->next_tid) {
		reject(s, "tid", s->h.tid);
		return false;
	}
	return true;
}

static void do_block_cmd(struct stp_slave *s)
{
	uint16_t n;

	if (!in_session(s, STP_S_OPEN))
		return;
	if (s->h.length != 2) {
		reject(s, "length", s->h.length);
		return;
	}
	n = stp_get16(s->payload);
	if (n == 0 || n > stp_slave_block_limit(s)) {
		reject(s, "block_length", n);
		return;
	}
	respond(s, NULL, 0);
	s->block_len = n;
	s->sess = STP_S_CMD;
	s->next_tid++;
}

static void do_block(struct stp_slave *s)
{
	uint8_t p[2];
	uint16_t residue;

	if (!in_session(s, STP_S_CMD))
		return;
	if (s->h.length != s->block_len) {
		reject(s, "length", s->h.length);
		return;
	}
	residue = s->ops->block(s->ctx, s->payload, s->h.length);
	stp_put16(p, residue);
	respond(s, p, 2);
	s->data_seen = true;
	s->sess = STP_S_OPEN;
	s->next_tid++;
}

static void dispatch(struct stp_slave *s)
{
	if (is_repeat(s)) {
		s->ops->repeat(s->ctx, s->h.op, s->h.tid);
		s->ops->send(s->ctx, s->last_resp, s->last_resp_len);
		return;
	}
	switch (s->h.op) {
	case STP_OP_RESET:
		do_reset(s);
		break;
	case STP_OP_OPEN_SESSION:
		do_open(s);
		break;
	case STP_OP_TRANSFER_BLOCK_CMD:
		do_block_cmd(s);
		break;
	case STP_OP_TRANSFER_BLOCK:
		do_block(s);
		break;
	}
}

/* ---- receiver ---- */

static void frame_done(struct stp_slave *s)
{
	s->step = STP_RX_SIG;
	s->sig = 0;
	if (!stp_payload_crc_ok(&s->h, s->payload, false)) {
		reject(s, "payload_crc", s->h.tid);
		return;
	}
	if (s->ops->accept && !s->ops->accept(s->ctx, &s->h))
		return;
	dispatch(s);
}

/*
 * A header that fails is resynchronised on: its bytes after the signature are
 * scanned again. They are fewer than a header, so this cannot recurse further.
 */
static void rescan_header(struct stp_slave *s)
{
	uint8_t tail[STP_HDR_LEN - 4];

	memcpy(tail, s->hdr + 4, sizeof(tail));
	s->step = STP_RX_SIG;
	s->sig = 0;
	stp_slave_feed(s, tail, sizeof(tail));
}

static void header_done(struct stp_slave *s)
{
	stp_decode(s->hdr, &s->h);
	if (!stp_header_crc_ok(s->hdr, false)) {
		reject(s, "header_crc", stp_get16(s->hdr + 12));
		rescan_header(s);
		return;
	}
	s->got = 0;
	if (s->h.op > STP_OP_TRANSFER_BLOCK || s->h.length > payload_limit(s, s->h.op)) {
		reject(s, s->h.op > STP_OP_TRANSFER_BLOCK ? "op" : "length",
		       s->h.op > STP_OP_TRANSFER_BLOCK ? s->h.op : s->h.length);
		s->skip_left = s->h.length;
		s->step = s->skip_left ? STP_RX_SKIP : STP_RX_SIG;
		s->sig = 0;
		return;
	}
	s->step = STP_RX_PAYLOAD;
	if (s->h.length == 0)
		frame_done(s);
}

static void rx_sig(struct stp_slave *s, uint8_t b)
{
	s->sig = (s->sig << 8) | b;
	s->junk++;
	if (s->sig != STP_SIG_REQUEST)
		return;
	if (s->junk > 4)
		reject(s, "junk", s->junk - 4);
	s->junk = 0;
	stp_put32(s->hdr, STP_SIG_REQUEST);
	s->got = 4;
	s->step = STP_RX_HDR;
}

static size_t rx_hdr(struct stp_slave *s, const uint8_t *data, size_t len)
{
	size_t n = STP_HDR_LEN - s->got;

	if (n > len)
		n = len;
	memcpy(s->hdr + s->got, data, n);
	s->got += n;
	if (s->got == STP_HDR_LEN)
		header_done(s);
	return n;
}

static size_t rx_payload(struct stp_slave *s, const uint8_t *data, size_t len)
{
	size_t n = s->h.length - s->got;

	if (n > len)
		n = len;
	memcpy(s->payload + s->got, data, n);
	s->got += n;
	if (s->got == s->h.length)
		frame_done(s);
	return n;
}

static size_t rx_skip(struct stp_slave *s, size_t len)
{
	size_t n = s->skip_left < len ? s->skip_left : len;

	s->skip_left -= n;
	if (s->skip_left == 0)
		s->step = STP_RX_SIG;
	return n;
}

size_t stp_slave_feed(struct stp_slave *s, const uint8_t *data, size_t len)
{
	size_t used = 0;

	while (used < len && !s->closed) {
		switch (s->step) {
		case STP_RX_SIG:
			rx_sig(s, data[used++]);
			break;
		case STP_RX_HDR:
			used += rx_hdr(s, data + used, len - used);
			break;
		case STP_RX_PAYLOAD:
			used += rx_payload(s, data + used, len - used);
			break;
		case STP_RX_SKIP:
			used += rx_skip(s, len - used);
			break;
		}
	}
	return used;
}
