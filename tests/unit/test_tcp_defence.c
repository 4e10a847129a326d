/*
 * test_tcp_defence.c - TCP against a blind attacker: RFC 5961's challenge
 * ACKs and their stack-wide rate limit (§7).
 */
#include "tcp_harness.h"
#include "tapir/sock.h"

/* An in-window RST that is not exactly at RCV.NXT (RFC 5961 §3.2). */
static void guessed_rst(struct tconn *t)
{
	tc_send(t, F_RST, t->pnxt + 100, 0, NULL, 0);
}

START_TEST(challenge_acks_are_rate_limited)
{
	struct tp_stack_config cfg = {.tcp_challenge_ack_rate = 10};
	struct tconn t;
	tc_init(&t, &cfg);
	tc_passive_open(&t);
	h_clear(&t.h);
	/* A burst of 50 guesses within one instant: the bucket's 10 answered. */
	for (int i = 0; i < 50; i++)
		guessed_rst(&t);
	ck_assert_uint_eq(count_tcp(&t.h), 10);
	struct tview v;
	nth_tcp(&t.h, 0, &v);
	ck_assert_uint_eq(v.flags, F_ACK);
	ck_assert_uint_eq(v.ack, t.pnxt);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_CHALLENGE_ACKS), 10);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_CHALLENGE_ACK_LIMITED), 40);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");   /* no guess reset it */
	/* The budget refills at the rate: one more after a tenth of a second. */
	h_clear(&t.h);
	h_advance(&t.h, TP_MSEC(100));
	guessed_rst(&t);
	guessed_rst(&t);
	ck_assert_uint_eq(count_tcp(&t.h), 1);
	tc_fini(&t);
}
END_TEST

START_TEST(syn_in_established_is_challenged_not_obeyed)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	h_clear(&t.h);
	tc_send(&t, F_SYN, t.pnxt + 12345, 0, NULL, 0);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_ACK);
	ck_assert_uint_eq(v.seq, t.snd);
	ck_assert_uint_eq(v.ack, t.pnxt);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	tc_fini(&t);
}
END_TEST

static Suite *defence_suite(void)
{
	Suite *s = suite_create("tcp_defence");
	TCase *tc = tcase_create("rfc5961");
	tcase_add_test(tc, challenge_acks_are_rate_limited);
	tcase_add_test(tc, syn_in_established_is_challenged_not_obeyed);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(defence_suite)
