/*
 * udp.h - UDP (RFC 768): checksums with the pseudo-header (zero means none
 * on receive), demux to sockets by port, a bounded receive queue per socket,
 * ICMP port unreachable for closed ports.
 */
#ifndef TP_UDP_H
#define TP_UDP_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

#define UDP_HDR_LEN 8
#define UDP_MAX_PAYLOAD (65535 - 20 - UDP_HDR_LEN)
#define UDP_PORT_BUCKETS 256
#define UDP_QUEUE_MAX_DGRAMS 1024

struct tp_sock;

struct udp_dgram {
	struct udp_dgram *next;
	tp_ip4 from;
	uint16_t port;
	uint32_t len;
	uint8_t data[];
};

struct udp_state {
	struct tp_sock *ports[UDP_PORT_BUCKETS];
	uint32_t port_offset;
};

int udp_init(struct tp_stack *s);
void udp_fini(struct tp_stack *s);
/* Port 0 picks a free ephemeral one; with rport (the peer's, when known)
 * one whose flow comes back to this stack's queue (stack_port_comes_back). */
int udp_bind(struct tp_sock *so, tp_ip4 addr, uint16_t port, uint16_t rport);
void udp_unbind(struct tp_sock *so);
long udp_sendto(struct tp_sock *so, const uint8_t *buf, size_t len, tp_ip4 addr, uint16_t port);
long udp_recvfrom(struct tp_sock *so, uint8_t *buf, size_t len, int peek, tp_ip4 *addr, uint16_t *port);
int udp_port_bound(struct tp_stack *s, tp_ip4 addr, uint16_t port);

#endif
