/* SPDX-License-Identifier: MIT */
/*
 * The AT engine: one command table per mode. A handler returns OK or ERROR,
 * may add information lines, and may leave an action (reboot, STP, rate
 * change) that runs once the final result code has been emitted.
 */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BOOTROM_RATE 115200ul
#define STP_RECOVERY_MAX_TRANSFER 2048u

enum at_result { AT_OK, AT_ERROR };

struct at_reply {
	char text[1024]; /* information lines, each followed by \r\n */
	size_t len;
};

typedef enum at_result (*at_handler)(struct sim *s, const char *arg, struct at_reply *r);

struct at_cmd {
	const char *name;
	bool prefix; /* name ends with '=': the rest of the line is the argument */
	at_handler fn;
	bool refused_busy; /* ERROR while the modem checks or applies an image (enum busy) */
};

struct at_mode {
	int mode;
	bool echo;  /* echoes command lines after boot (until ATE0) */
	bool terse; /* boot ROM layout: no leading \r\n */
	const struct at_cmd *cmds;
};

static void __attribute__((format(printf, 2, 3))) info(struct at_reply *r, const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(r->text) - r->len;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->text + r->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= room)
		return;
	r->len += (size_t)n;
	memcpy(r->text + r->len, "\r\n", 3);
	r->len += 2;
}

/* ---- actions run after the final result code ---- */

static void act_reboot(struct sim *s)
{
	sim_reboot(s, s->st.mode, s->mode == 2);
}

static void act_stp_fff(struct sim *s)
{
	sim_start_stp(s, METHOD_FFF, s->cfg.max_transfer);
}

static void act_stp_otf(struct sim *s)
{
	sim_start_stp(s, METHOD_ON_THE_FLY, s->cfg.max_transfer);
}

static void act_stp_mtools(struct sim *s)
{
	sim_start_stp(s, METHOD_MTOOLS, s->cfg.max_transfer);
}

static void act_stp_recovery(struct sim *s)
{
	sim_start_stp(s, METHOD_STP, STP_RECOVERY_MAX_TRANSFER);
}

/* ---- handlers shared by several modes ---- */

static enum at_result h_ok(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)s, (void)arg, (void)r;
	return AT_OK;
}

static enum at_result h_ate0(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	s->echo = false;
	return AT_OK;
}

static enum at_result h_ate1(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	s->echo = true;
	return AT_OK;
}

static enum at_result h_smod(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg;
	info(r, "%d", s->mode);
	return AT_OK;
}

static enum at_result h_cfun(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)s, (void)r;
	return (!strcmp(arg, "0") || !strcmp(arg, "1") || !strcmp(arg, "4")) ? AT_OK : AT_ERROR;
}

static enum at_result h_upgntf(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)s, (void)r;
	return (!strcasecmp(arg, "\"started\"") || !strcasecmp(arg, "\"success\"")) ? AT_OK
										    : AT_ERROR;
}

static enum at_result h_smupgrade_q(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg;
	switch (s->st.report) {
	case REPORT_NONE:
		info(r, "+SMUPGRADE: No report");
		break;
	case REPORT_FAIL_PATCH: /* a diff for another base build: the modem's own words */
		info(r, "+SMUPGRADE: failure[diffUpgrade,239] Patch didn't apply!");
		break;
	default:
		info(r, "+SMUPGRADE: %s", report_name(s->st.report));
		break;
	}
	return AT_OK;
}

static enum at_result h_reset(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	s->after_reply = act_reboot;
	return AT_OK;
}

/* AT+SMSWBOOT=<target>,<reboot now>: 0 recovery, 1 application, 3 updater. */
static enum at_result h_swboot_set(struct sim *s, const char *arg, struct at_reply *r)
{
	static const int target_mode[4] = {0, 2, -1, 4};
	char extra;
	int t, now;

	(void)r;
	if (sscanf(arg, "%d,%d%c", &t, &now, &extra) != 2 || t < 0 || t > 3 || target_mode[t] < 0 ||
	    (now != 0 && now != 1))
		return AT_ERROR;
	/* Older firmware cannot reboot in one go: =T,0 then AT^RESET. */
	if (s->cfg.old_firmware && now)
		return AT_ERROR;
	/*
	 * The updater leaves only after an image it applied: the old firmware is
	 * gone. With --refusal-keeps-firmware a refused diff left it in place.
	 */
	if (target_mode[t] == 2 && s->mode != 2 && !s->st.upgraded && !s->st.keeps_old)
		return AT_ERROR;
	s->st.mode = target_mode[t];
	sim_save(s);
	if (now)
		s->after_reply = act_reboot;
	return AT_OK;
}

/* ON_THE_FLY: the updater's and mtools' path (firmware or boot ROM); never the application's. */
static enum at_result h_smstpu_otf(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	s->after_reply = act_stp_otf;
	return AT_OK;
}

static void act_ipr(struct sim *s)
{
	s->listen_rate = (unsigned long)s->after_arg;
}

/* AT+IPR=<rate>: OK at the old rate, then the UART switches; rates above --max-rate fail. */
static enum at_result h_ipr(struct sim *s, const char *arg, struct at_reply *r)
{
	static const unsigned long rates[] = {9600,    19200,	38400,	 57600,	  115200,
					      230400,  460800,	921600,	 1000000, 1843200,
					      2000000, 3000000, 3686400, 4000000};
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	(void)r;
	if (!*arg || *arg < '0' || *arg > '9' || *end || v > s->cfg.max_rate)
		return AT_ERROR;
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		if (rates[i] == v) {
			s->after_arg = (long)v;
			s->after_reply = act_ipr;
			return AT_OK;
		}
	}
	return AT_ERROR;
}

/* ---- mode 2: application ---- */

/* The application names its log level; the updater answers with a number. */
static enum at_result h_smlog(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg;
	if (s->mode == 2)
		info(r, "+SMLOG: LOG_INHERIT");
	else
		info(r, "+SMLOG: 0");
	return AT_OK;
}

static enum at_result h_cgsn(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg;
	info(r, "%s", s->cfg.imei);
	return AT_OK;
}

/* The application firmware's version, from its channel and build. */
struct fw_version {
	const char *lr; /* showver's rows, ATI1's LR line (before -BUILD) */
	const char *ue; /* ATI1's UE line and showver's UE row, without "UE" */
};

static struct fw_version fw_version(const struct sim *s)
{
	if (s->st.channel == CHANNEL_NB1)
		return (struct fw_version){"6.0.0.0", "6.0.0.0"};
	if (s->st.build >= 48000)
		return (struct fw_version){"5.2.1.0", "5.2.0.3"};
	return (struct fw_version){"5.1.1.0", "5.0.0.0d"};
}

static enum at_result h_ati1(struct sim *s, const char *arg, struct at_reply *r)
{
	struct fw_version v = fw_version(s);

	(void)arg;
	info(r, "UE%s", v.ue);
	info(r, "LR%s-%lu", v.lr, s->st.build);
	return AT_OK;
}

#define BOOTROM_VERSION "5.1.1.0"
#define BUILT_2018 "by robot-soft at 2018-08-20 09:51:46"
#define BUILT_2017 "by robot-soft at 2017-12-11 15:06:33"

/* One row of showver's FIRMWARE VERSION: today's layout, or 2017's without brackets. */
static void showver_row(struct sim *s, struct at_reply *r, const char *label, const char *version,
			unsigned long build, bool dated)
{
	if (s->cfg.showver_2017)
		info(r, "    %-12s : BUILD%s-%lu " BUILT_2017, label, version, build);
	else
		info(r, "    %-12s : %s [%lu]%s", label, version, build,
		     dated ? " " BUILT_2018 : "");
}

static enum at_result h_showver(struct sim *s, const char *arg, struct at_reply *r)
{
	unsigned long b = s->st.build;
	struct fw_version v = fw_version(s);
	struct ev e;

	(void)arg;
	if (s->cfg.showver_error_once && !s->showver_failed) {
		s->showver_failed = true; /* once per power-on */
		ev_begin(&e, "showver_error");
		ev_int(&e, "mode", s->mode);
		ev_end(&s->log, &e);
		return AT_ERROR;
	}
	ev_begin(&e, "showver");
	ev_str(&e, "layout", s->cfg.showver_2017 ? "2017" : "2018");
	ev_str(&e, "version", v.lr);
	ev_int(&e, "build", (long long)b);
	ev_end(&s->log, &e);
	info(r, "SYSTEM VERSION");
	info(r, "==============");
	info(r, "  FIRMWARE VERSION");
	showver_row(s, r, "Bootloader0", BOOTROM_VERSION, s->st.bootloader0, false);
	if (s->st.factory) {
		info(r, "    Bootloader1  : NA");
		info(r, "    Bootloader2  : NA");
	} else {
		showver_row(s, r, "Bootloader1*", v.lr, b, false);
		showver_row(s, r, "Bootloader2", v.lr, b, false);
	}
	info(r, "    NV Info      : 1.1,0,0");
	showver_row(s, r, "Software", v.lr, b, true);
	info(r, "    UE           : %s", s->st.factory ? "Unknown" : v.ue);
	info(r, "  COMPONENTS");
	info(r, "    ZSP0         : 1.0.99-13604");
	info(r, "    ZSP1         : 1.0.99-12341");
	return AT_OK;
}

static const char *boot_word(int mode)
{
	switch (mode) {
	case 0:
		return "RECOVERY";
	case 2:
		return "FFF";
	default:
		return "FFH";
	}
}

static enum at_result h_swboot_q_app(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg;
	info(r, "+SMSWBOOT: %s", boot_word(s->st.mode));
	return AT_OK;
}

static enum at_result h_smstpu_fff(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	s->after_reply = act_stp_fff;
	return AT_OK;
}

static enum at_result h_smupgrade(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	if (!s->st.fff_present)
		return AT_ERROR;
	s->after_reply = sim_fff_apply;
	return AT_OK;
}

static const struct at_cmd app_cmds[] = {
    {"AT", false, h_ok, false},
    {"ATE0", false, h_ate0, false},
    {"ATE1", false, h_ate1, false},
    {"AT+BIND=AT", false, h_ok, false},
    {"AT+SMOD?", false, h_smod, false},
    {"AT+SMLOG?", false, h_smlog, false},
    {"AT+CGSN", false, h_cgsn, false},
    {"ATI1", false, h_ati1, false},
    {"AT!=\"showver\"", false, h_showver, false},
    {"AT+SQNSUPGRADENTF=", true, h_upgntf, false},
    {"AT+SQNWL=\"sqndcc\",2", false, h_ok, false},
    {"AT+CFUN=", true, h_cfun, false},
    {"AT+SMSWBOOT=", true, h_swboot_set, true},
    {"AT+SMSWBOOT?", false, h_swboot_q_app, false},
    {"AT^RESET", false, h_reset, true},
    {"AT+SMSTPU", false, h_smstpu_fff, true},
    {"AT+IPR=", true, h_ipr, false},
    {"AT+SMUPGRADE", false, h_smupgrade, true},
    {"AT+SMUPGRADE?", false, h_smupgrade_q, false},
    {NULL, false, NULL, false},
};

/* ---- modes 3 and 4: updater ---- */

static enum at_result h_swboot_q_upd(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)s, (void)arg;
	info(r, "+SMSWBOOT: FFH");
	return AT_OK;
}

static const struct at_cmd updater_cmds[] = {
    {"AT", false, h_ok, false},
    {"ATE0", false, h_ate0, false},
    {"AT+BIND=AT", false, h_ok, false},
    {"AT+SMOD?", false, h_smod, false},
    {"AT+SMLOG?", false, h_smlog, false},
    {"AT+SQNSUPGRADENTF=", true, h_upgntf, false},
    {"AT+SQNWL=\"sqndcc\",2", false, h_ok, false},
    {"AT+CFUN=", true, h_cfun, false},
    {"AT+SMSWBOOT=", true, h_swboot_set, true},
    {"AT+SMSWBOOT?", false, h_swboot_q_upd, false},
    {"AT^RESET", false, h_reset, true},
    {"AT+SMSTPU=\"ON_THE_FLY\"", false, h_smstpu_otf, true},
    {"AT+SMUPGRADE?", false, h_smupgrade_q, false},
    {"AT+IPR=", true, h_ipr, false},
    {NULL, false, NULL, false},
};

/* ---- mode 1: mtools ---- */

static enum at_result h_smstpu_mtools(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	s->after_reply = act_stp_mtools;
	return AT_OK;
}

static const struct at_cmd mtools_cmds[] = {
    {"AT", false, h_ok, false},
    {"ATE0", false, h_ate0, false},
    {"AT+BIND=AT", false, h_ok, false},
    {"AT+SMOD?", false, h_smod, false},
    {"AT+SMSTPU", false, h_smstpu_mtools, true},
    {"AT+SMSTPU=\"ON_THE_FLY\"", false, h_smstpu_otf, true},
    {NULL, false, NULL, false},
};

/* ---- mode 0: recovery (boot ROM) ---- */

static enum at_result h_stp(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg, (void)r;
	s->after_reply = act_stp_recovery;
	return AT_OK;
}

static const struct at_cmd recovery_cmds[] = {
    {"AT", false, h_ok, false},	     {"AT+SMOD?", false, h_smod, false},
    {"AT+IPR=", true, h_ipr, false}, {"AT+STP", false, h_stp, false},
    {NULL, false, NULL, false},
};

static const struct at_mode modes[] = {
    {0, false, true, recovery_cmds}, {1, true, false, mtools_cmds},   {2, true, false, app_cmds},
    {3, false, false, updater_cmds}, {4, false, false, updater_cmds},
};

static const struct at_mode *mode_def(int mode)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].mode == mode)
			return &modes[i];
	return NULL;
}

bool at_mode_supported(int mode)
{
	return mode_def(mode) != NULL;
}

unsigned long at_mode_rate(const struct sim *s, int mode)
{
	return mode == 0 ? BOOTROM_RATE : s->cfg.rate;
}

bool at_mode_echo(int mode)
{
	const struct at_mode *m = mode_def(mode);

	return m && m->echo;
}

/* ---- the engine ---- */

static const struct at_cmd *lookup(const struct at_cmd *cmds, const char *line, const char **arg)
{
	for (; cmds->name; cmds++) {
		size_t n = strlen(cmds->name);

		if (cmds->prefix ? strncasecmp(line, cmds->name, n) == 0
				 : strcasecmp(line, cmds->name) == 0) {
			*arg = line + n;
			return cmds;
		}
	}
	return NULL;
}

static void emit_reply(struct sim *s, bool terse, const struct at_reply *r, enum at_result res)
{
	if (!terse)
		sim_emit_str(s, "\r\n");
	sim_emit(s, r->text, r->len);
	sim_emit_str(s, res == AT_OK ? "OK\r\n" : "ERROR\r\n");
}

static void log_command(struct sim *s, int mode, const char *line, const char *result)
{
	struct ev e;

	ev_begin(&e, "at");
	ev_int(&e, "mode", mode);
	ev_str(&e, "cmd", line);
	ev_str(&e, "result", result);
	ev_end(&s->log, &e);
}

/* A broken modem (--nonsense, --endless-line) talks instead of answering; true if it did. */
static bool babbled(struct sim *s)
{
	switch (s->cfg.faults.babble) {
	case BABBLE_NONSENSE:
		log_command(s, s->mode, s->line, "nonsense");
		babble_nonsense(s);
		return true;
	case BABBLE_ENDLESS:
		log_command(s, s->mode, s->line, "endless_line");
		babble_stream(s);
		return true;
	default:
		return false;
	}
}

/* ---- what real modems were seen doing (--first-error, --crash-dump, --urc) ---- */

/* --first-error: the line after a boot or an idle spell answers ERROR, whatever it is. */
static bool first_error(struct sim *s, int mode)
{
	struct ev e;

	if (!s->first_error)
		return false;
	ev_begin(&e, "first_error");
	ev_int(&e, "mode", mode);
	ev_str(&e, "cmd", s->line);
	ev_str(&e, "why", s->first_error);
	ev_end(&s->log, &e);
	s->first_error = NULL;
	return true;
}

#define CRASH_DUMP_LEN 300u

/*
 * A crash report as a stored dump reads back: binary (NULs, high bytes, never
 * a line end) around the firmware's own text, cut off mid-message.
 */
static size_t put(uint8_t *out, size_t n, const char *bytes, size_t len)
{
	memcpy(out + n, bytes, len);
	return n + len;
}

#define PUT(out, n, lit) put(out, n, lit, sizeof(lit) - 1) /* a literal, NULs included */

static size_t crash_dump_bytes(uint8_t out[CRASH_DUMP_LEN])
{
	static const char tail[] = "\x04\0\0\0hal_misc.c@420 'Spurious Int";
	size_t n = 0, fill;

	n = PUT(out, n, "\0\0\0\0\xc3\x5a\x01\x00\x2c\x01\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00");
	n = PUT(out, n, "5.1.1.0 [39529] by robot-soft at 2018-08-20 09:51:46");
	n = PUT(out, n, "\0\0\0\x9c\xf2\x03\x20\0\0\0\0Assertion failed\0\0");
	/* registers and stack: NULs and high bytes up to the length */
	fill = CRASH_DUMP_LEN - n - (sizeof(tail) - 1);
	for (size_t i = 0; i < fill; i++)
		out[n++] = (i % 4 == 3) ? 0 : (uint8_t)(0x80 + (i * 37) % 0x7f);
	return PUT(out, n, tail);
}

/* --crash-dump N: every Nth command line of modes 1-4 gets the dump in front of its answer. */
static void crash_dump(struct sim *s, int mode)
{
	uint8_t dump[CRASH_DUMP_LEN];
	size_t n;
	struct ev e;

	if (mode < 1 || mode > 4)
		return;
	s->lines_14++;
	if (!s->cfg.crash_dump || s->lines_14 % s->cfg.crash_dump != 0)
		return;
	n = crash_dump_bytes(dump);
	sim_emit(s, dump, n);
	ev_begin(&e, "crash_dump");
	ev_int(&e, "mode", mode);
	ev_str(&e, "cmd", s->line);
	ev_int(&e, "n", (long long)s->lines_14);
	ev_int(&e, "bytes", (long long)n);
	ev_end(&s->log, &e);
}

/* --urc N: is this mode-2 command line one whose answer URCs surround? */
static bool urc_due(struct sim *s, int mode)
{
	if (mode != 2)
		return false;
	s->lines_app++;
	return s->cfg.urc && s->lines_app % s->cfg.urc == 0;
}

/* One unsolicited line; they alternate, +CPSMS first. */
static void emit_urc(struct sim *s, const char *where)
{
	static const char *const urcs[] = {"+CPSMS: 1,,,\"10000110\",\"00011110\"", "+CEREG: 2"};
	const char *line = urcs[s->urcs++ % 2];
	struct ev e;

	sim_emit_str(s, "\r\n");
	sim_emit_str(s, line);
	sim_emit_str(s, "\r\n");
	ev_begin(&e, "urc");
	ev_str(&e, "line", line);
	ev_str(&e, "where", where);
	ev_str(&e, "cmd", s->line);
	ev_end(&s->log, &e);
}

static void run_line(struct sim *s)
{
	const struct at_mode *m = mode_def(s->mode);
	struct at_reply r = {.len = 0};
	const struct at_cmd *c = NULL;
	const char *arg = NULL;
	enum at_result res = AT_ERROR;
	int mode = s->mode;
	bool urc;

	s->line[s->line_len] = '\0';
	s->after_reply = NULL;
	if (babbled(s))
		return;
	crash_dump(s, mode);
	urc = urc_due(s, mode);
	if (!first_error(s, mode) && !s->line_overflow &&
	    !faults_at_error(&s->faults, &s->cfg.faults, s->line, &s->log))
		c = lookup(m->cmds, s->line, &arg);
	if (c && c->refused_busy && s->busy != BUSY_NONE)
		c = NULL; /* checking or applying an image: nothing new starts */
	if (c)
		res = c->fn(s, arg, &r);
	if (res != AT_OK) {
		r.len = 0;
		s->after_reply = NULL;
	}
	if (urc)
		emit_urc(s, "before");
	emit_reply(s, m->terse, &r, res);
	if (urc)
		emit_urc(s, "after"); /* between this command and the next */
	sim_hold(s, s->cfg.latency_ms);
	log_command(s, mode, s->line, res == AT_OK ? "OK" : "ERROR");
	if (s->after_reply) {
		sim_action act = s->after_reply;

		s->after_reply = NULL;
		act(s);
	}
}

size_t at_feed(struct sim *s, const uint8_t *data, size_t len)
{
	size_t used = 0;

	while (used < len && s->phase == PH_AT) {
		uint8_t b = data[used++];

		if (s->echo)
			sim_emit(s, &b, 1);
		if (b != '\r' && b != '\n') {
			if (s->line_len + 1 < SIM_LINE_MAX)
				s->line[s->line_len++] = (char)b;
			else
				s->line_overflow = true;
			continue;
		}
		if (s->line_len > 0 || s->line_overflow)
			run_line(s);
		s->line_len = 0;
		s->line_overflow = false;
	}
	return used;
}
