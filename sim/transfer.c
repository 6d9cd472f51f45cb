/* SPDX-License-Identifier: MIT */
/*
 * STP sessions from the modem's side: what arrives in them, and the faults
 * that strike them (dropped requests, corrupted responses and signatures,
 * flash stalls, a power cut, a vanished USB link, a hang), plus picking a
 * session up again after the link came back.
 */
#include "sim.h"

#include <string.h>

static void log_image(struct sim *s, const struct image_info *info)
{
	struct ev e;

	ev_begin(&e, "image");
	ev_str(&e, "method", stp_method_name(s->method));
	ev_str(&e, "kind", image_kind_name(info->kind));
	ev_int(&e, "build", (long long)info->build);
	ev_int(&e, "from", (long long)info->from);
	ev_int(&e, "bytes", (long long)info->bytes);
	ev_str(&e, "sha256", info->sha256);
	ev_bool(&e, "complete", info->complete);
	ev_str(&e, "channel", channel_name(info->channel));
	if (s->rx.corrupt)
		ev_int(&e, "bad_at", (long long)s->rx.bad_at);
	ev_end(&s->log, &e);
}

static void image_info_of(const struct image_rx *rx, struct image_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = rx->tagged ? rx->desc.kind : IMAGE_UNKNOWN;
	info->build = rx->desc.build;
	info->from = rx->desc.from;
	info->bytes = rx->bytes;
	info->complete = image_rx_complete(rx);
	info->channel = rx->desc.channel;
	sha256_hex(&rx->sha, info->sha256);
}

static void log_fault_frame(struct sim *s, const char *kind, unsigned long n, unsigned op,
			    uint32_t tid)
{
	struct ev e;

	ev_begin(&e, "fault");
	ev_str(&e, "kind", kind);
	ev_int(&e, "n", (long long)n);
	ev_int(&e, "op", op);
	ev_int(&e, "tid", tid);
	ev_end(&s->log, &e);
}

/* ---- what the session sees ---- */

/* --corrupt-signature N, --corrupt-signature-every N: does the Nth response get one? */
static bool signature_hit(const struct fault_config *c, unsigned long n)
{
	return n == c->corrupt_signature ||
	       (c->corrupt_signature_every && n % c->corrupt_signature_every == 0);
}

static void cb_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct sim *s = ctx;
	const struct fault_config *c = &s->cfg.faults;
	unsigned long n;
	uint8_t out[STP_SLAVE_RESP_MAX];

	if (s->phase == PH_HUNG || len > sizeof(out))
		return; /* a hung modem answers nothing, ever */
	n = ++s->faults.responses;
	/* The stored answer stays correct: only the bytes on the wire are bad. */
	memcpy(out, frame, len);
	if (n == c->corrupt_response) {
		out[12] ^= (uint8_t)(1 + faults_rand(&s->faults) % 255);
		log_fault_frame(s, "corrupt_response", n, frame[4], stp_get32(frame + 8));
	}
	if (signature_hit(c, n)) {
		out[faults_rand(&s->faults) % 4] ^= (uint8_t)(1 + faults_rand(&s->faults) % 255);
		log_fault_frame(s, "corrupt_signature", n, frame[4], stp_get32(frame + 8));
	}
	sim_emit(s, out, len);
	sim_hold(s, s->cfg.latency_ms);
}

static bool cb_accept(void *ctx, const struct stp_header *h)
{
	struct sim *s = ctx;
	unsigned long n = ++s->faults.requests;

	if (n != s->cfg.faults.drop_request)
		return true;
	log_fault_frame(s, "drop_request", n, h->op, h->tid);
	return false;
}

static void cb_opened(void *ctx, unsigned max_transfer)
{
	struct sim *s = ctx;
	struct ev e;

	ev_begin(&e, "stp_open");
	ev_str(&e, "method", stp_method_name(s->method));
	ev_int(&e, "max_transfer", max_transfer);
	ev_end(&s->log, &e);
}

/*
 * The first block overwrites: ON_THE_FLY the old firmware (from now on an
 * interrupted upgrade boots into the updater), mtools the whole flash.
 */
static void first_block(struct sim *s)
{
	if (s->method != METHOD_ON_THE_FLY && s->method != METHOD_MTOOLS)
		return;
	s->st.upgraded = false;
	s->st.keeps_old = false;
	s->st.report = REPORT_ONGOING;
	if (s->method == METHOD_ON_THE_FLY && (s->mode == 3 || s->mode == 4))
		s->st.mode = s->mode;
	sim_save(s);
}

/* Flash erases and commits near given percentages of the image (--stall-at). */
static void check_stalls(struct sim *s)
{
	const struct fault_config *c = &s->cfg.faults;

	if (!s->rx.tagged || s->method == METHOD_STP)
		return;
	for (size_t i = 0; i < c->n_stalls; i++) {
		struct ev e;

		if (s->stall_done[i] || s->rx.bytes * 100 < c->stalls[i].pct * s->rx.desc.size)
			continue;
		s->stall_done[i] = true;
		ev_begin(&e, "stall");
		ev_int(&e, "at", (long long)s->rx.bytes);
		ev_int(&e, "ms", (long long)c->stalls[i].ms);
		ev_end(&s->log, &e);
		sim_hold(s, c->stalls[i].ms);
	}
}

static void log_halt(struct sim *s, const char *ev, unsigned long long at)
{
	struct ev e;

	ev_begin(&e, ev);
	ev_int(&e, "at", (long long)at);
	ev_end(&s->log, &e);
}

/*
 * --hang-at: the modem stops for good. The block is not answered, nothing is
 * emitted any more and input is discarded, but the pty stays open.
 */
static void hang(struct sim *s, uint16_t len)
{
	unsigned long long at = s->cfg.faults.hang_at;
	struct ev e;

	ev_begin(&e, "fault");
	ev_str(&e, "kind", "hang");
	ev_int(&e, "at", (long long)at);
	ev_int(&e, "bytes", (long long)(s->rx.bytes + len));
	ev_int(&e, "tid", s->stp.h.tid);
	ev_end(&s->log, &e);
	log_halt(s, "hang", at);
	s->phase = PH_HUNG;
	s->busy = BUSY_NONE;
	timer_stop(s, TM_MODEM);
	timer_stop(s, TM_BABBLE);
}

/*
 * --fff-stuck: the store's file system is read-only. The first block of a
 * stored-method session is never written nor answered, and the modem answers
 * nothing more until a power cycle (input discarded).
 */
static void fff_stuck(struct sim *s, uint16_t len)
{
	struct ev e;

	ev_begin(&e, "fff_stuck");
	ev_int(&e, "tid", s->stp.h.tid);
	ev_int(&e, "block", len);
	ev_end(&s->log, &e);
	s->phase = PH_HUNG;
	s->busy = BUSY_NONE;
	timer_stop(s, TM_MODEM);
	timer_stop(s, TM_BABBLE);
}

static uint16_t cb_block(void *ctx, const uint8_t *data, uint16_t len)
{
	struct sim *s = ctx;
	const struct fault_config *c = &s->cfg.faults;
	uint16_t residue = 0;

	if (s->method == METHOD_FFF && s->cfg.fff_stuck) {
		fff_stuck(s, len);
		return 0;
	}
	if (s->blocks++ == 0)
		first_block(s);
	if (c->power_cut_at && s->rx.bytes + len >= c->power_cut_at) {
		log_halt(s, "power_cut", c->power_cut_at); /* before the block is written */
		s->halt = HALT_POWER_CUT;
		return 0;
	}
	if (c->hang_at && s->rx.bytes + len >= c->hang_at) {
		hang(s, len);
		return 0;
	}
	if (s->cfg.residue_every && s->blocks % s->cfg.residue_every == 0 && len > 16)
		residue = 16;
	image_rx_feed(&s->rx, data, (size_t)(len - residue));
	check_stalls(s);
	if (c->vanish_at && s->rx.bytes >= c->vanish_at) {
		log_halt(s, "vanish", c->vanish_at); /* the answer goes into a cable no more */
		s->halt = HALT_VANISH;
	}
	return residue;
}

/* The closing RESET has been answered. */
static void cb_closed(void *ctx)
{
	struct sim *s = ctx;
	struct image_info info;

	image_rx_finish(&s->rx);
	image_info_of(&s->rx, &info);
	log_image(s, &info);
	sim_stp_finished(s, &info);
}

/* RESET(0, 0) in a session that had carried data: the image starts again from nothing. */
static void cb_restarted(void *ctx)
{
	struct sim *s = ctx;
	struct ev e;

	ev_begin(&e, "stp_restart");
	ev_int(&e, "bytes", (long long)s->rx.bytes);
	ev_end(&s->log, &e);
	image_rx_init(&s->rx);
	s->blocks = 0;
	memset(s->stall_done, 0, sizeof(s->stall_done));
}

static void cb_reject(void *ctx, const char *reason, unsigned long detail)
{
	struct sim *s = ctx;
	struct ev e;

	ev_begin(&e, "stp_reject");
	ev_str(&e, "reason", reason);
	ev_int(&e, "value", (long long)detail);
	ev_end(&s->log, &e);
}

static void cb_repeat(void *ctx, unsigned op, uint32_t tid)
{
	struct sim *s = ctx;
	struct ev e;

	ev_begin(&e, "stp_repeat");
	ev_int(&e, "op", op);
	ev_int(&e, "tid", tid);
	ev_end(&s->log, &e);
}

static const struct stp_slave_ops stp_ops = {
    .send = cb_send,
    .opened = cb_opened,
    .block = cb_block,
    .closed = cb_closed,
    .restarted = cb_restarted,
    .reject = cb_reject,
    .repeat = cb_repeat,
    .accept = cb_accept,
};

void sim_start_stp(struct sim *s, enum stp_method method, unsigned max_transfer)
{
	struct ev e;

	s->phase = PH_STP;
	s->method = method;
	s->blocks = 0;
	memset(s->stall_done, 0, sizeof(s->stall_done));
	stp_slave_init(&s->stp, &stp_ops, s, max_transfer);
	image_rx_init(&s->rx);
	if (method == METHOD_FFF && s->st.fff_present) {
		s->st.fff_present = false; /* the store is rewritten */
		sim_save(s);
	}
	ev_begin(&e, "stp_start");
	ev_str(&e, "method", stp_method_name(method));
	ev_end(&s->log, &e);
}

/* ---- a link that vanished and came back ---- */

static void snapshot(struct sim *s)
{
	struct xfer_snapshot *x = &s->st.xfer;

	memset(x, 0, sizeof(*x));
	x->present = true;
	x->method = s->method;
	x->mode = s->mode;
	x->rate = s->listen_rate;
	x->max_transfer = s->stp.max_transfer;
	x->next_tid = stp_slave_next_tid(&s->stp);
	x->blocks = s->blocks;
	x->bytes = s->rx.bytes;
	x->tagged = s->rx.tagged;
	x->desc = s->rx.desc;
	x->corrupt = s->rx.corrupt;
	x->bad_at = s->rx.bad_at;
}

void transfer_halt(struct sim *s)
{
	if (s->halt == HALT_VANISH)
		snapshot(s); /* the modem runs on; a restart finds it here */
	/* A power cut leaves the flash as it is: report on-going becomes fail at power-on. */
	sim_save(s);
}

/* Stall points the image had passed before the link vanished do not strike again. */
static void mark_passed_stalls(struct sim *s)
{
	const struct fault_config *c = &s->cfg.faults;

	for (size_t i = 0; i < c->n_stalls; i++)
		s->stall_done[i] =
		    s->rx.tagged && s->rx.bytes * 100 >= c->stalls[i].pct * s->rx.desc.size;
}

bool transfer_resume(struct sim *s)
{
	struct xfer_snapshot *x = &s->st.xfer;
	struct ev e;

	if (!x->present)
		return false;
	s->mode = x->mode;
	s->listen_rate = x->rate;
	s->phase = PH_STP;
	s->method = x->method;
	s->blocks = x->blocks;
	stp_slave_resume(&s->stp, &stp_ops, s, x->max_transfer, (uint32_t)x->next_tid);
	image_rx_restore(&s->rx, &x->desc, x->tagged, x->bytes, x->corrupt, x->bad_at);
	mark_passed_stalls(s);
	ev_begin(&e, "resume");
	ev_int(&e, "mode", s->mode);
	ev_str(&e, "method", stp_method_name(s->method));
	ev_int(&e, "bytes", (long long)x->bytes);
	ev_end(&s->log, &e);
	x->present = false;
	sim_save(s);
	return true;
}
