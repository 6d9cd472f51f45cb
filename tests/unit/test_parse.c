/* SPDX-License-Identifier: MIT */
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

/* One release name of the field (docs/protocol.md section 11) and what it says. */
struct name_case {
	const char *name;
	bool gives_build;
	uint32_t build, from, leaves;
	bool differential;
	int channel;
	uint8_t part;
};

static void test_release_names_of_the_field(void **state)
{
	(void)state;
	static const struct name_case cases[] = {
	    {"CATM1-38638.dup", true, 38638, 0, 38638, false, SQNS_CHANNEL_CATM1, 0},
	    {"CATM1-39529.dup", true, 39529, 0, 39529, false, SQNS_CHANNEL_CATM1, 0},
	    {"CATM1-41065.dup", true, 41065, 0, 41065, false, SQNS_CHANNEL_CATM1, 0},
	    {"NB1-37781.dup", true, 37781, 0, 37781, false, SQNS_CHANNEL_NBIOT, 0},
	    {"NB1-41019.dup", true, 41019, 0, 41019, false, SQNS_CHANNEL_NBIOT, 0},
	    {"NB1-46262.dup", true, 46262, 0, 46262, false, SQNS_CHANNEL_NBIOT, 0},
	    {"/sd/NB1-37781.dup", true, 37781, 0, 37781, false, SQNS_CHANNEL_NBIOT, 0},
	    {"FIPY_GPY_CATM1_36417.dup", true, 36417, 0, 36417, false, SQNS_CHANNEL_CATM1, 0},
	    {"FIPY_GPY_NB1_35351.dup", true, 35351, 0, 35351, false, SQNS_CHANNEL_NBIOT, 0},
	    {"FIPY_LR6.1.2.0-46262_SMDD.dup", true, 46262, 0, 46262, false, SQNS_CHANNEL_NBIOT, 0},
	    /* Pycom's two-part CAT-M1 5.2-48829: part 1 leaves the intermediate 39529. */
	    {"CATM1-5.2-48829-1.dup", true, 48829, 0, 39529, false, SQNS_CHANNEL_CATM1, 1},
	    {"CATM1-5.2-48829-2.dup", true, 48829, 39529, 48829, false, SQNS_CHANNEL_CATM1, 2},
	    {"LR5.2.1.0-48829-1.dup", true, 48829, 0, 39529, false, SQNS_CHANNEL_CATM1, 1},
	    {"LR5.2.1.0-48829-2.dup", true, 48829, 39529, 48829, false, SQNS_CHANNEL_CATM1, 2},
	    /* A two-part release this tool does not know: part 1's intermediate is not known. */
	    {"CATM1-5.9-50001-1.dup", true, 50001, 0, 0, false, SQNS_CHANNEL_CATM1, 1},
	    {"upgdiff_38638-to-39529.dup", true, 39529, 38638, 39529, true, 0, 0},
	    {"upgdiff_33080-to-39529.dup", true, 39529, 33080, 39529, true, 0, 0},
	    {"upgdiff_33080-to-40343.dup", true, 40343, 33080, 40343, true, 0, 0},
	    {"upgdiff_33080-to-41019.dup", true, 41019, 33080, 41019, true, 0, 0},
	    {"upgdiff_33080-to-41065.dup", true, 41065, 33080, 41065, true, 0, 0},
	    {"/sd/upgdiff_38638-to-39529.DUP", true, 39529, 38638, 39529, true, 0, 0},
	    /* Names that give no build: the channel still counts when they say it. */
	    {"CATM1.dup", false, 0, 0, 0, false, SQNS_CHANNEL_CATM1, 0},
	    {"NB1-firmware.dup", false, 0, 0, 0, false, SQNS_CHANNEL_NBIOT, 0},
	    {"firmware.dup", false, 0, 0, 0, false, 0, 0},
	    {"CATM1-38638-39529.dup", false, 0, 0, 0, false, SQNS_CHANNEL_CATM1, 0},
	    /* Not words of their own: no channel. */
	    {"XCATM1-39529.dup", true, 39529, 0, 39529, false, 0, 0},
	    {"NB12-39529.dup", true, 39529, 0, 39529, false, 0, 0},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		const struct name_case *c = &cases[k];
		struct sqns_image_info i;
		print_message("%s\n", c->name);
		assert_int_equal(sqns_parse_image_name(c->name, &i), c->gives_build);
		assert_int_equal(i.build, c->build);
		assert_int_equal(i.from, c->from);
		assert_int_equal(i.leaves, c->leaves);
		assert_int_equal(i.differential, c->differential);
		assert_int_equal(i.channel, c->channel);
		assert_int_equal(i.part, c->part);
	}
	assert_string_equal(sqns_channel_name(SQNS_CHANNEL_CATM1), "CAT-M1");
	assert_string_equal(sqns_channel_name(SQNS_CHANNEL_NBIOT), "NB-IoT");
}

/* showver as the field saw it: the older layout, the star on any row, NA. */
static void test_showver_field_layouts(void **state)
{
	(void)state;
	static const char old[] =
	    "SYSTEM VERSION\n==============\n  FIRMWARE VERSION\n"
	    "    Bootloader0  : BUILD5.1.1.0-33080 by robot-soft at 2017-11-02 10:00:00\n"
	    "    Bootloader1* : BUILD5.1.1.0-33988 by robot-soft at 2017-12-11 15:06:33\n"
	    "    Bootloader2  : 5.1.1.0 [39529] by robot-soft at 2018-08-20 09:51:46\n"
	    "    NV Info      : 1.1,0,0\n"
	    "    Software     : BUILD5.1.1.0-33988 by robot-soft at 2017-12-11 15:06:33\n"
	    "    UE           : 5.0.0.0c\n";
	uint32_t b = 0;
	int ch = 0;
	assert_true(sqns_parse_showver_build(old, "Software", &b));
	assert_int_equal(b, 33988);
	assert_true(sqns_parse_showver_build(old, "Bootloader0", &b));
	assert_int_equal(b, 33080);
	assert_true(sqns_parse_showver_build(old, "Bootloader1", &b));
	assert_int_equal(b, 33988);
	assert_true(sqns_parse_showver_build(old, "Bootloader2", &b));
	assert_int_equal(b, 39529);
	assert_true(sqns_parse_showver_channel(old, &ch));
	assert_int_equal(ch, SQNS_CHANNEL_CATM1);

	static const char nb[] = "    Bootloader0  : 5.1.1.0 [41065]\n"
				 "    Bootloader1* : 6.0.0.0 [41019]\n"
				 "    Bootloader2  : NA\n"
				 "    Software     : 6.0.0.0 [41019] by robot-soft at 2019-01-01\n"
				 "    UE           : 6.0.0.0\n";
	assert_true(sqns_parse_showver_build(nb, "Bootloader0", &b));
	assert_int_equal(b, 41065);
	assert_true(sqns_parse_showver_build(nb, "Software", &b));
	assert_int_equal(b, 41019);
	b = 7;
	assert_false(sqns_parse_showver_build(nb, "Bootloader2", &b));
	assert_int_equal(b, 7);
	assert_true(sqns_parse_showver_channel(nb, &ch));
	assert_int_equal(ch, SQNS_CHANNEL_NBIOT);

	/* After a half-finished recovery: the star on Bootloader2. */
	static const char half[] = "    Bootloader0  : 5.1.1.0 [33080]\n"
				   "    Bootloader1  : 5.1.1.0 [36417]\n"
				   "    Bootloader2* : 6.0.0.0 [37781]\n";
	assert_true(sqns_parse_showver_build(half, "Bootloader2", &b));
	assert_int_equal(b, 37781);
	ch = 9;
	assert_false(sqns_parse_showver_channel(half, &ch)); /* no Software row */
	assert_false(sqns_parse_showver_channel("    Software     : NA\n", &ch));
	assert_false(sqns_parse_showver_build("Software : BUILD5.1.1.0 by x\n", "Software", &b));
	assert_int_equal(ch, 9);
}

/* ATI1 as the field saw it. */
static void test_ati1_field_forms(void **state)
{
	(void)state;
	static const struct {
		const char *ati1;
		uint32_t build;
		int channel;
	} forms[] = {
	    {"UE5.0.0.0c\nLR5.1.1.0-33988\n", 33988, SQNS_CHANNEL_CATM1},
	    {"UE6.0.0.0-ER7\nLR6.0.0.0-35351\n", 35351, SQNS_CHANNEL_NBIOT},
	    {"UE5.0.0.0d\nLR5.1.1.0-46470\n", 46470, SQNS_CHANNEL_CATM1},
	    {"UE6.0.0.0\nLR6.0.0.0-41019\n", 41019, SQNS_CHANNEL_NBIOT},
	    {"UE5.2.0.3\r\nLR5.2.1.0-48829\r\n", 48829, SQNS_CHANNEL_CATM1},
	};
	for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
		uint32_t b = 0;
		int ch = 0;
		assert_true(sqns_parse_ati1_build(forms[k].ati1, &b));
		assert_int_equal(b, forms[k].build);
		assert_true(sqns_parse_ati1_channel(forms[k].ati1, &ch));
		assert_int_equal(ch, forms[k].channel);
	}
	int ch = 3;
	assert_false(sqns_parse_ati1_channel("UE5.0.0.0d\n", &ch));
	assert_false(sqns_parse_ati1_channel("LR7.0.0.0-50000\n", &ch));
	assert_int_equal(ch, 3);
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
	    cmocka_unit_test(test_release_names_of_the_field),
	    cmocka_unit_test(test_showver_field_layouts),
	    cmocka_unit_test(test_ati1_field_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
