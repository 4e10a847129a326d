/*
 * tcp_recovery.c - what a sender does about loss short of a timeout: fast
 * retransmit (RFC 5681 §3.2), NewReno's partial ACKs (RFC 6582) for peers
 * without SACK, and with SACK the scoreboard-driven recovery of RFC 6675.
 * How far cwnd falls is the congestion-control algorithm's (tcp_cc.h).
 */
#include "stack.h"
#include "tcp.h"
#include "tcp_seq.h"

/* Resends the segment at SND.UNA, never into SACKed data, and counts it
 * in HighRxt and RescueRxt as RFC 6675 §5 (4.3) does. */
static void resend_head(struct tcp_conn *c)
{
	uint32_t len = c->mss;
	if (c->sb.n && seq_lt(c->sb.r[0].start, c->snd_una + len))
		len = c->sb.r[0].start - c->snd_una;
	tcp_retransmit_range(c, c->snd_una, len);
	tp_count(c->stack, TP_STAT_TCP_SACK_REXMIT);
	c->sb.high_rxt = c->sb.rescue_rxt = c->snd_una + len;
	c->sb.head_rxt = c->snd_una;
	c->sb.head_rxt_fack = c->snd_max;
}

/* RFC 6675 §5 (4): fast retransmit and the start of loss recovery. */
static void enter_recovery(struct tcp_conn *c)
{
	tp_count(c->stack, TP_STAT_TCP_FAST_RETRANS);
	tcp_tlp_reset(c);                   /* recovery's cut covers the probe's loss */
	c->ssthresh = c->cc->on_loss(c);
	c->recover = c->snd_max;            /* RFC 6582 recover, RFC 6675 RecoveryPoint */
	c->in_recovery = 1;
	/* Resending after an RTO (SND.NXT below SND.MAX) is no flight the
	 * scoreboard can reason about: NewReno's rules carry that on. */
	if (c->sack_ok && c->snd_nxt == c->snd_max) {
		tp_count(c->stack, TP_STAT_TCP_SACK_RECOVERY);
		c->sack_recovery = 1;
		/* (4.2) sets cwnd = ssthresh at once; a burst loss then leaves
		 * pipe far below it, and the holes went out in one burst that
		 * overflowed the same queue again. RFC 6937's proportional
		 * rate reduction spreads them over the ACKs that come back. */
		c->prr_delivered = c->prr_out = 0;
		c->prr_recover_fs = c->snd_max - c->snd_una;
		resend_head(c);                 /* (4.3), whatever the window */
		tcp_recovery_on_ack(c);
		return;                         /* (4.5): step (C) is tcp_output()'s */
	}
	tcp_retransmit(c);
	c->cwnd = c->ssthresh + 3u * c->mss;
}

/* Grows the congestion window for `acked` new bytes (RFC 5681 §3.1), or
 * takes the next step of a recovery. */
void tcp_congestion_on_ack(struct tcp_conn *c, uint32_t acked)
{
	if (c->in_recovery) {
		/* A full ACK ends recovery (RFC 6675 §5 (A), RFC 6582 §3.2
		 * step 4); so does any new ACK for plain Reno without SACK,
		 * which knows nothing of partial ACKs (RFC 6582 §1). */
		if (seq_geq(c->snd_una, c->recover) || (!c->cc->newreno && !c->sack_recovery)) {
			c->in_recovery = 0;         /* deflate */
			c->sack_recovery = 0;
			c->cwnd = c->ssthresh;
		} else if (!c->sack_recovery) {
			/* Partial ACK: the next hole is lost too; resend it now. */
			tcp_retransmit(c);
			c->cwnd = c->cwnd > acked ? c->cwnd - acked : c->mss;
			c->cwnd += c->mss;
		}
		/* With SACK a partial ACK updates the scoreboard (B), and
		 * tcp_output() sends what NextSeg() and pipe allow (C). But
		 * after a burst loss too few segments above the new SND.UNA
		 * may be SACKed for IsLost() to say it is lost too, and pipe
		 * then holds the whole burst as in flight until the RTO. As
		 * NewReno (RFC 6582 §3.2 step 5), the partial ACK itself says
		 * so: the head goes again, unless it already went. */
		else if (seq_geq(c->snd_una, c->sb.high_rxt))
			resend_head(c);
		return;
	}
	if (c->cwnd < c->ssthresh)
		c->cwnd += acked < c->mss ? acked : c->mss;         /* slow start (ABC, L = 1) */
	else
		c->cc->on_ack(c, acked);                            /* congestion avoidance */
}

void tcp_on_duplicate_ack(struct tcp_conn *c)
{
	c->dupacks++;
	if (c->in_recovery) {
		if (!c->sack_recovery)
			c->cwnd += c->mss;          /* each dup ACK: a segment has left */
		return;
	}
	if (c->dupacks == TCP_DUPTHRESH)
		enter_recovery(c);
}

/* RFC 6675 §5 step (2): SACKed data far enough above HighACK says the
 * segment at HighACK + 1 is lost, however few duplicate ACKs counted it
 * (they may have carried data, or been lost themselves); so does a SACK of
 * a tail loss probe, however little lies above (tcp_tlp.c). Not while probing
 * a shut window: what is outstanding then is the probe, which the receiver
 * may drop, as for duplicate ACKs (RFC 9293 §3.8.6.1). */
void tcp_sack_check_loss(struct tcp_conn *c)
{
	if (!c->sack_ok || c->in_recovery || c->persist || !c->sb.n || c->snd_una == c->snd_max)
		return;
	if (tcp_sb_is_lost(&c->sb, c->snd_una, c->mss)) {
		enter_recovery(c);
	} else if (tcp_tlp_sacked(c)) {
		tp_count(c->stack, TP_STAT_TCP_TLP_RECOVERIES);
		enter_recovery(c);
	}
}

void tcp_recovery_reset(struct tcp_conn *c)
{
	c->in_recovery = 0;
	c->sack_recovery = 0;
	c->dupacks = 0;
	tcp_tlp_reset(c);
	/* RFC 2018 §8: the receiver may have reneged on what it SACKed, so
	 * after a timeout nothing unacknowledged counts as received. */
	tcp_sb_clear(&c->sb);
}

static void prr_on_ack(struct tcp_conn *c)
{
	uint32_t pipe = tcp_sack_pipe(c);
	uint64_t sndcnt;
	c->prr_delivered += c->sack_delivered;
	if (pipe > c->ssthresh) {
		/* §3: proportional - ssthresh / RecoverFS of what is delivered. */
		uint64_t fs = c->prr_recover_fs ? c->prr_recover_fs : 1;
		uint64_t due = ((uint64_t)c->prr_delivered * c->ssthresh + fs - 1) / fs;
		sndcnt = due > c->prr_out ? due - c->prr_out : 0;
	} else {
		/* PRR-SSRB: back up to ssthresh, at most one MSS faster than
		 * the ACKs deliver (slow start's pace). */
		uint64_t owed = c->prr_delivered > c->prr_out ? c->prr_delivered - c->prr_out : 0;
		uint64_t limit = (owed > c->sack_delivered ? owed : c->sack_delivered) + c->mss;
		sndcnt = c->ssthresh - pipe < limit ? c->ssthresh - pipe : limit;
	}
	c->cwnd = pipe + (uint32_t)sndcnt;
}

void tcp_recovery_on_ack(struct tcp_conn *c)
{
	prr_on_ack(c);
	/* A resend of the head is lost too once DupThresh segments sent
	 * after it are SACKed (the path keeps order, as RFC 6675's IsLost
	 * assumes): resend it rather than wait for the RTO (the idea of
	 * RFC 8985's RACK, on sequence numbers). When SND.UNA reaches a hole
	 * resent earlier, its resend time is unknown: SND.MAX now is a
	 * bound that can only make the check late, never wrong. */
	if (c->sb.head_rxt != c->snd_una && seq_lt(c->snd_una, c->sb.high_rxt)) {
		c->sb.head_rxt = c->snd_una;
		c->sb.head_rxt_fack = c->snd_max;
	}
	if (c->sb.head_rxt == c->snd_una && tcp_sb_is_lost(&c->sb, c->sb.head_rxt_fack, c->mss))
		resend_head(c);
}

uint32_t tcp_sack_pipe(const struct tcp_conn *c)
{
	return tcp_sb_pipe(&c->sb, c->snd_una, c->snd_max, c->mss);
}

int tcp_sack_send_hole(struct tcp_conn *c, int rules34)
{
	uint32_t seq, len;
	if (c->cwnd < tcp_sack_pipe(c) + c->mss)
		return 0;
	int rule = tcp_sb_next_seg(&c->sb, c->snd_una, c->snd_max, c->mss, rules34, &seq, &len);
	if (!rule)
		return 0;
	tcp_retransmit_range(c, seq, len);
	tp_count(c->stack, TP_STAT_TCP_SACK_REXMIT);
	if (rule == 4)
		c->sb.rescue_rxt = c->recover;  /* (C.4): once per recovery, HighRxt untouched */
	else
		c->sb.high_rxt = seq + len;     /* (C.2) */
	return 1;
}

uint32_t tcp_sack_skip(struct tcp_conn *c)
{
	if (!c->sb.n || c->sack_recovery || !seq_lt(c->snd_nxt, c->snd_max))
		return UINT32_MAX;
	for (uint32_t i = 0; i < c->sb.n; i++) {
		const struct tcp_sack_range *r = &c->sb.r[i];
		if (seq_leq(r->end, c->snd_nxt))
			continue;
		if (seq_gt(r->start, c->snd_nxt))
			return r->start - c->snd_nxt;
		c->snd_nxt = seq_min(r->end, c->snd_max);
	}
	return UINT32_MAX;
}
