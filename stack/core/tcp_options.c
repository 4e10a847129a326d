/* tcp_options.c - TCP options both ways (RFC 9293 §3.1, RFC 7323, RFC
 * 2018): parsing a segment's (every length checked, unknown kinds skipped),
 * building ours, and the timestamp rules - PAWS, TS.Recent and RTTM. */
#include "byteorder.h"
#include "siphash.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_seq.h"

int tcp_parse_options(const uint8_t *o, size_t n, struct tcp_seg *seg)
{
	size_t i = 0;
	seg->mss = 0;
	seg->wscale = -1;
	seg->sack_ok = 0;
	seg->has_ts = 0;
	seg->n_sack = 0;
	while (i < n) {
		uint8_t kind = o[i];
		if (kind == 0)                      /* end of option list */
			break;
		if (kind == 1) {                    /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			return -1;
		uint8_t len = o[i + 1];
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case 2:
			if (len != 4)
				return -1;
			seg->mss = get_be16(v);
			break;
		case 3:
			if (len != 3)
				return -1;
			/* RFC 7323 §2.3: a shift above 14 is taken as 14. */
			seg->wscale = (int8_t)(v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0]);
			break;
		case 4:
			if (len != 2)
				return -1;
			seg->sack_ok = 1;
			break;
		case 5:
			/* RFC 2018 §3: 1 to 4 blocks of two sequence numbers. */
			if (len < 10 || (len - 2) % 8 || (len - 2) / 8 > TCP_SACK_MAX_BLOCKS)
				return -1;
			seg->n_sack = (uint8_t)((len - 2) / 8);
			for (uint8_t b = 0; b < seg->n_sack; b++) {
				seg->sack[b][0] = get_be32(v + 8 * b);
				seg->sack[b][1] = get_be32(v + 8 * b + 4);
			}
			break;
		case 8:
			if (len != 10)
				return -1;
			seg->has_ts = 1;
			seg->ts_val = get_be32(v);
			seg->ts_ecr = get_be32(v + 4);
			break;
		default:                            /* unknown or unused here: skipped */
			break;
		}
		i += len;
	}
	return 0;
}

/* --- what we send ------------------------------------------------------------ */

/* RFC 7323 §5.4: TSval from a ms clock, offset per connection by a keyed
 * hash of the 4-tuple (the ISN's key, another input), so the clock says
 * nothing about the host's uptime or other connections. */
static uint32_t ts_offset_for(const struct tcp_conn *c)
{
	uint8_t k[13];
	put_be32(k, c->laddr);
	put_be32(k + 4, c->raddr);
	put_be16(k + 8, c->lport);
	put_be16(k + 10, c->rport);
	k[12] = 'T';
	return (uint32_t)siphash24(c->stack->tcp->isn_key, k, sizeof(k));
}

uint32_t tcp_ts_now(const struct tcp_conn *c)
{
	return (uint32_t)(c->stack->now / 1000) + c->ts_offset;
}

static size_t put_ts(const struct tcp_conn *c, uint8_t *o, uint32_t ecr)
{
	o[0] = 8;
	o[1] = 10;
	put_be32(o + 2, tcp_ts_now(c));
	put_be32(o + 6, ecr);
	return 10;
}

size_t tcp_syn_options(struct tcp_conn *c, uint8_t *o)
{
	const struct tp_stack_config *cfg = &c->stack->cfg;
	int active = c->state == TCP_SYN_SENT;
	size_t n = 0;
	uint16_t mss = (uint16_t)tcp_mss_for(c->stack, c->raddr);
	if (c->user_mss && c->user_mss < mss)
		mss = c->user_mss;
	o[n++] = 2;                         /* MSS, RFC 9293 §3.7.1 */
	o[n++] = 4;
	put_be16(o + n, mss);
	n += 2;
	/* SACK-permitted (RFC 2018 §2) and timestamps (RFC 7323 §3.2): offered
	 * on our SYN, on the SYN-ACK only if the peer offered them first. The
	 * two share one 32-bit aligned run when both go, as Linux lays them. */
	int sack = cfg->tcp_sack != TP_OFF && (active || c->sack_ok);
	int ts = cfg->tcp_timestamps != TP_OFF && (active || c->ts_ok);
	if (ts)
		c->ts_offset = ts_offset_for(c);
	if (sack) {
		o[n++] = ts ? 4 : 1;
		o[n++] = ts ? 2 : 1;
	}
	if (ts) {
		if (!sack) {
			o[n++] = 1;
			o[n++] = 1;
		}
		/* §3.2: TSecr is 0 in a SYN; a SYN-ACK echoes the peer's TSval. */
		n += put_ts(c, o + n, active ? 0 : c->ts_recent);
	} else if (sack) {
		o[n++] = 4;
		o[n++] = 2;
	}
	/* Window scale (RFC 7323 §2.2): offered on our SYN, or on the SYN-ACK
	 * only if the peer offered it first. */
	if (active || c->ws_ok) {
		o[n++] = 1;                 /* NOP to align */
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = c->rcv_wscale;
	}
	return n;
}

size_t tcp_data_options(struct tcp_conn *c, uint8_t *o, uint32_t len, int *all_sack)
{
	size_t n = 0;
	*all_sack = 1;
	if (c->ts_ok) {
		o[n++] = 1;
		o[n++] = 1;
		n += put_ts(c, o + n, c->ts_recent);
	}
	if (c->sack_ok && (c->ooo || c->dsack_pending)) {
		/* RFC 2018 §3: as many blocks as the option space holds (4, or 3
		 * with timestamps), a D-SACK among them - but a data segment
		 * stays within the peer's MSS, so a full one has room for fewer
		 * or none: then the ACK is still due, and goes on its own with
		 * them all. */
		unsigned bare = (unsigned)(TCP_OPT_MAX - n - 4) / 8, max = bare;
		if (len) {
			size_t limit = (size_t)c->mss + tcp_opt_overhead(c), used = n + len + 4;
			size_t fit = used < limit ? (limit - used) / 8 : 0;
			if (fit < max)
				max = (unsigned)fit;
		}
		int all;
		n += tcp_sack_blocks(c, o + n, max, &all);
		*all_sack = all || max == bare;
	}
	return n;
}

/* --- what we receive --------------------------------------------------------- */

void tcp_negotiate_options(struct tcp_conn *c, const struct tcp_seg *seg)
{
	const struct tp_stack_config *cfg = &c->stack->cfg;
	c->sack_ok = seg->sack_ok && cfg->tcp_sack != TP_OFF;
	c->ts_ok = seg->has_ts && cfg->tcp_timestamps != TP_OFF;
	if (c->ts_ok) {
		/* Set here too, not only with our SYN's options: a SYN cookie's
		 * child sends no SYN-ACK of its own, and this is the same value
		 * its cookie <SYN,ACK> carried. */
		c->ts_offset = ts_offset_for(c);
		c->ts_recent = seg->ts_val;
		c->ts_recent_age = c->stack->now;
	}
}

#define PAWS_IDLE TP_SEC(24 * 24 * 3600)    /* RFC 7323 §5.5: 24 days */

int tcp_paws_check(struct tcp_conn *c, const struct tcp_seg *seg)
{
	/* §5.3 R1. A RST is exempt: it may come from a peer that lost its
	 * clock with its state (§5.2). */
	if (!c->ts_ok || !seg->has_ts || (seg->flags & TCP_RST) || seq_geq(seg->ts_val, c->ts_recent))
		return 0;
	if (c->stack->now - c->ts_recent_age > PAWS_IDLE) {
		/* §5.5: idle for longer than the peer's clock may take to wrap
		 * half way, TS.Recent says nothing any more. */
		c->ts_recent = seg->ts_val;
		c->ts_recent_age = c->stack->now;
		return 0;
	}
	tp_drop(c->stack, TP_STAT_TCP_PAWS_DROPS, NULL, 0);
	return -1;
}

void tcp_ts_update_recent(struct tcp_conn *c, const struct tcp_seg *seg)
{
	/* §4.3 (3): only a segment that covers the left edge of the window
	 * (SEG.SEQ <= Last.ACK.sent), so a delayed ACK's peer is echoed the
	 * time of the oldest segment it acknowledges, and a segment beyond
	 * a gap does not move TS.Recent ahead of the retransmission. */
	if (!c->ts_ok || !seg->has_ts || seq_lt(seg->ts_val, c->ts_recent) ||
	    seq_gt(seg->seq, c->last_ack_sent))
		return;
	c->ts_recent = seg->ts_val;
	c->ts_recent_age = c->stack->now;
}

#define RTTM_MAX_MS 60000u          /* an echo older than RTO_MAX is nonsense */

int tcp_ts_rtt_sample(struct tcp_conn *c, const struct tcp_seg *seg)
{
	/* §4.1. An echo of 0 may be a peer that echoes nothing (§3.2), one
	 * from the future or from longer ago than any RTO is forged or
	 * broken: none of them is a sample. */
	if (!c->ts_ok || !seg->has_ts || !seg->ts_ecr)
		return 0;
	uint32_t rtt = tcp_ts_now(c) - seg->ts_ecr;
	if ((int32_t)rtt < 0 || rtt > RTTM_MAX_MS)
		return 0;
	tcp_rtt_sample(c, TP_MSEC(rtt));
	return 1;
}
