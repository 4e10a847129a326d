/*
 * tcp_tlp.c - the tail loss probe of RFC 8985 §7. When the last segments of
 * a flight are lost, no duplicate ACK or SACK comes back to start a fast
 * recovery, and only the RTO (200 ms at least) would resend them. A probe
 * timeout (PTO) of about two round trips sends one segment - new data, or
 * the last one again - whose ACK brings the SACK that starts recovery, or
 * acknowledges everything when the probe itself was the repair.
 *
 * Without RACK's per-segment send times (§6), the probe's SACK stands for
 * RACK's test: everything still unacknowledged below the probe went at
 * least a PTO (2 SRTT) before it, far longer ago than RACK's reordering
 * window (at most SRTT), so RACK would call it lost.
 */
#include "stack.h"
#include "tcp.h"
#include "tcp_seq.h"

#define TLP_MIN_PTO TP_MSEC(10)     /* RFC 8985 §7.2 */
#define TLP_WC_DELACK TP_MSEC(200)  /* WCDelAckT, the peer's delayed ACK at worst (§7.2) */

/* §7.2: SACK, an established connection, data in flight, not in recovery
 * (fast or after an RTO), no probe of old data unanswered. And the peer has
 * acknowledged some of our data: until then it may hold no connection at
 * all, to be rebuilt from a SYN cookie by the first segment to arrive, which
 * must then be the one at ISN + 1 (RFC 4987 §3.6), not a probe of the last. */
static int probe_allowed(const struct tcp_conn *c)
{
	return c->sack_ok && (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) &&
	       !c->in_recovery && !c->persist && !c->backoff && !c->tlp_rxt_out && c->srtt &&
	       c->snd_una != c->snd_max && c->snd_nxt == c->snd_max && c->snd_una != c->iss + 1;
}

tp_time tcp_tlp_timeout(const struct tcp_conn *c, tp_time rto)
{
	if (!probe_allowed(c))
		return 0;
	tp_time pto = 2 * c->srtt;
	/* One segment in flight: its ACK may wait for the peer's delayed-ACK
	 * timer, which must not pass for a loss. */
	if (c->snd_max - c->snd_una <= c->mss)
		pto += TLP_WC_DELACK;
	if (pto < TLP_MIN_PTO)
		pto = TLP_MIN_PTO;
	return pto < rto ? pto : rto;
}

/* §7.3: new data if the peer's window lets some go, else the highest
 * segment again; cwnd unchanged; then the RTO. */
void tcp_tlp_fire(struct tcp_conn *c)
{
	c->tlp_pto = 0;
	if (!probe_allowed(c)) {
		tcp_arm_rto(c);
		return;
	}
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t high = c->snd_max;
	if (c->sndbuf.len > flight && c->snd_wnd > flight) {
		/* One segment beyond cwnd: tcp_output()'s rules (the peer's
		 * window, Nagle, SWS) still decide whether it can go. */
		uint32_t cwnd = c->cwnd;
		c->cwnd = flight + c->mss;
		tcp_output(c);
		c->cwnd = cwnd;
	}
	if (c->snd_max != high) {
		c->tlp_seq = high;
	} else {
		uint32_t len = flight < c->mss ? flight : c->mss;
		c->tlp_seq = high - len;
		tcp_retransmit_range(c, c->tlp_seq, len);
		c->tlp_rxt_out = 1;
	}
	c->tlp_probe_out = 1;
	c->tlp_high_rxt = c->snd_max;
	tp_count(c->stack, TP_STAT_TCP_TLP_PROBES);
	tcp_arm_rto(c);
}

int tcp_tlp_sacked(const struct tcp_conn *c)
{
	return c->tlp_probe_out && seq_lt(c->snd_una, c->tlp_seq) && tcp_sb_is_sacked(&c->sb, c->tlp_seq);
}

/* §7.4: a probe that resent old data and is answered with no D-SACK (nor a
 * plain duplicate ACK, a receiver's answer to a duplicate without D-SACK)
 * repaired a loss that no recovery saw: a congestion event all the same. An
 * ACK of exactly TLPHighRxt may be the original's, with the probe's
 * duplicate still to come: it waits for the next one. */
void tcp_tlp_on_ack(struct tcp_conn *c, const struct tcp_seg *seg, int advanced)
{
	if (seq_geq(c->snd_una, c->tlp_high_rxt))
		c->tlp_probe_out = 0;
	if (!c->tlp_rxt_out || seq_lt(seg->ack, c->tlp_high_rxt))
		return;
	int dup = !advanced && seg->ack == c->tlp_high_rxt && !seg->n_sack && !seg->len;
	if (tcp_sack_is_dsack(seg) || dup) {
		tcp_tlp_reset(c);
		return;
	}
	if (seg->ack == c->tlp_high_rxt)
		return;
	tcp_tlp_reset(c);
	if (c->in_recovery)
		return;
	tp_count(c->stack, TP_STAT_TCP_TLP_RECOVERIES);
	c->ssthresh = c->cc->on_loss(c);
	c->cwnd = c->ssthresh;
}

void tcp_tlp_reset(struct tcp_conn *c)
{
	c->tlp_probe_out = 0;
	c->tlp_rxt_out = 0;
}
