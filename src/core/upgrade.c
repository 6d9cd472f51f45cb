/*
 * The upgrade flows of sqn3330.md section 6. The AT dialogues are tables; the
 * code between them only waits on the modem (reboots, apply, +SYSSTART).
 */
#include "internal.h"

#define POLL_LINE_MS 1000u /* between two status polls: wait on the line, not a sleep */

enum step_flags {
	STEP_OPTIONAL = 1, /* an ERROR answer is tolerated */
};

struct at_step {
	const char *cmd;
	unsigned flags;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Application mode, after sqns_detect, before any transfer (ON_THE_FLY and FFF alike). */
static const struct at_step prepare_steps[] = {
    {"AT+SQNSUPGRADENTF=\"started\"", STEP_OPTIONAL},
    {"AT+SQNWL=\"sqndcc\",2", STEP_OPTIONAL},
    {"AT+CFUN=4", 0},
};

/* Older firmware refuses AT+SMSWBOOT=3,1: set the boot target, then reset. */
static const struct at_step reboot_upgrade_fallback[] = {
    {"AT+SMSWBOOT=3,0", 0},
    {"AT^RESET", 0},
};

/* Upgrade mode, right before the transfer. */
static const struct at_step upgrade_mode_steps[] = {
    {"ATE0", STEP_OPTIONAL},
    {"AT+CFUN=4", STEP_OPTIONAL},
};

/* Back in application mode after the upgrade. */
static const struct at_step finish_steps[] = {
    {"ATE0", STEP_OPTIONAL},
    {"AT+SQNSUPGRADENTF=\"success\"", STEP_OPTIONAL},
};

static int run_steps(struct sqns_ctx *ctx, const struct at_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = sqns_at(ctx, steps[i].cmd, NULL, 0, 0);
		if (r == SQNS_ERR_MODEM && (steps[i].flags & STEP_OPTIONAL))
			continue;
		if (r != SQNS_OK)
			return r;
	}
	return SQNS_OK;
}

/*
 * Wait until the modem answers AT and reports `want` (after a reboot that
 * may not have started yet when its OK arrived). Until `end`.
 */
static int wait_for_mode(struct sqns_ctx *ctx, int want, uint32_t end, enum sqns_phase phase)
{
	for (;;) {
		uint32_t left = deadline_left(ctx, end);
		if (left == 0)
			return SQNS_ERR_TIMEOUT;
		int r = sqns_wakeup_ticking(ctx, left, (int)phase);
		if (r == SQNS_ERR_NO_MODEM)
			return SQNS_ERR_TIMEOUT;
		if (r != SQNS_OK)
			return r;
		int mode;
		r = sqns_get_mode(ctx, &mode);
		if (r == SQNS_OK && mode == want)
			return SQNS_OK;
		if (r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
			return r;
		/* Not rebooted yet: wait for its +SYSSTART (or a second of silence). */
		r = sqns_wait_line(ctx, "+SYSSTART", POLL_LINE_MS, phase);
		if (r != SQNS_OK && r != SQNS_ERR_TIMEOUT)
			return r;
	}
}

static int reboot_into_upgrade_mode(struct sqns_ctx *ctx)
{
	sqns_emit_phase(ctx, SQNS_PHASE_REBOOT_UPGRADE);
	int r = sqns_at(ctx, "AT+SMSWBOOT=3,1", NULL, 0, 0);
	if (r == SQNS_ERR_MODEM)
		r = run_steps(ctx, reboot_upgrade_fallback, COUNT(reboot_upgrade_fallback));
	if (r != SQNS_OK)
		return r;
	ctx->stage = SQNS_STAGE_UPGRADE_MODE;
	return wait_for_mode(ctx, SQNS_MODE_UPGRADE, deadline_in(ctx, ctx->cfg.timeouts.wake_ms),
			     SQNS_PHASE_REBOOT_UPGRADE);
}

/* Ask until the modem's report is final: success (OK) or fail (REJECTED). */
static int poll_upgrade_report(struct sqns_ctx *ctx, uint32_t end, enum sqns_phase phase)
{
	char resp[80];
	for (;;) {
		int r = sqns_at(ctx, "AT+SMUPGRADE?", resp, sizeof resp, 0);
		if (r == SQNS_OK && sqns_contains(resp, "success"))
			return SQNS_OK;
		if (r == SQNS_OK && sqns_contains(resp, "fail"))
			return SQNS_ERR_REJECTED;
		if (r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
			return r;
		if (deadline_left(ctx, end) == 0)
			return SQNS_ERR_TIMEOUT;
		/* "on-going", "No report" or silence: wait on the line, then ask again. */
		r = sqns_wait_line(ctx, "+SMUPGRADE", POLL_LINE_MS, phase);
		if (r != SQNS_OK && r != SQNS_ERR_TIMEOUT)
			return r;
	}
}

/* After the transfer the modem checks the image, silent for a while. */
static int wait_applied(struct sqns_ctx *ctx)
{
	uint32_t end = deadline_in(ctx, ctx->cfg.timeouts.apply_ms);
	int r = sqns_wakeup_ticking(ctx, ctx->cfg.timeouts.apply_ms, SQNS_PHASE_RESETTING);
	if (r == SQNS_ERR_NO_MODEM)
		return SQNS_ERR_TIMEOUT;
	if (r == SQNS_OK)
		r = poll_upgrade_report(ctx, end, SQNS_PHASE_RESETTING);
	return r;
}

/* ON_THE_FLY from upgrade mode: transfer, check, reboot into the application. */
static int on_the_fly(struct sqns_ctx *ctx, const struct sqns_image *img)
{
	int r = run_steps(ctx, upgrade_mode_steps, COUNT(upgrade_mode_steps));
	if (r == SQNS_OK)
		r = sqns_at(ctx, "AT+SMSTPU=\"ON_THE_FLY\"", NULL, 0, 0);
	if (r != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_STP_ON_THE_FLY);
	if ((r = sqns_stp_send(ctx, img)) != SQNS_OK)
		return r;
	ctx->stage = SQNS_STAGE_TRANSFERRED;
	sqns_emit_phase(ctx, SQNS_PHASE_DOWNLOAD_DONE);
	sqns_emit_phase(ctx, SQNS_PHASE_RESETTING);
	if ((r = wait_applied(ctx)) != SQNS_OK)
		return r;
	char resp[80];
	if ((r = sqns_at(ctx, "AT+SMSWBOOT?", resp, sizeof resp, 0)) != SQNS_OK)
		return r;
	/* The answer must name a boot target; anything else is not this modem. */
	if (!sqns_contains(resp, "FF") && !sqns_contains(resp, "RECOVERY"))
		return SQNS_ERR_PROTOCOL;
	if ((r = sqns_at(ctx, "AT+SMSWBOOT=1,1", NULL, 0, 0)) != SQNS_OK)
		return r;
	return wait_for_mode(ctx, SQNS_MODE_APPLICATION,
			     deadline_in(ctx, ctx->cfg.timeouts.wake_ms), SQNS_PHASE_RESETTING);
}

/* FFF from application mode: store the image, then AT+SMUPGRADE applies it. */
static int fff(struct sqns_ctx *ctx, const struct sqns_image *img)
{
	int r = sqns_at(ctx, "AT+SMSTPU", NULL, 0, 0);
	if (r != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_STP_FFF);
	if ((r = sqns_stp_send(ctx, img)) != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_DOWNLOAD_DONE);
	if ((r = sqns_at(ctx, "AT+SMUPGRADE", NULL, 0, 0)) != SQNS_OK)
		return r;
	ctx->stage = SQNS_STAGE_TRANSFERRED;
	sqns_emit_phase(ctx, SQNS_PHASE_RESETTING);
	if ((r = wait_applied(ctx)) != SQNS_OK)
		return r;
	return wait_for_mode(ctx, SQNS_MODE_APPLICATION,
			     deadline_in(ctx, ctx->cfg.timeouts.wake_ms), SQNS_PHASE_RESETTING);
}

static int finish(struct sqns_ctx *ctx, char *showver, size_t showver_len)
{
	int r = run_steps(ctx, finish_steps, COUNT(finish_steps));
	if (r != SQNS_OK)
		return r;
	ctx->stage = SQNS_STAGE_DONE;
	sqns_emit_phase(ctx, SQNS_PHASE_COMPLETED);
	return showver ? sqns_showver(ctx, showver, showver_len) : SQNS_OK;
}

int sqns_upgrade(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts, char *showver,
		 size_t showver_len)
{
	if (!opts || !opts->image || opts->image->size == 0)
		return SQNS_ERR_ARG;
	ctx->stage = SQNS_STAGE_UNTOUCHED;
	sqns_emit_phase(ctx, SQNS_PHASE_WAKEUP);
	int mode;
	int r = sqns_detect(ctx, &mode);
	if (r != SQNS_OK)
		return r;
	bool use_fff = opts->fff;
	if (use_fff && opts->image->size > SQNS_FFF_MAX && !opts->force_fff) {
		sqns_emit_phase(ctx, SQNS_PHASE_FFF_TOO_BIG);
		use_fff = false;
	}
	switch (mode) {
	case SQNS_MODE_APPLICATION:
		if ((r = run_steps(ctx, prepare_steps, COUNT(prepare_steps))) != SQNS_OK)
			return r;
		if (use_fff)
			r = fff(ctx, opts->image);
		else if ((r = reboot_into_upgrade_mode(ctx)) == SQNS_OK)
			r = on_the_fly(ctx, opts->image);
		break;
	case SQNS_MODE_UPGRADE:
	case SQNS_MODE_UPDATER:
		/* A failed or interrupted upgrade lands here: resume it. */
		ctx->stage = SQNS_STAGE_UPGRADE_MODE;
		sqns_emit_phase(ctx, SQNS_PHASE_RESUME);
		r = on_the_fly(ctx, opts->image);
		break;
	default:
		/* Recovery (0) needs updater.elf, mtools (1) its own transfer. */
		return SQNS_ERR_STATE;
	}
	return r == SQNS_OK ? finish(ctx, showver, showver_len) : r;
}
