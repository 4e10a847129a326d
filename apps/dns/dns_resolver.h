/*
 * dns_resolver.h - tapir's stub resolver: names to IPv4 addresses over the
 * tapir stack, for any application (`tapir dig`, `tapir get`, ...).
 *
 * Blocking calls over tapir/socket.h: call them from a thread other than
 * the loop's, after tapir_attach(loop) (the loop running tp_loop_run() on
 * its own thread). From inside a loop callback they would never get an
 * answer (nothing blocks there) and fail with -EDEADLK. A resolver may be
 * shared by several threads (its cache has a lock).
 *
 *     struct tp_resolver_config cfg = {.server = 0x0a000001};   // 10.0.0.1
 *     struct tp_resolver *r = tp_resolver_new(&cfg, err, sizeof(err));
 *     struct tp_resolve_result res;
 *     int e = tp_resolver_lookup_a(r, "www.tapir.test", &res);
 *     if (e < 0)
 *             fprintf(stderr, "%s\n", tp_resolve_strerror(e));
 *     else
 *             connect to res.addrs[0] ...
 *     tp_resolver_free(r);
 *
 * Or, for one call with no set-up: tp_resolve_a(name, server, &addr).
 *
 * What a lookup does, in order: an address literal ("10.0.0.1") answers
 * itself; then the hosts table (a file in /etc/hosts format); then the
 * cache, which keeps answers for their TTL (the smallest along a CNAME
 * chain) and failures for the SOA's negative TTL (RFC 2308 §5); then the
 * server. Queries use a random ID (getrandom) from a random source port
 * (the stack's PRNG, RFC 6056 §3.3.1) on a connected UDP socket, are
 * retried after `timeout` up to `tries` times, and repeated over TCP when
 * the answer comes truncated (RFC 7766 §5). A reply counts only if it
 * comes from the server, carries our ID and echoes our question (RFC 5452
 * §9.1); others are ignored and counted. CNAMEs are followed within the
 * answer and by new queries, DNS_CNAME_CHAIN_MAX links at most.
 */
#ifndef TAPIR_DNS_RESOLVER_H
#define TAPIR_DNS_RESOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "dns_wire.h"
#include "tapir/tapir.h"

#define TP_RESOLVE_MAX_ADDRS 16

struct tp_resolver;

struct tp_resolver_config {
	tp_ip4 server;              /* 0: none, only literals, hosts and cache */
	uint16_t port;              /* 0: 53 */
	tp_time timeout;            /* per try; 0: 1 s */
	unsigned tries;             /* UDP sends; 0: 3 */
	int tcp_only;               /* ask over TCP from the start (dig +tcp) */
	int no_edns;                /* no OPT RR: plain 512-byte UDP (RFC 1035) */
	int no_recursion;           /* RD clear */
	const char *hosts_path;     /* NULL: no hosts table */
	unsigned cache_size;        /* entries; 0: 64 */
};

/* NULL with the reason in err (a bad hosts file names its line). */
struct tp_resolver *tp_resolver_new(const struct tp_resolver_config *cfg, char *err,
				    size_t errlen);
void tp_resolver_free(struct tp_resolver *r);

enum tp_resolve_source { TP_RESOLVED_LITERAL, TP_RESOLVED_HOSTS, TP_RESOLVED_CACHE,
			 TP_RESOLVED_DNS };

struct tp_resolve_result {
	tp_ip4 addrs[TP_RESOLVE_MAX_ADDRS];
	size_t count;
	uint32_t ttl;               /* seconds the answer stays valid */
	unsigned cnames;            /* CNAME links followed */
	char canonical[DNS_NAME_TEXT_MAX];  /* the chain's last name */
	enum tp_resolve_source source;
};

/* The A records of name. 0, or a negative errno:
 *   -EINVAL       not a valid domain name
 *   -ENOENT       no such name (NXDOMAIN), or none in the hosts table
 *                 when there is no server
 *   -ENODATA      the name exists but has no address (NODATA)
 *   -ETIMEDOUT    no valid reply after every try
 *   -ECONNREFUSED the server refused (REFUSED, or ICMP port unreachable)
 *   -EPROTO       SERVFAIL, FORMERR, NOTIMP or a malformed reply
 *   -ELOOP        a CNAME chain longer than DNS_CNAME_CHAIN_MAX
 *   -EDEADLK      called from a loop callback */
int tp_resolver_lookup_a(struct tp_resolver *r, const char *name, struct tp_resolve_result *out);

/* One line for a lookup error ("no such name (NXDOMAIN)"). */
const char *tp_resolve_strerror(int err);

/* One-shot: the first A record of name via server, with a process-wide
 * resolver (default settings, its own cache). 0 or as above. */
int tp_resolve_a(const char *name, tp_ip4 server, tp_ip4 *out);

/* --- one exchange, for tools that show the whole reply (tapir dig) ------- */

struct tp_dns_exchange {
	size_t len;                 /* bytes of the reply in the caller's buffer */
	int over_tcp;               /* the reply came over TCP */
	int tc_fallback;            /* ... because the UDP reply was truncated */
	unsigned sends;             /* UDP tries made */
	unsigned ignored;           /* replies dropped: wrong ID, question or source */
	tp_time rtt;                /* from the first send to the accepted reply, µs */
};

/* Asks the resolver's server (type, class IN) and puts the validated raw
 * reply in buf (room for DNS_MSG_MAX bytes). 0 or a negative errno as for
 * lookups (any rcode is success here: the reply is the caller's to read). */
int tp_resolver_query(struct tp_resolver *r, const char *name, uint16_t type, uint8_t *buf,
		      size_t size, struct tp_dns_exchange *info);

/* Counters since creation. */
struct tp_resolver_stats {
	uint64_t queries, udp_sends, tcp_queries, tc_fallbacks, timeouts, ignored_replies,
		cache_hits, cache_misses, hosts_hits;
};
void tp_resolver_stats(struct tp_resolver *r, struct tp_resolver_stats *out);

#endif
