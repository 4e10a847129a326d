/*
 * sock.h - the core's socket layer: descriptors, addresses, options and
 * readiness, over TCP and UDP. Every call is non-blocking and returns a
 * negative errno (-EAGAIN when it would block); the runtime's BSD-like API
 * (tapir/socket.h) adds blocking, locking and errno on top.
 *
 * Readiness changes are queued by sock_notify() and delivered after the
 * protocol work that caused them (tp_sock_dispatch), to the socket's
 * callback or the stack-wide hook, so nothing ever polls.
 */
#ifndef TP_SOCK_H
#define TP_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/sock.h"
#include "tapir/tapir.h"

struct tcp_conn;
struct udp_dgram;

struct tp_sock {
	int fd;
	int type;                   /* TP_SOCK_STREAM or TP_SOCK_DGRAM */
	struct tp_stack *stack;
	int error;                  /* pending error for SO_ERROR, negative errno */
	uint8_t reuseaddr, bound, shut_rd, shut_wr;
	uint32_t sndbuf, rcvbuf;
	int linger;                 /* -1 off, else seconds */
	uint8_t keepalive, nodelay;
	uint32_t ka_idle, ka_intvl, ka_cnt;     /* seconds / probes; 0: the default */
	const struct tcp_cc *cc;    /* TCP_CONGESTION, NULL: the stack's default */
	uint16_t maxseg;
	tp_ip4 laddr, raddr;        /* raddr/rport: connected peer */
	uint16_t lport, rport;

	struct tcp_conn *tcp;       /* stream sockets */

	tp_sock_event_fn cb;        /* the owner's readiness callback, if any */
	void *cb_ctx;
	struct tp_sock *pending_next;   /* in the stack's list of events to deliver */
	uint8_t pending;

	/* datagram sockets */
	struct udp_dgram *rx_head, *rx_tail;
	uint32_t rx_bytes, rx_count;
	struct tp_sock *udp_next;   /* in the UDP port hash */
};

/* Socket table (sock.c) */
int sock_init(struct tp_stack *s);
void sock_fini(struct tp_stack *s);
struct tp_sock *sock_get(struct tp_stack *s, int fd);
/* Tells the runtime that fd's readiness may have changed. */
void sock_notify(struct tp_sock *so);
/* A socket for a connection a listener accepted (tcp.c calls it on accept). */
struct tp_sock *sock_new(struct tp_stack *s, int type);
void sock_release(struct tp_sock *so);
/* Is a socket of this type bound (not yet listening/connected) to port? */
int sock_port_bound(struct tp_stack *s, int type, tp_ip4 laddr, uint16_t port);

#endif
