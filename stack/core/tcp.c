/* tcp.c - connection objects, lookup tables, ISNs, ports and the user calls. */
#include "tcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "siphash.h"
#include "sock.h"
#include "stack.h"
#include "tcp_seq.h"
#include "tapir/sock.h"

#define CONN_BUCKETS_MIN 1024
#define LISTEN_BUCKETS 256
#define EPHEMERAL_MIN 49152         /* RFC 6335 §6: the dynamic range */
#define EPHEMERAL_COUNT (65536 - EPHEMERAL_MIN)

static const char *const state_names[] = {
#define TCP_STATE_NAME(s) #s,
	TCP_STATES(TCP_STATE_NAME)
#undef TCP_STATE_NAME
};

const char *tcp_state_name(enum tcp_state s)
{
	return s < TCP_NSTATES ? state_names[s] : "?";
}

_Static_assert(TCP_NSTATES == TP_TCP_STATE_COUNT, "tapir/sock.h counts the states");

const char *tp_tcp_state_name(unsigned index)
{
	return index < TCP_NSTATES ? state_names[index] : NULL;
}

static struct tcp_table *table(struct tp_stack *s) { return s->tcp; }

int tcp_init(struct tp_stack *s)
{
	struct tcp_table *t = s->tcp = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->conn_buckets = CONN_BUCKETS_MIN;
	t->conns = calloc(t->conn_buckets, sizeof(*t->conns));
	t->listen_buckets = LISTEN_BUCKETS;
	t->listeners = calloc(t->listen_buckets, sizeof(*t->listeners));
	for (int i = 0; i < 2; i++) {
		t->isn_key[i] = tp_rand_next(&s->rng);
		t->port_key[i] = tp_rand_next(&s->rng);
	}
	/* Derived, not drawn: a draw more would shift every later random
	 * number (IP IDs, ISNs) and with them every recorded vector. */
	static const uint8_t label[2][16] = {"tapir syncookie0", "tapir syncookie1"};
	for (int i = 0; i < 2; i++)
		t->cookie_key[i] = siphash24(t->isn_key, label[i], sizeof(label[i]));
	t->port_offset = (uint32_t)tp_rand_next(&s->rng);
	if (!t->conns || !t->listeners)
		return -ENOMEM;
	t->default_cc = tcp_cc_find(s->cfg.tcp_cc ? s->cfg.tcp_cc : "cubic");
	if (!t->default_cc)
		return -EINVAL;
	s->ip.protos[IP_PROTO_TCP].input = tcp_input;
	s->ip.protos[IP_PROTO_TCP].error = tcp_error;
	return 0;
}

void tcp_fini(struct tp_stack *s)
{
	struct tcp_table *t = table(s);
	if (!t)
		return;
	for (uint32_t b = 0; t->conns && b < t->conn_buckets; b++)
		while (t->conns[b])
			tcp_conn_free(t->conns[b]);
	for (uint32_t b = 0; t->listeners && b < t->listen_buckets; b++)
		while (t->listeners[b])
			tcp_conn_free(t->listeners[b]);
	free(t->conns);
	free(t->listeners);
	free(t);
	s->tcp = NULL;
}

uint32_t tcp_conn_count(const struct tp_stack *s)
{
	return s->tcp->conn_count;
}

struct tcp_conn *tcp_conn_new(struct tp_stack *s, struct tp_sock *sock)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));
	if (!c) {
		tp_count(s, TP_STAT_MEM_FAIL);
		return NULL;
	}
	c->stack = s;
	c->sock = sock;
	c->state = TCP_CLOSED;
	c->rto = TP_SEC(1);                 /* RFC 6298 §2.1 */
	c->cc = s->tcp->default_cc;
	ring_init(&c->sndbuf, sock ? sock->sndbuf : s->cfg.tcp_sndbuf, &s->tcp->mem);
	ring_init(&c->rcvbuf, sock ? sock->rcvbuf : s->cfg.tcp_rcvbuf, &s->tcp->mem);
	c->linger_secs = 0;
	tcp_timers_init(c);
	return c;
}

static void free_ooo(struct tcp_conn *c)
{
	while (c->ooo) {
		struct tcp_ooo *o = c->ooo;
		c->ooo = o->next;
		free(o);
	}
	c->ooo_count = 0;
}

static void list_remove(struct tcp_conn **head, struct tcp_conn **tail, struct tcp_conn *c)
{
	struct tcp_conn *prev = NULL;
	for (struct tcp_conn **p = head; *p; prev = *p, p = &(*p)->accept_next)
		if (*p == c) {
			*p = c->accept_next;
			if (tail && *tail == c)
				*tail = prev;
			c->accept_next = NULL;
			return;
		}
}

/* Unhooks c from wherever it is listed: tables, a listener's queues. */
static void unlink_conn(struct tcp_conn *c)
{
	if (c->state == TCP_LISTEN)
		tcp_listen_remove(c);
	else
		tcp_hash_remove(c);
	struct tcp_conn *l = c->listener;
	if (!l)
		return;
	if (c->state == TCP_SYN_RECEIVED) {
		list_remove(&l->syn_head, NULL, c);
		l->syn_len--;
	} else {
		list_remove(&l->accept_head, &l->accept_tail, c);
		l->accept_len--;
	}
	c->listener = NULL;
}

/* A child of listener l finished its handshake: from the SYN queue to the
 * accept queue. */
void tcp_child_established(struct tcp_conn *c)
{
	struct tcp_conn *l = c->listener;
	list_remove(&l->syn_head, NULL, c);
	l->syn_len--;
	c->accept_next = NULL;
	if (l->accept_tail)
		l->accept_tail->accept_next = c;
	else
		l->accept_head = c;
	l->accept_tail = c;
	l->accept_len++;
}

void tcp_conn_free(struct tcp_conn *c)
{
	if (table(c->stack)->vars_conn == c)
		tcp_vars_flush(c->stack);       /* its last segment's snapshot, while c exists */
	/* A listener takes its unaccepted children with it (RFC 9293 §3.10.4). */
	while (c->accept_head || c->syn_head) {
		struct tcp_conn *child = c->accept_head ? c->accept_head : c->syn_head;
		tcp_send_reset(child);
		tcp_conn_free(child);
	}
	unlink_conn(c);
	tcp_forget_deferred_ack(c);
	tcp_timers_stop(c);
	ring_free(&c->sndbuf);
	ring_free(&c->rcvbuf);
	free_ooo(c);
	if (c->sock)
		c->sock->tcp = NULL;
	free(c);
}

/* --- the 4-tuple table -------------------------------------------------- */

static uint32_t tuple_hash(const struct tcp_table *t, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr,
			   uint16_t rport)
{
	uint8_t k[12];
	put_be32(k, laddr);
	put_be32(k + 4, raddr);
	put_be16(k + 8, lport);
	put_be16(k + 10, rport);
	/* Keyed, so a peer cannot aim all its connections at one bucket. */
	return (uint32_t)siphash24(t->port_key, k, sizeof(k));
}

static struct tcp_conn **bucket_of(struct tcp_table *t, const struct tcp_conn *c)
{
	return &t->conns[tuple_hash(t, c->laddr, c->lport, c->raddr, c->rport) & (t->conn_buckets - 1)];
}

static void grow_conn_table(struct tcp_table *t)
{
	uint32_t nb = t->conn_buckets * 2;
	struct tcp_conn **fresh = calloc(nb, sizeof(*fresh));
	if (!fresh)
		return;                     /* longer chains, still correct */
	struct tcp_conn **old = t->conns;
	uint32_t ob = t->conn_buckets;
	t->conns = fresh;
	t->conn_buckets = nb;
	for (uint32_t b = 0; b < ob; b++)
		while (old[b]) {
			struct tcp_conn *c = old[b];
			old[b] = c->hash_next;
			struct tcp_conn **head = bucket_of(t, c);
			c->hash_next = *head;
			*head = c;
		}
	free(old);
}

int tcp_hash_insert(struct tcp_conn *c)
{
	struct tcp_table *t = table(c->stack);
	if (t->conn_count >= t->conn_buckets)
		grow_conn_table(t);
	struct tcp_conn **head = bucket_of(t, c);
	c->hash_next = *head;
	*head = c;
	t->conn_count++;
	return 0;
}

void tcp_hash_remove(struct tcp_conn *c)
{
	struct tcp_table *t = table(c->stack);
	for (struct tcp_conn **p = bucket_of(t, c); *p; p = &(*p)->hash_next)
		if (*p == c) {
			*p = c->hash_next;
			c->hash_next = NULL;
			t->conn_count--;
			return;
		}
}

struct tcp_conn *tcp_lookup(struct tp_stack *s, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr, uint16_t rport)
{
	struct tcp_table *t = table(s);
	uint32_t h = tuple_hash(t, laddr, lport, raddr, rport) & (t->conn_buckets - 1);
	for (struct tcp_conn *c = t->conns[h]; c; c = c->hash_next)
		if (c->lport == lport && c->rport == rport && c->laddr == laddr && c->raddr == raddr)
			return c;
	return NULL;
}

/* --- listeners ---------------------------------------------------------- */

static struct tcp_conn **listen_bucket(struct tcp_table *t, uint16_t port)
{
	return &t->listeners[port & (t->listen_buckets - 1)];
}

int tcp_listen_insert(struct tcp_conn *c)
{
	struct tcp_conn **head = listen_bucket(table(c->stack), c->lport);
	c->hash_next = *head;
	*head = c;
	return 0;
}

void tcp_listen_remove(struct tcp_conn *c)
{
	for (struct tcp_conn **p = listen_bucket(table(c->stack), c->lport); *p; p = &(*p)->hash_next)
		if (*p == c) {
			*p = c->hash_next;
			c->hash_next = NULL;
			return;
		}
}

struct tcp_conn *tcp_lookup_listener(struct tp_stack *s, tp_ip4 laddr, uint16_t lport)
{
	struct tcp_conn *wildcard = NULL;
	for (struct tcp_conn *c = *listen_bucket(table(s), lport); c; c = c->hash_next) {
		if (c->lport != lport)
			continue;
		if (c->laddr == laddr)
			return c;
		if (c->laddr == 0)
			wildcard = c;
	}
	return wildcard;
}

/* Is `port` taken for a bind to laddr? With SO_REUSEADDR only a listener or
 * another bound socket on an overlapping address counts (TIME_WAIT and other
 * connections do not); without it any connection on the port does. */
int tcp_port_in_use(struct tp_stack *s, tp_ip4 laddr, uint16_t port, int reuse)
{
	struct tcp_table *t = table(s);
	for (struct tcp_conn *c = *listen_bucket(t, port); c; c = c->hash_next)
		if (c->lport == port && (!c->laddr || !laddr || c->laddr == laddr))
			return 1;
	if (sock_port_bound(s, TP_SOCK_STREAM, laddr, port))
		return 1;
	if (reuse)
		return 0;
	for (uint32_t b = 0; b < t->conn_buckets; b++)
		for (struct tcp_conn *c = t->conns[b]; c; c = c->hash_next)
			if (c->lport == port && (!laddr || c->laddr == laddr))
				return 1;
	return 0;
}

/* RFC 6056 §3.3.3 (algorithm 3): a keyed hash of the destination picks
 * where to start looking, so ports are hard to guess yet spread out. One
 * stack of several on a steered link skips the ports whose flow the link
 * would hand to another (tp_flow_queue), 1 in queue_count kept. */
int tcp_ephemeral_port(struct tp_stack *s, tp_ip4 laddr, tp_ip4 raddr, uint16_t rport, uint16_t *port)
{
	struct tcp_table *t = table(s);
	uint8_t k[10];
	put_be32(k, laddr);
	put_be32(k + 4, raddr);
	put_be16(k + 8, rport);
	uint32_t offset = (uint32_t)siphash24(t->port_key, k, sizeof(k));
	for (uint32_t i = 0; i < EPHEMERAL_COUNT; i++) {
		uint16_t p = (uint16_t)(EPHEMERAL_MIN + (offset + t->port_offset + i) % EPHEMERAL_COUNT);
		if (!stack_port_comes_back(s, p, rport) ||
		    tcp_lookup(s, laddr, p, raddr, rport) || tcp_lookup_listener(s, laddr, p) ||
		    sock_port_bound(s, TP_SOCK_STREAM, laddr, p))
			continue;
		t->port_offset += i + 1;
		*port = p;
		return 0;
	}
	return -EADDRNOTAVAIL;
}

/* RFC 6528 §3: ISN = M + F(4-tuple, secret), M a 4 µs clock. */
uint32_t tcp_isn(struct tp_stack *s, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr, uint16_t rport)
{
	uint8_t k[12];
	put_be32(k, laddr);
	put_be32(k + 4, raddr);
	put_be16(k + 8, lport);
	put_be16(k + 10, rport);
	return (uint32_t)(s->now / 4) + (uint32_t)siphash24(table(s)->isn_key, k, sizeof(k));
}

uint32_t tcp_mss_for(struct tp_stack *s, tp_ip4 raddr)
{
	tp_ip4 nexthop;
	struct tp_netif *nif = ip_route(s, raddr, &nexthop);
	uint32_t mtu = nif ? nif->cfg.mtu : 576;
	return mtu - IP_HDR_LEN - TCP_HDR_LEN;     /* RFC 6691: no options counted */
}

/* --- state, notification, teardown -------------------------------------- */

void tcp_set_state(struct tcp_conn *c, enum tcp_state to, const char *why)
{
	struct tp_stack *s = c->stack;
	if (c->state == to)
		return;
	if (s->trace) {
		tcp_vars_flush(s);      /* a segment sent before the change shows the state it left in */
		char l[16], r[16];
		tp_trace_text(s, TP_TRACE_STATE, "conn %s:%u-%s:%u %s -> %s (%s)",
			      tp_ip4_format(c->laddr, l), c->lport, tp_ip4_format(c->raddr, r), c->rport,
			      tcp_state_name(c->state), tcp_state_name(to), why);
	}
	c->state = to;
	if (c->keepalive)
		tcp_keepalive_update(c);
	tcp_notify(c);
}

void tcp_notify(struct tcp_conn *c)
{
	if (c->sock)
		sock_notify(c->sock);
	else if (c->listener && c->listener->sock && c->state == TCP_ESTABLISHED)
		sock_notify(c->listener->sock);
}

void tcp_drop_conn(struct tcp_conn *c, int err, const char *why)
{
	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT)
		if (err == -ECONNRESET)
			tp_count(c->stack, TP_STAT_TCP_ESTAB_RESETS);
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
		tp_count(c->stack, TP_STAT_TCP_ATTEMPT_FAILS);
	c->error = err;
	tcp_timers_stop(c);
	unlink_conn(c);
	tcp_set_state(c, TCP_CLOSED, why);
	if (!c->sock) {
		tcp_conn_free(c);
		return;
	}
	/* The socket keeps the dead connection so the application reads the
	 * error (and any data already received) before it closes. */
	ring_free(&c->sndbuf);
	free_ooo(c);
	if (c->sock->error == 0 && err)
		c->sock->error = err;
}

/* --- user calls (RFC 9293 §3.10) ---------------------------------------- */

uint8_t tcp_wscale_for(uint32_t rcvbuf)
{
	uint8_t ws = 0;
	while (ws < TCP_MAX_WSCALE && (rcvbuf >> ws) > 65535)
		ws++;
	return ws;
}

int tcp_user_listen(struct tcp_conn *c, uint32_t backlog)
{
	if (c->state == TCP_LISTEN) {
		c->backlog = backlog;
		return 0;
	}
	if (c->state != TCP_CLOSED)
		return -EINVAL;
	c->backlog = backlog;
	tcp_set_state(c, TCP_LISTEN, "listen");
	return tcp_listen_insert(c);
}

static void init_send_side(struct tcp_conn *c)
{
	c->iss = tcp_isn(c->stack, c->laddr, c->lport, c->raddr, c->rport);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->rcv_wscale = tcp_wscale_for(c->rcvbuf.cap);
	c->mss = (uint16_t)tcp_mss_for(c->stack, c->raddr);
	if (c->user_mss && c->user_mss < c->mss)
		c->mss = c->user_mss;
}

int tcp_user_connect(struct tcp_conn *c)
{
	init_send_side(c);
	tcp_hash_insert(c);
	tp_count(c->stack, TP_STAT_TCP_ACTIVE_OPENS);
	tcp_set_state(c, TCP_SYN_SENT, "connect");
	tcp_send_syn(c);
	return -EINPROGRESS;
}

int tcp_child_admit(struct tcp_conn *l)
{
	struct tp_stack *s = l->stack;
	/* Refused by dropping what asked, never with a RST: the peer's SYN
	 * (or ACK) comes again, when there may be room; a RST would tell it
	 * that nothing listens here (RFC 9293 §3.10.7.2 leaves the choice). */
	if (l->accept_len >= l->backlog) {
		tp_drop(s, TP_STAT_TCP_DROP_ACCEPT_QUEUE, NULL, 0);
		return -1;
	}
	if (tcp_conn_count(s) >= s->cfg.max_sockets) {
		tp_drop(s, TP_STAT_TCP_DROP_NO_SOCKETS, NULL, 0);
		return -1;
	}
	if (tcp_mem_pressure(s)) {
		tp_drop(s, TP_STAT_TCP_DROP_MEM_LIMIT, NULL, 0);
		return -1;
	}
	return 0;
}

struct tcp_conn *tcp_child_new(struct tcp_conn *l, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr,
			       uint16_t rport)
{
	struct tcp_conn *c = tcp_conn_new(l->stack, NULL);
	if (!c)
		return NULL;
	c->laddr = laddr;
	c->lport = lport;
	c->raddr = raddr;
	c->rport = rport;
	c->listener = l;
	c->nodelay = l->nodelay;
	c->user_mss = l->user_mss;
	c->keepalive = l->keepalive;
	c->cc = l->cc;
	c->ka_idle = l->ka_idle;
	c->ka_intvl = l->ka_intvl;
	c->ka_cnt = l->ka_cnt;
	ring_resize(&c->rcvbuf, l->rcvbuf.cap);
	ring_resize(&c->sndbuf, l->sndbuf.cap);
	init_send_side(c);
	return c;
}

/* --- the memory budget ---------------------------------------------------- */

int tcp_mem_pressure(const struct tp_stack *s)
{
	return s->tcp->mem.used >= s->cfg.tcp_mem_limit;
}

uint32_t tcp_buf_room(const struct tcp_conn *c, const struct ring *r)
{
	uint32_t limit = r->cap;
	if (tcp_mem_pressure(c->stack)) {
		uint32_t have = r->alloc > TCP_MEM_FLOOR ? r->alloc : TCP_MEM_FLOOR;
		if (have < limit)
			limit = have;
	}
	return limit > r->len ? limit - r->len : 0;
}

int tcp_user_send(struct tcp_conn *c, const uint8_t *data, size_t len)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
		break;
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		return -EAGAIN;             /* not yet: the caller waits for writable */
	case TCP_CLOSED:
		return c->error ? c->error : -ENOTCONN;
	case TCP_LISTEN:
		return -ENOTCONN;
	default:
		return -EPIPE;              /* after shutdown(SHUT_WR) or close */
	}
	if (c->fin_queued)
		return -EPIPE;
	if (len == 0)
		return 0;
	uint32_t room = tcp_buf_room(c, &c->sndbuf);
	uint32_t n = ring_write(&c->sndbuf, data, len > room ? room : (uint32_t)len);
	if (n == 0)
		return room ? -ENOMEM : -EAGAIN;
	tcp_output(c);
	return (int)n;
}

int tcp_user_recv(struct tcp_conn *c, uint8_t *buf, size_t len, int peek)
{
	uint32_t n = c->rcvbuf.len < len ? c->rcvbuf.len : (uint32_t)len;
	if (n == 0) {
		if (len == 0)
			return 0;
		if (c->fin_rcvd)
			return 0;               /* end of stream */
		if (c->state == TCP_CLOSED)
			return c->error ? c->error : 0;
		if (c->state == TCP_LISTEN || c->state == TCP_SYN_SENT)
			return c->state == TCP_LISTEN ? -ENOTCONN : -EAGAIN;
		return -EAGAIN;
	}
	ring_peek(&c->rcvbuf, 0, buf, n);
	if (peek)
		return (int)n;
	ring_drop(&c->rcvbuf, n);
	if (!c->rcvbuf.len && !c->ooo)
		ring_free(&c->rcvbuf);      /* idle connections hold no buffer */
	/* RFC 1122 §4.2.3.3: announce the opened window only once it has grown
	 * by a full segment or half the buffer, whichever is smaller - and, in
	 * an ACK of its own, only once the window the peer knows is at most
	 * half of what we can offer now (Linux's rule). Before that the sender
	 * is not held back by it, and an update after every read doubles the
	 * ACKs; worse, each carries a new window, which RFC 5681 §2 (e) does
	 * not count as a duplicate ACK, so they hid losses from fast
	 * retransmit and turned them into timeouts. */
	uint32_t now_offer = tcp_rcv_window(c);
	uint32_t advertised = tcp_offered_window(c);
	uint32_t threshold = c->rcvbuf.cap / 2 < c->mss ? c->rcvbuf.cap / 2 : c->mss;
	if (c->state >= TCP_ESTABLISHED && c->state != TCP_TIME_WAIT &&
	    now_offer - advertised >= threshold && advertised <= now_offer / 2) {
		c->ack_now = 1;
		tcp_output(c);
	}
	return (int)n;
}

int tcp_user_shutdown_write(struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_LISTEN:
	case TCP_SYN_SENT:
		tcp_drop_conn(c, 0, "close before connected");
		return 0;
	case TCP_SYN_RECEIVED:
		c->fin_queued = 1;              /* FIN_WAIT_1 once the handshake completes */
		return 0;
	case TCP_ESTABLISHED:
		c->fin_queued = 1;
		tcp_set_state(c, TCP_FIN_WAIT_1, "application closed its side");
		break;
	case TCP_CLOSE_WAIT:
		c->fin_queued = 1;
		tcp_set_state(c, TCP_LAST_ACK, "application closed after peer's FIN");
		break;
	default:
		return 0;                   /* already closing */
	}
	tcp_output(c);
	return 0;
}

void tcp_user_abort(struct tcp_conn *c)
{
	if (c->state == TCP_SYN_RECEIVED || c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	    c->state == TCP_FIN_WAIT_2 || c->state == TCP_CLOSE_WAIT)
		tcp_send_reset(c);
	struct tp_sock *so = c->sock;
	c->sock = NULL;
	if (so)
		so->tcp = NULL;
	tcp_drop_conn(c, -ECONNABORTED, "aborted by the application");
}

void tcp_user_close(struct tcp_conn *c)
{
	/* RFC 9293 §3.10.4 + RFC 2525 §2.17: closing with unread data loses it,
	 * so the peer is told with a RST rather than a polite FIN. */
	if ((c->rcvbuf.len || (c->linger_on && c->linger_secs == 0)) && c->state != TCP_LISTEN &&
	    c->state != TCP_CLOSED) {
		tcp_user_abort(c);
		return;
	}
	struct tp_sock *so = c->sock;
	c->sock = NULL;
	if (so)
		so->tcp = NULL;
	if (c->state == TCP_CLOSED || c->state == TCP_LISTEN || c->state == TCP_SYN_SENT) {
		tcp_drop_conn(c, 0, "closed");
		return;
	}
	tcp_user_shutdown_write(c);
	/* An orphan in FIN_WAIT_2 does not wait forever for the peer's FIN. */
	if (c->state == TCP_FIN_WAIT_2)
		tp_timer_set(c->stack, &c->wait_timer, c->stack->now + c->stack->cfg.tcp_fin_timeout);
}

struct tcp_conn *tcp_user_accept(struct tcp_conn *l)
{
	struct tcp_conn *c = l->accept_head;
	if (!c)
		return NULL;
	list_remove(&l->accept_head, &l->accept_tail, c);
	l->accept_len--;
	c->listener = NULL;
	return c;
}

/* --- introspection ---------------------------------------------------------- */

static void describe(const struct tcp_conn *c, struct tp_tcp_info *i)
{
	memset(i, 0, sizeof(*i));
	i->fd = c->sock ? c->sock->fd : -1;
	i->state = tcp_state_name(c->state);
	i->laddr = c->laddr;
	i->lport = c->lport;
	i->raddr = c->raddr;
	i->rport = c->rport;
	if (c->state == TCP_LISTEN) {
		i->accept_q = c->accept_len;
		i->syn_q = c->syn_len;
		i->backlog = c->backlog;
		i->snd_wscale = i->rcv_wscale = -1;
		return;
	}
	i->recv_q = c->rcvbuf.len;
	i->send_q = c->sndbuf.len;
	i->snd_wnd = c->snd_wnd;
	i->rcv_wnd = tcp_offered_window(c);
	i->cwnd = c->cwnd;
	i->ssthresh = c->ssthresh;
	i->mss = c->mss;
	i->srtt = c->srtt;
	i->rto = c->rto;
	i->bytes_in = c->bytes_in;
	i->bytes_out = c->bytes_out;
	i->retransmits = c->retransmits;
	i->sack = c->sack_ok;
	i->timestamps = c->ts_ok;
	i->snd_wscale = c->ws_ok ? (int8_t)c->snd_wscale : -1;
	i->rcv_wscale = c->ws_ok ? (int8_t)c->rcv_wscale : -1;
}

void tp_tcp_foreach(struct tp_stack *s, tp_tcp_info_fn fn, void *ctx)
{
	struct tcp_table *t = table(s);
	struct tp_tcp_info info;
	for (uint32_t b = 0; b < t->listen_buckets; b++)
		for (struct tcp_conn *c = t->listeners[b]; c; c = c->hash_next) {
			describe(c, &info);
			fn(ctx, &info);
		}
	for (uint32_t b = 0; b < t->conn_buckets; b++)
		for (struct tcp_conn *c = t->conns[b]; c; c = c->hash_next) {
			describe(c, &info);
			fn(ctx, &info);
		}
}
