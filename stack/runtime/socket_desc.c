/*
 * socket_desc.c - the BSD-style API's plumbing: attached stacks, the
 * descriptor table, the bracket around each call, and threads sleeping on
 * socket events. See the top of socket.c for the design and its lock order
 * (a loop's core lock, then table_lock, then a waiter's mutex).
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "socket_impl.h"
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "tapir/sock.h"

/* More descriptors than the core's default socket limit allows anyway. */
#define FD_MAX (1 << 20)

/* Guards the descriptor table and the list of attached stacks. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
/* Broadcast when a stack's last user went (tapir_detach waits for it). */
static pthread_cond_t users_gone = PTHREAD_COND_INITIALIZER;
static struct tsock **slots;
static int nslots;
static int lowest_free;             /* no free slot below it */
static struct api_stack *stacks;    /* attach order */

/* --- waiters ----------------------------------------------------------------- */

void waiter_init(struct waiter *w)
{
	pthread_condattr_t attr;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&attr);
	/* Deadlines are tp_clock_now() values: CLOCK_MONOTONIC. */
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	w->fired = 0;
}

void waiter_destroy(struct waiter *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
}

void waiter_arm(struct waiter *w)
{
	pthread_mutex_lock(&w->mu);
	w->fired = 0;
	pthread_mutex_unlock(&w->mu);
}

static void waiter_fire(struct waiter *w)
{
	pthread_mutex_lock(&w->mu);
	w->fired = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

int waiter_sleep(struct waiter *w, tp_time deadline)
{
	struct timespec at = {.tv_sec = (time_t)(deadline / 1000000u),
			      .tv_nsec = (long)(deadline % 1000000u) * 1000};
	int r = 0;
	pthread_mutex_lock(&w->mu);
	while (!w->fired && !r) {
		if (deadline == TP_TIME_NEVER)
			pthread_cond_wait(&w->cond, &w->mu);
		else if (pthread_cond_timedwait(&w->cond, &w->mu, &at) == ETIMEDOUT)
			r = -ETIMEDOUT;
	}
	if (w->fired)
		r = 0;
	pthread_mutex_unlock(&w->mu);
	return r;
}

void wait_link_add(struct tsock *so, struct wait_link *l, struct waiter *w)
{
	l->w = w;
	l->prev = NULL;
	l->next = so->waiters;
	if (so->waiters)
		so->waiters->prev = l;
	so->waiters = l;
	l->linked = 1;
}

void wait_link_remove(struct tsock *so, struct wait_link *l)
{
	if (!l->linked)
		return;
	if (l->prev)
		l->prev->next = l->next;
	else
		so->waiters = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->linked = 0;
}

/* The core socket's callback: its readiness may have changed. Runs under the
 * core lock, after protocol processing (tp_sock_dispatch). */
static void on_core_event(void *ctx, int core_fd, int events)
{
	struct tsock *so = ctx;
	(void)core_fd;
	for (struct wait_link *l = so->waiters; l; l = l->next)
		waiter_fire(l->w);
	/* Last: the callback may close the descriptor and free `so`. */
	if (so->user_fn)
		so->user_fn(so->user_ctx, so->fd, (short)events);
}

/* --- attached stacks -------------------------------------------------------------- */

static struct api_stack *find_stack(const struct tp_loop *loop)
{
	for (struct api_stack *st = stacks; st; st = st->next)
		if (st->loop == loop)
			return st;
	return NULL;
}

int tapir_attach(struct tp_loop *loop)
{
	if (!loop) {
		errno = EINVAL;
		return -1;
	}
	struct api_stack *st = calloc(1, sizeof(*st));
	if (!st) {
		errno = ENOMEM;
		return -1;
	}
	st->loop = loop;
	st->stack = tp_loop_stack(loop);
	pthread_mutex_lock(&table_lock);
	int exists = find_stack(loop) != NULL;
	if (!exists) {
		struct api_stack **tail = &stacks;
		while (*tail)
			tail = &(*tail)->next;
		*tail = st;
	}
	pthread_mutex_unlock(&table_lock);
	if (exists) {
		free(st);
		errno = EEXIST;
		return -1;
	}
	return 0;
}

struct api_stack *api_stack_reserve(struct tp_loop *loop, int *err)
{
	struct api_stack *st = NULL;
	pthread_mutex_lock(&table_lock);
	if (loop) {
		st = find_stack(loop);
		*err = -EINVAL;
	} else {
		/* Inside a loop callback: that loop's stack; else the default. */
		for (struct api_stack *s = stacks; s && !st; s = s->next)
			if (tp_loop_lock_held(s->loop))
				st = s;
		for (struct api_stack *s = stacks; s && !st; s = s->next)
			if (!s->detaching)
				st = s;
		*err = -ENETDOWN;
	}
	if (st && st->detaching)
		st = NULL;
	if (st)
		st->users++;
	pthread_mutex_unlock(&table_lock);
	return st;
}

/* Under table_lock. */
static void stack_user_gone(struct api_stack *st)
{
	if (--st->users == 0)
		pthread_cond_broadcast(&users_gone);
}

void api_stack_release(struct api_stack *st)
{
	pthread_mutex_lock(&table_lock);
	stack_user_gone(st);
	pthread_mutex_unlock(&table_lock);
}

/* --- the descriptor table ------------------------------------------------------- */

/* Under table_lock: the lowest free descriptor, as POSIX hands them out. */
static int slot_alloc(struct tsock *so)
{
	int fd = lowest_free;
	while (fd < nslots && slots[fd])
		fd++;
	if (fd == nslots) {
		if (nslots >= FD_MAX)
			return -EMFILE;
		int cap = nslots ? nslots * 2 : 64;
		struct tsock **grown = realloc(slots, (size_t)cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		for (int i = nslots; i < cap; i++)
			grown[i] = NULL;
		slots = grown;
		nslots = cap;
	}
	slots[fd] = so;
	lowest_free = fd + 1;
	return fd;
}

/* Under table_lock. */
static void slot_free(int fd)
{
	slots[fd] = NULL;
	if (fd < lowest_free)
		lowest_free = fd;
}

int tsock_create(struct api_stack *st, int core_fd, int type, int nonblock, struct tsock **out)
{
	struct tsock *so = calloc(1, sizeof(*so));
	if (!so)
		return -ENOMEM;
	so->core_fd = core_fd;
	so->type = type;
	so->st = st;
	so->nonblock = nonblock;
	atomic_init(&so->refs, 1);          /* the table's */
	atomic_init(&so->closed, 0);
	pthread_mutex_lock(&table_lock);
	/* tapir_detach() sweeps the table once it set `detaching`: a
	 * descriptor added after that would never be closed. */
	int fd = st->detaching ? -ENETDOWN : slot_alloc(so);
	if (fd >= 0)
		st->users++;
	pthread_mutex_unlock(&table_lock);
	if (fd < 0) {
		free(so);
		return fd;
	}
	so->fd = fd;
	/* Other threads may find fd now, but wait for the core lock we hold. */
	tp_sock_set_callback(st->stack, core_fd, on_core_event, so);
	if (out)
		*out = so;
	return fd;
}

struct tsock *tsock_get(int fd)
{
	struct tsock *so = NULL;
	pthread_mutex_lock(&table_lock);
	if (fd >= 0 && fd < nslots)
		so = slots[fd];
	if (so)
		atomic_fetch_add(&so->refs, 1);
	pthread_mutex_unlock(&table_lock);
	return so;
}

void tsock_unref(struct tsock *so)
{
	if (atomic_fetch_sub(&so->refs, 1) != 1)
		return;
	struct api_stack *st = so->st;
	free(so);
	api_stack_release(st);
}

/* Under the core lock: no call may use the core socket from now on, and
 * every sleeper wakes to find out (EBADF). */
static void mark_closed(struct tsock *so)
{
	atomic_store(&so->closed, 1);
	so->user_fn = NULL;
	while (so->waiters) {
		struct wait_link *l = so->waiters;
		wait_link_remove(so, l);
		waiter_fire(l->w);
	}
}

int tsock_close_begin(struct call *c, int fd)
{
	int won = 0;
	pthread_mutex_lock(&table_lock);
	if (fd >= 0 && fd < nslots && slots[fd] == c->so) {
		slot_free(fd);
		won = 1;
	}
	pthread_mutex_unlock(&table_lock);
	if (!won)
		return -EBADF;
	mark_closed(c->so);
	tsock_unref(c->so);                 /* the table's; the call holds another */
	return 0;
}

int tapir_detach(struct tp_loop *loop)
{
	/* Waiting for calls that need the core lock we would be holding. */
	if (tp_loop_lock_held(NULL)) {
		errno = EDEADLK;
		return -1;
	}
	pthread_mutex_lock(&table_lock);
	struct api_stack *st = loop ? find_stack(loop) : NULL;
	if (!st || st->detaching) {
		pthread_mutex_unlock(&table_lock);
		errno = EINVAL;
		return -1;
	}
	st->detaching = 1;
	/* New descriptors on st are refused from here, so one pass finds all;
	 * the table may grow while we close one, hence nslots re-read. */
	for (int fd = 0; fd < nslots; fd++) {
		struct tsock *so = slots[fd];
		if (!so || so->st != st)
			continue;
		slot_free(fd);
		pthread_mutex_unlock(&table_lock);
		tp_loop_lock(loop);
		if (!atomic_load(&so->closed)) {
			mark_closed(so);
			tp_sock_close(st->stack, so->core_fd);
		}
		tp_loop_unlock(loop);
		tsock_unref(so);                /* the table's reference */
		pthread_mutex_lock(&table_lock);
	}
	/* Woken sleepers and calls in progress still hold references. */
	while (st->users)
		pthread_cond_wait(&users_gone, &table_lock);
	for (struct api_stack **p = &stacks; *p; p = &(*p)->next)
		if (*p == st) {
			*p = st->next;
			break;
		}
	pthread_mutex_unlock(&table_lock);
	free(st);
	return 0;
}

/* --- one call -------------------------------------------------------------------- */

tp_time deadline_after(tp_time timeout)
{
	return timeout ? tp_clock_now() + timeout : TP_TIME_NEVER;
}

int call_begin(struct call *c, int fd)
{
	struct tsock *so = tsock_get(fd);
	if (!so)
		return -EBADF;
	struct tp_loop *loop = so->st->loop;
	int in_callback = tp_loop_lock_held(NULL);
	if (in_callback && !tp_loop_lock_held(loop)) {
		tsock_unref(so);
		return -EDEADLK;
	}
	tp_loop_lock(loop);
	if (atomic_load(&so->closed)) {
		tp_loop_unlock(loop);
		tsock_unref(so);
		return -EBADF;
	}
	*c = (struct call){.so = so, .stack = so->st->stack, .core_fd = so->core_fd,
			   .may_sleep = !in_callback};
	return 0;
}

long call_end(struct call *c, long r)
{
	tp_loop_unlock(c->so->st->loop);
	tsock_unref(c->so);
	if (r < 0) {
		errno = (int)-r;            /* last: the calls above may touch errno */
		return -1;
	}
	return r;
}

int call_may_wait(const struct call *c, int flags)
{
	return c->may_sleep && !c->so->nonblock && !(flags & MSG_DONTWAIT);
}

int call_wait(struct call *c, tp_time deadline)
{
	struct tsock *so = c->so;
	struct tp_loop *loop = so->st->loop;
	struct waiter w;
	struct wait_link link;
	waiter_init(&w);
	/* Hooked before the lock goes: an event after our failed attempt
	 * finds us, so none is lost between "would block" and sleeping. */
	wait_link_add(so, &link, &w);
	tp_loop_unlock(loop);
	int r = waiter_sleep(&w, deadline);
	tp_loop_lock(loop);
	wait_link_remove(so, &link);        /* unless close already did */
	waiter_destroy(&w);
	if (atomic_load(&so->closed) && !c->closing)
		return -EBADF;
	return r;
}
