/* SPDX-License-Identifier: MIT */
/*
 * The upgrade flows of docs/protocol.md section 6, in the order the maintained
 * reference client sends them (section 10 lists where we differ, and why).
 * The AT dialogues are tables; the code between them waits on the modem
 * (reboots, apply, +SYSSTART) with deadlines. Planning (what to send, what to
 * refuse) happens before the first command that changes the modem.
 */
#include "internal.h"

#define POLL_LINE_MS 1000u /* between two status polls: wait on the line, not a sleep */
#define MODE_BIT(m) (1u << (m))
#define UPGRADE_MODES (MODE_BIT(SQNS_MODE_UPGRADE) | MODE_BIT(SQNS_MODE_UPDATER))

enum step_flags {
	STEP_OPTIONAL = 1, /* an ERROR answer is tolerated */
};

struct at_step {
	const char *cmd;
	unsigned flags;
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Application mode, after sqns_detect, before any transfer. */
static const struct at_step prepare_steps[] = {
    {"AT+SQNSUPGRADENTF=\"started\"", STEP_OPTIONAL},
    {"AT+SQNWL=\"sqndcc\",2", STEP_OPTIONAL},
    {"AT+CFUN=4", 0},
};

/* Upgrade mode after the reboot into it, right before the transfer. */
static const struct at_step upgrade_mode_steps[] = {
    {"ATE0", STEP_OPTIONAL},
    {"AT+CFUN=4", STEP_OPTIONAL},
};

/* Application mode, a new upgrade after one that ended (the reference's step 4). */
static const struct at_step rebind_steps[] = {
    {"AT+BIND=AT", STEP_OPTIONAL},
};

/* Back in application mode after the upgrade. */
static const struct at_step finish_steps[] = {
    {"ATE0", STEP_OPTIONAL},
    {"AT+SQNSUPGRADENTF=\"success\"", STEP_OPTIONAL},
};

/*
 * A command the flow cannot do without: an ERROR may be the modem being busy
 * for a moment, so it is asked once more before the answer counts.
 */
static int at_required(struct sqns_ctx *ctx, const char *cmd, char *resp, size_t resp_len)
{
	int r = sqns_at(ctx, cmd, resp, resp_len, 0);
	if (r == SQNS_ERR_MODEM)
		r = sqns_at(ctx, cmd, resp, resp_len, 0);
	return r;
}

static int raise_rate(struct sqns_ctx *ctx);

static int run_steps(struct sqns_ctx *ctx, const struct at_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = (steps[i].flags & STEP_OPTIONAL) ? sqns_at(ctx, steps[i].cmd, NULL, 0, 0)
							 : at_required(ctx, steps[i].cmd, NULL, 0);
		if (r == SQNS_ERR_MODEM && (steps[i].flags & STEP_OPTIONAL))
			continue;
		if (r != SQNS_OK)
			return r;
	}
	return SQNS_OK;
}

/* ---- waiting on the modem ---- */

/*
 * Wait until the modem answers AT and reports a mode in `modes` (after a
 * reboot that may not have started yet when its OK arrived). Until `end`.
 */
static int wait_for_mode(struct sqns_ctx *ctx, unsigned modes, uint32_t end, int phase)
{
	for (;;) {
		uint32_t left = deadline_left(ctx, end);
		if (left == 0)
			return SQNS_ERR_TIMEOUT;
		int r = sqns_wakeup_ticking(ctx, left, phase);
		if (r == SQNS_ERR_NO_MODEM)
			return SQNS_ERR_TIMEOUT;
		if (r != SQNS_OK)
			return r;
		int mode;
		r = sqns_get_mode(ctx, &mode);
		if (r == SQNS_OK && (modes & MODE_BIT(mode)))
			return SQNS_OK;
		if (r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
			return r;
		/* Not rebooted yet: wait for its +SYSSTART (or a second of silence). */
		r = sqns_wait_line(ctx, "+SYSSTART", POLL_LINE_MS, phase);
		if (r != SQNS_OK && r != SQNS_ERR_TIMEOUT)
			return r;
	}
}

/* Boot targets of AT+SMSWBOOT. */
#define BOOT_RECOVERY '0'
#define BOOT_APPLICATION '1'
#define BOOT_UPDATER '3'

/*
 * Reboot into `target` now: AT+SMSWBOOT=t,1. Older firmware answers ERROR to
 * it; there the target is set (AT+SMSWBOOT=t,0) and the modem reset (AT^RESET).
 */
static int reboot_to(struct sqns_ctx *ctx, char target)
{
	char now[] = "AT+SMSWBOOT=?,1";
	char later[] = "AT+SMSWBOOT=?,0";
	now[12] = later[12] = target;
	int r = sqns_at(ctx, now, NULL, 0, 0);
	if (r != SQNS_ERR_MODEM)
		return r;
	if ((r = at_required(ctx, later, NULL, 0)) != SQNS_OK)
		return r;
	return at_required(ctx, "AT^RESET", NULL, 0);
}

static int reboot_into_upgrade_mode(struct sqns_ctx *ctx)
{
	sqns_emit_phase(ctx, SQNS_PHASE_REBOOT_UPGRADE);
	int r = reboot_to(ctx, BOOT_UPDATER);
	if (r != SQNS_OK)
		return r;
	ctx->res.stage = SQNS_STAGE_UPGRADE_MODE;
	return wait_for_mode(ctx, UPGRADE_MODES, deadline_in(ctx, ctx->cfg.timeouts.wake_ms),
			     SQNS_PHASE_REBOOT_UPGRADE);
}

static void emit_value(struct sqns_ctx *ctx, enum sqns_phase phase, uint32_t value)
{
	struct sqns_event ev = {.type = SQNS_EV_PHASE, .phase = phase, .value = (int)value};
	sqns_emit(ctx, &ev);
}

/* The modem refused the image: keep its report as it gave it (one line of resp). */
static int rejected(struct sqns_ctx *ctx, const char *resp)
{
	const char *line = resp;
	while (*line && !sqns_starts_with(line, "+SMUPGRADE"))
		line++;
	if (!*line)
		line = resp;
	size_t n = 0;
	while (line[n] && line[n] != '\n' && n + 1 < sizeof ctx->res.report) {
		ctx->res.report[n] = line[n];
		n++;
	}
	ctx->res.report[n] = '\0';
	sqns_emit_phase(ctx, SQNS_PHASE_REJECTED);
	return SQNS_ERR_REJECTED;
}

/* Ask until the modem's report is final: success (OK) or fail (REJECTED). */
static int poll_upgrade_report(struct sqns_ctx *ctx, uint32_t end, int phase)
{
	char resp[SQNS_REPORT_MAX];
	for (;;) {
		int r = sqns_at(ctx, "AT+SMUPGRADE?", resp, sizeof resp, 0);
		if (r == SQNS_OK && sqns_contains(resp, "success"))
			return SQNS_OK;
		if (r == SQNS_OK && sqns_contains(resp, "fail"))
			return rejected(ctx, resp);
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

/* After a transfer the modem checks the image, silent for a while. */
static int wait_applied(struct sqns_ctx *ctx, int phase)
{
	uint32_t end = deadline_in(ctx, ctx->cfg.timeouts.apply_ms);
	int r = sqns_wakeup_ticking(ctx, ctx->cfg.timeouts.apply_ms, phase);
	if (r == SQNS_ERR_NO_MODEM)
		return SQNS_ERR_TIMEOUT;
	if (r == SQNS_OK)
		r = poll_upgrade_report(ctx, end, phase);
	return r;
}

/*
 * In upgrade mode, before a transfer: a modem that is still checking an
 * image it got earlier (an interrupted transfer's closing RESET) refuses
 * AT+SMSTPU until it is done; wait while AT+SMUPGRADE? says on-going.
 */
static int wait_checked(struct sqns_ctx *ctx)
{
	char resp[80];
	uint32_t end = deadline_in(ctx, ctx->cfg.timeouts.apply_ms);
	bool said = false;
	for (;;) {
		int r = sqns_at(ctx, "AT+SMUPGRADE?", resp, sizeof resp, 0);
		if (r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
			return r;
		if (r != SQNS_OK || !sqns_contains(resp, "on-going"))
			return SQNS_OK;
		if (!said)
			sqns_emit_phase(ctx, SQNS_PHASE_CHECKING);
		said = true;
		if (deadline_left(ctx, end) == 0)
			return SQNS_ERR_TIMEOUT;
		r = sqns_wait_line(ctx, "+SMUPGRADE", POLL_LINE_MS, SQNS_PHASE_CHECKING);
		if (r != SQNS_OK && r != SQNS_ERR_TIMEOUT)
			return r;
	}
}

/* ---- the steps ---- */

/*
 * In upgrade mode: once the modem is done with any earlier image, AT+SMSTPU
 * ON_THE_FLY and the transfer (phase announces it), at the faster rate when
 * `fast` and one is configured.
 */
static int send_on_the_fly(struct sqns_ctx *ctx, const struct sqns_image *img, int phase, bool fast)
{
	int r = wait_checked(ctx);
	if (r == SQNS_OK && fast)
		r = raise_rate(ctx);
	if (r == SQNS_OK)
		r = at_required(ctx, "AT+SMSTPU=\"ON_THE_FLY\"", NULL, 0);
	if (r != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, (enum sqns_phase)phase);
	return sqns_stp_send(ctx, img);
}

static int read_versions(struct sqns_ctx *ctx);

/*
 * After the modem refused an image in upgrade mode: in the field a refused
 * differential image left the old firmware bootable, so ask for the
 * application. When it comes up, nothing the modem keeps has changed and its
 * build is read again; when it does not, it waits in upgrade mode for a full
 * image. SQNS_ERR_REJECTED either way, unless the port fails.
 */
static int boot_old_firmware(struct sqns_ctx *ctx)
{
	int r = reboot_to(ctx, BOOT_APPLICATION);
	if (r == SQNS_OK)
		r = sqns_set_rate(ctx, ctx->cfg.baud);
	if (r == SQNS_OK)
		r = wait_for_mode(ctx, MODE_BIT(SQNS_MODE_APPLICATION),
				  deadline_in(ctx, ctx->cfg.timeouts.wake_ms),
				  SQNS_PHASE_RESETTING);
	if (r == SQNS_OK)
		r = read_versions(ctx);
	if (r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
		return r;
	ctx->res.stage = r == SQNS_OK ? SQNS_STAGE_UNTOUCHED : SQNS_STAGE_UPGRADE_MODE;
	return SQNS_ERR_REJECTED;
}

/*
 * ON_THE_FLY from upgrade mode: transfer, check, reboot into the application.
 * After our own reboot into upgrade mode (and on resume) the radio is turned
 * off there first, as the reference does; after updater.elf it is not.
 */
static int on_the_fly(struct sqns_ctx *ctx, const struct sqns_image *img, bool radio_off)
{
	int r = radio_off ? run_steps(ctx, upgrade_mode_steps, COUNT(upgrade_mode_steps)) : SQNS_OK;
	if (r == SQNS_OK)
		r = send_on_the_fly(ctx, img, SQNS_PHASE_STP_ON_THE_FLY, true);
	if (r != SQNS_OK)
		return r;
	ctx->res.stage = SQNS_STAGE_TRANSFERRED;
	sqns_emit_phase(ctx, SQNS_PHASE_DOWNLOAD_DONE);
	sqns_emit_phase(ctx, SQNS_PHASE_RESETTING);
	r = wait_applied(ctx, SQNS_PHASE_RESETTING);
	if (r == SQNS_ERR_REJECTED)
		return boot_old_firmware(ctx);
	if (r != SQNS_OK)
		return r;
	char resp[80];
	if ((r = at_required(ctx, "AT+SMSWBOOT?", resp, sizeof resp)) != SQNS_OK)
		return r;
	/* The answer must name a boot target; anything else is not this modem. */
	if (!sqns_contains(resp, "FF") && !sqns_contains(resp, "RECOVERY"))
		return SQNS_ERR_PROTOCOL;
	if ((r = reboot_to(ctx, BOOT_APPLICATION)) != SQNS_OK)
		return r;
	/* The application boots at its own rate, whatever the transfer ran at. */
	if ((r = sqns_set_rate(ctx, ctx->cfg.baud)) != SQNS_OK)
		return r;
	return wait_for_mode(ctx, MODE_BIT(SQNS_MODE_APPLICATION),
			     deadline_in(ctx, ctx->cfg.timeouts.wake_ms), SQNS_PHASE_RESETTING);
}

/*
 * A stored image (FFF from application mode, or mtools mode): AT+SMSTPU, the
 * transfer, then the modem applies it and comes back in application mode.
 */
static int stored(struct sqns_ctx *ctx, const struct sqns_image *img, bool apply_cmd)
{
	int r = at_required(ctx, "AT+SMSTPU", NULL, 0);
	if (r != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_STP_FFF);
	if ((r = sqns_stp_send(ctx, img)) != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_DOWNLOAD_DONE);
	if (apply_cmd && (r = at_required(ctx, "AT+SMUPGRADE", NULL, 0)) != SQNS_OK)
		return r;
	ctx->res.stage = SQNS_STAGE_TRANSFERRED;
	sqns_emit_phase(ctx, SQNS_PHASE_RESETTING);
	uint32_t end = deadline_in(ctx, ctx->cfg.timeouts.apply_ms);
	r = wait_for_mode(ctx, MODE_BIT(SQNS_MODE_APPLICATION), end, SQNS_PHASE_RESETTING);
	if (r == SQNS_OK)
		r = poll_upgrade_report(ctx, end, SQNS_PHASE_RESETTING);
	if (r == SQNS_ERR_REJECTED && read_versions(ctx) == SQNS_OK)
		ctx->res.stage = SQNS_STAGE_UNTOUCHED; /* back in the application it had */
	return r;
}

/*
 * The reference's step 1, from application mode: the same preparation and
 * reboot as the normal method, then in upgrade mode the boot ROM ON_THE_FLY,
 * then a reboot into recovery (mode 0) for updater.elf.
 */
static int bootrom_step(struct sqns_ctx *ctx, const struct sqns_image *img)
{
	int r = run_steps(ctx, prepare_steps, COUNT(prepare_steps));
	if (r == SQNS_OK)
		r = reboot_into_upgrade_mode(ctx);
	if (r == SQNS_OK)
		r = run_steps(ctx, upgrade_mode_steps, COUNT(upgrade_mode_steps));
	if (r == SQNS_OK)
		r = send_on_the_fly(ctx, img, SQNS_PHASE_STP_BOOTROM, false);
	if (r != SQNS_OK)
		return r;
	/* The reference sleeps 1.5 s here; the modem's report says when it is done. */
	if ((r = wait_applied(ctx, SQNS_PHASE_APPLYING)) != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_BOOTROM_DONE);
	if ((r = reboot_to(ctx, BOOT_RECOVERY)) != SQNS_OK)
		return r;
	ctx->res.stage = SQNS_STAGE_RECOVERY;
	return SQNS_OK;
}

static int reboot_into_recovery(struct sqns_ctx *ctx)
{
	int r = run_steps(ctx, prepare_steps, COUNT(prepare_steps));
	if (r == SQNS_OK)
		r = reboot_to(ctx, BOOT_RECOVERY);
	if (r == SQNS_OK)
		ctx->res.stage = SQNS_STAGE_RECOVERY;
	return r;
}

/* "AT+IPR=<rate>" into cmd[24]. */
static void ipr_command(char cmd[24], uint32_t rate)
{
	static const char head[] = "AT+IPR=";
	char rev[10];
	size_t n = 0, digits = 0;
	for (; head[n]; n++)
		cmd[n] = head[n];
	for (uint32_t v = rate; v && digits < sizeof rev; v /= 10)
		rev[digits++] = (char)('0' + v % 10);
	while (digits)
		cmd[n++] = rev[--digits];
	cmd[n] = '\0';
}

static void fast_link_event(struct sqns_ctx *ctx, uint32_t rate)
{
	struct sqns_event ev = {
	    .type = SQNS_EV_PHASE, .phase = SQNS_PHASE_FAST_LINK, .value = (int)rate};
	sqns_emit(ctx, &ev);
}

/*
 * For the transfer only: move the link above the application rate. The host
 * port must accept the rate first; the modem may refuse it (ERROR); the new
 * rate must carry an AT before the transfer trusts it. Falling back leaves the
 * modem at the application rate, reachable. The modem forgets AT+IPR at its
 * next boot, which ends the upgrade anyway.
 */
static int raise_rate(struct sqns_ctx *ctx)
{
	uint32_t fast = ctx->cfg.fast_baud, base = ctx->res.rate;
	const struct sqns_port_ops *ops = ctx->cfg.ops;
	if (!fast || fast <= base || !ops->set_rate)
		return SQNS_OK;
	bool host_ok = ops->set_rate(ctx->cfg.port, fast) == SQNS_OK;
	if (ops->set_rate(ctx->cfg.port, base) != SQNS_OK)
		return SQNS_ERR_IO;
	char cmd[24];
	ipr_command(cmd, fast);
	int r = host_ok ? sqns_at(ctx, cmd, NULL, 0, 0) : SQNS_ERR_UNSUPPORTED;
	if (r == SQNS_OK && (r = sqns_set_rate(ctx, fast)) == SQNS_OK &&
	    (r = sqns_wakeup(ctx, ctx->cfg.timeouts.at_ms)) == SQNS_OK) {
		fast_link_event(ctx, fast);
		return SQNS_OK;
	}
	if (r == SQNS_ERR_IO || r == SQNS_ERR_ABORTED)
		return r;
	if (ctx->res.rate == fast) {
		/* The modem took the rate but the line does not carry it: ask it back blindly. */
		ipr_command(cmd, base);
		(void)sqns_at(ctx, cmd, NULL, 0, ctx->cfg.timeouts.at_ms);
		if ((r = sqns_set_rate(ctx, base)) != SQNS_OK)
			return r;
		/* A modem that heard it answers at once; one that did not never comes back. */
		if ((r = sqns_wakeup(ctx, ctx->cfg.timeouts.at_ms)) != SQNS_OK) {
			if (r == SQNS_ERR_NO_MODEM) {
				struct sqns_event ev = {.type = SQNS_EV_PHASE,
							.phase = SQNS_PHASE_FAST_LINK_LOST,
							.value = (int)fast};
				sqns_emit(ctx, &ev);
			}
			return r;
		}
	}
	fast_link_event(ctx, 0);
	return SQNS_OK;
}

/*
 * The recovery bootloader listens at 115200 and may take minutes to boot:
 * probe it until wake_ms, move it to the application rate with AT+IPR, and
 * check that it answers there in mode 0.
 */
static int negotiate(struct sqns_ctx *ctx)
{
	uint32_t target = ctx->cfg.baud;
	int r = SQNS_ERR_NO_MODEM;
	/* A boot ROM found at the target rate (moved there earlier) needs no negotiation. */
	if (ctx->res.rate != target || ctx->res.mode != SQNS_MODE_RECOVERY) {
		sqns_emit_phase(ctx, SQNS_PHASE_NEGOTIATE);
		if ((r = sqns_set_rate(ctx, SQNS_RECOVERY_RATE)) != SQNS_OK)
			return r;
		r = sqns_wakeup_ticking(ctx, ctx->cfg.timeouts.wake_ms, SQNS_PHASE_NEGOTIATE);
	}
	if (r == SQNS_OK && target != SQNS_RECOVERY_RATE) {
		char cmd[24];
		ipr_command(cmd, target);
		if ((r = at_required(ctx, cmd, NULL, 0)) != SQNS_OK)
			return r;
	} else if (r != SQNS_OK && r != SQNS_ERR_NO_MODEM) {
		return r;
	}
	/* Also the path of a bootloader that was moved to the target rate earlier. */
	if ((r = sqns_set_rate(ctx, target)) != SQNS_OK)
		return r;
	if ((r = sqns_wakeup(ctx, ctx->cfg.timeouts.at_ms)) != SQNS_OK)
		return r;
	int mode;
	if ((r = sqns_get_mode(ctx, &mode)) != SQNS_OK)
		return r;
	return mode == SQNS_MODE_RECOVERY ? SQNS_OK : SQNS_ERR_STATE;
}

static int updater_step(struct sqns_ctx *ctx, const struct sqns_image *img)
{
	int r = negotiate(ctx);
	if (r == SQNS_OK)
		r = at_required(ctx, "AT+STP", NULL, 0);
	if (r != SQNS_OK)
		return r;
	if ((r = sqns_stp_send(ctx, img)) != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_WAKEUP);
	r = wait_for_mode(ctx, UPGRADE_MODES, deadline_in(ctx, ctx->cfg.timeouts.wake_ms),
			  SQNS_PHASE_APPLYING);
	if (r != SQNS_OK)
		return r;
	ctx->res.stage = SQNS_STAGE_UPGRADE_MODE;
	sqns_emit_phase(ctx, SQNS_PHASE_UPDATER_DONE);
	return SQNS_OK;
}

/* ---- planning ---- */

static int refuse(struct sqns_ctx *ctx, enum sqns_refusal why)
{
	ctx->res.refusal = why;
	return SQNS_ERR_REFUSED;
}

/* A refusal that --force may override: remembered in the plan, with a warning. */
static int refuse_unless_forced(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts,
				enum sqns_refusal why)
{
	if (!opts->force)
		return refuse(ctx, why);
	ctx->res.plan.forced = true;
	ctx->res.plan.overridden = why;
	return SQNS_OK;
}

static int read_versions(struct sqns_ctx *ctx)
{
	char showver[1024];
	int r = sqns_showver(ctx, showver, sizeof showver);
	if (r != SQNS_OK)
		return r;
	if (!sqns_parse_showver_build(showver, "Software", &ctx->res.plan.running_build))
		ctx->res.plan.running_build = 0;
	if (!sqns_parse_showver_build(showver, "Bootloader0", &ctx->res.plan.bootloader0))
		ctx->res.plan.bootloader0 = 0;
	if (!sqns_parse_showver_channel(showver, &ctx->res.plan.channel))
		ctx->res.plan.channel = SQNS_CHANNEL_UNKNOWN;
	return SQNS_OK;
}

/*
 * The recovery method from application mode (versions read): the boot ROM
 * step when Bootloader0 is the factory's (the file is then required), else a
 * plain reboot into recovery; updater.elf after either.
 */
static int plan_recovery_route(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts)
{
	struct sqns_plan *p = &ctx->res.plan;
	bool factory = p->bootloader0 == SQNS_FACTORY_BOOTLOADER0;
	if (factory && !opts->bootrom)
		return refuse(ctx, SQNS_REFUSE_BOOTROM_MISSING);
	p->bootrom_step = factory;
	p->recovery_step = !factory;
	p->updater_step = true;
	return SQNS_OK;
}

#define PLAN_NOTHING_TO_DO 1 /* from plan_upgrade: the modem runs the target build */

/*
 * Application mode: what the versions allow. A modem already on the target
 * build needs nothing, unless its boot ROM is still the factory's and the boot
 * ROM file is given: then only the reference's step 4 runs.
 */
static int plan_application(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts,
			    bool versions_read)
{
	struct sqns_plan *p = &ctx->res.plan;
	int r = versions_read ? SQNS_OK : read_versions(ctx);
	if (r != SQNS_OK)
		return r;
	p->build_before = p->running_build;
	bool factory = p->bootloader0 == SQNS_FACTORY_BOOTLOADER0;
	if (p->target_known && p->running_build == p->target.build && !opts->force) {
		p->bootrom_only = factory && opts->bootrom;
		p->part2_step = false;
		return p->bootrom_only ? SQNS_OK : PLAN_NOTHING_TO_DO;
	}
	/* A differential image, or part 2, applies to one build only (FROM). */
	if (p->target.from && p->running_build != p->target.from &&
	    (r = refuse_unless_forced(ctx, opts,
				      p->target.part == 2 ? SQNS_REFUSE_PART2_WRONG_BASE
							  : SQNS_REFUSE_DIFF_WRONG_BASE)) !=
		SQNS_OK)
		return r;
	if (opts->updater)
		return plan_recovery_route(ctx, opts);
	if (factory &&
	    (r = refuse_unless_forced(ctx, opts, SQNS_REFUSE_FACTORY_BOOTROM)) != SQNS_OK)
		return r;
	/* Part 1 of a two-part release goes ON_THE_FLY: Pycom requires it (load_fff=False). */
	p->fff = opts->fff && (opts->image->size <= SQNS_FFF_MAX || opts->force_fff) &&
		 p->target.part != 1;
	return SQNS_OK;
}

/*
 * Where the running build cannot be read (recovery, upgrade or updater mode),
 * the base of a differential image or of part 2 is left to the modem.
 */
static void base_unchecked(struct sqns_ctx *ctx)
{
	struct sqns_plan *p = &ctx->res.plan;
	if (!p->target.from)
		return;
	p->base_unknown = true;
	emit_value(ctx, SQNS_PHASE_BASE_UNKNOWN, p->target.from);
}

/* Part 2 given with part 1 (sqns_check_images made sure they are one release's). */
static void plan_parts(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts)
{
	struct sqns_plan *p = &ctx->res.plan;
	p->part2_step = opts->part2 && sqns_parse_image_name(opts->part2->name, &p->part2);
}

static int plan_upgrade(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts, int mode,
			bool versions_read)
{
	struct sqns_plan *p = &ctx->res.plan;
	p->mode = mode;
	p->rate = ctx->res.rate;
	p->target_known = sqns_parse_image_name(opts->image->name, &p->target);
	plan_parts(ctx, opts);
	switch (mode) {
	case SQNS_MODE_APPLICATION:
		return plan_application(ctx, opts, versions_read);
	case SQNS_MODE_RECOVERY:
		if (!opts->updater)
			return refuse(ctx, SQNS_REFUSE_RECOVERY_NO_UPDATER);
		base_unchecked(ctx);
		p->updater_step = true;
		return SQNS_OK;
	case SQNS_MODE_MTOOLS:
		if (opts->updater)
			return refuse(ctx, SQNS_REFUSE_MTOOLS_UPDATER);
		return SQNS_OK;
	default:
		/* Upgrade or updater mode: a failed or interrupted upgrade; resume it. */
		base_unchecked(ctx);
		p->resume = true;
		return SQNS_OK;
	}
}

/* ---- the whole upgrade ---- */

/* From application mode: stored (FFF), or ON_THE_FLY after a reboot into upgrade mode. */
static int application_step(struct sqns_ctx *ctx, const struct sqns_image *img, bool fff)
{
	int r = run_steps(ctx, prepare_steps, COUNT(prepare_steps));
	if (r != SQNS_OK)
		return r;
	if (fff)
		return stored(ctx, img, true);
	if ((r = reboot_into_upgrade_mode(ctx)) != SQNS_OK)
		return r;
	return on_the_fly(ctx, img, true);
}

/* The firmware image from where the plan found the modem (mode, updater.elf, resume). */
static int firmware_step(struct sqns_ctx *ctx, const struct sqns_image *img)
{
	const struct sqns_plan *p = &ctx->res.plan;
	int r;
	if (p->mode == SQNS_MODE_MTOOLS)
		return stored(ctx, img, false);
	if (p->resume || p->updater_step) {
		ctx->res.stage = SQNS_STAGE_UPGRADE_MODE;
		sqns_emit_phase(ctx, p->resume ? SQNS_PHASE_RESUME : SQNS_PHASE_WAKEUP);
		if ((r = sqns_wakeup(ctx, ctx->cfg.timeouts.wake_ms)) != SQNS_OK)
			return r;
		return on_the_fly(ctx, img, p->resume);
	}
	return application_step(ctx, img, p->fff);
}

/* Back in application mode after an image: say so, read the versions again. */
static int finish(struct sqns_ctx *ctx, char *showver, size_t showver_len)
{
	int r = run_steps(ctx, finish_steps, COUNT(finish_steps));
	if (r != SQNS_OK)
		return r;
	ctx->res.stage = SQNS_STAGE_DONE;
	sqns_emit_phase(ctx, SQNS_PHASE_COMPLETED);
	return sqns_showver(ctx, showver, showver_len);
}

/*
 * The build after an image (`t`, what its name says): the one the name says
 * it leaves (for part 1, the release's intermediate build). A name that says
 * none fails only on evidence: the modem still runs the build it ran before,
 * or a channel the name contradicts; else the build it runs is reported.
 */
static int verify_firmware(struct sqns_ctx *ctx, const char *showver,
			   const struct sqns_image_info *t)
{
	struct sqns_plan *p = &ctx->res.plan;
	uint32_t running = 0, before = p->running_build;
	bool known = sqns_parse_showver_build(showver, "Software", &running);
	int channel = SQNS_CHANNEL_UNKNOWN;
	p->running_build = running;
	if (sqns_parse_showver_channel(showver, &channel))
		p->channel = channel;
	if (t->leaves) {
		if (!known || running != t->leaves)
			return SQNS_ERR_VERIFY;
		emit_value(ctx, t->part == 1 ? SQNS_PHASE_PART1_DONE : SQNS_PHASE_VERIFIED,
			   running);
		return SQNS_OK;
	}
	if (!known)
		return SQNS_OK;
	if ((before && running == before) ||
	    (t->channel && channel && !t->differential && t->channel != channel))
		return SQNS_ERR_VERIFY;
	if (t->part == 1)
		emit_value(ctx, SQNS_PHASE_PART1_DONE, running);
	return SQNS_OK; /* res.plan.running_build says which build it runs */
}

/*
 * Whether Bootloader0 still reads the factory build (when Software does not:
 * a modem whose firmware is that old has nothing newer to boot from).
 */
static bool bootrom_is_factory(struct sqns_ctx *ctx, const char *showver)
{
	uint32_t b0 = 0, sw = 0;
	bool known = sqns_parse_showver_build(showver, "Bootloader0", &b0);
	ctx->res.plan.bootloader0_after = known ? b0 : 0;
	return known && b0 == SQNS_FACTORY_BOOTLOADER0 &&
	       !(sqns_parse_showver_build(showver, "Software", &sw) &&
		 sw == SQNS_FACTORY_BOOTLOADER0);
}

/*
 * The reference's step 4: the boot ROM once more, by the stored method, in
 * application mode; then the versions again. A boot ROM sent ON_THE_FLY does
 * not always show in Bootloader0; the stored method does. After an upgrade
 * it starts as a new one does, by binding the UART to AT (`rebind`).
 */
static int bootrom_stored(struct sqns_ctx *ctx, const struct sqns_image *rom, bool rebind,
			  char *showver, size_t showver_len)
{
	ctx->res.plan.bootrom_again = true;
	sqns_emit_phase(ctx, SQNS_PHASE_BOOTROM_AGAIN);
	int r = rebind ? run_steps(ctx, rebind_steps, COUNT(rebind_steps)) : SQNS_OK;
	if (r == SQNS_OK)
		r = run_steps(ctx, prepare_steps, COUNT(prepare_steps));
	if (r == SQNS_OK)
		r = stored(ctx, rom, true);
	if (r == SQNS_OK)
		r = finish(ctx, showver, showver_len);
	ctx->res.stage = SQNS_STAGE_DONE; /* the firmware stays upgraded whatever happened */
	if (r != SQNS_OK) {
		ctx->res.plan.bootrom_pending = true;
		return r;
	}
	if (bootrom_is_factory(ctx, showver)) {
		ctx->res.plan.bootrom_pending = true;
		emit_value(ctx, SQNS_PHASE_BOOTROM_FACTORY, ctx->res.plan.bootloader0_after);
		return SQNS_OK;
	}
	emit_value(ctx, SQNS_PHASE_BOOTROM_VERIFIED, ctx->res.plan.bootloader0_after);
	return SQNS_OK;
}

/* After a verified upgrade: step 4 when the boot ROM still reads the factory build. */
static int check_bootrom(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts, char *showver,
			 size_t showver_len)
{
	if (!bootrom_is_factory(ctx, showver))
		return SQNS_OK;
	if (opts->bootrom)
		return bootrom_stored(ctx, opts->bootrom, true, showver, showver_len);
	ctx->res.plan.bootrom_pending = true;
	emit_value(ctx, SQNS_PHASE_BOOTROM_FACTORY, ctx->res.plan.bootloader0_after);
	return SQNS_OK;
}

/*
 * Part 2 of a two-part release, right after part 1 (no power cycle between):
 * from the application part 1 left, as a new upgrade starts (the UART bound
 * to AT), ON_THE_FLY; then verified against the release's build.
 */
static int second_part(struct sqns_ctx *ctx, const struct sqns_image *img, char *showver,
		       size_t showver_len)
{
	struct sqns_plan *p = &ctx->res.plan;
	p->part1_done = true;
	int r = run_steps(ctx, rebind_steps, COUNT(rebind_steps));
	if (r == SQNS_OK)
		r = application_step(ctx, img, false);
	if (r == SQNS_OK)
		r = finish(ctx, showver, showver_len);
	return r == SQNS_OK ? verify_firmware(ctx, showver, &p->part2) : r;
}

static int run_plan(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts, char *showver,
		    size_t showver_len)
{
	struct sqns_plan *p = &ctx->res.plan;
	int r = SQNS_OK;
	if (p->bootrom_only) /* detection bound the UART just now */
		return bootrom_stored(ctx, opts->bootrom, false, showver, showver_len);
	if (p->bootrom_step)
		r = bootrom_step(ctx, opts->bootrom);
	else if (p->recovery_step)
		r = reboot_into_recovery(ctx);
	if (r == SQNS_OK && p->updater_step)
		r = updater_step(ctx, opts->updater);
	if (r == SQNS_OK)
		r = firmware_step(ctx, opts->image);
	if (r == SQNS_OK)
		r = finish(ctx, showver, showver_len);
	if (r == SQNS_OK)
		r = verify_firmware(ctx, showver, &p->target);
	if (r == SQNS_OK && p->part2_step)
		r = second_part(ctx, opts->part2, showver, showver_len);
	if (r == SQNS_OK)
		r = check_bootrom(ctx, opts, showver, showver_len);
	return r;
}

/*
 * Every flow's start: the results reset, the verdict of the files' checks
 * (`checked`, with `why`), then the modem found and its mode read.
 */
static int begin(struct sqns_ctx *ctx, int checked, enum sqns_refusal why, int *mode)
{
	ctx->res.stage = SQNS_STAGE_UNTOUCHED;
	ctx->res.refusal = SQNS_REFUSE_NONE;
	ctx->res.plan = (struct sqns_plan){0};
	if (checked == SQNS_ERR_REFUSED)
		return refuse(ctx, why);
	if (checked != SQNS_OK)
		return checked;
	sqns_emit_phase(ctx, SQNS_PHASE_WAKEUP);
	int r = sqns_detect(ctx, mode);
	if (r == SQNS_OK && *mode == SQNS_MODE_RECOVERY)
		ctx->res.stage = SQNS_STAGE_RECOVERY;
	return r;
}

/* After detection (and, from a release, the choice): plan, then carry the plan out. */
static int upgrade_found(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts, int mode,
			 bool versions_read, char *showver, size_t showver_len)
{
	int r = plan_upgrade(ctx, opts, mode, versions_read);
	if (r == PLAN_NOTHING_TO_DO) {
		sqns_emit_phase(ctx, SQNS_PHASE_ALREADY_CURRENT);
		if (ctx->res.plan.bootloader0 == SQNS_FACTORY_BOOTLOADER0) {
			ctx->res.plan.bootrom_pending = true;
			emit_value(ctx, SQNS_PHASE_BOOTROM_FACTORY, SQNS_FACTORY_BOOTLOADER0);
		}
		return SQNS_OK;
	}
	if (r != SQNS_OK)
		return r;
	sqns_emit_phase(ctx, SQNS_PHASE_PLAN);
	if (opts->dry_run)
		return SQNS_OK;
	/*
	 * The recovery method moves the modem to 115200 and back: a port that
	 * cannot change its rate (socket://) would strand it in recovery mode.
	 * Known only now when a release chose the method: refused before any change.
	 */
	const struct sqns_plan *p = &ctx->res.plan;
	if ((p->bootrom_step || p->recovery_step || p->updater_step) && !ctx->cfg.ops->set_rate &&
	    !(mode == SQNS_MODE_RECOVERY && ctx->res.rate == ctx->cfg.baud))
		return SQNS_ERR_UNSUPPORTED;
	if (opts->fff && ctx->res.plan.target.part == 1)
		sqns_emit_phase(ctx, SQNS_PHASE_PART1_ON_THE_FLY);
	else if (opts->fff && !ctx->res.plan.fff && mode == SQNS_MODE_APPLICATION && !opts->updater)
		sqns_emit_phase(ctx, SQNS_PHASE_FFF_TOO_BIG);
	char own[1024];
	if (!showver) {
		showver = own;
		showver_len = sizeof own;
	}
	return run_plan(ctx, opts, showver, showver_len);
}

/* Member i of the release into *img, or NULL for -1; *r = SQNS_ERR_IMAGE when it fails. */
static const struct sqns_image *open_chosen(const struct sqns_release *rel, int i,
					    struct sqns_image *img, int *r)
{
	if (i < 0 || *r != SQNS_OK)
		return NULL;
	*img = (struct sqns_image){0};
	if (rel->open(rel->ctx, (size_t)i, img) != SQNS_OK || !img->read) {
		*r = SQNS_ERR_IMAGE;
		return NULL;
	}
	return img;
}

/*
 * A whole release: its members checked before the modem is touched, then,
 * once the modem is found (and in application mode its versions read), the
 * choice of sqns_release_choose, carried out as if those files were given.
 */
static int upgrade_release(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts,
			   char *showver, size_t showver_len)
{
	const struct sqns_release *rel = opts->release;
	struct sqns_release_summary sum;
	enum sqns_refusal why = SQNS_REFUSE_NONE;
	int mode;
	if (opts->image || opts->updater || opts->part2)
		return SQNS_ERR_ARG;
	int r = sqns_release_check(rel, &sum);
	if (r == SQNS_ERR_REFUSED)
		why = SQNS_REFUSE_RELEASE;
	else if (r == SQNS_OK)
		r = sqns_check_helpers(opts, &why); /* the boot ROM */
	r = begin(ctx, r, why, &mode);
	ctx->res.release = sum;
	if (r != SQNS_OK)
		return r;
	struct sqns_plan *p = &ctx->res.plan;
	struct sqns_found found = {.mode = mode};
	bool app = mode == SQNS_MODE_APPLICATION;
	if (app) {
		if ((r = read_versions(ctx)) != SQNS_OK)
			return r;
		found.running_build = p->running_build;
		found.bootloader0 = p->bootloader0;
		found.channel = p->channel;
	}
	p->from_release = true;
	r = sqns_release_choose(&sum, rel, &found, &p->choice, &why);
	if (r == SQNS_ERR_REFUSED)
		return refuse(ctx, why);
	if (r != SQNS_OK)
		return r;
	struct sqns_image image, updater, part2;
	struct sqns_upgrade_opts chosen = *opts;
	chosen.release = NULL;
	chosen.image = open_chosen(rel, p->choice.image, &image, &r);
	chosen.updater = open_chosen(rel, p->choice.updater, &updater, &r);
	chosen.part2 = open_chosen(rel, p->choice.part2, &part2, &r);
	if (r != SQNS_OK)
		return r;
	return upgrade_found(ctx, &chosen, mode, app, showver, showver_len);
}

int sqns_upgrade(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts, char *showver,
		 size_t showver_len)
{
	enum sqns_refusal why;
	int mode;
	if (opts && opts->release)
		return upgrade_release(ctx, opts, showver, showver_len);
	int r = sqns_check_images(opts, &why);
	if ((r = begin(ctx, r, why, &mode)) != SQNS_OK)
		return r;
	return upgrade_found(ctx, opts, mode, false, showver, showver_len);
}

/*
 * Mirror mode's first half (uart() of Pycom's instructions): bring the modem to
 * upgrade mode — by the recovery method when opts->updater is given — and
 * stop there; the firmware comes later, from the host behind the mirror.
 */
int sqns_prepare(struct sqns_ctx *ctx, const struct sqns_upgrade_opts *opts)
{
	enum sqns_refusal why;
	int mode;
	int r = sqns_check_helpers(opts, &why);
	if ((r = begin(ctx, r, why, &mode)) != SQNS_OK)
		return r;
	struct sqns_plan *p = &ctx->res.plan;
	p->mode = mode;
	p->rate = ctx->res.rate;
	if (mode == SQNS_MODE_RECOVERY) {
		if (!opts->updater)
			return refuse(ctx, SQNS_REFUSE_RECOVERY_NO_UPDATER);
		return updater_step(ctx, opts->updater);
	}
	if (mode != SQNS_MODE_APPLICATION)
		return SQNS_OK; /* upgrade, updater or mtools mode: ready as it is */
	if (!opts->updater) {
		r = run_steps(ctx, prepare_steps, COUNT(prepare_steps));
		return r == SQNS_OK ? reboot_into_upgrade_mode(ctx) : r;
	}
	if ((r = read_versions(ctx)) != SQNS_OK)
		return r;
	if ((r = plan_recovery_route(ctx, opts)) != SQNS_OK)
		return r;
	r = p->bootrom_step ? bootrom_step(ctx, opts->bootrom) : reboot_into_recovery(ctx);
	return r == SQNS_OK ? updater_step(ctx, opts->updater) : r;
}
