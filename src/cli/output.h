/* SPDX-License-Identifier: MIT */
/* Turns the core's events into what the user sees. */
#ifndef SQNS_OUTPUT_H
#define SQNS_OUTPUT_H

#include <stdio.h>

#include "sqnsupgrade.h"
#include "sqnsupgrade_words.h"

#define RATE_SAMPLES 16 /* the throughput is measured over the last few seconds */
#define BUSY_HINT_S 3	/* seconds of STP silence before "modem busy" shows */

struct output {
	FILE *out;	/* transcript (stdout) */
	FILE *err;	/* diagnostics (stderr) */
	bool tty;	/* out is a terminal: redraw the bar in place */
	int tty_fd;	/* out's descriptor (out may later be wrapped, e.g. in colour) */
	int verbose;	/* -v */
	bool debug;	/* --debug: the wire, line by line */
	bool fff;	/* the transfer in progress stores an FFF image */
	bool planned;	/* the core made its plan (SQNS_PHASE_PLAN): a dry run shows it */
	int bar_shown;	/* last drawn percentage, -1 before the first */
	int bar_len;	/* characters of the bar line drawn on a terminal */
	bool line_open; /* a bar or a row of dots awaits its newline */
	const struct sqns_ctx *ctx; /* for the plan's warnings */
	FILE *log;		    /* --log: timestamped wire transcript, or NULL */
	FILE *json;		    /* --json: one JSON object a line for every event, or NULL */
	int json_pct;		    /* the last progress percentage written as JSON */
	uint32_t t0;		    /* the log's time origin (ms) */
	/* The live bar on a terminal: bytes, throughput and ETA, or the busy hint. */
	struct {
		uint32_t done, total;	      /* the last progress event */
		uint32_t drawn_ms;	      /* when the line was last drawn */
		uint32_t t[RATE_SAMPLES];     /* a window of (time, bytes) samples */
		uint32_t bytes[RATE_SAMPLES]; /* ... for the throughput */
		unsigned n, head;	      /* samples held, oldest one */
		uint32_t last_ms;	      /* the last progress event's time */
		int busy_s;		      /* seconds the modem has been silent since */
		bool busy_said;		      /* the non-TTY hint was printed for this stall */
		int busy_next_s;	      /* ... and the next reminder is due at busy_s */
	} bar;
	struct sqns_words_state words; /* what the words of events remember */
	struct sqns_words_how how;     /* how they name commands: set by the session */
	int tick_phase;		       /* the phase of the running AT wait's ticks, -1 for none */
	int tick_s;		       /* its seconds so far (the TICK event's value) */
	/* run ARCHIVE|FOLDER: the release, for the choice line after the plan (else NULL). */
	const struct sqns_release *release;
	const char *release_name; /* as the user named it */
	uint32_t release_baud;	  /* the rate of the saving's estimate */
	bool tick_said;		  /* its "no answer yet" hint was printed */
};

void output_init(struct output *o, FILE *out, FILE *err, int verbose, bool debug);

/* The sqns_event_fn for struct sqns_config (user = struct output *). */
void output_event(void *user, const struct sqns_event *ev);

/* End a pending bar or dots line (before printing anything else). */
void output_break(struct output *o);

/* A JSON string literal for s (quotes, backslashes, control bytes escaped). */
void output_json_string(FILE *f, const char *s);

/* The name of a phase in the JSON stream ("wakeup", "stp_on_the_fly"...). */
const char *output_phase_name(enum sqns_phase p);

/*
 * During a transfer (progress seen, not complete): milliseconds since the
 * modem last acknowledged a block; else 0.
 */
uint32_t output_stp_silence_ms(const struct output *o);

/* The transcript's first line (the library's words). */
void output_welcome(FILE *f, const char *after);

/* Print a '\n'-separated block, one line each. */
void output_block(struct output *o, const char *text);

#endif
