/*
 * test_ring.c - the socket buffers' byte ring: memory only as it is used
 * (nothing at first, a small block that doubles, never past the capacity),
 * wrap-around kept in order across growth, out-of-order bytes placed ahead
 * surviving growth, and capacity changes.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "ring.h"

static uint8_t pattern[1 << 20], out[1 << 20];

START_TEST(memory_follows_use)
{
	struct ring r;
	ring_init(&r, 256 * 1024, NULL);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(ring_write(&r, pattern, 10), 10);
	ck_assert_uint_eq(r.alloc, RING_MIN_ALLOC);      /* not the 256 KiB it may hold */
	ck_assert_uint_eq(ring_write(&r, pattern + 10, RING_MIN_ALLOC), RING_MIN_ALLOC);
	ck_assert_uint_eq(r.alloc, 2 * RING_MIN_ALLOC);
	ck_assert_uint_eq(ring_write(&r, pattern + 10 + RING_MIN_ALLOC, sizeof(pattern)),
			  256 * 1024 - 10 - RING_MIN_ALLOC);  /* up to the capacity, no further */
	ck_assert_uint_eq(r.alloc, 256 * 1024);
	ring_peek(&r, 0, out, r.len);
	ck_assert_mem_eq(out, pattern, r.len);
	ring_free(&r);
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(r.alloc, 0);
	/* A capacity that is no power of two caps the doubling. */
	ring_init(&r, 10000, NULL);
	ck_assert_uint_eq(ring_write(&r, pattern, 9000), 9000);
	ck_assert_uint_ge(r.alloc, 9000);
	ck_assert_uint_le(r.alloc, 10000);
	ring_free(&r);
}
END_TEST

static uint8_t stream_byte(uint64_t k) { return (uint8_t)(k * 7 + k / 251); }

/* Bytes that wrapped round the end of a small block come out in order after
 * it grows, however often it does, whatever the offsets. */
START_TEST(wrap_kept_across_growth)
{
	static uint8_t chunk[9000];
	for (unsigned seed = 1; seed <= 200; seed++) {
		struct ring r;
		ring_init(&r, 100000 + seed * 37, NULL);
		uint64_t in = 0, taken = 0;
		unsigned x = seed;
		while (taken < 300000) {
			x = x * 1103515245u + 12345u;
			uint32_t n = (x >> 8) % sizeof(chunk);
			if (x & 0x10000) {
				for (uint32_t i = 0; i < n; i++)
					chunk[i] = stream_byte(in + i);
				in += ring_write(&r, chunk, n);
			} else {
				if (n > r.len)
					n = r.len;
				ring_peek(&r, 0, out, n);
				for (uint32_t i = 0; i < n; i++)
					CHECK(out[i] == stream_byte(taken + i));
				ring_drop(&r, n);
				taken += n;
			}
			CHECK(r.len == in - taken && r.alloc <= r.cap);
			if (!r.len)
				ring_free(&r);      /* as TCP does with an empty buffer */
		}
		ring_free(&r);
	}
}
END_TEST

START_TEST(placed_ahead_survives_growth)
{
	struct ring r;
	ring_init(&r, 64 * 1024, NULL);
	fill_pattern(pattern, sizeof(pattern), 3);
	ck_assert_uint_eq(ring_write(&r, pattern, 1000), 1000);
	ring_drop(&r, 900);         /* the head moves: the next bytes wrap sooner */
	/* 20000 bytes arrive beyond a 3000-byte gap, then the gap fills. */
	ck_assert_int_eq(ring_place(&r, 3000, pattern + 4000, 20000), 0);
	ck_assert_uint_ge(r.alloc, 23100);
	ck_assert_int_eq(ring_place(&r, 0, pattern + 1000, 3000), 0);
	ring_commit(&r, 23000);
	ck_assert_uint_eq(r.len, 23100);
	ring_peek(&r, 0, out, r.len);
	ck_assert_mem_eq(out, pattern + 900, 23100);
	ring_free(&r);
}
END_TEST

START_TEST(resize)
{
	struct ring r;
	ring_init(&r, 8192, NULL);
	ck_assert_int_eq(ring_resize(&r, 100000), 0);   /* nothing allocated: just the bound */
	ck_assert_ptr_null(r.buf);
	ck_assert_uint_eq(ring_write(&r, pattern, 5000), 5000);
	ck_assert_int_eq(ring_resize(&r, 4999), -EINVAL);     /* never below what is held */
	ck_assert_int_eq(ring_resize(&r, 6000), 0);           /* a block never outgrows it */
	ck_assert_uint_le(r.alloc, 6000);
	ck_assert_uint_eq(ring_write(&r, pattern + 5000, 5000), 1000);
	ck_assert_uint_le(r.alloc, 6000);
	ring_peek(&r, 0, out, 6000);
	ck_assert_mem_eq(out, pattern, 6000);
	ring_free(&r);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc = tcase_create("ring");
	tcase_add_test(tc, memory_follows_use);
	tcase_add_test(tc, wrap_kept_across_growth);
	tcase_add_test(tc, placed_ahead_survives_growth);
	tcase_add_test(tc, resize);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(ring_suite)
