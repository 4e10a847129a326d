/* The Internet checksum (RFC 1071) in pieces, and the pseudo-header. */
#include <string.h>

#include "checksum.h"
#include "harness.h"

/* RFC 1071 §3's worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, so
 * the checksum is its complement, 220d. */
static const uint8_t rfc1071_example[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

START_TEST(rfc1071_worked_example)
{
	ck_assert_uint_eq(cksum_finish(cksum_add(0, rfc1071_example, 8)), 0x220d);
	ck_assert_uint_eq(cksum(rfc1071_example, 8), 0x220d);
}
END_TEST

/* A textbook IPv4 header (checksum b861 in place): it verifies to zero, and
 * recomputing with the field zeroed gives b861 back. */
START_TEST(ipv4_header_verifies_to_zero)
{
	uint8_t hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	ck_assert_uint_eq(cksum(hdr, sizeof(hdr)), 0);
	hdr[10] = hdr[11] = 0;
	ck_assert_uint_eq(cksum(hdr, sizeof(hdr)), 0xb861);
}
END_TEST

/* An odd length is padded with a zero byte at the end (RFC 1071 §4.1). */
START_TEST(odd_length_pads_with_zero)
{
	const uint8_t odd[] = {0x12, 0x34, 0x56};
	const uint8_t padded[] = {0x12, 0x34, 0x56, 0x00};
	ck_assert_uint_eq(cksum(odd, 3), cksum(padded, 4));
	/* 0x1234 + 0x5600 = 0x6834; complement 0x97cb */
	ck_assert_uint_eq(cksum(odd, 3), 0x97cb);
	const uint8_t one[] = {0xab};
	ck_assert_uint_eq(cksum(one, 1), (uint16_t)~0xab00);
}
END_TEST

/* Carries wrap around: ffff + 0001 is 0001 in one's complement (not 0000). */
START_TEST(carries_wrap_around)
{
	const uint8_t a[] = {0xff, 0xff, 0x00, 0x01};
	ck_assert_uint_eq(cksum(a, 4), (uint16_t)~0x0001);
	/* Many 0xffff words stay 0xffff (negative zero), so the checksum is 0. */
	uint8_t ones[4096];
	memset(ones, 0xff, sizeof(ones));
	ck_assert_uint_eq(cksum(ones, sizeof(ones)), 0x0000);
	/* 0x8000 twice: 0x10000 folds to 0x0001. */
	const uint8_t halves[] = {0x80, 0x00, 0x80, 0x00};
	ck_assert_uint_eq(cksum(halves, 4), (uint16_t)~0x0001);
	/* All zeros: the sum is 0, the checksum ffff. */
	const uint8_t zeros[6] = {0};
	ck_assert_uint_eq(cksum(zeros, 6), 0xffff);
}
END_TEST

/* A running sum handed back in may already be near 2^32: adding to it must
 * fold the carry, not lose it. 0xffffffff is 0xffff + 0xffff = 0xffff in
 * one's complement; + 0x0001 gives 0x0001, so the checksum is 0xfffe. */
START_TEST(running_sum_carry_folds)
{
	const uint8_t one[] = {0x00, 0x01};
	ck_assert_uint_eq(cksum_finish(cksum_add(0xffffffffu, one, 2)), 0xfffe);
	ck_assert_uint_eq(cksum_finish(cksum_add(0xfffffffeu, one, 2)), (uint16_t)~0xffff);
}
END_TEST

/* Large inputs: the accumulator must not lose carries (compare with the
 * independent one-word-at-a-time reference on 64 KiB of 0xff.. patterns). */
START_TEST(large_buffers_match_reference)
{
	static uint8_t buf[65536 + 1];
	for (unsigned seed = 0; seed < 8; seed++) {
		fill_pattern(buf, sizeof(buf), seed);
		if (seed & 1)
			memset(buf, 0xff, sizeof(buf) / 2);
		for (size_t len = sizeof(buf) - 8; len <= sizeof(buf); len++)
			CHECK(cksum(buf, len) == ref_cksum(buf, len));
	}
}
END_TEST

/* Summing in even-length pieces (the last may be odd) equals the whole. */
START_TEST(pieces_equal_the_whole)
{
	uint8_t buf[1501];
	fill_pattern(buf, sizeof(buf), (unsigned)_i);
	uint16_t whole = cksum(buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf) - 1; cut += 2) {
		uint32_t s = cksum_add(0, buf, cut);
		s = cksum_add(s, buf + cut, sizeof(buf) - cut);
		CHECK(cksum_finish(s) == whole);
	}
	/* Three pieces. */
	uint32_t s = cksum_add(cksum_add(cksum_add(0, buf, 100), buf + 100, 900), buf + 1000, 501);
	ck_assert_uint_eq(cksum_finish(s), whole);
}
END_TEST

/* The pseudo-header sum equals summing its 12 bytes laid out per RFC 768:
 * src, dst, zero, protocol, length. */
START_TEST(pseudo_header_matches_layout)
{
	static const struct { uint32_t src, dst; uint8_t proto; uint16_t len; } cases[] = {
		{0x0a000001, 0x0a000002, 6, 40},
		{0xffffffff, 0xffffffff, 17, 0xffff},
		{0, 0, 0, 0},
		{0xc0a80001, 0x08080808, 17, 8},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t ph[12];
		wr32(ph, cases[i].src);
		wr32(ph + 4, cases[i].dst);
		ph[8] = 0;
		ph[9] = cases[i].proto;
		wr16(ph + 10, cases[i].len);
		ck_assert_uint_eq(cksum_finish(cksum_pseudo(cases[i].src, cases[i].dst, cases[i].proto,
							    cases[i].len)),
				  ref_cksum(ph, 12));
	}
}
END_TEST

/* A UDP datagram (RFC 768) checksummed as pseudo-header + header + data
 * verifies to zero once the checksum is stored. */
START_TEST(pseudo_header_then_payload_verifies)
{
	uint8_t udp[8 + 5] = {0x30, 0x39, 0x00, 0x35, 0x00, 13, 0, 0, 'h', 'e', 'l', 'l', 'o'};
	uint32_t s = cksum_pseudo(0x0a000001, 0x0a000002, 17, sizeof(udp));
	uint16_t c = cksum_finish(cksum_add(s, udp, sizeof(udp)));
	wr16(udp + 6, c);
	uint8_t whole[12 + sizeof(udp)];
	wr32(whole, 0x0a000001);
	wr32(whole + 4, 0x0a000002);
	whole[8] = 0;
	whole[9] = 17;
	wr16(whole + 10, sizeof(udp));
	memcpy(whole + 12, udp, sizeof(udp));
	ck_assert_uint_eq(ref_cksum(whole, sizeof(whole)), 0);
}
END_TEST

static Suite *checksum_suite(void)
{
	Suite *s = suite_create("checksum");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rfc1071_worked_example);
	tcase_add_test(tc, ipv4_header_verifies_to_zero);
	tcase_add_test(tc, odd_length_pads_with_zero);
	tcase_add_test(tc, carries_wrap_around);
	tcase_add_test(tc, running_sum_carry_folds);
	tcase_add_test(tc, large_buffers_match_reference);
	tcase_add_loop_test(tc, pieces_equal_the_whole, 0, 4);
	tcase_add_test(tc, pseudo_header_matches_layout);
	tcase_add_test(tc, pseudo_header_then_payload_verifies);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(checksum_suite)
