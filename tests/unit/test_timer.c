/* The timer heap: ordering, re-arming, cancelling, against a brute-force model. */
#include <string.h>

#include "harness.h"
#include "rand.h"
#include "stack.h"
#include "timer.h"

static void never_called(struct tp_stack *s, struct tp_timer *t)
{
	(void)s;
	(void)t;
	ck_abort_msg("timer callback called by the heap itself");
}

#define N_TIMERS 64

struct fixture {
	struct tp_timer_heap heap;
	struct tp_timer t[N_TIMERS];
};

static void fixture_init(struct fixture *f)
{
	memset(&f->heap, 0, sizeof(f->heap));
	for (int i = 0; i < N_TIMERS; i++)
		tp_timer_init(&f->t[i], never_called);
}

/* Pops everything due at `now`, returning the indices in pop order. */
static int pop_all(struct fixture *f, tp_time now, int *order)
{
	int n = 0;
	struct tp_timer *t;
	while ((t = tp_timer_pop_due(&f->heap, now))) {
		ck_assert(!tp_timer_armed(t));
		order[n++] = (int)(t - f->t);
	}
	return n;
}

START_TEST(empty_heap_has_no_deadline)
{
	struct fixture f;
	fixture_init(&f);
	ck_assert_uint_eq(tp_timer_next(&f.heap), TP_TIME_NEVER);
	ck_assert_ptr_null(tp_timer_pop_due(&f.heap, TP_TIME_NEVER));
	tp_timer_heap_free(&f.heap);
}
END_TEST

START_TEST(pops_in_deadline_order)
{
	struct fixture f;
	fixture_init(&f);
	static const tp_time when[] = {50, 10, 40, 30, 20, 60, 5};
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(tp_timer_arm(&f.heap, &f.t[i], when[i]), 0);
	ck_assert_uint_eq(tp_timer_next(&f.heap), 5);
	int order[8];
	/* Nothing is due before the earliest deadline. */
	ck_assert_int_eq(pop_all(&f, 4, order), 0);
	ck_assert_int_eq(pop_all(&f, 30, order), 4);
	ck_assert_int_eq(order[0], 6);  /* 5 */
	ck_assert_int_eq(order[1], 1);  /* 10 */
	ck_assert_int_eq(order[2], 4);  /* 20 */
	ck_assert_int_eq(order[3], 3);  /* 30: due exactly at now */
	ck_assert_uint_eq(tp_timer_next(&f.heap), 40);
	ck_assert_int_eq(pop_all(&f, 1000, order), 3);
	ck_assert_int_eq(order[0], 2);
	ck_assert_int_eq(order[1], 0);
	ck_assert_int_eq(order[2], 5);
	tp_timer_heap_free(&f.heap);
}
END_TEST

START_TEST(rearm_earlier_and_later)
{
	struct fixture f;
	fixture_init(&f);
	for (int i = 0; i < 10; i++)
		tp_timer_arm(&f.heap, &f.t[i], 100 + (tp_time)i * 10);   /* 100..190 */
	tp_timer_arm(&f.heap, &f.t[9], 50);                            /* last becomes first */
	ck_assert_uint_eq(tp_timer_next(&f.heap), 50);
	tp_timer_arm(&f.heap, &f.t[9], 500);                           /* and last again */
	tp_timer_arm(&f.heap, &f.t[0], 145);                           /* first to the middle */
	ck_assert_uint_eq(tp_timer_next(&f.heap), 110);
	int order[16];
	ck_assert_int_eq(pop_all(&f, 1000, order), 10);
	static const int expect[] = {1, 2, 3, 4, 0, 5, 6, 7, 8, 9};
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(order[i], expect[i]);
	tp_timer_heap_free(&f.heap);
}
END_TEST

START_TEST(cancel_from_the_middle)
{
	struct fixture f;
	fixture_init(&f);
	for (int i = 0; i < 20; i++)
		tp_timer_arm(&f.heap, &f.t[i], (tp_time)(i * 7 % 20) + 1);
	tp_timer_cancel(&f.heap, &f.t[5]);
	tp_timer_cancel(&f.heap, &f.t[13]);
	tp_timer_cancel(&f.heap, &f.t[13]);     /* twice: harmless */
	tp_timer_cancel(&f.heap, &f.t[0]);
	ck_assert(!tp_timer_armed(&f.t[5]));
	ck_assert_uint_eq(f.heap.count, 17);
	int order[20];
	ck_assert_int_eq(pop_all(&f, 1000, order), 17);
	tp_time prev = 0;
	for (int i = 0; i < 17; i++) {
		ck_assert_int_ne(order[i], 5);
		ck_assert_int_ne(order[i], 13);
		ck_assert_int_ne(order[i], 0);
		ck_assert_uint_ge(f.t[order[i]].when, prev);
		prev = f.t[order[i]].when;
	}
	tp_timer_heap_free(&f.heap);
}
END_TEST

/* Thousands of random arm / re-arm / cancel / pop operations, checked after
 * each against a plain array of deadlines. */
START_TEST(random_ops_match_brute_force)
{
	struct fixture f;
	fixture_init(&f);
	tp_time model[N_TIMERS];
	for (int i = 0; i < N_TIMERS; i++)
		model[i] = TP_TIME_NEVER;
	struct tp_rand r;
	tp_rand_seed(&r, (uint64_t)_i);
	tp_time now = 0;
	for (int op = 0; op < 20000; op++) {
		int i = (int)tp_rand_below(&r, N_TIMERS);
		switch (tp_rand_below(&r, 4)) {
		case 0:
		case 1: {
			/* Small range so equal deadlines happen often. */
			tp_time when = now + tp_rand_below(&r, 200);
			CHECK(tp_timer_arm(&f.heap, &f.t[i], when) == 0);
			model[i] = when;
			break;
		}
		case 2:
			tp_timer_cancel(&f.heap, &f.t[i]);
			model[i] = TP_TIME_NEVER;
			break;
		case 3: {
			now += tp_rand_below(&r, 20);
			struct tp_timer *t;
			while ((t = tp_timer_pop_due(&f.heap, now))) {
				int k = (int)(t - f.t);
				CHECK(model[k] <= now);
				/* It must be the earliest of all. */
				for (int j = 0; j < N_TIMERS; j++)
					CHECK(model[j] >= model[k]);
				model[k] = TP_TIME_NEVER;
			}
			break;
		}
		}
		tp_time min = TP_TIME_NEVER;
		uint32_t armed = 0;
		for (int j = 0; j < N_TIMERS; j++) {
			if (model[j] < min)
				min = model[j];
			armed += model[j] != TP_TIME_NEVER;
			CHECK(tp_timer_armed(&f.t[j]) == (model[j] != TP_TIME_NEVER));
		}
		CHECK(tp_timer_next(&f.heap) == min);
		CHECK(f.heap.count == armed);
	}
	tp_timer_heap_free(&f.heap);
	for (int j = 0; j < N_TIMERS; j++)
		CHECK(!tp_timer_armed(&f.t[j]));
}
END_TEST

/* Timers driven through a stack: callbacks run from tp_poll at their
 * deadline, tp_next_deadline follows, and a callback may re-arm itself. */
struct ticker {
	struct tp_timer timer;
	int fired;
	tp_time at[4];
};

static void tick(struct tp_stack *s, struct tp_timer *t)
{
	struct ticker *k = container_of(t, struct ticker, timer);
	k->at[k->fired++] = tp_now(s);
	if (k->fired < 3)
		tp_timer_set(s, t, tp_now(s) + 10);
}

START_TEST(poll_runs_callbacks)
{
	struct harness h;
	h_init(&h);
	ck_assert_uint_eq(tp_next_deadline(h.stack), TP_TIME_NEVER);
	struct ticker k = {.fired = 0};
	tp_timer_init(&k.timer, tick);
	tp_time start = tp_now(h.stack);
	tp_timer_set(h.stack, &k.timer, start + 100);
	ck_assert_uint_eq(tp_next_deadline(h.stack), start + 100);
	tp_poll(h.stack, start + 99);
	ck_assert_int_eq(k.fired, 0);
	/* A late poll runs the timer once, at the poll's time, and its re-arm
	 * (10 after that) is not yet due. */
	tp_poll(h.stack, start + 104);
	ck_assert_int_eq(k.fired, 1);
	ck_assert_uint_eq(k.at[0], start + 104);
	ck_assert_uint_eq(tp_next_deadline(h.stack), start + 114);
	/* Time never goes backwards. */
	tp_poll(h.stack, start);
	ck_assert_uint_eq(tp_now(h.stack), start + 104);
	/* A much later poll still runs it once: the re-arm lands after it. */
	tp_poll(h.stack, start + 1104);
	ck_assert_int_eq(k.fired, 2);
	ck_assert_uint_eq(k.at[1], start + 1104);
	tp_poll(h.stack, start + 1114);
	ck_assert_int_eq(k.fired, 3);
	ck_assert_uint_eq(tp_next_deadline(h.stack), TP_TIME_NEVER);
	h_fini(&h);
}
END_TEST

static Suite *timer_suite(void)
{
	Suite *s = suite_create("timer");
	TCase *tc = tcase_create("heap");
	tcase_add_test(tc, empty_heap_has_no_deadline);
	tcase_add_test(tc, pops_in_deadline_order);
	tcase_add_test(tc, rearm_earlier_and_later);
	tcase_add_test(tc, cancel_from_the_middle);
	tcase_add_loop_test(tc, random_ops_match_brute_force, 1, 9);
	tcase_add_test(tc, poll_runs_callbacks);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(timer_suite)
