/*
 * TP_TRACE_TCP_VARS: one snapshot of a connection's variables per segment
 * sent or received, taken once the stack is done with the segment - what
 * `tapir ladder --vars` draws beside each arrow (through the CAPTURE.vars
 * sidecar). Real segments from the scripted peer; the snapshots are checked
 * against the segments the stack actually sent.
 */
#include <check.h>
#include <string.h>

#include "tcp_harness.h"
#include "check_main.h"

#define MAX_EVENTS 32

struct vars_log {
	struct tp_tcp_vars ev[MAX_EVENTS];
	tp_time at[MAX_EVENTS];
	int n;
};

static void on_trace(void *ctx, const struct tp_trace_event *ev)
{
	struct vars_log *log = ctx;
	if (ev->kind != TP_TRACE_TCP_VARS)
		return;
	ck_assert_int_lt(log->n, MAX_EVENTS);
	log->at[log->n] = ev->time;
	log->ev[log->n++] = *ev->tcp_vars;
}

static void watch(struct tconn *t, struct vars_log *log)
{
	memset(log, 0, sizeof(*log));
	tp_set_trace(t->h.stack, on_trace, log);
}

/* The handshake from the active side: the SYN's snapshot shows SND.NXT past
 * it and the retransmission timer armed (both set after the send itself);
 * the SYN-ACK's shows the connection established, IW10 and no timer. */
START_TEST(active_open_and_data)
{
	struct tconn t;
	struct vars_log log;
	tc_init(&t, NULL);
	watch(&t, &log);
	tc_active_open(&t);
	ck_assert_int_eq(log.n, 3);

	const struct tp_tcp_vars *syn = &log.ev[0], *ack = &log.ev[1], *synack = &log.ev[2];
	ck_assert_int_eq(syn->dir, TP_TCP_VARS_OUT);
	ck_assert_uint_eq(syn->flags, F_SYN);
	ck_assert_uint_eq(syn->seq, t.iss);
	ck_assert_uint_eq(syn->dst, PEER_IP);
	ck_assert_uint_eq(syn->dport, PEER_PORT);
	ck_assert_str_eq(syn->state, "SYN_SENT");
	ck_assert_uint_eq(syn->snd_una, t.iss);
	ck_assert_uint_eq(syn->snd_nxt, t.iss + 1);
	ck_assert_uint_eq(syn->timer[TP_TCP_TIMER_RTX], log.at[0] + TP_SEC(1));   /* RFC 6298 §2.1 */
	ck_assert_uint_eq(syn->timer[TP_TCP_TIMER_DELACK], TP_TIME_NEVER);

	ck_assert_int_eq(ack->dir, TP_TCP_VARS_OUT);    /* the answer to the SYN-ACK, sent while processing it */
	ck_assert_uint_eq(ack->flags, F_ACK);
	ck_assert_uint_eq(ack->ack, PEER_ISS + 1);

	ck_assert_int_eq(synack->dir, TP_TCP_VARS_IN);
	ck_assert_uint_eq(synack->flags, F_SYN | F_ACK);
	ck_assert_uint_eq(synack->seq, PEER_ISS);
	ck_assert_str_eq(synack->state, "ESTABLISHED");
	ck_assert_int_eq(synack->gone, 0);
	ck_assert_uint_eq(synack->snd_una, t.iss + 1);
	ck_assert_uint_eq(synack->rcv_nxt, PEER_ISS + 1);
	ck_assert_uint_eq(synack->cwnd, 10 * 1460);     /* RFC 6928 */
	ck_assert_uint_eq(synack->ssthresh, UINT32_MAX);
	ck_assert_uint_eq(synack->timer[TP_TCP_TIMER_RTX], TP_TIME_NEVER);

	/* Data: its snapshot waits for the end of the work (the dispatch). */
	log.n = 0;
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, "0123456789", 10), 10);
	ck_assert_int_eq(log.n, 0);
	tp_sock_dispatch(t.h.stack);
	ck_assert_int_eq(log.n, 1);
	ck_assert_int_eq(log.ev[0].dir, TP_TCP_VARS_OUT);
	ck_assert_uint_eq(log.ev[0].len, 10);
	ck_assert_uint_eq(log.ev[0].snd_nxt, t.iss + 11);
	ck_assert_uint_ne(log.ev[0].timer[TP_TCP_TIMER_RTX], TP_TIME_NEVER);
	tc_fini(&t);
}
END_TEST

/* A RST ends the connection: its snapshot says so ("gone", CLOSED). */
START_TEST(reset_leaves_a_gone_snapshot)
{
	struct tconn t;
	struct vars_log log;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	watch(&t, &log);
	tc_send(&t, F_RST, t.pnxt, 0, NULL, 0);
	ck_assert_int_eq(log.n, 1);
	ck_assert_int_eq(log.ev[0].dir, TP_TCP_VARS_IN);
	ck_assert_int_eq(log.ev[0].gone, 1);
	ck_assert_str_eq(log.ev[0].state, "CLOSED");
	tc_fini(&t);
}
END_TEST

/* No connection and no listener: the stack's RST has a snapshot (gone), the
 * segment that drew it none (there never was a connection). */
START_TEST(no_connection_only_the_reset)
{
	struct tconn t;
	struct vars_log log;
	tc_init(&t, NULL);
	t.lport = 81;
	watch(&t, &log);
	tc_send(&t, F_SYN, 1000, 0, NULL, 0);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_RST | F_ACK);
	ck_assert_int_eq(log.n, 1);
	ck_assert_int_eq(log.ev[0].dir, TP_TCP_VARS_OUT);
	ck_assert_uint_eq(log.ev[0].flags, F_RST | F_ACK);
	ck_assert_uint_eq(log.ev[0].ack, 1001);
	ck_assert_int_eq(log.ev[0].gone, 1);
	tc_fini(&t);
}
END_TEST

/* A zero window and the persist timer, as the probe's snapshot shows them. */
START_TEST(zero_window_arms_persist)
{
	struct tconn t;
	struct vars_log log;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	t.peer_wnd = 0;
	tc_peer_ack(&t);                /* the window shuts */
	watch(&t, &log);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, "x", 1), 1);
	tp_sock_dispatch(t.h.stack);
	ck_assert_int_eq(log.n, 0);     /* nothing may go */
	h_advance(&t.h, TP_SEC(2));     /* the first probe */
	ck_assert_int_ge(log.n, 1);
	ck_assert_uint_eq(log.ev[0].snd_wnd, 0);
	ck_assert_uint_ne(log.ev[0].timer[TP_TCP_TIMER_PERSIST], TP_TIME_NEVER);
	ck_assert_uint_eq(log.ev[0].timer[TP_TCP_TIMER_RTX], TP_TIME_NEVER);
	tc_fini(&t);
}
END_TEST

static Suite *vars_suite(void)
{
	Suite *s = suite_create("tcp_vars");
	TCase *tc = tcase_create("vars");
	tcase_add_test(tc, active_open_and_data);
	tcase_add_test(tc, reset_leaves_a_gone_snapshot);
	tcase_add_test(tc, no_connection_only_the_reset);
	tcase_add_test(tc, zero_window_arms_persist);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(vars_suite)
