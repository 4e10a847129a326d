/*
 * tcp_infer.c - the RFC 9293 state diagram run forwards over a capture.
 * Each segment is applied twice: as sent (its sender's arcs: SYN, SYN-ACK,
 * FIN, RST) and as received (the receiver's: ACK of SYN or FIN, FIN, RST).
 * Receiving is checked in the RFC's order (§3.10.7.4: RST first, then ACK,
 * then FIN), so a FIN that also acknowledges our FIN takes FIN_WAIT_1
 * straight to TIME_WAIT as the diagram draws it.
 */
#include "tcp_infer.h"

#include <string.h>

const char *ti_state_name(enum ti_state s)
{
	switch (s) {
	case TI_UNKNOWN: return "?";
	case TI_CLOSED: return "CLOSED";
	case TI_LISTEN: return "LISTEN";
	case TI_SYN_SENT: return "SYN_SENT";
	case TI_SYN_RECEIVED: return "SYN_RECEIVED";
	case TI_ESTABLISHED: return "ESTABLISHED";
	case TI_FIN_WAIT_1: return "FIN_WAIT_1";
	case TI_FIN_WAIT_2: return "FIN_WAIT_2";
	case TI_CLOSE_WAIT: return "CLOSE_WAIT";
	case TI_CLOSING: return "CLOSING";
	case TI_LAST_ACK: return "LAST_ACK";
	case TI_TIME_WAIT: return "TIME_WAIT";
	}
	return "?";
}

/* Sequence space wraps: compare by signed distance (RFC 9293 §3.4). */
static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

void tcp_infer_init(struct tcp_infer *inf)
{
	memset(inf, 0, sizeof(*inf));
	/* TI_UNKNOWN is 0: both ends start unknown. */
}

static void move(struct tcp_infer *inf, struct tcp_infer_result *res, int end, int at_arrival,
		 enum ti_state to, const char *why)
{
	struct tcp_infer_end *e = &inf->end[end];
	if (e->state == to)
		return;
	if (res->n < TCP_INFER_MAX_TRANSITIONS)
		res->t[res->n++] = (struct tcp_transition){end, at_arrival, e->state, to, why};
	e->state = to;
}

/* The synchronized states, where sequence numbers are checked (§3.10.7.4). */
static int synchronized(enum ti_state s)
{
	return s >= TI_SYN_RECEIVED;
}

/* An end whose first state is unknown shows it by what it sends. */
static void resolve_sender(struct tcp_infer_end *e, unsigned flags, struct tcp_infer_result *res)
{
	if (e->state != TI_UNKNOWN)
		return;
	if (flags & TCPF_SYN)
		e->first = flags & TCPF_ACK ? TI_LISTEN : TI_CLOSED;
	else if (flags & TCPF_RST)
		e->first = TI_CLOSED;  /* a RST as first word: there was no connection */
	else {
		e->first = TI_ESTABLISHED;
		e->assumed = 1;
		res->verdicts |= TCP_INFER_ASSUMED;
	}
	e->state = e->first;
}

/* Would the receiver accept this RST? In SYN_SENT only if it acknowledges
 * our SYN (§3.10.7.3); in a synchronized state only if its seq is exactly
 * RCV.NXT (RFC 5961 §3.2: anything else in the window draws a challenge
 * ACK, outside it is dropped). The capture gives two estimates of RCV.NXT:
 * the ack the receiver last sent, and where the sender's data ends. */
static int rst_acceptable(const struct tcp_infer_end *rcv, const struct tcp_infer_end *snd,
			  const struct tcp_infer_segment *seg)
{
	switch (rcv->state) {
	case TI_SYN_SENT:       /* SND.UNA < SEG.ACK =< SND.NXT */
		return (seg->flags & TCPF_ACK) && rcv->isn_known && seq_lt(rcv->isn, seg->ack) &&
		       seq_le(seg->ack, rcv->snd_nxt);
	case TI_UNKNOWN:
	case TI_CLOSED:
	case TI_LISTEN:
		return 0;
	default:
		return (rcv->acked_any && seg->seq == rcv->last_ack) ||
		       (snd->sent_any && seg->seq == snd->snd_nxt) ||
		       (!rcv->acked_any && !snd->sent_any);
	}
}

static void on_rst(struct tcp_infer *inf, int from, const struct tcp_infer_segment *seg,
		   struct tcp_infer_result *res)
{
	struct tcp_infer_end *snd = &inf->end[from], *rcv = &inf->end[!from];
	if (rst_acceptable(rcv, snd, seg)) {
		move(inf, res, from, 0, TI_CLOSED, "RST sent");
		if (rcv->state == TI_SYN_SENT)
			move(inf, res, !from, 1, TI_CLOSED, "RST received: connection refused");
		else if (rcv->state == TI_SYN_RECEIVED && rcv->first == TI_LISTEN)
			move(inf, res, !from, 1, TI_LISTEN, "RST received: back to LISTEN");
		else
			move(inf, res, !from, 1, TI_CLOSED, "RST received");
		return;
	}
	if (synchronized(rcv->state))
		res->verdicts |= TCP_INFER_RST_IGNORED;
	/* Answering a segment for a connection the receiver does not know
	 * (LISTEN, CLOSED), the sender had none either; a RST the receiver
	 * ignores leaves the sender where it was (a spoof, or a test). */
	if (!synchronized(rcv->state))
		move(inf, res, from, 0, TI_CLOSED, "RST sent");
}

static void on_send(struct tcp_infer *inf, int from, const struct tcp_infer_segment *seg,
		    struct tcp_infer_result *res)
{
	struct tcp_infer_end *snd = &inf->end[from];
	unsigned f = seg->flags;

	if ((f & TCPF_SYN) && !(f & TCPF_ACK)) {
		/* A SYN on a connection the receiver holds open: RFC 5961 §4
		 * answers it with a challenge ACK, nothing changes state. */
		if (synchronized(inf->end[!from].state) && !(snd->isn_known && seg->seq == snd->isn))
			res->verdicts |= TCP_INFER_SYN_IN_WINDOW;
		if (snd->state == TI_CLOSED) {
			move(inf, res, from, 0, TI_SYN_SENT, "SYN sent: active open");
			if (snd->peer_syn_pending)  /* the peer's SYN was in flight: they crossed */
				move(inf, res, from, 0, TI_SYN_RECEIVED,
				     "their SYN crossed ours: simultaneous open");
			snd->peer_syn_pending = 0;
		}
	} else if (f & TCPF_SYN) {
		if (snd->state == TI_LISTEN)
			move(inf, res, from, 0, TI_SYN_RECEIVED, "SYN received, SYN-ACK sent");
		else if (snd->state == TI_SYN_SENT)
			move(inf, res, from, 0, TI_SYN_RECEIVED, "SYN received: simultaneous open");
		snd->peer_syn_pending = 0;
	}
	const struct tcp_infer_end *peer = &inf->end[!from];
	int acks_peer_fin = peer->fin_sent && (f & TCPF_ACK) && seq_le(peer->fin_end, seg->ack);
	if (snd->close_wait_unconfirmed && acks_peer_fin)
		snd->close_wait_unconfirmed = 0;
	if (snd->close_wait_unconfirmed && (f & TCPF_FIN) && snd->state == TI_CLOSE_WAIT) {
		/* Our FIN left before theirs arrived: RFC 9293 figure 13. */
		res->retract_close_wait |= 1u << from;
		snd->state = TI_ESTABLISHED;
		snd->close_wait_unconfirmed = 0;
		move(inf, res, from, 0, TI_FIN_WAIT_1, "FIN sent: active close");
		move(inf, res, from, 0, TI_CLOSING, "their FIN crossed ours: simultaneous close");
		return;
	}
	if (snd->peer_fin_pending && snd->state == TI_ESTABLISHED) {
		move(inf, res, from, 0, TI_CLOSE_WAIT, "FIN received");
		snd->peer_fin_pending = 0;
		snd->fin_received = 1;
	}
	if (f & TCPF_FIN) {
		if (snd->state == TI_ESTABLISHED || snd->state == TI_SYN_RECEIVED)
			move(inf, res, from, 0, TI_FIN_WAIT_1, "FIN sent: active close");
		else if (snd->state == TI_CLOSE_WAIT)
			move(inf, res, from, 0, TI_LAST_ACK, "FIN sent");
	}
}

static void on_receive(struct tcp_infer *inf, int from, const struct tcp_infer_segment *seg,
		       struct tcp_infer_result *res)
{
	struct tcp_infer_end *rcv = &inf->end[!from];
	int to = !from;
	unsigned f = seg->flags;
	int fin_acked = rcv->fin_sent && (f & TCPF_ACK) && seq_le(rcv->fin_end, seg->ack);
	int syn_acked = rcv->isn_known && (f & TCPF_ACK) && seq_lt(rcv->isn, seg->ack);

	if (rcv->state == TI_UNKNOWN) {
		/* Kept until its own segments say what it was. */
		if ((f & TCPF_SYN) && !(f & TCPF_ACK))
			rcv->peer_syn_pending = 1;
		if (f & TCPF_FIN)
			rcv->peer_fin_pending = 1;
		return;
	}
	if (f & TCPF_SYN) {
		if (!(f & TCPF_ACK) && rcv->state == TI_SYN_SENT)
			move(inf, res, to, 1, TI_SYN_RECEIVED, "SYN received: simultaneous open");
		else if ((f & TCPF_ACK) && syn_acked &&
			 (rcv->state == TI_SYN_SENT || rcv->state == TI_SYN_RECEIVED))
			move(inf, res, to, 1, TI_ESTABLISHED, "SYN-ACK received");
	} else if (syn_acked && rcv->state == TI_SYN_RECEIVED) {
		move(inf, res, to, 1, TI_ESTABLISHED, "ACK of SYN received");
	}

	if (fin_acked) {
		if (rcv->state == TI_FIN_WAIT_1 && (f & TCPF_FIN) && !rcv->fin_received)
			move(inf, res, to, 1, TI_TIME_WAIT, "FIN and ACK of FIN received");
		else if (rcv->state == TI_FIN_WAIT_1)
			move(inf, res, to, 1, TI_FIN_WAIT_2, "ACK of FIN received");
		else if (rcv->state == TI_CLOSING)
			move(inf, res, to, 1, TI_TIME_WAIT, "ACK of FIN received");
		else if (rcv->state == TI_LAST_ACK)
			move(inf, res, to, 1, TI_CLOSED, "ACK of FIN received");
	}
	if ((f & TCPF_FIN) && !rcv->fin_received) {
		if (rcv->state == TI_ESTABLISHED) {
			move(inf, res, to, 1, TI_CLOSE_WAIT, "FIN received: passive close");
			rcv->close_wait_unconfirmed = 1;
		}
		else if (rcv->state == TI_FIN_WAIT_1)
			move(inf, res, to, 1, TI_CLOSING, "FIN received: simultaneous close");
		else if (rcv->state == TI_FIN_WAIT_2)
			move(inf, res, to, 1, TI_TIME_WAIT, "FIN received");
		/* A FIN before the handshake completes is not processed (§3.10.7.4). */
		if (synchronized(rcv->state) && rcv->state != TI_SYN_RECEIVED)
			rcv->fin_received = 1;
	}
}

void tcp_infer_segment(struct tcp_infer *inf, int from, const struct tcp_infer_segment *seg,
		       struct tcp_infer_result *res)
{
	struct tcp_infer_end *snd = &inf->end[from & 1];
	unsigned f = seg->flags;
	uint32_t seq_end = seg->seq + (uint32_t)seg->len + !!(f & TCPF_SYN) + !!(f & TCPF_FIN);

	from &= 1;
	memset(res, 0, sizeof(*res));
	resolve_sender(snd, f, res);
	if (f & TCPF_RST) {
		on_rst(inf, from, seg, res);
	} else {
		on_send(inf, from, seg, res);
		on_receive(inf, from, seg, res);
	}

	/* What the segment tells about its sender's numbers, for later segments. */
	if ((f & TCPF_SYN) && !snd->isn_known) {
		snd->isn_known = 1;
		snd->isn = seg->seq;
	}
	if ((f & TCPF_FIN) && !snd->fin_sent && !(f & TCPF_RST)) {
		snd->fin_sent = 1;
		snd->fin_end = seq_end;
	}
	int stray = res->verdicts & TCP_INFER_SYN_IN_WINDOW;   /* not this connection's numbers */
	if (!(f & TCPF_RST) && !stray && (!snd->sent_any || seq_lt(snd->snd_nxt, seq_end))) {
		snd->snd_nxt = seq_end;
		snd->sent_any = 1;
	}
	if (f & TCPF_ACK) {
		snd->last_ack = seg->ack;
		snd->acked_any = 1;
	}
}

int tcp_infer_is_over(const struct tcp_infer *inf)
{
	for (int i = 0; i < 2; i++) {
		enum ti_state s = inf->end[i].state;
		if (s != TI_CLOSED && s != TI_TIME_WAIT && s != TI_UNKNOWN && s != TI_LISTEN)
			return 0;
	}
	return 1;
}
