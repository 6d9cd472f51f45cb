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

static bool ends_with_dup(const char *s)
{
	return sqns_streq(s, ".dup") || sqns_streq(s, ".DUP");
}

bool sqns_parse_image_name(const char *name, struct sqns_image_info *info)
{
	*info = (struct sqns_image_info){0};
	if (!name)
		return false;
	const char *base = base_name(name);
	const char *rest;
	if (sqns_starts_with(base, "upgdiff_")) {
		uint32_t from, to;
		if (!digits_until(base + 8, '-', &from, &rest) || !sqns_starts_with(rest, "-to-") ||
		    !digits_until(rest + 4, '.', &to, &rest) || !ends_with_dup(rest))
			return false;
		*info = (struct sqns_image_info){.differential = true, .build = to, .from = from};
		return true;
	}
	/* NAME-BUILD.dup: the digits after the last '-'. */
	const char *dash = NULL;
	for (const char *p = base; *p; p++)
		if (*p == '-')
			dash = p;
	uint32_t build;
	if (!dash || dash == base || !digits_until(dash + 1, '.', &build, &rest) ||
	    !ends_with_dup(rest))
		return false;
	info->build = build;
	return true;
}

/* Whether the image starts with the 4 bytes of `magic`. */
static int has_magic(const struct sqns_image *img, const char magic[4], bool *yes)
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

static const char ELF_MAGIC[4] = {0x7f, 'E', 'L', 'F'};
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
		if ((r = has_magic(opts->updater, ELF_MAGIC, &ok)) != SQNS_OK)
			return r;
		if (!ok)
			return refuse(why, SQNS_REFUSE_UPDATER_NOT_ELF);
	}
	if (opts->bootrom) {
		if ((r = has_magic(opts->bootrom, BOOTROM_MAGIC, &ok)) != SQNS_OK)
			return r;
		if (!ok)
			return refuse(why, SQNS_REFUSE_BOOTROM_NOT_UPGR);
	}
	return SQNS_OK;
}

int sqns_check_images(const struct sqns_upgrade_opts *opts, enum sqns_refusal *why)
{
	bool elf;
	*why = SQNS_REFUSE_NONE;
	if (!opts || !opts->image || !opts->image->read || opts->image->size == 0)
		return SQNS_ERR_ARG;
	int r = has_magic(opts->image, ELF_MAGIC, &elf);
	if (r != SQNS_OK)
		return r;
	if (elf)
		return refuse(why, SQNS_REFUSE_FIRMWARE_IS_ELF);
	if ((r = sqns_check_helpers(opts, why)) != SQNS_OK)
		return r;
	struct sqns_image_info info;
	if (opts->updater && sqns_parse_image_name(opts->image->name, &info) && info.differential)
		return refuse(why, SQNS_REFUSE_DIFF_WITH_UPDATER);
	return SQNS_OK;
}
