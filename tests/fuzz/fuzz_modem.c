/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the fuzz input is everything the "modem" ever says. The
 * whole upgrade flow runs against it, so STP response decoding, AT line
 * assembly, mode, showver and IMEI parsing all see hostile bytes. The clock
 * is virtual: a read with nothing left advances it by its timeout.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sqnsupgrade.h"

struct fuzz_port {
	const uint8_t *data;
	size_t len, pos;
	uint32_t now;
};

static int fz_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct fuzz_port *p = port;
	if (p->pos >= p->len) {
		p->now += timeout_ms ? timeout_ms : 1;
		return 0;
	}
	/* The first byte of each chunk says how long it is (1..64). */
	size_t chunk = (size_t)(p->data[p->pos++] & 63) + 1;
	if (chunk > p->len - p->pos)
		chunk = p->len - p->pos;
	if (chunk > len)
		chunk = len;
	memcpy(buf, p->data + p->pos, chunk);
	p->pos += chunk;
	p->now += 1;
	return (int)chunk;
}

static int fz_write(void *port, const uint8_t *buf, size_t len)
{
	(void)port;
	(void)buf;
	(void)len;
	return SQNS_OK;
}

static int fz_rate(void *port, uint32_t baud)
{
	(void)port;
	(void)baud;
	return SQNS_OK;
}

static uint32_t fz_now(void *port)
{
	return ((struct fuzz_port *)port)->now;
}

static const struct sqns_port_ops fz_ops = {
    .read = fz_read, .write = fz_write, .set_rate = fz_rate, .now_ms = fz_now};

static int image_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(offset + i);
	return SQNS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sqns_ctx ctx;
	struct fuzz_port port = {.data = data, .len = size};
	struct sqns_config cfg = {
	    .ops = &fz_ops,
	    .port = &port,
	    .timeouts =
		{.at_ms = 50, .detect_ms = 200, .wake_ms = 300, .stp_ms = 100, .apply_ms = 300},
	};
	if (sqns_init(&ctx, &cfg) != SQNS_OK)
		return 0;
	struct sqns_image img = {
	    .name = "CATM1-39529.dup", .size = 5000, .read = image_read, .ctx = NULL};
	struct sqns_upgrade_opts opts = {.image = &img, .force = (size & 1) != 0};
	char showver[512];
	(void)sqns_upgrade(&ctx, &opts, showver, sizeof showver);
	/* Whatever is left goes to the queries. */
	char imei[16];
	int mode;
	(void)sqns_imei(&ctx, imei);
	(void)sqns_get_mode(&ctx, &mode);
	return 0;
}
