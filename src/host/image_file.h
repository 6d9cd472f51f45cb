/* SPDX-License-Identifier: MIT */
/*
 * The image source of the command line: a firmware, updater or boot ROM file,
 * checked before anything is sent and read at any offset. It reads from the
 * file, or from memory when the image was decoded from another form (Pycom's
 * sqnsbr.py / sqnsbrz.py for the boot ROM, bootrom.c).
 */
#ifndef SQNS_IMAGE_FILE_H
#define SQNS_IMAGE_FILE_H

#include "sqnsupgrade.h"

#define IMAGE_MIN_SIZE 128u

struct image_file {
	int fd;
	char path[4096]; /* absolute, for the resume command */
	uint8_t *data;	 /* the image in memory (malloc'd, freed by close), or NULL: the file */
	struct sqns_image image;
};

/*
 * Open and check a file: it exists, is regular, readable, of 128 bytes to
 * 4 GiB. `what` names it in the messages ("firmware file", "boot ROM file").
 * On failure writes a one-line reason (what is wrong and what to do) into why
 * and returns false.
 */
bool image_file_open(struct image_file *f, const char *path, const char *what, char *why,
		     size_t why_len);

/* From now on the image is data (len bytes, malloc'd; f owns it), not the file's bytes. */
void image_file_use_memory(struct image_file *f, uint8_t *data, uint32_t len);

/* The file's name without its folder. */
const char *image_file_name(const struct image_file *f);

void image_file_close(struct image_file *f);

/*
 * What image_file_open does with the OS, for other readers of files (a
 * release's folder, release.c): open for reading (binary, not inherited; a
 * descriptor or -1 with errno), the absolute path (NULL on failure), and
 * exactly len bytes at offset (SQNS_OK, or SQNS_ERR_IMAGE with errno; EIO
 * when the file is shorter than that).
 */
int image_file_open_fd(const char *path);
char *image_file_realpath(const char *path, char out[4096]);
int image_file_read_at(int fd, uint32_t offset, uint8_t *buf, size_t len);

#endif
