/*
 * ladder_conn.c - a capture's TCP segments grouped into connections, then
 * numbered and marked the way Wireshark does: seq/ack relative to each
 * side's ISN, windows scaled when both SYNs agreed to scale, and marks for
 * what the sequence numbers betray (retransmissions, duplicate ACKs, ...).
 *
 * Grouping is by 4-tuple in either direction. A bare SYN on a 4-tuple whose
 * connection is over (tcp_infer_is_over) starts a new connection, so a
 * client that reconnects from the same port gets a second ladder.
 */
#include "ladder.h"

#include <stdlib.h>
#include <string.h>

#include "tapir/pcap.h"

static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

char *ladder_endpoint_str(uint32_t ip, unsigned port, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u:%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255, port);
	return buf;
}

/* --- 4-tuple index ------------------------------------------------------- */

static int same_tuple(const struct ladder_conn *c, const struct tp_tcp_segment *t)
{
	return (c->ip[0] == t->src_ip && c->port[0] == t->sport && c->ip[1] == t->dst_ip &&
		c->port[1] == t->dport) ||
	       (c->ip[1] == t->src_ip && c->port[1] == t->sport && c->ip[0] == t->dst_ip &&
		c->port[0] == t->dport);
}

/* The same for both directions: the two ends hashed in a fixed order. */
static size_t tuple_hash(uint32_t ip_a, unsigned port_a, uint32_t ip_b, unsigned port_b)
{
	uint64_t a = (uint64_t)ip_a << 16 | port_a, b = (uint64_t)ip_b << 16 | port_b;
	if (a > b) {
		uint64_t t = a;
		a = b;
		b = t;
	}
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + 0x7f4a7c159e3779b9ull + (a << 6));
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ h >> 32);
}

/* Index slots hold conn index + 1; 0 is empty. */
static size_t *index_slot(struct ladder_capture *cap, const struct tp_tcp_segment *t)
{
	size_t mask = cap->index_size - 1;
	size_t i = tuple_hash(t->src_ip, t->sport, t->dst_ip, t->dport) & mask;
	while (cap->index[i] && !same_tuple(&cap->conn[cap->index[i] - 1], t))
		i = (i + 1) & mask;
	return &cap->index[i];
}

static int index_grow(struct ladder_capture *cap)
{
	size_t size = cap->index_size ? cap->index_size * 2 : 64;
	size_t *old = cap->index, old_size = cap->index_size;
	cap->index = calloc(size, sizeof(*cap->index));
	if (!cap->index) {
		cap->index = old;
		return -1;
	}
	cap->index_size = size;
	/* Re-insert only each tuple's latest connection: that is what the slot
	 * held, and later connections come later in the array. */
	for (size_t i = 0; i < old_size; i++) {
		if (!old[i])
			continue;
		const struct ladder_conn *c = &cap->conn[old[i] - 1];
		struct tp_tcp_segment t = {.src_ip = c->ip[0], .sport = c->port[0],
					   .dst_ip = c->ip[1], .dport = c->port[1]};
		*index_slot(cap, &t) = old[i];
	}
	free(old);
	return 0;
}

/* --- tracking ------------------------------------------------------------ */

static struct ladder_conn *conn_new(struct ladder_capture *cap, const struct tp_tcp_segment *t)
{
	if (cap->n_conn == cap->cap_conn) {
		size_t n = cap->cap_conn ? cap->cap_conn * 2 : 8;
		struct ladder_conn *p = realloc(cap->conn, n * sizeof(*p));
		if (!p)
			return NULL;
		cap->conn = p;
		cap->cap_conn = n;
	}
	struct ladder_conn *c = &cap->conn[cap->n_conn++];
	memset(c, 0, sizeof(*c));
	/* The client is whoever sent the SYN; a SYN-ACK seen first (its SYN
	 * missed) names its receiver; mid-stream, the first sender. */
	int receiver_is_client = (t->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK);
	c->ip[0] = receiver_is_client ? t->dst_ip : t->src_ip;
	c->port[0] = receiver_is_client ? t->dport : t->sport;
	c->ip[1] = receiver_is_client ? t->src_ip : t->dst_ip;
	c->port[1] = receiver_is_client ? t->sport : t->dport;
	c->ws[0] = c->ws[1] = -1;
	c->vars_end = -1;
	tcp_infer_init(&c->infer);
	return c;
}

static struct ladder_conn *conn_for(struct ladder_capture *cap, const struct tp_tcp_segment *t)
{
	if ((cap->n_conn + 1) * 2 > cap->index_size && index_grow(cap) < 0)
		return NULL;
	size_t *slot = index_slot(cap, t);
	int bare_syn = (t->flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) == TCPF_SYN;
	if (*slot && !(bare_syn && tcp_infer_is_over(&cap->conn[*slot - 1].infer)))
		return &cap->conn[*slot - 1];
	struct ladder_conn *c = conn_new(cap, t);
	if (c)
		*slot = cap->n_conn;
	return c;
}

/* Takes back end e's latest move to CLOSE_WAIT (see tcp_infer_result). */
static void retract_close_wait(struct ladder_conn *c, int e)
{
	for (size_t i = c->n_seg - 1; i-- > 0;) {
		struct ladder_segment *s = &c->seg[i];
		for (int k = s->n_transitions - 1; k >= 0; k--) {
			if (s->transitions[k].end != e || s->transitions[k].to != TI_CLOSE_WAIT)
				continue;
			memmove(&s->transitions[k], &s->transitions[k + 1],
				(size_t)(s->n_transitions - k - 1) * sizeof(s->transitions[0]));
			s->n_transitions--;
			return;
		}
	}
}

void ladder_capture_add(struct ladder_capture *cap, uint64_t time_us, const uint8_t *frame, size_t len)
{
	struct tp_tcp_segment t;

	cap->frames++;
	if (!tp_decode_tcp(frame, len, &t))
		return;
	cap->tcp_frames++;
	struct ladder_conn *c = conn_for(cap, &t);
	if (!c)
		return;
	if (c->n_seg == c->cap_seg) {
		size_t n = c->cap_seg ? c->cap_seg * 2 : 16;
		struct ladder_segment *p = realloc(c->seg, n * sizeof(*p));
		if (!p)
			return;
		c->seg = p;
		c->cap_seg = n;
	}
	struct ladder_segment *s = &c->seg[c->n_seg++];
	memset(s, 0, sizeof(*s));
	s->time_us = time_us;
	s->frame = cap->frames - 1;
	s->tcp = t;
	s->from = !(t.src_ip == c->ip[0] && t.sport == c->port[0]);

	struct tcp_infer_segment in = {t.flags, t.seq, t.ack, t.payload_len};
	struct tcp_infer_result res;
	tcp_infer_segment(&c->infer, s->from, &in, &res);
	memcpy(s->transitions, res.t, sizeof(res.t));
	s->n_transitions = res.n;
	for (int e = 0; e < 2; e++)
		if (res.retract_close_wait & (1u << e))
			retract_close_wait(c, e);
	if (res.verdicts & TCP_INFER_RST_IGNORED)
		s->marks |= LADDER_RST_IGNORED;
	if (res.verdicts & TCP_INFER_ASSUMED)
		s->marks |= LADDER_STATE_ASSUMED;
	if (res.verdicts & TCP_INFER_SYN_IN_WINDOW)
		s->marks |= LADDER_SYN_ON_OPEN;
}

/* --- numbering and marks ------------------------------------------------- */

/* Which parts of its sequence space a side has sent: disjoint [start, end)
 * ranges of relative numbers (merged as they touch, so usually a few). */
struct ranges {
	uint32_t (*r)[2];
	size_t n, cap;
};

static int ranges_overlap(const struct ranges *rs, uint32_t s, uint32_t e)
{
	for (size_t i = 0; i < rs->n; i++)
		if (seq_lt(s, rs->r[i][1]) && seq_lt(rs->r[i][0], e))
			return 1;
	return 0;
}

static void ranges_add(struct ranges *rs, uint32_t s, uint32_t e)
{
	/* Merge with every range it touches; bulk transfers stay one range. */
	size_t w = 0;
	for (size_t i = 0; i < rs->n; i++) {
		if (!seq_lt(e, rs->r[i][0]) && !seq_lt(rs->r[i][1], s)) {
			if (seq_lt(rs->r[i][0], s))
				s = rs->r[i][0];
			if (seq_lt(e, rs->r[i][1]))
				e = rs->r[i][1];
		} else {
			rs->r[w][0] = rs->r[i][0];
			rs->r[w][1] = rs->r[i][1];
			w++;
		}
	}
	rs->n = w;
	if (rs->n == rs->cap) {
		size_t n = rs->cap ? rs->cap * 2 : 8;
		void *p = realloc(rs->r, n * sizeof(*rs->r));
		if (!p)
			return;
		rs->r = p;
		rs->cap = n;
	}
	rs->r[rs->n][0] = s;
	rs->r[rs->n][1] = e;
	rs->n++;
}

/* Where relative numbering starts for each side, and window scaling. */
static void conn_bases(struct ladder_conn *c)
{
	int known[2] = {0, 0}, from_syn[2] = {0, 0};
	for (size_t i = 0; i < c->n_seg; i++) {
		const struct ladder_segment *s = &c->seg[i];
		const struct tp_tcp_segment *t = &s->tcp;
		int me = s->from;
		if ((t->flags & TCPF_SYN) && !from_syn[me]) {
			c->base[me] = t->seq;   /* the ISN: the SYN's seq is relative 0 */
			known[me] = from_syn[me] = 1;
			c->ws[me] = t->has_ws ? (int)(t->ws > 14 ? 14 : t->ws) : -1;
		} else if (!known[me]) {
			c->base[me] = t->seq - 1;  /* as if its SYN came just before */
			known[me] = 1;
		}
		if ((t->flags & TCPF_ACK) && !known[!me]) {
			c->base[!me] = t->ack - 1;
			known[!me] = 1;
		}
	}
	c->scaling = from_syn[0] && from_syn[1] && c->ws[0] >= 0 && c->ws[1] >= 0;
}

struct side_track {
	struct ranges sent;
	int sent_any, acked_any, max_ack_known, syn_ack_sent;
	uint32_t hi;                    /* highest relative seq end sent */
	uint32_t last_ack, max_ack;     /* relative to the peer's base */
	uint64_t last_win;
	int win_known;
	unsigned dup_acks;
};

static void mark_sequence(struct ladder_segment *s, struct side_track *me, const struct side_track *peer)
{
	const struct tp_tcp_segment *t = &s->tcp;
	uint32_t len = (uint32_t)t->payload_len;
	uint32_t start = s->rel_seq, end = start + len + !!(t->flags & TCPF_SYN) + !!(t->flags & TCPF_FIN);
	int plain = !(t->flags & (TCPF_SYN | TCPF_FIN | TCPF_RST));                 /* no SYN, FIN, RST */
	int peer_window_shut = peer->win_known && peer->last_win == 0;

	/* A RST occupies no sequence space; a stray SYN's is not this connection's. */
	if (t->flags & TCPF_RST || s->marks & LADDER_SYN_ON_OPEN)
		return;
	if (plain && len <= 1 && me->sent_any && start + 1 == me->hi && peer->max_ack_known &&
	    peer->max_ack == me->hi) {
		/* One byte below the next, all sent acknowledged (RFC 1122
		 * §4.2.3.6): a keep-alive, or the same trick as a zero-window probe. */
		s->marks |= peer_window_shut ? LADDER_WINDOW_PROBE : LADDER_KEEPALIVE;
		return;
	}
	if (start == end)
		return;
	/* A SYN-ACK after one's own SYN (simultaneous open) repeats the SYN by
	 * design (RFC 9293 §3.5 figure 8), it does not resend it. */
	int answers_own_syn = (t->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK) && !me->syn_ack_sent;
	if ((t->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK))
		me->syn_ack_sent = 1;
	/* Below data already sent but never seen itself: out of order, unless
	 * the peer asked for exactly it with three duplicate ACKs - then it is
	 * a fast retransmission whose first copy was lost before the capture
	 * point (a one-point capture cannot tell more). */
	int below = me->sent_any && seq_lt(start, me->hi);
	int asked_for = peer->dup_acks >= 3 && peer->last_ack == start;
	if (answers_own_syn)
		;
	else if (peer_window_shut && plain)
		s->marks |= LADDER_WINDOW_PROBE;
	else if (ranges_overlap(&me->sent, start, end) || (below && asked_for))
		s->marks |= LADDER_RETRANSMISSION | (asked_for ? LADDER_FAST_RETRANSMIT : 0);
	else if (below)
		s->marks |= LADDER_OUT_OF_ORDER;
	else if (me->sent_any && seq_lt(me->hi, start))
		s->marks |= LADDER_GAP;
	ranges_add(&me->sent, start, end);
	if (!me->sent_any || seq_lt(me->hi, end))
		me->hi = end;
	me->sent_any = 1;
}

static void mark_ack(struct ladder_segment *s, struct side_track *me, const struct side_track *peer)
{
	const struct tp_tcp_segment *t = &s->tcp;
	if (!(t->flags & TCPF_ACK))
		return;
	if (!me->max_ack_known || seq_lt(me->max_ack, s->rel_ack))
		me->max_ack = s->rel_ack;
	me->max_ack_known = 1;
	if (t->flags & TCPF_RST)            /* a RST,ACK acknowledges, but is no duplicate */
		return;
	/* RFC 5681 §2: no data, no SYN/FIN, same ack and window as the last
	 * ACK, and the peer has data outstanding. A zero window repeated is the
	 * answer to a probe, not a sign of loss. */
	int pure = t->payload_len == 0 && !(t->flags & (TCPF_SYN | TCPF_FIN));
	if (pure && me->acked_any && s->rel_ack == me->last_ack && me->win_known &&
	    s->win == me->last_win && s->win != 0 && peer->sent_any && seq_lt(s->rel_ack, peer->hi)) {
		s->marks |= LADDER_DUP_ACK;
		s->dup_ack_count = ++me->dup_acks;
	} else if (!me->acked_any || s->rel_ack != me->last_ack) {
		me->dup_acks = 0;
	}
	me->last_ack = s->rel_ack;
	me->acked_any = 1;
}

static void conn_finish(struct ladder_conn *c)
{
	struct side_track side[2];

	conn_bases(c);
	memset(side, 0, sizeof(side));
	for (size_t i = 0; i < c->n_seg; i++) {
		struct ladder_segment *s = &c->seg[i];
		const struct tp_tcp_segment *t = &s->tcp;
		int me = s->from;
		s->rel_seq = t->seq - c->base[me];
		s->rel_ack = t->flags & TCPF_ACK ? t->ack - c->base[!me] : 0;
		for (unsigned b = 0; b < t->n_sack; b++) {
			s->rel_sack[b][0] = t->sack[b][0] - c->base[!me];
			s->rel_sack[b][1] = t->sack[b][1] - c->base[!me];
		}
		/* RFC 7323 §2.2: a SYN's window is never scaled. */
		s->win = c->scaling && !(t->flags & TCPF_SYN) ? (uint64_t)t->win << c->ws[me] : t->win;
		if (t->win == 0 && !(t->flags & TCPF_RST))
			s->marks |= LADDER_ZERO_WINDOW;
		mark_sequence(s, &side[me], &side[!me]);
		mark_ack(s, &side[me], &side[!me]);
		if (!(t->flags & TCPF_RST)) {
			side[me].last_win = s->win;
			side[me].win_known = 1;
		}
	}
	/* Never acknowledged: what the peer's highest ACK does not cover. */
	for (size_t i = 0; i < c->n_seg; i++) {
		struct ladder_segment *s = &c->seg[i];
		const struct tp_tcp_segment *t = &s->tcp;
		uint32_t end = s->rel_seq + (uint32_t)t->payload_len + !!(t->flags & TCPF_SYN) +
			       !!(t->flags & TCPF_FIN);
		const struct side_track *peer = &side[!s->from];
		if (!(t->flags & TCPF_RST) && end != s->rel_seq &&
		    !(s->marks & (LADDER_KEEPALIVE | LADDER_SYN_ON_OPEN)) &&
		    (!peer->max_ack_known || seq_lt(peer->max_ack, end)))
			s->marks |= LADDER_UNACKED;
	}
	free(side[0].sent.r);
	free(side[1].sent.r);
}

void ladder_capture_finish(struct ladder_capture *cap)
{
	for (size_t i = 0; i < cap->n_conn; i++)
		conn_finish(&cap->conn[i]);
}

void ladder_capture_free(struct ladder_capture *cap)
{
	for (size_t i = 0; i < cap->n_conn; i++) {
		struct ladder_conn *c = &cap->conn[i];
		for (size_t j = 0; j < c->n_seg; j++) {
			for (size_t k = 0; k < c->seg[j].n_annotations; k++) {
				free(c->seg[j].annotations[k].name);
				free(c->seg[j].annotations[k].value);
			}
			free(c->seg[j].annotations);
		}
		free(c->seg);
	}
	free(cap->conn);
	free(cap->index);
	memset(cap, 0, sizeof(*cap));
}

int ladder_capture_read(struct ladder_capture *cap, const char *path, char *err, size_t errlen)
{
	struct tp_pcap_reader *r = tp_pcap_reader_open(path, err, errlen);
	if (!r)
		return -1;
	int rc;
	tp_time t;
	const uint8_t *frame;
	size_t len;
	char why[200] = "";
	while ((rc = tp_pcap_reader_next(r, &t, &frame, &len, why, sizeof(why))) == 1)
		ladder_capture_add(cap, t, frame, len);
	tp_pcap_reader_close(r);
	ladder_capture_finish(cap);
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc < 0 ? -1 : 0;
}
