/* SPDX-License-Identifier: MIT */
/*
 * The bridge of mirror mode (sqns_port_bridge_report) on Windows: no poll
 * over a COM port and a socket together, so each side is read in turn with a
 * short deadline (the backends' read: the first bytes or the deadline), and
 * what came is written whole to the other side. A byte waits at most one
 * slice on the side that is not being read.
 */
#include <errno.h>

#include "backend.h"
#include "port_impl.h"

#define SLICE_MS 5 /* each side's read deadline: should_stop is asked every 2 slices */

/* The side that ended the bridge: SQNS_OK when it closed (the server left), else IO. */
static int ended(struct sqns_bridge_result *res, int side, int os_errno)
{
	res->closed = side;
	bool closed = os_errno == ECONNRESET;
	res->os_errno = closed ? 0 : os_errno;
	return closed ? SQNS_OK : SQNS_ERR_IO;
}

int sqns_port_bridge_report(struct sqns_port *a, struct sqns_port *b,
			    bool (*should_stop)(void *user), void *user,
			    struct sqns_bridge_result *res)
{
	struct sqns_port *ports[2] = {a, b};
	uint8_t buf[8192];
	*res = (struct sqns_bridge_result){.closed = -1};
	while (!should_stop || !should_stop(user)) {
		for (int i = 0; i < 2; i++) {
			struct sqns_port *from = ports[i], *to = ports[1 - i];
			int n = from->be->read(from->state, buf, sizeof buf, SLICE_MS);
			if (n < 0)
				return ended(res, i, from->be->os_errno(from->state));
			if (n == 0)
				continue;
			res->in[i] += (uint64_t)n;
			if (to->be->write(to->state, buf, (size_t)n) != SQNS_OK)
				return ended(res, 1 - i, to->be->os_errno(to->state));
		}
	}
	return SQNS_OK;
}
