/*
 * test_tcp_cc.c - congestion control: CUBIC's window function against RFC
 * 9438's formulas, and each algorithm's answer to a loss on real segments
 * (ssthresh, fast retransmit, Reno vs NewReno partial ACKs).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "tcp_cc.h"
#include "tcp_harness.h"
#include "tapir/sock.h"

#define MSS 1460

START_TEST(cubic_formulas)
{
	/* RFC 9438 §4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C). */
	ck_assert(fabs(cubic_k(100, 70) - cbrt(30 / 0.4)) < 1e-9);
	ck_assert(fabs(cubic_k(100, 70) - 4.2171633265) < 1e-6);
	ck_assert(cubic_k(50, 60) == 0);            /* above the old maximum: no plateau */
	/* eq. 1: W(K) = W_max, W(0) = the window right after the reduction. */
	double k = cubic_k(100, 70);
	ck_assert(fabs(cubic_window(k, k, 100) - 100) < 1e-9);
	ck_assert(fabs(cubic_window(0, k, 100) - 70) < 1e-9);
	/* concave below K, convex above, symmetric around W_max */
	ck_assert(fabs((cubic_window(k - 1, k, 100) - 100) + (cubic_window(k + 1, k, 100) - 100)) < 1e-9);
	ck_assert(fabs(cubic_window(k + 2, k, 100) - 100 - 0.4 * 8) < 1e-9);
}
END_TEST

/* A connection with 10 full segments in flight (the initial window). */
static void ten_in_flight(struct tconn *t, const char *cc, uint32_t *first_seq)
{
	tc_init(t, NULL);
	tc_passive_open(t);
	ck_assert_int_eq(tp_sock_set_congestion(t->h.stack, t->fd, cc), 0);
	ck_assert_str_eq(tp_sock_get_congestion(t->h.stack, t->fd), cc);
	static uint8_t data[10 * MSS];
	memset(data, 'x', sizeof(data));
	h_clear(&t->h);
	ck_assert_int_eq(tp_sock_send(t->h.stack, t->fd, data, sizeof(data)), (int)sizeof(data));
	ck_assert_uint_eq(count_tcp(&t->h), 10);
	struct tview v;
	nth_tcp(&t->h, 0, &v);
	*first_seq = v.seq;
	h_clear(&t->h);
}

struct lookup {
	int fd;
	uint32_t ssthresh;
};

static void find_fd(void *ctx, const struct tp_tcp_info *i)
{
	struct lookup *l = ctx;
	if (i->fd == l->fd)
		l->ssthresh = i->ssthresh;
}

static uint32_t ssthresh_of(struct tconn *t)
{
	struct lookup l = {t->fd, 0};
	tp_tcp_foreach(t->h.stack, find_fd, &l);
	return l.ssthresh;
}

static const struct {
	const char *cc;
	uint32_t ssthresh;          /* after a loss with 10 * MSS in flight */
} loss_cases[] = {
	{"reno", 5 * MSS},          /* RFC 5681 eq. 4: FlightSize / 2 */
	{"newreno", 5 * MSS},
	{"cubic", 7 * MSS},         /* RFC 9438 §4.6: FlightSize * 0.7 */
};

START_TEST(three_duplicate_acks)
{
	struct tconn t;
	uint32_t first;
	ten_in_flight(&t, loss_cases[_i].cc, &first);
	/* The first segment was lost: the peer repeats the ACK for it. */
	for (int i = 0; i < 2; i++)
		tc_send(&t, F_ACK, t.pnxt, first, NULL, 0);
	ck_assert_uint_eq(count_tcp(&t.h), 0);      /* two are not enough (RFC 5681 §3.2) */
	tc_send(&t, F_ACK, t.pnxt, first, NULL, 0);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.seq, first);            /* fast retransmit of the hole */
	ck_assert_uint_eq(v.len, MSS);
	ck_assert_uint_eq(ssthresh_of(&t), loss_cases[_i].ssthresh);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_FAST_RETRANS), 1);
	tc_fini(&t);
}
END_TEST

/* After the fast retransmit, an ACK covering only the first 2 segments is
 * partial: NewReno (and CUBIC, which uses its recovery) resends the next
 * hole at once (RFC 6582 §3.2 step 3); plain Reno leaves recovery. */
START_TEST(partial_ack)
{
	static const char *const ccs[] = {"reno", "newreno", "cubic"};
	struct tconn t;
	uint32_t first;
	ten_in_flight(&t, ccs[_i], &first);
	for (int i = 0; i < 3; i++)
		tc_send(&t, F_ACK, t.pnxt, first, NULL, 0);
	h_clear(&t.h);
	tc_send(&t, F_ACK, t.pnxt, first + 2 * MSS, NULL, 0);
	int resent = 0;
	for (size_t n = 0; n < count_tcp(&t.h); n++) {
		struct tview v;
		nth_tcp(&t.h, n, &v);
		if (v.seq == first + 2 * MSS && v.len)
			resent = 1;
	}
	ck_assert_int_eq(resent, strcmp(ccs[_i], "reno") != 0);
	tc_fini(&t);
}
END_TEST

/* RFC 3042: with more data waiting, the first two duplicate ACKs each send
 * one new segment past the window; the third brings fast retransmit. */
START_TEST(limited_transmit)
{
	struct tconn t;
	uint32_t first;
	ten_in_flight(&t, "cubic", &first);
	static uint8_t more[4 * MSS];
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, more, sizeof(more)), (int)sizeof(more));
	ck_assert_uint_eq(count_tcp(&t.h), 0);      /* cwnd (IW10) is full */
	for (uint32_t i = 0; i < 2; i++) {
		tc_send(&t, F_ACK, t.pnxt, first, NULL, 0);
		struct tview v;
		only_tcp(&t.h, &v);
		ck_assert_uint_eq(v.seq, first + (10 + i) * MSS);   /* new data, not a resend */
		ck_assert_uint_eq(v.len, MSS);
		h_clear(&t.h);
	}
	tc_send(&t, F_ACK, t.pnxt, first, NULL, 0);
	struct tview v;
	nth_tcp(&t.h, 0, &v);
	ck_assert_uint_eq(v.seq, first);            /* the third: fast retransmit */
	tc_fini(&t);
}
END_TEST

/* RFC 5681 §4.1: ten segments acknowledged in slow start leave cwnd at 20;
 * after an idle period within the RTO all twenty may go at once, after one
 * longer than the RTO only the restart window, min(IW, cwnd) = 10. */
START_TEST(restart_after_idle)
{
	static const tp_time idle[] = {TP_MSEC(100), TP_SEC(5)};
	struct tconn t;
	uint32_t first;
	ten_in_flight(&t, "cubic", &first);
	for (uint32_t i = 1; i <= 10; i++)          /* one ACK each: +1 MSS each */
		tc_send(&t, F_ACK, t.pnxt, first + i * MSS, NULL, 0);
	h_advance(&t.h, idle[_i]);
	h_clear(&t.h);
	static uint8_t more[30 * MSS];
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, more, sizeof(more)), (int)sizeof(more));
	ck_assert_uint_eq(count_tcp(&t.h), _i ? 10 : 20);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_CWND_RESTART), (uint64_t)_i);
	tc_fini(&t);
}
END_TEST

START_TEST(unknown_algorithm_refused)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	ck_assert_int_eq(tp_sock_set_congestion(t.h.stack, t.fd, "bbr"), -ENOENT);
	ck_assert_str_eq(tp_sock_get_congestion(t.h.stack, t.fd), "cubic");   /* the default */
	tc_fini(&t);
	struct tp_stack_config cfg = {.tcp_cc = "vegas"};
	ck_assert_ptr_null(tp_stack_new(&cfg));
}
END_TEST

static Suite *cc_suite(void)
{
	Suite *s = suite_create("tcp_cc");
	TCase *tc = tcase_create("cc");
	tcase_add_test(tc, cubic_formulas);
	tcase_add_loop_test(tc, three_duplicate_acks, 0, 3);
	tcase_add_loop_test(tc, partial_ack, 0, 3);
	tcase_add_test(tc, limited_transmit);
	tcase_add_loop_test(tc, restart_after_idle, 0, 2);
	tcase_add_test(tc, unknown_algorithm_refused);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(cc_suite)
