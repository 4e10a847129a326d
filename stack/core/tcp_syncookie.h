/*
 * tcp_syncookie.h - SYN cookies (RFC 4987 §3.6): when a listener's SYN queue
 * is full, the SYN is answered with a <SYN,ACK> whose ISN encodes what the
 * connection needs, and nothing is kept. The peer's ACK (ack - 1 = the
 * cookie) proves it received that <SYN,ACK> and rebuilds the connection.
 *
 * The cookie, 32 bits (the ISN), before whitening:
 *
 *   31                    9   8   7  5 4     1   0
 *   +---------------------+---+-----+-------+---+
 *   | authenticator (23)  | t | mss | wscale| S |
 *   +---------------------+---+-----+-------+---+
 *
 *   t        the low bit of the time counter (64 s units) it was made in:
 *            says which of the current and previous counters to check it
 *            against, so a cookie lives 64 to 128 s (Linux: 60 to 120 s)
 *   mss      an index into an 8-entry table of MSS values: the largest
 *            not above the peer's MSS (never more than it can take)
 *   wscale   the peer's window scale 0..14, or 15: it sent none
 *   S        the peer sent SACK-permitted
 *   auth     SipHash-2-4 under a secret key over the 4-tuple, the peer's
 *            ISN, the time counter and the 9 bits above, cut to 23 bits
 *
 * and the whole word is then added to a second keyed hash of the 4-tuple
 * and the peer's ISN, so our ISNs show no pattern and leak nothing.
 *
 * Linux keeps only the MSS (2 bits) in the ISN and puts window scale and
 * SACK in the timestamp option, so without timestamps it loses them. Here
 * they cost 5 bits of the authenticator instead. The trade-off, in numbers:
 * a blind attacker's forged ACK is accepted with odds 2^-23 (1 in 8.4
 * million), against Linux's ~2^-24 per try; at 100 000 forged ACKs a second
 * one lands every ~84 s, and what it buys is one connection the attacker
 * cannot see (the <SYN,ACK> went to the spoofed address), which the
 * accept-queue limit, the socket limit and the memory budget still bound.
 * Timestamps, when negotiated, need no bit: a peer sends them on its ACK
 * only if both SYNs carried them.
 */
#ifndef TP_TCP_SYNCOOKIE_H
#define TP_TCP_SYNCOOKIE_H

#include <stdint.h>

#include "tcp.h"

#define SYNCOOKIE_PERIOD TP_SEC(64)         /* one tick of the time counter */
#define SYNCOOKIE_LIFE (2 * SYNCOOKIE_PERIOD)   /* the longest a cookie stays valid */

/* A connection's identity as the cookie sees it: ours, then the peer's. */
struct syncookie_tuple {
	tp_ip4 laddr, raddr;
	uint16_t lport, rport;
	uint32_t peer_isn;
};

/* The pure functions, key and clock passed in (the unit tests drive them).
 * make encodes syn's mss, wscale and sack_ok; check fills them into syn
 * (the rest of syn untouched) and returns 0, or -1 for a cookie that is
 * forged, damaged, for another 4-tuple or ISN, or expired. */
uint32_t syncookie_make(const uint64_t key[2], tp_time now, const struct syncookie_tuple *t,
			const struct tcp_seg *syn);
int syncookie_check(const uint64_t key[2], tp_time now, const struct syncookie_tuple *t,
		    uint32_t cookie, struct tcp_seg *syn);
/* The MSS the cookie will remember for a peer that announced `mss` (0: none). */
uint16_t syncookie_mss(uint16_t mss);

/* --- the listener's side ---------------------------------------------------- */

/* Answers a SYN that found l's SYN queue full with a cookie <SYN,ACK>, or
 * drops it (counted) when cookies are off. Keeps no state. */
void tcp_syncookie_answer(struct tcp_conn *l, const struct ip_info *ip, const struct tcp_seg *syn);
/* An ACK (no SYN, no RST) reached listener l and no connection: if its
 * acknowledgment is one of our cookies, fills *syn with the SYN it stands
 * for (seq, mss, wscale, sack_ok) and returns 1; 0 if it is not a cookie
 * (the caller resets, RFC 9293 §3.10.7.2); -1 if it is one but the
 * listener may not take the connection now (dropped, counted). */
int tcp_syncookie_ack(struct tcp_conn *l, const struct ip_info *ip, const struct tcp_seg *ack,
		      struct tcp_seg *syn);
/* Makes child c, fresh from the SYN the cookie stood for, what our cookie
 * <SYN,ACK> said it was: ISS = the cookie, SYN sent, window offered. */
void tcp_syncookie_child(struct tcp_conn *c, uint32_t cookie);

#endif
