/* Ethernet: what is accepted, what is dropped and counted, output framing. */
#include <string.h>

#include "harness.h"

static struct harness h;
static void setup(void) { h_init(&h); }
static void teardown(void) { h_fini(&h); }

/* An ARP request for us from PEER, as a frame addressed to `dst`. */
static void arp_request_to(struct frame *f, const uint8_t dst[6])
{
	struct arp_spec a = {.op = 1, .sha = PEER_MAC, .spa = PEER_IP, .tpa = US_IP};
	frame_arp(f, dst, &a);
}

START_TEST(short_frames_dropped)
{
	struct frame f;
	arp_request_to(&f, US_MAC);
	for (size_t len = 0; len < ETH_LEN; len++)
		tp_input(h.stack, h.nif, f.b, len);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_IN), ETH_LEN);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_DROP_SHORT), ETH_LEN);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_IN), 0);
	ck_assert_uint_eq(h.n_out, 0);
	/* 14 bytes is a header with nothing after it: ARP then finds it short. */
	tp_input(h.stack, h.nif, f.b, ETH_LEN);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_DROP_SHORT), ETH_LEN);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_DROP_MALFORMED), 1);
}
END_TEST

/* Another host's unicast, and multicast groups tapir never joined. */
START_TEST(other_destinations_dropped)
{
	static const uint8_t others[][6] = {
		{0x02, 0, 0, 0, 0, 0x03},
		{0x02, 0, 0, 0, 0, 0x02 ^ 0x80},        /* differs in the last byte only */
		{0x03, 0, 0, 0, 0, 0x02},               /* our MAC with the group bit set */
		{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},   /* IPv4 all-hosts multicast */
		{0x33, 0x33, 0x00, 0x00, 0x00, 0x01},   /* IPv6 multicast */
	};
	struct frame f;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		arp_request_to(&f, others[i]);
		h_input(&h, &f);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_DROP_NOT_US), 5);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_IN), 0);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

START_TEST(unicast_and_broadcast_accepted)
{
	struct frame f;
	arp_request_to(&f, US_MAC);
	h_input(&h, &f);
	arp_request_to(&f, BCAST_MAC);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_IN), 2);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_DROP_NOT_US), 0);
	ck_assert_uint_eq(h.n_out, 2);          /* two replies */
}
END_TEST

START_TEST(unknown_ethertype_counted)
{
	static const uint16_t types[] = {0x86dd, 0x8100, 0x88cc, 0x0000, 0x05dc /* 802.3 length */};
	struct frame f;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		frame_eth(&f, US_MAC, PEER_MAC, types[i]);
		uint8_t junk[46] = {0x60};
		frame_put(&f, junk, sizeof(junk));
		h_input(&h, &f);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_DROP_ETHERTYPE), 5);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_IN), 5);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_IN) + tp_stat(h.stack, TP_STAT_ARP_IN), 0);
}
END_TEST

/* Our ARP reply is 14 + 28 = 42 bytes: it goes out padded with zeros to 60. */
START_TEST(output_padded_to_60)
{
	struct frame f;
	uint64_t sent_before = tp_stat(h.stack, TP_STAT_ETH_OUT);       /* the announcement */
	arp_request_to(&f, BCAST_MAC);
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_uint_eq(h.out[0].len, 60);
	ck_assert_mem_eq(h.out[0].b, PEER_MAC, 6);
	ck_assert_mem_eq(h.out[0].b + 6, US_MAC, 6);
	ck_assert_uint_eq(rd16(h.out[0].b + 12), 0x0806);
	static const uint8_t zeros[18];
	ck_assert_mem_eq(h.out[0].b + 42, zeros, 18);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_OUT), sent_before + 1);
}
END_TEST

/* A frame already over 60 bytes is not padded. */
START_TEST(long_output_not_padded)
{
	struct frame f;
	uint8_t data[100];
	fill_pattern(data, sizeof(data), 1);
	h_learn(&h, PEER_IP, PEER_MAC);
	frame_echo(&f, &(struct ip_spec){0}, 1, 1, data, sizeof(data));
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_uint_eq(h.out[0].len, ETH_LEN + IP_LEN + ICMP_LEN + sizeof(data));
}
END_TEST

/* The driver failing to send is counted, not fatal. */
START_TEST(transmit_error_counted)
{
	struct frame f;
	h.tx_result = -5;
	arp_request_to(&f, BCAST_MAC);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_TX_ERROR), 1);
	h.tx_result = 0;
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_TX_ERROR), 1);
	/* A datagram in three fragments: each failure counted, the caller told. */
	static uint8_t big[4000];
	h.tx_result = -5;
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, big, sizeof(big)), -5);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_TX_ERROR), 4);
}
END_TEST

static Suite *eth_suite(void)
{
	Suite *s = suite_create("eth");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, short_frames_dropped);
	tcase_add_test(tc, other_destinations_dropped);
	tcase_add_test(tc, unicast_and_broadcast_accepted);
	tcase_add_test(tc, unknown_ethertype_counted);
	tcase_add_test(tc, output_padded_to_60);
	tcase_add_test(tc, long_output_not_padded);
	tcase_add_test(tc, transmit_error_counted);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(eth_suite)
