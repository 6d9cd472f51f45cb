/* SPDX-License-Identifier: MIT */
/*
 * Line-rate pacing: a token bucket per direction, so that the pty moves bytes
 * no faster than a UART at the modem's rate (8N1: rate / 10 bytes a second).
 * No sleeps: the poll loop asks how long until a byte may move and uses that
 * as its timeout.
 */
#ifndef SQNSIM_PACE_H
#define SQNSIM_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct pace {
	bool started;
	double tokens; /* bytes that may move now */
	struct timespec last;
};

/* Refills the bucket for the time passed and returns the whole bytes that may move now. */
size_t pace_allow(struct pace *p, unsigned long rate);
/* Takes n bytes from the bucket (n <= what pace_allow returned). */
void pace_take(struct pace *p, size_t n);
/* Milliseconds until at least one byte may move (at least 1). */
long pace_wait_ms(const struct pace *p, unsigned long rate);

#endif
