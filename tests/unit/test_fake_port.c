/* SPDX-License-Identifier: MIT */
/* The fake port itself: the other tests are only as good as it is. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "fake_port.h"

static int setup(void **state)
{
	*state = fp_new(1000, 3);
	return 0;
}

static int teardown(void **state)
{
	fp_free(*state);
	return 0;
}

static void test_read_times_out_on_virtual_clock(void **state)
{
	struct fake_port *fp = *state;
	uint8_t buf[8];
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 250), 0);
	assert_int_equal(fake_port_ops.now_ms(fp), 1250);
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 0), 0);
	assert_int_equal(fake_port_ops.now_ms(fp), 1250);
}

static void test_reply_released_after_write_in_chunks(void **state)
{
	struct fake_port *fp = *state;
	uint8_t buf[8];
	fp_expect_str(fp, "hello");
	fp_reply_str(fp, "abcdefg");
	/* Nothing before the write is done. */
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 10), 0);
	assert_int_equal(fake_port_ops.write(fp, (const uint8_t *)"hel", 3), SQNS_OK);
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 0), 0);
	assert_int_equal(fake_port_ops.write(fp, (const uint8_t *)"lo", 2), SQNS_OK);
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 0), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(fake_port_ops.read(fp, buf, 2, 0), 2);
	assert_memory_equal(buf, "de", 2);
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 0), 2);
	assert_memory_equal(buf, "fg", 2);
	assert_int_equal(fake_port_ops.now_ms(fp), 1010);
	assert_int_equal(fp->wlen, 5);
	assert_memory_equal(fp->written, "hello", 5);
	fp_assert_done(fp, true);
}

static void test_delayed_replies_add_up(void **state)
{
	struct fake_port *fp = *state;
	uint8_t buf[8];
	fp_reply_str_after(fp, 100, "a");
	fp_reply_str_after(fp, 50, "b");
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 99), 0);
	assert_int_equal(fake_port_ops.now_ms(fp), 1099);
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 10), 1);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(fake_port_ops.now_ms(fp), 1100);
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 1000), 1);
	assert_int_equal(buf[0], 'b');
	assert_int_equal(fake_port_ops.now_ms(fp), 1150);
	fp_assert_done(fp, true);
}

static void test_errors_and_rates(void **state)
{
	struct fake_port *fp = *state;
	uint8_t buf[8];
	fp_read_error(fp);
	fp_write_error(fp);
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 0), SQNS_ERR_IO);
	assert_int_equal(fake_port_ops.write(fp, (const uint8_t *)"x", 1), SQNS_ERR_IO);
	assert_int_equal(fake_port_ops.set_rate(fp, 115200), SQNS_OK);
	assert_int_equal(fp->nrates, 1);
	assert_int_equal(fp->rates[0], 115200);
	fp_assert_done(fp, true);
}

static void test_clock_wraps(void **state)
{
	(void)state;
	struct fake_port *fp = fp_new(UINT32_MAX - 10, 7);
	uint8_t buf[8];
	fp_reply_str_after(fp, 20, "z");
	assert_int_equal(fake_port_ops.read(fp, buf, sizeof buf, 100), 1);
	assert_int_equal(fake_port_ops.now_ms(fp), 9);
	fp_free(fp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_read_times_out_on_virtual_clock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reply_released_after_write_in_chunks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_delayed_replies_add_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors_and_rates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clock_wraps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
