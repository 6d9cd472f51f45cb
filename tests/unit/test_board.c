/* SPDX-License-Identifier: MIT */
/* A Pycom board's REPL (sqnsupgrade_board.h) against the scripted fake port. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fake_port.h"
#include "sqnsupgrade_board.h"

#define BANNER "raw REPL; CTRL-B to exit\r\n>"
#define UNAME_CODE "import os; print(os.uname())"
#define UNAME(sys, machine)                                                                        \
	"OK(sysname='" sys "', nodename='" sys "', release='1.20.2.r6', version='v1.11', "         \
	"machine='" machine "')\r\n\x04\x04>"

struct fix {
	struct fake_port *fp;
	struct sqns_board b;
	char lines[8][64];
	size_t nlines, tx, rx;
	int abort_after; /* should_abort true from this call on (0: never) */
	int polls;
};

static void on_event(void *user, const struct sqns_board_event *ev)
{
	struct fix *f = user;
	if (ev->type == SQNS_BOARD_EV_TX)
		f->tx += ev->len;
	else if (ev->type == SQNS_BOARD_EV_RX)
		f->rx += ev->len;
	else if (f->nlines < 8) {
		assert_int_equal(strlen(ev->data), ev->len);
		strcpy(f->lines[f->nlines++], ev->data);
	}
}

static bool should_abort(void *user)
{
	struct fix *f = user;
	return f->abort_after && ++f->polls >= f->abort_after;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->fp = fp_new(1000, 5);
	sqns_board_init(&f->b, &(struct sqns_board_config){
				   .ops = &fake_port_ops,
				   .port = f->fp,
				   .on_event = on_event,
				   .should_abort = should_abort,
				   .user = f,
				   .uart_ms = 10000,
			       });
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	fp_free(f->fp);
	free(f);
	return 0;
}

/* Ctrl-C twice (nothing more from the board), Ctrl-A, the banner. */
static void script_repl(struct fake_port *fp)
{
	fp_expect_str(fp, "\r\x03\x03");
	fp_expect_str(fp, "\r\x01");
	fp_reply_str(fp, BANNER);
}

static void script_take(struct fake_port *fp, const char *uname_reply)
{
	script_repl(fp);
	fp_expect_str(fp, UNAME_CODE);
	fp_expect_str(fp, "\x04");
	fp_reply_str(fp, uname_reply);
}

static void test_take_a_gpy(void **state)
{
	struct fix *f = *state;
	script_take(f->fp, UNAME("GPy", "GPy with ESP32"));
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_OK);
	assert_string_equal(f->b.sysname, "GPy");
	assert_string_equal(f->b.machine, "GPy with ESP32");
	assert_string_equal(f->b.release, "1.20.2.r6");
	assert_true(f->b.raw);
	assert_int_equal(f->fp->nrates, 1);
	assert_int_equal(f->fp->rates[0], SQNS_BOARD_REPL_RATE);
	assert_true(f->tx > 0 && f->rx > 0);
	fp_assert_done(f->fp, true);
}

/* What a running main.py printed after Ctrl-C is drained before Ctrl-A. */
static void test_take_after_a_running_script(void **state)
{
	struct fix *f = *state;
	fp_expect_str(f->fp, "\r\x03\x03");
	fp_reply_str(f->fp, "Traceback...\r\nKeyboardInterrupt: \r\n>>> ");
	fp_expect_str(f->fp, "\r\x01");
	fp_reply_str(f->fp, BANNER);
	fp_expect_str(f->fp, UNAME_CODE);
	fp_expect_str(f->fp, "\x04");
	fp_reply_str(f->fp, UNAME("FiPy", "FiPy with ESP32"));
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_OK);
	assert_string_equal(f->b.sysname, "FiPy");
	fp_assert_done(f->fp, true);
}

static void test_take_refuses_a_lopy(void **state)
{
	struct fix *f = *state;
	script_take(f->fp, UNAME("LoPy4", "LoPy4 with ESP32"));
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_NOT_MODEM);
	assert_string_equal(f->b.sysname, "LoPy4");
	assert_string_equal(f->b.machine, "LoPy4 with ESP32");
}

static void test_take_no_repl(void **state)
{
	struct fix *f = *state;
	uint32_t start = f->fp->now;
	for (int i = 0; i < SQNS_BOARD_REPL_TRIES; i++) {
		fp_expect_str(f->fp, "\r\x03\x03");
		fp_expect_str(f->fp, "\r\x01");
	}
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_NO_REPL);
	assert_false(f->b.raw);
	/* Each try: the quiet after Ctrl-C, then the banner's wait. */
	assert_int_equal(f->fp->now - start,
			 SQNS_BOARD_REPL_TRIES * (SQNS_BOARD_QUIET_MS + SQNS_BOARD_REPL_MS));
	fp_assert_done(f->fp, true);
	assert_int_equal(sqns_board_release(&f->b), SQNS_OK); /* nothing sent */
}

static void test_take_uname_error(void **state)
{
	struct fix *f = *state;
	script_take(f->fp, "OK\x04Traceback (most recent call last):\r\n"
			   "ImportError: no module named 'os'\r\n\x04>");
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_NO_UNAME);
	assert_string_equal(f->b.why, "ImportError: no module named 'os'");
}

static void test_take_uname_silent(void **state)
{
	struct fix *f = *state;
	script_take(f->fp, "OK");
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_NO_UNAME);
	assert_string_equal(f->b.why, "");
}

static void test_take_io_and_abort(void **state)
{
	struct fix *f = *state;
	fp_expect_str(f->fp, "\r\x03\x03");
	fp_read_error(f->fp);
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_IO);
	assert_int_equal(f->b.err, SQNS_ERR_IO);

	struct fix *g = calloc(1, sizeof *g);
	assert_non_null(g);
	g->fp = fp_new(0, 64);
	g->fp->sink = true;
	g->abort_after = 1;
	sqns_board_init(&g->b, &(struct sqns_board_config){.ops = &fake_port_ops,
							   .port = g->fp,
							   .should_abort = should_abort,
							   .user = g});
	assert_int_equal(sqns_board_take(&g->b), SQNS_BOARD_ABORTED);
	fp_free(g->fp);
	free(g);
}

static void test_calls(void **state)
{
	(void)state;
	char buf[64];
	assert_true(sqns_board_call(SQNS_BOARD_NORMAL, NULL, buf, sizeof buf));
	assert_string_equal(buf, "sqnsupgrade.uart()");
	assert_true(sqns_board_call(SQNS_BOARD_RECOVERY, NULL, buf, sizeof buf));
	assert_string_equal(buf, "sqnsupgrade.uart(True)");
	assert_true(
	    sqns_board_call(SQNS_BOARD_RECOVERY_FLASH, "/flash/updater.elf", buf, sizeof buf));
	assert_string_equal(buf, "sqnsupgrade.uart(True, '/flash/updater.elf')");
	assert_false(
	    sqns_board_call(SQNS_BOARD_RECOVERY_FLASH, "flash/updater.elf", buf, sizeof buf));
	assert_false(sqns_board_call(SQNS_BOARD_RECOVERY_FLASH, "/fl'ash", buf, sizeof buf));
	assert_false(sqns_board_call(SQNS_BOARD_RECOVERY_FLASH, NULL, buf, sizeof buf));
	assert_false(sqns_board_call(SQNS_BOARD_RECOVERY, NULL, buf, 10));
	assert_string_equal(buf, "");
}

static void test_mirror(void **state)
{
	struct fix *f = *state;
	script_take(f->fp, UNAME("G01", "G01 with ESP32"));
	fp_expect_str(f->fp, "import sqnsupgrade; sqnsupgrade.uart(True)");
	fp_expect_str(f->fp, "\x04");
	fp_reply_str(f->fp, "OKFlashing the boot ROM...\r\n\r\n");
	fp_reply_str_after(f->fp, 2000, "Modem in recovery mode\r\nGoing into MIRROR mode...\r\n");
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_OK);
	assert_int_equal(sqns_board_mirror(&f->b, SQNS_BOARD_RECOVERY, NULL), SQNS_BOARD_OK);
	assert_string_equal(f->b.call, "sqnsupgrade.uart(True)");
	assert_int_equal(f->nlines, 3);
	assert_string_equal(f->lines[0], "Flashing the boot ROM...");
	assert_string_equal(f->lines[1], "");
	assert_string_equal(f->lines[2], "Modem in recovery mode");
	assert_int_equal(f->fp->nrates, 2);
	assert_int_equal(f->fp->rates[1], SQNS_APPLICATION_RATE);
	assert_false(f->b.raw);
	fp_assert_done(f->fp, true);
	assert_int_equal(sqns_board_release(&f->b), SQNS_OK); /* nothing sent: the mirror */
}

static void uart_fails(struct fix *f, const char *error, enum sqns_board_fault fault,
		       const char *why)
{
	script_take(f->fp, UNAME("GPy", "GPy with ESP32"));
	fp_expect_str(f->fp, "import sqnsupgrade; sqnsupgrade.uart(True, '/flash/updater.elf')");
	fp_expect_str(f->fp, "\x04");
	fp_reply_str(f->fp, "OKStarting\r\n\x04Traceback (most recent call last):\r\n");
	fp_reply_str(f->fp, error);
	fp_reply_str(f->fp, "\r\n\x04>");
	fp_expect_str(f->fp, "\x02");
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_OK);
	assert_int_equal(sqns_board_mirror(&f->b, SQNS_BOARD_RECOVERY_FLASH, "/flash/updater.elf"),
			 SQNS_BOARD_UART_FAILED);
	assert_int_equal(f->b.fault, fault);
	assert_string_equal(f->b.why, why);
	assert_int_equal(f->nlines, 1);
	assert_int_equal(f->fp->nrates, 1);
	assert_int_equal(sqns_board_release(&f->b), SQNS_OK);
	fp_assert_done(f->fp, true);
}

static void test_mirror_no_file(void **state)
{
	uart_fails(*state, "OSError: [Errno 2] ENOENT", SQNS_BOARD_FAULT_NO_FILE,
		   "OSError: [Errno 2] ENOENT");
}

static void test_mirror_no_modem(void **state)
{
	uart_fails(*state, "  File \"<stdin>\", line 1\r\nOSError: the modem does not answer\r\r",
		   SQNS_BOARD_FAULT_NO_MODEM, "OSError: the modem does not answer");
}

static void test_mirror_other(void **state)
{
	uart_fails(*state, "MemoryError:", SQNS_BOARD_FAULT_OTHER, "MemoryError:");
}

static void test_mirror_not_taken_timeout_bad_path(void **state)
{
	struct fix *f = *state;
	script_take(f->fp, UNAME("GPy", "GPy with ESP32"));
	fp_expect_str(f->fp, "import sqnsupgrade; sqnsupgrade.uart()");
	fp_expect_str(f->fp, "\x04");
	assert_int_equal(sqns_board_take(&f->b), SQNS_BOARD_OK);
	assert_int_equal(sqns_board_mirror(&f->b, SQNS_BOARD_RECOVERY_FLASH, "x"),
			 SQNS_BOARD_BAD_PATH);
	assert_int_equal(sqns_board_mirror(&f->b, SQNS_BOARD_NORMAL, NULL), SQNS_BOARD_NOT_TAKEN);

	fp_expect_str(f->fp, "import sqnsupgrade; sqnsupgrade.uart()");
	fp_expect_str(f->fp, "\x04");
	fp_reply_str(f->fp, "OKWaking the modem\r\n");
	uint32_t start = f->fp->now;
	assert_int_equal(sqns_board_mirror(&f->b, SQNS_BOARD_NORMAL, NULL),
			 SQNS_BOARD_UART_TIMEOUT);
	assert_true(f->fp->now - start >= 10000u);
	assert_int_equal(f->nlines, 1);
	fp_assert_done(f->fp, true);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_take_a_gpy),
	    T(test_take_after_a_running_script),
	    T(test_take_refuses_a_lopy),
	    T(test_take_no_repl),
	    T(test_take_uname_error),
	    T(test_take_uname_silent),
	    T(test_take_io_and_abort),
	    T(test_calls),
	    T(test_mirror),
	    T(test_mirror_no_file),
	    T(test_mirror_no_modem),
	    T(test_mirror_other),
	    T(test_mirror_not_taken_timeout_bad_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
