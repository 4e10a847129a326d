/*
 * sock.h - the core's non-blocking socket calls (TCP and UDP).
 *
 * These are what the event-loop thread uses directly; every call returns at
 * once with a result or a negative errno (-EAGAIN, -EINPROGRESS, ...).
 * Applications normally use tapir/socket.h, the BSD-style face over these
 * that also blocks, from any thread.
 */
#ifndef TAPIR_SOCK_H
#define TAPIR_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TP_SOCK_STREAM = 1, TP_SOCK_DGRAM = 2 };
enum { TP_SHUT_RD = 0, TP_SHUT_WR = 1, TP_SHUT_RDWR = 2 };
enum { TP_MSG_PEEK = 1 };

/* Readiness bits, equal to poll(2)'s so they can be passed through. */
enum { TP_EV_IN = 0x001, TP_EV_OUT = 0x004, TP_EV_ERR = 0x008, TP_EV_HUP = 0x010 };

enum tp_sockopt {
	TP_SO_REUSEADDR,            /* 0/1 */
	TP_SO_RCVBUF,               /* bytes */
	TP_SO_SNDBUF,               /* bytes */
	TP_SO_LINGER,               /* -1 off, else seconds (0: close resets) */
	TP_SO_KEEPALIVE,            /* 0/1 */
	TP_SO_ERROR,                /* get only: pending error as a positive errno, cleared */
	TP_SO_TYPE,                 /* get only */
	TP_SO_ACCEPTCONN,           /* get only */
	TP_TCP_NODELAY,             /* 0/1 */
	TP_TCP_MAXSEG,              /* bytes */
	TP_TCP_KEEPIDLE,            /* seconds idle before the first keepalive probe [7200] */
	TP_TCP_KEEPINTVL,           /* seconds between probes [75] */
	TP_TCP_KEEPCNT,             /* unanswered probes before the connection is dropped [9] */
	TP_SO_SENDQ,                /* get only: bytes (and a FIN) not yet acknowledged by
				     * the peer, as Linux's SIOCOUTQ; 0 once all is delivered */
};

int tp_sock_open(struct tp_stack *s, int type);
int tp_sock_bind(struct tp_stack *s, int fd, tp_ip4 addr, uint16_t port);
int tp_sock_listen(struct tp_stack *s, int fd, int backlog);
/* A new descriptor for an established connection, or -EAGAIN. */
int tp_sock_accept(struct tp_stack *s, int fd, tp_ip4 *addr, uint16_t *port);
/* TCP: -EINPROGRESS, then readiness TP_EV_OUT and TP_SO_ERROR tell the
 * outcome. UDP: sets the default peer. */
int tp_sock_connect(struct tp_stack *s, int fd, tp_ip4 addr, uint16_t port);
long tp_sock_send(struct tp_stack *s, int fd, const void *buf, size_t len);
/* Bytes read, 0 at end of stream, or a negative errno. */
long tp_sock_recv(struct tp_stack *s, int fd, void *buf, size_t len, int flags);
long tp_sock_sendto(struct tp_stack *s, int fd, const void *buf, size_t len, tp_ip4 addr, uint16_t port);
long tp_sock_recvfrom(struct tp_stack *s, int fd, void *buf, size_t len, int flags, tp_ip4 *addr,
		      uint16_t *port);
int tp_sock_shutdown(struct tp_stack *s, int fd, int how);
int tp_sock_close(struct tp_stack *s, int fd);
int tp_sock_setopt(struct tp_stack *s, int fd, enum tp_sockopt opt, int value);
int tp_sock_getopt(struct tp_stack *s, int fd, enum tp_sockopt opt, int *value);
int tp_sock_name(struct tp_stack *s, int fd, tp_ip4 *addr, uint16_t *port);
int tp_sock_peer(struct tp_stack *s, int fd, tp_ip4 *addr, uint16_t *port);
/* The TP_EV_* bits that hold now (what poll(2) would report). */
int tp_sock_events(struct tp_stack *s, int fd);

/* Congestion control per socket, like Linux's TCP_CONGESTION: "reno",
 * "newreno" or "cubic" (-ENOENT for others). Listeners pass theirs on. */
int tp_sock_set_congestion(struct tp_stack *s, int fd, const char *name);
const char *tp_sock_get_congestion(struct tp_stack *s, int fd);
/* The names tp_sock_set_congestion() takes, space-separated. */
const char *tp_tcp_congestion_names(void);

/* Readiness events. When a socket's readiness may have changed, the stack
 * calls its own callback if it has one, else the stack-wide hook, with the
 * TP_EV_* bits that hold now. Calls are deferred to the end of tp_input(),
 * tp_poll() or tp_sock_dispatch(), never made from inside protocol
 * processing, so a callback may do anything, even close the socket. */
typedef void (*tp_sock_event_fn)(void *ctx, int fd, int events);
void tp_sock_set_event_hook(struct tp_stack *s, tp_sock_event_fn fn, void *ctx);
int tp_sock_set_callback(struct tp_stack *s, int fd, tp_sock_event_fn fn, void *ctx);
/* Delivers pending events now (after socket calls made outside a callback). */
void tp_sock_dispatch(struct tp_stack *s);

/* --- Introspection: what `tapir stat` and /status show ------------------ */
struct tp_tcp_info {
	int fd;                     /* -1 for an orphan (closed by the app, still finishing) */
	const char *state;          /* "ESTABLISHED", ... */
	tp_ip4 laddr, raddr;
	uint16_t lport, rport;
	uint32_t recv_q, send_q;    /* bytes unread / unacknowledged or unsent */
	uint32_t snd_wnd, rcv_wnd, cwnd, ssthresh, mss;
	tp_time srtt, rto;          /* µs; srtt 0 before the first sample */
	uint64_t bytes_in, bytes_out, retransmits;
	uint32_t accept_q, syn_q;   /* listeners */
	uint32_t backlog;           /* listeners: the accept queue's limit */
	/* Options the handshake negotiated: SACK (RFC 2018), timestamps (RFC
	 * 7323 §3), window scaling (RFC 7323 §2): the shifts applied to the
	 * peer's window and to ours, -1 for both when not negotiated. */
	uint8_t sack, timestamps;
	int8_t snd_wscale, rcv_wscale;
};
typedef void (*tp_tcp_info_fn)(void *ctx, const struct tp_tcp_info *info);
void tp_tcp_foreach(struct tp_stack *s, tp_tcp_info_fn fn, void *ctx);

/* RFC 9293 §3.3.2's eleven states in the RFC's order (CLOSED, LISTEN, ...,
 * TIME_WAIT): the names tp_tcp_info.state takes. NULL past the last. */
#define TP_TCP_STATE_COUNT 11
const char *tp_tcp_state_name(unsigned index);

/* Bound UDP sockets. */
struct tp_udp_info {
	int fd;
	tp_ip4 laddr, raddr;        /* raddr and rport 0: not connected */
	uint16_t lport, rport;
	uint32_t queued_dgrams, queued_bytes;   /* received, not yet read */
};
typedef void (*tp_udp_info_fn)(void *ctx, const struct tp_udp_info *info);
void tp_udp_foreach(struct tp_stack *s, tp_udp_info_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
