/*
 * sim_sack.c - SACK and timestamps between two tapir stacks: 20 MB one way,
 * byte-exact, under 1, 5 and 10 % random loss and under bursty loss, with
 * SACK on and off (then NewReno recovers alone); and a flight with three
 * losses that SACK recovery repairs with no retransmission timeout.
 *
 * Environment: SIM_SACK_BYTES (big run, [20 MB]), SIM_SACK_SEEDS (small
 * runs of 256 KiB, [6]), SIM_CASE (only the loss cases whose name has it). Goodput is printed (virtual time), not asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simnet.h"

#define LINK ",delay=1ms,rate=100mbit"

struct loss_case {
	const char *name;
	const char *impair;
	uint32_t burst_enter, burst_leave;
};

static const struct loss_case cases[] = {
	{"loss 1%", "loss=1%" LINK},
	{"loss 5%", "loss=5%" LINK},
	{"loss 10%", "loss=10%" LINK},
	/* bursts of 3 frames on average, about 1.5 % of frames */
	{"bursty", "delay=1ms,rate=100mbit", 5000, 330000},
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

static void run(const struct loss_case *c, int no_sack, uint64_t seed, uint64_t bytes,
		struct sim_xfer_result *sum)
{
	struct sim_xfer_result r;
	struct sim_xfer_options o = {.impair = c->impair, .seed = seed, .bytes = bytes,
				     .limit = TP_SEC(4000), .no_sack = no_sack,
				     .burst_enter_ppm = c->burst_enter, .burst_leave_ppm = c->burst_leave};
	sim_xfer(&o, &r);
	ck_assert_msg(r.complete, "%s, SACK %s, seed %llu: %llu bytes not all delivered intact",
		      c->name, no_sack ? "off" : "on", (unsigned long long)seed, (unsigned long long)bytes);
	/* No reordering or duplication here: nothing is old enough for PAWS. */
	ck_assert_uint_eq(r.paws, 0);
	if (no_sack)
		ck_assert_uint_eq(r.sack_recovery + r.sack_rexmit, 0);
	sum->elapsed += r.elapsed;
	sum->rto += r.rto;
	sum->retrans += r.retrans;
	sum->sack_recovery += r.sack_recovery;
	sum->lost += r.lost;
}

START_TEST(loss_matrix)
{
	const struct loss_case *c = &cases[_i / 2];
	int no_sack = _i % 2;
	const char *only = getenv("SIM_CASE");
	if (only && !strstr(c->name, only))
		return;
	uint64_t big = sim_env("SIM_SACK_BYTES", 20000000);
	unsigned seeds = (unsigned)sim_env("SIM_SACK_SEEDS", 6);
	struct sim_xfer_result sum = {0};
	run(c, no_sack, 77, big, &sum);
	printf("sim.sack %-9s SACK %-3s 20 MB: %6.2f MB/s virtual, lost %5llu, retrans %5llu, "
	       "rto %3llu, SACK recoveries %4llu\n", c->name, no_sack ? "off" : "on",
	       (double)big / (double)sum.elapsed, (unsigned long long)sum.lost,
	       (unsigned long long)sum.retrans, (unsigned long long)sum.rto,
	       (unsigned long long)sum.sack_recovery);
	fflush(stdout);
	for (unsigned s = 0; s < seeds; s++) {
		struct sim_xfer_result small = {0};
		run(c, no_sack, 100 + s, 256 * 1024, &small);
	}
	if (!no_sack)
		ck_assert_uint_gt(sum.sack_recovery, 0);
}
END_TEST

/* Drops the first transmission of segments 20, 23 and 26 of A's stream
 * (one flight: the window is far wider by then). */
struct three_holes {
	uint32_t iss;
	int have_iss;
	uint32_t mss;
	unsigned dropped;
};

static int drop_three(void *ctx, enum tp_wire_side from, tp_time now, const uint8_t *frame, size_t len)
{
	struct three_holes *h = ctx;
	struct sim_tcp t;
	(void)now;
	if (from != TP_WIRE_A || !sim_parse_tcp(frame, len, &t))
		return 1;
	if (t.flags & SIM_SYN) {
		h->iss = t.seq;
		h->have_iss = 1;
		return 1;
	}
	if (!h->have_iss || !t.len)
		return 1;
	if (!h->mss)
		h->mss = t.len;                 /* the first segment is a full one */
	uint32_t off = t.seq - h->iss - 1;
	for (uint32_t k = 20; k <= 26; k += 3)
		if (off == k * h->mss && !(h->dropped & (1u << (k - 20)))) {
			h->dropped |= 1u << (k - 20);
			return 0;
		}
	return 1;
}

START_TEST(no_rto_in_sack_recovery)
{
	for (int no_ts = 0; no_ts < 2; no_ts++) {
		struct three_holes h = {0};
		struct sim_xfer_result r;
		struct sim_xfer_options o = {.impair = "delay=5ms,rate=100mbit", .seed = 5,
					     .bytes = 400 * 1024, .limit = TP_SEC(60),
					     .no_timestamps = no_ts, .filter = drop_three, .filter_ctx = &h};
		sim_xfer(&o, &r);
		ck_assert(r.complete);
		ck_assert_uint_eq(h.dropped, 0x49);     /* segments 20, 23 and 26 */
		/* One recovery repairs all three; the timer never fires. */
		ck_assert_uint_eq(r.rto, 0);
		ck_assert_uint_eq(r.sack_recovery, 1);
		ck_assert_uint_eq(r.fast, 1);
		ck_assert_uint_eq(r.retrans, 3);
		ck_assert_uint_eq(r.sack_rexmit, 3);
	}
}
END_TEST

static Suite *sack_suite(void)
{
	Suite *s = suite_create("sim_sack");
	TCase *tc = tcase_create("sack");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, loss_matrix, 0, 2 * NCASES);
	tcase_add_test(tc, no_rto_in_sack_recovery);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(sack_suite)
