/*
 * ipv4.h - IPv4 (RFC 791, RFC 1122 §3): validate and deliver received
 * datagrams (reassembling fragments), route and send datagrams (fragmenting
 * to the MTU unless DF is set).
 *
 * Transport protocols register an ip_proto in the stack's table; IP hands
 * them datagrams for us and error reports (from ICMP, or from ARP failing)
 * about datagrams they sent.
 */
#ifndef TP_IPV4_H
#define TP_IPV4_H

#include <stddef.h>
#include <stdint.h>

#include "ip_reass.h"
#include "pkb.h"
#include "tapir/tapir.h"

#define IP_HDR_LEN 20
#define IP_MAX_HDR_LEN 60
#define IP_MAX_LEN 65535
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_FLAG_DF 0x4000
#define IP_FLAG_MF 0x2000
#define IP_OFFMASK 0x1fff

/* A received datagram, as IP delivers it up. */
struct ip_info {
	tp_ip4 src, dst;
	uint8_t proto, ttl, tos;
	int to_broadcast;          /* sent to a broadcast (or multicast) address */
	int reassembled;
	int l4_csum_ok;            /* the link vouched for the TCP/UDP checksum (offload.h) */
	const uint8_t *hdr;        /* the IP header as received (first fragment's) */
	size_t hdr_len;
	struct tp_netif *netif;
};

/* An error about a datagram we sent: `quote` is its IP header + 8 bytes or
 * more (from an ICMP message or our own queued packet). */
struct ip_error {
	int err;                   /* -EHOSTUNREACH, -ECONNREFUSED, -EMSGSIZE, ... */
	uint8_t icmp_type, icmp_code;
	uint16_t mtu;              /* next-hop MTU for "fragmentation needed" */
	tp_ip4 reporter;           /* who said so (0: our own ARP) */
	tp_ip4 src, dst;           /* of the quoted datagram */
	const uint8_t *l4;         /* quoted transport header bytes */
	size_t l4_len;
};

struct ip_proto {
	void (*input)(struct tp_stack *s, const struct ip_info *ip, const uint8_t *data, size_t len);
	void (*error)(struct tp_stack *s, const struct ip_error *e);
};

struct ip_state {
	struct ip_proto protos[256];
	uint64_t id_key;
	uint16_t id_base[256];
	struct ip_reass_table reass;
};

void ip_init(struct tp_stack *s);
void ip_fini(struct tp_stack *s);
/* A datagram received on nif; link_broadcast: it came in a link-layer
 * broadcast frame. ip_input() is for datagrams looped back inside the stack. */
void ip_input_link(struct tp_netif *nif, const uint8_t *pkt, size_t len, int link_broadcast);
void ip_input(struct tp_netif *nif, const uint8_t *pkt, size_t len);

/* Where a datagram to dst leaves: the interface, and the next hop on it.
 * Returns NULL if there is no route. */
struct tp_netif *ip_route(struct tp_stack *s, tp_ip4 dst, tp_ip4 *nexthop);

struct ip_send {
	tp_ip4 src;                /* 0: the outgoing interface's address */
	tp_ip4 dst;
	uint8_t proto;
	uint8_t ttl;               /* 0: the stack default */
	uint8_t tos;
	int df;                    /* set DF; too big then fails with -EMSGSIZE */
};

/* Sends p (the transport header and payload) as one datagram, fragmented to
 * the route's MTU when needed. Consumes p. Returns 0 or a negative errno. */
int ip_output(struct tp_stack *s, struct pkb *p, const struct ip_send *how);

/* The delivered-error path: hands e to the protocol in the quoted header. */
void ip_report_error(struct tp_stack *s, const uint8_t *quoted, size_t len, struct ip_error *e);

static inline int ip_is_multicast(tp_ip4 a) { return (a >> 28) == 0xe; }

#endif
