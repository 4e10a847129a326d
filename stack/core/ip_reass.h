/*
 * ip_reass.h - IPv4 fragment reassembly (RFC 791 §3.2, RFC 815 holes as a
 * bitmap of 8-byte blocks).
 *
 * Bounded: each datagram at most 65535 bytes and IP_REASS_MAX_FRAGS
 * fragments; all reassemblies together at most the stack's memory limit (the
 * oldest is given up to make room). Timeout 30 s (RFC 1122 §3.3.2 suggests
 * 60-120 s; Linux uses 30 s). Overlaps: a fragment whose bytes repeat what
 * is already held is a harmless duplicate; one that contradicts them ends
 * the whole datagram (no first-wins or last-wins games for attackers).
 */
#ifndef TP_IP_REASS_H
#define TP_IP_REASS_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"
#include "timer.h"

#define IP_REASS_TIMEOUT TP_SEC(30)
#define IP_REASS_MAX_FRAGS 128
#define IP_REASS_BLOCKS 8192            /* 65536 / 8 */

struct ip_reass {
	struct ip_reass *next;
	tp_ip4 src, dst;
	uint16_t id;
	uint8_t proto;
	uint8_t hdr[60];                /* the first fragment's header, once seen */
	uint8_t hdr_len;                /* 0 until the first fragment arrives */
	uint32_t total;                 /* payload length, once seen_last */
	uint8_t seen_last;              /* the fragment without MF has come */
	uint32_t max_end;               /* end of the furthest fragment held */
	uint32_t have;                  /* payload blocks received */
	uint32_t frags;
	uint32_t cap;                   /* bytes allocated in data */
	uint8_t *data;
	tp_time started;
	struct tp_timer timer;
	uint8_t got[IP_REASS_BLOCKS / 8];
};

struct ip_reass_table {
	struct ip_reass *list;          /* newest first */
	size_t mem, mem_limit;
};

struct ip_frag {
	tp_ip4 src, dst;
	uint16_t id;
	uint8_t proto;
	const uint8_t *hdr;
	size_t hdr_len;
	uint32_t offset;                /* bytes */
	int more;                       /* MF */
	const uint8_t *data;
	size_t len;
};

/* Adds a fragment. When it completes a datagram, returns a malloc'd buffer
 * holding the first fragment's header (fixed up: no MF, total length set)
 * followed by the whole payload, with its sizes; the caller frees it.
 * Otherwise returns NULL (kept, or dropped and counted). */
uint8_t *ip_reass_add(struct tp_stack *s, const struct ip_frag *f, size_t *hdr_len, size_t *total);

void ip_reass_fini(struct tp_stack *s);

#endif
