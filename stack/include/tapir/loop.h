/*
 * loop.h - the event loop that drives a stack on a real clock.
 *
 * One thread, one epoll set: driver fds (tapir/tap.h attaches a TAP), a
 * timerfd armed at the earlier of tp_next_deadline() and the loop's own
 * timers, and an eventfd through which other threads or signal handlers wake
 * the loop. Each wake calls tp_poll(now) first, then the ready fds'
 * callbacks (a TAP drains its frames into tp_input() right there: the
 * packet path never changes thread), then the due loop timers, and last
 * tp_sock_dispatch() for the readiness those callbacks changed.
 *
 * Applications add fds and one-shot or periodic timers with callbacks; all
 * callbacks run on the loop thread and may call the stack directly. Other
 * threads call the stack and the loop only under the core lock (below);
 * without it, only tp_loop_wake() and tp_loop_stop(), which are also safe
 * in signal handlers.
 *
 * The core lock lets other threads call the stack too (lwIP's core locking):
 * the loop holds it while it handles a wake and lets go while it waits in
 * epoll, and a thread that takes it with tp_loop_lock() may make any stack
 * or loop call until tp_loop_unlock(). That keeps the packet path on the
 * loop thread with no hand-off, and a call from another thread costs a
 * mutex, not a round trip through the loop. Socket events and frames caused
 * by such calls are produced on the calling thread, still under the lock.
 * tapir/socket.h, the blocking BSD-style API, is built on it.
 */
#ifndef TAPIR_LOOP_H
#define TAPIR_LOOP_H

#include <stdint.h>

#include "tapir/tapir.h"

struct tp_loop;
struct tp_loop_timer;

/* An fd is ready (`events`: EPOLLIN, EPOLLOUT, EPOLLERR, ...). Returning a
 * negative errno stops the loop, and tp_loop_run() returns it. */
typedef int (*tp_loop_fd_fn)(void *ctx, int fd, uint32_t events);
typedef void (*tp_loop_timer_fn)(void *ctx);
typedef void (*tp_loop_wake_fn)(void *ctx);

/* A loop driving `stack` (which it does not own). NULL with errno set if
 * the kernel refuses epoll, timerfd or eventfd. */
struct tp_loop *tp_loop_new(struct tp_stack *stack);
/* Free loop timers and close attached drivers first. */
void tp_loop_free(struct tp_loop *loop);

struct tp_stack *tp_loop_stack(const struct tp_loop *loop);

/* Runs until tp_loop_stop(): returns 0, or the negative errno of a failed
 * callback or of epoll itself. A stop requested before the call (a signal
 * during start-up) returns at once. */
int tp_loop_run(struct tp_loop *loop);

/* Busy polling (0, the default, is off): after a wake, poll without
 * sleeping for up to `usec` more before blocking in epoll_wait. A frame that
 * arrives meanwhile is taken without the scheduler's wake-up latency (tens of
 * µs), at the price of a core kept busy. Call before tp_loop_run(). */
void tp_loop_set_busy_poll(struct tp_loop *loop, tp_time usec);

/* Both are async-signal-safe and thread-safe. */
void tp_loop_stop(struct tp_loop *loop);
void tp_loop_wake(struct tp_loop *loop);
/* Runs on the loop thread after tp_loop_wake() (several wakes may merge). */
void tp_loop_set_wake_handler(struct tp_loop *loop, tp_loop_wake_fn fn, void *ctx);

/* Takes the core lock (nested calls by its holder just count) and brings
 * the stack's clock to now with tp_poll(), so calls are stamped with the
 * current time. Blocks while the loop handles a wake. */
void tp_loop_lock(struct tp_loop *loop);
/* The outermost unlock delivers the socket events the calls caused
 * (tp_sock_dispatch), moves the loop's timerfd if a call armed a timer
 * earlier than it (no wake needed), and lets go. */
void tp_loop_unlock(struct tp_loop *loop);
/* Whether the calling thread holds loop's lock (its own loop thread, inside
 * a callback, always does); with loop NULL, whether it holds any loop's. */
int tp_loop_lock_held(const struct tp_loop *loop);

/* Watches fd (level-triggered) for `events`. Returns 0 or a negative errno. */
int tp_loop_add_fd(struct tp_loop *loop, int fd, uint32_t events, tp_loop_fd_fn fn, void *ctx);
/* Safe from inside any callback, including fd's own. */
void tp_loop_del_fd(struct tp_loop *loop, int fd);

/* Timers: created stopped; `delay` after tp_loop_timer_start() the callback
 * runs, then every `period` if it is not 0 (missed periods are skipped, not
 * run in a burst). Starting a running timer restarts it. */
struct tp_loop_timer *tp_loop_timer_new(struct tp_loop *loop, tp_loop_timer_fn fn, void *ctx);
int tp_loop_timer_start(struct tp_loop_timer *t, tp_time delay, tp_time period);
void tp_loop_timer_stop(struct tp_loop_timer *t);
/* Safe from inside its own callback. NULL is ignored. */
void tp_loop_timer_free(struct tp_loop_timer *t);

#endif
