/* SPDX-License-Identifier: MIT */
/*
 * The modem's side of STP, strict like the real one (frame layout in README.md).
 *
 * A length-driven step machine: it scans for the `fast` signature, reads the
 * 16-byte header, then exactly the payload the header announces, and checks
 * the CRCs last. It accepts input in chunks of any size. Anything invalid is
 * not answered: the frame is reported through ops->reject and the receiver
 * scans for the next signature. A request identical to the last one answered
 * is answered again without being applied twice.
 *
 * RESET: the closing form (sid 1, the next tid, after OPEN_SESSION) ends the
 * episode, with or without data; RESET(sid 0, tid 0) always (re)starts a
 * session, dropping whatever data the session had carried.
 */
#ifndef SQNSIM_STP_SLAVE_H
#define SQNSIM_STP_SLAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stp_frame.h"

#define STP_SLAVE_RESP_MAX (STP_HDR_LEN + 4u)

struct stp_slave_ops {
	/* A response to put on the wire. */
	void (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* OPEN_SESSION was answered. */
	void (*opened)(void *ctx, unsigned max_transfer);
	/* A TRANSFER_BLOCK's data: returns the residue (bytes not consumed, from the end). */
	uint16_t (*block)(void *ctx, const uint8_t *data, uint16_t len);
	/* The closing RESET (sid 1, next tid, after OPEN_SESSION) was answered. */
	void (*closed)(void *ctx);
	/* A RESET(sid 0, tid 0) restarted a session that had carried data: drop it. */
	void (*restarted)(void *ctx);
	/* A frame that got no answer, or bytes skipped while looking for a signature. */
	void (*reject)(void *ctx, const char *reason, unsigned long detail);
	/* A repeated request answered again. */
	void (*repeat)(void *ctx, unsigned op, uint32_t tid);
	/*
	 * Optional: a request passed its CRCs; returning false ignores it (no
	 * answer, not applied, not remembered for repeats).
	 */
	bool (*accept)(void *ctx, const struct stp_header *h);
};

enum stp_rx_step { STP_RX_SIG, STP_RX_HDR, STP_RX_PAYLOAD, STP_RX_SKIP };
enum stp_sess { STP_S_IDLE, STP_S_RESET, STP_S_OPEN, STP_S_CMD };

struct stp_slave {
	const struct stp_slave_ops *ops;
	void *ctx;
	unsigned max_transfer; /* announced in OPEN_SESSION */
	/* receiver */
	enum stp_rx_step step;
	uint32_t sig;	    /* the last four bytes seen while scanning */
	unsigned long junk; /* bytes skipped before the next signature */
	uint8_t hdr[STP_HDR_LEN];
	size_t got;
	struct stp_header h;
	uint8_t payload[STP_MAX_BLOCK];
	size_t skip_left;
	/* session */
	enum stp_sess sess;
	uint32_t next_tid;
	uint16_t block_len;
	bool data_seen;
	bool closed;
	/* the last request answered, for repeats */
	bool have_last;
	uint8_t last_req[STP_HDR_LEN];
	uint8_t last_resp[STP_SLAVE_RESP_MAX];
	size_t last_resp_len;
};

void stp_slave_init(struct stp_slave *s, const struct stp_slave_ops *ops, void *ctx,
		    unsigned max_transfer);
/*
 * Picks up an open session in which data was transferred (the modem kept
 * running while the simulator process was gone): the next request must be
 * TRANSFER_BLOCK_CMD or the closing RESET with tid next_tid.
 */
void stp_slave_resume(struct stp_slave *s, const struct stp_slave_ops *ops, void *ctx,
		      unsigned max_transfer, uint32_t next_tid);
/* The tid the open session expects next. */
uint32_t stp_slave_next_tid(const struct stp_slave *s);
/*
 * Feeds received bytes. Returns how many were consumed: all of them, unless the
 * session closed (ops->closed) part way, in which case the rest is no longer STP.
 */
size_t stp_slave_feed(struct stp_slave *s, const uint8_t *data, size_t len);
/* The largest block the modem takes: min(max_transfer - 16, 2016). */
uint16_t stp_slave_block_limit(const struct stp_slave *s);

#endif
