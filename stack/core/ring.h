/*
 * ring.h - a byte ring for socket buffers. Memory is allocated on the first
 * write, not at creation, and grows by doubling as the bytes held need it
 * (up to the capacity), so an idle connection costs no buffer memory and a
 * quiet one little. Each ring may report what it holds allocated to a pool
 * shared by many, for a budget over them all (tcp_mem_limit).
 */
#ifndef TP_RING_H
#define TP_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_MIN_ALLOC 4096     /* the first allocation, unless the capacity is less */

struct ring_pool {
	uint64_t used;          /* bytes allocated by the rings that report here */
};

struct ring {
	uint8_t *buf;
	uint32_t cap;           /* bytes it may hold */
	uint32_t alloc;         /* bytes allocated at buf (0 when buf is NULL) */
	uint32_t head;          /* offset of the first byte */
	uint32_t len;           /* bytes held */
	struct ring_pool *pool; /* NULL: counted nowhere */
};

static inline void ring_init(struct ring *r, uint32_t cap, struct ring_pool *pool)
{
	r->buf = NULL;
	r->cap = cap;
	r->alloc = r->head = r->len = 0;
	r->pool = pool;
}
static inline uint32_t ring_space(const struct ring *r) { return r->cap - r->len; }
void ring_free(struct ring *r);
/* Appends up to n bytes; returns how many fit (0 also when memory ran out). */
uint32_t ring_write(struct ring *r, const uint8_t *data, uint32_t n);
/* Copies n bytes starting `off` bytes after the head, without consuming. */
void ring_peek(const struct ring *r, uint32_t off, uint8_t *out, uint32_t n);
/* Writes n bytes at `off` past the end of what is held (for out-of-order
 * data placed ahead); the caller guarantees off + n <= space. */
int ring_place(struct ring *r, uint32_t off, const uint8_t *data, uint32_t n);
/* Counts n bytes placed at the tail as held (after ring_place at off 0..). */
void ring_commit(struct ring *r, uint32_t n);
void ring_drop(struct ring *r, uint32_t n);
/* Changes the capacity while empty-or-not (never below what is held). */
int ring_resize(struct ring *r, uint32_t cap);

#endif
