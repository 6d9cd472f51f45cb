/* SPDX-License-Identifier: MIT */
/*
 * The host port's clock: monotonic milliseconds, wrapping at 2^32 (the core's
 * now_ms). CLOCK_MONOTONIC on POSIX (posix_clock.c), QueryPerformanceCounter
 * on Windows (win_clock.c).
 */
#ifndef SQNS_PORT_CLOCK_H
#define SQNS_PORT_CLOCK_H

#include <stdint.h>

uint32_t port_now_ms(void);

#endif
