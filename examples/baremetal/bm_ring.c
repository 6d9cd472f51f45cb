/* SPDX-License-Identifier: MIT */
#include "bm_ring.h"

_Static_assert((BM_RING_SIZE & (BM_RING_SIZE - 1)) == 0, "BM_RING_SIZE must be a power of two");

void bm_ring_init(struct bm_ring *r)
{
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	r->dropped = 0;
}

bool bm_ring_put(struct bm_ring *r, uint8_t byte)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail >= BM_RING_SIZE) {
		r->dropped++;
		return false;
	}
	r->buf[head & (BM_RING_SIZE - 1)] = byte;
	/* The byte is visible before the new head. */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

size_t bm_ring_get(struct bm_ring *r, uint8_t *out, size_t len)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t n = 0;
	while (n < len && tail != head)
		out[n++] = r->buf[tail++ & (BM_RING_SIZE - 1)];
	/* The slots are read before they are given back to the producer. */
	atomic_store_explicit(&r->tail, tail, memory_order_release);
	return n;
}

size_t bm_ring_count(struct bm_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_relaxed);
}
