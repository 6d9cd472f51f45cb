/* SPDX-License-Identifier: MIT */
/*
 * Releases (docs/protocol.md section 12): sorting a release's members out
 * (sqns_release_check), the choice for what detection found
 * (sqns_release_choose), and its words (sqns_words_choice,
 * sqns_words_release_problem).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "sqnsupgrade.h"
#include "sqnsupgrade_words.h"

#define MAX_MEMBERS 8

/* A release in memory: each member's head says what it is. */
struct mem_release {
	struct sqns_member members[MAX_MEMBERS];
	const uint8_t *head[MAX_MEMBERS];
	size_t head_len[MAX_MEMBERS];
	int opened[MAX_MEMBERS];
	bool fail_open;
	struct sqns_release rel;
};

static const uint8_t dup_head[] = {0x00, 0x01, 0x9c, 0xe3, 0x55, 0x00, 0x00, 0x80};
static const uint8_t elf_head[] = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0};
static const uint8_t zip_head[] = {'P', 'K', 3, 4, 0, 0, 0, 0};

struct member_read {
	const uint8_t *data;
	size_t len;
};
static struct member_read reads[MAX_MEMBERS];

static int read_member(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	const struct member_read *m = ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = offset + i < m->len ? m->data[offset + i] : 0xa5;
	return SQNS_OK;
}

static int open_member(void *ctx, size_t index, struct sqns_image *img)
{
	struct mem_release *r = ctx;
	if (r->fail_open)
		return SQNS_ERR_IMAGE;
	r->opened[index]++;
	reads[index] = (struct member_read){r->head[index], r->head_len[index]};
	*img = (struct sqns_image){.name = r->members[index].name,
				   .size = r->members[index].size,
				   .read = read_member,
				   .ctx = &reads[index]};
	return SQNS_OK;
}

static void add(struct mem_release *r, const char *name, uint32_t size, const uint8_t *head,
		size_t head_len)
{
	size_t i = r->rel.count++;
	assert_true(i < MAX_MEMBERS);
	r->members[i] = (struct sqns_member){name, size};
	r->head[i] = head;
	r->head_len[i] = head_len;
	r->rel.members = r->members;
	r->rel.open = open_member;
	r->rel.ctx = r;
}

static void add_dup(struct mem_release *r, const char *name, uint32_t size)
{
	add(r, name, size, dup_head, sizeof dup_head);
}

/* Pycom's CATM1-39529.zip, as unpacked into its folder. */
static void catm1_39529(struct mem_release *r)
{
	memset(r, 0, sizeof *r);
	add_dup(r, "CATM1-39529/CATM1-39529.dup", 5996938);
	add(r, "CATM1-39529/updater.elf", 371307, elf_head, sizeof elf_head);
	add_dup(r, "CATM1-39529/upgdiff_38638-to-39529.dup", 452000);
	add_dup(r, "CATM1-39529/upgdiff_33080-to-39529.dup", 1200000);
	add(r, "CATM1-39529/", 0, NULL, 0);
	add(r, "__MACOSX/CATM1-39529/._CATM1-39529.dup", 120, zip_head, sizeof zip_head);
}

static void test_check_sorts_pycoms_archive_out(void **state)
{
	(void)state;
	struct mem_release r;
	struct sqns_release_summary s;
	catm1_39529(&r);
	assert_int_equal(sqns_release_check(&r.rel, &s), SQNS_OK);
	assert_int_equal(s.problem, SQNS_RELEASE_OK);
	assert_int_equal(s.build, 39529);
	assert_int_equal(s.channel, SQNS_CHANNEL_CATM1);
	assert_int_equal(s.full, 0);
	assert_int_equal(s.updater, 1);
	assert_int_equal(s.diffs, 2);
	assert_int_equal(s.part1, -1);
	assert_int_equal(s.part2, -1);
	assert_int_equal(s.ignored, 2); /* the folder and macOS's AppleDouble file */
	assert_int_equal(r.opened[5], 0);
}

static void expect_problem(struct mem_release *r, enum sqns_release_problem p, int member,
			   int other)
{
	struct sqns_release_summary s;
	assert_int_equal(sqns_release_check(&r->rel, &s), SQNS_ERR_REFUSED);
	assert_int_equal(s.problem, p);
	assert_int_equal(s.member, member);
	assert_int_equal(s.other, other);
}

static void test_check_refuses_what_is_not_one_release(void **state)
{
	(void)state;
	struct mem_release r = {0};
	add(&r, "README.txt", 300, NULL, 0);
	expect_problem(&r, SQNS_RELEASE_EMPTY, -1, -1);

	memset(&r, 0, sizeof r);
	add_dup(&r, "CATM1-39529.dup", 5996938);
	add_dup(&r, "CATM1-41065.dup", 6160982);
	expect_problem(&r, SQNS_RELEASE_TWO_RELEASES, 1, 0);

	memset(&r, 0, sizeof r);
	add_dup(&r, "CATM1-41019.dup", 5996938);
	add_dup(&r, "NB1-41019.dup", 5835531);
	expect_problem(&r, SQNS_RELEASE_TWO_RELEASES, 1, 0);

	memset(&r, 0, sizeof r);
	add_dup(&r, "CATM1-39529.dup", 5996938);
	add_dup(&r, "upgdiff_38638-to-41065.dup", 400000);
	expect_problem(&r, SQNS_RELEASE_TWO_RELEASES, 1, 0);

	memset(&r, 0, sizeof r);
	add_dup(&r, "CATM1-39529.dup", 5996938);
	add(&r, "updater.elf", 371307, dup_head, sizeof dup_head);
	expect_problem(&r, SQNS_RELEASE_UPDATER_NOT_ELF, 1, -1);

	memset(&r, 0, sizeof r);
	add(&r, "CATM1-39529.dup", 5996938, zip_head, sizeof zip_head);
	expect_problem(&r, SQNS_RELEASE_NOT_FIRMWARE, 0, -1);

	memset(&r, 0, sizeof r);
	add_dup(&r, "CATM1-5.2-48829-1.dup", 5800000);
	expect_problem(&r, SQNS_RELEASE_PART_MISSING, 0, -1);

	memset(&r, 0, sizeof r);
	add_dup(&r, "firmware.dup", 5800000);
	expect_problem(&r, SQNS_RELEASE_NO_BUILD, 0, -1);

	memset(&r, 0, sizeof r);
	add_dup(&r, "CATM1-39529.dup", 5996938);
	add(&r, "a/updater.elf", 371307, elf_head, sizeof elf_head);
	add(&r, "b/UPDATER.ELF", 371307, elf_head, sizeof elf_head);
	expect_problem(&r, SQNS_RELEASE_TWO_UPDATERS, 2, 1);

	catm1_39529(&r);
	r.fail_open = true;
	expect_problem(&r, SQNS_RELEASE_UNREADABLE, 0, -1);
}

static struct sqns_choice choose(struct mem_release *r, struct sqns_found found, int expect)
{
	struct sqns_release_summary s;
	struct sqns_choice c;
	enum sqns_refusal why;
	assert_int_equal(sqns_release_check(&r->rel, &s), SQNS_OK);
	assert_int_equal(sqns_release_choose(&s, &r->rel, &found, &c, &why), expect);
	return c;
}

#define APP(build, b0)                                                                             \
	{                                                                                          \
		SQNS_MODE_APPLICATION, build, b0, SQNS_CHANNEL_CATM1                               \
	}

static void test_choice_for_each_modem(void **state)
{
	(void)state;
	struct mem_release r;
	catm1_39529(&r);
	/* On the diff's base: the diff, the normal method. */
	struct sqns_choice c = choose(&r, (struct sqns_found)APP(38638, 38638), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_DIFF);
	assert_int_equal(c.image, 2);
	assert_int_equal(c.full, 0);
	assert_false(c.recovery);
	assert_int_equal(c.updater, -1);
	/* On another build: the full image. */
	c = choose(&r, (struct sqns_found)APP(37781, 38638), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_FULL);
	assert_int_equal(c.image, 0);
	assert_false(c.older);
	/* Newer than the release: the full image, said to be older. */
	c = choose(&r, (struct sqns_found)APP(41065, 41065), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_FULL);
	assert_true(c.older);
	/* A factory boot ROM on 33080: the user's document's first-time command. */
	c = choose(&r, (struct sqns_found)APP(33080, SQNS_FACTORY_BOOTLOADER0), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_DIFF);
	assert_int_equal(c.image, 3);
	assert_true(c.recovery);
	assert_int_equal(c.updater, 1);
	/* A factory boot ROM under a newer factory build (46470): the full image. */
	c = choose(&r, (struct sqns_found)APP(46470, SQNS_FACTORY_BOOTLOADER0), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_FULL);
	assert_int_equal(c.updater, 1);
	/* Recovery mode: no build to read, the full image and updater.elf. */
	c = choose(&r, (struct sqns_found){SQNS_MODE_RECOVERY, 0, 0, 0}, SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_FULL_UNREAD);
	assert_int_equal(c.image, 0);
	assert_int_equal(c.updater, 1);
	/* Upgrade mode: the full image, resumed without updater.elf. */
	c = choose(&r, (struct sqns_found){SQNS_MODE_UPGRADE, 0, 0, 0}, SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_FULL_UNREAD);
	assert_int_equal(c.updater, -1);
	/* Already current. */
	c = choose(&r, (struct sqns_found)APP(39529, 38638), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_CURRENT);
	assert_int_equal(c.image, 0);
	/* The other channel: a switch, by the full image. */
	struct sqns_found nb = APP(41019, 41019);
	nb.channel = SQNS_CHANNEL_NBIOT;
	c = choose(&r, nb, SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_SWITCH);
	assert_int_equal(c.image, 0);
	/* The same build number on the other channel is not current. */
	nb.running_build = 39529;
	c = choose(&r, nb, SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_SWITCH);
}

static void test_choice_without_full_image(void **state)
{
	(void)state;
	struct mem_release r = {0};
	add_dup(&r, "upgdiff_33080-to-41065.dup", 1658508);
	add(&r, "updater.elf", 429340, elf_head, sizeof elf_head);
	/* In recovery mode the one diff goes: the modem checks its base. */
	struct sqns_choice c =
	    choose(&r, (struct sqns_found){SQNS_MODE_RECOVERY, 0, 0, 0}, SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_DIFF_ONLY);
	assert_int_equal(c.image, 0);
	assert_int_equal(c.updater, 1);
	/* Two diffs and a build that cannot be read: nothing fits. */
	add_dup(&r, "upgdiff_38638-to-41065.dup", 400000);
	struct sqns_release_summary s;
	enum sqns_refusal why;
	struct sqns_found rec = {SQNS_MODE_RECOVERY, 0, 0, 0};
	assert_int_equal(sqns_release_check(&r.rel, &s), SQNS_OK);
	assert_int_equal(sqns_release_choose(&s, &r.rel, &rec, &c, &why), SQNS_ERR_REFUSED);
	assert_int_equal(why, SQNS_REFUSE_NO_IMAGE_FITS);
	/* With the build known, the one from it. */
	c = choose(&r, (struct sqns_found)APP(38638, 38638), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_DIFF);
	assert_int_equal(c.image, 2);
}

static void test_choice_of_two_parts(void **state)
{
	(void)state;
	struct mem_release r = {0};
	add_dup(&r, "CATM1-5.2-48829-2.dup", 1100000);
	add_dup(&r, "CATM1-5.2-48829-1.dup", 5800000);
	add(&r, "updater.elf", 429340, elf_head, sizeof elf_head);
	struct sqns_choice c = choose(&r, (struct sqns_found)APP(41065, 41065), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_PARTS);
	assert_int_equal(c.image, 1);
	assert_int_equal(c.part2, 0);
	/* On the intermediate build: both parts still (docs/protocol.md section 12). */
	c = choose(&r, (struct sqns_found)APP(39529, 39529), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_PARTS);
	c = choose(&r, (struct sqns_found)APP(48829, 39529), SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_CURRENT);
	c = choose(&r, (struct sqns_found){SQNS_MODE_RECOVERY, 0, 0, 0}, SQNS_OK);
	assert_int_equal(c.why, SQNS_CHOSE_PARTS);
	assert_int_equal(c.updater, 2);
}

/* The choice's line, as the three faces print it. */
static void test_words_of_the_choice(void **state)
{
	(void)state;
	static struct sqns_ctx ctx;
	struct mem_release r;
	struct sqns_release_summary s;
	enum sqns_refusal why;
	char line[512];
	catm1_39529(&r);
	assert_int_equal(sqns_release_check(&r.rel, &s), SQNS_OK);
	struct sqns_found found = APP(38638, 38638);
	struct sqns_plan *p = &ctx.res.plan;
	*p = (struct sqns_plan){.mode = SQNS_MODE_APPLICATION, .running_build = 38638};
	p->from_release = true;
	assert_int_equal(sqns_release_choose(&s, &r.rel, &found, &p->choice, &why), SQNS_OK);
	sqns_words_choice(&ctx, &r.rel, "/tmp/CATM1-39529.zip", 921600, line, sizeof line);
	assert_string_equal(line, "From CATM1-39529.zip, the modem runs 38638: "
				  "upgdiff_38638-to-39529.dup, 452 KB, instead of "
				  "CATM1-39529.dup, 6.0 MB: about 62 s less\n");

	struct sqns_words_files f = {.baud = 921600};
	sqns_words_files_from_release(&ctx, &r.rel, "CATM1-39529.zip", &f);
	assert_string_equal(f.firmware, "CATM1-39529/upgdiff_38638-to-39529.dup");
	assert_int_equal(f.firmware_size, 452000);
	assert_null(f.updater);
	assert_string_equal(f.release, "CATM1-39529.zip");

	*p = (struct sqns_plan){.mode = SQNS_MODE_RECOVERY};
	p->from_release = true;
	found = (struct sqns_found){SQNS_MODE_RECOVERY, 0, 0, 0};
	assert_int_equal(sqns_release_choose(&s, &r.rel, &found, &p->choice, &why), SQNS_OK);
	sqns_words_choice(&ctx, &r.rel, "CATM1-39529", 921600, line, sizeof line);
	assert_string_equal(line, "From CATM1-39529, CATM1-39529.dup, 6.0 MB, the full image: in "
				  "recovery mode the modem's build cannot be read, so no "
				  "differential image is chosen; by the recovery method with the "
				  "release's updater.elf (the modem is in recovery mode)\n");
}

static void test_words_of_a_refused_release(void **state)
{
	(void)state;
	struct mem_release r = {0};
	struct sqns_release_summary s;
	char line[512];
	add_dup(&r, "CATM1-39529.dup", 5996938);
	add(&r, "updater.elf", 371307, dup_head, sizeof dup_head);
	assert_int_equal(sqns_release_check(&r.rel, &s), SQNS_ERR_REFUSED);
	sqns_words_release_problem(&s, &r.rel, "dl/CATM1-39529.zip", line, sizeof line);
	assert_string_equal(line, "'CATM1-39529.zip' holds 'updater.elf', which is not an ELF "
				  "file, so it is not updater.elf: the release is damaged or not "
				  "Pycom's; download it again\n");

	memset(&r, 0, sizeof r);
	add_dup(&r, "CATM1-39529.dup", 5996938);
	add_dup(&r, "CATM1-41065.dup", 6160982);
	assert_int_equal(sqns_release_check(&r.rel, &s), SQNS_ERR_REFUSED);
	sqns_words_release_problem(&s, &r.rel, "both.zip", line, sizeof line);
	assert_string_equal(line, "'both.zip' holds more than one release: 'CATM1-39529.dup' "
				  "(build 39529) and 'CATM1-41065.dup' (build 41065): keep one "
				  "release per archive or folder, or give the .dup you mean\n");

	memset(&r, 0, sizeof r);
	r.rel.open = open_member;
	assert_int_equal(sqns_release_check(&r.rel, &s), SQNS_ERR_REFUSED);
	sqns_words_release_problem(&s, &r.rel, "empty.zip", line, sizeof line);
	assert_string_equal(line, "'empty.zip' holds no firmware image (.dup), nothing at all: "
				  "it is not a modem firmware release; download the release (such "
				  "as CATM1-41065.zip) again\n");
}

/* A failed run from a release: the command to finish names the release and the boot ROM. */
static void test_words_of_a_failure_name_the_release(void **state)
{
	(void)state;
	static struct sqns_ctx ctx;
	struct mem_release r;
	struct sqns_release_summary s;
	enum sqns_refusal why;
	char text[2048];
	catm1_39529(&r);
	assert_int_equal(sqns_release_check(&r.rel, &s), SQNS_OK);
	struct sqns_found found = APP(33080, SQNS_FACTORY_BOOTLOADER0);
	struct sqns_plan *p = &ctx.res.plan;
	*p = (struct sqns_plan){.mode = SQNS_MODE_APPLICATION, .running_build = 33080};
	p->from_release = true;
	assert_int_equal(sqns_release_choose(&s, &r.rel, &found, &p->choice, &why), SQNS_OK);
	ctx.res.stage = SQNS_STAGE_UPGRADE_MODE;
	struct sqns_words_files f = {.bootrom = "sqnsbrz.py", .baud = 921600};
	sqns_words_files_from_release(&ctx, &r.rel, "CATM1-39529.zip", &f);
	assert_string_equal(f.updater, "CATM1-39529/updater.elf");
	struct sqns_words_how how = {.style = SQNS_WORDS_CLI, .port = "/dev/ttyUSB0"};
	struct sqns_words_failure fail = {.err = SQNS_ERR_TIMEOUT};
	sqns_words_failure(&ctx, &fail, &f, &how, text, sizeof text);
	assert_non_null(strstr(text, "sqnsupgrade -p /dev/ttyUSB0 run CATM1-39529.zip --bootrom "
				     "sqnsbrz.py --resume"));
	assert_null(strstr(text, "updater.elf"));
	how.style = SQNS_WORDS_PYTHON;
	sqns_words_failure(&ctx, &fail, &f, &how, text, sizeof text);
	assert_non_null(strstr(text, "sqnsupgrade.run('/dev/ttyUSB0', 'CATM1-39529.zip', "
				     "bootrom='sqnsbrz.py', resume=True)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_sorts_pycoms_archive_out),
	    cmocka_unit_test(test_check_refuses_what_is_not_one_release),
	    cmocka_unit_test(test_choice_for_each_modem),
	    cmocka_unit_test(test_choice_without_full_image),
	    cmocka_unit_test(test_choice_of_two_parts),
	    cmocka_unit_test(test_words_of_the_choice),
	    cmocka_unit_test(test_words_of_a_refused_release),
	    cmocka_unit_test(test_words_of_a_failure_name_the_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
