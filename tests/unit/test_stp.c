/* SPDX-License-Identifier: MIT */
/* The STP master (docs/protocol.md section 4) against a scripted modem. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fake_port.h"
#include "internal.h"
#include "stp_frame.h"

#define IMG_MAX 20000u

struct fix {
	struct fake_port *fp;
	struct ev_log log;
	struct sqns_ctx ctx;
	struct sqns_config cfg;
	uint8_t data[IMG_MAX];
	struct mem_image mi;
	struct sqns_image img;
	unsigned abort_after; /* should_abort answers true from this call on (0: never) */
	unsigned abort_calls;
	bool abort_on_progress; /* true once a PROGRESS event with done > 0 was seen */
	bool abort_on_block;	/* true once a TRANSFER_BLOCK went out */
};

static bool fix_should_abort(void *user)
{
	struct ev_log *log = user;
	struct fix *f = (struct fix *)((char *)log - offsetof(struct fix, log));
	f->abort_calls++;
	for (size_t i = 0; i < log->n; i++) {
		const struct sqns_event *ev = &log->recs[i].ev;
		if (f->abort_on_progress && ev->type == SQNS_EV_PROGRESS && ev->done > 0)
			return true;
		if (f->abort_on_block && ev->type == SQNS_EV_STP_TX &&
		    ev->frame.op == STP_OP_TRANSFER_BLOCK)
			return true;
	}
	return f->abort_after && f->abort_calls >= f->abort_after;
}

static int setup_chunk(void **state, size_t chunk, uint32_t start)
{
	struct fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	fp_fixture_open(&f->fp, &f->log, &f->cfg, start, chunk);
	f->cfg.should_abort = fix_should_abort;
	assert_int_equal(sqns_init(&f->ctx, &f->cfg), SQNS_OK);
	fill_pattern(f->data, sizeof f->data, 42);
	*state = f;
	return 0;
}

static int setup1(void **state)
{
	return setup_chunk(state, 1, 1000);
}

static int setup7(void **state)
{
	return setup_chunk(state, 7, 1000);
}

static int setup_big(void **state)
{
	return setup_chunk(state, 65536, 1000);
}

static int setup_wrap(void **state)
{
	return setup_chunk(state, 5, UINT32_MAX - 100u);
}

static int teardown(void **state)
{
	struct fix *f = *state;
	fp_fixture_close(f->fp, &f->log);
	free(f);
	return 0;
}

static void set_image(struct fix *f, uint32_t size)
{
	assert_true(size <= IMG_MAX);
	mem_image_init(&f->img, &f->mi, f->data, size);
}

/* ---- the scripted modem ---- */

static void script_reset(struct fake_port *fp)
{
	fp_expect_stp(fp, STP_OP_RESET, 0, 0, NULL, 0);
	fp_reply_stp(fp, 0x80, 0, 0, NULL, 0);
}

static void script_open(struct fake_port *fp, uint16_t max_transfer)
{
	script_reset(fp);
	fp_expect_stp(fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	uint8_t p[4] = {1, 1, (uint8_t)(max_transfer >> 8), (uint8_t)max_transfer};
	fp_reply_stp(fp, 0x81, 1, 1, p, 4);
}

static void expect_cmd(struct fake_port *fp, uint32_t tid, uint16_t len)
{
	uint8_t a[2];
	stp_put16(a, len);
	fp_expect_stp(fp, STP_OP_TRANSFER_BLOCK_CMD, 1, tid, a, 2);
}

static void reply_cmd(struct fake_port *fp, uint32_t tid)
{
	fp_reply_stp(fp, 0x82, 1, tid, NULL, 0);
}

static void reply_residue(struct fake_port *fp, uint32_t tid, uint16_t residue)
{
	uint8_t r[2];
	stp_put16(r, residue);
	fp_reply_stp(fp, 0x83, 1, tid, r, 2);
}

/* TRANSFER_BLOCK_CMD (tid) and TRANSFER_BLOCK (tid + 1) of data[off, off + len). */
static void script_block(struct fix *f, uint32_t tid, uint32_t off, uint16_t len, uint16_t residue)
{
	expect_cmd(f->fp, tid, len);
	reply_cmd(f->fp, tid);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, tid + 1, f->data + off, len);
	reply_residue(f->fp, tid + 1, residue);
}

/* The closing RESET: answered, or sent a second time after 2 s of silence. */
static void script_close(struct fake_port *fp, uint32_t tid, bool answered)
{
	fp_expect_stp(fp, STP_OP_RESET, 1, tid, NULL, 0);
	if (answered)
		fp_reply_stp(fp, 0x80, 1, tid, NULL, 0);
	else
		fp_expect_stp(fp, STP_OP_RESET, 1, tid, NULL, 0);
}

/* ---- checks on the events ---- */

static void check_progress(const struct fix *f, const uint32_t *want, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type != SQNS_EV_PROGRESS)
			continue;
		assert_true(k < n);
		assert_int_equal(ev->done, want[k]);
		assert_int_equal(ev->total, f->img.size);
		if (k > 0)
			assert_true(ev->done >= want[k - 1]);
		k++;
	}
	assert_int_equal(k, n);
}

static void check_session_event(const struct fix *f, int version, uint32_t max)
{
	size_t seen = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type != SQNS_EV_SESSION)
			continue;
		assert_int_equal(ev->value, version);
		assert_int_equal(ev->total, max);
		seen++;
	}
	assert_int_equal(seen, 1);
}

static size_t count_retries(const struct fix *f, int err)
{
	size_t n = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_RETRY) {
			assert_int_equal(ev->err, err);
			n++;
		}
	}
	return n;
}

/* ---- whole sessions ---- */

static void test_session_5000_max8192(void **state)
{
	struct fix *f = *state;
	set_image(f, 5000);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 2016, 0);
	script_block(f, 4, 2016, 2016, 0);
	script_block(f, 6, 4032, 968, 0);
	script_close(f->fp, 8, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);

	/* The frames on the wire, one by one: what the script checked, summed up. */
	assert_int_equal(f->fp->wlen, 16 * 9 + 2 * 3 + 5000);
	assert_int_equal(sqns_priv(&f->ctx)->max_transfer, 8192);
	assert_int_equal(sqns_priv(&f->ctx)->tid, 9);
	check_session_event(f, 1, 8192);
	const uint32_t progress[] = {0, 2016, 4032, 5000};
	check_progress(f, progress, 4);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_RETRY), 0);

	/* STP_TX events name each request. */
	static const struct {
		uint8_t op, sid;
		uint16_t len;
	} tx[] = {{0, 0, 0},	{1, 1, 0}, {2, 1, 2},	{3, 1, 2016}, {2, 1, 2},
		  {3, 1, 2016}, {2, 1, 2}, {3, 1, 968}, {0, 1, 0}};
	size_t k = 0, rx = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_STP_RX)
			rx++;
		if (ev->type != SQNS_EV_STP_TX)
			continue;
		assert_true(k < 9);
		assert_int_equal(ev->frame.op, tx[k].op);
		assert_int_equal(ev->frame.sid, tx[k].sid);
		assert_int_equal(ev->frame.len, tx[k].len);
		assert_int_equal(ev->frame.tid, k);
		k++;
	}
	assert_int_equal(k, 9);
	assert_int_equal(rx, 9);
}

static void test_blocks_max2048(void **state)
{
	struct fix *f = *state;
	set_image(f, 4100);
	script_open(f->fp, 2048);
	script_block(f, 2, 0, 2016, 0);
	script_block(f, 4, 2016, 2016, 0);
	script_block(f, 6, 4032, 68, 0);
	script_close(f->fp, 8, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	check_session_event(f, 1, 2048);
}

static void test_blocks_max1024(void **state)
{
	struct fix *f = *state;
	set_image(f, 2500);
	script_open(f->fp, 1024);
	script_block(f, 2, 0, 1008, 0);
	script_block(f, 4, 1008, 1008, 0);
	script_block(f, 6, 2016, 484, 0);
	script_close(f->fp, 8, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	const uint32_t progress[] = {0, 1008, 2016, 2500};
	check_progress(f, progress, 4);
}

static void test_blocks_max2032_and_exact_multiple(void **state)
{
	struct fix *f = *state;
	/* 2032 - 16 = 2016 exactly; an image of two full blocks has no tail block. */
	set_image(f, 4032);
	script_open(f->fp, 2032);
	script_block(f, 2, 0, 2016, 0);
	script_block(f, 4, 2016, 2016, 0);
	script_close(f->fp, 6, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
}

static void test_blocks_tiny_max_transfer(void **state)
{
	struct fix *f = *state;
	set_image(f, 10);
	script_open(f->fp, 20); /* 4-byte blocks */
	script_block(f, 2, 0, 4, 0);
	script_block(f, 4, 4, 4, 0);
	script_block(f, 6, 8, 2, 0);
	script_close(f->fp, 8, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
}

static void test_one_byte_image(void **state)
{
	struct fix *f = *state;
	set_image(f, 1);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 1, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
}

/* ---- residue ---- */

static void test_residue_16_resent(void **state)
{
	struct fix *f = *state;
	set_image(f, 5000);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 2016, 16);    /* took [0, 2000) */
	script_block(f, 4, 2000, 2016, 0);  /* the 16 bytes again, first */
	script_block(f, 6, 4016, 984, 100); /* took [4016, 4900) */
	script_block(f, 8, 4900, 100, 0);
	script_close(f->fp, 10, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	const uint32_t progress[] = {0, 2000, 4016, 4900, 5000};
	check_progress(f, progress, 5);
}

static void test_residue_whole_block_then_progress(void **state)
{
	struct fix *f = *state;
	set_image(f, 3000);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 2016, 2016); /* took nothing */
	script_block(f, 4, 0, 2016, 2016);
	script_block(f, 6, 0, 2016, 0);
	script_block(f, 8, 2016, 984, 0);
	script_close(f->fp, 10, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	const uint32_t progress[] = {0, 0, 0, 2016, 3000};
	check_progress(f, progress, 5);
}

static void test_stuck_five_blocks_fails(void **state)
{
	struct fix *f = *state;
	set_image(f, 3000);
	script_open(f->fp, 8192);
	for (uint32_t i = 0; i < 5; i++)
		script_block(f, 2 + 2 * i, 0, 2016, 2016);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_PROTOCOL);
	fp_assert_done(f->fp, true);
}

static void test_residue_over_block_len_retried(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 101); /* more than was sent: nonsense */
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_PROTOCOL), 1);
	const uint32_t progress[] = {0, 100};
	check_progress(f, progress, 2);
}

/* ---- bad answers ---- */

static void test_bad_header_crc_retried_same_tid(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	/* The residue answer with a broken header CRC; its payload follows on the wire. */
	uint8_t bad[STP_HDR_LEN + 2];
	const uint8_t res[2] = {0, 0x10};
	fp_build_stp(bad, STP_SIG_RESPONSE, 0x83, 1, 3, res, 2);
	bad[13] ^= 0x40;
	fp_reply(f->fp, bad, sizeof bad);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_PROTOCOL), 1);
	const uint32_t progress[] = {0, 100};
	check_progress(f, progress, 2);
}

static void test_bad_payload_crc_retried(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_reset(f->fp);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	uint8_t bad[STP_HDR_LEN + 4];
	const uint8_t p[4] = {1, 1, 0x20, 0x00};
	fp_build_stp(bad, STP_SIG_RESPONSE, 0x81, 1, 1, p, 4);
	bad[STP_HDR_LEN + 2] = 0x08; /* max 2048 on the wire, CRC of 8192 */
	fp_reply(f->fp, bad, sizeof bad);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_reply_stp(f->fp, 0x81, 1, 1, p, 4);
	script_block(f, 2, 0, 100, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_PROTOCOL), 1);
	check_session_event(f, 1, 8192);
}

static void test_wrong_tid_op_sid_retried(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	fp_reply_stp(f->fp, 0x82, 1, 1, NULL, 0); /* wrong tid */
	expect_cmd(f->fp, 2, 100);
	fp_reply_stp(f->fp, 0x83, 1, 2, NULL, 0); /* wrong op */
	expect_cmd(f->fp, 2, 100);
	fp_reply_stp(f->fp, 0x82, 0, 2, NULL, 0); /* wrong sid */
	expect_cmd(f->fp, 2, 100);
	fp_reply_stp(f->fp, 0x02, 1, 2, NULL, 0); /* response bit missing */
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_PROTOCOL), 4);
}

/* An answer longer than any response payload (4 bytes) is refused, not stored. */
static void test_oversized_answer_retried(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	static const uint8_t big[64] = {0, 0, 0xaa, 0xbb};
	fp_reply_stp(f->fp, 0x83, 1, 3, big, sizeof big);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_PROTOCOL), 1);
}

static void test_missing_answer_retried(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	set_image(f, 100);
	fp_expect_stp(f->fp, STP_OP_RESET, 0, 0, NULL, 0); /* no answer */
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 100, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_TIMEOUT), 1);
	/* One stp_ms wait and a 50 ms resync; nothing else took time. */
	assert_int_equal(f->fp->now - start, f->cfg.timeouts.stp_ms + 50);
}

/* A flash erase: the block's answer comes 12.5 s late, with a TICK per second of it. */
static void test_slow_answer_ticks(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	f->ctx.cfg.timeouts.stp_ms = 90000; /* the default: a 12.5 s silence is no failure */
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	fp_reply_after(f->fp, 12500, NULL, 0);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_TIMEOUT), 0);
	/* Ticks 1..12 come after the block went out and before its progress. */
	int want = 1;
	bool block_sent = false;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_STP_TX && ev->frame.op == STP_OP_TRANSFER_BLOCK)
			block_sent = true;
		if (ev->type == SQNS_EV_TICK) {
			assert_true(block_sent);
			assert_int_equal(ev->phase, SQNS_PHASE_STP_WAIT);
			assert_int_equal(ev->value, want);
			want++;
		}
		if (ev->type == SQNS_EV_PROGRESS && ev->done == 100)
			assert_int_equal(want, 13);
	}
	assert_int_equal(want, 13);
	/* The ticks cost no time of their own. */
	assert_int_equal(f->fp->now - start, 12500);
}

static void test_five_bad_answers_protocol(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_reset(f->fp);
	for (int i = 0; i < 5; i++) {
		fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
		fp_reply_stp(f->fp, 0x81, 1, 7, (const uint8_t *)"\x01\x01\x20\x00", 4);
	}
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_PROTOCOL);
	fp_assert_done(f->fp, true);
	/* Four retries, numbered. */
	int want = 1;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_RETRY) {
			assert_int_equal(ev->value, want);
			assert_int_equal(ev->err, SQNS_ERR_PROTOCOL);
			want++;
		}
	}
	assert_int_equal(want, 5);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_PROGRESS), 0);
}

static void test_five_missing_answers_timeout(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	set_image(f, 100);
	script_open(f->fp, 8192);
	for (int i = 0; i < 5; i++)
		expect_cmd(f->fp, 2, 100);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_TIMEOUT);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_TIMEOUT), 4);
	assert_int_equal(f->fp->now - start, 5 * f->cfg.timeouts.stp_ms + 4 * 50);
}

static void test_late_duplicate_answer_recovers(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	/* The CMD answer comes after the retry was sent, then again for the retry. */
	expect_cmd(f->fp, 2, 100);
	fp_reply_after(f->fp, f->cfg.timeouts.stp_ms + 60, NULL, 0);
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	reply_cmd(f->fp, 2);
	/* The stale duplicate is read first as the BLOCK's answer: one more retry. */
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 0);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_RETRY), 2);
}

static void test_zero_crc_responses_accepted(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	uint8_t rsp[STP_HDR_LEN + 4];
	fp_expect_stp(f->fp, STP_OP_RESET, 0, 0, NULL, 0);
	fp_reply(f->fp, "tsaf\x80\0\0\0\0\0\0\0\0\0\0\0", 16);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_build_stp(rsp, STP_SIG_RESPONSE, 0x81, 1, 1, (const uint8_t *)"\x01\x02\x20\x00", 4);
	memset(rsp + 12, 0, 4);
	fp_reply(f->fp, rsp, 20);
	expect_cmd(f->fp, 2, 100);
	fp_build_stp(rsp, STP_SIG_RESPONSE, 0x82, 1, 2, NULL, 0);
	memset(rsp + 12, 0, 4);
	fp_reply(f->fp, rsp, 16);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	fp_build_stp(rsp, STP_SIG_RESPONSE, 0x83, 1, 3, (const uint8_t *)"\x00\x05", 2);
	memset(rsp + 12, 0, 4);
	fp_reply(f->fp, rsp, 18);
	script_block(f, 4, 95, 5, 0);
	fp_expect_stp(f->fp, STP_OP_RESET, 1, 6, NULL, 0);
	fp_reply(f->fp, "tsaf\x80\x01\0\0\0\0\0\x06\0\0\0\0", 16);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_RETRY), 0);
	check_session_event(f, 2, 8192);
}

static void test_garbage_before_signature_skipped(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	static const char junk[] = "\r\nOK\r\n\x00\xfft\x74sa\x74s\x74sa";
	uint8_t rsp[STP_HDR_LEN + 4];
	size_t n;
	fp_reply(f->fp, "\r\nOK\r\n", 6); /* left over from AT+SMSTPU: drained */
	fp_expect_stp(f->fp, STP_OP_RESET, 0, 0, NULL, 0);
	fp_reply(f->fp, junk, sizeof junk - 1);
	fp_reply_stp(f->fp, 0x80, 0, 0, NULL, 0);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_reply(f->fp, "tsa", 3);
	n = fp_build_stp(rsp, STP_SIG_RESPONSE, 0x81, 1, 1, (const uint8_t *)"\x01\x01\x20\x00", 4);
	fp_reply(f->fp, rsp, n);
	expect_cmd(f->fp, 2, 100);
	fp_reply(f->fp, "\xfe\xfe\xfe", 3);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	fp_reply(f->fp, "fast", 4);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_RETRY), 0);
}

static void test_close_never_answered_ok(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 100, 0);
	script_close(f->fp, 4, false);
	uint32_t start = f->fp->now;
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	/* The closing RESET goes twice at most, each waiting two seconds. */
	assert_true(f->fp->now - start <= 4000);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_RETRY), 0);
	assert_int_equal(sqns_priv(&f->ctx)->tid, 5);
}

/* A late duplicate of the last block's answer comes before the RESET's own: both are read. */
static void test_close_skips_a_stale_answer(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 100, 0);
	fp_expect_stp(f->fp, STP_OP_RESET, 1, 4, NULL, 0);
	reply_residue(f->fp, 3, 0);
	fp_reply_stp(f->fp, 0x80, 1, 4, NULL, 0);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true); /* the RESET's answer was waited for, and one RESET sent */
}

static void test_close_answered_wrong_ok(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 100, 0);
	script_close(f->fp, 4, false);
	fp_reply(f->fp, "tsaf\xff\xff\xff", 7);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
}

/* ---- session refused, image, abort, I/O ---- */

static void test_open_session_refused(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_reset(f->fp);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_reply_stp(f->fp, 0x81, 1, 1, (const uint8_t *)"\x00\x01\x20\x00", 4);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_PROTOCOL);
	fp_assert_done(f->fp, true);

	/* max transfer 16: no room for a payload */
	script_reset(f->fp);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_reply_stp(f->fp, 0x81, 1, 1, (const uint8_t *)"\x01\x01\x00\x10", 4);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_PROTOCOL);
	fp_assert_done(f->fp, true);

	/* an OPEN_SESSION answer without its payload is retried like a bad one */
	script_reset(f->fp);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_reply_stp(f->fp, 0x81, 1, 1, NULL, 0);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_reply_stp(f->fp, 0x81, 1, 1, (const uint8_t *)"\x01\x01\x20\x00", 4);
	script_block(f, 2, 0, 100, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
}

static void test_image_read_error(void **state)
{
	struct fix *f = *state;
	set_image(f, 5000);
	f->mi.fail_at_read = 2;
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 2016, 0);
	script_close(f->fp, 4, true); /* the session is closed cleanly */
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_IMAGE);
	fp_assert_done(f->fp, true);

	struct sqns_image none = {.size = 10};
	assert_int_equal(sqns_stp_send(&f->ctx, &none), SQNS_ERR_ARG);
	assert_int_equal(sqns_stp_send(&f->ctx, NULL), SQNS_ERR_ARG);
}

static void test_abort_between_blocks(void **state)
{
	struct fix *f = *state;
	set_image(f, 5000);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 2016, 0);
	/* The session still ends with the closing RESET, answered or not. */
	script_close(f->fp, 4, false);
	/* Stop as soon as the first block's progress is reported: no more blocks. */
	f->abort_on_progress = true;
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_ABORTED);
	fp_assert_done(f->fp, true);
}

static void test_abort_during_wait(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	f->cfg.timeouts.stp_ms = 90000;
	assert_int_equal(sqns_init(&f->ctx, &f->cfg), SQNS_OK);
	/* The modem never answers the RESET; the stop request is honoured within a second. */
	fp_expect_stp(f->fp, STP_OP_RESET, 0, 0, NULL, 0);
	f->abort_after = 4;
	uint32_t start = f->fp->now;
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_ABORTED);
	assert_true(f->fp->now - start <= 3000);
	fp_assert_done(f->fp, true);
}

/*
 * Stopped while the modem holds a block's answer: the block went out, so the
 * closing RESET carries the tid after it (the modem refuses any other and
 * would stay in STP, never judging the image).
 */
static void test_abort_while_a_block_is_answered(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	f->ctx.cfg.timeouts.stp_ms = 90000;
	f->abort_on_block = true;
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	fp_reply_after(f->fp, 1500, NULL, 0);
	reply_residue(f->fp, 3, 0); /* the answer comes after the stop: skipped by the close */
	fp_expect_stp(f->fp, STP_OP_RESET, 1, 4, NULL, 0);
	fp_reply_stp(f->fp, 0x80, 1, 4, NULL, 0);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_ABORTED);
	fp_assert_done(f->fp, true);
}

static void test_io_errors(void **state)
{
	struct fix *f = *state;
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	fp_read_error(f->fp);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_IO);
	fp_assert_done(f->fp, true);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_RETRY), 0);

	script_reset(f->fp);
	fp_write_error(f->fp);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_IO);
	fp_assert_done(f->fp, true);
}

static void test_second_session_restarts_tids(void **state)
{
	struct fix *f = *state;
	set_image(f, 50);
	script_open(f->fp, 8192);
	script_block(f, 2, 0, 50, 0);
	script_close(f->fp, 4, true);
	script_open(f->fp, 2048);
	script_block(f, 2, 0, 50, 0);
	script_close(f->fp, 4, false);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
}

#define T1(fn) cmocka_unit_test_setup_teardown(fn, setup1, teardown)
#define T7(fn) cmocka_unit_test_setup_teardown(fn, setup7, teardown)
#define TB(fn) cmocka_unit_test_setup_teardown(fn, setup_big, teardown)
/*
 * The rest of a 100-byte session after one garbled answer: the block (tid 3)
 * answered, the close; one retry, and from `start` only 100 ms of quiet after
 * the broken answer and 50 ms of resync went by.
 */
static void finish_after_one_garbled_answer(struct fix *f, uint32_t start)
{
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	reply_residue(f->fp, 3, 0);
	script_close(f->fp, 4, true);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_OK);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_PROTOCOL), 1);
	assert_int_equal(f->fp->now - start, 150);
}

/*
 * A corrupted signature byte: the answer's bytes arrive but make no frame.
 * The request goes again after a short quiet spell, not after stp_ms (90 s).
 */
static void test_garbled_signature_retried_at_once(void **state)
{
	struct fix *f = *state;
	f->ctx.cfg.timeouts.stp_ms = 90000;
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	fp_expect_stp(f->fp, STP_OP_TRANSFER_BLOCK, 1, 3, f->data, 100);
	uint8_t bad[STP_HDR_LEN + 2];
	fp_build_stp(bad, STP_SIG_RESPONSE, 0x83, 1, 3, (const uint8_t *)"\0\0", 2);
	bad[1] ^= 0x20; /* "tSaf" */
	fp_reply(f->fp, bad, sizeof bad);
	uint32_t start = f->fp->now;
	finish_after_one_garbled_answer(f, start);
}

/* A header cut short by silence is garbled too. */
static void test_truncated_answer_retried_at_once(void **state)
{
	struct fix *f = *state;
	f->ctx.cfg.timeouts.stp_ms = 90000;
	set_image(f, 100);
	script_open(f->fp, 8192);
	expect_cmd(f->fp, 2, 100);
	uint8_t rsp[STP_HDR_LEN];
	fp_build_stp(rsp, STP_SIG_RESPONSE, 0x82, 1, 2, NULL, 0);
	fp_reply(f->fp, rsp, 9);
	uint32_t start = f->fp->now;
	expect_cmd(f->fp, 2, 100);
	reply_cmd(f->fp, 2);
	finish_after_one_garbled_answer(f, start);
}

/*
 * A hung modem (power cut behind a USB adapter that stays): with the default
 * timeouts (90 s an answer, 5 minutes of silence an exchange) the transfer
 * stops after 5 minutes, not after 5 x 90 s, with retries left.
 */
static void test_silence_bounded_at_five_minutes(void **state)
{
	struct fix *f = *state;
	f->ctx.cfg.timeouts.stp_ms = 90000;
	assert_int_equal(f->ctx.cfg.timeouts.stall_ms, 300000); /* the default */
	set_image(f, 100);
	script_open(f->fp, 8192);
	uint32_t start = f->fp->now;
	for (int i = 0; i < 4; i++)
		expect_cmd(f->fp, 2, 100);
	assert_int_equal(sqns_stp_send(&f->ctx, &f->img), SQNS_ERR_TIMEOUT);
	fp_assert_done(f->fp, true);
	assert_int_equal(count_retries(f, SQNS_ERR_TIMEOUT), 3);
	assert_int_equal(f->fp->now - start, 300000);
}

/*
 * A modem left in an old session by a host that vanished: an opening RESET
 * reaches it; an empty session closed in the closing form (sid 1, next tid)
 * takes it out of STP.
 */
static void test_probe_closes_an_old_session(void **state)
{
	struct fix *f = *state;
	script_open(f->fp, 8192);
	fp_expect_stp(f->fp, STP_OP_RESET, 1, 2, NULL, 0);
	fp_reply_stp(f->fp, 0x80, 1, 2, NULL, 0);
	assert_int_equal(sqns_stp_probe(&f->ctx, 500), SQNS_OK);
	fp_assert_done(f->fp, true);
}

static void test_probe_of_a_modem_in_at_mode(void **state)
{
	struct fix *f = *state;
	fp_expect_stp(f->fp, STP_OP_RESET, 0, 0, NULL, 0);
	fp_reply_str(f->fp, "\r\nERROR\r\n");
	assert_int_equal(sqns_stp_probe(&f->ctx, 500), SQNS_ERR_NO_MODEM);
	fp_assert_done(f->fp, true);
}

#define TW(fn) cmocka_unit_test_setup_teardown(fn, setup_wrap, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T1(test_session_5000_max8192),
	    T7(test_session_5000_max8192),
	    TB(test_session_5000_max8192),
	    TW(test_session_5000_max8192),
	    T7(test_blocks_max2048),
	    T7(test_blocks_max1024),
	    T7(test_blocks_max2032_and_exact_multiple),
	    T1(test_blocks_tiny_max_transfer),
	    T1(test_one_byte_image),
	    T7(test_residue_16_resent),
	    TB(test_residue_16_resent),
	    T7(test_residue_whole_block_then_progress),
	    T7(test_stuck_five_blocks_fails),
	    T7(test_residue_over_block_len_retried),
	    T1(test_bad_header_crc_retried_same_tid),
	    TB(test_bad_header_crc_retried_same_tid),
	    T7(test_bad_payload_crc_retried),
	    TB(test_bad_payload_crc_retried),
	    T7(test_wrong_tid_op_sid_retried),
	    T7(test_oversized_answer_retried),
	    T7(test_missing_answer_retried),
	    TW(test_missing_answer_retried),
	    T7(test_slow_answer_ticks),
	    TW(test_slow_answer_ticks),
	    T7(test_five_bad_answers_protocol),
	    T7(test_five_missing_answers_timeout),
	    T7(test_late_duplicate_answer_recovers),
	    T1(test_zero_crc_responses_accepted),
	    T1(test_garbage_before_signature_skipped),
	    TB(test_garbage_before_signature_skipped),
	    T7(test_close_never_answered_ok),
	    T7(test_close_skips_a_stale_answer),
	    T1(test_close_skips_a_stale_answer),
	    T7(test_close_answered_wrong_ok),
	    T7(test_open_session_refused),
	    T7(test_image_read_error),
	    T1(test_abort_between_blocks),
	    T1(test_abort_during_wait),
	    T7(test_io_errors),
	    T7(test_abort_while_a_block_is_answered),
	    T7(test_second_session_restarts_tids),
	    T7(test_garbled_signature_retried_at_once),
	    T1(test_garbled_signature_retried_at_once),
	    TW(test_garbled_signature_retried_at_once),
	    T7(test_truncated_answer_retried_at_once),
	    T7(test_silence_bounded_at_five_minutes),
	    TW(test_silence_bounded_at_five_minutes),
	    T7(test_probe_closes_an_old_session),
	    T7(test_probe_of_a_modem_in_at_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
