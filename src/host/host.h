/* SPDX-License-Identifier: MIT */
/*
 * The host layer's internals (not installed), shared by its files; a
 * program, the command line included, uses include/sqnsupgrade_host.h.
 */
#ifndef SQNS_HOST_H
#define SQNS_HOST_H

#include <stddef.h>

/* strerror, thread-safe: errno e in words into buf; returns buf. */
const char *host_strerror(int e, char *buf, size_t len);

#endif
