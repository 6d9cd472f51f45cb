/* SPDX-License-Identifier: MIT */
/*
 * libsqnsupgrade's host layer (POSIX): what a program needs around the
 * portable core to upgrade a modem from a computer. A serial port or a
 * socket:// serial server opened by name, firmware files (and the boot ROM in
 * any form Pycom ships it), and the bridge of mirror mode.
 *
 * A complete upgrade (examples/upgrade.c):
 *
 *	int err;
 *	struct sqns_port *port = sqns_port_open("/dev/ttyUSB0", NULL, &err);
 *	struct sqns_file *fw = sqns_file_open("CATM1-39529.dup", &err, NULL, 0);
 *	struct sqns_config cfg = {.on_event = show_progress};
 *	sqns_port_config(port, &cfg);
 *	struct sqns_ctx ctx;
 *	sqns_init(&ctx, &cfg);
 *	struct sqns_upgrade_opts opts = {.image = sqns_file_image(fw)};
 *	err = sqns_upgrade(&ctx, &opts, NULL, 0);
 *	printf("%s\n", sqns_strerror(err));
 *
 * Unlike the core, this layer allocates (the objects below) and uses the OS.
 * Errors: functions that return a pointer return NULL on failure and store a
 * negative sqns_err in *err (when err is not NULL); errno then holds the OS
 * error, and sqns_host_error() puts both into words. Objects are independent:
 * several ports and files may be used from several threads, one thread per
 * object at a time.
 */
#ifndef SQNSUPGRADE_HOST_H
#define SQNSUPGRADE_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sqnsupgrade.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ports ---- */

/* An open serial port or TCP connection (opaque). */
struct sqns_port;

struct sqns_port_opts {
	uint32_t baud;	     /* the host's rate at open [921600] (ignored for socket://) */
	bool rtscts;	     /* RTS/CTS hardware flow control */
	uint32_t connect_ms; /* socket:// connection timeout [5000] */
};

/*
 * Open `name`: a serial device (a tty, a pty, or a symlink to one such as
 * /dev/serial/by-id/...) raw 8N1, exclusively (flock + TIOCEXCL: a second
 * program is refused), or "socket://HOST:PORT" (a serial server; its rate is
 * fixed: flows that need another rate fail with SQNS_ERR_UNSUPPORTED). opts
 * may be NULL for the defaults.
 * Returns the port, or NULL with *err = SQNS_ERR_ARG (empty name, bad
 * socket:// address or rate) or SQNS_ERR_IO and errno: ENOENT (no such
 * port), EBUSY (in use by another program), ENOTTY (not a serial port),
 * EACCES (no permission); for socket://, ENOENT (the host or port name is
 * not known), EAGAIN (name resolution failed for now), ECONNREFUSED,
 * ETIMEDOUT... sqns_port_open_error() puts these into words.
 */
SQNS_API struct sqns_port *sqns_port_open(const char *name, const struct sqns_port_opts *opts,
					  int *err);

/*
 * One line (no program name, no newline) for a person when
 * sqns_port_open(name) failed with err and errno os_errno: what is wrong and
 * what to do ("port '/dev/ttyUSB0' is in use by another program (...): close
 * it and run this again"). Returns buf.
 */
SQNS_API const char *sqns_port_open_error(const char *name, int err, int os_errno, char *buf,
					  size_t len);

/*
 * Fill cfg->ops, cfg->port and, for a serial port, cfg->baud (when 0: the
 * rate it was opened at) for this port; the rest is the caller's.
 */
SQNS_API void sqns_port_config(struct sqns_port *port, struct sqns_config *cfg);

/* True for a socket:// port (its line rate cannot be changed). */
SQNS_API bool sqns_port_is_network(const struct sqns_port *port);

/*
 * The OS error (errno value) of the port's last failure: after a flow
 * returned SQNS_ERR_IO, why the port failed. 0 when none.
 */
SQNS_API int sqns_port_errno(const struct sqns_port *port);

/*
 * The bytes the core's ops (those sqns_port_config gave) wrote to the port
 * and read from it since it was opened, into *tx and *rx. The bridge's bytes
 * are not counted here (sqns_port_bridge_report counts them).
 */
SQNS_API void sqns_port_counts(const struct sqns_port *port, uint64_t *tx, uint64_t *rx);

/*
 * A trace hook: called with tx true and every buffer the core writes, before
 * it is written, and with tx false and every buffer read, once read (the
 * command line's --pkgdebug hex dump is one). On the calling thread; buf is
 * valid during the call only. fn NULL: off (the default).
 */
typedef void (*sqns_trace_fn)(void *user, bool tx, const uint8_t *buf, size_t len);
SQNS_API void sqns_port_trace(struct sqns_port *port, sqns_trace_fn fn, void *user);

/*
 * From now on, closing the port leaves its modem lines (DTR, RTS) up instead
 * of hanging up (termios HUPCL off): a board wired to reset on them is not
 * reset. SQNS_OK; SQNS_ERR_UNSUPPORTED for socket:// (no lines); SQNS_ERR_IO
 * with errno when the port refused.
 */
SQNS_API int sqns_port_keep_lines(struct sqns_port *port);

/*
 * True when a serial port on this system can be set to `baud`: a termios
 * rate, or (Linux's termios2) 1843200 and 3686400. Another rate makes
 * sqns_port_open fail with SQNS_ERR_ARG.
 */
SQNS_API bool sqns_port_rate_ok(uint32_t baud);

/*
 * Milliseconds of the monotonic clock the ports' now_ms op reads: times taken
 * with it line up with the core's.
 */
SQNS_API uint32_t sqns_host_now_ms(void);

/* Close the port (NULL is fine). */
SQNS_API void sqns_port_close(struct sqns_port *port);

/*
 * Mirror mode's second half: copy bytes both ways between a and b until one
 * of them closes or fails, or should_stop(user) answers true (it is asked at
 * least every 200 ms; may be NULL). Returns SQNS_OK when stopped or when a
 * side closed, SQNS_ERR_IO when a side failed (errno says why).
 */
SQNS_API int sqns_port_bridge(struct sqns_port *a, struct sqns_port *b,
			      bool (*should_stop)(void *user), void *user);

/* How a bridge ended (sqns_port_bridge_report). */
struct sqns_bridge_result {
	int closed;	/* the side that closed or failed: 0 (a), 1 (b), or -1 (stopped) */
	uint64_t in[2]; /* bytes read from a, from b */
	int os_errno;	/* errno when a side failed or poll failed, else 0 */
};

/* sqns_port_bridge, telling in *res which side ended it and how many bytes went each way. */
SQNS_API int sqns_port_bridge_report(struct sqns_port *a, struct sqns_port *b,
				     bool (*should_stop)(void *user), void *user,
				     struct sqns_bridge_result *res);

/* ---- files ---- */

/* An image file, open and checked (opaque). */
struct sqns_file;

/*
 * Open a firmware or updater.elf file: it must exist, be a regular readable
 * file of 128 bytes to 4 GiB. Returns the file, or NULL with *err =
 * SQNS_ERR_IMAGE, errno, and a one-line reason (what is wrong and what to do)
 * in why when why is not NULL.
 */
SQNS_API struct sqns_file *sqns_file_open(const char *path, int *err, char *why, size_t why_len);

/* sqns_file_open, with what the file is in the reason ("firmware file"; NULL: "file"). */
SQNS_API struct sqns_file *sqns_file_open_as(const char *path, const char *what, int *err,
					     char *why, size_t why_len);

/*
 * Open the boot ROM in any form: the raw image, or Pycom's sqnsbr.py
 * (base64 text in a Python literal) or sqnsbrz.py (zlib-compressed, then
 * base64). The decoded image must start with "UPGR". Returns the file, or
 * NULL with *err = SQNS_ERR_IMAGE (missing or unreadable: errno set) or
 * SQNS_ERR_REFUSED (readable, but no boot ROM in it), and why.
 */
SQNS_API struct sqns_file *sqns_bootrom_open(const char *path, int *err, char *why, size_t why_len);

/* The image to put in struct sqns_upgrade_opts; valid until sqns_file_close. */
SQNS_API const struct sqns_image *sqns_file_image(const struct sqns_file *f);

/* The absolute path the file was opened as. */
SQNS_API const char *sqns_file_path(const struct sqns_file *f);

SQNS_API void sqns_file_close(struct sqns_file *f);

/* ---- releases: Pycom's zip archives, or the folder one was unpacked into ---- */

/* A release open for reading (opaque): its members' table and their readers. */
struct sqns_release_file;

/*
 * True when path names a release: a folder, or a file that starts as a zip
 * archive does (PK\3\4, or PK\5\6 for an empty one), whatever its name ends
 * in. False for anything else, a missing path included.
 */
SQNS_API bool sqns_release_is(const char *path);

/*
 * Open a release: a zip archive (CATM1-39529.zip, stored or deflated members,
 * read through libzip) or a folder (its regular files, and those of its
 * folders one level down: an archive unpacked with its own folder). Every
 * member of an archive is read to its end once here, so that a damaged one
 * (a wrong CRC, a size beyond the archive's) is refused before a port is
 * opened. Nothing is unpacked to disk: sqns_release_of(r)->open() gives each
 * member as an image that reads from the archive as it is sent (forward; a
 * step back reads again from the member's start).
 * Returns the release, or NULL with *err and a one-line reason (what is wrong
 * and what to do) in why: SQNS_ERR_IMAGE (no such file, unreadable, not a zip
 * archive, damaged: errno set), SQNS_ERR_UNSUPPORTED (a zip archive, and this
 * library was built without libzip: SQNS_ZIP=OFF), SQNS_ERR_ARG (no path).
 */
SQNS_API struct sqns_release_file *sqns_release_open(const char *path, int *err, char *why,
						     size_t why_len);

/* The release to put in struct sqns_upgrade_opts; valid until sqns_release_close. */
SQNS_API const struct sqns_release *sqns_release_of(const struct sqns_release_file *r);

/* The absolute path the release was opened as (the archive, or the folder). */
SQNS_API const char *sqns_release_path(const struct sqns_release_file *r);

/* True when this library reads zip archives (built with libzip, SQNS_ZIP=ON). */
SQNS_API bool sqns_release_zip_supported(void);

/* Close the release (NULL is fine): the images its open() gave are invalid after. */
SQNS_API void sqns_release_close(struct sqns_release_file *r);

/* ---- the library ---- */

/*
 * The library's version, "MAJOR.MINOR.PATCH" (project() in CMakeLists.txt; the
 * shared library's file name ends in it): a static string, never NULL.
 */
SQNS_API const char *sqns_version(void);

/* ---- errors ---- */

/*
 * One sentence for a failure of this layer: sqns_strerror(err), with the OS
 * error os_errno in words for SQNS_ERR_IO and SQNS_ERR_IMAGE, into buf.
 * Returns buf.
 */
SQNS_API const char *sqns_host_error(int err, int os_errno, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
