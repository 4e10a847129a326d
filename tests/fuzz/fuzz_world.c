/* fuzz_world.c - the prepared stack fuzz_frames attacks (see fuzz_world.h). */
#include "fuzz_world.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "services.h"
#include "stack.h"
#include "tapir/sock.h"
#include "tcp.h"
#include "tcp_seq.h"
#include "tcp_syncookie.h"

static const uint8_t US_MAC[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0, 0, 0, 0x01};

#define HTTP_PORT 80
#define COOKIE_PORT 81              /* its SYN queue is full: SYN cookies */
#define ECHO_PORT 7
#define UDP_PORT 9999
/* The TCP memory budget: 16 KiB above the 24 KiB the built world holds, so
 * a few sends or segments reach pressure (tcp_buf_room, tcp_child_admit). */
#define FW_TCP_MEM_LIMIT (40 * 1024)
#define PEER_ISS 0xfffff000u        /* near the wrap, as the unit tests do */
#define MAX_TIMER_RUNS 200000       /* per advance: more is a timer storm */

#define FAIL(...)                                                              \
	do {                                                                   \
		fprintf(stderr, "fuzz_world: " __VA_ARGS__);                   \
		fputc('\n', stderr);                                           \
		abort();                                                       \
	} while (0)

/* --- byte order --------------------------------------------------------- */
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

/* --- what the stack sends: checked, then dropped ------------------------ */

/* Every frame out must be a sane Ethernet frame; an IPv4 one must carry a
 * valid header checksum and fit in the frame. */
static int check_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct fuzz_world *w = ctx;
	w->frames_out++;
	if (len < 14 || len > 14 + 1500)
		FAIL("transmitted a frame of %zu bytes", len);
	if (rd16(frame + 12) != 0x0800)
		return 0;
	const uint8_t *ip = frame + 14;
	size_t hl = (size_t)(ip[0] & 15) * 4;
	if (len < 14 + 20 || ip[0] >> 4 != 4 || hl < 20 || 14 + hl > len)
		FAIL("transmitted a malformed IPv4 header");
	if (rd16(ip + 2) > len - 14 || rd16(ip + 2) < hl)
		FAIL("transmitted IPv4 total length %u in a %zu-byte frame", rd16(ip + 2), len);
	if (cksum(ip, hl) != 0)
		FAIL("transmitted a bad IPv4 header checksum");
	return 0;
}

/* --- the trace hook: every event checked, so tcp_vars_* run ------------- */

static int is_state_name(const char *name)
{
	for (unsigned i = 0; tp_tcp_state_name(i); i++)
		if (!strcmp(tp_tcp_state_name(i), name))
			return 1;
	return 0;
}

static void check_vars(struct fuzz_world *w, const struct tp_tcp_vars *v)
{
	if (v->dir != TP_TCP_VARS_IN && v->dir != TP_TCP_VARS_OUT)
		FAIL("vars: direction %d", v->dir);
	if (!v->state || !is_state_name(v->state))
		FAIL("vars: no state name");
	if (v->gone) {
		if (strcmp(v->state, "CLOSED") || v->snd_una || v->snd_nxt || v->rcv_nxt || v->cwnd)
			FAIL("vars: a gone connection in %s with variables", v->state);
		return;
	}
	/* RFC 9293 §3.3.1: SND.UNA =< SND.NXT, whatever the segment did. */
	if (seq_gt(v->snd_una, v->snd_nxt))
		FAIL("vars: %s SND.UNA %u beyond SND.NXT %u", v->state, v->snd_una, v->snd_nxt);
	if (v->rcv_wnd > (uint32_t)65535 << TCP_MAX_WSCALE)
		FAIL("vars: RCV.WND %u", v->rcv_wnd);
	for (int i = 0; i < TP_TCP_TIMERS; i++)
		if (v->timer[i] != TP_TIME_NEVER && v->timer[i] < w->stack->now)
			FAIL("vars: timer %s armed in the past", tp_tcp_timer_name((unsigned)i));
	w->vars_events++;
}

static void check_trace(void *ctx, const struct tp_trace_event *ev)
{
	struct fuzz_world *w = ctx;
	switch (ev->kind) {
	case TP_TRACE_TCP_VARS:
		check_vars(w, ev->tcp_vars);
		break;
	case TP_TRACE_STATE:
	case TP_TRACE_NOTE:
		if (!ev->text || strlen(ev->text) > 4096)
			FAIL("trace text missing or too long");
		break;
	default:
		break;
	}
}

/* --- frame fix-ups -------------------------------------------------------- */

static void fix_l4_checksum(uint8_t *ip, size_t hl, size_t total)
{
	uint16_t frag = rd16(ip + 6);
	if (frag & (IP_FLAG_MF | IP_OFFMASK))
		return;                     /* a fragment: its L4 checksum spans others */
	uint8_t *l4 = ip + hl;
	size_t len = total - hl;
	size_t at;
	switch (ip[9]) {
	case IP_PROTO_TCP: at = 16; break;
	case IP_PROTO_UDP: at = 6; break;
	case IP_PROTO_ICMP: at = 2; break;
	default: return;
	}
	if (len < at + 2)
		return;
	wr16(l4 + at, 0);
	uint32_t sum = ip[9] == IP_PROTO_ICMP ? 0 : cksum_pseudo(rd32(ip + 12), rd32(ip + 16), ip[9], (uint16_t)len);
	uint16_t c = cksum_finish(cksum_add(sum, l4, len));
	if (ip[9] == IP_PROTO_UDP && c == 0)
		c = 0xffff;
	wr16(l4 + at, c);
}

/* The SYN cookie we send in answer to a SYN from raddr:rport with ISN
 * peer_isn and these options (tcp_syncookie.c), at the current time. */
static uint32_t expected_cookie(struct fuzz_world *w, tp_ip4 laddr, uint16_t lport, tp_ip4 raddr,
				uint16_t rport, uint32_t peer_isn, const uint8_t *opt, size_t opt_len)
{
	struct tcp_seg syn;
	memset(&syn, 0, sizeof(syn));
	if (tcp_parse_options(opt, opt_len, &syn) < 0) {
		syn.mss = 0;
		syn.wscale = -1;
		syn.sack_ok = 0;
	}
	struct syncookie_tuple t = {.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport,
				    .peer_isn = peer_isn};
	return syncookie_make(w->stack->tcp->cookie_key, w->stack->now, &t, &syn);
}

static void fix_seq(struct fuzz_world *w, uint8_t *ip, size_t hl, size_t total)
{
	if (ip[9] != IP_PROTO_TCP || total < hl + 20 || (rd16(ip + 6) & IP_OFFMASK))
		return;
	uint8_t *t = ip + hl;
	struct tcp_conn *c = tcp_lookup(w->stack, rd32(ip + 16), rd16(t + 2), rd32(ip + 12), rd16(t));
	if (!c) {
		/* An ACK to a listener: its ack is an offset from the cookie + 1
		 * for a SYN with this ACK's own options and ISN seq - 1, so
		 * mutations reach both a valid cookie and near misses. */
		size_t thl = (size_t)(t[12] >> 4) * 4;
		if ((t[13] & (TCP_SYN | TCP_ACK)) != TCP_ACK || thl < 20 || thl > total - hl ||
		    !tcp_lookup_listener(w->stack, rd32(ip + 16), rd16(t + 2)))
			return;
		wr32(t + 8, rd32(t + 8) + 1 + expected_cookie(w, rd32(ip + 16), rd16(t + 2), rd32(ip + 12),
							      rd16(t), rd32(t + 4) - 1, t + 20, thl - 20));
		return;
	}
	wr32(t + 4, rd32(t + 4) + c->rcv_nxt);
	wr32(t + 8, rd32(t + 8) + c->snd_una);
}

void fuzz_world_feed(struct fuzz_world *w, uint8_t *frame, size_t len, unsigned fixups)
{
	if ((fixups & FW_FIX_ETH) && len >= 14) {
		memcpy(frame, US_MAC, 6);
		memcpy(frame + 6, PEER_MAC, 6);
		wr16(frame + 12, 0x0800);
	}
	if (len >= 14 + 20 && rd16(frame + 12) == 0x0800 && frame[14] >> 4 == 4) {
		uint8_t *ip = frame + 14;
		size_t hl = (size_t)(ip[0] & 15) * 4;
		size_t total = rd16(ip + 2);
		int whole = hl >= 20 && total >= hl && total <= len - 14;
		if (fixups & FW_FIX_ADDRS) {
			wr32(ip + 12, FW_PEER_IP);
			wr32(ip + 16, FW_US_IP);
		}
		if ((fixups & FW_FIX_SEQ) && whole)
			fix_seq(w, ip, hl, total);
		if ((fixups & FW_FIX_CKSUM) && whole) {
			wr16(ip + 10, 0);
			wr16(ip + 10, cksum(ip, hl));
			fix_l4_checksum(ip, hl, total);
		}
	}
	tp_input(w->stack, w->nif, frame, len);
}

/* --- time ------------------------------------------------------------------ */

void fuzz_world_advance(struct fuzz_world *w, tp_time dt)
{
	tp_time target = w->now + dt, next;
	unsigned runs = 0;
	while ((next = tp_next_deadline(w->stack)) <= target) {
		if (++runs > MAX_TIMER_RUNS)
			FAIL("more than %d timer deadlines in one advance", MAX_TIMER_RUNS);
		if (next > w->now)
			w->now = next;
		tp_poll(w->stack, w->now);
	}
	w->now = target;
	tp_poll(w->stack, w->now);
}

/* --- the scripted peer ------------------------------------------------------ */

struct peer_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *opt;
	size_t opt_len;             /* a multiple of 4 */
	const void *data;
	size_t len;
};

/* A frame from the peer with every checksum right. */
static void peer_ip(struct fuzz_world *w, uint8_t proto, uint16_t id, uint16_t frag,
		    const uint8_t *l4, size_t len)
{
	static uint8_t f[14 + 20 + 2048];
	if (len > sizeof(f) - 34)
		FAIL("peer frame too long");
	memcpy(f, US_MAC, 6);
	memcpy(f + 6, PEER_MAC, 6);
	wr16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(20 + len));
	wr16(ip + 4, id);
	wr16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	wr32(ip + 12, FW_PEER_IP);
	wr32(ip + 16, FW_US_IP);
	memcpy(ip + 20, l4, len);
	fuzz_world_feed(w, f, 34 + len, FW_FIX_CKSUM);
}

static void peer_tcp(struct fuzz_world *w, const struct peer_seg *s)
{
	uint8_t t[20 + 40 + 1460];
	size_t hl = 20 + s->opt_len;
	memset(t, 0, 20);
	wr16(t, s->sport);
	wr16(t + 2, s->dport);
	wr32(t + 4, s->seq);
	wr32(t + 8, s->ack);
	t[12] = (uint8_t)(hl / 4 << 4);
	t[13] = s->flags;
	wr16(t + 14, 65535);
	if (s->opt_len)
		memcpy(t + 20, s->opt, s->opt_len);
	if (s->len)
		memcpy(t + hl, s->data, s->len);
	peer_ip(w, IP_PROTO_TCP, 0, 0, t, hl + s->len);
}

static struct tcp_conn *conn_of(struct fuzz_world *w, uint16_t lport, uint16_t pport)
{
	struct tcp_conn *c = tcp_lookup(w->stack, FW_US_IP, lport, FW_PEER_IP, pport);
	if (!c)
		FAIL("no connection %u <-> %u while building", lport, pport);
	return c;
}

static void expect_state(struct fuzz_world *w, uint16_t lport, uint16_t pport, enum tcp_state st)
{
	struct tcp_conn *c = conn_of(w, lport, pport);
	if (c->state != st)
		FAIL("connection %u <-> %u is %s, not %s", lport, pport, tcp_state_name(c->state),
		     tcp_state_name(st));
}

/* MSS 1460, SACK permitted, timestamps, window scale 7. */
static const uint8_t syn_options[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};

/* Sends the peer's SYN to lport: our SYN-ACK follows. */
static void peer_syn(struct fuzz_world *w, uint16_t pport, uint16_t lport)
{
	peer_tcp(w, &(struct peer_seg){.sport = pport, .dport = lport, .seq = PEER_ISS,
				       .flags = TCP_SYN, .opt = syn_options,
				       .opt_len = sizeof(syn_options)});
}

/* Peer segment on a live connection, numbered from its current state. */
static void peer_on(struct fuzz_world *w, uint16_t pport, uint16_t lport, uint8_t flags,
		    uint32_t seq_off, const void *data, size_t len)
{
	struct tcp_conn *c = conn_of(w, lport, pport);
	peer_tcp(w, &(struct peer_seg){.sport = pport, .dport = lport, .seq = c->rcv_nxt + seq_off,
				       .ack = c->snd_nxt, .flags = flags, .data = data, .len = len});
}

/* A passive open on lport completed; returns the accepted descriptor
 * (or -1 for a service port, which accepts by itself). */
static int passive_open(struct fuzz_world *w, uint16_t pport, uint16_t lport, int listener)
{
	peer_syn(w, pport, lport);
	peer_on(w, pport, lport, TCP_ACK, 0, NULL, 0);
	expect_state(w, lport, pport, TCP_ESTABLISHED);
	if (listener < 0)
		return -1;
	int fd = tp_sock_accept(w->stack, listener, NULL, NULL);
	if (fd < 0)
		FAIL("accept: %d", fd);
	return fd;
}

static void keep_fd(struct fuzz_world *w, int fd)
{
	if (w->n_fds < FW_MAX_FDS)
		w->fds[w->n_fds++] = fd;
}

/* --- building the world ------------------------------------------------------ */

static void open_listeners(struct fuzz_world *w)
{
	char err[128];
	w->svc = tp_services_start(w->stack, TP_SVC_ECHO | TP_SVC_DISCARD | TP_SVC_CHARGEN |
					     TP_SVC_TCP | TP_SVC_UDP, err, sizeof(err));
	if (!w->svc)
		FAIL("services: %s", err);
	w->listener = tp_sock_open(w->stack, TP_SOCK_STREAM);
	if (w->listener < 0 || tp_sock_bind(w->stack, w->listener, 0, HTTP_PORT) < 0 ||
	    tp_sock_listen(w->stack, w->listener, 4) < 0)
		FAIL("listener on %d", HTTP_PORT);
	keep_fd(w, w->listener);
	w->cookie_listener = tp_sock_open(w->stack, TP_SOCK_STREAM);
	if (w->cookie_listener < 0 || tp_sock_bind(w->stack, w->cookie_listener, 0, COOKIE_PORT) < 0 ||
	    tp_sock_listen(w->stack, w->cookie_listener, 4) < 0)
		FAIL("listener on %d", COOKIE_PORT);
	keep_fd(w, w->cookie_listener);
}

/* Port 81's SYN queue (tcp_syn_backlog, 2) filled by two half-open
 * connections; a third SYN draws a cookie, whose ACK, carrying data, makes
 * a connection that waits in the accept queue (RFC 4987 §3.6). */
static void build_cookie_connections(struct fuzz_world *w)
{
	peer_syn(w, 41001, COOKIE_PORT);
	peer_syn(w, 41002, COOKIE_PORT);
	uint64_t sent = tp_stat(w->stack, TP_STAT_TCP_SYNCOOKIES_SENT);
	peer_syn(w, 41003, COOKIE_PORT);
	if (tp_stat(w->stack, TP_STAT_TCP_SYNCOOKIES_SENT) != sent + 1)
		FAIL("no SYN cookie sent");
	uint32_t cookie = expected_cookie(w, FW_US_IP, COOKIE_PORT, FW_PEER_IP, 41003, PEER_ISS,
					  syn_options, sizeof(syn_options));
	peer_tcp(w, &(struct peer_seg){.sport = 41003, .dport = COOKIE_PORT, .seq = PEER_ISS + 1,
				       .ack = cookie + 1, .flags = TCP_ACK | TCP_PSH, .data = "cookie",
				       .len = 6});
	expect_state(w, COOKIE_PORT, 41003, TCP_ESTABLISHED);
	if (conn_of(w, COOKIE_PORT, 41003)->rcvbuf.len != 6)
		FAIL("the cookie ACK's data was not taken");
}

static void build_passive_connections(struct fuzz_world *w)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n";
	uint8_t big[3000];
	memset(big, 'x', sizeof(big));

	/* ESTABLISHED: unread data, our data unacknowledged, a segment held
	 * beyond a gap. */
	int fd = passive_open(w, 40001, HTTP_PORT, w->listener);
	peer_on(w, 40001, HTTP_PORT, TCP_ACK | TCP_PSH, 0, req, sizeof(req) - 1);
	if (tp_sock_send(w->stack, fd, big, sizeof(big)) != (long)sizeof(big))
		FAIL("send on the established connection");
	peer_on(w, 40001, HTTP_PORT, TCP_ACK, 200, req, sizeof(req) - 1);
	keep_fd(w, fd);

	/* CLOSE_WAIT: the peer sent data and its FIN. */
	fd = passive_open(w, 40002, HTTP_PORT, w->listener);
	peer_on(w, 40002, HTTP_PORT, TCP_ACK | TCP_PSH | TCP_FIN, 0, req, sizeof(req) - 1);
	expect_state(w, HTTP_PORT, 40002, TCP_CLOSE_WAIT);
	keep_fd(w, fd);

	/* FIN_WAIT_2, still owned: we shut down writing, the peer acked it. */
	fd = passive_open(w, 40003, HTTP_PORT, w->listener);
	tp_sock_shutdown(w->stack, fd, TP_SHUT_WR);
	peer_on(w, 40003, HTTP_PORT, TCP_ACK, 0, NULL, 0);
	expect_state(w, HTTP_PORT, 40003, TCP_FIN_WAIT_2);
	keep_fd(w, fd);

	/* TIME_WAIT (an orphan): we closed, the peer acked and sent its FIN. */
	fd = passive_open(w, 40004, HTTP_PORT, w->listener);
	tp_sock_close(w->stack, fd);
	peer_on(w, 40004, HTTP_PORT, TCP_ACK | TCP_FIN, 0, NULL, 0);
	expect_state(w, HTTP_PORT, 40004, TCP_TIME_WAIT);

	/* LAST_ACK (an orphan): the peer closed first, then we did. */
	fd = passive_open(w, 40005, HTTP_PORT, w->listener);
	peer_on(w, 40005, HTTP_PORT, TCP_ACK | TCP_FIN, 0, NULL, 0);
	tp_sock_close(w->stack, fd);
	expect_state(w, HTTP_PORT, 40005, TCP_LAST_ACK);

	/* SYN_RECEIVED: the handshake is never finished. */
	peer_syn(w, 40006, HTTP_PORT);
	expect_state(w, HTTP_PORT, 40006, TCP_SYN_RECEIVED);

	/* Established but not yet accepted: sits in the accept queue. */
	passive_open(w, 40007, HTTP_PORT, -1);

	/* The echo service: our echo of "hello" is in flight. */
	passive_open(w, 40008, ECHO_PORT, -1);
	peer_on(w, 40008, ECHO_PORT, TCP_ACK | TCP_PSH, 0, "hello", 5);
}

static void build_active_connections(struct fuzz_world *w)
{
	struct tp_stack *s = w->stack;
	/* ESTABLISHED by an active open, with a short keepalive. */
	int fd = tp_sock_open(s, TP_SOCK_STREAM);
	tp_sock_bind(s, fd, 0, 5555);
	if (tp_sock_connect(s, fd, FW_PEER_IP, 9000) != -EINPROGRESS)
		FAIL("connect");
	struct tcp_conn *c = conn_of(w, 5555, 9000);
	peer_tcp(w, &(struct peer_seg){.sport = 9000, .dport = 5555, .seq = PEER_ISS, .ack = c->snd_nxt,
				       .flags = TCP_SYN | TCP_ACK, .opt = syn_options,
				       .opt_len = sizeof(syn_options)});
	expect_state(w, 5555, 9000, TCP_ESTABLISHED);
	tp_sock_setopt(s, fd, TP_SO_KEEPALIVE, 1);
	tp_sock_setopt(s, fd, TP_TCP_KEEPIDLE, 1);
	tp_sock_setopt(s, fd, TP_TCP_KEEPINTVL, 1);
	tp_sock_setopt(s, fd, TP_TCP_KEEPCNT, 2);
	tp_sock_setopt(s, fd, TP_TCP_NODELAY, 1);
	tp_sock_send(s, fd, "ping", 4);
	keep_fd(w, fd);

	/* SYN_SENT: the peer has not answered yet. */
	fd = tp_sock_open(s, TP_SOCK_STREAM);
	tp_sock_bind(s, fd, 0, 5556);
	tp_sock_connect(s, fd, FW_PEER_IP, 9001);
	expect_state(w, 5556, 9001, TCP_SYN_SENT);
	keep_fd(w, fd);
}

static void build_udp_reass_arp(struct fuzz_world *w)
{
	struct tp_stack *s = w->stack;
	/* A UDP socket with a datagram waiting. */
	int fd = tp_sock_open(s, TP_SOCK_DGRAM);
	if (fd < 0 || tp_sock_bind(s, fd, 0, UDP_PORT) < 0)
		FAIL("udp socket");
	uint8_t u[8 + 600];
	memset(u, 'u', sizeof(u));
	wr16(u, 5353);
	wr16(u + 2, UDP_PORT);
	wr16(u + 4, 8 + 32);
	wr16(u + 6, 0);
	peer_ip(w, IP_PROTO_UDP, 1, 0, u, 8 + 32);
	keep_fd(w, fd);

	/* Half-done reassemblies: the first and a middle fragment of two
	 * datagrams to the UDP socket. */
	wr16(u + 4, 8 + 1200);
	peer_ip(w, IP_PROTO_UDP, 0x4242, IP_FLAG_MF, u, 8 + 504);
	peer_ip(w, IP_PROTO_UDP, 0x4343, IP_FLAG_MF | (512 / 8), u, 256);

	/* 10.0.0.3 never answers: a SYN, then datagrams until the queue is full. */
	int tfd = tp_sock_open(s, TP_SOCK_STREAM);
	tp_sock_bind(s, tfd, 0, 5557);
	tp_sock_connect(s, tfd, FW_OTHER_IP, 80);
	keep_fd(w, tfd);
	for (int i = 0; i < ARP_QUEUE_MAX + 2; i++)
		tp_sock_sendto(s, fd, "q", 1, FW_OTHER_IP, 7);
	if (tp_stat(s, TP_STAT_ARP_QUEUE_DROP) == 0)
		FAIL("the ARP queue never filled");
}

void fuzz_world_build(struct fuzz_world *w)
{
	memset(w, 0, sizeof(*w));
	struct tp_stack_config cfg = {
		.seed = 1,
		.start_time = TP_SEC(1000),
		.arp_cache_size = 8,
		.reass_mem_limit = 64 * 1024,
		.tcp_msl = TP_SEC(2),
		.tcp_fin_timeout = TP_SEC(5),
		.tcp_syn_retries = 2,
		.tcp_retries = 4,
		.tcp_sndbuf = 8192,
		.tcp_rcvbuf = 4096,
		.tcp_syn_backlog = 2,
		.tcp_mem_limit = FW_TCP_MEM_LIMIT,
		.max_sockets = 64,
		.udp_rcvbuf = 4096,
	};
	w->now = cfg.start_time;
	w->stack = tp_stack_new(&cfg);
	if (!w->stack)
		FAIL("tp_stack_new");
	struct tp_netif_config nc = {.name = "fuzz0", .addr = FW_US_IP, .prefix_len = 24,
				     .gateway = 0x0a0000feu, .mtu = 1500};
	memcpy(nc.mac, US_MAC, 6);
	w->nif = tp_netif_add(w->stack, &nc, check_transmit, w);
	if (!w->nif)
		FAIL("tp_netif_add");

	/* The peer's ARP request teaches us its MAC. */
	uint8_t arp[14 + 28] = {0};
	memset(arp, 0xff, 6);
	memcpy(arp + 6, PEER_MAC, 6);
	wr16(arp + 12, 0x0806);
	static const uint8_t arp_hdr[8] = {0, 1, 8, 0, 6, 4, 0, 1};
	memcpy(arp + 14, arp_hdr, 8);
	memcpy(arp + 22, PEER_MAC, 6);
	wr32(arp + 28, FW_PEER_IP);
	wr32(arp + 38, FW_US_IP);
	tp_input(w->stack, w->nif, arp, sizeof(arp));

	tp_set_trace(w->stack, check_trace, w);
	open_listeners(w);
	build_passive_connections(w);
	build_cookie_connections(w);
	build_active_connections(w);
	build_udp_reass_arp(w);
	if (tcp_mem_pressure(w->stack))
		FAIL("the world is built over its TCP memory budget (%llu bytes)",
		     (unsigned long long)w->stack->tcp->mem.used);
}

/* --- socket calls ---------------------------------------------------------------- */

void fuzz_world_sockop(struct fuzz_world *w, uint8_t which, uint8_t arg)
{
	static uint8_t buf[8192];
	struct tp_stack *s = w->stack;
	int i = which % w->n_fds;
	int fd = w->fds[i];
	if (fd < 0)
		return;
	size_t len = (size_t)arg * 32;
	switch ((which >> 5) & 7) {
	case 0:
		tp_sock_recv(s, fd, buf, len, 0);
		break;
	case 1:
		tp_sock_recv(s, fd, buf, len, TP_MSG_PEEK);
		break;
	case 2:
		memset(buf, 'y', len);
		tp_sock_send(s, fd, buf, len);
		break;
	case 3:
		tp_sock_shutdown(s, fd, arg % 3);
		break;
	case 4:
		if (fd != w->listener) {    /* the listener's fd must never be reused */
			tp_sock_close(s, fd);
			w->fds[i] = -1;
		}
		break;
	case 5: {
		int nfd = tp_sock_accept(s, w->listener, NULL, NULL);
		if (nfd >= 0) {
			if (w->n_fds < FW_MAX_FDS)
				keep_fd(w, nfd);
			else
				tp_sock_close(s, nfd);
		}
		break;
	}
	case 6: {
		static const enum tp_sockopt opts[] = {TP_SO_RCVBUF, TP_SO_SNDBUF, TP_SO_LINGER,
						       TP_TCP_NODELAY, TP_TCP_MAXSEG, TP_SO_KEEPALIVE,
						       TP_TCP_KEEPIDLE, TP_SO_REUSEADDR};
		/* Buffer sizes in 2 KiB steps up to 62 KiB: past TCP_MEM_FLOOR,
		 * where the memory budget limits a buffer (tcp_buf_room). */
		int v = arg >> 3;
		if (opts[arg & 7] == TP_SO_RCVBUF || opts[arg & 7] == TP_SO_SNDBUF)
			v <<= 11;
		tp_sock_setopt(s, fd, opts[arg & 7], v);
		break;
	}
	default: {
		int v;
		tp_sock_getopt(s, fd, TP_SO_ERROR, &v);
		tp_sock_getopt(s, fd, TP_SO_SENDQ, &v);
		tp_sock_events(s, fd);
		tp_sock_sendto(s, fd, buf, arg, FW_PEER_IP, 53);
		break;
	}
	}
	tp_sock_dispatch(s);
}

/* --- the end --------------------------------------------------------------------- */

static void count_conn(void *ctx, const struct tp_tcp_info *info)
{
	fprintf(stderr, "fuzz_world: left: fd %d %s %u <-> %u send_q %u recv_q %u snd_wnd %u\n",
		info->fd, info->state, info->lport, info->rport, info->send_q, info->recv_q,
		info->snd_wnd);
	(*(unsigned *)ctx)++;
}

void fuzz_world_destroy(struct fuzz_world *w)
{
	static uint8_t buf[4096];
	struct tp_stack *s = w->stack;
	/* Read what is there, answer, close. */
	for (int i = 0; i < w->n_fds; i++) {
		if (w->fds[i] < 0)
			continue;
		for (int n = 0; n < 16 && tp_sock_recv(s, w->fds[i], buf, sizeof(buf), 0) > 0; n++)
			;
		tp_sock_send(s, w->fds[i], "bye", 3);
	}
	for (int i = 0; i < w->n_fds; i++)
		if (w->fds[i] >= 0)
			tp_sock_close(s, w->fds[i]);
	tp_services_stop(w->svc);
	tp_sock_dispatch(s);

	/* The peer is silent from now on: every connection must give up
	 * within its bounded retries and timeouts. */
	fuzz_world_advance(w, TP_SEC(2 * 3600));
	unsigned left = 0;
	tp_tcp_foreach(s, count_conn, &left);
	if (left || tcp_conn_count(s))
		FAIL("%u connections (%u hashed) still alive two silent hours after close", left,
		     tcp_conn_count(s));
	tp_stack_free(s);
	memset(w, 0, sizeof(*w));
}
