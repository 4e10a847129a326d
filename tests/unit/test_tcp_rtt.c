/*
 * test_tcp_rtt.c - the retransmission timer (RFC 6298): the estimator on the
 * RFC's own arithmetic, its clamps, the initial 1 s, exponential backoff,
 * Karn's rule, and giving up - observed as retransmitted segments on the
 * virtual clock.
 */
#include <errno.h>
#include <string.h>

#include "tcp.h"
#include "tcp_harness.h"

#define RTO_MIN TP_MSEC(200)    /* tapir's floor (Linux's); RFC 6298 §2.4 says 1 s */
#define RTO_MAX TP_SEC(60)      /* RFC 6298 §2.5 */

struct sample_case {
	const char *name;
	tp_time samples[4];
	unsigned n;
	tp_time srtt, rttvar, rto;  /* after the last sample */
};

/* RFC 6298 §2.2: first R -> SRTT = R, RTTVAR = R/2;
 * §2.3: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT = 7/8 SRTT + 1/8 R'
 * (RTTVAR first, with the old SRTT); RTO = SRTT + max(G, 4 RTTVAR). */
static const struct sample_case samples[] = {
	{"first sample", {TP_MSEC(100)}, 1, TP_MSEC(100), TP_MSEC(50), TP_MSEC(300)},
	{"second sample", {TP_MSEC(100), TP_MSEC(200)}, 2, 112500, 62500, 362500},
	/* |112500 - 100000| = 12500; RTTVAR = (3 * 62500 + 12500) / 4 = 50000;
	 * SRTT = (7 * 112500 + 100000) / 8 = 110937.5 */
	{"third sample", {TP_MSEC(100), TP_MSEC(200), TP_MSEC(100)}, 3, 110937, 50000, 310937},
	{"a fast path is floored at RTO_MIN", {TP_MSEC(10)}, 1, TP_MSEC(10), TP_MSEC(5), RTO_MIN},
	{"a slow path is capped at RTO_MAX", {TP_SEC(50)}, 1, TP_SEC(50), TP_SEC(25), RTO_MAX},
	{"a zero sample counts as one microsecond", {0}, 1, 1, 0, RTO_MIN},
	{"falling RTT", {TP_SEC(2), TP_SEC(1)}, 2, 1875000, 1000000, 5875000},
};

START_TEST(estimator_arithmetic)
{
	const struct sample_case *c = &samples[_i];
	struct tcp_conn conn;
	memset(&conn, 0, sizeof(conn));
	conn.rto = TP_SEC(1);
	for (unsigned i = 0; i < c->n; i++)
		tcp_rtt_sample(&conn, c->samples[i]);
	ck_assert_msg(conn.srtt == c->srtt, "%s: SRTT %llu", c->name, (unsigned long long)conn.srtt);
	ck_assert_msg(conn.rttvar == c->rttvar, "%s: RTTVAR %llu", c->name,
		      (unsigned long long)conn.rttvar);
	ck_assert_msg(conn.rto == c->rto, "%s: RTO %llu", c->name, (unsigned long long)conn.rto);
}
END_TEST

/* A steady path: the variance decays and the RTO settles on SRTT. */
START_TEST(estimator_converges)
{
	struct tcp_conn conn;
	memset(&conn, 0, sizeof(conn));
	for (int i = 0; i < 100; i++)
		tcp_rtt_sample(&conn, TP_SEC(1));
	ck_assert_uint_eq(conn.srtt, TP_SEC(1));
	ck_assert_uint_le(conn.rttvar, 10);
	ck_assert_uint_ge(conn.rto, TP_SEC(1));
	ck_assert_uint_le(conn.rto, TP_SEC(1) + 40);
}
END_TEST

/* The peer asks for our MAC: that keeps its own ARP entry fresh with us
 * (the unit harness has nobody answering our ARP requests). */
static void peer_arp_request(struct tconn *t)
{
	struct frame f;
	struct arp_spec a = {.op = 1, .sha = PEER_MAC, .spa = PEER_IP, .tpa = US_IP};
	frame_arp(&f, BCAST_MAC, &a);
	h_input(&t->h, &f);
}

/* Times at which the stack sent TCP segments, while the clock runs to `until`
 * with the peer answering nothing (but ARP, if `arp`). */
static size_t collect_sends_arp(struct tconn *t, tp_time until, tp_time *at, size_t max, int arp)
{
	size_t n = 0, seen = 0;
	for (;;) {
		if (arp)
			peer_arp_request(t);
		for (; seen < t->h.n_out; seen++)
			if (is_tcp(&t->h, seen) && n < max)
				at[n++] = t->h.now;
		if (t->h.now >= until)
			return n;
		tp_time next = tp_next_deadline(t->h.stack);
		h_advance(&t->h, (next < until ? next : until) - t->h.now);
	}
}

static size_t collect_sends(struct tconn *t, tp_time until, tp_time *at, size_t max)
{
	return collect_sends_arp(t, until, at, max, 1);
}

/* RFC 6298 §2.1 and §5.5: the SYN goes again after 1 s, then 2, 4, 8 ... */
START_TEST(syn_backoff_from_one_second)
{
	struct tconn t;
	tc_init(&t, NULL);
	tp_time t0 = t.h.now;
	tc_connect(&t);
	tp_time at[16];
	size_t n = collect_sends(&t, t0 + TP_SEC(40), at, 16);
	ck_assert_uint_eq(n, 5);                    /* at 1, 3, 7, 15, 31 s */
	tp_time expect = t0;
	for (size_t i = 0; i < n; i++) {
		expect += TP_SEC(1) << i;
		ck_assert_uint_eq(at[i], expect);
		struct tview v;
		nth_tcp(&t.h, i, &v);
		ck_assert_uint_eq(v.flags, F_SYN);
		ck_assert_uint_eq(v.seq, t.iss);        /* the same SYN */
	}
	tc_fini(&t);
}
END_TEST

/* An active open whose SYN-ACK came 100 ms after the SYN: RTO = 300 ms. */
static void open_with_rtt(struct tconn *t, tp_time rtt, const struct tp_stack_config *cfg)
{
	tc_init(t, cfg);
	tc_connect(t);
	h_advance(&t->h, rtt);
	tcp_feed(&t->h, &(struct tseg){.dport = t->lport, .seq = PEER_ISS, .ack = t->snd,
				       .flags = F_SYN | F_ACK, .wnd = 65535, .opt = t->peer_opt,
				       .opt_len = t->peer_opt_len});
	t->pnxt = PEER_ISS + 1;
	h_clear(&t->h);
	struct tp_tcp_info info;
	tc_info(t, &info);
	ck_assert_uint_eq(info.srtt, rtt);
	ck_assert_uint_eq(info.rto, 3 * rtt);
}

/* RFC 6298 §5.4-5.6: the oldest segment again at RTO, 2 RTO, 4 RTO... */
START_TEST(data_rto_backs_off)
{
	struct tconn t;
	open_with_rtt(&t, TP_MSEC(100), NULL);
	static const uint8_t data[1000] = {1};
	tp_time t0 = t.h.now;
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, sizeof(data)), (long)sizeof(data));
	tp_time at[16];
	size_t n = collect_sends(&t, t0 + TP_SEC(20), at, 16);
	ck_assert_uint_eq(n, 7);    /* the send, then 0.3, 0.9, 2.1, 4.5, 9.3, 18.9 s */
	tp_time expect = t0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			expect += TP_MSEC(300) << (i - 1);
		ck_assert_uint_eq(at[i], expect);
		struct tview v;
		nth_tcp(&t.h, i, &v);
		ck_assert_uint_eq(v.seq, t.snd);
		ck_assert_uint_eq(v.len, sizeof(data));
	}
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_RTO), 6);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_RETRANS), 6);
	tc_fini(&t);
}
END_TEST

/* Karn's algorithm (RFC 6298 §3): the ACK of a retransmitted segment is
 * ambiguous and gives no sample; the backed-off RTO is kept until a new
 * segment is timed (§5.7). */
START_TEST(karn_no_sample_from_retransmission)
{
	struct tconn t;
	open_with_rtt(&t, TP_MSEC(100), NULL);
	static const uint8_t data[100] = {2};
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, sizeof(data)), 100);
	h_advance(&t.h, TP_MSEC(300));              /* RTO: retransmitted */
	ck_assert_uint_eq(count_tcp(&t.h), 2);
	h_advance(&t.h, TP_MSEC(450));              /* the ACK comes 750 ms after the first */
	t.snd += 100;
	tc_peer_ack(&t);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.srtt, TP_MSEC(100));   /* no 750 ms or 450 ms sample */
	ck_assert_uint_eq(info.rto, TP_MSEC(300));
	/* A fresh segment is timed again: ACKed after 200 ms. */
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, sizeof(data)), 100);
	h_advance(&t.h, TP_MSEC(200));
	t.snd += 100;
	tc_peer_ack(&t);
	tc_info(&t, &info);
	ck_assert_uint_eq(info.srtt, (7 * TP_MSEC(100) + TP_MSEC(200)) / 8);
	tc_fini(&t);
}
END_TEST

/* After tcp_retries backed-off retransmissions, the connection is given up:
 * a RST to the peer, ETIMEDOUT to the application. No wait exceeds 60 s. */
START_TEST(gives_up_after_retries)
{
	struct tconn t;
	open_with_rtt(&t, TP_MSEC(100), &(struct tp_stack_config){.seed = 7, .tcp_retries = 10});
	static const uint8_t data[10] = {3};
	tp_time t0 = t.h.now;
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, sizeof(data)), 10);
	tp_time at[32];
	size_t n = collect_sends(&t, t0 + TP_SEC(1000), at, 32);
	/* The send, 10 retransmissions, the RST. */
	ck_assert_uint_eq(n, 12);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_le(at[i] - at[i - 1], RTO_MAX);
	ck_assert_uint_eq(at[10] - at[9], RTO_MAX);  /* 0.3 s * 2^9 = 153.6 s, capped */
	struct tview v;
	nth_tcp(&t.h, 11, &v);
	ck_assert_uint_eq(v.flags & F_RST, F_RST);
	ck_assert_uint_eq(v.seq, t.snd + sizeof(data));
	ck_assert_ptr_null(tc_state(&t));
	int err = 0;
	tp_sock_getopt(t.h.stack, t.fd, TP_SO_ERROR, &err);
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_TIMEOUTS), 1);
	tc_fini(&t);
}
END_TEST

/* RFC 1122 §4.2.3.9: ARP failing for the peer (a soft error, like an ICMP
 * host unreachable) does not abort an established connection nor show on
 * the socket while it lives; if the connection then times out, that is the
 * error reported (as Linux's sk_err_soft). */
START_TEST(soft_error_reported_only_on_timeout)
{
	struct tconn t;
	open_with_rtt(&t, TP_MSEC(100), &(struct tp_stack_config){.seed = 7, .tcp_retries = 10});
	static const uint8_t data[10] = {4};
	tp_time t0 = t.h.now;
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, sizeof(data)), 10);
	tp_time at[32];
	/* Nobody answers ARP once the entry expires (60 s). */
	collect_sends_arp(&t, t0 + TP_SEC(100), at, 32, 0);
	ck_assert_uint_ge(tp_stat(t.h.stack, TP_STAT_ARP_RESOLVE_FAIL), 1);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	ck_assert_int_eq(tp_sock_events(t.h.stack, t.fd) & TP_EV_ERR, 0);
	int err = -1;
	tp_sock_getopt(t.h.stack, t.fd, TP_SO_ERROR, &err);
	ck_assert_int_eq(err, 0);
	collect_sends_arp(&t, t0 + TP_SEC(1000), at, 32, 0);
	ck_assert_ptr_null(tc_state(&t));
	tp_sock_getopt(t.h.stack, t.fd, TP_SO_ERROR, &err);
	ck_assert_int_eq(err, EHOSTUNREACH);
	tc_fini(&t);
}
END_TEST

static Suite *rtt_suite(void)
{
	Suite *s = suite_create("tcp_rtt");
	TCase *tc = tcase_create("estimator");
	tcase_add_loop_test(tc, estimator_arithmetic, 0, (int)(sizeof(samples) / sizeof(samples[0])));
	tcase_add_test(tc, estimator_converges);
	suite_add_tcase(s, tc);
	tc = tcase_create("timer");
	tcase_add_test(tc, syn_backoff_from_one_second);
	tcase_add_test(tc, data_rto_backs_off);
	tcase_add_test(tc, karn_no_sample_from_retransmission);
	tcase_add_test(tc, gives_up_after_retries);
	tcase_add_test(tc, soft_error_reported_only_on_timeout);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(rtt_suite)
