/*
 * vnet.h - the virtio-net header a TAP opened with IFF_VNET_HDR puts before
 * every frame (struct virtio_net_hdr, 10 bytes, little-endian here: the
 * legacy format on the little-endian hosts tapir runs on), to and from the
 * core's struct tp_offload. Pure functions, tested on their own.
 */
#ifndef TP_RUNTIME_VNET_H
#define TP_RUNTIME_VNET_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

#define VNET_HDR_LEN 10

/* Reads the header at the start of buf (len bytes read from the TAP).
 * Returns the frame's offset (VNET_HDR_LEN), or -1 when there is no whole
 * header. Flags or segmentation kinds tapir does not take (UDP, IPv6,
 * unknown bits) come back as off->gso_other, which the core drops. */
int vnet_parse(const uint8_t *buf, size_t len, struct tp_offload *off);

/* Writes the header for a frame sent with off (NULL: a complete frame). */
void vnet_build(uint8_t hdr[VNET_HDR_LEN], const struct tp_offload *off);

#endif
