/*
 * tcp_sack.c - selective acknowledgments (RFC 2018): the sender's scoreboard
 * with RFC 6675's IsLost, SetPipe and NextSeg (tcp_sack.h), the blocks an ACK
 * brings (validated: a peer may send anything), and the receiver's blocks.
 */
#include <string.h>

#include "byteorder.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_seq.h"

/* --- the scoreboard --------------------------------------------------------- */

void tcp_sb_clear(struct tcp_scoreboard *sb)
{
	memset(sb, 0, sizeof(*sb));
}

uint32_t tcp_sb_insert(struct tcp_scoreboard *sb, uint32_t start, uint32_t end)
{
	if (!seq_lt(start, end))
		return 0;
	uint32_t i = 0;
	while (i < sb->n && seq_lt(sb->r[i].end, start))
		i++;
	/* Ranges i..j-1 overlap or touch [start, end): they become one. */
	uint32_t j = i, covered = 0, lo = start, hi = end;
	for (; j < sb->n && seq_leq(sb->r[j].start, end); j++) {
		uint32_t os = seq_max(sb->r[j].start, start), oe = seq_min(sb->r[j].end, end);
		if (seq_lt(os, oe))
			covered += oe - os;
		lo = seq_min(lo, sb->r[j].start);
		hi = seq_max(hi, sb->r[j].end);
	}
	if (j == i) {
		if (sb->n == TCP_SB_MAX)
			return 0;               /* forgotten: we only resend more */
		memmove(&sb->r[i + 1], &sb->r[i], (sb->n - i) * sizeof(sb->r[0]));
		sb->n++;
	} else {
		memmove(&sb->r[i + 1], &sb->r[j], (sb->n - j) * sizeof(sb->r[0]));
		sb->n -= j - i - 1;
	}
	sb->r[i].start = lo;
	sb->r[i].end = hi;
	return end - start - covered;
}

void tcp_sb_advance(struct tcp_scoreboard *sb, uint32_t una)
{
	uint32_t gone = 0;
	while (gone < sb->n && seq_leq(sb->r[gone].end, una))
		gone++;
	memmove(&sb->r[0], &sb->r[gone], (sb->n - gone) * sizeof(sb->r[0]));
	sb->n -= gone;
	if (sb->n && seq_lt(sb->r[0].start, una))
		sb->r[0].start = una;
	if (seq_lt(sb->high_rxt, una))
		sb->high_rxt = una;
}

uint32_t tcp_sb_sacked(const struct tcp_scoreboard *sb)
{
	uint32_t bytes = 0;
	for (uint32_t i = 0; i < sb->n; i++)
		bytes += sb->r[i].end - sb->r[i].start;
	return bytes;
}

int tcp_sb_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq)
{
	for (uint32_t i = 0; i < sb->n; i++)
		if (seq_geq(seq, sb->r[i].start) && seq_lt(seq, sb->r[i].end))
			return 1;
	return 0;
}

static int lost_by(uint32_t ranges, uint32_t bytes, uint32_t mss)
{
	return ranges >= TCP_DUPTHRESH || bytes > (TCP_DUPTHRESH - 1) * mss;
}

int tcp_sb_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss)
{
	uint32_t ranges = 0, bytes = 0;
	for (uint32_t i = sb->n; i-- > 0 && seq_lt(seq, sb->r[i].end);) {
		uint32_t from = seq_max(sb->r[i].start, seq + 1);
		ranges++;
		bytes += sb->r[i].end - from;
	}
	return lost_by(ranges, bytes, mss);
}

/* Walks the holes - the unSACKed stretches of [una, high_data) - from the
 * top down. Within a hole IsLost() is the same for every byte (the same
 * ranges lie above each), so each hole is lost or not as a whole. */
struct hole {
	uint32_t start, end;
	int lost;
	int below_sacked;           /* some SACKed range lies above it */
};

static uint32_t holes(const struct tcp_scoreboard *sb, uint32_t una, uint32_t high_data, uint32_t mss,
		      struct hole *out)
{
	uint32_t n = 0, ranges = 0, bytes = 0;
	for (uint32_t k = sb->n + 1; k-- > 0;) {
		uint32_t end = k < sb->n ? sb->r[k].start : high_data;
		uint32_t start = k > 0 ? sb->r[k - 1].end : una;
		if (k < sb->n) {
			ranges++;
			bytes += sb->r[k].end - sb->r[k].start;
		}
		start = seq_max(start, una);
		end = seq_min(end, high_data);
		if (seq_lt(start, end))
			out[n++] = (struct hole){start, end, lost_by(ranges, bytes, mss), ranges > 0};
	}
	return n;                       /* out[0] is the highest */
}

uint32_t tcp_sb_pipe(const struct tcp_scoreboard *sb, uint32_t una, uint32_t high_data, uint32_t mss)
{
	struct hole h[TCP_SB_MAX + 1];
	uint32_t n = holes(sb, una, high_data, mss, h), pipe = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!h[i].lost)
			pipe += h[i].end - h[i].start;
		if (seq_lt(h[i].start, sb->high_rxt))
			pipe += seq_min(h[i].end, sb->high_rxt) - h[i].start;
	}
	return pipe;
}

int tcp_sb_next_seg(const struct tcp_scoreboard *sb, uint32_t una, uint32_t high_data, uint32_t mss,
		    int rules34, uint32_t *seq, uint32_t *len)
{
	struct hole h[TCP_SB_MAX + 1];
	uint32_t n = holes(sb, una, high_data, mss, h);
	/* Rule 1, then rule 3: the lowest hole byte above HighRxt, below the
	 * highest SACKed byte (and lost, for rule 1). */
	for (int rule = 1; rule <= (rules34 ? 3 : 1); rule += 2)
		for (uint32_t i = n; i-- > 0;) {
			uint32_t start = seq_max(h[i].start, sb->high_rxt);
			if (!h[i].below_sacked || !seq_lt(start, h[i].end) || (rule == 1 && !h[i].lost))
				continue;
			*seq = start;
			*len = h[i].end - start < mss ? h[i].end - start : mss;
			return rule;
		}
	/* Rule 4: once per recovery, after HighACK passed RescueRxt, the
	 * highest unSACKed segment, in case the tail of the flight was lost. */
	if (!rules34 || !n || !seq_gt(una, sb->rescue_rxt))
		return 0;
	uint32_t top = h[0].end;
	*seq = seq_max(h[0].start, top - mss);
	*len = top - *seq;
	return 4;
}

/* --- the blocks an ACK brings ------------------------------------------------ */

/* RFC 2883 §4: a first block below the cumulative ACK, or inside the
 * second block, reports a duplicate, not a hole filled. */
int tcp_sack_is_dsack(const struct tcp_seg *seg)
{
	if (!seg->n_sack)
		return 0;
	uint32_t start = seg->sack[0][0], end = seg->sack[0][1];
	return seq_lt(start, seg->ack) || (seg->n_sack > 1 && seq_geq(start, seg->sack[1][0]) &&
					   seq_leq(end, seg->sack[1][1]) && seq_lt(start, end));
}

uint32_t tcp_sack_update(struct tcp_conn *c, const struct tcp_seg *seg, uint32_t acked)
{
	uint32_t fresh = 0;
	if (!c->sack_ok)
		return 0;
	uint32_t before = tcp_sb_sacked(&c->sb);
	tcp_sb_advance(&c->sb, c->snd_una);
	for (uint32_t i = 0; i < seg->n_sack; i++) {
		uint32_t start = seg->sack[i][0], end = seg->sack[i][1];
		if (i == 0 && tcp_sack_is_dsack(seg)) {
			tp_count(c->stack, TP_STAT_TCP_DSACK_RCVD);
			continue;
		}
		/* Only what lies within [SND.UNA, SND.MAX) can be SACKed; the
		 * rest is garbage, ignored. Offsets from SND.UNA keep the test
		 * right across the wrap. */
		uint32_t off_s = start - c->snd_una, off_e = end - c->snd_una;
		if (off_s >= off_e || off_e > c->snd_max - c->snd_una)
			continue;
		fresh += tcp_sb_insert(&c->sb, start, end);
	}
	/* RFC 6937 §3 DeliveredData: delta(SND.UNA) + delta(SACKed). */
	c->sack_delivered = acked + tcp_sb_sacked(&c->sb) - before;
	if (c->sack_recovery)
		tcp_recovery_on_ack(c);
	return fresh;
}

/* --- the receiver's blocks (RFC 2018 §4) --------------------------------------- */

static const struct tcp_ooo *run_holding(const struct tcp_conn *c, uint32_t seq)
{
	for (const struct tcp_ooo *o = c->ooo; o; o = o->next)
		if (seq_geq(seq, o->seq) && seq_lt(seq, o->seq + o->len))
			return o;
	return NULL;
}

void tcp_sack_note_arrival(struct tcp_conn *c, uint32_t seq)
{
	const struct tcp_ooo *run = run_holding(c, seq);
	uint8_t n = 0;
	uint32_t keep[TCP_SACK_MAX_BLOCKS];
	keep[n++] = seq;
	for (uint8_t i = 0; i < c->sack_recent_n && n < TCP_SACK_MAX_BLOCKS; i++)
		if (run_holding(c, c->sack_recent[i]) != run)
			keep[n++] = c->sack_recent[i];
	memcpy(c->sack_recent, keep, n * sizeof(keep[0]));
	c->sack_recent_n = n;
}

static int listed(const struct tcp_ooo *const *done, unsigned n, const struct tcp_ooo *o)
{
	for (unsigned i = 0; i < n; i++)
		if (done[i] == o)
			return 1;
	return 0;
}

void tcp_sack_note_duplicate(struct tcp_conn *c, uint32_t start, uint32_t end)
{
	/* RFC 2883 §4 (1)-(3): the duplicate bytes of the most recent segment
	 * only; a later duplicate replaces one not yet reported. */
	if (!c->sack_ok || !seq_lt(start, end))
		return;
	c->dsack = (struct tcp_sack_range){start, end};
	c->dsack_pending = 1;
	c->ack_now = 1;             /* a resend came: its sender may be waiting */
}

void tcp_sack_note_old(struct tcp_conn *c, const struct tcp_seg *seg)
{
	/* A SYN or RST here draws a challenge ACK or ends it all: no report. */
	if (!seg->len || (seg->flags & (TCP_SYN | TCP_RST)) || !seq_lt(seg->seq, c->rcv_nxt))
		return;
	uint32_t end = seg->seq + seg->len;
	tcp_sack_note_duplicate(c, seg->seq, seq_lt(end, c->rcv_nxt) ? end : c->rcv_nxt);
}

void tcp_sack_note_ooo_duplicate(struct tcp_conn *c, uint32_t seq, uint32_t len)
{
	uint32_t end = seq + len;
	for (const struct tcp_ooo *o = c->ooo; o && seq_lt(o->seq, end); o = o->next) {
		uint32_t os = seq_max(o->seq, seq), oe = seq_min(o->seq + o->len, end);
		if (seq_lt(os, oe)) {
			tcp_sack_note_duplicate(c, os, oe);
			return;
		}
	}
}

static void put_block(uint8_t *o, uint32_t start, uint32_t end)
{
	put_be32(o, start);
	put_be32(o + 4, end);
}

size_t tcp_sack_blocks(struct tcp_conn *c, uint8_t *o, unsigned max, int *all)
{
	const struct tcp_ooo *done[TCP_SACK_MAX_BLOCKS];
	unsigned n = 0, d = 0;
	if (max > TCP_SACK_MAX_BLOCKS)
		max = TCP_SACK_MAX_BLOCKS;
	/* RFC 2883 §4 (4)-(5): the D-SACK block first; when the duplicate lies
	 * in a run held above RCV.NXT, that run comes next (the latest
	 * arrival's, which it is: the duplicate just arrived). */
	if (c->dsack_pending && max) {
		put_block(o + 4, c->dsack.start, c->dsack.end);
		c->dsack_pending = 0;
		d = 1;
		tp_count(c->stack, TP_STAT_TCP_DSACK_SENT);
	}
	/* The run holding the latest arrival first, then the runs of the
	 * arrivals before it, newest first, then any others. */
	for (uint8_t i = 0; i < c->sack_recent_n && d + n < max; i++) {
		const struct tcp_ooo *run = run_holding(c, c->sack_recent[i]);
		if (run && !listed(done, n, run))
			done[n++] = run;
	}
	for (const struct tcp_ooo *r = c->ooo; r && d + n < max; r = r->next)
		if (!listed(done, n, r))
			done[n++] = r;
	*all = n == c->ooo_count && !c->dsack_pending;
	if (!d && !n)
		return 0;
	o[0] = 1;
	o[1] = 1;
	o[2] = 5;
	o[3] = (uint8_t)(2 + 8 * (d + n));
	for (unsigned i = 0; i < n; i++)
		put_block(o + 4 + 8 * (d + i), done[i]->seq, done[i]->seq + done[i]->len);
	return 4 + 8 * (d + n);
}
