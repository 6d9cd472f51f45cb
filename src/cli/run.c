/* `sqnsupgrade run`: files first, then the modem; every refusal and failure in words. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The files of the command line, opened through the library's host API. */
struct run_files {
	struct sqns_file *fw, *updater, *bootrom, *part2; /* NULL: not given */
};

static const char *path_of(const struct sqns_file *f)
{
	return sqns_file_path(f);
}

static const char *name_of(const struct sqns_file *f)
{
	const char *slash = strrchr(path_of(f), '/');
	return slash ? slash + 1 : path_of(f);
}

static uint32_t size_of(const struct sqns_file *f)
{
	return sqns_file_image(f)->size;
}

static void close_files(struct run_files *f)
{
	sqns_file_close(f->fw);
	sqns_file_close(f->updater);
	sqns_file_close(f->bootrom);
	sqns_file_close(f->part2);
	*f = (struct run_files){0};
}

/*
 * Part 2 of a two-part release, beside part 1: the same name with "-2"
 * where part 1's has "-1" (CATM1-5.2-48829-1.dup, CATM1-5.2-48829-2.dup).
 * Into out; false when fw is not part 1.
 */
static bool part2_path(const char *fw, char *out, size_t len)
{
	struct sqns_image_info info;
	sqns_parse_image_name(fw, &info);
	size_t n = strlen(fw);
	if (info.part != 1 || n < 6 || n >= len || strncmp(fw + n - 6, "-1.", 3) != 0)
		return false;
	memcpy(out, fw, n + 1);
	out[n - 5] = '2';
	return true;
}

/*
 * The release file in fw's folder that fits a modem on build `running` for
 * the release `to`: upgdiff_RUNNING-to-TO.dup, else the full image of TO.
 * Into out (its path); false when the folder holds neither.
 */
static bool fitting_file(const char *fw, uint32_t running, uint32_t to, char *out, size_t len)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", fw);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool diff = false, full = false;
	struct dirent *e;
	while ((e = readdir(d)) && !diff) {
		struct sqns_image_info i;
		if (!sqns_parse_image_name(e->d_name, &i) || i.build != to || i.part)
			continue;
		bool fits_diff = i.differential && running && i.from == running;
		if (fits_diff || (!i.differential && !full)) {
			int n = snprintf(out, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
					 e->d_name);
			if (n < 0 || (size_t)n >= len)
				continue; /* a path too long to print: not offered */
			diff = fits_diff;
			full = full || !i.differential;
		}
	}
	closedir(d);
	return diff || full;
}

/*
 * One file: SQNS_OK, or the exit status with its one-line reason on err (a
 * boot ROM that is readable but not a boot ROM is refused, the rest is a file
 * error).
 */
static int open_one(struct sqns_file **f, const char *path, const char *what, FILE *err)
{
	char why[700];
	int r;
	*f = what ? sqns_file_open_as(path, what, &r, why, sizeof why)
		  : sqns_bootrom_open(path, &r, why, sizeof why);
	if (*f)
		return SQNS_OK;
	fprintf(err, "sqnsupgrade: %s\n", why);
	return r == SQNS_ERR_REFUSED ? EXIT_REFUSED : EXIT_FILE;
}

static int open_files(struct cli *c, struct run_files *f, FILE *err)
{
	*f = (struct run_files){0};
	int status = open_one(&f->fw, c->args[0], "firmware file", err);
	if (status == SQNS_OK && c->nargs > 1)
		status = open_one(&f->updater, c->args[1], "updater file", err);
	if (status == SQNS_OK && c->bootrom)
		status = open_one(&f->bootrom, c->bootrom, NULL, err);
	/* Part 2 beside part 1: the same run sends it next. */
	char part2[4096];
	if (status == SQNS_OK && part2_path(path_of(f->fw), part2, sizeof part2) &&
	    access(part2, F_OK) == 0)
		status = open_one(&f->part2, part2, "part 2 file", err);
	if (status == SQNS_OK)
		return -1;
	close_files(f);
	return status;
}

/*
 * The command that runs the same upgrade again (it resumes from the modem's
 * mode): with fw in place of the firmware's path when not NULL, and with the
 * updater when there is one and with_updater.
 */
static void rerun_command(struct session *s, const struct run_files *f, const char *fw,
			  bool with_updater, char *out, size_t len)
{
	char port[600], file[4200], upd[4200] = "";
	shell_quote(port, sizeof port, s->cli->port);
	shell_quote(file, sizeof file, fw ? fw : path_of(f->fw));
	if ((f->updater != NULL) && with_updater) {
		upd[0] = ' ';
		shell_quote(upd + 1, sizeof upd - 1, path_of(f->updater));
	}
	snprintf(out, len, "sqnsupgrade -p %s run %s%s", port, file, upd);
}

/* What a file that is not a firmware image is, and what to do instead. */
static void not_firmware(FILE *err, enum sqns_refusal why, const char *fw)
{
	switch (why) {
	case SQNS_REFUSE_FIRMWARE_IS_ELF:
		fprintf(err,
			"'%s' is an ELF file: that is updater.elf, not a firmware image. The order "
			"is: run FIRMWARE.dup UPDATER.elf\n",
			fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_ZIP:
		fprintf(err,
			"'%s' is a zip archive, not a firmware image: unpack it (unzip '%s') and "
			"give the .dup file it holds, such as CATM1-39529.dup\n",
			fw, fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_COMPRESSED:
		fprintf(err,
			"'%s' is a compressed file (gzip, xz, bzip2 or 7-Zip), not a firmware "
			"image: unpack it and give the .dup file it holds\n",
			fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_TAR:
		fprintf(err,
			"'%s' is a tar archive, not a firmware image: unpack it (tar -xf '%s') and "
			"give the .dup file it holds\n",
			fw, fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_HTML:
		fprintf(err,
			"'%s' is an HTML page (a download page saved instead of the file, or a "
			"login page), not a firmware image: download the .dup file itself again\n",
			fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_TEXT:
		fprintf(err,
			"'%s' is a text file, not a firmware image: give the .dup file from the "
			"firmware archive\n",
			fw);
		break;
	case SQNS_REFUSE_FIRMWARE_IS_BOOTROM:
		fprintf(err,
			"'%s' is the boot ROM (it starts with UPGR), not a firmware image: give it "
			"with --bootrom, and the .dup file as the firmware\n",
			fw);
		break;
	default:
		break;
	}
}

/* The differential image, or part 2, whose base the modem does not run. */
static void wrong_base(struct session *s, const struct run_files *f, enum sqns_refusal why,
		       const struct sqns_plan *p)
{
	FILE *err = s->out.err;
	const char *fw = name_of(f->fw);
	char fit[4096], cmd[9000];
	if (why == SQNS_REFUSE_PART2_WRONG_BASE) {
		char part1[4096];
		snprintf(part1, sizeof part1, "%s", path_of(f->fw));
		part1[strlen(part1) - 5] = '1';
		rerun_command(s, f, part1, false, cmd, sizeof cmd);
		fprintf(
		    err,
		    "'%s' is part 2 of a two-part release: it applies to the intermediate build "
		    "%u that part 1 leaves, and the modem runs build %u. Send part 1 first (part "
		    "2 follows in the same run when it lies beside it):\n  %s\n(--force sends "
		    "part 2 anyway)\n",
		    fw, p->target.from, p->running_build, cmd);
		return;
	}
	if (fitting_file(path_of(f->fw), p->running_build, p->target.build, fit, sizeof fit)) {
		rerun_command(s, f, fit, false, cmd, sizeof cmd);
		fprintf(err,
			"'%s' applies only to build %u, and the modem runs build %u. The file that "
			"fits is beside it:\n  %s\n(--force sends '%s' anyway)\n",
			fw, p->target.from, p->running_build, cmd, fw);
		return;
	}
	fprintf(err,
		"'%s' applies only to build %u, and the modem runs build %u. Use "
		"upgdiff_%u-to-%u.dup or the full image of build %u, or --force to send it "
		"anyway\n",
		fw, p->target.from, p->running_build, p->running_build, p->target.build,
		p->target.build);
}

/* Why and what was planned: from the core's result, or from the files alone. */
static void refusal(struct session *s, const struct run_files *f, enum sqns_refusal why,
		    const struct sqns_plan *p, bool modem_seen)
{
	const char *fw = name_of(f->fw);
	char cmd[9000];
	output_break(&s->out);
	fputs("sqnsupgrade: ", s->out.err);
	switch (why) {
	case SQNS_REFUSE_UPDATER_NOT_ELF:
		fprintf(s->out.err,
			"'%s' is not an ELF file, so it is not updater.elf; give the updater.elf "
			"from the firmware archive as the second file\n",
			name_of(f->updater));
		break;
	case SQNS_REFUSE_FIRMWARE_IS_ELF:
	case SQNS_REFUSE_FIRMWARE_IS_ZIP:
	case SQNS_REFUSE_FIRMWARE_IS_COMPRESSED:
	case SQNS_REFUSE_FIRMWARE_IS_TAR:
	case SQNS_REFUSE_FIRMWARE_IS_HTML:
	case SQNS_REFUSE_FIRMWARE_IS_TEXT:
	case SQNS_REFUSE_FIRMWARE_IS_BOOTROM:
		not_firmware(s->out.err, why, fw);
		break;
	case SQNS_REFUSE_DIFF_WRONG_BASE:
	case SQNS_REFUSE_PART2_WRONG_BASE:
		wrong_base(s, f, why, p);
		break;
	case SQNS_REFUSE_FACTORY_BOOTROM:
		rerun_command(s, f, NULL, true, cmd, sizeof cmd);
		fprintf(
		    s->out.err,
		    "the modem still has its factory boot ROM (Bootloader0 %u): a first upgrade "
		    "MUST use the recovery method, otherwise the module may break. Run:\n  %s "
		    "updater.elf --bootrom BOOTROM\n(--force skips this check)\n",
		    p->bootloader0, cmd);
		break;
	case SQNS_REFUSE_BOOTROM_MISSING:
		rerun_command(s, f, NULL, true, cmd, sizeof cmd);
		fprintf(s->out.err,
			"the modem still has its factory boot ROM (Bootloader0 %u), so the "
			"recovery method starts by replacing it, and no boot ROM file was given. "
			"Sequans' boot ROM is not shipped with this tool. Run:\n  %s --bootrom "
			"BOOTROM\nwhere BOOTROM is sqnsbrz.py or sqnsbr.py from Pycom's library "
			"(folder lib/sqnsupgrade of github.com/pycom/pycom-libraries), or the raw "
			"image\n",
			p->bootloader0, cmd);
		break;
	case SQNS_REFUSE_RECOVERY_NO_UPDATER:
		fprintf(
		    s->out.err,
		    "the modem is in recovery mode (0): it needs updater.elf with a full (not "
		    "differential) image: sqnsupgrade -p PORT run NAME-BUILD.dup updater.elf\n");
		break;
	case SQNS_REFUSE_MTOOLS_UPDATER:
		fprintf(s->out.err, "the modem is in mTools mode (1): it takes the .dup alone; run "
				    "again without updater.elf\n");
		break;
	case SQNS_REFUSE_BOOTROM_NOT_UPGR:
		fprintf(s->out.err,
			"'%s' is not a boot ROM: a boot ROM image starts with the magic UPGR. Give "
			"the raw boot ROM, or Pycom's sqnsbr.py or sqnsbrz.py\n",
			name_of(f->bootrom));
		break;
	case SQNS_REFUSE_DIFF_WITH_UPDATER: /* no longer returned by the library */
	case SQNS_REFUSE_RECOVERY_DIFF:
	case SQNS_REFUSE_NONE:
		fprintf(s->out.err, "refused\n");
		break;
	}
	if (modem_seen)
		fputs("Nothing was changed on the modem.\n", s->out.err);
}

/* "90 s", "5 minutes", "5 min 30 s". */
static void format_duration(char *buf, size_t n, uint32_t seconds)
{
	if (seconds < 120)
		snprintf(buf, n, "%u s", seconds);
	else if (seconds % 60 == 0)
		snprintf(buf, n, "%u minutes", seconds / 60);
	else
		snprintf(buf, n, "%u min %u s", seconds / 60, seconds % 60);
}

/*
 * A transfer that ended on a silent modem: how long it stayed silent. True
 * when that reached the stall limit (--stall-timeout): the modem hangs.
 */
static bool explain_silence(struct session *s, int err)
{
	uint32_t silent_ms = output_stp_silence_ms(&s->out);
	uint32_t limit_ms = s->ctx.cfg.timeouts.stall_ms;
	char d[40];
	if (err != SQNS_ERR_TIMEOUT || silent_ms < 1000)
		return false;
	if (limit_ms && silent_ms + 1000 >= limit_ms) {
		format_duration(d, sizeof d, (limit_ms + 500) / 1000);
		fprintf(s->out.err,
			"The modem stayed silent for %s in one exchange of the transfer, retries "
			"included: past that limit (--stall-timeout, 5 minutes unless set) a modem "
			"has hung.\n",
			d);
		return true;
	}
	format_duration(d, sizeof d, silent_ms / 1000);
	fprintf(s->out.err,
		"The modem stayed silent for %s in one exchange of the transfer, retries "
		"included.\n",
		d);
	return false;
}

/* The boot ROM step that stays to be done: the firmware is fine. */
static void explain_bootrom_pending(struct session *s, const struct run_files *f)
{
	char cmd[9000], rom[4200];
	rerun_command(s, f, NULL, false, cmd, sizeof cmd);
	shell_quote(rom, sizeof rom, (f->bootrom != NULL) ? path_of(f->bootrom) : "BOOTROM");
	fprintf(s->out.err,
		"The new firmware is installed and runs; sending the boot ROM again failed, so "
		"Bootloader0 still reads %u (the factory's). To finish: power-cycle the board if "
		"the modem does not answer (disconnect power; the reset button is not enough), "
		"then run:\n  %s --bootrom %s\n",
		SQNS_FACTORY_BOOTLOADER0, cmd, rom);
}

/*
 * The modem refused the image after its transfer (its report was printed as
 * it came). It booted its old firmware back (stage untouched), or it waits in
 * upgrade mode for a full image.
 */
static void explain_rejection(struct session *s, const struct run_files *f,
			      const struct sqns_file *img)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	const struct sqns_image_info *t = p->part1_done ? &p->part2 : &p->target;
	char fit[4096], cmd[9000];
	bool booted = s->ctx.res.stage == SQNS_STAGE_UNTOUCHED;
	bool found =
	    fitting_file(path_of(img), booted ? p->running_build : 0, t->build, fit, sizeof fit);
	if (booted) {
		rerun_command(s, f, found ? fit : "FULL-IMAGE.dup", false, cmd, sizeof cmd);
		fprintf(s->out.err,
			"The modem refused '%s' and booted its old firmware again: it still runs "
			"build %u. %s:\n  %s\n",
			path_of(img), p->running_build,
			t->differential ? "A differential image fits only the build it was made "
					  "for; send the image that fits this modem"
					: "Send a good copy of the image",
			cmd);
		return;
	}
	rerun_command(s, f, found ? fit : "FULL-IMAGE.dup", true, cmd, sizeof cmd);
	fprintf(s->out.err,
		"The modem refused '%s' (a differential image made for another build, or a "
		"damaged file) and stays in upgrade mode (4): it waits for a full image "
		"(NAME-BUILD.dup). Send one:\n  %s --resume\n",
		path_of(img), cmd);
}

/* The modem runs another build than the image's name says. */
static void explain_verify(struct session *s, const struct sqns_file *img)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	const struct sqns_image_info *t = p->part1_done ? &p->part2 : &p->target;
	if (t->part == 1)
		fprintf(s->out.err,
			"The modem runs build %u, not the intermediate build %u that part 1 "
			"('%s') leaves.\n",
			p->running_build, t->leaves, name_of(img));
	else if (t->leaves)
		fprintf(s->out.err, "The modem runs build %u, not build %u named by '%s'.\n",
			p->running_build, t->leaves, name_of(img));
	else if (p->build_before && p->running_build == p->build_before)
		fprintf(s->out.err,
			"The modem still runs build %u, the build it ran before '%s' was sent.\n",
			p->running_build, name_of(img));
	else
		fprintf(s->out.err, "The modem runs %s firmware, and '%s' is %s firmware.\n",
			sqns_channel_name(p->channel), name_of(img), sqns_channel_name(t->channel));
}

/* After a failed upgrade: what state the modem is in, and the command that finishes. */
static void explain_failure(struct session *s, int err, const struct run_files *f)
{
	char cmd[9000];
	/* Once part 1 is in, what is left is part 2. */
	const struct sqns_file *img = s->ctx.res.plan.part1_done && f->part2 ? f->part2 : f->fw;
	output_break(&s->out);
	fprintf(s->out.err, "sqnsupgrade: upgrade failed: %s.\n", sqns_strerror(err));
	if (s->ctx.res.plan.part1_done)
		fprintf(s->out.err,
			"Part 1 of the release is in (the modem ran the intermediate build); part "
			"2, '%s', failed.\n",
			name_of(img));
	port_error(s, err);
	bool hung = explain_silence(s, err);
	rerun_command(s, f, path_of(img), img == f->fw, cmd, sizeof cmd);
	switch (s->ctx.res.stage) {
	case SQNS_STAGE_UNTOUCHED:
		if (err == SQNS_ERR_REJECTED) {
			explain_rejection(s, f, img);
			return;
		}
		fprintf(s->out.err, "The modem was not changed: it still runs its old firmware.\n");
		if (s->ctx.res.plan.fff)
			fprintf(s->out.err,
				"A stored (FFF) transfer that stalls is the known fault of a modem "
				"whose file system is read-only; ON_THE_FLY, the default, does not "
				"use it. Run without --fff.\n");
		if (err == SQNS_ERR_NO_MODEM)
			(void)no_modem(s);
		if (hung) /* a modem that hangs answers nothing until it restarts */
			fprintf(s->out.err,
				"To try again: power-cycle the board (disconnect power; the reset "
				"button is not enough), then run:\n  %s\n",
				cmd);
		else
			fprintf(s->out.err, "To try again:\n  %s\n", cmd);
		return;
	case SQNS_STAGE_RECOVERY:
		fprintf(s->out.err,
			"The modem is in recovery mode (0) and has no working firmware; "
			"it needs updater.elf and a full image.\n");
		if (!(f->updater != NULL) || s->ctx.res.plan.target.differential) {
			fprintf(s->out.err, "To finish: sqnsupgrade -p PORT run NAME-BUILD.dup "
					    "updater.elf\n");
			return;
		}
		break;
	case SQNS_STAGE_UPGRADE_MODE:
		if (err == SQNS_ERR_REJECTED) {
			explain_rejection(s, f, img);
			return;
		}
		fprintf(s->out.err,
			"The modem is in upgrade mode (4) and waits for a firmware image; "
			"it will not work as a modem until the upgrade is finished.\n");
		break;
	case SQNS_STAGE_TRANSFERRED:
		fprintf(s->out.err,
			"The whole image was sent; the modem was checking or applying it "
			"and may be in upgrade mode (4).\n");
		break;
	case SQNS_STAGE_DONE:
		if (err == SQNS_ERR_VERIFY)
			explain_verify(s, img);
		else if (s->ctx.res.plan.bootrom_pending)
			explain_bootrom_pending(s, f);
		else
			fprintf(s->out.err, "The new firmware is installed; only the final steps "
					    "failed.\n");
		return;
	}
	fprintf(s->out.err,
		"To finish: power-cycle the board%s (disconnect power; the reset button is not "
		"enough), then run:\n  %s --resume\n",
		hung ? "" : " if the modem does not answer", cmd);
}

static double transfer_seconds(uint32_t bytes, uint32_t rate)
{
	/* 10 bits a byte on the line, plus STP's two request/response turns a block. */
	return (double)bytes * 10.0 / rate * 1.035;
}

/* --dry-run, plan.bootrom_only: the firmware is current, the boot ROM still the factory's. */
static void print_bootrom_only(struct session *s, const struct run_files *f)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	uint32_t rate = s->cli->baud;
	FILE *o = s->out.out;
	fprintf(o,
		"  1. only the boot ROM, stored (FFF): the modem already runs build %u and "
		"Bootloader0 still reads %u\n",
		p->running_build, p->bootloader0);
	fprintf(o, "  2. boot ROM: send %s (%u bytes) by FFF, apply it, verify Bootloader0\n",
		name_of(f->bootrom), size_of(f->bootrom));
	fprintf(o, "  estimated transfer time at %u baud: %.0f s\n", rate,
		transfer_seconds(size_of(f->bootrom), rate));
}

static void print_plan(struct session *s, const struct run_files *f)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	uint32_t rate = s->cli->baud;
	double secs = 0;
	int step = 1;
	FILE *o = s->out.out;
	output_break(&s->out);
	fprintf(o, "Plan (dry run: nothing on the modem was changed):\n");
	fprintf(o, "  modem: %s mode (%d) at %u baud", sqns_mode_name(p->mode), p->mode, p->rate);
	if (p->running_build)
		fprintf(o, ", running build %u (%s), boot ROM %u", p->running_build,
			sqns_channel_name(p->channel), p->bootloader0);
	fputc('\n', o);
	if (p->channel && p->target.channel && p->channel != p->target.channel)
		fprintf(o, "  a switch of channel: the modem runs %s firmware, %s is %s firmware\n",
			sqns_channel_name(p->channel), name_of(f->fw),
			sqns_channel_name(p->target.channel));
	if (p->bootrom_only) {
		print_bootrom_only(s, f);
		return;
	}
	if (p->bootrom_step) {
		fprintf(o,
			"  %d. boot ROM: send %s (%u bytes) ON_THE_FLY after a reboot into "
			"upgrade mode, then reboot into recovery mode\n",
			step++, name_of(f->bootrom), size_of(f->bootrom));
		secs += transfer_seconds(size_of(f->bootrom), rate);
	}
	if (p->recovery_step)
		fprintf(o, "  %d. reboot into recovery mode\n", step++);
	if (p->updater_step) {
		fprintf(o,
			"  %d. updater: negotiate %u -> %u baud, send %s (%u bytes), wait for "
			"upgrade mode\n",
			step++, SQNS_RECOVERY_RATE, rate, name_of(f->updater), size_of(f->updater));
		secs += transfer_seconds(size_of(f->updater), rate);
	}
	/* From the application, ON_THE_FLY goes after a reboot into upgrade mode. */
	bool reboot_first = p->mode == SQNS_MODE_APPLICATION && !p->fff && !p->updater_step;
	fprintf(o, "  %d. firmware: send %s (%u bytes, %s%s) %s%s%s%s\n", step++, name_of(f->fw),
		size_of(f->fw),
		p->target.part == 1	 ? "part 1 of 2"
		: p->target.part == 2	 ? "part 2 of 2"
		: p->target.differential ? "differential"
					 : "full image",
		p->target_known ? "" : ", the name gives no build",
		p->fff ? "by FFF, then apply" : "ON_THE_FLY",
		reboot_first ? " after a reboot into upgrade mode" : "",
		p->target.channel ? "; " : "",
		p->target.channel ? sqns_channel_name(p->target.channel) : "");
	secs += transfer_seconds(size_of(f->fw), rate);
	if (p->base_unknown)
		fprintf(
		    o,
		    "     (its base, build %u, cannot be read in %s mode: the modem checks it)\n",
		    p->target.from, sqns_mode_name(p->mode));
	if (p->target.part == 1 && p->target.leaves)
		fprintf(o, "  %d. reboot into application mode, verify the intermediate build %u\n",
			step++, p->target.leaves);
	else if (p->target.part == 1)
		fprintf(o,
			"  %d. reboot into application mode, report the build (the name does not "
			"say which intermediate build part 1 leaves)\n",
			step++);
	else if (p->target_known)
		fprintf(o, "  %d. reboot into application mode, verify build %u\n", step++,
			p->target.build);
	else
		fprintf(o,
			"  %d. reboot into application mode, report the build it runs (the name "
			"gives none to verify)\n",
			step++);
	if (p->part2_step) {
		fprintf(o,
			"  %d. part 2: send %s (%u bytes) ON_THE_FLY after a reboot into upgrade "
			"mode, with no power cycle in between\n",
			step++, name_of(f->part2), size_of(f->part2));
		fprintf(o, "  %d. reboot into application mode, verify build %u\n", step++,
			p->part2.build);
		secs += transfer_seconds(size_of(f->part2), rate);
	} else if (p->target.part == 1) {
		fprintf(o, "  (part 2 is not beside part 1: it must follow before any power cycle, "
			   "in a second run)\n");
	}
	bool factory =
	    p->bootrom_step || p->bootloader0 == SQNS_FACTORY_BOOTLOADER0 || !p->bootloader0;
	if ((f->bootrom != NULL) && factory)
		fprintf(o,
			"  %d. then, if Bootloader0 still reads %u: the boot ROM again, stored "
			"(FFF), %s (%u bytes)\n",
			step, SQNS_FACTORY_BOOTLOADER0, name_of(f->bootrom), size_of(f->bootrom));
	else if (p->bootloader0 == SQNS_FACTORY_BOOTLOADER0)
		fprintf(o,
			"  (Bootloader0 reads %u and no boot ROM file is given: it will stay the "
			"factory's)\n",
			p->bootloader0);
	fprintf(o, "  estimated transfer time at %u baud: %.0f s\n", rate, secs);
}

/* The boot ROM's outcome, after the firmware's: verified, or what finishes the job. */
static void bootrom_result(struct session *s, const struct run_files *f)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	char cmd[9000];
	if (p->bootrom_again && !p->bootrom_pending && p->bootloader0_after)
		fprintf(s->out.out, "Verified: boot ROM (Bootloader0) now build %u\n",
			p->bootloader0_after);
	if (!p->bootrom_pending)
		return;
	fflush(s->out.out);
	rerun_command(s, f, NULL, false, cmd, sizeof cmd);
	fprintf(s->out.err,
		"sqnsupgrade: warning: %sthe modem runs build %u, but its boot ROM "
		"(Bootloader0) still reads %u, the factory's%s. To finish, run:\n  %s --bootrom "
		"BOOTROM\nwhere BOOTROM is the boot ROM: Pycom's sqnsbr.py, sqnsbrz.py or the raw "
		"image.\n",
		s->ctx.res.stage == SQNS_STAGE_DONE ? "the upgrade worked and " : "",
		p->running_build,
		p->bootloader0_after ? p->bootloader0_after : SQNS_FACTORY_BOOTLOADER0,
		(f->bootrom != NULL) ? " even after it was sent again" : "", cmd);
}

/* The closing line on the firmware: verified, reported, or part 2 still to come. */
static void verdict(struct session *s, const struct run_files *f)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	const struct sqns_image_info *t = p->part2_step ? &p->part2 : &p->target;
	const struct sqns_file *img = p->part2_step ? f->part2 : f->fw;
	char cmd[9000], part2[4096];
	FILE *o = s->out.out;
	if (t->part == 1) {
		/* Part 1 alone: part 1's line was said; part 2 must follow before any power cycle.
		 */
		if (!part2_path(path_of(f->fw), part2, sizeof part2))
			snprintf(part2, sizeof part2, "PART-2.dup");
		rerun_command(s, f, part2, false, cmd, sizeof cmd);
		fprintf(o,
			"Part 2 of this release must follow now, before any power cycle or "
			"reset of the modem. Run:\n  %s\n",
			cmd);
	} else if (t->leaves) {
		fprintf(o, "Verified: modem now runs build %u\n", p->running_build);
	} else if (p->running_build) {
		fprintf(o,
			"The modem now runs build %u (the name '%s' gives no build to verify "
			"against)\n",
			p->running_build, name_of(img));
	} else {
		fprintf(o, "Not verified: the name '%s' gives no build, and showver none either\n",
			name_of(img));
	}
}

static int after_upgrade(struct session *s, int r, const struct run_files *f, const char *showver)
{
	if (r == SQNS_ERR_REFUSED) {
		refusal(s, f, s->ctx.res.refusal, &s->ctx.res.plan, true);
		return EXIT_REFUSED;
	}
	if (r != SQNS_OK) {
		explain_failure(s, r, f);
		return exit_for(r);
	}
	if (s->cli->dry_run) {
		if (s->out.planned) /* not when there is nothing to do */
			print_plan(s, f);
		return EXIT_OK;
	}
	if (s->ctx.res.stage != SQNS_STAGE_DONE) {
		bootrom_result(s, f); /* already on the target build */
		return EXIT_OK;
	}
	output_block(&s->out, "Here's the current firmware version:\n\n");
	output_block(&s->out, showver);
	verdict(s, f);
	bootrom_result(s, f);
	return EXIT_OK;
}

int cmd_run(struct session *s)
{
	struct cli *c = s->cli;
	if (c->nports > 1)
		return fleet_run(s);
	struct run_files f;
	int status = open_files(c, &f, s->out.err);
	if (status >= 0)
		return status;
	struct sqns_upgrade_opts opts = {
	    .image = sqns_file_image(f.fw),
	    .updater = (f.updater != NULL) ? sqns_file_image(f.updater) : NULL,
	    .bootrom = (f.bootrom != NULL) ? sqns_file_image(f.bootrom) : NULL,
	    .part2 = (f.part2 != NULL) ? sqns_file_image(f.part2) : NULL,
	    .fff = c->fff,
	    .force_fff = c->force_fff,
	    .force = c->force,
	    .dry_run = c->dry_run,
	};
	/* Every check the files allow, before the port is even opened. */
	enum sqns_refusal why;
	struct sqns_upgrade_opts second = {.image = opts.part2};
	int r = opts.part2 ? sqns_check_images(&second, &why) : SQNS_OK;
	if (r == SQNS_ERR_REFUSED) {
		fputs("sqnsupgrade: ", s->out.err);
		not_firmware(s->out.err, why, name_of(f.part2));
		close_files(&f);
		return EXIT_REFUSED;
	}
	if (r == SQNS_OK)
		r = sqns_check_images(&opts, &why);
	if (r == SQNS_ERR_REFUSED) {
		struct sqns_plan files = {0};
		sqns_parse_image_name(sqns_file_image(f.fw)->name, &files.target);
		refusal(s, &f, why, &files, false);
		close_files(&f);
		return EXIT_REFUSED;
	}
	if (r != SQNS_OK) {
		fprintf(s->out.err, "sqnsupgrade: cannot read the firmware files\n");
		close_files(&f);
		return EXIT_FILE;
	}
	if ((f.updater != NULL) && c->port && strncmp(c->port, "socket://", 9) == 0) {
		fprintf(s->out.err,
			"sqnsupgrade: the recovery method moves the modem from %u to %u "
			"baud, which a raw socket:// connection cannot do; use the serial port "
			"itself\n",
			SQNS_RECOVERY_RATE, c->baud);
		close_files(&f);
		return EXIT_USAGE;
	}
	if ((status = session_open_port(s)) >= 0) {
		close_files(&f);
		return status;
	}
	fputs("<<< Welcome to the SQN3330 firmware updater >>>\n", s->out.out);
	r = sqns_upgrade(&s->ctx, &opts, s->showver, sizeof s->showver);
	session_log_totals(s);
	status = after_upgrade(s, r, &f, s->showver);
	close_files(&f);
	return status;
}
