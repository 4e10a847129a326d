/*
 * arp.h - ARP (RFC 826, RFC 1122 §2.3.2): answers requests for our address,
 * resolves next hops for IP output, caches the answers.
 *
 * The cache is bounded (oldest entry evicted when full) and ages entries out;
 * an entry in use is refreshed by a unicast request before it expires so a
 * busy flow never stalls. Packets waiting for a resolution sit in a small
 * per-entry queue; after ARP_RETRIES unanswered requests the queue is handed
 * to the failure hook (IP reports host-unreachable to each sender).
 */
#ifndef TP_ARP_H
#define TP_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "pkb.h"
#include "tapir/tapir.h"
#include "timer.h"

#define ARP_PKT_LEN 28
#define ARP_RETRIES 3
#define ARP_RETRY_INTERVAL TP_SEC(1)
#define ARP_REACHABLE_TIME TP_SEC(60)
#define ARP_REFRESH_BEFORE TP_SEC(5)   /* refresh an entry used this close to expiry */
/* Packets waiting per unresolved address: room for every fragment of one
 * maximal datagram at MTU 1500 (45), or its first send to a new neighbour
 * is lost whole. */
#define ARP_QUEUE_MAX 64
#define ARP_HASH_BUCKETS 64

enum arp_state { ARP_FREE, ARP_INCOMPLETE, ARP_REACHABLE };

struct arp_entry {
	enum arp_state state;
	tp_ip4 ip;
	uint8_t mac[6];
	uint8_t tries;          /* requests sent for the current resolution */
	uint8_t refreshing;     /* a refresh request is out for a reachable entry */
	tp_time updated;        /* when last confirmed (for eviction: oldest first) */
	struct tp_timer timer;  /* retry (INCOMPLETE) or expiry (REACHABLE) */
	struct pkb *queue;      /* waiting packets, oldest first */
	uint32_t queued;
	int32_t hash_next;      /* next entry index in the bucket, -1 ends */
	struct tp_netif *nif;
};

struct arp_table {
	struct arp_entry *entries;
	uint32_t size;
	int32_t buckets[ARP_HASH_BUCKETS];
};

/* Called for each packet whose next hop never answered; takes ownership. */
typedef void (*arp_fail_fn)(struct tp_stack *s, struct pkb *ip_packet);

int arp_table_init(struct arp_table *t, struct tp_netif *nif, uint32_t size);
void arp_table_free(struct tp_stack *s, struct arp_table *t);

/* An ARP packet (after the Ethernet header); src_mac is the frame's source. */
void arp_input(struct tp_netif *nif, const uint8_t *src_mac, const uint8_t *pkt, size_t len);
/* An ARP packet another stack on the same link received (a multi-queue
 * TAP): learned from as arp_input() would, never answered. */
void arp_overheard(struct tp_netif *nif, const uint8_t *pkt, size_t len);

/* Sends an IP packet to `nexthop` on nif: now if resolved, else queued while
 * a request goes out. Consumes p. Returns 0, or -ENOMEM / -ENOBUFS (queue full). */
int arp_output(struct tp_netif *nif, struct pkb *p, tp_ip4 nexthop);

/* Gratuitous ARP for the interface's own address (RFC 5227 §3 announcement). */
void arp_announce(struct tp_netif *nif);

/* The cached MAC for ip, if resolved (for tests and `tapir stat`). */
const struct arp_entry *arp_lookup(const struct arp_table *t, tp_ip4 ip);

#endif
