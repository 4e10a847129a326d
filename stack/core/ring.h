/*
 * ring.h - a byte ring for socket buffers. Memory follows use: nothing until
 * the first write, then a small block that doubles as the bytes held (and
 * placed ahead, out of order) need it, up to the capacity; the owner frees it
 * when the ring empties. An idle connection costs no buffer memory, a busy one
 * only what it holds, and a large capacity costs nothing until it is used.
 */
#ifndef TP_RING_H
#define TP_RING_H

#include <stddef.h>
#include <stdint.h>

#define RING_MIN_ALLOC 4096u

struct ring {
	uint8_t *buf;
	uint32_t cap;           /* bytes it may hold */
	uint32_t size;          /* bytes allocated (<= cap, or 0 with buf NULL) */
	uint32_t head;          /* offset of the first byte in buf */
	uint32_t len;           /* bytes held */
};

static inline void ring_init(struct ring *r, uint32_t cap) { r->buf = NULL; r->cap = cap; r->size = r->head = r->len = 0; }
static inline uint32_t ring_space(const struct ring *r) { return r->cap - r->len; }
void ring_free(struct ring *r);
/* Appends up to n bytes; returns how many fit (0 also when memory ran out). */
uint32_t ring_write(struct ring *r, const uint8_t *data, uint32_t n);
/* Copies n bytes starting `off` bytes after the head, without consuming. */
void ring_peek(const struct ring *r, uint32_t off, uint8_t *out, uint32_t n);
/* Writes n bytes at `off` past the end of what is held (for out-of-order
 * data placed ahead); the caller guarantees off + n <= space. Returns 0 or
 * -ENOMEM. */
int ring_place(struct ring *r, uint32_t off, const uint8_t *data, uint32_t n);
/* Counts n bytes placed at the tail as held (after ring_place at off 0..). */
void ring_commit(struct ring *r, uint32_t n);
void ring_drop(struct ring *r, uint32_t n);
/* Changes the capacity while empty-or-not (never below what is held). */
int ring_resize(struct ring *r, uint32_t cap);

#endif
