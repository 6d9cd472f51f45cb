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
	info(r, "+SMUPGRADE: %s",
	     s->st.report == REPORT_NONE ? "No report" : report_name(s->st.report));
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
	/* The updater leaves only after an image it applied: the old firmware is gone. */
	if (target_mode[t] == 2 && s->mode != 2 && !s->st.upgraded)
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

static enum at_result h_ati1(struct sim *s, const char *arg, struct at_reply *r)
{
	(void)arg;
	info(r, "UE5.0.0.0d");
	info(r, "LR5.1.1.0-%lu", s->st.build);
	return AT_OK;
}

static enum at_result h_showver(struct sim *s, const char *arg, struct at_reply *r)
{
	unsigned long b = s->st.build;

	(void)arg;
	info(r, "SYSTEM VERSION");
	info(r, "==============");
	info(r, "  FIRMWARE VERSION");
	info(r, "    Bootloader0  : 5.1.1.0 [%lu]", s->st.bootloader0);
	if (s->st.factory) {
		info(r, "    Bootloader1  : NA");
		info(r, "    Bootloader2  : NA");
	} else {
		info(r, "    Bootloader1* : 5.1.1.0 [%lu]", b);
		info(r, "    Bootloader2  : 5.1.1.0 [%lu]", b);
	}
	info(r, "    NV Info      : 1.1,0,0");
	info(r, "    Software     : 5.1.1.0 [%lu] by robot-soft at 2018-08-20 09:51:46", b);
	info(r, "    UE           : %s", s->st.factory ? "Unknown" : "5.0.0.0d");
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

static void run_line(struct sim *s)
{
	const struct at_mode *m = mode_def(s->mode);
	struct at_reply r = {.len = 0};
	const struct at_cmd *c = NULL;
	const char *arg = NULL;
	enum at_result res = AT_ERROR;
	int mode = s->mode;

	s->line[s->line_len] = '\0';
	s->after_reply = NULL;
	if (babbled(s))
		return;
	if (!s->line_overflow && !faults_at_error(&s->faults, &s->cfg.faults, s->line, &s->log))
		c = lookup(m->cmds, s->line, &arg);
	if (c && c->refused_busy && s->busy != BUSY_NONE)
		c = NULL; /* checking or applying an image: nothing new starts */
	if (c)
		res = c->fn(s, arg, &r);
	if (res != AT_OK) {
		r.len = 0;
		s->after_reply = NULL;
	}
	emit_reply(s, m->terse, &r, res);
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
