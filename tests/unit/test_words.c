/* SPDX-License-Identifier: MIT */
/*
 * The words (src/words): the buffer contract (snprintf's: NUL-terminated,
 * truncated, the whole length returned), the formatter, the commands named
 * for each reader, and the plan's estimate rounded as printf's "%.0f".
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sqnsupgrade_words.h"

static void quote_shell(char *out, size_t len, const char *word)
{
	snprintf(out, len, strchr(word, ' ') ? "'%s'" : "%s", word);
}

static void test_truncation(void **state)
{
	(void)state;
	char full[200], small[8];
	int n = sqns_words_busy(30, full, sizeof full);
	assert_string_equal(full,
			    "The modem is still busy after 30 s: this is normal, waiting...\n");
	assert_int_equal(n, (int)strlen(full));
	assert_int_equal(sqns_words_busy(30, small, sizeof small), n);
	assert_string_equal(small, "The mod");
	assert_int_equal(sqns_words_busy(30, NULL, 0), n);
}

static void test_wait_and_busy(void **state)
{
	(void)state;
	char b[200];
	sqns_words_wait(SQNS_PHASE_CHECKING, 12, b, sizeof b);
	assert_string_equal(b, "Checking the earlier image: still on-going after 12 s, which is "
			       "normal (it can take a few minutes)\n");
	sqns_words_wait(SQNS_PHASE_NEGOTIATE, -3, b, sizeof b);
	assert_string_equal(b, "Loading the updater: no answer yet after -3 s, which is normal "
			       "(it can take a few minutes)\n");
	sqns_words_busy(0, b, sizeof b);
	assert_string_equal(b, "The modem is busy (it erases or commits flash near 7-10 % and "
			       "99 %): this is normal, waiting for it...\n");
}

static void test_events(void **state)
{
	(void)state;
	static struct sqns_ctx ctx;
	struct sqns_words_state st = {0};
	struct sqns_words_how cli = {.style = SQNS_WORDS_CLI}, py = {.style = SQNS_WORDS_PYTHON};
	char b[400];
	unsigned flags;
	struct sqns_event ev = {.type = SQNS_EV_PHASE, .phase = SQNS_PHASE_RESETTING};
	sqns_words_event(&st, &ctx, &ev, &cli, &flags, b, sizeof b);
	assert_string_equal(b, "Resetting (DO NOT DISCONNECT POWER!!!)");
	assert_int_equal(flags, SQNS_WORDS_OPEN);
	ev.phase = SQNS_PHASE_STP_FFF;
	sqns_words_event(&st, &ctx, &ev, &cli, &flags, b, sizeof b);
	ev.phase = SQNS_PHASE_DOWNLOAD_DONE;
	sqns_words_event(&st, &ctx, &ev, &cli, &flags, b, sizeof b);
	assert_string_equal(b, "Code download done, applying the stored image\n");
	ctx.res.plan.running_build = 39529;
	ev.phase = SQNS_PHASE_ALREADY_CURRENT;
	sqns_words_event(&st, &ctx, &ev, &py, &flags, b, sizeof b);
	assert_string_equal(b, "The modem already runs build 39529: nothing to do (force=True "
			       "flashes it again).\n");
	ev = (struct sqns_event){.type = SQNS_EV_RETRY, .err = SQNS_ERR_TIMEOUT, .value = 2};
	sqns_words_event(&st, &ctx, &ev, &cli, &flags, b, sizeof b);
	assert_int_equal(flags, SQNS_WORDS_ERR | SQNS_WORDS_VERBOSE);
	ev = (struct sqns_event){.type = SQNS_EV_PROGRESS, .done = 1, .total = 2};
	assert_int_equal(sqns_words_event(&st, &ctx, &ev, &cli, &flags, b, sizeof b), 0);
	assert_string_equal(b, "");
}

static void test_commands_by_reader(void **state)
{
	(void)state;
	static struct sqns_ctx ctx;
	ctx.res.stage = SQNS_STAGE_UPGRADE_MODE;
	struct sqns_words_files f = {.firmware = "/fw dir/CATM1-39529.dup", .baud = 921600};
	struct sqns_words_failure fail = {.err = SQNS_ERR_TIMEOUT};
	struct sqns_words_how cli = {
	    .style = SQNS_WORDS_CLI, .port = "/dev/ttyUSB0", .quote = quote_shell};
	struct sqns_words_how py = {.style = SQNS_WORDS_PYTHON, .port = "/dev/ttyUSB0"};
	char b[1000];
	sqns_words_failure(&ctx, &fail, &f, &cli, b, sizeof b);
	assert_non_null(strstr(b, "sqnsupgrade: upgrade failed: "));
	assert_non_null(
	    strstr(b, "\n  sqnsupgrade -p /dev/ttyUSB0 run '/fw dir/CATM1-39529.dup' --resume\n"));
	struct sqns_words_how page = {.style = SQNS_WORDS_PAGE, .port = "USB 04d8:f011"};
	sqns_words_failure(&ctx, &fail, &f, &page, b, sizeof b);
	assert_non_null(strstr(b, "), then choose the port again if it was lost, then press "));
	ctx.res.stage = SQNS_STAGE_UNTOUCHED;
	sqns_words_failure(&ctx, &fail, &f, &page, b, sizeof b);
	assert_non_null(strstr(b, "\nTo try again: choose the port again"));
	assert_non_null(strstr(b, "finishes the job.\n"));
	ctx.res.stage = SQNS_STAGE_UPGRADE_MODE;
	sqns_words_failure(&ctx, &fail, &f, &py, b, sizeof b);
	assert_non_null(strstr(
	    b, "\n  sqnsupgrade.run('/dev/ttyUSB0', '/fw dir/CATM1-39529.dup', resume=True)\n"));
}

static void test_plan_estimate_rounds_as_printf(void **state)
{
	(void)state;
	static struct sqns_ctx ctx;
	ctx.res.plan.mode = SQNS_MODE_APPLICATION;
	ctx.res.plan.rate = 921600;
	struct sqns_words_files f = {.firmware = "CATM1-39529.dup", .baud = 921600};
	char b[2000], want[64];
	const uint32_t sizes[] = {0, 1, 44522, 44523, 600000, 4000000, 123456789};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		f.firmware_size = sizes[i];
		sqns_words_plan(&ctx, &f, NULL, b, sizeof b);
		snprintf(want, sizeof want, "at 921600 baud: %.0f s\n",
			 (double)sizes[i] * 10.0 / 921600 * 1.035);
		assert_non_null(strstr(b, want));
	}
}

static void test_usb_ids(void **state)
{
	(void)state;
	size_t n = 0;
	const struct sqns_usb_id *ids = sqns_usb_ids(&n);
	assert_true(n >= 3);
	bool cp210x = false;
	for (size_t i = 0; i < n; i++)
		cp210x = cp210x || (ids[i].vid == 0x10c4 && ids[i].pid == 0xea60);
	assert_true(cp210x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_wait_and_busy),
	    cmocka_unit_test(test_events),
	    cmocka_unit_test(test_commands_by_reader),
	    cmocka_unit_test(test_plan_estimate_rounds_as_printf),
	    cmocka_unit_test(test_usb_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
