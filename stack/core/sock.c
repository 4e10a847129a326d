/* sock.c - descriptors over TCP connections and UDP endpoints. */
#include "sock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "tcp.h"
#include "udp.h"

#define BACKLOG_MAX 4096

struct sock_table {
	struct tp_sock **by_fd;
	uint32_t cap, count;
	int *free_fds;              /* a stack of released descriptors */
	uint32_t nfree;
	tp_sock_event_fn hook;
	void *hook_ctx;
	struct tp_sock *pending;    /* sockets with undelivered events, newest first */
	uint8_t dispatching;
};

int sock_init(struct tp_stack *s)
{
	s->socks = calloc(1, sizeof(*s->socks));
	return s->socks ? 0 : -ENOMEM;
}

void sock_fini(struct tp_stack *s)
{
	struct sock_table *t = s->socks;
	if (!t)
		return;
	for (uint32_t fd = 0; fd < t->cap; fd++) {
		struct tp_sock *so = t->by_fd[fd];
		if (!so)
			continue;
		if (so->tcp && so->tcp->state == TCP_CLOSED) {
			tcp_conn_free(so->tcp);    /* a dead connection kept for its socket */
		} else if (so->tcp) {
			so->tcp->sock = NULL;       /* tcp_fini frees live ones */
			so->tcp = NULL;
		}
		if (so->type == TP_SOCK_DGRAM)
			udp_unbind(so);
		free(so);
	}
	free(t->by_fd);
	free(t->free_fds);
	free(t);
	s->socks = NULL;
}

struct tp_sock *sock_get(struct tp_stack *s, int fd)
{
	struct sock_table *t = s->socks;
	if (fd < 0 || (uint32_t)fd >= t->cap)
		return NULL;
	return t->by_fd[fd];
}

void sock_notify(struct tp_sock *so)
{
	struct sock_table *t = so->stack->socks;
	if (so->pending || (!so->cb && !t->hook))
		return;
	so->pending = 1;
	so->pending_next = t->pending;
	t->pending = so;
}

static void unqueue(struct sock_table *t, struct tp_sock *so)
{
	if (!so->pending)
		return;
	for (struct tp_sock **p = &t->pending; *p; p = &(*p)->pending_next)
		if (*p == so) {
			*p = so->pending_next;
			break;
		}
	so->pending = 0;
}

void tp_sock_dispatch(struct tp_stack *s)
{
	struct sock_table *t = s->socks;
	if (t->dispatching)
		return;                     /* a callback's own calls: the outer loop delivers */
	t->dispatching = 1;
	while (t->pending) {
		struct tp_sock *so = t->pending;
		t->pending = so->pending_next;
		so->pending = 0;
		int fd = so->fd;
		int ev = tp_sock_events(s, fd);
		if (so->cb)
			so->cb(so->cb_ctx, fd, ev);
		else if (t->hook)
			t->hook(t->hook_ctx, fd, ev);
	}
	t->dispatching = 0;
	if (s->trace)
		tcp_vars_flush(s);      /* the protocol work is done: the last segment's state is final */
}

void tp_sock_set_event_hook(struct tp_stack *s, tp_sock_event_fn fn, void *ctx)
{
	s->socks->hook = fn;
	s->socks->hook_ctx = ctx;
}

int tp_sock_set_callback(struct tp_stack *s, int fd, tp_sock_event_fn fn, void *ctx)
{
	struct tp_sock *so = sock_get(s, fd);
	if (!so)
		return -EBADF;
	so->cb = fn;
	so->cb_ctx = ctx;
	return 0;
}

struct tp_sock *sock_new(struct tp_stack *s, int type)
{
	struct sock_table *t = s->socks;
	if (t->count >= s->cfg.max_sockets) {
		tp_count(s, TP_STAT_SOCK_LIMIT);
		return NULL;
	}
	int fd;
	if (t->nfree) {
		fd = t->free_fds[--t->nfree];
	} else {
		if (t->count == t->cap) {
			uint32_t cap = t->cap ? t->cap * 2 : 64;
			struct tp_sock **by_fd = realloc(t->by_fd, cap * sizeof(*by_fd));
			int *free_fds = realloc(t->free_fds, cap * sizeof(*free_fds));
			if (by_fd)
				t->by_fd = by_fd;
			if (free_fds)
				t->free_fds = free_fds;
			if (!by_fd || !free_fds)
				return NULL;
			memset(t->by_fd + t->cap, 0, (cap - t->cap) * sizeof(*by_fd));
			t->cap = cap;
		}
		fd = (int)t->count;
	}
	struct tp_sock *so = calloc(1, sizeof(*so));
	if (!so) {
		t->free_fds[t->nfree++] = fd;
		tp_count(s, TP_STAT_MEM_FAIL);
		return NULL;
	}
	so->fd = fd;
	so->type = type;
	so->stack = s;
	so->sndbuf = s->cfg.tcp_sndbuf;
	so->rcvbuf = type == TP_SOCK_STREAM ? s->cfg.tcp_rcvbuf : s->cfg.udp_rcvbuf;
	so->linger = -1;
	t->by_fd[fd] = so;
	t->count++;
	return so;
}

void sock_release(struct tp_sock *so)
{
	struct sock_table *t = so->stack->socks;
	unqueue(t, so);
	t->by_fd[so->fd] = NULL;
	t->free_fds[t->nfree++] = so->fd;
	t->count--;
	free(so);
}

int sock_port_bound(struct tp_stack *s, int type, tp_ip4 laddr, uint16_t port)
{
	if (type == TP_SOCK_DGRAM)
		return udp_port_bound(s, laddr, port);
	/* Stream sockets bound but not yet listening or connected: rare, so a walk. */
	struct sock_table *t = s->socks;
	for (uint32_t fd = 0; fd < t->cap; fd++) {
		struct tp_sock *so = t->by_fd[fd];
		if (so && so->type == TP_SOCK_STREAM && so->bound && !so->tcp && so->lport == port &&
		    (!so->laddr || !laddr || so->laddr == laddr))
			return 1;
	}
	return 0;
}

static int is_local_or_any(struct tp_stack *s, tp_ip4 a)
{
	if (a == 0)
		return 1;
	for (int i = 0; i < s->n_netif; i++)
		if (s->netifs[i].cfg.addr == a)
			return 1;
	return 0;
}

/* --- the calls ------------------------------------------------------------ */

int tp_sock_open(struct tp_stack *s, int type)
{
	if (type != TP_SOCK_STREAM && type != TP_SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	struct tp_sock *so = sock_new(s, type);
	if (!so)
		return s->socks->count >= s->cfg.max_sockets ? -EMFILE : -ENOMEM;
	return so->fd;
}

#define GET(so, fd)                                 \
	struct tp_sock *so = sock_get(s, fd);       \
	if (!so)                                    \
		return -EBADF

int tp_sock_bind(struct tp_stack *s, int fd, tp_ip4 addr, uint16_t port)
{
	GET(so, fd);
	if (so->bound || so->tcp)
		return -EINVAL;
	if (!is_local_or_any(s, addr))
		return -EADDRNOTAVAIL;
	if (so->type == TP_SOCK_DGRAM)
		return udp_bind(so, addr, port, 0);
	if (port == 0) {
		int err = tcp_ephemeral_port(s, addr, 0, 0, &port);
		if (err < 0)
			return err;
	} else if (tcp_port_in_use(s, addr, port, so->reuseaddr)) {
		return -EADDRINUSE;
	}
	so->laddr = addr;
	so->lport = port;
	so->bound = 1;
	return 0;
}

static void apply_keepalive_knobs(const struct tp_sock *so, struct tcp_conn *c)
{
	if (so->ka_idle)
		c->ka_idle = TP_SEC(so->ka_idle);
	if (so->ka_intvl)
		c->ka_intvl = TP_SEC(so->ka_intvl);
	if (so->ka_cnt)
		c->ka_cnt = so->ka_cnt;
	tcp_keepalive_update(c);
}

static struct tcp_conn *attach_conn(struct tp_sock *so)
{
	struct tcp_conn *c = tcp_conn_new(so->stack, so);
	if (!c)
		return NULL;
	c->laddr = so->laddr;
	c->lport = so->lport;
	c->nodelay = so->nodelay;
	c->keepalive = so->keepalive;
	if (so->cc)
		c->cc = so->cc;
	apply_keepalive_knobs(so, c);
	c->user_mss = so->maxseg;
	so->tcp = c;
	return c;
}

int tp_sock_listen(struct tp_stack *s, int fd, int backlog)
{
	GET(so, fd);
	if (so->type != TP_SOCK_STREAM)
		return -EOPNOTSUPP;
	if (so->tcp && so->tcp->state != TCP_LISTEN)
		return -EINVAL;
	if (!so->bound) {
		int err = tp_sock_bind(s, fd, 0, 0);
		if (err < 0)
			return err;
	}
	if (!so->tcp && !attach_conn(so))
		return -ENOMEM;
	if (backlog < 1)
		backlog = 1;
	if (backlog > BACKLOG_MAX)
		backlog = BACKLOG_MAX;
	return tcp_user_listen(so->tcp, (uint32_t)backlog);
}

int tp_sock_accept(struct tp_stack *s, int fd, tp_ip4 *addr, uint16_t *port)
{
	GET(so, fd);
	if (so->type != TP_SOCK_STREAM || !so->tcp || so->tcp->state != TCP_LISTEN)
		return -EINVAL;
	if (!so->tcp->accept_head)
		return -EAGAIN;
	struct tp_sock *nso = sock_new(s, TP_SOCK_STREAM);
	if (!nso)
		return s->socks->count >= s->cfg.max_sockets ? -EMFILE : -ENOMEM;
	struct tcp_conn *c = tcp_user_accept(so->tcp);
	c->sock = nso;
	nso->tcp = c;
	nso->bound = 1;
	nso->laddr = c->laddr;
	nso->lport = c->lport;
	nso->raddr = c->raddr;
	nso->rport = c->rport;
	nso->sndbuf = c->sndbuf.cap;
	nso->rcvbuf = c->rcvbuf.cap;
	nso->nodelay = c->nodelay;
	nso->keepalive = c->keepalive;
	nso->maxseg = c->user_mss;
	if (addr)
		*addr = c->raddr;
	if (port)
		*port = c->rport;
	return nso->fd;
}

int tp_sock_connect(struct tp_stack *s, int fd, tp_ip4 addr, uint16_t port)
{
	GET(so, fd);
	if (so->type == TP_SOCK_DGRAM) {
		if (addr && !so->bound) {
			int err = udp_bind(so, 0, 0, port);
			if (err < 0)
				return err;
		}
		so->raddr = addr;
		so->rport = addr ? port : 0;
		return 0;
	}
	if (so->tcp) {
		switch (so->tcp->state) {
		case TCP_SYN_SENT:
		case TCP_SYN_RECEIVED:
			return -EALREADY;
		case TCP_LISTEN:
			return -EINVAL;
		case TCP_CLOSED:
			return so->tcp->error ? so->tcp->error : -EISCONN;
		default:
			return -EISCONN;
		}
	}
	if (!addr || !port)
		return -EADDRNOTAVAIL;
	tp_ip4 nexthop;
	struct tp_netif *nif = ip_route(s, addr, &nexthop);
	if (!nif)
		return -ENETUNREACH;
	tp_ip4 laddr = so->laddr ? so->laddr : nif->cfg.addr;
	uint16_t lport = so->lport;
	if (!lport) {
		int err = tcp_ephemeral_port(s, laddr, addr, port, &lport);
		if (err < 0)
			return err;
	} else if (tcp_lookup(s, laddr, lport, addr, port)) {
		return -EADDRINUSE;
	}
	/* The memory budget is spent: no new connections (tcp_mem_limit). */
	if (tcp_mem_pressure(s)) {
		tp_drop(s, TP_STAT_TCP_DROP_MEM_LIMIT, NULL, 0);
		return -ENOBUFS;
	}
	so->laddr = laddr;
	so->lport = lport;
	so->bound = 1;
	so->raddr = addr;
	so->rport = port;
	struct tcp_conn *c = attach_conn(so);
	if (!c)
		return -ENOMEM;
	c->raddr = addr;
	c->rport = port;
	return tcp_user_connect(c);
}

long tp_sock_send(struct tp_stack *s, int fd, const void *buf, size_t len)
{
	GET(so, fd);
	if (so->type == TP_SOCK_DGRAM) {
		if (!so->rport)
			return -EDESTADDRREQ;
		return udp_sendto(so, buf, len, so->raddr, so->rport);
	}
	if (so->shut_wr)
		return -EPIPE;
	if (!so->tcp)
		return -ENOTCONN;
	return tcp_user_send(so->tcp, buf, len);
}

long tp_sock_recv(struct tp_stack *s, int fd, void *buf, size_t len, int flags)
{
	return tp_sock_recvfrom(s, fd, buf, len, flags, NULL, NULL);
}

long tp_sock_sendto(struct tp_stack *s, int fd, const void *buf, size_t len, tp_ip4 addr, uint16_t port)
{
	GET(so, fd);
	if (so->type == TP_SOCK_STREAM)
		return tp_sock_send(s, fd, buf, len);      /* the address is ignored, as in BSD */
	return udp_sendto(so, buf, len, addr, port);
}

long tp_sock_recvfrom(struct tp_stack *s, int fd, void *buf, size_t len, int flags, tp_ip4 *addr,
		      uint16_t *port)
{
	GET(so, fd);
	if (so->type == TP_SOCK_DGRAM)
		return udp_recvfrom(so, buf, len, flags & TP_MSG_PEEK, addr, port);
	if (!so->tcp)
		return so->error ? so->error : -ENOTCONN;
	if (so->shut_rd && so->tcp->rcvbuf.len == 0)
		return 0;
	if (addr)
		*addr = so->raddr;
	if (port)
		*port = so->rport;
	return tcp_user_recv(so->tcp, buf, len, flags & TP_MSG_PEEK);
}

int tp_sock_shutdown(struct tp_stack *s, int fd, int how)
{
	GET(so, fd);
	if (how != TP_SHUT_RD && how != TP_SHUT_WR && how != TP_SHUT_RDWR)
		return -EINVAL;
	if (so->type == TP_SOCK_STREAM && (!so->tcp || so->tcp->state == TCP_LISTEN ||
					   so->tcp->state == TCP_CLOSED))
		return -ENOTCONN;
	if (how != TP_SHUT_WR)
		so->shut_rd = 1;
	if (how != TP_SHUT_RD) {
		so->shut_wr = 1;
		if (so->tcp)
			tcp_user_shutdown_write(so->tcp);
	}
	sock_notify(so);
	return 0;
}

int tp_sock_close(struct tp_stack *s, int fd)
{
	GET(so, fd);
	if (so->tcp) {
		struct tcp_conn *c = so->tcp;
		c->linger_on = so->linger >= 0;
		c->linger_secs = so->linger >= 0 ? (uint32_t)so->linger : 0;
		tcp_user_close(c);          /* detaches: the connection may live on */
	}
	if (so->type == TP_SOCK_DGRAM)
		udp_unbind(so);
	sock_release(so);
	return 0;
}

int tp_sock_setopt(struct tp_stack *s, int fd, enum tp_sockopt opt, int v)
{
	GET(so, fd);
	struct tcp_conn *c = so->tcp;
	switch (opt) {
	case TP_SO_REUSEADDR:
		so->reuseaddr = v != 0;
		return 0;
	case TP_SO_RCVBUF:
	case TP_SO_SNDBUF: {
		if (v < 2048)
			v = 2048;
		if (v > 16 * 1024 * 1024)
			v = 16 * 1024 * 1024;
		uint32_t *field = opt == TP_SO_RCVBUF ? &so->rcvbuf : &so->sndbuf;
		*field = (uint32_t)v;
		if (c) {
			struct ring *r = opt == TP_SO_RCVBUF ? &c->rcvbuf : &c->sndbuf;
			/* The receive window's scale is fixed at the SYN: resize only
			 * before it, or within what the scale can advertise. */
			if ((opt == TP_SO_SNDBUF || c->state <= TCP_SYN_SENT) && !c->ooo)
				ring_resize(r, (uint32_t)v < r->len ? r->len : (uint32_t)v);
		}
		return 0;
	}
	case TP_SO_LINGER:
		so->linger = v < 0 ? -1 : v;
		return 0;
	case TP_SO_KEEPALIVE:
		so->keepalive = v != 0;
		if (c) {
			c->keepalive = so->keepalive;
			tcp_keepalive_update(c);
		}
		return 0;
	case TP_TCP_KEEPIDLE:
	case TP_TCP_KEEPINTVL:
	case TP_TCP_KEEPCNT: {
		if (so->type != TP_SOCK_STREAM)
			return -ENOPROTOOPT;
		/* Linux's bounds: 1 s to 32767 s, 1 to 127 probes. */
		if (v < 1 || v > (opt == TP_TCP_KEEPCNT ? 127 : 32767))
			return -EINVAL;
		uint32_t *field = opt == TP_TCP_KEEPIDLE ? &so->ka_idle
				  : opt == TP_TCP_KEEPINTVL ? &so->ka_intvl : &so->ka_cnt;
		*field = (uint32_t)v;
		if (c)
			apply_keepalive_knobs(so, c);
		return 0;
	}
	case TP_TCP_NODELAY:
		if (so->type != TP_SOCK_STREAM)
			return -ENOPROTOOPT;
		so->nodelay = v != 0;
		if (c) {
			c->nodelay = so->nodelay;
			if (c->nodelay)
				tcp_output(c);      /* what Nagle held back goes now */
		}
		return 0;
	case TP_TCP_MAXSEG:
		if (so->type != TP_SOCK_STREAM)
			return -ENOPROTOOPT;
		if (v < 88 || v > 65495)
			return -EINVAL;
		so->maxseg = (uint16_t)v;
		if (c) {
			c->user_mss = so->maxseg;
			if (c->state <= TCP_SYN_SENT || c->mss > so->maxseg)
				c->mss = c->mss < so->maxseg ? c->mss : so->maxseg;
		}
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

int tp_sock_getopt(struct tp_stack *s, int fd, enum tp_sockopt opt, int *v)
{
	GET(so, fd);
	struct tcp_conn *c = so->tcp;
	switch (opt) {
	case TP_SO_REUSEADDR: *v = so->reuseaddr; return 0;
	case TP_SO_RCVBUF: *v = (int)(c ? c->rcvbuf.cap : so->rcvbuf); return 0;
	case TP_SO_SNDBUF: *v = (int)(c ? c->sndbuf.cap : so->sndbuf); return 0;
	case TP_SO_LINGER: *v = so->linger; return 0;
	case TP_SO_KEEPALIVE: *v = so->keepalive; return 0;
	case TP_TCP_KEEPIDLE: *v = c ? (int)(c->ka_idle / TP_SEC(1)) : (so->ka_idle ? (int)so->ka_idle : 7200); return 0;
	case TP_TCP_KEEPINTVL: *v = c ? (int)(c->ka_intvl / TP_SEC(1)) : (so->ka_intvl ? (int)so->ka_intvl : 75); return 0;
	case TP_TCP_KEEPCNT: *v = c ? (int)c->ka_cnt : (so->ka_cnt ? (int)so->ka_cnt : 9); return 0;
	case TP_SO_ERROR:
		*v = -so->error;
		so->error = 0;
		return 0;
	case TP_SO_TYPE: *v = so->type; return 0;
	case TP_SO_ACCEPTCONN: *v = c && c->state == TCP_LISTEN; return 0;
	case TP_TCP_NODELAY: *v = so->nodelay; return 0;
	case TP_TCP_MAXSEG: *v = c && c->state >= TCP_ESTABLISHED ? c->mss : (so->maxseg ? so->maxseg : 536); return 0;
	case TP_SO_SENDQ: {
		/* The FIN counts until acknowledged: a lingering close waits for it. */
		int fin_unacked = c && c->fin_queued && (c->state == TCP_SYN_RECEIVED ||
			c->state == TCP_FIN_WAIT_1 || c->state == TCP_CLOSING || c->state == TCP_LAST_ACK);
		*v = c ? (int)c->sndbuf.len + fin_unacked : 0;
		return 0;
	}
	default: return -ENOPROTOOPT;
	}
}

int tp_sock_name(struct tp_stack *s, int fd, tp_ip4 *addr, uint16_t *port)
{
	GET(so, fd);
	*addr = so->tcp ? so->tcp->laddr : so->laddr;
	*port = so->lport;
	return 0;
}

int tp_sock_peer(struct tp_stack *s, int fd, tp_ip4 *addr, uint16_t *port)
{
	GET(so, fd);
	int connected = so->type == TP_SOCK_DGRAM ? so->rport != 0
			: so->tcp && so->tcp->state >= TCP_ESTABLISHED;
	if (!connected)
		return -ENOTCONN;
	*addr = so->raddr;
	*port = so->rport;
	return 0;
}

int tp_sock_events(struct tp_stack *s, int fd)
{
	struct tp_sock *so = sock_get(s, fd);
	if (!so)
		return TP_EV_ERR;
	int ev = so->error ? TP_EV_ERR : 0;
	if (so->type == TP_SOCK_DGRAM)
		return ev | TP_EV_OUT | (so->rx_head ? TP_EV_IN : 0);
	struct tcp_conn *c = so->tcp;
	if (!c)
		return ev | TP_EV_OUT | TP_EV_HUP;  /* unconnected, as Linux reports it */
	switch (c->state) {
	case TCP_LISTEN:
		return ev | (c->accept_head ? TP_EV_IN : 0);
	case TCP_SYN_SENT:
	case TCP_SYN_RECEIVED:
		return ev;
	case TCP_CLOSED:
		return ev | TP_EV_IN | TP_EV_OUT | TP_EV_HUP;
	default:
		break;
	}
	if (c->rcvbuf.len || c->fin_rcvd || so->shut_rd)
		ev |= TP_EV_IN;
	if ((c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) && !c->fin_queued &&
	    tcp_buf_room(c, &c->sndbuf) > 0)
		ev |= TP_EV_OUT;
	if (c->fin_rcvd && c->fin_queued)
		ev |= TP_EV_HUP;
	return ev;
}

int tp_sock_set_congestion(struct tp_stack *s, int fd, const char *name)
{
	GET(so, fd);
	if (so->type != TP_SOCK_STREAM)
		return -ENOPROTOOPT;
	const struct tcp_cc *cc = tcp_cc_find(name);
	if (!cc)
		return -ENOENT;
	so->cc = cc;
	if (so->tcp && so->tcp->cc != cc) {
		so->tcp->cc = cc;
		cc->init(so->tcp);          /* a fresh start from the current window */
	}
	return 0;
}

const char *tp_sock_get_congestion(struct tp_stack *s, int fd)
{
	struct tp_sock *so = sock_get(s, fd);
	if (!so || so->type != TP_SOCK_STREAM)
		return NULL;
	return so->tcp ? so->tcp->cc->name : so->cc ? so->cc->name : s->tcp->default_cc->name;
}

const char *tp_tcp_congestion_names(void)
{
	return tcp_cc_names();
}
