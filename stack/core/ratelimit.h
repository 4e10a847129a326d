/*
 * ratelimit.h - a token bucket, kept as one timestamp (GCRA): `burst` events
 * at once, then `rate` per second. For ICMP errors (RFC 1812 §4.3.2.8) and
 * TCP challenge ACKs (RFC 5961 §7).
 */
#ifndef TP_RATELIMIT_H
#define TP_RATELIMIT_H

#include "tapir/tapir.h"

struct ratelimit {
	tp_time tat;                /* theoretical arrival time of the next event */
};

/* 1 if an event may happen at `now` (and counts it), 0 if over the limit. */
static inline int ratelimit_allow(struct ratelimit *r, tp_time now, uint32_t rate, uint32_t burst)
{
	tp_time interval = TP_SEC(1) / (rate ? rate : 1);
	tp_time tat = r->tat > now ? r->tat : now;
	if (tat - now > (tp_time)(burst ? burst - 1 : 0) * interval)
		return 0;
	r->tat = tat + interval;
	return 1;
}

#endif
