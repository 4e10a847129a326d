/*
 * test_udp.c - UDP (RFC 768, RFC 1122 §4.1): checksums (zero means none),
 * ICMP port unreachable for closed ports but never for broadcasts, a bounded
 * receive queue, demultiplexing to connected sockets first, and datagrams
 * larger than the MTU fragmented and reassembled.
 */
#include <errno.h>
#include <string.h>

#include "tcp_harness.h"

#define PORT 5000
#define PEER_UDP_PORT 7000

static uint8_t payload[5000];

static int udp_socket(struct harness *h, uint16_t port, int reuse)
{
	int fd = tp_sock_open(h->stack, TP_SOCK_DGRAM);
	ck_assert_int_ge(fd, 0);
	if (reuse)
		ck_assert_int_eq(tp_sock_setopt(h->stack, fd, TP_SO_REUSEADDR, 1), 0);
	ck_assert_int_eq(tp_sock_bind(h->stack, fd, 0, port), 0);
	return fd;
}

/* A datagram from src:sport to us (or to `dst`), checksummed as asked. */
static void feed_udp(struct harness *h, tp_ip4 src, uint16_t sport, tp_ip4 dst, uint16_t dport,
		     const void *data, size_t len, enum udp_cksum mode)
{
	static uint8_t dgram[FRAME_MAX];
	static struct frame f;
	size_t n = udp_datagram(dgram, src, dst, sport, dport, data, len, mode);
	frame_ipv4(&f, &(struct ip_spec){.src = src, .dst = dst, .proto = 17}, dgram, n);
	h_input(h, &f);
}

static void expect_datagram(struct harness *h, int fd, const void *data, size_t len,
			    tp_ip4 from, uint16_t from_port)
{
	static uint8_t buf[FRAME_MAX];
	tp_ip4 addr = 0;
	uint16_t port = 0;
	long n = tp_sock_recvfrom(h->stack, fd, buf, sizeof(buf), 0, &addr, &port);
	ck_assert_int_eq(n, (long)len);
	ck_assert_mem_eq(buf, data, len);
	ck_assert_uint_eq(addr, from);
	ck_assert_uint_eq(port, from_port);
}

/* --- checksums ------------------------------------------------------------------- */

START_TEST(checksum_checked_and_zero_means_none)
{
	struct harness h;
	h_init(&h);
	fill_pattern(payload, sizeof(payload), 5);
	int fd = udp_socket(&h, PORT, 0);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, payload, 100, UDP_CKSUM_OK);
	expect_datagram(&h, fd, payload, 100, PEER_IP, PEER_UDP_PORT);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, payload, 100, UDP_CKSUM_BAD);
	ck_assert_int_eq(tp_sock_recv(h.stack, fd, payload, 1, 0), -EAGAIN);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_CHECKSUM), 1);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, payload, 101, UDP_CKSUM_NONE);
	expect_datagram(&h, fd, payload, 101, PEER_IP, PEER_UDP_PORT);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_IN), 3);
	h_fini(&h);
}
END_TEST

/* What we send carries a correct checksum; one that computes to zero goes
 * out as 0xffff, since zero would mean "none" (RFC 768). */
START_TEST(sent_checksum_never_zero)
{
	struct harness h;
	h_init(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
	int fd = udp_socket(&h, PORT, 0);
	/* Choose the last two payload bytes so the datagram sums to 0xffff. */
	uint8_t data[10] = "checksum";
	uint8_t dgram[UDP_LEN + sizeof(data)];
	data[8] = data[9] = 0;
	udp_datagram(dgram, US_IP, PEER_IP, PORT, PEER_UDP_PORT, data, sizeof(data), UDP_CKSUM_NONE);
	uint16_t partial = udp_cksum(US_IP, PEER_IP, dgram, sizeof(dgram));   /* ~sum */
	wr16(data + 8, (uint16_t)partial);          /* adding ~sum makes the sum 0xffff */
	ck_assert_int_eq(tp_sock_sendto(h.stack, fd, data, sizeof(data), PEER_IP, PEER_UDP_PORT),
			 (long)sizeof(data));
	size_t hl, total;
	const uint8_t *ip = out_ip(&h, 0, &hl, &total);
	ck_assert_uint_eq(ip[9], 17);
	const uint8_t *u = ip + hl;
	ck_assert_uint_eq(rd16(u + 6), 0xffff);
	ck_assert_uint_eq(udp_cksum(US_IP, PEER_IP, u, total - hl), 0);
	ck_assert_mem_eq(u + UDP_LEN, data, sizeof(data));
	/* And an ordinary datagram verifies too. */
	h_clear(&h);
	ck_assert_int_eq(tp_sock_sendto(h.stack, fd, "hello", 5, PEER_IP, PEER_UDP_PORT), 5);
	ip = out_ip(&h, 0, &hl, &total);
	ck_assert_uint_eq(total - hl, UDP_LEN + 5);
	ck_assert_uint_eq(rd16(ip + hl), PORT);
	ck_assert_uint_eq(rd16(ip + hl + 2), PEER_UDP_PORT);
	ck_assert_uint_eq(rd16(ip + hl + 4), UDP_LEN + 5);
	ck_assert_uint_ne(rd16(ip + hl + 6), 0);
	ck_assert_uint_eq(udp_cksum(US_IP, PEER_IP, ip + hl, total - hl), 0);
	h_fini(&h);
}
END_TEST

START_TEST(bad_lengths_dropped)
{
	struct harness h;
	h_init(&h);
	int fd = udp_socket(&h, PORT, 0);
	uint8_t d[UDP_LEN + 20];
	udp_datagram(d, PEER_IP, US_IP, PEER_UDP_PORT, PORT, payload, 20, UDP_CKSUM_NONE);
	wr16(d + 4, sizeof(d) + 1);                 /* claims more than IP carries */
	struct frame f;
	frame_ipv4(&f, &(struct ip_spec){.proto = 17}, d, sizeof(d));
	h_input(&h, &f);
	wr16(d + 4, 7);                             /* shorter than its own header */
	frame_ipv4(&f, &(struct ip_spec){.proto = 17}, d, sizeof(d));
	h_input(&h, &f);
	frame_ipv4(&f, &(struct ip_spec){.proto = 17}, d, 5);       /* no room for a header */
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_LENGTH), 2);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_SHORT), 1);
	ck_assert_int_eq(tp_sock_recv(h.stack, fd, d, sizeof(d), 0), -EAGAIN);
	/* A length shorter than the IP payload: the rest is padding, ignored. */
	wr16(d + 4, UDP_LEN + 4);
	frame_ipv4(&f, &(struct ip_spec){.proto = 17}, d, sizeof(d));
	h_input(&h, &f);
	expect_datagram(&h, fd, payload, 4, PEER_IP, PEER_UDP_PORT);
	h_fini(&h);
}
END_TEST

/* --- closed ports ----------------------------------------------------------------- */

START_TEST(port_unreachable_for_closed_port)
{
	struct harness h;
	h_init(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, 9999, payload, 30, UDP_CKSUM_OK);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_NO_PORT), 1);
	size_t len;
	const uint8_t *icmp = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(icmp[0], 3);              /* destination unreachable */
	ck_assert_uint_eq(icmp[1], 3);              /* port unreachable */
	/* It quotes our IP header and (at least) the first 8 bytes after it. */
	uint8_t dgram[UDP_LEN + 30];
	udp_datagram(dgram, PEER_IP, US_IP, PEER_UDP_PORT, 9999, payload, 30, UDP_CKSUM_OK);
	uint8_t hdr[IP_LEN];
	ip_header(hdr, &(struct ip_spec){.proto = 17}, sizeof(dgram));
	ck_assert_uint_ge(len, ICMP_LEN + IP_LEN + 8);
	ck_assert_mem_eq(icmp + ICMP_LEN, hdr, IP_LEN);
	ck_assert_mem_eq(icmp + ICMP_LEN + IP_LEN, dgram, 8);
	size_t hl, total;
	const uint8_t *ip = out_ip(&h, 0, &hl, &total);
	ck_assert_uint_eq(rd32(ip + 16), PEER_IP);
	h_fini(&h);
}
END_TEST

/* RFC 1122 §4.1.3.1 / §3.2.2: never an ICMP error about a broadcast. */
START_TEST(no_port_unreachable_for_broadcast)
{
	struct harness h;
	h_init(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
	uint8_t dgram[UDP_LEN + 30], hdr[IP_LEN];
	size_t n = udp_datagram(dgram, PEER_IP, BCAST_IP, PEER_UDP_PORT, 9999, payload, 30,
				UDP_CKSUM_OK);
	struct frame f;
	frame_eth(&f, BCAST_MAC, PEER_MAC, 0x0800);
	frame_put(&f, hdr, ip_header(hdr, &(struct ip_spec){.dst = BCAST_IP, .proto = 17}, n));
	frame_put(&f, dgram, n);
	h_input(&h, &f);
	n = udp_datagram(dgram, PEER_IP, 0xffffffffu, PEER_UDP_PORT, 9999, payload, 30,
			 UDP_CKSUM_OK);
	frame_eth(&f, BCAST_MAC, PEER_MAC, 0x0800);
	frame_put(&f, hdr, ip_header(hdr, &(struct ip_spec){.dst = 0xffffffffu, .proto = 17}, n));
	frame_put(&f, dgram, n);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_NO_PORT), 2);
	ck_assert_uint_eq(h.n_out, 0);
	h_fini(&h);
}
END_TEST

/* A broadcast to an open port is delivered. */
START_TEST(broadcast_delivered_to_open_port)
{
	struct harness h;
	h_init(&h);
	int fd = udp_socket(&h, PORT, 0);
	uint8_t dgram[UDP_LEN + 12], hdr[IP_LEN];
	size_t n = udp_datagram(dgram, PEER_IP, BCAST_IP, PEER_UDP_PORT, PORT, "to everybody", 12,
				UDP_CKSUM_OK);
	struct frame f;
	frame_eth(&f, BCAST_MAC, PEER_MAC, 0x0800);
	frame_put(&f, hdr, ip_header(hdr, &(struct ip_spec){.dst = BCAST_IP, .proto = 17}, n));
	frame_put(&f, dgram, n);
	h_input(&h, &f);
	expect_datagram(&h, fd, "to everybody", 12, PEER_IP, PEER_UDP_PORT);
	h_fini(&h);
}
END_TEST

/* --- the receive queue -------------------------------------------------------------- */

START_TEST(receive_queue_bounded_by_bytes)
{
	struct harness h;
	h_init(&h);
	fill_pattern(payload, sizeof(payload), 6);
	int fd = udp_socket(&h, PORT, 0);
	ck_assert_int_eq(tp_sock_setopt(h.stack, fd, TP_SO_RCVBUF, 2048), 0);
	for (int i = 0; i < 3; i++)
		feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, payload + i * 1000, 1000,
			 UDP_CKSUM_OK);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_QUEUE_FULL), 1);
	expect_datagram(&h, fd, payload, 1000, PEER_IP, PEER_UDP_PORT);
	expect_datagram(&h, fd, payload + 1000, 1000, PEER_IP, PEER_UDP_PORT);
	ck_assert_int_eq(tp_sock_recv(h.stack, fd, payload, 1, 0), -EAGAIN);
	/* Reading made room again. */
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, payload + 3000, 1000, UDP_CKSUM_OK);
	expect_datagram(&h, fd, payload + 3000, 1000, PEER_IP, PEER_UDP_PORT);
	h_fini(&h);
}
END_TEST

START_TEST(receive_queue_bounded_by_count)
{
	struct harness h;
	h_init(&h);
	int fd = udp_socket(&h, PORT, 0);
	for (unsigned i = 0; i < 1030; i++) {
		uint8_t b[2];
		wr16(b, (uint16_t)i);
		feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, b, 2, UDP_CKSUM_OK);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_QUEUE_FULL), 6);
	for (unsigned i = 0; i < 1024; i++) {
		uint8_t b[4];
		CHECK(tp_sock_recv(h.stack, fd, b, sizeof(b), 0) == 2);
		CHECK(rd16(b) == i);                /* in order, the first 1024 */
	}
	ck_assert_int_eq(tp_sock_recv(h.stack, fd, payload, 1, 0), -EAGAIN);
	h_fini(&h);
}
END_TEST

/* A datagram longer than the buffer: the rest is lost (BSD semantics); the
 * next one is intact. MSG_PEEK leaves it queued. */
START_TEST(truncation_and_peek)
{
	struct harness h;
	h_init(&h);
	fill_pattern(payload, sizeof(payload), 7);
	int fd = udp_socket(&h, PORT, 0);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, payload, 100, UDP_CKSUM_OK);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, payload + 100, 50, UDP_CKSUM_OK);
	uint8_t buf[40];
	ck_assert_int_eq(tp_sock_recv(h.stack, fd, buf, sizeof(buf), TP_MSG_PEEK), 40);
	ck_assert_mem_eq(buf, payload, 40);
	ck_assert_int_eq(tp_sock_recv(h.stack, fd, buf, sizeof(buf), 0), 40);
	ck_assert_mem_eq(buf, payload, 40);
	expect_datagram(&h, fd, payload + 100, 50, PEER_IP, PEER_UDP_PORT);
	h_fini(&h);
}
END_TEST

/* --- demultiplexing ------------------------------------------------------------------ */

START_TEST(connected_socket_gets_its_peer)
{
	struct harness h;
	h_init(&h);
	int any = udp_socket(&h, PORT, 1);
	int conn = udp_socket(&h, PORT, 1);
	ck_assert_int_eq(tp_sock_connect(h.stack, conn, PEER_IP, PEER_UDP_PORT), 0);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT, US_IP, PORT, "mine", 4, UDP_CKSUM_OK);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT + 1, US_IP, PORT, "other port", 10, UDP_CKSUM_OK);
	feed_udp(&h, OTHER_IP, PEER_UDP_PORT, US_IP, PORT, "other host", 10, UDP_CKSUM_OK);
	expect_datagram(&h, conn, "mine", 4, PEER_IP, PEER_UDP_PORT);
	ck_assert_int_eq(tp_sock_recv(h.stack, conn, payload, 1, 0), -EAGAIN);
	expect_datagram(&h, any, "other port", 10, PEER_IP, PEER_UDP_PORT + 1);
	expect_datagram(&h, any, "other host", 10, OTHER_IP, PEER_UDP_PORT);
	/* Without the wildcard socket, strangers find the port closed. */
	ck_assert_int_eq(tp_sock_close(h.stack, any), 0);
	h_learn(&h, PEER_IP, PEER_MAC);
	feed_udp(&h, PEER_IP, PEER_UDP_PORT + 1, US_IP, PORT, "other port", 10, UDP_CKSUM_OK);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_NO_PORT), 1);
	ck_assert_int_eq(tp_sock_recv(h.stack, conn, payload, 1, 0), -EAGAIN);
	size_t len;
	const uint8_t *icmp = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(icmp[0], 3);
	ck_assert_uint_eq(icmp[1], 3);
	h_fini(&h);
}
END_TEST

START_TEST(bind_conflicts)
{
	struct harness h;
	h_init(&h);
	udp_socket(&h, PORT, 0);
	int fd = tp_sock_open(h.stack, TP_SOCK_DGRAM);
	ck_assert_int_eq(tp_sock_bind(h.stack, fd, 0, PORT), -EADDRINUSE);
	ck_assert_int_eq(tp_sock_bind(h.stack, fd, 0, PORT + 1), 0);
	h_fini(&h);
}
END_TEST

/* --- fragmentation ------------------------------------------------------------------- */

#define BIG 4000

START_TEST(big_datagram_sent_in_fragments)
{
	struct harness h;
	h_init(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
	fill_pattern(payload, sizeof(payload), 8);
	int fd = udp_socket(&h, PORT, 0);
	ck_assert_int_eq(tp_sock_sendto(h.stack, fd, payload, BIG, PEER_IP, PEER_UDP_PORT), BIG);
	ck_assert_uint_eq(h.n_out, 3);              /* 1480 + 1480 + 1048 */
	static uint8_t glued[UDP_LEN + BIG];
	const uint8_t *hdr0;
	ck_assert_uint_eq(out_glue(&h, 0, 3, glued, &hdr0), UDP_LEN + BIG);
	ck_assert_uint_eq(rd16(glued + 4), UDP_LEN + BIG);
	ck_assert_uint_eq(udp_cksum(US_IP, PEER_IP, glued, UDP_LEN + BIG), 0);
	ck_assert_mem_eq(glued + UDP_LEN, payload, BIG);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_FRAG_OUT), 3);
	h_fini(&h);
}
END_TEST

START_TEST(big_datagram_received_in_fragments)
{
	struct harness h;
	h_init(&h);
	fill_pattern(payload, sizeof(payload), 9);
	int fd = udp_socket(&h, PORT, 0);
	static uint8_t dgram[UDP_LEN + BIG];
	size_t n = udp_datagram(dgram, PEER_IP, US_IP, PEER_UDP_PORT, PORT, payload, BIG,
				UDP_CKSUM_OK);
	/* Three fragments, last first. */
	static const size_t offs[] = {2960, 0, 1480};
	for (int i = 0; i < 3; i++) {
		size_t off = offs[i], len = off + 1480 < n ? 1480 : n - off;
		uint16_t frag = (uint16_t)(off / 8) | (off + len < n ? 0x2000 : 0);
		struct frame f;
		frame_ipv4(&f, &(struct ip_spec){.proto = 17, .id = 0x4242, .frag = frag}, dgram + off,
			   len);
		h_input(&h, &f);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OK), 1);
	expect_datagram(&h, fd, payload, BIG, PEER_IP, PEER_UDP_PORT);
	h_fini(&h);
}
END_TEST

static Suite *udp_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = tcase_create("checksum");
	tcase_add_test(tc, checksum_checked_and_zero_means_none);
	tcase_add_test(tc, sent_checksum_never_zero);
	tcase_add_test(tc, bad_lengths_dropped);
	suite_add_tcase(s, tc);
	tc = tcase_create("ports");
	tcase_add_test(tc, port_unreachable_for_closed_port);
	tcase_add_test(tc, no_port_unreachable_for_broadcast);
	tcase_add_test(tc, broadcast_delivered_to_open_port);
	tcase_add_test(tc, connected_socket_gets_its_peer);
	tcase_add_test(tc, bind_conflicts);
	suite_add_tcase(s, tc);
	tc = tcase_create("queue");
	tcase_add_test(tc, receive_queue_bounded_by_bytes);
	tcase_add_test(tc, receive_queue_bounded_by_count);
	tcase_add_test(tc, truncation_and_peek);
	suite_add_tcase(s, tc);
	tc = tcase_create("fragments");
	tcase_add_test(tc, big_datagram_sent_in_fragments);
	tcase_add_test(tc, big_datagram_received_in_fragments);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(udp_suite)
