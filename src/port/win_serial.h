/* SPDX-License-Identifier: MIT */
/*
 * The serial backend of the host port on Windows (backend.h:
 * win_serial_backend): a COM port opened exclusively, its rate and 8N1
 * through the DCB, reads that return on the first bytes or at the deadline
 * (COMMTIMEOUTS). docs/windows.md.
 */
#ifndef SQNS_WIN_SERIAL_H
#define SQNS_WIN_SERIAL_H

#include <windows.h>

#include "sqnsupgrade.h"

struct win_serial {
	HANDLE h;	    /* INVALID_HANDLE_VALUE when closed */
	int os_errno;	    /* the last failure as an errno value (EBUSY: in use...) */
	DWORD win_error;    /* ... and as Windows said it (GetLastError) */
	DWORD read_timeout; /* the read timeouts in force (win_serial.c: set_read_timeout) */
	bool timeouts_set;  /* read_timeout is in force */
	bool rtscts;
};

/*
 * The Win32 device name of a port name: COM5, com5 and \\.\COM12 all open
 * \\.\COMn (the \\.\ form is needed from COM10 on). Into out; false when it
 * does not fit.
 */
bool win_serial_device_name(const char *name, wchar_t *out, size_t len);

/* A Windows error (GetLastError) as the errno value sqns_port_open_error words. */
int win_serial_errno(DWORD e);

#endif
