/*
 * test_tcp_icmp.c - ICMP errors about our segments (RFC 1122 §4.2.3.9,
 * RFC 5927, RFC 1191): a port unreachable refuses a connect; soft errors
 * never abort; errors quoting a sequence number we have not in flight are
 * ignored; "fragmentation needed" lowers the segment size.
 */
#include <errno.h>
#include <string.h>

#include "tcp_harness.h"

/* An ICMP destination unreachable from `from`, quoting the IP header and
 * first 8 TCP bytes of a segment we sent with sequence number `seq`. */
static void icmp_about(struct tconn *t, tp_ip4 from, uint8_t code, uint16_t mtu, uint32_t seq)
{
	uint8_t quote[IP_LEN + 8], msg[ICMP_LEN + sizeof(quote)];
	ip_header(quote, &(struct ip_spec){.src = US_IP, .dst = PEER_IP, .proto = 6}, 40);
	wr16(quote + IP_LEN, t->lport);
	wr16(quote + IP_LEN + 2, PEER_PORT);
	wr32(quote + IP_LEN + 4, seq);
	size_t n = icmp_msg(msg, 3, code, mtu, quote, sizeof(quote));
	struct frame f;
	frame_ipv4(&f, &(struct ip_spec){.src = from, .proto = 1}, msg, n);
	h_input(&t->h, &f);
}

static int so_error(struct tconn *t)
{
	int err = -1;
	ck_assert_int_eq(tp_sock_getopt(t->h.stack, t->fd, TP_SO_ERROR, &err), 0);
	return err;
}

START_TEST(port_unreachable_refuses_connect)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_connect(&t);
	icmp_about(&t, PEER_IP, 3, 0, t.iss);
	ck_assert_ptr_null(tc_state(&t));
	ck_assert_int_eq(so_error(&t), ECONNREFUSED);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_ATTEMPT_FAILS), 1);
	tc_fini(&t);
}
END_TEST

/* A router's "host unreachable" while connecting is soft: the SYN keeps
 * being retried, nothing shows on the socket yet. */
START_TEST(host_unreachable_is_soft_while_connecting)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_connect(&t);
	icmp_about(&t, GW_IP, 1, 0, t.iss);
	ck_assert_str_eq(tc_state(&t), "SYN_SENT");
	ck_assert_int_eq(tp_sock_events(t.h.stack, t.fd) & TP_EV_ERR, 0);
	h_advance(&t.h, TP_SEC(1));
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_SYN);          /* retried */
	tc_fini(&t);
}
END_TEST

/* RFC 5927 §4.1: in a synchronized state even "hard" errors are not taken
 * as fatal; an attacker would need only a port number to kill connections. */
START_TEST(errors_never_abort_established)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_active_open(&t);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, "abc", 3), 3);
	for (uint8_t code = 0; code <= 5; code++) {
		if (code == 4)
			continue;                   /* fragmentation needed: below */
		icmp_about(&t, PEER_IP, code, 0, t.snd);
		ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
		ck_assert_int_eq(tp_sock_events(t.h.stack, t.fd) & TP_EV_ERR, 0);
	}
	ck_assert_int_eq(so_error(&t), 0);
	tc_fini(&t);
}
END_TEST

/* An error quoting a sequence number outside SND.UNA..SND.NXT is a guess or
 * a leftover: ignored and counted. */
START_TEST(error_outside_flight_ignored)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_connect(&t);
	icmp_about(&t, PEER_IP, 3, 0, t.iss + 12345);
	ck_assert_str_eq(tc_state(&t), "SYN_SENT");
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_ICMP_IGNORED), 1);
	tc_fini(&t);

	tc_init(&t, NULL);
	tc_active_open(&t);
	icmp_about(&t, PEER_IP, 4, 600, t.snd - 1000);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_ICMP_IGNORED), 1);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.mss, 1460);
	tc_fini(&t);
}
END_TEST

/* RFC 1191: "fragmentation needed" with a next-hop MTU lowers the MSS;
 * what goes out next (new data and retransmissions) fits it. */
START_TEST(fragmentation_needed_lowers_mss)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_active_open(&t);
	struct tp_stack *s = t.h.stack;
	static uint8_t data[6000];
	fill_pattern(data, sizeof(data), 3);
	ck_assert_int_eq(tp_sock_setopt(s, t.fd, TP_TCP_NODELAY, 1), 0);
	ck_assert_int_eq(tp_sock_send(s, t.fd, data, 1460), 1460);
	h_clear(&t.h);
	icmp_about(&t, GW_IP, 4, 1000, t.snd);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.mss, 960);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	/* The segment that did not fit goes again, cut to the new size, and so
	 * does everything after it; the peer acknowledges what arrives. */
	ck_assert_int_eq(tp_sock_send(s, t.fd, data + 1460, 3000), 3000);
	size_t covered = 0;
	for (int round = 0; round < 20 && covered < 4460; round++) {
		for (size_t i = 0; i < count_tcp(&t.h); i++) {
			struct tview v;
			nth_tcp(&t.h, i, &v);
			ck_assert_uint_le(v.len, 960);
			if (v.len && v.seq == t.snd + covered) {
				ck_assert_mem_eq(v.data, data + covered, v.len);
				covered += v.len;
			}
		}
		h_clear(&t.h);
		tc_send(&t, F_ACK, t.pnxt, t.snd + (uint32_t)covered, NULL, 0);
		if (!count_tcp(&t.h))
			h_advance(&t.h, tp_next_deadline(t.h.stack) - t.h.now);
	}
	ck_assert_uint_eq(covered, 4460);
	tc_fini(&t);
}
END_TEST

/* An MTU below what IPv4 guarantees (68) is ignored. */
START_TEST(absurd_mtu_ignored)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_active_open(&t);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, "abc", 3), 3);
	icmp_about(&t, GW_IP, 4, 40, t.snd);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.mss, 1460);
	tc_fini(&t);
}
END_TEST

static Suite *icmp_suite(void)
{
	Suite *s = suite_create("tcp_icmp");
	TCase *tc = tcase_create("icmp");
	tcase_add_test(tc, port_unreachable_refuses_connect);
	tcase_add_test(tc, host_unreachable_is_soft_while_connecting);
	tcase_add_test(tc, errors_never_abort_established);
	tcase_add_test(tc, error_outside_flight_ignored);
	tcase_add_test(tc, fragmentation_needed_lowers_mss);
	tcase_add_test(tc, absurd_mtu_ignored);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(icmp_suite)
