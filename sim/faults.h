/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: everything that makes the simulated modem worse than a good
 * one, configured from the command line and driven by one seed so that every
 * run with the same seed and the same host bytes injects the same faults.
 *
 * Each direction of byte faults has its own pseudo-random stream, consumed by
 * the same number of draws for every byte exposed to faults, so the chunking
 * of the input never changes which byte is hit.
 */
#ifndef SQNSIM_FAULTS_H
#define SQNSIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"

#define FAULT_MAX_STALLS 8u
#define FAULT_MAX_AT_ERRORS 8u

/* How a broken modem talks instead of answering. */
enum babble {
	BABBLE_NONE,
	BABBLE_NONSENSE, /* every command line: long random printable lines, no result code */
	BABBLE_FLOOD,	 /* from boot: an endless byte stream without line ends */
	BABBLE_ENDLESS,	 /* the first command line: a reply line that never ends */
};

struct stall_point {
	unsigned pct;	  /* of the image's size, from its tag */
	unsigned long ms; /* how long the modem stops answering */
};

struct at_error_rule {
	const char *cmd; /* the exact command line (cmd_len bytes), compared without case */
	size_t cmd_len;
	unsigned long nth; /* the occurrence that fails, from 1 */
};

struct fault_config {
	unsigned long long seed;
	double flip_rx, flip_tx;	 /* per-byte probability of one flipped bit */
	double drop_rx, drop_tx;	 /* per-byte probability of a lost byte */
	bool everywhere;		 /* --faults-in all: byte faults outside STP too */
	unsigned long drop_request;	 /* the Nth STP request is ignored; 0: never */
	unsigned long corrupt_response;	 /* the Nth STP response gets a bad header CRC; 0: never */
	unsigned long corrupt_signature; /* the Nth STP response gets a bad `tsaf`; 0: never */
	unsigned long corrupt_signature_every; /* every Nth STP response the same; 0: never */
	struct stall_point stalls[FAULT_MAX_STALLS];
	size_t n_stalls;
	unsigned long long power_cut_at; /* image bytes; 0: never */
	unsigned long long vanish_at;	 /* image bytes; 0: never */
	unsigned long long hang_at;	 /* image bytes; 0: never */
	struct at_error_rule at_errors[FAULT_MAX_AT_ERRORS];
	size_t n_at_errors;
	enum babble babble;
};

struct faults {
	uint64_t rng_rx, rng_tx, rng_misc;
	unsigned long long rx_n, tx_n; /* bytes exposed to byte faults so far */
	unsigned long requests;	       /* STP requests that passed their CRCs, whole run */
	unsigned long responses;       /* STP responses put on the wire, whole run */
	unsigned long at_seen[FAULT_MAX_AT_ERRORS];
};

void faults_init(struct faults *f, const struct fault_config *c);

/*
 * Applies the byte faults of one direction to *b. Returns true when the byte
 * is lost. Logs a `fault` event for every fault.
 */
bool faults_byte(struct faults *f, const struct fault_config *c, bool rx, uint8_t *b,
		 struct evlog *log);
/* Whether any byte fault is configured for this direction. */
bool faults_byte_active(const struct fault_config *c, bool rx);

/* Counts an AT command line; true when this occurrence must answer ERROR. */
bool faults_at_error(struct faults *f, const struct fault_config *c, const char *line,
		     struct evlog *log);

/* A draw from the stream for everything else (babble, PPP noise). */
uint64_t faults_rand(struct faults *f);

/* Option parsers: return 0, or -1 for a malformed value. */
int faults_parse_prob(const char *v, double *p);
int faults_parse_stall(const char *v, struct stall_point *sp);
int faults_parse_at_error(const char *v, struct at_error_rule *r);

#endif
