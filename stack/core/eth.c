#include "eth.h"

#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "offload.h"
#include "stack.h"

const uint8_t eth_broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void eth_input(struct tp_netif *nif, const uint8_t *frame, size_t len)
{
	struct tp_stack *s = nif->stack;

	tp_count(s, TP_STAT_ETH_IN);
	tp_trace_frame(s, TP_TRACE_FRAME_IN, nif, frame, len);
	if (len < ETH_HDR_LEN) {
		tp_drop(s, TP_STAT_ETH_DROP_SHORT, frame, len);
		return;
	}
	/* Own unicast and broadcast only: tapir joins no multicast group. */
	if (memcmp(frame, nif->cfg.mac, 6) != 0 && memcmp(frame, eth_broadcast, 6) != 0) {
		tp_drop(s, TP_STAT_ETH_DROP_NOT_US, frame, len);
		return;
	}
	const uint8_t *payload = frame + ETH_HDR_LEN;
	size_t plen = len - ETH_HDR_LEN;
	switch (get_be16(frame + 12)) {
	case ETHERTYPE_ARP:
		arp_input(nif, frame + 6, payload, plen);
		break;
	case ETHERTYPE_IPV4:
		ip_input_link(nif, payload, plen, eth_is_multicast(frame));
		break;
	default:
		tp_drop(s, TP_STAT_ETH_DROP_ETHERTYPE, frame, len);
	}
}

void eth_overheard(struct tp_netif *nif, const uint8_t *frame, size_t len)
{
	if (len >= ETH_HDR_LEN && get_be16(frame + 12) == ETHERTYPE_ARP &&
	    (!memcmp(frame, nif->cfg.mac, 6) || !memcmp(frame, eth_broadcast, 6)))
		arp_overheard(nif, frame + ETH_HDR_LEN, len - ETH_HDR_LEN);
}

int eth_output(struct tp_netif *nif, struct pkb *p, const uint8_t dst[6], uint16_t ethertype)
{
	struct tp_stack *s = nif->stack;
	uint8_t *h = pkb_push(p, ETH_HDR_LEN);

	if (!h) {
		pkb_free(p);
		return -EINVAL;
	}
	memcpy(h, dst, 6);
	memcpy(h + 6, nif->cfg.mac, 6);
	put_be16(h + 12, ethertype);
	if (p->len < ETH_MIN_FRAME) {
		size_t pad = ETH_MIN_FRAME - p->len;
		uint8_t *tail = pkb_put(p, pad);
		if (tail)
			memset(tail, 0, pad);
	}
	tp_count(s, TP_STAT_ETH_OUT);
	tp_trace_frame(s, TP_TRACE_FRAME_OUT, nif, p->data, p->len);
	int err = p->csum_l4 || p->gso_size ? offload_transmit(nif, p) :
		  nif->transmit(nif->transmit_ctx, p->data, p->len);
	if (err < 0)
		tp_count(s, TP_STAT_ETH_TX_ERROR);
	pkb_free(p);
	return err < 0 ? err : 0;
}
