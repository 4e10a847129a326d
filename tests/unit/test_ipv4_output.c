/* IPv4 output: header fields, fragmentation (RFC 791 §3.2), DF, routing,
 * identification, loopback. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "ipv4.h"
#include "pkb.h"
#include "stack.h"

static struct harness h;

static void setup_mtu(uint16_t mtu)
{
	struct tp_netif_config c = h_netif_config();
	c.mtu = mtu;
	h_setup(&h, NULL, &c);
	h_clear(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
	h_learn(&h, GW_IP, GW_MAC);
}
static void setup(void) { setup_mtu(1500); }
static void teardown(void) { h_fini(&h); }

/* Sends `len` bytes of pattern as protocol 253 through ip_output. */
static int send_raw(tp_ip4 dst, size_t len, int df, uint8_t *copy_out)
{
	struct pkb *p = pkb_alloc(PKB_HEADROOM, len);
	ck_assert_ptr_nonnull(p);
	uint8_t *d = pkb_put(p, len);
	fill_pattern(d, len, (unsigned)len);
	if (copy_out)
		memcpy(copy_out, d, len);
	struct ip_send how = {.dst = dst, .proto = 253, .df = df};
	return ip_output(h.stack, p, &how);
}

/* Checks the captured frames are one datagram's fragments sized for `mtu`
 * (every fragment fits, all but the last as full as a multiple of 8 allows)
 * and returns its payload glued back together. */
static size_t glue_fragments(size_t first, size_t n, size_t mtu, uint8_t *out)
{
	size_t chunk = (mtu - IP_LEN) / 8 * 8;
	for (size_t i = 0; i < n; i++) {
		size_t hl, total;
		const uint8_t *ip = out_ip(&h, first + i, &hl, &total);
		ck_assert_uint_le(total, mtu);
		ck_assert_uint_eq(rd16(ip + 6) & 0x4000, 0);
		if (i + 1 < n)
			ck_assert_uint_eq(total - hl, chunk);
	}
	return out_glue(&h, first, n, out, NULL);
}

/* Every field of an unfragmented datagram's header. */
START_TEST(header_fields)
{
	uint8_t data[100];
	ck_assert_int_eq(send_raw(PEER_IP, sizeof(data), 0, data), 0);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_mem_eq(h.out[0].b, PEER_MAC, 6);
	size_t hl, total;
	const uint8_t *ip = out_ip(&h, 0, &hl, &total);
	ck_assert_uint_eq(ip[0], 0x45);
	ck_assert_uint_eq(ip[1], 0);
	ck_assert_uint_eq(total, IP_LEN + sizeof(data));
	ck_assert_uint_eq(rd16(ip + 6), 0);
	ck_assert_uint_eq(ip[8], 64);
	ck_assert_uint_eq(ip[9], 253);
	ck_assert_uint_eq(rd32(ip + 12), US_IP);
	ck_assert_uint_eq(rd32(ip + 16), PEER_IP);
	ck_assert_mem_eq(ip + IP_LEN, data, sizeof(data));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_OUT), 1);
}
END_TEST

/* A 4000-byte echo at MTU 1500: 1480 + 1480 + 1048 bytes of the 4008-byte
 * ICMP message, offsets 0, 185, 370, glued back into the expected message. */
START_TEST(ping_fragmented_to_mtu)
{
	static uint8_t data[4000], expect[4008], got[4008];
	fill_pattern(data, sizeof(data), 1);
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 0xabcd, 3, data, sizeof(data)), 0);
	ck_assert_uint_eq(h.n_out, 3);
	static const size_t sizes[] = {1480, 1480, 1048}, offsets[] = {0, 185, 370};
	for (size_t i = 0; i < 3; i++) {
		size_t hl, total;
		const uint8_t *ip = out_ip(&h, i, &hl, &total);
		ck_assert_uint_eq(total - hl, sizes[i]);
		ck_assert_uint_eq(rd16(ip + 6) & 0x1fff, offsets[i]);
	}
	ck_assert_uint_eq(glue_fragments(0, 3, 1500, got), sizeof(expect));
	icmp_msg(expect, 8, 0, 0xabcd0003u, data, sizeof(data));
	ck_assert_mem_eq(got, expect, sizeof(expect));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_FRAG_OUT), 3);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_OUT), 1);
}
END_TEST

/* Across MTUs and sizes, including just over and just under a boundary. */
static const struct { uint16_t mtu; size_t len; size_t frags; } frag_cases[] = {
	{68, 49, 2}, {68, 48, 1}, {68, 200, 5}, {576, 1000, 2}, {576, 556, 1}, {1000, 65515, 68},
	{1500, 1481, 2}, {1500, 2960, 2}, {1500, 2961, 3}, {9000, 20000, 3}, {1006, 3000, 4},
};

START_TEST(fragments_cover_payload)
{
	h_fini(&h);
	setup_mtu(frag_cases[_i].mtu);
	size_t len = frag_cases[_i].len;
	uint8_t *sent = malloc(len), *got = malloc(len);
	ck_assert_int_eq(send_raw(PEER_IP, len, 0, sent), 0);
	ck_assert_uint_eq(h.n_out, frag_cases[_i].frags);
	if (h.n_out > 1)
		ck_assert_uint_eq(glue_fragments(0, h.n_out, frag_cases[_i].mtu, got), len);
	else
		memcpy(got, out_ip(&h, 0, NULL, NULL) + IP_LEN, len);
	ck_assert_mem_eq(got, sent, len);
	free(sent);
	free(got);
}
END_TEST

/* DF and too big: -EMSGSIZE, counted, nothing sent. DF and fitting: sent
 * with the bit set. */
START_TEST(df_too_big_fails)
{
	ck_assert_int_eq(send_raw(PEER_IP, 1481, 1, NULL), -EMSGSIZE);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DROP_DF), 1);
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_int_eq(send_raw(PEER_IP, 1480, 1, NULL), 0);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_uint_eq(rd16(out_ip(&h, 0, NULL, NULL) + 6), 0x4000);
}
END_TEST

/* No datagram over 65535 bytes, fragmented or not. */
START_TEST(oversize_refused)
{
	ck_assert_int_eq(send_raw(PEER_IP, 65516, 0, NULL), -EMSGSIZE);
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 65535 - 28 + 1), -EMSGSIZE);
	ck_assert_uint_eq(h.n_out, 0);
	static uint8_t max[65507];
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, max, sizeof(max)), 0);
	ck_assert_uint_eq(h.n_out, 45);
}
END_TEST

/* On-link: straight to the destination's MAC; off-link: to the gateway's;
 * broadcast: to ff:ff:ff:ff:ff:ff without ARP. */
START_TEST(routes_on_link_gateway_broadcast)
{
	static const struct { tp_ip4 dst; const uint8_t *mac; } routes[] = {
		{PEER_IP, PEER_MAC}, {REMOTE_IP, GW_MAC}, {0x08080808u, GW_MAC},
		{BCAST_IP, BCAST_MAC}, {0xffffffffu, BCAST_MAC},
	};
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		ck_assert_int_eq(send_raw(routes[i].dst, 10, 0, NULL), 0);
		ck_assert_mem_eq(h.out[i].b, routes[i].mac, 6);
		ck_assert_uint_eq(rd32(out_ip(&h, i, NULL, NULL) + 16), routes[i].dst);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REQUEST_OUT), 0);
}
END_TEST

START_TEST(no_route_without_gateway)
{
	h_fini(&h);
	struct tp_netif_config c = h_netif_config();
	c.gateway = 0;
	h_setup(&h, NULL, &c);
	h_clear(&h);
	ck_assert_int_eq(tp_ping_send(h.stack, REMOTE_IP, 1, 1, NULL, 0), -ENETUNREACH);
	ck_assert_int_eq(send_raw(REMOTE_IP, 10, 0, NULL), -ENETUNREACH);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DROP_NO_ROUTE), 1);
	ck_assert_uint_eq(h.n_out, 0);
	tp_ip4 nexthop = 0;
	ck_assert_ptr_eq(ip_route(h.stack, OTHER_IP, &nexthop), h.nif);
	ck_assert_uint_eq(nexthop, OTHER_IP);
}
END_TEST

/* IDs (RFC 6864): successive datagrams to one destination never repeat
 * within a window, and other destinations get IDs too. */
START_TEST(ids_differ_between_packets)
{
	uint16_t ids[200];
	for (int i = 0; i < 200; i++) {
		send_raw(i < 100 ? PEER_IP : REMOTE_IP, 10, 0, NULL);
		ids[i] = rd16(out_ip(&h, (size_t)i, NULL, NULL) + 4);
	}
	for (int i = 0; i < 100; i++)
		for (int j = i + 1; j < 100; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
	for (int i = 100; i < 200; i++)
		for (int j = i + 1; j < 200; j++)
			ck_assert_uint_ne(ids[i], ids[j]);
}
END_TEST

/* Two stacks seeded differently choose different IDs for the same traffic
 * (an observer cannot predict them from another host's). */
START_TEST(ids_depend_on_seed)
{
	struct harness g;
	struct tp_stack_config cfg = {.seed = 43, .start_time = TP_SEC(1000)};
	h_setup(&g, &cfg, NULL);
	h_learn(&g, PEER_IP, PEER_MAC);
	int same = 0;
	for (int i = 0; i < 16; i++) {
		send_raw(PEER_IP, 10, 0, NULL);
		struct pkb *p = pkb_alloc(PKB_HEADROOM, 10);
		pkb_put(p, 10);
		struct ip_send how = {.dst = PEER_IP, .proto = 253};
		ip_output(g.stack, p, &how);
		same += rd16(h.out[i].b + ETH_LEN + 4) == rd16(g.out[i].b + ETH_LEN + 4);
	}
	ck_assert_int_lt(same, 2);
	h_fini(&g);
}
END_TEST

/* TTL: the stack default, a configured default, or per datagram. */
START_TEST(ttl_choices)
{
	h_fini(&h);
	struct tp_stack_config cfg = {.seed = 1, .start_time = 1, .default_ttl = 17};
	h_setup(&h, &cfg, NULL);
	h_learn(&h, PEER_IP, PEER_MAC);
	send_raw(PEER_IP, 10, 0, NULL);
	ck_assert_uint_eq(out_ip(&h, 0, NULL, NULL)[8], 17);
	struct pkb *p = pkb_alloc(PKB_HEADROOM, 10);
	pkb_put(p, 10);
	struct ip_send how = {.dst = PEER_IP, .proto = 253, .ttl = 3, .tos = 0x10};
	ck_assert_int_eq(ip_output(h.stack, p, &how), 0);
	ck_assert_uint_eq(out_ip(&h, 1, NULL, NULL)[8], 3);
	ck_assert_uint_eq(out_ip(&h, 1, NULL, NULL)[1], 0x10);
}
END_TEST

/* A ping to our own address never reaches the wire, and is answered. */
START_TEST(loopback_ping)
{
	ck_assert_int_eq(tp_ping_send(h.stack, US_IP, 5, 6, (const uint8_t *)"hi", 2), 0);
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_uint_eq(h.n_echo, 1);
	ck_assert_int_eq(h.echo[0].r.error, 0);
	ck_assert_uint_eq(h.echo[0].r.from, US_IP);
	ck_assert_uint_eq(h.echo[0].r.seq, 6);
	ck_assert_mem_eq(h.echo[0].r.data, "hi", 2);
	/* Fragmented loopback goes through reassembly. */
	static uint8_t big[3000];
	fill_pattern(big, sizeof(big), 2);
	ck_assert_int_eq(tp_ping_send(h.stack, US_IP, 5, 7, big, sizeof(big)), 0);
	ck_assert_uint_eq(h.n_echo, 2);
	ck_assert_uint_eq(h.echo[1].r.len, sizeof(big));
	ck_assert_mem_eq(h.echo[1].r.data, big, sizeof(big));
}
END_TEST


static Suite *ipv4_output_suite(void)
{
	Suite *s = suite_create("ipv4_output");
	TCase *tc = tcase_create("output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, header_fields);
	tcase_add_test(tc, ping_fragmented_to_mtu);
	tcase_add_loop_test(tc, fragments_cover_payload, 0, COUNT(frag_cases));
	tcase_add_test(tc, df_too_big_fails);
	tcase_add_test(tc, oversize_refused);
	tcase_add_test(tc, routes_on_link_gateway_broadcast);
	tcase_add_test(tc, no_route_without_gateway);
	tcase_add_test(tc, ids_differ_between_packets);
	tcase_add_test(tc, ids_depend_on_seed);
	tcase_add_test(tc, ttl_choices);
	tcase_add_test(tc, loopback_ping);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ipv4_output_suite)
