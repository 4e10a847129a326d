/*
 * netpair.h - two stacks in one process, each on its own loop thread, joined
 * by the pair driver (a socketpair carrying Ethernet frames), both attached
 * to the BSD-style API: real threads and real time, no root, no TAP.
 *
 *   A 10.0.0.1/24, default route via B        B 10.0.0.2/24
 *
 * B forwards nothing, so anything A sends off-link (NP_SILENT_IP) vanishes:
 * a silent peer for connect timeouts.
 */
#ifndef TAPIR_TEST_NETPAIR_H
#define TAPIR_TEST_NETPAIR_H

#include <pthread.h>
#include <stdint.h>

#include "tapir/tapir.h"

#define NP_A_IP 0x0a000001u         /* 10.0.0.1 */
#define NP_B_IP 0x0a000002u         /* 10.0.0.2 */
#define NP_SILENT_IP 0xc0000201u    /* 192.0.2.1: routed to B, which drops it */

struct netpair {
	struct tp_stack *stack[2];
	struct tp_loop *loop[2];
	struct tp_netif *netif[2];
	struct tp_pair_end *end[2];
	pthread_t thread[2];
};

/* Starts both loops and attaches both to the API; A is the default stack.
 * cfg (may be NULL) is used for both stacks; the seed differs per side. */
void netpair_start(struct netpair *np, const struct tp_stack_config *cfg);
/* Detaches, stops and joins both loops, frees everything. */
void netpair_stop(struct netpair *np);

/* struct sockaddr_in for a host-order address and port. */
struct sockaddr_in np_addr(uint32_t ip, uint16_t port);

/* Waits (bounded, 10 s, by polling an observable state) until some thread
 * sleeps in a call on tapir descriptor fd. Returns 1, or 0 on timeout. */
int np_wait_sleeper(int fd);

/* A TCP listener on loop's stack at port (SO_REUSEADDR, backlog 16). */
int np_listen(struct tp_loop *loop, uint16_t port);
/* A blocking TCP socket on the default stack (A) connected to ip:port;
 * -1 with errno on failure. */
int np_connect(uint32_t ip, uint16_t port);

/* Monotonic milliseconds. */
int64_t np_now_ms(void);

#endif
