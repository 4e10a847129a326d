/* offload.c - see offload.h. */
#include "offload.h"

#include "byteorder.h"
#include "checksum.h"
#include "eth.h"
#include "ipv4.h"
#include "stack.h"

#define TCP_CSUM_OFFSET 16
#define UDP_CSUM_OFFSET 6

int offload_rx_check(const uint8_t *frame, size_t len, const struct tp_offload *off)
{
	if (len < ETH_HDR_LEN + IP_HDR_LEN || get_be16(frame + 12) != ETHERTYPE_IPV4)
		return -1;
	const uint8_t *ip = frame + ETH_HDR_LEN;
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;
	uint8_t proto = ip[9];
	if (ip[0] >> 4 != 4 || hl < IP_HDR_LEN || ETH_HDR_LEN + hl > len)
		return -1;
	/* A fragment's checksum covers the whole datagram: no link vouches for
	 * it, and no super-frame is one. */
	if (get_be16(ip + 6) & (IP_FLAG_MF | IP_OFFMASK))
		return -1;
	if (off->csum_partial) {
		size_t want = proto == IP_PROTO_TCP ? TCP_CSUM_OFFSET :
			      proto == IP_PROTO_UDP ? UDP_CSUM_OFFSET : 0;
		if (!want || off->csum_start != ETH_HDR_LEN + hl || off->csum_offset != want ||
		    (size_t)off->csum_start + off->csum_offset + 2 > len)
			return -1;
	}
	if (off->gso_tcp4) {
		/* A segment size of 0 (or a few bytes) is nonsense whoever
		 * claims it; a super-frame's checksum is the link's business. */
		if (proto != IP_PROTO_TCP || off->gso_size < 8 ||
		    !(off->csum_partial || off->csum_valid))
			return -1;
	}
	return 0;
}

uint32_t offload_route(struct tp_stack *s, tp_ip4 dst)
{
	tp_ip4 nexthop;
	struct tp_netif *nif = ip_route(s, dst, &nexthop);
	if (!nif || !nif->cfg.transmit_offload)
		return 0;
	for (int i = 0; i < s->n_netif; i++)
		if (s->netifs[i].cfg.addr == nexthop)
			return 0;
	return nif->cfg.offloads;
}

void offload_csum_complete(struct pkb *p)
{
	if (!p->csum_l4)
		return;
	size_t off = (size_t)(p->csum_l4 - p->data);
	uint8_t *field = p->csum_l4 + p->csum_offset;
	/* The field holds the pseudo-header sum: summing over it adds it in. */
	put_be16(field, cksum(p->csum_l4, p->len - off));
	p->csum_l4 = NULL;
	p->gso_size = 0;
}

int offload_transmit(struct tp_netif *nif, struct pkb *p)
{
	struct tp_offload off = {0};
	if (p->csum_l4) {
		off.csum_partial = 1;
		off.csum_start = (uint16_t)(p->csum_l4 - p->data);
		off.csum_offset = p->csum_offset;
		off.hdr_len = (uint16_t)(off.csum_start + (p->csum_l4[12] >> 4) * 4);
	}
	if (p->gso_size) {
		off.gso_tcp4 = 1;
		off.gso_size = p->gso_size;
		tp_count(nif->stack, TP_STAT_ETH_TSO_OUT);
	}
	return nif->cfg.transmit_offload(nif->transmit_ctx, p->data, p->len, &off);
}
