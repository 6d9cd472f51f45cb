/*
 * --board: a Pycom board (GPy, FiPy, G01...) between the host and the modem.
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
 */
#include "sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOARD_REPL_RATE 115200ul
#define BOARD_MIRROR_RATE 921600ul
#define BOARD_MODEM_RATE 921600ul /* the board's UART to the modem, outside uart() */
#define BOARD_RECOVERY_RATE 115200ul
#define BOARD_FLASH_UPDATER "/flash/updater.elf"
#define BOARD_FLASH_MAX (8u << 20)
#define BOARD_BOOTROM_BUILD 39529ul /* the boot ROM in the board's firmware */
#define BOARD_BOOTROM_SIZE 54854u   /* as in the user's document's transcript */
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

enum module { MOD_OS = 1, MOD_UOS = 2, MOD_SQNS = 4, MOD_SYS = 8, MOD_MACHINE = 16, MOD_TIME = 32 };

static const struct {
	const char *name;
	unsigned bit;
} modules[] = {
    {"os", MOD_OS},	      {"uos", MOD_UOS},	  {"sqnsupgrade", MOD_SQNS}, {"sys", MOD_SYS},
    {"machine", MOD_MACHINE}, {"time", MOD_TIME}, {"utime", MOD_TIME},
};

static void drv_next(struct sim *s);

/* ---- events ---- */

static void log_state(struct sim *s, const char *state)
{
	struct ev e;

	ev_begin(&e, "board");
	ev_str(&e, "state", state);
	ev_end(&s->log, &e);
}

static void set_state(struct sim *s, enum b_state st)
{
	static const char *const names[] = {"script", "repl", "raw_repl", "uart", "mirror", "hang"};

	if (s->board->state == st)
		return;
	s->board->state = st;
	log_state(s, names[st]);
}

/* ---- the USB side ---- */

unsigned long board_usb_rate(const struct sim *s)
{
	return s->board->state == B_MIRROR ? BOARD_MIRROR_RATE : BOARD_REPL_RATE;
}

unsigned long board_modem_rate(const struct sim *s)
{
	return s->board->modem_rate;
}

/* Whether the host's rate matches the board's USB side; logs a mismatch episode. */
static bool usb_ok(struct sim *s)
{
	struct board *b = s->board;
	unsigned long host = pty_host_rate(&s->pty);
	bool ok = host == board_usb_rate(s);
	struct ev e;

	if (!ok && !b->usb_mismatch) {
		ev_begin(&e, "board_rate_mismatch");
		ev_int(&e, "host", (long long)host);
		ev_int(&e, "board", (long long)board_usb_rate(s));
		ev_end(&s->log, &e);
	}
	b->usb_mismatch = !ok;
	return ok;
}

static void usb_write(struct sim *s, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (usb_ok(s))
		pty_queue(&s->pty, data, len);
	else
		pty_queue_noise(&s->pty, len);
}

/* MicroPython's stdout: every \n goes out as \r\n. */
static void say(struct sim *s, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		usb_write(s, p, n);
		p += n;
		if (*p == '\n') {
			usb_write(s, "\r\n", 2);
			p++;
		}
	}
}

static void __attribute__((format(printf, 2, 3))) sayf(struct sim *s, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say(s, buf);
}

static void banner(struct sim *s)
{
	sayf(s,
	     "Pycom MicroPython " RELEASE " [" MPY_VERSION "]; %s with ESP32\n"
	     "Type \"help()\" for more information.\n>>> ",
	     s->cfg.board.name);
}

static void raw_banner(struct sim *s)
{
	say(s, "raw REPL; CTRL-B to exit\n>");
}

/* ---- the modem side ---- */

static void to_modem(struct sim *s, const void *data, size_t len)
{
	struct board *b = s->board;

	if (len > sizeof(b->tx) - b->tx_len)
		len = sizeof(b->tx) - b->tx_len;
	memcpy(b->tx + b->tx_len, data, len);
	b->tx_len += len;
}

void board_from_modem(struct sim *s, const uint8_t *data, size_t len, bool noise)
{
	struct board *b = s->board;

	if (b->state == B_MIRROR) {
		/* The bridge copies what its UART received, noise included. */
		if (noise || !usb_ok(s))
			pty_queue_noise(&s->pty, len);
		else
			pty_queue(&s->pty, data, len);
		return;
	}
	if (b->state != B_UART || noise)
		return; /* nobody reads the modem's UART; a wrong rate gives nothing useful */
	if (len > sizeof(b->rx) - b->rx_len)
		len = sizeof(b->rx) - b->rx_len;
	memcpy(b->rx + b->rx_len, data, len);
	b->rx_len += len;
}

bool board_busy(const struct sim *s)
{
	const struct board *b = s->board;

	return b->rx_len > 0 || (b->tx_len > 0 && !s->held && !s->halt);
}

/* ---- uart(): AT commands and waits ---- */

static void op_timeout(struct sim *s)
{
	struct board *b = s->board;

	if (b->op == OP_AT) {
		b->op = OP_NONE;
		b->res = RES_TIMEOUT;
		drv_next(s);
	} else if (b->op == OP_STP) {
		struct board_stp *t = &b->stp;

		if (++t->tries >= STP_TRIES) {
			b->op = OP_NONE;
			b->res = RES_TIMEOUT;
			drv_next(s);
			return;
		}
		t->got = 0;
		t->sig = 0;
		to_modem(s, t->frame, t->frame_len); /* the same request again */
		timer_start(s, TM_BOARD, STP_TRY_MS, op_timeout, false);
	}
}

static void at(struct sim *s, const char *cmd, unsigned long ms)
{
	struct board *b = s->board;

	snprintf(b->cmd, sizeof(b->cmd), "%s", cmd);
	b->info_len = 0;
	b->info[0] = '\0';
	b->rline_len = 0;
	b->op = OP_AT;
	to_modem(s, cmd, strlen(cmd));
	/* A command that starts STP ends at its \r: a \n after it would be STP junk. */
	if (strncmp(cmd, "AT+SMSTPU", 9) == 0 || strcmp(cmd, "AT+STP") == 0)
		to_modem(s, "\r", 1);
	else
		to_modem(s, "\r\n", 2);
	timer_start(s, TM_BOARD, ms, op_timeout, false);
}

static void at_line(struct sim *s, const char *line)
{
	struct board *b = s->board;
	size_t n = strlen(line);

	if (n == 0 || strcmp(line, b->cmd) == 0 || strcmp(line, "+SYSSTART") == 0 ||
	    strcmp(line, "+SHUTDOWN") == 0)
		return;
	if (strcmp(line, "OK") == 0 || strcmp(line, "ERROR") == 0) {
		timer_stop(s, TM_BOARD);
		b->op = OP_NONE;
		b->res = line[0] == 'O' ? RES_OK : RES_ERROR;
		drv_next(s);
		return;
	}
	if (b->info_len + n + 2 < sizeof(b->info)) {
		memcpy(b->info + b->info_len, line, n);
		b->info_len += n;
		b->info[b->info_len++] = '\n';
		b->info[b->info_len] = '\0';
	}
}

/* A wake-up: AT every WAKE_TRY_MS until OK, for ms in all. */
static void wake(struct sim *s, unsigned long ms)
{
	struct board *b = s->board;

	clock_gettime(CLOCK_MONOTONIC, &b->wake_start);
	b->wake_ms = ms;
	at(s, "AT", WAKE_TRY_MS);
}

/* After a wake-up's AT: true when it is over (b->res says how), false when it tries again. */
static bool wake_over(struct sim *s)
{
	struct board *b = s->board;

	if (b->res == RES_OK || sim_elapsed_ms(&b->wake_start) >= (long long)b->wake_ms)
		return true;
	at(s, "AT", WAKE_TRY_MS);
	return false;
}

/* ---- uart(): the board's STP master ---- */

static void stp_send(struct sim *s, uint8_t op, uint8_t sid, const uint8_t *payload, uint16_t len)
{
	struct board_stp *t = &s->board->stp;

	stp_encode(t->frame, STP_SIG_REQUEST, op, sid, t->tid, payload, len);
	if (len)
		memcpy(t->frame + STP_HDR_LEN, payload, len);
	t->frame_len = STP_HDR_LEN + len;
	t->tries = 0;
	t->got = 0;
	t->sig = 0;
	to_modem(s, t->frame, t->frame_len);
	timer_start(s, TM_BOARD, STP_TRY_MS, op_timeout, false);
}

static uint16_t block_limit(const struct board_stp *t)
{
	unsigned lim = t->max_transfer > STP_HDR_LEN ? t->max_transfer - STP_HDR_LEN : 1;

	return (uint16_t)(lim < STP_MAX_BLOCK ? lim : STP_MAX_BLOCK);
}

static void stp_next_block(struct sim *s)
{
	struct board_stp *t = &s->board->stp;
	uint8_t p[2];

	if (t->off >= t->len) {
		t->req = RQ_CLOSE;
		stp_send(s, STP_OP_RESET, 1, NULL, 0);
		return;
	}
	t->block = block_limit(t);
	if (t->len - t->off < t->block)
		t->block = (uint16_t)(t->len - t->off);
	stp_put16(p, t->block);
	t->req = RQ_CMD;
	stp_send(s, STP_OP_TRANSFER_BLOCK_CMD, 1, p, 2);
}

static void stp_start(struct sim *s, const uint8_t *data, size_t len)
{
	struct board *b = s->board;
	struct board_stp *t = &b->stp;

	memset(t, 0, sizeof(*t));
	t->data = data;
	t->len = len;
	t->req = RQ_RESET;
	b->op = OP_STP;
	stp_send(s, STP_OP_RESET, 0, NULL, 0);
}

/* A whole answer arrived: the next request, or the end of the transfer. */
static void stp_answer(struct sim *s)
{
	struct board *b = s->board;
	struct board_stp *t = &b->stp;
	struct stp_header h;
	static const uint8_t ops[] = {STP_OP_RESET, STP_OP_OPEN_SESSION, STP_OP_TRANSFER_BLOCK_CMD,
				      STP_OP_TRANSFER_BLOCK, STP_OP_RESET};

	stp_decode(t->hdr, &h);
	if (h.op != (ops[t->req] | STP_OP_RESPONSE) || h.tid != t->tid)
		return; /* not the answer to this request: the timeout resends it */
	timer_stop(s, TM_BOARD);
	t->tid++;
	switch (t->req) {
	case RQ_RESET:
		t->req = RQ_OPEN;
		stp_send(s, STP_OP_OPEN_SESSION, 1, NULL, 0);
		break;
	case RQ_OPEN:
		t->max_transfer = h.length >= 4 ? stp_get16(t->hdr + STP_HDR_LEN + 2) : 0;
		sayf(s, "Session opened: version 1, max transfer %u bytes\n", t->max_transfer);
		stp_next_block(s);
		break;
	case RQ_CMD:
		t->req = RQ_BLOCK;
		stp_send(s, STP_OP_TRANSFER_BLOCK, 1, t->data + t->off, t->block);
		break;
	case RQ_BLOCK: {
		uint16_t residue = h.length >= 2 ? stp_get16(t->hdr + STP_HDR_LEN) : 0;

		t->off += residue < t->block ? t->block - residue : 0;
		stp_next_block(s);
		break;
	}
	case RQ_CLOSE:
		sayf(s, "Sending %zu bytes: [########################################] 100%%\n",
		     t->len);
		b->op = OP_NONE;
		b->res = RES_OK;
		drv_next(s);
		break;
	}
}

static void stp_feed(struct sim *s, uint8_t c)
{
	struct board_stp *t = &s->board->stp;

	if (t->got < 4) {
		t->sig = (t->sig << 8) | c;
		if (t->sig != STP_SIG_RESPONSE)
			return;
		stp_put32(t->hdr, t->sig);
		t->got = 4;
		t->want = STP_HDR_LEN;
		return;
	}
	t->hdr[t->got++] = c;
	if (t->got == STP_HDR_LEN) {
		uint16_t len = stp_get16(t->hdr + 6);

		t->want = STP_HDR_LEN + (len <= 4 ? len : 4);
	}
	if (t->got == t->want) {
		t->got = 0;
		t->sig = 0;
		stp_answer(s);
	}
}

/* ---- uart(): the program ---- */

static void uart_failed(struct sim *s, const char *why);
static void uart_mirror(struct sim *s);

static bool factory_bootrom(const char *showver)
{
	const char *p = strstr(showver, "Bootloader0");
	const char *eol = p ? strchr(p, '\n') : NULL;
	const char *f = p ? strstr(p, FACTORY_BOOTLOADER0) : NULL;

	return f && (!eol || f < eol);
}

static int smod_value(const char *info)
{
	return (info[0] >= '0' && info[0] <= '9') ? atoi(info) : -1;
}

static void negotiate(struct sim *s)
{
	struct board *b = s->board;

	say(s, "Attempting AT auto-negotiation...\n");
	b->modem_rate = BOARD_RECOVERY_RATE;
	b->step = ST_NEG_WAKE;
	wake(s, WAKE_MS);
}

/* Where a found mode leads: the recovery route, or straight to the mirror. */
static void after_mode(struct sim *s)
{
	struct board *b = s->board;

	if (b->mode == 0 && b->modem_rate == BOARD_MIRROR_RATE) {
		b->step = ST_NEG_SMOD; /* the boot ROM was moved to 921600 already */
		at(s, "AT+SMOD?", AT_MS);
	} else if (b->mode == 0) {
		negotiate(s);
	} else if (b->mode == 2 && b->recovery) {
		b->step = ST_BIND;
		at(s, "AT+BIND=AT", AT_MS);
	} else {
		uart_mirror(s); /* the normal method, or a modem already in upgrade mode */
	}
}

/* Application mode, recovery: the preparation, one command after the other. */
static void prepare_next(struct sim *s)
{
	static const struct {
		enum step step;
		const char *cmd;
	} prep[] = {
	    {ST_BIND, "AT+BIND=AT"},
	    {ST_ATE0, "ATE0"},
	    {ST_SMLOG, "AT+SMLOG?"},
	    {ST_NTF, "AT+SQNSUPGRADENTF=\"started\""},
	    {ST_SQNWL, "AT+SQNWL=\"sqndcc\",2"},
	    {ST_CFUN, "AT+CFUN=4"},
	    {ST_SHOWVER, "AT!=\"showver\""},
	};
	struct board *b = s->board;

	for (size_t i = 0; i + 1 < sizeof(prep) / sizeof(prep[0]); i++) {
		if (prep[i].step == b->step) {
			b->step = prep[i + 1].step;
			at(s, prep[i + 1].cmd, AT_MS);
			return;
		}
	}
}

static void after_showver(struct sim *s)
{
	struct board *b = s->board;

	if (factory_bootrom(b->info)) {
		b->step = ST_SWBOOT3;
		at(s, "AT+SMSWBOOT=3,1", AT_MS);
	} else {
		b->step = ST_SWBOOT0;
		at(s, "AT+SMSWBOOT=0,1", AT_MS);
	}
}

static void after_updater(struct sim *s)
{
	struct board *b = s->board;

	if (b->res != RES_OK || smod_value(b->info) != 4) {
		uart_failed(s, "the modem did not start the updater");
		return;
	}
	say(s, "Upgrader loaded successfully, modem is in upgrade mode\n");
	uart_mirror(s);
}

/* The steps up to the boot ROM's transfer. */
static bool drv_prepare(struct sim *s)
{
	struct board *b = s->board;

	switch (b->step) {
	case ST_WAKE:
		/* Found at either rate: 921600 (modes 1-4, a negotiated boot ROM) or 115200. */
		if (b->res == RES_OK) {
			b->step = ST_SMOD;
			at(s, "AT+SMOD?", AT_MS);
		} else if (sim_elapsed_ms(&b->wake_start) >= (long long)b->wake_ms) {
			uart_failed(s, "the modem does not answer");
		} else {
			if (++b->tries % 4 == 0)
				b->modem_rate = b->modem_rate == BOARD_MODEM_RATE
						    ? BOARD_RECOVERY_RATE
						    : BOARD_MODEM_RATE;
			at(s, "AT", WAKE_TRY_MS);
		}
		return true;
	case ST_SMOD:
		if (b->res != RES_OK || (b->mode = smod_value(b->info)) < 0) {
			uart_failed(s, "cannot read the modem's mode");
			return true;
		}
		after_mode(s);
		return true;
	case ST_BIND:
	case ST_ATE0:
	case ST_SMLOG:
	case ST_NTF:
	case ST_SQNWL:
	case ST_CFUN:
		if (b->res != RES_OK && b->step != ST_BIND && b->step != ST_ATE0) {
			uart_failed(s, "the modem refused the upgrade's preparation");
			return true;
		}
		prepare_next(s);
		return true;
	case ST_SHOWVER:
		if (b->res != RES_OK) {
			uart_failed(s, "cannot read the modem's version");
			return true;
		}
		after_showver(s);
		return true;
	case ST_SWBOOT3:
		if (b->res != RES_OK) {
			uart_failed(s, "AT+SMSWBOOT=3,1 failed!");
			return true;
		}
		b->step = ST_WAIT4;
		wake(s, WAKE_MS);
		return true;
	case ST_WAIT4:
		if (!wake_over(s))
			return true;
		b->step = ST_WAIT4_SMOD;
		at(s, "AT+SMOD?", AT_MS);
		return true;
	case ST_WAIT4_SMOD:
		if (b->res != RES_OK || smod_value(b->info) != 4) {
			uart_failed(s, "the modem did not reboot into upgrade mode");
			return true;
		}
		b->step = ST_CFUN4;
		at(s, "AT+CFUN=4", AT_MS);
		return true;
	case ST_CFUN4:
		b->step = ST_OTF;
		at(s, "AT+SMSTPU=\"ON_THE_FLY\"", AT_MS);
		return true;
	case ST_OTF:
		if (b->res != RES_OK) {
			uart_failed(s, "the modem refused AT+SMSTPU=\"ON_THE_FLY\"");
			return true;
		}
		say(s, "Starting STP (DO NOT DISCONNECT POWER!!!)\n");
		b->step = ST_STP_ROM;
		stp_start(s, b->bootrom, BOARD_BOOTROM_SIZE);
		return true;
	default:
		return false;
	}
}

/* From the boot ROM's transfer to the mirror. */
static void drv_recover(struct sim *s)
{
	struct board *b = s->board;

	switch (b->step) {
	case ST_STP_ROM:
		if (b->res != RES_OK) {
			uart_failed(s, "the boot ROM transfer failed");
			return;
		}
		b->step = ST_REPORT;
		wake(s, REPORT_MS);
		return;
	case ST_REPORT:
		/* Wake first (the modem is silent while it writes), then its report. */
		if (strcmp(b->cmd, "AT") == 0) {
			if (!wake_over(s))
				return;
			if (b->res != RES_OK) {
				uart_failed(s, "the modem stays silent after the boot ROM");
				return;
			}
			at(s, "AT+SMUPGRADE?", AT_MS);
			return;
		}
		if (b->res == RES_OK && strstr(b->info, "success")) {
			say(s, "Bootrom updated successfully, switching to upgrade mode\n");
			b->step = ST_SWBOOT0;
			at(s, "AT+SMSWBOOT=0,1", AT_MS);
		} else if (b->res == RES_OK && strstr(b->info, "fail")) {
			uart_failed(s, "the modem rejected the boot ROM");
		} else if (sim_elapsed_ms(&b->wake_start) < (long long)b->wake_ms) {
			at(s, "AT+SMUPGRADE?", AT_MS); /* on-going */
		} else {
			uart_failed(s, "the modem did not report on the boot ROM");
		}
		return;
	case ST_SWBOOT0:
		if (b->res != RES_OK) {
			uart_failed(s, "AT+SMSWBOOT=0,1 failed!");
			return;
		}
		negotiate(s);
		return;
	case ST_NEG_WAKE:
		if (!wake_over(s))
			return;
		if (b->res != RES_OK) {
			uart_failed(s, "AT auto-negotiation failed");
			return;
		}
		b->step = ST_IPR;
		at(s, "AT+IPR=921600", AT_MS);
		return;
	case ST_IPR:
		if (b->res != RES_OK) {
			uart_failed(s, "AT auto-negotiation failed");
			return;
		}
		b->modem_rate = BOARD_MIRROR_RATE;
		b->step = ST_NEG_AT;
		wake(s, AT_MS);
		return;
	case ST_NEG_AT:
		if (!wake_over(s))
			return;
		b->step = ST_NEG_SMOD;
		at(s, "AT+SMOD?", AT_MS);
		return;
	case ST_NEG_SMOD:
		if (b->res != RES_OK || smod_value(b->info) != 0) {
			uart_failed(s, "AT auto-negotiation failed");
			return;
		}
		if (!b->load_updater) {
			uart_mirror(s);
			return;
		}
		b->step = ST_ATSTP;
		at(s, "AT+STP", AT_MS);
		return;
	case ST_ATSTP:
		if (b->res != RES_OK) {
			uart_failed(s, "the modem refused AT+STP");
			return;
		}
		b->step = ST_STP_UPD;
		stp_start(s, b->flash_updater, b->flash_updater_len);
		return;
	case ST_STP_UPD:
		if (b->res != RES_OK) {
			uart_failed(s, "the updater transfer failed");
			return;
		}
		say(s, "Attempting AT wakeup...\n");
		b->step = ST_UPD_WAKE;
		wake(s, WAKE_MS);
		return;
	case ST_UPD_WAKE:
		if (!wake_over(s))
			return;
		b->step = ST_UPD_SMOD;
		at(s, "AT+SMOD?", AT_MS);
		return;
	case ST_UPD_SMOD:
		after_updater(s);
		return;
	default:
		return;
	}
}

static void drv_next(struct sim *s)
{
	if (s->board->state != B_UART)
		return;
	if (!drv_prepare(s))
		drv_recover(s);
}

/* ---- the REPL's Python ---- */

enum vtype { V_NONE, V_STR, V_INT, V_BOOL, V_MODULE, V_FUNC, V_UNAME };

struct val {
	enum vtype t;
	char s[256]; /* V_STR text; V_MODULE/V_FUNC name */
	long i;
};

struct parser {
	struct sim *s;
	const char *p;
	bool syntax;
	bool failed; /* an exception: board->err holds it */
	bool pending;
};

static void raise_error(struct parser *ps, const char *fmt, const char *arg)
{
	struct board *b = ps->s->board;
	int n;

	if (ps->failed)
		return;
	ps->failed = true;
	n = snprintf(b->err, sizeof(b->err),
		     "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in "
		     "<module>\n");
	if (n > 0 && (size_t)n < sizeof(b->err))
		snprintf(b->err + n, sizeof(b->err) - (size_t)n, fmt, arg);
}

static void syntax_error(struct parser *ps)
{
	if (ps->failed)
		return;
	ps->failed = ps->syntax = true;
	snprintf(ps->s->board->err, sizeof(ps->s->board->err),
		 "Traceback (most recent call last):\n  File \"<stdin>\", line 1\n"
		 "SyntaxError: invalid syntax\n");
}

static void skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

static bool ident_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static bool ident(struct parser *ps, char *out, size_t len)
{
	size_t n = 0;

	skip_space(ps);
	if (!ident_char(*ps->p, true))
		return false;
	while (ident_char(*ps->p, n == 0)) {
		if (n + 1 < len)
			out[n++] = *ps->p;
		ps->p++;
	}
	out[n] = '\0';
	return true;
}

static bool accept(struct parser *ps, char c)
{
	skip_space(ps);
	if (*ps->p != c)
		return false;
	ps->p++;
	return true;
}

static unsigned module_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		if (strcmp(modules[i].name, name) == 0)
			return modules[i].bit;
	return 0;
}

static void uname_repr(struct sim *s, char *out, size_t len)
{
	const char *n = s->cfg.board.name;

	snprintf(out, len,
		 "(sysname='%s', nodename='%s', release='" RELEASE "', version='" MPY_VERSION
		 "', machine='%s with ESP32')",
		 n, n, n);
}

static void str_of(struct sim *s, const struct val *v, bool repr, char *out, size_t len)
{
	switch (v->t) {
	case V_NONE:
		snprintf(out, len, "None");
		break;
	case V_STR:
		snprintf(out, len, repr ? "'%s'" : "%s", v->s);
		break;
	case V_INT:
		snprintf(out, len, "%ld", v->i);
		break;
	case V_BOOL:
		snprintf(out, len, "%s", v->i ? "True" : "False");
		break;
	case V_MODULE:
		snprintf(out, len, "<module '%s'>", v->s);
		break;
	case V_FUNC:
		snprintf(out, len, "<function %s>", v->s);
		break;
	case V_UNAME:
		uname_repr(s, out, len);
		break;
	}
}

static void expr(struct parser *ps, struct val *v);

static bool truthy(const struct val *v)
{
	return (v->t == V_BOOL || v->t == V_INT) ? v->i != 0 : v->t == V_STR ? v->s[0] != 0 : false;
}

static void start_uart(struct parser *ps, bool recovery, const char *mfile);

/* uart(ffh_mode=False, mfile=None, ...): positional or by keyword. */
static void call_uart(struct parser *ps)
{
	struct val a = {.t = V_NONE};
	char kw[32], mfile[256] = "";
	int n = 0;
	bool recovery = false, has_mfile = false;

	while (!ps->failed && !accept(ps, ')')) {
		const char *save;

		if (n > 0 && !accept(ps, ',')) {
			syntax_error(ps);
			return;
		}
		save = ps->p;
		if (!(ident(ps, kw, sizeof(kw)) && accept(ps, '='))) {
			ps->p = save;
			snprintf(kw, sizeof(kw), "%s", n == 0 ? "ffh_mode" : n == 1 ? "mfile" : "");
		}
		expr(ps, &a);
		if (strcmp(kw, "ffh_mode") == 0) {
			recovery = truthy(&a);
		} else if (strcmp(kw, "mfile") == 0) {
			has_mfile = a.t == V_STR;
			snprintf(mfile, sizeof(mfile), "%s", has_mfile ? a.s : "");
		} else if (strcmp(kw, "color") != 0 && strcmp(kw, "debug") != 0 &&
			   strcmp(kw, "pkgdebug") != 0 && kw[0]) {
			raise_error(ps, "TypeError: unexpected keyword argument '%s'\n", kw);
		}
		n++;
	}
	if (!ps->failed)
		start_uart(ps, recovery, has_mfile ? mfile : NULL);
}

static void call(struct parser *ps, struct val *v)
{
	struct val arg = {.t = V_NONE};
	char text[600];

	if (v->t != V_FUNC) {
		char what[32];

		snprintf(what, sizeof(what), "%s", v->t == V_STR ? "str" : "module");
		raise_error(ps, "TypeError: '%s' object isn't callable\n", what);
		return;
	}
	if (strcmp(v->s, "uart") == 0) {
		call_uart(ps);
		*v = (struct val){.t = V_NONE};
		return;
	}
	if (!accept(ps, ')')) {
		expr(ps, &arg);
		if (!ps->failed && !accept(ps, ')'))
			syntax_error(ps);
	}
	if (ps->failed)
		return;
	if (strcmp(v->s, "print") == 0) {
		str_of(ps->s, &arg, false, text, sizeof(text));
		sayf(ps->s, "%s\n", text);
		*v = (struct val){.t = V_NONE};
	} else if (strcmp(v->s, "uname") == 0) {
		*v = (struct val){.t = V_UNAME};
	} else {
		raise_error(ps, "NotImplementedError: %s() is not simulated by sqnsim's board\n",
			    v->s);
	}
}

static void attribute(struct parser *ps, struct val *v)
{
	char name[64];
	static const char *const fields[] = {"sysname", "nodename", "release", "version",
					     "machine"};

	if (!ident(ps, name, sizeof(name))) {
		syntax_error(ps);
		return;
	}
	if (v->t == V_MODULE && (strcmp(v->s, "os") == 0 || strcmp(v->s, "uos") == 0) &&
	    strcmp(name, "uname") == 0) {
		*v = (struct val){.t = V_FUNC, .s = "uname"};
	} else if (v->t == V_MODULE && strcmp(v->s, "sqnsupgrade") == 0 &&
		   (strcmp(name, "uart") == 0 || strcmp(name, "run") == 0 ||
		    strcmp(name, "info") == 0 || strcmp(name, "version") == 0)) {
		*v = (struct val){.t = V_FUNC};
		snprintf(v->s, sizeof(v->s), "%s", name);
	} else if (v->t == V_UNAME) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (strcmp(name, fields[i]) != 0)
				continue;
			*v = (struct val){.t = V_STR};
			if (i == 2)
				snprintf(v->s, sizeof(v->s), RELEASE);
			else if (i == 3)
				snprintf(v->s, sizeof(v->s), MPY_VERSION);
			else if (i == 4)
				snprintf(v->s, sizeof(v->s), "%s with ESP32",
					 ps->s->cfg.board.name);
			else
				snprintf(v->s, sizeof(v->s), "%s", ps->s->cfg.board.name);
			return;
		}
		raise_error(ps, "AttributeError: 'tuple' object has no attribute '%s'\n", name);
	} else {
		raise_error(ps, "AttributeError: 'module' object has no attribute '%s'\n", name);
	}
}

static void string_literal(struct parser *ps, struct val *v)
{
	char q = *ps->p++;
	size_t n = 0;

	v->t = V_STR;
	while (*ps->p && *ps->p != q) {
		if (n + 1 < sizeof(v->s))
			v->s[n++] = *ps->p;
		ps->p++;
	}
	v->s[n] = '\0';
	if (*ps->p != q) {
		syntax_error(ps);
		return;
	}
	ps->p++;
}

static void primary(struct parser *ps, struct val *v)
{
	char name[64];

	skip_space(ps);
	*v = (struct val){.t = V_NONE};
	if (*ps->p == '\'' || *ps->p == '"') {
		string_literal(ps, v);
	} else if (*ps->p >= '0' && *ps->p <= '9') {
		v->t = V_INT;
		v->i = strtol(ps->p, (char **)&ps->p, 10);
	} else if (ident(ps, name, sizeof(name))) {
		unsigned bit = module_bit(name);

		if (strcmp(name, "True") == 0 || strcmp(name, "False") == 0) {
			*v = (struct val){.t = V_BOOL, .i = name[0] == 'T'};
		} else if (strcmp(name, "None") == 0) {
			v->t = V_NONE;
		} else if (strcmp(name, "print") == 0) {
			*v = (struct val){.t = V_FUNC, .s = "print"};
		} else if (bit && (ps->s->board->imported & bit)) {
			v->t = V_MODULE;
			snprintf(v->s, sizeof(v->s), "%s", name);
		} else {
			raise_error(ps, "NameError: name '%s' isn't defined\n", name);
		}
	} else {
		syntax_error(ps);
	}
}

static void expr(struct parser *ps, struct val *v)
{
	primary(ps, v);
	while (!ps->failed && !ps->pending) {
		if (accept(ps, '.'))
			attribute(ps, v);
		else if (accept(ps, '('))
			call(ps, v);
		else
			break;
	}
}

static void import(struct parser *ps)
{
	char name[64];

	do {
		unsigned bit;

		if (!ident(ps, name, sizeof(name))) {
			syntax_error(ps);
			return;
		}
		bit = module_bit(name);
		if (!bit || (bit == MOD_SQNS && !ps->s->board->lte)) {
			raise_error(ps, "ImportError: no module named '%s'\n", name);
			return;
		}
		ps->s->board->imported |= bit;
	} while (accept(ps, ','));
}

/* One statement; in the friendly REPL an expression's value is printed. */
static void statement(struct parser *ps, bool echo_value)
{
	const char *start = ps->p;
	char word[64];
	struct val v;

	skip_space(ps);
	if (!*ps->p || strcmp(ps->p, "pass") == 0)
		return;
	if (ident(ps, word, sizeof(word)) && strcmp(word, "import") == 0) {
		import(ps);
	} else {
		ps->p = start;
		expr(ps, &v);
		if (!ps->failed && !ps->pending && echo_value && v.t != V_NONE) {
			char text[600];

			str_of(ps->s, &v, true, text, sizeof(text));
			sayf(ps->s, "%s\n", text);
		}
	}
	skip_space(ps);
	if (!ps->failed && !ps->pending && *ps->p)
		syntax_error(ps);
}

static void log_code(struct sim *s, const char *code, const char *mode)
{
	struct board *b = s->board;
	struct ev e;
	char error[64] = "";

	if (b->err[0]) {
		const char *last = b->err + strlen(b->err) - 1;

		while (last > b->err && last[-1] != '\n')
			last--;
		snprintf(error, sizeof(error), "%.*s", (int)strcspn(last, ":"), last);
	}
	ev_begin(&e, "repl");
	ev_str(&e, "mode", mode);
	ev_str(&e, "code", code);
	ev_str(&e, "error", error);
	ev_end(&s->log, &e);
}

/* The code is done (or failed): the REPL's closing words. */
static void code_done(struct sim *s)
{
	struct board *b = s->board;

	if (b->raw) {
		usb_write(s, "\x04", 1);
		say(s, b->err);
		usb_write(s, "\x04>", 2);
		set_state(s, B_RAW);
	} else {
		say(s, b->err);
		say(s, ">>> ");
		set_state(s, B_REPL);
	}
}

/*
 * Runs code: statements split at ';' and line ends outside quotes. Returns
 * true when uart() took over (the REPL's closing words come when it fails).
 */
static bool run_code(struct sim *s, char *code, bool raw)
{
	struct board *b = s->board;
	struct parser ps = {.s = s};
	char *stmt = code;
	char quote = 0;

	b->err[0] = '\0';
	b->raw = raw;
	for (char *p = code;; p++) {
		if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '\'' || *p == '"'))
			quote = *p;
		if (*p && (quote || (*p != ';' && *p != '\n' && *p != '\r')))
			continue;
		char end = *p;

		*p = '\0';
		ps.p = stmt;
		statement(&ps, !raw);
		*p = end;
		if (ps.failed || ps.pending || !end)
			break;
		stmt = p + 1;
	}
	log_code(s, code, raw ? "raw" : "friendly");
	if (ps.pending)
		return true;
	code_done(s);
	return false;
}

/* ---- uart() from the REPL ---- */

static void start_uart(struct parser *ps, bool recovery, const char *mfile)
{
	struct sim *s = ps->s;
	struct board *b = s->board;
	struct ev e;

	b->recovery = recovery;
	b->load_updater = recovery && mfile;
	if (b->load_updater && (strcmp(mfile, BOARD_FLASH_UPDATER) != 0 || !b->flash_updater)) {
		raise_error(ps, "OSError: [Errno 2] ENOENT: %s\n", mfile);
		return;
	}
	ps->pending = true;
	set_state(s, B_UART);
	ev_begin(&e, "board_uart");
	ev_bool(&e, "recovery", recovery);
	ev_str(&e, "updater", b->load_updater ? mfile : "");
	ev_end(&s->log, &e);
	b->modem_rate = BOARD_MODEM_RATE;
	b->rx_len = 0;
	b->tries = 0;
	b->step = ST_WAKE;
	say(s, "Attempting AT wakeup...\n");
	wake(s, WAKE_MS);
}

static void uart_failed(struct sim *s, const char *why)
{
	struct board *b = s->board;
	struct ev e;

	timer_stop(s, TM_BOARD);
	b->op = OP_NONE;
	b->tx_len = 0;
	b->modem_rate = BOARD_MODEM_RATE;
	snprintf(b->err, sizeof(b->err),
		 "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>\n"
		 "  File \"sqnsupgrade.py\", in uart\nOSError: %s\n",
		 why);
	ev_begin(&e, "board_uart_failed");
	ev_str(&e, "why", why);
	ev_end(&s->log, &e);
	code_done(s);
}

static void uart_mirror(struct sim *s)
{
	struct board *b = s->board;

	timer_stop(s, TM_BOARD);
	b->op = OP_NONE;
	b->modem_rate = BOARD_MIRROR_RATE;
	say(s, "Going into MIRROR mode... please close this terminal to resume the upgrade via "
	       "UART\n");
	set_state(s, B_MIRROR);
}

/* ---- the host's bytes ---- */

static void repl_byte(struct sim *s, uint8_t c)
{
	struct board *b = s->board;

	switch (c) {
	case 0x01: /* Ctrl-A: the raw REPL */
		say(s, "\n");
		raw_banner(s);
		b->code_len = 0;
		b->code_over = false;
		set_state(s, B_RAW);
		return;
	case 0x02:
		say(s, "\n");
		banner(s);
		b->line_len = 0;
		return;
	case 0x03: /* Ctrl-C at the prompt: the line is dropped */
		say(s, "\n>>> ");
		b->line_len = 0;
		return;
	case 0x04:
		if (b->line_len == 0) {
			say(s, "\nMPY: soft reboot\n");
			b->imported = 0;
			banner(s);
		}
		return;
	case 0x08:
	case 0x7f:
		if (b->line_len > 0) {
			b->line_len--;
			say(s, "\b \b");
		}
		return;
	case '\n':
		return;
	case '\r':
		say(s, "\n");
		b->line[b->line_len] = '\0';
		if (b->line_len == 0)
			say(s, ">>> "); /* an empty line: just the prompt again */
		else
			run_code(s, b->line, false);
		b->line_len = 0;
		return;
	default:
		if (c < 0x20 || b->line_len + 1 >= sizeof(b->line))
			return;
		b->line[b->line_len++] = (char)c;
		usb_write(s, &c, 1);
	}
}

static void raw_byte(struct sim *s, uint8_t c)
{
	struct board *b = s->board;

	switch (c) {
	case 0x01:
		say(s, "\n");
		raw_banner(s);
		b->code_len = 0;
		b->code_over = false;
		return;
	case 0x02:
		say(s, "\n");
		banner(s);
		b->line_len = 0;
		set_state(s, B_REPL);
		return;
	case 0x03:
		b->code_len = 0;
		b->code_over = false;
		return;
	case 0x04:
		usb_write(s, "OK", 2);
		if (b->code_len == 0) {
			say(s, "\nMPY: soft reboot\n");
			b->imported = 0;
			raw_banner(s);
			return;
		}
		b->code[b->code_len] = '\0';
		b->code_len = 0;
		if (b->code_over) {
			b->code_over = false;
			b->err[0] = '\0';
			snprintf(b->err, sizeof(b->err), "MemoryError: \n");
			b->raw = true;
			code_done(s);
			return;
		}
		run_code(s, b->code, true);
		return;
	default:
		if (b->code_len + 1 < sizeof(b->code))
			b->code[b->code_len++] = (char)c;
		else
			b->code_over = true;
	}
}

/* main.py's loop: Ctrl-C ends it with a KeyboardInterrupt, then the REPL starts. */
static void script_byte(struct sim *s, uint8_t c)
{
	if (c != 0x03)
		return;
	say(s, "Traceback (most recent call last):\n  File \"main.py\", line 7, in <module>\n"
	       "KeyboardInterrupt: \n");
	banner(s);
	s->board->line_len = 0;
	set_state(s, B_REPL);
}

size_t board_input(struct sim *s, const uint8_t *data, size_t len)
{
	struct board *b = s->board;

	switch (b->state) {
	case B_MIRROR:
		if (!usb_ok(s))
			return len; /* the board's UART reads garbage: it is lost */
		return sim_input(s, data, len);
	case B_HANG:
	case B_UART: /* busy in uart(): nothing typed is read until it returns */
		return len;
	default:
		break;
	}
	if (!usb_ok(s))
		return len;
	for (size_t i = 0; i < len; i++) {
		switch (b->state) {
		case B_SCRIPT:
			script_byte(s, data[i]);
			break;
		case B_REPL:
			repl_byte(s, data[i]);
			break;
		case B_RAW:
			raw_byte(s, data[i]);
			break;
		default:
			return len; /* uart() took over: the rest is not read */
		}
	}
	return len;
}

/* ---- the board's traffic with the modem ---- */

static void modem_bytes(struct sim *s)
{
	struct board *b = s->board;
	uint8_t buf[sizeof(b->rx)];
	size_t n = b->rx_len;

	memcpy(buf, b->rx, n);
	b->rx_len = 0;
	for (size_t i = 0; i < n && b->state == B_UART; i++) {
		uint8_t c = buf[i];

		if (b->op == OP_STP) {
			stp_feed(s, c);
		} else if (b->op == OP_AT) {
			if (c == '\r' || c == '\n') {
				b->rline[b->rline_len] = '\0';
				b->rline_len = 0;
				at_line(s, b->rline);
			} else if (b->rline_len + 1 < sizeof(b->rline)) {
				b->rline[b->rline_len++] = (char)c;
			}
		}
	}
}

void board_pump(struct sim *s)
{
	struct board *b = s->board;
	bool progress = true;

	while (progress && !s->halt) {
		progress = false;
		if (b->tx_len > 0 && !s->held) {
			size_t n = sim_input(s, b->tx, b->tx_len);

			memmove(b->tx, b->tx + n, b->tx_len - n);
			b->tx_len -= n;
			progress = n > 0;
		}
		if (b->rx_len > 0) {
			modem_bytes(s);
			progress = true;
		}
	}
}

/* ---- setup ---- */

static int load_updater(struct board *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    (unsigned long)size > BOARD_FLASH_MAX || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		errno = EFBIG;
		return -1;
	}
	b->flash_updater = malloc((size_t)size + 1);
	if (!b->flash_updater || fread(b->flash_updater, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	b->flash_updater_len = (size_t)size;
	fclose(f);
	return 0;
}

int board_init(struct sim *s)
{
	const struct board_config *c = &s->cfg.board;
	struct image_desc d = {.kind = IMAGE_BOOTROM,
			       .build = BOARD_BOOTROM_BUILD,
			       .size = BOARD_BOOTROM_SIZE,
			       .seed = BOARD_BOOTROM_BUILD};
	struct image_gen g;
	struct board *b = calloc(1, sizeof(*b));

	if (!b)
		return -1;
	s->board = b;
	b->lte = strcmp(c->name, "GPy") == 0 || strcmp(c->name, "FiPy") == 0 ||
		 strcmp(c->name, "G01") == 0;
	b->modem_rate = BOARD_MODEM_RATE;
	b->bootrom = malloc(BOARD_BOOTROM_SIZE);
	if (!b->bootrom)
		return -1;
	image_gen_init(&g, &d);
	for (size_t i = 0; i < BOARD_BOOTROM_SIZE; i++)
		b->bootrom[i] = image_gen_next(&g);
	if (c->updater && load_updater(b, c->updater) != 0) {
		fprintf(stderr, "sqnsim: --board-updater %s: %s\n", c->updater, strerror(errno));
		return -1;
	}
	return 0;
}

void board_power_on(struct sim *s)
{
	const struct board_config *c = &s->cfg.board;
	enum b_state st = c->hang ? B_HANG : c->mirror ? B_MIRROR : c->idle ? B_REPL : B_SCRIPT;

	s->board->state = (enum b_state) - 1;
	set_state(s, st);
}

void board_free(struct sim *s)
{
	if (!s->board)
		return;
	free(s->board->flash_updater);
	free(s->board->bootrom);
	free(s->board);
	s->board = NULL;
}
