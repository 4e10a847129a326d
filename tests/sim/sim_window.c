/*
 * sim_window.c - flow control and half-close between two stacks on the wire:
 * a receiver that stops reading until the sender's data fills its window
 * (persist probes with backoff, RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17),
 * then resumes; and a half-closed connection that keeps carrying data the
 * other way (RFC 9293 §3.6).
 *
 * Environment: SIM_SEEDS (seeds of the lossy runs [40]), SIM_TRACE=1|2,
 * CK_RUN_CASE=zero_window|zero_window_loss|half_close.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "simnet.h"

#define KEY_A 0xa0a0a0a0ull
#define KEY_B 0xb0b0b0b0ull
#define RCVBUF (64 * 1024)

static unsigned seeds(unsigned dflt) { return (unsigned)sim_env("SIM_SEEDS", dflt); }

/* What crosses the wire while B's window is shut. */
struct stall_watch {
	struct simnet *net;
	uint64_t probes_seen;           /* A's persist counter at its last frame */
	struct {
		tp_time at;
		uint32_t seq, len;
	} probe[64];                    /* what A sent, when, on each persist expiry */
	unsigned probes;
	unsigned zero_window_acks;      /* B's segments advertising a zero window */
};

static int watch_frames(void *ctx, enum tp_wire_side from, tp_time now, const uint8_t *frame,
			size_t len)
{
	struct stall_watch *w = ctx;
	struct sim_tcp t;
	if (!sim_parse_tcp(frame, len, &t))
		return 1;
	if (from == TP_WIRE_A) {
		/* The counter moves just before the probe is handed to the wire. */
		uint64_t p = tp_stat(w->net->stack[SIM_A], TP_STAT_TCP_PERSIST_PROBES);
		if (p != w->probes_seen && w->probes < 64) {
			w->probe[w->probes].at = now;
			w->probe[w->probes].seq = t.seq;
			w->probe[w->probes++].len = t.len;
		}
		w->probes_seen = p;
	} else if (t.wnd == 0 && !(t.flags & SIM_RST)) {
		w->zero_window_acks++;
	}
	return 1;
}

struct two_ends {
	struct sim_stream *a, *b;
};

static int transfer_done(void *ctx)
{
	struct two_ends *e = ctx;
	return e->a->error || e->b->error || (sim_stream_complete(e->a) && sim_stream_complete(e->b));
}

static int b_accepted(void *ctx) { return ((struct sim_acceptor *)ctx)->count > 0; }

/* The receiver stops reading; the sender fills B's window and its own send
 * buffer, then probes the shut window with backoff for as long as it stays
 * shut, never giving up; when B reads again the transfer completes exactly. */
static void zero_window_stall(unsigned seed, const char *wire, int strict)
{
	struct simnet n;
	struct tp_stack_config cfg = {.tcp_rcvbuf = RCVBUF};
	sim_init(&n, &(struct sim_options){.impair = wire, .seed = seed, .stack = &cfg});
	struct stall_watch w = {.net = &n};
	sim_set_filter(&n, watch_frames, &w);
	const uint64_t total = 1000000;
	struct sim_acceptor acc;
	struct sim_stream templ = {.rx_key = KEY_A, .to_receive = total, .paused = 1,
				   .close_after_eof = 1};
	sim_acceptor_init(&acc, &n, SIM_B, 80, 4, &templ, 1);
	struct sim_stream a = {.close_when_complete = 1};
	int fd = sim_connect(&n, SIM_A, 0, 80);
	sim_stream_init(&a, &n, SIM_A, fd, KEY_A, total, KEY_B, 0);
	ck_assert(sim_run(&n, sim_now(&n) + TP_SEC(60), b_accepted, &acc));

	/* Two minutes of a shut window. */
	tp_time t0 = sim_now(&n);
	sim_run(&n, t0 + TP_SEC(120), NULL, NULL);
	struct sim_stream *b = &acc.streams[0];
	ck_assert(!a.error && !b->error);
	struct tp_tcp_info ia, ib;
	uint16_t aport;
	tp_ip4 aaddr;
	tp_sock_name(n.stack[SIM_A], fd, &aaddr, &aport);
	ck_assert(sim_conn_info(&n, SIM_A, aport, 80, &ia));
	ck_assert(sim_conn_info(&n, SIM_B, 80, aport, &ib));
	ck_assert_str_eq(ia.state, "ESTABLISHED");
	ck_assert_str_eq(ib.state, "ESTABLISHED");
	/* B's buffer is full: to the byte, but for what receiver-side SWS
	 * avoidance (RFC 9293 §3.8.6.2.2) keeps from being offered. */
	ck_assert_uint_le(ib.recv_q, RCVBUF);
	ck_assert_uint_gt(ib.recv_q, RCVBUF - 1460);
	ck_assert_uint_eq(ib.rcv_wnd, 0);
	ck_assert_uint_eq(ia.snd_wnd, 0);
	ck_assert_uint_eq(ia.send_q, a.sent - ib.recv_q);   /* the rest waits at A */
	ck_assert_uint_lt(a.sent, total);
	ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_TIMEOUTS), 0);

	/* Probes into the shut window: one byte, the same byte each time,
	 * backing off - never closer together than the one before, and in the
	 * clean run doubling until the cap. (Before the window shuts, the same
	 * timer sends what a small window allows (RFC 1122 §4.2.3.4's SWS
	 * override); a window that opens between two probes restarts it.) */
	uint64_t probes = tp_stat(n.stack[SIM_A], TP_STAT_TCP_PERSIST_PROBES);
	ck_assert_uint_le(probes, 20);          /* 500 ms without backoff would be 240 */
	/* Each probe reached the wire - under loss, unless it waited for an
	 * ARP resolution that failed (the cache entry expires after 60 s). */
	ck_assert_msg(strict ? w.probes == probes : w.probes <= probes,
		      "seed %u: %u probes on the wire, %llu counted", seed, w.probes,
		      (unsigned long long)probes);
	unsigned run = 0;                       /* zero-window probes of the last byte */
	for (unsigned i = 0; i < w.probes; i++) {
		int same = i > 0 && w.probe[i].len == 1 && w.probe[i - 1].len == 1 &&
			   w.probe[i].seq == w.probe[i - 1].seq;
		run = same ? run + 1 : (w.probe[i].len == 1);
		if (run < 3)
			continue;
		tp_time before = w.probe[i - 1].at - w.probe[i - 2].at;
		tp_time gap = w.probe[i].at - w.probe[i - 1].at;
		ck_assert_msg(gap >= before, "seed %u: probe %u came %llu us after the one before, "
			      "which came %llu us after its own", seed, i, (unsigned long long)gap,
			      (unsigned long long)before);
		if (strict && gap < TP_SEC(30))
			ck_assert_uint_ge(gap, 2 * before - TP_MSEC(1));
	}
	ck_assert_msg(run >= 4, "seed %u: only %u probes into the shut window", seed, run);
	/* Every probe draws an ACK with the (still shut) window. */
	if (strict)
		ck_assert_uint_ge(w.zero_window_acks, probes);

	/* B reads again: everything arrives, exactly. */
	b->paused = 0;
	sim_stream_pump(b);
	struct two_ends ends = {&a, b};
	ck_assert_msg(sim_run(&n, sim_now(&n) + TP_SEC(600), transfer_done, &ends) && !b->mismatch &&
			      !a.error && !b->error,
		      "seed %u: A sent %llu, B received %llu (mismatch %d)", seed,
		      (unsigned long long)a.sent, (unsigned long long)b->received, b->mismatch);
	ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_TIMEOUTS), 0);
	sim_acceptor_fini(&acc);
	sim_fini(&n);
}

START_TEST(zero_window_stall_resumes)
{
	zero_window_stall(0, "delay=1ms", 1);
}
END_TEST

/* The same with probes, their answers and the window update lost, duplicated
 * and reordered. */
START_TEST(zero_window_stall_under_loss)
{
	for (unsigned seed = 1; seed <= seeds(40); seed++)
		zero_window_stall(seed, "loss=10%,dup=2%,reorder=2%,delay=2ms,jitter=1ms", 0);
}
END_TEST

static int eof_at_b(void *ctx)
{
	struct sim_acceptor *acc = ctx;
	return acc->count && (acc->streams[0].eof || acc->streams[0].error);
}

/* A sends 100 KB and shuts down its side; B reads them and the EOF, sits in
 * CLOSE_WAIT while still sending 300 KB that A, in FIN_WAIT_2, keeps
 * receiving; when B closes, B goes LAST_ACK -> CLOSED and A TIME_WAIT. */
static void half_close(unsigned seed, const char *wire)
{
	struct simnet n;
	sim_init(&n, &(struct sim_options){.impair = wire, .seed = seed});
	const uint64_t a_bytes = 100000, b_bytes = 300000;
	struct sim_acceptor acc;
	struct sim_stream templ = {.tx_key = KEY_B, .to_send = b_bytes, .rx_key = KEY_A,
				   .to_receive = a_bytes};
	sim_acceptor_init(&acc, &n, SIM_B, 80, 4, &templ, 1);
	struct sim_stream a = {.shut_wr_after_send = 1};
	int fd = sim_connect(&n, SIM_A, 0, 80);
	sim_stream_init(&a, &n, SIM_A, fd, KEY_A, a_bytes, KEY_B, b_bytes);
	uint16_t aport;
	tp_ip4 aaddr;
	tp_sock_name(n.stack[SIM_A], fd, &aaddr, &aport);

	ck_assert_msg(sim_run(&n, sim_now(&n) + TP_SEC(120), eof_at_b, &acc), "seed %u", seed);
	struct sim_stream *b = &acc.streams[0];
	ck_assert(!b->error && !b->mismatch);
	ck_assert_uint_eq(b->received, a_bytes);
	ck_assert_str_eq(sim_conn_state(&n, SIM_B, 80, aport), "CLOSE_WAIT");
	ck_assert_int_eq(tp_sock_send(n.stack[SIM_A], fd, "x", 1), -EPIPE);

	/* B does not close yet: it stays in CLOSE_WAIT, and A keeps receiving. */
	sim_run(&n, sim_now(&n) + TP_SEC(60), NULL, NULL);
	ck_assert_str_eq(sim_conn_state(&n, SIM_B, 80, aport), "CLOSE_WAIT");
	ck_assert_str_eq(sim_conn_state(&n, SIM_A, aport, 80), "FIN_WAIT_2");
	ck_assert_msg(a.received == b_bytes && !a.mismatch && !a.error && !a.eof,
		      "seed %u: A received %llu of %llu", seed, (unsigned long long)a.received,
		      (unsigned long long)b_bytes);
	ck_assert(sim_stream_complete(b));

	/* B closes: FIN, A acknowledges it from TIME_WAIT and reads the EOF. */
	ck_assert_int_eq(tp_sock_close(n.stack[SIM_B], b->fd), 0);
	b->closed = 1;
	sim_run(&n, sim_now(&n) + TP_SEC(30), NULL, NULL);
	ck_assert(a.eof);
	ck_assert_ptr_null(sim_conn_state(&n, SIM_B, 80, aport));
	/* A is in TIME_WAIT - unless a duplicate of its last ACK reached B's
	 * closed port and drew a RST, which RFC 9293 §3.10.7.4 lets end
	 * TIME_WAIT early (RFC 1337's hazard; Linux by default does the same). */
	const char *a_state = sim_conn_state(&n, SIM_A, aport, 80);
	int assassinated = sim_transitions(&n, SIM_A, "TIME_WAIT -> CLOSED (RST received)") == 1;
	ck_assert_msg((a_state && strcmp(a_state, "TIME_WAIT") == 0) || (!a_state && assassinated),
		      "seed %u: A is %s", seed, a_state ? a_state : "gone");
	ck_assert_uint_eq(sim_transitions(&n, SIM_B, "ESTABLISHED -> CLOSE_WAIT"), 1);
	ck_assert_uint_eq(sim_transitions(&n, SIM_B, "CLOSE_WAIT -> LAST_ACK"), 1);
	ck_assert_uint_eq(sim_transitions(&n, SIM_B, "LAST_ACK -> CLOSED"), 1);
	ck_assert_uint_eq(sim_transitions(&n, SIM_A, "FIN_WAIT_2 -> TIME_WAIT"), 1);
	ck_assert_int_eq(tp_sock_close(n.stack[SIM_A], fd), 0);
	if (!assassinated)
		ck_assert_str_eq(sim_conn_state(&n, SIM_A, aport, 80), "TIME_WAIT");
	sim_acceptor_fini(&acc);
	sim_fini(&n);
}

START_TEST(half_close_keeps_receiving)
{
	half_close(0, "delay=1ms");
	for (unsigned seed = 1; seed <= seeds(40); seed++)
		half_close(seed, "loss=5%,dup=2%,reorder=2%,delay=1ms,jitter=500us");
}
END_TEST

static Suite *window_suite(void)
{
	Suite *s = suite_create("sim_window");
	sim_add_case(s, "zero_window", zero_window_stall_resumes);
	sim_add_case(s, "zero_window_loss", zero_window_stall_under_loss);
	sim_add_case(s, "half_close", half_close_keeps_receiving);
	return s;
}

TEST_MAIN(window_suite)
