/*
 * pair.h - the pair driver: two stack interfaces joined by a
 * socketpair(AF_UNIX, SOCK_DGRAM), one Ethernet frame per datagram.
 *
 * Each end is a driver like the TAP (tapir/tap.h): tp_pair_transmit() is an
 * interface's transmit callback, tp_pair_attach() lets a loop drain the
 * frames that arrive into tp_input() on its own thread. Two stacks, each on
 * its own loop thread, so talk over a real kernel link with real time and
 * real threads, without root or a TAP: what the threaded socket API's
 * tests need. A frame the kernel has no room for (the peer's loop is behind)
 * is dropped and counted, as a NIC with a full ring would.
 */
#ifndef TAPIR_PAIR_H
#define TAPIR_PAIR_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

struct tp_pair_end;
struct tp_loop;

/* Creates the two joined ends (non-blocking, close-on-exec). Returns 0 or a
 * negative errno, with both ends NULL. */
int tp_pair_open(struct tp_pair_end *ends[2]);

/* Writes one frame to the other end; a tp_transmit_fn with the end as its
 * context. A full socket buffer drops the frame (counted) and returns 0. */
int tp_pair_transmit(void *end, const uint8_t *frame, size_t len);

/* Registers the end's fd with the loop: when readable, frames are read until
 * none is left (or a fairness bound) and each goes to
 * tp_input(tp_loop_stack(loop), netif, ...). Returns 0 or a negative errno. */
int tp_pair_attach(struct tp_pair_end *end, struct tp_loop *loop, struct tp_netif *netif);

/* Frames this end could not send because the link was full. */
uint64_t tp_pair_dropped(const struct tp_pair_end *end);

/* Detaches from the loop (so call it before tp_loop_free, with the loop
 * stopped), closes the fd and frees. NULL is ignored. */
void tp_pair_close(struct tp_pair_end *end);

#endif
