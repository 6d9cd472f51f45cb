/* SPDX-License-Identifier: MIT */
/*
 * What the modem keeps in flash across power cycles. Saved as `key=value`
 * lines, atomically (temporary file + rename), on every change.
 */
#ifndef SQNSIM_STATE_H
#define SQNSIM_STATE_H

#include <stdbool.h>

#include "image.h"
#include "sha256.h"

/* REPORT_FAIL_PATCH: a complete diff for another base build was refused (its own words). */
enum report { REPORT_NONE, REPORT_SUCCESS, REPORT_FAIL, REPORT_ONGOING, REPORT_FAIL_PATCH };

/* How an STP session was opened. */
enum stp_method { METHOD_FFF, METHOD_ON_THE_FLY, METHOD_STP, METHOD_MTOOLS };

/* An image the modem received, as it judged it. */
struct image_info {
	enum image_kind kind;
	unsigned long build;
	unsigned long from;
	unsigned long long bytes;
	bool complete;
	char sha256[SHA256_HEX_LEN];
	enum channel channel;
};

/*
 * An STP session the modem was in when its USB link vanished (--vanish-at).
 * Not flash: the modem kept running, and a restart of the simulator picks the
 * session up where it was instead of booting.
 */
struct xfer_snapshot {
	bool present;
	enum stp_method method;
	int mode;		/* the running mode */
	unsigned long rate;	/* the rate the UART listened at */
	unsigned max_transfer;	/* as announced */
	unsigned long next_tid; /* the tid the session expects next */
	unsigned long blocks;	/* TRANSFER_BLOCKs applied */
	unsigned long long bytes;
	bool tagged;
	struct image_desc desc; /* the image's tag, when tagged */
	bool corrupt;
	unsigned long long bad_at;
};

struct modem_state {
	int mode;		   /* the mode the modem boots into */
	unsigned long build;	   /* application build in flash; 0: none (recovery) */
	unsigned long bootloader0; /* boot ROM build */
	bool upgraded;		   /* the last ON_THE_FLY image was applied successfully */
	enum report report;	   /* what AT+SMUPGRADE? says */
	bool fff_present;	   /* an image stored by AT+SMSTPU, waiting for AT+SMUPGRADE */
	struct image_info fff;
	bool factory;	      /* fresh from the factory: Bootloader1/2 NA, UE Unknown */
	bool ppp;	      /* in a PPP data session until the host escapes with +++ */
	enum channel channel; /* of the application firmware in flash */
	bool keeps_old;	      /* --refusal-keeps-firmware: a refused diff left the old firmware */
	struct xfer_snapshot xfer;
};

/* The state file's word for a report (AT+SMUPGRADE? words REPORT_FAIL_PATCH itself). */
const char *report_name(enum report r);
const char *stp_method_name(enum stp_method m);

/* Returns 1 when loaded, 0 when the file does not exist, -1 on a bad file (errno or EINVAL). */
int state_load(struct modem_state *st, const char *path);
/* Returns 0 or -1 with errno. NULL path: nothing to do. */
int state_save(const struct modem_state *st, const char *path);

#endif
