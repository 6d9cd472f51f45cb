/* SPDX-License-Identifier: MIT */
/*
 * Image files by path (sqnsupgrade_host.h) over image_file.c and bootrom.c,
 * and the host layer's words for errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootrom.h"
#include "host.h"
#include "image_file.h"
#include "sqnsupgrade_host.h"

struct sqns_file {
	struct image_file f;
};

static struct sqns_file *file_failed(struct sqns_file *f, int r, int os_errno, int *err)
{
	free(f);
	if (err)
		*err = r;
	errno = os_errno;
	return NULL;
}

/* why may be NULL: the reason is then written into a scratch line. */
#define WHY_OR_SCRATCH(why, why_len, scratch)                                                      \
	do {                                                                                       \
		if (!(why) || !(why_len)) {                                                        \
			(why) = (scratch);                                                         \
			(why_len) = sizeof(scratch);                                               \
		}                                                                                  \
	} while (0)

struct sqns_file *sqns_file_open(const char *path, int *err, char *why, size_t why_len)
{
	return sqns_file_open_as(path, "file", err, why, why_len);
}

struct sqns_file *sqns_file_open_as(const char *path, const char *what, int *err, char *why,
				    size_t why_len)
{
	char scratch[8];
	WHY_OR_SCRATCH(why, why_len, scratch);
	if (!path || !*path) {
		snprintf(why, why_len, "no file given");
		return file_failed(NULL, SQNS_ERR_ARG, EINVAL, err);
	}
	struct sqns_file *f = malloc(sizeof *f);
	if (!f) {
		snprintf(why, why_len, "out of memory");
		return file_failed(NULL, SQNS_ERR_IMAGE, ENOMEM, err);
	}
	if (!image_file_open(&f->f, path, what ? what : "file", why, why_len))
		return file_failed(f, SQNS_ERR_IMAGE, errno, err);
	if (err)
		*err = SQNS_OK;
	return f;
}

struct sqns_file *sqns_bootrom_open(const char *path, int *err, char *why, size_t why_len)
{
	char scratch[8];
	WHY_OR_SCRATCH(why, why_len, scratch);
	if (!path || !*path) {
		snprintf(why, why_len, "no boot ROM file given");
		return file_failed(NULL, SQNS_ERR_ARG, EINVAL, err);
	}
	struct sqns_file *f = malloc(sizeof *f);
	if (!f) {
		snprintf(why, why_len, "out of memory");
		return file_failed(NULL, SQNS_ERR_IMAGE, ENOMEM, err);
	}
	switch (bootrom_open(&f->f, path, why, why_len)) {
	case BOOTROM_OK:
		break;
	case BOOTROM_FILE_ERROR:
		return file_failed(f, SQNS_ERR_IMAGE, errno ? errno : EIO, err);
	default:
		return file_failed(f, SQNS_ERR_REFUSED, EINVAL, err);
	}
	if (err)
		*err = SQNS_OK;
	return f;
}

const struct sqns_image *sqns_file_image(const struct sqns_file *f)
{
	return &f->f.image;
}

const char *sqns_file_path(const struct sqns_file *f)
{
	return f->f.path;
}

void sqns_file_close(struct sqns_file *f)
{
	if (!f)
		return;
	image_file_close(&f->f);
	free(f);
}

#ifdef _WIN32
/* Windows's C library has no words for the network's errno values (win_tcp.c sets them). */
static const struct {
	int e;
	const char *words;
} net_words[] = {
    {ECONNREFUSED, "Connection refused"},     {ETIMEDOUT, "Connection timed out"},
    {ECONNRESET, "Connection reset by peer"}, {EHOSTUNREACH, "No route to host"},
    {ENETUNREACH, "Network is unreachable"},
};
#endif

const char *host_strerror(int e, char *buf, size_t len)
{
#ifdef _WIN32
	for (size_t i = 0; i < sizeof net_words / sizeof net_words[0]; i++) {
		if (net_words[i].e == e) {
			snprintf(buf, len, "%s", net_words[i].words);
			return buf;
		}
	}
#endif
	/* The XSI strerror_r (Windows: strerror_s): thread-safe, unlike strerror. */
#ifdef _WIN32
	if (strerror_s(buf, len, e) != 0)
#else
	if (strerror_r(e, buf, len) != 0)
#endif
		snprintf(buf, len, "error %d", e);
	return buf;
}

const char *sqns_host_error(int err, int os_errno, char *buf, size_t len)
{
	char os[128];
	if ((err == SQNS_ERR_IO || err == SQNS_ERR_IMAGE) && os_errno)
		snprintf(buf, len, "%s: %s", sqns_strerror(err),
			 host_strerror(os_errno, os, sizeof os));
	else
		snprintf(buf, len, "%s", sqns_strerror(err));
	return buf;
}
