/* SPDX-License-Identifier: MIT */
#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const report_names[] = {
    [REPORT_NONE] = "none",	   [REPORT_SUCCESS] = "success",       [REPORT_FAIL] = "fail",
    [REPORT_ONGOING] = "on-going", [REPORT_FAIL_PATCH] = "fail_patch",
};

static const char *const method_names[] = {
    [METHOD_FFF] = "FFF",
    [METHOD_ON_THE_FLY] = "ON_THE_FLY",
    [METHOD_STP] = "STP",
    [METHOD_MTOOLS] = "MTOOLS",
};

const char *stp_method_name(enum stp_method m)
{
	return method_names[m];
}

static enum stp_method method_parse(const char *v)
{
	for (unsigned i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strcmp(v, method_names[i]) == 0)
			return (enum stp_method)i;
	return METHOD_ON_THE_FLY;
}

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

/* The xfer_ keys; returns false for a key it does not know. */
static bool xfer_set(struct xfer_snapshot *x, const char *k, const char *v)
{
	if (strcmp(k, "method") == 0)
		x->method = method_parse(v);
	else if (strcmp(k, "mode") == 0)
		x->mode = atoi(v);
	else if (strcmp(k, "rate") == 0)
		x->rate = strtoul(v, NULL, 10);
	else if (strcmp(k, "max_transfer") == 0)
		x->max_transfer = (unsigned)strtoul(v, NULL, 10);
	else if (strcmp(k, "tid") == 0)
		x->next_tid = strtoul(v, NULL, 10);
	else if (strcmp(k, "blocks") == 0)
		x->blocks = strtoul(v, NULL, 10);
	else if (strcmp(k, "bytes") == 0)
		x->bytes = strtoull(v, NULL, 10);
	else if (strcmp(k, "kind") == 0)
		x->tagged = true, x->desc.kind = image_kind_parse(v);
	else if (strcmp(k, "build") == 0)
		x->desc.build = strtoul(v, NULL, 10);
	else if (strcmp(k, "from") == 0)
		x->desc.from = strtoul(v, NULL, 10);
	else if (strcmp(k, "size") == 0)
		x->desc.size = strtoull(v, NULL, 10);
	else if (strcmp(k, "seed") == 0)
		x->desc.seed = strtoull(v, NULL, 10);
	else if (strcmp(k, "channel") == 0)
		return x->desc.channel_tagged = true, channel_parse(v, &x->desc.channel) == 0;
	else if (strcmp(k, "bad_at") == 0)
		x->corrupt = true, x->bad_at = strtoull(v, NULL, 10);
	else
		return false;
	return true;
}

/* Returns false for a key it does not know. */
static bool state_set(struct modem_state *st, const char *k, const char *v)
{
	if (strcmp(k, "xfer") == 0) {
		st->xfer.present = true;
		st->xfer.method = method_parse(v);
		return true;
	}
	if (strncmp(k, "xfer_", 5) == 0)
		return xfer_set(&st->xfer, k + 5, v);
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
	else if (strcmp(k, "fff_channel") == 0)
		return channel_parse(v, &st->fff.channel) == 0;
	else if (strcmp(k, "channel") == 0)
		return channel_parse(v, &st->channel) == 0;
	else if (strcmp(k, "keeps_old") == 0)
		st->keeps_old = atoi(v) != 0;
	else if (strcmp(k, "factory") == 0)
		st->factory = atoi(v) != 0;
	else if (strcmp(k, "ppp") == 0)
		st->ppp = atoi(v) != 0;
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
	st->channel = CHANNEL_CATM1; /* a file from before channels: CAT-M1 */
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

static void xfer_write(const struct xfer_snapshot *x, FILE *f)
{
	const struct image_desc *d = &x->desc;

	fprintf(f, "xfer=%s\nxfer_mode=%d\nxfer_rate=%lu\nxfer_max_transfer=%u\n",
		stp_method_name(x->method), x->mode, x->rate, x->max_transfer);
	fprintf(f, "xfer_tid=%lu\nxfer_blocks=%lu\nxfer_bytes=%llu\n", x->next_tid, x->blocks,
		x->bytes);
	if (x->tagged)
		fprintf(f,
			"xfer_kind=%s\nxfer_build=%lu\nxfer_from=%lu\nxfer_size=%llu\n"
			"xfer_seed=%llu\n",
			image_kind_name(d->kind), d->build, d->from, d->size, d->seed);
	if (x->tagged && d->channel_tagged)
		fprintf(f, "xfer_channel=%s\n", channel_name(d->channel));
	if (x->corrupt)
		fprintf(f, "xfer_bad_at=%llu\n", x->bad_at);
}

static void state_write(const struct modem_state *st, FILE *f)
{
	fprintf(f, "mode=%d\nbuild=%lu\nbootloader0=%lu\nupgraded=%d\nreport=%s\nfff=%d\n",
		st->mode, st->build, st->bootloader0, st->upgraded, report_name(st->report),
		st->fff_present);
	fprintf(f, "factory=%d\nppp=%d\nchannel=%s\nkeeps_old=%d\n", st->factory, st->ppp,
		channel_name(st->channel), st->keeps_old);
	if (st->xfer.present)
		xfer_write(&st->xfer, f);
	if (!st->fff_present)
		return;
	fprintf(f, "fff_kind=%s\nfff_build=%lu\nfff_from=%lu\nfff_bytes=%llu\n",
		image_kind_name(st->fff.kind), st->fff.build, st->fff.from, st->fff.bytes);
	fprintf(f, "fff_complete=%d\nfff_sha256=%s\nfff_channel=%s\n", st->fff.complete,
		st->fff.sha256, channel_name(st->fff.channel));
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
