/* SPDX-License-Identifier: MIT */
/*
 * The web page's engine: libsqnsupgrade's core compiled to WebAssembly, with
 * the port, the images and the events in JavaScript (web/app.js).
 *
 * Reads with a timeout and image reads wait on JavaScript promises: they are
 * EM_ASYNC_JS imports, and Asyncify unwinds and rewinds the core's stack
 * around them, so the core runs unchanged on the page's main thread. One
 * upgrade at a time: the context and the images are this file's.
 *
 * JavaScript side (Module): port.read(len, timeout_ms) -> a Uint8Array, or 0
 * (time ran out) or < 0; port.write(Uint8Array) -> 0 or < 0; port.setRate(baud)
 * -> 0 or < 0; readImage(which, offset, len) -> a Uint8Array of len bytes or
 * null; onEvent(event object); shouldAbort() -> boolean. The copies between
 * the heap and JavaScript's arrays are made here.
 */
#include <emscripten.h>
#include <stdio.h>
#include <string.h>

#include "sqnsupgrade.h"
#include "sqnsupgrade_board.h"
#include "sqnsupgrade_words.h"
#include "sqnsweb.h"

enum { IMG_FIRMWARE, IMG_UPDATER, IMG_BOOTROM, IMG_COUNT };

/* A release archive's members (web/zip.js read its table of contents): at most this many. */
enum { MEMBERS_MAX = 256, MEMBER_NAMES = 32768 };

/* JavaScript bodies: clang-format would break their operators. */
// clang-format off
EM_ASYNC_JS(int, js_read, (uint8_t * buf, size_t len, uint32_t timeout_ms), {
	const r = await Module.port.read(len, timeout_ms);
	if (typeof r === "number")
		return r;
	HEAPU8.set(r, buf);
	return r.length;
});

EM_ASYNC_JS(int, js_write, (const uint8_t *buf, size_t len),
	    { return await Module.port.write(HEAPU8.slice(buf, buf + len)); });

EM_ASYNC_JS(int, js_set_rate, (uint32_t baud), { return await Module.port.setRate(baud); });

EM_JS(uint32_t, js_now_ms, (void), { return (performance.now() >>> 0); });

EM_ASYNC_JS(int, js_image_read, (int which, uint32_t offset, uint8_t *buf, size_t len), {
	const d = await Module.readImage(which, offset >>> 0, len);
	if (!d || d.length !== len)
		return -1;
	HEAPU8.set(d, buf);
	return 0;
});

/* Member `index` of the release made readable (inflated and checked by web/zip.js): 0 or < 0. */
EM_ASYNC_JS(int, js_member_open, (uint32_t index), {
	return await Module.openMember(index >>> 0);
});

EM_JS(void, js_event,
      (int type, int phase, int value, int err, uint32_t done, uint32_t total, const char *text,
       size_t len, int op, int sid, int flen, uint32_t tid),
      {
	      Module.onEvent({
		      type : type,
		      phase : phase,
		      value : value,
		      err : err,
		      done : done >>> 0,
		      total : total >>> 0,
		      text : text ? UTF8ToString(text, len) : "",
		      frame : {op : op, sid : sid, len : flen, tid : tid >>> 0}
	      });
      });

EM_JS(int, js_should_abort, (void), { return Module.shouldAbort() ? 1 : 0; });

EM_JS(void, js_board_event, (int type, const char *text, size_t len), {
	if (Module.onBoardEvent)
		Module.onBoardEvent({type : type, text : UTF8ToString(text, len)});
});
// clang-format on

static int port_read(void *port, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	(void)port;
	return js_read(buf, len, timeout_ms);
}

static int port_write(void *port, const uint8_t *buf, size_t len)
{
	(void)port;
	return js_write(buf, len);
}

static int port_set_rate(void *port, uint32_t baud)
{
	(void)port;
	return js_set_rate(baud);
}

static uint32_t port_now_ms(void *port)
{
	(void)port;
	return js_now_ms();
}

static const struct sqns_port_ops web_ops = {
    .read = port_read,
    .write = port_write,
    .set_rate = port_set_rate,
    .now_ms = port_now_ms,
};

/*
 * Behind a board's uart() mirror (the normal method), the modem is reached at
 * 921600 only: the mirror does not follow a rate change. Its port says so to
 * the core, which then refuses the recovery method before any change instead
 * of stranding the modem in recovery mode at 115200 (a release chooses the
 * method only after detection).
 */
static const struct sqns_port_ops mirror_ops = {
    .read = port_read,
    .write = port_write,
    .set_rate = NULL,
    .now_ms = port_now_ms,
};
static bool fixed_rate;

/* 1 before a run through a board's uart() mirror, 0 otherwise. */
EMSCRIPTEN_KEEPALIVE
void sqnsweb_set_fixed_rate(int fixed)
{
	fixed_rate = fixed != 0;
}

static int image_read(void *ctx, uint32_t offset, uint8_t *buf, size_t len)
{
	int which = (int)(intptr_t)ctx;
	return js_image_read(which, offset, buf, len) < 0 ? SQNS_ERR_IMAGE : SQNS_OK;
}

static void words_of(const struct sqns_event *ev);

static void on_event(void *user, const struct sqns_event *ev)
{
	(void)user;
	words_of(ev); /* the event's words, for sqnsweb_event_words() during onEvent */
	js_event((int)ev->type, (int)ev->phase, ev->value, ev->err, ev->done, ev->total, ev->text,
		 ev->len, ev->frame.op, ev->frame.sid, ev->frame.len, ev->frame.tid);
}

static bool should_abort(void *user)
{
	(void)user;
	return js_should_abort() != 0;
}

static void on_board_event(void *user, const struct sqns_board_event *ev)
{
	(void)user;
	if (ev->type == SQNS_BOARD_EV_LINE)
		js_board_event((int)ev->type, ev->data, ev->len);
}

static struct {
	struct sqns_ctx ctx;
	struct sqns_board board;
	char call[300];
	struct sqns_image img[IMG_COUNT];
	char names[IMG_COUNT][256];
	bool present[IMG_COUNT];
	char showver[2048];
	char json[2048];
	enum sqns_refusal file_refusal;
	uint32_t baud;		       /* the rate of the last run */
	char port_name[256];	       /* the port as the page names it */
	struct sqns_words_state words; /* what the words of events remember */
	char event_words[2048];	       /* the words of the event being delivered */
	unsigned event_flags;	       /* ... and their SQNS_WORDS_* flags */
	char text[16384];	       /* the last text of sqnsweb_words_* */
	/* A release archive (the firmware field took a .zip): its members, read through
	 * readImage as images IMG_COUNT + index. */
	bool has_release;
	bool ran_release; /* the last run was from the release (res.plan.choice says what) */
	char release_name[256];
	struct sqns_member members[MEMBERS_MAX];
	char member_names[MEMBER_NAMES];
	size_t names_used;
	struct sqns_release rel;
	struct sqns_release_summary summary; /* of sqnsweb_check */
} web;

/* ---- the words (src/words), for the page: it names its buttons ---- */

static struct sqns_words_how web_how(void)
{
	return (struct sqns_words_how){.style = SQNS_WORDS_PAGE, .port = web.port_name};
}

static struct sqns_words_files web_files(void)
{
	struct sqns_words_files f = {.baud = web.baud};
	if (web.present[IMG_FIRMWARE]) {
		f.firmware = web.names[IMG_FIRMWARE];
		f.firmware_size = web.img[IMG_FIRMWARE].size;
	}
	if (web.present[IMG_UPDATER]) {
		f.updater = web.names[IMG_UPDATER];
		f.updater_size = web.img[IMG_UPDATER].size;
	}
	if (web.present[IMG_BOOTROM]) {
		f.bootrom = web.names[IMG_BOOTROM];
		f.bootrom_size = web.img[IMG_BOOTROM].size;
	}
	if (web.has_release && web.ran_release)
		sqns_words_files_from_release(&web.ctx, &web.rel, web.release_name, &f);
	else if (web.has_release)
		f.release = web.release_name;
	return f;
}

static void words_of(const struct sqns_event *ev)
{
	struct sqns_words_how how = web_how();
	sqns_words_event(&web.words, &web.ctx, ev, &how, &web.event_flags, web.event_words,
			 sizeof web.event_words);
}

/* During onEvent: the event's words ("" for none) and their flags (SQNS_WORDS_*). */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_event_words(void)
{
	return web.event_words;
}

EMSCRIPTEN_KEEPALIVE
unsigned sqnsweb_event_flags(void)
{
	return web.event_flags;
}

/* How the page names the port in its words ("USB 04d8:f011 (Pycom expansion board)"). */
EMSCRIPTEN_KEEPALIVE
void sqnsweb_set_port_name(const char *name)
{
	snprintf(web.port_name, sizeof web.port_name, "%s", name ? name : "");
}

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_welcome(void)
{
	sqns_words_welcome(web.text, sizeof web.text);
	return web.text;
}

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_wait(int phase, int seconds)
{
	sqns_words_wait(phase, seconds, web.text, sizeof web.text);
	return web.text;
}

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_busy(int seconds)
{
	sqns_words_busy(seconds, web.text, sizeof web.text);
	return web.text;
}

/* The dry run's plan of the last run. */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_plan(void)
{
	struct sqns_words_how how = web_how();
	struct sqns_words_files f = web_files();
	sqns_words_plan(&web.ctx, &f, &how, web.text, sizeof web.text);
	return web.text;
}

/*
 * A refusal: of the last run (from_run: its plan, and the modem was seen), or
 * of the files alone (the target parsed from the firmware's name).
 */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_refusal(int why, int from_run)
{
	struct sqns_words_how how = web_how();
	struct sqns_words_files f = web_files();
	struct sqns_plan files_only = {0};
	if (!from_run)
		sqns_parse_image_name(web.names[IMG_FIRMWARE], &files_only.target);
	sqns_words_refusal((enum sqns_refusal)why, from_run ? &web.ctx.res.plan : &files_only,
			   from_run != 0, &f, &how, web.text, sizeof web.text);
	return web.text;
}

/* A failed run: err, the transfer's silence (ms), the port's own failure (or ""). */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_failure(int err, uint32_t silent_ms, const char *port_words)
{
	struct sqns_words_how how = web_how();
	struct sqns_words_files f = web_files();
	struct sqns_words_failure fail = {
	    .err = err, .silent_ms = silent_ms, .port_words = port_words};
	sqns_words_failure(&web.ctx, &fail, &f, &how, web.text, sizeof web.text);
	return web.text;
}

/* The closing lines of a successful run (the version block when showver). */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_result(int showver)
{
	struct sqns_words_how how = web_how();
	struct sqns_words_files f = web_files();
	sqns_words_result(&web.ctx, showver ? web.showver : "", &f, &how, web.text,
			  sizeof web.text);
	return web.text;
}

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_bootrom_pending(void)
{
	struct sqns_words_how how = web_how();
	struct sqns_words_files f = web_files();
	sqns_words_bootrom_pending(&web.ctx, &f, &how, web.text, sizeof web.text);
	return web.text;
}

/* Describe one of the user's files (which: 0 firmware, 1 updater, 2 boot ROM); size 0 removes it.
 */
EMSCRIPTEN_KEEPALIVE
void sqnsweb_set_image(int which, const char *name, uint32_t size)
{
	if (which < 0 || which >= IMG_COUNT)
		return;
	snprintf(web.names[which], sizeof web.names[which], "%s", name ? name : "");
	web.img[which] = (struct sqns_image){
	    .name = web.names[which],
	    .size = size,
	    .read = image_read,
	    .ctx = (void *)(intptr_t)which,
	};
	web.present[which] = size > 0;
}

/* ---- a release archive: its members, opened through web/zip.js ---- */

static int member_open(void *ctx, size_t index, struct sqns_image *img)
{
	(void)ctx;
	if (index >= web.rel.count || js_member_open((uint32_t)index) < 0)
		return SQNS_ERR_IMAGE;
	*img = (struct sqns_image){
	    .name = web.members[index].name,
	    .size = web.members[index].size,
	    .read = image_read,
	    .ctx = (void *)(intptr_t)(IMG_COUNT + (int)index),
	};
	return SQNS_OK;
}

/*
 * The firmware field took a release archive: its name and how many members
 * (0 and "" for none: the files are used as they are). SQNS_OK, or
 * SQNS_ERR_ARG when it has more members than the page keeps.
 */
EMSCRIPTEN_KEEPALIVE
int sqnsweb_set_release(const char *name, uint32_t count)
{
	web.has_release = false;
	web.ran_release = false;
	web.names_used = 0;
	web.rel = (struct sqns_release){.members = web.members, .open = member_open};
	if (!name || !*name)
		return SQNS_OK;
	if (count > MEMBERS_MAX)
		return SQNS_ERR_ARG;
	snprintf(web.release_name, sizeof web.release_name, "%s", name);
	web.has_release = true;
	return SQNS_OK;
}

/* Member i (in order, from 0) of the release: its name in the archive and its size unpacked. */
EMSCRIPTEN_KEEPALIVE
int sqnsweb_add_member(const char *name, uint32_t size)
{
	size_t n = strlen(name) + 1;
	if (!web.has_release || web.rel.count >= MEMBERS_MAX ||
	    n > sizeof web.member_names - web.names_used)
		return SQNS_ERR_ARG;
	char *at = web.member_names + web.names_used;
	memcpy(at, name, n);
	web.names_used += n;
	web.members[web.rel.count++] = (struct sqns_member){.name = at, .size = size};
	return SQNS_OK;
}

static struct sqns_upgrade_opts make_opts(int fff, int force, int dry_run)
{
	return (struct sqns_upgrade_opts){
	    .image = web.present[IMG_FIRMWARE] && !web.has_release ? &web.img[IMG_FIRMWARE] : NULL,
	    .updater = web.present[IMG_UPDATER] && !web.has_release ? &web.img[IMG_UPDATER] : NULL,
	    .bootrom = web.present[IMG_BOOTROM] ? &web.img[IMG_BOOTROM] : NULL,
	    .fff = fff != 0,
	    .force = force != 0,
	    .dry_run = dry_run != 0,
	    .release = web.has_release ? &web.rel : NULL,
	};
}

/*
 * A release's checks before the port is opened: sqns_release_check, then the
 * boot ROM as sqns_check_images checks it (with one of the release's images,
 * which the release check has already checked).
 */
static int check_release(struct sqns_upgrade_opts *opts)
{
	int r = sqns_release_check(&web.rel, &web.summary);
	if (r == SQNS_ERR_REFUSED)
		web.file_refusal = SQNS_REFUSE_RELEASE;
	if (r != SQNS_OK || !opts->bootrom)
		return r;
	const struct sqns_release_summary *s = &web.summary;
	int any = s->full >= 0 ? s->full : s->part1 >= 0 ? s->part1 : -1;
	for (size_t i = 0; any < 0 && i < web.rel.count; i++) {
		struct sqns_image_info info;
		if (sqns_parse_image_name(web.members[i].name, &info) && info.differential)
			any = (int)i;
	}
	struct sqns_image img;
	if (any < 0 || member_open(NULL, (size_t)any, &img) != SQNS_OK)
		return SQNS_ERR_IMAGE;
	opts->image = &img;
	opts->release = NULL;
	return sqns_check_images(opts, &web.file_refusal);
}

/*
 * The checks the files alone allow (sqns_check_images; for a release
 * sqns_release_check too), before the port is opened: SQNS_OK, or a negative
 * sqns_err with sqnsweb_file_refusal() set (SQNS_REFUSE_RELEASE:
 * sqnsweb_words_release_problem() says why).
 */
EMSCRIPTEN_KEEPALIVE
int sqnsweb_check(int fff, int force)
{
	struct sqns_upgrade_opts opts = make_opts(fff, force, 0);
	web.file_refusal = SQNS_REFUSE_NONE;
	web.ran_release = false;
	if (web.has_release)
		return check_release(&opts);
	return sqns_check_images(&opts, &web.file_refusal);
}

/* What sqnsweb_check (or, from a run, sqns_release_check) found wrong in the release. */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_release_problem(int from_run)
{
	sqns_words_release_problem(from_run ? &web.ctx.res.release : &web.summary, &web.rel,
				   web.release_name, web.text, sizeof web.text);
	return web.text;
}

/* From a release, after the run's plan: the member chosen and why, and the method. */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_words_choice(void)
{
	web.text[0] = '\0';
	if (web.ran_release && web.ctx.res.plan.from_release)
		sqns_words_choice(&web.ctx, &web.rel, web.release_name, web.baud, web.text,
				  sizeof web.text);
	return web.text;
}

EMSCRIPTEN_KEEPALIVE
int sqnsweb_file_refusal(void)
{
	return (int)web.file_refusal;
}

/* The whole upgrade (or its dry run) over the JavaScript port; an sqns_err. */
EMSCRIPTEN_KEEPALIVE
int sqnsweb_upgrade(int dry_run, int fff, int force, uint32_t baud, uint32_t stall_ms)
{
	struct sqns_config cfg = {
	    .ops = fixed_rate ? &mirror_ops : &web_ops,
	    .port = NULL,
	    .on_event = on_event,
	    .baud = baud,
	    .should_abort = should_abort,
	    .timeouts = {.stall_ms = stall_ms},
	};
	int r = sqns_init(&web.ctx, &cfg);
	if (r != SQNS_OK)
		return r;
	struct sqns_upgrade_opts opts = make_opts(fff, force, dry_run);
	web.showver[0] = '\0';
	web.baud = baud;
	web.words = (struct sqns_words_state){0};
	web.ran_release = web.has_release;
	return sqns_upgrade(&web.ctx, &opts, web.showver, sizeof web.showver);
}

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_strerror(int err)
{
	return sqns_strerror(err);
}

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_mode_name(int mode)
{
	return sqns_mode_name(mode);
}

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_showver(void)
{
	return web.showver;
}

/* The modem's own report when it refused the image (ctx.res.report). */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_report(void)
{
	return web.ctx.res.report;
}

/* What a file name says, as JSON: {"ok", "differential", "build", "from"}. */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_parse_name(const char *name)
{
	struct sqns_image_info info = {0};
	bool ok = sqns_parse_image_name(name, &info);
	snprintf(web.json, sizeof web.json,
		 "{\"ok\":%s,\"differential\":%s,\"build\":%u,\"from\":%u}", ok ? "true" : "false",
		 info.differential ? "true" : "false", info.build, info.from);
	return web.json;
}

/* ctx.res and ctx.cfg after the last sqnsweb_upgrade, as JSON. */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_result(void)
{
	const struct sqns_result *res = &web.ctx.res;
	const struct sqns_plan *p = &res->plan;
#define B(x) ((x) ? "true" : "false")
	snprintf(web.json, sizeof web.json,
		 "{\"stage\":%d,\"refusal\":%d,\"mode\":%d,\"rate\":%u,\"baud\":%u,"
		 "\"stall_ms\":%u,\"plan\":{\"mode\":%d,\"rate\":%u,\"running_build\":%u,"
		 "\"bootloader0\":%u,\"target\":{\"differential\":%s,\"build\":%u,\"from\":%u},"
		 "\"target_known\":%s,\"bootrom_step\":%s,\"recovery_step\":%s,\"updater_step\":%s,"
		 "\"fff\":%s,\"resume\":%s,\"forced\":%s,\"overridden\":%d,\"bootrom_only\":%s,"
		 "\"bootrom_again\":%s,\"bootrom_pending\":%s,\"bootloader0_after\":%u,"
		 "\"channel\":%d,\"base_unknown\":%s,\"part\":%u,\"leaves\":%u,"
		 "\"from_release\":%s,\"choice\":{\"why\":%d,\"image\":%d,\"part2\":%d,"
		 "\"updater\":%d,\"full\":%d,\"recovery\":%s,\"older\":%s}},"
		 "\"release\":{\"problem\":%d,\"member\":%d,\"other\":%d}}",
		 (int)res->stage, (int)res->refusal, res->mode, res->rate, web.ctx.cfg.baud,
		 web.ctx.cfg.timeouts.stall_ms, p->mode, p->rate, p->running_build, p->bootloader0,
		 B(p->target.differential), p->target.build, p->target.from, B(p->target_known),
		 B(p->bootrom_step), B(p->recovery_step), B(p->updater_step), B(p->fff),
		 B(p->resume), B(p->forced), (int)p->overridden, B(p->bootrom_only),
		 B(p->bootrom_again), B(p->bootrom_pending), p->bootloader0_after, p->channel,
		 B(p->base_unknown), (unsigned)p->target.part, p->target.leaves, B(p->from_release),
		 (int)p->choice.why, p->choice.image, p->choice.part2, p->choice.updater,
		 p->choice.full, B(p->choice.recovery), B(p->choice.older),
		 (int)res->release.problem, res->release.member, res->release.other);
#undef B
	return web.json;
}

/*
 * A Pycom board's REPL (sqnsupgrade_board.h) over the JavaScript port: the
 * page's words for its statuses are app.js's. Events: Module.onBoardEvent({type,
 * text}) for each line uart() prints.
 */
EMSCRIPTEN_KEEPALIVE
int sqnsweb_board_take(void)
{
	sqns_board_init(&web.board, &(struct sqns_board_config){
					.ops = &web_ops,
					.on_event = on_board_event,
					.should_abort = should_abort,
				    });
	return (int)sqns_board_take(&web.board);
}

EMSCRIPTEN_KEEPALIVE
int sqnsweb_board_mirror(int method)
{
	return (int)sqns_board_mirror(&web.board, (enum sqns_board_method)method, NULL);
}

EMSCRIPTEN_KEEPALIVE
int sqnsweb_board_release(void)
{
	return sqns_board_release(&web.board);
}

EMSCRIPTEN_KEEPALIVE
int sqnsweb_board_fault(void)
{
	return (int)web.board.fault;
}

/* The board's words: 0 sysname, 1 machine, 2 release, 3 why (an error's last line). */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_board_text(int which)
{
	const struct sqns_board *b = &web.board;
	const char *const t[] = {b->sysname, b->machine, b->release, b->why};
	return which >= 0 && which < 4 ? t[which] : "";
}

/* uart()'s call for a method (sqns_board_call), e.g. "sqnsupgrade.uart(True)". */
EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_board_call(int method)
{
	if (!sqns_board_call((enum sqns_board_method)method, NULL, web.call, sizeof web.call))
		web.call[0] = '\0';
	return web.call;
}

/*
 * The header's enums by name, as JSON, so that app.js follows the header:
 * {"phase": {"WAKEUP": 0, ...}, "ev": ..., "stage": ..., "refuse": ..., "err": ...}.
 */
struct named {
	const char *name;
	int value;
};

static const struct named phases[] = {
    {"WAKEUP", SQNS_PHASE_WAKEUP},
    {"REBOOT_UPGRADE", SQNS_PHASE_REBOOT_UPGRADE},
    {"RESUME", SQNS_PHASE_RESUME},
    {"FFF_TOO_BIG", SQNS_PHASE_FFF_TOO_BIG},
    {"STP_ON_THE_FLY", SQNS_PHASE_STP_ON_THE_FLY},
    {"STP_FFF", SQNS_PHASE_STP_FFF},
    {"DOWNLOAD_DONE", SQNS_PHASE_DOWNLOAD_DONE},
    {"APPLYING", SQNS_PHASE_APPLYING},
    {"RESETTING", SQNS_PHASE_RESETTING},
    {"COMPLETED", SQNS_PHASE_COMPLETED},
    {"STP_BOOTROM", SQNS_PHASE_STP_BOOTROM},
    {"BOOTROM_DONE", SQNS_PHASE_BOOTROM_DONE},
    {"NEGOTIATE", SQNS_PHASE_NEGOTIATE},
    {"UPDATER_DONE", SQNS_PHASE_UPDATER_DONE},
    {"PPP_ESCAPE", SQNS_PHASE_PPP_ESCAPE},
    {"STP_ABANDONED", SQNS_PHASE_STP_ABANDONED},
    {"FAST_LINK", SQNS_PHASE_FAST_LINK},
    {"PLAN", SQNS_PHASE_PLAN},
    {"ALREADY_CURRENT", SQNS_PHASE_ALREADY_CURRENT},
    {"VERIFIED", SQNS_PHASE_VERIFIED},
    {"STP_WAIT", SQNS_PHASE_STP_WAIT},
    {"FAST_LINK_LOST", SQNS_PHASE_FAST_LINK_LOST},
    {"CHECKING", SQNS_PHASE_CHECKING},
    {"BOOTROM_AGAIN", SQNS_PHASE_BOOTROM_AGAIN},
    {"BOOTROM_VERIFIED", SQNS_PHASE_BOOTROM_VERIFIED},
    {"BOOTROM_FACTORY", SQNS_PHASE_BOOTROM_FACTORY},
    {"BASE_UNKNOWN", SQNS_PHASE_BASE_UNKNOWN},
    {"PART1_ON_THE_FLY", SQNS_PHASE_PART1_ON_THE_FLY},
    {"PART1_DONE", SQNS_PHASE_PART1_DONE},
    {"REJECTED", SQNS_PHASE_REJECTED},
};

static const struct named evs[] = {
    {"PHASE", SQNS_EV_PHASE},	  {"PROGRESS", SQNS_EV_PROGRESS}, {"TICK", SQNS_EV_TICK},
    {"SESSION", SQNS_EV_SESSION}, {"RETRY", SQNS_EV_RETRY},	  {"AT_TX", SQNS_EV_AT_TX},
    {"AT_RX", SQNS_EV_AT_RX},	  {"STP_TX", SQNS_EV_STP_TX},	  {"STP_RX", SQNS_EV_STP_RX},
    {"RATE", SQNS_EV_RATE},
};

static const struct named stages[] = {
    {"UNTOUCHED", SQNS_STAGE_UNTOUCHED},     {"UPGRADE_MODE", SQNS_STAGE_UPGRADE_MODE},
    {"TRANSFERRED", SQNS_STAGE_TRANSFERRED}, {"DONE", SQNS_STAGE_DONE},
    {"RECOVERY", SQNS_STAGE_RECOVERY},
};

static const struct named refusals[] = {
    {"NONE", SQNS_REFUSE_NONE},
    {"UPDATER_NOT_ELF", SQNS_REFUSE_UPDATER_NOT_ELF},
    {"FIRMWARE_IS_ELF", SQNS_REFUSE_FIRMWARE_IS_ELF},
    {"DIFF_WITH_UPDATER", SQNS_REFUSE_DIFF_WITH_UPDATER},
    {"DIFF_WRONG_BASE", SQNS_REFUSE_DIFF_WRONG_BASE},
    {"FACTORY_BOOTROM", SQNS_REFUSE_FACTORY_BOOTROM},
    {"BOOTROM_MISSING", SQNS_REFUSE_BOOTROM_MISSING},
    {"RECOVERY_NO_UPDATER", SQNS_REFUSE_RECOVERY_NO_UPDATER},
    {"RECOVERY_DIFF", SQNS_REFUSE_RECOVERY_DIFF},
    {"MTOOLS_UPDATER", SQNS_REFUSE_MTOOLS_UPDATER},
    {"BOOTROM_NOT_UPGR", SQNS_REFUSE_BOOTROM_NOT_UPGR},
    {"FIRMWARE_IS_ZIP", SQNS_REFUSE_FIRMWARE_IS_ZIP},
    {"FIRMWARE_IS_COMPRESSED", SQNS_REFUSE_FIRMWARE_IS_COMPRESSED},
    {"FIRMWARE_IS_TAR", SQNS_REFUSE_FIRMWARE_IS_TAR},
    {"FIRMWARE_IS_HTML", SQNS_REFUSE_FIRMWARE_IS_HTML},
    {"FIRMWARE_IS_TEXT", SQNS_REFUSE_FIRMWARE_IS_TEXT},
    {"FIRMWARE_IS_BOOTROM", SQNS_REFUSE_FIRMWARE_IS_BOOTROM},
    {"PART2_WRONG_BASE", SQNS_REFUSE_PART2_WRONG_BASE},
    {"RELEASE", SQNS_REFUSE_RELEASE},
    {"NO_IMAGE_FITS", SQNS_REFUSE_NO_IMAGE_FITS},
};

static const struct named choices[] = {
    {"NONE", SQNS_CHOSE_NONE},	   {"DIFF", SQNS_CHOSE_DIFF},
    {"FULL", SQNS_CHOSE_FULL},	   {"FULL_UNREAD", SQNS_CHOSE_FULL_UNREAD},
    {"SWITCH", SQNS_CHOSE_SWITCH}, {"DIFF_ONLY", SQNS_CHOSE_DIFF_ONLY},
    {"PARTS", SQNS_CHOSE_PARTS},   {"CURRENT", SQNS_CHOSE_CURRENT},
};

static const struct named errs[] = {
    {"OK", SQNS_OK},
    {"ARG", SQNS_ERR_ARG},
    {"IO", SQNS_ERR_IO},
    {"TIMEOUT", SQNS_ERR_TIMEOUT},
    {"PROTOCOL", SQNS_ERR_PROTOCOL},
    {"MODEM", SQNS_ERR_MODEM},
    {"STATE", SQNS_ERR_STATE},
    {"REJECTED", SQNS_ERR_REJECTED},
    {"NO_MODEM", SQNS_ERR_NO_MODEM},
    {"UNSUPPORTED", SQNS_ERR_UNSUPPORTED},
    {"IMAGE", SQNS_ERR_IMAGE},
    {"ABORTED", SQNS_ERR_ABORTED},
    {"REFUSED", SQNS_ERR_REFUSED},
    {"VERIFY", SQNS_ERR_VERIFY},
};

static const struct named board_statuses[] = {
    {"OK", SQNS_BOARD_OK},
    {"IO", SQNS_BOARD_IO},
    {"ABORTED", SQNS_BOARD_ABORTED},
    {"NO_REPL", SQNS_BOARD_NO_REPL},
    {"NO_UNAME", SQNS_BOARD_NO_UNAME},
    {"NOT_MODEM", SQNS_BOARD_NOT_MODEM},
    {"BAD_PATH", SQNS_BOARD_BAD_PATH},
    {"NOT_TAKEN", SQNS_BOARD_NOT_TAKEN},
    {"UART_FAILED", SQNS_BOARD_UART_FAILED},
    {"UART_TIMEOUT", SQNS_BOARD_UART_TIMEOUT},
};

static const struct named board_faults[] = {
    {"OTHER", SQNS_BOARD_FAULT_OTHER},
    {"NO_FILE", SQNS_BOARD_FAULT_NO_FILE},
    {"NO_MODULE", SQNS_BOARD_FAULT_NO_MODULE},
    {"NO_MODEM", SQNS_BOARD_FAULT_NO_MODEM},
};

static const struct named board_methods[] = {
    {"NORMAL", SQNS_BOARD_NORMAL},
    {"RECOVERY", SQNS_BOARD_RECOVERY},
    {"RECOVERY_FLASH", SQNS_BOARD_RECOVERY_FLASH},
};

static const struct named board_numbers[] = {
    {"repl_rate", (int)SQNS_BOARD_REPL_RATE}, {"repl_tries", SQNS_BOARD_REPL_TRIES},
    {"repl_ms", (int)SQNS_BOARD_REPL_MS},     {"drain_ms", (int)SQNS_BOARD_DRAIN_MS},
    {"uart_ms", (int)SQNS_BOARD_UART_MS},     {"mirror_rate", (int)SQNS_APPLICATION_RATE},
};

static size_t put_table(char *buf, size_t pos, size_t cap, const char *key, const struct named *t,
			size_t n)
{
	pos += (size_t)snprintf(buf + pos, pos < cap ? cap - pos : 0, "%s\"%s\":{",
				pos > 1 ? "," : "", key);
	for (size_t i = 0; i < n; i++)
		pos += (size_t)snprintf(buf + pos, pos < cap ? cap - pos : 0, "%s\"%s\":%d",
					i ? "," : "", t[i].name, t[i].value);
	pos += (size_t)snprintf(buf + pos, pos < cap ? cap - pos : 0, "}");
	return pos;
}

#define TABLE(buf, pos, key, t) put_table(buf, pos, sizeof buf, key, t, sizeof t / sizeof t[0])

EMSCRIPTEN_KEEPALIVE
const char *sqnsweb_constants(void)
{
	static char buf[8192];
	size_t pos = (size_t)snprintf(buf, sizeof buf, "{");
	pos = TABLE(buf, pos, "phase", phases);
	pos = TABLE(buf, pos, "ev", evs);
	pos = TABLE(buf, pos, "stage", stages);
	pos = TABLE(buf, pos, "refuse", refusals);
	pos = TABLE(buf, pos, "chose", choices);
	pos = TABLE(buf, pos, "err", errs);
	pos = TABLE(buf, pos, "board", board_statuses);
	pos = TABLE(buf, pos, "fault", board_faults);
	pos = TABLE(buf, pos, "method", board_methods);
	pos = TABLE(buf, pos, "repl", board_numbers);
	pos += (size_t)snprintf(buf + pos, pos < sizeof buf ? sizeof buf - pos : 0,
				",\"factory_bootloader0\":%u,"
				"\"stp_retries\":%u,\"usb\":[",
				SQNS_FACTORY_BOOTLOADER0, SQNS_STP_RETRIES);
	/* Pycom's USB bridges, the library's table: [[vid, pid, "name"], ...]. */
	size_t n;
	const struct sqns_usb_id *usb = sqns_usb_ids(&n);
	for (size_t i = 0; i < n; i++)
		pos += (size_t)snprintf(buf + pos, pos < sizeof buf ? sizeof buf - pos : 0,
					"%s[%u,%u,\"%s\"]", i ? "," : "", usb[i].vid, usb[i].pid,
					usb[i].name);
	snprintf(buf + pos, pos < sizeof buf ? sizeof buf - pos : 0, "]}");
	return buf;
}
