/*
 * test_loop.c - the event loop on the real clock, no root needed: loop
 * timers (one-shot, periodic, freed in their own callback), wakes and stops
 * from another thread, fds removed in the middle of a batch, a failing fd
 * callback, and the timerfd following the stack's own deadlines (ARP giving
 * up after its 3 retries reports host-unreachable to the ping handler).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "tapir/clock.h"
#include "tapir/loop.h"

static int failures;
#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			failures++;                                                  \
		}                                                                    \
	} while (0)

static struct tp_stack *new_stack(void)
{
	struct tp_stack_config cfg = {.seed = 1, .start_time = tp_clock_now()};
	return tp_stack_new(&cfg);
}

/* --- timers ------------------------------------------------------------ */

struct ticks {
	struct tp_loop *loop;
	int periodic, oneshot, selffree;
	struct tp_loop_timer *self;
	tp_time started, stopped_at;
};

static void on_periodic(void *ctx)
{
	struct ticks *t = ctx;
	if (++t->periodic == 5) {
		t->stopped_at = tp_clock_now();
		tp_loop_stop(t->loop);
	}
}
static void on_oneshot(void *ctx) { ((struct ticks *)ctx)->oneshot++; }
static void on_selffree(void *ctx)
{
	struct ticks *t = ctx;
	t->selffree++;
	tp_loop_timer_free(t->self);
}

/* busy: the loop polls that long before sleeping (--busy-poll); timers
 * must fire the same. */
static void test_timers(tp_time busy)
{
	struct tp_stack *s = new_stack();
	struct ticks t = {.loop = tp_loop_new(s)};
	tp_loop_set_busy_poll(t.loop, busy);
	struct tp_loop_timer *p = tp_loop_timer_new(t.loop, on_periodic, &t);
	struct tp_loop_timer *o = tp_loop_timer_new(t.loop, on_oneshot, &t);
	t.self = tp_loop_timer_new(t.loop, on_selffree, &t);
	t.started = tp_clock_now();
	CHECK(tp_loop_timer_start(p, TP_MSEC(10), TP_MSEC(10)) == 0);
	CHECK(tp_loop_timer_start(o, TP_MSEC(5), 0) == 0);
	CHECK(tp_loop_timer_start(t.self, 0, TP_MSEC(1)) == 0);
	CHECK(tp_loop_run(t.loop) == 0);
	CHECK(t.periodic == 5);
	CHECK(t.oneshot == 1);
	CHECK(t.selffree == 1);
	/* Five 10 ms periods: not early, and not absurdly late. */
	CHECK(t.stopped_at - t.started >= TP_MSEC(50));
	CHECK(t.stopped_at - t.started < TP_SEC(2));
	tp_loop_timer_free(p);
	tp_loop_timer_free(o);
	tp_loop_free(t.loop);
	tp_stack_free(s);
}

/* --- other threads ------------------------------------------------------ */

struct waker {
	struct tp_loop *loop;
	pthread_t loop_thread;
	int woken_on_loop_thread;
};

static void on_wake(void *ctx)
{
	struct waker *w = ctx;
	w->woken_on_loop_thread = pthread_equal(pthread_self(), w->loop_thread);
	tp_loop_stop(w->loop);
}
static void *wake_it(void *ctx) { tp_loop_wake(((struct waker *)ctx)->loop); return NULL; }
static void *stop_it(void *ctx) { tp_loop_stop(ctx); return NULL; }

static void test_threads(void)
{
	struct tp_stack *s = new_stack();
	struct waker w = {.loop = tp_loop_new(s), .loop_thread = pthread_self()};
	pthread_t th;

	tp_loop_set_wake_handler(w.loop, on_wake, &w);
	CHECK(pthread_create(&th, NULL, wake_it, &w) == 0);
	CHECK(tp_loop_run(w.loop) == 0);
	pthread_join(th, NULL);
	CHECK(w.woken_on_loop_thread);

	tp_loop_set_wake_handler(w.loop, NULL, NULL);
	CHECK(pthread_create(&th, NULL, stop_it, w.loop) == 0);
	CHECK(tp_loop_run(w.loop) == 0);     /* idle, no timers: only the stop ends it */
	pthread_join(th, NULL);

	tp_loop_stop(w.loop);                /* before run: returns at once */
	CHECK(tp_loop_run(w.loop) == 0);
	tp_loop_free(w.loop);
	tp_stack_free(s);
}

/* --- fds --------------------------------------------------------------- */

struct pipes {
	struct tp_loop *loop;
	int a[2], b[2];
	int calls;
};

/* Whichever pipe comes first removes both: the other's event, already in
 * this batch, must not be delivered (ASan would catch a use after free). */
static int on_readable(void *ctx, int fd, uint32_t events)
{
	struct pipes *p = ctx;
	char c;
	(void)events;
	CHECK(read(fd, &c, 1) == 1);
	p->calls++;
	tp_loop_del_fd(p->loop, p->a[0]);
	tp_loop_del_fd(p->loop, p->b[0]);
	tp_loop_stop(p->loop);
	return 0;
}

static int on_failing(void *ctx, int fd, uint32_t events)
{
	(void)ctx, (void)fd, (void)events;
	return -EIO;
}

static void test_fds(tp_time busy)
{
	struct tp_stack *s = new_stack();
	struct pipes p = {.loop = tp_loop_new(s)};
	tp_loop_set_busy_poll(p.loop, busy);
	CHECK(pipe(p.a) == 0 && pipe(p.b) == 0);
	CHECK(tp_loop_add_fd(p.loop, p.a[0], EPOLLIN, on_readable, &p) == 0);
	CHECK(tp_loop_add_fd(p.loop, p.b[0], EPOLLIN, on_readable, &p) == 0);
	CHECK(write(p.a[1], "x", 1) == 1 && write(p.b[1], "y", 1) == 1);
	CHECK(tp_loop_run(p.loop) == 0);
	CHECK(p.calls == 1);

	CHECK(tp_loop_add_fd(p.loop, p.a[0], EPOLLIN, on_failing, &p) == 0);
	CHECK(write(p.a[1], "z", 1) == 1);
	CHECK(tp_loop_run(p.loop) == -EIO);
	tp_loop_del_fd(p.loop, p.a[0]);
	CHECK(tp_loop_add_fd(p.loop, -1, EPOLLIN, on_failing, &p) == -EINVAL);
	for (int i = 0; i < 2; i++) {
		close(p.a[i]);
		close(p.b[i]);
	}
	tp_loop_free(p.loop);
	tp_stack_free(s);
}

/* --- the stack's deadlines --------------------------------------------- */

struct arp_wait {
	struct tp_loop *loop;
	int error;
	tp_time at;
};

static int swallow(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx, (void)frame, (void)len;
	return 0;
}

static void on_echo(void *ctx, const struct tp_echo_reply *r)
{
	struct arp_wait *w = ctx;
	w->error = r->error;
	w->at = tp_clock_now();
	tp_loop_stop(w->loop);
}

static void test_stack_deadlines(void)
{
	struct tp_stack *s = new_stack();
	struct arp_wait w = {.loop = tp_loop_new(s)};
	struct tp_netif_config nc = {.name = "test", .mac = {2, 0, 0, 0, 0, 1},
				     .addr = 0x0a000002, .prefix_len = 24};
	CHECK(tp_netif_add(s, &nc, swallow, NULL) != NULL);
	tp_set_echo_handler(s, on_echo, &w);
	tp_time start = tp_clock_now();
	/* Nobody answers ARP on this wire: only the stack's retry timer, via
	 * the loop's timerfd, can ever end this run. */
	CHECK(tp_ping_send(s, 0x0a000009, 1, 1, (const uint8_t *)"x", 1) == 0);
	CHECK(tp_loop_run(w.loop) == 0);
	CHECK(w.error == -EHOSTUNREACH);
	CHECK(w.at - start >= TP_SEC(3) - TP_MSEC(1));
	CHECK(w.at - start < TP_SEC(5));
	tp_loop_free(w.loop);
	tp_stack_free(s);
}

int main(void)
{
	test_timers(0);
	test_timers(TP_MSEC(3));
	test_threads();
	test_fds(0);
	test_fds(TP_MSEC(3));
	test_stack_deadlines();
	if (failures) {
		fprintf(stderr, "test_loop: %d checks failed\n", failures);
		return 1;
	}
	printf("test_loop: all checks passed\n");
	return 0;
}
