/* SPDX-License-Identifier: MIT */
/*
 * Releases: the files of one Pycom download (docs/protocol.md section 12).
 * Which member is what, whether they make one release, and the choice of
 * image and method for the modem detection found.
 */
#include "internal.h"

/* The member's file name: after the last '/' or '\\'. */
static const char *base_name(const char *name)
{
	const char *b = name;
	for (const char *s = name; *s; s++)
		if (*s == '/' || *s == '\\')
			b = s + 1;
	return b;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool same_text(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = 0, m = 0;
	while (s[n])
		n++;
	while (suffix[m])
		m++;
	return n >= m && same_text(s + n - m, suffix);
}

enum role { ROLE_OTHER, ROLE_IMAGE, ROLE_UPDATER };

/*
 * What a member is by its name: a .dup image, updater.elf, or something
 * else: a folder, a README, or what macOS adds to the archives it makes
 * (__MACOSX/, "._" files), which end in .dup too.
 */
static enum role role_of(const char *name)
{
	const char *b = base_name(name);
	if (!*b || sqns_starts_with(name, "__MACOSX/") || sqns_contains(name, "/__MACOSX/") ||
	    sqns_starts_with(b, "._"))
		return ROLE_OTHER;
	if (same_text(b, "updater.elf"))
		return ROLE_UPDATER;
	return ends_with(b, ".dup") ? ROLE_IMAGE : ROLE_OTHER;
}

static int problem(struct sqns_release_summary *sum, enum sqns_release_problem p, int member,
		   int other)
{
	sum->problem = p;
	sum->member = member;
	sum->other = other;
	return SQNS_ERR_REFUSED;
}

/* Member i as an image; SQNS_ERR_IMAGE when it cannot be opened. */
static int open_member(const struct sqns_release *rel, size_t i, struct sqns_image *img)
{
	*img = (struct sqns_image){0};
	if (rel->open(rel->ctx, i, img) != SQNS_OK || !img->read)
		return SQNS_ERR_IMAGE;
	return SQNS_OK;
}

/* Where an image fits in the summary (one of each kind, one release). */
static int place_image(struct sqns_release_summary *sum, const struct sqns_release *rel, int i,
		       const struct sqns_image_info *in)
{
	int *slot = in->differential ? NULL
		    : in->part == 1  ? &sum->part1
		    : in->part == 2  ? &sum->part2
				     : &sum->full;
	if (sum->build && in->build != sum->build)
		return SQNS_RELEASE_TWO_RELEASES;
	if (in->channel && sum->channel && in->channel != sum->channel)
		return SQNS_RELEASE_TWO_RELEASES;
	if (slot && *slot >= 0)
		return SQNS_RELEASE_TWO_RELEASES;
	if (in->differential) {
		/* Two differential images from the same build: two releases' worth. */
		for (int j = 0; j < i; j++) {
			struct sqns_image_info other;
			if (role_of(rel->members[j].name) == ROLE_IMAGE &&
			    sqns_parse_image_name(rel->members[j].name, &other) &&
			    other.differential && other.from == in->from)
				return SQNS_RELEASE_TWO_RELEASES;
		}
		sum->diffs++;
	} else {
		*slot = i;
	}
	sum->build = in->build;
	if (in->channel)
		sum->channel = in->channel;
	return SQNS_RELEASE_OK;
}

/* The first image member before `before`: the other side of a conflict. */
static int first_image(const struct sqns_release *rel, int before)
{
	for (int j = 0; j < before; j++)
		if (role_of(rel->members[j].name) == ROLE_IMAGE)
			return j;
	return -1;
}

static int check_member(const struct sqns_release *rel, struct sqns_release_summary *sum, int i)
{
	const char *name = rel->members[i].name;
	struct sqns_image img;
	enum role role = role_of(name);
	int r;
	if (role == ROLE_OTHER) {
		sum->ignored++;
		return SQNS_OK;
	}
	if (open_member(rel, (size_t)i, &img) != SQNS_OK)
		return problem(sum, SQNS_RELEASE_UNREADABLE, i, -1);
	if (role == ROLE_UPDATER) {
		bool elf;
		if (sum->updater >= 0)
			return problem(sum, SQNS_RELEASE_TWO_UPDATERS, i, sum->updater);
		if (sqns_has_magic(&img, SQNS_ELF_MAGIC, &elf) != SQNS_OK)
			return problem(sum, SQNS_RELEASE_UNREADABLE, i, -1);
		if (!elf)
			return problem(sum, SQNS_RELEASE_UPDATER_NOT_ELF, i, -1);
		sum->updater = i;
		return SQNS_OK;
	}
	struct sqns_image_info in;
	if (!sqns_parse_image_name(name, &in))
		return problem(sum, SQNS_RELEASE_NO_BUILD, i, -1);
	if ((r = sqns_check_firmware_kind(&img, &sum->refusal)) == SQNS_ERR_REFUSED)
		return problem(sum, SQNS_RELEASE_NOT_FIRMWARE, i, -1);
	if (r != SQNS_OK)
		return problem(sum, SQNS_RELEASE_UNREADABLE, i, -1);
	int same = in.differential ? -1
		   : in.part == 1  ? sum->part1
		   : in.part == 2  ? sum->part2
				   : sum->full;
	if (place_image(sum, rel, i, &in) != SQNS_RELEASE_OK)
		return problem(sum, SQNS_RELEASE_TWO_RELEASES, i,
			       same >= 0 ? same : first_image(rel, i));
	return SQNS_OK;
}

int sqns_release_check(const struct sqns_release *rel, struct sqns_release_summary *sum)
{
	if (!sum)
		return SQNS_ERR_ARG;
	*sum = (struct sqns_release_summary){
	    .member = -1, .other = -1, .full = -1, .part1 = -1, .part2 = -1, .updater = -1};
	if (!rel || !rel->open || (rel->count && !rel->members) || rel->count > 0x7fff)
		return SQNS_ERR_ARG;
	for (size_t i = 0; i < rel->count; i++) {
		if (!rel->members[i].name)
			return SQNS_ERR_ARG;
		int r = check_member(rel, sum, (int)i);
		if (r != SQNS_OK)
			return r;
	}
	if (sum->full < 0 && sum->part1 < 0 && sum->part2 < 0 && !sum->diffs)
		return problem(sum, SQNS_RELEASE_EMPTY, -1, -1);
	if ((sum->part1 < 0) != (sum->part2 < 0))
		return problem(sum, SQNS_RELEASE_PART_MISSING,
			       sum->part1 >= 0 ? sum->part1 : sum->part2, -1);
	return SQNS_OK;
}

/* The differential image from `from` (or any, from 0), -1 when none; *count: how many. */
static int find_diff(const struct sqns_release *rel, uint32_t from, unsigned *count)
{
	int found = -1;
	*count = 0;
	for (size_t i = 0; i < rel->count; i++) {
		struct sqns_image_info in;
		if (role_of(rel->members[i].name) != ROLE_IMAGE ||
		    !sqns_parse_image_name(rel->members[i].name, &in) || !in.differential)
			continue;
		++*count;
		if (found < 0 && (!from || in.from == from))
			found = (int)i;
	}
	return found;
}

static int chose(struct sqns_choice *c, enum sqns_choice_why why, int image)
{
	c->why = why;
	c->image = image;
	return SQNS_OK;
}

int sqns_release_choose(const struct sqns_release_summary *sum, const struct sqns_release *rel,
			const struct sqns_found *found, struct sqns_choice *c,
			enum sqns_refusal *why)
{
	if (!c || !why)
		return SQNS_ERR_ARG;
	*why = SQNS_REFUSE_NONE;
	*c = (struct sqns_choice){.image = -1, .part2 = -1, .updater = -1, .full = -1};
	if (!sum || !rel || !found || sum->problem != SQNS_RELEASE_OK)
		return SQNS_ERR_ARG;
	c->full = sum->full;
	bool app = found->mode == SQNS_MODE_APPLICATION;
	uint32_t running = app ? found->running_build : 0;
	bool other_channel =
	    sum->channel && found->channel && app && sum->channel != found->channel;
	unsigned diffs;
	int diff = find_diff(rel, 0, &diffs);
	c->older = running && sum->build < running;
	if (running && running == sum->build && !other_channel) {
		/* Nothing to send: the flow still sees the image and says so. */
		int any = sum->part1 >= 0 ? sum->part1 : sum->full >= 0 ? sum->full : diff;
		return chose(c, SQNS_CHOSE_CURRENT, any);
	}
	c->recovery = found->mode == SQNS_MODE_RECOVERY ||
		      (app && found->bootloader0 == SQNS_FACTORY_BOOTLOADER0);
	c->updater = c->recovery ? sum->updater : -1;
	if (sum->part1 >= 0) {
		c->part2 = sum->part2;
		return chose(c, SQNS_CHOSE_PARTS, sum->part1);
	}
	if (other_channel && sum->full >= 0)
		return chose(c, SQNS_CHOSE_SWITCH, sum->full);
	int fits = running ? find_diff(rel, running, &diffs) : -1;
	if (fits >= 0)
		return chose(c, SQNS_CHOSE_DIFF, fits);
	if (sum->full >= 0)
		return chose(c, running ? SQNS_CHOSE_FULL : SQNS_CHOSE_FULL_UNREAD, sum->full);
	if (diffs == 1)
		return chose(c, SQNS_CHOSE_DIFF_ONLY, diff);
	c->updater = -1;
	*why = SQNS_REFUSE_NO_IMAGE_FITS;
	return SQNS_ERR_REFUSED;
}
