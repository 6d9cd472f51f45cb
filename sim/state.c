#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const report_names[] = {
    [REPORT_NONE] = "none",
    [REPORT_SUCCESS] = "success",
    [REPORT_FAIL] = "fail",
    [REPORT_ONGOING] = "on-going",
};

const char *report_name(enum report r)
{
	return report_names[r];
}

static enum report report_parse(const char *v)
{
	for (unsigned i = 0; i < sizeof(report_names) / sizeof(report_names[0]); i++)
		if (strcmp(v, report_names[i]) == 0)
			return (enum report)i;
	return REPORT_NONE;
}

static void copy_hex(char *dst, const char *v)
{
	snprintf(dst, SHA256_HEX_LEN, "%s", v);
}

/* Returns false for a key it does not know. */
static bool state_set(struct modem_state *st, const char *k, const char *v)
{
	if (strcmp(k, "mode") == 0)
		st->mode = atoi(v);
	else if (strcmp(k, "build") == 0)
		st->build = strtoul(v, NULL, 10);
	else if (strcmp(k, "bootloader0") == 0)
		st->bootloader0 = strtoul(v, NULL, 10);
	else if (strcmp(k, "upgraded") == 0)
		st->upgraded = atoi(v) != 0;
	else if (strcmp(k, "report") == 0)
		st->report = report_parse(v);
	else if (strcmp(k, "fff") == 0)
		st->fff_present = atoi(v) != 0;
	else if (strcmp(k, "fff_kind") == 0)
		st->fff.kind = image_kind_parse(v);
	else if (strcmp(k, "fff_build") == 0)
		st->fff.build = strtoul(v, NULL, 10);
	else if (strcmp(k, "fff_from") == 0)
		st->fff.from = strtoul(v, NULL, 10);
	else if (strcmp(k, "fff_bytes") == 0)
		st->fff.bytes = strtoull(v, NULL, 10);
	else if (strcmp(k, "fff_complete") == 0)
		st->fff.complete = atoi(v) != 0;
	else if (strcmp(k, "fff_sha256") == 0)
		copy_hex(st->fff.sha256, v);
	else
		return false;
	return true;
}

int state_load(struct modem_state *st, const char *path)
{
	char line[256];
	int bad = 0;
	FILE *f = path ? fopen(path, "r") : NULL;

	if (!f)
		return (!path || errno == ENOENT) ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (!eq) {
			bad = 1;
			continue;
		}
		*eq = '\0';
		if (!state_set(st, line, eq + 1))
			bad = 1;
	}
	fclose(f);
	if (bad) {
		errno = EINVAL;
		return -1;
	}
	return 1;
}

static void state_write(const struct modem_state *st, FILE *f)
{
	fprintf(f, "mode=%d\nbuild=%lu\nbootloader0=%lu\nupgraded=%d\nreport=%s\nfff=%d\n",
		st->mode, st->build, st->bootloader0, st->upgraded, report_name(st->report),
		st->fff_present);
	if (!st->fff_present)
		return;
	fprintf(f, "fff_kind=%s\nfff_build=%lu\nfff_from=%lu\nfff_bytes=%llu\n",
		image_kind_name(st->fff.kind), st->fff.build, st->fff.from, st->fff.bytes);
	fprintf(f, "fff_complete=%d\nfff_sha256=%s\n", st->fff.complete, st->fff.sha256);
}

int state_save(const struct modem_state *st, const char *path)
{
	char tmp[4096];
	FILE *f;
	bool ok;

	if (!path)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	state_write(st, f);
	ok = !ferror(f);
	ok = (fclose(f) == 0) && ok;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		remove(tmp);
	return ok ? 0 : -1;
}
