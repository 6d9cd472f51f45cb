#include "stp_frame.h"

uint16_t stp_crc16(uint16_t crc, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(data[i] << 8);
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u)
					      : (uint16_t)(crc << 1);
	}
	return crc;
}

uint16_t stp_header_crc(const uint8_t in[STP_HDR_LEN])
{
	uint8_t tmp[STP_HDR_LEN];
	for (unsigned i = 0; i < STP_HDR_LEN; i++)
		tmp[i] = in[i];
	tmp[12] = 0;
	tmp[13] = 0;
	return stp_crc16(0, tmp, STP_HDR_LEN);
}

void stp_encode(uint8_t out[STP_HDR_LEN], uint32_t signature, uint8_t op, uint8_t sid, uint32_t tid,
		const uint8_t *payload, uint16_t length)
{
	stp_put32(out, signature);
	out[4] = op;
	out[5] = sid;
	stp_put16(out + 6, length);
	stp_put32(out + 8, tid);
	stp_put16(out + 12, 0);
	stp_put16(out + 14, length ? stp_crc16(0, payload, length) : 0);
	stp_put16(out + 12, stp_header_crc(out));
}

void stp_decode(const uint8_t in[STP_HDR_LEN], struct stp_header *h)
{
	h->signature = stp_get32(in);
	h->op = in[4];
	h->sid = in[5];
	h->length = stp_get16(in + 6);
	h->tid = stp_get32(in + 8);
	h->header_crc = stp_get16(in + 12);
	h->payload_crc = stp_get16(in + 14);
}

bool stp_header_crc_ok(const uint8_t in[STP_HDR_LEN], bool zero_allowed)
{
	uint16_t field = stp_get16(in + 12);
	if (field == 0 && zero_allowed)
		return true;
	return field == stp_header_crc(in);
}

bool stp_payload_crc_ok(const struct stp_header *h, const uint8_t *payload, bool zero_allowed)
{
	uint16_t want = h->length ? stp_crc16(0, payload, h->length) : 0;
	if (h->payload_crc == 0 && zero_allowed)
		return true;
	return h->payload_crc == want;
}
