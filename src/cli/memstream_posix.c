/* SPDX-License-Identifier: MIT */
/* cli_memstream_open (cli.h) on POSIX: open_memstream. Windows has memstream_win.c. */
#define _DEFAULT_SOURCE
#include <stdio.h>

#include "cli.h"

FILE *cli_memstream_open(char **buf, size_t *len)
{
	return open_memstream(buf, len);
}

int cli_memstream_close(FILE *f)
{
	return fclose(f);
}
