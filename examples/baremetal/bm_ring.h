/* SPDX-License-Identifier: MIT */
/*
 * A single-producer single-consumer byte ring: the UART receive interrupt
 * puts, the updater's read gets. Lock-free (C11 atomics: on a Cortex-M a
 * plain load/store plus a barrier), no interrupt masking needed. Also used
 * on the host by tests/embedded, with a thread in the interrupt's place.
 */
#ifndef BM_RING_H
#define BM_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef BM_RING_SIZE
#define BM_RING_SIZE 1024u /* a power of two; ~11 ms of input at 921600 baud */
#endif

struct bm_ring {
	_Atomic uint32_t head; /* written by the producer only: next slot to fill */
	_Atomic uint32_t tail; /* written by the consumer only: next slot to read */
	uint32_t dropped;      /* bytes lost because the ring was full (producer) */
	uint8_t buf[BM_RING_SIZE];
};

void bm_ring_init(struct bm_ring *r);

/* Producer side (interrupt): false, and the byte counted as dropped, when full. */
bool bm_ring_put(struct bm_ring *r, uint8_t byte);

/* Consumer side: copy up to len bytes out; returns the count (0 when empty). */
size_t bm_ring_get(struct bm_ring *r, uint8_t *out, size_t len);

/* Consumer side: bytes waiting. */
size_t bm_ring_count(struct bm_ring *r);

#endif
