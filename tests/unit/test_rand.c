/* The stack's PRNG: reproducible per seed, unbiased bounded draws. */
#include <string.h>

#include "harness.h"
#include "rand.h"

/* splitmix64's published first outputs for seed 0 (Vigna's reference code):
 * the generator's state must be seeded from exactly these. */
START_TEST(seeding_uses_splitmix64)
{
	struct tp_rand r;
	tp_rand_seed(&r, 0);
	ck_assert_uint_eq(r.s[0], 0xe220a8397b1dcdafull);
	ck_assert_uint_eq(r.s[1], 0x6e789e6aa1b965f4ull);
	ck_assert_uint_eq(r.s[2], 0x06c45d188009454full);
	ck_assert_uint_eq(r.s[3], 0xf88bb8a8724c81ecull);
}
END_TEST

/* xoshiro256**: output = rotl(s1 * 5, 7) * 9, computed here by hand from the state. */
START_TEST(output_is_xoshiro256starstar)
{
	struct tp_rand r;
	tp_rand_seed(&r, 12345);
	for (int i = 0; i < 100; i++) {
		uint64_t s1 = r.s[1] * 5;
		uint64_t expect = ((s1 << 7) | (s1 >> 57)) * 9;
		CHECK(tp_rand_next(&r) == expect);
	}
}
END_TEST

START_TEST(same_seed_same_sequence)
{
	struct tp_rand a, b, c;
	tp_rand_seed(&a, 7);
	tp_rand_seed(&b, 7);
	tp_rand_seed(&c, 8);
	int differ = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = tp_rand_next(&a);
		CHECK(x == tp_rand_next(&b));
		differ += x != tp_rand_next(&c);
	}
	ck_assert_int_ge(differ, 999);
}
END_TEST

START_TEST(below_stays_in_bounds)
{
	static const uint32_t bounds[] = {1, 2, 3, 7, 10, 1000, 65536, 0x7fffffffu, 0x80000001u,
					  0xfffffffeu, 0xffffffffu};
	struct tp_rand r;
	tp_rand_seed(&r, 99);
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++)
		for (int i = 0; i < 20000; i++)
			CHECK(tp_rand_below(&r, bounds[b]) < bounds[b]);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(tp_rand_below(&r, 1), 0);
}
END_TEST

/* Chi-square over 10 buckets, 100000 draws: 9 degrees of freedom, the 0.999
 * quantile is 27.88. Fixed seeds, so the test is deterministic. */
START_TEST(below_is_roughly_uniform)
{
	struct tp_rand r;
	tp_rand_seed(&r, (uint64_t)_i);
	uint32_t counts[10] = {0};
	const int n = 100000;
	for (int i = 0; i < n; i++)
		counts[tp_rand_below(&r, 10)]++;
	double chi2 = 0, expect = n / 10.0;
	for (int i = 0; i < 10; i++)
		chi2 += (counts[i] - expect) * (counts[i] - expect) / expect;
	ck_assert_double_lt(chi2, 27.88);
}
END_TEST

/* A bound just over 2^31 is where modulo reduction would be most biased: the
 * lower half would come up twice as often. Lemire's method must not. */
START_TEST(below_has_no_modulo_bias)
{
	struct tp_rand r;
	tp_rand_seed(&r, 3);
	const uint32_t bound = 0xc0000000u;    /* 3 * 2^30 */
	int low = 0;
	const int n = 200000;
	for (int i = 0; i < n; i++)
		low += tp_rand_below(&r, bound) < bound / 3;
	/* Expect a third in [0, 2^30): modulo would give a half. */
	ck_assert_int_gt(low, n / 3 - 1500);
	ck_assert_int_lt(low, n / 3 + 1500);
}
END_TEST

static Suite *rand_suite(void)
{
	Suite *s = suite_create("rand");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, seeding_uses_splitmix64);
	tcase_add_test(tc, output_is_xoshiro256starstar);
	tcase_add_test(tc, same_seed_same_sequence);
	tcase_add_test(tc, below_stays_in_bounds);
	tcase_add_loop_test(tc, below_is_roughly_uniform, 1, 6);
	tcase_add_test(tc, below_has_no_modulo_bias);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(rand_suite)
