/* SPDX-License-Identifier: MIT */
/*
 * Modems that talk instead of answering: --nonsense (garbage lines for every
 * command, no result code), --flood (an endless byte stream without line ends
 * from boot on) and --endless-line (the first command is answered with a line
 * that never ends). Streams run at the line rate and never queue more than
 * BABBLE_QUEUE_MAX bytes for a host that does not read (a UART without flow
 * control loses them). Everything comes from the seed.
 */
#include "sim.h"

#define BABBLE_TICK_MS 10u
#define BABBLE_QUEUE_MAX 65536u

static uint8_t printable(struct sim *s)
{
	return (uint8_t)(0x20 + faults_rand(&s->faults) % 95);
}

/* Any byte but a line end. */
static uint8_t flood_byte(struct sim *s)
{
	uint8_t b = (uint8_t)faults_rand(&s->faults);

	return (b == '\r' || b == '\n') ? (uint8_t)(b | 0x80) : b;
}

void babble_nonsense(struct sim *s)
{
	unsigned lines = 3 + (unsigned)(faults_rand(&s->faults) % 4);
	uint8_t buf[600];

	for (unsigned l = 0; l < lines; l++) {
		size_t n = 200 + (size_t)(faults_rand(&s->faults) % 390);

		for (size_t i = 0; i < n; i++)
			buf[i] = printable(s);
		buf[n++] = '\r';
		buf[n++] = '\n';
		sim_emit(s, buf, n);
	}
}

static void stream_tick(struct sim *s)
{
	uint8_t buf[4096];
	size_t n = s->listen_rate / 10 / (1000 / BABBLE_TICK_MS);

	if (n == 0)
		n = 1;
	if (n > sizeof(buf))
		n = sizeof(buf);
	if (s->pty.out_len < BABBLE_QUEUE_MAX) {
		for (size_t i = 0; i < n; i++)
			buf[i] =
			    s->cfg.faults.babble == BABBLE_FLOOD ? flood_byte(s) : printable(s);
		sim_emit(s, buf, n);
	}
	timer_start(s, TM_BABBLE, BABBLE_TICK_MS, stream_tick, false);
}

void babble_stream(struct sim *s)
{
	struct ev e;

	s->phase = PH_BABBLE;
	ev_begin(&e, "babble");
	ev_str(&e, "kind", s->cfg.faults.babble == BABBLE_FLOOD ? "flood" : "endless_line");
	ev_end(&s->log, &e);
	if (s->cfg.faults.babble == BABBLE_ENDLESS)
		sim_emit_str(s, "\r\n");
	stream_tick(s);
}
