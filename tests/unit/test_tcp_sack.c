/*
 * test_tcp_sack.c - SACK (RFC 2018, RFC 6675): the scoreboard on boards
 * built by hand (insertion and merging, the bound, IsLost, SetPipe and
 * NextSeg on the RFC's rules), hostile blocks from a peer, the order of the
 * blocks the stack sends, and a recovery that resends only the hole.
 */
#include <errno.h>
#include <string.h>

#include "tcp.h"
#include "tcp_harness.h"
#include "tcp_seq.h"

#define MSS 100

static void board(struct tcp_scoreboard *sb, const uint32_t (*r)[2], unsigned n)
{
	tcp_sb_clear(sb);
	for (unsigned i = 0; i < n; i++)
		tcp_sb_insert(sb, r[i][0], r[i][1]);
}

static void expect_ranges(const struct tcp_scoreboard *sb, const uint32_t (*r)[2], unsigned n)
{
	ck_assert_uint_eq(sb->n, n);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_uint_eq(sb->r[i].start, r[i][0]);
		ck_assert_uint_eq(sb->r[i].end, r[i][1]);
	}
}

START_TEST(insert_and_merge)
{
	struct tcp_scoreboard sb;
	tcp_sb_clear(&sb);
	ck_assert_uint_eq(tcp_sb_insert(&sb, 300, 400), 100);
	ck_assert_uint_eq(tcp_sb_insert(&sb, 100, 200), 100);     /* below: sorted in front */
	ck_assert_uint_eq(tcp_sb_insert(&sb, 600, 700), 100);
	expect_ranges(&sb, (const uint32_t[][2]){{100, 200}, {300, 400}, {600, 700}}, 3);
	ck_assert_uint_eq(tcp_sb_insert(&sb, 150, 180), 0);        /* already SACKed */
	ck_assert_uint_eq(tcp_sb_insert(&sb, 350, 450), 50);       /* overlaps the end */
	ck_assert_uint_eq(tcp_sb_insert(&sb, 200, 250), 50);       /* touches: joins */
	expect_ranges(&sb, (const uint32_t[][2]){{100, 250}, {300, 450}, {600, 700}}, 3);
	/* One block bridging everything: only the gaps are new. */
	ck_assert_uint_eq(tcp_sb_insert(&sb, 50, 800), 750 - 150 - 150 - 100);
	expect_ranges(&sb, (const uint32_t[][2]){{50, 800}}, 1);
	ck_assert_uint_eq(tcp_sb_insert(&sb, 900, 900), 0);        /* empty */
	ck_assert_uint_eq(tcp_sb_insert(&sb, 950, 900), 0);        /* inverted */
	ck_assert_uint_eq(sb.n, 1);
	ck_assert_uint_eq(tcp_sb_sacked(&sb), 750);
	/* Across the 2^32 wrap. */
	tcp_sb_clear(&sb);
	tcp_sb_insert(&sb, 50, 100);
	tcp_sb_insert(&sb, 0xffffff00u, 20);
	expect_ranges(&sb, (const uint32_t[][2]){{0xffffff00u, 20}, {50, 100}}, 2);
	tcp_sb_insert(&sb, 10, 60);
	expect_ranges(&sb, (const uint32_t[][2]){{0xffffff00u, 100}}, 1);
}
END_TEST

START_TEST(bounded_and_advanced)
{
	struct tcp_scoreboard sb;
	tcp_sb_clear(&sb);
	for (uint32_t i = 0; i < TCP_SB_MAX; i++)
		ck_assert_uint_eq(tcp_sb_insert(&sb, 1000 + 200 * i, 1100 + 200 * i), 100);
	/* Full: a range of its own is forgotten, one that merges is not. */
	ck_assert_uint_eq(tcp_sb_insert(&sb, 100000, 100100), 0);
	ck_assert_uint_eq(sb.n, TCP_SB_MAX);
	ck_assert_uint_eq(tcp_sb_insert(&sb, 1100, 1150), 50);
	ck_assert_uint_eq(sb.n, TCP_SB_MAX);
	/* The cumulative ACK passes ranges: they go, one is cut. */
	sb.high_rxt = 0;
	tcp_sb_advance(&sb, 1450);
	ck_assert_uint_eq(sb.n, TCP_SB_MAX - 2);
	ck_assert_uint_eq(sb.r[0].start, 1450);
	ck_assert_uint_eq(sb.r[0].end, 1500);
	ck_assert_uint_eq(sb.high_rxt, 1450);
	ck_assert(!tcp_sb_is_sacked(&sb, 1449));
	ck_assert(tcp_sb_is_sacked(&sb, 1450));
	ck_assert(!tcp_sb_is_sacked(&sb, 1500));
}
END_TEST

START_TEST(is_lost)
{
	struct tcp_scoreboard sb;
	/* DupThresh (3) discontiguous ranges above, or more than 2 MSS. */
	board(&sb, (const uint32_t[][2]){{1100, 1200}}, 1);
	ck_assert(!tcp_sb_is_lost(&sb, 1000, MSS));
	board(&sb, (const uint32_t[][2]){{1100, 1300}}, 1);
	ck_assert(!tcp_sb_is_lost(&sb, 1000, MSS));                /* 2 MSS: not more */
	board(&sb, (const uint32_t[][2]){{1100, 1301}}, 1);
	ck_assert(tcp_sb_is_lost(&sb, 1000, MSS));
	board(&sb, (const uint32_t[][2]){{1100, 1101}, {1200, 1201}, {1300, 1301}}, 3);
	ck_assert(tcp_sb_is_lost(&sb, 1000, MSS));                 /* three ranges */
	ck_assert(!tcp_sb_is_lost(&sb, 1150, MSS));                /* two above it */
	board(&sb, (const uint32_t[][2]){{1100, 1400}}, 1);
	ck_assert(!tcp_sb_is_lost(&sb, 1400, MSS));                /* nothing above */
	ck_assert(!tcp_sb_is_lost(&sb, 1250, MSS));                /* 149 bytes above */
}
END_TEST

/* Holes [1000,1100) below 3 ranges (lost), [1200,1300) below 2 with 200
 * bytes (not lost), [1400,1500) below 1, [1600,2000) above all. */
static const uint32_t three[][2] = {{1100, 1200}, {1300, 1400}, {1500, 1600}};

START_TEST(pipe)
{
	struct tcp_scoreboard sb;
	board(&sb, three, 3);
	sb.high_rxt = 1000;
	ck_assert_uint_eq(tcp_sb_pipe(&sb, 1000, 2000, MSS), 100 + 100 + 400);
	sb.high_rxt = 1100;                         /* the lost hole resent: in flight once */
	ck_assert_uint_eq(tcp_sb_pipe(&sb, 1000, 2000, MSS), 100 + 100 + 100 + 400);
	sb.high_rxt = 1300;                         /* a hole not lost, resent: twice */
	ck_assert_uint_eq(tcp_sb_pipe(&sb, 1000, 2000, MSS), 100 + 200 + 100 + 400);
	tcp_sb_clear(&sb);
	sb.high_rxt = 5000;
	ck_assert_uint_eq(tcp_sb_pipe(&sb, 5000, 9000, MSS), 4000);     /* no SACK: the flight */
}
END_TEST

START_TEST(next_seg)
{
	struct tcp_scoreboard sb;
	uint32_t seq, len;
	board(&sb, three, 3);
	sb.high_rxt = sb.rescue_rxt = 1000;
	/* Rule 1: the lost hole. */
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 1000, 2000, 1000, 0, &seq, &len), 1);
	ck_assert_uint_eq(seq, 1000);
	ck_assert_uint_eq(len, 100);                /* never into SACKed data */
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 1000, 2000, 40, 0, &seq, &len), 1);
	ck_assert_uint_eq(len, 40);                 /* at most one MSS */
	sb.high_rxt = 1040;                         /* part of it resent: the rest */
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 1000, 2000, MSS, 0, &seq, &len), 1);
	ck_assert_uint_eq(seq, 1040);
	ck_assert_uint_eq(len, 60);
	/* Resent: no lost hole is left; rule 3 takes the next hole below the
	 * highest SACKed byte, never the tail above it. */
	sb.high_rxt = 1100;
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 1000, 2000, MSS, 0, &seq, &len), 0);
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 1000, 2000, MSS, 1, &seq, &len), 3);
	ck_assert_uint_eq(seq, 1200);
	sb.high_rxt = 1500;
	/* Rule 4 only once HighACK passed RescueRxt: the highest unSACKed MSS. */
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 1000, 2000, MSS, 1, &seq, &len), 0);
	tcp_sb_advance(&sb, 1050);
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 1050, 2000, MSS, 1, &seq, &len), 4);
	ck_assert_uint_eq(seq, 1900);
	ck_assert_uint_eq(len, 100);
	/* Across the wrap. */
	const uint32_t wrap[][2] = {{0xffffffd0u, 0x10}, {0x20, 0x30}, {0x40, 0x50}};
	board(&sb, wrap, 3);
	sb.high_rxt = sb.rescue_rxt = 0xffffff00u;
	ck_assert_int_eq(tcp_sb_next_seg(&sb, 0xffffff00u, 0x100, MSS, 0, &seq, &len), 1);
	ck_assert_uint_eq(seq, 0xffffff00u);
	ck_assert_uint_eq(len, MSS);
	ck_assert_uint_eq(tcp_sb_pipe(&sb, 0xffffff00u, 0x100, MSS), 0x10 + 0x10 + 0xb0);
}
END_TEST

/* --- blocks from a hostile peer ---------------------------------------------- */

static struct tconn t;
static struct tcp_conn conn;

static void fake_conn(void)
{
	tc_init(&t, NULL);
	memset(&conn, 0, sizeof(conn));
	conn.stack = t.h.stack;
	conn.sack_ok = 1;
	conn.snd_una = 10000;
	conn.snd_max = 20000;
	conn.mss = MSS;
}

static uint32_t take(uint32_t ack, const uint32_t (*b)[2], unsigned n)
{
	struct tcp_seg seg = {.ack = ack, .n_sack = (uint8_t)n};
	memcpy(seg.sack, b, n * sizeof(b[0]));
	return tcp_sack_update(&conn, &seg, 0);
}

START_TEST(bogus_blocks)
{
	fake_conn();
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{12000, 13000}}, 1), 1000);
	/* Beyond SND.MAX, inverted, empty, straddling SND.UNA (not first),
	 * wrapped-around garbage: ignored, the board untouched. */
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{12000, 13000}, {19000, 20001}}, 2), 0);
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{12000, 13000}, {15000, 14000}}, 2), 0);
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{12000, 13000}, {15000, 15000}}, 2), 0);
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{12000, 13000}, {9000, 11000}}, 2), 0);
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{12000, 13000}, {0x90000000u, 11000}}, 2), 0);
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{30000, 0x10u}}, 1), 0);
	expect_ranges(&conn.sb, (const uint32_t[][2]){{12000, 13000}}, 1);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DSACK_RCVD), 0);
	/* D-SACK (RFC 2883): first block below the ACK, or inside the second. */
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{9000, 9500}, {12000, 13000}}, 2), 0);
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{12100, 12200}, {12000, 13000}}, 2), 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DSACK_RCVD), 2);
	expect_ranges(&conn.sb, (const uint32_t[][2]){{12000, 13000}}, 1);
	/* A peer without SACK negotiated: its blocks mean nothing. */
	conn.sack_ok = 0;
	ck_assert_uint_eq(take(10000, (const uint32_t[][2]){{14000, 15000}}, 1), 0);
	ck_assert_uint_eq(conn.sb.n, 1);
	tc_fini(&t);
}
END_TEST

START_TEST(many_blocks_stay_bounded)
{
	fake_conn();
	conn.snd_max = 10000 + 4 * 100 * TCP_SB_MAX * 2;
	/* A peer SACKing every other 100 bytes, four blocks at a time. */
	for (uint32_t i = 0; i < 2 * TCP_SB_MAX; i += 4) {
		uint32_t b[4][2];
		for (int k = 0; k < 4; k++) {
			b[k][0] = 10100 + 200 * (i + (uint32_t)k);
			b[k][1] = b[k][0] + 100;
		}
		take(10000, (const uint32_t(*)[2])b, 4);
	}
	ck_assert_uint_eq(conn.sb.n, TCP_SB_MAX);
	for (uint32_t i = 1; i < conn.sb.n; i++)
		ck_assert(seq_gt(conn.sb.r[i].start, conn.sb.r[i - 1].end));
	tc_fini(&t);
}
END_TEST

/* --- the blocks we send (RFC 2018 §4) ------------------------------------------ */

static const uint8_t sack_peer_opt[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
static const uint8_t sack_ts_peer_opt[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
static uint8_t data[2000];

/* The peer's bytes [off, off + len) ahead of its first; returns our ACK. */
static void ooo(uint32_t off, uint32_t len, struct tview *v)
{
	h_clear(&t.h);
	tc_send(&t, F_ACK, t.pnxt + off, t.snd, data + off, len);
	only_tcp(&t.h, v);
	ck_assert_uint_eq(v->ack, t.pnxt);
}

static void expect_blocks(const struct tview *v, const uint32_t (*b)[2], int n)
{
	ck_assert_int_eq(v->n_sack, n);
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(v->sack[i][0], t.pnxt + b[i][0]);
		ck_assert_uint_eq(v->sack[i][1], t.pnxt + b[i][1]);
	}
}

/* A connection whose peer's SYN carried `opt`. */
static void open_offering(const uint8_t *opt, size_t len, int active)
{
	tc_init(&t, NULL);
	t.peer_opt = opt;
	t.peer_opt_len = len;
	if (active)
		tc_active_open(&t);
	else
		tc_passive_open(&t);
}

START_TEST(block_order)
{
	struct tview v;
	open_offering(sack_peer_opt, sizeof(sack_peer_opt), 0);
	ooo(100, 100, &v);
	expect_blocks(&v, (const uint32_t[][2]){{100, 200}}, 1);
	ooo(300, 100, &v);
	expect_blocks(&v, (const uint32_t[][2]){{300, 400}, {100, 200}}, 2);
	ooo(500, 100, &v);
	ooo(700, 100, &v);
	expect_blocks(&v, (const uint32_t[][2]){{700, 800}, {500, 600}, {300, 400}, {100, 200}}, 4);
	ooo(900, 100, &v);                      /* five runs: four fit, the oldest waits */
	expect_blocks(&v, (const uint32_t[][2]){{900, 1000}, {700, 800}, {500, 600}, {300, 400}}, 4);
	ooo(400, 50, &v);                       /* grows a run: it leads */
	expect_blocks(&v, (const uint32_t[][2]){{300, 450}, {900, 1000}, {700, 800}, {500, 600}}, 4);
	ooo(150, 10, &v);                       /* inside a run held: D-SACK, then the run */
	expect_blocks(&v, (const uint32_t[][2]){{150, 160}, {100, 200}, {300, 450}, {900, 1000}}, 4);
	/* The gap fills: the ACK moves on, the runs left are still SACKed. */
	h_clear(&t.h);
	tc_send(&t, F_ACK, t.pnxt, t.snd, data, 100);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ack, t.pnxt + 200);
	ck_assert_int_eq(v.n_sack, 4);
	ck_assert_uint_eq(v.sack[0][0], t.pnxt + 300);
	tc_fini(&t);
}
END_TEST

START_TEST(three_blocks_with_timestamps)
{
	struct tview v;
	open_offering(sack_ts_peer_opt, sizeof(sack_ts_peer_opt), 0);
	for (uint32_t i = 0; i < 5; i++) {
		h_clear(&t.h);
		uint8_t ts[12] = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 0};
		tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = t.pnxt + 100 + 200 * i, .ack = t.snd,
					      .flags = F_ACK, .wnd = 65535, .opt = ts, .opt_len = 12,
					      .data = data, .len = 100});
		only_tcp(&t.h, &v);
	}
	ck_assert(v.has_ts);
	expect_blocks(&v, (const uint32_t[][2]){{900, 1000}, {700, 800}, {500, 600}}, 3);
	tc_fini(&t);
}
END_TEST

/* --- D-SACK (RFC 2883 §4) ---------------------------------------------------- */

/* The peer's bytes [off, off + len) relative to t.pnxt (may be negative):
 * our only answer, an ACK of t.pnxt + ack_off. */
static void resend(int32_t off, uint32_t len, int32_t ack_off, struct tview *v)
{
	h_clear(&t.h);
	tc_send(&t, F_ACK, t.pnxt + (uint32_t)off, t.snd, data, len);
	only_tcp(&t.h, v);
	ck_assert_uint_eq(v->ack, t.pnxt + (uint32_t)ack_off);
}

START_TEST(dsack_below_rcv_nxt)
{
	struct tview v;
	open_offering(sack_peer_opt, sizeof(sack_peer_opt), 0);
	tc_peer_data(&t, data, 300);
	/* All of it again: §4.1.1, the block is the segment. */
	resend(-300, 100, 0, &v);
	expect_blocks(&v, (const uint32_t[][2]){{-300u, -200u}}, 1);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DSACK_SENT), 1);
	/* Half old, half new: the old half only, the ACK at once. */
	resend(-50, 100, 50, &v);
	expect_blocks(&v, (const uint32_t[][2]){{-50u, 0}}, 1);
	t.pnxt += 50;
	/* Reported once: the next ACK carries no block. */
	h_clear(&t.h);
	tc_peer_data(&t, data, 100);
	h_advance(&t.h, TP_SEC(1));
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ack, t.pnxt);
	ck_assert_int_eq(v.n_sack, 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DSACK_SENT), 2);
	tc_fini(&t);
}
END_TEST

START_TEST(dsack_of_out_of_order_bytes)
{
	struct tview v;
	open_offering(sack_peer_opt, sizeof(sack_peer_opt), 0);
	ooo(100, 100, &v);
	ooo(300, 100, &v);
	ooo(500, 100, &v);
	ooo(700, 100, &v);
	/* §4.2: the duplicate, the run holding it, then the others as usual
	 * while they fit (three of four). */
	ooo(320, 80, &v);
	expect_blocks(&v, (const uint32_t[][2]){{320, 400}, {300, 400}, {700, 800}, {500, 600}}, 4);
	/* Partly new: only the bytes held before are the duplicate. */
	ooo(650, 100, &v);
	expect_blocks(&v, (const uint32_t[][2]){{700, 750}, {650, 800}, {300, 400}, {500, 600}}, 4);
	/* In order, over a run: the duplicate lies below the new ACK. */
	resend(0, 150, 200, &v);
	ck_assert_uint_eq(v.sack[0][0], t.pnxt + 100);
	ck_assert_uint_eq(v.sack[0][1], t.pnxt + 150);
	ck_assert_int_eq(v.n_sack, 4);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DSACK_SENT), 3);
	tc_fini(&t);
}
END_TEST

START_TEST(no_dsack_without_sack)
{
	static const uint8_t mss_only[] = {2, 4, 0x05, 0xb4};
	struct tview v;
	open_offering(mss_only, sizeof(mss_only), 0);
	tc_peer_data(&t, data, 200);
	resend(-200, 200, 0, &v);
	ck_assert_int_eq(v.n_sack, 0);
	ooo(300, 100, &v);
	ooo(300, 100, &v);
	ck_assert_int_eq(v.n_sack, 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DSACK_SENT), 0);
	tc_fini(&t);
}
END_TEST

/* --- a recovery that resends the hole only ------------------------------------- */

START_TEST(resends_only_the_hole)
{
	static const uint8_t peer[] = {2, 4, 0, MSS, 1, 1, 4, 2};     /* MSS 100, SACK */
	struct tview v;
	open_offering(peer, sizeof(peer), 1);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, 1000), 1000);
	ck_assert_uint_eq(count_tcp(&t.h), 10);         /* IW10 */
	h_clear(&t.h);
	uint32_t una = t.snd;
	/* Segment 2 lost: 3-10 SACKed, one ACK each. */
	tc_send(&t, F_ACK, t.pnxt, una + 100, NULL, 0);
	for (uint32_t k = 2; k < 10; k++) {
		uint8_t o[12] = {1, 1, 5, 10};
		wr32(o + 4, una + 200);
		wr32(o + 8, una + 100 * (k + 1));
		tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = t.pnxt, .ack = una + 100,
					      .flags = F_ACK, .wnd = 65535, .opt = o, .opt_len = 12});
	}
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_SACK_RECOVERY), 1);
	/* Among everything sent, [100, 200) is the only old data. */
	unsigned resent = 0;
	for (size_t i = 0; i < count_tcp(&t.h); i++) {
		nth_tcp(&t.h, i, &v);
		if (v.len && seq_lt(v.seq, una + 1000)) {
			ck_assert_uint_eq(v.seq, una + 100);
			ck_assert_uint_eq(v.len, 100);
			resent++;
		}
	}
	ck_assert_uint_eq(resent, 1);
	/* The ACK of it all ends recovery; no timeout anywhere. */
	tc_send(&t, F_ACK, t.pnxt, una + 1000, NULL, 0);
	h_advance(&t.h, TP_SEC(2));
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_RTO), 0);
	tc_fini(&t);
}
END_TEST

static Suite *sack_suite(void)
{
	Suite *s = suite_create("tcp_sack");
	TCase *tc = tcase_create("scoreboard");
	tcase_add_test(tc, insert_and_merge);
	tcase_add_test(tc, bounded_and_advanced);
	tcase_add_test(tc, is_lost);
	tcase_add_test(tc, pipe);
	tcase_add_test(tc, next_seg);
	tcase_add_test(tc, bogus_blocks);
	tcase_add_test(tc, many_blocks_stay_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("wire");
	tcase_add_test(tc, block_order);
	tcase_add_test(tc, three_blocks_with_timestamps);
	tcase_add_test(tc, dsack_below_rcv_nxt);
	tcase_add_test(tc, dsack_of_out_of_order_bytes);
	tcase_add_test(tc, no_dsack_without_sack);
	tcase_add_test(tc, resends_only_the_hole);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(sack_suite)
