/*
 * timer.h - the stack's timers: a binary min-heap of entries embedded in
 * their owners (ARP entries, reassemblies, later TCP's RTO, delayed ACK,
 * persist, keepalive and TIME_WAIT). Arming, re-arming and cancelling are
 * O(log n); finding the next deadline is O(1). Nothing ever polls.
 */
#ifndef TP_TIMER_H
#define TP_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

struct tp_timer;
typedef void (*tp_timer_fn)(struct tp_stack *stack, struct tp_timer *t);

struct tp_timer {
	tp_time when;
	tp_timer_fn fn;
	uint32_t slot;          /* index in the heap + 1; 0 when not armed */
};

struct tp_timer_heap {
	struct tp_timer **items;
	uint32_t count, cap;
};

void tp_timer_init(struct tp_timer *t, tp_timer_fn fn);
static inline int tp_timer_armed(const struct tp_timer *t) { return t->slot != 0; }

/* Arms (or re-arms) t to fire at `when`. Returns 0 or -ENOMEM. */
int tp_timer_arm(struct tp_timer_heap *h, struct tp_timer *t, tp_time when);
void tp_timer_cancel(struct tp_timer_heap *h, struct tp_timer *t);

/* The earliest deadline, or TP_TIME_NEVER. */
tp_time tp_timer_next(const struct tp_timer_heap *h);
/* Removes and returns the earliest timer if it is due at `now`, else NULL. */
struct tp_timer *tp_timer_pop_due(struct tp_timer_heap *h, tp_time now);

void tp_timer_heap_free(struct tp_timer_heap *h);

#endif
