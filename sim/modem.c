/*
 * What the modem does: boots, mode changes, the UART's rate and byte faults,
 * and what becomes of the images STP sessions carry.
 */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- the UART ---- */

/*
 * Compares the host's rate with the modem's, and both with what the cable
 * carries (--line-max); logs the start of a mismatch episode.
 */
static bool rate_ok(struct sim *s)
{
	unsigned long host = pty_host_rate(&s->pty);
	bool same = host == s->listen_rate;
	bool ok = same && (s->cfg.line_max == 0 || host <= s->cfg.line_max);
	struct ev e;

	if (!ok && !s->mismatch) {
		ev_begin(&e, same ? "line_noise" : "rate_mismatch");
		ev_int(&e, "host", (long long)host);
		ev_int(&e, "modem", (long long)s->listen_rate);
		ev_end(&s->log, &e);
	}
	s->mismatch = !ok;
	return ok;
}

/* Byte faults strike while the port speaks STP, or always with --faults-in all. */
static bool faults_apply(const struct sim *s, bool rx)
{
	return faults_byte_active(&s->cfg.faults, rx) &&
	       (s->cfg.faults.everywhere || s->phase == PH_STP);
}

static void emit_with_faults(struct sim *s, const uint8_t *p, size_t len)
{
	uint8_t buf[256];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t b = p[i];

		if (!faults_byte(&s->faults, &s->cfg.faults, false, &b, &s->log))
			buf[n++] = b;
		if (n == sizeof(buf) || i + 1 == len) {
			pty_queue(&s->pty, buf, n);
			n = 0;
		}
	}
}

void sim_emit(struct sim *s, const void *data, size_t len)
{
	if (s->cfg.silent || len == 0 || s->halt)
		return;
	if (!rate_ok(s))
		pty_queue_noise(&s->pty, len);
	else if (faults_apply(s, false))
		emit_with_faults(s, data, len);
	else
		pty_queue(&s->pty, data, len);
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
	if (s->cfg.faults.babble == BABBLE_FLOOD) {
		babble_stream(s);
		return;
	}
	sim_emit_str(s, "\r\n+SYSSTART\r\n");
	if (s->st.ppp && s->mode == 2) {
		ppp_enter(s);
	} else if (s->st.ppp) {
		s->st.ppp = false; /* only the application runs a data session */
		sim_save(s);
	}
}

/*
 * Silent for boot-ms, input discarded, then +SYSSTART. Every boot into
 * recovery, power-on included, waits bootloader-ms instead.
 */
static void boot(struct sim *s)
{
	unsigned long ms = s->mode == 0 ? s->cfg.bootloader_ms : s->cfg.boot_ms;

	if (s->mode == 0)
		s->st.build = 0; /* recovery: no application firmware to run */
	s->phase = PH_BOOTING;
	s->echo = false;
	s->line_len = 0;
	s->line_overflow = false;
	s->listen_rate = at_mode_rate(s, s->mode);
	timer_stop(s, TM_BABBLE);
	timer_start(s, TM_MODEM, ms, boot_done, true);
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

	if (transfer_resume(s))
		return; /* the modem never lost power: it is still in its session */
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
	ev_int(&e, "imposed_ms", (long long)s->imposed_ms);
	ev_end(&s->log, &e);
	sim_save(s);
}

/* ---- input ---- */

static void feed_byte(struct sim *s, uint8_t b)
{
	switch (s->phase) {
	case PH_AT:
		at_feed(s, &b, 1);
		break;
	case PH_STP:
		stp_slave_feed(&s->stp, &b, 1);
		break;
	case PH_PPP:
		ppp_feed(s, b);
		break;
	default:
		break; /* booting, applying, babbling: discarded */
	}
}

/* Byte by byte, so that faults, stalls and halts never depend on the chunking. */
size_t sim_input(struct sim *s, const uint8_t *data, size_t len)
{
	size_t used = 0;

	if (s->cfg.silent || !rate_ok(s))
		return len;
	while (used < len && !s->held && !s->halt) {
		uint8_t b = data[used++];

		if (faults_apply(s, true) &&
		    faults_byte(&s->faults, &s->cfg.faults, true, &b, &s->log))
			continue;
		feed_byte(s, b);
	}
	return used;
}

/* ---- upgrades ---- */

static bool image_applies(const struct sim *s, enum image_kind kind, unsigned long from)
{
	return kind == IMAGE_FULL || (kind == IMAGE_DIFF && from == s->st.build);
}

/* New application firmware in flash: the bootloaders are written too. */
static void install(struct sim *s, unsigned long build)
{
	s->st.build = build;
	s->st.factory = false;
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

/*
 * A boot ROM applies anywhere; the application writes nothing else over
 * ON_THE_FLY (it would run from what it overwrites).
 */
static bool otf_ok(const struct sim *s)
{
	const struct image_desc *d = &s->rx.desc;

	if (!image_rx_complete(&s->rx))
		return false;
	if (d->kind == IMAGE_BOOTROM)
		return true;
	return s->mode != 2 && image_applies(s, d->kind, d->from);
}

/* After the closing RESET of an ON_THE_FLY transfer and apply-ms of silence. */
static void otf_applied(struct sim *s)
{
	const struct image_desc *d = &s->rx.desc;
	bool ok = otf_ok(s);

	if (ok && d->kind == IMAGE_BOOTROM) {
		s->st.bootloader0 = d->build;
	} else if (ok) {
		install(s, d->build);
		s->st.upgraded = true;
		s->st.mode = 2; /* the next boot, however it comes, runs the new firmware */
	}
	s->st.report = ok ? REPORT_SUCCESS : REPORT_FAIL;
	sim_save(s);
	log_upgrade(s, ok, image_kind_name(d->kind),
		    d->kind == IMAGE_BOOTROM && ok ? s->st.bootloader0 : s->st.build);
	s->phase = PH_AT;
}

/* Mode 1: a complete full image is written and the application booted. */
static void mtools_applied(struct sim *s)
{
	const struct image_desc *d = &s->rx.desc;
	bool ok = image_rx_complete(&s->rx) && d->kind == IMAGE_FULL;

	if (ok) {
		install(s, d->build);
		s->st.mode = 2;
	}
	s->st.report = ok ? REPORT_SUCCESS : REPORT_FAIL;
	sim_save(s);
	log_upgrade(s, ok, image_kind_name(d->kind), s->st.build);
	if (ok)
		sim_reboot(s, 2, false);
	else
		s->phase = PH_AT;
}

static void fff_applied(struct sim *s)
{
	const struct image_info *f = &s->st.fff;
	bool ok = s->st.fff_present && f->complete && f->bytes <= s->cfg.fff_capacity &&
		  image_applies(s, f->kind, f->from);

	if (ok)
		install(s, f->build);
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
	timer_start(s, TM_MODEM, s->cfg.apply_ms, fff_applied, true);
}

void sim_stp_finished(struct sim *s, const struct image_info *info)
{
	switch (s->method) {
	case METHOD_FFF:
		s->st.fff = *info;
		s->st.fff_present = true;
		sim_save(s);
		s->phase = PH_AT;
		break;
	case METHOD_ON_THE_FLY:
		s->phase = PH_APPLYING;
		timer_start(s, TM_MODEM, s->cfg.apply_ms, otf_applied, true);
		break;
	case METHOD_MTOOLS:
		s->phase = PH_APPLYING;
		timer_start(s, TM_MODEM, s->cfg.apply_ms, mtools_applied, true);
		break;
	case METHOD_STP:
		if (info->complete && info->kind == IMAGE_UPDATER)
			sim_reboot(s, 4, false); /* the updater runs from RAM: st.mode stays */
		else
			s->phase = PH_AT;
		break;
	}
}
