/* SPDX-License-Identifier: MIT */
#include "image.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_MAGIC "SQNSIM-IMAGE "

static const char *const kind_names[] = {
    [IMAGE_UNKNOWN] = "unknown", [IMAGE_FULL] = "full",	      [IMAGE_DIFF] = "diff",
    [IMAGE_BOOTROM] = "bootrom", [IMAGE_UPDATER] = "updater",
};

/* e_ident of a 32-bit little-endian ELF file, then e_type ET_EXEC, e_machine ARM. */
static const uint8_t elf_prefix[20] = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0,  0,
				       0,    0,	  0,   0,   0, 0, 2, 0, 40, 0};

/*
 * A boot ROM package starts with the magic "UPGR" and its title; the tag
 * follows after zero padding to BOOTROM_PREFIX_LEN bytes.
 */
#define BOOTROM_PREFIX_LEN 32u
static const char bootrom_title[] = "UPGR"
				    "bootrom upgrade package";

const char *image_kind_name(enum image_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[kind];
}

enum image_kind image_kind_parse(const char *name)
{
	for (unsigned i = 1; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(name, kind_names[i]) == 0)
			return (enum image_kind)i;
	return IMAGE_UNKNOWN;
}

static const char *const channel_names[] = {
    [CHANNEL_CATM1] = "catm1",
    [CHANNEL_NB1] = "nb1",
};

const char *channel_name(enum channel c)
{
	return (unsigned)c < 2 ? channel_names[c] : "catm1";
}

int channel_parse(const char *name, enum channel *c)
{
	for (unsigned i = 0; i < 2; i++) {
		if (strcmp(name, channel_names[i]) == 0) {
			*c = (enum channel)i;
			return 0;
		}
	}
	return -1;
}

/* splitmix64 */
static uint64_t prng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void image_gen_init(struct image_gen *g, const struct image_desc *d)
{
	size_t n = 0;
	int len;

	memset(g, 0, sizeof(*g));
	if (d->kind == IMAGE_UPDATER) {
		memcpy(g->head, elf_prefix, sizeof(elf_prefix));
		n = sizeof(elf_prefix);
	} else if (d->kind == IMAGE_BOOTROM) {
		memcpy(g->head, bootrom_title, sizeof(bootrom_title) - 1); /* the rest stays 0 */
		n = BOOTROM_PREFIX_LEN;
	}
	len = snprintf((char *)g->head + n, sizeof(g->head) - n,
		       TAG_MAGIC "kind=%s build=%lu from=%lu size=%llu seed=%llu%s%s\n",
		       image_kind_name(d->kind), d->build, d->from, d->size, d->seed,
		       d->channel_tagged ? " channel=" : "",
		       d->channel_tagged ? channel_name(d->channel) : "");
	g->head_len = n + (size_t)len;
	g->prng = d->seed;
}

uint8_t image_gen_next(struct image_gen *g)
{
	uint8_t b;

	if (g->pos < g->head_len)
		return g->head[g->pos++];
	if (g->word_left == 0) {
		g->word = prng_next(&g->prng);
		g->word_left = 8;
	}
	b = (uint8_t)g->word;
	g->word >>= 8;
	g->word_left--;
	g->pos++;
	return b;
}

static bool tag_field(const char *tok, struct image_desc *d)
{
	char key[16], val[32];

	if (sscanf(tok, "%15[a-z]=%31s", key, val) != 2)
		return false;
	if (strcmp(key, "kind") == 0)
		d->kind = image_kind_parse(val);
	else if (strcmp(key, "build") == 0)
		d->build = strtoul(val, NULL, 10);
	else if (strcmp(key, "from") == 0)
		d->from = strtoul(val, NULL, 10);
	else if (strcmp(key, "size") == 0)
		d->size = strtoull(val, NULL, 10);
	else if (strcmp(key, "seed") == 0)
		d->seed = strtoull(val, NULL, 10);
	else if (strcmp(key, "channel") == 0)
		return d->channel_tagged = true, channel_parse(val, &d->channel) == 0;
	else
		return false;
	return true;
}

bool image_tag_parse(const uint8_t *buf, size_t len, struct image_desc *d)
{
	const uint8_t *p = memmem(buf, len, TAG_MAGIC, strlen(TAG_MAGIC));
	const uint8_t *nl;
	char line[IMAGE_HEAD_LEN + 1];
	char *save = NULL;

	if (!p)
		return false;
	nl = memchr(p, '\n', len - (size_t)(p - buf));
	if (!nl)
		return false;
	memcpy(line, p, (size_t)(nl - p));
	line[nl - p] = '\0';
	memset(d, 0, sizeof(*d));
	strtok_r(line, " ", &save); /* the magic word */
	for (char *tok = strtok_r(NULL, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!tag_field(tok, d))
			return false;
	return d->kind != IMAGE_UNKNOWN && d->size >= IMAGE_MIN_SIZE;
}

void image_rx_init(struct image_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	sha256_init(&rx->sha);
}

static void rx_mark_bad(struct image_rx *rx, uint64_t at)
{
	if (!rx->corrupt) {
		rx->corrupt = true;
		rx->bad_at = at;
	}
}

/* Checks the buffered head against the tag's image, once it is known. */
static void rx_check_head(struct image_rx *rx, size_t have)
{
	if (!image_tag_parse(rx->head, have, &rx->desc)) {
		rx_mark_bad(rx, 0);
		return;
	}
	rx->tagged = true;
	image_gen_init(&rx->gen, &rx->desc);
	for (size_t i = 0; i < have; i++)
		if (image_gen_next(&rx->gen) != rx->head[i])
			rx_mark_bad(rx, i);
}

static void rx_byte(struct image_rx *rx, uint8_t b)
{
	uint64_t at = rx->bytes++;

	if (at < IMAGE_HEAD_LEN) {
		rx->head[at] = b;
		if (at + 1 == IMAGE_HEAD_LEN)
			rx_check_head(rx, IMAGE_HEAD_LEN);
		return;
	}
	if (!rx->tagged || rx->corrupt)
		return;
	if (at >= rx->desc.size || image_gen_next(&rx->gen) != b)
		rx_mark_bad(rx, at);
}

void image_rx_feed(struct image_rx *rx, const uint8_t *data, size_t len)
{
	sha256_update(&rx->sha, data, len);
	for (size_t i = 0; i < len; i++)
		rx_byte(rx, data[i]);
}

void image_rx_finish(struct image_rx *rx)
{
	if (rx->bytes < IMAGE_HEAD_LEN && !rx->tagged && !rx->corrupt)
		rx_check_head(rx, (size_t)rx->bytes);
}

void image_rx_restore(struct image_rx *rx, const struct image_desc *d, bool tagged, uint64_t bytes,
		      bool corrupt, uint64_t bad_at)
{
	struct image_gen g;
	uint8_t buf[4096];

	image_rx_init(rx);
	if (!tagged || corrupt || bytes > d->size) {
		rx->bytes = bytes;
		rx->tagged = tagged;
		rx->desc = *d;
		rx->corrupt = true;
		rx->bad_at = corrupt ? bad_at : 0;
		return;
	}
	image_gen_init(&g, d);
	for (uint64_t left = bytes; left > 0;) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = image_gen_next(&g);
		image_rx_feed(rx, buf, n);
		left -= n;
	}
}

bool image_rx_complete(const struct image_rx *rx)
{
	return rx->tagged && !rx->corrupt && rx->bytes == rx->desc.size;
}

/* ---- sqnsim mkimage ---- */

static void mkimage_usage(FILE *f)
{
	fprintf(f, "usage: sqnsim mkimage --kind full|diff|bootrom|updater --build N [--from N]\n"
		   "                      --size BYTES [--seed S] [--channel catm1|nb1] OUT\n"
		   "  --from N     a diff's base; for a full image: it applies only on build N\n"
		   "               (the second part of a two-part release)\n"
		   "  --channel C  the firmware's channel, named in the tag (default catm1)\n");
}

static int mkimage_args(int argc, char **argv, struct image_desc *d, const char **out)
{
	static const struct option opts[] = {
	    {"kind", required_argument, NULL, 'k'}, {"build", required_argument, NULL, 'b'},
	    {"from", required_argument, NULL, 'f'}, {"size", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, 'S'}, {"channel", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	bool have_seed = false;
	int c;

	memset(d, 0, sizeof(*d));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			d->kind = image_kind_parse(optarg);
			break;
		case 'b':
			d->build = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			d->from = strtoul(optarg, NULL, 10);
			break;
		case 's':
			d->size = strtoull(optarg, NULL, 10);
			break;
		case 'S':
			d->seed = strtoull(optarg, NULL, 10);
			have_seed = true;
			break;
		case 'c':
			if (channel_parse(optarg, &d->channel) != 0) {
				fprintf(stderr, "sqnsim mkimage: --channel must be catm1 or nb1\n");
				return -1;
			}
			d->channel_tagged = true;
			break;
		default:
			return -1;
		}
	}
	if (!have_seed)
		d->seed = d->build;
	*out = (optind + 1 == argc) ? argv[optind] : NULL;
	return 0;
}

static const char *mkimage_check(const struct image_desc *d, const char *out)
{
	if (!out)
		return "exactly one output file is needed";
	if (d->kind == IMAGE_UNKNOWN)
		return "--kind must be full, diff, bootrom or updater";
	if (d->build == 0)
		return "--build N is needed";
	if (d->size < IMAGE_MIN_SIZE)
		return "--size must be at least 300";
	if (d->kind == IMAGE_DIFF && d->from == 0)
		return "a diff image needs --from N";
	if (d->kind != IMAGE_DIFF && d->kind != IMAGE_FULL && d->from != 0)
		return "--from is only for diff and full images";
	if (d->channel_tagged && d->kind != IMAGE_FULL && d->kind != IMAGE_DIFF)
		return "--channel is only for full and diff images";
	return NULL;
}

static int mkimage_write(const struct image_desc *d, const char *out)
{
	struct image_gen g;
	uint8_t buf[65536];
	FILE *f = fopen(out, "wb");
	bool ok = true;

	if (!f) {
		fprintf(stderr, "sqnsim mkimage: %s: %s\n", out, strerror(errno));
		return 1;
	}
	image_gen_init(&g, d);
	for (unsigned long long left = d->size; left > 0;) {
		size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = image_gen_next(&g);
		if (fwrite(buf, 1, n, f) != n) {
			ok = false;
			break;
		}
		left -= n;
	}
	if (fclose(f) != 0)
		ok = false;
	if (!ok) {
		fprintf(stderr, "sqnsim mkimage: %s: write failed\n", out);
		return 1;
	}
	return 0;
}

int image_mkimage_main(int argc, char **argv)
{
	struct image_desc d;
	const char *out = NULL;
	const char *why;

	if (mkimage_args(argc, argv, &d, &out) < 0) {
		mkimage_usage(stderr);
		return 2;
	}
	why = mkimage_check(&d, out);
	if (why) {
		fprintf(stderr, "sqnsim mkimage: %s\n", why);
		mkimage_usage(stderr);
		return 2;
	}
	return mkimage_write(&d, out);
}
