/* SPDX-License-Identifier: MIT */
/*
 * The serial backend on Windows (win_serial.h): CreateFileW on \\.\COMn with
 * share mode 0, so that a port another program holds fails with
 * ERROR_ACCESS_DENIED, said as EBUSY like the POSIX backend's flock; errors
 * become errno values, so that sqns_port_open_error (port.c) words both
 * systems' failures in one place.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "backend.h"
#include "port_clock.h"
#include "win_serial.h"

#define WRITE_TIMEOUT_MS 10000u /* a write that does not leave in this long fails, as on POSIX */

bool win_serial_rate_ok(uint32_t baud)
{
	/* The DCB takes any rate; the driver refuses what it cannot do (SetCommState). */
	return baud > 0;
}

int win_serial_errno(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_NAME:
	case ERROR_BAD_PATHNAME:
	case ERROR_DEV_NOT_EXIST:
	case ERROR_BAD_UNIT:
		return ENOENT;
	case ERROR_ACCESS_DENIED: /* a COM port another program holds */
	case ERROR_SHARING_VIOLATION:
	case ERROR_BUSY:
		return EBUSY;
	case ERROR_INVALID_PARAMETER:
	case ERROR_NOT_SUPPORTED:
		return EINVAL;
	case ERROR_SEM_TIMEOUT:
		return ETIMEDOUT;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return ENOMEM;
	default:
		return EIO; /* the device went away (ERROR_GEN_FAILURE, ERROR_BAD_COMMAND...) */
	}
}

bool win_serial_device_name(const char *name, wchar_t *out, size_t len)
{
	static const char dev[] = "\\\\.\\";
	char full[300];
	bool prefixed = strncmp(name, dev, 4) == 0 || strncmp(name, "//./", 4) == 0;
	int n = snprintf(full, sizeof full, "%s%s", prefixed ? "" : dev, name);
	if (n < 0 || (size_t)n >= sizeof full)
		return false;
	if (prefixed)
		memcpy(full, dev, 4);
	return MultiByteToWideChar(CP_UTF8, 0, full, -1, out, (int)len) > 0;
}

static int fail_with(struct win_serial *s, DWORD e)
{
	s->win_error = e;
	s->os_errno = win_serial_errno(e);
	errno = s->os_errno;
	return SQNS_ERR_IO;
}

static int fail(struct win_serial *s)
{
	return fail_with(s, GetLastError());
}

/* 8N1 at baud, raw (no XON/XOFF, no error chars), DTR and RTS up; RTS/CTS when asked. */
static int configure(struct win_serial *s, uint32_t baud)
{
	DCB dcb = {.DCBlength = sizeof dcb};
	if (!GetCommState(s->h, &dcb))
		return fail(s);
	dcb.BaudRate = baud;
	dcb.ByteSize = 8;
	dcb.Parity = NOPARITY;
	dcb.StopBits = ONESTOPBIT;
	dcb.fBinary = TRUE;
	dcb.fParity = FALSE;
	dcb.fOutxCtsFlow = s->rtscts;
	dcb.fRtsControl = s->rtscts ? RTS_CONTROL_HANDSHAKE : RTS_CONTROL_ENABLE;
	dcb.fOutxDsrFlow = FALSE;
	dcb.fDtrControl = DTR_CONTROL_ENABLE;
	dcb.fDsrSensitivity = FALSE;
	dcb.fOutX = FALSE;
	dcb.fInX = FALSE;
	dcb.fErrorChar = FALSE;
	dcb.fNull = FALSE;
	dcb.fAbortOnError = FALSE;
	if (!SetCommState(s->h, &dcb)) {
		int r = fail(s);
		/* A rate the driver will not set: the same words as a rate termios lacks. */
		return s->os_errno == EINVAL ? SQNS_ERR_ARG : r;
	}
	return SQNS_OK;
}

/*
 * The read timeouts, set only when they change. IMMEDIATE (ReadIntervalTimeout
 * = MAXDWORD, the rest 0): ReadFile returns at once with what is there, maybe
 * nothing. Else a total of timeout_ms: a ReadFile of one byte returns when it
 * arrives, or empty at the deadline.
 */
#define IMMEDIATE MAXDWORD

static int set_read_timeout(struct win_serial *s, DWORD timeout_ms)
{
	if (s->timeouts_set && s->read_timeout == timeout_ms)
		return SQNS_OK;
	COMMTIMEOUTS t = {
	    .ReadIntervalTimeout = timeout_ms == IMMEDIATE ? MAXDWORD : 0,
	    .ReadTotalTimeoutConstant = timeout_ms == IMMEDIATE ? 0 : timeout_ms,
	    .WriteTotalTimeoutMultiplier = 1, /* ms a byte: ample at 9600 baud and above */
	    .WriteTotalTimeoutConstant = WRITE_TIMEOUT_MS,
	};
	if (!SetCommTimeouts(s->h, &t))
		return fail(s);
	s->read_timeout = timeout_ms;
	s->timeouts_set = true;
	return SQNS_OK;
}

/* One ReadFile of up to len bytes with the timeouts of timeout_ms; the count, or -1. */
static int read_once(struct win_serial *s, uint8_t *buf, size_t len, DWORD timeout_ms)
{
	DWORD got = 0, want = len > 0x10000 ? 0x10000 : (DWORD)len;
	if (set_read_timeout(s, timeout_ms) != SQNS_OK)
		return -1;
	if (!ReadFile(s->h, buf, want, &got, NULL)) {
		fail(s);
		return -1;
	}
	return (int)got;
}

static void serial_close(void *state)
{
	struct win_serial *s = state;
	if (s->h != INVALID_HANDLE_VALUE)
		CloseHandle(s->h);
	s->h = INVALID_HANDLE_VALUE;
}

static int serial_open(void *state, const char *name, const struct sqns_port_opts *o)
{
	struct win_serial *s = state;
	*s = (struct win_serial){.h = INVALID_HANDLE_VALUE, .rtscts = o->rtscts};
	wchar_t dev[300];
	if (!win_serial_device_name(name, dev, sizeof dev / sizeof dev[0]))
		return fail_with(s, ERROR_INVALID_NAME);
	/* Share mode 0: exclusive. Another program holding the port: ERROR_ACCESS_DENIED. */
	s->h = CreateFileW(dev, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
	if (s->h == INVALID_HANDLE_VALUE)
		return fail(s);
	int r = SQNS_OK;
	DCB probe = {.DCBlength = sizeof probe};
	if (!GetCommState(s->h, &probe)) {
		/* A file or device that opens but has no serial state: not a serial port. */
		s->win_error = GetLastError();
		s->os_errno = ENOTTY;
		r = SQNS_ERR_IO;
	}
	if (r == SQNS_OK)
		r = configure(s, o->baud);
	if (r == SQNS_OK)
		r = set_read_timeout(s, IMMEDIATE);
	if (r == SQNS_OK && !PurgeComm(s->h, PURGE_RXCLEAR | PURGE_TXCLEAR))
		r = fail(s);
	if (r != SQNS_OK) {
		int e = s->os_errno;
		serial_close(s);
		s->os_errno = e;
		errno = e;
	}
	return r;
}

/*
 * What is there at once; else wait for one byte (a read of one byte returns
 * as soon as it arrives), then take what came with it. The documented "return
 * on the first byte" timeouts (interval and multiplier MAXDWORD) would do it
 * in one call, but wine waits for the whole deadline with them; these two
 * forms behave the same on both (docs/windows.md).
 */
static int serial_read(void *state, uint8_t *buf, size_t len, uint32_t timeout_ms)
{
	struct win_serial *s = state;
	uint32_t end = port_now_ms() + timeout_ms;
	int n = read_once(s, buf, len, IMMEDIATE);
	while (n == 0) {
		int32_t left = (int32_t)(end - port_now_ms());
		if (left <= 0)
			return 0;
		n = read_once(s, buf, 1, (DWORD)left);
	}
	if (n < 0)
		return SQNS_ERR_IO;
	if (n == 1 && len > 1) {
		int more = read_once(s, buf + 1, len - 1, IMMEDIATE);
		if (more < 0)
			return SQNS_ERR_IO;
		n += more;
	}
	return n;
}

static int serial_write(void *state, const uint8_t *buf, size_t len)
{
	struct win_serial *s = state;
	while (len > 0) {
		DWORD chunk = len > 0x10000 ? 0x10000 : (DWORD)len, done = 0;
		if (!WriteFile(s->h, buf, chunk, &done, NULL))
			return fail(s);
		if (done == 0) /* the write timeout: flow control held it that long */
			return fail_with(s, ERROR_SEM_TIMEOUT);
		buf += done;
		len -= done;
	}
	return SQNS_OK;
}

static int serial_set_rate(void *state, uint32_t baud)
{
	struct win_serial *s = state;
	/* What is queued leaves at the old rate first (AT+IPR's answer), as TCSADRAIN does. */
	if (!FlushFileBuffers(s->h))
		return fail(s);
	return configure(s, baud);
}

static int serial_os_errno(const void *state)
{
	return ((const struct win_serial *)state)->os_errno;
}

/*
 * No keep_lines: Windows has no HUPCL to clear, and what the lines do when
 * the handle closes is the driver's. sqns_port_keep_lines says unsupported.
 */
const struct host_backend win_serial_backend = {
    .name = "serial",
    .size = sizeof(struct win_serial),
    .open = serial_open,
    .close = serial_close,
    .read = serial_read,
    .write = serial_write,
    .set_rate = serial_set_rate,
    .os_errno = serial_os_errno,
};
