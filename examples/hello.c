/*
 * The smallest program against an installed libsqnsupgrade:
 *   cc hello.c $(pkg-config --cflags --libs sqnsupgrade)
 * It names an error and parses a firmware file name.
 */
#include <stdio.h>

#include <sqnsupgrade.h>

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "upgdiff_38638-to-39529.dup";
	struct sqns_image_info info;
	printf("timeout: %s\n", sqns_strerror(SQNS_ERR_TIMEOUT));
	if (!sqns_parse_image_name(name, &info)) {
		printf("%s: not a firmware image name\n", name);
		return 1;
	}
	if (info.differential)
		printf("%s: differential, build %u to build %u\n", name, (unsigned)info.from,
		       (unsigned)info.build);
	else
		printf("%s: full image of build %u\n", name, (unsigned)info.build);
	return 0;
}
