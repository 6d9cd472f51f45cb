/* SPDX-License-Identifier: MIT */
/*
 * libsqnsupgrade: firmware updater core for the Sequans SQN3330 LTE modem.
 *
 * Error model: every function returns SQNS_OK (0) or a negative enum sqns_err;
 * sqns_strerror() names it. The core keeps no errno: a port backend that wants
 * to report the OS error keeps it in its own context.
 *
 * Memory: the core never allocates. The caller owns struct sqns_ctx (about
 * 3.6 KiB: the core's private room, where the STP block buffer dominates) and
 * every buffer passed in.
 *
 * ABI: the core's private state is opaque room of SQNS_PRIV_SIZE bytes inside
 * struct sqns_ctx, so it changes without moving anything a caller reads;
 * sqns_ctx_size() tells a binding which layout the library was built with.
 *
 * Threading: a context is used by one thread at a time. Contexts are
 * independent, so several modems may be driven from several threads.
 *
 * Porting: supply struct sqns_port_ops (read with timeout, write, set rate,
 * millisecond clock) and, for transfers, struct sqns_image (read at offset).
 * The core includes only <stdbool.h>, <stddef.h> and <stdint.h>, never
 * prints, never exits and never sleeps: every wait is a port read with a
 * deadline.
 */
#ifndef SQNSUPGRADE_H
#define SQNSUPGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Marks what libsqnsupgrade exports: the library is built with
 * -fvisibility=hidden, so everything else stays inside it. On Windows the
 * library's own objects (SQNS_BUILDING_LIBRARY) mark it dllexport, so that
 * sqnsupgrade.dll exports exactly these.
 */
#if defined(_WIN32) && defined(SQNS_BUILDING_LIBRARY)
#define SQNS_API __declspec(dllexport)
#elif defined(_WIN32)
#define SQNS_API
#elif defined(__GNUC__) || defined(__clang__)
#define SQNS_API __attribute__((visibility("default")))
#else
#define SQNS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

enum sqns_err {
	SQNS_OK = 0,
	SQNS_ERR_ARG = -1,	   /* bad argument from the caller */
	SQNS_ERR_IO = -2,	   /* the port failed to read, write or set its rate */
	SQNS_ERR_TIMEOUT = -3,	   /* no (valid) answer before the deadline */
	SQNS_ERR_PROTOCOL = -4,	   /* STP answers stayed wrong after every retry */
	SQNS_ERR_MODEM = -5,	   /* the modem answered ERROR */
	SQNS_ERR_STATE = -6,	   /* the modem is in a mode where this cannot be done */
	SQNS_ERR_REJECTED = -7,	   /* the modem rejected the image (+SMUPGRADE: fail) */
	SQNS_ERR_NO_MODEM = -8,	   /* nothing answered AT at all */
	SQNS_ERR_UNSUPPORTED = -9, /* this port cannot change its rate (set_rate NULL) */
	SQNS_ERR_IMAGE = -10,	   /* the image source could not be read */
	SQNS_ERR_ABORTED = -11,	   /* the caller asked to stop */
	SQNS_ERR_REFUSED = -12,	   /* a safety check refused: ctx->res.refusal says which */
	SQNS_ERR_VERIFY = -13,	   /* after the upgrade the modem runs another build */
	/* A new code goes last, with its sqns_strerror sentence (tests/unit/test_at.c). */
};

/* A short English sentence for an sqns_err value; never NULL. */
SQNS_API const char *sqns_strerror(int err);

/* AT+SMOD? values (docs/protocol.md section 2). */
enum sqns_mode {
	SQNS_MODE_UNKNOWN = -1,
	SQNS_MODE_RECOVERY = 0,
	SQNS_MODE_MTOOLS = 1,
	SQNS_MODE_APPLICATION = 2,
	SQNS_MODE_UPDATER = 3,
	SQNS_MODE_UPGRADE = 4,
};

/* "recovery", "mtools", "application", "updater", "upgrade" or "unknown". */
SQNS_API const char *sqns_mode_name(int mode);

/*
 * The transport. All functions receive the `port` pointer of the config.
 *  read:     read up to len bytes, waiting at most timeout_ms for the first;
 *            returns the count (> 0), 0 when the time ran out, or a negative
 *            sqns_err (SQNS_ERR_IO). timeout_ms 0 means "only what is there".
 *  write:    write all len bytes; SQNS_OK or a negative sqns_err.
 *  set_rate: change the host's line rate; SQNS_OK or a negative sqns_err.
 *  now_ms:   a monotonic millisecond clock; it may wrap.
 */
struct sqns_port_ops {
	int (*read)(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms);
	int (*write)(void *port, const uint8_t *buf, size_t len);
	int (*set_rate)(void *port, uint32_t baud);
	uint32_t (*now_ms)(void *port);
};

/* A firmware image, streamed: read(ctx, offset, buf, len) returns SQNS_OK or < 0. */
struct sqns_image {
	const char *name; /* file name (no folder), for NAME-BUILD.dup parsing; may be NULL */
	uint32_t size;
	int (*read)(void *ctx, uint32_t offset, uint8_t *buf, size_t len);
	void *ctx;
};

enum sqns_phase {
	SQNS_PHASE_WAKEUP,	     /* "Attempting AT wakeup..." */
	SQNS_PHASE_REBOOT_UPGRADE,   /* rebooting into upgrade mode */
	SQNS_PHASE_RESUME,	     /* found in upgrade mode: resuming */
	SQNS_PHASE_FFF_TOO_BIG,	     /* image over 4 MiB: FFF falls back to ON_THE_FLY */
	SQNS_PHASE_STP_ON_THE_FLY,   /* "Starting STP ON_THE_FLY" */
	SQNS_PHASE_STP_FFF,	     /* "Starting STP FFF" */
	SQNS_PHASE_DOWNLOAD_DONE,    /* "Code download done, returning to user mode" */
	SQNS_PHASE_APPLYING,	     /* TICK only: the modem checks / applies the image */
	SQNS_PHASE_RESETTING,	     /* "Resetting (DO NOT DISCONNECT POWER!!!)" */
	SQNS_PHASE_COMPLETED,	     /* "Upgrade completed!" */
	SQNS_PHASE_STP_BOOTROM,	     /* "Starting STP (DO NOT DISCONNECT POWER!!!)" */
	SQNS_PHASE_BOOTROM_DONE,     /* "Bootrom updated successfully, switching to upgrade mode"
					(the modem reboots into recovery, mode 0, for updater.elf) */
	SQNS_PHASE_NEGOTIATE,	     /* "Attempting AT auto-negotiation..." */
	SQNS_PHASE_UPDATER_DONE,     /* "Upgrader loaded successfully, modem is in upgrade mode" */
	SQNS_PHASE_PPP_ESCAPE,	     /* no answer: trying the +++ escape of a data session */
	SQNS_PHASE_STP_ABANDONED,    /* the modem was stuck in an earlier transfer: closed it */
	SQNS_PHASE_FAST_LINK,	     /* value: the faster rate in use, or 0: staying at baud */
	SQNS_PHASE_PLAN,	     /* ctx->res.plan is ready (dry run: nothing else follows) */
	SQNS_PHASE_ALREADY_CURRENT,  /* the modem already runs the target build */
	SQNS_PHASE_VERIFIED,	     /* the modem runs the target build: event value = build */
	SQNS_PHASE_STP_WAIT,	     /* TICK only: an STP answer is late; value = seconds so far */
	SQNS_PHASE_FAST_LINK_LOST,   /* the modem took the faster rate (value) but the line does
					not carry it, nor the way back: it keeps that rate until
					it restarts */
	SQNS_PHASE_CHECKING,	     /* the modem still checks an earlier image (AT+SMUPGRADE?
					says on-going): waiting before the transfer; TICKs too */
	SQNS_PHASE_BOOTROM_AGAIN,    /* Bootloader0 still reads the factory build after the
					upgrade: sending the boot ROM again, stored (FFF) */
	SQNS_PHASE_BOOTROM_VERIFIED, /* Bootloader0 no longer the factory's: value = its build */
	SQNS_PHASE_BOOTROM_FACTORY,  /* the upgrade succeeded but Bootloader0 still reads the
					factory build (value) and no boot ROM can fix it now:
					ctx->res.plan.bootrom_pending is set */
	SQNS_PHASE_BASE_UNKNOWN,     /* a differential image (or part 2) for a modem in recovery
					mode, whose build cannot be read: the modem checks the
					base (value) itself */
	SQNS_PHASE_PART1_ON_THE_FLY, /* FFF was asked, but part 1 of a two-part release always
					goes ON_THE_FLY */
	SQNS_PHASE_PART1_DONE,	     /* part 1 of a two-part release is in: the modem runs the
					intermediate build (value); part 2 must follow before
					any power cycle (next, when opts->part2 is given) */
	SQNS_PHASE_REJECTED,	     /* the modem refused the image: ctx->res.report holds its
					words; the flow now tries to boot the old firmware */
};

enum sqns_event_type {
	SQNS_EV_PHASE,	  /* phase */
	SQNS_EV_PROGRESS, /* done, total: image bytes acknowledged by the modem */
	SQNS_EV_TICK,	  /* one more second of waiting on the modem (phase says for what);
			     value = whole seconds since that wait began, from the clock */
	SQNS_EV_SESSION,  /* STP session open: value = version, total = max transfer */
	SQNS_EV_RETRY,	  /* an STP request is sent again: value = attempt, err = why */
	SQNS_EV_AT_TX,	  /* a command line sent (text, len) */
	SQNS_EV_AT_RX,	  /* a line received (text, len), echo and URCs included */
	SQNS_EV_STP_TX,	  /* an STP request: frame */
	SQNS_EV_STP_RX,	  /* an STP response accepted: frame */
	SQNS_EV_RATE,	  /* the host's rate changed: value = baud */
};

struct sqns_event {
	enum sqns_event_type type;
	enum sqns_phase phase;
	int value;
	int err;
	uint32_t done, total;
	const char *text; /* not NUL-terminated; valid during the callback */
	size_t len;
	struct {
		uint8_t op, sid;
		uint16_t len;
		uint32_t tid;
	} frame;
};

typedef void (*sqns_event_fn)(void *user, const struct sqns_event *ev);

/*
 * Timeouts in milliseconds, below 2^31 (deadlines compare 32-bit clock
 * differences); 0 selects the default in brackets.
 *  at_ms:     one AT command's final OK/ERROR [5000]
 *  detect_ms: the first contact: a powered modem answers AT within it [20000]
 *  wake_ms:   waiting for the modem to answer AT after a reboot [300000]
 *  stp_ms:    one STP response [90000]; the modem erases flash near 7-10 %
 *  apply_ms:  the modem checking or applying an image [300000]
 *  stall_ms:  the longest silence of one STP exchange, its retries included
 *             [300000]: Pycom's instructions' own "hanging for more than 5 minutes"
 */
struct sqns_timeouts {
	uint32_t at_ms, detect_ms, wake_ms, stp_ms, apply_ms, stall_ms;
};

struct sqns_config {
	const struct sqns_port_ops *ops;
	void *port;
	sqns_event_fn on_event; /* may be NULL */
	void *user;
	uint32_t baud;	    /* application rate [921600] */
	uint32_t fast_baud; /* a faster rate for the transfer, negotiated (0: none) */
	struct sqns_timeouts timeouts;
	/* Polled between blocks and waits; returning true stops with SQNS_ERR_ABORTED. */
	bool (*should_abort)(void *user);
};

/* Line rates (docs/protocol.md section 1). */
#define SQNS_APPLICATION_RATE 921600u /* modes 1-4 after every boot */
#define SQNS_RECOVERY_RATE 115200u    /* the boot ROM (mode 0) until AT+IPR */

/* STP (docs/protocol.md section 4). */
#define SQNS_STP_MAX_BLOCK 2016u /* a block's limit, whatever max_transfer says */
#define SQNS_STP_RETRIES 4u	 /* an STP request is sent again at most this many times */
#define SQNS_LINE_MAX 200u
#define SQNS_REPORT_MAX 128u /* the modem's upgrade report kept in struct sqns_result */
#define SQNS_RX_BUF 512u

/*
 * Where the modem stood when an operation ended; set by every flow, read by
 * the caller to tell the user what state the modem is in.
 */
enum sqns_stage {
	SQNS_STAGE_UNTOUCHED,	 /* nothing the modem keeps was changed */
	SQNS_STAGE_UPGRADE_MODE, /* rebooted into upgrade mode; image not (fully) written */
	SQNS_STAGE_TRANSFERRED,	 /* image sent; the modem checks or applies it */
	SQNS_STAGE_DONE,	 /* upgrade applied */
	SQNS_STAGE_RECOVERY,	 /* in recovery mode (0): only updater.elf + a full image help */
};

/* The two radio technologies of the SQN3330's firmware (docs/protocol.md section 11). */
enum sqns_channel {
	SQNS_CHANNEL_UNKNOWN = 0,
	SQNS_CHANNEL_CATM1 = 1, /* LTE-M: LR5.x firmware, CATM1-*.dup */
	SQNS_CHANNEL_NBIOT = 2, /* NB-IoT: LR6.x firmware, NB1-*.dup */
};

/* "CAT-M1", "NB-IoT" or "unknown channel". */
SQNS_API const char *sqns_channel_name(int channel);

/*
 * What a release file's name says (docs/protocol.md section 11): the build is
 * the one group of five digits (CATM1-39529.dup, FIPY_GPY_CATM1_36417.dup,
 * FIPY_LR6.1.2.0-46262_SMDD.dup), upgdiff_FROM-to-TO.dup is differential, and
 * "-1"/"-2" right after the build names the part of a two-part release
 * (CATM1-5.2-48829-1.dup).
 */
struct sqns_image_info {
	bool differential;
	uint32_t build;	 /* the release's build, 0 when the name does not say */
	uint32_t from;	 /* the build it applies to: a differential image's FROM, part 2's
			    intermediate build; 0 when it applies to any */
	int channel;	 /* enum sqns_channel the name says, SQNS_CHANNEL_UNKNOWN if none */
	uint8_t part;	 /* 1 or 2 of a two-part release, 0 for a release in one file */
	uint32_t leaves; /* the build the modem runs afterwards: build, or for part 1 the
			    release's intermediate build (0 when that is not known) */
};

/*
 * Parse a file name (a folder part is skipped); true when it gives a build.
 * When false, info still says the channel when the name gives one.
 */
SQNS_API bool sqns_parse_image_name(const char *name, struct sqns_image_info *info);

/* Why sqns_upgrade refused (SQNS_ERR_REFUSED), before anything changed on the modem. */
enum sqns_refusal {
	SQNS_REFUSE_NONE,
	SQNS_REFUSE_UPDATER_NOT_ELF,	    /* updater.elf is not an ELF file */
	SQNS_REFUSE_FIRMWARE_IS_ELF,	    /* the firmware is an ELF file: files swapped? */
	SQNS_REFUSE_DIFF_WITH_UPDATER,	    /* no longer returned: a differential image may follow
					       updater.elf (docs/protocol.md D16) */
	SQNS_REFUSE_DIFF_WRONG_BASE,	    /* the modem runs another build than FROM (--force) */
	SQNS_REFUSE_FACTORY_BOOTROM,	    /* first upgrade needs the recovery method (--force) */
	SQNS_REFUSE_BOOTROM_MISSING,	    /* the boot ROM step is needed: no boot ROM given */
	SQNS_REFUSE_RECOVERY_NO_UPDATER,    /* modem in recovery mode: updater.elf needed */
	SQNS_REFUSE_RECOVERY_DIFF,	    /* no longer returned: in recovery mode the modem checks
					       a differential image's base itself */
	SQNS_REFUSE_MTOOLS_UPDATER,	    /* mtools mode takes a .dup only */
	SQNS_REFUSE_BOOTROM_NOT_UPGR,	    /* the boot ROM does not start with the magic "UPGR" */
	SQNS_REFUSE_FIRMWARE_IS_ZIP,	    /* the firmware is a zip archive (unpack it first) */
	SQNS_REFUSE_FIRMWARE_IS_COMPRESSED, /* gzip, xz, bzip2 or 7-Zip: unpack it first */
	SQNS_REFUSE_FIRMWARE_IS_TAR,	    /* a tar archive */
	SQNS_REFUSE_FIRMWARE_IS_HTML,	    /* an HTML page, saved instead of the file */
	SQNS_REFUSE_FIRMWARE_IS_TEXT,	    /* a text file, not a firmware image */
	SQNS_REFUSE_FIRMWARE_IS_BOOTROM,    /* the boot ROM (UPGR) in the firmware's place */
	SQNS_REFUSE_PART2_WRONG_BASE,	    /* part 2 of a two-part release on a modem that does
					       not run the build part 1 leaves (--force) */
	SQNS_REFUSE_RELEASE,		    /* a release (opts->release) that cannot be used:
					       res.release.problem says why */
	SQNS_REFUSE_NO_IMAGE_FITS,	    /* a release of differential images only, none of them
					       from the build the modem runs (or it cannot be
					       read there) */
};

/* ---- releases: the files of one download (docs/protocol.md section 12) ---- */

/* One file of a release: an archive's member, or a file of the folder it was unpacked into. */
struct sqns_member {
	const char *name; /* as the archive names it; a folder part is allowed */
	uint32_t size;	  /* its size unpacked */
};

/*
 * A release as Pycom ships it (CATM1-39529.zip: the full image, updater.elf,
 * differential images; CATM1-48829.zip: the two parts). open() makes member
 * `index` readable: it fills *img (name and size as in members[index]) with
 * SQNS_OK, or returns < 0. The core may open a member more than once and
 * never closes one: what open() gives stays valid until the caller closes the
 * release. Members are read as they are sent (streamed, never unpacked).
 */
struct sqns_release {
	const struct sqns_member *members;
	size_t count;
	int (*open)(void *ctx, size_t index, struct sqns_image *img);
	void *ctx;
};

/* What sqns_release_check found wrong in a release. */
enum sqns_release_problem {
	SQNS_RELEASE_OK,
	SQNS_RELEASE_EMPTY,	      /* no firmware image (.dup) in it */
	SQNS_RELEASE_NO_BUILD,	      /* an image whose name gives no build (member) */
	SQNS_RELEASE_TWO_RELEASES,    /* images of two builds or two channels (member, other) */
	SQNS_RELEASE_TWO_UPDATERS,    /* updater.elf twice (member, other) */
	SQNS_RELEASE_PART_MISSING,    /* one part of a two-part release without the other
					 (member: the part there is) */
	SQNS_RELEASE_NOT_FIRMWARE,    /* an image that is something else (member; refusal
					 says what, as sqns_check_images would) */
	SQNS_RELEASE_UPDATER_NOT_ELF, /* updater.elf that is not an ELF file (member) */
	SQNS_RELEASE_UNREADABLE,      /* a member could not be opened or read (member) */
};

/* A release's table of contents, sorted out by sqns_release_check. Member indices; -1: none. */
struct sqns_release_summary {
	enum sqns_release_problem problem;
	int member, other;	   /* the members a problem is about */
	enum sqns_refusal refusal; /* SQNS_RELEASE_NOT_FIRMWARE: what the member is */
	uint32_t build;		   /* the release's build */
	int channel;		   /* the release's enum sqns_channel (unknown if no name says) */
	int full;		   /* the full image */
	int part1, part2;	   /* the two parts of a two-part release */
	int updater;		   /* updater.elf */
	unsigned diffs;		   /* differential images */
	unsigned ignored;	   /* members that are neither (README, folders, macOS extras) */
};

/*
 * Sort a release's members out and check each image and updater.elf as
 * sqns_check_images checks files (each is opened and its head read). Images
 * are the .dup members, updater.elf the member of that name (any case, in any
 * folder); the rest is ignored. SQNS_OK, SQNS_ERR_REFUSED with sum->problem
 * set, or SQNS_ERR_ARG. Needs no modem: run it before opening the port.
 */
SQNS_API int sqns_release_check(const struct sqns_release *rel, struct sqns_release_summary *sum);

/* What detection found, for sqns_release_choose. */
struct sqns_found {
	int mode;		/* enum sqns_mode */
	uint32_t running_build; /* the Software build, 0 when it cannot be read (mode not 2) */
	uint32_t bootloader0;	/* 0 unknown */
	int channel;		/* the channel it runs, SQNS_CHANNEL_UNKNOWN if not known */
};

/* Why sqns_release_choose chose what it chose. */
enum sqns_choice_why {
	SQNS_CHOSE_NONE,
	SQNS_CHOSE_DIFF,	/* the differential image from the build the modem runs */
	SQNS_CHOSE_FULL,	/* the build is known and no differential image is from it */
	SQNS_CHOSE_FULL_UNREAD, /* the build cannot be read in this mode: the full image */
	SQNS_CHOSE_SWITCH,	/* the modem runs the other channel: the full image */
	SQNS_CHOSE_DIFF_ONLY,	/* no full image: the one differential image, whose base the
				   modem checks (its build could not be read) or refuses */
	SQNS_CHOSE_PARTS,	/* a two-part release: part 1, then part 2 */
	SQNS_CHOSE_CURRENT,	/* the modem runs the release's build: nothing to send */
};

/* The choice: member indices (-1: none). */
struct sqns_choice {
	enum sqns_choice_why why;
	int image;     /* the firmware (part 1 of a two-part release) */
	int part2;     /* part 2 */
	int updater;   /* updater.elf: the recovery method */
	int full;      /* the release's full image: what a differential image is smaller than */
	bool recovery; /* the recovery method: the modem is in recovery mode or its boot ROM is
			  the factory's (SQNS_FACTORY_BOOTLOADER0) */
	bool older;    /* the release's build is older than the one the modem runs */
};

/*
 * The decision, once for every face (command line, Python, page): from a
 * checked release (sum) and what detection found, the smallest image that
 * fits and the method. A differential image whose FROM is the running build,
 * else the full image; never a differential image when the build cannot be
 * read, unless the release has no full image and just one; both parts of a
 * two-part release; updater.elf when the modem is in recovery mode or its boot
 * ROM is the factory's; nothing when the modem already runs the build (and
 * channel). SQNS_OK, SQNS_ERR_REFUSED (*why: SQNS_REFUSE_NO_IMAGE_FITS) or
 * SQNS_ERR_ARG.
 */
SQNS_API int sqns_release_choose(const struct sqns_release_summary *sum,
				 const struct sqns_release *rel, const struct sqns_found *found,
				 struct sqns_choice *choice, enum sqns_refusal *why);

/* What sqns_upgrade found and will do; filled before the first change. */
struct sqns_plan {
	int mode;		/* the mode found */
	uint32_t rate;		/* the rate it answered at */
	uint32_t running_build; /* Software build from showver, 0 unknown */
	uint32_t bootloader0;	/* Bootloader0 build from showver, 0 unknown */
	struct sqns_image_info target;
	bool target_known;
	bool bootrom_step;  /* send the boot ROM, reboot into recovery */
	bool recovery_step; /* reboot into recovery without a boot ROM */
	bool updater_step;  /* negotiate, send updater.elf */
	bool fff;	    /* firmware by FFF, else ON_THE_FLY */
	bool resume;	    /* found in upgrade mode: no preparation */
	bool forced;	    /* a refusal was overridden by force */
	enum sqns_refusal overridden;
	bool bootrom_only;	      /* the firmware is current; only the boot ROM is sent (FFF) */
	int channel;		      /* enum sqns_channel the modem runs, from showver */
	uint32_t build_before;	      /* the Software build found before any change, 0 unknown */
	bool base_unknown;	      /* the image's base could not be checked (recovery mode) */
	struct sqns_image_info part2; /* part 2 of a two-part release, when opts->part2 */
	bool part2_step;	      /* part 2 follows part 1 in this run */
	bool part1_done;	      /* part 1 is in and verified (the intermediate build) */
	/* After the upgrade: */
	bool bootrom_again;	    /* the boot ROM was sent again, stored (reference step 4) */
	bool bootrom_pending;	    /* Bootloader0 still reads the factory build: run again with
				       the boot ROM file to finish */
	uint32_t bootloader0_after; /* Bootloader0 build read at the end, 0 unknown */
	/* A release (opts->release): what was chosen from it, and why. */
	bool from_release;
	struct sqns_choice choice;
};

/*
 * What the last flow found and did; every flow resets and fills it. The
 * caller reads it after a call and never writes it.
 */
struct sqns_result {
	enum sqns_stage stage;	   /* where the modem stands: what to tell the user */
	enum sqns_refusal refusal; /* why SQNS_ERR_REFUSED, else SQNS_REFUSE_NONE */
	struct sqns_plan plan;	   /* sqns_upgrade / sqns_prepare: found, planned, done */
	int mode;		   /* the last mode read, SQNS_MODE_UNKNOWN before */
	uint32_t rate;		   /* the rate the host port runs at now */
	/* SQNS_ERR_REJECTED: the modem's own report, as it gave it ("+SMUPGRADE: failure...") */
	char report[SQNS_REPORT_MAX];
	/* opts->release: its table of contents (problem: why SQNS_REFUSE_RELEASE). */
	struct sqns_release_summary release;
};

/*
 * The room a context reserves for the core's private state. Its layout is not
 * in this header: the core may change it within this size without changing
 * struct sqns_ctx for its callers (the core checks that it fits).
 */
#define SQNS_PRIV_SIZE 3072u

/*
 * One modem conversation, caller-allocated (Zephyr's convention: public for
 * allocation, not for writing): no heap. The caller gives everything to
 * sqns_init in a struct sqns_config, port included, and afterwards only reads
 * `cfg` (as sqns_init completed it, defaults filled in) and `res`; `priv` is
 * opaque room for the core.
 */
struct sqns_ctx {
	struct sqns_config cfg;
	struct sqns_result res;
	union {
		uint64_t align_u64;
		void *align_ptr;
		unsigned char room[SQNS_PRIV_SIZE];
	} priv;
};

/*
 * sizeof(struct sqns_ctx) as this library was built: a caller that mirrors
 * the structure (a binding in another language) checks it against its own.
 */
SQNS_API size_t sqns_ctx_size(void);

/*
 * SQNS_OK, or SQNS_ERR_ARG when ops or a required op is missing: read, write
 * and now_ms are required; set_rate may be NULL (a link whose rate is fixed:
 * anything that needs another rate then fails with SQNS_ERR_UNSUPPORTED).
 * A port op's negative result reaches the caller as SQNS_ERR_IO.
 */
SQNS_API int sqns_init(struct sqns_ctx *ctx, const struct sqns_config *cfg);

/* ---- AT channel ---- */

/*
 * Send one command (no line ending) and collect the answer lines until OK or
 * ERROR. Echo, blank lines, +SYSSTART/+SHUTDOWN and undecodable lines are
 * dropped. Lines go into resp separated by '\n' (truncated to resp_len - 1;
 * resp may be NULL). timeout_ms 0 uses timeouts.at_ms.
 * Returns SQNS_OK, SQNS_ERR_MODEM (ERROR), SQNS_ERR_TIMEOUT, SQNS_ERR_IO or
 * SQNS_ERR_ABORTED.
 */
SQNS_API int sqns_at(struct sqns_ctx *ctx, const char *cmd, char *resp, size_t resp_len,
		     uint32_t timeout_ms);

/*
 * Send AT until the modem answers OK, for at most timeout_ms (0: wake_ms).
 * Returns SQNS_OK, SQNS_ERR_NO_MODEM, SQNS_ERR_IO or SQNS_ERR_ABORTED.
 */
SQNS_API int sqns_wakeup(struct sqns_ctx *ctx, uint32_t timeout_ms);

/*
 * Wait for a line that starts with `prefix`, for at most timeout_ms; a TICK
 * event per second when phase >= 0. SQNS_OK, SQNS_ERR_TIMEOUT, SQNS_ERR_IO or
 * SQNS_ERR_ABORTED.
 */
SQNS_API int sqns_wait_line(struct sqns_ctx *ctx, const char *prefix, uint32_t timeout_ms,
			    int phase);

/* ---- modem queries ---- */

/* AT+SMOD? into *mode. SQNS_OK, an AT error, or SQNS_ERR_PROTOCOL (no number). */
SQNS_API int sqns_get_mode(struct sqns_ctx *ctx, int *mode);

/*
 * Find the modem within detect_ms, in rounds: AT at the configured rate, at
 * fast_baud when set, an STP RESET (a modem left in an interrupted transfer),
 * AT at 115200 (the recovery bootloader; needs set_rate), and in the first
 * round only the +++ escape of a data session. Then AT+BIND=AT, ATE0 and
 * AT+SMOD? into *mode. ctx->res.rate is the rate it answered at.
 */
SQNS_API int sqns_detect(struct sqns_ctx *ctx, int *mode);

/* AT!="showver" into buf (the SYSTEM VERSION block, '\n'-separated). */
SQNS_API int sqns_showver(struct sqns_ctx *ctx, char *buf, size_t len);

/* ATI1 into buf ('\n'-separated lines). */
SQNS_API int sqns_ati1(struct sqns_ctx *ctx, char *buf, size_t len);

/* AT+CGSN: the 15-digit IMEI into imei[16]. SQNS_ERR_PROTOCOL if not 15 digits. */
SQNS_API int sqns_imei(struct sqns_ctx *ctx, char imei[16]);

/* The build number of an ATI1 answer: digits after the last '-' of the LR line. */
SQNS_API bool sqns_parse_ati1_build(const char *ati1, uint32_t *build);

/*
 * From a showver block: the build of the first line that contains `name`
 * ("Bootloader0", "Software"), in either layout ("5.1.1.0 [38638] by ..." or
 * the older "BUILD5.1.1.0-33988 by ..."); false when absent or "NA".
 */
SQNS_API bool sqns_parse_showver_build(const char *showver, const char *name, uint32_t *build);

/* The channel the Software row's version says (5.x CAT-M1, 6.x NB-IoT); false if neither. */
SQNS_API bool sqns_parse_showver_channel(const char *showver, int *channel);

/* The channel of an ATI1 answer's LR line (LR5.x CAT-M1, LR6.x NB-IoT); false if neither. */
SQNS_API bool sqns_parse_ati1_channel(const char *ati1, int *channel);

/* ---- STP ---- */

/*
 * One STP transfer of img: RESET, OPEN_SESSION, blocks, closing RESET. The
 * modem must already be in STP (after AT+SMSTPU / AT+STP answered OK).
 * Returns SQNS_OK, SQNS_ERR_ARG (no image), SQNS_ERR_TIMEOUT, SQNS_ERR_PROTOCOL,
 * SQNS_ERR_IMAGE, SQNS_ERR_IO or SQNS_ERR_ABORTED.
 */
SQNS_API int sqns_stp_send(struct sqns_ctx *ctx, const struct sqns_image *img);

/*
 * The name of an STP operation, as an event's frame.op gives it (the
 * response bit aside): "RESET", "OPEN_SESSION", "TRANSFER_BLOCK_CMD" or
 * "TRANSFER_BLOCK"; "UNKNOWN" for anything else. Never NULL.
 */
SQNS_API const char *sqns_stp_op_name(unsigned op);

/* ---- flows ---- */

#define SQNS_FFF_MAX (4u * 1024u * 1024u)

/*
 * The build that AT!="showver" shows on the Bootloader0 line of a modem whose
 * boot ROM is still the factory's: a first upgrade must use the recovery
 * method and replace it (docs/protocol.md section 8).
 */
#define SQNS_FACTORY_BOOTLOADER0 33080u

struct sqns_upgrade_opts {
	const struct sqns_image *image;	  /* the firmware .dup */
	const struct sqns_image *updater; /* updater.elf: the recovery method; NULL otherwise */
	const struct sqns_image *bootrom; /* boot ROM, sent when Bootloader0 is the factory's */
	bool force;			  /* override the refusals marked (--force) */
	bool dry_run;			  /* detect and plan, then stop (SQNS_PHASE_PLAN) */
	bool fff;			  /* store first, apply later (AT+SMSTPU + AT+SMUPGRADE) */
	bool force_fff;			  /* keep FFF above SQNS_FFF_MAX */
	/*
	 * Part 2 of a two-part release when image is its part 1: sent in the
	 * same run, right after part 1 is verified (no power cycle between).
	 */
	const struct sqns_image *part2;
	/*
	 * A whole release instead of image, updater and part2 (which must then
	 * be NULL): after detection, sqns_release_choose picks the members and
	 * the flow opens them (res.plan.choice says which). The boot ROM still
	 * comes from `bootrom`: Pycom's archives do not hold it.
	 */
	const struct sqns_release *release;
};

/*
 * Checks that need the files only (run them before opening the port): the
 * firmware (and part 2) must not be recognisably something else (an ELF file,
 * a zip, gzip or tar archive, an HTML or text page, a boot ROM), updater.elf
 * must start with the ELF magic and the boot ROM with "UPGR".
 * SQNS_OK or SQNS_ERR_REFUSED with *why set; SQNS_ERR_IMAGE on read errors;
 * SQNS_ERR_ARG without an image.
 */
SQNS_API int sqns_check_images(const struct sqns_upgrade_opts *opts, enum sqns_refusal *why);

/*
 * The whole upgrade of a modem in any mode it can be found in (application,
 * upgrade, updater, recovery, mtools; docs/protocol.md section 6), ending with
 * the modem back in application mode. A modem found in upgrade or updater
 * mode is resumed: there is no flag for it, the mode decides. When showver is
 * not NULL it receives the last AT!="showver" block. ctx->res says what was
 * found, planned and done (stage: how far it got; plan; refusal).
 * Returns:
 *  SQNS_OK            upgraded and verified (SQNS_PHASE_VERIFIED when the file
 *                     name gives the build), or nothing to do (already on the
 *                     target build), or a dry run planned; res.plan.bootrom_pending
 *                     says the boot ROM still reads the factory build
 *  SQNS_ERR_ARG       no image, or an image without read()
 *  SQNS_ERR_REFUSED   a safety check refused before anything changed (res.refusal)
 *  SQNS_ERR_NO_MODEM  nothing answered AT within detect_ms
 *  SQNS_ERR_MODEM     a required command answered ERROR twice
 *  SQNS_ERR_TIMEOUT   the modem stopped answering (a reboot, an apply, an STP
 *                     exchange silent for stall_ms)
 *  SQNS_ERR_PROTOCOL  STP answers stayed invalid after SQNS_STP_RETRIES resends,
 *                     or AT+SMSWBOOT? named no boot target
 *  SQNS_ERR_STATE     after the negotiation the modem was not in recovery mode
 *  SQNS_ERR_REJECTED  the modem rejected the image (+SMUPGRADE: fail)
 *  SQNS_ERR_VERIFY    it now runs another build than the file name says
 *  SQNS_ERR_IMAGE     an image could not be read
 *  SQNS_ERR_IO        the port failed (unplugged)
 *  SQNS_ERR_ABORTED   should_abort answered true (an STP session is closed first)
 *  SQNS_ERR_UNSUPPORTED the port cannot change its rate and the flow needs it
 */
SQNS_API int sqns_upgrade(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts, char *showver,
			  size_t showver_len);

/*
 * Mirror mode's first half (sqnsupgrade.uart() of Pycom's instructions): bring
 * the modem to upgrade mode and stop, for a host that sends the firmware
 * later through a bridge. With opts->updater, by the recovery method (boot
 * ROM step when Bootloader0 is the factory's, then updater.elf); opts->image
 * is not used. Returns SQNS_OK with the modem in upgrade mode (or left in
 * mtools mode, where it was found and which takes an image too), or one of
 * sqns_upgrade's errors but SQNS_ERR_VERIFY and SQNS_ERR_REJECTED; ctx->res
 * as for sqns_upgrade.
 */
SQNS_API int sqns_prepare(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
