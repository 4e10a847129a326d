/*
 * replay_client.c - scripted TCP clients and servers for vectors (the
 * `connect` and `listen` keys).
 *
 * A client connects at its time, writes N bytes of a fixed pattern ('a'..'z'
 * over and over, counted from the start of its stream) at each `send` time,
 * reads and discards whatever arrives (so its window stays open and a close
 * is never a reset for unread data), and closes at its `close` time. Its
 * actions run on the replay's virtual clock, after the timers due at the
 * same instant and before an input frame stamped with it.
 *
 * A server accepts on its port and works on readiness alone (no times of
 * its own): it discards what arrives, answers the first data with `reply`
 * bytes of the same pattern, and with `close` closes first, like an
 * HTTP/1.0 server after its response (RFC 1945 §1.3), so the stack is the
 * end that goes to TIME_WAIT.
 */
#include "replay_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapir/sock.h"

#define CHUNK 4096

struct client {
	struct replay_clients *all;
	const struct tp_replay_client *script;
	int fd;                         /* -1 before the connect and after the close */
	int next;                       /* 0 connect, 1..n_sends a send, n_sends + 1 close */
	uint64_t offset;                /* stream bytes handed to the stack */
	uint64_t pending;               /* bytes the script asked for, not yet taken */
};

struct server {
	struct replay_clients *all;
	const struct tp_replay_listener *script;
	int fd;
};

/* One accepted connection of a server. */
struct served {
	struct served *next;
	const struct server *server;
	int fd;                         /* -1 once closed */
	int answered;
};

struct replay_clients {
	struct tp_stack *stack;
	tp_time start;
	int n;
	struct client c[TP_REPLAY_MAX_CLIENTS];
	int n_servers;
	struct server servers[TP_REPLAY_MAX_LISTENERS];
	struct served *served;
};

/* --- parsing ------------------------------------------------------------- */

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long v = s[0] >= '0' && s[0] <= '9' ? strtoul(s, &end, 10) : 0;
	if (errno || v == 0 || v > 65535 || *end)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_addr_port(const char *s, tp_ip4 *addr, uint16_t *port)
{
	char ip[32];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	return tp_ip4_parse(ip, addr) == 0 && *addr != 0 ? parse_port(colon + 1, port) : -1;
}

/* "at T" at words[*i]; T must not come before *last. */
static int parse_at(char **w, int n, int *i, tp_time *t, tp_time *last)
{
	if (*i + 1 >= n || strcmp(w[*i], "at") || tp_parse_seconds(w[*i + 1], t) < 0 || *t < *last)
		return -1;
	*last = *t;
	*i += 2;
	return 0;
}

int replay_client_parse(const char *value, struct tp_replay_client *c, char *err, size_t errlen)
{
	static const char grammar[] = "ADDR:PORT at T [from PORT] [keepalive IDLE,INTVL,CNT] [send N at T]... "
				      "[close at T], times in order";
	char copy[512], *w[64], *save = NULL;
	int n = 0;

	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy)) {
		snprintf(err, errlen, "connect: value too long");
		return -1;
	}
	for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == (int)(sizeof(w) / sizeof(w[0]))) {
			snprintf(err, errlen, "connect: too many words");
			return -1;
		}
		w[n++] = t;
	}
	memset(c, 0, sizeof(*c));
	c->close_at = TP_TIME_NEVER;
	tp_time last = 0;
	int i = 1;
	if (n < 3 || parse_addr_port(w[0], &c->addr, &c->port) < 0 || parse_at(w, n, &i, &c->at, &last) < 0) {
		snprintf(err, errlen, "connect: expected %s", grammar);
		return -1;
	}
	while (i < n) {
		const char *word = w[i];
		int ok;
		if (!strcmp(word, "from")) {
			ok = i + 1 < n && !c->from && parse_port(w[i + 1], &c->from) == 0;
			i += 2;
		} else if (!strcmp(word, "keepalive")) {
			/* TCP_KEEPIDLE and TCP_KEEPINTVL in seconds, TCP_KEEPCNT probes. */
			char tail;
			ok = i + 1 < n && !c->ka_cnt &&
			     sscanf(w[i + 1], "%d,%d,%d%c", &c->ka_idle, &c->ka_intvl, &c->ka_cnt, &tail) == 3 &&
			     c->ka_idle > 0 && c->ka_idle <= 32767 && c->ka_intvl > 0 && c->ka_intvl <= 32767 &&
			     c->ka_cnt > 0 && c->ka_cnt <= 127;      /* Linux's bounds, as tp_sock_setopt */
			i += 2;
		} else if (!strcmp(word, "send") && c->n_sends < TP_REPLAY_MAX_CLIENT_SENDS &&
			   c->close_at == TP_TIME_NEVER) {
			char *end;
			errno = 0;
			unsigned long len = i + 1 < n && w[i + 1][0] >= '0' && w[i + 1][0] <= '9'
						    ? strtoul(w[i + 1], &end, 10) : 0;
			ok = !errno && len > 0 && len <= 1u << 24 && !*end;
			i += 2;
			c->sends[c->n_sends].len = (uint32_t)len;
			ok = ok && parse_at(w, n, &i, &c->sends[c->n_sends].at, &last) == 0;
			c->n_sends++;
		} else if (!strcmp(word, "close") && c->close_at == TP_TIME_NEVER) {
			i++;
			ok = parse_at(w, n, &i, &c->close_at, &last) == 0;
		} else {
			ok = 0;
		}
		if (!ok) {
			snprintf(err, errlen, "connect: bad or misplaced '%s' (%s; at most %d sends)", word, grammar,
				 TP_REPLAY_MAX_CLIENT_SENDS);
			return -1;
		}
	}
	return 0;
}

int replay_listener_parse(const char *value, struct tp_replay_listener *l, char *err, size_t errlen)
{
	char copy[128], *w[8], *save = NULL;
	int n = 0, ok = 1;

	memset(l, 0, sizeof(*l));
	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy))
		ok = 0;
	for (char *t = ok ? strtok_r(copy, " \t", &save) : NULL; t && ok; t = strtok_r(NULL, " \t", &save)) {
		if (n == (int)(sizeof(w) / sizeof(w[0])))
			ok = 0;
		else
			w[n++] = t;
	}
	ok = ok && n >= 1 && parse_port(w[0], &l->port) == 0;
	for (int i = 1; ok && i < n; i++) {
		if (!strcmp(w[i], "reply") && !l->reply && i + 1 < n) {
			char *end;
			errno = 0;
			unsigned long len = w[i + 1][0] >= '0' && w[i + 1][0] <= '9' ? strtoul(w[i + 1], &end, 10) : 0;
			ok = !errno && len > 0 && len <= 1u << 24 && !*end;
			l->reply = (uint32_t)len;
			i++;
		} else if (!strcmp(w[i], "close") && !l->close_first) {
			l->close_first = 1;
		} else {
			ok = 0;
		}
	}
	if (!ok)
		snprintf(err, errlen, "listen: expected PORT [reply N] [close] (N bytes, 1..16777216)");
	return ok ? 0 : -1;
}

/* --- servers --------------------------------------------------------------- */

static void served_close(struct served *c)
{
	tp_sock_close(c->server->all->stack, c->fd);
	c->fd = -1;
}

/* Writes n bytes of the pattern; what does not fit now is dropped (a reply
 * is kept under the send buffer: 16 MiB at most against 256 KiB would be
 * the script's mistake, and a short reply shows in the vector). */
static void send_pattern(struct tp_stack *s, int fd, uint32_t n)
{
	uint8_t buf[CHUNK];
	for (uint32_t off = 0; off < n;) {
		size_t len = n - off < sizeof(buf) ? n - off : sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)('a' + (off + i) % 26);
		long sent = tp_sock_send(s, fd, buf, len);
		if (sent <= 0)
			return;
		off += (uint32_t)sent;
	}
}

static void on_served(void *ctx, int fd, int events)
{
	struct served *c = ctx;
	struct tp_stack *s = c->server->all->stack;
	uint8_t buf[CHUNK];
	long got = 0, n;
	(void)events;
	if (c->fd < 0)
		return;
	while ((n = tp_sock_recv(s, fd, buf, sizeof(buf), 0)) > 0)
		got += n;
	if (got > 0 && !c->answered) {
		c->answered = 1;
		send_pattern(s, fd, c->server->script->reply);
		if (c->server->script->close_first) {
			served_close(c);
			return;
		}
	}
	if (n != -EAGAIN)               /* end of stream or an error: the peer is done */
		served_close(c);
}

static void on_accept(void *ctx, int fd, int events)
{
	struct server *sv = ctx;
	struct tp_stack *s = sv->all->stack;
	(void)events;
	int cfd;
	while ((cfd = tp_sock_accept(s, fd, NULL, NULL)) >= 0) {
		struct served *c = calloc(1, sizeof(*c));
		if (!c) {
			tp_sock_close(s, cfd);
			continue;
		}
		*c = (struct served){.next = sv->all->served, .server = sv, .fd = cfd};
		sv->all->served = c;
		tp_sock_set_callback(s, cfd, on_served, c);
		if (sv->script->close_first && !sv->script->reply)
			served_close(c);        /* nothing to answer: close at once */
		else
			on_served(c, cfd, tp_sock_events(s, cfd));
	}
}

int replay_clients_listen(struct replay_clients *cl, char *err, size_t errlen)
{
	for (int i = 0; i < cl->n_servers; i++) {
		struct server *sv = &cl->servers[i];
		int fd = tp_sock_open(cl->stack, TP_SOCK_STREAM);
		int rc = fd < 0 ? fd : tp_sock_bind(cl->stack, fd, 0, sv->script->port);
		if (!rc)
			rc = tp_sock_listen(cl->stack, fd, 16);
		if (!rc)
			rc = tp_sock_set_callback(cl->stack, fd, on_accept, sv);
		if (rc < 0) {
			snprintf(err, errlen, "listen on port %u: %s", sv->script->port, strerror(-rc));
			return -1;
		}
		sv->fd = fd;
	}
	return 0;
}

/* --- running ------------------------------------------------------------- */

static tp_time action_time(const struct client *c)
{
	const struct tp_replay_client *s = c->script;
	tp_time rel = c->next == 0 ? s->at : c->next <= s->n_sends ? s->sends[c->next - 1].at : s->close_at;
	if (c->next > s->n_sends + 1 || rel == TP_TIME_NEVER)
		return TP_TIME_NEVER;
	return c->all->start + rel;
}

static void flush(struct client *c)
{
	struct tp_stack *s = c->all->stack;
	uint8_t buf[CHUNK];
	while (c->pending && c->fd >= 0) {
		size_t n = c->pending < sizeof(buf) ? (size_t)c->pending : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)('a' + (c->offset + i) % 26);
		long sent = tp_sock_send(s, c->fd, buf, n);
		if (sent <= 0)
			return;                 /* not yet connected, or the buffer is full */
		c->offset += (uint64_t)sent;
		c->pending -= (uint64_t)sent;
	}
}

static void on_event(void *ctx, int fd, int events)
{
	struct client *c = ctx;
	uint8_t buf[CHUNK];
	(void)events;
	while (tp_sock_recv(c->all->stack, fd, buf, sizeof(buf), 0) > 0)
		;
	flush(c);
}

static int act(struct client *c, char *err, size_t errlen)
{
	struct tp_stack *s = c->all->stack;
	const struct tp_replay_client *sc = c->script;
	int step = c->next++;

	if (step == 0) {
		c->fd = tp_sock_open(s, TP_SOCK_STREAM);
		int rc = c->fd < 0 ? c->fd : 0;
		if (!rc && sc->from)
			rc = tp_sock_bind(s, c->fd, 0, sc->from);
		if (!rc && sc->ka_cnt) {
			rc = tp_sock_setopt(s, c->fd, TP_SO_KEEPALIVE, 1);
			if (!rc)
				rc = tp_sock_setopt(s, c->fd, TP_TCP_KEEPIDLE, sc->ka_idle);
			if (!rc)
				rc = tp_sock_setopt(s, c->fd, TP_TCP_KEEPINTVL, sc->ka_intvl);
			if (!rc)
				rc = tp_sock_setopt(s, c->fd, TP_TCP_KEEPCNT, sc->ka_cnt);
		}
		if (!rc)
			rc = tp_sock_set_callback(s, c->fd, on_event, c);
		if (!rc)
			rc = tp_sock_connect(s, c->fd, sc->addr, sc->port);
		if (rc != -EINPROGRESS) {
			char ip[16];
			snprintf(err, errlen, "connect to %s:%u: %s", tp_ip4_format(sc->addr, ip), sc->port,
				 rc < 0 ? strerror(-rc) : "completed at once");
			return -1;
		}
	} else if (step <= sc->n_sends) {
		c->pending += sc->sends[step - 1].len;
		flush(c);
	} else if (c->fd >= 0) {
		tp_sock_close(s, c->fd);
		c->fd = -1;
	}
	return 0;
}

struct replay_clients *replay_clients_new(struct tp_stack *s, const struct tp_replay_config *cfg,
					  tp_time start)
{
	struct replay_clients *cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	cl->stack = s;
	cl->start = start;
	cl->n = cfg->n_clients;
	for (int i = 0; i < cl->n; i++)
		cl->c[i] = (struct client){.all = cl, .script = &cfg->clients[i], .fd = -1};
	cl->n_servers = cfg->n_listeners;
	for (int i = 0; i < cl->n_servers; i++)
		cl->servers[i] = (struct server){.all = cl, .script = &cfg->listeners[i], .fd = -1};
	return cl;
}

tp_time replay_clients_next(const struct replay_clients *cl)
{
	tp_time next = TP_TIME_NEVER;
	for (int i = 0; cl && i < cl->n; i++) {
		tp_time t = action_time(&cl->c[i]);
		if (t < next)
			next = t;
	}
	return next;
}

tp_time replay_clients_last(const struct replay_clients *cl)
{
	tp_time last = 0;
	for (int i = 0; cl && i < cl->n; i++) {
		const struct tp_replay_client *s = cl->c[i].script;
		tp_time t = s->close_at != TP_TIME_NEVER ? s->close_at : s->n_sends ? s->sends[s->n_sends - 1].at : s->at;
		if (cl->start + t > last)
			last = cl->start + t;
	}
	return last;
}

int replay_clients_run(struct replay_clients *cl, tp_time now, char *err, size_t errlen)
{
	for (int i = 0; i < cl->n; i++)
		while (action_time(&cl->c[i]) <= now)
			if (act(&cl->c[i], err, errlen) < 0)
				return -1;
	tp_sock_dispatch(cl->stack);
	return 0;
}

void replay_clients_free(struct replay_clients *cl)
{
	while (cl && cl->served) {
		struct served *c = cl->served;
		cl->served = c->next;
		free(c);
	}
	free(cl);
}
