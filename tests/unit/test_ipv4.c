/* IPv4 input (RFC 791, RFC 1122 §3.2.1): every header check, options,
 * padding, and protocol unreachable. */
#include <string.h>

#include "harness.h"

static struct harness h;
static void setup(void)
{
	h_init(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
}
static void teardown(void) { h_fini(&h); }

static const uint8_t payload4[4] = {1, 2, 3, 4};

/* An echo request for us, then one header field broken. */
enum breakage { NONE, VERSION, IHL, TOTAL, CKSUM, CUT };
struct bad_header {
	const char *what;
	enum tp_stat_id stat;
	struct ip_spec spec;
	enum breakage how;
	unsigned value;
	uint8_t pointer;        /* a Parameter Problem pointing here is expected; 0: silence */
};

static const uint8_t opt_len0[4] = {0x44, 0, 0, 0};           /* timestamp, length 0 */
static const uint8_t opt_len1[4] = {0x07, 1, 0, 0};           /* length below 2 */
static const uint8_t opt_too_long[4] = {0x07, 9, 4, 0};       /* runs past the header */
static const uint8_t opt_no_len[4] = {1, 1, 1, 0x07};         /* type, then no length byte */

static const struct bad_header bad_headers[] = {
	{"19 bytes", TP_STAT_IP_DROP_SHORT, {0}, CUT, 19},
	{"empty", TP_STAT_IP_DROP_SHORT, {0}, CUT, 0},
	{"version 6", TP_STAT_IP_DROP_VERSION, {0}, VERSION, 6},
	{"version 0", TP_STAT_IP_DROP_VERSION, {0}, VERSION, 0},
	{"IHL 4", TP_STAT_IP_DROP_HDR_LEN, {0}, IHL, 4},
	{"IHL 0", TP_STAT_IP_DROP_HDR_LEN, {0}, IHL, 0},
	{"IHL past the packet", TP_STAT_IP_DROP_HDR_LEN, {0}, IHL, 15},
	{"total < IHL", TP_STAT_IP_DROP_TOTAL_LEN, {0}, TOTAL, 19},
	{"total > frame", TP_STAT_IP_DROP_TOTAL_LEN, {0}, TOTAL, IP_LEN + 12 + 1},
	{"total 65535", TP_STAT_IP_DROP_TOTAL_LEN, {0}, TOTAL, 65535},
	{"bad checksum", TP_STAT_IP_DROP_CHECKSUM, {0}, CKSUM, 1},
	{"source 0.0.0.0", TP_STAT_IP_DROP_BAD_SRC, {.src = 0x00000000u}, NONE, 0},
	{"source limited broadcast", TP_STAT_IP_DROP_BAD_SRC, {.src = 0xffffffffu}, NONE, 0},
	{"source subnet broadcast", TP_STAT_IP_DROP_BAD_SRC, {.src = BCAST_IP}, NONE, 0},
	{"source multicast", TP_STAT_IP_DROP_BAD_SRC, {.src = 0xe0000001u}, NONE, 0},
	{"source loopback", TP_STAT_IP_DROP_BAD_SRC, {.src = 0x7f000001u}, NONE, 0},
	{"for another host", TP_STAT_IP_DROP_NOT_US, {.dst = OTHER_IP}, NONE, 0},
	{"for a multicast group", TP_STAT_IP_DROP_NOT_US, {.dst = 0xe0000001u}, NONE, 0},
	/* RFC 792: the pointer names the octet in error - the bad length
	 * (header offset 21), or the type with no room for a length (23). */
	{"option length 0", TP_STAT_IP_DROP_OPTIONS, {.options = opt_len0, .opt_len = 4}, NONE, 0, 21},
	{"option length 1", TP_STAT_IP_DROP_OPTIONS, {.options = opt_len1, .opt_len = 4}, NONE, 0, 21},
	{"option too long", TP_STAT_IP_DROP_OPTIONS, {.options = opt_too_long, .opt_len = 4}, NONE, 0, 21},
	{"option without length", TP_STAT_IP_DROP_OPTIONS, {.options = opt_no_len, .opt_len = 4}, NONE, 0, 23},
};

static void build_bad(struct frame *f, const struct bad_header *b)
{
	struct ip_spec spec = b->spec;
	/* 0.0.0.0 is a real case here, not "use the default". */
	int zero_src = b->stat == TP_STAT_IP_DROP_BAD_SRC && spec.src == 0;
	frame_echo(f, &spec, 1, 1, payload4, sizeof(payload4));
	uint8_t *ip = f->b + ETH_LEN;
	if (zero_src)
		wr32(ip + 12, 0);
	switch (b->how) {
	case NONE: break;
	case VERSION: ip[0] = (uint8_t)(b->value << 4 | (ip[0] & 15)); break;
	case IHL: ip[0] = (uint8_t)(0x40 | b->value); break;
	case TOTAL: wr16(ip + 2, (uint16_t)b->value); break;
	case CKSUM: break;
	case CUT: f->len = ETH_LEN + b->value; return;
	}
	/* The checksum covers what the header claims to be, when it is there. */
	size_t hl = (size_t)(ip[0] & 15) * 4;
	wr16(ip + 10, 0);
	if (hl >= IP_LEN && ETH_LEN + hl <= f->len)
		wr16(ip + 10, ref_cksum(ip, hl));
	if (b->how == CKSUM)
		ip[10] ^= 0x01;
}

START_TEST(bad_header_dropped)
{
	const struct bad_header *b = &bad_headers[_i];
	struct frame f;
	build_bad(&f, b);
	h_input(&h, &f);
	ck_assert_msg(tp_stat(h.stack, b->stat) == 1, "%s: not counted as %s", b->what,
		      tp_stat_name(b->stat));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_IN), 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DELIVERED), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_IN), 0);
	if (!b->pointer) {
		ck_assert_uint_eq(h.n_out, 0);
		return;
	}
	/* RFC 1122 §3.2.2.5: Parameter Problem, quoting the datagram. */
	ck_assert_uint_eq(h.n_out, 1);
	size_t len;
	const uint8_t *m = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(m[0], 12);
	ck_assert_uint_eq(m[1], 0);
	ck_assert_uint_eq(m[4], b->pointer);
	ck_assert_mem_eq(m + ICMP_LEN, f.b + ETH_LEN, f.len - ETH_LEN);
}
END_TEST

/* RFC 1122 §3.3.6: a unicast datagram in a link-layer broadcast frame is
 * dropped (and so never answered, not even with an error). */
START_TEST(unicast_in_link_broadcast_dropped)
{
	struct frame f;
	frame_echo(&f, &(struct ip_spec){0}, 1, 1, payload4, sizeof(payload4));
	memcpy(f.b, BCAST_MAC, 6);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DROP_LINK_BROADCAST), 1);
	ck_assert_uint_eq(h.n_out, 0);
	/* A broadcast datagram in a broadcast frame is fine. */
	frame_echo(&f, &(struct ip_spec){.dst = BCAST_IP}, 1, 1, payload4, sizeof(payload4));
	memcpy(f.b, BCAST_MAC, 6);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DELIVERED), 1);
}
END_TEST

/* The valid baseline the table breaks: answered. */
START_TEST(valid_echo_delivered)
{
	struct frame f;
	frame_echo(&f, &(struct ip_spec){0}, 1, 1, payload4, sizeof(payload4));
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DELIVERED), 1);
	ck_assert_uint_eq(h.n_out, 1);
}
END_TEST

/* Well-formed options are skipped: NOPs then EOL; record route (type 7,
 * RFC 791 §3.1) with room for two addresses; a security-style option. */
static const uint8_t opt_nops[4] = {1, 1, 1, 0};
static const uint8_t opt_rr[12] = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t opt_eol_first[8] = {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t opt_full[40] = {7, 39, 4};         /* record route filling all 40 bytes */
static const struct { const uint8_t *opt; size_t len; } good_options[] = {
	{opt_nops, 4}, {opt_rr, 12}, {opt_eol_first, 8}, {opt_full, 40},
};

START_TEST(valid_options_accepted)
{
	struct frame f;
	struct ip_spec spec = {.options = good_options[_i].opt, .opt_len = good_options[_i].len};
	frame_echo(&f, &spec, 9, 10, payload4, sizeof(payload4));
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DROP_OPTIONS), 0);
	ck_assert_uint_eq(h.n_out, 1);
	size_t len;
	const uint8_t *m = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(len, ICMP_LEN + sizeof(payload4));
	ck_assert_mem_eq(m + ICMP_LEN, payload4, sizeof(payload4));
}
END_TEST

/* Bytes after the total length (Ethernet padding, trailing junk) are not
 * part of the datagram: the reply echoes exactly the 4 data bytes. */
START_TEST(padding_trimmed_by_total_length)
{
	struct frame f;
	frame_echo(&f, &(struct ip_spec){0}, 1, 2, payload4, sizeof(payload4));
	ck_assert_uint_eq(f.len, 46);
	uint8_t junk[100];
	memset(junk, 0xee, sizeof(junk));
	frame_put(&f, junk, sizeof(junk));
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 1);
	size_t len;
	const uint8_t *m = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(len, ICMP_LEN + 4);
	ck_assert_mem_eq(m + ICMP_LEN, payload4, 4);
}
END_TEST

/* Datagrams to the subnet and limited broadcast reach the stack. */
START_TEST(broadcast_destinations_accepted)
{
	struct frame f;
	frame_echo(&f, &(struct ip_spec){.dst = BCAST_IP}, 1, 1, payload4, 4);
	h_input(&h, &f);
	frame_echo(&f, &(struct ip_spec){.dst = 0xffffffffu}, 1, 1, payload4, 4);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DELIVERED), 2);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_DROP_BROADCAST), 2);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

/* An unknown protocol earns a protocol unreachable (type 3 code 2) quoting
 * the datagram, sent from the address it was sent to. */
START_TEST(protocol_unreachable_sent)
{
	struct frame f;
	uint8_t data[40];
	fill_pattern(data, sizeof(data), 3);
	frame_ipv4(&f, &(struct ip_spec){.proto = 253, .id = 0x4242}, data, sizeof(data));
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DROP_PROTOCOL), 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_UNREACH_OUT), 1);
	ck_assert_uint_eq(h.n_out, 1);
	size_t hl, total, len;
	const uint8_t *ip = out_ip(&h, 0, &hl, &total);
	ck_assert_uint_eq(rd32(ip + 12), US_IP);
	ck_assert_uint_eq(rd32(ip + 16), PEER_IP);
	const uint8_t *m = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(m[0], 3);
	ck_assert_uint_eq(m[1], 2);
	ck_assert_uint_eq(rd32(m + 4), 0);
	/* The whole offending datagram, as received. */
	ck_assert_uint_eq(len, ICMP_LEN + IP_LEN + sizeof(data));
	ck_assert_mem_eq(m + ICMP_LEN, f.b + ETH_LEN, IP_LEN + sizeof(data));
}
END_TEST

/* ... but never about a datagram sent to a broadcast address. */
START_TEST(no_protocol_unreachable_for_broadcast)
{
	static const tp_ip4 dsts[] = {BCAST_IP, 0xffffffffu};
	struct frame f;
	for (size_t i = 0; i < 2; i++) {
		frame_ipv4(&f, &(struct ip_spec){.proto = 253, .dst = dsts[i]}, payload4, 4);
		h_input(&h, &f);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DROP_PROTOCOL), 2);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

/* With two interfaces, a datagram for either address is ours (weak host). */
START_TEST(second_interface_address_is_local)
{
	struct tp_netif_config c = h_netif_config();
	c.addr = 0xac100001u;           /* 172.16.0.1/16 */
	c.prefix_len = 16;
	c.gateway = 0;
	c.mac[5] = 0x77;
	ck_assert_ptr_nonnull(tp_netif_add(h.stack, &c, discard_transmit, NULL));
	struct frame f;
	frame_echo(&f, &(struct ip_spec){.dst = 0xac100001u}, 1, 1, payload4, 4);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DROP_NOT_US), 0);
	ck_assert_uint_eq(h.n_out, 1);  /* the reply leaves by the route to PEER */
	size_t hl, total;
	ck_assert_uint_eq(rd32(out_ip(&h, 0, &hl, &total) + 12), 0xac100001u);
}
END_TEST


static Suite *ipv4_suite(void)
{
	Suite *s = suite_create("ipv4");
	TCase *tc = tcase_create("input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, bad_header_dropped, 0, COUNT(bad_headers));
	tcase_add_test(tc, valid_echo_delivered);
	tcase_add_test(tc, unicast_in_link_broadcast_dropped);
	tcase_add_loop_test(tc, valid_options_accepted, 0, COUNT(good_options));
	tcase_add_test(tc, padding_trimmed_by_total_length);
	tcase_add_test(tc, broadcast_destinations_accepted);
	tcase_add_test(tc, protocol_unreachable_sent);
	tcase_add_test(tc, no_protocol_unreachable_for_broadcast);
	tcase_add_test(tc, second_interface_address_is_local);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ipv4_suite)
