/* SPDX-License-Identifier: MIT */
/* Private to the core: shared by at.c, stp.c, modem.c and upgrade.c. */
#ifndef SQNS_INTERNAL_H
#define SQNS_INTERNAL_H

#include "sqnsupgrade.h"

/* The core's working state, in the room struct sqns_ctx reserves for it (priv). */
struct sqns_ctx_private {
	uint8_t rx[SQNS_RX_BUF];
	size_t rx_pos, rx_len;
	char line[SQNS_LINE_MAX + 1];
	size_t line_len;
	bool line_overflow;
	bool sysstart; /* +SYSSTART seen since it was last cleared */
	bool closing;  /* sending the closing RESET: should_abort is not asked */
	uint32_t tid;
	uint16_t max_transfer;
	int tick_phase;	       /* the phase of the running wait, -1 none */
	uint32_t tick_origin;  /* when that wait began (now_ms) */
	uint32_t tick_seconds; /* TICKs emitted for it */
	uint8_t frame[16 + SQNS_STP_MAX_BLOCK];
};

_Static_assert(sizeof(struct sqns_ctx_private) <= SQNS_PRIV_SIZE,
	       "struct sqns_ctx_private outgrew the room struct sqns_ctx reserves for it");

/* The core's state inside a context. */
static inline struct sqns_ctx_private *sqns_priv(struct sqns_ctx *ctx)
{
	return (struct sqns_ctx_private *)(void *)ctx->priv.room;
}

/* One monotonic deadline, wrap-safe. */
static inline uint32_t sqns_now(struct sqns_ctx *ctx)
{
	return ctx->cfg.ops->now_ms(ctx->cfg.port);
}
static inline uint32_t deadline_in(struct sqns_ctx *ctx, uint32_t ms)
{
	return sqns_now(ctx) + ms;
}
/* Milliseconds left before `end`, 0 once it has passed. */
static inline uint32_t deadline_left(struct sqns_ctx *ctx, uint32_t end)
{
	int32_t left = (int32_t)(end - sqns_now(ctx));
	return left > 0 ? (uint32_t)left : 0;
}

void sqns_emit(struct sqns_ctx *ctx, const struct sqns_event *ev);
void sqns_emit_phase(struct sqns_ctx *ctx, enum sqns_phase phase);
bool sqns_aborted(struct sqns_ctx *ctx);

/*
 * The next received byte, waiting until `end`. Returns 1 with *b set, 0 when
 * the deadline passed, or a negative sqns_err.
 */
int sqns_rx_byte(struct sqns_ctx *ctx, uint8_t *b, uint32_t end);

/* Discard buffered and pending input until the line has been quiet for quiet_ms. */
int sqns_drain(struct sqns_ctx *ctx, uint32_t quiet_ms);

int sqns_tx(struct sqns_ctx *ctx, const uint8_t *buf, size_t len);

/* Finish a line into ctx->priv.line: 1 when one is there, 0 at the deadline, < 0 on error. */
int sqns_read_line(struct sqns_ctx *ctx, uint32_t end);

/* sqns_wakeup, with a TICK event per second of waiting when phase >= 0. */
int sqns_wakeup_ticking(struct sqns_ctx *ctx, uint32_t timeout_ms, int phase);

/* Switch the host's rate (no-op when already there); drains input. */
int sqns_set_rate(struct sqns_ctx *ctx, uint32_t rate);

/*
 * Is the modem stuck in an STP session (its host vanished mid-transfer)? Send
 * a RESET; SQNS_OK when it answers, which also ends that session.
 */
int sqns_stp_probe(struct sqns_ctx *ctx, uint32_t timeout_ms);

/*
 * The checks of updater.elf (ELF magic) and the boot ROM ("UPGR" magic) of
 * sqns_check_images, for flows that take no firmware image (sqns_prepare).
 */
int sqns_check_helpers(const struct sqns_upgrade_opts *opts, enum sqns_refusal *why);

/* A firmware image that is recognisably something else: SQNS_ERR_REFUSED with *why (images.c). */
int sqns_check_firmware_kind(const struct sqns_image *img, enum sqns_refusal *why);

/* Whether img starts with the 4 bytes of magic (*yes); SQNS_ERR_IMAGE if it cannot be read. */
int sqns_has_magic(const struct sqns_image *img, const char magic[4], bool *yes);
extern const char SQNS_ELF_MAGIC[4];

/* Case-sensitive helpers; the core has no <string.h> dependency on purpose. */
size_t sqns_strlen(const char *s);
bool sqns_starts_with(const char *s, const char *prefix);
bool sqns_contains(const char *s, const char *needle);
bool sqns_streq(const char *a, const char *b);

#endif
