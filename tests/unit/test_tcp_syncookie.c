/*
 * test_tcp_syncookie.c - the SYN queue and SYN cookies (RFC 4987 §3.6):
 * a half-open child's <SYN,ACK> is retransmitted with backoff
 * tcp_syn_retries times, then the child is freed and counted; past
 * tcp_syn_backlog a SYN gets a cookie <SYN,ACK> and no state; the cookie's
 * ACK makes an established connection with the MSS, window scale and SACK
 * of the SYN; forged, damaged, misdirected and expired cookies are reset
 * (RFC 9293 §3.10.7.2) and counted.
 */
#include <string.h>

#include "tcp.h"
#include "tcp_harness.h"
#include "tcp_syncookie.h"
#include "tapir/sock.h"

static const uint64_t key[2] = {0x0123456789abcdefull, 0xfedcba9876543210ull};
static const struct syncookie_tuple tuple = {.laddr = US_IP, .raddr = PEER_IP, .lport = 80,
					     .rport = 40000, .peer_isn = 0xfffffff0u};
#define T0 TP_SEC(64 * 1000)        /* the start of a cookie period */

static struct tcp_seg syn_with(uint16_t mss, int8_t wscale, uint8_t sack_ok)
{
	struct tcp_seg s;
	memset(&s, 0, sizeof(s));
	s.mss = mss;
	s.wscale = wscale;
	s.sack_ok = sack_ok;
	return s;
}

/* --- the cookie alone ------------------------------------------------------ */

START_TEST(round_trip_every_mss_index)
{
	static const uint16_t table[8] = {64, 536, 1200, 1360, 1400, 1440, 1460, 8960};
	static const int8_t scales[] = {-1, 0, 1, 7, 14};
	for (int i = 0; i < 8; i++)
		for (size_t w = 0; w < sizeof(scales); w++)
			for (uint8_t sack = 0; sack < 2; sack++) {
				struct tcp_seg in = syn_with(table[i], scales[w], sack);
				uint32_t cookie = syncookie_make(key, T0 + TP_SEC(10), &tuple, &in);
				struct tcp_seg out = syn_with(0, 99, 99);
				/* Valid in its period and all the next one. */
				for (tp_time later = 0; later < TP_SEC(118); later += TP_SEC(20)) {
					CHECK(syncookie_check(key, T0 + TP_SEC(10) + later, &tuple, cookie, &out) == 0);
					CHECK(out.mss == table[i]);
					CHECK(out.wscale == scales[w]);
					CHECK(out.sack_ok == sack);
				}
			}
}
END_TEST

START_TEST(mss_rounds_down_never_up)
{
	ck_assert_uint_eq(syncookie_mss(0), 536);           /* none: RFC 9293 §3.7.1's default */
	ck_assert_uint_eq(syncookie_mss(1), 64);
	ck_assert_uint_eq(syncookie_mss(535), 64);
	ck_assert_uint_eq(syncookie_mss(1420), 1400);
	ck_assert_uint_eq(syncookie_mss(1460), 1460);
	ck_assert_uint_eq(syncookie_mss(8959), 1460);
	ck_assert_uint_eq(syncookie_mss(65535), 8960);
}
END_TEST

START_TEST(another_tuple_or_isn_fails)
{
	struct tcp_seg in = syn_with(1460, 7, 1), out;
	uint32_t cookie = syncookie_make(key, T0, &tuple, &in);
	ck_assert_int_eq(syncookie_check(key, T0, &tuple, cookie, &out), 0);
	struct syncookie_tuple t;
	t = tuple, t.laddr++;
	ck_assert_int_eq(syncookie_check(key, T0, &t, cookie, &out), -1);
	t = tuple, t.raddr ^= 0x100;
	ck_assert_int_eq(syncookie_check(key, T0, &t, cookie, &out), -1);
	t = tuple, t.lport++;
	ck_assert_int_eq(syncookie_check(key, T0, &t, cookie, &out), -1);
	t = tuple, t.rport--;
	ck_assert_int_eq(syncookie_check(key, T0, &t, cookie, &out), -1);
	t = tuple, t.peer_isn += 1;
	ck_assert_int_eq(syncookie_check(key, T0, &t, cookie, &out), -1);
	const uint64_t other[2] = {key[0], key[1] ^ 1};
	ck_assert_int_eq(syncookie_check(other, T0, &tuple, cookie, &out), -1);
}
END_TEST

START_TEST(tampered_cookie_fails)
{
	struct tcp_seg in = syn_with(1440, 3, 0), out;
	uint32_t cookie = syncookie_make(key, T0, &tuple, &in);
	for (int bit = 0; bit < 32; bit++)
		ck_assert_int_eq(syncookie_check(key, T0, &tuple, cookie ^ (1u << bit), &out), -1);
	ck_assert_int_eq(syncookie_check(key, T0, &tuple, cookie + 1, &out), -1);
	ck_assert_int_eq(syncookie_check(key, T0, &tuple, cookie - 1, &out), -1);
}
END_TEST

START_TEST(cookie_expires)
{
	struct tcp_seg in = syn_with(1460, 7, 1), out;
	/* Made at the start of a period: good for two periods, 128 s. */
	uint32_t early = syncookie_make(key, T0, &tuple, &in);
	ck_assert_int_eq(syncookie_check(key, T0 + TP_SEC(128) - 1, &tuple, early, &out), 0);
	ck_assert_int_eq(syncookie_check(key, T0 + TP_SEC(128), &tuple, early, &out), -1);
	ck_assert_int_eq(syncookie_check(key, T0 + TP_SEC(192), &tuple, early, &out), -1);
	/* Made at the end of one: still 64 s. */
	uint32_t late = syncookie_make(key, T0 + TP_SEC(64) - 1, &tuple, &in);
	ck_assert_int_eq(syncookie_check(key, T0 + TP_SEC(128) - 1, &tuple, late, &out), 0);
	ck_assert_int_eq(syncookie_check(key, T0 + TP_SEC(128), &tuple, late, &out), -1);
	/* Nor is one valid before its time (a clock counted backwards). */
	ck_assert_int_eq(syncookie_check(key, T0 - TP_SEC(64), &tuple, early, &out), -1);
}
END_TEST

/* --- in the stack ------------------------------------------------------------ */

static const uint8_t opt_1400_ws5_sack[] = {2, 4, 0x05, 0x78, 1, 3, 3, 5, 4, 2};

static void syn_from(struct tconn *t, uint16_t port, uint32_t isn)
{
	tcp_feed(&t->h, &(struct tseg){.sport = port, .seq = isn, .flags = F_SYN, .wnd = 65535,
				       .opt = opt_1400_ws5_sack, .opt_len = sizeof(opt_1400_ws5_sack)});
}

static void ack_from(struct tconn *t, uint16_t port, uint32_t seq, uint32_t ack, uint16_t wnd)
{
	tcp_feed(&t->h, &(struct tseg){.sport = port, .seq = seq, .ack = ack, .flags = F_ACK, .wnd = wnd});
}

struct census {
	uint32_t conns, syn_q, accept_q;
};

static void count_one(void *ctx, const struct tp_tcp_info *i)
{
	struct census *c = ctx;
	if (!strcmp(i->state, "LISTEN")) {
		c->syn_q += i->syn_q;
		c->accept_q += i->accept_q;
	} else {
		c->conns++;
	}
}

static struct census census(struct tconn *t)
{
	struct census c = {0};
	tp_tcp_foreach(t->h.stack, count_one, &c);
	return c;
}

static uint64_t stat(struct tconn *t, enum tp_stat_id id)
{
	return tp_stat(t->h.stack, id);
}

/* A listener on OUR_PORT whose SYN queue (backlog `half_open`) is filled by
 * SYNs from ports 1000.. that never complete (given up after 3 s). */
static void fill_syn_queue(struct tconn *t, uint32_t half_open, uint8_t cookies)
{
	struct tp_stack_config cfg = {.seed = 7, .tcp_syn_backlog = half_open, .tcp_syncookies = cookies,
				      .tcp_syn_retries = 1};   /* the fillers gone after 3 s */
	tc_init(t, &cfg);
	tc_listen(t);
	for (uint32_t i = 0; i < half_open; i++)
		syn_from(t, (uint16_t)(1000 + i), 5000 * i);
	ck_assert_uint_eq(count_tcp(&t->h), half_open);
	ck_assert_uint_eq(census(t).syn_q, half_open);
	h_clear(&t->h);
}

/* The peer's SYN from PEER_PORT meets the full queue: a cookie <SYN,ACK>. */
static uint32_t cookie_synack(struct tconn *t)
{
	struct census before = census(t);
	uint64_t sent = stat(t, TP_STAT_TCP_SYNCOOKIES_SENT);
	syn_from(t, PEER_PORT, PEER_ISS);
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
	ck_assert_uint_eq(v.ack, PEER_ISS + 1);
	ck_assert_int_eq(v.mss, 1460);              /* ours, as any <SYN,ACK> */
	ck_assert_int_ge(v.wscale, 0);              /* offered, since the peer did */
	ck_assert_uint_eq(v.wnd, 65535);
	ck_assert_uint_eq(stat(t, TP_STAT_TCP_SYNCOOKIES_SENT), sent + 1);
	/* No state: not a connection more, not a queue entry more. */
	struct census after = census(t);
	ck_assert_uint_eq(after.conns, before.conns);
	ck_assert_uint_eq(after.syn_q, before.syn_q);
	ck_assert_ptr_null(tc_state(t));
	h_clear(&t->h);
	return v.seq;
}

START_TEST(synack_retransmitted_with_backoff_then_freed)
{
	struct tp_stack_config cfg = {.seed = 7, .tcp_syn_retries = 3};
	struct tconn t;
	tc_init(&t, &cfg);
	tc_listen(&t);
	syn_from(&t, PEER_PORT, PEER_ISS);
	struct tview first;
	only_tcp(&t.h, &first);
	ck_assert_uint_eq(census(&t).syn_q, 1);
	h_clear(&t.h);
	/* RFC 6298 §5.5: 1 s, then doubling: at +1, +3, +7 s. */
	static const tp_time gaps[] = {TP_SEC(1), TP_SEC(2), TP_SEC(4)};
	for (size_t i = 0; i < 3; i++) {
		h_advance(&t.h, gaps[i] - TP_MSEC(1));
		ck_assert_uint_eq(count_tcp(&t.h), 0);
		h_advance(&t.h, TP_MSEC(1));
		struct tview v;
		only_tcp(&t.h, &v);
		ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
		ck_assert_uint_eq(v.seq, first.seq);
		ck_assert_uint_eq(v.ack, PEER_ISS + 1);
		h_clear(&t.h);
	}
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_RETRANS), 3);
	/* After the last, 8 s more: the child is given up, silently. */
	h_advance(&t.h, TP_SEC(8) - TP_MSEC(1));
	ck_assert_str_eq(tc_state(&t), "SYN_RECEIVED");
	h_advance(&t.h, TP_MSEC(1));
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_ptr_null(tc_state(&t));
	struct census c = census(&t);
	ck_assert_uint_eq(c.conns, 0);
	ck_assert_uint_eq(c.syn_q, 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_TIMEOUTS), 1);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_ATTEMPT_FAILS), 1);
	/* The queue has room again: the next SYN gets a child of its own. */
	syn_from(&t, PEER_PORT, PEER_ISS + 1000);
	ck_assert_str_eq(tc_state(&t), "SYN_RECEIVED");
	tc_fini(&t);
}
END_TEST

START_TEST(full_queue_answers_with_cookie_then_connects)
{
	struct tconn t;
	fill_syn_queue(&t, 2, 0);
	uint32_t cookie = cookie_synack(&t);
	/* The ACK: window 100 << 5, and data riding on it. */
	tcp_feed(&t.h, &(struct tseg){.seq = PEER_ISS + 1, .ack = cookie + 1, .flags = F_ACK | F_PSH,
				      .wnd = 100, .data = "hello", .len = 5});
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_VALID), 1);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_FAILED), 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_PASSIVE_OPENS), 1);
	ck_assert_uint_eq(census(&t).syn_q, 2);     /* the half-open fillers, untouched */
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	t.fd = tp_sock_accept(t.h.stack, t.lfd, NULL, NULL);
	ck_assert_int_ge(t.fd, 0);
	t.lport = OUR_PORT;
	t.iss = cookie;
	t.snd = cookie + 1;
	t.pnxt = PEER_ISS + 6;
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.mss, 1400);          /* the peer's, from the cookie */
	ck_assert_uint_eq(info.snd_wnd, 100u << 5);  /* its window scale, from the cookie */
	char buf[16];
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "hello", 5);

	/* Both ways: 3000 bytes out in segments of at most 1400, the first
	 * flight 2800 bytes: what fits the peer's 3200-byte window. */
	uint8_t out[3000];
	fill_pattern(out, sizeof(out), 3);
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, out, sizeof(out)), 3000);
	size_t got = 0;
	for (int flight = 0; flight < 2; flight++) {
		for (size_t i = 0; i < count_tcp(&t.h); i++) {
			struct tview v;
			nth_tcp(&t.h, i, &v);
			ck_assert_uint_le(v.len, 1400);
			ck_assert_uint_eq(v.seq, t.snd);
			ck_assert_mem_eq(v.data, out + got, v.len);
			/* Our window, scaled by the shift our <SYN,ACK> offered. */
			ck_assert_uint_eq(v.wnd, (256u * 1024) >> tcp_wscale_for(256 * 1024));
			got += v.len;
			t.snd += (uint32_t)v.len;
		}
		ck_assert_uint_eq(got, flight ? 3000 : 2800);
		h_clear(&t.h);
		tc_peer_ack(&t);
	}
	tc_peer_data(&t, "world", 5);
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "world", 5);
	tc_fini(&t);
}
END_TEST

START_TEST(cookie_remembers_no_window_scale)
{
	struct tconn t;
	fill_syn_queue(&t, 1, 0);
	static const uint8_t mss_only[] = {2, 4, 0x02, 0x18};   /* 536, no WS, no SACK */
	tcp_feed(&t.h, &(struct tseg){.seq = PEER_ISS, .flags = F_SYN, .wnd = 65535, .opt = mss_only,
				      .opt_len = sizeof(mss_only)});
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_int_eq(v.wscale, -1);             /* RFC 7323 §1.3: none offered, none answered */
	ack_from(&t, PEER_PORT, PEER_ISS + 1, v.seq + 1, 5000);
	struct tp_tcp_info info;
	t.lport = OUR_PORT;
	tc_info(&t, &info);
	ck_assert_str_eq(info.state, "ESTABLISHED");
	ck_assert_uint_eq(info.mss, 536);
	ck_assert_uint_eq(info.snd_wnd, 5000);       /* unscaled */
	tc_fini(&t);
}
END_TEST

/* RFC 9293 §3.10.7.2: an ACK to a listener draws <SEQ=SEG.ACK><CTL=RST>. */
static void assert_reset_for(struct tconn *t, uint16_t port, uint32_t ack)
{
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_RST);
	ck_assert_uint_eq(v.dport, port);
	ck_assert_uint_eq(v.seq, ack);
	h_clear(&t->h);
}

START_TEST(bogus_acks_are_reset_and_counted)
{
	struct tconn t;
	fill_syn_queue(&t, 2, 0);
	uint32_t cookie = cookie_synack(&t);
	/* A guess, a damaged cookie, the right cookie from the wrong port,
	 * with the wrong sequence number (another ISN). */
	ack_from(&t, PEER_PORT, PEER_ISS + 1, 0x12345678, 1000);
	assert_reset_for(&t, PEER_PORT, 0x12345678);
	ack_from(&t, PEER_PORT, PEER_ISS + 1, (cookie ^ 0x400) + 1, 1000);
	assert_reset_for(&t, PEER_PORT, (cookie ^ 0x400) + 1);
	ack_from(&t, PEER_PORT + 1, PEER_ISS + 1, cookie + 1, 1000);
	assert_reset_for(&t, PEER_PORT + 1, cookie + 1);
	ack_from(&t, PEER_PORT, PEER_ISS + 2, cookie + 1, 1000);
	assert_reset_for(&t, PEER_PORT, cookie + 1);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_FAILED), 4);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_VALID), 0);
	ck_assert_uint_eq(census(&t).conns, 2);
	/* A <SYN,ACK> carrying the cookie is not its answer either. */
	tcp_feed(&t.h, &(struct tseg){.seq = PEER_ISS, .ack = cookie + 1, .flags = F_SYN | F_ACK});
	assert_reset_for(&t, PEER_PORT, cookie + 1);
	/* The real answer still works. */
	ack_from(&t, PEER_PORT, PEER_ISS + 1, cookie + 1, 1000);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	t.lport = OUR_PORT;
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_VALID), 1);
	tc_fini(&t);
}
END_TEST

START_TEST(no_cookie_checked_without_a_recent_flood)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_listen(&t);
	ack_from(&t, PEER_PORT, 1, 0x12345678, 1000);
	assert_reset_for(&t, PEER_PORT, 0x12345678);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_FAILED), 0);
	tc_fini(&t);
}
END_TEST

START_TEST(expired_cookie_is_reset)
{
	struct tconn t;
	fill_syn_queue(&t, 1, 0);
	uint32_t cookie = cookie_synack(&t);
	/* 130 s later, with the flood still on (a cookie for another peer a
	 * moment ago, so cookies are still being checked). */
	h_advance(&t.h, TP_SEC(130));
	h_learn(&t.h, PEER_IP, PEER_MAC);
	syn_from(&t, 2000, 1);              /* the filler timed out: a child again */
	syn_from(&t, 2001, 1);              /* and this one a cookie */
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_SENT), 2);
	h_clear(&t.h);
	ack_from(&t, PEER_PORT, PEER_ISS + 1, cookie + 1, 1000);
	assert_reset_for(&t, PEER_PORT, cookie + 1);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_FAILED), 1);
	ck_assert_ptr_null(tc_state(&t));
	tc_fini(&t);
}
END_TEST

START_TEST(cookies_off_drops_the_syn)
{
	struct tconn t;
	fill_syn_queue(&t, 2, TP_OFF);
	syn_from(&t, PEER_PORT, PEER_ISS);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_DROP_SYN_QUEUE), 1);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_SENT), 0);
	tc_fini(&t);
}
END_TEST

START_TEST(full_accept_queue_drops_syn_and_cookie_ack)
{
	struct tconn t;
	fill_syn_queue(&t, 1, 0);
	uint32_t cookie = cookie_synack(&t);
	/* The backlog goes down to 1, and a connection fills it. */
	ck_assert_int_eq(tp_sock_listen(t.h.stack, t.lfd, 1), 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_DROP_ACCEPT_QUEUE), 0);
	h_advance(&t.h, TP_SEC(4));         /* the filler times out: room for one child */
	h_learn(&t.h, PEER_IP, PEER_MAC);
	syn_from(&t, 3000, 77);
	struct tview v;
	only_tcp(&t.h, &v);
	ack_from(&t, 3000, 78, v.seq + 1, 1000);
	ck_assert_uint_eq(census(&t).accept_q, 1);
	h_clear(&t.h);
	/* A SYN now is dropped, counted, whether the SYN queue has room or not. */
	syn_from(&t, 3001, 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_DROP_ACCEPT_QUEUE), 1);
	/* The valid cookie's ACK too: silently, so its retransmission may
	 * get in later. */
	ack_from(&t, PEER_PORT, PEER_ISS + 1, cookie + 1, 1000);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_DROP_ACCEPT_QUEUE), 2);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_VALID), 1);
	ck_assert_ptr_null(tc_state(&t));
	/* Accepted, the queue frees: the same ACK again gets in. */
	ck_assert_int_ge(tp_sock_accept(t.h.stack, t.lfd, NULL, NULL), 0);
	ack_from(&t, PEER_PORT, PEER_ISS + 1, cookie + 1, 1000);
	t.lport = OUR_PORT;
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	tc_fini(&t);
}
END_TEST

/* RFC 4987 §3.6: the cookie stands for the SYN, so a valid cookie ACK the
 * memory budget refuses is dropped without a RST and gets in when the peer
 * retransmits it once memory is free; the data and FIN it carries are taken
 * as on any ACK that completes a handshake (RFC 9293 §3.10.7.4). */
START_TEST(cookie_ack_waits_for_memory_and_keeps_data_and_fin)
{
	struct tp_stack_config cfg = {.seed = 7, .tcp_syn_backlog = 1, .tcp_mem_limit = 1};
	struct tconn t;
	tc_init(&t, &cfg);
	tc_listen(&t);
	syn_from(&t, 1000, 0);                  /* the SYN queue is full */
	h_clear(&t.h);
	struct tview a, b;
	syn_from(&t, 2000, 100);
	only_tcp(&t.h, &a);
	h_clear(&t.h);
	syn_from(&t, PEER_PORT, PEER_ISS);
	only_tcp(&t.h, &b);
	h_clear(&t.h);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_SENT), 2);
	/* The first cookie's ACK brings data: its buffer spends the budget. */
	tcp_feed(&t.h, &(struct tseg){.sport = 2000, .seq = 101, .ack = a.seq + 1, .flags = F_ACK | F_PSH,
				      .wnd = 100, .data = "hello", .len = 5});
	ck_assert(tcp_mem_pressure(t.h.stack));
	int first = tp_sock_accept(t.h.stack, t.lfd, NULL, NULL);
	ck_assert_int_ge(first, 0);
	h_clear(&t.h);
	/* The second's, with data and a FIN: valid, refused, unanswered, no state. */
	struct tseg ack = {.seq = PEER_ISS + 1, .ack = b.seq + 1, .flags = F_ACK | F_PSH | F_FIN, .wnd = 100,
			   .data = "bye", .len = 3};
	tcp_feed(&t.h, &ack);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_SYNCOOKIES_VALID), 2);
	ck_assert_uint_eq(stat(&t, TP_STAT_TCP_DROP_MEM_LIMIT), 1);
	t.lport = OUR_PORT;
	ck_assert_ptr_null(tc_state(&t));
	/* The first connection read, its buffer is freed: the retransmitted
	 * ACK opens the connection, its data and FIN taken and acknowledged. */
	char buf[16];
	ck_assert_int_eq(tp_sock_recv(t.h.stack, first, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert(!tcp_mem_pressure(t.h.stack));
	h_clear(&t.h);
	tcp_feed(&t.h, &ack);
	ck_assert_str_eq(tc_state(&t), "CLOSE_WAIT");
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_ACK);
	ck_assert_uint_eq(v.seq, b.seq + 1);
	ck_assert_uint_eq(v.ack, PEER_ISS + 5);
	t.fd = tp_sock_accept(t.h.stack, t.lfd, NULL, NULL);
	ck_assert_int_ge(t.fd, 0);
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "bye", 3);
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 0);
	tc_fini(&t);
}
END_TEST

static Suite *syncookie_suite(void)
{
	Suite *s = suite_create("tcp_syncookie");
	TCase *tc = tcase_create("cookie");
	tcase_add_test(tc, round_trip_every_mss_index);
	tcase_add_test(tc, mss_rounds_down_never_up);
	tcase_add_test(tc, another_tuple_or_isn_fails);
	tcase_add_test(tc, tampered_cookie_fails);
	tcase_add_test(tc, cookie_expires);
	suite_add_tcase(s, tc);
	tc = tcase_create("listener");
	tcase_add_test(tc, synack_retransmitted_with_backoff_then_freed);
	tcase_add_test(tc, full_queue_answers_with_cookie_then_connects);
	tcase_add_test(tc, cookie_remembers_no_window_scale);
	tcase_add_test(tc, bogus_acks_are_reset_and_counted);
	tcase_add_test(tc, no_cookie_checked_without_a_recent_flood);
	tcase_add_test(tc, expired_cookie_is_reset);
	tcase_add_test(tc, cookies_off_drops_the_syn);
	tcase_add_test(tc, full_accept_queue_drops_syn_and_cookie_ack);
	tcase_add_test(tc, cookie_ack_waits_for_memory_and_keeps_data_and_fin);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(syncookie_suite)
