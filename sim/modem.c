/* SPDX-License-Identifier: MIT */
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
	/* Behind a board (--board), the modem's host is the board's UART. */
	unsigned long host = s->board ? board_modem_rate(s) : pty_host_rate(&s->pty);
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

/* The modem's UART output: to the host's pty, or to the board in front of it. */
static void uart_queue(struct sim *s, const uint8_t *p, size_t len)
{
	if (s->board)
		board_from_modem(s, p, len, false);
	else
		pty_queue(&s->pty, p, len);
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
			uart_queue(s, buf, n);
			n = 0;
		}
	}
}

void sim_emit(struct sim *s, const void *data, size_t len)
{
	if (s->cfg.silent || len == 0 || s->halt || s->phase == PH_HUNG)
		return;
	bool ok = rate_ok(s);

	if (!ok && s->board)
		board_from_modem(s, NULL, len, true);
	else if (!ok)
		pty_queue_noise(&s->pty, len);
	else if (faults_apply(s, false))
		emit_with_faults(s, data, len);
	else
		uart_queue(s, data, len);
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

static void fff_applied(struct sim *s);

static void boot_done(struct sim *s)
{
	struct ev e;

	ev_begin(&e, "boot");
	ev_int(&e, "mode", s->mode);
	ev_int(&e, "build", (long long)s->st.build);
	ev_int(&e, "ms", (long long)s->boot_ms);
	ev_end(&s->log, &e);
	s->echo = at_mode_echo(s->mode);
	s->phase = PH_AT;
	if (s->cfg.first_error)
		s->first_error = "boot"; /* the first command line after every boot */
	clock_gettime(CLOCK_MONOTONIC, &s->last_rx);
	if (s->fff_boot) {
		/* Up in mode 4 to apply the stored image: it answers meanwhile. */
		s->fff_boot = false;
		s->busy = BUSY_FFF;
		timer_start(s, TM_MODEM, s->cfg.apply_ms, fff_applied, true);
	}
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

/* Silent for ms, input discarded, then +SYSSTART. */
static void boot_for(struct sim *s, unsigned long ms)
{
	/*
	 * A boot into recovery runs no application, but erases none: the build
	 * in flash stays what a differential image sent after updater.elf
	 * applies to (real modems listed their builds after a half-finished
	 * recovery).
	 */
	s->phase = PH_BOOTING;
	s->busy = BUSY_NONE;
	s->echo = false;
	s->line_len = 0;
	s->line_overflow = false;
	s->listen_rate = at_mode_rate(s, s->mode);
	timer_stop(s, TM_BABBLE);
	s->boot_ms = ms;
	timer_start(s, TM_MODEM, ms, boot_done, true);
}

/* A boot takes boot-ms; every boot into recovery, power-on included, bootloader-ms. */
static void boot(struct sim *s)
{
	boot_for(s, s->mode == 0 ? s->cfg.bootloader_ms : s->cfg.boot_ms);
}

/* ms: the silence of the boot that starts. */
static void log_mode(struct sim *s, int from, int to, unsigned long ms)
{
	struct ev e;

	ev_begin(&e, "mode");
	ev_int(&e, "from", from);
	ev_int(&e, "to", to);
	ev_int(&e, "ms", (long long)ms);
	ev_end(&s->log, &e);
}

/* Reboots into mode, silent for ms. */
static void reboot_for(struct sim *s, int mode, bool shutdown_notice, unsigned long ms)
{
	if (shutdown_notice)
		sim_emit_str(s, "\r\n+SHUTDOWN\r\n");
	if (mode != s->mode)
		log_mode(s, s->mode, mode, ms);
	if (s->mode == 2 && mode != 2)
		s->st.upgraded = false; /* a new upgrade begins */
	if (mode == 2)
		s->st.keeps_old = false; /* the application runs again */
	s->mode = mode;
	boot_for(s, ms);
	sim_save(s);
}

void sim_reboot(struct sim *s, int mode, bool shutdown_notice)
{
	unsigned long ms = mode == 0 ? s->cfg.bootloader_ms : s->cfg.boot_ms;

	/* The end of an upgrade: the updater boots the new firmware (--app-boot-ms). */
	if (mode == 2 && (s->mode == 3 || s->mode == 4) && s->st.upgraded)
		ms = s->cfg.app_boot_ms;
	reboot_for(s, mode, shutdown_notice, ms);
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
	ev_str(&e, "channel", channel_name(s->st.channel));
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

/* --first-error: a byte after SIM_IDLE_MS without input starts an idle modem's first line. */
static void note_input(struct sim *s)
{
	if (s->phase == PH_AT && !s->first_error && sim_elapsed_ms(&s->last_rx) >= SIM_IDLE_MS)
		s->first_error = "idle";
	clock_gettime(CLOCK_MONOTONIC, &s->last_rx);
}

/* Byte by byte, so that faults, stalls and halts never depend on the chunking. */
size_t sim_input(struct sim *s, const uint8_t *data, size_t len)
{
	size_t used = 0;

	if (s->cfg.silent || s->phase == PH_HUNG || !rate_ok(s))
		return len;
	while (used < len && !s->held && !s->halt) {
		uint8_t b = data[used++];

		if (faults_apply(s, true) &&
		    faults_byte(&s->faults, &s->cfg.faults, true, &b, &s->log))
			continue;
		if (s->cfg.first_error)
			note_input(s);
		feed_byte(s, b);
	}
	return used;
}

/* ---- upgrades ---- */

/* How the modem judges a complete image. */
enum verdict {
	V_OK,
	V_FAIL,
	V_PATCH, /* a diff for another base build: "Patch didn't apply!" */
};

/*
 * Firmware (not a boot ROM) the running application build can take: a full
 * image (one with a `from`, the second part of a two-part release, only on
 * that build), or a diff from the running build.
 */
static enum verdict judge(const struct sim *s, enum image_kind kind, unsigned long from)
{
	if (kind == IMAGE_FULL)
		return from == 0 || from == s->st.build ? V_OK : V_FAIL;
	if (kind == IMAGE_DIFF)
		return from == s->st.build ? V_OK : V_PATCH;
	return V_FAIL;
}

static enum report report_of(enum verdict v)
{
	return v == V_OK ? REPORT_SUCCESS : v == V_PATCH ? REPORT_FAIL_PATCH : REPORT_FAIL;
}

/*
 * New application firmware in flash: the bootloaders are written too. A full
 * image brings its channel; a diff keeps the one there is.
 */
static void install(struct sim *s, const struct image_desc *d)
{
	s->st.build = d->build;
	s->st.factory = false;
	if (d->kind == IMAGE_FULL)
		s->st.channel = d->channel;
}

static void log_upgrade(struct sim *s, enum verdict v, const char *kind, unsigned long build)
{
	struct ev e;

	ev_begin(&e, "upgrade");
	ev_str(&e, "result", v == V_OK ? "success" : "fail");
	ev_str(&e, "kind", kind);
	ev_int(&e, "build", (long long)build);
	ev_str(&e, "channel", channel_name(s->st.channel));
	if (v == V_PATCH)
		ev_str(&e, "reason", "patch");
	ev_end(&s->log, &e);
}

/*
 * What an ON_THE_FLY image may be: in the updater (3, 4) a full image, a diff
 * from the running build or a boot ROM; in mtools (1) a full image or a boot
 * ROM. The application (2) never takes ON_THE_FLY.
 */
static enum verdict otf_verdict(const struct sim *s)
{
	const struct image_desc *d = &s->rx.desc;

	if (!image_rx_complete(&s->rx))
		return V_FAIL;
	if (d->kind == IMAGE_BOOTROM)
		return V_OK;
	if (s->mode == 1)
		return d->kind == IMAGE_FULL ? judge(s, d->kind, d->from) : V_FAIL;
	return judge(s, d->kind, d->from);
}

/*
 * After the closing RESET of an ON_THE_FLY transfer and apply-ms of silence
 * (or check-ms of checking, for an incomplete image).
 */
static void otf_applied(struct sim *s)
{
	const struct image_desc *d = &s->rx.desc;
	enum verdict v = otf_verdict(s);
	bool ok = v == V_OK;
	bool bootrom = ok && d->kind == IMAGE_BOOTROM;

	if (bootrom && !s->cfg.sticky_bootrom) {
		s->st.bootloader0 = d->build;
	} else if (ok && !bootrom) {
		install(s, d);
		s->st.upgraded = true;
		s->st.mode = 2; /* the next boot, however it comes, runs the new firmware */
	}
	/* --refusal-keeps-firmware: the patch was never applied, the old firmware is whole. */
	if (v == V_PATCH && s->cfg.refusal_keeps_firmware && s->st.build != 0)
		s->st.keeps_old = true;
	s->st.report = report_of(v);
	sim_save(s);
	log_upgrade(s, v, image_kind_name(d->kind), bootrom ? s->st.bootloader0 : s->st.build);
	if (ok && !bootrom && s->mode == 1)
		sim_reboot(s, 2, false); /* mtools boots the firmware it wrote */
	else
		s->phase = PH_AT;
}

/* Mode 1: a complete full image is written and the application booted. */
static void mtools_applied(struct sim *s)
{
	const struct image_desc *d = &s->rx.desc;
	enum verdict v = image_rx_complete(&s->rx) && d->kind == IMAGE_FULL
			     ? judge(s, d->kind, d->from)
			     : V_FAIL;

	if (v == V_OK) {
		install(s, d);
		s->st.mode = 2;
	}
	s->st.report = report_of(v);
	sim_save(s);
	log_upgrade(s, v, image_kind_name(d->kind), s->st.build);
	if (v == V_OK)
		sim_reboot(s, 2, false);
	else
		s->phase = PH_AT;
}

/*
 * The stored image has been applied in mode 4 (apply-ms after its boot): the
 * modem reboots into the application with the result. A boot ROM sets
 * Bootloader0 and leaves the application build as it was.
 */
static void fff_applied(struct sim *s)
{
	const struct image_info *f = &s->st.fff;
	bool bootrom = f->kind == IMAGE_BOOTROM;
	enum verdict v = V_FAIL;

	if (s->st.fff_present && f->complete && f->bytes <= s->cfg.fff_capacity)
		v = bootrom ? V_OK : judge(s, f->kind, f->from);
	if (v == V_OK && bootrom) {
		s->st.bootloader0 = f->build;
	} else if (v == V_OK) {
		struct image_desc d = {.kind = f->kind, .build = f->build, .channel = f->channel};

		install(s, &d);
	}
	s->st.fff_present = false;
	s->st.report = report_of(v);
	s->busy = BUSY_NONE;
	sim_save(s);
	log_upgrade(s, v, image_kind_name(f->kind),
		    v == V_OK && bootrom ? s->st.bootloader0 : s->st.build);
	sim_reboot(s, 2, false);
}

/*
 * AT+SMUPGRADE answered OK: the modem reboots into mode 4, applies the stored
 * image there for apply-ms after +SYSSTART (AT+SMUPGRADE? says on-going), then
 * reboots into mode 2. The flash keeps mode 2 as the boot target throughout,
 * so a power cut meanwhile comes back in the application on the old build,
 * with report fail and the image still stored.
 */
void sim_fff_apply(struct sim *s)
{
	s->st.report = REPORT_ONGOING;
	sim_save(s);
	s->fff_boot = true;
	sim_reboot(s, 4, true);
}

static void log_check(struct sim *s, const char *state)
{
	struct ev e;

	ev_begin(&e, "check");
	ev_str(&e, "state", state);
	if (strcmp(state, "start") == 0) {
		ev_str(&e, "method", stp_method_name(s->method));
		ev_int(&e, "bytes", (long long)s->rx.bytes);
	}
	ev_end(&s->log, &e);
}

/* check-ms after an incomplete ON_THE_FLY/mtools image: the report becomes fail. */
static void check_done(struct sim *s)
{
	log_check(s, "done");
	s->busy = BUSY_NONE;
	if (s->method == METHOD_MTOOLS)
		mtools_applied(s);
	else
		otf_applied(s);
}

/*
 * The host closed a session whose image is incomplete (it was interrupted):
 * the modem answers AT while it checks what it got, but refuses to start
 * anything new until the check is over.
 */
static void check_start(struct sim *s)
{
	log_check(s, "start");
	s->st.report = REPORT_ONGOING;
	sim_save(s);
	s->phase = PH_AT;
	s->busy = BUSY_CHECK;
	timer_start(s, TM_MODEM, s->cfg.check_ms, check_done, true);
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
	case METHOD_MTOOLS:
		if (!info->complete) {
			check_start(s);
			break;
		}
		s->phase = PH_APPLYING;
		timer_start(s, TM_MODEM, s->cfg.apply_ms,
			    s->method == METHOD_MTOOLS ? mtools_applied : otf_applied, true);
		break;
	case METHOD_STP:
		/* The updater runs from RAM (st.mode stays); it starts in --updater-ms. */
		if (info->complete && info->kind == IMAGE_UPDATER)
			reboot_for(s, 4, false, s->cfg.updater_ms);
		else
			s->phase = PH_AT;
		break;
	}
}
