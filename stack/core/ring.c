#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int ensure(struct ring *r)
{
	if (!r->buf && r->cap) {
		r->buf = malloc(r->cap);
		if (!r->buf)
			return -ENOMEM;
	}
	return 0;
}

void ring_free(struct ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->head = r->len = 0;
}

/* Copies n bytes into the ring at logical offset `off` from the head. */
static void copy_in(struct ring *r, uint32_t off, const uint8_t *data, uint32_t n)
{
	uint32_t at = (r->head + off) % r->cap;
	uint32_t first = n < r->cap - at ? n : r->cap - at;
	memcpy(r->buf + at, data, first);
	if (n > first)
		memcpy(r->buf, data + first, n - first);
}

uint32_t ring_write(struct ring *r, const uint8_t *data, uint32_t n)
{
	if (n > ring_space(r))
		n = ring_space(r);
	if (!n || ensure(r) < 0)
		return 0;
	copy_in(r, r->len, data, n);
	r->len += n;
	return n;
}

int ring_place(struct ring *r, uint32_t off, const uint8_t *data, uint32_t n)
{
	if (!n)
		return 0;
	if (ensure(r) < 0)
		return -ENOMEM;
	copy_in(r, r->len + off, data, n);
	return 0;
}

void ring_commit(struct ring *r, uint32_t n)
{
	r->len += n;
}

void ring_peek(const struct ring *r, uint32_t off, uint8_t *out, uint32_t n)
{
	if (!n)
		return;
	uint32_t at = (r->head + off) % r->cap;
	uint32_t first = n < r->cap - at ? n : r->cap - at;
	memcpy(out, r->buf + at, first);
	if (n > first)
		memcpy(out + first, r->buf, n - first);
}

void ring_drop(struct ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	r->len -= n;
	/* The head moves even when the ring empties: out-of-order bytes may
	 * already sit ahead of it (ring_place). */
	if (r->cap)
		r->head = (r->head + n) % r->cap;
}

int ring_resize(struct ring *r, uint32_t cap)
{
	if (cap < r->len)
		return -EINVAL;
	if (!r->buf) {
		r->cap = cap;
		return 0;
	}
	uint8_t *nb = malloc(cap ? cap : 1);
	if (!nb)
		return -ENOMEM;
	ring_peek(r, 0, nb, r->len);
	free(r->buf);
	r->buf = nb;
	r->cap = cap;
	r->head = 0;
	return 0;
}
