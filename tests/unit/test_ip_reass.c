/* IPv4 reassembly (RFC 791 §3.2, RFC 815, RFC 1122 §3.3.2): orders,
 * overlaps, duplicates, timeouts, and every bound. */
#include <string.h>

#include "harness.h"
#include "ip_reass.h"
#include "rand.h"
#include "stack.h"

#define IDENT 0x5151
#define MF 0x2000

static struct harness h;
static uint8_t msg[65536];      /* the ICMP echo request being cut up */
static size_t msg_len;
static uint8_t reply[65536];

static void setup(void)
{
	h_init(&h);
	h_learn(&h, PEER_IP, PEER_MAC);
}
static void teardown(void) { h_fini(&h); }

static void make_echo(size_t data_len, uint16_t seq)
{
	static uint8_t data[65536];
	fill_pattern(data, data_len, seq);
	msg_len = icmp_msg(msg, 8, 0, (uint32_t)IDENT << 16 | seq, data, data_len);
}

/* One fragment carrying `bytes` at `off` of datagram `id`. */
static void send_bytes(const struct ip_spec *base, uint16_t id, size_t off, const uint8_t *bytes,
		       size_t len, int more)
{
	static struct frame f;
	struct ip_spec spec = base ? *base : (struct ip_spec){0};
	spec.proto = spec.proto ? spec.proto : 1;
	spec.id = id;
	spec.frag = (uint16_t)((more ? MF : 0) | off / 8);
	frame_ipv4(&f, &spec, bytes, len);
	h_input(&h, &f);
}

/* A piece of msg as a fragment. */
static void send_frag(uint16_t id, size_t off, size_t len, int more)
{
	send_bytes(NULL, id, off, msg + off, len, more);
}

/* The stack answered msg: a correctly fragmented echo reply with the same
 * identifier, sequence number and data. */
static void assert_answered(size_t first, size_t frames)
{
	ck_assert_uint_eq(h.n_out, first + frames);
	size_t len = out_glue(&h, first, frames, reply, NULL);
	ck_assert_uint_eq(len, msg_len);
	ck_assert_uint_eq(reply[0], 0);
	ck_assert_uint_eq(ref_cksum(reply, len), 0);
	ck_assert_mem_eq(reply + 4, msg + 4, msg_len - 4);
}

START_TEST(in_order)
{
	make_echo(4000, 1);
	send_frag(1, 0, 1480, 1);
	send_frag(1, 1480, 1480, 1);
	ck_assert_uint_eq(h.n_out, 0);
	send_frag(1, 2960, 1048, 0);
	assert_answered(0, 3);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OK), 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_FRAG_IN), 3);
	ck_assert_ptr_null(h.stack->ip.reass.list);
	ck_assert_uint_eq(h.stack->ip.reass.mem, 0);
}
END_TEST

START_TEST(reversed)
{
	make_echo(4000, 2);
	send_frag(2, 2960, 1048, 0);
	send_frag(2, 1480, 1480, 1);
	send_frag(2, 0, 1480, 1);
	assert_answered(0, 3);
}
END_TEST

/* Random cuts (multiples of 8) in a random order, per seed. */
START_TEST(random_order)
{
	struct tp_rand r;
	tp_rand_seed(&r, (uint64_t)_i);
	make_echo(3000 + tp_rand_below(&r, 3000), (uint16_t)_i);
	size_t offs[256], lens[256], n = 0;
	for (size_t off = 0; off < msg_len; n++) {
		size_t len = 8 * (1 + tp_rand_below(&r, 100));
		offs[n] = off;
		lens[n] = msg_len - off <= len ? msg_len - off : len;
		off += lens[n];
		ck_assert_uint_lt(n, 128);
	}
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = tp_rand_below(&r, (uint32_t)i + 1), t = offs[i];
		offs[i] = offs[j];
		offs[j] = t;
		t = lens[i];
		lens[i] = lens[j];
		lens[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		send_frag(7, offs[i], lens[i], offs[i] + lens[i] < msg_len);
	assert_answered(0, (msg_len + 1479) / 1480);
}
END_TEST

/* Fragments overlapping by 8 bytes of identical data: fine. */
START_TEST(overlap_identical_accepted)
{
	make_echo(4000, 3);
	send_frag(3, 0, 1488, 1);
	send_frag(3, 1480, 1488, 1);
	send_frag(3, 2960, 1048, 0);
	assert_answered(0, 3);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERLAP), 0);
}
END_TEST

/* Overlapping bytes that disagree end the datagram (no first- or last-wins). */
START_TEST(overlap_conflicting_dropped)
{
	make_echo(4000, 4);
	send_frag(4, 0, 1488, 1);
	static uint8_t evil[1488];
	memcpy(evil, msg + 1480, sizeof(evil));
	evil[3] ^= 0xff;                        /* inside the 8 bytes already held */
	send_bytes(NULL, 4, 1480, evil, sizeof(evil), 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERLAP), 1);
	ck_assert_ptr_null(h.stack->ip.reass.list);
	send_frag(4, 2960, 1048, 0);
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OK), 0);
}
END_TEST

/* Contradictions about the end: two different last fragments; a fragment
 * past the known end; a last fragment ending inside data already held. */
START_TEST(end_contradictions_dropped)
{
	make_echo(100, 5);
	send_frag(5, 8, 8, 1);
	send_frag(5, 16, 8, 0);                 /* ends at 24 */
	send_frag(5, 16, 16, 0);                /* ends at 32 */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERLAP), 1);
	send_frag(6, 32, 8, 0);                 /* ends at 40 */
	send_frag(6, 32, 16, 1);                /* reaches 48 */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERLAP), 2);
	send_frag(7, 0, 16, 1);                 /* holds bytes up to 16 */
	send_frag(7, 8, 5, 0);                  /* says the datagram ends at 13 */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERLAP), 3);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DELIVERED), 0);
}
END_TEST

/* Exact duplicates are counted and change nothing; one answer. */
START_TEST(duplicates_harmless)
{
	make_echo(4000, 8);
	send_frag(8, 0, 1480, 1);
	send_frag(8, 0, 1480, 1);
	send_frag(8, 1480, 1480, 1);
	send_frag(8, 1480, 1480, 1);
	send_frag(8, 2960, 1048, 0);
	assert_answered(0, 3);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_DUP), 2);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OK), 1);
}
END_TEST

/* Missing middle: after 30 s, a time exceeded (code 1, "fragment
 * reassembly time exceeded") quoting fragment 0's header and 8 bytes. */
START_TEST(timeout_sends_time_exceeded)
{
	make_echo(4000, 9);
	send_frag(9, 0, 1480, 1);
	static struct frame first;
	struct ip_spec spec = {.proto = 1, .id = 9, .frag = MF};
	frame_ipv4(&first, &spec, msg, 1480);       /* what fragment 0 looked like */
	send_frag(9, 2960, 1048, 0);
	h_advance(&h, TP_SEC(30) - 1);
	ck_assert_uint_eq(h.n_out, 0);
	h_advance(&h, 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_TIMEOUT), 1);
	ck_assert_uint_eq(h.n_out, 1);
	size_t len;
	const uint8_t *m = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(m[0], 11);
	ck_assert_uint_eq(m[1], 1);
	ck_assert_uint_eq(len, ICMP_LEN + IP_LEN + 8);
	ck_assert_mem_eq(m + ICMP_LEN, first.b + ETH_LEN, IP_LEN + 8);
	ck_assert_uint_eq(rd32(out_ip(&h, 0, NULL, NULL) + 16), PEER_IP);
	ck_assert_ptr_null(h.stack->ip.reass.list);
}
END_TEST

/* Without fragment 0 there is nothing to quote: silence (RFC 1122 §3.3.2). */
START_TEST(timeout_without_first_is_silent)
{
	make_echo(4000, 10);
	send_frag(10, 1480, 1480, 1);
	send_frag(10, 2960, 1048, 0);
	h_advance(&h, TP_SEC(30));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_TIMEOUT), 1);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

/* A datagram to the broadcast address never earns an error, even late. */
START_TEST(timeout_for_broadcast_is_silent)
{
	make_echo(4000, 11);
	send_bytes(&(struct ip_spec){.dst = BCAST_IP}, 11, 0, msg, 1480, 1);
	h_advance(&h, TP_SEC(30));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_TIMEOUT), 1);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

/* The memory bound: starting a fourth reassembly in room for three gives up
 * the oldest; the newest still completes. */
START_TEST(memory_bound_evicts_oldest)
{
	h_fini(&h);
	size_t each = sizeof(struct ip_reass) + 2048;
	struct tp_stack_config cfg = {.seed = 1, .start_time = 1, .reass_mem_limit = (uint32_t)(3 * each)};
	h_setup(&h, &cfg, NULL);
	h_learn(&h, PEER_IP, PEER_MAC);
	make_echo(4000, 12);
	for (uint16_t id = 1; id <= 4; id++) {
		send_frag(id, 0, 1480, 1);
		ck_assert_uint_le(h.stack->ip.reass.mem, 3 * each);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_MEMORY), 1);
	for (struct ip_reass *r = h.stack->ip.reass.list; r; r = r->next)
		ck_assert_uint_ne(r->id, 1);
	send_frag(4, 1480, 1480, 1);
	send_frag(4, 2960, 1048, 0);
	assert_answered(0, 3);
	ck_assert_uint_le(h.stack->ip.reass.mem, 3 * each);
}
END_TEST

/* A limit too small for even one reassembly drops fragments at once; one
 * that holds the bookkeeping but not the data drops the datagram. */
START_TEST(memory_too_small)
{
	static const uint32_t limits[] = {100, (uint32_t)sizeof(struct ip_reass) + 100};
	for (int i = 0; i < 2; i++) {
		h_fini(&h);
		struct tp_stack_config cfg = {.seed = 1, .start_time = 1, .reass_mem_limit = limits[i]};
		h_setup(&h, &cfg, NULL);
		make_echo(4000, 22);
		send_frag(22, 0, 1480, 1);
		ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_MEMORY), 1);
		ck_assert_ptr_null(h.stack->ip.reass.list);
		ck_assert_uint_eq(h.stack->ip.reass.mem, 0);
	}
}
END_TEST

/* Offsets + lengths past 65535 bytes (with the header) are refused; exactly
 * 65535 is fine. */
START_TEST(beyond_65535_dropped)
{
	uint8_t junk[16] = {0};
	send_bytes(NULL, 13, 65512, junk, 8, 1);        /* 20 + 65520 */
	send_bytes(NULL, 13, 65528, junk, 16, 0);       /* 20 + 65544 */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERSIZE), 2);
	ck_assert_ptr_null(h.stack->ip.reass.list);
	send_bytes(NULL, 13, 65512, junk, 3, 0);        /* 20 + 65515 = 65535 */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERSIZE), 2);
	ck_assert_ptr_nonnull(h.stack->ip.reass.list);
}
END_TEST

/* The first fragment's header is the whole datagram's: 40 bytes of options
 * there plus a payload that fits 65535 only with a 20-byte header must not
 * give a datagram over 65535 bytes. */
START_TEST(reassembled_over_65535_dropped)
{
	static const uint8_t nops[40] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
	make_echo(65515 - 8, 14);
	send_bytes(&(struct ip_spec){.options = nops, .opt_len = 40}, 14, 0, msg, 1440, 1);
	for (size_t off = 1440; off < msg_len; off += 1480) {
		size_t len = msg_len - off < 1480 ? msg_len - off : 1480;
		send_frag(14, off, len, off + len < msg_len);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OK), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_DELIVERED), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_OVERSIZE), 1);
	ck_assert_uint_eq(h.n_out, 0);
}
END_TEST

/* All but the last fragment must carry a non-zero multiple of 8 bytes. */
START_TEST(non_last_not_multiple_of_8_dropped)
{
	make_echo(4000, 15);
	send_frag(15, 0, 1481, 1);
	send_frag(15, 0, 1476, 1);
	send_frag(15, 8, 0, 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_BAD_FRAG), 3);
	ck_assert_ptr_null(h.stack->ip.reass.list);
}
END_TEST

/* 128 fragments make a datagram; a 129th distinct one ends it. */
START_TEST(fragment_count_bound)
{
	make_echo(127 * 8 + 5 - 8, 16);         /* 127 full blocks and 5 bytes */
	for (size_t i = 0; i < 127; i++)
		send_frag(16, i * 8, 8, 1);
	send_frag(16, 127 * 8, 5, 0);
	assert_answered(0, 1);
	h_clear(&h);
	make_echo(129 * 8 - 8, 17);
	for (size_t i = 0; i < 129; i++)
		send_frag(17, i * 8, 8, 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_IP_REASS_BAD_FRAG), 1);
	ck_assert_ptr_null(h.stack->ip.reass.list);
}
END_TEST

/* An empty last fragment just marks the end. */
START_TEST(empty_last_fragment)
{
	make_echo(8, 18);
	send_frag(18, 0, 16, 1);
	send_frag(18, 16, 0, 0);
	assert_answered(0, 1);
}
END_TEST

/* What IP hands up is a normal datagram: MF and offset cleared, total
 * length and checksum rewritten (seen in the protocol-unreachable quote). */
START_TEST(reassembled_header_fixed_up)
{
	static uint8_t data[2000];
	fill_pattern(data, sizeof(data), 5);
	const struct ip_spec base = {.proto = 253};
	send_bytes(&base, 19, 1000, data + 1000, 1000, 0);
	send_bytes(&base, 19, 0, data, 1000, 1);
	ck_assert_uint_eq(h.n_out, 1);
	size_t len;
	const uint8_t *m = out_icmp(&h, 0, &len);
	ck_assert_uint_eq(m[0], 3);
	ck_assert_uint_eq(m[1], 2);
	const uint8_t *q = m + ICMP_LEN;
	ck_assert_uint_eq(rd16(q + 2), IP_LEN + sizeof(data));
	ck_assert_uint_eq(rd16(q + 6), 0);
	ck_assert_uint_eq(ref_cksum(q, IP_LEN), 0);
	ck_assert_mem_eq(q + IP_LEN, data, len - ICMP_LEN - IP_LEN);
}
END_TEST

/* A flood of fragments that never complete: memory stays bounded, a normal
 * ping is still answered, and everything is gone after the timeout. */
START_TEST(flood_leaves_stack_usable)
{
	struct tp_rand r;
	tp_rand_seed(&r, 77);
	make_echo(4000, 20);
	size_t limit = h.stack->ip.reass.mem_limit;
	for (int i = 0; i < 5000; i++) {
		size_t off = 8 * tp_rand_below(&r, 4);   /* often fragment 0 */
		send_frag((uint16_t)tp_rand_below(&r, 65536), off, 1480, 1);
		ck_assert_uint_le(h.stack->ip.reass.mem, limit);
	}
	ck_assert_uint_gt(tp_stat(h.stack, TP_STAT_IP_REASS_MEMORY), 0);
	h_clear(&h);
	struct frame f;
	frame_echo(&f, &(struct ip_spec){0}, 1, 1, "ping", 4);
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 1);
	h_clear(&h);
	h_advance(&h, TP_SEC(30));
	ck_assert_ptr_null(h.stack->ip.reass.list);
	ck_assert_uint_eq(h.stack->ip.reass.mem, 0);
	ck_assert_uint_gt(tp_stat(h.stack, TP_STAT_ICMP_RATE_LIMITED), 0);
	/* Only fragment-0 reassemblies earned a time exceeded, and the rate
	 * limit capped those at the burst. */
	ck_assert_uint_le(h.n_out, 50);
}
END_TEST

/* Same ID from different sources are different datagrams. */
START_TEST(key_includes_source)
{
	make_echo(4000, 21);
	send_frag(21, 0, 1480, 1);
	send_bytes(&(struct ip_spec){.src = OTHER_IP}, 21, 1480, msg + 1480, 1480, 1);
	send_frag(21, 2960, 1048, 0);
	ck_assert_uint_eq(h.n_out, 0);
	send_frag(21, 1480, 1480, 1);
	assert_answered(0, 3);
}
END_TEST

static Suite *ip_reass_suite(void)
{
	Suite *s = suite_create("ip_reass");
	TCase *tc = tcase_create("reass");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, in_order);
	tcase_add_test(tc, reversed);
	tcase_add_loop_test(tc, random_order, 0, 20);
	tcase_add_test(tc, overlap_identical_accepted);
	tcase_add_test(tc, overlap_conflicting_dropped);
	tcase_add_test(tc, end_contradictions_dropped);
	tcase_add_test(tc, duplicates_harmless);
	tcase_add_test(tc, timeout_sends_time_exceeded);
	tcase_add_test(tc, timeout_without_first_is_silent);
	tcase_add_test(tc, timeout_for_broadcast_is_silent);
	tcase_add_test(tc, memory_bound_evicts_oldest);
	tcase_add_test(tc, memory_too_small);
	tcase_add_test(tc, beyond_65535_dropped);
	tcase_add_test(tc, reassembled_over_65535_dropped);
	tcase_add_test(tc, non_last_not_multiple_of_8_dropped);
	tcase_add_test(tc, fragment_count_bound);
	tcase_add_test(tc, empty_last_fragment);
	tcase_add_test(tc, reassembled_header_fixed_up);
	tcase_add_test(tc, flood_leaves_stack_usable);
	tcase_add_test(tc, key_includes_source);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ip_reass_suite)
