/* SPDX-License-Identifier: MIT */
/*
 * STP frame codec and CRC-16/XMODEM (docs/protocol.md section 4).
 *
 * This is the only code shared by the updater and the simulator, and it may be
 * shared only because both sides are pinned by the golden frames in
 * tests/unit/test_stp_frame.c. Everything here is pure: no
 * I/O, no state.
 */
#ifndef SQNS_STP_FRAME_H
#define SQNS_STP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../include/sqnsupgrade.h" /* SQNS_STP_MAX_BLOCK, for the simulator too */

#define STP_HDR_LEN 16u
#define STP_SIG_REQUEST 0x66617374u  /* "fast" */
#define STP_SIG_RESPONSE 0x74736166u /* "tsaf" */
#define STP_OP_RESPONSE 0x80u
#define STP_MAX_BLOCK SQNS_STP_MAX_BLOCK /* the modem's internal link limit */

enum stp_op {
	STP_OP_RESET = 0,
	STP_OP_OPEN_SESSION = 1,
	STP_OP_TRANSFER_BLOCK_CMD = 2,
	STP_OP_TRANSFER_BLOCK = 3,
};

struct stp_header {
	uint32_t signature;
	uint8_t op;
	uint8_t sid;
	uint16_t length; /* payload length */
	uint32_t tid;
	uint16_t header_crc;
	uint16_t payload_crc;
};

/* CRC-16/XMODEM (poly 0x1021, init 0): feed crc = 0 first, chain for more. */
uint16_t stp_crc16(uint16_t crc, const uint8_t *data, size_t len);

/*
 * Writes the 16-byte header for a frame with this payload into out, both CRCs
 * computed. payload may be NULL when length is 0.
 */
void stp_encode(uint8_t out[STP_HDR_LEN], uint32_t signature, uint8_t op, uint8_t sid, uint32_t tid,
		const uint8_t *payload, uint16_t length);

/* Parses 16 header bytes (big-endian fields). Checks nothing. */
void stp_decode(const uint8_t in[STP_HDR_LEN], struct stp_header *h);

/* The header CRC the header's bytes call for (CRC field taken as zero). */
uint16_t stp_header_crc(const uint8_t in[STP_HDR_LEN]);

/*
 * Strict checks (a request from the host): CRC fields must equal the computed
 * values. Lenient checks (a response from the modem): a zero CRC field means
 * "not computed" and is accepted.
 */
bool stp_header_crc_ok(const uint8_t in[STP_HDR_LEN], bool zero_allowed);
bool stp_payload_crc_ok(const struct stp_header *h, const uint8_t *payload, bool zero_allowed);

/* Big-endian helpers, byte by byte. */
static inline void stp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void stp_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}
static inline uint16_t stp_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t stp_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif
