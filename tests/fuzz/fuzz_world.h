/*
 * fuzz_world.h - a stack with something to lose, for fuzz_frames.
 *
 * fuzz_world_build() creates a fresh stack (10.0.0.2/24, MAC 02:..:02, the
 * address the pcaps in pcaps/ talk to) and drives it with valid frames from a
 * scripted peer (10.0.0.1, MAC 02:..:01) into a fixed, deterministic state:
 *
 *   - echo/discard/chargen (apps/services.h) on TCP and UDP, and a plain
 *     listener on port 80 with a backlog of 4;
 *   - TCP connections in ESTABLISHED (data in flight both ways and an
 *     out-of-order segment held), CLOSE_WAIT, FIN_WAIT_2, TIME_WAIT,
 *     LAST_ACK, SYN_RECEIVED, SYN_SENT, an ESTABLISHED active open with
 *     keepalive, and an echo-service connection with its echo in flight;
 *   - a UDP socket with a datagram queued;
 *   - half-done IP reassemblies;
 *   - a full ARP pending queue for 10.0.0.3 (a TCP SYN and UDP datagrams).
 *
 * The fuzzer then feeds frames (fuzz_world_feed) and socket calls
 * (fuzz_world_sockop) and moves the clock; fuzz_world_destroy() reads and
 * closes everything, runs the clock two hours on, checks that every
 * connection has ended (the peer has gone silent, so each must time out),
 * and frees the stack. Any broken invariant aborts.
 */
#ifndef TAPIR_FUZZ_WORLD_H
#define TAPIR_FUZZ_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

#define FW_US_IP 0x0a000002u      /* 10.0.0.2 */
#define FW_PEER_IP 0x0a000001u    /* 10.0.0.1 */
#define FW_OTHER_IP 0x0a000003u   /* 10.0.0.3: never answers ARP */
#define FW_MAX_FDS 24

struct tp_services;

struct fuzz_world {
	struct tp_stack *stack;
	struct tp_netif *nif;
	struct tp_services *svc;
	tp_time now;
	int listener;                 /* the plain listener on port 80 */
	int fds[FW_MAX_FDS];          /* descriptors the fuzzer may drive; -1 once closed */
	int n_fds;
	int cookie_listener;          /* port 81: its SYN queue full, it answers with cookies */
	uint64_t frames_out;
	uint64_t vars_events;         /* TP_TRACE_TCP_VARS snapshots checked */
};

/* Frame fix-ups, applied in this order before tp_input (see fuzz_frames.c). */
enum {
	FW_FIX_ETH = 1 << 0,          /* Ethernet dst/src/type: us <- peer, IPv4 */
	FW_FIX_ADDRS = 1 << 1,        /* IPv4 src/dst: peer -> us */
	FW_FIX_SEQ = 1 << 2,          /* TCP seq/ack are offsets from the connection's
				       * rcv_nxt/snd_una (when the 4-tuple is live) */
	FW_FIX_CKSUM = 1 << 3,        /* IPv4 header and TCP/UDP/ICMP checksums made valid */
};

/* Aborts if the stack cannot be built: that is a bug too. */
void fuzz_world_build(struct fuzz_world *w);
/* Feeds one frame (modified in place by the fix-ups). */
void fuzz_world_feed(struct fuzz_world *w, uint8_t *frame, size_t len, unsigned fixups);
/* Moves the clock dt on, running each timer at its deadline. */
void fuzz_world_advance(struct fuzz_world *w, tp_time dt);
/* One socket call chosen by two bytes. */
void fuzz_world_sockop(struct fuzz_world *w, uint8_t which, uint8_t arg);
void fuzz_world_destroy(struct fuzz_world *w);

#endif
