/* SPDX-License-Identifier: MIT */
/*
 * The bridge of mirror mode (sqns_port_bridge_report) on POSIX: both ports'
 * descriptors polled, each read copied to the other side with non-blocking
 * writes. Windows has its own (bridge_win.c).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "backend.h"
#include "port_impl.h"

#define BRIDGE_POLL_MS 200 /* should_stop is asked at least this often */

static int port_fd(const struct sqns_port *p)
{
	return p->be->fd(p->state);
}

enum copied { COPIED, STOPPED, FAILED };

/* Write all of buf to `to` (non-blocking), asking should_stop while it waits. */
static enum copied write_all(struct sqns_port *to, const unsigned char *buf, size_t len,
			     bool (*should_stop)(void *user), void *user)
{
	while (len > 0) {
		ssize_t w = to->be->write_some(to->state, buf, len);
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR)
			return FAILED;
		if (should_stop && should_stop(user))
			return STOPPED;
		struct pollfd p = {.fd = port_fd(to), .events = POLLOUT};
		if (poll(&p, 1, BRIDGE_POLL_MS) < 0 && errno != EINTR)
			return FAILED;
		if (p.revents & (POLLERR | POLLNVAL | POLLHUP)) {
			errno = EPIPE;
			return FAILED;
		}
	}
	return COPIED;
}

/* The side that ended the bridge: SQNS_OK when it closed (end of file, hang-up), else IO. */
static int ended(struct sqns_bridge_result *res, int side, bool closed)
{
	res->closed = side;
	res->os_errno = closed ? 0 : errno;
	return closed ? SQNS_OK : SQNS_ERR_IO;
}

/* One read from side i copied to the other; -1 to go on, else the bridge's result. */
static int pump(struct sqns_port *ports[2], int i, short revents, bool (*should_stop)(void *),
		void *user, struct sqns_bridge_result *res)
{
	unsigned char buf[8192];
	ssize_t n = read(port_fd(ports[i]), buf, sizeof buf);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	/* A tty whose other end hung up reads EIO: that is a close too. */
	if (n <= 0)
		return ended(res, i, n == 0 || (revents & POLLHUP));
	res->in[i] += (uint64_t)n;
	enum copied c = write_all(ports[1 - i], buf, (size_t)n, should_stop, user);
	if (c == STOPPED)
		return SQNS_OK;
	return c == COPIED ? -1 : ended(res, 1 - i, errno == EPIPE || errno == ECONNRESET);
}

int sqns_port_bridge_report(struct sqns_port *a, struct sqns_port *b,
			    bool (*should_stop)(void *user), void *user,
			    struct sqns_bridge_result *res)
{
	struct sqns_port *ports[2] = {a, b};
	*res = (struct sqns_bridge_result){.closed = -1};
	while (!should_stop || !should_stop(user)) {
		struct pollfd p[2] = {{.fd = port_fd(a), .events = POLLIN},
				      {.fd = port_fd(b), .events = POLLIN}};
		if (poll(p, 2, BRIDGE_POLL_MS) < 0) {
			if (errno == EINTR)
				continue;
			res->os_errno = errno;
			return SQNS_ERR_IO;
		}
		for (int i = 0; i < 2; i++) {
			int r = -1;
			if (p[i].revents & POLLIN)
				r = pump(ports, i, p[i].revents, should_stop, user, res);
			else if (p[i].revents & POLLHUP)
				r = ended(res, i, true);
			else if (p[i].revents & (POLLERR | POLLNVAL)) {
				errno = EIO;
				r = ended(res, i, false);
			}
			if (r != -1)
				return r;
		}
	}
	return SQNS_OK;
}
