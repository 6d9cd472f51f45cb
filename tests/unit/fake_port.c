/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_port.h"
#include "stp_frame.h"

static void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q) {
		fprintf(stderr, "fake_port: out of memory\n");
		abort();
	}
	return q;
}

struct fake_port *fp_new(uint32_t start, size_t max_chunk)
{
	struct fake_port *fp = calloc(1, sizeof *fp);
	if (!fp)
		abort();
	fp->now = start;
	fp->last_at = start;
	fp->max_chunk = max_chunk ? max_chunk : 1;
	return fp;
}

void fp_free(struct fake_port *fp)
{
	if (!fp)
		return;
	for (size_t i = 0; i < fp->n; i++)
		free(fp->steps[i].data);
	free(fp->steps);
	free(fp->rxq);
	free(fp->written);
	free(fp);
}

static void add_step(struct fake_port *fp, enum fp_kind kind, const void *data, size_t len,
		     uint32_t delay)
{
	if (fp->n == fp->cap) {
		fp->cap = fp->cap ? fp->cap * 2 : 64;
		fp->steps = xrealloc(fp->steps, fp->cap * sizeof *fp->steps);
	}
	struct fp_step *s = &fp->steps[fp->n++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->len = len;
	s->delay = delay;
	s->data = xrealloc(NULL, len);
	if (len)
		memcpy(s->data, data, len);
}

void fp_expect(struct fake_port *fp, const void *data, size_t len)
{
	assert_true(len > 0);
	add_step(fp, FP_WRITE, data, len, 0);
}

void fp_expect_str(struct fake_port *fp, const char *s)
{
	fp_expect(fp, s, strlen(s));
}

void fp_expect_cmd(struct fake_port *fp, const char *cmd)
{
	size_t n = strlen(cmd);
	char *line = xrealloc(NULL, n + 2);
	memcpy(line, cmd, n);
	memcpy(line + n, "\r\n", 2);
	fp_expect(fp, line, n + 2);
	free(line);
}

void fp_reply_after(struct fake_port *fp, uint32_t delay_ms, const void *data, size_t len)
{
	add_step(fp, FP_REPLY, data, len, delay_ms);
}

void fp_reply(struct fake_port *fp, const void *data, size_t len)
{
	fp_reply_after(fp, 0, data, len);
}

void fp_reply_str(struct fake_port *fp, const char *s)
{
	fp_reply_after(fp, 0, s, strlen(s));
}

void fp_reply_str_after(struct fake_port *fp, uint32_t delay_ms, const char *s)
{
	fp_reply_after(fp, delay_ms, s, strlen(s));
}

void fp_read_error(struct fake_port *fp)
{
	add_step(fp, FP_READ_ERROR, NULL, 0, 0);
}

void fp_write_error(struct fake_port *fp)
{
	add_step(fp, FP_WRITE_ERROR, NULL, 0, 0);
}

size_t fp_build_stp(uint8_t *out, uint32_t signature, uint8_t op, uint8_t sid, uint32_t tid,
		    const uint8_t *payload, uint16_t len)
{
	stp_encode(out, signature, op, sid, tid, payload, len);
	if (len)
		memcpy(out + STP_HDR_LEN, payload, len);
	return STP_HDR_LEN + (size_t)len;
}

void fp_expect_stp(struct fake_port *fp, uint8_t op, uint8_t sid, uint32_t tid,
		   const uint8_t *payload, uint16_t len)
{
	uint8_t *buf = xrealloc(NULL, STP_HDR_LEN + (size_t)len);
	size_t n = fp_build_stp(buf, STP_SIG_REQUEST, op, sid, tid, payload, len);
	fp_expect(fp, buf, n);
	free(buf);
}

void fp_reply_stp(struct fake_port *fp, uint8_t op, uint8_t sid, uint32_t tid,
		  const uint8_t *payload, uint16_t len)
{
	uint8_t *buf = xrealloc(NULL, STP_HDR_LEN + (size_t)len);
	size_t n = fp_build_stp(buf, STP_SIG_RESPONSE, op, sid, tid, payload, len);
	fp_reply(fp, buf, n);
	free(buf);
}

void fp_script_stp_session(struct fake_port *fp, const uint8_t *data, uint32_t size,
			   uint16_t max_transfer)
{
	static const uint8_t zeros[STP_MAX_BLOCK];
	uint32_t tid = 0;
	fp_expect_stp(fp, STP_OP_RESET, 0, tid, NULL, 0);
	fp_reply_stp(fp, STP_OP_RESET | STP_OP_RESPONSE, 0, tid, NULL, 0);
	tid++;
	const uint8_t open[4] = {1, 1, (uint8_t)(max_transfer >> 8), (uint8_t)max_transfer};
	fp_expect_stp(fp, STP_OP_OPEN_SESSION, 1, tid, NULL, 0);
	fp_reply_stp(fp, STP_OP_OPEN_SESSION | STP_OP_RESPONSE, 1, tid, open, 4);
	tid++;
	uint32_t block = max_transfer - STP_HDR_LEN;
	if (block > STP_MAX_BLOCK)
		block = STP_MAX_BLOCK;
	for (uint32_t off = 0; off < size; off += block) {
		uint16_t len = (uint16_t)(size - off < block ? size - off : block);
		uint8_t a[2];
		stp_put16(a, len);
		fp_expect_stp(fp, STP_OP_TRANSFER_BLOCK_CMD, 1, tid, a, 2);
		fp_reply_stp(fp, STP_OP_TRANSFER_BLOCK_CMD | STP_OP_RESPONSE, 1, tid, NULL, 0);
		tid++;
		fp_expect_stp(fp, STP_OP_TRANSFER_BLOCK, 1, tid, data ? data + off : zeros, len);
		const uint8_t residue[2] = {0, 0};
		fp_reply_stp(fp, STP_OP_TRANSFER_BLOCK | STP_OP_RESPONSE, 1, tid, residue, 2);
		tid++;
	}
	fp_expect_stp(fp, STP_OP_RESET, 1, tid, NULL, 0);
	fp_reply_stp(fp, STP_OP_RESET | STP_OP_RESPONSE, 1, tid, NULL, 0);
}

/* Release every reply that the script has reached (all writes before it done). */
static void release(struct fake_port *fp)
{
	while (fp->cur < fp->n &&
	       (fp->steps[fp->cur].kind == FP_REPLY || fp->steps[fp->cur].kind == FP_READ_ERROR)) {
		struct fp_step *s = &fp->steps[fp->cur];
		uint32_t base = (int32_t)(fp->last_at - fp->now) > 0 ? fp->last_at : fp->now;
		s->at = base + s->delay;
		fp->last_at = s->at;
		if (fp->nrx == fp->rxcap) {
			fp->rxcap = fp->rxcap ? fp->rxcap * 2 : 64;
			fp->rxq = xrealloc(fp->rxq, fp->rxcap * sizeof *fp->rxq);
		}
		fp->rxq[fp->nrx++] = fp->cur;
		fp->cur++;
	}
}

/* Printable rendering of bytes for failure messages. */
static void render(char *out, size_t outlen, const uint8_t *p, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 8 < outlen; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	out[o < outlen ? o : outlen - 1] = '\0';
}

static int fp_write(void *port, const uint8_t *buf, size_t len)
{
	struct fake_port *fp = port;
	fp->writes++;
	fp->idle_polls = 0;
	if (fp->wlen + len > fp->wcap) {
		fp->wcap = (fp->wlen + len) * 2 + 256;
		fp->written = xrealloc(fp->written, fp->wcap);
	}
	if (len)
		memcpy(fp->written + fp->wlen, buf, len);
	fp->wlen += len;

	release(fp);
	if (fp->cur < fp->n && fp->steps[fp->cur].kind == FP_WRITE_ERROR) {
		fp->cur++;
		release(fp);
		return SQNS_ERR_IO;
	}
	for (size_t i = 0; i < len; i++) {
		release(fp);
		char got[512];
		if (fp->cur >= fp->n && fp->sink)
			break;
		if (fp->cur >= fp->n) {
			render(got, sizeof got, buf, len);
			print_error("fake_port: write of %zu bytes past the end of the script "
				    "(byte %zu): \"%s\"\n",
				    len, i, got);
			fail();
		}
		struct fp_step *s = &fp->steps[fp->cur];
		if (s->kind != FP_WRITE) {
			render(got, sizeof got, buf, len);
			print_error("fake_port: unexpected write at step %zu (kind %d): \"%s\"\n",
				    fp->cur, (int)s->kind, got);
			fail();
		}
		if (buf[i] != s->data[s->pos]) {
			char want[512];
			render(want, sizeof want, s->data, s->len);
			render(got, sizeof got, buf, len);
			print_error("fake_port: step %zu byte %zu: wrote 0x%02x, expected 0x%02x\n"
				    "  expected step: \"%s\"\n  this write:    \"%s\"\n",
				    fp->cur, s->pos, buf[i], s->data[s->pos], want, got);
			fail();
		}
		if (++s->pos == s->len) {
			s->done_at = fp->now;
			fp->cur++;
		}
	}
	release(fp);
	return SQNS_OK;
}

static bool rx_done(const struct fake_port *fp, size_t q)
{
	const struct fp_step *s = &fp->steps[fp->rxq[q]];
	return s->kind == FP_REPLY && s->pos == s->len;
}

static int fp_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct fake_port *fp = port;
	fp->reads++;
	release(fp);
	while (fp->rxhead < fp->nrx && rx_done(fp, fp->rxhead))
		fp->rxhead++;
	if (fp->rxhead == fp->nrx ||
	    (int32_t)(fp->steps[fp->rxq[fp->rxhead]].at - fp->now) > (int32_t)timeout_ms) {
		fp->now += timeout_ms;
		/*
		 * A core that polls with timeout 0 over and over spins the CPU on a
		 * real port; on the virtual clock it would hang the test.
		 */
		if (timeout_ms == 0 && ++fp->idle_polls > 100000) {
			print_error("fake_port: %zu reads in a row with timeout 0 and nothing to "
				    "read: the core busy-polls\n",
				    fp->idle_polls);
			fail();
		}
		if (timeout_ms)
			fp->idle_polls = 0;
		return 0;
	}
	fp->idle_polls = 0;
	struct fp_step *s = &fp->steps[fp->rxq[fp->rxhead]];
	if ((int32_t)(s->at - fp->now) > 0)
		fp->now = s->at;
	if (s->kind == FP_READ_ERROR) {
		s->kind = FP_REPLY; /* consumed: an empty reply */
		s->pos = s->len = 0;
		fp->rxhead++;
		return SQNS_ERR_IO;
	}
	size_t limit = len < fp->max_chunk ? len : fp->max_chunk;
	size_t n = 0;
	while (n < limit && fp->rxhead < fp->nrx) {
		s = &fp->steps[fp->rxq[fp->rxhead]];
		if (s->kind != FP_REPLY || (int32_t)(s->at - fp->now) > 0)
			break;
		size_t take = s->len - s->pos;
		if (take > limit - n)
			take = limit - n;
		memcpy(buf + n, s->data + s->pos, take);
		s->pos += take;
		n += take;
		if (s->pos == s->len)
			fp->rxhead++;
	}
	return (int)n;
}

static int fp_set_rate(void *port, uint32_t baud)
{
	struct fake_port *fp = port;
	if (fp->nrates < sizeof fp->rates / sizeof fp->rates[0])
		fp->rates[fp->nrates++] = baud;
	return fp->set_rate_result;
}

static uint32_t fp_now(void *port)
{
	struct fake_port *fp = port;
	fp->now_calls++;
	fp->now += fp->now_step;
	return fp->now;
}

const struct sqns_port_ops fake_port_ops = {
    .read = fp_read,
    .write = fp_write,
    .set_rate = fp_set_rate,
    .now_ms = fp_now,
};

size_t fp_next_step(const struct fake_port *fp)
{
	return fp->n;
}

size_t fp_steps_left(const struct fake_port *fp)
{
	return fp->n - fp->cur;
}

void fp_assert_done(struct fake_port *fp, bool all_read)
{
	release(fp);
	if (fp->cur != fp->n) {
		const struct fp_step *s = &fp->steps[fp->cur];
		char want[512];
		render(want, sizeof want, s->data, s->len);
		print_error("fake_port: script not finished: step %zu of %zu (kind %d, %zu/%zu "
			    "bytes): \"%s\"\n",
			    fp->cur, fp->n, (int)s->kind, s->pos, s->len, want);
		fail();
	}
	if (all_read) {
		for (size_t q = 0; q < fp->nrx; q++) {
			if (!rx_done(fp, q)) {
				const struct fp_step *s = &fp->steps[fp->rxq[q]];
				print_error("fake_port: reply at step %zu left unread (%zu/%zu)\n",
					    fp->rxq[q], s->pos, s->len);
				fail();
			}
		}
	}
}

void fp_config(struct sqns_config *cfg, struct fake_port *fp, struct ev_log *log)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->ops = &fake_port_ops;
	cfg->port = fp;
	cfg->on_event = log ? ev_log_record : NULL;
	cfg->user = log;
	cfg->timeouts.at_ms = 1000;
	cfg->timeouts.detect_ms = 3000;
	cfg->timeouts.wake_ms = 10000;
	cfg->timeouts.stp_ms = 300;
	cfg->timeouts.apply_ms = 10000;
}

/* ---- events ---- */

void ev_log_init(struct ev_log *log)
{
	memset(log, 0, sizeof *log);
}

void ev_log_free(struct ev_log *log)
{
	free(log->recs);
	memset(log, 0, sizeof *log);
}

void ev_log_record(void *user, const struct sqns_event *ev)
{
	struct ev_log *log = user;
	if (log->n == log->cap) {
		log->cap = log->cap ? log->cap * 2 : 64;
		log->recs = xrealloc(log->recs, log->cap * sizeof *log->recs);
	}
	struct ev_rec *r = &log->recs[log->n++];
	r->ev = *ev;
	r->text[0] = '\0';
	if (ev->text) {
		size_t n = ev->len < sizeof r->text - 1 ? ev->len : sizeof r->text - 1;
		memcpy(r->text, ev->text, n);
		r->text[n] = '\0';
	}
	r->ev.text = NULL;
}

size_t ev_log_count(const struct ev_log *log, enum sqns_event_type type)
{
	size_t n = 0;
	for (size_t i = 0; i < log->n; i++)
		if (log->recs[i].ev.type == type)
			n++;
	return n;
}

/* ---- image ---- */

static int mem_image_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	struct mem_image *mi = ctx;
	mi->reads++;
	if (mi->fail_at_read > 0 && mi->reads == (size_t)mi->fail_at_read)
		return SQNS_ERR_IMAGE;
	/* The core must never read outside the image. */
	assert_true((uint64_t)offset + len <= mi->size);
	if (mi->data)
		memcpy(buf, mi->data + offset, len);
	else
		memset(buf, 0, len);
	return SQNS_OK;
}

void mem_image_init(struct sqns_image *img, struct mem_image *mi, const uint8_t *data,
		    uint32_t size)
{
	memset(mi, 0, sizeof *mi);
	mi->data = data;
	mi->size = size;
	*img = (struct sqns_image){.size = size, .read = mem_image_read, .ctx = mi};
}

void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 12345u;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
}

void fp_fixture_open(struct fake_port **fp, struct ev_log *log, struct sqns_config *cfg,
		     uint32_t start, size_t chunk)
{
	*fp = fp_new(start, chunk);
	ev_log_init(log);
	fp_config(cfg, *fp, log);
}

void fp_fixture_close(struct fake_port *fp, struct ev_log *log)
{
	fp_free(fp);
	ev_log_free(log);
}
