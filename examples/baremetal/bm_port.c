/* SPDX-License-Identifier: MIT */
/* The example bare-metal port: ring-buffered UART input, tick clock, flash image. */
#include "bm_port.h"

void bm_port_init(struct bm_port *p, const struct bm_board *board)
{
	bm_ring_init(&p->rx);
	atomic_init(&p->ms, 0);
	p->board = board;
}

void bm_port_rx_isr(struct bm_port *p, uint8_t byte)
{
	(void)bm_ring_put(&p->rx, byte);
}

void bm_port_tick_isr(struct bm_port *p)
{
	atomic_fetch_add_explicit(&p->ms, 1, memory_order_relaxed);
}

static uint32_t port_now(void *port)
{
	struct bm_port *p = port;
	return atomic_load_explicit(&p->ms, memory_order_relaxed);
}

/* What is in the ring, waiting up to timeout_ms for the first byte. */
static int port_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct bm_port *p = port;
	uint32_t start = port_now(p);
	for (;;) {
		size_t n = bm_ring_get(&p->rx, buf, len);
		if (n > 0)
			return (int)n;
		if (port_now(p) - start >= timeout_ms)
			return 0;
		/* The next interrupt is a received byte or a tick: check again after it. */
		p->board->idle(p->board->hw);
	}
}

static int port_write(void *port, const uint8_t *buf, size_t len)
{
	struct bm_port *p = port;
	return p->board->tx(p->board->hw, buf, len);
}

static int port_set_rate(void *port, uint32_t baud)
{
	struct bm_port *p = port;
	return p->board->set_baud(p->board->hw, baud);
}

const struct sqns_port_ops bm_port_ops = {
    .read = port_read,
    .write = port_write,
    .set_rate = port_set_rate,
    .now_ms = port_now,
};

static int flash_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	const struct bm_flash_image *src = ctx;
	if (offset > src->size || len > src->size - offset)
		return SQNS_ERR_IMAGE;
	const uint8_t *from = src->base + offset;
	for (size_t i = 0; i < len; i++)
		buf[i] = from[i];
	return SQNS_OK;
}

void bm_flash_image_init(struct sqns_image *img, const struct bm_flash_image *src, const char *name)
{
	*img = (struct sqns_image){
	    .name = name, .size = src->size, .read = flash_read, .ctx = (void *)src};
}
