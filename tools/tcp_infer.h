/*
 * tcp_infer.h - both endpoints' TCP states, inferred from the segments one
 * capture point saw, by the RFC 9293 state diagram (§3.3.2, figure 5).
 *
 * A capture shows segments, not states, so this is a model of what each
 * end must have done to send and receive them. It assumes a segment
 * reaches its receiver in capture order and is processed when captured
 * (a one-point capture cannot tell in-flight crossings apart, except a
 * SYN answered by a bare SYN, which can only be a simultaneous open).
 * Likewise crossed FINs: a FIN that does not acknowledge the peer's FIN,
 * captured earlier, was sent before that FIN arrived (simultaneous close).
 * An end whose first state cannot be known (a capture started mid-stream,
 * a host that never answered) stays TI_UNKNOWN until its own segments
 * show it: a SYN-ACK means it was listening, a RST that it had no
 * connection, data or an ACK that it was established.
 *
 * No I/O and no allocation: tests/tools/test_tcp_infer.c drives it
 * segment by segment.
 */
#ifndef TAPIR_TOOLS_TCP_INFER_H
#define TAPIR_TOOLS_TCP_INFER_H

#include <stddef.h>
#include <stdint.h>

enum ti_state {
	TI_UNKNOWN,
	TI_CLOSED,
	TI_LISTEN,
	TI_SYN_SENT,
	TI_SYN_RECEIVED,
	TI_ESTABLISHED,
	TI_FIN_WAIT_1,
	TI_FIN_WAIT_2,
	TI_CLOSE_WAIT,
	TI_CLOSING,
	TI_LAST_ACK,
	TI_TIME_WAIT,
};

/* "SYN_RECEIVED", ..., "?" for TI_UNKNOWN. */
const char *ti_state_name(enum ti_state s);

/* TCP header flag bits, as in the header's 13th byte. */
enum {
	TCPF_FIN = 0x01, TCPF_SYN = 0x02, TCPF_RST = 0x04, TCPF_PSH = 0x08,
	TCPF_ACK = 0x10, TCPF_URG = 0x20, TCPF_ECE = 0x40, TCPF_CWR = 0x80,
};

/* What the model keeps about one end: the sequence numbers it used and saw. */
struct tcp_infer_end {
	enum ti_state state;
	enum ti_state first;            /* the state it was in before its first segment */
	int assumed;                    /* first state guessed (handshake not captured) */
	int sent_any, isn_known, fin_sent, acked_any, fin_received;
	uint32_t isn;                   /* seq of its SYN */
	uint32_t snd_nxt;               /* highest seq + len (+SYN/FIN) it sent */
	uint32_t fin_end;               /* seq just after its FIN */
	uint32_t last_ack;              /* the ack it last sent: its RCV.NXT as announced */
	/* Heard while its state was unknown, applied once its own segments show it. */
	int peer_syn_pending, peer_fin_pending;
	/* Moved to CLOSE_WAIT by a FIN it has not acknowledged yet: if its own
	 * FIN then fails to acknowledge it, the two FINs crossed. */
	int close_wait_unconfirmed;
};

struct tcp_infer {
	struct tcp_infer_end end[2];    /* [0] the client (sent the first SYN), [1] the server */
};

/* One segment, as the inference needs it. */
struct tcp_infer_segment {
	unsigned flags;                 /* TCPF_* */
	uint32_t seq, ack;
	size_t len;                     /* data bytes */
};

/* A change of one end's state. at_arrival says when it happens: 0 as the
 * segment is sent (the sender's change), 1 as it is received. */
struct tcp_transition {
	int end;
	int at_arrival;
	enum ti_state from, to;
	const char *why;                /* e.g. "FIN received"; a static string */
};

/* Verdicts about the segment beyond state changes. */
enum {
	TCP_INFER_RST_IGNORED = 1,      /* RST whose seq is not the receiver's RCV.NXT (RFC 5961 §3.2) */
	TCP_INFER_ASSUMED = 2,          /* the sender's state was assumed (handshake not captured) */
	TCP_INFER_SYN_IN_WINDOW = 4,    /* a new SYN on a synchronized connection (RFC 5961 §4) */
};

#define TCP_INFER_MAX_TRANSITIONS 6

struct tcp_infer_result {
	struct tcp_transition t[TCP_INFER_MAX_TRANSITIONS];
	int n;
	unsigned verdicts;              /* TCP_INFER_* */
	/* Bit e set: end e's latest move to CLOSE_WAIT, reported for an
	 * earlier segment, did not happen (the FINs crossed: this segment's
	 * transitions say what did). The caller removes it from that segment. */
	unsigned retract_close_wait;
};

void tcp_infer_init(struct tcp_infer *inf);

/* Feeds one segment sent by end `from` (0 or 1) to the other; res gets the
 * state changes it caused, in the order they happen. */
void tcp_infer_segment(struct tcp_infer *inf, int from, const struct tcp_infer_segment *seg,
		       struct tcp_infer_result *res);

/* True when neither end holds the connection open any more (each is
 * CLOSED, TIME_WAIT, or never showed a state), so a new SYN on the same
 * addresses and ports starts a new connection. */
int tcp_infer_is_over(const struct tcp_infer *inf);

#endif
