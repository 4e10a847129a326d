/* ICMP (RFC 792, RFC 1122 §3.2.2): echo, when errors may be sent, the rate
 * limit, and errors received about our own datagrams. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "icmp.h"
#include "stack.h"

static struct harness h;
static void setup(void)
{
	h_init(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
	h_learn(&h, GW_IP, GW_MAC);
}
static void teardown(void) { h_fini(&h); }

/* Sizes: empty, odd (checksum padding), the classic 56, the largest that
 * fits one 1500-byte frame. */
static const size_t echo_sizes[] = {0, 1, 56, 1472};

START_TEST(echo_reply_mirrors_request)
{
	size_t n = echo_sizes[_i];
	static uint8_t data[1472];
	fill_pattern(data, n, 11);
	struct frame f;
	frame_echo(&f, &(struct ip_spec){.ttl = 3}, 0xbeef, 0x0102, data, n);
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_mem_eq(h.out[0].b, PEER_MAC, 6);
	size_t hl, total, len;
	const uint8_t *ip = out_ip(&h, 0, &hl, &total);
	ck_assert_uint_eq(rd32(ip + 12), US_IP);
	ck_assert_uint_eq(rd32(ip + 16), PEER_IP);
	ck_assert_uint_eq(ip[8], 64);                   /* our TTL, not the request's */
	const uint8_t *m = out_icmp(&h, 0, &len);       /* checks the ICMP checksum */
	ck_assert_uint_eq(len, ICMP_LEN + n);
	ck_assert_uint_eq(m[0], 0);
	ck_assert_uint_eq(m[1], 0);
	ck_assert_uint_eq(rd16(m + 4), 0xbeef);
	ck_assert_uint_eq(rd16(m + 6), 0x0102);
	ck_assert_mem_eq(m + ICMP_LEN, data, n);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_ECHO_REPLY_OUT), 1);
}
END_TEST

START_TEST(bad_checksum_dropped)
{
	struct frame f;
	frame_echo(&f, &(struct ip_spec){0}, 1, 1, "abcdef", 6);
	f.b[ETH_LEN + IP_LEN + ICMP_LEN] ^= 0x40;      /* a data byte, after checksumming */
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_DROP_CHECKSUM), 1);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

START_TEST(too_short_dropped)
{
	struct frame f;
	uint8_t stub[7] = {8, 0, 0xf7, 0xff};
	frame_ipv4(&f, &(struct ip_spec){.proto = 1}, stub, sizeof(stub));
	h_input(&h, &f);
	frame_ipv4(&f, &(struct ip_spec){.proto = 1}, stub, 0);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_DROP_MALFORMED), 2);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

START_TEST(unknown_type_counted)
{
	struct frame f;
	uint8_t m[20];
	size_t n = icmp_msg(m, 13, 0, 0, "timestamp...", 12);   /* timestamp request */
	frame_ipv4(&f, &(struct ip_spec){.proto = 1}, m, n);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_DROP_TYPE), 1);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

/* When icmp_send_error may speak (RFC 1122 §3.2.2): one datagram per row,
 * built from scratch, and whether an error goes out about it. */
struct error_case {
	const char *what;
	struct ip_spec ip;
	uint8_t icmp_type;              /* of the offending datagram, if ICMP */
	int to_broadcast;
	int sent;
};

static const struct error_case error_cases[] = {
	{"plain datagram", {.proto = 253}, 0, 0, 1},
	{"about an echo request", {.proto = 1}, 8, 0, 1},
	{"about an unreachable", {.proto = 1}, 3, 0, 0},
	{"about a time exceeded", {.proto = 1}, 11, 0, 0},
	{"about a parameter problem", {.proto = 1}, 12, 0, 0},
	{"link-layer broadcast", {.proto = 253}, 0, 1, 0},
	{"to the subnet broadcast", {.proto = 253, .dst = BCAST_IP}, 0, 0, 0},
	{"to the limited broadcast", {.proto = 253, .dst = 0xffffffffu}, 0, 0, 0},
	{"to a multicast group", {.proto = 253, .dst = 0xe0000001u}, 0, 0, 0},
	{"from a multicast source", {.proto = 253, .src = 0xe0000001u}, 0, 0, 0},
	{"from the limited broadcast", {.proto = 253, .src = 0xffffffffu}, 0, 0, 0},
	{"first fragment", {.proto = 253, .frag = 0x2000}, 0, 0, 1},
	{"non-first fragment", {.proto = 253, .frag = 0x2000 | 10}, 0, 0, 0},
	{"last fragment", {.proto = 253, .frag = 10}, 0, 0, 0},
};

START_TEST(error_rules)
{
	const struct error_case *c = &error_cases[_i];
	uint8_t dgram[IP_LEN + 16], body[16], filler[8];
	memset(body, 0x5a, sizeof(body));
	memset(filler, 0x5a, sizeof(filler));
	if (c->icmp_type)
		icmp_msg(body, c->icmp_type, 0, 0, filler, sizeof(filler));
	size_t hl = ip_header(dgram, &c->ip, sizeof(body));
	memcpy(dgram + hl, body, sizeof(body));
	icmp_send_error(h.stack, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, dgram, sizeof(dgram),
			c->to_broadcast);
	ck_assert_msg(h.n_out == (size_t)c->sent, "%s: %zu errors sent", c->what, h.n_out);
	if (c->sent) {
		size_t len;
		const uint8_t *m = out_icmp(&h, 0, &len);
		ck_assert_uint_eq(m[0], 3);
		ck_assert_uint_eq(m[1], 3);
		ck_assert_mem_eq(m + ICMP_LEN, dgram, sizeof(dgram));
	}
}
END_TEST

/* An error quotes at most what keeps it within 576 bytes (RFC 1812 §4.3.2.3). */
START_TEST(error_quote_capped)
{
	static uint8_t dgram[1400];
	size_t hl = ip_header(dgram, &(struct ip_spec){.proto = 253}, sizeof(dgram) - IP_LEN);
	fill_pattern(dgram + hl, sizeof(dgram) - hl, 4);
	icmp_send_error(h.stack, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, dgram, sizeof(dgram), 0);
	size_t hl_out, total;
	out_ip(&h, 0, &hl_out, &total);
	ck_assert_uint_eq(total, 576);
	size_t len;
	const uint8_t *m = out_icmp(&h, 0, &len);
	ck_assert_mem_eq(m + ICMP_LEN, dgram, 576 - IP_LEN - ICMP_LEN);
}
END_TEST

/* The token bucket on virtual time: `burst` at once, then one per 1/rate. */
START_TEST(rate_limit_burst_then_rate)
{
	h_fini(&h);
	struct tp_stack_config cfg = {.seed = 1, .start_time = TP_SEC(5), .icmp_rate = 10,
				      .icmp_burst = 5};
	h_setup(&h, &cfg, NULL);
	h_learn(&h, PEER_IP, PEER_MAC);
	struct frame f;
	frame_ipv4(&f, &(struct ip_spec){.proto = 253}, "x", 1);
	for (int i = 0; i < 20; i++)
		h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 5);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_RATE_LIMITED), 15);
	h_advance(&h, TP_MSEC(100) - 1);        /* not yet a whole token */
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 5);
	h_advance(&h, 1);
	h_input(&h, &f);
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 6);          /* one token in 100 ms */
	h_advance(&h, TP_SEC(10));              /* a long pause refills only to the burst */
	for (int i = 0; i < 20; i++)
		h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 11);
	/* Over 10 s of steady offered load, about rate * 10 get through. */
	h_clear(&h);
	for (int ms = 0; ms < 10000; ms++) {
		h_advance(&h, TP_MSEC(1));
		h_input(&h, &f);
	}
	ck_assert_uint_ge(h.n_out, 99);
	ck_assert_uint_le(h.n_out, 101);
}
END_TEST

START_TEST(broadcast_echo_ignored)
{
	struct frame f;
	frame_echo(&f, &(struct ip_spec){.dst = BCAST_IP}, 1, 1, NULL, 0);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_DROP_BROADCAST), 1);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

START_TEST(echo_reply_reaches_handler)
{
	struct frame f;
	uint8_t m[64];
	size_t n = icmp_msg(m, 0, 0, 0x11112222u, "pong!", 5);
	frame_ipv4(&f, &(struct ip_spec){.proto = 1, .ttl = 61, .src = REMOTE_IP}, m, n);
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_echo, 1);
	const struct tp_echo_reply *r = &h.echo[0].r;
	ck_assert_int_eq(r->error, 0);
	ck_assert_uint_eq(r->from, REMOTE_IP);
	ck_assert_uint_eq(r->ident, 0x1111);
	ck_assert_uint_eq(r->seq, 0x2222);
	ck_assert_uint_eq(r->ttl, 61);
	ck_assert_uint_eq(r->len, 5);
	ck_assert_mem_eq(r->data, "pong!", 5);
}
END_TEST

/* An error from GW about an echo request we sent to REMOTE: the quoted
 * datagram is our IP header plus the first 8 bytes of our ICMP message. */
static size_t error_about_our_echo(uint8_t *out, uint8_t type, uint8_t code, size_t quote_len)
{
	uint8_t quote[IP_LEN + 64];
	uint8_t echo[ICMP_LEN + 32];
	size_t n = icmp_msg(echo, 8, 0, 0x0a0b0c0du, "0123456789abcdef0123456789abcdef", 32);
	size_t hl = ip_header(quote, &(struct ip_spec){.src = US_IP, .dst = REMOTE_IP, .proto = 1}, n);
	memcpy(quote + hl, echo, n);
	return icmp_msg(out, type, code, 0, quote, quote_len);
}

static void receive_error(uint8_t type, uint8_t code, size_t quote_len)
{
	uint8_t m[128];
	size_t n = error_about_our_echo(m, type, code, quote_len);
	struct frame f;
	frame_ipv4(&f, &(struct ip_spec){.proto = 1, .src = GW_IP}, m, n);
	h_input(&h, &f);
}

static const struct { uint8_t type, code; int err; } error_map[] = {
	{3, 0, -ENETUNREACH}, {3, 1, -EHOSTUNREACH}, {3, 2, -ENOPROTOOPT}, {3, 3, -ECONNREFUSED},
	{3, 4, -EMSGSIZE}, {3, 13, -EHOSTUNREACH}, {11, 0, -EHOSTUNREACH}, {12, 0, -EPROTO},
};

START_TEST(error_about_our_echo_reaches_handler)
{
	receive_error(error_map[_i].type, error_map[_i].code, IP_LEN + 8);
	ck_assert_uint_eq(h.n_echo, 1);
	const struct tp_echo_reply *r = &h.echo[0].r;
	ck_assert_int_eq(r->error, error_map[_i].err);
	ck_assert_uint_eq(r->from, GW_IP);
	ck_assert_uint_eq(r->ident, 0x0a0b);
	ck_assert_uint_eq(r->seq, 0x0c0d);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_UNREACH_IN), error_map[_i].type == 3);
	ck_assert_uint_eq(h.n_out, 0);          /* never an error about an error */
}
END_TEST

/* Quotes too short for our IP header + 8 bytes are malformed. */
START_TEST(short_quote_dropped)
{
	receive_error(3, 1, IP_LEN + 7);
	receive_error(3, 1, IP_LEN);
	receive_error(3, 1, 4);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_DROP_MALFORMED), 3);
	ck_assert_uint_eq(h.n_echo, 0);
}
END_TEST

/* A quoted header claiming options it does not carry, or not IPv4. */
START_TEST(bad_quoted_header_dropped)
{
	uint8_t m[128];
	size_t n = error_about_our_echo(m, 3, 1, IP_LEN + 8);
	static const uint8_t first_bytes[] = {0x46, 0x65, 0x44};   /* IHL 6 short; version 6; IHL 4 */
	for (size_t i = 0; i < sizeof(first_bytes); i++) {
		uint8_t copy[128];
		memcpy(copy, m, n);
		copy[ICMP_LEN] = first_bytes[i];
		wr16(copy + 2, 0);
		wr16(copy + 2, ref_cksum(copy, n));
		struct frame f;
		frame_ipv4(&f, &(struct ip_spec){.proto = 1, .src = GW_IP}, copy, n);
		h_input(&h, &f);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_DROP_MALFORMED), 3);
	ck_assert_uint_eq(h.n_echo, 0);
}
END_TEST

/* Errors about datagrams we did not send, or about something other than an
 * echo request, do not reach the ping handler. */
START_TEST(foreign_errors_ignored)
{
	uint8_t m[128], quote[IP_LEN + 8];
	uint8_t udp[8] = {0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0};
	/* An echo request from someone else. */
	size_t hl = ip_header(quote, &(struct ip_spec){.src = OTHER_IP, .dst = REMOTE_IP, .proto = 1}, 8);
	icmp_msg(quote + hl, 8, 0, 0x00010001u, NULL, 0);
	size_t n = icmp_msg(m, 3, 1, 0, quote, sizeof(quote));
	struct frame f;
	frame_ipv4(&f, &(struct ip_spec){.proto = 1, .src = GW_IP}, m, n);
	h_input(&h, &f);
	/* Our UDP datagram: no UDP yet, nobody to tell. */
	hl = ip_header(quote, &(struct ip_spec){.src = US_IP, .dst = REMOTE_IP, .proto = 17}, 8);
	memcpy(quote + hl, udp, 8);
	n = icmp_msg(m, 3, 3, 0, quote, sizeof(quote));
	frame_ipv4(&f, &(struct ip_spec){.proto = 1, .src = GW_IP}, m, n);
	h_input(&h, &f);
	/* Our echo reply, not a request. */
	hl = ip_header(quote, &(struct ip_spec){.src = US_IP, .dst = REMOTE_IP, .proto = 1}, 8);
	icmp_msg(quote + hl, 0, 0, 0x00010001u, NULL, 0);
	n = icmp_msg(m, 3, 1, 0, quote, sizeof(quote));
	frame_ipv4(&f, &(struct ip_spec){.proto = 1, .src = GW_IP}, m, n);
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_echo, 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_UNREACH_IN), 3);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

/* Without a handler, replies and errors are simply absorbed. */
START_TEST(no_handler_is_fine)
{
	tp_set_echo_handler(h.stack, NULL, NULL);
	receive_error(3, 1, IP_LEN + 8);
	struct frame f;
	uint8_t m[16];
	size_t n = icmp_msg(m, 0, 0, 1, NULL, 0);
	frame_ipv4(&f, &(struct ip_spec){.proto = 1}, m, n);
	h_input(&h, &f);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ICMP_ECHO_REPLY_IN), 1);
}
END_TEST


static Suite *icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("icmp");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, echo_reply_mirrors_request, 0, COUNT(echo_sizes));
	tcase_add_test(tc, bad_checksum_dropped);
	tcase_add_test(tc, too_short_dropped);
	tcase_add_test(tc, unknown_type_counted);
	tcase_add_loop_test(tc, error_rules, 0, COUNT(error_cases));
	tcase_add_test(tc, error_quote_capped);
	tcase_add_test(tc, rate_limit_burst_then_rate);
	tcase_add_test(tc, broadcast_echo_ignored);
	tcase_add_test(tc, echo_reply_reaches_handler);
	tcase_add_loop_test(tc, error_about_our_echo_reaches_handler, 0, COUNT(error_map));
	tcase_add_test(tc, short_quote_dropped);
	tcase_add_test(tc, bad_quoted_header_dropped);
	tcase_add_test(tc, foreign_errors_ignored);
	tcase_add_test(tc, no_handler_is_fine);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(icmp_suite)
