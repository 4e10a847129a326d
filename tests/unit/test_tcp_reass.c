/*
 * test_tcp_reass.c - out-of-order arrival: segments 3, 2, 1; overlaps;
 * duplicates; a bounded queue of runs (TCP_OOO_MAX_SEGS); an immediate
 * (duplicate) ACK for every segment ahead of a gap and for every one that
 * fills it (RFC 5681 §4.2 / RFC 9293 §3.10.7.4). The byte stream is
 * compared with what the peer sent, across the 2^32 wrap.
 */
#include <errno.h>
#include <string.h>

#include "tcp.h"
#include "tcp_harness.h"

static uint8_t stream[70000];      /* what the peer sends, by offset from its first byte */

static void setup(struct tconn *t)
{
	tc_init(t, NULL);
	tc_passive_open(t);
	fill_pattern(stream, sizeof(stream), 11);
}

/* The peer's bytes [off, off + len), at their sequence numbers. */
static void piece(struct tconn *t, uint32_t base, size_t off, size_t len)
{
	tc_send(t, F_ACK, base + (uint32_t)off, t->snd, stream + off, len);
}

/* Reads everything readable and checks it is stream[from, from + expect). */
static void expect_stream(struct tconn *t, size_t from, size_t expect)
{
	static uint8_t buf[sizeof(stream)];
	long n = tp_sock_recv(t->h.stack, t->fd, buf, sizeof(buf), 0);
	if (expect == 0) {
		ck_assert_int_eq(n, -EAGAIN);
		return;
	}
	ck_assert_int_eq(n, (long)expect);
	ck_assert_mem_eq(buf, stream + from, expect);
}

/* The one ACK the last segment drew at once, and what it acknowledged. */
static uint32_t immediate_ack(struct tconn *t)
{
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_ACK);
	ck_assert_uint_eq(v.len, 0);
	h_clear(&t->h);
	return v.ack;
}

START_TEST(three_two_one)
{
	struct tconn t;
	setup(&t);
	uint32_t base = t.pnxt;             /* 0xfffffff1: the wrap is 15 bytes in */
	piece(&t, base, 200, 100);
	ck_assert_uint_eq(immediate_ack(&t), base);         /* a duplicate ACK, at once */
	expect_stream(&t, 0, 0);
	piece(&t, base, 100, 100);
	ck_assert_uint_eq(immediate_ack(&t), base);
	expect_stream(&t, 0, 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_OOO_IN), 2);
	piece(&t, base, 0, 100);
	ck_assert_uint_eq(immediate_ack(&t), base + 300);   /* the gap filled: at once */
	expect_stream(&t, 0, 300);
	tc_fini(&t);
}
END_TEST

struct piece_spec {
	uint32_t off, len;
};

struct overlap_case {
	const char *name;
	struct piece_spec pieces[8];
	unsigned n;
	uint32_t total;             /* in order once all have arrived */
};

static const struct overlap_case overlaps[] = {
	{"overlapping runs ahead of the gap", {{150, 100}, {200, 100}, {100, 80}, {0, 100}}, 4, 300},
	{"a run inside another", {{100, 200}, {150, 20}, {0, 100}}, 3, 300},
	{"a run that covers two", {{100, 10}, {150, 10}, {90, 100}, {0, 90}}, 4, 190},
	{"duplicates", {{100, 100}, {100, 100}, {100, 100}, {0, 100}}, 3 + 1, 200},
	{"the filler overlaps the runs", {{100, 50}, {200, 50}, {0, 230}}, 3, 250},
	{"the filler reaches past every run", {{10, 10}, {30, 10}, {0, 500}}, 3, 500},
	{"old bytes resent with new", {{0, 100}, {50, 100}}, 2, 150},
	{"byte by byte, backwards", {{7, 1}, {6, 1}, {5, 1}, {4, 1}, {3, 1}, {2, 1}, {1, 1}, {0, 1}}, 8,
	 8},
};

START_TEST(overlapping_and_duplicate)
{
	const struct overlap_case *c = &overlaps[_i];
	struct tconn t;
	setup(&t);
	uint32_t base = t.pnxt;
	for (unsigned i = 0; i < c->n; i++)
		piece(&t, base, c->pieces[i].off, c->pieces[i].len);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_msg(info.recv_q == c->total, "%s: %u bytes in order", c->name, info.recv_q);
	expect_stream(&t, 0, c->total);
	/* The connection's idea of what comes next agrees: the next byte is
	 * taken in order. */
	piece(&t, base, c->total, 10);
	expect_stream(&t, c->total, 10);
	tc_fini(&t);
}
END_TEST

/* Holes are bounded: TCP_OOO_MAX_SEGS disjoint runs are kept, a segment
 * needing one more is dropped and counted (still answered at once); segments
 * that extend a kept run are taken. Once the holes fill, the stream is exact. */
START_TEST(bounded_queue)
{
	struct tconn t;
	setup(&t);
	uint32_t base = t.pnxt;
	const unsigned runs = TCP_OOO_MAX_SEGS + 6;
	for (unsigned k = 0; k < runs; k++) {       /* [20k+20, 20k+30): a hole before each */
		piece(&t, base, 20 * k + 20, 10);
		ck_assert_uint_eq(immediate_ack(&t), base);
	}
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_OOO_IN), TCP_OOO_MAX_SEGS);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DROP_OOO_FULL), runs - TCP_OOO_MAX_SEGS);
	/* Growing a kept run needs no new entry. */
	piece(&t, base, 30, 5);
	ck_assert_uint_eq(immediate_ack(&t), base);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DROP_OOO_FULL), runs - TCP_OOO_MAX_SEGS);
	expect_stream(&t, 0, 0);
	/* The peer fills the holes (and resends what was dropped). */
	piece(&t, base, 0, 20 * runs + 20);
	ck_assert_uint_eq(immediate_ack(&t), base + 20 * runs + 20);
	expect_stream(&t, 0, 20 * runs + 20);
	tc_fini(&t);
}
END_TEST

/* Out-of-order bytes beyond the right edge of the window are not kept. */
START_TEST(ooo_trimmed_to_window)
{
	struct tconn t;
	tc_init(&t, &(struct tp_stack_config){.seed = 7, .tcp_rcvbuf = 4096});
	tc_passive_open(&t);
	fill_pattern(stream, sizeof(stream), 11);
	uint32_t base = t.pnxt;
	piece(&t, base, 4000, 500);                 /* 96 bytes in the window */
	ck_assert_uint_eq(immediate_ack(&t), base);
	piece(&t, base, 0, 4000);
	ck_assert_uint_eq(immediate_ack(&t), base + 4096);
	expect_stream(&t, 0, 4096);
	tc_fini(&t);
}
END_TEST

/* A FIN that arrives ahead of a gap closes nothing until the bytes before it
 * are in: the state stays ESTABLISHED, the data arrives, and the FIN counts
 * once the peer resends it. */
START_TEST(fin_after_a_gap)
{
	struct tconn t;
	setup(&t);
	uint32_t base = t.pnxt;
	tc_send(&t, F_ACK | F_FIN, base + 100, t.snd, stream + 100, 100);
	ck_assert_uint_eq(immediate_ack(&t), base);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	piece(&t, base, 0, 100);
	uint32_t acked = immediate_ack(&t);
	ck_assert(acked == base + 200 || acked == base + 201);
	expect_stream(&t, 0, 200);
	if (acked == base + 200) {
		ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
		tc_send(&t, F_ACK | F_FIN, base + 200, t.snd, NULL, 0);
		ck_assert_uint_eq(immediate_ack(&t), base + 201);
	}
	ck_assert_str_eq(tc_state(&t), "CLOSE_WAIT");
	uint8_t b;
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, &b, 1, 0), 0);
	tc_fini(&t);
}
END_TEST

/* A long transfer in shuffled order, window after window: the stream is
 * exact, every out-of-order segment drew an immediate ACK. */
START_TEST(shuffled_windows)
{
	struct tconn t;
	setup(&t);
	uint32_t base = t.pnxt;
	uint32_t rng = 12345;
	size_t done = 0;
	static uint8_t got[sizeof(stream)];
	size_t got_len = 0;
	while (done + 8 * 1000 <= sizeof(stream)) {
		unsigned order[8] = {0, 1, 2, 3, 4, 5, 6, 7};
		for (unsigned i = 7; i > 0; i--) {
			rng = rng * 1103515245u + 12345u;
			unsigned j = (rng >> 16) % (i + 1), tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		for (unsigned i = 0; i < 8; i++)
			piece(&t, base, done + order[i] * 1000, 1000);
		done += 8000;
		long n = tp_sock_recv(t.h.stack, t.fd, got + got_len, sizeof(got) - got_len, 0);
		ck_assert_int_eq(n, 8000);
		got_len += (size_t)n;
		h_clear(&t.h);
	}
	ck_assert_mem_eq(got, stream, got_len);
	tc_fini(&t);
}
END_TEST

static Suite *reass_suite(void)
{
	Suite *s = suite_create("tcp_reass");
	TCase *tc = tcase_create("reass");
	tcase_add_test(tc, three_two_one);
	tcase_add_loop_test(tc, overlapping_and_duplicate, 0,
			    (int)(sizeof(overlaps) / sizeof(overlaps[0])));
	tcase_add_test(tc, bounded_queue);
	tcase_add_test(tc, ooo_trimmed_to_window);
	tcase_add_test(tc, fin_after_a_gap);
	tcase_add_test(tc, shuffled_windows);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(reass_suite)
