#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void account(struct ring *r, uint32_t old_alloc)
{
	if (r->pool)
		r->pool->used = r->pool->used - old_alloc + r->alloc;
}

/* Copies n bytes out of the ring from logical offset `off` after the head. */
static void copy_out(const struct ring *r, uint32_t off, uint8_t *out, uint32_t n)
{
	uint32_t at = (r->head + off) % r->alloc;
	uint32_t first = n < r->alloc - at ? n : r->alloc - at;
	memcpy(out, r->buf + at, first);
	if (n > first)
		memcpy(out + first, r->buf, n - first);
}

/* Moves the bytes to a buffer of `size` bytes, logical offset 0 first. All
 * that fits moves, not only what is held: out-of-order bytes placed beyond
 * the tail (ring_place) must survive growth. */
static int reallocate(struct ring *r, uint32_t size)
{
	uint8_t *nb = malloc(size);
	if (!nb)
		return -ENOMEM;
	if (r->buf)
		copy_out(r, 0, nb, r->alloc < size ? r->alloc : size);
	free(r->buf);
	uint32_t old = r->alloc;
	r->buf = nb;
	r->alloc = size;
	r->head = 0;
	account(r, old);
	return 0;
}

/* Makes room for `need` bytes from the head (need <= cap), doubling. */
static int ensure(struct ring *r, uint32_t need)
{
	if (need <= r->alloc)
		return 0;
	uint64_t size = r->alloc ? (uint64_t)r->alloc * 2 : RING_MIN_ALLOC;
	if (size < need)
		size = need;
	if (size > r->cap)
		size = r->cap;
	return reallocate(r, (uint32_t)size);
}

void ring_free(struct ring *r)
{
	uint32_t old = r->alloc;
	free(r->buf);
	r->buf = NULL;
	r->alloc = r->head = r->len = 0;
	account(r, old);
}

/* Copies n bytes into the ring at logical offset `off` from the head. */
static void copy_in(struct ring *r, uint32_t off, const uint8_t *data, uint32_t n)
{
	uint32_t at = (r->head + off) % r->alloc;
	uint32_t first = n < r->alloc - at ? n : r->alloc - at;
	memcpy(r->buf + at, data, first);
	if (n > first)
		memcpy(r->buf, data + first, n - first);
}

uint32_t ring_write(struct ring *r, const uint8_t *data, uint32_t n)
{
	if (n > ring_space(r))
		n = ring_space(r);
	if (!n || ensure(r, r->len + n) < 0)
		return 0;
	copy_in(r, r->len, data, n);
	r->len += n;
	return n;
}

int ring_place(struct ring *r, uint32_t off, const uint8_t *data, uint32_t n)
{
	if (!n)
		return 0;
	if (ensure(r, r->len + off + n) < 0)
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
	if (n)
		copy_out(r, off, out, n);
}

void ring_drop(struct ring *r, uint32_t n)
{
	if (n > r->len)
		n = r->len;
	r->len -= n;
	/* The head moves even when the ring empties: out-of-order bytes may
	 * already sit ahead of it (ring_place). */
	if (r->alloc)
		r->head = (r->head + n) % r->alloc;
}

int ring_resize(struct ring *r, uint32_t cap)
{
	if (cap < r->len)
		return -EINVAL;
	r->cap = cap;
	if (r->alloc <= cap)
		return 0;
	if (!cap) {
		ring_free(r);
		return 0;
	}
	return reallocate(r, cap);
}
