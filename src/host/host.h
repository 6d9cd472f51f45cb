/*
 * The host layer's internals (not installed): what the command line needs
 * beyond include/sqnsupgrade_host.h. The command line links libsqnsupgrade.a,
 * where these names are global but hidden (not exported by the shared
 * library).
 */
#ifndef SQNS_HOST_H
#define SQNS_HOST_H

#include <stdio.h>

#include "posix_serial.h"
#include "sqnsupgrade_host.h"
#include "tcp.h"

/*
 * The one routine that opens a port by name: sqns_port_open is built on it,
 * and the command line's session opens into its own serial and tcp storage
 * with it. *is_tcp says which one is used. Returns SQNS_OK, or
 * SQNS_ERR_ARG / SQNS_ERR_IO with errno set as sqns_port_open documents
 * (sqns_port_open_error puts it into words).
 */
int host_port_open_parts(const char *name, const struct sqns_port_opts *opts,
			 struct posix_serial *serial, struct tcp_port *tcp, bool *is_tcp);

/* cfg->ops and cfg->port for a port opened by host_port_open_parts. */
void host_port_config_parts(bool is_tcp, struct posix_serial *serial, struct tcp_port *tcp,
			    struct sqns_config *cfg);

/* --pkgdebug: every byte in and out of a serial port as a hex dump on f (NULL: off). */
void host_port_hexdump(struct sqns_port *port, FILE *f);

/* Bytes written to and read from the port by the core (serial ports only; 0 for socket://). */
void host_port_counts(const struct sqns_port *port, uint64_t *tx, uint64_t *rx);

/* How a bridge ended (host_port_bridge). */
struct host_bridge_result {
	int closed;	/* the side that closed or failed: 0 (a), 1 (b), or -1 (stopped) */
	uint64_t in[2]; /* bytes read from a, from b */
	int os_errno;	/* errno when a side failed or poll failed, else 0 */
};

/* sqns_port_bridge, telling which side ended it and how many bytes went each way. */
int host_port_bridge(struct sqns_port *a, struct sqns_port *b, bool (*should_stop)(void *user),
		     void *user, struct host_bridge_result *res);

/* strerror, thread-safe: errno e in words into buf; returns buf. */
const char *host_strerror(int e, char *buf, size_t len);

#endif
