/* SPDX-License-Identifier: MIT */
/*
 * Releases (sqnsupgrade_host.h): Pycom's zip archives read through libzip,
 * or the folder one was unpacked into, as a struct sqns_release for the core.
 * Members are never unpacked to disk: each one's image reads from the archive
 * forward as the transfer asks, and keeps its last block for the resends of
 * STP; a step back further than that reads the member again from its start.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef SQNS_HAVE_LIBZIP
#include <zip.h>
#endif

#include "host.h"
#include "image_file.h"
#include "sqnsupgrade_host.h"

#define MAX_MEMBERS 4096u

/* One member: its name and size for the core, where it is, and its reader. */
struct source {
	char *name;
	uint32_t size;
	char *path;	/* a folder's file; NULL for an archive's member */
	uint64_t index; /* an archive's member */
	int fd;		/* the folder's file, once read; -1 before */
	struct sqns_release_file *owner;
#ifdef SQNS_HAVE_LIBZIP
	zip_file_t *zf; /* the archive's member, open for reading forward */
#endif
	uint64_t pos;	/* where zf reads next */
	uint8_t *cache; /* the last block read, for a resend */
	size_t cache_cap, cache_len;
	uint32_t cache_off;
};

struct sqns_release_file {
	char path[4096]; /* image_file_realpath's */
#ifdef SQNS_HAVE_LIBZIP
	zip_t *zip; /* NULL: a folder */
#endif
	struct source *src;
	struct sqns_member *members;
	size_t count, cap;
	struct sqns_release rel;
};

static bool ends_with_zip(const char *path)
{
	size_t n = strlen(path);
	return n >= 4 && strcasecmp(path + n - 4, ".zip") == 0;
}

/* The file starts as a zip archive does: a member (PK\3\4), or an empty one's end (PK\5\6). */
static bool starts_as_zip(const char *path)
{
	int fd = image_file_open_fd(path);
	if (fd < 0)
		return false;
	unsigned char head[4] = {0};
	ssize_t n = read(fd, head, sizeof head);
	close(fd);
	return n == 4 && head[0] == 'P' && head[1] == 'K' &&
	       ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
}

bool sqns_release_is(const char *path)
{
	struct stat st;
	if (!path || stat(path, &st) != 0)
		return false;
	if (S_ISDIR(st.st_mode))
		return true;
	return ends_with_zip(path) || starts_as_zip(path);
}

bool sqns_release_zip_supported(void)
{
#ifdef SQNS_HAVE_LIBZIP
	return true;
#else
	return false;
#endif
}

static bool add_member(struct sqns_release_file *r, const char *name, uint32_t size,
		       const char *path, uint64_t index)
{
	if (r->count == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct source *src = realloc(r->src, cap * sizeof *src);
		if (!src)
			return false;
		r->src = src;
		r->cap = cap;
	}
	struct source *s = &r->src[r->count];
	*s = (struct source){.size = size, .index = index, .fd = -1, .owner = r};
	s->name = strdup(name);
	s->path = path ? strdup(path) : NULL;
	if (!s->name || (path && !s->path)) {
		free(s->name);
		free(s->path);
		return false;
	}
	r->count++;
	return true;
}

static int folder_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	struct source *s = ctx;
	if (offset > s->size || len > s->size - offset)
		return SQNS_ERR_IMAGE;
	if (s->fd < 0 && (s->fd = image_file_open_fd(s->path)) < 0)
		return SQNS_ERR_IMAGE;
	return image_file_read_at(s->fd, offset, buf, len);
}

#ifdef SQNS_HAVE_LIBZIP
/* The last block read, kept for a resend of the same offset. */
static bool from_cache(struct source *s, uint32_t offset, uint8_t *buf, size_t len)
{
	if (!s->cache_len || offset < s->cache_off ||
	    (uint64_t)(offset - s->cache_off) + len > s->cache_len)
		return false;
	memcpy(buf, s->cache + (offset - s->cache_off), len);
	return true;
}

static void keep_block(struct source *s, uint32_t offset, const uint8_t *buf, size_t len)
{
	if (len > s->cache_cap) {
		uint8_t *c = realloc(s->cache, len);
		if (!c) {
			s->cache_len = 0;
			return;
		}
		s->cache = c;
		s->cache_cap = len;
	}
	memcpy(s->cache, buf, len);
	s->cache_off = offset;
	s->cache_len = len;
}

/* Exactly len bytes of the member from where zf stands; false at its end or on an error. */
static bool zip_read_all(zip_file_t *zf, uint8_t *buf, size_t len)
{
	while (len > 0) {
		zip_int64_t n = zip_fread(zf, buf, len);
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

static int zip_member_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	struct source *s = ctx;
	if (offset > s->size || len > s->size - offset)
		return SQNS_ERR_IMAGE;
	if (from_cache(s, offset, buf, len))
		return SQNS_OK;
	if (s->zf && offset < s->pos) { /* a step back: from the start again */
		zip_fclose(s->zf);
		s->zf = NULL;
	}
	if (!s->zf) {
		if (!(s->zf = zip_fopen_index(s->owner->zip, s->index, 0))) {
			errno = EIO;
			return SQNS_ERR_IMAGE;
		}
		s->pos = 0;
	}
	uint8_t skip[4096];
	while (s->pos < offset) {
		size_t n = offset - s->pos < sizeof skip ? (size_t)(offset - s->pos) : sizeof skip;
		if (!zip_read_all(s->zf, skip, n))
			goto failed;
		s->pos += n;
	}
	if (!zip_read_all(s->zf, buf, len))
		goto failed;
	s->pos += len;
	keep_block(s, offset, buf, len);
	return SQNS_OK;
failed:
	zip_fclose(s->zf);
	s->zf = NULL;
	errno = EIO;
	return SQNS_ERR_IMAGE;
}

/*
 * Read member i to its end once: libzip checks its CRC there. NULL when it is
 * whole, else what is wrong with it (into buf).
 */
static const char *zip_member_damage(struct sqns_release_file *r, zip_uint64_t i, uint64_t size,
				     char *buf, size_t len)
{
	zip_file_t *zf = zip_fopen_index(r->zip, i, 0);
	if (!zf) {
		snprintf(buf, len, "cannot be opened (%s)",
			 zip_error_strerror(zip_get_error(r->zip)));
		return buf;
	}
	static const size_t chunk = 65536;
	uint8_t *block = malloc(chunk);
	uint64_t total = 0;
	zip_int64_t n = -1;
	while (block && (n = zip_fread(zf, block, chunk)) > 0)
		total += (uint64_t)n;
	const char *what = NULL;
	if (!block)
		what = "cannot be read whole (out of memory)";
	else if (n < 0)
		what = zip_error_strerror(zip_file_get_error(zf));
	else if (total != size)
		what = "is shorter than the archive says";
	if (what && n < 0 && block)
		snprintf(buf, len, "cannot be read whole (%s)", what);
	else if (what)
		snprintf(buf, len, "%s", what);
	free(block);
	zip_fclose(zf);
	return what ? buf : NULL;
}

static int open_zip(struct sqns_release_file *r, const char *shown, char *why, size_t why_len)
{
	struct stat st;
	int ze = 0;
	if (stat(r->path, &st) != 0) {
		int e = errno;
		char os[128];
		snprintf(why, why_len, "cannot read the archive '%s': %s", shown,
			 host_strerror(e, os, sizeof os));
		errno = e;
		return SQNS_ERR_IMAGE;
	}
	r->zip = zip_open(r->path, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!r->zip) {
		zip_error_t e;
		zip_error_init_with_code(&e, ze);
		if (ze == ZIP_ER_NOZIP && starts_as_zip(r->path))
			snprintf(why, why_len,
				 "the archive '%s' is damaged (its table of contents is missing or "
				 "cut short): download it again",
				 shown);
		else if (ze == ZIP_ER_NOZIP)
			snprintf(why, why_len,
				 "'%s' is not a zip archive: give the release's .zip as Pycom "
				 "published it, or the folder it was unpacked into",
				 shown);
		else if (ze == ZIP_ER_OPEN || ze == ZIP_ER_READ)
			snprintf(why, why_len, "cannot read the archive '%s': %s", shown,
				 zip_error_strerror(&e));
		else
			snprintf(why, why_len,
				 "the archive '%s' is damaged (%s): download it again", shown,
				 zip_error_strerror(&e));
		zip_error_fini(&e);
		errno = EIO;
		return SQNS_ERR_IMAGE;
	}
	zip_int64_t n = zip_get_num_entries(r->zip, 0);
	if (n < 0 || (uint64_t)n > MAX_MEMBERS) {
		snprintf(why, why_len,
			 "the archive '%s' holds %lld files, which is no firmware release", shown,
			 (long long)n);
		errno = EINVAL;
		return SQNS_ERR_IMAGE;
	}
	for (zip_uint64_t i = 0; i < (zip_uint64_t)n; i++) {
		zip_stat_t zs;
		char what[200];
		if (zip_stat_index(r->zip, i, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_NAME) ||
		    !(zs.valid & ZIP_STAT_SIZE)) {
			snprintf(why, why_len,
				 "the archive '%s' is damaged (file %llu of its table): download "
				 "it again",
				 shown, (unsigned long long)i + 1);
			errno = EIO;
			return SQNS_ERR_IMAGE;
		}
		size_t nl = strlen(zs.name);
		if (nl && zs.name[nl - 1] == '/')
			continue; /* a folder */
		const char *damage = NULL;
		if ((zs.valid & ZIP_STAT_COMP_SIZE) && zs.comp_size > (zip_uint64_t)st.st_size)
			damage = "is larger than the archive itself";
		else if (zs.size > UINT32_MAX)
			damage = "is larger than 4 GiB, which no firmware is";
		else
			damage = zip_member_damage(r, i, zs.size, what, sizeof what);
		if (damage) {
			snprintf(why, why_len,
				 "the archive '%s' is damaged: its member '%s' %s; download it "
				 "again",
				 shown, zs.name, damage);
			errno = EIO;
			return SQNS_ERR_IMAGE;
		}
		if (!add_member(r, zs.name, (uint32_t)zs.size, NULL, i)) {
			snprintf(why, why_len, "out of memory");
			errno = ENOMEM;
			return SQNS_ERR_IMAGE;
		}
	}
	return SQNS_OK;
}
#endif

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct source *)a)->name, ((const struct source *)b)->name);
}

/*
 * The folder's regular files, and when depth allows those of its folders;
 * prefix: the member names' folder part ("" at the top).
 */
static int scan_folder(struct sqns_release_file *r, const char *dir, const char *prefix, int depth,
		       const char *shown, char *why, size_t why_len)
{
	DIR *d = opendir(dir);
	if (!d) {
		int e = errno;
		char os[128];
		snprintf(why, why_len, "cannot read the folder '%s': %s", shown,
			 host_strerror(e, os, sizeof os));
		errno = e;
		return SQNS_ERR_IMAGE;
	}
	struct dirent *e;
	int r_ = SQNS_OK;
	while (r_ == SQNS_OK && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[PATH_MAX], name[PATH_MAX];
		struct stat st;
		if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path ||
		    snprintf(name, sizeof name, "%s%s", prefix, e->d_name) >= (int)sizeof name)
			continue;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			char sub[PATH_MAX + 1];
			snprintf(sub, sizeof sub, "%s/", name);
			r_ = scan_folder(r, path, sub, depth - 1, shown, why, why_len);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		if (r->count >= MAX_MEMBERS) {
			snprintf(why, why_len,
				 "the folder '%s' holds more than %u files, which is no firmware "
				 "release: give the folder the archive was unpacked into",
				 shown, MAX_MEMBERS);
			errno = EINVAL;
			r_ = SQNS_ERR_IMAGE;
		} else if (!add_member(r, name,
				       (uint64_t)st.st_size > UINT32_MAX ? UINT32_MAX
									 : (uint32_t)st.st_size,
				       path, 0)) {
			snprintf(why, why_len, "out of memory");
			errno = ENOMEM;
			r_ = SQNS_ERR_IMAGE;
		}
	}
	closedir(d);
	return r_;
}

static int member_open(void *ctx, size_t index, struct sqns_image *img)
{
	struct sqns_release_file *r = ctx;
	if (index >= r->count)
		return SQNS_ERR_ARG;
	struct source *s = &r->src[index];
	*img = (struct sqns_image){.name = s->name, .size = s->size, .ctx = s};
#ifdef SQNS_HAVE_LIBZIP
	if (r->zip) {
		img->read = zip_member_read;
		return SQNS_OK;
	}
#endif
	if (s->size == UINT32_MAX)
		return SQNS_ERR_IMAGE; /* 4 GiB or more: no firmware */
	img->read = folder_read;
	return SQNS_OK;
}

static struct sqns_release_file *failed(struct sqns_release_file *r, int code, int *err)
{
	int e = errno;
	sqns_release_close(r);
	if (err)
		*err = code;
	errno = e;
	return NULL;
}

struct sqns_release_file *sqns_release_open(const char *path, int *err, char *why, size_t why_len)
{
	char scratch[8];
	if (!why || !why_len) {
		why = scratch;
		why_len = sizeof scratch;
	}
	if (!path || !*path) {
		snprintf(why, why_len, "no release given");
		errno = EINVAL;
		return failed(NULL, SQNS_ERR_ARG, err);
	}
	struct sqns_release_file *r = calloc(1, sizeof *r);
	if (!r) {
		snprintf(why, why_len, "out of memory");
		errno = ENOMEM;
		return failed(NULL, SQNS_ERR_IMAGE, err);
	}
	struct stat st;
	if (stat(path, &st) != 0 || !image_file_realpath(path, r->path)) {
		int e = errno;
		char os[128];
		if (e == ENOENT)
			snprintf(why, why_len, "no such file or folder '%s': check the path", path);
		else
			snprintf(why, why_len, "cannot read '%s': %s", path,
				 host_strerror(e, os, sizeof os));
		errno = e;
		return failed(r, SQNS_ERR_IMAGE, err);
	}
	int code;
	if (S_ISDIR(st.st_mode)) {
		/* The folder and, for an archive unpacked with its folder, one level down. */
		code = scan_folder(r, r->path, "", 1, path, why, why_len);
		if (code == SQNS_OK && r->count > 1)
			qsort(r->src, r->count, sizeof *r->src, by_name);
	} else {
#ifdef SQNS_HAVE_LIBZIP
		code = open_zip(r, path, why, why_len);
#else
		snprintf(why, why_len,
			 "this build reads no zip archives (built with SQNS_ZIP=OFF): unpack "
			 "'%s' and give its folder instead",
			 path);
		errno = ENOTSUP;
		code = SQNS_ERR_UNSUPPORTED;
#endif
	}
	if (code != SQNS_OK)
		return failed(r, code, err);
	if (r->count && !(r->members = calloc(r->count, sizeof *r->members))) {
		snprintf(why, why_len, "out of memory");
		errno = ENOMEM;
		return failed(r, SQNS_ERR_IMAGE, err);
	}
	for (size_t i = 0; i < r->count; i++)
		r->members[i] =
		    (struct sqns_member){.name = r->src[i].name, .size = r->src[i].size};
	r->rel = (struct sqns_release){
	    .members = r->members, .count = r->count, .open = member_open, .ctx = r};
	if (err)
		*err = SQNS_OK;
	return r;
}

const struct sqns_release *sqns_release_of(const struct sqns_release_file *r)
{
	return &r->rel;
}

const char *sqns_release_path(const struct sqns_release_file *r)
{
	return r->path;
}

void sqns_release_close(struct sqns_release_file *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++) {
		struct source *s = &r->src[i];
#ifdef SQNS_HAVE_LIBZIP
		if (s->zf)
			zip_fclose(s->zf);
#endif
		if (s->fd >= 0)
			close(s->fd);
		free(s->name);
		free(s->path);
		free(s->cache);
	}
#ifdef SQNS_HAVE_LIBZIP
	if (r->zip)
		zip_discard(r->zip);
#endif
	free(r->src);
	free(r->members);
	free(r);
}
