/*
 * dns_server.h - the authoritative DNS server of `tapir run`: UDP and TCP
 * port 53 on the core's non-blocking sockets, on the loop thread. The
 * answers come from dns_answer() (pure); this file moves bytes.
 *
 * TCP (RFC 1035 §4.2.2, RFC 7766): each message has a 2-byte length
 * prefix; a connection may carry many queries, answered in order
 * (pipelining); it closes when the client does, or after `tcp_idle`
 * without a complete query (RFC 7766 §6.2.3). At most `max_connections`
 * at once: past that, new ones are closed at accept.
 */
#ifndef TAPIR_DNS_SERVER_H
#define TAPIR_DNS_SERVER_H

#include <stddef.h>
#include <stdio.h>

#include "dns_zone.h"
#include "tapir/tapir.h"

struct tp_loop;
struct dns_server;

struct dns_server_config {
	const struct dns_zone *zone;    /* borrowed: must outlive the server */
	int udp, tcp;                   /* which transports to serve */
	uint16_t port;                  /* 0: 53 */
	tp_time tcp_idle;               /* 0: 10 s */
	unsigned max_connections;       /* 0: 64 */
};

/* Opens the sockets on loop's stack (call on the loop thread, or holding
 * its lock). NULL with the reason in err. */
struct dns_server *dns_server_start(struct tp_loop *loop, const struct dns_server_config *cfg,
				    char *err, size_t errlen);
/* Closes everything (open connections are reset). NULL is ignored. */
void dns_server_stop(struct dns_server *srv);

/* "tapir: dns:" then "  dns.udp_queries 3"-style lines for non-zero counters. */
void dns_server_print(const struct dns_server *srv, FILE *out);

#endif
