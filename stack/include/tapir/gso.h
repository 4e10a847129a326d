/*
 * gso.h - the link's half of the offloads in software: what a NIC (or the
 * kernel behind a TAP) does with a frame the stack left to it (struct
 * tp_offload in tapir.h). A TCP/IPv4 super-frame becomes gso_size-byte
 * segments, each with its own IP total length, ID (one more each), header
 * checksum, sequence number and TCP checksum, FIN and PSH on the last one
 * only; a partial checksum is completed. The in-memory wire uses it for
 * interfaces that ask for TP_OFFLOAD_TX_CSUM / TP_OFFLOAD_TSO, so tests see
 * on the wire exactly what the kernel would have sent.
 */
#ifndef TAPIR_GSO_H
#define TAPIR_GSO_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

typedef void (*tp_gso_emit_fn)(void *ctx, const uint8_t *frame, size_t len);

/* Calls emit once per frame that results (frames are only borrowed).
 * Returns how many, or -EINVAL when the metadata does not fit the frame. */
int tp_gso_segment(const uint8_t *frame, size_t len, const struct tp_offload *off,
		   tp_gso_emit_fn emit, void *ctx);

#endif
