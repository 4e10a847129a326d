/*
 * tcp_input.c - segment arrival, RFC 9293 §3.10.7, step by step in the RFC's
 * order: CLOSED, LISTEN, SYN-SENT, then for every other state: sequence
 * number check, RST, SYN, ACK, URG, segment text, FIN.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "sock.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_seq.h"
#include "tcp_syncookie.h"

/* --- CLOSED and LISTEN ---------------------------------------------------- */

static void closed_input(struct tp_stack *s, const struct ip_info *ip, const struct tcp_seg *seg)
{
	/* RFC 9293 §3.10.7.1: answer everything but a RST with a RST. */
	if (seg->flags & TCP_RST)
		return;
	tp_drop(s, TP_STAT_TCP_DROP_NO_CONN, NULL, 0);
	tcp_send_reset_for(s, ip, seg);
}

static void apply_syn_options(struct tcp_conn *c, const struct tcp_seg *seg)
{
	tcp_negotiate_options(c, seg);
	uint16_t peer_mss = seg->mss ? seg->mss : TCP_DEFAULT_MSS;
	if (peer_mss < c->mss)
		c->mss = peer_mss;
	c->mss = (uint16_t)(c->mss - tcp_opt_overhead(c));   /* room for the timestamps */
	if (c->mss < 64)
		c->mss = 64;                        /* a tiny MSS is an attack, not a path */
	if (seg->wscale >= 0) {
		c->ws_ok = 1;
		c->snd_wscale = (uint8_t)seg->wscale;
	} else {
		c->ws_ok = 0;
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	c->cwnd = tcp_initial_window(c);
	c->ssthresh = UINT32_MAX / 2;
	c->cc->init(c);
}

/* The peer's SYN, received in LISTEN or SYN-SENT: its ISN and options. */
static void take_peer_syn(struct tcp_conn *c, const struct tcp_seg *seg)
{
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	/* Nothing advertised yet: the window we offer starts at RCV.NXT. Left at
	 * 0, rcv_adv lay up to 2^31 "ahead" of RCV.NXT for half of all ISNs, and
	 * tcp_rcv_window() never lets an advertised edge go back: the first ACK
	 * offered 65535 << wscale, beyond the buffer. */
	c->rcv_adv = c->rcv_nxt;
	apply_syn_options(c, seg);
}

static void synchronized_input(struct tcp_conn *c, struct tcp_seg *seg);

/* A child of listener l for an arriving SYN (or the one a SYN cookie stood
 * for), in SYN_RECEIVED and in l's SYN queue; nothing sent yet. isn_floor,
 * when not NULL, is the SND.MAX of the TIME_WAIT connection the SYN ended. */
static struct tcp_conn *passive_open(struct tcp_conn *l, const struct ip_info *ip,
				     const struct tcp_seg *seg, const char *why,
				     const uint32_t *isn_floor)
{
	struct tcp_conn *c = tcp_child_new(l, ip->dst, seg->dport, ip->src, seg->sport);
	if (!c)
		return NULL;
	/* Reopening a TIME_WAIT 4-tuple: RFC 1122 §4.2.2.13 (1) wants the new
	 * ISN above any sequence number the old incarnation used. The clock
	 * part of the ISN (RFC 6528) usually is; a fast sender may outrun it. */
	if (isn_floor && seq_leq(c->iss, *isn_floor)) {
		c->iss = *isn_floor + 1;
		c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	}
	take_peer_syn(c, seg);
	c->snd_wnd = seg->wnd;                  /* never scaled in a SYN (RFC 7323 §2.2) */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	tcp_hash_insert(c);
	c->accept_next = l->syn_head;
	l->syn_head = c;
	l->syn_len++;
	/* The child is born of the listener: trace it as LISTEN -> SYN_RECEIVED. */
	c->state = TCP_LISTEN;
	tcp_set_state(c, TCP_SYN_RECEIVED, why);
	return c;
}

static void listen_input(struct tcp_conn *l, const struct ip_info *ip, const struct tcp_seg *seg,
			 const uint32_t *isn_floor)
{
	struct tp_stack *s = l->stack;

	/* RFC 9293 §3.10.7.2 */
	if (seg->flags & TCP_RST)
		return;
	if (seg->flags & TCP_ACK) {
		/* RFC 4987 §3.6: the answer to a SYN cookie opens the connection. */
		struct tcp_seg syn;
		int cookie = tcp_syncookie_ack(l, ip, seg, &syn);
		if (cookie > 0) {
			struct tcp_conn *c = passive_open(l, ip, &syn, "SYN cookie returned", NULL);
			if (c) {
				struct tcp_seg ack = *seg;
				tcp_syncookie_child(c, seg->ack - 1);
				synchronized_input(c, &ack);
			}
		} else if (cookie == 0) {
			tcp_send_reset_for(s, ip, seg);
		}
		return;
	}
	if (!(seg->flags & TCP_SYN)) {
		tp_drop(s, TP_STAT_TCP_DROP_LISTEN, NULL, 0);
		return;
	}
	if (tcp_child_admit(l) < 0)
		return;
	/* A SYN that reopens a TIME_WAIT 4-tuple (tcp_segment_arrives) needs an
	 * ISN above the old incarnation's sequence space (RFC 6191 §2), which a
	 * cookie's cannot promise: it gets a child even past the SYN queue's
	 * bound, in the place of the connection it ended (as Linux). */
	if (l->syn_len >= s->cfg.tcp_syn_backlog && !isn_floor) {
		tcp_syncookie_answer(l, ip, seg);
		return;
	}
	struct tcp_conn *c = passive_open(l, ip, seg, "SYN received", isn_floor);
	if (c)
		tcp_send_syn(c);
}

/* --- SYN-SENT (RFC 9293 §3.10.7.3) ----------------------------------------- */

static void syn_sent_input(struct tcp_conn *c, const struct tcp_seg *seg)
{
	int ack = seg->flags & TCP_ACK;

	if (ack && (seq_leq(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_max))) {
		if (!(seg->flags & TCP_RST)) {
			struct ip_info ip = {.src = c->raddr, .dst = c->laddr};
			tcp_send_reset_for(c->stack, &ip, seg);
		}
		return;
	}
	if (seg->flags & TCP_RST) {
		/* Only a RST that acknowledges our SYN counts (RFC 5961 §3.2 note). */
		if (ack) {
			tp_count(c->stack, TP_STAT_TCP_RST_IN);
			tcp_drop_conn(c, -ECONNREFUSED, "RST in answer to our SYN");
		}
		return;
	}
	if (!(seg->flags & TCP_SYN))
		return;
	take_peer_syn(c, seg);
	if (ack) {
		c->snd_una = seg->ack;
		if (c->rtt_active && seq_gt(seg->ack, c->rtt_seq)) {
			tcp_rtt_sample(c, c->stack->now - c->rtt_start);
			c->rtt_active = 0;
		}
		c->backoff = 0;
		tcp_handshake_completed(c);
		tp_timer_stop(c->stack, &c->rtx_timer);
		c->snd_wnd = seg->wnd;              /* a SYN's window is never scaled */
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		tcp_set_state(c, TCP_ESTABLISHED, "SYN-ACK received");
		/* Data or FIN riding on the SYN-ACK is left for the peer to resend. */
		c->ack_now = 1;
		tcp_output(c);
		return;
	}
	/* Simultaneous open (RFC 9293 §3.5, figure 7). */
	c->snd_wnd = seg->wnd;
	c->snd_wl1 = seg->seq;
	tcp_set_state(c, TCP_SYN_RECEIVED, "SYN received while connecting (simultaneous open)");
	tcp_send_syn(c);
}

/* --- synchronized states ------------------------------------------------ */

/* RFC 9293 §3.10.7.4 first: the acceptability test. */
static int acceptable(const struct tcp_conn *c, const struct tcp_seg *seg, uint32_t wnd)
{
	if (seg->seg_len == 0)
		return wnd == 0 ? seg->seq == c->rcv_nxt : seq_in(seg->seq, c->rcv_nxt, c->rcv_nxt + wnd);
	if (wnd == 0)
		return 0;
	return seq_in(seg->seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
	       seq_in(seg->seq + seg->seg_len - 1, c->rcv_nxt, c->rcv_nxt + wnd);
}

/* Cuts the segment down to what lies inside [rcv_nxt, rcv_nxt + wnd). */
static void trim_to_window(const struct tcp_conn *c, struct tcp_seg *seg, uint32_t wnd)
{
	if (seq_lt(seg->seq, c->rcv_nxt)) {
		uint32_t cut = c->rcv_nxt - seg->seq;
		if (seg->flags & TCP_SYN) {
			seg->flags &= (uint8_t)~TCP_SYN;
			cut--;
			seg->seq++;
		}
		if (cut > seg->len) {
			cut = seg->len;
			seg->flags &= (uint8_t)~TCP_FIN;   /* a FIN we already have */
		}
		seg->data += cut;
		seg->len -= cut;
		seg->seq += cut;
	}
	uint32_t right = c->rcv_nxt + wnd;
	if (seq_gt(seg->seq + seg->len, right)) {
		seg->len = seq_gt(right, seg->seq) ? right - seg->seq : 0;
		seg->flags &= (uint8_t)~TCP_FIN;
	}
	seg->seg_len = seg->len + !!(seg->flags & TCP_SYN) + !!(seg->flags & TCP_FIN);
}

static void update_window(struct tcp_conn *c, const struct tcp_seg *seg)
{
	/* RFC 9293 §3.10.7.4 fifth: only from segments newer than the last update. */
	if (seq_lt(c->snd_wl1, seg->seq) || (c->snd_wl1 == seg->seq && seq_leq(c->snd_wl2, seg->ack))) {
		c->snd_wnd = seg->wnd << c->snd_wscale;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (c->snd_wnd > c->max_snd_wnd)
			c->max_snd_wnd = c->snd_wnd;
		if (c->snd_wnd > 0)
			tcp_leave_persist(c);
	}
}

static int our_fin_acked(const struct tcp_conn *c)
{
	return c->fin_sent && c->snd_una == c->fin_seq + 1;
}

/* RFC 5961 §7: challenge ACKs are rate-limited stack-wide, so a blind
 * attacker cannot make us an ACK amplifier (nor, as in CVE-2016-5696, read
 * the remaining budget to infer sequence numbers: ours is stack-wide too,
 * so the limit is generous and the budget shared with every connection). */
static void challenge_ack(struct tcp_conn *c)
{
	struct tp_stack *s = c->stack;
	if (!ratelimit_allow(&s->tcp->challenge_acks, s->now, s->cfg.tcp_challenge_ack_rate,
			     s->cfg.tcp_challenge_ack_rate)) {
		tp_count(s, TP_STAT_TCP_CHALLENGE_ACK_LIMITED);
		return;
	}
	tp_count(s, TP_STAT_TCP_CHALLENGE_ACKS);
	c->ack_now = 1;
	tcp_output(c);
}

/* RFC 9293 §3.10.7.4 fifth, for ESTABLISHED and the closing states.
 * Returns 0 to go on, -1 if the segment is finished with (send what is
 * due), -2 if it is finished and everything is done (c may be gone). */
static int process_ack(struct tcp_conn *c, const struct tcp_seg *seg)
{
	struct tp_stack *s = c->stack;

	/* Acknowledges what we never sent, or is older than any window we
	 * ever had (RFC 5961 §5.2): answer with an ACK, drop. */
	if (seq_gt(seg->ack, c->snd_max) || seq_lt(seg->ack, c->snd_una - c->max_snd_wnd)) {
		tp_drop(s, TP_STAT_TCP_DROP_BAD_ACK, NULL, 0);
		challenge_ack(c);
		return -2;
	}
	if (seq_gt(seg->ack, c->snd_una)) {
		uint32_t acked = seg->ack - c->snd_una;
		uint32_t data = acked;
		if (c->fin_sent && seq_gt(seg->ack, c->fin_seq))
			data--;                         /* the FIN is not in the buffer */
		ring_drop(&c->sndbuf, data);
		if (!c->sndbuf.len)
			ring_free(&c->sndbuf);
		c->snd_una = seg->ack;
		if (seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		tcp_sack_update(c, seg, acked);
		/* The one segment timed (Karn: never a retransmission), else
		 * RTTM (RFC 7323 §4.1) from the echo of our clock - which is
		 * what gives a sample across retransmissions. Not while
		 * probing a shut window: the echo is then of whatever segment
		 * last moved TS.Recent, perhaps many probes ago, and one such
		 * sample inflated the RTO, and the probe interval, to 60 s. */
		if (c->rtt_active && seq_gt(seg->ack, c->rtt_seq)) {
			tcp_rtt_sample(c, s->now - c->rtt_start);
			c->rtt_active = 0;
		} else if (!c->persist) {
			tcp_ts_rtt_sample(c, seg);
		}
		c->backoff = 0;
		c->dupacks = 0;
		tcp_congestion_on_ack(c, acked);
		tcp_tlp_on_ack(c, seg, 1);
		/* RFC 6298 §5.2-5.3. While persisting, the timer is the persist
		 * timer: an ACK of the probe (window still shut) must not stop
		 * it, or nothing probes again and a lost window update leaves
		 * the connection stalled for ever (RFC 1122 §4.2.2.17). */
		if (c->persist)
			;
		else if (c->snd_una == c->snd_max)
			tp_timer_stop(s, &c->rtx_timer);
		else
			tcp_arm_rtx(c);
		update_window(c, seg);
		if (c->sock)
			sock_notify(c->sock);       /* send space freed */
	} else {
		uint32_t old_wnd = c->snd_wnd;
		update_window(c, seg);
		uint32_t sacked = tcp_sack_update(c, seg, 0);
		/* RFC 5681 §2: a duplicate ACK carries no data, no window change,
		 * and arrives while data is outstanding - but not the answer to a
		 * zero-window probe, which a shut receiver may drop (RFC 9293
		 * §3.8.6.1): that says nothing of loss, and a fast retransmit
		 * into a zero window is useless. With SACK blocks it must also
		 * SACK something new (RFC 6675 §2): a D-SACK or a repeat is no
		 * sign that another segment left the network. */
		if (seg->ack == c->snd_una && seg->len == 0 && !(seg->flags & (TCP_SYN | TCP_FIN)) &&
		    c->snd_wnd == old_wnd && c->snd_max != c->snd_una && !c->persist &&
		    (!c->sack_ok || !seg->n_sack || sacked))
			tcp_on_duplicate_ack(c);
		else
			c->dupacks = 0;
		tcp_tlp_on_ack(c, seg, 0);
	}
	if (seg->n_sack)
		tcp_sack_check_loss(c);

	switch (c->state) {
	case TCP_FIN_WAIT_1:
		if (our_fin_acked(c)) {
			tcp_set_state(c, TCP_FIN_WAIT_2, "our FIN acknowledged");
			if (!c->sock)
				tp_timer_set(s, &c->wait_timer, s->now + s->cfg.tcp_fin_timeout);
		}
		break;
	case TCP_CLOSING:
		if (our_fin_acked(c)) {
			tcp_set_state(c, TCP_TIME_WAIT, "our FIN acknowledged after both FINs crossed");
			tcp_enter_time_wait(c);
		}
		return -1;
	case TCP_LAST_ACK:
		if (our_fin_acked(c)) {
			tcp_drop_conn(c, 0, "our FIN acknowledged");
			return -2;
		}
		return -1;
	default:
		break;
	}
	return 0;
}

/* Records [seq, seq + len) as received out of order: the sorted list holds
 * disjoint runs, so a segment that touches or overlaps runs joins them
 * (the bound is on holes, not on segments: a lost segment followed by a
 * window of contiguous ones is one run). Returns 0, or -1 when it needs a
 * new run and TCP_OOO_MAX_SEGS are held already (or memory is out). */
static int ooo_insert(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	struct tcp_ooo **p = &c->ooo, *prev = NULL, *o;
	while (*p && seq_lt((*p)->seq, seq)) {
		prev = *p;
		p = &(*p)->next;
	}
	if (prev && seq_geq(prev->seq + prev->len, seq)) {
		o = prev;                           /* extends the run before it */
		if (seq_gt(seq + len, o->seq + o->len))
			o->len = seq + len - o->seq;
	} else if (*p && seq_leq((*p)->seq, seq + len)) {
		o = *p;                             /* extends the run after it backwards */
		uint32_t end = seq_gt(seq + len, o->seq + o->len) ? seq + len : o->seq + o->len;
		o->seq = seq;
		o->len = end - seq;
	} else {
		if (c->ooo_count >= TCP_OOO_MAX_SEGS)
			return -1;
		o = malloc(sizeof(*o));
		if (!o) {
			tp_count(c->stack, TP_STAT_MEM_FAIL);
			return -1;
		}
		o->seq = seq;
		o->len = len;
		o->next = *p;
		*p = o;
		c->ooo_count++;
	}
	while (o->next && seq_leq(o->next->seq, o->seq + o->len)) {     /* reaches the next runs */
		struct tcp_ooo *n = o->next;
		if (seq_gt(n->seq + n->len, o->seq + o->len))
			o->len = n->seq + n->len - o->seq;
		o->next = n->next;
		free(n);
		c->ooo_count--;
	}
	return 0;
}

/* Takes in-order bytes into the receive buffer, then any out-of-order runs
 * that now join on. */
static void take_text(struct tcp_conn *c, struct tcp_seg *seg)
{
	struct tp_stack *s = c->stack;
	uint32_t space = ring_space(&c->rcvbuf);

	if (seg->seq != c->rcv_nxt) {
		/* Ahead of a gap: place it now, remember the run (bounded). Bytes
		 * placed but not recorded are beyond the committed data, so the
		 * stream never sees them. */
		uint32_t off = seg->seq - c->rcv_nxt;
		uint32_t len = off < space ? (seg->len < space - off ? seg->len : space - off) : 0;
		if (len)
			tcp_sack_note_ooo_duplicate(c, seg->seq, len);
		if (!len || ring_place(&c->rcvbuf, off, seg->data, len) < 0 ||
		    ooo_insert(c, seg->seq, len) < 0) {
			tp_drop(s, TP_STAT_TCP_DROP_OOO_FULL, NULL, 0);
			c->ack_now = 1;
			return;
		}
		tp_count(s, TP_STAT_TCP_OOO_IN);
		if (c->sack_ok)
			tcp_sack_note_arrival(c, seg->seq);
		c->ack_now = 1;                     /* RFC 5681 §4.2: a duplicate ACK at once */
		return;
	}
	uint32_t len = seg->len < space ? seg->len : space;
	tcp_sack_note_ooo_duplicate(c, seg->seq, len);
	if (ring_write(&c->rcvbuf, seg->data, len) != len) {
		tp_count(s, TP_STAT_MEM_FAIL);      /* unacknowledged: the peer sends it again */
		return;
	}
	c->rcv_nxt += len;
	c->bytes_in += len;
	/* Runs that now touch or overlap the in-order edge join the stream. */
	int filled = 0;
	while (c->ooo && seq_leq(c->ooo->seq, c->rcv_nxt)) {
		struct tcp_ooo *o = c->ooo;
		uint32_t end = o->seq + o->len;
		if (seq_gt(end, c->rcv_nxt)) {
			uint32_t more = end - c->rcv_nxt;
			ring_commit(&c->rcvbuf, more);
			c->rcv_nxt += more;
			c->bytes_in += more;
		}
		c->ooo = o->next;
		c->ooo_count--;
		free(o);
		filled = 1;
	}
	if (len && c->sock)
		sock_notify(c->sock);
	/* RFC 1122 §4.2.3.2 / RFC 5681 §4.2: ACK at least every second full
	 * segment, at once when a gap was filled, else within the delay. */
	if (filled || c->ooo) {
		c->ack_now = 1;
	} else if (len) {
		/* A GSO super-frame (offload.h) counts as the segments in it. */
		uint32_t full = c->stack->rx_gso ? len / c->mss : len >= c->mss;
		c->unacked_segs = (uint8_t)(c->unacked_segs + (full < 2 ? full : 2));
		if (c->unacked_segs >= 2)
			c->ack_now = 1;
		else
			tcp_schedule_delack(c);
	}
}

static void take_fin(struct tcp_conn *c)
{
	c->rcv_nxt++;
	c->fin_rcvd = 1;
	c->ack_now = 1;
	switch (c->state) {
	case TCP_SYN_RECEIVED:
	case TCP_ESTABLISHED:
		tcp_set_state(c, TCP_CLOSE_WAIT, "FIN received");
		break;
	case TCP_FIN_WAIT_1:
		if (our_fin_acked(c)) {
			tcp_set_state(c, TCP_TIME_WAIT, "FIN received, ours already acknowledged");
			tcp_enter_time_wait(c);
		} else {
			tcp_set_state(c, TCP_CLOSING, "FIN received before ours was acknowledged");
		}
		break;
	case TCP_FIN_WAIT_2:
		tp_timer_stop(c->stack, &c->wait_timer);
		tcp_set_state(c, TCP_TIME_WAIT, "FIN received");
		tcp_enter_time_wait(c);
		break;
	default:
		break;
	}
	if (c->sock)
		sock_notify(c->sock);
}

static void synchronized_input(struct tcp_conn *c, struct tcp_seg *seg)
{
	struct tp_stack *s = c->stack;
	uint32_t wnd = tcp_offered_window(c);

	c->last_rcv = s->now;                   /* the peer is alive (keepalive) */
	c->persist_unanswered = 0;              /* and answers our window probes */

	/* RFC 9293 §3.5 figure 7, lines 6-7: in a simultaneous open the peer's
	 * <SYN,ACK> repeats the SYN we already hold (SEQ = IRS). By the letter
	 * of the acceptability test it is old, yet its ACK is what completes the
	 * handshake: drop the SYN and take the rest (as Linux does). Answered as
	 * unacceptable, it drew our <SYN,ACK> again, the peer did the same, and
	 * the two never left SYN_RECEIVED. */
	int crossed_syn_ack = c->state == TCP_SYN_RECEIVED && !c->listener && seg->seq == c->irs &&
			      (seg->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
	if (crossed_syn_ack) {
		seg->flags &= (uint8_t)~TCP_SYN;
		seg->seq++;
		seg->seg_len--;
	}

	/* PAWS (RFC 7323 §5.3 R1): an old timestamp is an old duplicate. */
	if (tcp_paws_check(c, seg) < 0) {
		c->ack_now = 1;
		tcp_output(c);
		return;
	}

	/* first: sequence number */
	if (!acceptable(c, seg, wnd)) {
		/* RFC 9293 §3.10.7.4: a zero window still takes ACKs at RCV.NXT. */
		if (!(wnd == 0 && seg->seq == c->rcv_nxt)) {
			if (!(seg->flags & TCP_RST)) {
				tp_drop(s, TP_STAT_TCP_DROP_UNACCEPTABLE, NULL, 0);
				if (seg->len && seq_lt(seg->seq, c->rcv_nxt)) {
					tp_count(s, TP_STAT_TCP_DUP_IN);
					tcp_sack_note_old(c, seg);
				}
				/* In TIME_WAIT this is the peer's FIN again: our last ACK
				 * was lost. ACK again and restart the 2 MSL (§3.10.7.4). */
				if (c->state == TCP_TIME_WAIT && (seg->flags & TCP_FIN))
					tcp_enter_time_wait(c);
				c->ack_now = 1;
				tcp_output(c);
			}
			return;
		}
		/* Its text cannot be taken, and the sender is probing: it must
		 * hear again that the window is shut (RFC 9293 §3.8.6.1: "it must
		 * still send an acknowledgment showing its next expected sequence
		 * number and current window (zero)"). Left silent, the probes went
		 * unanswered and only the backed-off next probe after the window
		 * reopened could restart the flow if the update was lost. */
		if (seg->seg_len && !(seg->flags & TCP_RST))
			c->ack_now = 1;
	}
	tcp_ts_update_recent(c, seg);           /* RFC 7323 §5.3 R3 */
	tcp_sack_note_old(c, seg);              /* its head, received before */
	trim_to_window(c, seg, wnd);

	/* second: RST (RFC 5961 §3.2: only an exact hit resets; an in-window
	 * guess earns a challenge ACK) */
	if (seg->flags & TCP_RST) {
		if (seg->seq != c->rcv_nxt) {
			challenge_ack(c);
			return;
		}
		tp_count(s, TP_STAT_TCP_RST_IN);
		if (c->state == TCP_SYN_RECEIVED && c->listener) {
			tcp_drop_conn(c, 0, "RST received: back to LISTEN");
			return;
		}
		int refused = c->state == TCP_SYN_RECEIVED;
		int quiet = c->state == TCP_CLOSING || c->state == TCP_LAST_ACK || c->state == TCP_TIME_WAIT;
		tcp_drop_conn(c, refused ? -ECONNREFUSED : quiet ? 0 : -ECONNRESET, "RST received");
		return;
	}

	/* fourth: SYN in a synchronized state (RFC 5961 §4.2: challenge ACK) */
	if (seg->flags & TCP_SYN) {
		if (c->state == TCP_SYN_RECEIVED && c->listener) {
			tcp_drop_conn(c, 0, "SYN received again: back to LISTEN");
			return;
		}
		challenge_ack(c);
		return;
	}

	/* fifth: ACK */
	if (!(seg->flags & TCP_ACK))
		return;
	if (c->state == TCP_SYN_RECEIVED) {
		if (!seq_in(seg->ack, c->snd_una + 1, c->snd_max + 1)) {
			struct ip_info ip = {.src = c->raddr, .dst = c->laddr};
			tcp_send_reset_for(s, &ip, seg);
			return;
		}
		/* The accept queue is at its backlog: the application is not
		 * keeping up. Ignoring the ACK leaves the child half-open; our
		 * <SYN,ACK> retransmission draws it again later, when there may
		 * be room (as Linux does). Completing it anyway let the accept
		 * queue grow past the backlog, as far as the SYN queue reaches. */
		if (c->listener && c->listener->accept_len >= c->listener->backlog) {
			tp_drop(s, TP_STAT_TCP_DROP_ACCEPT_QUEUE, NULL, 0);
			return;
		}
		if (c->rtt_active) {
			tcp_rtt_sample(c, s->now - c->rtt_start);
			c->rtt_active = 0;
		}
		c->snd_una = seg->ack;
		c->backoff = 0;
		tcp_handshake_completed(c);
		tp_timer_stop(s, &c->rtx_timer);
		/* RFC 7323 §2.2: never scaled in a <SYN,ACK>. */
		c->snd_wnd = seg->wnd << (crossed_syn_ack ? 0 : c->snd_wscale);
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seg->seq;
		c->snd_wl2 = seg->ack;
		if (c->listener) {
			tcp_child_established(c);
			tp_count(s, TP_STAT_TCP_PASSIVE_OPENS);
		}
		tcp_set_state(c, TCP_ESTABLISHED, "ACK of our SYN received");
		if (c->listener && c->listener->sock)
			sock_notify(c->listener->sock);
		if (c->fin_queued)                  /* closed during a simultaneous open */
			tcp_set_state(c, TCP_FIN_WAIT_1, "application had closed");
	} else {
		int r = process_ack(c, seg);
		if (r == -2)
			return;                     /* the connection is gone */
		if (r < 0) {
			tcp_output(c);
			return;
		}
	}
	if (c->state == TCP_TIME_WAIT) {
		/* RFC 9293 §3.10.7.4: the only thing that can arrive is the peer's
		 * FIN again (our ACK was lost): ACK it and restart the 2 MSL. */
		if (seg->flags & TCP_FIN) {
			c->ack_now = 1;
			tcp_enter_time_wait(c);
			tcp_output(c);
		}
		return;
	}

	/* sixth: URG - not supported; urgent data is delivered inline (RFC 6093 §5). */

	/* seventh: segment text */
	if (seg->len) {
		switch (c->state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			if (!c->sock && !c->listener) {
				/* Nobody will ever read it: say so (RFC 9293 §3.10.4 / Linux). */
				tcp_send_reset(c);
				tcp_drop_conn(c, -ECONNRESET, "data for a closed socket");
				return;
			}
			take_text(c, seg);
			break;
		default:
			break;                      /* after the peer's FIN: ignored */
		}
	}

	/* eighth: FIN, only once every byte before it is in. A FIN beyond a
	 * gap is remembered and taken when the gap fills, sparing the peer a
	 * retransmission timeout to resend it. */
	uint32_t fin_seq = seg->seq + seg->len;
	if ((seg->flags & TCP_FIN) && !c->fin_rcvd) {
		if (fin_seq == c->rcv_nxt)
			take_fin(c);
		else if (seq_gt(fin_seq, c->rcv_nxt) && c->ooo) {
			c->ooo_fin = 1;
			c->ooo_fin_seq = fin_seq;
		}
	} else if ((seg->flags & TCP_FIN) && c->fin_rcvd) {
		c->ack_now = 1;                     /* a retransmitted FIN: ACK it again */
	}
	if (c->ooo_fin && !c->fin_rcvd && c->rcv_nxt == c->ooo_fin_seq)
		take_fin(c);
	tcp_output(c);
}

/* May a SYN reopen c, a 4-tuple in TIME_WAIT (RFC 9293 §3.6.1 MAY-2,
 * RFC 6191 §2)? When both incarnations use timestamps, a newer TSval says
 * the SYN is new (or an equal one with a higher sequence number); without
 * them, a sequence number above the old RCV.NXT does. */
static int syn_reopens_time_wait(const struct tcp_conn *c, const struct tcp_seg *seg)
{
	if (c->ts_ok && seg->has_ts && c->stack->cfg.tcp_timestamps != TP_OFF) {
		if (seq_gt(seg->ts_val, c->ts_recent))
			return 1;
		return seg->ts_val == c->ts_recent && seq_gt(seg->seq, c->rcv_nxt);
	}
	return seq_gt(seg->seq, c->rcv_nxt);
}

void tcp_segment_arrives(struct tp_stack *s, const struct ip_info *ip, const uint8_t *d, size_t len)
{
	tp_count(s, TP_STAT_TCP_IN);
	/* RFC 1122 §4.2.3.10: nothing for broadcast or multicast destinations. */
	if (ip->to_broadcast) {
		tp_drop(s, TP_STAT_TCP_DROP_BROADCAST, d, len);
		return;
	}
	if (len < TCP_HDR_LEN || (size_t)(d[12] >> 4) * 4 < TCP_HDR_LEN || (size_t)(d[12] >> 4) * 4 > len) {
		tp_drop(s, TP_STAT_TCP_DROP_SHORT, d, len);
		return;
	}
	if (!ip->l4_csum_ok &&
	    cksum_finish(cksum_add(cksum_pseudo(ip->src, ip->dst, IP_PROTO_TCP, (uint16_t)len), d, len))) {
		tp_drop(s, TP_STAT_TCP_DROP_CHECKSUM, d, len);
		return;
	}
	size_t hl = (size_t)(d[12] >> 4) * 4;
	struct tcp_seg seg = {
		.sport = get_be16(d), .dport = get_be16(d + 2), .seq = get_be32(d + 4),
		.ack = get_be32(d + 8), .flags = d[13] & 0x3f, .wnd = get_be16(d + 14),
		.urp = get_be16(d + 18), .data = d + hl, .len = (uint32_t)(len - hl),
	};
	if (tcp_parse_options(d + TCP_HDR_LEN, hl - TCP_HDR_LEN, &seg) < 0) {
		tp_drop(s, TP_STAT_TCP_DROP_OPTIONS, d, len);
		return;
	}
	seg.seg_len = seg.len + !!(seg.flags & TCP_SYN) + !!(seg.flags & TCP_FIN);

	struct tcp_conn *c = tcp_lookup(s, ip->dst, seg.dport, ip->src, seg.sport);
	uint32_t old_snd_max, *isn_floor = NULL;
	if (c && c->state == TCP_TIME_WAIT && (seg.flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
	    syn_reopens_time_wait(c, &seg) && tcp_lookup_listener(s, ip->dst, seg.dport)) {
		tp_count(s, TP_STAT_TCP_TIME_WAIT_REUSE);
		old_snd_max = c->snd_max;           /* the new ISN goes above it (passive_open) */
		isn_floor = &old_snd_max;
		tcp_drop_conn(c, 0, "new SYN reopens the 4-tuple");
		c = NULL;
	}
	if (!c) {
		struct tcp_conn *l = tcp_lookup_listener(s, ip->dst, seg.dport);
		if (l)
			listen_input(l, ip, &seg, isn_floor);
		else
			closed_input(s, ip, &seg);
		return;
	}
	switch (c->state) {
	case TCP_CLOSED:
		closed_input(s, ip, &seg);
		break;
	case TCP_SYN_SENT:
		syn_sent_input(c, &seg);
		break;
	default:
		synchronized_input(c, &seg);
	}
}

/* ICMP errors about our segments (RFC 1122 §4.2.3.9, RFC 5927 §4.1: only if
 * the quoted sequence number is one we have in flight). */
void tcp_error(struct tp_stack *s, const struct ip_error *e)
{
	if (e->l4_len < 8)
		return;
	uint16_t sport = get_be16(e->l4), dport = get_be16(e->l4 + 2);
	uint32_t seq = get_be32(e->l4 + 4);
	struct tcp_conn *c = tcp_lookup(s, e->src, sport, e->dst, dport);
	if (!c)
		return;
	if (!seq_in(seq, c->snd_una, c->snd_max + 1) && !(c->state == TCP_SYN_SENT && seq == c->iss)) {
		tp_count(s, TP_STAT_TCP_ICMP_IGNORED);
		return;
	}
	/* Hard errors end a connection that is still opening; otherwise they are
	 * soft: remembered, reported only if the connection later times out. */
	int hard = e->err == -ECONNREFUSED || e->err == -ENOPROTOOPT;
	if (c->state == TCP_SYN_SENT && (hard || e->reporter == 0)) {
		tcp_drop_conn(c, hard ? -ECONNREFUSED : e->err, "ICMP error while connecting");
		return;
	}
	if (e->err == -EMSGSIZE && e->mtu >= 68) {
		uint32_t mss = (uint32_t)e->mtu - IP_HDR_LEN - TCP_HDR_LEN - tcp_opt_overhead(c);
		if (mss < c->mss && mss >= 64)
			c->mss = (uint16_t)mss;     /* RFC 1191 path MTU discovery */
		return;
	}
	/* RFC 1122 §4.2.3.9: a soft error MUST NOT abort the connection, and
	 * raising it on the socket (TP_EV_ERR) would make applications abort
	 * it. Kept until the connection times out, which then reports it
	 * instead of ETIMEDOUT (as Linux's sk_err_soft). */
	c->soft_error = e->err;
}
