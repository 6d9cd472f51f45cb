/* SPDX-License-Identifier: MIT */
/*
 * The file given to --bootrom, turned into the boot ROM image before anything
 * is sent: the raw image, or Pycom's sqnsbr.py (the image as base64 text in a
 * Python literal) or sqnsbrz.py (the same, zlib-compressed first).
 */
#ifndef SQNS_BOOTROM_H
#define SQNS_BOOTROM_H

#include <stddef.h>
#include <stdint.h>

#include "image_file.h"

#define BOOTROM_MAGIC "UPGR"		       /* the first bytes of every boot ROM image */
#define BOOTROM_MAX_SIZE (16u * 1024u * 1024u) /* a decoded image larger than this is refused */

enum bootrom_status {
	BOOTROM_OK,
	BOOTROM_FILE_ERROR,  /* missing, unreadable, not a regular file: exit status 3 */
	BOOTROM_NOT_BOOTROM, /* readable, but no boot ROM in it: exit status 10 */
};

/*
 * Open path as the boot ROM into f, whose image then reads the raw boot ROM
 * (from the file itself, or from memory when it was decoded from Python
 * source). On failure writes one line into why (no "sqnsupgrade: " prefix).
 */
enum bootrom_status bootrom_open(struct image_file *f, const char *path, char *why, size_t why_len);

enum bootrom_python {
	BOOTROM_PY_OK,	       /* *out holds the image */
	BOOTROM_PY_NO_LITERAL, /* no BOOTROM = ...base64...("...") assignment in the text */
	BOOTROM_PY_BROKEN,     /* there is one, but it does not decode: why says how */
};

/*
 * The boot ROM held by Python source src (len bytes): its BOOTROM literal,
 * base64-decoded, then inflated when compressed. On success *out is a
 * malloc'd buffer of *out_len bytes (not yet checked for UPGR). On
 * BOOTROM_PY_BROKEN, why says what is wrong, as words that follow the file's
 * name ("its BOOTROM literal is not valid base64: ...").
 */
enum bootrom_python bootrom_from_python(const char *src, size_t len, uint8_t **out, size_t *out_len,
					char *why, size_t why_len);

#endif
