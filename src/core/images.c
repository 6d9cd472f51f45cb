/* SPDX-License-Identifier: MIT */
/* What the host may know of an image: its name and its first bytes. Nothing more. */
#include "internal.h"

static const char *base_name(const char *path)
{
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	return base;
}

/*
 * A build number at s, up to `stop`; false when empty, not digits, too long,
 * or 0 (no firmware has build 0: "NAME-0.dup" would pass for a modem whose
 * build could not be read).
 */
static bool digits_until(const char *s, char stop, uint32_t *v, const char **rest)
{
	uint32_t n = 0;
	int count = 0;
	for (; *s >= '0' && *s <= '9'; s++, count++) {
		if (count == 9)
			return false;
		n = n * 10 + (uint32_t)(*s - '0');
	}
	if (count == 0 || *s != stop || n == 0)
		return false;
	*v = n;
	*rest = s;
	return true;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z');
}

/* Whether s starts with `word` (lower case), ignoring case. */
static bool starts_with_nocase(const char *s, const char *word)
{
	for (; *word; s++, word++)
		if (lower(*s) != *word)
			return false;
	return true;
}

static bool ends_with_dup(const char *s)
{
	return starts_with_nocase(s, ".dup") && s[4] == '\0';
}

/*
 * The channel a release name says (docs/protocol.md section 11): CATM1 or
 * LR5 is CAT-M1, NB1 or LR6 is NB-IoT, each a word of its own, not the
 * inside of a longer word or number.
 */
static int name_channel(const char *stem, const char *end)
{
	static const struct {
		const char *word;
		int channel;
	} words[] = {
	    {"catm1", SQNS_CHANNEL_CATM1},
	    {"lr5", SQNS_CHANNEL_CATM1},
	    {"nb1", SQNS_CHANNEL_NBIOT},
	    {"lr6", SQNS_CHANNEL_NBIOT},
	};
	for (const char *p = stem; p < end; p++) {
		if (p > stem && is_alnum(p[-1]))
			continue;
		for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
			size_t n = sqns_strlen(words[i].word);
			if ((size_t)(end - p) >= n && starts_with_nocase(p, words[i].word) &&
			    (p + n == end || !is_alnum(p[n])))
				return words[i].channel;
		}
	}
	return SQNS_CHANNEL_UNKNOWN;
}

/*
 * Releases Pycom published in two parts: part 1 leaves the modem on an
 * intermediate build, from which part 2 installs the release's build.
 */
static const struct {
	uint32_t build, intermediate;
} two_part[] = {
    {48829, 39529}, /* CAT-M1 5.2-48829: CATM1-5.2-48829-1.dup, then -2.dup */
};

static uint32_t two_part_intermediate(uint32_t build)
{
	for (size_t i = 0; i < sizeof two_part / sizeof two_part[0]; i++)
		if (two_part[i].build == build)
			return two_part[i].intermediate;
	return 0;
}

/*
 * A release name: the build is the one group of exactly five digits
 * (CATM1-39529.dup, FIPY_GPY_CATM1_36417.dup, FIPY_LR6.1.2.0-46262_SMDD.dup,
 * CATM1-5.2-48829-1.dup); "-1" or "-2" right after it names a part of a
 * two-part release. No such group, several, or nothing else in the name:
 * no build.
 */
static void parse_release(const char *stem, const char *end, struct sqns_image_info *info)
{
	const char *group = NULL;
	int groups = 0;
	bool other = false; /* something besides the build names the file */
	for (const char *p = stem; p < end;) {
		const char *q = p;
		while (q < end && is_digit(*q))
			q++;
		if (q - p == 5) {
			group = p;
			groups++;
		} else if (q == p) {
			other = other || is_alnum(*p);
			q++;
		} else {
			other = true;
		}
		p = q;
	}
	if (groups != 1 || !other || *group == '0')
		return;
	uint32_t build = 0;
	for (const char *p = group; p < group + 5; p++)
		build = build * 10 + (uint32_t)(*p - '0');
	info->build = info->leaves = build;
	const char *after = group + 5;
	if (end - after == 2 && after[0] == '-' && (after[1] == '1' || after[1] == '2')) {
		info->part = (uint8_t)(after[1] - '0');
		uint32_t mid = two_part_intermediate(build);
		if (info->part == 1)
			info->leaves =
			    mid; /* 0 when the release, and so its intermediate, is unknown */
		else
			info->from = mid;
	}
}

bool sqns_parse_image_name(const char *name, struct sqns_image_info *info)
{
	*info = (struct sqns_image_info){0};
	if (!name)
		return false;
	const char *base = base_name(name);
	const char *end = base + sqns_strlen(base);
	const char *rest;
	if (starts_with_nocase(base, "upgdiff_")) {
		uint32_t from, to;
		if (!digits_until(base + 8, '-', &from, &rest) || !sqns_starts_with(rest, "-to-") ||
		    !digits_until(rest + 4, '.', &to, &rest) || !ends_with_dup(rest))
			return false;
		*info = (struct sqns_image_info){
		    .differential = true, .build = to, .from = from, .leaves = to};
		return true;
	}
	if (end - base < 4 || !ends_with_dup(end - 4))
		return false;
	info->channel = name_channel(base, end - 4);
	parse_release(base, end - 4, info);
	return info->build != 0;
}

/* Whether the image starts with the 4 bytes of `magic`. */
int sqns_has_magic(const struct sqns_image *img, const char magic[4], bool *yes)
{
	uint8_t head[4];
	*yes = false;
	if (img->size < sizeof head)
		return SQNS_OK;
	if (img->read(img->ctx, 0, head, sizeof head) != SQNS_OK)
		return SQNS_ERR_IMAGE;
	*yes = true;
	for (unsigned i = 0; i < sizeof head; i++)
		*yes = *yes && head[i] == (uint8_t)magic[i];
	return SQNS_OK;
}

const char SQNS_ELF_MAGIC[4] = {0x7f, 'E', 'L', 'F'};
static const char BOOTROM_MAGIC[4] = {'U', 'P', 'G', 'R'}; /* docs/protocol.md section 5 */

static int refuse(enum sqns_refusal *why, enum sqns_refusal r)
{
	*why = r;
	return SQNS_ERR_REFUSED;
}

int sqns_check_helpers(const struct sqns_upgrade_opts *opts, enum sqns_refusal *why)
{
	bool ok;
	int r;
	*why = SQNS_REFUSE_NONE;
	if (opts->updater) {
		if ((r = sqns_has_magic(opts->updater, SQNS_ELF_MAGIC, &ok)) != SQNS_OK)
			return r;
		if (!ok)
			return refuse(why, SQNS_REFUSE_UPDATER_NOT_ELF);
	}
	if (opts->bootrom) {
		if ((r = sqns_has_magic(opts->bootrom, BOOTROM_MAGIC, &ok)) != SQNS_OK)
			return r;
		if (!ok)
			return refuse(why, SQNS_REFUSE_BOOTROM_NOT_UPGR);
	}
	return SQNS_OK;
}

#define TEXT_LEN 256u	  /* text or not is told from this many bytes */
#define TAR_MAGIC_AT 257u /* "ustar" */
#define HEAD_LEN (TAR_MAGIC_AT + 5u)

static bool head_starts(const uint8_t *head, size_t n, const char *magic, size_t len)
{
	if (n < len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (head[i] != (uint8_t)magic[i])
			return false;
	return true;
}

/* Text: no byte that a text file never holds (NUL and the other controls but tab, CR, LF, FF). */
static bool is_text(const uint8_t *head, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((head[i] < 0x20 && head[i] != '\t' && head[i] != '\r' && head[i] != '\n' &&
		     head[i] != '\f') ||
		    head[i] == 0x7f)
			return false;
	return n > 0;
}

/* An HTML or XML page: '<' first (after blanks or a UTF-8 byte order mark). */
static bool is_markup(const uint8_t *head, size_t n)
{
	size_t i = head_starts(head, n, "\xef\xbb\xbf", 3) ? 3 : 0;
	while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
		i++;
	return i < n && head[i] == '<';
}

/*
 * What a firmware image must not be (docs/protocol.md section 11): a file
 * that is recognisably something else, told from its first bytes. A .dup's
 * own format is Sequans' and unknown here, so only the others are named.
 */
int sqns_check_firmware_kind(const struct sqns_image *img, enum sqns_refusal *why)
{
	uint8_t head[HEAD_LEN]; /* in one read */
	size_t n = img->size < HEAD_LEN ? img->size : HEAD_LEN;
	if (img->read(img->ctx, 0, head, n) != SQNS_OK)
		return SQNS_ERR_IMAGE;
	static const struct {
		const char *magic;
		size_t len;
		enum sqns_refusal why;
	} kinds[] = {
	    {"\x7f"
	     "ELF",
	     4, SQNS_REFUSE_FIRMWARE_IS_ELF},
	    {"PK\x03\x04", 4, SQNS_REFUSE_FIRMWARE_IS_ZIP},
	    {"PK\x05\x06", 4, SQNS_REFUSE_FIRMWARE_IS_ZIP},	 /* an empty zip */
	    {"\x1f\x8b", 2, SQNS_REFUSE_FIRMWARE_IS_COMPRESSED}, /* gzip */
	    {"\xfd"
	     "7zXZ",
	     5, SQNS_REFUSE_FIRMWARE_IS_COMPRESSED},			   /* xz */
	    {"BZh", 3, SQNS_REFUSE_FIRMWARE_IS_COMPRESSED},		   /* bzip2 */
	    {"7z\xbc\xaf\x27\x1c", 6, SQNS_REFUSE_FIRMWARE_IS_COMPRESSED}, /* 7-Zip */
	    {"UPGR", 4, SQNS_REFUSE_FIRMWARE_IS_BOOTROM},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (head_starts(head, n, kinds[i].magic, kinds[i].len))
			return refuse(why, kinds[i].why);
	if (n == HEAD_LEN && head_starts(head + TAR_MAGIC_AT, 5, "ustar", 5))
		return refuse(why, SQNS_REFUSE_FIRMWARE_IS_TAR);
	n = n < TEXT_LEN ? n : TEXT_LEN;
	if (is_text(head, n))
		return refuse(why, is_markup(head, n) ? SQNS_REFUSE_FIRMWARE_IS_HTML
						      : SQNS_REFUSE_FIRMWARE_IS_TEXT);
	return SQNS_OK;
}

int sqns_check_images(const struct sqns_upgrade_opts *opts, enum sqns_refusal *why)
{
	*why = SQNS_REFUSE_NONE;
	if (!opts || !opts->image || !opts->image->read || opts->image->size == 0)
		return SQNS_ERR_ARG;
	if (opts->part2) {
		/* Part 2 goes with its own part 1 only. */
		struct sqns_image_info one, two;
		sqns_parse_image_name(opts->image->name, &one);
		sqns_parse_image_name(opts->part2->name, &two);
		if (!opts->part2->read || opts->part2->size == 0 || one.part != 1 ||
		    two.part != 2 || one.build != two.build)
			return SQNS_ERR_ARG;
	}
	int r = sqns_check_firmware_kind(opts->image, why);
	if (r == SQNS_OK && opts->part2)
		r = sqns_check_firmware_kind(opts->part2, why);
	if (r != SQNS_OK)
		return r;
	return sqns_check_helpers(opts, why);
}
