#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Copies n bytes out of the ring from logical offset off (off + n <= size). */
static void copy_out(const struct ring *r, uint32_t off, uint8_t *out, uint32_t n)
{
	uint32_t at = (uint32_t)(((uint64_t)r->head + off) % r->size);
	uint32_t first = n < r->size - at ? n : r->size - at;
	memcpy(out, r->buf + at, first);
	if (n > first)
		memcpy(out + first, r->buf, n - first);
}

/* Makes room for logical offsets [0, need): allocates or grows the block,
 * doubling (at least RING_MIN_ALLOC, at most cap). Growing keeps every byte
 * of the old block at its logical offset, so out-of-order bytes placed ahead
 * of the held ones survive it. */
static int ensure(struct ring *r, uint32_t need)
{
	if (need <= r->size)
		return 0;
	if (need > r->cap)
		return -EINVAL;
	uint64_t size = r->size ? (uint64_t)r->size * 2 : RING_MIN_ALLOC;
	while (size < need)
		size *= 2;
	if (size > r->cap)
		size = r->cap;
	uint8_t *nb = malloc(size);
	if (!nb)
		return -ENOMEM;
	if (r->buf)
		copy_out(r, 0, nb, r->size);
	free(r->buf);
	r->buf = nb;
	r->size = (uint32_t)size;
	r->head = 0;
	return 0;
}

void ring_free(struct ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->size = r->head = r->len = 0;
}

/* Copies n bytes into the ring at logical offset `off` from the head. */
static void copy_in(struct ring *r, uint32_t off, const uint8_t *data, uint32_t n)
{
	uint32_t at = (uint32_t)(((uint64_t)r->head + off) % r->size);
	uint32_t first = n < r->size - at ? n : r->size - at;
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
	if (r->size)
		r->head = (r->head + n) % r->size;
}

int ring_resize(struct ring *r, uint32_t cap)
{
	if (cap < r->len)
		return -EINVAL;
	if (!r->buf || cap >= r->size) {
		r->cap = cap;           /* the block grows when it must */
		return 0;
	}
	uint8_t *nb = malloc(cap ? cap : 1);
	if (!nb)
		return -ENOMEM;
	copy_out(r, 0, nb, cap);        /* held bytes, and what was placed ahead within cap */
	free(r->buf);
	r->buf = nb;
	r->size = r->cap = cap;
	r->head = 0;
	return 0;
}
