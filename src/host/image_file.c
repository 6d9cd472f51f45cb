/* SPDX-License-Identifier: MIT */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_file.h"

#ifdef _WIN32
/* The image in binary, the handle not inherited; pread and realpath in Windows's words. */
#include <io.h>
#define OPEN_FLAGS (O_RDONLY | O_BINARY | O_NOINHERIT)
static ssize_t pread(int fd, void *buf, size_t len, off_t offset)
{
	if (_lseeki64(fd, offset, SEEK_SET) < 0)
		return -1;
	return _read(fd, buf, len > 0x40000000u ? 0x40000000u : (unsigned)len);
}
#define realpath(path, out) _fullpath((out), (path), sizeof(((struct image_file *)0)->path))
#define IS_SEPARATOR(c) ((c) == '/' || (c) == '\\')
#else
#define OPEN_FLAGS (O_RDONLY | O_CLOEXEC)
#define IS_SEPARATOR(c) ((c) == '/')
#endif

int image_file_open_fd(const char *path)
{
	return open(path, OPEN_FLAGS);
}

char *image_file_realpath(const char *path, char out[4096])
{
	return realpath(path, out);
}

int image_file_read_at(int fd, uint32_t offset, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = pread(fd, buf, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO; /* the file is shorter than it was */
		if (n <= 0)
			return SQNS_ERR_IMAGE;
		buf += n;
		len -= (size_t)n;
		offset += (uint32_t)n;
	}
	return SQNS_OK;
}

static int image_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	struct image_file *f = ctx;
	if (f->data) {
		if (offset > f->image.size || len > f->image.size - offset)
			return SQNS_ERR_IMAGE;
		memcpy(buf, f->data + offset, len);
		return SQNS_OK;
	}
	return image_file_read_at(f->fd, offset, buf, len);
}

/* Close f after a failed check, keeping errno (e, or the OS's when e is 0) for the caller. */
static bool refuse(struct image_file *f, int e)
{
	int keep = e ? e : errno;
	image_file_close(f);
	errno = keep;
	return false;
}

/*
 * errno says why on failure: the OS's error, EISDIR or EINVAL (not a regular
 * file), EINVAL (too small), EFBIG (too large).
 */
bool image_file_open(struct image_file *f, const char *path, const char *what, char *why,
		     size_t why_len)
{
	struct stat st;
	*f = (struct image_file){.fd = -1};
	f->fd = open(path, OPEN_FLAGS);
	if (f->fd < 0) {
		int e = errno;
		snprintf(why, why_len, "cannot open %s '%s': %s; check the path", what, path,
			 strerror(e));
		return refuse(f, e);
	}
	bool stat_ok = fstat(f->fd, &st) == 0;
	if (!stat_ok || !S_ISREG(st.st_mode)) {
		int e = !stat_ok ? errno : S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		snprintf(why, why_len, "'%s' is not a regular file; give the path of the %s", path,
			 what);
		return refuse(f, e);
	}
	if (st.st_size < (off_t)IMAGE_MIN_SIZE) {
		snprintf(why, why_len,
			 "%s '%s' has %lld bytes, under %u: too small for an image "
			 "(download it again)",
			 what, path, (long long)st.st_size, IMAGE_MIN_SIZE);
		return refuse(f, EINVAL);
	}
	if ((uint64_t)st.st_size > UINT32_MAX) {
		snprintf(why, why_len, "%s '%s' is over 4 GiB: too large for an image", what, path);
		return refuse(f, EFBIG);
	}
	f->image = (struct sqns_image){.size = (uint32_t)st.st_size, .read = image_read, .ctx = f};
	/* A read now, so that an unreadable file fails before the modem is touched. */
	uint8_t probe[IMAGE_MIN_SIZE];
	if (image_read(f, 0, probe, sizeof probe) != SQNS_OK) {
		int e = errno;
		snprintf(why, why_len, "cannot read %s '%s': %s", what, path, strerror(e));
		return refuse(f, e);
	}
	if (!realpath(path, f->path))
		snprintf(f->path, sizeof f->path, "%s", path);
	f->image.name = image_file_name(f);
	return true;
}

void image_file_use_memory(struct image_file *f, uint8_t *data, uint32_t len)
{
	free(f->data);
	f->data = data;
	f->image.size = len;
}

const char *image_file_name(const struct image_file *f)
{
	const char *name = f->path;
	for (const char *p = f->path; *p; p++)
		if (IS_SEPARATOR(*p))
			name = p + 1;
	return name;
}

void image_file_close(struct image_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->data);
	f->data = NULL;
}
