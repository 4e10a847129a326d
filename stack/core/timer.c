#include "timer.h"

#include <errno.h>
#include <stdlib.h>

void tp_timer_init(struct tp_timer *t, tp_timer_fn fn)
{
	t->when = TP_TIME_NEVER;
	t->fn = fn;
	t->slot = 0;
}

static void place(struct tp_timer_heap *h, uint32_t i, struct tp_timer *t)
{
	h->items[i] = t;
	t->slot = i + 1;
}

static void sift_up(struct tp_timer_heap *h, uint32_t i)
{
	struct tp_timer *t = h->items[i];
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (h->items[parent]->when <= t->when)
			break;
		place(h, i, h->items[parent]);
		i = parent;
	}
	place(h, i, t);
}

static void sift_down(struct tp_timer_heap *h, uint32_t i)
{
	struct tp_timer *t = h->items[i];
	for (;;) {
		uint32_t child = 2 * i + 1;
		if (child >= h->count)
			break;
		if (child + 1 < h->count && h->items[child + 1]->when < h->items[child]->when)
			child++;
		if (t->when <= h->items[child]->when)
			break;
		place(h, i, h->items[child]);
		i = child;
	}
	place(h, i, t);
}

int tp_timer_arm(struct tp_timer_heap *h, struct tp_timer *t, tp_time when)
{
	if (t->slot) {
		tp_time old = t->when;
		t->when = when;
		if (when < old)
			sift_up(h, t->slot - 1);
		else
			sift_down(h, t->slot - 1);
		return 0;
	}
	if (h->count == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 64;
		struct tp_timer **items = realloc(h->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		h->items = items;
		h->cap = cap;
	}
	t->when = when;
	place(h, h->count++, t);
	sift_up(h, h->count - 1);
	return 0;
}

void tp_timer_cancel(struct tp_timer_heap *h, struct tp_timer *t)
{
	if (!t->slot)
		return;
	uint32_t i = t->slot - 1;
	struct tp_timer *last = h->items[--h->count];
	t->slot = 0;
	if (i == h->count)
		return;
	place(h, i, last);
	if (i > 0 && h->items[(i - 1) / 2]->when > last->when)
		sift_up(h, i);
	else
		sift_down(h, i);
}

tp_time tp_timer_next(const struct tp_timer_heap *h)
{
	return h->count ? h->items[0]->when : TP_TIME_NEVER;
}

struct tp_timer *tp_timer_pop_due(struct tp_timer_heap *h, tp_time now)
{
	if (!h->count || h->items[0]->when > now)
		return NULL;
	struct tp_timer *t = h->items[0];
	tp_timer_cancel(h, t);
	return t;
}

void tp_timer_heap_free(struct tp_timer_heap *h)
{
	for (uint32_t i = 0; i < h->count; i++)
		h->items[i]->slot = 0;
	free(h->items);
	h->items = NULL;
	h->count = h->cap = 0;
}
