/* SPDX-License-Identifier: MIT */
#include "faults.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* splitmix64 */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform draw in [0, 1). */
static double unit(uint64_t *s)
{
	return (double)(next(s) >> 11) * 0x1.0p-53;
}

void faults_init(struct faults *f, const struct fault_config *c)
{
	memset(f, 0, sizeof(*f));
	f->rng_rx = c->seed ^ 0x7278727872787278ULL;
	f->rng_tx = c->seed ^ 0x7478747874787478ULL;
	f->rng_misc = c->seed ^ 0x6d6973636d697363ULL;
}

uint64_t faults_rand(struct faults *f)
{
	return next(&f->rng_misc);
}

bool faults_byte_active(const struct fault_config *c, bool rx)
{
	return rx ? (c->flip_rx > 0 || c->drop_rx > 0) : (c->flip_tx > 0 || c->drop_tx > 0);
}

static void log_byte_fault(struct evlog *log, const char *kind, unsigned long long at, int bit)
{
	struct ev e;

	ev_begin(&e, "fault");
	ev_str(&e, "kind", kind);
	ev_int(&e, "at", (long long)at);
	if (bit >= 0)
		ev_int(&e, "bit", bit);
	ev_end(log, &e);
}

bool faults_byte(struct faults *f, const struct fault_config *c, bool rx, uint8_t *b,
		 struct evlog *log)
{
	uint64_t *rng = rx ? &f->rng_rx : &f->rng_tx;
	unsigned long long at = rx ? f->rx_n++ : f->tx_n++;
	double drop = rx ? c->drop_rx : c->drop_tx;
	double flip = rx ? c->flip_rx : c->flip_tx;
	/* Both draws every byte, so one probability never shifts the other's stream. */
	double d = unit(rng), x = unit(rng);
	int bit = (int)(next(rng) & 7);

	if (d < drop) {
		log_byte_fault(log, rx ? "drop_rx" : "drop_tx", at, -1);
		return true;
	}
	if (x < flip) {
		*b ^= (uint8_t)(1u << bit);
		log_byte_fault(log, rx ? "flip_rx" : "flip_tx", at, bit);
	}
	return false;
}

bool faults_at_error(struct faults *f, const struct fault_config *c, const char *line,
		     struct evlog *log)
{
	bool hit = false;

	for (size_t i = 0; i < c->n_at_errors; i++) {
		const struct at_error_rule *r = &c->at_errors[i];
		struct ev e;

		if (strlen(line) != r->cmd_len || strncasecmp(line, r->cmd, r->cmd_len) != 0)
			continue;
		if (++f->at_seen[i] != r->nth)
			continue;
		hit = true;
		ev_begin(&e, "fault");
		ev_str(&e, "kind", "at_error");
		ev_str(&e, "cmd", line);
		ev_int(&e, "n", (long long)r->nth);
		ev_end(log, &e);
	}
	return hit;
}

int faults_parse_prob(const char *v, double *p)
{
	char *end;

	errno = 0;
	*p = strtod(v, &end);
	return (errno || !*v || *end || !(*p >= 0.0 && *p <= 1.0)) ? -1 : 0;
}

/* An unsigned decimal number that fills [v, end) exactly. */
static int parse_ulong(const char *v, const char *end, unsigned long max, unsigned long *out)
{
	char *stop;

	if (v == end || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	*out = strtoul(v, &stop, 10);
	return (errno || stop != end || *out > max) ? -1 : 0;
}

int faults_parse_stall(const char *v, struct stall_point *sp)
{
	const char *colon = strchr(v, ':');
	unsigned long pct, ms;

	if (!colon || parse_ulong(v, colon, 100, &pct) != 0 ||
	    parse_ulong(colon + 1, colon + strlen(colon), 3600000, &ms) != 0)
		return -1;
	sp->pct = (unsigned)pct;
	sp->ms = ms;
	return 0;
}

/* CMD or CMD:N; the last ':' starts N only when digits follow it. */
int faults_parse_at_error(const char *v, struct at_error_rule *r)
{
	const char *colon = strrchr(v, ':');
	size_t len = strlen(v);
	unsigned long n = 1;

	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
		if (parse_ulong(colon + 1, v + len, 1000000000ul, &n) != 0 || n == 0)
			return -1;
		len = (size_t)(colon - v);
	}
	if (len == 0 || len >= 256)
		return -1;
	r->cmd = v; /* points into argv: lives as long as the process */
	r->cmd_len = len;
	r->nth = n;
	return 0;
}
