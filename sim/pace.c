/* SPDX-License-Identifier: MIT */
#include "pace.h"

/*
 * The bucket holds at most 2 ms of line time (and at least one byte): bursts
 * stay short, and a loop that wakes a little late loses no throughput.
 */
static double capacity(double bytes_per_s)
{
	double c = bytes_per_s / 500.0;

	return c < 1.0 ? 1.0 : c;
}

size_t pace_allow(struct pace *p, unsigned long rate)
{
	double bps = (double)rate / 10.0;
	struct timespec now;
	double dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!p->started) {
		p->started = true;
		p->tokens = capacity(bps);
		p->last = now;
	}
	dt = (double)(now.tv_sec - p->last.tv_sec) + (double)(now.tv_nsec - p->last.tv_nsec) / 1e9;
	p->last = now;
	p->tokens += dt * bps;
	if (p->tokens > capacity(bps))
		p->tokens = capacity(bps);
	return p->tokens >= 1.0 ? (size_t)p->tokens : 0;
}

void pace_take(struct pace *p, size_t n)
{
	p->tokens -= (double)n;
}

long pace_wait_ms(const struct pace *p, unsigned long rate)
{
	double bps = (double)rate / 10.0;
	double ms = bps > 0 ? (1.0 - p->tokens) * 1000.0 / bps : 1000.0;

	return ms < 1.0 ? 1 : (long)ms + 1;
}
