/*
 * test_tcp_ts.c - the options a handshake negotiates (SACK-permitted,
 * timestamps, window scale: every combination the peer may offer, with
 * either switched off here), and timestamps at work (RFC 7323): TSval on
 * every segment, TS.Recent's update rule, PAWS with its 24-day exception,
 * RTT samples from echoes, and the MSS left for data.
 */
#include <errno.h>
#include <string.h>

#include "tcp.h"
#include "tcp_harness.h"

static struct tconn t;
static uint8_t data[3000];

/* The peer's SYN options: MSS 1460, then what `offer` asks for. */
enum { O_SACK = 1, O_TS = 2, O_WS = 4 };
static size_t peer_options(uint8_t *o, unsigned offer, uint32_t tsval)
{
	size_t n = 0;
	o[n++] = 2, o[n++] = 4, o[n++] = 0x05, o[n++] = 0xb4;
	if (offer & O_SACK)
		o[n++] = 1, o[n++] = 1, o[n++] = 4, o[n++] = 2;
	if (offer & O_TS) {
		o[n++] = 1, o[n++] = 1, o[n++] = 8, o[n++] = 10;
		wr32(o + n, tsval);
		wr32(o + n + 4, 0);
		n += 8;
	}
	if (offer & O_WS)
		o[n++] = 1, o[n++] = 3, o[n++] = 3, o[n++] = 7;
	return n;
}

static uint8_t syn_opt[40];

static void open_with(unsigned offer, uint8_t sack_cfg, uint8_t ts_cfg, int active)
{
	struct tp_stack_config cfg = {.seed = 7, .tcp_sack = sack_cfg, .tcp_timestamps = ts_cfg};
	tc_init(&t, &cfg);
	t.peer_opt = syn_opt;
	t.peer_opt_len = peer_options(syn_opt, offer, 1000);
	if (active)
		tc_active_open(&t);
	else
		tc_passive_open(&t);
}

/* A data segment from the peer carrying TSval `tsval` (and echoing 0). */
static void ts_data(uint32_t seq, uint32_t tsval, uint32_t ecr, size_t len)
{
	uint8_t o[12] = {1, 1, 8, 10};
	wr32(o + 4, tsval);
	wr32(o + 8, ecr);
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = seq, .ack = t.snd, .flags = F_ACK,
				      .wnd = 65535, .opt = o, .opt_len = 12, .data = data, .len = len});
}

START_TEST(negotiation_matrix)
{
	/* _i: bits 0-2 what the peer offers, bits 3-4 the config: 0 both on,
	 * 1 SACK off, 2 timestamps off, 3 both explicitly on. */
	unsigned offer = (unsigned)_i & 7, mode = (unsigned)_i >> 3;
	uint8_t sack_cfg = mode == 1 ? TP_OFF : mode == 3 ? 1 : 0;
	uint8_t ts_cfg = mode == 2 ? TP_OFF : mode == 3 ? 1 : 0;
	int sack = (offer & O_SACK) && sack_cfg != TP_OFF, ts = (offer & O_TS) && ts_cfg != TP_OFF;
	struct tview v;

	/* Passive: the SYN-ACK answers only what the peer offered. */
	struct tp_stack_config cfg = {.seed = 7, .tcp_sack = sack_cfg, .tcp_timestamps = ts_cfg};
	tc_init(&t, &cfg);
	t.peer_opt = syn_opt;
	t.peer_opt_len = peer_options(syn_opt, offer, 1000);
	tc_listen(&t);
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = PEER_ISS, .flags = F_SYN, .wnd = 65535,
				      .opt = syn_opt, .opt_len = t.peer_opt_len});
	only_tcp(&t.h, &v);
	ck_assert_int_eq(v.sack_ok, sack);
	ck_assert_int_eq(v.has_ts, ts);
	ck_assert_int_eq(v.wscale >= 0, !!(offer & O_WS));
	if (ts)
		ck_assert_uint_eq(v.ts_ecr, 1000);      /* RFC 7323 §3.2: echoes the SYN's TSval */
	tc_fini(&t);

	/* Active: our SYN offers everything switched on; the SYN-ACK decides. */
	open_with(offer, sack_cfg, ts_cfg, 1);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.mss, ts ? 1448 : 1460);
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, 3000), 3000);
	nth_tcp(&t.h, 0, &v);
	ck_assert_int_eq(v.has_ts, ts);
	ck_assert_uint_eq(v.len, ts ? 1448 : 1460);  /* header + options within the MSS */
	if (ts)
		ck_assert_uint_eq(v.ts_ecr, 1000);
	tc_fini(&t);

	cfg.tcp_sack = sack_cfg;
	tc_init(&t, &cfg);
	tc_connect(&t);
	tc_fini(&t);
}
END_TEST

START_TEST(our_syn_offers)
{
	struct tview v;
	for (int mode = 0; mode < 4; mode++) {
		struct tp_stack_config cfg = {.seed = 7, .tcp_sack = mode & 1 ? TP_OFF : 0,
					      .tcp_timestamps = mode & 2 ? TP_OFF : 0};
		tc_init(&t, &cfg);
		int fd = tp_sock_open(t.h.stack, TP_SOCK_STREAM);
		h_clear(&t.h);
		ck_assert_int_eq(tp_sock_connect(t.h.stack, fd, PEER_IP, PEER_PORT), -EINPROGRESS);
		only_tcp(&t.h, &v);
		ck_assert_int_eq(v.sack_ok, !(mode & 1));
		ck_assert_int_eq(v.has_ts, !(mode & 2));
		ck_assert_int_eq(v.mss, 1460);
		ck_assert_int_ge(v.wscale, 0);
		if (v.has_ts)
			ck_assert_uint_eq(v.ts_ecr, 0);     /* nothing to echo yet */
		tc_fini(&t);
	}
}
END_TEST

/* RFC 7323 §5.4: a ms clock plus a keyed per-connection offset. */
START_TEST(tsval_clock)
{
	struct tview v;
	open_with(O_TS, 0, 0, 0);
	tc_peer_data(&t, data, 0);
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, 10), 10);
	only_tcp(&t.h, &v);
	uint32_t first = v.ts_val;
	tc_send(&t, F_ACK, t.pnxt, t.snd + 10, NULL, 0);
	t.snd += 10;
	h_advance(&t.h, TP_MSEC(1500));
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, 10), 10);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ts_val - first, 1500);
	/* Not the bare clock: the offset hides the stack's uptime. */
	ck_assert_uint_ne(v.ts_val, (uint32_t)(tp_now(t.h.stack) / 1000));
	tc_fini(&t);
}
END_TEST

/* The ACK the last segment drew (at once, or after the delayed-ACK timer). */
static void ack_of(struct tview *v)
{
	if (count_tcp(&t.h) == 0)
		h_advance(&t.h, TP_MSEC(200));
	only_tcp(&t.h, v);
	h_clear(&t.h);
}

START_TEST(ts_recent_rules)
{
	struct tview v;
	open_with(O_TS | O_SACK, 0, 0, 0);
	uint32_t base = t.pnxt;
	h_clear(&t.h);
	ts_data(base, 2000, 0, 100);
	ack_of(&v);
	ck_assert_uint_eq(v.ts_ecr, 2000);
	/* Beyond a gap (SEG.SEQ > Last.ACK.sent): TS.Recent stays. */
	ts_data(base + 200, 3000, 0, 100);
	ack_of(&v);
	ck_assert_uint_eq(v.ack, base + 100);
	ck_assert_uint_eq(v.ts_ecr, 2000);
	/* The gap filled, SEG.SEQ = Last.ACK.sent: recorded. */
	ts_data(base + 100, 2500, 0, 100);
	ack_of(&v);
	ck_assert_uint_eq(v.ack, base + 300);
	ck_assert_uint_eq(v.ts_ecr, 2500);
	/* An equal TSval is not older: taken, recent unchanged. */
	ts_data(base + 300, 2500, 0, 100);
	ack_of(&v);
	ck_assert_uint_eq(v.ack, base + 400);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_PAWS_DROPS), 0);
	tc_fini(&t);
}
END_TEST

START_TEST(paws)
{
	struct tview v;
	uint8_t buf[400];
	open_with(O_TS, 0, 0, 0);
	uint32_t base = t.pnxt;
	h_clear(&t.h);
	ts_data(base, 5000, 0, 100);
	ack_of(&v);
	/* Older than TS.Recent: dropped, counted, answered with an ACK. */
	ts_data(base + 100, 4999, 0, 100);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_PAWS_DROPS), 1);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ack, base + 100);
	ck_assert_uint_eq(v.ts_ecr, 5000);
	h_clear(&t.h);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_PAWS_DROPS), 1);
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 100);
	/* Across the 2^32 wrap of the peer's clock, newer is newer. */
	ts_data(base + 100, 5000 + 0x7fffffffu, 0, 100);
	ack_of(&v);
	ck_assert_uint_eq(v.ack, base + 200);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_PAWS_DROPS), 1);
	/* After 24 days of silence TS.Recent is stale (§5.5): an old value is taken. */
	h_advance(&t.h, TP_SEC(24 * 24 * 3600 + 1));
	h_learn(&t.h, PEER_IP, PEER_MAC);       /* the ARP entry aged out meanwhile */
	ts_data(base + 200, 100, 0, 100);
	ack_of(&v);
	ck_assert_uint_eq(v.ack, base + 300);
	ck_assert_uint_eq(v.ts_ecr, 100);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_PAWS_DROPS), 1);
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 200);
	/* Without timestamps negotiated, a TSval means nothing. */
	tc_fini(&t);
	open_with(0, 0, 0, 0);
	h_clear(&t.h);
	ts_data(t.pnxt, 5000, 0, 10);
	ts_data(t.pnxt + 10, 1, 0, 10);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_PAWS_DROPS), 0);
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 20);
	tc_fini(&t);
}
END_TEST

START_TEST(rst_exempt_from_paws)
{
	open_with(O_TS, 0, 0, 0);
	h_clear(&t.h);
	ts_data(t.pnxt, 5000, 0, 0);
	uint8_t o[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0};
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = t.pnxt, .flags = F_RST, .opt = o,
				      .opt_len = 12});
	ck_assert_ptr_null(tc_state(&t));
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_PAWS_DROPS), 0);
	tc_fini(&t);
}
END_TEST

/* RTTM: an ACK echoing our TSval sent 50 ms ago is a 50 ms sample - even
 * for a retransmitted segment (Karn's ambiguity is gone). */
START_TEST(rttm_samples)
{
	struct tview v;
	struct tp_tcp_info info;
	open_with(O_TS, 0, 0, 1);
	tc_info(&t, &info);
	tp_time srtt0 = info.srtt;              /* the handshake's sample */
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, 100), 100);
	only_tcp(&t.h, &v);
	uint32_t sent_ts = v.ts_val;
	h_advance(&t.h, TP_MSEC(50));
	/* An echo of 0, and one from the future: no sample. */
	ts_data(t.pnxt, 2000, 0, 0);
	ts_data(t.pnxt, 2000, sent_ts + 10000, 0);
	tc_info(&t, &info);
	ck_assert_uint_eq(info.srtt, srtt0);
	/* The ACK of new data echoing it: one sample of 50 ms. */
	uint8_t o[12] = {1, 1, 8, 10};
	wr32(o + 4, 2001);
	wr32(o + 8, sent_ts);
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = t.pnxt, .ack = t.snd + 100,
				      .flags = F_ACK, .wnd = 65535, .opt = o, .opt_len = 12});
	t.snd += 100;
	tc_info(&t, &info);
	tp_time want = (7 * srtt0 + TP_MSEC(50)) / 8;   /* RFC 6298 §2.3 */
	ck_assert_uint_eq(info.srtt, want);
	/* A retransmission by the timer, acknowledged echoing the resend's
	 * TSval: the sample is the resend's RTT (Karn would take none). */
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, 100), 100);
	h_clear(&t.h);
	for (int ms = 0; ms < 2000 && !tp_stat(t.h.stack, TP_STAT_TCP_RTO); ms++)
		h_advance(&t.h, TP_MSEC(1));
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_RTO), 1);
	nth_tcp(&t.h, count_tcp(&t.h) - 1, &v);       /* the latest resend */
	ck_assert_uint_eq(v.len, 100);
	uint32_t resent_ts = v.ts_val;
	h_advance(&t.h, TP_MSEC(30));
	tc_info(&t, &info);
	tp_time before = info.srtt;
	wr32(o + 8, resent_ts);
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = t.pnxt, .ack = t.snd + 100,
				      .flags = F_ACK, .wnd = 65535, .opt = o, .opt_len = 12});
	tc_info(&t, &info);
	ck_assert_uint_eq(info.srtt, (7 * before + TP_MSEC(30)) / 8);
	tc_fini(&t);
}
END_TEST

static Suite *ts_suite(void)
{
	Suite *s = suite_create("tcp_ts");
	TCase *tc = tcase_create("negotiation");
	tcase_add_loop_test(tc, negotiation_matrix, 0, 32);
	tcase_add_test(tc, our_syn_offers);
	suite_add_tcase(s, tc);
	tc = tcase_create("timestamps");
	tcase_add_test(tc, tsval_clock);
	tcase_add_test(tc, ts_recent_rules);
	tcase_add_test(tc, paws);
	tcase_add_test(tc, rst_exempt_from_paws);
	tcase_add_test(tc, rttm_samples);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ts_suite)
