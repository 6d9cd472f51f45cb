/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 (FIPS 180-4), written for the simulator: it fingerprints every image
 * the modem receives so that tests can compare it with the file they sent.
 */
#ifndef SQNSIM_SHA256_H
#define SQNSIM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32u
#define SHA256_HEX_LEN 65u /* 64 digits and a NUL */

struct sha256 {
	uint32_t h[8];
	uint64_t total; /* bytes fed so far */
	uint8_t block[64];
	size_t fill; /* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const uint8_t *data, size_t len);
void sha256_final(struct sha256 *c, uint8_t out[SHA256_DIGEST_LEN]);
/* Finalises a copy of c (c itself can keep growing) and writes lowercase hex. */
void sha256_hex(const struct sha256 *c, char out[SHA256_HEX_LEN]);

#endif
