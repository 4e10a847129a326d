/*
 * offload.h - the link's offloads (TP_OFFLOAD_* in tapir.h), the core's side
 * of a TAP's virtio-net header: what a received frame's metadata may claim,
 * and how a checksum-partial frame or a TCP super-segment reaches the link.
 *
 * Out: TCP leaves a data segment's checksum partial (pkb.csum_l4) and may
 * build super-segments (pkb.gso_size) when the route's interface offers it;
 * eth_output() hands such a pkb to transmit_offload(). A datagram that loops
 * back inside the stack is completed in software first.
 * In: tp_input_offload() checks the metadata against the frame, then lets
 * IP tell TCP or UDP that the link vouched for the checksum.
 */
#ifndef TP_OFFLOAD_H
#define TP_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "pkb.h"
#include "tapir/tapir.h"

/* Payload bytes one TCP segment may carry before the link cuts it. */
#define OFFLOAD_TSO_MAX 65535u

/* 0 if the metadata fits the frame (a TCP or UDP checksum it says is partial
 * lies inside the frame at the transport header; a super-frame is TCP/IPv4
 * with a sane segment size, not a fragment), else -1. */
int offload_rx_check(const uint8_t *frame, size_t len, const struct tp_offload *off);

/* The offloads the route to dst may use: its interface's, or 0 when dst is
 * ours (looped back) or unroutable. */
uint32_t offload_route(struct tp_stack *s, tp_ip4 dst);

/* Finishes a partial checksum in software (the loopback path). */
void offload_csum_complete(struct pkb *p);

/* Hands p (an Ethernet frame by now) to nif->cfg.transmit_offload. */
int offload_transmit(struct tp_netif *nif, struct pkb *p);

#endif
