/*
 * socket_impl.h - what the BSD-style API's files share (internal): attached
 * stacks, the descriptor table, one call's bracket, and sleeping on events.
 * See the top of socket.c for the design.
 */
#ifndef TAPIR_SOCKET_IMPL_H
#define TAPIR_SOCKET_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "tapir/socket.h"
#include "tapir/tapir.h"

/* A loop the API is attached to. Freed by tapir_detach() once no
 * descriptor refers to it. */
struct api_stack {
	struct tp_loop *loop;
	struct tp_stack *stack;
	struct api_stack *next;     /* in attach order: the first is the default */
	unsigned users;             /* descriptors (and sockets being made) on it */
	int detaching;              /* no new descriptors */
};

/* One sleeping thread. Its own mutex, not the core lock, guards `fired`:
 * so one waiter can listen to sockets of several stacks (tapir_poll). */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int fired;
};

/* A waiter hooked on one socket; on the waiter's stack, under the core lock. */
struct wait_link {
	struct waiter *w;
	struct wait_link *prev, *next;
	int linked;
};

/* One descriptor of this API over one core socket. */
struct tsock {
	int fd;                     /* this API's descriptor */
	int core_fd;                /* the core's: reused at once after close */
	int type;                   /* SOCK_STREAM or SOCK_DGRAM */
	struct api_stack *st;
	atomic_int refs;            /* the table's, and one per call inside */
	atomic_int closed;          /* set once, under the core lock */
	/* under the core lock */
	int nonblock;
	tp_time rcvtimeo, sndtimeo; /* 0: no limit */
	struct wait_link *waiters;
	tapir_event_fn user_fn;
	void *user_ctx;
};

/* One call on one descriptor, bracketed by call_begin() / call_end(). */
struct call {
	struct tsock *so;
	struct tp_stack *stack;
	int core_fd;
	int may_sleep;              /* not inside a loop callback */
	int closing;                /* tapir_close() lingering: closed is expected */
};

/* Finds fd, takes a reference and the core lock. 0, -EBADF, or -EDEADLK
 * (inside another loop's callback). */
int call_begin(struct call *c, int fd);
/* Lets go of both; returns r, or -1 with errno = -r for r < 0. */
long call_end(struct call *c, long r);
/* Whether a would-block result may wait: outside callbacks, blocking
 * socket, no MSG_DONTWAIT. */
int call_may_wait(const struct call *c, int flags);
/* Sleeps, without the core lock, until an event on the socket, its close
 * or `deadline`. Returns 0, -ETIMEDOUT, or -EBADF once closed. */
int call_wait(struct call *c, tp_time deadline);
/* now + timeout, or TP_TIME_NEVER for 0. */
tp_time deadline_after(tp_time timeout);

/* Wraps core socket core_fd of st in a new descriptor; under the core lock.
 * Returns the descriptor (its wrapper in *out if out is not NULL), or
 * -EMFILE / -ENOMEM / -ENETDOWN (detaching). */
int tsock_create(struct api_stack *st, int core_fd, int type, int nonblock, struct tsock **out);
/* For close: removes fd from the table if it still names c->so, so that no
 * new call finds it, and marks it closed, waking every waiter (EBADF).
 * Under the core lock. Returns 0, or -EBADF if another close won. */
int tsock_close_begin(struct call *c, int fd);
/* Drops a reference; the last frees it. */
void tsock_unref(struct tsock *so);

/* The attached stack for loop (NULL: the caller's or the default) with one
 * user reserved, so it outlives the caller's use; NULL and *err if none.
 * Release with api_stack_release(). */
struct api_stack *api_stack_reserve(struct tp_loop *loop, int *err);
void api_stack_release(struct api_stack *st);

/* Waiters (tapir_poll hooks one on several sockets). */
void waiter_init(struct waiter *w);
void waiter_destroy(struct waiter *w);
void waiter_arm(struct waiter *w);          /* clears `fired` */
/* 0 once fired, -ETIMEDOUT at the deadline. */
int waiter_sleep(struct waiter *w, tp_time deadline);
/* Under the socket's core lock. */
void wait_link_add(struct tsock *so, struct wait_link *l, struct waiter *w);
void wait_link_remove(struct tsock *so, struct wait_link *l);

/* Finds fd and takes a reference, without locking; NULL if unknown. */
struct tsock *tsock_get(int fd);
/* Writes an address as POSIX says: truncated to *len, *len set to its size. */
void sin_put(struct sockaddr *sa, socklen_t *len, tp_ip4 addr, uint16_t port);

#endif
