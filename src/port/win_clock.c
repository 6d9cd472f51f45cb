/* SPDX-License-Identifier: MIT */
/* The host port's clock on Windows (port_clock.h): QueryPerformanceCounter, monotonic. */
#include <windows.h>

#include "port_clock.h"

uint32_t port_now_ms(void)
{
	static LARGE_INTEGER freq; /* fixed at boot: the same value whichever thread sets it */
	LARGE_INTEGER now;
	if (!freq.QuadPart)
		QueryPerformanceFrequency(&freq);
	QueryPerformanceCounter(&now);
	uint64_t c = (uint64_t)now.QuadPart, f = (uint64_t)freq.QuadPart;
	return (uint32_t)(c / f * 1000u + c % f * 1000u / f);
}
