/* SPDX-License-Identifier: MIT */
/*
 * sqnsim: a simulated Sequans SQN3330, strict like the real one.
 *
 * One struct sim holds everything; the only global is the signal flag in
 * main.c. The loop (main.c) feeds received bytes to sim_input() and fires the
 * timers with sim_timer(); options.c reads the command line. What the modem
 * does lives in modem.c (boot, modes, upgrades), transfer.c (STP sessions and
 * the faults that strike them), at.c (the AT command tables), ppp.c (a PPP
 * data session and its escape), babble.c (modems that talk nonsense), timer.c
 * (the timers), faults.c (fault configuration and the seeded streams) and
 * pace.c (line-rate pacing).
 */
#ifndef SQNSIM_SIM_H
#define SQNSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "eventlog.h"
#include "faults.h"
#include "image.h"
#include "pace.h"
#include "pty.h"
#include "state.h"
#include "stp_slave.h"

#define SIM_LINE_MAX 256u
#define SIM_MS_UNSET ((unsigned long)-1) /* an optional time not given: another one applies */
#define SIM_IDLE_MS 5000LL		 /* --first-error: this long without input is idle */

/* --board: a Pycom board's MicroPython in front of the modem (board_*.c). */
struct board_config {
	bool on;
	const char *name;    /* os.uname().sysname: GPy, FiPy, G01 carry the modem */
	bool hang;	     /* the REPL never answers */
	bool mirror;	     /* already in mirror mode at power-on */
	bool idle;	     /* no main.py running at power-on: the prompt waits */
	const char *updater; /* a file on the board's flash, as /flash/updater.elf */
};

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
	unsigned long bootloader0;   /* the boot ROM build without state */
	bool factory;		     /* fresh from the factory, without state */
	unsigned long bootloader_ms; /* a boot into recovery (mode 0) takes this long */
	unsigned long max_rate;	     /* AT+IPR above this: ERROR */
	unsigned long line_max;	     /* the cable carries rates up to this (0: any) */
	bool ppp;		     /* start in a PPP data session, without state */
	bool old_firmware;	     /* every AT+SMSWBOOT=T,1 answers ERROR */
	bool sticky_bootrom;	     /* a boot ROM sent ON_THE_FLY leaves Bootloader0 as it was */
	unsigned long check_ms;	     /* checking an incomplete ON_THE_FLY/mtools image */
	bool pace;		     /* move bytes no faster than the UART */
	unsigned long latency_ms;    /* before every answer */
	/* What real modems were seen doing (sim/README.md, "Field behaviour"); all off by default.
	 */
	bool first_error;	     /* the first line after a boot or 5 s of idle: ERROR */
	unsigned long crash_dump;    /* a binary crash dump before every Nth answer (modes 1-4) */
	unsigned long urc;	     /* URCs around every Nth answer in mode 2 */
	bool showver_2017;	     /* showver's older layout, without brackets */
	bool showver_error_once;     /* the first showver after power-on: ERROR */
	bool refusal_keeps_firmware; /* a refused diff leaves the old firmware bootable */
	unsigned long app_boot_ms;   /* updater → application after an upgrade (SIM_MS_UNSET) */
	unsigned long updater_ms;    /* updater.elf loaded → answering in mode 4 (SIM_MS_UNSET) */
	bool field_timing;	     /* unset app_boot_ms/updater_ms take the field's times */
	bool fff_stuck;		     /* the FFF store never takes a block */
	enum channel channel;	     /* the firmware's channel without state */
	struct fault_config faults;
	struct board_config board;
};

/* What the modem is busy with. */
enum phase {
	PH_BOOTING,  /* silent, input discarded, until the timer emits +SYSSTART */
	PH_AT,	     /* command lines */
	PH_STP,	     /* binary STP frames */
	PH_APPLYING, /* silent, input discarded, until the timer reports the result */
	PH_PPP,	     /* a PPP data session: AT ignored until the +++ escape */
	PH_BABBLE,   /* a broken modem streaming bytes: input ignored */
	PH_HUNG,     /* --hang-at: never answers again, input discarded */
};

/* Work the modem does while it answers AT (some commands are refused meanwhile). */
enum busy {
	BUSY_NONE,
	BUSY_CHECK, /* checking an incomplete ON_THE_FLY/mtools image (--check-ms) */
	BUSY_FFF,   /* applying a stored image, in mode 4 between the two reboots */
};

/* Why the process ends before a SIGTERM. */
enum sim_halt {
	HALT_NONE = 0,
	HALT_POWER_CUT = 3, /* the exit status */
	HALT_VANISH = 4,
};

struct sim;
typedef void (*sim_action)(struct sim *s);

/* The timers: the poll loop sleeps until the earliest one. */
enum sim_timer_id {
	TM_MODEM,  /* boot, apply, check, the PPP escape's closing guard */
	TM_HOLD,   /* the end of a stall or of an answer's latency */
	TM_BABBLE, /* PPP noise frames, floods */
	TM_BOARD,  /* --board: the board's own waits (its AT and STP deadlines) */
	TM_COUNT,
};

struct sim_timer {
	bool on;
	bool imposed;	  /* a wait of the modem's own, counted in imposed_ms */
	unsigned long ms; /* as set (and extended) */
	struct timespec deadline;
	sim_action act;
};

struct ppp_session {
	struct timespec last_rx; /* the last byte from the host (or the session's start) */
	unsigned plus;		 /* '+' seen in a row after a guard time */
	uint8_t id;		 /* of the next noise frame */
	uint32_t magic;
};

#define SIM_IN_MAX 4096u

struct sim {
	struct sim_config cfg;
	unsigned long long rx_bytes; /* every byte the host sent, understood or not */
	struct modem_state st;
	struct evlog log;
	struct pty pty;
	int mode; /* the running mode (st.mode is where the next boot goes) */
	enum phase phase;
	enum busy busy;
	bool fff_boot; /* the boot in progress is the one into mode 4 that applies the FFF image */
	unsigned long boot_ms;	   /* the silence of the boot in progress */
	unsigned long listen_rate; /* what the modem's UART runs at now */
	bool mismatch;		   /* in a rate mismatch episode */
	bool echo;
	enum sim_halt halt;
	unsigned long long imposed_ms; /* waits of the modem's own that ran out */
	struct sim_timer timers[TM_COUNT];
	bool held; /* stalled: neither reads nor writes until TM_HOLD */
	/* bytes read but not yet consumed (a stall began part way) */
	uint8_t in[SIM_IN_MAX];
	size_t in_len;
	struct pace pace_rx, pace_tx;
	struct faults faults;
	struct ppp_session ppp;
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
	bool stall_done[FAULT_MAX_STALLS]; /* in this transfer */
	struct board *board;		   /* --board, else NULL */
	/* field behaviour */
	const char
	    *first_error; /* why the next command line answers ERROR ("boot", "idle"), or NULL */
	struct timespec last_rx; /* the last byte from the host (or the last +SYSSTART) */
	unsigned long lines_14;	 /* command lines in modes 1-4 since power-on (--crash-dump) */
	unsigned long lines_app; /* command lines in mode 2 since power-on (--urc) */
	unsigned long urcs;	 /* URC lines emitted (they alternate) */
	bool showver_failed;	 /* --showver-error-once has struck since power-on */
};

/* options.c: parses the command line into c; exits on a bad one. */
void options_parse(int argc, char **argv, struct sim_config *c);

/* timer.c */
void timer_start(struct sim *s, enum sim_timer_id id, unsigned long ms, sim_action act,
		 bool imposed);
void timer_stop(struct sim *s, enum sim_timer_id id);
/* Milliseconds until the earliest timer fires (0 if due), -1 when all are off. */
long sim_timer_ms(const struct sim *s);
/* Fires every timer that is due. */
void sim_timer(struct sim *s);
/* Stops reading and writing for ms (added to a hold already running). */
void sim_hold(struct sim *s, unsigned long ms);
/* Milliseconds from since to now. */
long long sim_elapsed_ms(const struct timespec *since);

/* modem.c */
void sim_power_on(struct sim *s);
void sim_power_off(struct sim *s);
/* Feeds received bytes; returns how many were taken (fewer when a hold or a halt began). */
size_t sim_input(struct sim *s, const uint8_t *data, size_t len);
/* Output through the UART: noise instead when the host's rate differs. */
void sim_emit(struct sim *s, const void *data, size_t len);
void sim_emit_str(struct sim *s, const char *str);
void sim_save(struct sim *s);
void sim_reboot(struct sim *s, int mode, bool shutdown_notice);
void sim_fff_apply(struct sim *s);
/* An STP session ended with its closing RESET: judges and applies the image. */
void sim_stp_finished(struct sim *s, const struct image_info *info);

/* transfer.c */
void sim_start_stp(struct sim *s, enum stp_method method, unsigned max_transfer);
/* Picks up the session a vanished link left (state xfer); false if there is none. */
bool transfer_resume(struct sim *s);
/* Carries out a halt requested during input: power cut or vanished link. */
void transfer_halt(struct sim *s);

/* ppp.c */
void ppp_enter(struct sim *s);
void ppp_feed(struct sim *s, uint8_t b);

/* babble.c */
/* Answers a command line with garbage lines (--nonsense). */
void babble_nonsense(struct sim *s);
/* Starts an endless stream (--flood, --endless-line); the phase becomes PH_BABBLE. */
void babble_stream(struct sim *s);

/*
 * board_*.c (--board): the board between the host's pty and the modem's UART.
 * The host's bytes go to board_input; the modem's UART output to
 * board_from_modem (noise: the modem's rate differs from the board's UART).
 */
int board_init(struct sim *s);
void board_power_on(struct sim *s);
void board_free(struct sim *s);
size_t board_input(struct sim *s, const uint8_t *data, size_t len);
void board_from_modem(struct sim *s, const uint8_t *data, size_t len, bool noise);
/* The rate of the board's UART to the modem: what the modem sees as its host's rate. */
unsigned long board_modem_rate(const struct sim *s);
/* The rate of the board's USB side: 115200 at the REPL, 921600 in mirror mode. */
unsigned long board_usb_rate(const struct sim *s);
/* Work the board has queued (bytes to the modem, the modem's answers): runs it. */
void board_pump(struct sim *s);
bool board_busy(const struct sim *s);

/* at.c */
/* Whether the simulator implements a mode. */
bool at_mode_supported(int mode);
/* A boot into this mode is done: +SYSSTART, then the mode's start (PPP, flood). */
/* The rate a mode listens at after boot, echo after boot. */
unsigned long at_mode_rate(const struct sim *s, int mode);
bool at_mode_echo(int mode);
/* Feeds command-line bytes; returns how many were used (stops when the phase changes). */
size_t at_feed(struct sim *s, const uint8_t *data, size_t len);

#endif
