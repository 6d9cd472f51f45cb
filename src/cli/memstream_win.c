/* SPDX-License-Identifier: MIT */
/*
 * cli_memstream_open (cli.h) on Windows, which has no open_memstream: a
 * temporary file, deleted when closed ("D"), whose bytes cli_memstream_close
 * reads into a malloc'd, NUL-terminated buffer first. The open streams are
 * kept in a list (fleet.c opens them from several threads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

#include "cli.h"

struct mem {
	FILE *f;
	char **buf;
	size_t *len;
	struct mem *next;
};

static SRWLOCK lock = SRWLOCK_INIT;
static struct mem *open_ones;

static FILE *temp_file(void)
{
	wchar_t dir[MAX_PATH + 1], name[MAX_PATH + 1];
	DWORD n = GetTempPathW(MAX_PATH + 1, dir);
	if (n == 0 || n > MAX_PATH || !GetTempFileNameW(dir, L"sqn", 0, name))
		return NULL;
	FILE *f = _wfopen(name, L"w+bTD"); /* T: kept in memory when it can, D: gone at close */
	if (!f)
		DeleteFileW(name);
	return f;
}

FILE *cli_memstream_open(char **buf, size_t *len)
{
	struct mem *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	*buf = NULL;
	*len = 0;
	*m = (struct mem){.f = temp_file(), .buf = buf, .len = len};
	if (!m->f) {
		free(m);
		return NULL;
	}
	AcquireSRWLockExclusive(&lock);
	m->next = open_ones;
	open_ones = m;
	ReleaseSRWLockExclusive(&lock);
	return m->f;
}

/* What was written to m->f into *m->buf; false when out of memory. */
static bool read_back(struct mem *m)
{
	long n = ftell(m->f);
	char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (!b)
		return false;
	rewind(m->f);
	size_t got = fread(b, 1, (size_t)n, m->f);
	b[got] = '\0';
	*m->buf = b;
	*m->len = got;
	return true;
}

int cli_memstream_close(FILE *f)
{
	AcquireSRWLockExclusive(&lock);
	struct mem **p = &open_ones;
	while (*p && (*p)->f != f)
		p = &(*p)->next;
	struct mem *m = *p;
	if (m)
		*p = m->next;
	ReleaseSRWLockExclusive(&lock);
	if (!m)
		return fclose(f);
	fflush(f);
	fseek(f, 0, SEEK_END);
	bool ok = read_back(m);
	free(m);
	return fclose(f) == 0 && ok ? 0 : EOF;
}
