/* SPDX-License-Identifier: MIT */
/*
 * A host port (struct sqns_port of sqnsupgrade_host.h) inside: port.c opens
 * and runs it, bridge_posix.c or bridge_win.c bridges two of them.
 */
#ifndef SQNS_PORT_IMPL_H
#define SQNS_PORT_IMPL_H

#include "backend.h"

struct sqns_port {
	const struct host_backend *be;
	void *state;   /* the backend's, be->size bytes */
	uint32_t baud; /* the rate it was opened at (0 for a backend without set_rate) */
	uint64_t tx, rx;
	sqns_trace_fn trace;
	void *trace_user;
};

#endif
