/*
 * tcp.h - TCP (RFC 9293) inside the core.
 *
 *   tcp.c         connection objects, the 4-tuple and listener hash tables,
 *                 ISNs (RFC 6528), ephemeral ports (RFC 6056), user calls
 *   tcp_input.c   segment arrival, in the order of RFC 9293 §3.10.7
 *   tcp_options.c options both ways: parsing, building, timestamps (RFC 7323)
 *   tcp_sack.c    SACK (RFC 2018): the sender's scoreboard, the receiver's blocks
 *   tcp_recovery.c loss recovery: fast retransmit, NewReno, SACK (RFC 6675)
 *   tcp_tlp.c     the tail loss probe (RFC 8985 §7)
 *   tcp_cc.c      congestion control algorithms (tcp_cc.h)
 *   tcp_output.c  what to send and when: window, Nagle, SWS, retransmission
 *   tcp_timer.c   RTO (RFC 6298), delayed ACK, persist, 2MSL, idle timeouts
 *   tcp_syncookie.c  SYN cookies (RFC 4987 §3.6), when a SYN queue overflows
 *   tcp_vars.c    the variables' snapshots for the trace (TP_TRACE_TCP_VARS)
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
#include "tcp_sack.h"
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
#define TCP_MEM_FLOOR 8192          /* a buffer's room under memory pressure, at least */
#define TCP_SACK_MAX_BLOCKS 4       /* in one option: (40 - 2) / 8 (RFC 2018 §3) */
#define TCP_TS_OPT_LEN 12           /* NOP NOP + the 10-byte timestamps option */

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
	uint8_t n_sack;             /* SACK blocks (RFC 2018 §3), as sent */
	uint32_t sack[TCP_SACK_MAX_BLOCKS][2];
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
	uint8_t cookie_sent;        /* a SYN cookie went out, last at cookie_time */
	tp_time cookie_time;

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
	uint32_t recover;           /* NewReno (RFC 6582): highest seq when recovery began;
				       RFC 6675's RecoveryPoint with SACK */
	uint8_t in_recovery;
	uint8_t sack_recovery;      /* in_recovery, driven by the scoreboard (RFC 6675) */
	/* Proportional rate reduction (RFC 6937) while in SACK recovery */
	uint32_t prr_delivered, prr_out, prr_recover_fs;
	uint32_t sack_delivered;    /* DeliveredData of the latest ACK (RFC 6937 §3) */
	/* Tail loss probe (RFC 8985 §7, tcp_tlp.c) */
	uint8_t tlp_pto;            /* rtx_timer is the probe timeout (PTO), not the RTO */
	uint8_t tlp_probe_out;      /* a probe [tlp_seq, tlp_high_rxt) is unacknowledged */
	uint8_t tlp_rxt_out;        /* TLPRxtOut: that probe resent old data */
	uint32_t tlp_seq;           /* where the probe began */
	uint32_t tlp_high_rxt;      /* TLPHighRxt: SND.MAX once the probe went */

	/* Options both ends offered on the handshake */
	uint8_t sack_ok;            /* SACK (RFC 2018 §2) */
	uint8_t ts_ok;              /* timestamps (RFC 7323 §3.2) */
	struct tcp_scoreboard sb;   /* what the peer SACKed (tcp_sack.c) */
	uint32_t sack_recent[TCP_SACK_MAX_BLOCKS];  /* receiver: the latest out-of-order
						       arrivals, newest first (RFC 2018 §4) */
	uint8_t sack_recent_n;
	uint8_t dsack_pending;      /* receiver: the next ACK reports dsack (RFC 2883 §4) */
	struct tcp_sack_range dsack;    /* the duplicate bytes of the latest segment */
	uint32_t ts_offset;         /* added to the ms clock in our TSval (RFC 7323 §5.4) */
	uint32_t ts_recent;         /* TS.Recent (RFC 7323 §4.3) */
	tp_time ts_recent_age;      /* when it was recorded, for PAWS's 24 days (§5.5) */
	uint32_t last_ack_sent;     /* Last.ACK.sent: RCV.NXT in our latest ACK */

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
	tp_time last_data_sent;     /* when we last sent data (cwnd after idle, RFC 5681 §4.1) */

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
	uint64_t cookie_key[2];     /* for SYN cookies (tcp_syncookie.h) */
	struct ring_pool mem;       /* every connection's buffers, against tcp_mem_limit */
	uint32_t port_offset;
	struct ratelimit challenge_acks;    /* RFC 5961 §7 */
	const struct tcp_cc *default_cc;
	/* The last segment sent (its identity in vars_seg), whose
	 * TP_TRACE_TCP_VARS waits until the stack is done with it. */
	struct tcp_conn *vars_conn;
	struct tp_tcp_vars vars_seg;
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
/* TP_TRACE_TCP_VARS (only call with a trace hook set). A sent segment's
 * snapshot waits for the next send, segment arrival, state change, socket
 * dispatch or the connection's end (tcp_vars_flush), so it shows the state
 * once the sender's bookkeeping is done; an arrival's is taken when it has
 * been processed. */
void tcp_vars_sent(struct tcp_conn *c, uint32_t seq, uint8_t flags, uint32_t len);
void tcp_vars_flush(struct tp_stack *s);
/* May listener l take one more connection now (accept backlog, socket
 * limit, memory budget)? 0, or -1 with the reason counted. */
int tcp_child_admit(struct tcp_conn *l);
/* A child of listener l for the 4-tuple, with l's options, our ISN and MSS. */
struct tcp_conn *tcp_child_new(struct tcp_conn *l, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr,
			       uint16_t rport);
/* The window scale we offer for a receive buffer of rcvbuf bytes. */
uint8_t tcp_wscale_for(uint32_t rcvbuf);
/* The stack's buffers have reached tcp_mem_limit: no new connections, and
 * buffers grow no further than tcp_buf_room() allows. */
int tcp_mem_pressure(const struct tp_stack *s);
/* Bytes ring r (c's sndbuf or rcvbuf) may take now: its free space, or
 * under memory pressure what fits in what it holds allocated already (at
 * least TCP_MEM_FLOOR), so a connection keeps going, only slower. */
uint32_t tcp_buf_room(const struct tcp_conn *c, const struct ring *r);
void tcp_child_established(struct tcp_conn *c);

/* --- tcp_input.c ------------------------------------------------------- */
/* tcp_input (in tcp.c) is tcp_segment_arrives, with TP_TRACE_TCP_VARS after it. */
void tcp_input(struct tp_stack *s, const struct ip_info *ip, const uint8_t *data, size_t len);
void tcp_segment_arrives(struct tp_stack *s, const struct ip_info *ip, const uint8_t *data, size_t len);
void tcp_error(struct tp_stack *s, const struct ip_error *e);

/* --- tcp_options.c ----------------------------------------------------- */
/* Parses options; returns 0 or -1 for a malformed option list. */
int tcp_parse_options(const uint8_t *opt, size_t len, struct tcp_seg *seg);
#define TCP_OPT_MAX 40
/* The options of a SYN or SYN-ACK we send into o; their length. */
size_t tcp_syn_options(struct tcp_conn *c, uint8_t *o);
/* The options of any other segment carrying `len` data bytes: timestamps,
 * then as many SACK blocks as fit. Sets *all_sack when every block the
 * receiver holds went in. */
size_t tcp_data_options(struct tcp_conn *c, uint8_t *o, uint32_t len, int *all_sack);
/* Bytes of options on every data segment (the timestamps), which the
 * segment size leaves room for (as Linux: MSS - 12 with timestamps). */
static inline uint32_t tcp_opt_overhead(const struct tcp_conn *c)
{
	return c->ts_ok ? TCP_TS_OPT_LEN : 0;
}
/* Our TSval now (RFC 7323 §5.4: a ms clock plus a per-connection offset). */
uint32_t tcp_ts_now(const struct tcp_conn *c);
/* The options a SYN or SYN-ACK negotiates (RFC 2018 §2, RFC 7323 §2.2, §3.2). */
void tcp_negotiate_options(struct tcp_conn *c, const struct tcp_seg *seg);
/* PAWS (RFC 7323 §5.3 R1): 0 to go on, -1 to drop the segment (an ACK is due). */
int tcp_paws_check(struct tcp_conn *c, const struct tcp_seg *seg);
/* RFC 7323 §4.3 (3): records TS.Recent from an acceptable segment. */
void tcp_ts_update_recent(struct tcp_conn *c, const struct tcp_seg *seg);
/* RTTM (RFC 7323 §4.1): an RTT sample from the echo of an ACK of new data;
 * returns 1 if one was taken. */
int tcp_ts_rtt_sample(struct tcp_conn *c, const struct tcp_seg *seg);

/* --- tcp_sack.c (the scoreboard itself: tcp_sack.h) ------------------- */
/* Takes an ACK's SACK blocks into the scoreboard (after SND.UNA moved):
 * D-SACKs counted and skipped, blocks outside [SND.UNA, SND.MAX) ignored.
 * `acked` bytes were newly acknowledged cumulatively. Returns the bytes
 * SACKed for the first time. */
uint32_t tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *seg, uint32_t acked);
/* Whether the segment's first SACK block is a D-SACK (RFC 2883 §4). */
int tcp_sack_is_dsack(const struct tcp_seg *seg);
/* An out-of-order segment from seq is now held: its run leads the next ACK's blocks. */
void tcp_sack_note_arrival(struct tcp_conn *c, uint32_t seq);
/* Bytes [start, end) of the segment just received were ours already (below
 * RCV.NXT, or held out of order): the next ACK reports them as a D-SACK
 * (RFC 2883 §4), if SACK was negotiated. */
void tcp_sack_note_duplicate(struct tcp_conn *c, uint32_t start, uint32_t end);
/* The same for seg's data bytes below RCV.NXT (before it is trimmed). */
void tcp_sack_note_old(struct tcp_conn *c, const struct tcp_seg *seg);
/* The same for [seq, seq + len) against the out-of-order runs: their first
 * overlap is the duplicate. */
void tcp_sack_note_ooo_duplicate(struct tcp_conn *c, uint32_t seq, uint32_t len);
/* Up to max blocks (NOP NOP SACK) into o: a pending D-SACK first (taken:
 * reported once), then the latest arrival's run, then the others most
 * recent first (RFC 2018 §4, RFC 2883 §4). Its length (0: none); *all says
 * whether the D-SACK and every held run fitted. */
size_t tcp_sack_blocks(struct tcp_conn *c, uint8_t *o, unsigned max, int *all);

/* --- tcp_recovery.c ---------------------------------------------------- */
/* `acked` new bytes: cwnd growth, or the next step of a recovery. */
void tcp_congestion_on_ack(struct tcp_conn *c, uint32_t acked);
/* RFC 5681 §2's duplicate ACK. */
void tcp_on_duplicate_ack(struct tcp_conn *c);
/* After the scoreboard took an ACK's SACK blocks: RFC 6675 §5's loss
 * detection when not in recovery (IsLost(HighACK + 1)). */
void tcp_sack_check_loss(struct tcp_conn *c);
/* An RTO: recovery over, scoreboard forgotten (RFC 6675 §5.1, RFC 2018 §8). */
void tcp_recovery_reset(struct tcp_conn *c);
/* RFC 6675 §5 (C): one segment NextSeg() picks from the holes, if
 * cwnd - pipe leaves a segment's room (rules 3-4 with `rules34`). 1 if sent. */
int tcp_sack_send_hole(struct tcp_conn *c, int rules34);
/* An ACK during SACK recovery, after the scoreboard took it: the window
 * for it (RFC 6937), and a resend of the head if its resend was lost. */
void tcp_recovery_on_ack(struct tcp_conn *c);
/* RFC 6675 §4 SetPipe(). */
uint32_t tcp_sack_pipe(const struct tcp_conn *c);
/* Resending from SND.NXT below SND.MAX (after an RTO): moves SND.NXT past
 * what the peer SACKed since; returns how many bytes may go from there
 * before the next SACKed range (UINT32_MAX: no limit). */
uint32_t tcp_sack_skip(struct tcp_conn *c);

/* --- tcp_tlp.c --------------------------------------------------------- */
/* The probe timeout for the flight now (RFC 8985 §7.2), at most rto; 0
 * when no probe is due (no SACK, in recovery, after an RTO...). */
tp_time tcp_tlp_timeout(const struct tcp_conn *c, tp_time rto);
/* The PTO expired: one probe, then the RTO (RFC 8985 §7.3). */
void tcp_tlp_fire(struct tcp_conn *c);
/* An ACK, after the scoreboard and the window took it: whether the probe
 * repaired a loss (RFC 8985 §7.4). `advanced`: it acknowledged new data. */
void tcp_tlp_on_ack(struct tcp_conn *c, const struct tcp_seg *seg, int advanced);
/* The peer SACKed the probe, sent a PTO after everything below it that is
 * still unacknowledged: RACK (RFC 8985 §6.2) would call those lost. */
int tcp_tlp_sacked(const struct tcp_conn *c);
/* Recovery or an RTO takes over: the probe's state is forgotten. */
void tcp_tlp_reset(struct tcp_conn *c);

/* --- tcp_output.c ------------------------------------------------------ */
/* Sends whatever the state, the windows and the buffers allow now. */
void tcp_output(struct tcp_conn *c);
void tcp_send_ack(struct tcp_conn *c);
void tcp_send_syn(struct tcp_conn *c);
/* A RST in answer to a segment that belongs to no connection (§3.10.7.1). */
void tcp_send_reset_for(struct tp_stack *s, const struct ip_info *ip, const struct tcp_seg *seg);
void tcp_send_reset(struct tcp_conn *c);
/* A <SYN,ACK> from a connection that is no more than a template on the
 * caller's stack (a SYN cookie's): no timers, no state touched but c's. */
void tcp_send_synack_stateless(struct tcp_conn *c);
/* Retransmits the oldest unacknowledged segment. */
void tcp_retransmit(struct tcp_conn *c);
/* Sends [seq, seq + len) again (a SACK hole), with the FIN if it ends there. */
void tcp_retransmit_range(struct tcp_conn *c, uint32_t seq, uint32_t len);
/* Sends the ACKs held during an input batch (tp_batch_end). */
void tcp_flush_acks(struct tp_stack *s);
void tcp_forget_deferred_ack(struct tcp_conn *c);
void tcp_send_probe(struct tcp_conn *c);
void tcp_send_keepalive(struct tcp_conn *c);
uint32_t tcp_rcv_window(struct tcp_conn *c);
/* RFC 6928: the initial window, IW10 bounded by 14600 bytes (§2). */
static inline uint32_t tcp_initial_window(const struct tcp_conn *c)
{
	uint32_t iw = 10u * c->mss;
	uint32_t cap = 14600 > 2u * c->mss ? 14600 : 2u * c->mss;
	return iw < cap ? iw : cap;
}
/* What we last told the peer it may send beyond RCV.NXT (RCV.WND). */
static inline uint32_t tcp_offered_window(const struct tcp_conn *c)
{
	return (int32_t)(c->rcv_adv - c->rcv_nxt) > 0 ? c->rcv_adv - c->rcv_nxt : 0;
}

/* --- tcp_timer.c ------------------------------------------------------- */
void tcp_timers_init(struct tcp_conn *c);
void tcp_timers_stop(struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, tp_time rtt);
/* The RTO (RFC 6298), or the tail loss probe's PTO when one is due. */
void tcp_arm_rtx(struct tcp_conn *c);
/* The RTO, whatever the probe's state. */
void tcp_arm_rto(struct tcp_conn *c);
void tcp_enter_persist(struct tcp_conn *c);
void tcp_leave_persist(struct tcp_conn *c);
void tcp_schedule_delack(struct tcp_conn *c);
void tcp_enter_time_wait(struct tcp_conn *c);
/* Starts or stops keepalive after SO_KEEPALIVE or its knobs change. */
void tcp_keepalive_update(struct tcp_conn *c);
/* The handshake has just completed: the first RTO and window for data. */
void tcp_handshake_completed(struct tcp_conn *c);

#endif
