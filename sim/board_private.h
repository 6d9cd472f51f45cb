/* SPDX-License-Identifier: MIT */
/*
 * The simulator's --board, private to sim/board_*.c: a Pycom board (GPy,
 * FiPy, G01...) between the host and the modem.
 *
 * The host's pty is the board's USB serial port. At power-on the board's
 * MicroPython runs main.py (a loop: only Ctrl-C reaches it), then offers its
 * REPL at 115200: the friendly one (echo, `>>> `) and the raw one (Ctrl-A,
 * code, Ctrl-D; "OK", output, \x04, error, \x04, ">"). Its Python is just
 * what a host sends: `import`, `os.uname()`, `print(...)` and
 * `sqnsupgrade.uart(recovery, updater)`; anything else gets the error
 * MicroPython would give.
 *
 * uart() drives the simulated modem through the board's own UART, byte for
 * byte, as the board's firmware does: AT lines, the boot ROM transfer over
 * STP (from the copy in the board's firmware), the reboot into recovery, the
 * negotiation from 115200 to 921600 and, with '/flash/updater.elf', the
 * updater's load. Then it prints the document's MIRROR line and bridges: the
 * USB side at 921600 without flow control, the modem side at 921600. The
 * bridge never follows an AT+IPR: after one, both ends see noise.
 *
 * Three files, one job each: board_driver.c is the board's own upgrade driver
 * (uart() against the modem, the bridge, setup), board_python.c the subset of
 * MicroPython the REPL runs, board_repl.c the bytes of the USB side (main.py,
 * the friendly and the raw REPL, what the board prints).
 */
#ifndef SQNSIM_BOARD_PRIVATE_H
#define SQNSIM_BOARD_PRIVATE_H

#include "sim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOARD_REPL_RATE 115200ul
#define BOARD_MIRROR_RATE 921600ul
#define BOARD_MODEM_RATE 921600ul /* the board's UART to the modem, outside uart() */
#define BOARD_RECOVERY_RATE 115200ul
#define BOARD_FLASH_UPDATER "/flash/updater.elf"
#define BOARD_FLASH_MAX (8u << 20)
#define BOARD_BOOTROM_BUILD 39529ul /* the boot ROM in the board's firmware */
#define BOARD_BOOTROM_SIZE 54854u   /* as in the transcript of Pycom's instructions */
#define FACTORY_BOOTLOADER0 "[33080]"

#define WAKE_TRY_MS 300ul /* one AT of a wake-up */
#define WAKE_MS 30000ul	  /* a wake-up, a reboot included */
#define AT_MS 5000ul	  /* one AT command */
#define REPORT_MS 60000ul /* polling AT+SMUPGRADE? after the boot ROM */
#define STP_TRY_MS 5000ul /* one STP answer */
#define STP_TRIES 5
#define RELEASE "1.20.2.r4"
#define MPY_VERSION "v1.11-ffb0e1c on 2021-01-12"

enum b_state {
	B_SCRIPT, /* main.py runs: only Ctrl-C is heard */
	B_REPL,	  /* the friendly REPL */
	B_RAW,	  /* the raw REPL */
	B_UART,	  /* running sqnsupgrade.uart() */
	B_MIRROR, /* bridging USB and the modem at 921600 */
	B_HANG,	  /* --board-hang: reads, never answers */
};

/* uart()'s program, step by step (each step is one AT command or one transfer). */
enum step {
	ST_WAKE,
	ST_SMOD,
	ST_BIND,
	ST_ATE0,
	ST_SMLOG,
	ST_NTF,
	ST_SQNWL,
	ST_CFUN,
	ST_SHOWVER,
	ST_SWBOOT3,
	ST_WAIT4,
	ST_WAIT4_SMOD,
	ST_CFUN4,
	ST_OTF,
	ST_STP_ROM,
	ST_REPORT,
	ST_SWBOOT0,
	ST_NEG_WAKE,
	ST_IPR,
	ST_NEG_AT,
	ST_NEG_SMOD,
	ST_ATSTP,
	ST_STP_UPD,
	ST_UPD_WAKE,
	ST_UPD_SMOD,
};

enum op { OP_NONE, OP_AT, OP_STP };
enum at_res { RES_OK, RES_ERROR, RES_TIMEOUT };

/* The board's STP master: RESET, OPEN_SESSION, [CMD, BLOCK]*, closing RESET. */
enum stp_req { RQ_RESET, RQ_OPEN, RQ_CMD, RQ_BLOCK, RQ_CLOSE };

struct board_stp {
	const uint8_t *data;
	size_t len, off;
	uint16_t block; /* the block in flight */
	unsigned max_transfer;
	enum stp_req req;
	uint32_t tid;
	int tries;
	uint8_t frame[STP_HDR_LEN + STP_MAX_BLOCK];
	size_t frame_len;
	/* the answer being read */
	uint32_t sig;
	uint8_t hdr[STP_HDR_LEN + 4];
	size_t got, want;
};

struct board {
	enum b_state state;
	bool lte; /* GPy, FiPy, G01: the firmware has sqnsupgrade and a modem */
	uint8_t *flash_updater;
	size_t flash_updater_len;
	uint8_t *bootrom;
	/* USB side */
	bool usb_mismatch;
	/* REPL */
	char line[512];
	size_t line_len;
	char code[4096];
	size_t code_len;
	bool code_over;
	bool raw; /* the code running came from the raw REPL */
	unsigned imported;
	char err[512]; /* the exception of the code that ran, as MicroPython prints it */
	/* modem side */
	unsigned long modem_rate;
	uint8_t tx[2 * (STP_HDR_LEN + STP_MAX_BLOCK)];
	size_t tx_len;
	uint8_t rx[8192];
	size_t rx_len;
	/* uart() */
	bool recovery, load_updater;
	enum step step;
	enum op op;
	char cmd[64];
	char rline[256];
	size_t rline_len;
	char info[2048];
	size_t info_len;
	enum at_res res;
	struct timespec wake_start;
	unsigned long wake_ms;
	int mode;
	unsigned tries; /* ATs of the first wake-up */
	struct board_stp stp;
};

/* board_repl.c: the USB side. */
void board_set_state(struct sim *s, enum b_state st);
/* Whether the host's rate matches the board's USB side; logs a mismatch episode. */
bool board_usb_ok(struct sim *s);
/* MicroPython's stdout: every \n goes out as \r\n. */
void board_say(struct sim *s, const char *text);
void __attribute__((format(printf, 2, 3))) board_sayf(struct sim *s, const char *fmt, ...);
/* The code is done (or failed): the REPL's closing words. */
void board_code_done(struct sim *s);

/*
 * board_python.c: runs code, statements split at ';' and line ends outside
 * quotes. Returns true when uart() took over (the REPL's closing words come
 * when it fails).
 */
bool board_run_code(struct sim *s, char *code, bool raw);

/*
 * board_driver.c: uart(recovery, mfile) starts; false (nothing started) when
 * mfile is to be loaded and is not the updater on the board's flash.
 */
bool board_uart_start(struct sim *s, bool recovery, const char *mfile);

#endif
