/*
 * What the modem keeps in flash across power cycles. Saved as `key=value`
 * lines, atomically (temporary file + rename), on every change.
 */
#ifndef SQNSIM_STATE_H
#define SQNSIM_STATE_H

#include <stdbool.h>

#include "image.h"
#include "sha256.h"

enum report { REPORT_NONE, REPORT_SUCCESS, REPORT_FAIL, REPORT_ONGOING };

/* An image the modem received, as it judged it. */
struct image_info {
	enum image_kind kind;
	unsigned long build;
	unsigned long from;
	unsigned long long bytes;
	bool complete;
	char sha256[SHA256_HEX_LEN];
};

struct modem_state {
	int mode;		   /* the mode the modem boots into */
	unsigned long build;	   /* application build in flash; 0: none (recovery) */
	unsigned long bootloader0; /* boot ROM build */
	bool upgraded;		   /* the last ON_THE_FLY image was applied successfully */
	enum report report;	   /* what AT+SMUPGRADE? says */
	bool fff_present;	   /* an image stored by AT+SMSTPU, waiting for AT+SMUPGRADE */
	struct image_info fff;
};

const char *report_name(enum report r);

/* Returns 1 when loaded, 0 when the file does not exist, -1 on a bad file (errno or EINVAL). */
int state_load(struct modem_state *st, const char *path);
/* Returns 0 or -1 with errno. NULL path: nothing to do. */
int state_save(const struct modem_state *st, const char *path);

#endif
