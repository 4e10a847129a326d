/* services.c - echo, discard and chargen on the core's non-blocking sockets. */
#include "services.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapir/sock.h"

#define ECHO_PORT 7
#define DISCARD_PORT 9
#define CHARGEN_PORT 19
#define CHUNK 16384
#define LINE 74                     /* RFC 864: 72 characters, CR, LF */
#define PATTERN_LINES 95            /* the pattern repeats after 95 lines */
#define PATTERN_LEN (PATTERN_LINES * LINE)
#define MAX_SOCKETS 6

enum kind { ECHO, DISCARD, CHARGEN };

struct tp_services;

/* One accepted connection, or one listening / UDP socket. */
struct svc_sock {
	struct tp_services *svc;
	struct svc_sock *next;          /* in the services' list of connections */
	enum kind kind;
	int fd, listening, udp;
	uint64_t offset;                /* chargen: position in the pattern */
	uint32_t held, sent;            /* echo: bytes read but not yet sent back */
	uint8_t *buf;
};

struct tp_services {
	struct tp_stack *stack;
	struct svc_sock fixed[MAX_SOCKETS];
	int nfixed;
	struct svc_sock *conns;
	struct tp_service_stats stats[3];       /* by enum kind */
	/* One period of chargen's pattern and a chunk more, so any offset
	 * is a plain copy: chargen sends at the network's pace. */
	uint8_t pattern[PATTERN_LEN + CHUNK];
	uint8_t datagram[65536];        /* the largest UDP payload, whole */
};

static const struct {
	enum kind kind;
	unsigned bit;
	uint16_t port;
	const char *name;
} table[] = {
	{ECHO, TP_SVC_ECHO, ECHO_PORT, "echo"},
	{DISCARD, TP_SVC_DISCARD, DISCARD_PORT, "discard"},
	{CHARGEN, TP_SVC_CHARGEN, CHARGEN_PORT, "chargen"},
};

int tp_services_parse(const char *list, unsigned *mask)
{
	unsigned kinds = 0, transports = 0;
	char word[16];
	const char *p = list;
	if (!*p || !strcmp(p, "all")) {
		*mask = TP_SVC_ALL;
		return 0;
	}
	if (!strcmp(p, "none")) {
		*mask = 0;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == 0 || n >= sizeof(word))
			return -EINVAL;
		memcpy(word, p, n);
		word[n] = '\0';
		unsigned bit = 0;
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
			if (!strcmp(word, table[i].name))
				bit = table[i].bit;
		if (bit)
			kinds |= bit;
		else if (!strcmp(word, "dns"))
			kinds |= TP_SVC_DNS;
		else if (!strcmp(word, "http"))
			kinds |= TP_SVC_HTTP;
		else if (!strcmp(word, "tcp"))
			transports |= TP_SVC_TCP;
		else if (!strcmp(word, "udp"))
			transports |= TP_SVC_UDP;
		else
			return -EINVAL;
		p += n;
		if (*p == ',' && !*++p)
			return -EINVAL;
	}
	if (!kinds)
		kinds = TP_SVC_ECHO | TP_SVC_DISCARD | TP_SVC_CHARGEN | TP_SVC_DNS | TP_SVC_HTTP;
	*mask = kinds | (transports ? transports : TP_SVC_TCP | TP_SVC_UDP);
	return 0;
}

static uint8_t chargen_byte(uint64_t k)
{
	uint64_t line = k / LINE, col = k % LINE;
	if (col == 72)
		return '\r';
	if (col == 73)
		return '\n';
	return (uint8_t)(' ' + (line + col) % 95);
}

static void conn_close(struct svc_sock *c)
{
	struct tp_services *svc = c->svc;
	for (struct svc_sock **p = &svc->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	tp_sock_close(svc->stack, c->fd);
	free(c->buf);
	free(c);
}

static struct tp_service_stats *stats_of(struct svc_sock *c)
{
	return &c->svc->stats[c->kind];
}

/* Sends back what echo holds; returns 1 once nothing is held. */
static int echo_flush(struct svc_sock *c)
{
	struct tp_stack *s = c->svc->stack;
	while (c->sent < c->held) {
		long n = tp_sock_send(s, c->fd, c->buf + c->sent, c->held - c->sent);
		if (n <= 0)
			return 0;
		c->sent += (uint32_t)n;
		stats_of(c)->bytes_out += (uint64_t)n;
	}
	c->held = c->sent = 0;
	return 1;
}

/* One readiness event on a connection. Returns -1 once it closed it. */
static int serve(struct svc_sock *c, int events)
{
	struct tp_stack *s = c->svc->stack;
	uint8_t scratch[CHUNK];

	if (c->kind == ECHO && !echo_flush(c) && !(events & (TP_EV_ERR | TP_EV_HUP)))
		return 0;                   /* back-pressure: read nothing until it drains */
	for (;;) {
		uint8_t *into = c->kind == ECHO ? c->buf : scratch;
		long n = tp_sock_recv(s, c->fd, into, CHUNK, 0);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {               /* end of stream or error: we are done too */
			conn_close(c);
			return -1;
		}
		stats_of(c)->bytes_in += (uint64_t)n;
		if (c->kind == ECHO) {
			c->held = (uint32_t)n;
			if (!echo_flush(c))
				return 0;
		}
	}
	if (c->kind == CHARGEN) {
		for (;;) {
			const uint8_t *from = c->svc->pattern + c->offset % PATTERN_LEN;
			long n = tp_sock_send(s, c->fd, from, CHUNK);
			if (n <= 0)
				break;
			c->offset += (uint64_t)n;
			stats_of(c)->bytes_out += (uint64_t)n;
		}
	}
	if (events & TP_EV_ERR) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static void on_conn(void *ctx, int fd, int events)
{
	(void)fd;
	serve(ctx, events);
}

static void on_udp(void *ctx, int fd, int events)
{
	struct svc_sock *u = ctx;
	struct tp_stack *s = u->svc->stack;
	uint8_t *buf = u->svc->datagram;
	size_t size = sizeof(u->svc->datagram);
	(void)events;
	for (;;) {
		tp_ip4 from;
		uint16_t port;
		long n = tp_sock_recvfrom(s, fd, buf, size, 0, &from, &port);
		if (n < 0 && n != -EAGAIN)
			continue;               /* an ICMP error reported on the socket */
		if (n < 0)
			return;
		struct tp_service_stats *st = stats_of(u);
		long sent = 0;
		st->datagrams_in++;
		if (u->kind == ECHO) {
			sent = tp_sock_sendto(s, fd, buf, (size_t)n, from, port);
		} else if (u->kind == CHARGEN) {
			/* RFC 864: a datagram of 0 to 512 characters per datagram received. */
			size_t len = (size_t)(from + port + (uint64_t)u->offset) % 513;
			sent = tp_sock_sendto(s, fd, u->svc->pattern + u->offset % PATTERN_LEN, len,
					      from, port);
			u->offset += LINE;
		}
		if (u->kind != DISCARD && sent >= 0)
			st->datagrams_out++;
	}
}

static void on_listener(void *ctx, int fd, int events)
{
	struct svc_sock *l = ctx;
	struct tp_services *svc = l->svc;
	(void)events;
	for (;;) {
		int cfd = tp_sock_accept(svc->stack, fd, NULL, NULL);
		if (cfd < 0)
			return;
		struct svc_sock *c = calloc(1, sizeof(*c));
		uint8_t *buf = l->kind == ECHO ? malloc(CHUNK) : NULL;
		if (!c || (l->kind == ECHO && !buf)) {
			free(c);
			free(buf);
			tp_sock_close(svc->stack, cfd);
			continue;
		}
		c->svc = svc;
		c->kind = l->kind;
		c->fd = cfd;
		c->buf = buf;
		c->next = svc->conns;
		svc->conns = c;
		svc->stats[l->kind].connections++;
		tp_sock_set_callback(svc->stack, cfd, on_conn, c);
		serve(c, tp_sock_events(svc->stack, cfd));
	}
}

static int open_one(struct tp_services *svc, enum kind kind, uint16_t port, int udp, char *err, size_t errlen)
{
	struct tp_stack *s = svc->stack;
	struct svc_sock *x = &svc->fixed[svc->nfixed];
	int fd = tp_sock_open(s, udp ? TP_SOCK_DGRAM : TP_SOCK_STREAM);
	int rc = fd < 0 ? fd : 0;
	if (!rc) {
		tp_sock_setopt(s, fd, TP_SO_REUSEADDR, 1);
		rc = tp_sock_bind(s, fd, 0, port);
	}
	if (!rc && !udp)
		rc = tp_sock_listen(s, fd, 128);
	if (rc < 0) {
		snprintf(err, errlen, "cannot open %s port %u: %s", udp ? "UDP" : "TCP", port, strerror(-rc));
		if (fd >= 0)
			tp_sock_close(s, fd);
		return rc;
	}
	x->svc = svc;
	x->kind = kind;
	x->fd = fd;
	x->udp = udp;
	x->listening = !udp;
	tp_sock_set_callback(s, fd, udp ? on_udp : on_listener, x);
	svc->nfixed++;
	return 0;
}

struct tp_services *tp_services_start(struct tp_stack *s, unsigned mask, char *err, size_t errlen)
{
	struct tp_services *svc = calloc(1, sizeof(*svc));
	if (!svc) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	svc->stack = s;
	for (size_t i = 0; i < sizeof(svc->pattern); i++)
		svc->pattern[i] = chargen_byte(i);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (!(mask & table[i].bit))
			continue;
		if (((mask & TP_SVC_TCP) && open_one(svc, table[i].kind, table[i].port, 0, err, errlen) < 0) ||
		    ((mask & TP_SVC_UDP) && open_one(svc, table[i].kind, table[i].port, 1, err, errlen) < 0)) {
			tp_services_stop(svc);
			return NULL;
		}
	}
	return svc;
}

void tp_services_stop(struct tp_services *svc)
{
	if (!svc)
		return;
	while (svc->conns)
		conn_close(svc->conns);
	for (int i = 0; i < svc->nfixed; i++)
		tp_sock_close(svc->stack, svc->fixed[i].fd);
	free(svc);
}

const struct tp_service_stats *tp_services_stats(const struct tp_services *svc, unsigned service)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].bit == service)
			return &svc->stats[table[i].kind];
	return NULL;
}

void tp_services_print(const struct tp_services *svc, FILE *out)
{
	fprintf(out, "tapir: services:\n");
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct tp_service_stats *st = &svc->stats[table[i].kind];
		const struct {
			const char *name;
			uint64_t v;
		} rows[] = {
			{"connections", st->connections}, {"bytes_in", st->bytes_in},
			{"bytes_out", st->bytes_out}, {"datagrams_in", st->datagrams_in},
			{"datagrams_out", st->datagrams_out},
		};
		for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			char name[40];
			if (!rows[r].v)
				continue;
			snprintf(name, sizeof(name), "%s.%s", table[i].name, rows[r].name);
			fprintf(out, "  %-24s %llu\n", name, (unsigned long long)rows[r].v);
		}
	}
}
