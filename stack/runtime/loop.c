/* loop.c - epoll + timerfd + eventfd around one stack; see tapir/loop.h. */
#include "tapir/loop.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "tapir/clock.h"
#include "tapir/sock.h"
#include "timer.h"          /* the core's timer heap, reused for loop timers */

#define MAX_EVENTS 64

struct loop_source {
	int fd;
	tp_loop_fd_fn fn;
	void *ctx;
	int removed;                /* deleted during dispatch: freed after it */
	struct loop_source *next;
};

struct tp_loop_timer {
	struct tp_timer entry;      /* in loop->timers */
	struct tp_loop *loop;
	tp_loop_timer_fn fn;
	void *ctx;
	tp_time period;             /* 0: one-shot */
};

struct tp_loop {
	struct tp_stack *stack;
	int epfd, timerfd, wakefd;
	struct loop_source timer_source, wake_source;
	struct loop_source *sources;
	int dispatching;
	tp_time armed;              /* the timerfd's deadline, TP_TIME_NEVER if disarmed */
	struct tp_timer_heap timers;
	atomic_int stop_requested;
	tp_loop_wake_fn wake_fn;
	void *wake_ctx;
	tp_time busy_poll;          /* µs to poll before sleeping; 0: never */

	/* The core lock (see tapir/loop.h). lock_owner is the holder's
	 * lock_token, so a thread can tell it holds the lock without a race;
	 * lock_depth counts its nested tp_loop_lock() calls. */
	pthread_mutex_t core_lock;
	_Atomic(const void *) lock_owner;
	unsigned lock_depth;
};

/* Its address names the calling thread as a lock holder. */
static _Thread_local char lock_token;
/* How many loops' locks the calling thread holds. */
static _Thread_local unsigned loops_locked;

static_assert(ATOMIC_INT_LOCK_FREE == 2, "tp_loop_stop() must be async-signal-safe");

static int drain_counter(int fd)
{
	uint64_t n;
	/* Both fds are non-blocking: EAGAIN only means someone read it first. */
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return 0;
}

static int on_timerfd(void *ctx, int fd, uint32_t events)
{
	struct tp_loop *l = ctx;
	(void)events;
	/* The deadline passed; tp_poll() already ran for this wake. Force a
	 * re-arm even if the next deadline is numerically the same. */
	l->armed = TP_TIME_NEVER;
	return drain_counter(fd);
}

static int on_wakefd(void *ctx, int fd, uint32_t events)
{
	struct tp_loop *l = ctx;
	(void)events;
	int err = drain_counter(fd);
	if (l->wake_fn)
		l->wake_fn(l->wake_ctx);
	return err;
}

static int watch(struct tp_loop *l, struct loop_source *src, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, src->fd, &ev) < 0 ? -errno : 0;
}

struct tp_loop *tp_loop_new(struct tp_stack *stack)
{
	struct tp_loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->stack = stack;
	l->armed = TP_TIME_NEVER;
	atomic_init(&l->stop_requested, 0);
	atomic_init(&l->lock_owner, NULL);
	pthread_mutex_init(&l->core_lock, NULL);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->timer_source = (struct loop_source){.fd = l->timerfd, .fn = on_timerfd, .ctx = l};
	l->wake_source = (struct loop_source){.fd = l->wakefd, .fn = on_wakefd, .ctx = l};
	int err = 0;
	if (l->epfd < 0 || l->timerfd < 0 || l->wakefd < 0)
		err = -errno;
	if (!err)
		err = watch(l, &l->timer_source, EPOLLIN);
	if (!err)
		err = watch(l, &l->wake_source, EPOLLIN);
	if (err) {
		tp_loop_free(l);
		errno = -err;
		return NULL;
	}
	return l;
}

void tp_loop_free(struct tp_loop *l)
{
	if (!l)
		return;
	while (l->sources) {
		struct loop_source *next = l->sources->next;
		free(l->sources);
		l->sources = next;
	}
	tp_timer_heap_free(&l->timers);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->timerfd >= 0)
		close(l->timerfd);
	if (l->wakefd >= 0)
		close(l->wakefd);
	pthread_mutex_destroy(&l->core_lock);
	free(l);
}

struct tp_stack *tp_loop_stack(const struct tp_loop *l)
{
	return l->stack;
}

void tp_loop_wake(struct tp_loop *l)
{
	int saved = errno;      /* we may be inside a signal handler */
	uint64_t one = 1;
	/* Fails only when the counter is about to overflow: it is awake then. */
	ssize_t n = write(l->wakefd, &one, sizeof(one));
	(void)n;
	errno = saved;
}

void tp_loop_stop(struct tp_loop *l)
{
	atomic_store(&l->stop_requested, 1);
	tp_loop_wake(l);
}

void tp_loop_set_busy_poll(struct tp_loop *l, tp_time usec)
{
	l->busy_poll = usec;
}

/* epoll_wait, but first polled for l->busy_poll µs when set. */
static int wait_events(struct tp_loop *l, struct epoll_event *events)
{
	if (l->busy_poll) {
		tp_time until = tp_clock_now() + l->busy_poll;
		do {
			int n = epoll_wait(l->epfd, events, MAX_EVENTS, 0);
			if (n != 0)
				return n;
		} while (!atomic_load(&l->stop_requested) && tp_clock_now() < until);
	}
	return epoll_wait(l->epfd, events, MAX_EVENTS, -1);
}

void tp_loop_set_wake_handler(struct tp_loop *l, tp_loop_wake_fn fn, void *ctx)
{
	l->wake_fn = fn;
	l->wake_ctx = ctx;
}

int tp_loop_add_fd(struct tp_loop *l, int fd, uint32_t events, tp_loop_fd_fn fn, void *ctx)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	struct loop_source *src = calloc(1, sizeof(*src));
	if (!src)
		return -ENOMEM;
	*src = (struct loop_source){.fd = fd, .fn = fn, .ctx = ctx, .next = l->sources};
	int err = watch(l, src, events);
	if (err) {
		free(src);
		return err;
	}
	l->sources = src;
	return 0;
}

void tp_loop_del_fd(struct tp_loop *l, int fd)
{
	for (struct loop_source **link = &l->sources; *link; link = &(*link)->next) {
		struct loop_source *src = *link;
		if (src->fd != fd || src->removed)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		if (l->dispatching) {
			/* Its event may still be in this batch: free it afterwards. */
			src->removed = 1;
		} else {
			*link = src->next;
			free(src);
		}
		return;
	}
}

static void free_removed_sources(struct tp_loop *l)
{
	struct loop_source **link = &l->sources;
	while (*link) {
		struct loop_source *src = *link;
		if (src->removed) {
			*link = src->next;
			free(src);
		} else {
			link = &src->next;
		}
	}
}

struct tp_loop_timer *tp_loop_timer_new(struct tp_loop *l, tp_loop_timer_fn fn, void *ctx)
{
	struct tp_loop_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	tp_timer_init(&t->entry, NULL);    /* the loop calls t->fn, not the heap */
	t->loop = l;
	t->fn = fn;
	t->ctx = ctx;
	return t;
}

int tp_loop_timer_start(struct tp_loop_timer *t, tp_time delay, tp_time period)
{
	t->period = period;
	return tp_timer_arm(&t->loop->timers, &t->entry, tp_clock_now() + delay);
}

void tp_loop_timer_stop(struct tp_loop_timer *t)
{
	tp_timer_cancel(&t->loop->timers, &t->entry);
}

void tp_loop_timer_free(struct tp_loop_timer *t)
{
	if (!t)
		return;
	tp_loop_timer_stop(t);
	free(t);
}

static void run_due_timers(struct tp_loop *l, tp_time now)
{
	/* At most the timers due on entry: one restarting itself with delay 0
	 * runs again on the next wake, not forever in this one. */
	uint32_t budget = l->timers.count;
	struct tp_timer *e;
	while (budget-- && (e = tp_timer_pop_due(&l->timers, now))) {
		struct tp_loop_timer *t = (struct tp_loop_timer *)(void *)((char *)e -
						offsetof(struct tp_loop_timer, entry));
		if (t->period) {
			tp_time next = e->when + t->period;
			if (next <= now)
				next += ((now - next) / t->period + 1) * t->period;
			tp_timer_arm(&l->timers, e, next);
		}
		t->fn(t->ctx);      /* may stop, restart or free t */
	}
}

/* The earliest of the stack's and the loop's deadlines. */
static tp_time next_deadline(const struct tp_loop *l)
{
	tp_time stack_next = tp_next_deadline(l->stack);
	tp_time loop_next = tp_timer_next(&l->timers);
	return stack_next < loop_next ? stack_next : loop_next;
}

/* Arms the timerfd at next_deadline(). */
static int arm_timerfd(struct tp_loop *l)
{
	tp_time when = next_deadline(l);
	if (when == l->armed)
		return 0;
	struct itimerspec its = {0};     /* all zero disarms */
	if (when != TP_TIME_NEVER) {
		its.it_value.tv_sec = (time_t)(when / 1000000u);
		its.it_value.tv_nsec = (long)(when % 1000000u) * 1000;
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;    /* zero would mean "disarm" */
	}
	/* Absolute: a deadline already past fires at once. */
	if (timerfd_settime(l->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	l->armed = when;
	return 0;
}

/* --- the core lock --------------------------------------------------------- */

static void core_acquire(struct tp_loop *l)
{
	pthread_mutex_lock(&l->core_lock);
	atomic_store_explicit(&l->lock_owner, &lock_token, memory_order_relaxed);
	l->lock_depth = 1;
	loops_locked++;
}

static void core_release(struct tp_loop *l)
{
	l->lock_depth = 0;
	loops_locked--;
	atomic_store_explicit(&l->lock_owner, NULL, memory_order_relaxed);
	pthread_mutex_unlock(&l->core_lock);
}

int tp_loop_lock_held(const struct tp_loop *l)
{
	if (!l)
		return loops_locked > 0;
	/* Only this thread ever stores its own token, so a relaxed load that
	 * sees it is exact, and one that does not cannot be stale about us. */
	return atomic_load_explicit(&l->lock_owner, memory_order_relaxed) == &lock_token;
}

void tp_loop_lock(struct tp_loop *l)
{
	if (tp_loop_lock_held(l)) {
		l->lock_depth++;
		return;
	}
	core_acquire(l);
	/* The stack's clock stands where the loop's last wake left it, maybe
	 * seconds ago: bring it to now, or the calls below would stamp RTT
	 * samples and arm timers in the past. */
	tp_poll(l->stack, tp_clock_now());
}

void tp_loop_unlock(struct tp_loop *l)
{
	if (l->lock_depth > 1) {
		l->lock_depth--;
		return;
	}
	/* Still at depth 1: a callback run here that calls the stack nests
	 * its lock and unlock inside this one. */
	tp_sock_dispatch(l->stack);
	/* A call may have armed a timer (a retransmission, a loop timer of a
	 * driver) earlier than the timerfd: move the timerfd itself, which
	 * needs no wake. Should that fail, the loop re-arms on a wake. */
	if (next_deadline(l) < l->armed && arm_timerfd(l) < 0)
		tp_loop_wake(l);
	core_release(l);
}

int tp_loop_run(struct tp_loop *l)
{
	struct epoll_event events[MAX_EVENTS];
	int err = 0;

	/* Held while handling a wake, released while waiting for the next. */
	core_acquire(l);
	while (!err && !atomic_load(&l->stop_requested)) {
		err = arm_timerfd(l);
		if (err)
			break;
		core_release(l);
		int n = wait_events(l, events);
		core_acquire(l);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		/* Time first, so input is stamped and handled at this wake's time. */
		tp_time now = tp_clock_now();
		tp_poll(l->stack, now);
		l->dispatching = 1;
		for (int i = 0; i < n; i++) {
			struct loop_source *src = events[i].data.ptr;
			if (src->removed)
				continue;
			int e = src->fn(src->ctx, src->fd, events[i].events);
			if (e < 0 && !err)
				err = e;
		}
		l->dispatching = 0;
		free_removed_sources(l);
		run_due_timers(l, now);
		/* Socket calls made by fd callbacks and timers (an app writing
		 * what it read from stdin) change readiness too: deliver those
		 * events now, not at the next frame or timer. */
		tp_sock_dispatch(l->stack);
	}
	core_release(l);
	atomic_store(&l->stop_requested, 0);
	return err;
}
