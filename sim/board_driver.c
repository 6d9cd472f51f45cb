/* SPDX-License-Identifier: MIT */
/*
 * --board's own upgrade driver (board_private.h): uart() against the
 * simulated modem through the board's UART, byte for byte as the board's
 * firmware does it, then the mirror's bridge; the board's setup.
 */
#include "board_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void drv_next(struct sim *s);

/* ---- the USB side's rate to the modem ---- */

unsigned long board_modem_rate(const struct sim *s)
{
	return s->board->modem_rate;
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
		if (noise || !board_usb_ok(s))
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
		board_sayf(s, "Session opened: version 1, max transfer %u bytes\n",
			   t->max_transfer);
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
		board_sayf(s,
			   "Sending %zu bytes: [########################################] 100%%\n",
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

	board_say(s, "Attempting AT auto-negotiation...\n");
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
	board_say(s, "Upgrader loaded successfully, modem is in upgrade mode\n");
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
		board_say(s, "Starting STP (DO NOT DISCONNECT POWER!!!)\n");
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
			board_say(s, "Bootrom updated successfully, switching to upgrade mode\n");
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
		board_say(s, "Attempting AT wakeup...\n");
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

/* ---- uart()'s start, end and mirror ---- */

bool board_uart_start(struct sim *s, bool recovery, const char *mfile)
{
	struct board *b = s->board;
	struct ev e;

	b->recovery = recovery;
	b->load_updater = recovery && mfile;
	if (b->load_updater && (strcmp(mfile, BOARD_FLASH_UPDATER) != 0 || !b->flash_updater))
		return false;
	board_set_state(s, B_UART);
	ev_begin(&e, "board_uart");
	ev_bool(&e, "recovery", recovery);
	ev_str(&e, "updater", b->load_updater ? mfile : "");
	ev_end(&s->log, &e);
	b->modem_rate = BOARD_MODEM_RATE;
	b->rx_len = 0;
	b->tries = 0;
	b->step = ST_WAKE;
	board_say(s, "Attempting AT wakeup...\n");
	wake(s, WAKE_MS);
	return true;
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
	board_code_done(s);
}

static void uart_mirror(struct sim *s)
{
	struct board *b = s->board;

	timer_stop(s, TM_BOARD);
	b->op = OP_NONE;
	b->modem_rate = BOARD_MIRROR_RATE;
	board_say(s,
		  "Going into MIRROR mode... please close this terminal to resume the upgrade via "
		  "UART\n");
	board_set_state(s, B_MIRROR);
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
	board_set_state(s, st);
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
