/* SPDX-License-Identifier: MIT */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "backend.h"
#include "port_clock.h"
#include "posix_rate.h"
#include "posix_serial.h"

/*
 * Rates termios has no B-constant for, set through posix_rate where the system
 * can: the multiples of 921600 the modem's UART divides to exactly.
 */
static const uint32_t other_rates[] = {1843200, 3686400};

/*
 * POSIX names B0 to B38400 only; the faster B-constants are Linux's (and
 * some of them the BSDs' and macOS's): each is in the table only where the
 * C library defines it, so this file builds on a BSD or macOS libc too. There
 * a rate whose constant is missing is refused like any rate outside the
 * table (posix_rate.h says what happens to the custom rates); not tested on
 * those systems.
 */
#define RATE(n)                                                                                    \
	{                                                                                          \
		n, B##n                                                                            \
	}
static const struct {
	uint32_t baud;
	speed_t code;
} rates[] = {
    RATE(9600),	   RATE(19200), RATE(38400),
#ifdef B57600
    RATE(57600),
#endif
#ifdef B115200
    RATE(115200),
#endif
#ifdef B230400
    RATE(230400),
#endif
#ifdef B460800
    RATE(460800),
#endif
#ifdef B500000
    RATE(500000),
#endif
#ifdef B576000
    RATE(576000),
#endif
#ifdef B921600
    RATE(921600),
#endif
#ifdef B1000000
    RATE(1000000),
#endif
#ifdef B1152000
    RATE(1152000),
#endif
#ifdef B1500000
    RATE(1500000),
#endif
#ifdef B2000000
    RATE(2000000),
#endif
#ifdef B2500000
    RATE(2500000),
#endif
#ifdef B3000000
    RATE(3000000),
#endif
#ifdef B3500000
    RATE(3500000),
#endif
#ifdef B4000000
    RATE(4000000),
#endif
};

static speed_t rate_code(uint32_t baud)
{
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
		if (rates[i].baud == baud)
			return rates[i].code;
	return B0;
}

bool posix_serial_rate_ok(uint32_t baud)
{
	if (rate_code(baud) != B0)
		return true;
	if (!posix_rate_any_supported())
		return false;
	for (size_t i = 0; i < sizeof other_rates / sizeof other_rates[0]; i++)
		if (other_rates[i] == baud)
			return true;
	return false;
}

static int fail(struct posix_serial *s)
{
	s->os_errno = errno;
	return SQNS_ERR_IO;
}

static int configure(struct posix_serial *s, uint32_t baud)
{
	struct termios tio;
	speed_t code = rate_code(baud);
	if (code == B0 && !posix_serial_rate_ok(baud)) {
		s->os_errno = EINVAL;
		return SQNS_ERR_ARG;
	}
	if (tcgetattr(s->fd, &tio) < 0)
		return fail(s);
	/* A rate outside the table: the rest first, at the current rate, then the rate. */
	bool any = code == B0;
	if (any)
		code = cfgetospeed(&tio);
	cfmakeraw(&tio);
	tio.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CSIZE | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	if (s->rtscts)
		tio.c_cflag |= CRTSCTS;
	tio.c_cc[VMIN] = 0;
	tio.c_cc[VTIME] = 0;
	if (!any && (cfsetispeed(&tio, code) < 0 || cfsetospeed(&tio, code) < 0))
		return fail(s);
	/* TCSADRAIN: bytes already queued leave at the old rate (AT+IPR's command). */
	if (tcsetattr(s->fd, TCSADRAIN, &tio) < 0)
		return fail(s);
	if (any && posix_rate_set_any(s->fd, baud) < 0)
		return fail(s);
	return SQNS_OK;
}

int posix_serial_open(struct posix_serial *s, const char *path, uint32_t baud, bool rtscts)
{
	*s = (struct posix_serial){.fd = -1, .rtscts = rtscts};
	snprintf(s->path, sizeof s->path, "%s", path);
	s->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->fd < 0)
		return fail(s);
	if (!isatty(s->fd)) {
		s->os_errno = ENOTTY;
		posix_serial_close(s);
		return SQNS_ERR_IO;
	}
	/* flock stops a second updater even for root, whom TIOCEXCL does not stop. */
	if (flock(s->fd, LOCK_EX | LOCK_NB) < 0 || ioctl(s->fd, TIOCEXCL) < 0) {
		int e = errno == EWOULDBLOCK ? EBUSY : errno;
		posix_serial_close(s);
		s->os_errno = e;
		return SQNS_ERR_IO;
	}
	int r = configure(s, baud);
	if (r != SQNS_OK) {
		int e = s->os_errno;
		posix_serial_close(s);
		s->os_errno = e;
		return r;
	}
	tcflush(s->fd, TCIOFLUSH);
	return SQNS_OK;
}

void posix_serial_close(struct posix_serial *s)
{
	if (s->fd >= 0) {
		ioctl(s->fd, TIOCNXCL);
		close(s->fd);
	}
	s->fd = -1;
}

/*
 * Wait for input with poll first, then read: the core reads when its buffer
 * is empty, which is mostly while the modem has yet to answer, so this costs
 * two system calls where read-first costs three.
 */
static int serial_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct posix_serial *s = port;
	uint32_t end = port_now_ms() + timeout_ms;
	for (;;) {
		int32_t left = (int32_t)(end - port_now_ms());
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		int pr = poll(&p, 1, left > 0 ? left : 0);
		if (pr < 0 && errno != EINTR)
			return fail(s);
		if (pr > 0 && (p.revents & (POLLERR | POLLNVAL))) {
			errno = EIO;
			return fail(s);
		}
		if (pr > 0) {
			/* Raw mode with VMIN = VTIME = 0: read answers 0 when nothing is there. */
			ssize_t n = read(s->fd, buf, len);
			if (n > 0)
				return (int)n;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				return fail(s);
			if (p.revents & POLLHUP) {
				/* The device went away and nothing is left to read. */
				errno = EIO;
				return fail(s);
			}
		}
		if (left <= 0)
			return 0;
	}
}

static int serial_write(void *port, const uint8_t *buf, size_t len)
{
	struct posix_serial *s = port;
	while (len > 0) {
		ssize_t n = write(s->fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail(s);
		/* Output full: wait for room, with a generous bound (flow control may hold it). */
		struct pollfd p = {.fd = s->fd, .events = POLLOUT};
		int pr = poll(&p, 1, 10000);
		if (pr == 0) {
			errno = ETIMEDOUT;
			return fail(s);
		}
		if (pr < 0 && errno != EINTR)
			return fail(s);
	}
	return SQNS_OK;
}

static int serial_set_rate(void *port, uint32_t baud)
{
	struct posix_serial *s = port;
	return configure(s, baud);
}

/* Without HUPCL, closing leaves DTR/RTS up: a board wired to reset on them stays put. */
static int serial_keep_lines(void *port)
{
	struct posix_serial *s = port;
	struct termios t;
	if (tcgetattr(s->fd, &t) < 0)
		return fail(s);
	t.c_cflag &= ~(tcflag_t)HUPCL;
	if (tcsetattr(s->fd, TCSANOW, &t) < 0)
		return fail(s);
	return SQNS_OK;
}

static int serial_backend_open(void *state, const char *name, const struct sqns_port_opts *o)
{
	struct posix_serial *s = state;
	int r = posix_serial_open(s, name, o->baud, o->rtscts);
	if (r != SQNS_OK)
		errno = s->os_errno;
	return r;
}

static void serial_backend_close(void *state)
{
	posix_serial_close(state);
}

static int serial_os_errno(const void *state)
{
	return ((const struct posix_serial *)state)->os_errno;
}

static int serial_fd(const void *state)
{
	return ((const struct posix_serial *)state)->fd;
}

static ssize_t serial_write_some(void *state, const uint8_t *buf, size_t len)
{
	return write(((struct posix_serial *)state)->fd, buf, len);
}

const struct host_backend posix_serial_backend = {
    .name = "serial",
    .size = sizeof(struct posix_serial),
    .open = serial_backend_open,
    .close = serial_backend_close,
    .read = serial_read,
    .write = serial_write,
    .set_rate = serial_set_rate,
    .keep_lines = serial_keep_lines,
    .os_errno = serial_os_errno,
    .fd = serial_fd,
    .write_some = serial_write_some,
};
