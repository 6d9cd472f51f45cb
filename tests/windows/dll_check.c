/* SPDX-License-Identifier: MIT */
/*
 * sqnsupgrade.dll alone: dll_check DLL NAME... loads it (from its path: a copy
 * in a folder of its own has no DLL beside it to lean on), looks up each
 * NAME, and prints sqns_version(). Exit 0 when all is there. Cross-built and
 * run under wine by test_windows.py.
 */
#include <stdio.h>
#include <windows.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: dll_check DLL NAME...\n");
		return 2;
	}
	HMODULE h = LoadLibraryA(argv[1]);
	if (!h) {
		printf("cannot load %s: error %lu\n", argv[1], GetLastError());
		return 1;
	}
	int missing = 0;
	for (int i = 2; i < argc; i++) {
		if (!GetProcAddress(h, argv[i])) {
			printf("missing: %s\n", argv[i]);
			missing++;
		}
	}
	typedef const char *(*version_fn)(void);
	version_fn version = (version_fn)(void (*)(void))GetProcAddress(h, "sqns_version");
	if (version)
		printf("version %s\n", version());
	FreeLibrary(h);
	return missing || !version ? 1 : 0;
}
