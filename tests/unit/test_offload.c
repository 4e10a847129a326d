/*
 * test_offload.c - the TAP offloads: the virtio-net header read and written
 * by the runtime (vnet.h), and what the core makes of a received frame's
 * offload metadata (tp_input_offload): a checksum the link vouched for is not
 * checked again, a super-frame larger than the MTU is one datagram, and
 * metadata that does not fit its frame is a counted drop (eth.drop_offload).
 * And the driver's input batch: one cumulative ACK per connection at its end,
 * duplicate ACKs at once.
 */
#include <string.h>

#include "tcp_harness.h"
#include "vnet.h"

#define CLOSED_PORT 4444
#define PEER_UDP_PORT 7000

/* --- the virtio-net header ----------------------------------------------- */

START_TEST(vnet_header_parsed)
{
	/* NEEDS_CSUM, TCPV4|ECN, hdr_len 66, gso_size 1448, csum 34+16, LE. */
	const uint8_t hdr[] = {0x01, 0x81, 66, 0, 0xa8, 0x05, 34, 0, 16, 0, 0xee};
	struct tp_offload off;
	ck_assert_int_eq(vnet_parse(hdr, sizeof(hdr), &off), VNET_HDR_LEN);
	ck_assert(off.csum_partial && !off.csum_valid && off.gso_tcp4 && !off.gso_other);
	ck_assert_uint_eq(off.hdr_len, 66);
	ck_assert_uint_eq(off.gso_size, 1448);
	ck_assert_uint_eq(off.csum_start, 34);
	ck_assert_uint_eq(off.csum_offset, 16);

	const uint8_t valid[VNET_HDR_LEN] = {0x02};
	ck_assert_int_eq(vnet_parse(valid, sizeof(valid), &off), VNET_HDR_LEN);
	ck_assert(off.csum_valid && !off.csum_partial && !off.gso_tcp4 && !off.gso_other);
}
END_TEST

START_TEST(vnet_header_hostile)
{
	struct tp_offload off;
	const uint8_t full[VNET_HDR_LEN] = {0};
	for (size_t n = 0; n < VNET_HDR_LEN; n++)
		ck_assert_int_eq(vnet_parse(full, n, &off), -1);
	/* Kinds tapir never asked for (UDP, TCPv6, UDP_L4, junk) and flag bits
	 * it does not know (RSC_INFO, anything): marked for the core to drop. */
	const uint8_t kinds[] = {3, 4, 5, 0x7f, 0x83};
	for (size_t i = 0; i < sizeof(kinds); i++) {
		uint8_t h[VNET_HDR_LEN] = {0x01, kinds[i]};
		ck_assert_int_eq(vnet_parse(h, sizeof(h), &off), VNET_HDR_LEN);
		ck_assert_msg(off.gso_other, "gso_type %u", kinds[i]);
	}
	for (unsigned bit = 2; bit < 8; bit++) {
		uint8_t h[VNET_HDR_LEN] = {(uint8_t)(1u << bit)};
		vnet_parse(h, sizeof(h), &off);
		ck_assert_msg(off.gso_other, "flag bit %u", bit);
	}
}
END_TEST

START_TEST(vnet_header_built)
{
	uint8_t h[VNET_HDR_LEN];
	memset(h, 0xaa, sizeof(h));
	vnet_build(h, NULL);
	for (size_t i = 0; i < sizeof(h); i++)
		ck_assert_uint_eq(h[i], 0);
	struct tp_offload off = {.csum_partial = 1, .gso_tcp4 = 1, .csum_start = 34,
				 .csum_offset = 16, .gso_size = 1460, .hdr_len = 54};
	vnet_build(h, &off);
	const uint8_t want[] = {0x01, 0x01, 54, 0, 0xb4, 0x05, 34, 0, 16, 0};
	ck_assert_mem_eq(h, want, sizeof(want));
	/* Only the checksum: no segment size leaks into a plain frame. */
	off.gso_tcp4 = 0;
	vnet_build(h, &off);
	ck_assert_uint_eq(h[1], 0);
	ck_assert_uint_eq(h[4] | h[5], 0);
	struct tp_offload back;
	vnet_parse(h, sizeof(h), &back);
	ck_assert(back.csum_partial && back.csum_start == 34 && back.csum_offset == 16);
}
END_TEST

/* --- the core's side ------------------------------------------------------- */

static void rx_setup(struct harness *h, uint32_t offloads)
{
	struct tp_netif_config nc = h_netif_config();
	nc.offloads = offloads;
	h_setup(h, NULL, &nc);
	h_learn(h, PEER_IP, PEER_MAC);
}

/* A TCP segment to a closed port, its checksum as a TAP hands it over with
 * NEEDS_CSUM: only the pseudo-header's sum in the field. */
static void partial_tcp(struct frame *f, size_t payload, uint32_t seq)
{
	static uint8_t data[FRAME_MAX];
	static uint8_t seg[FRAME_MAX];
	memset(data, 'x', payload);
	size_t n = tcp_segment(seg, PEER_IP, US_IP, &(struct tseg){.dport = CLOSED_PORT,
					.seq = seq, .flags = F_ACK | F_PSH, .ack = 1,
					.wnd = 1000, .data = data, .len = payload});
	wr16(seg + 16, 0x1234);     /* not the checksum: the link completes it */
	frame_ipv4(f, &(struct ip_spec){.proto = 6}, seg, n);
}

static const struct tp_offload partial = {.csum_partial = 1, .csum_start = 34, .csum_offset = 16};

START_TEST(partial_checksum_taken_on_the_links_word)
{
	static struct frame f;
	struct harness h;
	rx_setup(&h, TP_OFFLOAD_RX);
	partial_tcp(&f, 100, 5000);
	tp_input_offload(h.stack, h.nif, f.b, f.len, &partial);
	/* Accepted as TCP: a closed port answers with a RST acking it all. */
	struct tview v;
	only_tcp(&h, &v);
	ck_assert(v.flags & F_RST);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_TCP_DROP_CHECKSUM), 0);
	/* The same bytes with no metadata are a bad checksum. */
	h_clear(&h);
	tp_input_offload(h.stack, h.nif, f.b, f.len, NULL);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_TCP_DROP_CHECKSUM), 1);
	ck_assert_uint_eq(h.n_out, 0);
	h_fini(&h);

	/* An interface without TP_OFFLOAD_RX trusts no metadata. */
	rx_setup(&h, 0);
	tp_input_offload(h.stack, h.nif, f.b, f.len, &partial);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_TCP_DROP_CHECKSUM), 1);
	h_fini(&h);
}
END_TEST

START_TEST(super_frame_is_one_datagram)
{
	static struct frame f;
	struct harness h;
	rx_setup(&h, TP_OFFLOAD_RX);
	partial_tcp(&f, 20000, 7000);          /* far over the 1500-byte MTU */
	struct tp_offload off = partial;
	off.gso_tcp4 = 1;
	off.gso_size = 1448;
	off.hdr_len = 54;
	tp_input_offload(h.stack, h.nif, f.b, f.len, &off);
	struct tview v;
	only_tcp(&h, &v);
	ck_assert(v.flags & F_RST);
	ck_assert_uint_eq(v.seq, 1);                    /* the segment's ACK */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_DROP_OFFLOAD), 0);
	h_fini(&h);
}
END_TEST

START_TEST(udp_partial_checksum)
{
	static struct frame f;
	static uint8_t d[200];
	struct harness h;
	rx_setup(&h, TP_OFFLOAD_RX);
	size_t n = udp_datagram(d, PEER_IP, US_IP, PEER_UDP_PORT, CLOSED_PORT, "hi", 2, UDP_CKSUM_BAD);
	frame_ipv4(&f, &(struct ip_spec){.proto = 17}, d, n);
	struct tp_offload off = {.csum_partial = 1, .csum_start = 34, .csum_offset = 6};
	tp_input_offload(h.stack, h.nif, f.b, f.len, &off);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_UDP_DROP_CHECKSUM), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_OUT), 1);   /* port unreachable */
	h_fini(&h);
}
END_TEST

/* Metadata that lies about its frame, each a counted drop and no answer. */
START_TEST(hostile_metadata_dropped)
{
	static struct frame tcp, frag, udp, icmp, arp;
	static uint8_t d[200];
	partial_tcp(&tcp, 100, 9000);
	frag = tcp;
	wr16(frag.b + 14 + 6, 0x2000);          /* MF: a first fragment */
	wr16(frag.b + 14 + 10, 0);
	wr16(frag.b + 14 + 10, ref_cksum(frag.b + 14, 20));
	size_t n = udp_datagram(d, PEER_IP, US_IP, PEER_UDP_PORT, CLOSED_PORT, "hi", 2, UDP_CKSUM_OK);
	frame_ipv4(&udp, &(struct ip_spec){.proto = 17}, d, n);
	frame_echo(&icmp, &(struct ip_spec){0}, 1, 1, "ping", 4);
	frame_arp(&arp, US_MAC, &(struct arp_spec){.op = 1, .sha = PEER_MAC, .spa = PEER_IP,
						   .tpa = US_IP});
	struct hostile {
		const char *what;
		const struct frame *f;
		size_t len;                 /* 0: the frame's own */
		struct tp_offload off;
	} cases[] = {
		{"csum_start beyond the frame", &tcp, 0, {.csum_partial = 1, .csum_start = 60000, .csum_offset = 16}},
		{"csum_start in the IP header", &tcp, 0, {.csum_partial = 1, .csum_start = 14, .csum_offset = 16}},
		{"csum_offset not TCP's", &tcp, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 10}},
		{"csum field past the end", &tcp, 40, {.csum_partial = 1, .csum_start = 34, .csum_offset = 16}},
		{"UDP offset on TCP", &tcp, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 6}},
		{"TCP offset on UDP", &udp, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 16}},
		{"ICMP claimed partial", &icmp, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 2}},
		{"ARP claimed partial", &arp, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 16}},
		{"gso_size 0", &tcp, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 16, .gso_tcp4 = 1}},
		{"gso_size 1", &tcp, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 16, .gso_tcp4 = 1, .gso_size = 1}},
		{"TCP super-frame of UDP", &udp, 0, {.csum_valid = 1, .gso_tcp4 = 1, .gso_size = 1400}},
		{"super-frame without a checksum word", &tcp, 0, {.gso_tcp4 = 1, .gso_size = 1400}},
		{"partial fragment", &frag, 0, {.csum_partial = 1, .csum_start = 34, .csum_offset = 16}},
		{"a kind tapir never asked for", &tcp, 0, {.gso_other = 1}},
		{"too short for IP", &tcp, 20, {.csum_partial = 1, .csum_start = 34, .csum_offset = 16}},
	};
	for (int i = 0; i < COUNT(cases); i++) {
		struct harness h;
		rx_setup(&h, TP_OFFLOAD_RX);
		const struct hostile *c = &cases[i];
		tp_input_offload(h.stack, h.nif, c->f->b, c->len ? c->len : c->f->len, &c->off);
		ck_assert_msg(tp_stat(h.stack, TP_STAT_ETH_DROP_OFFLOAD) == 1, "%s: not dropped", c->what);
		ck_assert_msg(h.n_out == 0, "%s: answered", c->what);
		ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_IN), 0);
		h_fini(&h);
	}
}
END_TEST

static int discard_offload(void *ctx, const uint8_t *frame, size_t len, const struct tp_offload *off)
{
	(void)ctx, (void)frame, (void)len, (void)off;
	return 0;
}

START_TEST(tx_offload_needs_its_callback)
{
	struct tp_stack_config sc = {.seed = 1};
	struct tp_stack *s = tp_stack_new(&sc);
	struct tp_netif_config nc = h_netif_config();
	nc.offloads = TP_OFFLOAD_TX_CSUM;
	ck_assert_ptr_null(tp_netif_add(s, &nc, discard_transmit, NULL));
	nc.offloads = TP_OFFLOAD_TSO;           /* TSO alone: the checksum is part of it */
	nc.transmit_offload = discard_offload;
	ck_assert_ptr_null(tp_netif_add(s, &nc, discard_transmit, NULL));
	nc.offloads = 0x80;
	ck_assert_ptr_null(tp_netif_add(s, &nc, discard_transmit, NULL));
	tp_stack_free(s);
}
END_TEST

/* --- input batches (tp_batch_begin/end) ----------------------------------- */

static uint8_t seg_data[1460];

START_TEST(batch_ends_with_one_cumulative_ack)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	h_clear(&t.h);
	tp_batch_begin(t.h.stack);
	for (int i = 0; i < 6; i++)
		tc_peer_data(&t, seg_data, sizeof(seg_data));
	ck_assert_uint_eq(count_tcp(&t.h), 0);      /* every second segment, held */
	tp_batch_end(t.h.stack);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ack, t.pnxt);            /* all six at once */
	ck_assert_uint_eq(v.len, 0);
	/* Outside a batch, as before: an ACK every second full segment. */
	h_clear(&t.h);
	for (int i = 0; i < 4; i++)
		tc_peer_data(&t, seg_data, sizeof(seg_data));
	ck_assert_uint_eq(count_tcp(&t.h), 2);
	tc_fini(&t);
}
END_TEST

START_TEST(batch_never_holds_duplicate_acks)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	h_clear(&t.h);
	tp_batch_begin(t.h.stack);
	/* A gap: each segment beyond it draws a duplicate ACK at once, which the
	 * sender counts toward fast retransmit (RFC 5681 §4.2). */
	for (int i = 1; i <= 3; i++)
		tc_send(&t, F_ACK, t.pnxt + (uint32_t)i * 1460, t.snd, seg_data, sizeof(seg_data));
	ck_assert_uint_eq(count_tcp(&t.h), 3);
	for (size_t i = 0; i < 3; i++) {
		struct tview v;
		nth_tcp(&t.h, i, &v);
		ck_assert_uint_eq(v.ack, t.pnxt);
	}
	tp_batch_end(t.h.stack);
	ck_assert_uint_eq(count_tcp(&t.h), 3);      /* nothing left to flush */
	tc_fini(&t);
}
END_TEST

START_TEST(connection_gone_before_the_batch_ends)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	tp_batch_begin(t.h.stack);
	tc_peer_data(&t, seg_data, sizeof(seg_data));
	tc_peer_data(&t, seg_data, sizeof(seg_data));
	/* Held, then the connection ends inside the batch: no ACK for the
	 * dead (the socket still holds it, CLOSED, for the error it reads). */
	tc_send(&t, F_RST, t.pnxt, 0, NULL, 0);
	ck_assert_ptr_null(tc_state(&t));
	h_clear(&t.h);
	tp_batch_end(t.h.stack);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	tc_fini(&t);
}
END_TEST

START_TEST(connection_freed_before_the_batch_ends)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);
	tp_batch_begin(t.h.stack);
	tc_peer_data(&t, seg_data, sizeof(seg_data));
	tc_peer_data(&t, seg_data, sizeof(seg_data));
	/* The application closes with data unread: a RST, and the connection
	 * is freed while its ACK is held (ASan would see a use after free). */
	h_clear(&t.h);
	tp_sock_close(t.h.stack, t.fd);
	t.fd = -1;
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert(v.flags & F_RST);
	tp_batch_end(t.h.stack);
	ck_assert_uint_eq(count_tcp(&t.h), 1);
	tc_fini(&t);
}
END_TEST

static Suite *offload_suite(void)
{
	Suite *s = suite_create("offload");
	TCase *tc = tcase_create("vnet");
	tcase_add_test(tc, vnet_header_parsed);
	tcase_add_test(tc, vnet_header_hostile);
	tcase_add_test(tc, vnet_header_built);
	suite_add_tcase(s, tc);
	tc = tcase_create("core");
	tcase_add_test(tc, partial_checksum_taken_on_the_links_word);
	tcase_add_test(tc, super_frame_is_one_datagram);
	tcase_add_test(tc, udp_partial_checksum);
	tcase_add_test(tc, hostile_metadata_dropped);
	tcase_add_test(tc, tx_offload_needs_its_callback);
	suite_add_tcase(s, tc);
	tc = tcase_create("batch");
	tcase_add_test(tc, batch_ends_with_one_cumulative_ack);
	tcase_add_test(tc, batch_never_holds_duplicate_acks);
	tcase_add_test(tc, connection_gone_before_the_batch_ends);
	tcase_add_test(tc, connection_freed_before_the_batch_ends);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(offload_suite)
