/*
 * Test images and how the simulated modem recognises them.
 *
 * Real .dup files are opaque to the updater; the simulator needs to know what
 * it received. A simulator image carries, within its first 256 bytes, the tag
 *
 *     SQNSIM-IMAGE kind=full build=39529 from=0 size=N seed=S\n
 *
 * (kind updater starts with 20 ELF header bytes, `\x7fELF`..., before the tag); the
 * rest of the file is a pseudo-random stream from the seed. Knowing the tag,
 * the modem regenerates the image and checks every byte it is given, so a host
 * that loses, repeats or reorders bytes produces an image that is not complete.
 */
#ifndef SQNSIM_IMAGE_H
#define SQNSIM_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sha256.h"

#define IMAGE_HEAD_LEN 256u /* the tag lies within these bytes */
#define IMAGE_MIN_SIZE 300u

enum image_kind {
	IMAGE_UNKNOWN = 0,
	IMAGE_FULL,
	IMAGE_DIFF,
	IMAGE_BOOTROM,
	IMAGE_UPDATER,
};

struct image_desc {
	enum image_kind kind;
	unsigned long build;
	unsigned long from; /* diff: the build it applies to; 0 otherwise */
	unsigned long long size;
	unsigned long long seed;
};

/* Produces an image byte by byte. */
struct image_gen {
	uint8_t head[IMAGE_HEAD_LEN];
	size_t head_len;
	uint64_t pos;
	uint64_t prng;
	uint64_t word;
	unsigned word_left;
};

/* What the modem has received of an image so far. */
struct image_rx {
	struct sha256 sha;
	uint64_t bytes;
	uint8_t head[IMAGE_HEAD_LEN];
	bool tagged;
	bool corrupt; /* a byte differed from the tag's image, or too many bytes */
	uint64_t bad_at;
	struct image_desc desc;
	struct image_gen gen;
};

const char *image_kind_name(enum image_kind kind);
/* Returns IMAGE_UNKNOWN for a name it does not know. */
enum image_kind image_kind_parse(const char *name);

void image_gen_init(struct image_gen *g, const struct image_desc *d);
uint8_t image_gen_next(struct image_gen *g);

/* Looks for the tag in buf; returns true and fills d when a complete tag is found. */
bool image_tag_parse(const uint8_t *buf, size_t len, struct image_desc *d);

void image_rx_init(struct image_rx *rx);
void image_rx_feed(struct image_rx *rx, const uint8_t *data, size_t len);
/* Call once the transfer is over: settles the tag of short images. */
void image_rx_finish(struct image_rx *rx);
/* Tagged, every byte as the tag says, and exactly size bytes. */
bool image_rx_complete(const struct image_rx *rx);

/* `sqnsim mkimage ...`: returns the process exit status. */
int image_mkimage_main(int argc, char **argv);

#endif
