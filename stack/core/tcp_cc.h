/*
 * tcp_cc.h - congestion control behind one small interface.
 *
 * Loss detection and recovery (fast retransmit, NewReno partial ACKs, RTO,
 * slow start) stay in the TCP core; an algorithm only decides how the window
 * grows in congestion avoidance and how far it falls on a congestion event.
 * Adding one is a file with a `struct tcp_cc` and a line in tcp_cc.c's table.
 *
 *   reno     RFC 5681: +1 MSS per window, halve on loss; Reno recovery
 *   newreno  RFC 5681 + RFC 6582: the same growth, recovery through partial ACKs
 *   cubic    RFC 9438 (the default): cubic growth around the last maximum,
 *            Reno-friendly region, beta 0.7, fast convergence; NewReno recovery
 */
#ifndef TP_TCP_CC_H
#define TP_TCP_CC_H

#include <stdint.h>

#include "tapir/tapir.h"

struct tcp_conn;

struct tcp_cc {
	const char *name;
	/* The connection is established; cwnd holds the initial window. */
	void (*init)(struct tcp_conn *c);
	/* `acked` new bytes acknowledged in congestion avoidance (cwnd >= ssthresh). */
	void (*on_ack)(struct tcp_conn *c, uint32_t acked);
	/* A congestion event (three duplicate ACKs or an RTO): the new ssthresh. */
	uint32_t (*on_loss)(struct tcp_conn *c);
	/* Partial ACKs keep fast recovery going (RFC 6582) rather than end it. */
	int newreno;
};

/* Per-connection state of the algorithms that keep any. */
struct tcp_cc_state {
	/* Reno and NewReno: bytes acknowledged towards the next +1 MSS (RFC 3465 §2.1) */
	uint32_t bytes_acked;
	/* CUBIC (RFC 9438 §4), windows in segments, times in seconds */
	double w_max, k, origin, w_est, cwnd;
	tp_time epoch;              /* start of the current congestion-avoidance epoch; 0: none */
};

extern const struct tcp_cc tcp_cc_reno, tcp_cc_newreno, tcp_cc_cubic;

/* By name ("reno", "newreno", "cubic"), or NULL. */
const struct tcp_cc *tcp_cc_find(const char *name);
/* "reno newreno cubic", for messages. */
const char *tcp_cc_names(void);

/* RFC 9438's constants and formulas, exposed for the unit tests. */
#define CUBIC_C 0.4
#define CUBIC_BETA 0.7
double cubic_k(double w_max, double cwnd_at_loss);
double cubic_window(double t, double k, double origin);

#endif
