/*
 * tcp_sack.h - the SACK scoreboard of RFC 6675 §3-§4, on its own so the unit
 * tests can build boards by hand.
 *
 * The board holds the ranges the peer SACKed, sorted and disjoint, all within
 * [SND.UNA, SND.MAX). It is bounded: a peer can send any blocks it likes, and
 * a block that would need a slot beyond TCP_SB_MAX is forgotten, which only
 * makes the sender retransmit more, never less (the board never claims the
 * peer holds what it did not SACK). Sequence numbers are half-open ranges
 * [start, end); RFC 6675's HighRxt and RescueRxt are kept as the end of what
 * was retransmitted, so "S <= HighRxt" in the RFC reads "S < high_rxt" here.
 */
#ifndef TP_TCP_SACK_H
#define TP_TCP_SACK_H

#include <stdint.h>

#define TCP_SB_MAX 32               /* SACKed ranges remembered per connection */
#define TCP_DUPTHRESH 3             /* RFC 6675 §2 DupThresh */

struct tcp_sack_range {
	uint32_t start, end;
};

struct tcp_scoreboard {
	struct tcp_sack_range r[TCP_SB_MAX];  /* sorted, disjoint, not touching */
	uint32_t n;
	uint32_t high_rxt;          /* HighRxt: end of the highest retransmitted hole byte */
	uint32_t rescue_rxt;        /* RescueRxt, likewise */
	uint32_t head_rxt;          /* the segment at SND.UNA was resent from here... */
	uint32_t head_rxt_fack;     /* ...when SND.MAX stood here (lost-retransmission check) */
};

void tcp_sb_clear(struct tcp_scoreboard *sb);
/* Records [start, end) as SACKed (the caller validated it); returns how many
 * bytes were not SACKed before. */
uint32_t tcp_sb_insert(struct tcp_scoreboard *sb, uint32_t start, uint32_t end);
/* Bytes SACKed in all. */
uint32_t tcp_sb_sacked(const struct tcp_scoreboard *sb);
/* The cumulative ACK moved to una: forgets what lies below. */
void tcp_sb_advance(struct tcp_scoreboard *sb, uint32_t una);
/* Whether seq lies in a SACKed range. */
int tcp_sb_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq);
/* RFC 6675 §4 IsLost(seq): DupThresh discontiguous SACKed ranges above seq,
 * or more than (DupThresh - 1) * mss bytes SACKed above it. */
int tcp_sb_is_lost(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t mss);
/* RFC 6675 §4 SetPipe(): bytes in [una, high_data) thought to be in the
 * network - each unSACKed byte not lost counts once, each retransmitted
 * (below high_rxt) once more. */
uint32_t tcp_sb_pipe(const struct tcp_scoreboard *sb, uint32_t una, uint32_t high_data, uint32_t mss);

/* RFC 6675 §4 NextSeg(), for a retransmission: rule 1 (a lost hole above
 * HighRxt), or with `rules34` rule 3 (any hole above HighRxt below the
 * highest SACKed byte) and rule 4 (the rescue retransmission of the highest
 * unSACKed byte, once per recovery while HighACK > RescueRxt). Rule 2 (new
 * data) is the caller's, between rule 1 and 3. Returns the rule used (1, 3,
 * 4) with the range in *seq, *len (at most mss, never into SACKed data), or 0. */
int tcp_sb_next_seg(const struct tcp_scoreboard *sb, uint32_t una, uint32_t high_data, uint32_t mss,
		    int rules34, uint32_t *seq, uint32_t *len);

#endif
