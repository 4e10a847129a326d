/*
 * test_tcp_seq.c - sequence-number arithmetic across the 2^32 wrap
 * (RFC 9293 §3.4) and TCP option parsing on valid and malformed lists
 * (RFC 9293 §3.1-3.2, RFC 7323), down to what the stack does with a SYN
 * whose options are broken.
 */
#include <string.h>

#include "tcp.h"
#include "tcp_harness.h"
#include "tcp_seq.h"

/* --- sequence arithmetic ----------------------------------------------------- */

struct order_case {
	uint32_t a, b;
	int lt;                     /* expected seq_lt(a, b) */
	int eq;
};

static const struct order_case orders[] = {
	{0, 1, 1, 0},
	{1, 0, 0, 0},
	{5, 5, 0, 1},
	{0xffffffffu, 0, 1, 0},             /* the wrap: 2^32 - 1 comes just before 0 */
	{0, 0xffffffffu, 0, 0},
	{0xfffffff0u, 0x10, 1, 0},          /* 32 apart across the wrap */
	{0x10, 0xfffffff0u, 0, 0},
	{0x7fffffffu, 0x80000000u, 1, 0},   /* halfway round, still ordered */
	{0, 0x7fffffffu, 1, 0},             /* 2^31 - 1 ahead is ahead */
	{0, 0x80000001u, 0, 0},             /* 2^31 + 1 ahead is behind */
	{0x80000001u, 0, 1, 0},
	{0x12345678u, 0x12345678u + 1000000, 1, 0},
};

START_TEST(order_across_the_wrap)
{
	const struct order_case *c = &orders[_i];
	ck_assert_int_eq(!!seq_lt(c->a, c->b), c->lt);
	ck_assert_int_eq(!!seq_gt(c->a, c->b), !c->lt && !c->eq);
	ck_assert_int_eq(!!seq_leq(c->a, c->b), c->lt || c->eq);
	ck_assert_int_eq(!!seq_geq(c->a, c->b), !c->lt);
	ck_assert_uint_eq(seq_max(c->a, c->b), c->lt ? c->b : c->a);
	ck_assert_uint_eq(seq_min(c->a, c->b), c->lt ? c->a : c->b);
	/* Antisymmetry away from the 2^31 singularity. */
	if (!c->eq)
		ck_assert_int_eq(!!seq_lt(c->b, c->a), !c->lt);
}
END_TEST

struct window_case {
	uint32_t x, lo, hi;
	int in;
};

static const struct window_case windows[] = {
	{100, 100, 200, 1},                 /* lo is in */
	{199, 100, 200, 1},
	{200, 100, 200, 0},                 /* hi is out */
	{99, 100, 200, 0},
	{0xfffffff0u, 0xfffffff0u, 0x10, 1},    /* a window that wraps */
	{0xffffffffu, 0xfffffff0u, 0x10, 1},
	{0, 0xfffffff0u, 0x10, 1},
	{0xf, 0xfffffff0u, 0x10, 1},
	{0x10, 0xfffffff0u, 0x10, 0},
	{0xffffffefu, 0xfffffff0u, 0x10, 0},
	{0x80000000u, 0xfffffff0u, 0x10, 0},
	{5, 5, 5, 0},                       /* an empty window holds nothing */
	{0, 0, 0, 0},
};

START_TEST(window_membership_across_the_wrap)
{
	const struct window_case *c = &windows[_i];
	ck_assert_msg(!!seq_in(c->x, c->lo, c->hi) == c->in, "%#x in [%#x, %#x) should be %d", c->x,
		      c->lo, c->hi, c->in);
}
END_TEST

/* Counting forward over the wrap keeps every neighbour in order. */
START_TEST(stepping_over_the_wrap)
{
	uint32_t s = 0xffffff00u;
	for (int i = 0; i < 512; i++, s++) {
		CHECK(seq_lt(s, s + 1));
		CHECK(seq_gt(s + 1460, s));
		CHECK(seq_in(s + 10, s, s + 65535));
		CHECK(!seq_in(s - 1, s, s + 65535));
	}
}
END_TEST

/* --- option parsing ------------------------------------------------------------ */

struct opt_case {
	const char *name;
	uint8_t bytes[40];
	size_t len;
	int rc;                     /* 0 or -1 */
	int mss, wscale, sack, ts;  /* expected on success (mss 0: none) */
	uint32_t ts_val, ts_ecr;
};

static const struct opt_case opts[] = {
	{"empty list", {0}, 0, 0, 0, -1, 0, 0},
	{"MSS 1460", {2, 4, 0x05, 0xb4}, 4, 0, 1460, -1, 0, 0},
	{"NOPs then MSS", {1, 1, 2, 4, 0x02, 0x18}, 6, 0, 536, -1, 0, 0},
	{"window scale 7", {1, 3, 3, 7}, 4, 0, 0, 7, 0, 0},
	{"window scale 15 is taken as 14 (RFC 7323 §2.3)", {3, 3, 15}, 3, 0, 0, 14, 0, 0},
	{"SACK permitted", {4, 2}, 2, 0, 0, -1, 1, 0},
	{"timestamps", {1, 1, 8, 10, 0, 0, 0, 5, 0xde, 0xad, 0xbe, 0xef}, 12, 0, 0, -1, 0, 1, 5,
	 0xdeadbeefu},
	{"Linux's SYN", {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7}, 20, 0,
	 1460, 7, 1, 1, 0x01020304u, 0},
	{"EOL ends the list: what follows is padding", {0, 2, 4, 0x05, 0xb4}, 5, 0, 0, -1, 0, 0},
	{"EOL after MSS", {2, 4, 0x05, 0xb4, 0, 0xff, 0xff, 0xff}, 8, 0, 1460, -1, 0, 0},
	{"unknown kind skipped by its length", {99, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4}, 8, 0, 1460, -1,
	 0, 0},
	{"unknown two-byte kind skipped", {30, 2, 3, 3, 2}, 5, 0, 0, 2, 0, 0},
	{"MD5 signature (19) skipped", {19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	 1, 1}, 20, 0, 0, -1, 0, 0},
	{"length 0", {2, 0, 0x05, 0xb4}, 4, -1},
	{"length 1", {2, 1, 0x05, 0xb4}, 4, -1},
	{"unknown kind with length 0 (would loop for ever)", {99, 0, 0, 0}, 4, -1},
	{"unknown kind with length 1", {99, 1, 0, 0}, 4, -1},
	{"kind in the last byte, no length", {1, 1, 1, 2}, 4, -1},
	{"MSS overruns the list", {1, 2, 4, 0x05}, 4, -1},
	{"unknown kind overruns the list", {99, 10, 1, 2, 3, 4}, 6, -1},
	{"MSS of length 3", {2, 3, 0x05, 1}, 4, -1},
	{"MSS of length 5", {2, 5, 0x05, 0xb4, 0, 1, 1, 1}, 8, -1},
	{"window scale of length 4", {3, 4, 7, 0}, 4, -1},
	{"window scale of length 2", {3, 2, 1, 1}, 4, -1},
	{"SACK permitted of length 3", {4, 3, 0, 1}, 4, -1},
	{"timestamps of length 8", {8, 8, 0, 0, 0, 1, 0, 0}, 8, -1},
	{"timestamps of length 11", {8, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1}, 12, -1},
};
#define NOPTS (int)(sizeof(opts) / sizeof(opts[0]))

START_TEST(parse_option_lists)
{
	const struct opt_case *c = &opts[_i];
	struct tcp_seg seg;
	memset(&seg, 0xa5, sizeof(seg));            /* the parser must set every field */
	int rc = tcp_parse_options(c->bytes, c->len, &seg);
	ck_assert_msg(rc == c->rc, "%s: returned %d, expected %d", c->name, rc, c->rc);
	if (rc < 0)
		return;
	ck_assert_msg(seg.mss == c->mss, "%s: mss %u", c->name, seg.mss);
	ck_assert_msg(seg.wscale == c->wscale, "%s: wscale %d", c->name, seg.wscale);
	ck_assert_msg(!!seg.sack_ok == c->sack, "%s: sack_ok", c->name);
	ck_assert_msg(!!seg.has_ts == c->ts, "%s: has_ts", c->name);
	if (c->ts) {
		ck_assert_uint_eq(seg.ts_val, c->ts_val);
		ck_assert_uint_eq(seg.ts_ecr, c->ts_ecr);
	}
}
END_TEST

/* Every possible two-byte option header over a short list: never a read
 * beyond the list (ASan watches), always 0 or -1. */
START_TEST(parse_never_overruns)
{
	for (unsigned kind = 0; kind < 256; kind++)
		for (unsigned len = 0; len < 256; len++)
			for (size_t n = 0; n <= 6; n++) {
				uint8_t *buf = malloc(n ? n : 1);  /* exact size: overruns show */
				ck_assert_ptr_nonnull(buf);
				uint8_t pattern[6] = {(uint8_t)kind, (uint8_t)len, 1, 2, 3, 4};
				memcpy(buf, pattern, n);
				struct tcp_seg seg;
				int rc = tcp_parse_options(buf, n, &seg);
				CHECK(rc == 0 || rc == -1);
				free(buf);
			}
}
END_TEST

/* End to end: a SYN with a malformed option list is dropped and counted,
 * not answered; the same SYN with the list fixed opens a connection. */
START_TEST(syn_with_bad_options_is_dropped)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_listen(&t);
	static const uint8_t bad[] = {2, 4, 0x05, 0xb4, 3, 4, 7, 0};    /* WS of length 4 */
	tcp_feed(&t.h, &(struct tseg){.seq = PEER_ISS, .flags = F_SYN, .wnd = 65535, .opt = bad,
				      .opt_len = sizeof(bad)});
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DROP_OPTIONS), 1);
	ck_assert_ptr_null(tc_state(&t));
	static const uint8_t good[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 7};
	tcp_feed(&t.h, &(struct tseg){.seq = PEER_ISS, .flags = F_SYN, .wnd = 65535, .opt = good,
				      .opt_len = sizeof(good)});
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
	ck_assert_int_ge(v.wscale, 0);              /* offered because the peer did */
	ck_assert_str_eq(tc_state(&t), "SYN_RECEIVED");
	tc_fini(&t);
}
END_TEST

/* A header length below 5 words or beyond the segment, or a bad checksum:
 * dropped and counted, never answered with a RST. */
START_TEST(malformed_headers_are_dropped)
{
	struct tconn t;
	tc_init(&t, NULL);
	tcp_feed(&t.h, &(struct tseg){.seq = 1, .flags = F_SYN, .data_offset = 4});
	tcp_feed(&t.h, &(struct tseg){.seq = 1, .flags = F_SYN, .data_offset = 15});
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DROP_SHORT), 2);
	tcp_feed(&t.h, &(struct tseg){.seq = 1, .flags = F_SYN, .bad_checksum = 1});
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DROP_CHECKSUM), 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_RST_OUT), 0);
	tc_fini(&t);
}
END_TEST

static Suite *seq_suite(void)
{
	Suite *s = suite_create("tcp_seq");
	TCase *tc = tcase_create("seq");
	tcase_add_loop_test(tc, order_across_the_wrap, 0, (int)(sizeof(orders) / sizeof(orders[0])));
	tcase_add_loop_test(tc, window_membership_across_the_wrap, 0,
			    (int)(sizeof(windows) / sizeof(windows[0])));
	tcase_add_test(tc, stepping_over_the_wrap);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_add_loop_test(tc, parse_option_lists, 0, NOPTS);
	tcase_add_test(tc, parse_never_overruns);
	tcase_add_test(tc, syn_with_bad_options_is_dropped);
	tcase_add_test(tc, malformed_headers_are_dropped);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(seq_suite)
