/* SPDX-License-Identifier: MIT */
/*
 * libsqnsupgrade's words: what the core reports (events, plans, refusals,
 * failures, results), turned into the sentences the user reads. The command
 * line, the Python module and the web page all print these, so that the
 * three say the same thing; where the command line names a command to run,
 * Python names a call and the page its buttons (struct sqns_words_how).
 *
 * Portable C like the core: no OS call, no heap, no stdio. Every function
 * writes into a buffer the caller owns, in the style of snprintf: the text
 * is NUL-terminated (truncated to len - 1 when longer) and the return value
 * is the length of the whole text. Lines end with '\n', the last one too,
 * unless a flag says that the line stays open.
 *
 * Not part of the embedded core (cmake/core_sources.cmake): a board that
 * prints nothing does not carry it.
 */
#ifndef SQNSUPGRADE_WORDS_H
#define SQNSUPGRADE_WORDS_H

#include "sqnsupgrade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Who reads: how a command, an option and the program itself are named. */
enum sqns_words_style {
	SQNS_WORDS_CLI,	   /* sqnsupgrade -p PORT run FILE, --force */
	SQNS_WORDS_PYTHON, /* sqnsupgrade.run('PORT', 'FILE'), force=True */
	SQNS_WORDS_PAGE,   /* the web page: its buttons and boxes */
};

struct sqns_words_how {
	enum sqns_words_style style;
	const char *port; /* the port as the user named it (NULL: "PORT") */
	/*
	 * SQNS_WORDS_CLI: quote one word of a command line for the user's
	 * shell into out (NUL-terminated); NULL: words go as they are.
	 */
	void (*quote)(char *out, size_t len, const char *word);
};

/* The files of a run, as the user gave them (paths; NULL: not given), and their sizes. */
struct sqns_words_files {
	const char *firmware, *updater, *bootrom, *part2;
	uint32_t firmware_size, updater_size, bootrom_size, part2_size;
	/*
	 * The release file beside the firmware that fits the modem (the caller
	 * looked in its folder), for a refusal or a rejection; NULL: none.
	 */
	const char *fitting;
	uint32_t baud; /* the rate asked for (the plan's estimate, "no modem at") */
	/*
	 * The release (archive or folder) the files were chosen from, as the user
	 * named it; NULL: none. Commands then name it instead of the files: the
	 * core chooses again where the modem stands.
	 */
	const char *release;
};

/* What a caller keeps between events for sqns_words_event; zero it before a run. */
struct sqns_words_state {
	bool fff;     /* the transfer under way stores its image (FFF) */
	bool planned; /* SQNS_PHASE_PLAN was seen: a dry run shows the plan */
};

/* Flags of sqns_words_event's text. */
#define SQNS_WORDS_ERR 1u     /* for the error stream (warnings, refusals of a rate) */
#define SQNS_WORDS_OPEN 2u    /* the line stays open (no '\n': dots follow) */
#define SQNS_WORDS_VERBOSE 4u /* said only when the user asked for more (-v) */

/* The transcript's first line: "<<< Welcome to the SQN3330 firmware updater >>>\n". */
SQNS_API int sqns_words_welcome(char *buf, size_t len);

/*
 * The transcript's words for one event (phases, the STP session, retries),
 * with the values it needs from ctx->res; empty for events that say nothing
 * (progress, ticks and the wire: the caller draws the bar and the hints).
 * *flags (may be NULL) receives SQNS_WORDS_* for the text.
 */
SQNS_API int sqns_words_event(struct sqns_words_state *st, const struct sqns_ctx *ctx,
			      const struct sqns_event *ev, const struct sqns_words_how *how,
			      unsigned *flags, char *buf, size_t len);

/*
 * The hint of a long AT wait (a TICK of `phase` after `seconds`):
 * "Loading the updater: no answer yet after 10 s, which is normal...".
 */
SQNS_API int sqns_words_wait(int phase, int seconds, char *buf, size_t len);

/*
 * A silent modem during a transfer: seconds 0 for the first hint ("The modem
 * is busy (it erases or commits flash...)"), else the reminder after seconds.
 */
SQNS_API int sqns_words_busy(int seconds, char *buf, size_t len);

/* The dry run's plan, from ctx->res.plan (after SQNS_PHASE_PLAN). */
SQNS_API int sqns_words_plan(const struct sqns_ctx *ctx, const struct sqns_words_files *files,
			     const struct sqns_words_how *how, char *buf, size_t len);

/*
 * Why a run was refused (no "sqnsupgrade: " before it), from plan (the core's,
 * or one with target parsed from the name when only the files were checked);
 * modem_seen adds that nothing was changed on the modem.
 */
SQNS_API int sqns_words_refusal(enum sqns_refusal why, const struct sqns_plan *plan,
				bool modem_seen, const struct sqns_words_files *files,
				const struct sqns_words_how *how, char *buf, size_t len);

/* What a failed run leaves and what finishes the job. */
struct sqns_words_failure {
	int err;		/* what sqns_upgrade returned */
	uint32_t silent_ms;	/* a transfer's silence when it ended (0: none) */
	const char *port_words; /* the port's own failure (OS words), a line, or NULL */
};

/*
 * A failed upgrade: the error, the modem's state (ctx->res.stage) and the
 * command that finishes the job.
 */
SQNS_API int sqns_words_failure(const struct sqns_ctx *ctx, const struct sqns_words_failure *fail,
				const struct sqns_words_files *files,
				const struct sqns_words_how *how, char *buf, size_t len);

/* "no modem answered AT on PORT at BAUD baud. Check the port...": no prefix. */
SQNS_API int sqns_words_no_modem(const struct sqns_words_how *how, uint32_t baud, char *buf,
				 size_t len);

/*
 * The closing lines of a successful run: when the upgrade was done, the
 * version block (showver) and the verdict (verified, part 1 in, the build
 * reported); then the boot ROM verified. For the transcript.
 */
SQNS_API int sqns_words_result(const struct sqns_ctx *ctx, const char *showver,
			       const struct sqns_words_files *files,
			       const struct sqns_words_how *how, char *buf, size_t len);

/* After a successful run: the boot ROM step still to do (a warning), or empty. */
SQNS_API int sqns_words_bootrom_pending(const struct sqns_ctx *ctx,
					const struct sqns_words_files *files,
					const struct sqns_words_how *how, char *buf, size_t len);

/*
 * From a release (ctx->res.plan.from_release, after SQNS_PHASE_PLAN): the
 * member chosen and why, in one line, with what a differential image saves
 * against the full image at `baud` ("From CATM1-39529.zip: the modem runs
 * build 38638, so upgdiff_38638-to-39529.dup (452 KB) instead of
 * CATM1-39529.dup (5.9 MB): about 60 s less"), and the method. release_name:
 * the archive or folder as the user named it.
 */
SQNS_API int sqns_words_choice(const struct sqns_ctx *ctx, const struct sqns_release *rel,
			       const char *release_name, uint32_t baud, char *buf, size_t len);

/*
 * The files chosen from a release (ctx->res.plan.choice), into f for the
 * other words: firmware, updater and part 2 with their names in the release
 * and sizes, and f->release = release_name. The boot ROM, `fitting` and the
 * rate are left as the caller set them.
 */
SQNS_API void sqns_words_files_from_release(const struct sqns_ctx *ctx,
					    const struct sqns_release *rel,
					    const char *release_name, struct sqns_words_files *f);

/*
 * A release sqns_release_check refused (sum->problem): one line (no prefix)
 * saying what was found in it and what to do.
 */
SQNS_API int sqns_words_release_problem(const struct sqns_release_summary *sum,
					const struct sqns_release *rel, const char *release_name,
					char *buf, size_t len);

/* The USB bridges of Pycom's boards (the Expansion Board's, the Pysense's...). */
struct sqns_usb_id {
	uint16_t vid, pid;
	const char *name;
};

/* The table of Pycom's USB ids: *n receives its length. */
SQNS_API const struct sqns_usb_id *sqns_usb_ids(size_t *n);

#ifdef __cplusplus
}
#endif

#endif
