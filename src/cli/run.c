/* SPDX-License-Identifier: MIT */
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
