/* SPDX-License-Identifier: MIT */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend.h"
#include "port_clock.h"
#include "tcp.h"

/*
 * Where the socket flags of Linux and the BSDs are missing (macOS has neither
 * SOCK_NONBLOCK nor MSG_NOSIGNAL): fcntl after socket(), and SO_NOSIGPIPE on
 * the socket instead of a flag on every send.
 */
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
#define SOCKET_FLAGS (SOCK_CLOEXEC | SOCK_NONBLOCK)
#else
#define SOCKET_FLAGS 0
#endif
#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

static int socket_for(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCKET_FLAGS, ai->ai_protocol);
	if (fd < 0 || SOCKET_FLAGS)
		return fd;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		close(fd);
		return -1;
	}
#ifdef SO_NOSIGPIPE
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
	return fd;
}

static int fail(struct tcp_port *t)
{
	t->os_errno = errno;
	return SQNS_ERR_IO;
}

static int connect_one(struct tcp_port *t, const struct addrinfo *ai, uint32_t timeout_ms)
{
	int fd = socket_for(ai);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		t->os_errno = errno;
		close(fd);
		return -1;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int err = 0;
	socklen_t elen = sizeof err;
	if (poll(&p, 1, (int)timeout_ms) != 1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		t->os_errno = err ? err : ETIMEDOUT;
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

int tcp_port_open(struct tcp_port *t, const char *host, const char *port, uint32_t timeout_ms)
{
	*t = (struct tcp_port){.fd = -1};
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g != 0) {
		t->gai_error = g;
		return SQNS_ERR_IO;
	}
	for (struct addrinfo *ai = res; ai && t->fd < 0; ai = ai->ai_next)
		t->fd = connect_one(t, ai, timeout_ms);
	freeaddrinfo(res);
	return t->fd >= 0 ? SQNS_OK : SQNS_ERR_IO;
}

void tcp_port_close(struct tcp_port *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

static int tcp_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct tcp_port *t = port;
	uint32_t end = port_now_ms() + timeout_ms;
	for (;;) {
		ssize_t n = recv(t->fd, buf, len, 0);
		if (n > 0)
			return (int)n;
		if (n == 0) {
			errno = ECONNRESET; /* the server closed the connection */
			return fail(t);
		}
		if (errno != EAGAIN && errno != EINTR)
			return fail(t);
		int32_t left = (int32_t)(end - port_now_ms());
		if (left <= 0)
			return 0;
		struct pollfd p = {.fd = t->fd, .events = POLLIN};
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return fail(t);
	}
}

static int tcp_write(void *port, const uint8_t *buf, size_t len)
{
	struct tcp_port *t = port;
	while (len > 0) {
		ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(t);
		struct pollfd p = {.fd = t->fd, .events = POLLOUT};
		int pr = poll(&p, 1, 10000);
		if (pr == 0) {
			errno = ETIMEDOUT;
			return fail(t);
		}
		if (pr < 0 && errno != EINTR)
			return fail(t);
	}
	return SQNS_OK;
}

/* getaddrinfo's failures as errno values (sqns_port_open's contract has errno only). */
static int gai_errno(int g)
{
	switch (g) {
	case EAI_NONAME:
	case EAI_SERVICE:
	case EAI_FAIL:
		return ENOENT; /* the name does not resolve */
	case EAI_AGAIN:
		return EAGAIN;
	case EAI_MEMORY:
		return ENOMEM;
	case EAI_SYSTEM:
		return errno;
	default:
		return EINVAL;
	}
}

static int tcp_backend_open(void *state, const char *name, const struct sqns_port_opts *o)
{
	struct tcp_port *t = state;
	char buf[512];
	const char *host = "", *service = "";
	t->fd = -1;
	if (!tcp_parse_url(name, buf, sizeof buf, &host, &service) || !*host || !*service) {
		errno = EINVAL;
		return SQNS_ERR_ARG;
	}
	if (tcp_port_open(t, host, service, o->connect_ms) != SQNS_OK) {
		errno = t->gai_error ? gai_errno(t->gai_error) : t->os_errno;
		return SQNS_ERR_IO;
	}
	return SQNS_OK;
}

static void tcp_backend_close(void *state)
{
	tcp_port_close(state);
}

static int tcp_os_errno(const void *state)
{
	return ((const struct tcp_port *)state)->os_errno;
}

static int tcp_fd(const void *state)
{
	return ((const struct tcp_port *)state)->fd;
}

/* A socket whose peer left must fail with EPIPE, not raise SIGPIPE. */
static ssize_t tcp_write_some(void *state, const uint8_t *buf, size_t len)
{
	return send(((struct tcp_port *)state)->fd, buf, len, MSG_NOSIGNAL);
}

/*
 * The raw protocol carries bytes only: no set_rate, so a flow that must
 * change the modem's rate (recovery) cannot run over it; no modem lines.
 */
const struct host_backend tcp_backend = {
    .name = "tcp",
    .size = sizeof(struct tcp_port),
    .open = tcp_backend_open,
    .close = tcp_backend_close,
    .read = tcp_read,
    .write = tcp_write,
    .os_errno = tcp_os_errno,
    .fd = tcp_fd,
    .write_some = tcp_write_some,
};
