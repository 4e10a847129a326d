#include "ipv4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "eth.h"
#include "icmp.h"
#include "offload.h"
#include "stack.h"

static int is_local(struct tp_stack *s, tp_ip4 a)
{
	for (int i = 0; i < s->n_netif; i++)
		if (s->netifs[i].cfg.addr == a)
			return 1;
	return 0;
}

static int is_broadcast(const struct tp_netif *nif, tp_ip4 a)
{
	return a == 0xffffffffu || (nif->cfg.prefix_len < 31 && a == nif->broadcast);
}

/* Options are skipped, not obeyed (tapir does no source routing), but they
 * must be well-formed: RFC 791 §3.1 type-length-value, EOL and NOP alone.
 * Returns -1 if they are, else the header offset of the octet at fault (the
 * Parameter Problem pointer, RFC 792). */
static int options_fault(const uint8_t *opt, size_t len)
{
	size_t i = 0;
	while (i < len) {
		if (opt[i] == 0)
			return -1;
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return (int)(IP_HDR_LEN + i);
		if (opt[i + 1] < 2 || opt[i + 1] > len - i)
			return (int)(IP_HDR_LEN + i + 1);
		i += opt[i + 1];
	}
	return -1;
}

static void deliver(struct tp_stack *s, struct ip_info *info, const uint8_t *pkt, size_t total)
{
	const struct ip_proto *proto = &s->ip.protos[info->proto];
	const uint8_t *data = pkt + info->hdr_len;
	size_t len = total - info->hdr_len;

	if (!proto->input) {
		tp_drop(s, TP_STAT_IP_DROP_PROTOCOL, pkt, total);
		icmp_send_error(s, ICMP_UNREACH, ICMP_UNREACH_PROTOCOL, 0, pkt, total, info->to_broadcast);
		return;
	}
	tp_count(s, TP_STAT_IP_DELIVERED);
	proto->input(s, info, data, len);
}

void ip_input(struct tp_netif *nif, const uint8_t *pkt, size_t len)
{
	ip_input_link(nif, pkt, len, 0);
}

void ip_input_link(struct tp_netif *nif, const uint8_t *pkt, size_t len, int link_broadcast)
{
	struct tp_stack *s = nif->stack;
	int csum_ok = s->rx_csum_ok;

	s->rx_csum_ok = 0;          /* for this datagram only, not for what it makes us loop back */
	tp_count(s, TP_STAT_IP_IN);
	if (len < IP_HDR_LEN) {
		tp_drop(s, TP_STAT_IP_DROP_SHORT, pkt, len);
		return;
	}
	if (pkt[0] >> 4 != 4) {
		tp_drop(s, TP_STAT_IP_DROP_VERSION, pkt, len);
		return;
	}
	size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
	if (hl < IP_HDR_LEN || hl > len) {
		tp_drop(s, TP_STAT_IP_DROP_HDR_LEN, pkt, len);
		return;
	}
	size_t total = get_be16(pkt + 2);
	if (total < hl || total > len) {
		tp_drop(s, TP_STAT_IP_DROP_TOTAL_LEN, pkt, len);
		return;
	}
	if (cksum(pkt, hl) != 0) {
		tp_drop(s, TP_STAT_IP_DROP_CHECKSUM, pkt, len);
		return;
	}
	struct ip_info info = {
		.src = get_be32(pkt + 12), .dst = get_be32(pkt + 16), .proto = pkt[9],
		.ttl = pkt[8], .tos = pkt[1], .hdr = pkt, .hdr_len = hl, .netif = nif,
		.l4_csum_ok = csum_ok,
	};
	/* RFC 1122 §3.2.1.3: no datagram comes from a broadcast, multicast,
	 * loopback or zero source. */
	if (info.src == 0 || is_broadcast(nif, info.src) || ip_is_multicast(info.src) ||
	    info.src >> 24 == 127) {
		tp_drop(s, TP_STAT_IP_DROP_BAD_SRC, pkt, len);
		return;
	}
	info.to_broadcast = is_broadcast(nif, info.dst);
	if (!info.to_broadcast && !is_local(s, info.dst)) {
		tp_drop(s, TP_STAT_IP_DROP_NOT_US, pkt, len);
		return;
	}
	/* RFC 1122 §3.3.6: a unicast datagram in a link-layer broadcast frame is
	 * discarded, which also keeps §3.2.2's MUST (no ICMP error about a
	 * link-layer broadcast) for every layer above. */
	if (link_broadcast && !info.to_broadcast) {
		tp_drop(s, TP_STAT_IP_DROP_LINK_BROADCAST, pkt, len);
		return;
	}
	int fault = options_fault(pkt + IP_HDR_LEN, hl - IP_HDR_LEN);
	if (fault >= 0) {
		tp_drop(s, TP_STAT_IP_DROP_OPTIONS, pkt, len);
		/* RFC 1122 §3.2.2.5: a host SHOULD send Parameter Problem. */
		icmp_send_error(s, ICMP_PARAM_PROBLEM, 0, (uint32_t)fault << 24, pkt, total,
				info.to_broadcast);
		return;
	}
	uint16_t frag = get_be16(pkt + 6);
	if (!(frag & (IP_FLAG_MF | IP_OFFMASK))) {
		deliver(s, &info, pkt, total);
		return;
	}
	struct ip_frag f = {
		.src = info.src, .dst = info.dst, .id = get_be16(pkt + 4), .proto = info.proto,
		.hdr = pkt, .hdr_len = hl, .offset = (uint32_t)(frag & IP_OFFMASK) * 8,
		.more = !!(frag & IP_FLAG_MF), .data = pkt + hl, .len = total - hl,
	};
	size_t whole_hl, whole_len;
	uint8_t *whole = ip_reass_add(s, &f, &whole_hl, &whole_len);
	if (!whole)
		return;
	info.hdr = whole;
	info.hdr_len = whole_hl;
	info.reassembled = 1;
	info.l4_csum_ok = 0;
	deliver(s, &info, whole, whole_len);
	free(whole);
}

struct tp_netif *ip_route(struct tp_stack *s, tp_ip4 dst, tp_ip4 *nexthop)
{
	for (int i = 0; i < s->n_netif; i++) {
		struct tp_netif *nif = &s->netifs[i];
		if ((dst & nif->netmask) == (nif->cfg.addr & nif->netmask) || dst == 0xffffffffu) {
			*nexthop = dst;
			return nif;
		}
	}
	for (int i = 0; i < s->n_netif; i++) {
		struct tp_netif *nif = &s->netifs[i];
		if (nif->cfg.gateway) {
			*nexthop = nif->cfg.gateway;
			return nif;
		}
	}
	return NULL;
}

/* RFC 6864 §4.1 / RFC 7739: IDs from counters chosen by a keyed hash of the
 * destination, so an observer learns nothing about traffic to others. */
static uint16_t next_id(struct tp_stack *s, tp_ip4 dst, uint16_t count)
{
	uint32_t h = (dst ^ (uint32_t)s->ip.id_key) * 2654435761u;
	uint16_t id = (uint16_t)(s->ip.id_base[h >> 24] + (h >> 8));
	s->ip.id_base[h >> 24] = (uint16_t)(s->ip.id_base[h >> 24] + count);
	return id;
}

/* The datagrams p becomes on the wire: a super-segment's link gives each of
 * its segments the next ID (as Linux's TSO does), so it takes that many. */
static uint16_t datagrams_in(const struct pkb *p)
{
	if (!p->gso_size || !p->csum_l4)
		return 1;
	size_t payload = p->len - (size_t)(p->csum_l4 - p->data) - (size_t)(p->csum_l4[12] >> 4) * 4;
	return (uint16_t)((payload + p->gso_size - 1) / p->gso_size);
}

static void fill_header(uint8_t *h, const struct ip_send *how, tp_ip4 src, uint16_t total,
			uint16_t id, uint16_t frag, uint8_t ttl)
{
	h[0] = 0x45;
	h[1] = how->tos;
	put_be16(h + 2, total);
	put_be16(h + 4, id);
	put_be16(h + 6, frag);
	h[8] = ttl;
	h[9] = how->proto;
	put_be16(h + 10, 0);
	put_be32(h + 12, src);
	put_be32(h + 16, how->dst);
	put_be16(h + 10, cksum(h, IP_HDR_LEN));
}

static int link_output(struct tp_stack *s, struct tp_netif *nif, struct pkb *p, tp_ip4 nexthop)
{
	/* A datagram to ourselves never reaches the wire. */
	if (is_local(s, nexthop)) {
		offload_csum_complete(p);
		ip_input(nif, p->data, p->len);
		pkb_free(p);
		return 0;
	}
	if (is_broadcast(nif, nexthop))
		return eth_output(nif, p, eth_broadcast, ETHERTYPE_IPV4);
	return arp_output(nif, p, nexthop);
}

int ip_output(struct tp_stack *s, struct pkb *p, const struct ip_send *how)
{
	tp_ip4 nexthop;
	struct tp_netif *nif = ip_route(s, how->dst, &nexthop);

	if (!nif) {
		tp_drop(s, TP_STAT_IP_DROP_NO_ROUTE, NULL, 0);
		pkb_free(p);
		return -ENETUNREACH;
	}
	tp_ip4 src = how->src ? how->src : nif->cfg.addr;
	uint8_t ttl = how->ttl ? how->ttl : s->cfg.default_ttl;
	uint16_t id = next_id(s, how->dst, datagrams_in(p));
	size_t mtu = nif->cfg.mtu;

	if (p->len + IP_HDR_LEN > IP_MAX_LEN) {
		pkb_free(p);
		return -EMSGSIZE;
	}
	/* A TCP super-segment (offload.h) is cut to the MTU by the link. */
	if (p->len + IP_HDR_LEN <= mtu || p->gso_size) {
		uint8_t *h = pkb_push(p, IP_HDR_LEN);
		if (!h) {
			pkb_free(p);
			return -EINVAL;
		}
		fill_header(h, how, src, (uint16_t)p->len, id, how->df ? IP_FLAG_DF : 0, ttl);
		tp_count(s, TP_STAT_IP_OUT);
		return link_output(s, nif, p, nexthop);
	}
	if (how->df) {
		tp_drop(s, TP_STAT_IP_DROP_DF, p->data, p->len);
		pkb_free(p);
		return -EMSGSIZE;
	}
	/* One datagram, however many fragments (those count in ip.frag_out). */
	tp_count(s, TP_STAT_IP_OUT);
	/* RFC 791 §3.2: every fragment but the last carries a multiple of 8 bytes. */
	size_t chunk = (mtu - IP_HDR_LEN) & ~(size_t)7;
	int err = 0;
	for (size_t off = 0; off < p->len; off += chunk) {
		size_t n = p->len - off < chunk ? p->len - off : chunk;
		int more = off + n < p->len;
		struct pkb *f = pkb_alloc(PKB_HEADROOM, n);
		if (!f) {
			tp_count(s, TP_STAT_MEM_FAIL);
			err = -ENOMEM;
			break;
		}
		memcpy(pkb_put(f, n), p->data + off, n);
		fill_header(pkb_push(f, IP_HDR_LEN), how, src, (uint16_t)(n + IP_HDR_LEN), id,
			    (uint16_t)((more ? IP_FLAG_MF : 0) | off / 8), ttl);
		tp_count(s, TP_STAT_IP_FRAG_OUT);
		int e = link_output(s, nif, f, nexthop);
		if (e < 0 && !err)
			err = e;
	}
	pkb_free(p);
	return err;
}

void ip_report_error(struct tp_stack *s, const uint8_t *q, size_t len, struct ip_error *e)
{
	if (len < IP_HDR_LEN)
		return;
	size_t hl = (size_t)(q[0] & 0x0f) * 4;
	if (hl < IP_HDR_LEN || len < hl)
		return;
	/* Only the first fragment carries the transport header; the data of a
	 * later one (an unresolved next hop reports every queued fragment) must
	 * not be read as one, however much it looks like it. */
	if (get_be16(q + 6) & IP_OFFMASK)
		return;
	const struct ip_proto *proto = &s->ip.protos[q[9]];
	e->src = get_be32(q + 12);
	e->dst = get_be32(q + 16);
	e->l4 = q + hl;
	e->l4_len = len - hl;
	/* Only about datagrams we could have sent. */
	if (!is_local(s, e->src) || !proto->error)
		return;
	proto->error(s, e);
}

/* ARP gave up on a next hop: each queued datagram's sender hears of it. */
static void link_failed(struct tp_stack *s, struct pkb *p)
{
	struct ip_error e = {.err = -EHOSTUNREACH, .icmp_type = ICMP_UNREACH,
			     .icmp_code = ICMP_UNREACH_HOST};
	ip_report_error(s, p->data, p->len, &e);
	pkb_free(p);
}

void ip_init(struct tp_stack *s)
{
	s->ip.id_key = tp_rand_next(&s->rng);
	for (int i = 0; i < 256; i++)
		s->ip.id_base[i] = (uint16_t)tp_rand_next(&s->rng);
	s->ip.reass.mem_limit = s->cfg.reass_mem_limit;
	s->arp_fail = link_failed;
}

void ip_fini(struct tp_stack *s)
{
	ip_reass_fini(s);
}
