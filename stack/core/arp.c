#include "arp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "eth.h"
#include "stack.h"

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2

static uint32_t bucket_of(tp_ip4 ip)
{
	return (ip * 2654435761u) >> 26;    /* Knuth's multiplicative hash, 6 bits */
}

static void expire_or_retry(struct tp_stack *s, struct tp_timer *t);

int arp_table_init(struct arp_table *t, struct tp_netif *nif, uint32_t size)
{
	t->entries = calloc(size, sizeof(*t->entries));
	if (!t->entries)
		return -ENOMEM;
	t->size = size;
	for (uint32_t i = 0; i < ARP_HASH_BUCKETS; i++)
		t->buckets[i] = -1;
	for (uint32_t i = 0; i < size; i++) {
		tp_timer_init(&t->entries[i].timer, expire_or_retry);
		t->entries[i].nif = nif;
		t->entries[i].hash_next = -1;
	}
	return 0;
}

/* Frees a detached list of waiting packets, or hands each to the failure hook. */
static void release_queue(struct tp_stack *s, struct pkb *p, int report)
{
	while (p) {
		struct pkb *next = p->next;
		p->next = NULL;
		if (report && s->arp_fail)
			s->arp_fail(s, p);
		else
			pkb_free(p);
		p = next;
	}
}

static void drop_queue(struct tp_stack *s, struct arp_entry *e)
{
	struct pkb *p = e->queue;
	e->queue = NULL;
	e->queued = 0;
	release_queue(s, p, 0);
}

void arp_table_free(struct tp_stack *s, struct arp_table *t)
{
	for (uint32_t i = 0; i < t->size; i++) {
		tp_timer_stop(s, &t->entries[i].timer);
		drop_queue(s, &t->entries[i]);
	}
	free(t->entries);
	t->entries = NULL;
}

const struct arp_entry *arp_lookup(const struct arp_table *t, tp_ip4 ip)
{
	for (int32_t i = t->buckets[bucket_of(ip)]; i >= 0; i = t->entries[i].hash_next)
		if (t->entries[i].ip == ip)
			return &t->entries[i];
	return NULL;
}

static struct arp_entry *find(struct arp_table *t, tp_ip4 ip)
{
	return (struct arp_entry *)arp_lookup(t, ip);
}

static void unlink_entry(struct tp_stack *s, struct arp_table *t, struct arp_entry *e)
{
	int32_t idx = (int32_t)(e - t->entries);
	int32_t *link = &t->buckets[bucket_of(e->ip)];
	while (*link >= 0 && *link != idx)
		link = &t->entries[*link].hash_next;
	if (*link == idx)
		*link = e->hash_next;
	e->hash_next = -1;
	tp_timer_stop(s, &e->timer);
	drop_queue(s, e);
	e->state = ARP_FREE;
}

/* A free entry, or the least recently confirmed one evicted to make room. */
static struct arp_entry *claim(struct tp_stack *s, struct arp_table *t, tp_ip4 ip)
{
	struct arp_entry *victim = NULL;
	for (uint32_t i = 0; i < t->size; i++) {
		struct arp_entry *e = &t->entries[i];
		if (e->state == ARP_FREE) {
			victim = e;
			break;
		}
		if (!victim || e->updated < victim->updated)
			victim = e;
	}
	if (victim->state != ARP_FREE) {
		tp_count(s, TP_STAT_ARP_CACHE_EVICT);
		unlink_entry(s, t, victim);
	}
	uint32_t b = bucket_of(ip);
	victim->ip = ip;
	victim->tries = 0;
	victim->refreshing = 0;
	victim->updated = s->now;
	victim->hash_next = t->buckets[b];
	t->buckets[b] = (int32_t)(victim - t->entries);
	return victim;
}

static void send_arp(struct tp_netif *nif, uint16_t op, const uint8_t *dst_mac,
		     const uint8_t *target_mac, tp_ip4 target_ip, tp_ip4 sender_ip)
{
	struct tp_stack *s = nif->stack;
	struct pkb *p = pkb_alloc(PKB_HEADROOM, ARP_PKT_LEN);
	if (!p) {
		tp_count(s, TP_STAT_MEM_FAIL);
		return;
	}
	uint8_t *a = pkb_put(p, ARP_PKT_LEN);
	put_be16(a, ARP_HTYPE_ETHER);
	put_be16(a + 2, ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, nif->cfg.mac, 6);
	put_be32(a + 14, sender_ip);
	memcpy(a + 18, target_mac, 6);
	put_be32(a + 24, target_ip);
	eth_output(nif, p, dst_mac, ETHERTYPE_ARP);
}

static void send_request(struct tp_netif *nif, tp_ip4 ip, const uint8_t *unicast_mac)
{
	static const uint8_t zero[6];
	tp_count(nif->stack, TP_STAT_ARP_REQUEST_OUT);
	send_arp(nif, ARP_OP_REQUEST, unicast_mac ? unicast_mac : eth_broadcast, zero, ip,
		 nif->cfg.addr);
}

void arp_announce(struct tp_netif *nif)
{
	static const uint8_t zero[6];
	tp_count(nif->stack, TP_STAT_ARP_GRATUITOUS_OUT);
	/* RFC 5227 §3: an ARP request with sender and target both our address. */
	send_arp(nif, ARP_OP_REQUEST, eth_broadcast, zero, nif->cfg.addr, nif->cfg.addr);
}

static void flush_queue(struct arp_entry *e)
{
	struct pkb *p = e->queue;
	e->queue = NULL;
	e->queued = 0;
	while (p) {
		struct pkb *next = p->next;
		p->next = NULL;
		eth_output(e->nif, p, e->mac, ETHERTYPE_IPV4);
		p = next;
	}
}

static void confirm(struct tp_stack *s, struct arp_entry *e, const uint8_t *mac)
{
	memcpy(e->mac, mac, 6);
	e->state = ARP_REACHABLE;
	e->tries = 0;
	e->refreshing = 0;
	e->updated = s->now;
	tp_timer_set(s, &e->timer, s->now + ARP_REACHABLE_TIME);
	flush_queue(e);
}

static void expire_or_retry(struct tp_stack *s, struct tp_timer *t)
{
	struct arp_entry *e = container_of(t, struct arp_entry, timer);
	struct arp_table *tab = &e->nif->arp;

	if (e->state == ARP_REACHABLE) {
		unlink_entry(s, tab, e);
		return;
	}
	if (e->tries >= ARP_RETRIES) {
		char ip[16];
		tp_count(s, TP_STAT_ARP_RESOLVE_FAIL);
		tp_trace_text(s, TP_TRACE_NOTE, "arp: no answer from %s after %d requests",
			      tp_ip4_format(e->ip, ip), ARP_RETRIES);
		/* Free the entry before telling anyone: a sender may send again at
		 * once, and that must start a fresh resolution, not join this dying
		 * entry's queue and vanish with it. */
		struct pkb *waiting = e->queue;
		e->queue = NULL;
		e->queued = 0;
		unlink_entry(s, tab, e);
		release_queue(s, waiting, 1);
		return;
	}
	e->tries++;
	send_request(e->nif, e->ip, NULL);
	tp_timer_set(s, &e->timer, s->now + ARP_RETRY_INTERVAL);
}

int arp_output(struct tp_netif *nif, struct pkb *p, tp_ip4 nexthop)
{
	struct tp_stack *s = nif->stack;
	struct arp_entry *e = find(&nif->arp, nexthop);

	if (e && e->state == ARP_REACHABLE) {
		/* Used near its expiry: ask the owner directly, keep sending meanwhile. */
		if (!e->refreshing && e->timer.when - s->now <= ARP_REFRESH_BEFORE) {
			e->refreshing = 1;
			send_request(nif, nexthop, e->mac);
		}
		return eth_output(nif, p, e->mac, ETHERTYPE_IPV4);
	}
	if (!e) {
		e = claim(s, &nif->arp, nexthop);
		e->state = ARP_INCOMPLETE;
		e->tries = 0;
		expire_or_retry(s, &e->timer);     /* first request now */
	}
	if (e->queued >= ARP_QUEUE_MAX) {
		tp_drop(s, TP_STAT_ARP_QUEUE_DROP, p->data, p->len);
		pkb_free(p);
		return -ENOBUFS;
	}
	p->next = NULL;
	struct pkb **tail = &e->queue;
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	e->queued++;
	return 0;
}

/* The fields of a well-formed Ethernet/IPv4 ARP packet, or -1. */
struct arp_fields {
	uint16_t op;
	const uint8_t *sha;
	tp_ip4 spa, tpa;
};

static int arp_parse(const uint8_t *a, size_t len, struct arp_fields *f)
{
	if (len < ARP_PKT_LEN || get_be16(a) != ARP_HTYPE_ETHER || get_be16(a + 2) != ETHERTYPE_IPV4 ||
	    a[4] != 6 || a[5] != 4)
		return -1;
	f->op = get_be16(a + 6);
	f->sha = a + 8;
	f->spa = get_be32(a + 14);
	f->tpa = get_be32(a + 24);
	if ((f->op != ARP_OP_REQUEST && f->op != ARP_OP_REPLY) || eth_is_multicast(f->sha))
		return -1;
	return 0;
}

/* RFC 826's "merge" and learning, shared by what we receive and what a
 * sibling stack overheard: the entry for the sender, if we keep one. */
static struct arp_entry *learn(struct tp_netif *nif, const struct arp_fields *f)
{
	struct tp_stack *s = nif->stack;
	/* Refresh what we already know, from anyone. A sender address of
	 * 0.0.0.0 is a probe (RFC 5227) and teaches nothing. */
	struct arp_entry *e = f->spa ? find(&nif->arp, f->spa) : NULL;
	if (e)
		confirm(s, e, f->sha);
	/* Addressed to us: learn the sender (RFC 1122 §2.3.2.1 keeps the cache
	 * to hosts that talk to us, so a broadcast storm cannot fill it). */
	if (f->tpa == nif->cfg.addr && !e && f->spa &&
	    (f->spa & nif->netmask) == (nif->cfg.addr & nif->netmask)) {
		e = claim(s, &nif->arp, f->spa);
		confirm(s, e, f->sha);
	}
	return e;
}

void arp_input(struct tp_netif *nif, const uint8_t *src_mac, const uint8_t *a, size_t len)
{
	struct tp_stack *s = nif->stack;
	struct arp_fields f;

	tp_count(s, TP_STAT_ARP_IN);
	if (arp_parse(a, len, &f) < 0) {
		tp_drop(s, TP_STAT_ARP_DROP_MALFORMED, a, len);
		return;
	}
	(void)src_mac;
	if (f.spa == nif->cfg.addr) {
		/* Someone else claims our address (RFC 5227 §2.4): count and say so. */
		if (memcmp(f.sha, nif->cfg.mac, 6) != 0) {
			char ip[16];
			const uint8_t *m = f.sha;
			tp_count(s, TP_STAT_ARP_ADDR_CONFLICT);
			tp_trace_text(s, TP_TRACE_NOTE, "arp: %s claimed by %02x:%02x:%02x:%02x:%02x:%02x",
				      tp_ip4_format(f.spa, ip), m[0], m[1], m[2], m[3], m[4], m[5]);
		}
		return;
	}
	struct arp_entry *e = learn(nif, &f);
	if (f.tpa != nif->cfg.addr) {
		if (!e)
			tp_drop(s, TP_STAT_ARP_DROP_NOT_US, a, len);
		return;
	}
	if (f.op == ARP_OP_REQUEST) {
		tp_count(s, TP_STAT_ARP_REPLY_OUT);
		send_arp(nif, ARP_OP_REPLY, f.sha, f.sha, f.spa, nif->cfg.addr);
	}
}

void arp_overheard(struct tp_netif *nif, const uint8_t *a, size_t len)
{
	struct arp_fields f;
	/* The stack that received it counted, answered and judged it. */
	if (arp_parse(a, len, &f) == 0 && f.spa != nif->cfg.addr) {
		tp_count(nif->stack, TP_STAT_ARP_OVERHEARD);
		learn(nif, &f);
	}
}
