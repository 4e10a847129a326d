/*
 * test_tcp_keepalive.c - keepalive (RFC 1122 §4.2.3.6): off by default;
 * when on, an idle connection is probed with SEG.SEQ = SND.NXT - 1 and no
 * data after the idle time, again every interval, and dropped with
 * ETIMEDOUT after the count of unanswered probes; an answer (any segment)
 * starts the idle time over.
 */
#include <errno.h>

#include "tcp_harness.h"
#include "tapir/sock.h"

static void open_with_keepalive(struct tconn *t, int idle, int intvl, int cnt)
{
	tc_init(t, NULL);
	tc_passive_open(t);
	struct tp_stack *s = t->h.stack;
	ck_assert_int_eq(tp_sock_setopt(s, t->fd, TP_TCP_KEEPIDLE, idle), 0);
	ck_assert_int_eq(tp_sock_setopt(s, t->fd, TP_TCP_KEEPINTVL, intvl), 0);
	ck_assert_int_eq(tp_sock_setopt(s, t->fd, TP_TCP_KEEPCNT, cnt), 0);
	ck_assert_int_eq(tp_sock_setopt(s, t->fd, TP_SO_KEEPALIVE, 1), 0);
	h_clear(&t->h);
}

/* After a long silence the ARP entry for the peer has aged out, so the probe
 * waits for resolution: the peer answers, as a live neighbour would. */
static void neighbour_answers(struct tconn *t)
{
	for (size_t i = 0; i < t->h.n_out; i++) {
		const uint8_t *f = t->h.out[i].b;
		if (t->h.out[i].len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 1) {
			struct frame reply;
			struct arp_spec a = {.op = 2, .sha = PEER_MAC, .spa = PEER_IP, .tha = US_MAC,
					     .tpa = US_IP};
			frame_arp(&reply, US_MAC, &a);
			h_input(&t->h, &reply);
			return;
		}
	}
}

static void assert_probe(struct tconn *t)
{
	neighbour_answers(t);
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_ACK);
	ck_assert_uint_eq(v.seq, t->snd - 1);       /* one below SND.NXT: the peer must ACK */
	ck_assert_uint_eq(v.ack, t->pnxt);
	ck_assert_uint_eq(v.len, 0);
	h_clear(&t->h);
}

START_TEST(off_by_default)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	int on = -1;
	ck_assert_int_eq(tp_sock_getopt(t.h.stack, t.fd, TP_SO_KEEPALIVE, &on), 0);
	ck_assert_int_eq(on, 0);
	h_clear(&t.h);
	h_advance(&t.h, TP_SEC(3 * 7200));
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	tc_fini(&t);
}
END_TEST

START_TEST(probes_then_drops_a_silent_peer)
{
	struct tconn t;
	open_with_keepalive(&t, 60, 10, 3);
	h_advance(&t.h, TP_SEC(60) - 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);      /* not before the idle time */
	h_advance(&t.h, 1);
	assert_probe(&t);
	for (int i = 0; i < 2; i++) {
		h_advance(&t.h, TP_SEC(10) - 1);
		ck_assert_uint_eq(count_tcp(&t.h), 0);
		h_advance(&t.h, 1);
		assert_probe(&t);
	}
	/* The third probe went unanswered too: the connection is reset and the
	 * application learns why. */
	h_advance(&t.h, TP_SEC(10));
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert(v.flags & F_RST);
	char buf[4];
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), -ETIMEDOUT);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_KEEPALIVE_PROBES), 3);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_KEEPALIVE_DROPS), 1);
	tc_fini(&t);
}
END_TEST

START_TEST(an_answer_restarts_the_idle_time)
{
	struct tconn t;
	open_with_keepalive(&t, 60, 10, 3);
	h_advance(&t.h, TP_SEC(60));
	assert_probe(&t);
	h_advance(&t.h, TP_SEC(5));
	tc_peer_ack(&t);                            /* the peer answers the probe */
	h_clear(&t.h);
	h_advance(&t.h, TP_SEC(60) - 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, 1);
	assert_probe(&t);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	tc_fini(&t);
}
END_TEST

START_TEST(traffic_postpones_probes)
{
	struct tconn t;
	open_with_keepalive(&t, 60, 10, 3);
	for (int i = 0; i < 5; i++) {
		h_advance(&t.h, TP_SEC(50));
		tc_peer_data(&t, "x", 1);
		h_advance(&t.h, TP_SEC(1));             /* our delayed ACK goes */
		h_clear(&t.h);
	}
	h_advance(&t.h, TP_SEC(59) - TP_SEC(1));
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, TP_SEC(1));
	assert_probe(&t);
	tc_fini(&t);
}
END_TEST

/* Switched on after a silence longer than the idle time, keepalive is due
 * at once (as Linux), and its deadline says so: now, never a time already
 * past, which tools reading the timers (TP_TRACE_TCP_VARS) would show as
 * negative. */
START_TEST(late_switch_on_is_due_now)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	struct tp_stack *s = t.h.stack;
	h_advance(&t.h, TP_SEC(600));
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_setopt(s, t.fd, TP_TCP_KEEPIDLE, 60), 0);
	ck_assert_int_eq(tp_sock_setopt(s, t.fd, TP_SO_KEEPALIVE, 1), 0);
	ck_assert_uint_eq(tp_next_deadline(s), tp_now(s));
	h_advance(&t.h, 0);
	assert_probe(&t);
	/* The idle time shortened below the silence already passed: the same. */
	h_advance(&t.h, TP_SEC(30));
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_setopt(s, t.fd, TP_TCP_KEEPIDLE, 10), 0);
	ck_assert_uint_ge(tp_next_deadline(s), tp_now(s));
	tc_fini(&t);
}
END_TEST

START_TEST(knobs_are_validated)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	struct tp_stack *s = t.h.stack;
	ck_assert_int_eq(tp_sock_setopt(s, t.fd, TP_TCP_KEEPIDLE, 0), -EINVAL);
	ck_assert_int_eq(tp_sock_setopt(s, t.fd, TP_TCP_KEEPCNT, 128), -EINVAL);
	int v = 0;
	ck_assert_int_eq(tp_sock_getopt(s, t.fd, TP_TCP_KEEPIDLE, &v), 0);
	ck_assert_int_eq(v, 7200);                  /* RFC 1122: no less than two hours */
	ck_assert_int_eq(tp_sock_getopt(s, t.fd, TP_TCP_KEEPINTVL, &v), 0);
	ck_assert_int_eq(v, 75);
	int u = tp_sock_open(s, TP_SOCK_DGRAM);
	ck_assert_int_eq(tp_sock_setopt(s, u, TP_TCP_KEEPIDLE, 10), -ENOPROTOOPT);
	tc_fini(&t);
}
END_TEST

static Suite *keepalive_suite(void)
{
	Suite *s = suite_create("tcp_keepalive");
	TCase *tc = tcase_create("keepalive");
	tcase_add_test(tc, off_by_default);
	tcase_add_test(tc, probes_then_drops_a_silent_peer);
	tcase_add_test(tc, an_answer_restarts_the_idle_time);
	tcase_add_test(tc, traffic_postpones_probes);
	tcase_add_test(tc, knobs_are_validated);
	tcase_add_test(tc, late_switch_on_is_due_now);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(keepalive_suite)
