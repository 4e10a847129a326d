/*
 * sim_bulk.c - bulk transfer both ways at once between two stacks on an
 * impaired wire, byte-exact, then the close the RFC prescribes: the active
 * closer (A) ends in TIME_WAIT and leaves after 2 MSL, the passive one (B)
 * goes through LAST_ACK to CLOSED.
 *
 * Environment (for long runs):
 *   SIM_BULK_BYTES   bytes each way in the big run of every configuration [10 MiB]
 *   SIM_BULK_SEEDS   seeds of the big run [2]
 *   SIM_SEEDS        seeds of the small runs [40]
 *   SIM_SMALL_BYTES  bytes each way in the small runs [192 KiB]
 *   SIM_CASE         run only the configurations whose name contains this
 *   SIM_TRACE        print every TCP segment delivered
 * Goodput is printed in virtual-time MB/s, as information only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simnet.h"

#define PORT 5001
#define KEY_A 0xa11ce5eedull
#define KEY_B 0xb0b5eedull
#define MIB (1024u * 1024u)

struct bulk_case {
	const char *name;
	const char *impair;
	int strict_close;           /* no dup/reorder: no stray segment can reach a closed port;
				       light loss: B's FIN gets through within A's 2 MSL */
	unsigned size_divisor;      /* the big run is SIM_BULK_BYTES / this */
	tp_time bound;              /* virtual time allowed per MiB each way */
	int one_way;                /* only A sends */
};

static const struct bulk_case cases[] = {
	{"clean", "delay=1ms,rate=100mbit", 1, 1, TP_SEC(20)},
	{"clean A->B", "delay=1ms,rate=100mbit", 1, 1, TP_SEC(20), 1},
	{"loss 1%", "loss=1%,delay=1ms,rate=100mbit", 1, 1, TP_SEC(60)},
	{"loss 5%", "loss=5%,delay=1ms,rate=100mbit", 1, 1, TP_SEC(120)},
	{"loss 5% A->B", "loss=5%,delay=1ms,rate=100mbit", 1, 1, TP_SEC(120), 1},
	/* B's FIN resent at a backed-off RTO (up to 60 s) may all be lost
	 * for A's 2 MSL: A is gone, and its RST ends B's LAST_ACK (seed 40
	 * of 120 with D-SACKs, seed 97 without them). */
	{"loss 20%", "loss=20%,delay=1ms,rate=100mbit", 0, 16, TP_SEC(1800)},
	{"dup 5%", "dup=5%,delay=1ms,rate=100mbit", 0, 1, TP_SEC(60)},
	{"reorder 5%", "reorder=5%,reorder_delay=3ms,delay=1ms,rate=100mbit", 0, 1, TP_SEC(60)},
	{"delay+jitter", "delay=20ms,jitter=5ms,rate=50mbit", 1, 1, TP_SEC(60)},
	{"all at once", "loss=2%,dup=2%,reorder=2%,delay=5ms,jitter=2ms,rate=20mbit", 0, 2,
	 TP_SEC(240)},
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

struct bulk_run {
	struct simnet net;
	struct sim_acceptor acc;
	struct sim_stream a;
	struct sim_stream *b;
};

struct bulk_result {
	tp_time elapsed;            /* connect to both directions complete */
	uint64_t bytes;             /* both directions */
	uint64_t retrans, rto, fast_retrans, persist;
	uint64_t frames, lost;      /* on the wire: sent, lost (at random or in the queue) */
};

static int transfer_over(void *ctx)
{
	struct bulk_run *r = ctx;
	struct sim_stream *b = r->acc.count ? &r->acc.streams[0] : NULL;
	if (r->a.error || r->a.mismatch || (b && (b->error || b->mismatch)))
		return 1;
	return r->a.closed && b && b->closed;
}

static int passive_side_closed(void *ctx)
{
	struct bulk_run *r = ctx;
	/* Only the listener is left on B. */
	return sim_count_state(&r->net, SIM_B, NULL) == 1;
}

static void describe_failure(const struct bulk_run *r, const struct sim_stream *s, const char *who,
			     char *buf, size_t len)
{
	snprintf(buf, len,
		 "%s: seed %llu wire %s: sent %llu/%llu received %llu/%llu error %d mismatch %d "
		 "at %llu eof %d closed %d",
		 who, (unsigned long long)r->net.seed, r->net.spec, (unsigned long long)s->sent,
		 (unsigned long long)s->to_send, (unsigned long long)s->received,
		 (unsigned long long)s->to_receive, s->error, s->mismatch,
		 (unsigned long long)s->mismatch_at, s->eof, s->closed);
}

static void run_bulk(const struct bulk_case *c, uint64_t seed, uint64_t bytes,
		     struct bulk_result *res)
{
	static struct bulk_run r;       /* large; one at a time */
	memset(&r, 0, sizeof(r));
	sim_init(&r.net, &(struct sim_options){.impair = c->impair, .seed = seed});
	struct simnet *n = &r.net;
	const tp_time msl = TP_SEC(30);     /* the default */

	uint64_t b_bytes = c->one_way ? 0 : bytes;
	struct sim_stream templ = {.close_after_eof = 1, .tx_key = KEY_B ^ seed, .to_send = b_bytes,
				   .rx_key = KEY_A ^ seed, .to_receive = bytes};
	sim_acceptor_init(&r.acc, n, SIM_B, PORT, 8, &templ, 1);

	tp_time start = sim_now(n);
	int fd = sim_connect(n, SIM_A, 0, PORT);
	r.a.close_when_complete = 1;
	sim_stream_init(&r.a, n, SIM_A, fd, KEY_A ^ seed, bytes, KEY_B ^ seed, b_bytes);

	tp_time bound = c->bound * (bytes / MIB + 1);
	sim_run(n, start + bound, transfer_over, &r);
	char why[400];
	describe_failure(&r, &r.a, "A", why, sizeof(why));
	ck_assert_msg(r.acc.count == 1, "%s: B never accepted", why);
	struct sim_stream *b = &r.acc.streams[0];
	ck_assert_msg(!r.a.error && !r.a.mismatch && r.a.received == b_bytes && r.a.closed, "%s", why);
	describe_failure(&r, b, "B", why, sizeof(why));
	ck_assert_msg(!b->error && !b->mismatch && b->received == bytes && b->eof && b->closed, "%s",
		      why);

	/* B's FIN is acknowledged: B is CLOSED (gone), A in TIME_WAIT. */
	tp_time close_bound = TP_SEC(c->strict_close ? 120 : 400);
	ck_assert_msg(sim_run(n, sim_now(n) + close_bound, passive_side_closed, &r),
		      "seed %llu: B did not finish its close", (unsigned long long)seed);
	ck_assert_uint_eq(sim_count_state(n, SIM_B, "LISTEN"), 1);
	tp_time b_closed = sim_now(n);
	unsigned a_conns = sim_count_state(n, SIM_A, NULL);
	unsigned a_tw = sim_count_state(n, SIM_A, "TIME_WAIT");
	if (c->strict_close) {
		ck_assert_msg(a_conns == 1 && a_tw == 1, "seed %llu: A has %u conns, %u TIME_WAIT",
			      (unsigned long long)seed, a_conns, a_tw);
		/* It stays there for 2 MSL (counted from B's last FIN, which
		 * left B at most a few ms before B heard the final ACK)... */
		sim_run(n, b_closed + 2 * msl - TP_MSEC(100), NULL, NULL);
		ck_assert_uint_eq(sim_count_state(n, SIM_A, "TIME_WAIT"), 1);
		ck_assert_uint_eq(tp_stat(n->stack[SIM_A], TP_STAT_TCP_RST_OUT), 0);
		ck_assert_uint_eq(tp_stat(n->stack[SIM_B], TP_STAT_TCP_RST_OUT), 0);
	} else {
		/* A stray duplicate may reach B's closed port and draw a RST,
		 * which ends TIME_WAIT early (RFC 9293 allows it; RFC 1337);
		 * or A's TIME_WAIT ended before B's FIN got through. */
		ck_assert_uint_le(a_conns, 1);
		ck_assert_uint_eq(a_conns, a_tw);
	}
	/* ...and is gone after it. */
	sim_run(n, b_closed + 2 * msl + TP_MSEC(100), NULL, NULL);
	ck_assert_uint_eq(sim_count_state(n, SIM_A, NULL), 0);
	/* The paths the RFC draws (§3.6): A actively, B passively. */
	ck_assert_uint_eq(sim_transitions(n, SIM_A, "ESTABLISHED -> FIN_WAIT_1"), 1);
	ck_assert_uint_eq(sim_transitions(n, SIM_A, "-> TIME_WAIT"), 1);
	ck_assert_uint_eq(sim_transitions(n, SIM_A, "-> CLOSE_WAIT"), 0);
	ck_assert_uint_eq(sim_transitions(n, SIM_B, "ESTABLISHED -> CLOSE_WAIT"), 1);
	ck_assert_uint_eq(sim_transitions(n, SIM_B, "CLOSE_WAIT -> LAST_ACK"), 1);
	ck_assert_uint_eq(sim_transitions(n, SIM_B, "LAST_ACK -> CLOSED"), 1);
	ck_assert_uint_eq(sim_transitions(n, SIM_B, "-> TIME_WAIT"), 0);
	if (c->strict_close)
		ck_assert_uint_eq(sim_transitions(n, SIM_A, "TIME_WAIT -> CLOSED (2MSL"), 1);
	for (int side = 0; side < 2; side++) {
		struct tp_stack *st = n->stack[side];
		ck_assert_uint_eq(tp_stat(st, TP_STAT_TCP_ESTAB_RESETS), 0);
		ck_assert_uint_eq(tp_stat(st, TP_STAT_TCP_TIMEOUTS), 0);
		ck_assert_uint_eq(tp_stat(st, TP_STAT_TCP_ACTIVE_OPENS), side == SIM_A);
		ck_assert_uint_eq(tp_stat(st, TP_STAT_TCP_PASSIVE_OPENS), side == SIM_B);
	}

	tp_time done = r.a.complete_at > b->complete_at ? r.a.complete_at : b->complete_at;
	res->elapsed += done - start;
	res->bytes += bytes + b_bytes;
	for (int side = 0; side < 2; side++) {
		struct tp_stack *st = n->stack[side];
		res->retrans += tp_stat(st, TP_STAT_TCP_RETRANS);
		res->rto += tp_stat(st, TP_STAT_TCP_RTO);
		res->fast_retrans += tp_stat(st, TP_STAT_TCP_FAST_RETRANS);
		res->persist += tp_stat(st, TP_STAT_TCP_PERSIST_PROBES);
		const struct tp_impair_stats *w = tp_wire_stats(n->wire, (enum tp_wire_side)side);
		res->frames += w->sent;
		res->lost += w->dropped_loss + w->dropped_queue;
	}
	sim_acceptor_fini(&r.acc);
	sim_fini(n);
}

static void report(const char *name, const char *what, unsigned seeds, uint64_t bytes,
		   const struct bulk_result *res)
{
	double secs = (double)res->elapsed / 1e6;
	printf("sim.bulk %-13s %-5s seeds %3u  %6.2f MiB each way  goodput %7.2f MB/s (virtual, "
	       "all bytes)  frames %7llu lost %6llu  retrans %6llu  rto %4llu  fast %5llu\n",
	       name, what, seeds, (double)bytes / MIB, secs > 0 ? (double)res->bytes / 1e6 / secs : 0,
	       (unsigned long long)res->frames, (unsigned long long)res->lost,
	       (unsigned long long)res->retrans, (unsigned long long)res->rto,
	       (unsigned long long)res->fast_retrans);
	fflush(stdout);
}

START_TEST(bulk_both_ways)
{
	const struct bulk_case *c = &cases[_i];
	const char *only = getenv("SIM_CASE");
	if (only && !strstr(c->name, only))
		return;
	uint64_t big = sim_env("SIM_BULK_BYTES", 10 * MIB) / c->size_divisor;
	unsigned big_seeds = (unsigned)sim_env("SIM_BULK_SEEDS", 2);
	uint64_t small = sim_env("SIM_SMALL_BYTES", 192 * 1024);
	unsigned seeds = (unsigned)sim_env("SIM_SEEDS", 40);

	struct bulk_result res = {0};
	for (unsigned s = 0; s < big_seeds; s++)
		run_bulk(c, 1000 + s, big, &res);
	report(c->name, "big", big_seeds, big, &res);

	memset(&res, 0, sizeof(res));
	for (unsigned s = 0; s < seeds; s++)
		run_bulk(c, 1 + s, small, &res);
	report(c->name, "small", seeds, small, &res);
}
END_TEST

static Suite *bulk_suite(void)
{
	Suite *s = suite_create("sim_bulk");
	TCase *tc = tcase_create("bulk");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, bulk_both_ways, 0, NCASES);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(bulk_suite)
