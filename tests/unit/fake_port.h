/* SPDX-License-Identifier: MIT */
/*
 * A scripted fake port for the core's unit tests (style.md item 9).
 *
 * The script is a list of steps run in order:
 *  - expect-write: the exact bytes the core must write next. A write may be
 *    split over several write() calls and one write() may cover several
 *    consecutive expect-write steps; any other byte fails the test at once.
 *  - reply: bytes that become readable once every step before it is done,
 *    optionally after a virtual delay (counted from the later of "now" and
 *    the previous reply's arrival, so delays of consecutive replies add up).
 *  - read error / write error: the next read / write fails with SQNS_ERR_IO.
 *
 * Time is virtual: now_ms returns fp->now, which only moves when a read has to
 * wait (for a delayed reply, or for its whole timeout when nothing is due in
 * time). Nothing ever sleeps. Reads return at most max_chunk bytes, so every
 * reader of the core is fed in small pieces.
 */
#ifndef FAKE_PORT_H
#define FAKE_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sqnsupgrade.h"

enum fp_kind {
	FP_WRITE,
	FP_REPLY,
	FP_READ_ERROR,
	FP_WRITE_ERROR,
};

struct fp_step {
	enum fp_kind kind;
	uint8_t *data;
	size_t len;
	uint32_t delay;
	/* run time */
	size_t pos;
	uint32_t at;	  /* when a released reply becomes readable */
	uint32_t done_at; /* when an expect-write step was completed */
};

struct fake_port {
	struct fp_step *steps;
	size_t n, cap;
	size_t cur;  /* the next step not yet done (write) or released (reply) */
	size_t *rxq; /* released replies / read errors, as step indices */
	size_t nrx, rxcap, rxhead;
	uint32_t now;
	uint32_t last_at;
	uint32_t now_step; /* added to the clock on every now_ms call (default 0) */
	bool sink;	   /* writes past the end of the script are accepted (recorded) */
	size_t max_chunk;
	uint8_t *written;
	size_t wlen, wcap;
	uint32_t rates[16];
	size_t nrates;
	int set_rate_result;
	size_t reads, writes, now_calls;
	size_t idle_polls; /* zero-timeout reads in a row that found nothing */
};

extern const struct sqns_port_ops fake_port_ops;

/* A fresh port: clock at `start`, reads of at most max_chunk bytes. */
struct fake_port *fp_new(uint32_t start, size_t max_chunk);
void fp_free(struct fake_port *fp);

/* Script building. */
void fp_expect(struct fake_port *fp, const void *data, size_t len);
void fp_expect_str(struct fake_port *fp, const char *s);
/* An AT command line as the core writes it: cmd followed by "\r\n". */
void fp_expect_cmd(struct fake_port *fp, const char *cmd);
void fp_reply(struct fake_port *fp, const void *data, size_t len);
void fp_reply_str(struct fake_port *fp, const char *s);
void fp_reply_after(struct fake_port *fp, uint32_t delay_ms, const void *data, size_t len);
void fp_reply_str_after(struct fake_port *fp, uint32_t delay_ms, const char *s);
void fp_read_error(struct fake_port *fp);
void fp_write_error(struct fake_port *fp);

/* STP helpers: a request the core must send, a response the modem gives. */
void fp_expect_stp(struct fake_port *fp, uint8_t op, uint8_t sid, uint32_t tid,
		   const uint8_t *payload, uint16_t len);
void fp_reply_stp(struct fake_port *fp, uint8_t op, uint8_t sid, uint32_t tid,
		  const uint8_t *payload, uint16_t len);
/*
 * A whole clean session for an image (data NULL: zeros): RESET, OPEN_SESSION
 * answered with max_transfer, full blocks of min(max_transfer - 16, 2016)
 * all consumed, an answered closing RESET.
 */
void fp_script_stp_session(struct fake_port *fp, const uint8_t *data, uint32_t size,
			   uint16_t max_transfer);
/* Build a response frame (header + payload) into out; returns its length. */
size_t fp_build_stp(uint8_t *out, uint32_t signature, uint8_t op, uint8_t sid, uint32_t tid,
		    const uint8_t *payload, uint16_t len);

/* The index the next scripted step will get (to find it again: steps[i].done_at). */
size_t fp_next_step(const struct fake_port *fp);

/* Every step done and every scripted reply byte read (if all_read). */
void fp_assert_done(struct fake_port *fp, bool all_read);
/* How many scripted steps are left (for diagnostics). */
size_t fp_steps_left(const struct fake_port *fp);

/* A config for this port with small timeouts; on_event records into an ev_log. */
struct ev_log;
void fp_config(struct sqns_config *cfg, struct fake_port *fp, struct ev_log *log);

/* ---- event recording ---- */

struct ev_rec {
	struct sqns_event ev;
	char text[256]; /* a NUL-terminated copy of ev.text */
};

struct ev_log {
	struct ev_rec *recs;
	size_t n, cap;
};

void ev_log_init(struct ev_log *log);
void ev_log_free(struct ev_log *log);
void ev_log_record(void *user, const struct sqns_event *ev);
size_t ev_log_count(const struct ev_log *log, enum sqns_event_type type);

/* ---- an in-memory image ---- */

struct mem_image {
	const uint8_t *data; /* NULL: an image of zeros */
	uint32_t size;
	size_t reads;
	int fail_at_read; /* > 0: the n-th read fails with SQNS_ERR_IMAGE */
};

void mem_image_init(struct sqns_image *img, struct mem_image *mi, const uint8_t *data,
		    uint32_t size);

/* A pattern that differs at every offset of a transfer (not 256-periodic). */
void fill_pattern(uint8_t *buf, size_t len, uint32_t seed);

/* ---- the fixture the flow tests share ---- */

/*
 * A scripted port (clock at start, reads of at most chunk bytes), its event
 * log, and a config on both (fp_config); the caller adjusts cfg and calls
 * sqns_init. fp_fixture_close frees what fp_fixture_open made.
 */
void fp_fixture_open(struct fake_port **fp, struct ev_log *log, struct sqns_config *cfg,
		     uint32_t start, size_t chunk);
void fp_fixture_close(struct fake_port *fp, struct ev_log *log);

#endif
