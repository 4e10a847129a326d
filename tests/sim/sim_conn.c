/*
 * sim_conn.c - connection life cycles between two stacks on the wire:
 * simultaneous open and close, a refused connect, an unreachable host, a
 * reset in mid-transfer, a full listen backlog, and hundreds of connections
 * at once. Every scenario runs over several seeds; seed 0 runs on a clean
 * wire, where exact timings and state sequences are asserted.
 *
 * Environment: SIM_SEEDS (seeds per scenario), SIM_CONNS (connections in
 * many_concurrent_connections [500]), SIM_TRACE=1|2 (print segments),
 * CK_RUN_CASE=<case> (one scenario, e.g. "backlog").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simnet.h"

#define KEY_A 0xaaaa0001ull
#define KEY_B 0xbbbb0002ull

static unsigned seeds(unsigned dflt) { return (unsigned)sim_env("SIM_SEEDS", dflt); }

/* Seed 0 runs on a clean wire (exact sequences can be asserted); the others
 * under loss, duplication and reordering. */
static const char *wire_for(unsigned seed)
{
	return seed == 0 ? "delay=1ms" : "loss=10%,dup=3%,reorder=3%,delay=1ms,jitter=500us";
}

static int both_complete(void *ctx)
{
	struct sim_stream *s = ctx;     /* two in a row */
	return (s[0].error || s[1].error) ||
	       (sim_stream_complete(&s[0]) && sim_stream_complete(&s[1]));
}

struct client_server {
	struct sim_stream *client;
	struct sim_acceptor *server;
};

static int exchange_done(void *ctx)
{
	struct client_server *cs = ctx;
	if (cs->client->error || !cs->server->count)
		return cs->client->error != 0;
	struct sim_stream *b = &cs->server->streams[0];
	return b->error || (sim_stream_complete(cs->client) && sim_stream_complete(b));
}

static int only_listener_on_b(void *ctx)
{
	return sim_count_state(ctx, SIM_B, NULL) == 1;
}

/* RFC 9293 §3.5 figure 7: both connect to each other at the same instant;
 * the SYNs cross, both go SYN_SENT -> SYN_RECEIVED -> ESTABLISHED. */
START_TEST(simultaneous_open)
{
	for (unsigned seed = 0; seed < seeds(40); seed++) {
		struct simnet n;
		sim_init(&n, &(struct sim_options){.impair = wire_for(seed), .seed = seed});
		struct sim_stream s[2] = {{0}};
		int fa = sim_connect(&n, SIM_A, 6000, 7000);
		int fb = sim_connect(&n, SIM_B, 7000, 6000);
		sim_stream_init(&s[0], &n, SIM_A, fa, KEY_A, 50000, KEY_B, 50000);
		sim_stream_init(&s[1], &n, SIM_B, fb, KEY_B, 50000, KEY_A, 50000);
		int done = sim_run(&n, sim_now(&n) + TP_SEC(120), both_complete, s);
		ck_assert_msg(done && !s[0].error && !s[1].error && !s[0].mismatch && !s[1].mismatch,
			      "seed %u: errors %d/%d, received %llu/%llu", seed, s[0].error,
			      s[1].error, (unsigned long long)s[0].received,
			      (unsigned long long)s[1].received);
		ck_assert_str_eq(sim_conn_state(&n, SIM_A, 6000, 7000), "ESTABLISHED");
		ck_assert_str_eq(sim_conn_state(&n, SIM_B, 7000, 6000), "ESTABLISHED");
		if (seed == 0) {
			for (int side = 0; side < 2; side++) {
				ck_assert_uint_eq(sim_transitions(&n, side, "SYN_SENT -> SYN_RECEIVED"), 1);
				ck_assert_uint_eq(sim_transitions(&n, side, "SYN_RECEIVED -> ESTABLISHED"), 1);
				ck_assert_uint_eq(tp_stat(n.stack[side], TP_STAT_TCP_RST_OUT), 0);
			}
		}
		for (int side = 0; side < 2; side++) {
			ck_assert_uint_eq(tp_stat(n.stack[side], TP_STAT_TCP_ACTIVE_OPENS), 1);
			ck_assert_uint_eq(tp_stat(n.stack[side], TP_STAT_TCP_ESTAB_RESETS), 0);
		}
		sim_fini(&n);
	}
}
END_TEST

/* RFC 9293 §3.6 figure 13: both close at once; the FINs cross, both go
 * FIN_WAIT_1 -> CLOSING -> TIME_WAIT and leave after 2 MSL. */
START_TEST(simultaneous_close)
{
	for (unsigned seed = 0; seed < seeds(40); seed++) {
		struct simnet n;
		sim_init(&n, &(struct sim_options){.impair = wire_for(seed), .seed = seed});
		struct sim_acceptor acc;
		struct sim_stream templ = {.tx_key = KEY_B, .to_send = 20000, .rx_key = KEY_A,
					   .to_receive = 20000};
		sim_acceptor_init(&acc, &n, SIM_B, 80, 4, &templ, 1);
		struct sim_stream a = {0};
		int fa = sim_connect(&n, SIM_A, 0, 80);
		sim_stream_init(&a, &n, SIM_A, fa, KEY_A, 20000, KEY_B, 20000);
		struct client_server cs = {&a, &acc};
		ck_assert_msg(sim_run(&n, sim_now(&n) + TP_SEC(120), exchange_done, &cs), "seed %u",
			      seed);
		struct sim_stream *b = &acc.streams[0];
		ck_assert(!a.error && !b->error && !a.mismatch && !b->mismatch);
		/* Let the last ACKs settle so nothing is in flight, then close
		 * both in the same instant. */
		sim_run(&n, sim_now(&n) + TP_SEC(2), NULL, NULL);
		sim_forget_transitions(&n);
		tp_time t0 = sim_now(&n);
		ck_assert_int_eq(tp_sock_close(n.stack[SIM_A], a.fd), 0);
		ck_assert_int_eq(tp_sock_close(n.stack[SIM_B], b->fd), 0);
		a.closed = b->closed = 1;
		if (seed == 0) {
			/* The FINs cross at t0 + 1 ms; each side's ACK of the other's
			 * arrives at t0 + 2 ms. */
			sim_run(&n, t0 + 1500, NULL, NULL);
			ck_assert_uint_eq(sim_count_state(&n, SIM_A, "CLOSING"), 1);
			ck_assert_uint_eq(sim_count_state(&n, SIM_B, "CLOSING"), 1);
			sim_run(&n, t0 + 2500, NULL, NULL);
			ck_assert_uint_eq(sim_count_state(&n, SIM_A, "TIME_WAIT"), 1);
			ck_assert_uint_eq(sim_count_state(&n, SIM_B, "TIME_WAIT"), 1);
			for (int side = 0; side < 2; side++) {
				ck_assert_uint_eq(sim_transitions(&n, side, "ESTABLISHED -> FIN_WAIT_1"), 1);
				ck_assert_uint_eq(sim_transitions(&n, side, "FIN_WAIT_1 -> CLOSING"), 1);
				ck_assert_uint_eq(sim_transitions(&n, side, "CLOSING -> TIME_WAIT"), 1);
			}
			/* 2 MSL (60 s by default) later, both are gone. */
			sim_run(&n, t0 + TP_SEC(60), NULL, NULL);
			ck_assert_uint_eq(sim_count_state(&n, SIM_A, "TIME_WAIT"), 1);
			sim_run(&n, t0 + TP_SEC(60) + TP_MSEC(10), NULL, NULL);
		} else {
			sim_run(&n, t0 + TP_SEC(200), NULL, NULL);
		}
		for (int side = 0; side < 2; side++) {
			ck_assert_msg(sim_transitions(&n, side, "-> TIME_WAIT") == 1,
				      "seed %u side %d: never in TIME_WAIT", seed, side);
			ck_assert_uint_eq(sim_transitions(&n, side, "TIME_WAIT -> CLOSED"), 1);
			ck_assert_uint_eq(sim_transitions(&n, side, "CLOSE_WAIT"), 0);
			ck_assert_uint_eq(tp_stat(n.stack[side], TP_STAT_TCP_ESTAB_RESETS), 0);
		}
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, NULL), 0);
		ck_assert_uint_eq(sim_count_state(&n, SIM_B, NULL), 1);     /* the listener */
		sim_acceptor_fini(&acc);
		sim_fini(&n);
	}
}
END_TEST

/* RFC 9293 §3.10.7.1: a SYN to a closed port draws <RST,ACK>; §3.10.7.3: the
 * connecting side reports "connection refused". */
START_TEST(connect_to_closed_port_is_refused)
{
	for (unsigned seed = 0; seed < seeds(40); seed++) {
		struct simnet n;
		sim_init(&n, &(struct sim_options){.impair = wire_for(seed), .seed = seed});
		struct sim_stream s = {0};
		int fd = sim_connect(&n, SIM_A, 0, 9);
		sim_stream_init(&s, &n, SIM_A, fd, KEY_A, 100, KEY_B, 0);
		tp_time t0 = sim_now(&n);
		sim_run(&n, t0 + TP_SEC(200), NULL, NULL);
		ck_assert_msg(s.error == -ECONNREFUSED, "seed %u: error %d", seed, s.error);
		if (seed == 0)
			ck_assert_uint_eq(s.error_at, t0 + TP_MSEC(2));    /* one round trip */
		ck_assert_uint_ge(tp_stat(n.stack[SIM_B], TP_STAT_TCP_RST_OUT), 1);
		ck_assert_uint_ge(tp_stat(n.stack[SIM_B], TP_STAT_TCP_DROP_NO_CONN), 1);
		ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_ATTEMPT_FAILS), 1);
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, NULL), 0);
		ck_assert_int_eq(tp_sock_send(n.stack[SIM_A], fd, "x", 1), -ECONNREFUSED);
		sim_fini(&n);
	}
}
END_TEST

struct syn_log {
	tp_time at[32];
	unsigned count;
};

/* B is silent: every IPv4 frame from A vanishes (ARP still works). */
static int drop_ip_from_a(void *ctx, enum tp_wire_side from, tp_time now, const uint8_t *frame,
			  size_t len)
{
	struct syn_log *log = ctx;
	struct sim_tcp t;
	if (from != TP_WIRE_A || len < 14 || frame[12] != 0x08 || frame[13] != 0x00)
		return 1;
	if (sim_parse_tcp(frame, len, &t) && (t.flags & SIM_SYN) && log->count < 32)
		log->at[log->count++] = now;
	return 0;
}

/* RFC 6298 §5.5 backoff on the SYN: sent at 0, 1, 3, 7, 15, 31, 63 s (six
 * retries); the next wait is capped at RTO_MAX = 60 s (§2.5), so the connect
 * fails with ETIMEDOUT at 123 s. */
START_TEST(connect_to_silent_host_times_out)
{
	for (unsigned seed = 0; seed < seeds(4); seed++) {
		struct simnet n;
		sim_init(&n, &(struct sim_options){.impair = "delay=1ms", .seed = seed});
		struct syn_log log = {0};
		sim_set_filter(&n, drop_ip_from_a, &log);
		struct sim_stream s = {0};
		tp_time t0 = sim_now(&n);
		int fd = sim_connect(&n, SIM_A, 0, 80);
		sim_stream_init(&s, &n, SIM_A, fd, KEY_A, 100, KEY_B, 0);
		sim_run(&n, t0 + TP_SEC(122), NULL, NULL);
		ck_assert_int_eq(s.error, 0);
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, "SYN_SENT"), 1);
		sim_run(&n, t0 + TP_SEC(300), NULL, NULL);
		ck_assert_int_eq(s.error, -ETIMEDOUT);
		ck_assert_uint_eq(s.error_at, t0 + TP_SEC(123));
		ck_assert_uint_eq(log.count, 7);
		static const unsigned expect_s[] = {0, 1, 3, 7, 15, 31, 63};
		for (unsigned i = 0; i < 7; i++) {
			/* The last one may wait a few ms for ARP: the cache entry
			 * has expired by then and is resolved again. */
			ck_assert_uint_ge(log.at[i], t0 + TP_SEC(expect_s[i]));
			ck_assert_uint_le(log.at[i], t0 + TP_SEC(expect_s[i]) + TP_MSEC(10));
		}
		ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_TIMEOUTS), 1);
		ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_ATTEMPT_FAILS), 1);
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, NULL), 0);
		sim_fini(&n);
	}
}
END_TEST

static int received_enough(void *ctx)
{
	struct sim_acceptor *acc = ctx;
	return acc->count && acc->streams[0].received >= 100000;
}

struct readable_ctx {
	struct tp_stack *stack;
	int fd;
};

static int readable(void *ctx)
{
	struct readable_ctx *r = ctx;
	return (tp_sock_events(r->stack, r->fd) & TP_EV_IN) != 0;
}

static int a_failed(void *ctx) { return ((struct sim_stream *)ctx)->error != 0; }

/* B's application aborts in mid-transfer (SO_LINGER 0, or closing with data
 * unread: RFC 9293 §3.10.4 / RFC 2525 §2.17); A's next call reports
 * ECONNRESET and its connection is gone. */
START_TEST(peer_reset_mid_transfer)
{
	for (unsigned seed = 0; seed < seeds(40); seed++) {
		int linger_zero = seed % 2;
		struct simnet n;
		sim_init(&n, &(struct sim_options){.impair = wire_for(seed), .seed = seed});
		struct sim_acceptor acc;
		struct sim_stream templ = {.rx_key = KEY_A, .to_receive = 4000000};
		sim_acceptor_init(&acc, &n, SIM_B, 80, 4, &templ, 1);
		struct sim_stream a = {0};
		int fd = sim_connect(&n, SIM_A, 0, 80);
		sim_stream_init(&a, &n, SIM_A, fd, KEY_A, 4000000, KEY_B, 0);
		ck_assert(sim_run(&n, sim_now(&n) + TP_SEC(120), received_enough, &acc));
		struct sim_stream *b = &acc.streams[0];
		ck_assert(!b->mismatch && !a.error);
		b->paused = 1;          /* data keeps arriving, unread */
		struct readable_ctx rc = {n.stack[SIM_B], b->fd};
		ck_assert(sim_run(&n, sim_now(&n) + TP_SEC(60), readable, &rc));
		if (linger_zero)
			ck_assert_int_eq(tp_sock_setopt(n.stack[SIM_B], b->fd, TP_SO_LINGER, 0), 0);
		ck_assert_int_eq(tp_sock_close(n.stack[SIM_B], b->fd), 0);
		b->closed = 1;
		ck_assert_msg(tp_stat(n.stack[SIM_B], TP_STAT_TCP_RST_OUT) == 1,
			      "seed %u: close sent no RST (B had %llu bytes unread)", seed,
			      (unsigned long long)(b->to_receive - b->received));
		ck_assert_uint_eq(sim_count_state(&n, SIM_B, NULL), 1);     /* the listener */
		/* Under loss the RST itself may be lost: A's next segments then
		 * meet B's closed port, which answers with RSTs of its own. */
		ck_assert_msg(sim_run(&n, sim_now(&n) + TP_SEC(60), a_failed, &a), "seed %u", seed);
		ck_assert_int_eq(a.error, -ECONNRESET);
		ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_ESTAB_RESETS), 1);
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, NULL), 0);
		ck_assert_int_eq(tp_sock_send(n.stack[SIM_A], fd, "x", 1), -ECONNRESET);
		sim_acceptor_fini(&acc);
		sim_fini(&n);
	}
}
END_TEST

struct listen_query {
	uint16_t port;
	uint32_t accept_q, syn_q;
};

static void find_listener(void *ctx, const struct tp_tcp_info *i)
{
	struct listen_query *q = ctx;
	if (i->lport == q->port && strcmp(i->state, "LISTEN") == 0) {
		q->accept_q = i->accept_q;
		q->syn_q = i->syn_q;
	}
}

#define BACKLOG 2
#define CLIENTS 6

/* An application that does not accept: the listener's queue holds at most
 * its backlog (RFC 9293 §3.10.1 leaves the bound to the implementation; the
 * architecture says every queue is bounded); further SYNs are dropped and
 * retried by the clients, which all get through once the application
 * accepts again. */
START_TEST(listen_backlog_full)
{
	for (unsigned seed = 0; seed < seeds(16); seed++) {
		struct simnet n;
		sim_init(&n, &(struct sim_options){.impair = wire_for(seed), .seed = seed});
		struct sim_acceptor acc;
		struct sim_stream templ = {.tx_key = KEY_B, .to_send = 10000, .rx_key = KEY_A,
					   .to_receive = 10000, .close_after_eof = 1};
		sim_acceptor_init(&acc, &n, SIM_B, 80, BACKLOG, &templ, CLIENTS);
		acc.paused = 1;
		struct sim_stream c[CLIENTS] = {{0}};
		for (int i = 0; i < CLIENTS; i++) {
			c[i].close_when_complete = 1;
			int fd = sim_connect(&n, SIM_A, 0, 80);
			sim_stream_init(&c[i], &n, SIM_A, fd, KEY_A, 10000, KEY_B, 10000);
		}
		for (int step = 0; step < 100; step++) {
			sim_run(&n, sim_now(&n) + TP_MSEC(50), NULL, NULL);
			struct listen_query q = {.port = 80};
			tp_tcp_foreach(n.stack[SIM_B], find_listener, &q);
			ck_assert_msg(q.accept_q <= BACKLOG, "seed %u: %u connections queued, backlog %d",
				      seed, q.accept_q, BACKLOG);
		}
		struct listen_query q = {.port = 80};
		tp_tcp_foreach(n.stack[SIM_B], find_listener, &q);
		ck_assert_uint_eq(q.accept_q, BACKLOG);
		ck_assert_uint_gt(tp_stat(n.stack[SIM_B], TP_STAT_TCP_DROP_ACCEPT_QUEUE), 0);
		/* The application wakes up: everybody gets through. */
		acc.paused = 0;
		sim_acceptor_pump(&acc);
		sim_run(&n, sim_now(&n) + TP_SEC(300), NULL, NULL);
		ck_assert_uint_eq(acc.count, CLIENTS);
		for (int i = 0; i < CLIENTS; i++) {
			ck_assert_msg(c[i].closed && !c[i].error && !c[i].mismatch,
				      "seed %u client %d: error %d received %llu", seed, i, c[i].error,
				      (unsigned long long)c[i].received);
			ck_assert(acc.streams[i].closed && !acc.streams[i].mismatch);
		}
		ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_ATTEMPT_FAILS), 0);
		sim_acceptor_fini(&acc);
		sim_fini(&n);
	}
}
END_TEST

static int all_closed(void *ctx)
{
	struct sim_acceptor *acc = ctx;
	if (acc->count < acc->max)
		return 0;
	for (unsigned i = 0; i < acc->count; i++)
		if (!acc->streams[i].closed)
			return 0;
	return 1;
}

/* 500 connections opened in the same instant, each exchanging a few KB both
 * ways and closing: every byte right, every active closer in TIME_WAIT,
 * nothing left after 2 MSL. */
START_TEST(many_concurrent_connections)
{
	const unsigned conns = (unsigned)sim_env("SIM_CONNS", 500);
	for (unsigned seed = 0; seed < seeds(2); seed++) {
		struct simnet n;
		/* Seed 0: more SYNs at once than the SYN queue holds (256), so
		 * half the connections are made from SYN cookies. Under loss a
		 * cookie connection can be reset where a queued one would not
		 * (its ACK and first data segment lost, a later segment first:
		 * seq - 1 is not the ISN the cookie was made for; Linux too), so
		 * the lossy seed gives the queue room for all. */
		struct tp_stack_config roomy = {.tcp_syn_backlog = 1024};
		sim_init(&n, &(struct sim_options){
				     .impair = seed ? "loss=2%,delay=1ms,jitter=500us,rate=100mbit" : "delay=1ms",
				     .seed = seed, .stack = seed ? &roomy : NULL});
		struct sim_acceptor acc;
		struct sim_stream templ = {.tx_key = KEY_B, .to_send = 3000, .rx_key = KEY_A,
					   .to_receive = 5000, .close_after_eof = 1};
		sim_acceptor_init(&acc, &n, SIM_B, 80, 1024, &templ, conns);
		struct sim_stream *c = calloc(conns, sizeof(*c));
		ck_assert_ptr_nonnull(c);
		for (unsigned i = 0; i < conns; i++) {
			c[i].close_when_complete = 1;
			int fd = sim_connect(&n, SIM_A, 0, 80);
			sim_stream_init(&c[i], &n, SIM_A, fd, KEY_A, 5000, KEY_B, 3000);
		}
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, "SYN_SENT"), conns);
		tp_time t0 = sim_now(&n);
		ck_assert_msg(sim_run(&n, t0 + TP_SEC(300), all_closed, &acc), "seed %u: %u accepted",
			      seed, acc.count);
		if (seed == 0 && conns > 256)
			ck_assert_uint_gt(tp_stat(n.stack[SIM_B], TP_STAT_TCP_SYNCOOKIES_VALID), 0);
		for (unsigned i = 0; i < conns; i++)
			ck_assert_msg(c[i].closed && !c[i].error && !c[i].mismatch,
				      "seed %u conn %u: error %d received %llu", seed, i, c[i].error,
				      (unsigned long long)c[i].received);
		printf("sim.conn %u connections (seed %u): all exchanged in %.3f s virtual\n", conns,
		       seed, (double)(sim_now(&n) - t0) / 1e6);
		fflush(stdout);
		ck_assert(sim_run(&n, sim_now(&n) + TP_SEC(30), only_listener_on_b, &n));
		/* Every active closer went through TIME_WAIT (the earliest may
		 * have left it already: 2 MSL is 60 s), nothing is in any other
		 * state, and no passive closer did. */
		ck_assert_uint_eq(sim_transitions(&n, SIM_A, "-> TIME_WAIT"), conns);
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, NULL),
				  sim_count_state(&n, SIM_A, "TIME_WAIT"));
		ck_assert_uint_eq(sim_transitions(&n, SIM_B, "LAST_ACK -> CLOSED"), conns);
		ck_assert_uint_eq(sim_transitions(&n, SIM_B, "-> TIME_WAIT"), 0);
		sim_run(&n, sim_now(&n) + TP_SEC(61), NULL, NULL);
		ck_assert_uint_eq(sim_count_state(&n, SIM_A, NULL), 0);
		ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_ACTIVE_OPENS), conns);
		ck_assert_uint_eq(tp_stat(n.stack[SIM_B], TP_STAT_TCP_PASSIVE_OPENS), conns);
		ck_assert_uint_eq(tp_stat(n.stack[SIM_A], TP_STAT_TCP_ESTAB_RESETS), 0);
		free(c);
		sim_acceptor_fini(&acc);
		sim_fini(&n);
	}
}
END_TEST

static Suite *conn_suite(void)
{
	Suite *s = suite_create("sim_conn");
	/* One case per scenario, so CK_RUN_CASE=<name> runs just one. */
	sim_add_case(s, "simultaneous_open", simultaneous_open);
	sim_add_case(s, "simultaneous_close", simultaneous_close);
	sim_add_case(s, "refused", connect_to_closed_port_is_refused);
	sim_add_case(s, "silent_host", connect_to_silent_host_times_out);
	sim_add_case(s, "reset", peer_reset_mid_transfer);
	sim_add_case(s, "backlog", listen_backlog_full);
	sim_add_case(s, "many", many_concurrent_connections);
	return s;
}

TEST_MAIN(conn_suite)
