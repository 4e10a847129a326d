/* dns_resolver.c - the stub resolver over tapir sockets; see dns_resolver.h. */
#include "dns_resolver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"
#include "dns_hosts.h"
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "tapir/socket.h"

#define DEFAULT_TIMEOUT TP_SEC(1)
#define DEFAULT_TRIES 3
#define DEFAULT_CACHE_SIZE 64
#define CACHE_SIZE_MAX 4096

struct cache_entry {
	struct dns_name name;
	tp_ip4 server;
	tp_time expires;            /* 0: free */
	int error;                  /* 0, or the cached -ENOENT / -ENODATA */
	struct tp_resolve_result result;
};

struct tp_resolver {
	struct tp_resolver_config cfg;
	struct dns_hosts hosts;
	pthread_mutex_t lock;       /* the cache and the counters */
	struct cache_entry *cache;
	struct tp_resolver_stats stats;
};

static void count(struct tp_resolver *r, uint64_t *counter)
{
	pthread_mutex_lock(&r->lock);
	(*counter)++;
	pthread_mutex_unlock(&r->lock);
}

struct tp_resolver *tp_resolver_new(const struct tp_resolver_config *cfg, char *err,
				    size_t errlen)
{
	struct tp_resolver *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->cfg = *cfg;
	if (!r->cfg.port)
		r->cfg.port = DNS_PORT;
	if (!r->cfg.timeout)
		r->cfg.timeout = DEFAULT_TIMEOUT;
	if (!r->cfg.tries)
		r->cfg.tries = DEFAULT_TRIES;
	if (!r->cfg.cache_size)
		r->cfg.cache_size = DEFAULT_CACHE_SIZE;
	if (r->cfg.cache_size > CACHE_SIZE_MAX)
		r->cfg.cache_size = CACHE_SIZE_MAX;
	r->cfg.hosts_path = NULL;   /* not kept: read once, now */
	pthread_mutex_init(&r->lock, NULL);
	r->cache = calloc(r->cfg.cache_size, sizeof(*r->cache));
	if (!r->cache) {
		snprintf(err, errlen, "out of memory");
		tp_resolver_free(r);
		return NULL;
	}
	if (cfg->hosts_path && dns_hosts_load(&r->hosts, cfg->hosts_path, err, errlen) < 0) {
		tp_resolver_free(r);
		return NULL;
	}
	return r;
}

void tp_resolver_free(struct tp_resolver *r)
{
	if (!r)
		return;
	dns_hosts_free(&r->hosts);
	free(r->cache);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void tp_resolver_stats(struct tp_resolver *r, struct tp_resolver_stats *out)
{
	pthread_mutex_lock(&r->lock);
	*out = r->stats;
	pthread_mutex_unlock(&r->lock);
}

const char *tp_resolve_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case -EINVAL: return "not a valid domain name";
	case -ENOENT: return "no such name (NXDOMAIN)";
	case -ENODATA: return "the name has no address (NODATA)";
	case -ETIMEDOUT: return "no reply from the server (timed out)";
	case -ECONNREFUSED: return "the server refused the query";
	case -EPROTO: return "the server failed (SERVFAIL, FORMERR, NOTIMP or a malformed reply)";
	case -ELOOP: return "CNAME chain too long";
	case -EDEADLK: return "called from the loop thread, where nothing may block";
	default: return strerror(-err);
	}
}

/* --- one exchange --------------------------------------------------------- */

static uint16_t random_id(void)
{
	uint64_t v = 0;
	/* getrandom(2); should it fail, the clock still varies the ID. */
	if (tp_clock_seed(&v) < 0)
		v = tp_clock_now() * 0x9e3779b97f4a7c15ull >> 48;
	return (uint16_t)v;
}

static size_t build_query(const struct tp_resolver *r, uint16_t id, const struct dns_question *q,
			  uint8_t *buf, size_t size)
{
	struct dns_writer w;
	dns_writer_init(&w, buf, size);
	if (dns_write_header(&w, id, r->cfg.no_recursion ? 0 : DNS_FLAG_RD) < 0 ||
	    dns_write_question(&w, q) < 0)
		return 0;
	if (!r->cfg.no_edns) {
		/* RFC 6891 §6.1.2: OPT owned by the root, our UDP payload size. */
		struct dns_rr opt = {.type = DNS_TYPE_OPT, .rclass = DNS_EDNS_SIZE};
		opt.name.len = 1;
		if (dns_write_rr(&w, DNS_SECTION_ADDITIONAL, &opt) < 0)
			return 0;
	}
	return dns_writer_finish(&w);
}

/* RFC 5452 §9.1: a reply is ours if it is a response with our ID that
 * echoes our one question (the name case-insensitively). */
static int is_reply_to(const uint8_t *msg, size_t len, uint16_t id, const struct dns_question *q)
{
	struct dns_reader rd;
	struct dns_question echo;
	if (dns_reader_init(&rd, msg, len) < 0 || !(rd.hdr.flags & DNS_FLAG_QR) || rd.hdr.id != id ||
	    rd.hdr.qdcount != 1 || dns_read_question(&rd, &echo) < 0)
		return 0;
	return echo.type == q->type && echo.qclass == q->qclass && dns_name_equal(&echo.name, &q->name);
}

static struct sockaddr_in server_addr(const struct tp_resolver *r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r->cfg.port)};
	sa.sin_addr.s_addr = htonl(r->cfg.server);
	return sa;
}

static int errno_result(void)
{
	return errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
}

/* Reads exactly n bytes from a blocking TCP socket. */
static int recv_all(int fd, uint8_t *buf, size_t n)
{
	ssize_t got = tapir_recv(fd, buf, n, MSG_WAITALL);
	if (got < 0)
		return errno_result();
	return (size_t)got == n ? 0 : -EPROTO;  /* closed early */
}

/* The question over TCP, RFC 1035 §4.2.2 framing; the whole exchange is
 * bounded by timeout × tries. */
static int exchange_tcp(struct tp_resolver *r, const uint8_t *query, size_t qlen, uint16_t id,
			const struct dns_question *q, uint8_t *buf, size_t size, size_t *len)
{
	tp_time limit = r->cfg.timeout * r->cfg.tries;
	struct timeval tv = {.tv_sec = (time_t)(limit / 1000000u),
			     .tv_usec = (suseconds_t)(limit % 1000000u)};
	struct sockaddr_in sa = server_addr(r);
	uint8_t framed[2 + DNS_MSG_MAX], prefix[2];
	int e = 0;

	count(r, &r->stats.tcp_queries);
	int fd = tapir_socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (tapir_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    tapir_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    tapir_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno_result();
		goto out;
	}
	framed[0] = (uint8_t)(qlen >> 8);
	framed[1] = (uint8_t)qlen;
	memcpy(framed + 2, query, qlen);
	if (tapir_send(fd, framed, 2 + qlen, 0) != (ssize_t)(2 + qlen)) {
		e = errno_result();
		goto out;
	}
	if ((e = recv_all(fd, prefix, 2)) < 0)
		goto out;
	size_t n = (size_t)prefix[0] << 8 | prefix[1];
	if (n > size) {
		e = -EPROTO;
		goto out;
	}
	if ((e = recv_all(fd, buf, n)) < 0)
		goto out;
	if (!is_reply_to(buf, n, id, q)) {
		count(r, &r->stats.ignored_replies);
		e = -EPROTO;        /* TCP has no other reply coming */
		goto out;
	}
	*len = n;
out:
	tapir_close(fd);
	return e;
}

static int exchange_udp(struct tp_resolver *r, const uint8_t *query, size_t qlen, uint16_t id,
			const struct dns_question *q, uint8_t *buf, size_t size,
			struct tp_dns_exchange *info)
{
	struct sockaddr_in any = {.sin_family = AF_INET}, sa = server_addr(r);
	int e = -ETIMEDOUT;
	/* Port 0: a random ephemeral port from the stack (RFC 6056 §3.3.1);
	 * connected, so only the server's address and port get through. */
	int fd = tapir_socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	if (tapir_bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    tapir_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = -errno;
		goto out;
	}
	for (unsigned t = 0; t < r->cfg.tries; t++) {
		count(r, &r->stats.udp_sends);
		info->sends++;
		if (tapir_send(fd, query, qlen, 0) < 0) {
			e = -errno;
			goto out;
		}
		tp_time deadline = tp_clock_now() + r->cfg.timeout;
		for (tp_time now; (now = tp_clock_now()) < deadline;) {
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int wait_ms = (int)((deadline - now + 999) / 1000);
			if (tapir_poll(&p, 1, wait_ms) < 0) {
				e = -errno;
				goto out;
			}
			ssize_t n = tapir_recv(fd, buf, size, MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN)
				continue;
			if (n < 0) {
				e = -errno;     /* ECONNREFUSED: ICMP port unreachable */
				goto out;
			}
			if (!is_reply_to(buf, (size_t)n, id, q)) {
				count(r, &r->stats.ignored_replies);
				info->ignored++;
				continue;
			}
			info->len = (size_t)n;
			e = 0;
			goto out;
		}
		count(r, &r->stats.timeouts);
	}
out:
	tapir_close(fd);
	return e;
}

int tp_resolver_query(struct tp_resolver *r, const char *name, uint16_t type, uint8_t *buf,
		      size_t size, struct tp_dns_exchange *info)
{
	struct dns_question q = {.type = type, .qclass = DNS_CLASS_IN};
	uint8_t query[DNS_UDP_MAX];
	uint16_t id = random_id();

	memset(info, 0, sizeof(*info));
	if (dns_name_from_text(name, &q.name) < 0)
		return -EINVAL;
	if (!r->cfg.server)
		return -ENOENT;
	if (tp_loop_lock_held(NULL))
		return -EDEADLK;
	size_t qlen = build_query(r, id, &q, query, sizeof(query));
	if (!qlen)
		return -EINVAL;
	count(r, &r->stats.queries);
	tp_time start = tp_clock_now();
	int e = 0;
	if (!r->cfg.tcp_only) {
		e = exchange_udp(r, query, qlen, id, &q, buf, size, info);
		if (e == 0 && !(((unsigned)buf[2] << 8) & DNS_FLAG_TC))
			goto done;
		if (e < 0)
			return e;
		/* RFC 7766 §5: truncated over UDP, so ask again over TCP. */
		count(r, &r->stats.tc_fallbacks);
		info->tc_fallback = 1;
	}
	info->over_tcp = 1;
	e = exchange_tcp(r, query, qlen, id, &q, buf, size, &info->len);
	if (e < 0)
		return e;
done:
	info->rtt = tp_clock_now() - start;
	return 0;
}

/* --- lookups ------------------------------------------------------------- */

static int rcode_error(int rcode)
{
	switch (rcode) {
	case DNS_RCODE_NOERROR: return 0;
	case DNS_RCODE_NXDOMAIN: return -ENOENT;
	case DNS_RCODE_REFUSED: return -ECONNREFUSED;
	default: return -EPROTO;
	}
}

/* What a reply says about `name`: follows CNAMEs in the answer section
 * from it (moving *name and counting res->cnames), collects its A records
 * and the smallest TTL on the way; *negative_ttl from an SOA in authority
 * (RFC 2308 §5). -ELOOP past the chain limit, -EPROTO if malformed. */
static int read_answer(const uint8_t *msg, size_t len, struct dns_name *name,
		       struct tp_resolve_result *res, uint32_t *negative_ttl)
{
	struct dns_reader rd;
	struct dns_rr rr;
	int e, moved = 1;

	/* Records may come in any order: one pass per link of the chain. */
	while (moved) {
		moved = 0;
		dns_reader_init(&rd, msg, len);
		while (!moved && (e = dns_reader_next(&rd, &rr)) == 1) {
			if (rd.section != DNS_SECTION_ANSWER || rr.type != DNS_TYPE_CNAME ||
			    rr.rclass != DNS_CLASS_IN || !dns_name_equal(&rr.name, name))
				continue;
			if (++res->cnames > DNS_CNAME_CHAIN_MAX)
				return -ELOOP;
			*name = rr.target;
			res->ttl = rr.ttl < res->ttl ? rr.ttl : res->ttl;
			moved = 1;
		}
		if (e < 0)
			return -EPROTO;
	}
	dns_reader_init(&rd, msg, len);
	while ((e = dns_reader_next(&rd, &rr)) == 1) {
		if (rr.rclass != DNS_CLASS_IN)
			continue;
		if (rd.section == DNS_SECTION_ANSWER && rr.type == DNS_TYPE_A &&
		    dns_name_equal(&rr.name, name) && res->count < TP_RESOLVE_MAX_ADDRS) {
			res->addrs[res->count++] = rr.a;
			res->ttl = rr.ttl < res->ttl ? rr.ttl : res->ttl;
		}
		if (rd.section == DNS_SECTION_AUTHORITY && rr.type == DNS_TYPE_SOA)
			*negative_ttl = rr.ttl < rr.soa.minimum ? rr.ttl : rr.soa.minimum;
	}
	return e < 0 ? -EPROTO : 0;
}

static struct cache_entry *cache_find(struct tp_resolver *r, const struct dns_name *name,
				      tp_time now)
{
	for (unsigned i = 0; i < r->cfg.cache_size; i++) {
		struct cache_entry *c = &r->cache[i];
		if (c->expires > now && c->server == r->cfg.server && dns_name_equal(&c->name, name))
			return c;
	}
	return NULL;
}

/* Keeps a result (error 0) or a failure for ttl seconds: in a free or
 * expired slot, else in place of the one closest to expiry. */
static void cache_put(struct tp_resolver *r, const struct dns_name *name, int error,
		      const struct tp_resolve_result *res, uint32_t ttl)
{
	if (!ttl)
		return;
	tp_time now = tp_clock_now();
	pthread_mutex_lock(&r->lock);
	struct cache_entry *slot = cache_find(r, name, now);
	for (unsigned i = 0; !slot && i < r->cfg.cache_size; i++)
		if (r->cache[i].expires <= now)
			slot = &r->cache[i];
	for (unsigned i = 0; !slot && i < r->cfg.cache_size; i++)
		if (!slot || r->cache[i].expires < slot->expires)
			slot = &r->cache[i];
	slot->name = *name;
	slot->server = r->cfg.server;
	slot->error = error;
	slot->result = *res;
	slot->expires = now + TP_SEC(ttl);
	pthread_mutex_unlock(&r->lock);
}

/* From the cache, with the TTL counted down; 1 if found. */
static int cache_get(struct tp_resolver *r, const struct dns_name *name,
		     struct tp_resolve_result *out, int *error)
{
	tp_time now = tp_clock_now();
	pthread_mutex_lock(&r->lock);
	struct cache_entry *c = cache_find(r, name, now);
	if (c) {
		*out = c->result;
		out->ttl = (uint32_t)((c->expires - now) / 1000000u);
		out->source = TP_RESOLVED_CACHE;
		*error = c->error;
		r->stats.cache_hits++;
	} else {
		r->stats.cache_misses++;
	}
	pthread_mutex_unlock(&r->lock);
	return c != NULL;
}

static int lookup_chain(struct tp_resolver *r, uint8_t *reply, const struct dns_name *asked, const char *text,
		      struct tp_resolve_result *out)
{
	struct dns_name name = *asked;
	char next[DNS_NAME_TEXT_MAX];
	uint32_t negative_ttl = 0;

	out->ttl = UINT32_MAX;
	out->source = TP_RESOLVED_DNS;
	snprintf(next, sizeof(next), "%s", text);
	for (unsigned queries = 0; queries <= DNS_CNAME_CHAIN_MAX; queries++) {
		struct tp_dns_exchange ex;
		int e = tp_resolver_query(r, next, DNS_TYPE_A, reply, DNS_MSG_MAX, &ex);
		if (e < 0)
			return e;
		struct dns_name before = name;
		e = read_answer(reply, ex.len, &name, out, &negative_ttl);
		if (e < 0)
			return e;
		e = rcode_error(DNS_RCODE(reply[3]));
		dns_name_to_text(&name, out->canonical, sizeof(out->canonical));
		if (e == 0 && out->count)
			return 0;
		if (e == 0 && !dns_name_equal(&before, &name)) {
			/* The chain went on past this reply: ask for its end. */
			dns_name_to_text(&name, next, sizeof(next));
			continue;
		}
		if (e == 0)
			e = -ENODATA;
		if (e == -ENOENT || e == -ENODATA)
			cache_put(r, asked, e, out, negative_ttl);
		return e;
	}
	return -ELOOP;
}

static int lookup_dns(struct tp_resolver *r, const struct dns_name *asked, const char *text,
		      struct tp_resolve_result *out)
{
	uint8_t *reply = malloc(DNS_MSG_MAX);
	if (!reply)
		return -ENOMEM;
	int e = lookup_chain(r, reply, asked, text, out);
	free(reply);
	return e;
}

int tp_resolver_lookup_a(struct tp_resolver *r, const char *name, struct tp_resolve_result *out)
{
	struct dns_name wire;
	struct in_addr literal;
	int error;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, name, &literal) == 1) {
		out->addrs[out->count++] = ntohl(literal.s_addr);
		out->source = TP_RESOLVED_LITERAL;
		snprintf(out->canonical, sizeof(out->canonical), "%s", name);
		return 0;
	}
	if (dns_name_from_text(name, &wire) < 0 || wire.len == 1)
		return -EINVAL;
	dns_name_to_text(&wire, out->canonical, sizeof(out->canonical));
	out->count = dns_hosts_lookup(&r->hosts, &wire, out->addrs, TP_RESOLVE_MAX_ADDRS);
	if (out->count) {
		out->source = TP_RESOLVED_HOSTS;
		count(r, &r->stats.hosts_hits);
		return 0;
	}
	if (cache_get(r, &wire, out, &error))
		return error;
	if (!r->cfg.server)
		return -ENOENT;
	int e = lookup_dns(r, &wire, name, out);
	if (e == 0)
		cache_put(r, &wire, 0, out, out->ttl);
	return e;
}

int tp_resolve_a(const char *name, tp_ip4 server, tp_ip4 *out)
{
	/* One shared resolver, one lookup at a time; the server is per call
	 * and the cache keys on it. */
	static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
	static struct tp_resolver *shared;
	struct tp_resolve_result res;
	char err[128];
	int e = -ENOMEM;

	pthread_mutex_lock(&shared_lock);
	if (!shared) {
		struct tp_resolver_config cfg = {.server = server};
		shared = tp_resolver_new(&cfg, err, sizeof(err));
	}
	if (shared) {
		shared->cfg.server = server;
		e = tp_resolver_lookup_a(shared, name, &res);
	}
	pthread_mutex_unlock(&shared_lock);
	if (e == 0)
		*out = res.addrs[0];
	return e;
}
