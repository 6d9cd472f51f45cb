/* SPDX-License-Identifier: MIT */
/*
 * Raw TCP to a serial server (ser2net, socat): socket://HOST:PORT, the tcp
 * backend of the host port (backend.h: tcp_backend).
 */
#ifndef SQNS_TCP_H
#define SQNS_TCP_H

#include "sqnsupgrade.h"

struct tcp_port {
	int fd;
	int os_errno;
	int gai_error; /* getaddrinfo's error, when the name did not resolve */
};

/* True when `url` starts with socket://; *host and *port point into buf. */
bool tcp_parse_url(const char *url, char *buf, size_t len, const char **host, const char **port);

/* Connect within timeout_ms. SQNS_OK or SQNS_ERR_IO (os_errno / gai_error set). */
int tcp_port_open(struct tcp_port *t, const char *host, const char *port, uint32_t timeout_ms);
void tcp_port_close(struct tcp_port *t);

#endif
