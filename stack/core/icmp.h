/*
 * icmp.h - ICMP (RFC 792, RFC 1122 §3.2.2): answers echo requests, delivers
 * echo replies and error reports, and sends rate-limited errors, never about
 * an ICMP error, a broadcast or a non-first fragment.
 */
#ifndef TP_ICMP_H
#define TP_ICMP_H

#include <stddef.h>
#include <stdint.h>

#include "ratelimit.h"
#include "tapir/tapir.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12

#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_NEEDFRAG 4

struct icmp_state {
	struct ratelimit errors;    /* RFC 1812 §4.3.2.8 */
	tp_echo_fn echo_fn;
	void *echo_ctx;
};

void icmp_init(struct tp_stack *s);

/* Sends an ICMP error about `dgram` (its IP header and at least the first 8
 * data bytes, as received) to its source, unless RFC 1122 §3.2.2 forbids it
 * or the rate limit says no. `rest` fills the 4 bytes after the checksum
 * (the next-hop MTU for NEEDFRAG). */
void icmp_send_error(struct tp_stack *s, uint8_t type, uint8_t code, uint32_t rest,
		     const uint8_t *dgram, size_t len, int to_broadcast);

#endif
