/*
 * sqnsim: a simulated Sequans SQN3330, strict like the real one.
 *
 * One struct sim holds everything; the only global is the signal flag in
 * main.c. The loop (main.c) feeds received bytes to sim_input() and fires the
 * single timer with sim_timer(). What the modem does lives in modem.c (boot,
 * modes, transfers, upgrades), the AT command tables in at.c.
 */
#ifndef SQNSIM_SIM_H
#define SQNSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "eventlog.h"
#include "image.h"
#include "pty.h"
#include "state.h"
#include "stp_slave.h"

#define SIM_LINE_MAX 256u

struct sim_config {
	const char *link;
	const char *state_path;
	const char *log_path;
	int mode;
	unsigned long build;
	const char *imei;
	unsigned long boot_ms;
	unsigned long apply_ms;
	unsigned long rate;
	unsigned max_transfer;
	unsigned long long fff_capacity;
	unsigned long residue_every;
	bool silent;
};

/* What the modem is busy with. */
enum phase {
	PH_BOOTING,  /* silent, input discarded, until the timer emits +SYSSTART */
	PH_AT,	     /* command lines */
	PH_STP,	     /* binary STP frames */
	PH_APPLYING, /* silent, input discarded, until the timer reports the result */
};

/* How the current STP session was opened. */
enum stp_method { METHOD_FFF, METHOD_ON_THE_FLY, METHOD_STP };

struct sim;
typedef void (*sim_action)(struct sim *s);

struct sim {
	struct sim_config cfg;
	unsigned long long rx_bytes; /* every byte the host sent, understood or not */
	struct modem_state st;
	struct evlog log;
	struct pty pty;
	int mode; /* the running mode (st.mode is where the next boot goes) */
	enum phase phase;
	unsigned long listen_rate; /* what the modem's UART runs at now */
	bool mismatch;		   /* in a rate mismatch episode */
	bool echo;
	/* the single timer */
	bool timer_on;
	struct timespec deadline;
	sim_action on_timer;
	/* AT */
	char line[SIM_LINE_MAX];
	size_t line_len;
	bool line_overflow;
	sim_action after_reply; /* runs once the final result code is on the wire */
	long after_arg;		/* argument for after_reply */
	/* STP */
	struct stp_slave stp;
	enum stp_method method;
	struct image_rx rx;
	unsigned long blocks;
};

/* modem.c */
void sim_power_on(struct sim *s);
void sim_power_off(struct sim *s);
void sim_input(struct sim *s, const uint8_t *data, size_t len);
/* Milliseconds until the timer fires (0 if due), -1 when it is off. */
long sim_timer_ms(const struct sim *s);
void sim_timer(struct sim *s);
/* Output through the UART: noise instead when the host's rate differs. */
void sim_emit(struct sim *s, const void *data, size_t len);
void sim_emit_str(struct sim *s, const char *str);
void sim_save(struct sim *s);
void sim_reboot(struct sim *s, int mode, bool shutdown_notice);
void sim_start_stp(struct sim *s, enum stp_method method, unsigned max_transfer);
void sim_fff_apply(struct sim *s);

/* at.c */
/* Whether the simulator implements a mode. */
bool at_mode_supported(int mode);
/* The rate a mode listens at after boot, echo after boot. */
unsigned long at_mode_rate(const struct sim *s, int mode);
bool at_mode_echo(int mode);
/* Feeds command-line bytes; returns how many were used (stops when the phase changes). */
size_t at_feed(struct sim *s, const uint8_t *data, size_t len);

#endif
