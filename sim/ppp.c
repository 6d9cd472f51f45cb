/* SPDX-License-Identifier: MIT */
/*
 * A PPP data session (--ppp). The modem ignores AT and now and then sends an
 * LCP Echo-Request, until the host escapes with the Hayes sequence: at least
 * PPP_GUARD_MS of silence, exactly "+++", and again at least PPP_GUARD_MS of
 * silence. Then it answers OK and is back in command mode. "+++" without the
 * guard times is just data.
 */
#include "sim.h"

#define PPP_GUARD_MS 1000u
#define PPP_NOISE_EVERY_MS 3000u

static void log_ppp(struct sim *s, const char *state)
{
	struct ev e;

	ev_begin(&e, "ppp");
	ev_str(&e, "state", state);
	ev_end(&s->log, &e);
}

/* The FCS-16 of RFC 1662, bit by bit. */
static uint16_t fcs16(uint16_t fcs, uint8_t b)
{
	fcs ^= b;
	for (int i = 0; i < 8; i++)
		fcs = (fcs & 1) ? (uint16_t)((fcs >> 1) ^ 0x8408) : (uint16_t)(fcs >> 1);
	return fcs;
}

/* Appends b to a frame with async control character escaping. */
static size_t put_escaped(uint8_t *out, size_t n, uint8_t b)
{
	if (b < 0x20 || b == 0x7d || b == 0x7e) {
		out[n++] = 0x7d;
		b ^= 0x20;
	}
	out[n++] = b;
	return n;
}

/* An LCP Echo-Request: ~ ff 03 c0 21 09 id 00 08 magic fcs ~, escaped. */
static void noise_frame(struct sim *s)
{
	uint8_t body[12] = {0xff, 0x03, 0xc0, 0x21, 0x09, s->ppp.id++, 0x00, 0x08};
	uint8_t out[2 + 2 * (sizeof(body) + 2)];
	uint16_t fcs = 0xffff;
	size_t n = 0;

	stp_put32(body + 8, s->ppp.magic);
	out[n++] = 0x7e;
	for (size_t i = 0; i < sizeof(body); i++) {
		fcs = fcs16(fcs, body[i]);
		n = put_escaped(out, n, body[i]);
	}
	fcs ^= 0xffff;
	n = put_escaped(out, n, (uint8_t)fcs);
	n = put_escaped(out, n, (uint8_t)(fcs >> 8));
	out[n++] = 0x7e;
	sim_emit(s, out, n);
}

static void noise_tick(struct sim *s)
{
	noise_frame(s);
	timer_start(s, TM_BABBLE, PPP_NOISE_EVERY_MS, noise_tick, false);
}

void ppp_enter(struct sim *s)
{
	s->phase = PH_PPP;
	clock_gettime(CLOCK_MONOTONIC, &s->ppp.last_rx);
	s->ppp.plus = 0;
	s->ppp.magic = (uint32_t)faults_rand(&s->faults);
	log_ppp(s, "data");
	timer_start(s, TM_BABBLE, PPP_NOISE_EVERY_MS, noise_tick, false);
}

/* The closing guard time passed after "+++". */
static void escaped(struct sim *s)
{
	timer_stop(s, TM_BABBLE);
	s->phase = PH_AT;
	s->line_len = 0;
	s->line_overflow = false;
	s->st.ppp = false;
	sim_save(s);
	log_ppp(s, "command");
	sim_emit_str(s, "\r\nOK\r\n");
}

void ppp_feed(struct sim *s, uint8_t b)
{
	long long gap = sim_elapsed_ms(&s->ppp.last_rx);

	clock_gettime(CLOCK_MONOTONIC, &s->ppp.last_rx);
	if (s->timers[TM_MODEM].on) { /* a byte inside the closing guard time */
		timer_stop(s, TM_MODEM);
		s->ppp.plus = 0;
	}
	if (b != '+')
		s->ppp.plus = 0;
	else if (gap >= (long long)PPP_GUARD_MS)
		s->ppp.plus = 1;
	else if (s->ppp.plus > 0)
		s->ppp.plus++;
	if (s->ppp.plus == 3)
		timer_start(s, TM_MODEM, PPP_GUARD_MS, escaped, false);
}
