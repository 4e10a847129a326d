/*
 * eth.h - Ethernet II framing: validate and demux received frames by
 * ethertype, and prepend the header on the way out.
 */
#ifndef TP_ETH_H
#define TP_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "pkb.h"

#define ETH_HDR_LEN 14
#define ETH_MIN_FRAME 60        /* without FCS: shorter frames are padded */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806

struct tp_stack;
struct tp_netif;

extern const uint8_t eth_broadcast[6];

void eth_input(struct tp_netif *nif, const uint8_t *frame, size_t len);
/* A frame a sibling stack on the same link received: its ARP is learned
 * from (arp_overheard), everything else ignored. */
void eth_overheard(struct tp_netif *nif, const uint8_t *frame, size_t len);
/* Prepends the header, pads to the minimum size and transmits; consumes p. */
int eth_output(struct tp_netif *nif, struct pkb *p, const uint8_t dst[6], uint16_t ethertype);

static inline int eth_is_multicast(const uint8_t mac[6]) { return mac[0] & 1; }

#endif
