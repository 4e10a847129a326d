/* tcp_output.c - building segments and deciding what may be sent now. */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "offload.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_seq.h"

/* The window we offer: the free receive buffer, with receiver-side silly
 * window avoidance (RFC 1122 §4.2.3.3 / RFC 9293 §3.8.6.2.2): the right edge
 * only moves by at least min(MSS, half the buffer), and never backwards. */
uint32_t tcp_rcv_window(struct tcp_conn *c)
{
	uint32_t space = tcp_buf_room(c, &c->rcvbuf);
	uint32_t offered = tcp_offered_window(c);
	uint32_t threshold = c->rcvbuf.cap / 2 < c->mss ? c->rcvbuf.cap / 2 : c->mss;
	uint32_t max = (uint32_t)65535 << c->rcv_wscale;

	if (space > max)
		space = max;
	if (space < offered + threshold && space < c->rcvbuf.cap)
		return offered;
	return space > offered ? space : offered;
}

/* Sends one segment: header, options, `len` bytes of the send buffer from
 * sequence `seq`. Returns 0 or a negative errno. */
static int send_segment(struct tcp_conn *c, uint32_t seq, uint8_t flags, uint32_t len)
{
	struct tp_stack *s = c->stack;
	if (s->trace)
		tcp_vars_flush(s);      /* the previous segment's state is complete */
	uint32_t offloads = len ? offload_route(s, c->raddr) : 0;
	uint8_t opts[TCP_OPT_MAX];
	int all_sack = 1;
	size_t olen = flags & TCP_SYN ? tcp_syn_options(c, opts) : tcp_data_options(c, opts, len, &all_sack);
	size_t hl = TCP_HDR_LEN + olen;
	struct pkb *p = pkb_alloc(PKB_HEADROOM, hl + len);
	if (!p) {
		tp_count(s, TP_STAT_MEM_FAIL);
		return -ENOMEM;
	}
	uint8_t *h = pkb_put(p, hl + len);
	if (len) {
		ring_peek(&c->sndbuf, seq - c->snd_una, h + hl, len);
		c->last_data_sent = c->stack->now;
	}

	uint32_t wnd = 0;
	if (!(flags & TCP_RST)) {
		wnd = tcp_rcv_window(c);
		/* RFC 7323 §2.2: the window in a SYN is never scaled. */
		uint32_t field = flags & TCP_SYN ? (wnd > 65535 ? 65535 : wnd) : wnd >> c->rcv_wscale;
		if (field > 65535)
			field = 65535;
		wnd = field;
		if (flags & TCP_ACK)
			c->rcv_adv = c->rcv_nxt + (flags & TCP_SYN ? wnd : wnd << c->rcv_wscale);
	}
	put_be16(h, c->lport);
	put_be16(h + 2, c->rport);
	put_be32(h + 4, seq);
	put_be32(h + 8, flags & TCP_ACK ? c->rcv_nxt : 0);
	h[12] = (uint8_t)((hl / 4) << 4);
	h[13] = flags;
	put_be16(h + 14, (uint16_t)wnd);
	put_be16(h + 16, 0);
	put_be16(h + 18, 0);
	memcpy(h + TCP_HDR_LEN, opts, olen);
	uint32_t sum = cksum_pseudo(c->laddr, c->raddr, IP_PROTO_TCP, (uint16_t)(hl + len));
	if (len && (offloads & TP_OFFLOAD_TX_CSUM)) {
		/* The link sums the segment (offload.h): leave it the pseudo-header. */
		put_be16(h + 16, (uint16_t)~cksum_finish(sum));
		p->csum_l4 = h;
		p->csum_offset = 16;
		if (len > c->mss)
			p->gso_size = c->mss;
	} else {
		put_be16(h + 16, cksum_finish(cksum_add(sum, h, hl + len)));
	}

	if (flags & TCP_ACK) {
		if (all_sack)
			c->ack_now = 0;
		c->unacked_segs = 0;
		c->last_ack_sent = c->rcv_nxt;
		tp_timer_stop(s, &c->delack_timer);
	}
	s->stats[TP_STAT_TCP_OUT] += len > c->mss ? (len + c->mss - 1) / c->mss : 1;
	if (flags & TCP_RST)
		tp_count(s, TP_STAT_TCP_RST_OUT);
	c->bytes_out += len;
	if (c->sack_recovery)
		c->prr_out += len;                  /* RFC 6937 */
	struct ip_send how = {.src = c->laddr, .dst = c->raddr, .proto = IP_PROTO_TCP, .df = 1};
	int rc = ip_output(s, p, &how);
	if (s->trace)
		tcp_vars_sent(c, seq, flags, len);
	return rc;
}

void tcp_send_syn(struct tcp_conn *c)
{
	uint8_t flags = c->state == TCP_SYN_SENT ? TCP_SYN : TCP_SYN | TCP_ACK;
	send_segment(c, c->iss, flags, 0);
	c->snd_nxt = c->iss + 1;
	if (seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	if (!c->rtt_active && c->backoff == 0) {
		c->rtt_active = 1;
		c->rtt_seq = c->iss;
		c->rtt_start = c->stack->now;
	}
	tcp_arm_rtx(c);
}

/* The sequence number for a segment without data. Not snd_nxt: during a
 * go-back-N retransmission it points into old data the peer may already
 * hold, and a pure ACK numbered there fails the peer's acceptability test,
 * whose ACK of it then fails ours, for ever. snd_max, but never past the
 * right edge of the peer's window, which it may have shut since (the same
 * rule as Linux's tcp_acceptable_seq()). */
static uint32_t control_seq(const struct tcp_conn *c)
{
	uint32_t wnd_end = c->snd_una + c->snd_wnd;
	return seq_lt(wnd_end, c->snd_max) ? seq_max(wnd_end, c->snd_una) : c->snd_max;
}

void tcp_send_ack(struct tcp_conn *c)
{
	send_segment(c, control_seq(c), TCP_ACK, 0);
}

void tcp_send_reset(struct tcp_conn *c)
{
	send_segment(c, control_seq(c), TCP_RST | TCP_ACK, 0);
}

/* RFC 9293 §3.10.7.1: the reset takes its numbers from the offending segment. */
void tcp_send_reset_for(struct tp_stack *s, const struct ip_info *ip, const struct tcp_seg *seg)
{
	struct tcp_conn c;
	memset(&c, 0, sizeof(c));
	c.stack = s;
	c.laddr = ip->dst;
	c.raddr = ip->src;
	c.lport = seg->dport;
	c.rport = seg->sport;
	tp_timer_init(&c.delack_timer, NULL);
	if (seg->flags & TCP_ACK) {
		send_segment(&c, seg->ack, TCP_RST, 0);
	} else {
		c.rcv_nxt = seg->seq + seg->seg_len;
		send_segment(&c, 0, TCP_RST | TCP_ACK, 0);
	}
}

void tcp_send_synack_stateless(struct tcp_conn *c)
{
	send_segment(c, c->iss, TCP_SYN | TCP_ACK, 0);
	/* c lives only for the caller's call: its snapshot for the trace is
	 * taken now rather than held (tcp_vars_sent). */
	tcp_vars_flush(c->stack);
}

static int synchronized(const struct tcp_conn *c)
{
	return c->state >= TCP_ESTABLISHED;
}

/* Bytes of the send buffer not yet sent (from snd_nxt). */
static uint32_t unsent(const struct tcp_conn *c)
{
	uint32_t off = c->snd_nxt - c->snd_una;
	return off < c->sndbuf.len ? c->sndbuf.len - off : 0;
}

/* The FIN is queued and not in flight: never sent, or pulled back by an RTO. */
static int fin_ready(const struct tcp_conn *c)
{
	return c->fin_queued && !(c->fin_sent && seq_gt(c->snd_nxt, c->fin_seq));
}

static void start_rtt(struct tcp_conn *c, uint32_t seq)
{
	/* Karn: time only segments sent for the first time. */
	if (!c->rtt_active && seq_geq(seq, c->snd_max)) {
		c->rtt_active = 1;
		c->rtt_seq = seq;
		c->rtt_start = c->stack->now;
	}
}

/* RFC 5681 §4.1: after no data went out for longer than the RTO, the ACK
 * clock has stopped and cwnd no longer says what the path takes: send no
 * more than the restart window, min(IW, cwnd), and let CUBIC start a new
 * epoch (RFC 9438 §5.8), rather than burst a whole old window at once. */
static void restart_after_idle(struct tcp_conn *c)
{
	if (c->snd_una != c->snd_max || !c->last_data_sent || !unsent(c) ||
	    c->stack->now - c->last_data_sent <= c->rto)
		return;
	uint32_t rw = tcp_initial_window(c);
	if (c->cwnd > rw) {
		c->cwnd = rw;
		tp_count(c->stack, TP_STAT_TCP_CWND_RESTART);
	}
	c->cc_state.epoch = 0;
}

/* How much of `len` (more than one MSS) goes in the next segment: one MSS,
 * or with TSO on the route (offload.h) a super-segment of whole MSS the link
 * cuts into exactly the segments sent one by one here, up to 64 KB. A tail
 * under one MSS is left to the next round, where Nagle and SWS avoidance
 * judge it as they would without TSO. */
static uint32_t segment_limit(const struct tcp_conn *c, uint32_t len)
{
	if (!(offload_route(c->stack, c->raddr) & TP_OFFLOAD_TSO))
		return c->mss;
	uint32_t max = OFFLOAD_TSO_MAX - IP_MAX_HDR_LEN - TCP_HDR_LEN - TCP_OPT_MAX;
	if (len > max)
		len = max;
	return len - len % c->mss;
}

static int defer_ack(struct tcp_conn *c);

void tcp_output(struct tcp_conn *c)
{
	if (!synchronized(c) || c->state == TCP_TIME_WAIT) {
		if (c->ack_now && c->state == TCP_TIME_WAIT)
			tcp_send_ack(c);
		/* The peer resent its SYN: our SYN-ACK was lost, send it again. */
		if (c->ack_now && c->state == TCP_SYN_RECEIVED) {
			c->ack_now = 0;
			send_segment(c, c->iss, TCP_SYN | TCP_ACK, 0);
		}
		return;
	}
	restart_after_idle(c);
	uint32_t high = c->snd_max;
	for (;;) {
		/* RFC 6675 NextSeg rule 1 comes before new data: a lost hole. */
		if (c->sack_recovery && tcp_sack_send_hole(c, 0))
			continue;
		uint32_t room = tcp_sack_skip(c);   /* resending after an RTO */
		uint32_t flight = c->snd_nxt - c->snd_una;
		/* RFC 3042 limited transmit: the first two duplicate ACKs each
		 * let one new segment out beyond cwnd, so a small window still
		 * gathers the three duplicate ACKs fast retransmit needs. */
		uint32_t cwnd = c->cwnd;
		if (!c->in_recovery && c->dupacks && c->dupacks <= 2)
			cwnd += c->dupacks * c->mss;
		/* In SACK recovery cwnd bounds pipe, not the flight (RFC 6675 §5 (C)). */
		uint32_t in_net = c->sack_recovery ? tcp_sack_pipe(c) : flight;
		uint32_t by_cwnd = cwnd > in_net ? cwnd - in_net : 0;
		uint32_t by_peer = c->snd_wnd > flight ? c->snd_wnd - flight : 0;
		uint32_t usable = by_cwnd < by_peer ? by_cwnd : by_peer;
		uint32_t avail = unsent(c);
		uint32_t len = avail < usable ? avail : usable;
		if (len > c->mss)
			len = segment_limit(c, len);
		if (len > room)
			len = room;
		int fin = fin_ready(c) && len == avail;

		if (len > 0 && len < c->mss) {
			/* Nagle (RFC 896), unless TCP_NODELAY; sender-side SWS
			 * avoidance (RFC 1122 §4.2.3.4): a small segment goes only
			 * if it empties the buffer, or is half the largest window. */
			int all = len == avail;
			int nagle_ok = c->nodelay || flight == 0;
			int big = c->max_snd_wnd && len >= c->max_snd_wnd / 2;
			if (!((all && nagle_ok) || (big && nagle_ok) || fin))
				len = 0, fin = 0;
		}
		if (len == 0 && !fin)
			break;
		uint8_t flags = TCP_ACK;
		if (fin)
			flags |= TCP_FIN;
		/* PSH on a burst's last segment: the one that empties the
		 * buffer (RFC 1122 §4.2.2.2) or leaves the window less than a
		 * segment. A receiver's GRO (Linux's, behind a TAP) keeps
		 * merging full-sized segments until one carries PSH: without
		 * it the tail of a burst cut by the window waits there for a
		 * timer while we wait for its ACK. */
		if (len && (len == avail || usable - len < c->mss))
			flags |= TCP_PSH;
		uint32_t seq = c->snd_nxt;
		if (send_segment(c, seq, flags, len) < 0 && len == 0)
			break;
		start_rtt(c, seq);
		if (fin) {
			c->fin_seq = seq + len;
			c->fin_sent = 1;
		}
		c->snd_nxt = seq + len + (fin ? 1 : 0);
		if (seq_gt(c->snd_nxt, c->snd_max)) {
			c->snd_max = c->snd_nxt;
		} else if (len) {
			c->retransmits++;
			tp_count(c->stack, TP_STAT_TCP_RETRANS);
		}
		if (!tp_timer_armed(&c->rtx_timer))
			tcp_arm_rtx(c);
		if (fin)
			break;
	}
	if (c->tlp_pto && c->snd_max != high)
		tcp_arm_rtx(c);     /* new data restarts the PTO (RFC 8985 §7.2) */
	/* NextSeg rules 3 and 4, when neither a lost hole nor new data could go. */
	while (c->sack_recovery && tcp_sack_send_hole(c, 1))
		;
	/* Data waits, nothing is in flight, and the window lets nothing go. */
	if (unsent(c) && c->snd_nxt == c->snd_una)
		tcp_enter_persist(c);
	if (c->ack_now && !defer_ack(c))
		tcp_send_ack(c);
}

/* Inside an input batch (tp_batch_begin), a pure ACK for in-order data waits
 * for the batch's end, where one cumulative ACK answers every segment the
 * batch held for this connection - what Linux's GRO does to the segments
 * before TCP sees them, and well inside RFC 1122 §4.2.3.2's delay. A
 * duplicate ACK for out-of-order data is never held: the sender counts
 * them (RFC 5681 §4.2). */
static int defer_ack(struct tcp_conn *c)
{
	struct tp_stack *s = c->stack;
	if (!s->batching || c->ooo || c->state != TCP_ESTABLISHED)
		return 0;
	if (!c->ack_deferred) {
		c->ack_deferred = 1;
		c->ack_next = s->tcp->deferred_acks;
		s->tcp->deferred_acks = c;
	}
	return 1;
}

void tcp_forget_deferred_ack(struct tcp_conn *c)
{
	if (!c->ack_deferred)
		return;
	for (struct tcp_conn **p = &c->stack->tcp->deferred_acks; *p; p = &(*p)->ack_next)
		if (*p == c) {
			*p = c->ack_next;
			break;
		}
	c->ack_deferred = 0;
}

void tcp_flush_acks(struct tp_stack *s)
{
	struct tcp_conn *c;
	while ((c = s->tcp->deferred_acks)) {
		s->tcp->deferred_acks = c->ack_next;
		c->ack_deferred = 0;
		/* Not a bare ACK: the connection may have ended in the batch (a
		 * RST; the socket still holds it), which tcp_output() knows. No
		 * ack_now: a segment sent since carried it. */
		if (c->ack_now)
			tcp_output(c);
	}
}

/* The persist timer's segment. With the window shut: a zero-window probe of
 * one byte, new the first time, the same byte again while it stays shut.
 * With a window open but too small for sender-side SWS avoidance: what the
 * window allows, the override RFC 1122 §4.2.3.4 asks for after a timeout. */
void tcp_send_probe(struct tcp_conn *c)
{
	if (!c->sndbuf.len)
		return;
	if (c->snd_nxt != c->snd_una) {
		send_segment(c, c->snd_una, TCP_ACK, 1);
		return;
	}
	uint32_t len = c->snd_wnd ? c->snd_wnd : 1;
	if (len > c->mss)
		len = c->mss;
	if (len > c->sndbuf.len)
		len = c->sndbuf.len;
	send_segment(c, c->snd_nxt, TCP_ACK, len);
	c->snd_nxt += len;
	if (seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
}

/* RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1 and no data, which the peer
 * must answer with an ACK (an old sequence number is unacceptable, §3.10.7.4). */
void tcp_send_keepalive(struct tcp_conn *c)
{
	send_segment(c, c->snd_una - 1, TCP_ACK, 0);
}

/* One segment from snd_una, the oldest unacknowledged (fast retransmit,
 * NewReno partial ACKs). snd_nxt does not move. */
void tcp_retransmit(struct tcp_conn *c)
{
	tcp_retransmit_range(c, c->snd_una, c->mss);
}

void tcp_retransmit_range(struct tcp_conn *c, uint32_t seq, uint32_t asked)
{
	/* Only bytes sent before: up to SND.MAX, and the buffer holds them. */
	uint32_t off = seq - c->snd_una;
	uint32_t data = off < c->sndbuf.len ? c->sndbuf.len - off : 0;
	if (data > c->snd_max - seq)
		data = c->snd_max - seq;
	uint32_t len = asked < data ? asked : data;
	/* PSH: a retransmission goes alone, nothing may hold it (tcp_output). */
	uint8_t flags = len ? TCP_ACK | TCP_PSH : TCP_ACK;
	/* The FIN goes with the last of the data, once it has been sent. */
	if (c->fin_sent && seq + len == c->fin_seq && seq_gt(c->snd_max, c->fin_seq) &&
	    seq_geq(seq + asked, c->fin_seq))
		flags |= TCP_FIN;
	if (len == 0 && !(flags & TCP_FIN))
		return;
	if (c->rtt_active && seq_geq(c->rtt_seq, c->snd_una))
		c->rtt_active = 0;      /* Karn: that sample is now ambiguous */
	send_segment(c, seq, flags, len);
	c->retransmits++;
	tp_count(c->stack, TP_STAT_TCP_RETRANS);
	if (!tp_timer_armed(&c->rtx_timer))
		tcp_arm_rtx(c);
}
