/* SPDX-License-Identifier: MIT */
/*
 * The serial backend of the host port (backend.h: posix_serial_backend):
 * termios, exclusive access, poll-based timeouts.
 */
#ifndef SQNS_POSIX_SERIAL_H
#define SQNS_POSIX_SERIAL_H

#include "sqnsupgrade.h"

struct posix_serial {
	int fd;
	int os_errno; /* errno of the last failure */
	char path[512];
	bool rtscts;
};

/* True when `baud` is a rate termios can set here. */
bool posix_serial_rate_ok(uint32_t baud);

/*
 * Open `path` (a tty, a pty or a symlink to one) raw 8N1 at `baud`, exclusive
 * (flock + TIOCEXCL). Returns SQNS_OK, or SQNS_ERR_IO with os_errno set;
 * EBUSY/EWOULDBLOCK in os_errno means another program holds the port, ENOTTY
 * that it is not a serial port.
 */
int posix_serial_open(struct posix_serial *s, const char *path, uint32_t baud, bool rtscts);
void posix_serial_close(struct posix_serial *s);

#endif
