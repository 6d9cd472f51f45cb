/* SPDX-License-Identifier: MIT */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static int fail(const char **what, const char *step)
{
	*what = step;
	return -1;
}

static int open_pair(struct pty *p, const char **what)
{
	p->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (p->master < 0)
		return fail(what, "posix_openpt");
	if (grantpt(p->master) != 0 || unlockpt(p->master) != 0)
		return fail(what, "grantpt/unlockpt");
	if (ptsname_r(p->master, p->slave_name, sizeof(p->slave_name)) != 0)
		return fail(what, "ptsname");
	p->slave = open(p->slave_name, O_RDWR | O_NOCTTY);
	if (p->slave < 0)
		return fail(what, "open slave");
	if (fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK) != 0)
		return fail(what, "O_NONBLOCK");
	return 0;
}

/* Raw, 8N1, 9600: the host has to set the rate itself. */
static int set_raw(int fd, const char **what)
{
	struct termios t;

	if (tcgetattr(fd, &t) != 0)
		return fail(what, "tcgetattr");
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	cfsetispeed(&t, B9600);
	cfsetospeed(&t, B9600);
	if (tcsetattr(fd, TCSANOW, &t) != 0)
		return fail(what, "tcsetattr");
	return 0;
}

/* Replaces a symlink (never anything else) at link. */
static int make_link(struct pty *p, const char *link, const char **what)
{
	struct stat sb;

	if (lstat(link, &sb) == 0) {
		if (!S_ISLNK(sb.st_mode)) {
			errno = EEXIST;
			return fail(what, "link path exists and is not a symlink");
		}
		if (unlink(link) != 0)
			return fail(what, "unlink old link");
	}
	if (symlink(p->slave_name, link) != 0)
		return fail(what, "symlink");
	p->link = link;
	p->linked = true;
	return 0;
}

int pty_open(struct pty *p, const char *link, const char **what)
{
	memset(p, 0, sizeof(*p));
	p->master = -1;
	p->slave = -1;
	p->noise = 0x5eed5eed5eed5eedULL;
	p->out = malloc(PTY_OUT_MAX);
	if (!p->out)
		return fail(what, "malloc");
	if (open_pair(p, what) != 0 || set_raw(p->slave, what) != 0 ||
	    make_link(p, link, what) != 0) {
		int e = errno;

		pty_close(p);
		errno = e;
		return -1;
	}
	return 0;
}

void pty_close(struct pty *p)
{
	if (p->linked)
		unlink(p->link);
	p->linked = false;
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	p->slave = p->master = -1;
	free(p->out);
	p->out = NULL;
}

void pty_queue(struct pty *p, const uint8_t *data, size_t len)
{
	size_t room = PTY_OUT_MAX - p->out_len;

	if (len > room)
		len = room;
	memcpy(p->out + p->out_len, data, len);
	p->out_len += len;
}

/* xorshift64: deterministic noise with high bytes and the odd line break. */
static uint8_t noise_byte(struct pty *p)
{
	uint64_t x = p->noise;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	p->noise = x;
	if ((x >> 40) % 29 == 0)
		return (x >> 20) & 1 ? '\r' : '\n';
	return (uint8_t)(x >> 24) | ((x >> 33) & 1 ? 0x80 : 0);
}

void pty_queue_noise(struct pty *p, size_t len)
{
	uint8_t buf[256];

	while (len > 0) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = noise_byte(p);
		pty_queue(p, buf, n);
		len -= n;
	}
}

int pty_flush(struct pty *p, size_t max, size_t *written)
{
	*written = 0;
	while (p->out_len > 0 && *written < max) {
		size_t want = p->out_len < max - *written ? p->out_len : max - *written;
		ssize_t n = write(p->master, p->out, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
		}
		memmove(p->out, p->out + n, p->out_len - (size_t)n);
		p->out_len -= (size_t)n;
		*written += (size_t)n;
	}
	return 0;
}
