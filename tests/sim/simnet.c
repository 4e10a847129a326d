/* simnet.c - two stacks on the in-memory wire, and bulk-transfer endpoints. */
#include "simnet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t sim_mac[2][6] = {{0x02, 0, 0, 0, 0, 0x0a}, {0x02, 0, 0, 0, 0, 0x0b}};

static uint64_t mix64(uint64_t x)
{
	/* splitmix64's finaliser: every input bit reaches every output bit. */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

unsigned long sim_env(const char *name, unsigned long dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	unsigned long n = strtoul(v, &end, 0);
	return *end ? dflt : n;
}

static void parse_spec(const char *spec, uint64_t seed, struct tp_impair_config *c)
{
	char err[160];
	int r = tp_impair_parse(spec ? spec : "", c, err, sizeof(err));
	ck_assert_msg(r == 0, "bad impairment '%s': %s", spec, err);
	c->seed = mix64(seed ^ 0x77697265u);
}

/* SIM_TRACE=1: every TCP segment delivered, one line each, relative
 * sequence numbers being left to the reader. */
static void trace_monitor(void *ctx, enum tp_wire_side from, tp_time at, const uint8_t *frame,
			  size_t len)
{
	(void)ctx;
	struct sim_tcp t;
	if (!sim_parse_tcp(frame, len, &t))
		return;
	printf("%10.6f %c>%c %5u>%-5u %c%c%c%c seq %10u ack %10u len %5u wnd %5u\n",
	       (double)(at - SIM_START_TIME) / 1e6, from ? 'B' : 'A', from ? 'A' : 'B', t.sport,
	       t.dport, t.flags & SIM_SYN ? 'S' : '.', t.flags & SIM_FIN ? 'F' : '.',
	       t.flags & SIM_RST ? 'R' : '.', t.flags & SIM_ACK ? 'A' : '.', t.seq, t.ack, t.len,
	       t.wnd);
	if (t.flags & SIM_SYN) {            /* the options: MSS, WS, ... */
		const uint8_t *tcp = frame + 14 + (size_t)(frame[14] & 15) * 4;
		size_t olen = (size_t)(tcp[12] >> 4) * 4 - 20;
		printf("           options");
		for (size_t i = 0; i < olen; i++)
			printf(" %02x", tcp[20 + i]);
		printf("\n");
	}
}

/* Every frame a stack hands to the wire: traced (SIM_TRACE=2), then the
 * test's filter. */
static int wire_filter(void *ctx, enum tp_wire_side from, tp_time now, const uint8_t *frame,
		       size_t len)
{
	struct simnet *n = ctx;
	if (n->trace > 1) {
		struct sim_tcp t;
		if (sim_parse_tcp(frame, len, &t))
			printf("%10.6f %c   sent  seq %10u ack %10u len %5u\n",
			       (double)(now - SIM_START_TIME) / 1e6, from ? 'B' : 'A', t.seq, t.ack,
			       t.len);
	}
	return n->filter ? n->filter(n->filter_ctx, from, now, frame, len) : 1;
}

struct trace_ctx {
	struct simnet *net;
	enum sim_side side;
};
static struct trace_ctx trace_ctx[2];

static void record_transition(void *ctx, const struct tp_trace_event *ev)
{
	if (ev->kind != TP_TRACE_STATE)
		return;
	struct trace_ctx *t = ctx;
	struct simnet *n = t->net;
	size_t len = strlen(ev->text), *used = &n->transitions_len[t->side];
	size_t *cap = &n->transitions_cap[t->side];
	if (*used + len + 2 > *cap) {
		*cap = (*cap + len + 2) * 2;
		n->transitions[t->side] = realloc(n->transitions[t->side], *cap);
		ck_assert_ptr_nonnull(n->transitions[t->side]);
	}
	memcpy(n->transitions[t->side] + *used, ev->text, len);
	*used += len;
	n->transitions[t->side][(*used)++] = '\n';
	n->transitions[t->side][*used] = '\0';
	if (n->trace)
		printf("%10.6f %c   %s\n", (double)(ev->time - SIM_START_TIME) / 1e6,
		       t->side ? 'B' : 'A', ev->text);
}

unsigned sim_transitions(const struct simnet *n, enum sim_side side, const char *what)
{
	unsigned count = 0;
	const char *p = n->transitions[side];
	while (p && (p = strstr(p, what))) {
		count++;
		p += strlen(what);
	}
	return count;
}

void sim_forget_transitions(struct simnet *n)
{
	for (int side = 0; side < 2; side++) {
		n->transitions_len[side] = 0;
		if (n->transitions[side])
			n->transitions[side][0] = '\0';
	}
}

void sim_init(struct simnet *n, const struct sim_options *o)
{
	memset(n, 0, sizeof(*n));
	n->seed = o->seed;
	struct tp_impair_config ab, ba;
	parse_spec(o->impair, o->seed, &ab);
	parse_spec(o->impair_b_to_a ? o->impair_b_to_a : o->impair, o->seed + 1, &ba);
	tp_impair_format(&ab, n->spec, sizeof(n->spec));
	n->wire = tp_wire_new(&ab, &ba);
	ck_assert_ptr_nonnull(n->wire);
	n->ip[SIM_A] = SIM_A_IP;
	n->ip[SIM_B] = SIM_B_IP;
	for (int side = 0; side < 2; side++) {
		struct tp_stack_config sc = {0};
		if (o->stack)
			sc = *o->stack;
		sc.seed = mix64(o->seed * 2 + (uint64_t)side);
		sc.start_time = SIM_START_TIME;
		n->stack[side] = tp_stack_new(&sc);
		ck_assert_ptr_nonnull(n->stack[side]);
		struct tp_netif_config nc = {.name = side ? "b" : "a", .addr = n->ip[side],
					     .prefix_len = 24, .mtu = 1500, .offloads = o->offloads};
		memcpy(nc.mac, sim_mac[side], 6);
		n->nif[side] = tp_wire_attach(n->wire, (enum tp_wire_side)side, n->stack[side], &nc);
		ck_assert_ptr_nonnull(n->nif[side]);
		/* One simnet at a time per process, so the contexts can be static. */
		trace_ctx[side] = (struct trace_ctx){n, (enum sim_side)side};
		tp_set_trace(n->stack[side], record_transition, &trace_ctx[side]);
	}
	n->trace = (int)sim_env("SIM_TRACE", 0);
	if (n->trace)
		tp_wire_set_monitor(n->wire, trace_monitor, n);
	tp_wire_set_filter(n->wire, wire_filter, n);
	if (!o->cold_arp)
		sim_resolve(n);
}

static void on_echo_reply(void *ctx, const struct tp_echo_reply *r)
{
	if (!r->error)
		*(int *)ctx = 1;
}

static int flag_set(void *ctx) { return *(int *)ctx; }

/* A pings B until answered: A learns B's MAC from B's reply, B learns A's
 * from A's request. ARP resolution gives up after three requests (and fails
 * a connect with EHOSTUNREACH, as Linux does); under heavy loss the tests
 * would be measuring that instead of TCP. */
void sim_resolve(struct simnet *n)
{
	int answered = 0;
	tp_set_echo_handler(n->stack[SIM_A], on_echo_reply, &answered);
	for (uint16_t seq = 1; seq <= 100 && !answered; seq++) {
		tp_ping_send(n->stack[SIM_A], n->ip[SIM_B], 0x5157, seq, (const uint8_t *)"warm", 4);
		sim_run(n, sim_now(n) + TP_MSEC(200), flag_set, &answered);
	}
	tp_set_echo_handler(n->stack[SIM_A], NULL, NULL);
	ck_assert_msg(answered, "seed %llu: A never reached B", (unsigned long long)n->seed);
}

void sim_fini(struct simnet *n)
{
	tp_wire_free(n->wire);
	tp_stack_free(n->stack[SIM_A]);
	tp_stack_free(n->stack[SIM_B]);
	free(n->transitions[SIM_A]);
	free(n->transitions[SIM_B]);
	memset(n, 0, sizeof(*n));
}

int sim_run(struct simnet *n, tp_time until, int (*done)(void *ctx), void *ctx)
{
	/* Socket calls made outside any callback left their events pending. */
	tp_sock_dispatch(n->stack[SIM_A]);
	tp_sock_dispatch(n->stack[SIM_B]);
	int r = tp_wire_run(n->wire, until, done, ctx);
	ck_assert_int_ge(r, 0);
	return r == 1;
}

void sim_run_for(struct simnet *n, tp_time dt)
{
	sim_run(n, sim_now(n) + dt, NULL, NULL);
}

void sim_set_filter(struct simnet *n, tp_wire_filter_fn fn, void *ctx)
{
	n->filter = fn;
	n->filter_ctx = ctx;
}


/* --- connections ------------------------------------------------------------ */

struct conn_query {
	uint16_t lport, rport;
	const char *state;              /* for counting; NULL = any */
	unsigned count;
	int found;
	struct tp_tcp_info info;
};

static void match_conn(void *ctx, const struct tp_tcp_info *i)
{
	struct conn_query *q = ctx;
	if (i->lport == q->lport && i->rport == q->rport && i->raddr != 0) {
		q->found = 1;
		q->info = *i;
	}
}

static void count_conn(void *ctx, const struct tp_tcp_info *i)
{
	struct conn_query *q = ctx;
	if (!q->state || strcmp(q->state, i->state) == 0)
		q->count++;
}

int sim_conn_info(struct simnet *n, enum sim_side side, uint16_t lport, uint16_t rport,
		  struct tp_tcp_info *info)
{
	struct conn_query q = {.lport = lport, .rport = rport};
	tp_tcp_foreach(n->stack[side], match_conn, &q);
	if (q.found && info)
		*info = q.info;
	return q.found;
}

const char *sim_conn_state(struct simnet *n, enum sim_side side, uint16_t lport, uint16_t rport)
{
	struct tp_tcp_info info;
	return sim_conn_info(n, side, lport, rport, &info) ? info.state : NULL;
}

unsigned sim_count_state(struct simnet *n, enum sim_side side, const char *state)
{
	struct conn_query q = {.state = state};
	tp_tcp_foreach(n->stack[side], count_conn, &q);
	return q.count;
}

/* --- frames ------------------------------------------------------------------ */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)be16(p) << 16 | be16(p + 2); }

int sim_parse_tcp(const uint8_t *f, size_t len, struct sim_tcp *t)
{
	if (len < 14 + 20 || be16(f + 12) != 0x0800)
		return 0;
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4, total = be16(ip + 2);
	if (ip[9] != 6 || (be16(ip + 6) & 0x3fff) || total > len - 14 || total < ihl + 20)
		return 0;
	const uint8_t *tcp = ip + ihl;
	size_t thl = (size_t)(tcp[12] >> 4) * 4;
	if (thl < 20 || ihl + thl > total)
		return 0;
	t->sport = be16(tcp);
	t->dport = be16(tcp + 2);
	t->seq = be32(tcp + 4);
	t->ack = be32(tcp + 8);
	t->flags = tcp[13] & 0x3f;
	t->wnd = be16(tcp + 14);
	t->len = (uint32_t)(total - ihl - thl);
	return 1;
}

/* --- the pattern -------------------------------------------------------------- */

/* Byte `off` of the stream keyed `key`: each 8-byte block is a hash of its
 * index, so any reordering, loss, duplication or shift shows. */
uint8_t sim_pattern_byte(uint64_t key, uint64_t off)
{
	return (uint8_t)(mix64(key ^ (off >> 3)) >> ((off & 7) * 8));
}

void sim_pattern_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t block = mix64(key ^ ((off + i) >> 3));
		for (unsigned b = (unsigned)((off + i) & 7); b < 8 && i < n; b++, i++)
			buf[i] = (uint8_t)(block >> (b * 8));
	}
}

size_t sim_pattern_check(uint64_t key, uint64_t off, const uint8_t *buf, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint64_t block = mix64(key ^ ((off + i) >> 3));
		for (unsigned b = (unsigned)((off + i) & 7); b < 8 && i < n; b++, i++)
			if (buf[i] != (uint8_t)(block >> (b * 8)))
				return i;
	}
	return n;
}

/* --- bulk endpoints ------------------------------------------------------------ */

#define CHUNK 16384

static void stream_event(void *ctx, int fd, int events)
{
	(void)fd;
	(void)events;
	sim_stream_pump(ctx);
}

void sim_stream_init(struct sim_stream *s, struct simnet *n, enum sim_side side, int fd,
		     uint64_t tx_key, uint64_t to_send, uint64_t rx_key, uint64_t to_receive)
{
	struct sim_stream keep = *s;        /* flags the caller set beforehand */
	memset(s, 0, sizeof(*s));
	s->shut_wr_after_send = keep.shut_wr_after_send;
	s->close_after_eof = keep.close_after_eof;
	s->close_when_complete = keep.close_when_complete;
	s->paused = keep.paused;
	s->net = n;
	s->side = side;
	s->fd = fd;
	s->tx_key = tx_key;
	s->to_send = to_send;
	s->rx_key = rx_key;
	s->to_receive = to_receive;
	ck_assert_int_eq(tp_sock_set_callback(n->stack[side], fd, stream_event, s), 0);
}

int sim_stream_complete(const struct sim_stream *s)
{
	return s->sent == s->to_send && s->received == s->to_receive;
}

static void stream_fail(struct sim_stream *s, struct tp_stack *st, int err)
{
	if (!s->error) {
		s->error = err;
		s->error_at = tp_now(st);
	}
}

static void stream_write(struct sim_stream *s, struct tp_stack *st)
{
	uint8_t buf[CHUNK];
	while (s->sent < s->to_send && !s->error) {
		size_t n = s->to_send - s->sent < CHUNK ? (size_t)(s->to_send - s->sent) : CHUNK;
		sim_pattern_fill(s->tx_key, s->sent, buf, n);
		long r = tp_sock_send(st, s->fd, buf, n);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			stream_fail(s, st, (int)r);
			return;
		}
		SIM_CHECK(r > 0 && (size_t)r <= n, "send returned %ld for %zu bytes", r, n);
		s->sent += (uint64_t)r;
	}
}

static void stream_read(struct sim_stream *s, struct tp_stack *st)
{
	uint8_t buf[CHUNK];
	while (!s->paused && !s->eof && !s->error) {
		long r = tp_sock_recv(st, s->fd, buf, sizeof(buf), 0);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			stream_fail(s, st, (int)r);
			return;
		}
		if (r == 0) {
			s->eof = 1;
			return;
		}
		if (!s->mismatch) {
			size_t bad = sim_pattern_check(s->rx_key, s->received, buf, (size_t)r);
			if (bad < (size_t)r || s->received + (uint64_t)r > s->to_receive) {
				s->mismatch = 1;
				s->mismatch_at = s->received + bad;
			}
		}
		s->received += (uint64_t)r;
	}
}

void sim_stream_pump(struct sim_stream *s)
{
	if (s->closed)
		return;
	struct tp_stack *st = s->net->stack[s->side];
	int ev = tp_sock_events(st, s->fd);
	if ((ev & TP_EV_ERR) && !s->error) {
		int soerr = 0;
		tp_sock_getopt(st, s->fd, TP_SO_ERROR, &soerr);
		if (soerr)
			stream_fail(s, st, -soerr);
	}
	if ((ev & TP_EV_OUT) && !s->connected) {
		s->connected = 1;
		s->connected_at = tp_now(st);
	}
	if (ev & TP_EV_OUT)
		stream_write(s, st);
	stream_read(s, st);
	int all_sent = s->sent == s->to_send;
	if (all_sent && s->shut_wr_after_send && !s->error) {
		s->shut_wr_after_send = 0;
		ck_assert_int_eq(tp_sock_shutdown(st, s->fd, TP_SHUT_WR), 0);
	}
	if (sim_stream_complete(s) && !s->complete_at)
		s->complete_at = tp_now(st);
	if ((s->close_when_complete && sim_stream_complete(s)) ||
	    (s->close_after_eof && s->eof && all_sent)) {
		s->closed = 1;
		ck_assert_int_eq(tp_sock_close(st, s->fd), 0);
	}
}

static void acceptor_event(void *ctx, int fd, int events)
{
	(void)fd;
	(void)events;
	sim_acceptor_pump(ctx);
}

void sim_acceptor_init(struct sim_acceptor *a, struct simnet *n, enum sim_side side, uint16_t port,
		       int backlog, const struct sim_stream *templ, unsigned max)
{
	memset(a, 0, sizeof(*a));
	a->net = n;
	a->side = side;
	a->templ = *templ;
	a->max = max;
	a->streams = calloc(max ? max : 1, sizeof(*a->streams));
	ck_assert_ptr_nonnull(a->streams);
	struct tp_stack *st = n->stack[side];
	a->fd = tp_sock_open(st, TP_SOCK_STREAM);
	ck_assert_int_ge(a->fd, 0);
	ck_assert_int_eq(tp_sock_bind(st, a->fd, 0, port), 0);
	ck_assert_int_eq(tp_sock_listen(st, a->fd, backlog), 0);
	ck_assert_int_eq(tp_sock_set_callback(st, a->fd, acceptor_event, a), 0);
}

void sim_acceptor_pump(struct sim_acceptor *a)
{
	struct tp_stack *st = a->net->stack[a->side];
	while (!a->paused && a->count < a->max) {
		int fd = tp_sock_accept(st, a->fd, NULL, NULL);
		if (fd == -EAGAIN)
			return;
		SIM_CHECK(fd >= 0, "accept: %d", fd);
		struct sim_stream *s = &a->streams[a->count++];
		*s = a->templ;
		sim_stream_init(s, a->net, a->side, fd, a->templ.tx_key, a->templ.to_send,
				a->templ.rx_key, a->templ.to_receive);
		sim_stream_pump(s);
	}
}

void sim_acceptor_fini(struct sim_acceptor *a)
{
	free(a->streams);
	a->streams = NULL;
}

int sim_connect(struct simnet *n, enum sim_side side, uint16_t lport, uint16_t rport)
{
	struct tp_stack *st = n->stack[side];
	int fd = tp_sock_open(st, TP_SOCK_STREAM);
	ck_assert_int_ge(fd, 0);
	if (lport)
		ck_assert_int_eq(tp_sock_bind(st, fd, 0, lport), 0);
	ck_assert_int_eq(tp_sock_connect(st, fd, n->ip[!side], rport), -EINPROGRESS);
	return fd;
}

void sim_add_case(Suite *s, const char *name, const TTest *test)
{
	TCase *tc = tcase_create(name);
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test);
	suite_add_tcase(s, tc);
}

