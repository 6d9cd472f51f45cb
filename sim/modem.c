/*
 * What the modem does: boots, mode changes, the UART's rate, STP sessions and
 * what becomes of the images they carry.
 */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *const method_names[] = {
    [METHOD_FFF] = "FFF",
    [METHOD_ON_THE_FLY] = "ON_THE_FLY",
    [METHOD_STP] = "STP",
};

/* ---- timer ---- */

static void timer_set(struct sim *s, unsigned long ms, sim_action act)
{
	clock_gettime(CLOCK_MONOTONIC, &s->deadline);
	s->deadline.tv_sec += (time_t)(ms / 1000);
	s->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (s->deadline.tv_nsec >= 1000000000L) {
		s->deadline.tv_sec++;
		s->deadline.tv_nsec -= 1000000000L;
	}
	s->on_timer = act;
	s->timer_on = true;
}

long sim_timer_ms(const struct sim *s)
{
	struct timespec now;
	long long ms;

	if (!s->timer_on)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (s->deadline.tv_sec - now.tv_sec) * 1000LL +
	     (s->deadline.tv_nsec - now.tv_nsec + 999999L) / 1000000L;
	return ms > 0 ? (long)ms : 0;
}

void sim_timer(struct sim *s)
{
	sim_action act;

	if (!s->timer_on || sim_timer_ms(s) > 0)
		return;
	s->timer_on = false;
	act = s->on_timer;
	act(s);
}

/* ---- the UART ---- */

/* Compares the host's rate with the modem's; logs the start of a mismatch episode. */
static bool rate_ok(struct sim *s)
{
	unsigned long host = pty_host_rate(&s->pty);
	bool ok = host == s->listen_rate;
	struct ev e;

	if (!ok && !s->mismatch) {
		ev_begin(&e, "rate_mismatch");
		ev_int(&e, "host", (long long)host);
		ev_int(&e, "modem", (long long)s->listen_rate);
		ev_end(&s->log, &e);
	}
	s->mismatch = !ok;
	return ok;
}

void sim_emit(struct sim *s, const void *data, size_t len)
{
	if (s->cfg.silent || len == 0)
		return;
	if (rate_ok(s))
		pty_queue(&s->pty, data, len);
	else
		pty_queue_noise(&s->pty, len);
}

void sim_emit_str(struct sim *s, const char *str)
{
	sim_emit(s, str, strlen(str));
}

void sim_save(struct sim *s)
{
	struct ev e;

	if (state_save(&s->st, s->cfg.state_path) == 0)
		return;
	fprintf(stderr, "sqnsim: cannot save %s: %s\n", s->cfg.state_path, strerror(errno));
	ev_begin(&e, "error");
	ev_str(&e, "what", "state_save");
	ev_str(&e, "error", strerror(errno));
	ev_end(&s->log, &e);
}

/* ---- boot ---- */

static void boot_done(struct sim *s)
{
	struct ev e;

	ev_begin(&e, "boot");
	ev_int(&e, "mode", s->mode);
	ev_int(&e, "build", (long long)s->st.build);
	ev_end(&s->log, &e);
	s->echo = at_mode_echo(s->mode);
	s->phase = PH_AT;
	sim_emit_str(s, "\r\n+SYSSTART\r\n");
}

/* Silent for boot-ms, input discarded, then +SYSSTART. */
static void boot(struct sim *s)
{
	if (s->mode == 0)
		s->st.build = 0; /* recovery: no application firmware to run */
	s->phase = PH_BOOTING;
	s->echo = false;
	s->line_len = 0;
	s->line_overflow = false;
	s->listen_rate = at_mode_rate(s, s->mode);
	timer_set(s, s->cfg.boot_ms, boot_done);
}

static void log_mode(struct sim *s, int from, int to)
{
	struct ev e;

	ev_begin(&e, "mode");
	ev_int(&e, "from", from);
	ev_int(&e, "to", to);
	ev_end(&s->log, &e);
}

void sim_reboot(struct sim *s, int mode, bool shutdown_notice)
{
	if (shutdown_notice)
		sim_emit_str(s, "\r\n+SHUTDOWN\r\n");
	if (mode != s->mode)
		log_mode(s, s->mode, mode);
	if (s->mode == 2 && mode != 2)
		s->st.upgraded = false; /* a new upgrade begins */
	s->mode = mode;
	boot(s);
	sim_save(s);
}

void sim_power_on(struct sim *s)
{
	struct ev e;

	if (s->st.report == REPORT_ONGOING)
		s->st.report = REPORT_FAIL; /* power lost during a transfer or an apply */
	s->mode = s->st.mode;
	ev_begin(&e, "power_on");
	ev_int(&e, "mode", s->mode);
	ev_int(&e, "build", (long long)s->st.build);
	ev_end(&s->log, &e);
	boot(s);
	sim_save(s);
}

void sim_power_off(struct sim *s)
{
	struct ev e;

	ev_begin(&e, "power_off");
	ev_int(&e, "rx_bytes", (long long)s->rx_bytes);
	ev_end(&s->log, &e);
	sim_save(s);
}

/* ---- input ---- */

void sim_input(struct sim *s, const uint8_t *data, size_t len)
{
	if (s->cfg.silent || !rate_ok(s))
		return;
	while (len > 0) {
		size_t n = 0;

		if (s->phase == PH_AT)
			n = at_feed(s, data, len);
		else if (s->phase == PH_STP)
			n = stp_slave_feed(&s->stp, data, len);
		if (n == 0)
			return; /* booting or applying: discarded */
		data += n;
		len -= n;
	}
}

/* ---- upgrades ---- */

static bool image_applies(const struct sim *s, enum image_kind kind, unsigned long from)
{
	return kind == IMAGE_FULL || (kind == IMAGE_DIFF && from == s->st.build);
}

static void log_upgrade(struct sim *s, bool ok, const char *kind, unsigned long build)
{
	struct ev e;

	ev_begin(&e, "upgrade");
	ev_str(&e, "result", ok ? "success" : "fail");
	ev_str(&e, "kind", kind);
	ev_int(&e, "build", (long long)build);
	ev_end(&s->log, &e);
}

/* After the closing RESET of an ON_THE_FLY transfer and apply-ms of silence. */
static void otf_applied(struct sim *s)
{
	const struct image_desc *d = &s->rx.desc;
	bool complete = image_rx_complete(&s->rx);
	bool ok = complete && (image_applies(s, d->kind, d->from) || d->kind == IMAGE_BOOTROM);

	if (ok && d->kind == IMAGE_BOOTROM) {
		s->st.bootloader0 = d->build;
	} else if (ok) {
		s->st.build = d->build;
		s->st.upgraded = true;
		s->st.mode = 2; /* the next boot, however it comes, runs the new firmware */
	}
	s->st.report = ok ? REPORT_SUCCESS : REPORT_FAIL;
	sim_save(s);
	log_upgrade(s, ok, image_kind_name(d->kind),
		    d->kind == IMAGE_BOOTROM && ok ? s->st.bootloader0 : s->st.build);
	s->phase = PH_AT;
}

static void fff_applied(struct sim *s)
{
	const struct image_info *f = &s->st.fff;
	bool ok = s->st.fff_present && f->complete && f->bytes <= s->cfg.fff_capacity &&
		  image_applies(s, f->kind, f->from);

	if (ok)
		s->st.build = f->build;
	s->st.fff_present = false;
	s->st.report = ok ? REPORT_SUCCESS : REPORT_FAIL;
	sim_save(s);
	log_upgrade(s, ok, image_kind_name(f->kind), s->st.build);
	if (ok)
		sim_reboot(s, 2, false);
	else
		s->phase = PH_AT;
}

void sim_fff_apply(struct sim *s)
{
	s->st.report = REPORT_ONGOING;
	sim_save(s);
	s->phase = PH_APPLYING;
	timer_set(s, s->cfg.apply_ms, fff_applied);
}

/* ---- STP ---- */

static void image_info_of(const struct image_rx *rx, struct image_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = rx->tagged ? rx->desc.kind : IMAGE_UNKNOWN;
	info->build = rx->desc.build;
	info->from = rx->desc.from;
	info->bytes = rx->bytes;
	info->complete = image_rx_complete(rx);
	sha256_hex(&rx->sha, info->sha256);
}

static void log_image(struct sim *s, const struct image_info *info)
{
	struct ev e;

	ev_begin(&e, "image");
	ev_str(&e, "method", method_names[s->method]);
	ev_str(&e, "kind", image_kind_name(info->kind));
	ev_int(&e, "build", (long long)info->build);
	ev_int(&e, "from", (long long)info->from);
	ev_int(&e, "bytes", (long long)info->bytes);
	ev_str(&e, "sha256", info->sha256);
	ev_bool(&e, "complete", info->complete);
	if (s->rx.corrupt)
		ev_int(&e, "bad_at", (long long)s->rx.bad_at);
	ev_end(&s->log, &e);
}

/* The closing RESET has been answered. */
static void stp_finished(struct sim *s)
{
	struct image_info info;

	image_rx_finish(&s->rx);
	image_info_of(&s->rx, &info);
	log_image(s, &info);
	switch (s->method) {
	case METHOD_FFF:
		s->st.fff = info;
		s->st.fff_present = true;
		sim_save(s);
		s->phase = PH_AT;
		break;
	case METHOD_ON_THE_FLY:
		s->phase = PH_APPLYING;
		timer_set(s, s->cfg.apply_ms, otf_applied);
		break;
	case METHOD_STP:
		if (info.complete && info.kind == IMAGE_UPDATER)
			sim_reboot(s, 4, false); /* the updater runs from RAM: st.mode stays */
		else
			s->phase = PH_AT;
		break;
	}
}

static void cb_send(void *ctx, const uint8_t *frame, size_t len)
{
	sim_emit(ctx, frame, len);
}

static void cb_opened(void *ctx, unsigned max_transfer)
{
	struct sim *s = ctx;
	struct ev e;

	ev_begin(&e, "stp_open");
	ev_str(&e, "method", method_names[s->method]);
	ev_int(&e, "max_transfer", max_transfer);
	ev_end(&s->log, &e);
}

/* The first ON_THE_FLY block overwrites the old firmware. */
static void first_block(struct sim *s)
{
	if (s->method != METHOD_ON_THE_FLY)
		return;
	s->st.upgraded = false;
	s->st.report = REPORT_ONGOING;
	sim_save(s);
}

static uint16_t cb_block(void *ctx, const uint8_t *data, uint16_t len)
{
	struct sim *s = ctx;
	uint16_t residue = 0;

	if (s->blocks++ == 0)
		first_block(s);
	if (s->cfg.residue_every && s->blocks % s->cfg.residue_every == 0 && len > 16)
		residue = 16;
	image_rx_feed(&s->rx, data, (size_t)(len - residue));
	return residue;
}

static void cb_closed(void *ctx)
{
	stp_finished(ctx);
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
    .reject = cb_reject,
    .repeat = cb_repeat,
};

void sim_start_stp(struct sim *s, enum stp_method method, unsigned max_transfer)
{
	struct ev e;

	s->phase = PH_STP;
	s->method = method;
	s->blocks = 0;
	stp_slave_init(&s->stp, &stp_ops, s, max_transfer);
	image_rx_init(&s->rx);
	if (method == METHOD_FFF && s->st.fff_present) {
		s->st.fff_present = false; /* the store is rewritten */
		sim_save(s);
	}
	ev_begin(&e, "stp_start");
	ev_str(&e, "method", method_names[method]);
	ev_end(&s->log, &e);
}
