/* SPDX-License-Identifier: MIT */
/* The AT channel (docs/protocol.md section 3) against the scripted fake port. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fake_port.h"
#include "internal.h"

#define START 5000u

struct fix {
	struct fake_port *fp;
	struct ev_log log;
	struct sqns_ctx ctx;
	struct sqns_config cfg;
};

static int setup_chunk(void **state, size_t chunk, uint32_t start)
{
	struct fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	fp_fixture_open(&f->fp, &f->log, &f->cfg, start, chunk);
	assert_int_equal(sqns_init(&f->ctx, &f->cfg), SQNS_OK);
	*state = f;
	return 0;
}

static int setup1(void **state)
{
	return setup_chunk(state, 1, START);
}

static int setup7(void **state)
{
	return setup_chunk(state, 7, START);
}

static int setup_big(void **state)
{
	return setup_chunk(state, 4096, START);
}

/* The clock 700 ms before it wraps. */
static int setup_wrap(void **state)
{
	return setup_chunk(state, 3, UINT32_MAX - 700u);
}

static int teardown(void **state)
{
	struct fix *f = *state;
	fp_fixture_close(f->fp, &f->log);
	free(f);
	return 0;
}

/* One command and its answer, the answer checked exactly. */
static void at_case_n(struct fix *f, const char *cmd, const char *reply, size_t reply_len,
		      int want_r, const char *want_resp)
{
	char resp[256];
	memset(resp, 'x', sizeof resp);
	fp_expect_cmd(f->fp, cmd);
	fp_reply(f->fp, reply, reply_len);
	int r = sqns_at(&f->ctx, cmd, resp, sizeof resp, 0);
	assert_int_equal(r, want_r);
	if (want_resp)
		assert_string_equal(resp, want_resp);
	fp_assert_done(f->fp, false);
}

static void at_case(struct fix *f, const char *cmd, const char *reply, int want_r,
		    const char *want_resp)
{
	at_case_n(f, cmd, reply, strlen(reply), want_r, want_resp);
}

/* A reply with NUL bytes in it: a string literal, its length taken by sizeof. */
#define AT_CASE_BIN(f, cmd, lit, r, want) at_case_n(f, cmd, lit, sizeof(lit) - 1, r, want)

static void test_at_plain(void **state)
{
	struct fix *f = *state;
	at_case(f, "AT+SMOD?", "\r\n2\r\nOK\r\n", SQNS_OK, "2\n");
	/* Nothing was read after the final OK's CR but its LF. */
	assert_int_equal(f->fp->now, START);
}

static void test_at_multi_line(void **state)
{
	struct fix *f = *state;
	at_case(f, "ATI1", "\r\nUE5.0.0.0d\r\nLR5.1.1.0-39529\r\n\r\nOK\r\n", SQNS_OK,
		"UE5.0.0.0d\nLR5.1.1.0-39529\n");
}

static void test_at_echo_and_blank_lines(void **state)
{
	struct fix *f = *state;
	at_case(f, "AT+SMLOG?", "AT+SMLOG?\r\r\n\r\n\r\n+SMLOG: LOG_INHERIT\r\n\r\n\r\nOK\r\n",
		SQNS_OK, "+SMLOG: LOG_INHERIT\n");
}

static void test_at_sysstart_before_and_inside(void **state)
{
	struct fix *f = *state;
	assert_false(sqns_priv(&f->ctx)->sysstart);
	/* Inside an answer, +SYSSTART and +SHUTDOWN are unsolicited lines to skip. */
	at_case(f, "AT+SMOD?", "\r\n2\r\n+SYSSTART\r\n+SHUTDOWN\r\n\r\nOK\r\n", SQNS_OK, "2\n");
	assert_true(sqns_priv(&f->ctx)->sysstart);
	/* Before any answer, +SYSSTART says the modem just booted: the answer comes at once... */
	sqns_priv(&f->ctx)->sysstart = false;
	at_case(f, "AT+SMOD?", "\r\n+SYSSTART\r\n\r\n2\r\nOK\r\n", SQNS_OK, "2\n");
	assert_true(sqns_priv(&f->ctx)->sysstart);
	/* ...or the command was lost, and waiting the whole AT timeout would be wasted. */
	uint32_t start = f->fp->now;
	at_case(f, "AT+SMOD?", "\r\n+SYSSTART\r\n", SQNS_ERR_TIMEOUT, "");
	assert_true(f->fp->now - start <= 100);
}

static void test_at_garbage_lines_dropped(void **state)
{
	struct fix *f = *state;
	/* A line with any byte that is not printable is dropped whole, even "ERROR". */
	AT_CASE_BIN(f, "AT+SMOD?",
		    "\xff\xfe\x00\x80\r\n\x1b[0m\r\n\r\n2\r\n\x00\r\n\xff"
		    "ERROR\x00\r\nOK\r\n",
		    SQNS_OK, "2\n");
	AT_CASE_BIN(f, "AT+CGSN", "\r\n\x00\x00\x00\x00\n354346099225475\r\n\xfe\xfe\r\nOK\r\n",
		    SQNS_OK, "354346099225475\n");
}

/* The field's noise around answers (docs/protocol.md section 11): URCs and crash dumps. */
static void test_at_field_urcs_and_dumps(void **state)
{
	struct fix *f = *state;
	/* An unsolicited line before the answer is not taken for it... */
	at_case(f, "AT+SMOD?", "\r\n+CPSMS: 1,,,\"10000110\",\"00011110\"\r\n\r\n2\r\nOK\r\n",
		SQNS_OK, "2\n");
	at_case(f, "ATI1",
		"\r\n+CEREG: 2\r\nUE5.2.0.3\r\n+CPSMS: 1\r\nLR5.2.1.0-48829\r\n\r\nOK\r\n", SQNS_OK,
		"UE5.2.0.3\nLR5.2.1.0-48829\n");
	/* ...while the command's own +NAME lines are its answer. */
	at_case(f, "AT+SMUPGRADE?", "\r\n+CEREG: 2\r\n+SMUPGRADE: success\r\n\r\nOK\r\n", SQNS_OK,
		"+SMUPGRADE: success\n");
	/* A stored crash dump's bytes, no line end, right before the answer. */
	char dump[400];
	size_t n = 0;
	static const char text[] = "5.1.1.0 [39529] by robot-soft Assertion failed hal_misc.c@420 "
				   "'Spurious Int";
	while (n + sizeof text + 4 < 300) {
		memcpy(dump + n, text, sizeof text - 1);
		n += sizeof text - 1;
		dump[n++] = '\0';
		dump[n++] = '\x01';
		dump[n++] = '\xfe';
	}
	memcpy(dump + n, "\r\n2\r\nOK\r\n", 10);
	at_case_n(f, "AT+SMOD?", dump, n + 10, SQNS_OK, "2\n");
	/* The dump inside an answer, between its lines. */
	static const char head[] = "\r\n+SMOD: 4\r\n", tail[] = "\r\nOK\r\n";
	memcpy(dump + n, tail, sizeof tail - 1);
	memmove(dump + sizeof head - 1, dump, n + sizeof tail - 1);
	memcpy(dump, head, sizeof head - 1);
	at_case_n(f, "AT+SMOD?", dump, n + sizeof head - 1 + sizeof tail - 1, SQNS_OK,
		  "+SMOD: 4\n");
}

/* A showver that answers ERROR once (fresh from a failed updater), then the table. */
static void test_showver_error_once(void **state)
{
	struct fix *f = *state;
	char buf[128];
	fp_expect_cmd(f->fp, "AT!=\"showver\"");
	fp_reply_str(f->fp, "\r\nERROR\r\n");
	fp_expect_cmd(f->fp, "AT!=\"showver\"");
	fp_reply_str(f->fp,
		     "\r\nSYSTEM VERSION\r\n    Software     : 5.1.1.0 [38638]\r\n\r\nOK\r\n");
	assert_int_equal(sqns_showver(&f->ctx, buf, sizeof buf), SQNS_OK);
	assert_string_equal(buf, "SYSTEM VERSION\n    Software     : 5.1.1.0 [38638]\n");
	/* Twice ERROR is the modem's answer. */
	fp_expect_cmd(f->fp, "AT!=\"showver\"");
	fp_reply_str(f->fp, "\r\nERROR\r\n");
	fp_expect_cmd(f->fp, "AT!=\"showver\"");
	fp_reply_str(f->fp, "\r\nERROR\r\n");
	assert_int_equal(sqns_showver(&f->ctx, buf, sizeof buf), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
}

static void test_at_error(void **state)
{
	struct fix *f = *state;
	at_case(f, "AT+SMSWBOOT=3,1", "\r\nERROR\r\n", SQNS_ERR_MODEM, "");
	at_case(f, "AT+CGSN", "\r\n+CME ERROR: 4\r\n", SQNS_ERR_MODEM, "");
	at_case(f, "AT+CMGS", "\r\n+CMS ERROR: 500\r\n", SQNS_ERR_MODEM, "");
	/* A line that only mentions ERROR is an answer line. */
	at_case(f, "ATI1", "\r\nNO ERROR HERE\r\nOK\r\n", SQNS_OK, "NO ERROR HERE\n");
}

static void test_at_timeout_exact(void **state)
{
	struct fix *f = *state;
	char resp[32];
	fp_expect_cmd(f->fp, "AT");
	assert_int_equal(sqns_at(&f->ctx, "AT", resp, sizeof resp, 0), SQNS_ERR_TIMEOUT);
	assert_int_equal(f->fp->now, START + f->cfg.timeouts.at_ms);
	/* An explicit timeout overrides at_ms. */
	fp_expect_cmd(f->fp, "AT");
	assert_int_equal(sqns_at(&f->ctx, "AT", resp, sizeof resp, 250), SQNS_ERR_TIMEOUT);
	assert_int_equal(f->fp->now, START + f->cfg.timeouts.at_ms + 250);
	fp_assert_done(f->fp, false);
}

static void test_at_answer_without_ok_times_out(void **state)
{
	struct fix *f = *state;
	char resp[32];
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "\r\n2\r\nO");
	fp_reply_str_after(f->fp, 1001, "K\r\n");
	assert_int_equal(sqns_at(&f->ctx, "AT+SMOD?", resp, sizeof resp, 0), SQNS_ERR_TIMEOUT);
	assert_int_equal(f->fp->now, START + 1000);
	assert_string_equal(resp, "2\n");
}

static void test_at_slow_answer_in_time(void **state)
{
	struct fix *f = *state;
	char resp[32];
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str_after(f->fp, 300, "\r\n2");
	fp_reply_str_after(f->fp, 699, "\r\nOK\r\n");
	assert_int_equal(sqns_at(&f->ctx, "AT+SMOD?", resp, sizeof resp, 0), SQNS_OK);
	assert_string_equal(resp, "2\n");
	assert_int_equal(f->fp->now, START + 999);
}

static void test_at_boot_rom_terse(void **state)
{
	struct fix *f = *state;
	at_case(f, "AT", "OK\r\n", SQNS_OK, "");
	at_case(f, "AT+SMOD?", "0\r\nOK\r\n", SQNS_OK, "0\n");
}

static void test_at_bare_lf(void **state)
{
	struct fix *f = *state;
	at_case(f, "AT+SMOD?", "\n2\nOK\n", SQNS_OK, "2\n");
	at_case(f, "ATI1", "UE5.0.0.0d\nLR5.1.1.0-39529\nOK\n", SQNS_OK,
		"UE5.0.0.0d\nLR5.1.1.0-39529\n");
	/* CR alone, too. */
	at_case(f, "AT+SMOD?", "\r2\rOK\r", SQNS_OK, "2\n");
}

static void test_at_very_long_line(void **state)
{
	struct fix *f = *state;
	char reply[1200], want[SQNS_LINE_MAX + 2];
	memset(reply, 'A', 1000);
	strcpy(reply + 1000, "\r\nOK\r\n");
	memset(want, 'A', SQNS_LINE_MAX);
	strcpy(want + SQNS_LINE_MAX, "\n");
	/* Cut at SQNS_LINE_MAX, the rest ignored; the dialogue goes on. */
	at_case(f, "AT!=\"showver\"", reply, SQNS_OK, want);
	/* A long line that ends in "OK" is not the final OK. */
	memset(reply, 'B', 300);
	strcpy(reply + 300, "OK\r\nOK\r\n");
	memset(want, 'B', SQNS_LINE_MAX);
	strcpy(want + SQNS_LINE_MAX, "\n");
	at_case(f, "AT!=\"showver\"", reply, SQNS_OK, want);
}

static void test_at_resp_truncated(void **state)
{
	struct fix *f = *state;
	char resp[8];
	memset(resp, 'x', sizeof resp);
	fp_expect_cmd(f->fp, "ATI1");
	fp_reply_str(f->fp, "\r\nUE5.0.0.0d\r\nLR5.1.1.0-39529\r\nOK\r\n");
	assert_int_equal(sqns_at(&f->ctx, "ATI1", resp, 5, 0), SQNS_OK);
	assert_string_equal(resp, "UE5\n");
	assert_memory_equal(resp + 5, "xxx", 3); /* nothing written past resp_len */
	/* resp NULL is fine too. */
	fp_expect_cmd(f->fp, "ATI1");
	fp_reply_str(f->fp, "\r\nUE5.0.0.0d\r\nOK\r\n");
	assert_int_equal(sqns_at(&f->ctx, "ATI1", NULL, 0, 0), SQNS_OK);
	/* resp_len 1: an empty string. */
	fp_expect_cmd(f->fp, "ATI1");
	fp_reply_str(f->fp, "\r\nUE5.0.0.0d\r\nOK\r\n");
	resp[1] = 'y';
	assert_int_equal(sqns_at(&f->ctx, "ATI1", resp, 1, 0), SQNS_OK);
	assert_int_equal(resp[0], '\0');
	assert_int_equal(resp[1], 'y');
	fp_assert_done(f->fp, false);
}

static void test_at_stale_input_drained(void **state)
{
	struct fix *f = *state;
	char resp[32];
	/* An old OK pending before the command must not pass for its answer. */
	fp_reply_str(f->fp, "\r\nOK\r\n");
	fp_expect_cmd(f->fp, "AT+SMSWBOOT=3,1");
	fp_reply_str_after(f->fp, 100, "\r\nERROR\r\n");
	assert_int_equal(sqns_at(&f->ctx, "AT+SMSWBOOT=3,1", resp, sizeof resp, 0), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
}

static void test_at_leftover_half_line_dropped(void **state)
{
	struct fix *f = *state;
	char resp[32];
	/* A half line left from an earlier answer is not glued to the next one. */
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str(f->fp, "\r\nOK\r\n\r\n+SMUPG");
	assert_int_equal(sqns_at(&f->ctx, "AT", NULL, 0, 0), SQNS_OK);
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str_after(f->fp, 10, "4\r\nOK\r\n");
	assert_int_equal(sqns_at(&f->ctx, "AT+SMOD?", resp, sizeof resp, 0), SQNS_OK);
	assert_string_equal(resp, "4\n");
}

static void test_at_io_errors(void **state)
{
	struct fix *f = *state;
	fp_write_error(f->fp);
	assert_int_equal(sqns_at(&f->ctx, "AT", NULL, 0, 0), SQNS_ERR_IO);
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str(f->fp, "\r\nO");
	fp_read_error(f->fp);
	assert_int_equal(sqns_at(&f->ctx, "AT", NULL, 0, 0), SQNS_ERR_IO);
	fp_assert_done(f->fp, false);
}

static void test_at_events(void **state)
{
	struct fix *f = *state;
	at_case(f, "AT+SMOD?", "AT+SMOD?\r\n\r\n2\r\n\r\nOK\r\n", SQNS_OK, "2\n");
	const char *want[][2] = {{"tx", "AT+SMOD?"}, {"rx", "AT+SMOD?"}, {"rx", "2"}, {"rx", "OK"}};
	assert_int_equal(f->log.n, 4);
	for (size_t i = 0; i < 4; i++) {
		const struct ev_rec *e = &f->log.recs[i];
		assert_int_equal(e->ev.type, want[i][0][0] == 't' ? SQNS_EV_AT_TX : SQNS_EV_AT_RX);
		assert_string_equal(e->text, want[i][1]);
		assert_int_equal(e->ev.len, strlen(want[i][1]));
	}
}

/* ---- wakeup ---- */

static void test_wakeup_retries_until_ok(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	fp_expect_cmd(f->fp, "AT");
	fp_expect_cmd(f->fp, "AT");
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str_after(f->fp, 20, "\r\nOK\r\n");
	assert_int_equal(sqns_wakeup(&f->ctx, 5000), SQNS_OK);
	/* Two probes of 200 ms went unanswered. */
	assert_int_equal(f->fp->now - start, 420);
	assert_int_equal(f->fp->wlen, 12);
	fp_assert_done(f->fp, false);
}

static void test_wakeup_after_garbage_and_error(void **state)
{
	struct fix *f = *state;
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str(f->fp, "\xff\xff\xf0\r\n\r\nERROR\r\n");
	/* The mangled line is answered twice: the second ERROR must be drained. */
	fp_reply_str_after(f->fp, 30, "\xfe\xfe\r\nERROR\r\n");
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str(f->fp, "\r\nOK\r\n");
	assert_int_equal(sqns_wakeup(&f->ctx, 5000), SQNS_OK);
	fp_assert_done(f->fp, false);
}

/* How many probes the wake-up sends in `ms`: one every 200 ms. */
static unsigned probes_within(uint32_t ms)
{
	return (ms + 199) / 200;
}

static void test_wakeup_no_modem_at_deadline(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	f->fp->sink = true;
	assert_int_equal(sqns_wakeup(&f->ctx, 2000), SQNS_ERR_NO_MODEM);
	assert_int_equal(f->fp->now - start, 2000);
	assert_int_equal(f->fp->wlen, 4 * probes_within(2000));
}

static void test_wakeup_default_is_wake_ms(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	f->fp->sink = true;
	assert_int_equal(sqns_wakeup(&f->ctx, 0), SQNS_ERR_NO_MODEM);
	assert_int_equal(f->fp->now - start, f->cfg.timeouts.wake_ms);
	assert_int_equal(f->fp->wlen, 4 * probes_within(f->cfg.timeouts.wake_ms));
}

static void test_wakeup_io_error(void **state)
{
	struct fix *f = *state;
	fp_expect_cmd(f->fp, "AT");
	fp_read_error(f->fp);
	assert_int_equal(sqns_wakeup(&f->ctx, 5000), SQNS_ERR_IO);
	fp_assert_done(f->fp, false);
}

/*
 * A real clock moves between two readings. Let it move 1 ms per reading: a
 * wakeup must still end near its deadline, never a whole at_ms probe late
 * (a probe timeout of 0 would mean at_ms to sqns_at).
 */
static void test_wakeup_deadline_with_moving_clock(void **state)
{
	struct fix *f = *state;
	uint32_t worst = 0, worst_timeout = 0;
	for (uint32_t timeout = 1000; timeout < 1100; timeout++) {
		struct fake_port *fp = fp_new(START, 1);
		fp->now_step = 1;
		fp->sink = true;
		struct sqns_config cfg;
		fp_config(&cfg, fp, NULL);
		cfg.timeouts.at_ms = 5000;
		assert_int_equal(sqns_init(&f->ctx, &cfg), SQNS_OK);
		assert_int_equal(sqns_wakeup(&f->ctx, timeout), SQNS_ERR_NO_MODEM);
		uint32_t over = fp->now - START - timeout;
		if (over > worst) {
			worst = over;
			worst_timeout = timeout;
		}
		fp_free(fp);
	}
	if (worst > 100)
		print_error("sqns_wakeup(%u) ended %u ms after its deadline\n", worst_timeout,
			    worst);
	assert_true(worst <= 100);
}

/* ---- queries ---- */

static void test_get_mode(void **state)
{
	struct fix *f = *state;
	int mode = -7;
	assert_int_equal(f->ctx.res.mode, SQNS_MODE_UNKNOWN);
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "\r\n2\r\nOK\r\n");
	assert_int_equal(sqns_get_mode(&f->ctx, &mode), SQNS_OK);
	assert_int_equal(mode, 2);
	assert_int_equal(f->ctx.res.mode, 2);

	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "\r\n+SMOD: 4\r\n\r\nOK\r\n");
	assert_int_equal(sqns_get_mode(&f->ctx, &mode), SQNS_OK);
	assert_int_equal(mode, 4);
	assert_int_equal(f->ctx.res.mode, 4);

	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "0\r\nOK\r\n");
	assert_int_equal(sqns_get_mode(&f->ctx, &mode), SQNS_OK);
	assert_int_equal(mode, 0);
	fp_assert_done(f->fp, false);
}

static void test_get_mode_junk(void **state)
{
	struct fix *f = *state;
	static const char *const junk[] = {
	    "\r\njunk\r\nOK\r\n",	 "\r\nOK\r\n",	      "\r\n5\r\nOK\r\n", "\r\n2x\r\nOK\r\n",
	    "\r\n99999999999\r\nOK\r\n", "\r\n2 3\r\nOK\r\n",
	};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		int mode = -7;
		fp_expect_cmd(f->fp, "AT+SMOD?");
		fp_reply_str(f->fp, junk[i]);
		int r = sqns_get_mode(&f->ctx, &mode);
		if (r != SQNS_ERR_PROTOCOL)
			print_error("answer %zu gave %d, mode %d\n", i, r, mode);
		assert_int_equal(r, SQNS_ERR_PROTOCOL);
		assert_int_equal(mode, -7);
		assert_int_equal(f->ctx.res.mode, SQNS_MODE_UNKNOWN);
	}
	int mode = -7;
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "\r\nERROR\r\n");
	assert_int_equal(sqns_get_mode(&f->ctx, &mode), SQNS_ERR_MODEM);
	fp_expect_cmd(f->fp, "AT+SMOD?");
	assert_int_equal(sqns_get_mode(&f->ctx, &mode), SQNS_ERR_TIMEOUT);
	assert_int_equal(mode, -7);
	fp_assert_done(f->fp, false);
}

/*
 * The answer is one integer, possibly as "+SMOD: n" (modem.c). A sign or
 * other text before the digits is not a mode: "-1" must not read as mtools.
 */
static void test_get_mode_rejects_text_before_digits(void **state)
{
	struct fix *f = *state;
	static const char *const junk[] = {"\r\n-1\r\nOK\r\n", "\r\njunk3\r\nOK\r\n",
					   "\r\n+CME: 2\r\nOK\r\n"};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		int mode = -7;
		fp_expect_cmd(f->fp, "AT+SMOD?");
		fp_reply_str(f->fp, junk[i]);
		int r = sqns_get_mode(&f->ctx, &mode);
		if (r != SQNS_ERR_PROTOCOL)
			print_error("AT+SMOD? answer %zu gave %d, mode %d\n", i, r, mode);
		assert_int_equal(r, SQNS_ERR_PROTOCOL);
		assert_int_equal(mode, -7);
	}
	fp_assert_done(f->fp, false);
}

static void test_imei(void **state)
{
	struct fix *f = *state;
	char imei[16];
	fp_expect_cmd(f->fp, "AT+CGSN");
	fp_reply_str(f->fp, "\r\n354346099225475\r\n\r\nOK\r\n");
	assert_int_equal(sqns_imei(&f->ctx, imei), SQNS_OK);
	assert_string_equal(imei, "354346099225475");

	memset(imei, 'x', sizeof imei);
	fp_expect_cmd(f->fp, "AT+CGSN");
	fp_reply_str(f->fp, "AT+CGSN\r\n+CGSN: 490154203237518\r\nOK\r\n");
	assert_int_equal(sqns_imei(&f->ctx, imei), SQNS_OK);
	assert_string_equal(imei, "490154203237518");
	fp_assert_done(f->fp, false);
}

static void test_imei_bad(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = {
	    "\r\n35434609922547\r\nOK\r\n",   /* 14 digits */
	    "\r\n3543460992254751\r\nOK\r\n", /* 16 digits */
	    "\r\n35434609922547A\r\nOK\r\n",  "\r\nOK\r\n", "\r\n354346099225475 \r\nOK\r\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char imei[16];
		fp_expect_cmd(f->fp, "AT+CGSN");
		fp_reply_str(f->fp, bad[i]);
		assert_int_equal(sqns_imei(&f->ctx, imei), SQNS_ERR_PROTOCOL);
	}
	char imei[16];
	fp_expect_cmd(f->fp, "AT+CGSN");
	fp_reply_str(f->fp, "\r\n+CME ERROR: 10\r\n");
	assert_int_equal(sqns_imei(&f->ctx, imei), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
}

static void test_showver_ati1_commands(void **state)
{
	struct fix *f = *state;
	char buf[128];
	fp_expect_cmd(f->fp, "AT!=\"showver\"");
	fp_reply_str(f->fp, "\r\nSYSTEM VERSION\r\n==============\r\n    Software     : 5.1.1.0 "
			    "[38638] by robot-soft\r\n\r\nOK\r\n");
	assert_int_equal(sqns_showver(&f->ctx, buf, sizeof buf), SQNS_OK);
	assert_string_equal(buf, "SYSTEM VERSION\n==============\n    Software     : 5.1.1.0 "
				 "[38638] by robot-soft\n");
	fp_expect_cmd(f->fp, "ATI1");
	fp_reply_str(f->fp, "\r\nUE5.0.0.0d\r\nLR5.1.1.0-39529\r\n\r\nOK\r\n");
	assert_int_equal(sqns_ati1(&f->ctx, buf, sizeof buf), SQNS_OK);
	assert_string_equal(buf, "UE5.0.0.0d\nLR5.1.1.0-39529\n");
	uint32_t b;
	assert_true(sqns_parse_ati1_build(buf, &b));
	assert_int_equal(b, 39529);
	fp_assert_done(f->fp, false);
}

static void test_detect(void **state)
{
	struct fix *f = *state;
	int mode = -7;
	fp_expect_cmd(f->fp, "AT");
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str(f->fp, "AT\r\r\nOK\r\n");
	fp_expect_cmd(f->fp, "AT+BIND=AT");
	fp_reply_str(f->fp, "AT+BIND=AT\r\r\nOK\r\n");
	fp_expect_cmd(f->fp, "ATE0");
	fp_reply_str(f->fp, "ATE0\r\r\nOK\r\n");
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "\r\n2\r\nOK\r\n");
	assert_int_equal(sqns_detect(&f->ctx, &mode), SQNS_OK);
	assert_int_equal(mode, SQNS_MODE_APPLICATION);
	fp_assert_done(f->fp, false);
}

static void test_detect_bind_and_ate0_errors_tolerated(void **state)
{
	struct fix *f = *state;
	int mode = -7;
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str(f->fp, "OK\r\n");
	fp_expect_cmd(f->fp, "AT+BIND=AT");
	fp_reply_str(f->fp, "ERROR\r\n");
	fp_expect_cmd(f->fp, "ATE0");
	fp_reply_str(f->fp, "ERROR\r\n");
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "0\r\nOK\r\n");
	assert_int_equal(sqns_detect(&f->ctx, &mode), SQNS_OK);
	assert_int_equal(mode, SQNS_MODE_RECOVERY);
	fp_assert_done(f->fp, false);
}

static void test_detect_no_modem_within_deadline(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	int mode = -7;
	f->fp->sink = true;
	/* 3 s: AT at the application rate and at 115200 fit; the +++ escape (2.2 s of guard
	 * time) does not, and must not push detection past its deadline. */
	assert_int_equal(f->cfg.timeouts.detect_ms, 3000);
	assert_int_equal(sqns_detect(&f->ctx, &mode), SQNS_ERR_NO_MODEM);
	assert_int_equal(mode, -7);
	uint32_t took = f->fp->now - start;
	if (took > f->cfg.timeouts.detect_ms + f->cfg.timeouts.at_ms || f->fp->nrates == 0)
		print_error("sqns_detect(detect_ms 3000) took %u ms; 115200 tried: %s\n", took,
			    f->fp->nrates ? "yes" : "no");
	assert_true(took >= f->cfg.timeouts.detect_ms);
	assert_true(took <= f->cfg.timeouts.detect_ms + f->cfg.timeouts.at_ms);
	/* AT at the application rate, then AT at 115200; no room left for +++. */
	assert_memory_equal(f->fp->written, "AT\r\n", 4);
	size_t escapes = 0;
	for (size_t i = 0; i + 3 <= f->fp->wlen; i++)
		if (memcmp(f->fp->written + i, "+++", 3) == 0)
			escapes++;
	assert_int_equal(escapes, 0);
	assert_true(f->fp->nrates >= 1);
	assert_int_equal(f->fp->rates[0], 115200);
}

/*
 * Nobody answers for 20 s: the +++ escape of a data session comes once, and
 * only after a first round of probes (a modem powered on with the tool is
 * silent while it boots, and must not be sent down the data-session path).
 */
static void test_detect_escape_only_after_a_booting_modem_had_its_time(void **state)
{
	struct fix *f = *state;
	int mode = -7;
	f->fp->sink = true;
	f->ctx.cfg.timeouts.detect_ms = 20000;
	assert_int_equal(sqns_detect(&f->ctx, &mode), SQNS_ERR_NO_MODEM);
	size_t escapes = 0, recovery_probes_before = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_PHASE && ev->phase == SQNS_PHASE_PPP_ESCAPE)
			escapes++;
		if (ev->type == SQNS_EV_RATE && ev->value == 115200 && escapes == 0)
			recovery_probes_before++;
	}
	assert_int_equal(escapes, 1);
	/* Two whole rounds (application rate, STP, 115200) went first: over 6 s. */
	assert_true(recovery_probes_before >= 2);
}

/* ---- waiting for a line ---- */

static void test_wait_line_found_with_ticks(void **state)
{
	struct fix *f = *state;
	fp_reply_str_after(f->fp, 2500, "\r\n+SMUPGRADE: on-going\r\n\xff\r\n+SYSSTART\r\n");
	assert_int_equal(sqns_wait_line(&f->ctx, "+SYSSTART", 10000, SQNS_PHASE_RESETTING),
			 SQNS_OK);
	assert_int_equal(f->fp->now, START + 2500);
	assert_true(sqns_priv(&f->ctx)->sysstart);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_TICK), 2);
	for (size_t i = 0; i < f->log.n; i++)
		if (f->log.recs[i].ev.type == SQNS_EV_TICK)
			assert_int_equal(f->log.recs[i].ev.phase, SQNS_PHASE_RESETTING);
}

static void test_wait_line_timeout(void **state)
{
	struct fix *f = *state;
	fp_reply_str_after(f->fp, 100, "\r\n+SYSSTAR\r\n");
	assert_int_equal(sqns_wait_line(&f->ctx, "+SYSSTART", 3000, SQNS_PHASE_REBOOT_UPGRADE),
			 SQNS_ERR_TIMEOUT);
	assert_int_equal(f->fp->now, START + 3000);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_TICK), 3);
}

/*
 * Without ticks (phase < 0) the wait must still sleep in the port's read, not
 * poll it with a zero timeout once the first second has gone by.
 */
static void test_wait_line_without_ticks_waits_in_read(void **state)
{
	struct fix *f = *state;
	fp_reply_str_after(f->fp, 2200, "\r\n+SYSSTART\r\n");
	assert_int_equal(sqns_wait_line(&f->ctx, "+SYSSTART", 5000, -1), SQNS_OK);
	assert_int_equal(f->fp->now, START + 2200);
	assert_int_equal(sqns_wait_line(&f->ctx, "OK", 2500, -1), SQNS_ERR_TIMEOUT);
	assert_int_equal(f->fp->now, START + 4700);
	assert_int_equal(ev_log_count(&f->log, SQNS_EV_TICK), 0);
	/* A handful of reads, not a spin. */
	assert_true(f->fp->reads < 50);
}

/* ---- init, names ---- */

static void test_init_checks_and_defaults(void **state)
{
	(void)state;
	struct sqns_ctx ctx;
	struct sqns_config cfg;
	memset(&cfg, 0, sizeof cfg);
	assert_int_equal(sqns_init(&ctx, &cfg), SQNS_ERR_ARG);
	assert_int_equal(sqns_init(NULL, &cfg), SQNS_ERR_ARG);
	assert_int_equal(sqns_init(&ctx, NULL), SQNS_ERR_ARG);
	struct sqns_port_ops ops = fake_port_ops;
	cfg.ops = &ops;
	ops.read = NULL;
	assert_int_equal(sqns_init(&ctx, &cfg), SQNS_ERR_ARG);
	ops = fake_port_ops;
	ops.write = NULL;
	assert_int_equal(sqns_init(&ctx, &cfg), SQNS_ERR_ARG);
	ops = fake_port_ops;
	ops.now_ms = NULL;
	assert_int_equal(sqns_init(&ctx, &cfg), SQNS_ERR_ARG);
	ops = fake_port_ops;
	ops.set_rate = NULL; /* optional */
	assert_int_equal(sqns_init(&ctx, &cfg), SQNS_OK);
	assert_int_equal(ctx.cfg.baud, 921600);
	assert_int_equal(ctx.cfg.timeouts.at_ms, 5000);
	assert_int_equal(ctx.cfg.timeouts.detect_ms, 20000);
	assert_int_equal(ctx.cfg.timeouts.wake_ms, 300000);
	assert_int_equal(ctx.cfg.timeouts.stp_ms, 90000);
	assert_int_equal(ctx.cfg.timeouts.apply_ms, 300000);
	assert_int_equal(ctx.res.mode, SQNS_MODE_UNKNOWN);
	assert_int_equal(ctx.res.stage, SQNS_STAGE_UNTOUCHED);
	cfg.baud = 115200;
	cfg.timeouts.stp_ms = 7;
	assert_int_equal(sqns_init(&ctx, &cfg), SQNS_OK);
	assert_int_equal(ctx.cfg.baud, 115200);
	assert_int_equal(ctx.cfg.timeouts.stp_ms, 7);
}

static void test_names(void **state)
{
	(void)state;
	for (int e = 0; e >= SQNS_ERR_VERIFY; e--) { /* the last of enum sqns_err */
		assert_non_null(sqns_strerror(e));
		assert_string_not_equal(sqns_strerror(e), "unknown error");
	}
	assert_string_equal(sqns_strerror(1), "unknown error");
	assert_string_equal(sqns_strerror(-100), "unknown error");
	assert_string_equal(sqns_strerror(SQNS_ERR_UNSUPPORTED),
			    "this port cannot change its rate, and this needs another rate");
	assert_string_equal(sqns_mode_name(0), "recovery");
	assert_string_equal(sqns_mode_name(1), "mtools");
	assert_string_equal(sqns_mode_name(2), "application");
	assert_string_equal(sqns_mode_name(3), "updater");
	assert_string_equal(sqns_mode_name(4), "upgrade");
	assert_string_equal(sqns_mode_name(-1), "unknown");
	assert_string_equal(sqns_mode_name(5), "unknown");
}

#define T1(fn) cmocka_unit_test_setup_teardown(fn, setup1, teardown)
#define T7(fn) cmocka_unit_test_setup_teardown(fn, setup7, teardown)
#define TB(fn) cmocka_unit_test_setup_teardown(fn, setup_big, teardown)
#define TW(fn) cmocka_unit_test_setup_teardown(fn, setup_wrap, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T1(test_at_plain),
	    T7(test_at_plain),
	    T1(test_at_multi_line),
	    TB(test_at_multi_line),
	    T1(test_at_echo_and_blank_lines),
	    T7(test_at_echo_and_blank_lines),
	    T1(test_at_sysstart_before_and_inside),
	    TB(test_at_sysstart_before_and_inside),
	    T1(test_at_garbage_lines_dropped),
	    T7(test_at_garbage_lines_dropped),
	    TB(test_at_garbage_lines_dropped),
	    T1(test_at_field_urcs_and_dumps),
	    T7(test_at_field_urcs_and_dumps),
	    TB(test_at_field_urcs_and_dumps),
	    T7(test_showver_error_once),
	    T1(test_at_error),
	    T1(test_at_timeout_exact),
	    T7(test_at_answer_without_ok_times_out),
	    T1(test_at_slow_answer_in_time),
	    T1(test_at_boot_rom_terse),
	    TB(test_at_boot_rom_terse),
	    T1(test_at_bare_lf),
	    T7(test_at_bare_lf),
	    T1(test_at_very_long_line),
	    TB(test_at_very_long_line),
	    T7(test_at_resp_truncated),
	    T7(test_at_stale_input_drained),
	    TB(test_at_leftover_half_line_dropped),
	    T1(test_at_io_errors),
	    T1(test_at_events),
	    T1(test_wakeup_retries_until_ok),
	    TW(test_wakeup_retries_until_ok),
	    T7(test_wakeup_after_garbage_and_error),
	    T1(test_wakeup_no_modem_at_deadline),
	    TW(test_wakeup_no_modem_at_deadline),
	    T1(test_wakeup_default_is_wake_ms),
	    T1(test_wakeup_io_error),
	    T1(test_wakeup_deadline_with_moving_clock),
	    T1(test_get_mode),
	    T7(test_get_mode_junk),
	    T1(test_get_mode_rejects_text_before_digits),
	    T1(test_imei),
	    T7(test_imei_bad),
	    T7(test_showver_ati1_commands),
	    T1(test_detect),
	    T7(test_detect_bind_and_ate0_errors_tolerated),
	    T1(test_detect_no_modem_within_deadline),
	    T7(test_detect_escape_only_after_a_booting_modem_had_its_time),
	    T1(test_wait_line_found_with_ticks),
	    T7(test_wait_line_timeout),
	    T1(test_wait_line_without_ticks_waits_in_read),
	    cmocka_unit_test(test_init_checks_and_defaults),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
