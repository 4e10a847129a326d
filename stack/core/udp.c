/* udp.c - UDP datagrams to and from sockets. */
#include "udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "icmp.h"
#include "ipv4.h"
#include "sock.h"
#include "stack.h"

#define EPHEMERAL_MIN 49152
#define EPHEMERAL_COUNT (65536 - EPHEMERAL_MIN)

static struct tp_sock **bucket(struct tp_stack *s, uint16_t port)
{
	return &s->udp->ports[port % UDP_PORT_BUCKETS];
}

/* The socket for a datagram: a connected one matching the sender first,
 * then one bound to this address, then a wildcard. */
static struct tp_sock *demux(struct tp_stack *s, tp_ip4 dst, uint16_t dport, tp_ip4 src, uint16_t sport)
{
	struct tp_sock *best = NULL;
	int best_score = -1;
	for (struct tp_sock *so = *bucket(s, dport); so; so = so->udp_next) {
		if (so->lport != dport || (so->laddr && so->laddr != dst))
			continue;
		if (so->rport && (so->raddr != src || so->rport != sport))
			continue;
		int score = (so->rport ? 2 : 0) + (so->laddr ? 1 : 0);
		if (score > best_score) {
			best = so;
			best_score = score;
		}
	}
	return best;
}

int udp_port_bound(struct tp_stack *s, tp_ip4 addr, uint16_t port)
{
	for (struct tp_sock *so = *bucket(s, port); so; so = so->udp_next)
		if (so->lport == port && (!so->laddr || !addr || so->laddr == addr))
			return 1;
	return 0;
}

int udp_bind(struct tp_sock *so, tp_ip4 addr, uint16_t port, uint16_t rport)
{
	struct tp_stack *s = so->stack;
	if (port == 0) {
		/* RFC 6056 §3.3.1 (algorithm 1): a random start, then the next free
		 * (whose answers from rport come back to this stack's queue). */
		uint32_t start = tp_rand_below(&s->rng, EPHEMERAL_COUNT);
		for (uint32_t i = 0; i < EPHEMERAL_COUNT && !port; i++) {
			uint16_t p = (uint16_t)(EPHEMERAL_MIN + (start + i) % EPHEMERAL_COUNT);
			if (!udp_port_bound(s, addr, p) && stack_port_comes_back(s, p, rport))
				port = p;
		}
		if (!port)
			return -EADDRNOTAVAIL;
	} else if (udp_port_bound(s, addr, port) && !so->reuseaddr) {
		return -EADDRINUSE;
	}
	so->laddr = addr;
	so->lport = port;
	so->bound = 1;
	struct tp_sock **head = bucket(s, port);
	so->udp_next = *head;
	*head = so;
	return 0;
}

void udp_unbind(struct tp_sock *so)
{
	if (so->bound) {
		for (struct tp_sock **p = bucket(so->stack, so->lport); *p; p = &(*p)->udp_next)
			if (*p == so) {
				*p = so->udp_next;
				break;
			}
	}
	so->bound = 0;
	while (so->rx_head) {
		struct udp_dgram *d = so->rx_head;
		so->rx_head = d->next;
		free(d);
	}
	so->rx_tail = NULL;
	so->rx_bytes = so->rx_count = 0;
}

void tp_udp_foreach(struct tp_stack *s, tp_udp_info_fn fn, void *ctx)
{
	for (size_t b = 0; b < UDP_PORT_BUCKETS; b++)
		for (struct tp_sock *so = s->udp->ports[b]; so; so = so->udp_next) {
			struct tp_udp_info info = {.fd = so->fd, .laddr = so->laddr, .lport = so->lport,
						   .raddr = so->raddr, .rport = so->rport,
						   .queued_dgrams = so->rx_count,
						   .queued_bytes = so->rx_bytes};
			fn(ctx, &info);
		}
}

static void udp_input(struct tp_stack *s, const struct ip_info *ip, const uint8_t *d, size_t len)
{
	tp_count(s, TP_STAT_UDP_IN);
	if (len < UDP_HDR_LEN) {
		tp_drop(s, TP_STAT_UDP_DROP_SHORT, d, len);
		return;
	}
	size_t ulen = get_be16(d + 4);
	if (ulen < UDP_HDR_LEN || ulen > len) {
		tp_drop(s, TP_STAT_UDP_DROP_LENGTH, d, len);
		return;
	}
	/* RFC 768: a zero checksum means the sender computed none. */
	if (get_be16(d + 6) != 0 && !ip->l4_csum_ok &&
	    cksum_finish(cksum_add(cksum_pseudo(ip->src, ip->dst, IP_PROTO_UDP, (uint16_t)ulen), d, ulen))) {
		tp_drop(s, TP_STAT_UDP_DROP_CHECKSUM, d, len);
		return;
	}
	uint16_t sport = get_be16(d), dport = get_be16(d + 2);
	struct tp_sock *so = demux(s, ip->dst, dport, ip->src, sport);
	if (!so) {
		tp_drop(s, TP_STAT_UDP_DROP_NO_PORT, d, len);
		icmp_send_error(s, ICMP_UNREACH, ICMP_UNREACH_PORT, 0, ip->hdr, ip->hdr_len + len,
				ip->to_broadcast);
		return;
	}
	uint32_t plen = (uint32_t)(ulen - UDP_HDR_LEN);
	if (so->rx_bytes + plen > so->rcvbuf || so->rx_count >= UDP_QUEUE_MAX_DGRAMS) {
		tp_drop(s, TP_STAT_UDP_DROP_QUEUE_FULL, d, len);
		return;
	}
	struct udp_dgram *g = malloc(sizeof(*g) + plen);
	if (!g) {
		tp_count(s, TP_STAT_MEM_FAIL);
		return;
	}
	g->next = NULL;
	g->from = ip->src;
	g->port = sport;
	g->len = plen;
	memcpy(g->data, d + UDP_HDR_LEN, plen);
	if (so->rx_tail)
		so->rx_tail->next = g;
	else
		so->rx_head = g;
	so->rx_tail = g;
	so->rx_bytes += plen;
	so->rx_count++;
	sock_notify(so);
}

long udp_sendto(struct tp_sock *so, const uint8_t *buf, size_t len, tp_ip4 addr, uint16_t port)
{
	struct tp_stack *s = so->stack;
	if (len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (!addr || !port)
		return -EDESTADDRREQ;
	tp_ip4 nexthop;
	struct tp_netif *nif = ip_route(s, addr, &nexthop);
	if (!nif)
		return -ENETUNREACH;
	if (!so->bound) {
		int err = udp_bind(so, 0, 0, port);
		if (err < 0)
			return err;
	}
	tp_ip4 src = so->laddr ? so->laddr : nif->cfg.addr;
	struct pkb *p = pkb_alloc(PKB_HEADROOM, UDP_HDR_LEN + len);
	if (!p) {
		tp_count(s, TP_STAT_MEM_FAIL);
		return -ENOMEM;
	}
	uint8_t *h = pkb_put(p, UDP_HDR_LEN + len);
	put_be16(h, so->lport);
	put_be16(h + 2, port);
	put_be16(h + 4, (uint16_t)(UDP_HDR_LEN + len));
	put_be16(h + 6, 0);
	if (len)
		memcpy(h + UDP_HDR_LEN, buf, len);
	uint16_t sum = cksum_finish(cksum_add(cksum_pseudo(src, addr, IP_PROTO_UDP,
							   (uint16_t)(UDP_HDR_LEN + len)), h, UDP_HDR_LEN + len));
	put_be16(h + 6, sum ? sum : 0xffff);    /* RFC 768: a computed zero is sent as all ones */
	tp_count(s, TP_STAT_UDP_OUT);
	struct ip_send how = {.src = src, .dst = addr, .proto = IP_PROTO_UDP};
	int err = ip_output(s, p, &how);
	return err < 0 && err != -ENOBUFS ? err : (long)len;
}

long udp_recvfrom(struct tp_sock *so, uint8_t *buf, size_t len, int peek, tp_ip4 *addr, uint16_t *port)
{
	struct udp_dgram *g = so->rx_head;
	if (!g) {
		if (so->error) {
			int e = so->error;
			so->error = 0;
			return e;
		}
		return -EAGAIN;
	}
	size_t n = g->len < len ? g->len : len;     /* the rest is lost, as in BSD */
	if (n)
		memcpy(buf, g->data, n);
	if (addr)
		*addr = g->from;
	if (port)
		*port = g->port;
	if (!peek) {
		so->rx_head = g->next;
		if (!so->rx_head)
			so->rx_tail = NULL;
		so->rx_bytes -= g->len;
		so->rx_count--;
		free(g);
	}
	return (long)n;
}

/* ICMP about a datagram we sent: a connected socket hears of it (as in BSD). */
static void udp_error(struct tp_stack *s, const struct ip_error *e)
{
	if (e->l4_len < 4)
		return;
	uint16_t sport = get_be16(e->l4), dport = get_be16(e->l4 + 2);
	for (struct tp_sock *so = *bucket(s, sport); so; so = so->udp_next)
		if (so->lport == sport && so->rport == dport && so->raddr == e->dst) {
			so->error = e->err;
			sock_notify(so);
		}
}

int udp_init(struct tp_stack *s)
{
	s->udp = calloc(1, sizeof(*s->udp));
	if (!s->udp)
		return -ENOMEM;
	s->ip.protos[IP_PROTO_UDP].input = udp_input;
	s->ip.protos[IP_PROTO_UDP].error = udp_error;
	return 0;
}

void udp_fini(struct tp_stack *s)
{
	free(s->udp);
	s->udp = NULL;
}
