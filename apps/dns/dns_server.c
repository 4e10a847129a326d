/* dns_server.c - DNS over UDP and TCP on the core's sockets; see dns_server.h. */
#include "dns_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"
#include "tapir/loop.h"
#include "tapir/sock.h"

#define DEFAULT_TCP_IDLE TP_SEC(10)
#define DEFAULT_MAX_CONNECTIONS 64
#define IDLE_SWEEP_PERIOD TP_MSEC(500)
#define FRAMED_MAX (2 + DNS_MSG_MAX)    /* a length prefix and the largest message */

struct dns_conn {
	struct dns_server *srv;
	struct dns_conn *next;
	int fd;
	tp_time last_active;
	size_t in_len, out_len, out_sent;
	uint8_t in[FRAMED_MAX], out[FRAMED_MAX];
};

struct dns_counters {
	uint64_t udp_queries, tcp_queries, tcp_connections, tcp_refused, tcp_idle_closed,
		truncated, dropped;
	uint64_t rcodes[24];        /* by rcode (BADVERS is 16) */
};

struct dns_server {
	struct tp_stack *stack;
	struct dns_server_config cfg;
	int udp_fd, tcp_fd;
	struct dns_conn *conns;
	unsigned n_conns;
	struct tp_loop_timer *sweep;
	struct dns_counters count;
	uint8_t datagram[DNS_MSG_MAX], reply[DNS_MSG_MAX];
};

static size_t answer(struct dns_server *srv, const uint8_t *q, size_t len, enum dns_transport t,
		     uint8_t *out)
{
	struct dns_answer_info info;
	size_t n = dns_answer(srv->cfg.zone, q, len, t, out, DNS_MSG_MAX, &info);
	if (!n) {
		srv->count.dropped++;
		return 0;
	}
	if (info.rcode >= 0 && info.rcode < 24)
		srv->count.rcodes[info.rcode]++;
	srv->count.truncated += (uint64_t)info.truncated;
	return n;
}

/* --- UDP -------------------------------------------------------------------- */

static void on_udp(void *ctx, int fd, int events)
{
	struct dns_server *srv = ctx;
	(void)events;
	for (;;) {
		tp_ip4 from;
		uint16_t port;
		long n = tp_sock_recvfrom(srv->stack, fd, srv->datagram, sizeof(srv->datagram), 0,
					  &from, &port);
		if (n == -EAGAIN)
			return;
		if (n < 0)
			continue;       /* an ICMP error about an earlier reply */
		srv->count.udp_queries++;
		size_t r = answer(srv, srv->datagram, (size_t)n, DNS_OVER_UDP, srv->reply);
		if (r)
			tp_sock_sendto(srv->stack, fd, srv->reply, r, from, port);
	}
}

/* --- TCP -------------------------------------------------------------------- */

static void conn_close(struct dns_conn *c)
{
	struct dns_server *srv = c->srv;
	for (struct dns_conn **p = &srv->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	srv->n_conns--;
	tp_sock_close(srv->stack, c->fd);
	free(c);
}

/* Sends what is queued; 1 once nothing is. */
static int flush(struct dns_conn *c)
{
	while (c->out_sent < c->out_len) {
		long n = tp_sock_send(c->srv->stack, c->fd, c->out + c->out_sent,
				      c->out_len - c->out_sent);
		if (n <= 0)
			return 0;
		c->out_sent += (size_t)n;
	}
	c->out_len = c->out_sent = 0;
	return 1;
}

/* Answers the first complete framed query in c->in; 1 if there was one. */
static int answer_framed(struct dns_conn *c)
{
	struct dns_server *srv = c->srv;
	if (c->in_len < 2)
		return 0;
	size_t len = (size_t)c->in[0] << 8 | c->in[1];
	if (c->in_len < 2 + len)
		return 0;
	srv->count.tcp_queries++;
	size_t r = answer(srv, c->in + 2, len, DNS_OVER_TCP, c->out + 2);
	if (r) {
		c->out[0] = (uint8_t)(r >> 8);
		c->out[1] = (uint8_t)r;
		c->out_len = 2 + r;
		c->out_sent = 0;
	}
	memmove(c->in, c->in + 2 + len, c->in_len - 2 - len);
	c->in_len -= 2 + len;
	c->last_active = tp_now(srv->stack);
	return 1;
}

/* Replies in order, one at a time: nothing more is read while a reply
 * waits for room (the client's window pushes back). */
static void serve(struct dns_conn *c, int events)
{
	struct tp_stack *s = c->srv->stack;
	for (;;) {
		if (!flush(c))
			break;
		if (answer_framed(c))
			continue;
		long n = tp_sock_recv(s, c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
	}
	if (events & TP_EV_ERR)
		conn_close(c);
}

static void on_conn(void *ctx, int fd, int events)
{
	(void)fd;
	serve(ctx, events);
}

static void on_listener(void *ctx, int fd, int events)
{
	struct dns_server *srv = ctx;
	(void)events;
	for (;;) {
		int cfd = tp_sock_accept(srv->stack, fd, NULL, NULL);
		if (cfd < 0)
			return;
		struct dns_conn *c = NULL;
		if (srv->n_conns < srv->cfg.max_connections)
			c = malloc(sizeof(*c));
		if (!c) {
			srv->count.tcp_refused++;
			tp_sock_close(srv->stack, cfd);
			continue;
		}
		c->srv = srv;
		c->fd = cfd;
		c->in_len = c->out_len = c->out_sent = 0;
		c->last_active = tp_now(srv->stack);
		c->next = srv->conns;
		srv->conns = c;
		srv->n_conns++;
		srv->count.tcp_connections++;
		tp_sock_set_callback(srv->stack, cfd, on_conn, c);
		serve(c, tp_sock_events(srv->stack, cfd));
	}
}

static void sweep_idle(void *ctx)
{
	struct dns_server *srv = ctx;
	tp_time now = tp_now(srv->stack);
	for (struct dns_conn *c = srv->conns, *next; c; c = next) {
		next = c->next;
		if (now - c->last_active >= srv->cfg.tcp_idle) {
			srv->count.tcp_idle_closed++;
			conn_close(c);
		}
	}
}

/* --- lifecycle -------------------------------------------------------------- */

static int open_socket(struct dns_server *srv, int type, char *err, size_t errlen)
{
	struct tp_stack *s = srv->stack;
	int fd = tp_sock_open(s, type);
	int rc = fd < 0 ? fd : 0;
	if (!rc) {
		tp_sock_setopt(s, fd, TP_SO_REUSEADDR, 1);
		rc = tp_sock_bind(s, fd, 0, srv->cfg.port);
	}
	if (!rc && type == TP_SOCK_STREAM)
		rc = tp_sock_listen(s, fd, 64);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open DNS %s port %u: %s",
			 type == TP_SOCK_STREAM ? "TCP" : "UDP", srv->cfg.port, strerror(-rc));
		if (fd >= 0)
			tp_sock_close(s, fd);
		return -1;
	}
	tp_sock_set_callback(s, fd, type == TP_SOCK_STREAM ? on_listener : on_udp, srv);
	return fd;
}

struct dns_server *dns_server_start(struct tp_loop *loop, const struct dns_server_config *cfg,
				    char *err, size_t errlen)
{
	struct dns_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->stack = tp_loop_stack(loop);
	srv->cfg = *cfg;
	if (!srv->cfg.port)
		srv->cfg.port = DNS_PORT;
	if (!srv->cfg.tcp_idle)
		srv->cfg.tcp_idle = DEFAULT_TCP_IDLE;
	if (!srv->cfg.max_connections)
		srv->cfg.max_connections = DEFAULT_MAX_CONNECTIONS;
	srv->udp_fd = srv->tcp_fd = -1;
	if ((cfg->udp && (srv->udp_fd = open_socket(srv, TP_SOCK_DGRAM, err, errlen)) < 0) ||
	    (cfg->tcp && (srv->tcp_fd = open_socket(srv, TP_SOCK_STREAM, err, errlen)) < 0)) {
		dns_server_stop(srv);
		return NULL;
	}
	if (cfg->tcp) {
		srv->sweep = tp_loop_timer_new(loop, sweep_idle, srv);
		if (!srv->sweep || tp_loop_timer_start(srv->sweep, IDLE_SWEEP_PERIOD, IDLE_SWEEP_PERIOD) < 0) {
			snprintf(err, errlen, "out of memory");
			dns_server_stop(srv);
			return NULL;
		}
	}
	return srv;
}

void dns_server_stop(struct dns_server *srv)
{
	if (!srv)
		return;
	tp_loop_timer_free(srv->sweep);
	while (srv->conns)
		conn_close(srv->conns);
	if (srv->udp_fd >= 0)
		tp_sock_close(srv->stack, srv->udp_fd);
	if (srv->tcp_fd >= 0)
		tp_sock_close(srv->stack, srv->tcp_fd);
	free(srv);
}

void dns_server_print(const struct dns_server *srv, FILE *out)
{
	static const char *const rcode_names[24] = {
		[DNS_RCODE_NOERROR] = "noerror", [DNS_RCODE_FORMERR] = "formerr",
		[DNS_RCODE_SERVFAIL] = "servfail", [DNS_RCODE_NXDOMAIN] = "nxdomain",
		[DNS_RCODE_NOTIMP] = "notimp", [DNS_RCODE_REFUSED] = "refused",
		[DNS_RCODE_BADVERS] = "badvers",
	};
	const struct dns_counters *c = &srv->count;
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
		{"udp_queries", c->udp_queries}, {"tcp_queries", c->tcp_queries},
		{"tcp_connections", c->tcp_connections}, {"tcp_refused", c->tcp_refused},
		{"tcp_idle_closed", c->tcp_idle_closed}, {"truncated", c->truncated},
		{"dropped", c->dropped},
	};
	fprintf(out, "tapir: dns:\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].v)
			fprintf(out, "  dns.%-20s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
	for (int r = 0; r < 24; r++)
		if (c->rcodes[r] && rcode_names[r])
			fprintf(out, "  dns.%-20s %llu\n", rcode_names[r], (unsigned long long)c->rcodes[r]);
}
