/* SPDX-License-Identifier: MIT */
/*
 * sqnsupgrade_board: a Pycom board (GPy, FiPy, G01) in front of the modem.
 *
 * Pycom's instructions have the user open the board's MicroPython REPL, type
 * `import sqnsupgrade; sqnsupgrade.uart(...)`, close that terminal and run the
 * updater on the same port. This flow does the same over the port's ops
 * (struct sqns_port_ops), through MicroPython's raw REPL: Ctrl-C twice (a
 * running main.py stops), Ctrl-A, the code, Ctrl-D; the board answers "OK",
 * the output, \x04, the error text, \x04 and ">". uart() prints its progress
 * lines and then "Going into MIRROR mode...": from then on the port reaches
 * the modem at 921600 (SQNS_APPLICATION_RATE), without flow control, and never
 * at another rate; the core then runs on the same ops as against a bare modem.
 *
 * Portable like the core: no OS calls, no heap, no stdio; the caller owns the
 * struct sqns_board (a few KiB) and turns the statuses below into words.
 *
 *   struct sqns_board b;
 *   sqns_board_init(&b, &cfg);
 *   st = sqns_board_take(&b);           115200, raw REPL, os.uname() checked
 *   st = sqns_board_mirror(&b, method, path);   uart(), the mirror line, 921600
 *   or sqns_board_release(&b) to leave the board at its friendly prompt.
 */
#ifndef SQNSUPGRADE_BOARD_H
#define SQNSUPGRADE_BOARD_H

#include "sqnsupgrade.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SQNS_BOARD_REPL_RATE 115200u /* the REPL's rate */
#define SQNS_BOARD_QUIET_MS 200u     /* after Ctrl-C: the end of what a stopped script printed */
#define SQNS_BOARD_DRAIN_MS 1000u    /* at most this long waiting for that quiet */
#define SQNS_BOARD_REPL_MS 3000u     /* one attempt at the raw REPL's banner */
#define SQNS_BOARD_REPL_TRIES 2	     /* "a few seconds": 2 x (drain + banner) */
#define SQNS_BOARD_ANSWER_MS 3000u   /* "OK" and a short answer such as os.uname()'s */
#define SQNS_BOARD_UART_MS 300000u   /* uart() by default: the core's wake_ms */
#define SQNS_BOARD_MIRROR_LINE "Going into MIRROR mode"

/* What uart() is asked to do. */
enum sqns_board_method {
	SQNS_BOARD_NORMAL,	   /* sqnsupgrade.uart(): the modem stays as it is */
	SQNS_BOARD_RECOVERY,	   /* uart(True): factory boot ROM replaced, recovery mode */
	SQNS_BOARD_RECOVERY_FLASH, /* uart(True, PATH): and updater.elf from the board's flash */
};

/* How a step ended. */
enum sqns_board_status {
	SQNS_BOARD_OK,		/* take: the REPL is taken, a modem board; mirror: in mirror mode */
	SQNS_BOARD_IO,		/* the port failed (an ops error) */
	SQNS_BOARD_ABORTED,	/* should_abort said so */
	SQNS_BOARD_NO_REPL,	/* no raw REPL banner after REPL_TRIES attempts */
	SQNS_BOARD_NO_UNAME,	/* os.uname() did not answer: why holds its last line or "" */
	SQNS_BOARD_NOT_MODEM,	/* sysname is not GPy, FiPy or G01: refused, nothing sent */
	SQNS_BOARD_BAD_PATH,	/* the updater path is not /... or holds quotes */
	SQNS_BOARD_NOT_TAKEN,	/* the raw REPL did not take uart()'s code ("OK" missing) */
	SQNS_BOARD_UART_FAILED, /* uart() raised: why holds the error's last line, see fault */
	SQNS_BOARD_UART_TIMEOUT, /* uart() did not finish in uart_ms */
};

/* What a failed uart()'s error line says (SQNS_BOARD_UART_FAILED). */
enum sqns_board_fault {
	SQNS_BOARD_FAULT_OTHER,	    /* power-cycle the board and try again */
	SQNS_BOARD_FAULT_NO_FILE,   /* ENOENT: no updater.elf at that path on the board */
	SQNS_BOARD_FAULT_NO_MODULE, /* no module named sqnsupgrade: not Pycom's firmware */
	SQNS_BOARD_FAULT_NO_MODEM,  /* "does not answer": the modem did not */
};

/* What the flow tells its caller as it goes. */
enum sqns_board_event_type {
	SQNS_BOARD_EV_TX,   /* bytes written to the REPL (data, len) */
	SQNS_BOARD_EV_RX,   /* bytes read from the REPL, one read (data, len) */
	SQNS_BOARD_EV_LINE, /* one line uart() printed, without its end (data NUL-terminated) */
};

struct sqns_board_event {
	enum sqns_board_event_type type;
	const char *data;
	size_t len;
};

struct sqns_board_config {
	const struct sqns_port_ops *ops;
	void *port;
	void (*on_event)(void *user, const struct sqns_board_event *ev); /* may be NULL */
	bool (*should_abort)(void *user); /* polled before every read; may be NULL */
	void *user;
	uint32_t uart_ms; /* how long uart() may take (0: SQNS_BOARD_UART_MS) */
};

struct sqns_board {
	struct sqns_board_config cfg;
	int err;				    /* SQNS_BOARD_IO: the ops' negative sqns_err */
	enum sqns_board_fault fault;		    /* SQNS_BOARD_UART_FAILED */
	char sysname[32], machine[96], release[32]; /* os.uname()'s; "?" when absent */
	char why[256];	/* an error's last line (NO_UNAME, UART_FAILED) */
	bool raw;	/* in the raw REPL (sqns_board_release sends Ctrl-B) */
	char call[300]; /* the last uart() call, e.g. sqnsupgrade.uart(True) */
	size_t len;	/* what the board said since the last reset: */
	char text[4096];
};

/* Ready b for cfg (copied); no byte is sent. */
SQNS_API void sqns_board_init(struct sqns_board *b, const struct sqns_board_config *cfg);

/*
 * The port at 115200, the raw REPL taken (Ctrl-C twice, Ctrl-A, its banner;
 * REPL_TRIES attempts), then os.uname(): SQNS_BOARD_OK for a GPy, FiPy or G01
 * (sysname, machine and release set), else the status saying why.
 */
SQNS_API enum sqns_board_status sqns_board_take(struct sqns_board *b);

/*
 * The call uart() is given for a method, e.g. "sqnsupgrade.uart(True, '/flash/updater.elf')",
 * into buf (always NUL-terminated when len > 0): true when it fits and path is
 * valid (SQNS_BOARD_RECOVERY_FLASH: starts with '/', no quotes, backslashes or line ends).
 */
SQNS_API bool sqns_board_call(enum sqns_board_method method, const char *path, char *buf,
			      size_t len);

/*
 * After sqns_board_take: run `import sqnsupgrade; CALL` on the board, pass
 * each line it prints to on_event (SQNS_BOARD_EV_LINE) until "Going into
 * MIRROR mode", then move the port to 921600: SQNS_BOARD_OK, the modem is
 * reached through the board's mirror. Else the status saying why (b->why and
 * b->fault for a failed uart()); the port stays at 115200.
 */
SQNS_API enum sqns_board_status sqns_board_mirror(struct sqns_board *b,
						  enum sqns_board_method method, const char *path);

/*
 * Leave the raw REPL (Ctrl-B): the board back at its friendly prompt. Nothing
 * sent unless the raw REPL was taken (and not left for the mirror). SQNS_OK or < 0.
 */
SQNS_API int sqns_board_release(struct sqns_board *b);

#ifdef __cplusplus
}
#endif

#endif
