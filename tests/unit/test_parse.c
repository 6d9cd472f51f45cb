/* Version parsers: AT!="showver" blocks (docs/protocol.md section 8) and ATI1 answers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sqnsupgrade.h"

/* As sqns_at hands it over: lines separated by '\n'. */
static const char showver[] = "SYSTEM VERSION\n"
			      "==============\n"
			      "  FIRMWARE VERSION\n"
			      "    Bootloader0  : 5.1.1.0 [33080]\n"
			      "    Bootloader1* : 5.1.1.0 [38638]\n"
			      "    Bootloader2  : 5.1.1.0 [38638]\n"
			      "    NV Info      : 1.1,0,0\n"
			      "    Software     : 5.1.1.0 [38638] by robot-soft at 2018-08-20 "
			      "09:51:46\n"
			      "    UE           : 5.0.0.0d\n"
			      "  COMPONENTS\n"
			      "    ZSP0         : 1.0.99-13604\n"
			      "    ZSP1         : 1.0.99-12341\n";

static const char factory[] = "SYSTEM VERSION\n"
			      "==============\n"
			      "  FIRMWARE VERSION\n"
			      "    Bootloader0  : 5.1.1.0 [33080]\n"
			      "    Bootloader1  : NA\n"
			      "    Bootloader2  : 5.1.1.0 [37781]\n"
			      "    NV Info      : 1.1,0,0\n"
			      "    Software     : 5.1.1.0 [37781] by robot-soft at 2018-03-01 "
			      "10:00:00\n"
			      "    UE           : Unknown\n";

static void test_showver_software_and_bootloaders(void **state)
{
	(void)state;
	uint32_t b = 0xdeadbeef;
	assert_true(sqns_parse_showver_build(showver, "Software", &b));
	assert_int_equal(b, 38638);
	b = 0xdeadbeef;
	assert_true(sqns_parse_showver_build(showver, "Bootloader0", &b));
	assert_int_equal(b, 33080);
	b = 0xdeadbeef;
	assert_true(sqns_parse_showver_build(showver, "Bootloader1", &b));
	assert_int_equal(b, 38638);
	b = 0xdeadbeef;
	assert_true(sqns_parse_showver_build(showver, "Bootloader2", &b));
	assert_int_equal(b, 38638);
}

static void test_showver_without_build(void **state)
{
	(void)state;
	uint32_t b = 7;
	assert_false(sqns_parse_showver_build(showver, "UE", &b));
	assert_false(sqns_parse_showver_build(showver, "NV Info", &b));
	assert_false(sqns_parse_showver_build(showver, "Bootloader3", &b));
	assert_false(sqns_parse_showver_build("", "Software", &b));
	assert_int_equal(b, 7); /* untouched on failure */
}

static void test_showver_factory_na(void **state)
{
	(void)state;
	uint32_t b = 7;
	assert_false(sqns_parse_showver_build(factory, "Bootloader1", &b));
	assert_int_equal(b, 7);
	assert_true(sqns_parse_showver_build(factory, "Bootloader0", &b));
	assert_int_equal(b, 33080);
	assert_true(sqns_parse_showver_build(factory, "Software", &b));
	assert_int_equal(b, 37781);
}

static void test_showver_crlf_and_bad_brackets(void **state)
{
	(void)state;
	uint32_t b = 7;
	/* Raw text with CR LF line ends still parses. */
	assert_true(
	    sqns_parse_showver_build("  Software     : 5.1.1.0 [39529] by x\r\n", "Software", &b));
	assert_int_equal(b, 39529);
	b = 7;
	assert_false(sqns_parse_showver_build("Software : [] x\n", "Software", &b));
	assert_false(sqns_parse_showver_build("Software : [123\n", "Software", &b));
	assert_false(sqns_parse_showver_build("Software : [99999999999]\n", "Software", &b));
	assert_false(sqns_parse_showver_build("Software : [12a]\n", "Software", &b));
	/* A bracket on the next line does not belong to this one. */
	assert_false(sqns_parse_showver_build("Software : x\nOther : [5]\n", "Software", &b));
	assert_int_equal(b, 7);
}

static void test_ati1_build(void **state)
{
	(void)state;
	uint32_t b = 0;
	assert_true(sqns_parse_ati1_build("UE5.0.0.0d\nLR5.1.1.0-39529\n", &b));
	assert_int_equal(b, 39529);
	b = 0;
	assert_true(sqns_parse_ati1_build("UE5.0.0.0d\nLR5.1.1.0-38638", &b));
	assert_int_equal(b, 38638);
	b = 0;
	assert_true(sqns_parse_ati1_build("UE5.0.0.0d\r\nLR5.1.1.0-37781\r\n", &b));
	assert_int_equal(b, 37781);
	/* The last '-' of the LR line counts. */
	b = 0;
	assert_true(sqns_parse_ati1_build("LR5.1-1.0-41019\n", &b));
	assert_int_equal(b, 41019);
}

static void test_ati1_junk(void **state)
{
	(void)state;
	uint32_t b = 5;
	assert_false(sqns_parse_ati1_build("", &b));
	assert_false(sqns_parse_ati1_build("junk\n", &b));
	assert_false(sqns_parse_ati1_build("UE5.0.0.0d\n", &b));
	assert_false(sqns_parse_ati1_build("UE5.0.0.0d\nLR5.1.1.0\n", &b));
	assert_false(sqns_parse_ati1_build("UE5.0.0.0d\nLR5.1.1.0-\n", &b));
	assert_false(sqns_parse_ati1_build("UE5.0.0.0d\nLR5.1.1.0-39529x\n", &b));
	assert_false(sqns_parse_ati1_build("LR5.1.1.0-99999999999\n", &b));
	assert_int_equal(b, 5);
}

static void test_image_names(void **state)
{
	(void)state;
	struct sqns_image_info i;
	assert_true(sqns_parse_image_name("CATM1-39529.dup", &i));
	assert_false(i.differential);
	assert_int_equal(i.build, 39529);
	assert_true(sqns_parse_image_name("/sd/NB1-37781.dup", &i));
	assert_int_equal(i.build, 37781);
	assert_true(sqns_parse_image_name("upgdiff_38638-to-39529.dup", &i));
	assert_true(i.differential);
	assert_int_equal(i.from, 38638);
	assert_int_equal(i.build, 39529);
	/* Names that say nothing reliable. */
	static const char *const bad[] = {
	    "updater.elf",
	    "CATM1.dup",
	    "-39529.dup",
	    "CATM1-39529.bin",
	    "CATM1-39x29.dup",
	    "upgdiff_38638-39529.dup",
	    "upgdiff_-to-1.dup",
	    "CATM1-1234567890.dup",
	    /* Found by fuzz_parse: build 0 would match a modem whose build is unknown (0). */
	    "upgdiff_0-to-0.dup",
	    "CATM1-0.dup",
	    "upgdiff_0-to-39529.dup",
	};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
		assert_false(sqns_parse_image_name(bad[k], &i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_showver_software_and_bootloaders),
	    cmocka_unit_test(test_showver_without_build),
	    cmocka_unit_test(test_showver_factory_na),
	    cmocka_unit_test(test_showver_crlf_and_bad_brackets),
	    cmocka_unit_test(test_ati1_build),
	    cmocka_unit_test(test_ati1_junk),
	    cmocka_unit_test(test_image_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
