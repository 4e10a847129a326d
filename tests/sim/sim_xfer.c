/*
 * sim_xfer.c - one-way bulk transfers for the SACK/timestamp tests and the
 * loss benchmark (simnet.h): A sends, B verifies every byte, under random
 * loss from the wire's impairments or bursty loss from a two-state filter.
 */
#include <string.h>

#include "simnet.h"

#define XFER_PORT 5002

/* Gilbert-Elliott: a good state that loses nothing and a bad one that loses
 * everything, each direction its own chain and generator. */
static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int chance(uint64_t *s, uint32_t ppm)
{
	return next_rand(s) % 1000000u < ppm;
}

int sim_burst_filter(void *ctx, enum tp_wire_side from, tp_time now, const uint8_t *frame, size_t len)
{
	struct sim_burst *b = ctx;
	(void)now;
	(void)frame;
	(void)len;
	int *bad = &b->bad[from];
	if (*bad ? chance(&b->rng[from], b->leave_ppm) : chance(&b->rng[from], b->enter_ppm))
		*bad = !*bad;
	if (*bad)
		b->dropped++;
	return !*bad;
}

void sim_burst_init(struct sim_burst *b, uint64_t seed, uint32_t enter_ppm, uint32_t leave_ppm)
{
	memset(b, 0, sizeof(*b));
	b->rng[0] = seed * 2 + 1;
	b->rng[1] = seed * 2 + 2;
	b->enter_ppm = enter_ppm;
	b->leave_ppm = leave_ppm;
}

struct xfer {
	struct simnet net;
	struct sim_acceptor acc;
	struct sim_stream a;
};

static int received_all(void *ctx)
{
	struct xfer *x = ctx;
	const struct sim_stream *b = x->acc.count ? &x->acc.streams[0] : NULL;
	if (x->a.error || (b && (b->error || b->mismatch)))
		return 1;
	return b && b->received == b->to_receive;
}

void sim_xfer(const struct sim_xfer_options *o, struct sim_xfer_result *r)
{
	static struct xfer x;               /* large; one at a time */
	struct sim_burst burst;
	struct tp_stack_config cfg = {.tcp_cc = o->cc, .tcp_sack = o->no_sack ? TP_OFF : 0,
				      .tcp_timestamps = o->no_timestamps ? TP_OFF : 0};
	memset(&x, 0, sizeof(x));
	memset(r, 0, sizeof(*r));
	sim_init(&x.net, &(struct sim_options){.impair = o->impair, .seed = o->seed, .stack = &cfg});
	struct simnet *n = &x.net;
	if (o->filter)
		sim_set_filter(n, o->filter, o->filter_ctx);
	else if (o->burst_enter_ppm) {
		sim_burst_init(&burst, o->seed, o->burst_enter_ppm, o->burst_leave_ppm);
		sim_set_filter(n, sim_burst_filter, &burst);
	}
	uint64_t key = 0x5ac6ull ^ o->seed;
	struct sim_stream templ = {.rx_key = key, .to_receive = o->bytes};
	sim_acceptor_init(&x.acc, n, SIM_B, XFER_PORT, 4, &templ, 1);
	tp_time start = sim_now(n);
	int fd = sim_connect(n, SIM_A, 0, XFER_PORT);
	sim_stream_init(&x.a, n, SIM_A, fd, key, o->bytes, 0, 0);
	r->complete = sim_run(n, start + o->limit, received_all, &x) == 1 && x.acc.count == 1 &&
		      !x.a.error && !x.acc.streams[0].error && !x.acc.streams[0].mismatch &&
		      x.acc.streams[0].received == o->bytes;
	r->elapsed = sim_now(n) - start;
	struct tp_stack *a = n->stack[SIM_A];
	r->rto = tp_stat(a, TP_STAT_TCP_RTO);
	r->retrans = tp_stat(a, TP_STAT_TCP_RETRANS);
	r->fast = tp_stat(a, TP_STAT_TCP_FAST_RETRANS);
	r->sack_recovery = tp_stat(a, TP_STAT_TCP_SACK_RECOVERY);
	r->sack_rexmit = tp_stat(a, TP_STAT_TCP_SACK_REXMIT);
	r->paws = tp_stat(n->stack[SIM_B], TP_STAT_TCP_PAWS_DROPS);
	r->lost = burst.dropped * !!o->burst_enter_ppm;
	for (int side = 0; side < 2; side++) {
		const struct tp_impair_stats *w = tp_wire_stats(n->wire, (enum tp_wire_side)side);
		r->lost += w->dropped_loss + w->dropped_queue + w->dropped_filter * !o->burst_enter_ppm;
	}
	sim_acceptor_fini(&x.acc);
	sim_fini(n);
}
