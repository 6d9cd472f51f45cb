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

#include "posix_rate.h"
#include "posix_serial.h"

/*
 * Rates termios has no B-constant for, set through posix_rate where the system
 * can: the multiples of 921600 the modem's UART divides to exactly.
 */
static const uint32_t other_rates[] = {1843200, 3686400};

static const struct {
	uint32_t baud;
	speed_t code;
} rates[] = {
    {9600, B9600},	 {19200, B19200},     {38400, B38400},	   {57600, B57600},
    {115200, B115200},	 {230400, B230400},   {460800, B460800},   {500000, B500000},
    {576000, B576000},	 {921600, B921600},   {1000000, B1000000}, {1152000, B1152000},
    {1500000, B1500000}, {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000},
    {3500000, B3500000}, {4000000, B4000000},
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

/* One hex dump line per 16 bytes, with the printable ASCII beside it. */
static void dump(struct posix_serial *s, const char *dir, const uint8_t *buf, size_t len)
{
	for (size_t off = 0; off < len; off += 16) {
		size_t n = len - off < 16 ? len - off : 16;
		fprintf(s->hexdump, "[%s] %04zx:", dir, off);
		for (size_t i = 0; i < 16; i++) {
			if (i < n)
				fprintf(s->hexdump, " %02x", buf[off + i]);
			else
				fputs("   ", s->hexdump);
		}
		fputs("  |", s->hexdump);
		for (size_t i = 0; i < n; i++) {
			uint8_t c = buf[off + i];
			fputc(c >= 0x20 && c < 0x7f ? c : '.', s->hexdump);
		}
		fputs("|\n", s->hexdump);
	}
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
	*s = (struct posix_serial){.fd = -1, .rtscts = rtscts, .hexdump = s->hexdump};
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
	uint32_t end = posix_now_ms() + timeout_ms;
	for (;;) {
		int32_t left = (int32_t)(end - posix_now_ms());
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
			if (n > 0) {
				s->rx_bytes += (uint64_t)n;
				if (s->hexdump)
					dump(s, "rx", buf, (size_t)n);
				return (int)n;
			}
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
	if (s->hexdump)
		dump(s, "tx", buf, len);
	while (len > 0) {
		ssize_t n = write(s->fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			s->tx_bytes += (uint64_t)n;
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

static uint32_t serial_now(void *port)
{
	(void)port;
	return posix_now_ms();
}

const struct sqns_port_ops posix_serial_ops = {
    .read = serial_read,
    .write = serial_write,
    .set_rate = serial_set_rate,
    .now_ms = serial_now,
};
