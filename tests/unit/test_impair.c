/* Link impairment: the --impair spec parser, and one direction's loss,
 * duplication, reordering, delay/jitter and rate limit, measured over many
 * frames against what the configuration asks for. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "tapir/wire.h"

/* --- Parser ---------------------------------------------------------------- */

START_TEST(parse_full_example)
{
	struct tp_impair_config c;
	char err[128] = "";
	ck_assert_int_eq(tp_impair_parse("loss=5%,delay=10ms,jitter=2ms,reorder=10%,dup=1%,"
					 "rate=10mbit,seed=7", &c, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(c.loss_ppm, 50000);
	ck_assert_uint_eq(c.delay, 10000);
	ck_assert_uint_eq(c.jitter, 2000);
	ck_assert_uint_eq(c.reorder_ppm, 100000);
	ck_assert_uint_eq(c.dup_ppm, 10000);
	ck_assert_uint_eq(c.rate_bps, 10000000);
	ck_assert_uint_eq(c.seed, 7);
	ck_assert_uint_eq(c.queue_bytes, 0);            /* defaults applied later */
	ck_assert_uint_eq(c.limit, 0);
}
END_TEST

static const struct { const char *spec; uint64_t value; } good_values[] = {
	{"delay=1.5ms", 1500}, {"delay=250us", 250}, {"delay=2s", 2000000}, {"delay=0", 0},
	{"delay=0.000001s", 1}, {"delay=60s", 60000000}, {"delay=10MS", 10000},
	{"rate=1gbit", 1000000000}, {"rate=64kbit", 64000}, {"rate=100bit", 100},
	{"rate=10Mbit", 10000000}, {"rate=2.5mbit", 2500000},
	{"queue=64kib", 65536}, {"queue=1mb", 1000000}, {"queue=1500b", 1500}, {"queue=2mib", 2097152},
	{"loss=0.5%", 5000}, {"loss=100%", 1000000}, {"loss=0.0001%", 1}, {"loss=0%", 0}, {"loss=0", 0},
	{"seed=0x10", 16}, {"seed=0xaBcD", 0xabcd}, {"seed=18446744073709551615", UINT64_MAX}, {"limit=5", 5},
	{"reorder_delay=3ms", 3000}, {"jitter=7us", 7},
};

/* The one non-zero field a single-key spec sets. */
static uint64_t value_of(const char *spec, const struct tp_impair_config *c)
{
	if (!strncmp(spec, "delay", 5)) return c->delay;
	if (!strncmp(spec, "rate", 4)) return c->rate_bps;
	if (!strncmp(spec, "queue", 5)) return c->queue_bytes;
	if (!strncmp(spec, "loss", 4)) return c->loss_ppm;
	if (!strncmp(spec, "seed", 4)) return c->seed;
	if (!strncmp(spec, "limit", 5)) return c->limit;
	if (!strncmp(spec, "reorder_delay", 13)) return c->reorder_delay;
	if (!strncmp(spec, "jitter", 6)) return c->jitter;
	ck_abort_msg("no field for %s", spec);
	return 0;
}

START_TEST(parse_units)
{
	struct tp_impair_config c;
	char err[128];
	ck_assert_msg(tp_impair_parse(good_values[_i].spec, &c, err, sizeof(err)) == 0, "%s: %s",
		      good_values[_i].spec, err);
	ck_assert_uint_eq(value_of(good_values[_i].spec, &c), good_values[_i].value);
}
END_TEST

static const struct { const char *spec, *message; } bad_specs[] = {
	{"loss", "needs a value"},
	{"loss=", "needs a value"},
	{"loss=5", "missing unit"},
	{"loss=101%", "out of range"},
	{"loss=-1%", "expected a number"},
	{"loss=5%%", "unknown unit"},
	{"loss=abc", "expected a number"},
	{"loss=0.00001%", "finer than"},
	{"loss=5% ", "unknown unit"},
	{" loss=5%", "unknown key"},
	{"delay=10xs", "unknown unit"},
	{"delay=61s", "out of range"},
	{"delay=1.5us", "finer than"},
	{"delay=1.ms", "expected a number"},
	{"delay=99999999999999999999s", "too many digits"},
	{"delay=10", "missing unit (us, ms, s)"},
	{"rate=0", "out of range"},
	{"rate=10mbps", "unknown unit"},
	{"reorder_delay=0", "out of range"},
	{"queue=1500", "missing unit"},
	{"speed=10mbit", "unknown key 'speed'"},
	{"loss=5%,loss=6%", "loss given twice"},
	{"loss=5%,,dup=1%", "empty item"},
	{"loss=5%,", "empty item"},
	{",loss=5%", "empty item"},
	{"seed=abc", "expected an integer"},
	{"seed=18446744073709551616", "expected an integer"},
	{"seed=-1", "expected an integer"},
	{"limit=0", "out of range"},
	{"limit=1.5", "expected an integer"},
	{"loss=5%;dup=1%", "unknown unit"},
};

START_TEST(parse_rejects_with_reason)
{
	struct tp_impair_config c;
	char err[256] = "";
	ck_assert_int_eq(tp_impair_parse(bad_specs[_i].spec, &c, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strncmp(err, "impair: ", 8) == 0, "no prefix: %s", err);
	ck_assert_msg(strstr(err, bad_specs[_i].message), "\"%s\" gave \"%s\", wanted \"%s\"",
		      bad_specs[_i].spec, err, bad_specs[_i].message);
}
END_TEST

START_TEST(parse_empty_is_perfect)
{
	struct tp_impair_config c;
	memset(&c, 0xff, sizeof(c));
	ck_assert_int_eq(tp_impair_parse("", &c, NULL, 0), 0);
	struct tp_impair_config zero = {0};
	ck_assert_mem_eq(&c, &zero, sizeof(c));
	ck_assert_int_eq(tp_impair_parse(NULL, &c, NULL, 0), 0);
}
END_TEST

/* A tiny or absent error buffer is never overrun. */
START_TEST(parse_error_buffer_bounded)
{
	struct tp_impair_config c;
	char err[12];
	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(tp_impair_parse("speed=1", &c, err, 8), -EINVAL);
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(err[8], 'x');
	ck_assert_int_eq(tp_impair_parse("speed=1", &c, NULL, 0), -EINVAL);
}
END_TEST

/* Formatting gives a spec that parses back to the same configuration. */
START_TEST(format_round_trips)
{
	static const char *const specs[] = {
		"loss=5%,delay=10ms,jitter=2ms,reorder=10%,dup=1%,rate=10mbit,seed=7",
		"loss=0.1234%,reorder_delay=1500us,queue=64kib,limit=20,rate=1500bit,seed=0",
		"delay=3s,rate=2gbit,seed=18446744073709551615",
		"loss=0.5%,dup=12.25%,reorder=100%,jitter=1001us,seed=0xff",
		"",
	};
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		struct tp_impair_config a, b;
		char text[256], err[128];
		ck_assert_int_eq(tp_impair_parse(specs[i], &a, err, sizeof(err)), 0);
		tp_impair_format(&a, text, sizeof(text));
		ck_assert_msg(tp_impair_parse(text, &b, err, sizeof(err)) == 0, "%s: %s", text, err);
		ck_assert_mem_eq(&a, &b, sizeof(a));
	}
	struct tp_impair_config c = {.delay = 10000, .loss_ppm = 50000, .seed = 3};
	char text[128];
	tp_impair_format(&c, text, sizeof(text));
	ck_assert_str_eq(text, "loss=5%,delay=10ms,seed=3");
}
END_TEST

/* --- One direction --------------------------------------------------------- */

#define FRAME_LEN 1250                  /* 10000 bits: 1 ms at 10 Mbit/s */

static struct tp_impair *make(const char *spec)
{
	struct tp_impair_config c;
	char err[128];
	ck_assert_msg(tp_impair_parse(spec, &c, err, sizeof(err)) == 0, "%s", err);
	struct tp_impair *imp = tp_impair_new(&c);
	ck_assert_ptr_nonnull(imp);
	return imp;
}

/* A frame whose first 4 bytes number it and whose rest is a pattern. */
static void numbered(uint8_t *f, size_t len, uint32_t n)
{
	fill_pattern(f, len, n);
	wr32(f, n);
}

/* Delivery record of a run: for each delivered copy, its number and time. */
struct run {
	uint32_t *number;
	tp_time *sent_at, *at;
	size_t n, cap;
};

static void record(struct run *r, struct tp_impair *imp, tp_time now, const tp_time *sent_at)
{
	const uint8_t *f;
	size_t len;
	tp_time at;
	while (tp_impair_pop(imp, now, &f, &len, &at)) {
		uint8_t expect[FRAME_LEN];
		uint32_t n = rd32(f);
		CHECK(len == FRAME_LEN);
		numbered(expect, len, n);
		CHECK(memcmp(f, expect, len) == 0);       /* bytes arrive intact */
		CHECK(at <= now);
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 1024;
			r->number = realloc(r->number, r->cap * sizeof(*r->number));
			r->at = realloc(r->at, r->cap * sizeof(*r->at));
			r->sent_at = realloc(r->sent_at, r->cap * sizeof(*r->sent_at));
		}
		r->number[r->n] = n;
		r->at[r->n] = at;
		r->sent_at[r->n] = sent_at[n];
		r->n++;
	}
}

/* Submits `count` frames `gap` µs apart and collects every delivery. */
static void drive(struct tp_impair *imp, struct run *r, size_t count, tp_time gap)
{
	static uint8_t f[FRAME_LEN];
	tp_time *sent_at = malloc(count * sizeof(*sent_at));
	tp_time now = 0;
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < count; i++, now += gap) {
		record(r, imp, now, sent_at);
		numbered(f, sizeof(f), (uint32_t)i);
		sent_at[i] = now;
		tp_impair_submit(imp, now, f, sizeof(f));
	}
	record(r, imp, TP_TIME_NEVER - 1, sent_at);
	ck_assert_uint_eq(tp_impair_in_flight(imp), 0);
	ck_assert_uint_eq(tp_impair_next(imp), TP_TIME_NEVER);
	free(sent_at);
}

static void run_free(struct run *r)
{
	free(r->number);
	free(r->at);
	free(r->sent_at);
}

/* Every copy accounted for: in = out + dropped. */
static void assert_balanced(const struct tp_impair *imp)
{
	const struct tp_impair_stats *s = tp_impair_stats(imp);
	ck_assert_uint_eq(s->sent + s->duplicated,
			  s->delivered + s->dropped_loss + s->dropped_queue + tp_impair_in_flight(imp));
}

START_TEST(perfect_link_delivers_at_once_in_order)
{
	struct tp_impair *imp = make("");
	struct run r;
	drive(imp, &r, 1000, 7);
	ck_assert_uint_eq(r.n, 1000);
	for (size_t i = 0; i < r.n; i++) {
		CHECK(r.number[i] == i);
		CHECK(r.at[i] == r.sent_at[i]);
	}
	ck_assert_uint_eq(tp_impair_stats(imp)->bytes_delivered, 1000 * FRAME_LEN);
	run_free(&r);
	tp_impair_free(imp);
}
END_TEST

/* 100000 frames at 5% loss: within ±0.35% (5 standard deviations). */
START_TEST(loss_rate_matches)
{
	char spec[64];
	snprintf(spec, sizeof(spec), "loss=5%%,seed=%d", _i);
	struct tp_impair *imp = make(spec);
	struct run r;
	drive(imp, &r, 100000, 10);
	const struct tp_impair_stats *s = tp_impair_stats(imp);
	ck_assert_uint_ge(s->dropped_loss, 4650);
	ck_assert_uint_le(s->dropped_loss, 5350);
	ck_assert_uint_eq(r.n, 100000 - s->dropped_loss);
	for (size_t i = 1; i < r.n; i++)
		CHECK(r.number[i] > r.number[i - 1]);        /* loss never reorders */
	assert_balanced(imp);
	run_free(&r);
	tp_impair_free(imp);
}
END_TEST

/* 1% duplication: about 1000 of 100000 come twice, the copy right after. */
START_TEST(dup_rate_matches)
{
	struct tp_impair *imp = make("dup=1%,seed=11");
	struct run r;
	drive(imp, &r, 100000, 10);
	const struct tp_impair_stats *s = tp_impair_stats(imp);
	ck_assert_uint_ge(s->duplicated, 850);
	ck_assert_uint_le(s->duplicated, 1150);
	ck_assert_uint_eq(r.n, 100000 + s->duplicated);
	size_t twins = 0;
	for (size_t i = 1; i < r.n; i++)
		twins += r.number[i] == r.number[i - 1];
	ck_assert_uint_eq(twins, s->duplicated);
	assert_balanced(imp);
	run_free(&r);
	tp_impair_free(imp);
}
END_TEST

/* 10% reordering with frames 100 µs apart and a 1 ms hold: each held frame
 * is overtaken (delivered after a frame sent later) unless it is among the
 * last few, with nothing left to overtake it; no other frame is. */
START_TEST(reorder_rate_matches)
{
	struct tp_impair *imp = make("reorder=10%,reorder_delay=1ms,seed=5");
	struct run r;
	drive(imp, &r, 50000, 100);
	const struct tp_impair_stats *s = tp_impair_stats(imp);
	ck_assert_uint_ge(s->reordered, 4600);
	ck_assert_uint_le(s->reordered, 5400);
	size_t overtaken = 0, held = 0, held_at_end = 0;
	uint32_t highest = 0;
	for (size_t i = 0; i < r.n; i++) {
		int late = r.number[i] < highest;
		tp_time latency = r.at[i] - r.sent_at[i];
		CHECK(latency == 0 || latency == TP_MSEC(1));
		held += latency != 0;
		held_at_end += latency != 0 && r.number[i] >= 50000 - 10;
		CHECK(!late || latency != 0);           /* only held frames are overtaken */
		overtaken += late;
		if (r.number[i] > highest)
			highest = r.number[i];
	}
	ck_assert_uint_eq(held, s->reordered);
	ck_assert_uint_ge(overtaken, held - held_at_end);
	ck_assert_uint_le(overtaken, held);
	ck_assert_uint_eq(r.n, 50000);
	run_free(&r);
	tp_impair_free(imp);
}
END_TEST

/* Delay 10 ms ± 2 ms, frames 5 ms apart (jitter cannot push one past the
 * next): every latency in [8, 12] ms, the mean near 10 ms, the spread used. */
START_TEST(delay_and_jitter_bounds)
{
	struct tp_impair *imp = make("delay=10ms,jitter=2ms,seed=3");
	struct run r;
	drive(imp, &r, 20000, TP_MSEC(5));
	tp_time lo = TP_TIME_NEVER, hi = 0;
	double sum = 0;
	for (size_t i = 0; i < r.n; i++) {
		tp_time l = r.at[i] - r.sent_at[i];
		lo = l < lo ? l : lo;
		hi = l > hi ? l : hi;
		sum += (double)l;
	}
	ck_assert_uint_ge(lo, TP_MSEC(8));
	ck_assert_uint_le(hi, TP_MSEC(12));
	ck_assert_uint_lt(lo, TP_MSEC(8) + 50);
	ck_assert_uint_gt(hi, TP_MSEC(12) - 50);
	ck_assert_double_gt(sum / (double)r.n, 9950.0);
	ck_assert_double_lt(sum / (double)r.n, 10050.0);
	run_free(&r);
	tp_impair_free(imp);
}
END_TEST

/* Frames closer together than the jitter: still delivered in order, never
 * sooner than delay - jitter. */
START_TEST(jitter_alone_keeps_order)
{
	struct tp_impair *imp = make("delay=10ms,jitter=5ms,seed=4");
	struct run r;
	drive(imp, &r, 20000, 100);
	for (size_t i = 0; i < r.n; i++) {
		CHECK(r.number[i] == i);
		CHECK(r.at[i] - r.sent_at[i] >= TP_MSEC(5));
	}
	ck_assert_uint_eq(tp_impair_stats(imp)->reordered, 0);
	run_free(&r);
	tp_impair_free(imp);
}
END_TEST

/* 10 Mbit/s: 1250-byte frames take exactly 1 ms each on the wire, so a
 * burst of 10 leaves at 1, 2, ... 10 ms (plus the propagation delay). */
START_TEST(rate_serialises_frames)
{
	struct tp_impair *imp = make("rate=10mbit,delay=3ms");
	static uint8_t f[FRAME_LEN];
	for (uint32_t i = 0; i < 10; i++) {
		numbered(f, sizeof(f), i);
		ck_assert_int_eq(tp_impair_submit(imp, 0, f, sizeof(f)), 1);
	}
	for (uint32_t i = 0; i < 10; i++) {
		const uint8_t *out;
		size_t len;
		tp_time at;
		ck_assert_uint_eq(tp_impair_next(imp), TP_MSEC(i + 1) + TP_MSEC(3));
		ck_assert_int_eq(tp_impair_pop(imp, TP_MSEC(i + 1) + TP_MSEC(3) - 1, &out, &len, &at), 0);
		ck_assert_int_eq(tp_impair_pop(imp, TP_TIME_NEVER - 1, &out, &len, &at), 1);
		ck_assert_uint_eq(rd32(out), i);
	}
	/* After an idle gap the link starts afresh. */
	tp_impair_submit(imp, TP_SEC(1), f, sizeof(f));
	ck_assert_uint_eq(tp_impair_next(imp), TP_SEC(1) + TP_MSEC(4));
	tp_impair_free(imp);
}
END_TEST

/* A 5000-byte queue holds four 1250-byte frames not yet fully sent; the
 * fifth is dropped, and a slot frees as each frame finishes. */
START_TEST(rate_queue_overflow_drops)
{
	struct tp_impair *imp = make("rate=10mbit,queue=5000b");
	static uint8_t f[FRAME_LEN];
	int accepted = 0;
	for (int i = 0; i < 10; i++)
		accepted += tp_impair_submit(imp, 0, f, sizeof(f));
	ck_assert_int_eq(accepted, 4);
	ck_assert_uint_eq(tp_impair_stats(imp)->dropped_queue, 6);
	ck_assert_int_eq(tp_impair_submit(imp, TP_MSEC(1) - 1, f, sizeof(f)), 0);
	ck_assert_int_eq(tp_impair_submit(imp, TP_MSEC(1), f, sizeof(f)), 1);
	assert_balanced(imp);
	tp_impair_free(imp);
}
END_TEST

/* Offered 20 Mbit/s for 1 s into 10 Mbit/s: 10 Mbit get through (± a
 * queue's worth), the rest is dropped. */
START_TEST(rate_limits_throughput)
{
	struct tp_impair *imp = make("rate=10mbit,queue=10000b");
	struct run r;
	drive(imp, &r, 2000, 500);               /* a 1250-byte frame every 0.5 ms */
	tp_time end = r.at[r.n - 1];
	ck_assert_uint_ge(r.n, 1000);
	ck_assert_uint_le(r.n, 1009);
	/* Back to back: each delivery exactly 1 ms after the previous. */
	for (size_t i = 20; i < r.n; i++)
		CHECK(r.at[i] - r.at[i - 1] == TP_MSEC(1));
	ck_assert_uint_le(end, TP_SEC(1) + TP_MSEC(10));
	assert_balanced(imp);
	run_free(&r);
	tp_impair_free(imp);
}
END_TEST

START_TEST(in_flight_limit_drops)
{
	struct tp_impair *imp = make("delay=1s,limit=10");
	static uint8_t f[FRAME_LEN];
	for (int i = 0; i < 15; i++)
		tp_impair_submit(imp, (tp_time)i, f, sizeof(f));
	ck_assert_uint_eq(tp_impair_in_flight(imp), 10);
	ck_assert_uint_eq(tp_impair_stats(imp)->dropped_queue, 5);
	assert_balanced(imp);
	tp_impair_free(imp);
}
END_TEST

/* Same seed and traffic, same outcome; another seed, another outcome. */
START_TEST(deterministic_per_seed)
{
	static const char *const specs[] = {
		"loss=10%,dup=5%,reorder=10%,delay=5ms,jitter=1ms,rate=50mbit,seed=9",
		"loss=10%,dup=5%,reorder=10%,delay=5ms,jitter=1ms,rate=50mbit,seed=9",
		"loss=10%,dup=5%,reorder=10%,delay=5ms,jitter=1ms,rate=50mbit,seed=10",
	};
	struct run r[3];
	for (int i = 0; i < 3; i++) {
		struct tp_impair *imp = make(specs[i]);
		drive(imp, &r[i], 5000, 150);
		assert_balanced(imp);
		tp_impair_free(imp);
	}
	ck_assert_uint_eq(r[0].n, r[1].n);
	ck_assert_mem_eq(r[0].number, r[1].number, r[0].n * sizeof(uint32_t));
	ck_assert_mem_eq(r[0].at, r[1].at, r[0].n * sizeof(tp_time));
	ck_assert(r[0].n != r[2].n || memcmp(r[0].number, r[2].number, r[0].n * sizeof(uint32_t)));
	for (int i = 0; i < 3; i++)
		run_free(&r[i]);
}
END_TEST

START_TEST(new_rejects_out_of_range)
{
	struct tp_impair_config c = {.loss_ppm = 1000001};
	errno = 0;
	ck_assert_ptr_null(tp_impair_new(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = (struct tp_impair_config){.delay = TP_SEC(61)};
	ck_assert_ptr_null(tp_impair_new(&c));
	struct tp_impair *perfect = tp_impair_new(NULL);
	ck_assert_ptr_nonnull(perfect);
	tp_impair_free(perfect);
	tp_impair_free(NULL);
}
END_TEST


static Suite *impair_suite(void)
{
	Suite *s = suite_create("impair");
	TCase *tp = tcase_create("parse");
	tcase_add_test(tp, parse_full_example);
	tcase_add_loop_test(tp, parse_units, 0, COUNT(good_values));
	tcase_add_loop_test(tp, parse_rejects_with_reason, 0, COUNT(bad_specs));
	tcase_add_test(tp, parse_empty_is_perfect);
	tcase_add_test(tp, parse_error_buffer_bounded);
	tcase_add_test(tp, format_round_trips);
	suite_add_tcase(s, tp);
	TCase *tc = tcase_create("channel");
	tcase_add_test(tc, perfect_link_delivers_at_once_in_order);
	tcase_add_loop_test(tc, loss_rate_matches, 1, 4);
	tcase_add_test(tc, dup_rate_matches);
	tcase_add_test(tc, reorder_rate_matches);
	tcase_add_test(tc, delay_and_jitter_bounds);
	tcase_add_test(tc, jitter_alone_keeps_order);
	tcase_add_test(tc, rate_serialises_frames);
	tcase_add_test(tc, rate_queue_overflow_drops);
	tcase_add_test(tc, rate_limits_throughput);
	tcase_add_test(tc, in_flight_limit_drops);
	tcase_add_test(tc, deterministic_per_seed);
	tcase_add_test(tc, new_rejects_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(impair_suite)
