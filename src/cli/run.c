/* SPDX-License-Identifier: MIT */
/* `sqnsupgrade run`: files first, then the modem; every refusal and failure in words. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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

/* The run's files for the words (src/words), with the file that fits when known. */
static struct sqns_words_files words_files(const struct session *s, const struct run_files *f,
					   const char *fitting)
{
	struct sqns_words_files w = {.firmware = path_of(f->fw),
				     .firmware_size = size_of(f->fw),
				     .fitting = fitting,
				     .baud = s->cli->baud};
	if (f->updater) {
		w.updater = path_of(f->updater);
		w.updater_size = size_of(f->updater);
	}
	if (f->bootrom) {
		w.bootrom = path_of(f->bootrom);
		w.bootrom_size = size_of(f->bootrom);
	}
	if (f->part2) {
		w.part2 = path_of(f->part2);
		w.part2_size = size_of(f->part2);
	}
	return w;
}

/* Commands named for the shell: sqnsupgrade -p PORT run FILE. */
static struct sqns_words_how words_how(const struct session *s)
{
	return (struct sqns_words_how){
	    .style = SQNS_WORDS_CLI, .port = s->cli->port, .quote = shell_quote};
}

#define WORDS_MAX 16384 /* the longest text of the words, commands of long paths included */

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
	char *slash = (char *)path_last_separator(dir);
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
			int n = snprintf(out, len, "%s%s%s", dir,
					 strcmp(dir, "/") ? PATH_SEPARATOR : "", e->d_name);
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

/* Why and what was planned: from the core's result, or from the files alone. */
static void refusal(struct session *s, const struct run_files *f, enum sqns_refusal why,
		    const struct sqns_plan *p, bool modem_seen)
{
	char fit[4096], text[WORDS_MAX];
	bool fits =
	    why == SQNS_REFUSE_DIFF_WRONG_BASE &&
	    fitting_file(path_of(f->fw), p->running_build, p->target.build, fit, sizeof fit);
	struct sqns_words_files files = words_files(s, f, fits ? fit : NULL);
	struct sqns_words_how how = words_how(s);
	sqns_words_refusal(why, p, modem_seen, &files, &how, text, sizeof text);
	output_break(&s->out);
	fprintf(s->out.err, "sqnsupgrade: %s", text);
}

/* After a failed upgrade: what state the modem is in, and the command that finishes. */
static void explain_failure(struct session *s, int err, const struct run_files *f)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	/* Once part 1 is in, what is left is part 2; a rejected image may have a fitting one. */
	const struct sqns_file *img = p->part1_done && f->part2 ? f->part2 : f->fw;
	const struct sqns_image_info *t = p->part1_done ? &p->part2 : &p->target;
	bool booted = s->ctx.res.stage == SQNS_STAGE_UNTOUCHED;
	char fit[4096], port_words[1200], text[WORDS_MAX];
	bool fits =
	    err == SQNS_ERR_REJECTED &&
	    fitting_file(path_of(img), booted ? p->running_build : 0, t->build, fit, sizeof fit);
	struct sqns_words_files files = words_files(s, f, fits ? fit : NULL);
	struct sqns_words_how how = words_how(s);
	struct sqns_words_failure fail = {
	    .err = err, .silent_ms = output_stp_silence_ms(&s->out), .port_words = port_words};
	port_error_words(s, err, port_words, sizeof port_words);
	sqns_words_failure(&s->ctx, &fail, &files, &how, text, sizeof text);
	output_break(&s->out);
	fputs(text, s->out.err);
}

static void print_plan(struct session *s, const struct run_files *f)
{
	char text[WORDS_MAX];
	struct sqns_words_files files = words_files(s, f, NULL);
	struct sqns_words_how how = words_how(s);
	sqns_words_plan(&s->ctx, &files, &how, text, sizeof text);
	output_break(&s->out);
	fputs(text, s->out.out);
}

/*
 * The closing lines: the firmware's version and verdict when it was upgraded,
 * the boot ROM's outcome, and what finishes the job when that is still to do.
 */
static void closing(struct session *s, const struct run_files *f, const char *showver)
{
	char text[WORDS_MAX];
	struct sqns_words_files files = words_files(s, f, NULL);
	struct sqns_words_how how = words_how(s);
	sqns_words_result(&s->ctx, showver, &files, &how, text, sizeof text);
	output_break(&s->out);
	fputs(text, s->out.out);
	fflush(s->out.out);
	sqns_words_bootrom_pending(&s->ctx, &files, &how, text, sizeof text);
	fputs(text, s->out.err);
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
	closing(s, f, showver); /* already on the target build: the boot ROM's lines only */
	return EXIT_OK;
}

/* ---- a release: an archive or a folder (docs/protocol.md section 12) ---- */

/* The exit status for a release sqns_release_check refused. */
static int release_status(enum sqns_release_problem p)
{
	/* A member that is something else is a safety refusal, like the same file given alone. */
	return p == SQNS_RELEASE_NOT_FIRMWARE || p == SQNS_RELEASE_UPDATER_NOT_ELF ? EXIT_REFUSED
										   : EXIT_FILE;
}

/* The files chosen from the release for the words; the release when nothing is chosen yet. */
static struct sqns_words_files release_files(const struct session *s,
					     const struct sqns_release_file *rf,
					     const struct sqns_file *bootrom)
{
	struct sqns_words_files w = {.baud = s->cli->baud};
	sqns_words_files_from_release(&s->ctx, sqns_release_of(rf), s->cli->args[0], &w);
	if (!w.firmware)
		w.firmware = s->cli->args[0];
	if (bootrom) {
		w.bootrom = path_of(bootrom);
		w.bootrom_size = size_of(bootrom);
	}
	return w;
}

static int after_release(struct session *s, int r, const struct sqns_release_file *rf,
			 const struct sqns_file *bootrom)
{
	char text[WORDS_MAX];
	struct sqns_words_files files = release_files(s, rf, bootrom);
	struct sqns_words_how how = words_how(s);
	if (r == SQNS_ERR_REFUSED && s->ctx.res.refusal == SQNS_REFUSE_RELEASE) {
		/* Checked before the port opened; a member changed since cannot be read. */
		sqns_words_release_problem(&s->ctx.res.release, sqns_release_of(rf),
					   s->cli->args[0], text, sizeof text);
		output_break(&s->out);
		fprintf(s->out.err, "sqnsupgrade: %s", text);
		return release_status(s->ctx.res.release.problem);
	}
	if (r == SQNS_ERR_REFUSED) {
		sqns_words_refusal(s->ctx.res.refusal, &s->ctx.res.plan, true, &files, &how, text,
				   sizeof text);
		output_break(&s->out);
		fprintf(s->out.err, "sqnsupgrade: %s", text);
		return EXIT_REFUSED;
	}
	if (r == SQNS_ERR_UNSUPPORTED && s->fixed_rate &&
	    s->ctx.res.stage == SQNS_STAGE_UNTOUCHED) {
		/* The release chose the recovery method, which uart()'s mirror cannot carry. */
		const char *fw = files.firmware ? files.firmware : "FIRMWARE.dup";
		const char *slash = strrchr(fw, '/');
		output_break(&s->out);
		fprintf(s->out.err,
			"sqnsupgrade: the modem needs the recovery method, which the board's "
			"mirror (uart()) cannot carry: nothing was changed on it. Unpack the "
			"release and give its .dup and updater.elf instead: the board then runs "
			"uart(True), which does the recovery itself (reset the board first: it is "
			"in mirror mode):\n  sqnsupgrade -p %s --board run %s updater.elf\n",
			s->cli->port, slash ? slash + 1 : fw);
		return EXIT_REFUSED;
	}
	if (r != SQNS_OK) {
		char port_words[1200];
		struct sqns_words_failure fail = {.err = r,
						  .silent_ms = output_stp_silence_ms(&s->out),
						  .port_words = port_words};
		port_error_words(s, r, port_words, sizeof port_words);
		sqns_words_failure(&s->ctx, &fail, &files, &how, text, sizeof text);
		output_break(&s->out);
		fputs(text, s->out.err);
		return exit_for(r);
	}
	if (s->cli->dry_run) {
		if (s->out.planned) {
			sqns_words_plan(&s->ctx, &files, &how, text, sizeof text);
			output_break(&s->out);
			fputs(text, s->out.out);
		}
		return EXIT_OK;
	}
	sqns_words_result(&s->ctx, s->showver, &files, &how, text, sizeof text);
	output_break(&s->out);
	fputs(text, s->out.out);
	fflush(s->out.out);
	sqns_words_bootrom_pending(&s->ctx, &files, &how, text, sizeof text);
	fputs(text, s->out.err);
	return EXIT_OK;
}

/* A name that ends in .zip (any case). */
static bool names_zip(const char *path)
{
	size_t n = strlen(path);
	return n >= 4 && strcasecmp(path + n - 4, ".zip") == 0;
}

/* What was chosen, by name, for --json's result (written after the release is closed). */
static void keep_choice(struct session *s, const struct sqns_release *rel)
{
	const struct sqns_plan *p = &s->ctx.res.plan;
	struct chosen *k = &s->chosen;
	*k =
	    (struct chosen){.from_release = true, .why = p->from_release ? (int)p->choice.why : -1};
	snprintf(k->release, sizeof k->release, "%s", s->cli->args[0]);
	int idx[3] = {p->choice.image, p->choice.part2, p->choice.updater};
	char *out[3] = {k->image, k->part2, k->updater};
	for (int i = 0; i < 3; i++)
		if (p->from_release && idx[i] >= 0 && (size_t)idx[i] < rel->count)
			snprintf(out[i], sizeof k->image, "%s", rel->members[idx[i]].name);
}

/*
 * run ARCHIVE|FOLDER: the release opened and checked before the port is, then
 * the core detects the modem and chooses the image and the method.
 */
static int run_release(struct session *s)
{
	struct cli *c = s->cli;
	const char *name = c->args[0];
	char why[1200];
	int r;
	if (c->nargs > 1) {
		char q[2 * 4096];
		shell_quote(q, sizeof q, name);
		fprintf(s->out.err,
			"sqnsupgrade: '%s' is a release: it holds updater.elf itself, so give it "
			"alone: sqnsupgrade run %s (--bootrom for the boot ROM)\n",
			name, q);
		return EXIT_USAGE;
	}
	struct sqns_release_file *rf = sqns_release_open(name, &r, why, sizeof why);
	if (!rf) {
		fprintf(s->out.err, "sqnsupgrade: %s\n", why);
		return EXIT_FILE;
	}
	struct sqns_file *bootrom = NULL;
	int status = c->bootrom ? open_one(&bootrom, c->bootrom, NULL, s->out.err) : SQNS_OK;
	if (status != SQNS_OK) {
		sqns_release_close(rf);
		return status;
	}
	/* Every member checked before the port is opened: nothing is sent for a bad release. */
	const struct sqns_release *rel = sqns_release_of(rf);
	struct sqns_release_summary sum;
	r = sqns_release_check(rel, &sum);
	if (r != SQNS_OK) {
		if (r == SQNS_ERR_REFUSED)
			sqns_words_release_problem(&sum, rel, name, why, sizeof why);
		else
			snprintf(why, sizeof why, "'%s' cannot be read as a release\n", name);
		fprintf(s->out.err, "sqnsupgrade: %s", why);
		sqns_file_close(bootrom);
		sqns_release_close(rf);
		return r == SQNS_ERR_REFUSED ? release_status(sum.problem) : EXIT_FILE;
	}
	struct sqns_upgrade_opts opts = {
	    .release = rel,
	    .bootrom = bootrom ? sqns_file_image(bootrom) : NULL,
	    .fff = c->fff,
	    .force_fff = c->force_fff,
	    .force = c->force,
	    .dry_run = c->dry_run,
	};
	if ((status = session_open_port(s)) >= 0) {
		sqns_file_close(bootrom);
		sqns_release_close(rf);
		return status;
	}
	s->out.release = rel;
	s->out.release_name = name;
	s->out.release_baud = c->baud;
	output_welcome(s->out.out, NULL);
	r = sqns_upgrade(&s->ctx, &opts, s->showver, sizeof s->showver);
	session_log_totals(s);
	status = after_release(s, r, rf, bootrom);
	keep_choice(s, rel);
	s->out.release = NULL;
	sqns_file_close(bootrom);
	sqns_release_close(rf);
	return status;
}

int cmd_run(struct session *s)
{
	struct cli *c = s->cli;
	if (c->nports > 1)
		return fleet_run(s);
	if (sqns_release_is(c->args[0]) || names_zip(c->args[0]))
		return run_release(s); /* a missing CATM1-39529.zip is said as a release */
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
		/* Part 2 in the firmware's place: the words name it. */
		struct run_files second_files = {.fw = f.part2};
		refusal(s, &second_files, why, &(struct sqns_plan){0}, false);
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
	output_welcome(s->out.out, NULL);
	r = sqns_upgrade(&s->ctx, &opts, s->showver, sizeof s->showver);
	session_log_totals(s);
	status = after_upgrade(s, r, &f, s->showver);
	close_files(&f);
	return status;
}
