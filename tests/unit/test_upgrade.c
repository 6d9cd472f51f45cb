/* SPDX-License-Identifier: MIT */
/*
 * The upgrade flows of docs/protocol.md section 6, end to end against a scripted
 * modem. Each script is the expected dialogue: a command sent out of order,
 * or one too many, fails the test at the write.
 */
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

#define IMG_SIZE 3000u

struct fix {
	struct fake_port *fp;
	struct ev_log log;
	struct sqns_ctx ctx;
	struct sqns_config cfg;
	uint8_t data[IMG_SIZE];
	struct mem_image mi;
	struct sqns_image img;
	struct sqns_upgrade_opts opts;
	char showver[512];
};

static int setup_chunk(void **state, size_t chunk)
{
	struct fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	fp_fixture_open(&f->fp, &f->log, &f->cfg, 100000, chunk);
	assert_int_equal(sqns_init(&f->ctx, &f->cfg), SQNS_OK);
	fill_pattern(f->data, sizeof f->data, 7);
	mem_image_init(&f->img, &f->mi, f->data, IMG_SIZE);
	f->opts.image = &f->img;
	*state = f;
	return 0;
}

static int setup1(void **state)
{
	return setup_chunk(state, 1);
}

static int setup7(void **state)
{
	return setup_chunk(state, 7);
}

static int teardown(void **state)
{
	struct fix *f = *state;
	fp_fixture_close(f->fp, &f->log);
	free(f);
	return 0;
}

/* ---- dialogue helpers ---- */

/* The modem answers cmd with reply (NULL: says nothing). */
static void say(struct fix *f, const char *cmd, const char *reply)
{
	fp_expect_cmd(f->fp, cmd);
	if (reply)
		fp_reply_str(f->fp, reply);
}

/* Application firmware right after boot: it echoes until ATE0. */
static void say_echo(struct fix *f, const char *cmd, const char *answer)
{
	fp_expect_cmd(f->fp, cmd);
	fp_reply_str(f->fp, cmd);
	fp_reply_str(f->fp, "\r\r\n");
	fp_reply_str(f->fp, answer);
}

#define OK "\r\nOK\r\n"
#define NO_REPORT "\r\n+SMUPGRADE: No report\r\n" OK

/* The versions read for planning: not the factory boot ROM (33080). */
static const char plan_showver[] = "\r\nSYSTEM VERSION\r\n==============\r\n"
				   "    Bootloader0  : 5.1.1.0 [38638]\r\n"
				   "    Software     : 5.1.1.0 [38638] by robot-soft\r\n\r\nOK\r\n";

static void script_detect_application(struct fix *f)
{
	say(f, "AT", NULL); /* the first probe goes unanswered */
	say_echo(f, "AT", "OK\r\n");
	say_echo(f, "AT+BIND=AT", "OK\r\n");
	say_echo(f, "ATE0", "OK\r\n");
	say(f, "AT+SMOD?", "\r\n2\r\nOK\r\n");
	say(f, "AT!=\"showver\"", plan_showver);
}

static void script_prepare(struct fix *f)
{
	say(f, "AT+SQNSUPGRADENTF=\"started\"", OK);
	say(f, "AT+SQNWL=\"sqndcc\",2", OK);
	say(f, "AT+CFUN=4", OK);
}

/* After AT+SMSWBOOT=3,1: silent while rebooting, then the updater (mode 4). */
static void script_reboot_to_upgrade_mode(struct fix *f)
{
	say(f, "AT", NULL);
	say(f, "AT", NULL);
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str_after(f->fp, 120, "\r\n+SYSSTART\r\n" OK);
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
}

static void script_wait_applied_success(struct fix *f)
{
	say(f, "AT", NULL);
	say(f, "AT", NULL);
	say(f, "AT", OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: on-going\r\n" OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: on-going\r\n" OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: success\r\n" OK);
}

/* After AT+SMSWBOOT=1,1 (or AT+SMUPGRADE): back in the application, echoing again. */
static void script_back_to_application(struct fix *f)
{
	say(f, "AT", NULL);
	fp_expect_cmd(f->fp, "AT");
	fp_reply_str_after(f->fp, 150, "\r\n+SYSSTART\r\nAT\r\r\nOK\r\n");
	say_echo(f, "AT+SMOD?", "\r\n2\r\nOK\r\n");
}

static const char showver_block[] = "\r\nSYSTEM VERSION\r\n==============\r\n  FIRMWARE VERSION\r\n"
				    "    Software     : 5.1.1.0 [39529] by robot-soft\r\n" OK;

/* showver: the caller asked for the final version block. */
static void script_finish(struct fix *f, bool showver)
{
	say_echo(f, "ATE0", "OK\r\n");
	say(f, "AT+SQNSUPGRADENTF=\"success\"", OK);
	(void)showver; /* the final version is always read (and checked when the name says) */
	say(f, "AT!=\"showver\"", showver_block);
}

static void check_phases(const struct fix *f, const enum sqns_phase *want, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type != SQNS_EV_PHASE)
			continue;
		if (k >= n || ev->phase != want[k])
			print_error("phase event %zu is %d\n", k, (int)ev->phase);
		assert_true(k < n);
		assert_int_equal(ev->phase, want[k]);
		k++;
	}
	assert_int_equal(k, n);
}

/* The AT commands sent, in order, as the AT_TX events name them. */
static void check_commands(const struct fix *f, const char *const *want, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct ev_rec *e = &f->log.recs[i];
		if (e->ev.type != SQNS_EV_AT_TX)
			continue;
		/* Wake-up probes are "AT" repeated: count them as one. */
		if (k > 0 && strcmp(e->text, "AT") == 0 && strcmp(want[k - 1], "AT") == 0)
			continue;
		if (k >= n || strcmp(e->text, want[k]) != 0)
			print_error("command %zu is %s, expected %s\n", k, e->text,
				    k < n ? want[k] : "(none)");
		assert_true(k < n);
		assert_string_equal(e->text, want[k]);
		k++;
	}
	assert_int_equal(k, n);
}

/* ---- the flows ---- */

static void test_on_the_fly_from_application(void **state)
{
	struct fix *f = *state;
	script_detect_application(f);
	script_prepare(f);
	say(f, "AT+SMSWBOOT=3,1", OK);
	script_reboot_to_upgrade_mode(f);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT); /* not checking an earlier image */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	script_wait_applied_success(f);
	say(f, "AT+SMSWBOOT?", "\r\n+SMSWBOOT: FFH\r\n" OK);
	say(f, "AT+SMSWBOOT=1,1", OK);
	script_back_to_application(f);
	script_finish(f, true);

	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, f->showver, sizeof f->showver), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_DONE);
	assert_string_equal(f->showver, "SYSTEM VERSION\n==============\n  FIRMWARE VERSION\n"
					"    Software     : 5.1.1.0 [39529] by robot-soft\n");

	/* docs/protocol.md section 6, "Normal", command by command. */
	static const char *const dialogue[] = {
	    "AT",
	    "AT+BIND=AT",
	    "ATE0",
	    "AT+SMOD?",
	    "AT!=\"showver\"",
	    "AT+SQNSUPGRADENTF=\"started\"",
	    "AT+SQNWL=\"sqndcc\",2",
	    "AT+CFUN=4",
	    "AT+SMSWBOOT=3,1",
	    "AT",
	    "AT+SMOD?",
	    "ATE0",
	    "AT+CFUN=4",
	    "AT+SMUPGRADE?",
	    "AT+SMSTPU=\"ON_THE_FLY\"",
	    "AT",
	    "AT+SMUPGRADE?",
	    "AT+SMUPGRADE?",
	    "AT+SMUPGRADE?",
	    "AT+SMSWBOOT?",
	    "AT+SMSWBOOT=1,1",
	    "AT",
	    "AT+SMOD?",
	    "ATE0",
	    "AT+SQNSUPGRADENTF=\"success\"",
	    "AT!=\"showver\"",
	};
	check_commands(f, dialogue, sizeof dialogue / sizeof dialogue[0]);
	static const enum sqns_phase phases[] = {
	    SQNS_PHASE_WAKEUP,	       SQNS_PHASE_PLAN,		 SQNS_PHASE_REBOOT_UPGRADE,
	    SQNS_PHASE_STP_ON_THE_FLY, SQNS_PHASE_DOWNLOAD_DONE, SQNS_PHASE_RESETTING,
	    SQNS_PHASE_COMPLETED,
	};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);

	/* The transfer reported every byte, ending at the image size. */
	uint32_t last = 0;
	size_t progress = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type != SQNS_EV_PROGRESS)
			continue;
		assert_true(ev->done >= last);
		assert_int_equal(ev->total, IMG_SIZE);
		last = ev->done;
		progress++;
	}
	assert_int_equal(last, IMG_SIZE);
	assert_int_equal(progress, 3);
	/* Seconds of waiting on the modem were ticked. */
	assert_true(ev_log_count(&f->log, SQNS_EV_TICK) > 0);
}

static void test_fff_small_image(void **state)
{
	struct fix *f = *state;
	f->opts.fff = true;
	script_detect_application(f);
	script_prepare(f);
	say(f, "AT+SMSTPU", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	say(f, "AT+SMUPGRADE", OK);
	script_back_to_application(f);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: on-going\r\n" OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: success\r\n" OK);
	script_finish(f, false);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_DONE);
	static const enum sqns_phase phases[] = {
	    SQNS_PHASE_WAKEUP,	      SQNS_PHASE_PLAN,	    SQNS_PHASE_STP_FFF,
	    SQNS_PHASE_DOWNLOAD_DONE, SQNS_PHASE_RESETTING, SQNS_PHASE_COMPLETED,
	};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
}

static void test_fff_too_big_falls_back_to_on_the_fly(void **state)
{
	struct fix *f = *state;
	struct mem_image zeros;
	struct sqns_image big;
	mem_image_init(&big, &zeros, NULL, 4194305u); /* 4 MiB + 1 */
	f->opts.image = &big;
	f->opts.fff = true;
	script_detect_application(f);
	script_prepare(f);
	/* ON_THE_FLY, not AT+SMSTPU: the reboot into upgrade mode comes next. */
	say(f, "AT+SMSWBOOT=3,1", "\r\nERROR\r\n");
	say(f, "AT+SMSWBOOT=3,0", "\r\nERROR\r\n");
	/* A required command: asked again once before the ERROR counts. */
	say(f, "AT+SMSWBOOT=3,0", "\r\nERROR\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
	static const enum sqns_phase phases[] = {
	    SQNS_PHASE_WAKEUP,
	    SQNS_PHASE_PLAN,
	    SQNS_PHASE_FFF_TOO_BIG,
	    SQNS_PHASE_REBOOT_UPGRADE,
	};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
	assert_true(zeros.reads <= 1); /* the ELF check at most: nothing sent */
}

static void test_fff_exactly_4mib_stays_fff(void **state)
{
	struct fix *f = *state;
	struct mem_image zeros;
	struct sqns_image big;
	mem_image_init(&big, &zeros, NULL, 4194304u); /* 4 MiB, the reference's FFF limit */
	f->opts.image = &big;
	f->opts.fff = true;
	script_detect_application(f);
	script_prepare(f);
	say(f, "AT+SMSTPU", "\r\nERROR\r\n");
	/* A required command: asked again once before the ERROR counts. */
	say(f, "AT+SMSTPU", "\r\nERROR\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
	static const enum sqns_phase phases[] = {SQNS_PHASE_WAKEUP, SQNS_PHASE_PLAN};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
}

static void test_force_fff_keeps_fff(void **state)
{
	struct fix *f = *state;
	struct mem_image zeros;
	struct sqns_image big;
	mem_image_init(&big, &zeros, NULL, 4194305u); /* 4 MiB + 1 */
	f->opts.image = &big;
	f->opts.fff = true;
	f->opts.force_fff = true;
	script_detect_application(f);
	script_prepare(f);
	say(f, "AT+SMSTPU", OK);
	/* The modem refuses the session: the flow stops there. */
	fp_expect_stp(f->fp, STP_OP_RESET, 0, 0, NULL, 0);
	fp_reply_stp(f->fp, 0x80, 0, 0, NULL, 0);
	fp_expect_stp(f->fp, STP_OP_OPEN_SESSION, 1, 1, NULL, 0);
	fp_reply_stp(f->fp, 0x81, 1, 1, (const uint8_t *)"\x00\x01\x20\x00", 4);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_PROTOCOL);
	fp_assert_done(f->fp, false);
	static const enum sqns_phase phases[] = {SQNS_PHASE_WAKEUP, SQNS_PHASE_PLAN,
						 SQNS_PHASE_STP_FFF};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
}

static void test_old_firmware_smswboot_fallback(void **state)
{
	struct fix *f = *state;
	script_detect_application(f);
	script_prepare(f);
	say(f, "AT+SMSWBOOT=3,1", "\r\nERROR\r\n");
	say(f, "AT+SMSWBOOT=3,0", OK);
	say(f, "AT^RESET", OK);
	script_reboot_to_upgrade_mode(f);
	say(f, "ATE0", "\r\nERROR\r\n"); /* optional in upgrade mode */
	say(f, "AT+CFUN=4", "\r\nERROR\r\n");
	say(f, "AT+SMUPGRADE?", NO_REPORT); /* not checking an earlier image */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", "\r\nERROR\r\n");
	/* A required command: asked again once before the ERROR counts. */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", "\r\nERROR\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UPGRADE_MODE);
}

static void test_resume_from_upgrade_mode(void **state)
{
	struct fix *f = *state;
	say(f, "AT", OK);
	say(f, "AT+BIND=AT", "\r\nERROR\r\n");
	say(f, "ATE0", "\r\nERROR\r\n");
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
	say(f, "AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT); /* not checking an earlier image */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	script_wait_applied_success(f);
	say(f, "AT+SMSWBOOT?", "\r\n+SMSWBOOT: FFH\r\n" OK);
	say(f, "AT+SMSWBOOT=1,1", OK);
	script_back_to_application(f);
	script_finish(f, false);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	static const enum sqns_phase phases[] = {
	    SQNS_PHASE_WAKEUP,	       SQNS_PHASE_PLAN,		 SQNS_PHASE_RESUME,
	    SQNS_PHASE_STP_ON_THE_FLY, SQNS_PHASE_DOWNLOAD_DONE, SQNS_PHASE_RESETTING,
	    SQNS_PHASE_COMPLETED,
	};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
}

static void test_rejected_image(void **state)
{
	struct fix *f = *state;
	say(f, "AT", OK);
	say(f, "AT+BIND=AT", "\r\nERROR\r\n");
	say(f, "ATE0", "\r\nERROR\r\n");
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
	say(f, "AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT); /* not checking an earlier image */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	say(f, "AT", OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: No report\r\n" OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: fail\r\n" OK);
	/* Asked for its old firmware, the updater refuses (it wrote nothing): upgrade mode. */
	say(f, "AT+SMSWBOOT=1,1", "\r\nERROR\r\n");
	say(f, "AT+SMSWBOOT=1,0", "\r\nERROR\r\n");
	say(f, "AT+SMSWBOOT=1,0", "\r\nERROR\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_REJECTED);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UPGRADE_MODE);
	assert_string_equal(f->ctx.res.report, "+SMUPGRADE: fail");
}

static void script_resume_until_cfun(struct fix *f);

/*
 * The field's refused differential image: the modem's words kept as they came,
 * and the old firmware boots again (stage untouched, its build read).
 */
static void test_rejected_diff_boots_the_old_firmware(void **state)
{
	struct fix *f = *state;
	f->img.name = "upgdiff_33080-to-39529.dup";
	script_resume_until_cfun(f);
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	say(f, "AT", OK);
	say(f, "AT+SMUPGRADE?",
	    "\r\n+CPSMS: 1,,,\"10000110\",\"00011110\"\r\n"
	    "+SMUPGRADE: failure[diffUpgrade,239] Patch didn't apply!\r\n" OK);
	say(f, "AT+SMSWBOOT=1,1", OK);
	script_back_to_application(f);
	say(f, "AT!=\"showver\"", plan_showver);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_REJECTED);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
	assert_string_equal(f->ctx.res.report,
			    "+SMUPGRADE: failure[diffUpgrade,239] Patch didn't apply!");
	assert_int_equal(f->ctx.res.plan.running_build, 38638);
	assert_true(f->ctx.res.plan.base_unknown);
	static const enum sqns_phase phases[] = {
	    SQNS_PHASE_WAKEUP,	  SQNS_PHASE_BASE_UNKNOWN,   SQNS_PHASE_PLAN,
	    SQNS_PHASE_RESUME,	  SQNS_PHASE_STP_ON_THE_FLY, SQNS_PHASE_DOWNLOAD_DONE,
	    SQNS_PHASE_RESETTING, SQNS_PHASE_REJECTED,
	};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
}

/* Part 2 on a modem that does not run the build part 1 leaves: refused, nothing sent. */
static void test_part2_needs_the_intermediate_build(void **state)
{
	struct fix *f = *state;
	f->img.name = "CATM1-5.2-48829-2.dup";
	script_detect_application(f); /* on 38638 */
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_REFUSED);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.refusal, SQNS_REFUSE_PART2_WRONG_BASE);
	assert_int_equal(f->ctx.res.plan.target.from, 39529);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
}

/* Part 1 and part 2 that are not the two parts of one release: a caller's mistake. */
static void test_parts_must_match(void **state)
{
	struct fix *f = *state;
	struct mem_image mi2;
	struct sqns_image part2;
	mem_image_init(&part2, &mi2, f->data, IMG_SIZE);
	part2.name = "CATM1-5.2-48830-2.dup";
	f->img.name = "CATM1-5.2-48829-1.dup";
	f->opts.part2 = &part2;
	enum sqns_refusal why;
	assert_int_equal(sqns_check_images(&f->opts, &why), SQNS_ERR_ARG);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_ARG);
	assert_int_equal(f->fp->wlen, 0); /* nothing sent */
	part2.name = "CATM1-5.2-48829-2.dup";
	assert_int_equal(sqns_check_images(&f->opts, &why), SQNS_OK);
}

/* What a firmware image must not be, told from its first bytes before any port is open. */
static void test_check_images_not_firmware(void **state)
{
	(void)state;
	static const struct {
		const char *head;
		size_t len;
		enum sqns_refusal why;
	} kinds[] = {
	    {"PK\x03\x04", 4, SQNS_REFUSE_FIRMWARE_IS_ZIP},
	    {"PK\x05\x06", 4, SQNS_REFUSE_FIRMWARE_IS_ZIP},
	    {"\x1f\x8b\x08", 3, SQNS_REFUSE_FIRMWARE_IS_COMPRESSED},
	    {"\xfd"
	     "7zXZ",
	     5, SQNS_REFUSE_FIRMWARE_IS_COMPRESSED},
	    {"\x7f"
	     "ELF",
	     4, SQNS_REFUSE_FIRMWARE_IS_ELF},
	    {"UPGR", 4, SQNS_REFUSE_FIRMWARE_IS_BOOTROM},
	};
	uint8_t data[600];
	struct mem_image mi;
	struct sqns_image img;
	struct sqns_upgrade_opts opts = {.image = &img};
	enum sqns_refusal why;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		fill_pattern(data, sizeof data, 5);
		memcpy(data, kinds[k].head, kinds[k].len);
		mem_image_init(&img, &mi, data, sizeof data);
		assert_int_equal(sqns_check_images(&opts, &why), SQNS_ERR_REFUSED);
		assert_int_equal(why, kinds[k].why);
		assert_int_equal(mi.reads, 1);
	}
	fill_pattern(data, sizeof data, 5);
	memcpy(data + 257, "ustar", 5);
	mem_image_init(&img, &mi, data, sizeof data);
	assert_int_equal(sqns_check_images(&opts, &why), SQNS_ERR_REFUSED);
	assert_int_equal(why, SQNS_REFUSE_FIRMWARE_IS_TAR);
	memset(data, 'x', sizeof data);
	static const char page[] = "\xef\xbb\xbf  \n<!DOCTYPE html>";
	memcpy(data, page, sizeof page - 1);
	assert_int_equal(sqns_check_images(&opts, &why), SQNS_ERR_REFUSED);
	assert_int_equal(why, SQNS_REFUSE_FIRMWARE_IS_HTML);
	memset(data, 'x', sizeof data);
	assert_int_equal(sqns_check_images(&opts, &why), SQNS_ERR_REFUSED);
	assert_int_equal(why, SQNS_REFUSE_FIRMWARE_IS_TEXT);
	/* Text is told from the first 256 bytes; a NUL among them makes it binary. */
	data[300] = 0;
	assert_int_equal(sqns_check_images(&opts, &why), SQNS_ERR_REFUSED);
	data[200] = 0;
	assert_int_equal(sqns_check_images(&opts, &why), SQNS_OK);
	fill_pattern(data, sizeof data, 5);
	assert_int_equal(sqns_check_images(&opts, &why), SQNS_OK);
	assert_int_equal(why, SQNS_REFUSE_NONE);
}

static void test_smswboot_query_without_target(void **state)
{
	struct fix *f = *state;
	say(f, "AT", OK);
	say(f, "AT+BIND=AT", "\r\nERROR\r\n");
	say(f, "ATE0", "\r\nERROR\r\n");
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
	say(f, "AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT); /* not checking an earlier image */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	say(f, "AT", OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: success\r\n" OK);
	say(f, "AT+SMSWBOOT?", "\r\n+SMSWBOOT: 7\r\n" OK);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_PROTOCOL);
	fp_assert_done(f->fp, false);
}

/* Preparation: the notifications may be refused, AT+CFUN=4 may not. */
static void test_prepare_cfun_refused(void **state)
{
	struct fix *f = *state;
	script_detect_application(f);
	say(f, "AT+SQNSUPGRADENTF=\"started\"", "\r\nERROR\r\n");
	say(f, "AT+SQNWL=\"sqndcc\",2", "\r\n+CME ERROR: 4\r\n");
	say(f, "AT+CFUN=4", "\r\nERROR\r\n");
	/* A required command: asked again once before the ERROR counts. */
	say(f, "AT+CFUN=4", "\r\nERROR\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
}

/*
 * AT+SMSWBOOT=3,1 answered OK, but the modem still answers as the application
 * for a moment: the flow waits for its +SYSSTART rather than polling hard.
 */
static void test_reboot_waits_for_sysstart(void **state)
{
	struct fix *f = *state;
	script_detect_application(f);
	script_prepare(f);
	say(f, "AT+SMSWBOOT=3,1", OK);
	say(f, "AT", OK);
	fp_expect_cmd(f->fp, "AT+SMOD?");
	fp_reply_str(f->fp, "\r\n2\r\nOK\r\n");
	fp_reply_str_after(f->fp, 800, "\r\n+SYSSTART\r\n");
	uint32_t sysstart_at = f->fp->now; /* filled in below */
	size_t smod = fp_next_step(f->fp) - 3;
	size_t probe = fp_next_step(f->fp);
	say(f, "AT", OK);
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT); /* not checking an earlier image */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", "\r\nERROR\r\n");
	/* A required command: asked again once before the ERROR counts. */
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", "\r\nERROR\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
	sysstart_at = f->fp->steps[smod].done_at + 800;
	/* The next probe went out once +SYSSTART was in, not before. */
	assert_true((int32_t)(f->fp->steps[probe].done_at - sysstart_at) >= 0);
	assert_true(f->fp->steps[probe].done_at - sysstart_at < 100);
}

static void test_recovery_without_updater_refused(void **state)
{
	struct fix *f = *state;
	say(f, "AT", "OK\r\n");
	say(f, "AT+BIND=AT", "ERROR\r\n");
	say(f, "ATE0", "ERROR\r\n");
	say(f, "AT+SMOD?", "0\r\nOK\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_REFUSED);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.refusal, SQNS_REFUSE_RECOVERY_NO_UPDATER);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_RECOVERY);
}

static void test_factory_bootrom_refused(void **state)
{
	struct fix *f = *state;
	say(f, "AT", OK);
	say(f, "AT+BIND=AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+SMOD?", "\r\n2\r\nOK\r\n");
	say(f, "AT!=\"showver\"",
	    "\r\n    Bootloader0  : 5.1.1.0 [33080]\r\n"
	    "    Software     : 5.1.1.0 [38638] by robot-soft\r\n" OK);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_REFUSED);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.refusal, SQNS_REFUSE_FACTORY_BOOTROM);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
}

static void test_no_modem(void **state)
{
	struct fix *f = *state;
	f->fp->sink = true; /* AT at two rates and +++: nobody answers */
	f->cfg.timeouts.detect_ms = 20000;
	assert_int_equal(sqns_init(&f->ctx, &f->cfg), SQNS_OK);
	uint32_t start = f->fp->now;
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_NO_MODEM);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
	assert_true(f->fp->wlen > 0);
	assert_true(f->fp->now - start >= f->cfg.timeouts.detect_ms);
	/* Within detect_ms, give or take one AT timeout. */
	assert_true(f->fp->now - start <= f->cfg.timeouts.detect_ms + f->cfg.timeouts.at_ms);
	assert_true(f->fp->nrates >= 1);
	assert_int_equal(f->fp->rates[0], 115200);
}

static void test_bad_arguments(void **state)
{
	struct fix *f = *state;
	assert_int_equal(sqns_upgrade(&f->ctx, NULL, NULL, 0), SQNS_ERR_ARG);
	struct sqns_upgrade_opts opts = {0};
	assert_int_equal(sqns_upgrade(&f->ctx, &opts, NULL, 0), SQNS_ERR_ARG);
	struct mem_image mi;
	struct sqns_image empty;
	mem_image_init(&empty, &mi, f->data, 0);
	opts.image = &empty;
	assert_int_equal(sqns_upgrade(&f->ctx, &opts, NULL, 0), SQNS_ERR_ARG);
	assert_int_equal(f->fp->wlen, 0);
}

/* ---- the boot ROM: the reference's steps 1 and 4, old firmware, checking ---- */

#define ROM_SIZE 700u
#define ELF_SIZE 900u

struct extra_images {
	uint8_t rom[ROM_SIZE], elf[ELF_SIZE];
	struct mem_image rom_mi, elf_mi;
	struct sqns_image rom_img, elf_img;
};

/* A boot ROM ("UPGR" first) and an updater.elf ("\x7fELF" first) for the fixture. */
static void add_bootrom_and_updater(struct fix *f, struct extra_images *x)
{
	fill_pattern(x->rom, ROM_SIZE, 11);
	memcpy(x->rom, "UPGR", 4);
	fill_pattern(x->elf, ELF_SIZE, 13);
	memcpy(x->elf,
	       "\x7f"
	       "ELF",
	       4);
	mem_image_init(&x->rom_img, &x->rom_mi, x->rom, ROM_SIZE);
	mem_image_init(&x->elf_img, &x->elf_mi, x->elf, ELF_SIZE);
	f->opts.bootrom = &x->rom_img;
	f->img.name = "CATM1-39529.dup";
}

static void say_showver(struct fix *f, unsigned bootloader0, unsigned software)
{
	char block[256];
	snprintf(block, sizeof block,
		 "\r\nSYSTEM VERSION\r\n==============\r\n"
		 "    Bootloader0  : 5.1.1.0 [%u]\r\n"
		 "    Software     : 5.1.1.0 [%u] by robot-soft\r\n" OK,
		 bootloader0, software);
	say(f, "AT!=\"showver\"", block);
}

static void script_detect_application_showver(struct fix *f, unsigned b0, unsigned sw)
{
	say(f, "AT", NULL);
	say_echo(f, "AT", "OK\r\n");
	say_echo(f, "AT+BIND=AT", "OK\r\n");
	say_echo(f, "ATE0", "OK\r\n");
	say(f, "AT+SMOD?", "\r\n2\r\nOK\r\n");
	say_showver(f, b0, sw);
}

static void script_detect_upgrade_mode(struct fix *f)
{
	say(f, "AT", OK);
	say(f, "AT+BIND=AT", "\r\nERROR\r\n");
	say(f, "ATE0", "\r\nERROR\r\n");
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
}

/* Mode 4 from AT+SMSTPU="ON_THE_FLY" to the reboot into the application. */
static void script_firmware_in_upgrade_mode(struct fix *f)
{
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	script_wait_applied_success(f);
	say(f, "AT+SMSWBOOT?", "\r\n+SMSWBOOT: FFH\r\n" OK);
	say(f, "AT+SMSWBOOT=1,1", OK);
	script_back_to_application(f);
	say_echo(f, "ATE0", "OK\r\n");
	say(f, "AT+SQNSUPGRADENTF=\"success\"", OK);
}

/* Resume from mode 4: the firmware goes, then the versions are read (b0, 39529). */
static void script_resume_to_versions(struct fix *f, unsigned b0)
{
	script_detect_upgrade_mode(f);
	say(f, "AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT);
	script_firmware_in_upgrade_mode(f);
	say_showver(f, b0, 39529);
}

/* The reference's step 4: the boot ROM stored in application mode, applied through mode 4. */
static void script_bootrom_stored(struct fix *f, const struct extra_images *x, bool rebind,
				  unsigned b0_after)
{
	if (rebind)
		say(f, "AT+BIND=AT", OK);
	script_prepare(f);
	say(f, "AT+SMSTPU", OK);
	fp_script_stp_session(f->fp, x->rom, ROM_SIZE, 8192);
	say(f, "AT+SMUPGRADE", OK);
	say(f, "AT", NULL);
	say(f, "AT", OK); /* the modem applies it in mode 4 */
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
	script_back_to_application(f);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: success\r\n" OK);
	say_echo(f, "ATE0", "OK\r\n");
	say(f, "AT+SQNSUPGRADENTF=\"success\"", OK);
	say_showver(f, b0_after, 39529);
}

static int phase_value(const struct fix *f, enum sqns_phase phase)
{
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_PHASE && ev->phase == phase)
			return ev->value;
	}
	fail_msg("no phase event %d", (int)phase);
	return -1;
}

/*
 * A factory modem, the recovery method with the boot ROM: the reference's
 * step 1 (through upgrade mode), steps 2 and 3, and no step 4 because the
 * boot ROM took.
 */
static void test_first_upgrade_in_the_reference_order(void **state)
{
	struct fix *f = *state;
	struct extra_images x;
	add_bootrom_and_updater(f, &x);
	f->opts.updater = &x.elf_img;
	script_detect_application_showver(f, 33080, 38638);
	script_prepare(f);
	say(f, "AT+SMSWBOOT=3,1", OK);
	script_reboot_to_upgrade_mode(f);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT);
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, x.rom, ROM_SIZE, 8192);
	script_wait_applied_success(f);
	say(f, "AT+SMSWBOOT=0,1", OK);
	/* The boot ROM at 115200, terse; moved to 921600. */
	say(f, "AT", NULL);
	say(f, "AT", "OK\r\n");
	say(f, "AT+IPR=921600", "OK\r\n");
	say(f, "AT", "OK\r\n");
	say(f, "AT+SMOD?", "0\r\nOK\r\n");
	say(f, "AT+STP", "OK\r\n");
	fp_script_stp_session(f->fp, x.elf, ELF_SIZE, 2048);
	say(f, "AT", NULL);
	say(f, "AT", OK);
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
	say(f, "AT", OK);
	/* After updater.elf: straight to the firmware, as the reference does. */
	say(f, "AT+SMUPGRADE?", NO_REPORT);
	script_firmware_in_upgrade_mode(f);
	say_showver(f, 39529, 39529);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, f->showver, sizeof f->showver), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_DONE);
	assert_true(f->ctx.res.plan.bootrom_step);
	assert_false(f->ctx.res.plan.bootrom_again);
	assert_false(f->ctx.res.plan.bootrom_pending);
	assert_int_equal(f->ctx.res.plan.bootloader0_after, 39529);
	static const uint32_t rates[] = {115200, 921600, 921600};
	assert_int_equal(f->fp->nrates, 2);
	assert_memory_equal(f->fp->rates, rates, 2 * sizeof rates[0]);
	static const enum sqns_phase phases[] = {
	    SQNS_PHASE_WAKEUP,	       SQNS_PHASE_PLAN,		 SQNS_PHASE_REBOOT_UPGRADE,
	    SQNS_PHASE_STP_BOOTROM,    SQNS_PHASE_BOOTROM_DONE,	 SQNS_PHASE_NEGOTIATE,
	    SQNS_PHASE_WAKEUP,	       SQNS_PHASE_UPDATER_DONE,	 SQNS_PHASE_WAKEUP,
	    SQNS_PHASE_STP_ON_THE_FLY, SQNS_PHASE_DOWNLOAD_DONE, SQNS_PHASE_RESETTING,
	    SQNS_PHASE_COMPLETED,      SQNS_PHASE_VERIFIED,
	};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
}

/* The boot ROM did not show in Bootloader0: sent again, stored, and verified. */
static void test_step4_bootrom_again_by_fff(void **state)
{
	struct fix *f = *state;
	struct extra_images x;
	add_bootrom_and_updater(f, &x);
	script_resume_to_versions(f, 33080);
	script_bootrom_stored(f, &x, true, 39529);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, f->showver, sizeof f->showver), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_true(f->ctx.res.plan.bootrom_again);
	assert_false(f->ctx.res.plan.bootrom_pending);
	assert_int_equal(phase_value(f, SQNS_PHASE_BOOTROM_VERIFIED), 39529);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_DONE);
	/* The caller's version block is the last one read. */
	assert_non_null(strstr(f->showver, "Bootloader0  : 5.1.1.0 [39529]"));
	static const enum sqns_phase phases[] = {
	    SQNS_PHASE_WAKEUP,	      SQNS_PHASE_PLAN,
	    SQNS_PHASE_RESUME,	      SQNS_PHASE_STP_ON_THE_FLY,
	    SQNS_PHASE_DOWNLOAD_DONE, SQNS_PHASE_RESETTING,
	    SQNS_PHASE_COMPLETED,     SQNS_PHASE_VERIFIED,
	    SQNS_PHASE_BOOTROM_AGAIN, SQNS_PHASE_STP_FFF,
	    SQNS_PHASE_DOWNLOAD_DONE, SQNS_PHASE_RESETTING,
	    SQNS_PHASE_COMPLETED,     SQNS_PHASE_BOOTROM_VERIFIED,
	};
	check_phases(f, phases, sizeof phases / sizeof phases[0]);
}

/* Stored too, the boot ROM still reads 33080: the upgrade stands, the boot ROM is pending. */
static void test_step4_that_does_not_take(void **state)
{
	struct fix *f = *state;
	struct extra_images x;
	add_bootrom_and_updater(f, &x);
	script_resume_to_versions(f, 33080);
	script_bootrom_stored(f, &x, true, 33080);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_true(f->ctx.res.plan.bootrom_pending);
	assert_int_equal(phase_value(f, SQNS_PHASE_BOOTROM_FACTORY), 33080);
}

/* No boot ROM file: the firmware is verified; the boot ROM is reported pending. */
static void test_step4_without_bootrom_file(void **state)
{
	struct fix *f = *state;
	f->img.name = "CATM1-39529.dup";
	script_resume_to_versions(f, 33080);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_true(f->ctx.res.plan.bootrom_pending);
	assert_false(f->ctx.res.plan.bootrom_again);
	assert_int_equal(phase_value(f, SQNS_PHASE_BOOTROM_FACTORY), 33080);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_DONE);
}

/* The firmware is current and the boot ROM the factory's: only step 4 runs. */
static void test_bootrom_only_when_firmware_current(void **state)
{
	struct fix *f = *state;
	struct extra_images x;
	add_bootrom_and_updater(f, &x);
	script_detect_application_showver(f, 33080, 39529);
	script_bootrom_stored(f, &x, false, 39529);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_true(f->ctx.res.plan.bootrom_only);
	assert_int_equal(phase_value(f, SQNS_PHASE_BOOTROM_VERIFIED), 39529);
	assert_int_equal(f->mi.reads, 1); /* only its first bytes, checked: never sent */
}

/* Current firmware, factory boot ROM, no file: nothing to do, but said. */
static void test_current_with_factory_bootrom_says_so(void **state)
{
	struct fix *f = *state;
	f->img.name = "CATM1-39529.dup";
	script_detect_application_showver(f, 33080, 39529);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_true(f->ctx.res.plan.bootrom_pending);
	assert_int_equal(phase_value(f, SQNS_PHASE_BOOTROM_FACTORY), 33080);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
}

/* Old firmware refuses AT+SMSWBOOT=1,1 too: =1,0 and AT^RESET bring the application back. */
static void test_old_firmware_every_reboot_falls_back(void **state)
{
	struct fix *f = *state;
	script_detect_upgrade_mode(f);
	say(f, "AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT);
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	script_wait_applied_success(f);
	say(f, "AT+SMSWBOOT?", "\r\n+SMSWBOOT: FFH\r\n" OK);
	say(f, "AT+SMSWBOOT=1,1", "\r\nERROR\r\n");
	say(f, "AT+SMSWBOOT=1,0", OK);
	say(f, "AT^RESET", OK);
	script_back_to_application(f);
	script_finish(f, false);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_DONE);
}

/* ... and AT+SMSWBOOT=0,1 into recovery. */
static void test_old_firmware_reboot_into_recovery_falls_back(void **state)
{
	struct fix *f = *state;
	struct extra_images x;
	add_bootrom_and_updater(f, &x);
	f->opts.updater = &x.elf_img;
	f->opts.bootrom = NULL;
	script_detect_application_showver(f, 38638, 38638);
	script_prepare(f);
	say(f, "AT+SMSWBOOT=0,1", "\r\nERROR\r\n");
	say(f, "AT+SMSWBOOT=0,0", OK);
	say(f, "AT^RESET", "\r\nERROR\r\n");
	say(f, "AT^RESET", "\r\nERROR\r\n");
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_MODEM);
	fp_assert_done(f->fp, false);
}

/*
 * Resumed right after an interruption: the modem still checks what it got
 * and says on-going; the transfer waits for its verdict.
 */
static void test_checking_modem_is_waited_for(void **state)
{
	struct fix *f = *state;
	script_detect_upgrade_mode(f);
	say(f, "AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: on-going\r\n" OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: on-going\r\n" OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: on-going\r\n" OK);
	say(f, "AT+SMUPGRADE?", "\r\n+SMUPGRADE: fail\r\n" OK);
	script_firmware_in_upgrade_mode(f);
	say(f, "AT!=\"showver\"", showver_block);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	size_t checking = 0, ticks = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_PHASE && ev->phase == SQNS_PHASE_CHECKING)
			checking++;
		if (ev->type == SQNS_EV_TICK && ev->phase == SQNS_PHASE_CHECKING)
			assert_int_equal(ev->value, (int)++ticks);
	}
	assert_int_equal(checking, 1);
	assert_int_equal(ticks, 3); /* three one-second waits on the line, counted from the clock */
}

static void test_bootrom_without_magic_refused(void **state)
{
	struct fix *f = *state;
	struct extra_images x;
	add_bootrom_and_updater(f, &x);
	f->opts.updater = &x.elf_img;
	x.rom[0] = 'u';
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_REFUSED);
	assert_int_equal(f->ctx.res.refusal, SQNS_REFUSE_BOOTROM_NOT_UPGR);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
	assert_int_equal(f->fp->wlen, 0); /* nothing was sent */
	x.rom[0] = 'U';
	x.elf[0] = 'E';
	assert_int_equal(sqns_prepare(&f->ctx, &f->opts), SQNS_ERR_REFUSED);
	assert_int_equal(f->ctx.res.refusal, SQNS_REFUSE_UPDATER_NOT_ELF);
	assert_int_equal(f->fp->wlen, 0);
}

/* ---- a release (opts->release): checked, then chosen after one reading of the versions ---- */

struct rel_fix {
	struct sqns_member members[3];
	struct sqns_image images[3];
	struct mem_image mi[3];
	uint8_t elf[256];
	struct sqns_release rel;
};

static int rel_open(void *ctx, size_t index, struct sqns_image *img)
{
	struct rel_fix *r = ctx;
	*img = r->images[index];
	return SQNS_OK;
}

/* CATM1-39529.zip's three files, all made of the fixture's data but updater.elf. */
static void release_of(struct fix *f, struct rel_fix *r, bool elf)
{
	static const char *const names[3] = {"CATM1-39529.dup", "upgdiff_38638-to-39529.dup",
					     "updater.elf"};
	memset(r, 0, sizeof *r);
	memcpy(r->elf,
	       "\x7f"
	       "ELF",
	       elf ? 4 : 0);
	for (size_t i = 0; i < 3; i++) {
		mem_image_init(&r->images[i], &r->mi[i], i == 2 ? r->elf : f->data,
			       i == 2 ? sizeof r->elf : IMG_SIZE);
		r->images[i].name = names[i];
		r->members[i] = (struct sqns_member){names[i], r->images[i].size};
	}
	r->rel = (struct sqns_release){r->members, 3, rel_open, r};
	f->opts.image = NULL;
	f->opts.release = &r->rel;
}

static void test_release_dry_run_chooses_the_diff(void **state)
{
	struct fix *f = *state;
	struct rel_fix r;
	release_of(f, &r, true);
	f->opts.dry_run = true;
	script_detect_application(f); /* one showver: the choice reuses it */
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	const struct sqns_plan *p = &f->ctx.res.plan;
	assert_true(p->from_release);
	assert_int_equal(p->choice.why, SQNS_CHOSE_DIFF);
	assert_int_equal(p->choice.image, 1);
	assert_true(p->target.differential);
	assert_int_equal(p->target.from, 38638);
	assert_false(p->updater_step);
	assert_int_equal(f->ctx.res.release.full, 0);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_UNTOUCHED);
}

static void test_release_refused_before_anything_is_sent(void **state)
{
	struct fix *f = *state;
	struct rel_fix r;
	release_of(f, &r, false); /* an updater.elf that is not ELF */
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_REFUSED);
	assert_int_equal(f->ctx.res.refusal, SQNS_REFUSE_RELEASE);
	assert_int_equal(f->ctx.res.release.problem, SQNS_RELEASE_UPDATER_NOT_ELF);
	assert_int_equal(f->ctx.res.release.member, 2);
	assert_int_equal(f->fp->wlen, 0);
	/* A release and a firmware image at once is the caller's mistake. */
	release_of(f, &r, true);
	f->opts.image = &f->img;
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_ERR_ARG);
	assert_int_equal(f->fp->wlen, 0);
}

/* Found in upgrade mode: the full image goes, resumed, with no updater.elf. */
static void test_release_resumed_with_the_full_image(void **state)
{
	struct fix *f = *state;
	struct rel_fix r;
	release_of(f, &r, true);
	script_resume_to_versions(f, 38638);
	int err = sqns_upgrade(&f->ctx, &f->opts, f->showver, sizeof f->showver);
	assert_int_equal(err, SQNS_OK);
	assert_int_equal(f->ctx.res.plan.choice.why, SQNS_CHOSE_FULL_UNREAD);
	assert_int_equal(f->ctx.res.plan.choice.image, 0);
	assert_true(f->ctx.res.plan.resume);
	assert_int_equal(f->ctx.res.stage, SQNS_STAGE_DONE);
}

#define T1(fn) cmocka_unit_test_setup_teardown(fn, setup1, teardown)
#define T7(fn) cmocka_unit_test_setup_teardown(fn, setup7, teardown)

/* ---- a faster link for the transfer (-b above 921600) ---- */

static void script_resume_until_cfun(struct fix *f)
{
	say(f, "AT", OK);
	say(f, "AT+BIND=AT", "\r\nERROR\r\n");
	say(f, "ATE0", "\r\nERROR\r\n");
	say(f, "AT+SMOD?", "\r\n4\r\nOK\r\n");
	say(f, "AT", OK);
	say(f, "ATE0", OK);
	say(f, "AT+CFUN=4", OK);
	say(f, "AT+SMUPGRADE?", NO_REPORT); /* not checking an earlier image */
}

static void script_resume_after_transfer(struct fix *f)
{
	say(f, "AT+SMSTPU=\"ON_THE_FLY\"", OK);
	fp_script_stp_session(f->fp, f->data, IMG_SIZE, 8192);
	script_wait_applied_success(f);
	say(f, "AT+SMSWBOOT?", "\r\n+SMSWBOOT: FFH\r\n" OK);
	say(f, "AT+SMSWBOOT=1,1", OK);
	script_back_to_application(f);
	script_finish(f, false);
}

static void use_fast_link(struct fix *f)
{
	f->cfg.fast_baud = 4000000;
	assert_int_equal(sqns_init(&f->ctx, &f->cfg), SQNS_OK);
}

static void test_fast_link_used_for_the_transfer(void **state)
{
	struct fix *f = *state;
	use_fast_link(f);
	script_resume_until_cfun(f);
	say(f, "AT+IPR=4000000", OK);
	say(f, "AT", OK); /* verified at the new rate */
	script_resume_after_transfer(f);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	/* The host's port was tried first, then the modem moved, then back after the reboot. */
	static const uint32_t want[] = {4000000, 921600, 4000000, 921600};
	assert_int_equal(f->fp->nrates, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(f->fp->rates[i], want[i]);
	assert_int_equal(f->ctx.res.rate, 921600);
}

static void test_fast_link_that_does_not_carry_falls_back(void **state)
{
	struct fix *f = *state;
	use_fast_link(f);
	script_resume_until_cfun(f);
	say(f, "AT+IPR=4000000", OK);
	/* Nothing answers at 4000000 for a whole AT timeout... */
	for (unsigned i = 0; i < (f->cfg.timeouts.at_ms + 199) / 200; i++)
		say(f, "AT", NULL);
	/* ...so the modem is asked back blindly, and answers at 921600. */
	say(f, "AT+IPR=921600", NULL);
	say(f, "AT", OK);
	script_resume_after_transfer(f);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	static const uint32_t want[] = {4000000, 921600, 4000000, 921600};
	assert_int_equal(f->fp->nrates, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(f->fp->rates[i], want[i]);
	size_t fast_events = 0;
	for (size_t i = 0; i < f->log.n; i++) {
		const struct sqns_event *ev = &f->log.recs[i].ev;
		if (ev->type == SQNS_EV_PHASE && ev->phase == SQNS_PHASE_FAST_LINK) {
			assert_int_equal(ev->value, 0);
			fast_events++;
		}
	}
	assert_int_equal(fast_events, 1);
}

static void test_fast_link_refused_by_the_modem(void **state)
{
	struct fix *f = *state;
	use_fast_link(f);
	script_resume_until_cfun(f);
	say(f, "AT+IPR=4000000", "\r\nERROR\r\n");
	script_resume_after_transfer(f);
	assert_int_equal(sqns_upgrade(&f->ctx, &f->opts, NULL, 0), SQNS_OK);
	fp_assert_done(f->fp, false);
	/* Only the host's own check; the modem stayed at 921600 throughout. */
	assert_int_equal(f->fp->nrates, 2);
	assert_int_equal(f->fp->rates[0], 4000000);
	assert_int_equal(f->fp->rates[1], 921600);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T1(test_on_the_fly_from_application),
	    T7(test_on_the_fly_from_application),
	    T7(test_fff_small_image),
	    T7(test_fff_too_big_falls_back_to_on_the_fly),
	    T7(test_fff_exactly_4mib_stays_fff),
	    T7(test_force_fff_keeps_fff),
	    T7(test_old_firmware_smswboot_fallback),
	    T7(test_resume_from_upgrade_mode),
	    T7(test_rejected_image),
	    T7(test_rejected_diff_boots_the_old_firmware),
	    T1(test_part2_needs_the_intermediate_build),
	    T1(test_parts_must_match),
	    cmocka_unit_test(test_check_images_not_firmware),
	    T7(test_smswboot_query_without_target),
	    T7(test_prepare_cfun_refused),
	    T7(test_reboot_waits_for_sysstart),
	    T1(test_recovery_without_updater_refused),
	    T7(test_first_upgrade_in_the_reference_order),
	    T1(test_first_upgrade_in_the_reference_order),
	    T7(test_step4_bootrom_again_by_fff),
	    T7(test_step4_that_does_not_take),
	    T7(test_step4_without_bootrom_file),
	    T7(test_bootrom_only_when_firmware_current),
	    T7(test_current_with_factory_bootrom_says_so),
	    T7(test_old_firmware_every_reboot_falls_back),
	    T7(test_old_firmware_reboot_into_recovery_falls_back),
	    T7(test_checking_modem_is_waited_for),
	    T7(test_bootrom_without_magic_refused),
	    T7(test_factory_bootrom_refused),
	    T7(test_no_modem),
	    T7(test_fast_link_used_for_the_transfer),
	    T7(test_fast_link_that_does_not_carry_falls_back),
	    T7(test_fast_link_refused_by_the_modem),
	    T7(test_bad_arguments),
	    T7(test_release_dry_run_chooses_the_diff),
	    T7(test_release_refused_before_anything_is_sent),
	    T7(test_release_resumed_with_the_full_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
