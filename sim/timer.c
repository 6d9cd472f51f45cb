/* SPDX-License-Identifier: MIT */
/*
 * The simulator's timers. Each is a deadline on CLOCK_MONOTONIC and an action;
 * the poll loop sleeps until the earliest one. No sleeps anywhere else.
 */
#include "sim.h"

static void add_ms(struct timespec *t, unsigned long ms)
{
	t->tv_sec += (time_t)(ms / 1000);
	t->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

long long sim_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000LL + (now.tv_nsec - since->tv_nsec) / 1000000L;
}

void timer_start(struct sim *s, enum sim_timer_id id, unsigned long ms, sim_action act,
		 bool imposed)
{
	struct sim_timer *t = &s->timers[id];

	clock_gettime(CLOCK_MONOTONIC, &t->deadline);
	add_ms(&t->deadline, ms);
	t->ms = ms;
	t->act = act;
	t->imposed = imposed;
	t->on = true;
}

void timer_stop(struct sim *s, enum sim_timer_id id)
{
	s->timers[id].on = false;
}

static long timer_left_ms(const struct sim_timer *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (t->deadline.tv_sec - now.tv_sec) * 1000LL +
	     (t->deadline.tv_nsec - now.tv_nsec + 999999L) / 1000000L;
	return ms > 0 ? (long)ms : 0;
}

long sim_timer_ms(const struct sim *s)
{
	long best = -1;

	for (int i = 0; i < TM_COUNT; i++) {
		long ms;

		if (!s->timers[i].on)
			continue;
		ms = timer_left_ms(&s->timers[i]);
		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
}

void sim_timer(struct sim *s)
{
	for (int i = 0; i < TM_COUNT && !s->halt; i++) {
		struct sim_timer *t = &s->timers[i];

		if (!t->on || timer_left_ms(t) > 0)
			continue;
		t->on = false;
		if (t->imposed)
			s->imposed_ms += t->ms;
		t->act(s);
	}
}

static void hold_over(struct sim *s)
{
	s->held = false;
}

void sim_hold(struct sim *s, unsigned long ms)
{
	struct sim_timer *t = &s->timers[TM_HOLD];

	if (ms == 0)
		return;
	if (t->on) {
		add_ms(&t->deadline, ms);
		t->ms += ms;
		return;
	}
	s->held = true;
	timer_start(s, TM_HOLD, ms, hold_over, true);
}
