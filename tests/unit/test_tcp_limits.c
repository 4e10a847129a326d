/*
 * test_tcp_limits.c - the stack-wide bounds: max_sockets (new connections'
 * SYNs dropped, socket() and accept() refused with EMFILE) and the TCP
 * buffer memory budget tcp_mem_limit (new connections refused, buffers
 * stop growing); in both, connections already open go on delivering every
 * byte, in order, both ways.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"
#include "tcp.h"
#include "tcp_harness.h"
#include "tapir/sock.h"

static uint64_t stat(struct tconn *t, enum tp_stat_id id)
{
	return tp_stat(t->h.stack, id);
}

/* A handshake from `port` to the listener; returns our ISN. */
static uint32_t handshake(struct tconn *t, uint16_t port, uint32_t isn)
{
	h_clear(&t->h);
	tcp_feed(&t->h, &(struct tseg){.sport = port, .seq = isn, .flags = F_SYN, .wnd = 65535});
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
	tcp_feed(&t->h, &(struct tseg){.sport = port, .seq = isn + 1, .ack = v.seq + 1, .flags = F_ACK,
				       .wnd = 65535});
	h_clear(&t->h);
	return v.seq;
}

/* The peer on t's connection sends `len` bytes, we read them: the same. */
static void peer_to_us(struct tconn *t, size_t len, unsigned seed)
{
	uint8_t in[1400], got[1400];
	fill_pattern(in, len, seed);
	tc_peer_data(t, in, len);
	ck_assert_int_eq(tp_sock_recv(t->h.stack, t->fd, got, sizeof(got), 0), (long)len);
	ck_assert_mem_eq(got, in, len);
}

/* We send `len` bytes on t's connection; one segment carries them; acked. */
static void us_to_peer(struct tconn *t, size_t len, unsigned seed)
{
	uint8_t out[1400];
	fill_pattern(out, len, seed);
	h_clear(&t->h);
	ck_assert_int_eq(tp_sock_send(t->h.stack, t->fd, out, len), (long)len);
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.seq, t->snd);
	ck_assert_uint_eq(v.len, len);
	ck_assert_mem_eq(v.data, out, len);
	t->snd += (uint32_t)len;
	tc_peer_ack(t);
	h_clear(&t->h);
}

START_TEST(socket_limit_refuses_new_keeps_old)
{
	struct tp_stack_config cfg = {.seed = 7, .max_sockets = 4};
	struct tconn t;
	tc_init(&t, &cfg);
	tc_passive_open(&t);                        /* sockets: the listener and this one */
	struct tp_stack *s = t.h.stack;
	handshake(&t, 1001, 100);
	ck_assert_int_ge(tp_sock_accept(s, t.lfd, NULL, NULL), 0);      /* 3 sockets */
	handshake(&t, 1002, 200);
	ck_assert_int_ge(tp_sock_accept(s, t.lfd, NULL, NULL), 0);      /* 4: the limit */
	/* No descriptor more: socket() and accept() say EMFILE. */
	ck_assert_int_eq(tp_sock_open(s, TP_SOCK_STREAM), -EMFILE);
	handshake(&t, 1003, 300);                   /* a 4th connection, queued */
	ck_assert_int_eq(tp_sock_accept(s, t.lfd, NULL, NULL), -EMFILE);
	ck_assert_uint_eq(stat(&t, TP_STAT_SOCK_LIMIT), 2);
	/* Four connections: a 5th SYN is dropped, not reset (the peer's SYN
	 * retransmission may find room; a RST would say nothing listens). */
	tcp_feed(&t.h, &(struct tseg){.sport = 1004, .seq = 400, .flags = F_SYN, .wnd = 65535});
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_DROP_NO_SOCKETS), 1);
	/* The connections already open carry data both ways. */
	for (unsigned i = 0; i < 4; i++) {
		peer_to_us(&t, 1000 + i, i);
		us_to_peer(&t, 1400 - i, i + 10);
	}
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	/* One closed: its descriptor frees, the queued one is accepted. */
	ck_assert_int_eq(tp_sock_close(s, t.fd), 0);
	ck_assert_int_ge(tp_sock_accept(s, t.lfd, NULL, NULL), 0);
	tc_fini(&t);
}
END_TEST

/* The right edge our segment v advertises. */
static uint32_t right_edge(const struct tview *v, unsigned wscale)
{
	return v->ack + ((uint32_t)v->wnd << wscale);
}

/* The peer sends the next full segment of `data`, from *n; returns the
 * right edge of the last segment we answered with (`edge` if none). */
static uint32_t peer_full_segment(struct tconn *t, const uint8_t *data, size_t *n, unsigned ws,
				  uint32_t edge)
{
	h_clear(&t->h);
	tc_peer_data(t, data + *n, 1460);
	*n += 1460;
	for (size_t i = 0; i < count_tcp(&t->h); i++) {
		struct tview v;
		nth_tcp(&t->h, i, &v);
		edge = right_edge(&v, ws);
	}
	return edge;
}

START_TEST(memory_budget_refuses_new_keeps_old)
{
	struct tp_stack_config cfg = {.seed = 7, .tcp_mem_limit = 64 * 1024};
	struct tconn t;
	static const uint8_t opt[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 0};     /* MSS 1460, WS 0 */
	tc_init(&t, &cfg);
	t.peer_opt = opt;
	t.peer_opt_len = sizeof(opt);
	tc_passive_open(&t);
	struct tp_stack *s = t.h.stack;
	unsigned ws = tcp_wscale_for(256 * 1024);
	ck_assert_uint_eq(s->tcp->mem.used, 0);     /* an idle connection holds no buffer */

	/* The peer sends full segments (each second one ACKed at once), the
	 * application does not read: the receive buffer
	 * grows by doubling until the stack's buffers reach the budget. */
	static uint8_t sent[200 * 1460];
	fill_pattern(sent, sizeof(sent), 5);
	size_t n = 0;
	uint32_t edge = 0;
	while (!tcp_mem_pressure(s))
		edge = peer_full_segment(&t, sent, &n, ws, edge);
	ck_assert_uint_le(n, 64 * 1024);
	ck_assert_uint_ge(s->tcp->mem.used, 64 * 1024);

	/* New connections are refused, both ways, and counted. */
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.sport = 2001, .seq = 1, .flags = F_SYN, .wnd = 65535});
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_DROP_MEM_LIMIT), 1);
	int fd = tp_sock_open(s, TP_SOCK_STREAM);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tp_sock_connect(s, fd, PEER_IP, 9), -ENOBUFS);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_DROP_MEM_LIMIT), 2);

	/* The open connection loses nothing: the peer may fill the window it
	 * was offered, but the offer grows no further. */
	uint32_t pressure_edge = edge;
	while ((int32_t)(pressure_edge - t.pnxt) >= 1460) {
		edge = peer_full_segment(&t, sent, &n, ws, edge);
		ck_assert_int_le((int32_t)(edge - pressure_edge), 0);
	}
	ck_assert_uint_lt(n, sizeof(sent));
	/* Under pressure a send buffer takes TCP_MEM_FLOOR bytes, no more. */
	static uint8_t big[20000];
	fill_pattern(big, sizeof(big), 9);
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(s, t.fd, big, sizeof(big)), TCP_MEM_FLOOR);
	ck_assert_int_eq(tp_sock_send(s, t.fd, big, sizeof(big)), -EAGAIN);
	ck_assert_int_eq(tp_sock_events(s, t.fd) & TP_EV_OUT, 0);
	/* ...and sends them all, in order, as the peer acknowledges. */
	uint32_t first = t.snd;
	while (t.snd - first < TCP_MEM_FLOOR) {
		size_t segs = count_tcp(&t.h);
		ck_assert_uint_gt(segs, 0);
		for (size_t i = 0; i < segs; i++) {
			struct tview v;
			nth_tcp(&t.h, i, &v);
			ck_assert_uint_eq(v.seq, t.snd);
			ck_assert_mem_eq(v.data, big + (t.snd - first), v.len);
			t.snd += (uint32_t)v.len;
		}
		h_clear(&t.h);
		tc_peer_ack(&t);
	}
	ck_assert_uint_eq(t.snd - first, TCP_MEM_FLOOR);
	ck_assert_int_ne(tp_sock_events(s, t.fd) & TP_EV_OUT, 0);

	/* Every byte the peer sent is read, in order. */
	static uint8_t got[sizeof(sent)];
	size_t read = 0;
	long r;
	while ((r = tp_sock_recv(s, t.fd, got + read, sizeof(got) - read, 0)) > 0)
		read += (size_t)r;
	ck_assert_int_eq(r, -EAGAIN);
	ck_assert_uint_eq(read, n);
	ck_assert_mem_eq(got, sent, n);
	/* Read, the buffer is freed: the budget has room, and a SYN gets in. */
	ck_assert_uint_eq(s->tcp->mem.used, 0);
	ck_assert(!tcp_mem_pressure(s));
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.sport = 2002, .seq = 1, .flags = F_SYN, .wnd = 65535});
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
	tc_fini(&t);
}
END_TEST

START_TEST(buffers_grow_by_doubling)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	struct tp_stack *s = t.h.stack;
	uint8_t data[1000];
	fill_pattern(data, sizeof(data), 1);
	tc_peer_data(&t, data, 100);
	ck_assert_uint_eq(s->tcp->mem.used, RING_MIN_ALLOC);    /* 100 bytes cost 4 KiB, not 256 */
	for (int i = 0; i < 5; i++)
		tc_peer_data(&t, data, sizeof(data));
	ck_assert_uint_eq(s->tcp->mem.used, 2 * RING_MIN_ALLOC);
	uint8_t got[6000];
	ck_assert_int_eq(tp_sock_recv(s, t.fd, got, sizeof(got), 0), 5100);
	ck_assert_uint_eq(s->tcp->mem.used, 0);
	tc_fini(&t);
}
END_TEST

static Suite *limits_suite(void)
{
	Suite *s = suite_create("tcp_limits");
	TCase *tc = tcase_create("limits");
	tcase_add_test(tc, socket_limit_refuses_new_keeps_old);
	tcase_add_test(tc, memory_budget_refuses_new_keeps_old);
	tcase_add_test(tc, buffers_grow_by_doubling);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(limits_suite)
