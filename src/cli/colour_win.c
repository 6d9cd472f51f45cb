/* SPDX-License-Identifier: MIT */
/*
 * Colours on Windows (cli.h; colour_posix.c on POSIX). A console takes the
 * same ANSI sequences once ENABLE_VIRTUAL_TERMINAL_PROCESSING is on (Windows 10
 * and later); where that cannot be turned on (an older console), or the
 * stream is no console, or NO_COLOR is set, the output stays plain. The
 * streams themselves are not wrapped here: Windows's C library has no
 * fopencookie, so the coloured lines are POSIX's only for now, and on Windows
 * the mode is switched on for the bar's redraws (docs/windows.md).
 */
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

#include "cli.h"

#ifndef ENABLE_VIRTUAL_TERMINAL_PROCESSING
#define ENABLE_VIRTUAL_TERMINAL_PROCESSING 0x0004
#endif

/* f's console with ANSI sequences on; false when f is no console or the mode will not take. */
static bool virtual_terminal(FILE *f)
{
	HANDLE h = (HANDLE)_get_osfhandle(_fileno(f));
	DWORD mode;
	if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode))
		return false;
	if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING)
		return true;
	return SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

bool colour_wanted(FILE *f)
{
	const char *no = getenv("NO_COLOR");
	return !(no && *no) && virtual_terminal(f);
}

void colour_streams(struct output *o)
{
	(void)colour_wanted(o->out);
	(void)colour_wanted(o->err);
}

void colour_close_streams(struct output *o, FILE *out, FILE *err)
{
	o->out = out;
	o->err = err;
}
