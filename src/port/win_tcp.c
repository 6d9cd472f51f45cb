/* SPDX-License-Identifier: MIT */
/*
 * socket://HOST:PORT on Windows: tcp.c's backend over Winsock 2 (select
 * instead of poll, closesocket, WSAGetLastError). Each open holds a
 * WSAStartup reference and each close gives it back.
 */
#include <winsock2.h>
#include <ws2tcpip.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "port_clock.h"
#include "tcp.h"

#define WRITE_TIMEOUT_MS 10000

/* The socket lives in tcp_port's int: Winsock's handles are small values. */
static SOCKET sock_of(const struct tcp_port *t)
{
	return t->fd < 0 ? INVALID_SOCKET : (SOCKET)(uintptr_t)t->fd;
}

static int wsa_errno(int e)
{
	switch (e) {
	case WSAECONNREFUSED:
		return ECONNREFUSED;
	case WSAETIMEDOUT:
		return ETIMEDOUT;
	case WSAECONNRESET:
	case WSAECONNABORTED:
	case WSAESHUTDOWN:
		return ECONNRESET;
	case WSAEHOSTUNREACH:
		return EHOSTUNREACH;
	case WSAENETUNREACH:
		return ENETUNREACH;
	case WSAHOST_NOT_FOUND:
	case WSANO_DATA:
	case WSATYPE_NOT_FOUND:
		return ENOENT;
	case WSATRY_AGAIN:
		return EAGAIN;
	case WSA_NOT_ENOUGH_MEMORY:
		return ENOMEM;
	default:
		return EIO;
	}
}

static int fail_with(struct tcp_port *t, int wsa)
{
	t->os_errno = wsa_errno(wsa);
	errno = t->os_errno;
	return SQNS_ERR_IO;
}

/* Wait until s is writable (connected) or failed, within timeout_ms. 0 or a WSA error. */
static int wait_connected(SOCKET s, uint32_t timeout_ms)
{
	fd_set w, x;
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(s, &w);
	FD_SET(s, &x);
	struct timeval tv = {.tv_sec = (long)(timeout_ms / 1000),
			     .tv_usec = (long)(timeout_ms % 1000) * 1000};
	int r = select(0, NULL, &w, &x, &tv);
	if (r == 0)
		return WSAETIMEDOUT;
	if (r < 0)
		return WSAGetLastError();
	int err = 0, elen = sizeof err;
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&err, &elen) != 0)
		return WSAGetLastError();
	return FD_ISSET(s, &x) && !err ? WSAECONNREFUSED : err;
}

static SOCKET connect_one(struct tcp_port *t, const struct addrinfo *ai, uint32_t timeout_ms)
{
	SOCKET s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (s == INVALID_SOCKET) {
		fail_with(t, WSAGetLastError());
		return s;
	}
	u_long on = 1, off = 0;
	int err = 0;
	if (ioctlsocket(s, FIONBIO, &on) != 0)
		err = WSAGetLastError();
	if (!err && connect(s, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
		err = WSAGetLastError();
		if (err == WSAEWOULDBLOCK)
			err = wait_connected(s, timeout_ms);
	}
	if (!err && ioctlsocket(s, FIONBIO, &off) != 0)
		err = WSAGetLastError();
	if (err) {
		fail_with(t, err);
		closesocket(s);
		return INVALID_SOCKET;
	}
	int one = 1;
	DWORD wt = WRITE_TIMEOUT_MS;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&wt, sizeof wt);
	return s;
}

int tcp_port_open(struct tcp_port *t, const char *host, const char *port, uint32_t timeout_ms)
{
	*t = (struct tcp_port){.fd = -1};
	WSADATA wsa;
	int w = WSAStartup(MAKEWORD(2, 2), &wsa);
	if (w != 0)
		return fail_with(t, w);
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	struct addrinfo *res;
	int g = getaddrinfo(host, port, &hints, &res);
	if (g != 0) {
		t->gai_error = g;
		fail_with(t, g);
		WSACleanup();
		return SQNS_ERR_IO;
	}
	for (struct addrinfo *ai = res; ai && t->fd < 0; ai = ai->ai_next) {
		SOCKET s = connect_one(t, ai, timeout_ms);
		if (s != INVALID_SOCKET)
			t->fd = (int)(uintptr_t)s;
	}
	freeaddrinfo(res);
	if (t->fd < 0) {
		WSACleanup();
		return SQNS_ERR_IO;
	}
	return SQNS_OK;
}

void tcp_port_close(struct tcp_port *t)
{
	if (t->fd >= 0) {
		closesocket(sock_of(t));
		WSACleanup();
	}
	t->fd = -1;
}

static int tcp_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct tcp_port *t = port;
	SOCKET s = sock_of(t);
	uint32_t end = port_now_ms() + timeout_ms;
	for (;;) {
		int32_t left = (int32_t)(end - port_now_ms());
		if (left < 0)
			left = 0;
		fd_set r;
		FD_ZERO(&r);
		FD_SET(s, &r);
		struct timeval tv = {.tv_sec = left / 1000, .tv_usec = left % 1000 * 1000};
		int sr = select(0, &r, NULL, NULL, &tv);
		if (sr < 0)
			return fail_with(t, WSAGetLastError());
		if (sr > 0) {
			int n = recv(s, (char *)buf, len > INT_MAX ? INT_MAX : (int)len, 0);
			if (n > 0)
				return n;
			if (n == 0) /* the server closed the connection */
				return fail_with(t, WSAECONNRESET);
			return fail_with(t, WSAGetLastError());
		}
		if ((int32_t)(end - port_now_ms()) <= 0)
			return 0;
	}
}

static int tcp_write(void *port, const uint8_t *buf, size_t len)
{
	struct tcp_port *t = port;
	while (len > 0) {
		int n = send(sock_of(t), (const char *)buf, len > INT_MAX ? INT_MAX : (int)len, 0);
		if (n <= 0)
			return fail_with(t, n < 0 ? WSAGetLastError() : WSAECONNRESET);
		buf += n;
		len -= (size_t)n;
	}
	return SQNS_OK;
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
		errno = t->os_errno;
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

/* As tcp.c's: bytes only, no rate, no modem lines. */
const struct host_backend tcp_backend = {
    .name = "tcp",
    .size = sizeof(struct tcp_port),
    .open = tcp_backend_open,
    .close = tcp_backend_close,
    .read = tcp_read,
    .write = tcp_write,
    .os_errno = tcp_os_errno,
};
