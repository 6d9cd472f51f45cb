/* SPDX-License-Identifier: MIT */
/*
 * A complete upgrade against an installed libsqnsupgrade:
 *   cc upgrade.c $(pkg-config --cflags --libs sqnsupgrade) \
 *      -Wl,-rpath,$(pkg-config --variable=libdir sqnsupgrade)
 *   ./a.out /dev/ttyUSB0 CATM1-39529.dup
 */
#include <errno.h>
#include <stdio.h>

#include <sqnsupgrade_host.h>

static void show(void *user, const struct sqns_event *ev)
{
	(void)user;
	if (ev->type == SQNS_EV_PROGRESS && ev->total)
		printf("\r%3u %%", (unsigned)((uint64_t)ev->done * 100 / ev->total));
	else if (ev->type == SQNS_EV_PHASE && ev->phase == SQNS_PHASE_COMPLETED)
		printf("\nUpgrade completed\n");
	fflush(stdout);
}

/* Where the modem stands after sqns_upgrade (ctx.res.stage), in words for the user. */
static const char *stage_words(enum sqns_stage stage)
{
	switch (stage) {
	case SQNS_STAGE_UNTOUCHED:
		return "the modem was not changed";
	case SQNS_STAGE_UPGRADE_MODE:
		return "the modem is in upgrade mode, waiting for an image: run this again";
	case SQNS_STAGE_TRANSFERRED:
		return "the image was sent; the modem checks or applies it";
	case SQNS_STAGE_DONE:
		return "the new firmware is applied";
	case SQNS_STAGE_RECOVERY:
		return "the modem is in recovery mode: only updater.elf and a full image help";
	}
	return "the modem's state is unknown";
}

int main(int argc, char **argv)
{
	char why[600];
	int err;
	if (argc != 3) {
		fprintf(stderr, "usage: upgrade PORT FIRMWARE.dup\n");
		return 2;
	}
	struct sqns_port *port = sqns_port_open(argv[1], NULL, &err);
	if (!port) {
		fprintf(stderr, "%s\n", sqns_port_open_error(argv[1], err, errno, why, sizeof why));
		return 1;
	}
	struct sqns_file *fw = sqns_file_open(argv[2], &err, why, sizeof why);
	struct sqns_config cfg = {.on_event = show};
	struct sqns_ctx ctx;
	sqns_port_config(port, &cfg);
	if (!fw)
		fprintf(stderr, "%s\n", why);
	else if ((err = sqns_init(&ctx, &cfg)) == SQNS_OK) {
		struct sqns_upgrade_opts opts = {.image = sqns_file_image(fw)};
		err = sqns_upgrade(&ctx, &opts, NULL, 0);
		printf("\n%s: %s\n", sqns_strerror(err), stage_words(ctx.res.stage));
	}
	sqns_file_close(fw);
	sqns_port_close(port);
	return err == SQNS_OK ? 0 : 1;
}
