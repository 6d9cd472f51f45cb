/* Firmware files: validation before anything is sent, and streaming reads. */
#ifndef SQNS_IMAGE_FILE_H
#define SQNS_IMAGE_FILE_H

#include "sqnsupgrade.h"

#define IMAGE_MIN_SIZE 128u

struct image_file {
	int fd;
	char path[4096]; /* absolute, for the resume command */
	struct sqns_image image;
};

/*
 * Open and check a firmware file. On failure writes a one-line reason (what
 * is wrong and what to do) into why and returns false.
 */
bool image_file_open(struct image_file *f, const char *path, char *why, size_t why_len);
void image_file_close(struct image_file *f);

#endif
