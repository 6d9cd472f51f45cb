/* SPDX-License-Identifier: MIT */
/*
 * Rates outside termios's B-constants (3686400, the rate the modem's STP code
 * names, among them). Linux sets them with termios2 and BOTHER; elsewhere
 * (SQNS_HAVE_TERMIOS2 undefined: a BSD or macOS libc) they are refused, and
 * that path is untested (posix_rate.c). Kept apart from posix_serial.c: <asm/termbits.h> cannot
 * meet <termios.h> in one file.
 */
#ifndef SQNS_POSIX_RATE_H
#define SQNS_POSIX_RATE_H

#include <stdbool.h>
#include <stdint.h>

/* True when this system can set an arbitrary rate (BOTHER). */
bool posix_rate_any_supported(void);

/*
 * Set fd's input and output rate to `baud` once queued output has left at the
 * old rate. Returns 0, or -1 with errno set (EINVAL: the driver would not get
 * within 2 % of it, which a UART cannot tolerate).
 */
int posix_rate_set_any(int fd, uint32_t baud);

#endif
