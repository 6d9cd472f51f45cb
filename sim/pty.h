/* SPDX-License-Identifier: MIT */
/*
 * The modem's UART: a pseudo-terminal whose slave side the host opens through
 * a symlink. The simulator keeps its own descriptor to the slave, so the master
 * never reports EIO when the host closes, and so the slave's termios (and with
 * them the rate the host configured) persist while the host is away.
 */
#ifndef SQNSIM_PTY_H
#define SQNSIM_PTY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTY_OUT_MAX (1u << 20) /* bytes queued for a host that does not read; the rest is lost */

struct pty {
	int master;
	int slave;
	char slave_name[128];
	const char *link;
	bool linked;
	uint8_t *out;
	size_t out_len;
	uint64_t noise; /* state of the line-noise generator */
};

/*
 * Creates the pty (slave raw, 9600 baud), replaces a symlink at link (never a
 * regular file) and points it at the slave. Returns 0, or -1 with errno and a
 * static description of the failing step in *what.
 */
int pty_open(struct pty *p, const char *link, const char **what);
/* Removes the link and closes everything. */
void pty_close(struct pty *p);

/* The output rate the host configured on its side, in baud; 0 if unknown. */
unsigned long pty_host_rate(const struct pty *p);

/* Queues bytes for the host. */
void pty_queue(struct pty *p, const uint8_t *data, size_t len);
/* Queues len bytes of what a UART at the wrong rate delivers: noise. */
void pty_queue_noise(struct pty *p, size_t len);
/*
 * Writes up to max queued bytes, as many as the master accepts now, and sets
 * *written. Returns 0, or -1 with errno on a real error.
 */
int pty_flush(struct pty *p, size_t max, size_t *written);

#endif
