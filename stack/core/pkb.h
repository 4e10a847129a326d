/*
 * pkb.h - packet buffers for the output path.
 *
 * A pkb is one contiguous buffer with headroom: the layer that creates it
 * writes its payload, then each lower layer pkb_push()es its header in front
 * without copying (lwIP's pbuf, Linux's skb, reduced to what tapir needs).
 *
 * Ownership: whoever holds the pointer owns the pkb. A function that takes a
 * pkb consumes it (sends, queues or frees it) on every path, success or
 * error; the caller never touches it again. Input frames are not pkbs: the
 * input path reads the caller's bytes in place and copies only what it keeps.
 */
#ifndef TP_PKB_H
#define TP_PKB_H

#include <stddef.h>
#include <stdint.h>

/* Room for Ethernet (14) + IPv4 with options (60) + TCP with options (60). */
#define PKB_HEADROOM 160

struct pkb {
	struct pkb *next;       /* for the one queue a pkb may sit in */
	uint8_t *data;          /* first byte of the packet */
	size_t len;             /* bytes from data */
	size_t size;            /* bytes in buf */
	uint32_t nexthop;       /* set by IP output for the link layer */
	/* Offload (offload.h): the transport header whose checksum is left
	 * partial for the link, or NULL when the packet is complete; and for
	 * a TCP super-segment the payload bytes per segment, else 0. */
	uint8_t *csum_l4;
	uint16_t csum_offset;
	uint16_t gso_size;
	uint8_t buf[];
};

/* A pkb with `headroom` free bytes in front and room for `tailroom` more. */
struct pkb *pkb_alloc(size_t headroom, size_t tailroom);
void pkb_free(struct pkb *p);

/* Grows the packet at the front by n bytes; returns the new start, or NULL
 * if the headroom is too small (a programming error, never input-driven). */
uint8_t *pkb_push(struct pkb *p, size_t n);
/* Appends n bytes at the end; returns where they go, or NULL if no room. */
uint8_t *pkb_put(struct pkb *p, size_t n);
/* Drops n bytes from the front. */
void pkb_pull(struct pkb *p, size_t n);

static inline size_t pkb_headroom(const struct pkb *p) { return (size_t)(p->data - p->buf); }

#endif
