/*
 * test_tcp_output.c - what the stack sends and when: delayed ACKs (RFC 1122
 * §4.2.3.2, RFC 5681 §4.2), Nagle and TCP_NODELAY (RFC 896, RFC 9293
 * §3.7.4), window scaling only when both SYNs carry it (RFC 7323 §1.3,
 * §2.2), and the MSS option from the MTU (RFC 9293 §3.7.1, RFC 6691).
 */
#include <errno.h>
#include <string.h>

#include "tcp_harness.h"

static uint8_t payload[8192];

/* --- delayed ACK ------------------------------------------------------------------ */

START_TEST(delayed_ack_after_one_segment)
{
	struct tconn t;
	tc_init(&t, NULL);                  /* tcp_delack 40 ms by default */
	tc_passive_open(&t);
	fill_pattern(payload, sizeof(payload), 1);
	tc_peer_data(&t, payload, 1460);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, TP_MSEC(40) - 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, 1);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_ACK);
	ck_assert_uint_eq(v.ack, t.pnxt);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DELAYED_ACKS), 1);
	tc_fini(&t);
}
END_TEST

START_TEST(delayed_ack_follows_config)
{
	struct tconn t;
	tc_init(&t, &(struct tp_stack_config){.seed = 7, .tcp_delack = TP_MSEC(100)});
	tc_passive_open(&t);
	tc_peer_data(&t, payload, 10);      /* a small segment waits too */
	h_advance(&t.h, TP_MSEC(100) - 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, 1);
	ck_assert_uint_eq(count_tcp(&t.h), 1);
	tc_fini(&t);
}
END_TEST

/* "An ACK SHOULD be generated for at least every second full-sized segment." */
START_TEST(immediate_ack_on_second_full_segment)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	tc_peer_data(&t, payload, 1460);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	tc_peer_data(&t, payload + 1460, 1460);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ack, t.pnxt);
	/* And the delayed-ACK timer is gone: nothing more comes. */
	h_clear(&t.h);
	h_advance(&t.h, TP_SEC(1));
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DELAYED_ACKS), 0);
	tc_fini(&t);
}
END_TEST

/* Data of our own going out carries the ACK: no separate one later. */
START_TEST(ack_rides_on_data)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	tc_peer_data(&t, payload, 100);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, "reply", 5), 5);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.len, 5);
	ck_assert_uint_eq(v.ack, t.pnxt);
	h_clear(&t.h);
	h_advance(&t.h, TP_MSEC(100));
	ck_assert_uint_eq(count_tcp(&t.h), 0);      /* no delayed ACK left over */
	tc_fini(&t);
}
END_TEST

/* --- Nagle ------------------------------------------------------------------------- */

START_TEST(nagle_holds_small_segment_while_unacked)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_active_open(&t);
	struct tp_stack *s = t.h.stack;
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload, 100), 100);
	ck_assert_uint_eq(count_tcp(&t.h), 1);      /* nothing in flight: it goes */
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload + 100, 100), 100);
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload + 200, 50), 50);
	ck_assert_uint_eq(count_tcp(&t.h), 0);      /* held: 100 bytes unacknowledged */
	t.snd += 100;
	tc_peer_ack(&t);
	struct tview v;
	only_tcp(&t.h, &v);                         /* both small writes, coalesced */
	ck_assert_uint_eq(v.seq, t.snd);
	ck_assert_uint_eq(v.len, 150);
	ck_assert_mem_eq(v.data, payload + 100, 150);
	tc_fini(&t);
}
END_TEST

/* A full segment is never held by Nagle, only the small tail. */
START_TEST(nagle_sends_full_segments)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_active_open(&t);
	struct tp_stack *s = t.h.stack;
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload, 100), 100);
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload + 100, 3000), 3000);
	ck_assert_uint_eq(count_tcp(&t.h), 2);      /* 2 x 1460 go, 80 wait */
	struct tview v;
	nth_tcp(&t.h, 1, &v);
	ck_assert_uint_eq(v.len, 1460);
	tc_fini(&t);
}
END_TEST

START_TEST(nodelay_releases_small_segments)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_active_open(&t);
	struct tp_stack *s = t.h.stack;
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload, 100), 100);
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload + 100, 30), 30);
	ck_assert_uint_eq(count_tcp(&t.h), 1);      /* Nagle holds the 30 */
	/* Turning Nagle off sends what it held at once... */
	ck_assert_int_eq(tp_sock_setopt(s, t.fd, TP_TCP_NODELAY, 1), 0);
	ck_assert_uint_eq(count_tcp(&t.h), 2);
	struct tview v;
	nth_tcp(&t.h, 1, &v);
	ck_assert_uint_eq(v.len, 30);
	ck_assert_uint_eq(v.seq, t.snd + 100);
	/* ...and each later small write goes as it is made. */
	ck_assert_int_eq(tp_sock_send(s, t.fd, payload + 130, 7), 7);
	ck_assert_uint_eq(count_tcp(&t.h), 3);
	nth_tcp(&t.h, 2, &v);
	ck_assert_uint_eq(v.len, 7);
	int on = 0;
	tp_sock_getopt(s, t.fd, TP_TCP_NODELAY, &on);
	ck_assert_int_eq(on, 1);
	tc_fini(&t);
}
END_TEST

/* --- window scaling ------------------------------------------------------------------ */

static const uint8_t mss_ws5[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 5};
static const uint8_t mss_ws2[] = {2, 4, 0x05, 0xb4, 1, 3, 3, 2};

/* Our shift for the default 256 KiB buffer: the smallest that fits it in
 * 16 bits. */
#define OUR_SHIFT 3

START_TEST(wscale_passive_both_offer)
{
	struct tconn t;
	tc_init(&t, NULL);
	t.peer_opt = mss_ws5;
	t.peer_opt_len = sizeof(mss_ws5);
	tc_listen(&t);
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.seq = PEER_ISS, .flags = F_SYN, .wnd = 65535, .opt = mss_ws5,
				      .opt_len = sizeof(mss_ws5)});
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_int_eq(v.wscale, OUR_SHIFT);
	ck_assert_uint_eq(v.wnd, 65535);            /* a SYN's window is never scaled */
	t.iss = v.seq;
	t.snd = v.seq + 1;
	t.pnxt = PEER_ISS + 1;
	h_clear(&t.h);
	t.peer_wnd = 1000;                          /* means 1000 << 5 */
	tc_peer_ack(&t);
	t.fd = tp_sock_accept(t.h.stack, t.lfd, NULL, NULL);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 1000u << 5);
	/* Our window field is shifted: 256 KiB free reads 32768. */
	tc_peer_data(&t, payload, 1460);
	tc_peer_data(&t, payload, 1460);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.wnd, (256 * 1024 - 2 * 1460) >> OUR_SHIFT);
	tc_fini(&t);
}
END_TEST

START_TEST(wscale_passive_peer_silent)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_listen(&t);
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.seq = PEER_ISS, .flags = F_SYN, .wnd = 65535,
				      .opt = t.peer_opt, .opt_len = t.peer_opt_len});
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_int_eq(v.wscale, -1);             /* not offered back */
	t.iss = v.seq;
	t.snd = v.seq + 1;
	t.pnxt = PEER_ISS + 1;
	h_clear(&t.h);
	t.peer_wnd = 1000;
	tc_peer_ack(&t);
	t.fd = tp_sock_accept(t.h.stack, t.lfd, NULL, NULL);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 1000);      /* taken as it is */
	tc_peer_data(&t, payload, 1460);
	tc_peer_data(&t, payload, 1460);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.wnd, 65535);            /* unscaled: 256 KiB free shows as 65535 */
	tc_fini(&t);
}
END_TEST

START_TEST(wscale_active_peer_declines)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_connect(&t);
	struct tview v;
	/* Our SYN offered it (checked on the captured SYN in tc_connect's run). */
	h_clear(&t.h);
	t.peer_wnd = 2000;
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = PEER_ISS, .ack = t.snd,
				      .flags = F_SYN | F_ACK, .wnd = 2000, .opt = t.peer_opt,
				      .opt_len = t.peer_opt_len});
	t.pnxt = PEER_ISS + 1;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.wnd, 65535);            /* no scaling either way */
	h_clear(&t.h);
	tc_peer_ack(&t);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 2000);
	tc_fini(&t);
}
END_TEST

START_TEST(wscale_active_both_offer)
{
	struct tconn t;
	tc_init(&t, NULL);
	struct tp_stack *s = t.h.stack;
	t.fd = tp_sock_open(s, TP_SOCK_STREAM);
	ck_assert_int_eq(tp_sock_connect(s, t.fd, PEER_IP, PEER_PORT), -EINPROGRESS);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_SYN);
	ck_assert_int_eq(v.wscale, OUR_SHIFT);      /* always offered on our SYN */
	t.lport = v.sport;
	t.iss = v.seq;
	t.snd = v.seq + 1;
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = PEER_ISS, .ack = t.snd,
				      .flags = F_SYN | F_ACK, .wnd = 2000, .opt = mss_ws2,
				      .opt_len = sizeof(mss_ws2)});
	t.pnxt = PEER_ISS + 1;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.wnd, (256 * 1024) >> OUR_SHIFT);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 2000);      /* the SYN-ACK's own window: unscaled */
	t.peer_wnd = 2000;
	tc_peer_ack(&t);
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 2000u << 2);
	tc_fini(&t);
}
END_TEST

/* RFC 9293 §3.10.7.4 (SND.WL1/WL2): a window is taken only from a segment
 * newer than the one that set the current window; an older one overtaken
 * on the way carries a stale window. */
START_TEST(stale_segment_does_not_update_window)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	uint32_t first = t.pnxt;
	tcp_feed(&t.h, &(struct tseg){.seq = first + 100, .ack = t.snd, .flags = F_ACK,
				      .wnd = 5000, .data = payload, .len = 100});
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 5000);
	tcp_feed(&t.h, &(struct tseg){.seq = first, .ack = t.snd, .flags = F_ACK, .wnd = 1000,
				      .data = payload, .len = 100});
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 5000);      /* sent earlier: its window is older */
	/* A newer segment (with the same ACK) does update it, even downwards. */
	tcp_feed(&t.h, &(struct tseg){.seq = first + 200, .ack = t.snd, .flags = F_ACK, .wnd = 3000});
	tc_info(&t, &info);
	ck_assert_uint_eq(info.snd_wnd, 3000);
	tc_fini(&t);
}
END_TEST

/* --- MSS -------------------------------------------------------------------------- */

static int syn_mss(uint16_t mtu, int maxseg)
{
	struct harness h;
	struct tp_netif_config nc = h_netif_config();
	nc.mtu = mtu;
	h_setup(&h, &(struct tp_stack_config){.seed = 7, .start_time = TP_SEC(1000)}, &nc);
	h_learn(&h, PEER_IP, PEER_MAC);
	int fd = tp_sock_open(h.stack, TP_SOCK_STREAM);
	if (maxseg)
		ck_assert_int_eq(tp_sock_setopt(h.stack, fd, TP_TCP_MAXSEG, maxseg), 0);
	ck_assert_int_eq(tp_sock_connect(h.stack, fd, PEER_IP, PEER_PORT), -EINPROGRESS);
	struct tview v;
	only_tcp(&h, &v);
	ck_assert_uint_eq(v.flags, F_SYN);
	ck_assert(v.df);
	h_fini(&h);
	return v.mss;
}

START_TEST(mss_option_from_mtu)
{
	ck_assert_int_eq(syn_mss(1500, 0), 1460);
	ck_assert_int_eq(syn_mss(1400, 0), 1360);
	ck_assert_int_eq(syn_mss(576, 0), 536);
	ck_assert_int_eq(syn_mss(9000, 0), 8960);
	ck_assert_int_eq(syn_mss(1500, 1000), 1000);    /* TCP_MAXSEG lowers it */
	ck_assert_int_eq(syn_mss(1400, 1450), 1360);    /* ...never raises it */
}
END_TEST

/* Segments follow the smaller of the peer's MSS and ours. */
static void segment_sizes(const uint8_t *peer_opt, size_t opt_len, uint16_t expect)
{
	struct tconn t;
	tc_init(&t, NULL);
	t.peer_opt = peer_opt;
	t.peer_opt_len = opt_len;
	tc_active_open(&t);
	ck_assert_int_eq(tp_sock_setopt(t.h.stack, t.fd, TP_TCP_NODELAY, 1), 0);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, payload, 3 * expect), 3 * expect);
	ck_assert_uint_eq(count_tcp(&t.h), 3);
	for (size_t i = 0; i < 3; i++) {
		struct tview v;
		nth_tcp(&t.h, i, &v);
		ck_assert_uint_eq(v.len, expect);
		ck_assert_uint_eq(v.seq, t.snd + i * expect);
	}
	tc_fini(&t);
}

START_TEST(segments_follow_peer_mss)
{
	static const uint8_t mss536[] = {2, 4, 0x02, 0x18};
	static const uint8_t mss9000[] = {2, 4, 0x23, 0x28};
	segment_sizes(mss536, sizeof(mss536), 536);
	segment_sizes(mss9000, sizeof(mss9000), 1460);  /* ours is the smaller */
	segment_sizes(NULL, 0, 536);                    /* none: RFC 9293 §3.7.1's 536 */
}
END_TEST

static Suite *output_suite(void)
{
	Suite *s = suite_create("tcp_output");
	TCase *tc = tcase_create("delack");
	tcase_add_test(tc, delayed_ack_after_one_segment);
	tcase_add_test(tc, delayed_ack_follows_config);
	tcase_add_test(tc, immediate_ack_on_second_full_segment);
	tcase_add_test(tc, ack_rides_on_data);
	suite_add_tcase(s, tc);
	tc = tcase_create("nagle");
	tcase_add_test(tc, nagle_holds_small_segment_while_unacked);
	tcase_add_test(tc, nagle_sends_full_segments);
	tcase_add_test(tc, nodelay_releases_small_segments);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_add_test(tc, wscale_passive_both_offer);
	tcase_add_test(tc, wscale_passive_peer_silent);
	tcase_add_test(tc, wscale_active_peer_declines);
	tcase_add_test(tc, wscale_active_both_offer);
	tcase_add_test(tc, stale_segment_does_not_update_window);
	tcase_add_test(tc, mss_option_from_mtu);
	tcase_add_test(tc, segments_follow_peer_mss);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(output_suite)
