/*
 * tcp.h - TCP (RFC 9293) inside the core.
 *
 *   tcp.c         connection objects, the 4-tuple and listener hash tables,
 *                 ISNs (RFC 6528), ephemeral ports (RFC 6056), user calls
 *   tcp_input.c   segment arrival, in the order of RFC 9293 §3.10.7
 *   tcp_options.c the options of a received segment
 *   tcp_cc.c      congestion control algorithms (tcp_cc.h)
 *   tcp_output.c  what to send and when: window, Nagle, SWS, retransmission
 *   tcp_timer.c   RTO (RFC 6298), delayed ACK, persist, 2MSL, idle timeouts
 *
 * A connection is owned by its socket until the application closes it; from
 * then on it is an orphan that the stack finishes (FIN_WAIT_*, LAST_ACK,
 * TIME_WAIT) and frees by itself.
 */
#ifndef TP_TCP_H
#define TP_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "ipv4.h"
#include "ratelimit.h"
#include "ring.h"
#include "tcp_cc.h"
#include "tapir/tapir.h"
#include "timer.h"

/* RFC 9293 §3.3.2, in the RFC's order. */
#define TCP_STATES(X) \
	X(CLOSED) X(LISTEN) X(SYN_SENT) X(SYN_RECEIVED) X(ESTABLISHED) X(FIN_WAIT_1) \
	X(FIN_WAIT_2) X(CLOSE_WAIT) X(CLOSING) X(LAST_ACK) X(TIME_WAIT)
enum tcp_state {
#define TCP_STATE_ENUM(s) TCP_##s,
	TCP_STATES(TCP_STATE_ENUM)
#undef TCP_STATE_ENUM
	TCP_NSTATES
};
const char *tcp_state_name(enum tcp_state s);

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

#define TCP_HDR_LEN 20
#define TCP_DEFAULT_MSS 536         /* RFC 9293 §3.7.1 when the peer sends none */
#define TCP_MAX_WSCALE 14           /* RFC 7323 §2.3 */
#define TCP_OOO_MAX_SEGS 64         /* out-of-order segments held per connection */

/* A parsed segment: header fields in host order plus its options. */
struct tcp_seg {
	uint32_t seq, ack;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t wnd;               /* as sent (unscaled) */
	uint16_t urp;
	const uint8_t *data;
	uint32_t len;               /* data bytes */
	uint32_t seg_len;           /* len + SYN + FIN: sequence space used */
	/* options */
	uint16_t mss;               /* 0: none */
	int8_t wscale;              /* -1: none */
	uint8_t sack_ok;
	uint8_t has_ts;
	uint32_t ts_val, ts_ecr;
};

/* One out-of-order run of received bytes, waiting for the gap before it. */
struct tcp_ooo {
	struct tcp_ooo *next;       /* sorted by seq */
	uint32_t seq, len;          /* bytes already placed in the receive ring */
};

struct tp_sock;

struct tcp_conn {
	enum tcp_state state;
	tp_ip4 laddr, raddr;
	uint16_t lport, rport;
	struct tcp_conn *hash_next; /* in the 4-tuple table, or the listener table */
	struct tp_stack *stack;
	struct tp_sock *sock;       /* NULL once the application closed it */

	/* Listener side (state LISTEN) */
	struct tcp_conn *listener;  /* for a child: the listener that made it */
	struct tcp_conn *accept_head, *accept_tail;    /* established, not yet accepted */
	struct tcp_conn *syn_head;                    /* children still in SYN_RECEIVED */
	struct tcp_conn *accept_next;                 /* link in one of those lists */
	uint32_t backlog, accept_len, syn_len;

	/* Send sequence space (RFC 9293 §3.3.1) */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd;       /* largest window the peer offered (SWS, RFC 1122 §4.2.3.4) */
	uint8_t snd_wscale, rcv_wscale, ws_ok;
	uint16_t mss;               /* segment size we send (peer's MSS, our MTU, TCP_MAXSEG) */
	uint16_t user_mss;          /* TCP_MAXSEG, 0 if unset */
	struct ring sndbuf;         /* bytes from snd_una on, not yet acknowledged */
	uint8_t fin_queued;         /* the application is done sending: FIN after the buffer */
	uint8_t fin_sent;           /* the FIN has gone out at least once */
	uint32_t fin_seq;           /* its sequence number, once fin_sent */

	/* Receive sequence space */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_adv;   /* rcv_adv: right edge advertised */
	struct ring rcvbuf;         /* in-order bytes the application has not read */
	struct tcp_ooo *ooo;
	uint32_t ooo_count;
	uint8_t fin_rcvd;           /* the peer's FIN is in (EOF after rcvbuf drains) */
	uint8_t ooo_fin;            /* a FIN came beyond a gap, at ooo_fin_seq */
	uint32_t ooo_fin_seq;

	/* Retransmission (RFC 6298) and congestion (RFC 5681) */
	tp_time srtt, rttvar, rto; /* µs; srtt 0 = no sample yet */
	uint32_t rtt_seq;           /* the segment being timed (Karn: never a retransmission) */
	tp_time rtt_start;
	uint8_t rtt_active;
	uint8_t backoff;            /* consecutive RTO expiries */
	uint8_t persist;            /* probing a shut window */
	uint8_t persist_backoff;
	uint32_t persist_unanswered;    /* probes sent since the peer last sent anything */
	uint32_t cwnd, ssthresh;
	const struct tcp_cc *cc;    /* how cwnd grows and falls (tcp_cc.h) */
	struct tcp_cc_state cc_state;
	uint32_t dupacks;
	uint32_t recover;           /* NewReno (RFC 6582): highest seq when recovery began */
	uint8_t in_recovery;

	/* ACK policy */
	uint8_t ack_now;            /* send an ACK on the next output */
	uint8_t unacked_segs;       /* full segments received since our last ACK */
	uint8_t ack_deferred;       /* on the table's deferred list (tcp_flush_acks) */
	struct tcp_conn *ack_next;  /* link in that list */

	/* Options set by the application */
	uint8_t nodelay, keepalive, linger_on;
	uint32_t linger_secs;

	/* Keepalive (RFC 1122 §4.2.3.6) */
	tp_time ka_idle, ka_intvl;
	uint32_t ka_cnt, ka_probes;
	tp_time last_rcv;           /* when the peer last sent anything */

	/* Statistics for `tapir stat` */
	uint64_t bytes_in, bytes_out, retransmits;
	int error;                  /* the reason a connection ended, for the socket */
	int soft_error;             /* the last ICMP/ARP soft error, told only on a timeout */

	struct tp_timer rtx_timer;      /* retransmission or persist */
	struct tp_timer delack_timer;
	struct tp_timer wait_timer;     /* 2MSL, FIN_WAIT_2 orphan timeout, SYN_RECEIVED life */
	struct tp_timer ka_timer;       /* keepalive */
};

struct tcp_table {
	struct tcp_conn **conns;    /* 4-tuple hash, chained */
	uint32_t conn_buckets, conn_count;
	struct tcp_conn **listeners;    /* by local port */
	uint32_t listen_buckets;
	uint64_t isn_key[2];        /* SipHash key for ISNs (RFC 6528) */
	uint64_t port_key[2];       /* for ephemeral ports (RFC 6056 alg. 3) */
	uint32_t port_offset;
	struct ratelimit challenge_acks;    /* RFC 5961 §7 */
	const struct tcp_cc *default_cc;
	struct tcp_conn *deferred_acks;     /* pure ACKs held to the end of an input batch */
};

/* --- tcp.c ------------------------------------------------------------- */
int tcp_init(struct tp_stack *s);
uint32_t tcp_conn_count(const struct tp_stack *s);
void tcp_fini(struct tp_stack *s);
struct tcp_conn *tcp_conn_new(struct tp_stack *s, struct tp_sock *sock);
void tcp_conn_free(struct tcp_conn *c);
struct tcp_conn *tcp_lookup(struct tp_stack *s, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr, uint16_t rport);
struct tcp_conn *tcp_lookup_listener(struct tp_stack *s, tp_ip4 laddr, uint16_t lport);
int tcp_hash_insert(struct tcp_conn *c);
void tcp_hash_remove(struct tcp_conn *c);
int tcp_listen_insert(struct tcp_conn *c);
void tcp_listen_remove(struct tcp_conn *c);
int tcp_port_in_use(struct tp_stack *s, tp_ip4 laddr, uint16_t port, int reuse);
int tcp_ephemeral_port(struct tp_stack *s, tp_ip4 laddr, tp_ip4 raddr, uint16_t rport, uint16_t *port);
uint32_t tcp_isn(struct tp_stack *s, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr, uint16_t rport);
void tcp_set_state(struct tcp_conn *c, enum tcp_state to, const char *why);
/* Ends a connection now: error recorded for the socket, orphans freed. */
void tcp_drop_conn(struct tcp_conn *c, int err, const char *why);
/* The socket layer's view */
void tcp_notify(struct tcp_conn *c);
uint32_t tcp_mss_for(struct tp_stack *s, tp_ip4 raddr);

/* User calls (from the socket layer), RFC 9293 §3.10.1-§3.10.5 */
int tcp_user_listen(struct tcp_conn *c, uint32_t backlog);
int tcp_user_connect(struct tcp_conn *c);
int tcp_user_send(struct tcp_conn *c, const uint8_t *data, size_t len);
int tcp_user_recv(struct tcp_conn *c, uint8_t *buf, size_t len, int peek);
int tcp_user_shutdown_write(struct tcp_conn *c);
void tcp_user_close(struct tcp_conn *c);
void tcp_user_abort(struct tcp_conn *c);
struct tcp_conn *tcp_user_accept(struct tcp_conn *listener);
void tcp_init_passive(struct tcp_conn *c);
void tcp_child_established(struct tcp_conn *c);

/* --- tcp_input.c ------------------------------------------------------- */
void tcp_input(struct tp_stack *s, const struct ip_info *ip, const uint8_t *data, size_t len);
void tcp_error(struct tp_stack *s, const struct ip_error *e);
/* Parses options; returns 0 or -1 for a malformed option list. */
int tcp_parse_options(const uint8_t *opt, size_t len, struct tcp_seg *seg);

/* --- tcp_output.c ------------------------------------------------------ */
/* Sends whatever the state, the windows and the buffers allow now. */
void tcp_output(struct tcp_conn *c);
void tcp_send_ack(struct tcp_conn *c);
void tcp_send_syn(struct tcp_conn *c);
/* A RST in answer to a segment that belongs to no connection (§3.10.7.1). */
void tcp_send_reset_for(struct tp_stack *s, const struct ip_info *ip, const struct tcp_seg *seg);
void tcp_send_reset(struct tcp_conn *c);
/* Retransmits the oldest unacknowledged segment. */
void tcp_retransmit(struct tcp_conn *c);
/* Sends the ACKs held during an input batch (tp_batch_end). */
void tcp_flush_acks(struct tp_stack *s);
void tcp_forget_deferred_ack(struct tcp_conn *c);
void tcp_send_probe(struct tcp_conn *c);
void tcp_send_keepalive(struct tcp_conn *c);
uint32_t tcp_rcv_window(struct tcp_conn *c);
/* What we last told the peer it may send beyond RCV.NXT (RCV.WND). */
static inline uint32_t tcp_offered_window(const struct tcp_conn *c)
{
	return (int32_t)(c->rcv_adv - c->rcv_nxt) > 0 ? c->rcv_adv - c->rcv_nxt : 0;
}

/* --- tcp_timer.c ------------------------------------------------------- */
void tcp_timers_init(struct tcp_conn *c);
void tcp_timers_stop(struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, tp_time rtt);
void tcp_arm_rtx(struct tcp_conn *c);
void tcp_enter_persist(struct tcp_conn *c);
void tcp_leave_persist(struct tcp_conn *c);
void tcp_schedule_delack(struct tcp_conn *c);
void tcp_enter_time_wait(struct tcp_conn *c);
/* Starts or stops keepalive after SO_KEEPALIVE or its knobs change. */
void tcp_keepalive_update(struct tcp_conn *c);
/* The handshake has just completed: the first RTO and window for data. */
void tcp_handshake_completed(struct tcp_conn *c);

#endif
