/* SPDX-License-Identifier: MIT */
/* The STP frame codec against golden frames of the public reference implementation (below). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "stp_frame.h"

static void unhex(const char *hex, uint8_t *out, size_t len)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* One golden frame: header bytes as the reference implementation encodes them. */
struct vector {
	const char *name;
	uint32_t signature;
	uint8_t op, sid;
	uint32_t tid;
	const char *header;
	const char *payload_hex; /* NULL: see payload_kind */
	int payload_kind;	 /* 0 none/hex, 1: 0x00..0xff repeated, 2: 0xa5 */
	uint16_t payload_len;
};

#define REQ STP_SIG_REQUEST
#define RSP STP_SIG_RESPONSE

static const struct vector vectors[] = {
    {"request RESET", REQ, 0, 0, 0, "6661737400000000000000008ae30000", NULL, 0, 0},
    {"request OPEN_SESSION", REQ, 1, 1, 1, "666173740101000000000001fb8e0000", NULL, 0, 0},
    {"request TRANSFER_BLOCK_CMD tid=2", REQ, 2, 1, 2, "66617374020100020000000227b864b9", "07e0",
     0, 2},
    {"request TRANSFER_BLOCK tid=3", REQ, 3, 1, 3, "66617374030107e0000000035d2e9285", NULL, 1,
     2016},
    {"request TRANSFER_BLOCK_CMD tid=4", REQ, 2, 1, 4, "6661737402010002000000045c8a2c22", "0064",
     0, 2},
    {"request TRANSFER_BLOCK tid=5", REQ, 3, 1, 5, "6661737403010064000000055f96bbe7", NULL, 2,
     100},
    {"response RESET", RSP, 0x80, 0, 0, "747361668000000000000000ec350000", NULL, 0, 0},
    {"response OPEN_SESSION", RSP, 0x81, 1, 1, "747361668101000400000001d9084762", "01012000", 0,
     4},
    {"response OPEN_SESSION (recovery)", RSP, 0x81, 1, 1, "7473616681010004000000016b85c82d",
     "01010800", 0, 4},
    {"response TRANSFER_BLOCK_CMD tid=2", RSP, 0x82, 1, 2, "74736166820100000000000276150000", NULL,
     0, 0},
    {"response TRANSFER_BLOCK tid=3", RSP, 0x83, 1, 3, "74736166830100020000000319560000", "0000",
     0, 2},
    {"response TRANSFER_BLOCK tid=3 residue=16", RSP, 0x83, 1, 3,
     "7473616683010002000000035a351231", "0010", 0, 2},
};

static void vector_payload(const struct vector *v, uint8_t *p)
{
	if (v->payload_hex)
		unhex(v->payload_hex, p, v->payload_len);
	else if (v->payload_kind == 1)
		for (unsigned i = 0; i < v->payload_len; i++)
			p[i] = (uint8_t)i;
	else if (v->payload_kind == 2)
		memset(p, 0xa5, v->payload_len);
}

static void test_crc_check_value(void **state)
{
	(void)state;
	assert_int_equal(stp_crc16(0, (const uint8_t *)"123456789", 9), 0x31C3);
	/* Chaining gives the same value as one call. */
	uint16_t c = stp_crc16(0, (const uint8_t *)"1234", 4);
	assert_int_equal(stp_crc16(c, (const uint8_t *)"56789", 5), 0x31C3);
	assert_int_equal(stp_crc16(0, NULL, 0), 0);
	/* The residue-0 payload's CRC is zero: indistinguishable from "none". */
	assert_int_equal(stp_crc16(0, (const uint8_t *)"\0\0", 2), 0);
}

static void test_payload_crcs_of_vectors(void **state)
{
	(void)state;
	uint8_t p[2016];
	for (unsigned i = 0; i < sizeof p; i++)
		p[i] = (uint8_t)i;
	assert_int_equal(stp_crc16(0, p, 2016), 0x9285);
	memset(p, 0xa5, 100);
	assert_int_equal(stp_crc16(0, p, 100), 0xbbe7);
}

static void test_encode_golden(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof vectors / sizeof vectors[0]; k++) {
		const struct vector *v = &vectors[k];
		uint8_t want[STP_HDR_LEN], got[STP_HDR_LEN], payload[2016];
		unhex(v->header, want, sizeof want);
		vector_payload(v, payload);
		memset(got, 0xee, sizeof got);
		stp_encode(got, v->signature, v->op, v->sid, v->tid, payload, v->payload_len);
		if (memcmp(got, want, sizeof want) != 0)
			print_error("vector \"%s\" encodes differently\n", v->name);
		assert_memory_equal(got, want, sizeof want);
		/* A payload-less frame may pass NULL. */
		if (v->payload_len == 0) {
			stp_encode(got, v->signature, v->op, v->sid, v->tid, NULL, 0);
			assert_memory_equal(got, want, sizeof want);
		}
	}
}

static void test_decode_golden(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof vectors / sizeof vectors[0]; k++) {
		const struct vector *v = &vectors[k];
		uint8_t hdr[STP_HDR_LEN], payload[2016];
		unhex(v->header, hdr, sizeof hdr);
		vector_payload(v, payload);
		struct stp_header h;
		memset(&h, 0xee, sizeof h);
		stp_decode(hdr, &h);
		assert_int_equal(h.signature, v->signature);
		assert_int_equal(h.op, v->op);
		assert_int_equal(h.sid, v->sid);
		assert_int_equal(h.length, v->payload_len);
		assert_int_equal(h.tid, v->tid);
		assert_int_equal(h.header_crc, stp_get16(hdr + 12));
		assert_int_equal(h.payload_crc, stp_get16(hdr + 14));
		assert_int_equal(stp_header_crc(hdr), h.header_crc);
		/* Every golden frame carries correct CRCs: both checks pass. */
		assert_true(stp_header_crc_ok(hdr, false));
		assert_true(stp_header_crc_ok(hdr, true));
		assert_true(stp_payload_crc_ok(&h, payload, false));
		assert_true(stp_payload_crc_ok(&h, payload, true));
	}
}

static void test_decode_fields_big_endian(void **state)
{
	(void)state;
	const uint8_t in[STP_HDR_LEN] = {0x74, 0x73, 0x61, 0x66, 0x83, 0x01, 0x12, 0x34,
					 0xde, 0xad, 0xbe, 0xef, 0xab, 0xcd, 0x56, 0x78};
	struct stp_header h;
	stp_decode(in, &h);
	assert_int_equal(h.signature, 0x74736166u);
	assert_int_equal(h.op, 0x83);
	assert_int_equal(h.sid, 1);
	assert_int_equal(h.length, 0x1234);
	assert_int_equal(h.tid, 0xdeadbeefu);
	assert_int_equal(h.header_crc, 0xabcd);
	assert_int_equal(h.payload_crc, 0x5678);
}

static void test_zero_crc_reset_lenient_only(void **state)
{
	(void)state;
	uint8_t hdr[STP_HDR_LEN];
	unhex("74736166800000000000000000000000", hdr, sizeof hdr);
	struct stp_header h;
	stp_decode(hdr, &h);
	assert_int_equal(h.op, 0x80);
	assert_true(stp_header_crc_ok(hdr, true));
	assert_false(stp_header_crc_ok(hdr, false));
	assert_true(stp_payload_crc_ok(&h, NULL, true));
	assert_true(stp_payload_crc_ok(&h, NULL, false));

	/* A zero payload CRC over a payload whose CRC is not zero: lenient only. */
	uint8_t rsp[STP_HDR_LEN];
	const uint8_t open[4] = {1, 1, 0x20, 0x00};
	stp_encode(rsp, STP_SIG_RESPONSE, 0x81, 1, 1, open, 4);
	stp_put16(rsp + 14, 0);
	stp_decode(rsp, &h);
	assert_true(stp_payload_crc_ok(&h, open, true));
	assert_false(stp_payload_crc_ok(&h, open, false));
}

static void test_flipped_bits_rejected(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof vectors / sizeof vectors[0]; k++) {
		const struct vector *v = &vectors[k];
		uint8_t hdr[STP_HDR_LEN];
		unhex(v->header, hdr, sizeof hdr);
		for (unsigned bit = 0; bit < 8 * STP_HDR_LEN; bit++) {
			uint8_t bad[STP_HDR_LEN];
			memcpy(bad, hdr, sizeof bad);
			bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			/* Flipping a bit of a zero header CRC field of a vector is impossible
			 * here: every vector has a non-zero header CRC. */
			assert_false(stp_header_crc_ok(bad, false));
			assert_false(stp_header_crc_ok(bad, true));
		}
	}
	/* A flipped payload bit. */
	uint8_t payload[100];
	memset(payload, 0xa5, sizeof payload);
	uint8_t hdr[STP_HDR_LEN];
	stp_encode(hdr, STP_SIG_REQUEST, 3, 1, 5, payload, sizeof payload);
	struct stp_header h;
	stp_decode(hdr, &h);
	assert_true(stp_payload_crc_ok(&h, payload, false));
	for (unsigned bit = 0; bit < 8 * sizeof payload; bit++) {
		payload[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_false(stp_payload_crc_ok(&h, payload, false));
		assert_false(stp_payload_crc_ok(&h, payload, true));
		payload[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	/* The residue 16 answer with its residue changed to 0x0011. */
	const uint8_t r17[2] = {0x00, 0x11};
	unhex("7473616683010002000000035a351231", hdr, sizeof hdr);
	stp_decode(hdr, &h);
	assert_false(stp_payload_crc_ok(&h, r17, true));
	/* A frame with a flipped bit in a zero CRC field is no longer "no CRC". */
	unhex("74736166800000000000000000000000", hdr, sizeof hdr);
	hdr[13] ^= 0x01;
	assert_false(stp_header_crc_ok(hdr, true));
}

static void test_put_get_helpers(void **state)
{
	(void)state;
	uint8_t b[4];
	stp_put16(b, 0xbeef);
	assert_int_equal(b[0], 0xbe);
	assert_int_equal(b[1], 0xef);
	assert_int_equal(stp_get16(b), 0xbeef);
	stp_put32(b, 0x89abcdefu);
	assert_int_equal(b[0], 0x89);
	assert_int_equal(b[3], 0xef);
	assert_int_equal(stp_get32(b), 0x89abcdefu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc_check_value),
	    cmocka_unit_test(test_payload_crcs_of_vectors),
	    cmocka_unit_test(test_encode_golden),
	    cmocka_unit_test(test_decode_golden),
	    cmocka_unit_test(test_decode_fields_big_endian),
	    cmocka_unit_test(test_zero_crc_reset_lenient_only),
	    cmocka_unit_test(test_flipped_bits_rejected),
	    cmocka_unit_test(test_put_get_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
