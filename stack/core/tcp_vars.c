/* tcp_vars.c - TCP variables for tools (TP_TRACE_TCP_VARS): a snapshot of a
 * connection once the stack is done with each segment it receives or sends. */
#include <string.h>

#include "byteorder.h"
#include "stack.h"
#include "tcp.h"

const char *tp_tcp_timer_name(unsigned timer)
{
	static const char *const names[TP_TCP_TIMERS] = {
		[TP_TCP_TIMER_RTX] = "rtx", [TP_TCP_TIMER_PERSIST] = "persist",
		[TP_TCP_TIMER_DELACK] = "delack", [TP_TCP_TIMER_2MSL] = "2msl",
		[TP_TCP_TIMER_WAIT] = "wait", [TP_TCP_TIMER_KEEPALIVE] = "keepalive",
	};
	return timer < TP_TCP_TIMERS ? names[timer] : NULL;
}

/* The snapshot of c; with c NULL only "CLOSED, gone". */
static void vars_fill(const struct tcp_conn *c, struct tp_tcp_vars *v)
{
	for (int i = 0; i < TP_TCP_TIMERS; i++)
		v->timer[i] = TP_TIME_NEVER;
	v->gone = !c || c->state == TCP_CLOSED;
	v->state = tcp_state_name(c ? c->state : TCP_CLOSED);
	if (v->gone)
		return;
	v->snd_una = c->snd_una;
	v->snd_nxt = c->snd_nxt;
	v->snd_wnd = c->snd_wnd;
	v->rcv_nxt = c->rcv_nxt;
	v->rcv_wnd = tcp_offered_window(c);
	v->cwnd = c->cwnd;
	v->ssthresh = c->ssthresh >= UINT32_MAX / 2 ? UINT32_MAX : c->ssthresh;
	v->srtt = c->srtt;
	v->rto = c->rto;
	const struct { const struct tp_timer *t; enum tp_tcp_timer id; } timers[] = {
		{&c->rtx_timer, c->persist ? TP_TCP_TIMER_PERSIST : TP_TCP_TIMER_RTX},
		{&c->delack_timer, TP_TCP_TIMER_DELACK},
		{&c->wait_timer, c->state == TCP_TIME_WAIT ? TP_TCP_TIMER_2MSL : TP_TCP_TIMER_WAIT},
		{&c->ka_timer, TP_TCP_TIMER_KEEPALIVE},
	};
	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++)
		if (tp_timer_armed(timers[i].t))
			v->timer[timers[i].id] = timers[i].t->when;
}

static void vars_emit(struct tp_stack *s, const struct tcp_conn *c, struct tp_tcp_vars *v)
{
	vars_fill(c, v);
	struct tp_trace_event ev = {.kind = TP_TRACE_TCP_VARS, .time = s->now, .tcp_vars = v};
	if (s->trace)
		s->trace(s->trace_ctx, &ev);
}

void tcp_vars_flush(struct tp_stack *s)
{
	struct tcp_table *t = s->tcp;
	struct tcp_conn *c = t ? t->vars_conn : NULL;
	if (!c)
		return;
	t->vars_conn = NULL;
	vars_emit(s, c, &t->vars_seg);
}

void tcp_vars_sent(struct tcp_conn *c, uint32_t seq, uint8_t flags, uint32_t len)
{
	struct tp_stack *s = c->stack;
	struct tcp_table *t = s->tcp;
	tcp_vars_flush(s);
	t->vars_seg = (struct tp_tcp_vars){
		.dir = TP_TCP_VARS_OUT, .src = c->laddr, .dst = c->raddr, .sport = c->lport,
		.dport = c->rport, .seq = seq, .ack = flags & TCP_ACK ? c->rcv_nxt : 0,
		.flags = flags, .len = len,
	};
	if (c->state == TCP_CLOSED)     /* a RST for no connection (tcp_send_reset_for) */
		vars_emit(s, NULL, &t->vars_seg);
	else
		t->vars_conn = c;
}

static void vars_received(struct tp_stack *s, const struct ip_info *ip, const uint8_t *d, size_t len,
			  int had_conn)
{
	size_t hl = len >= TCP_HDR_LEN ? (size_t)(d[12] >> 4) * 4 : 0;
	if (hl < TCP_HDR_LEN || hl > len)
		return;
	tcp_vars_flush(s);
	struct tp_tcp_vars v = {
		.dir = TP_TCP_VARS_IN, .src = ip->src, .dst = ip->dst, .sport = get_be16(d),
		.dport = get_be16(d + 2), .seq = get_be32(d + 4), .flags = d[13] & 0x3f,
		.len = (uint32_t)(len - hl),
	};
	v.ack = v.flags & TCP_ACK ? get_be32(d + 8) : 0;
	/* After processing: the connection now on the 4-tuple (a SYN to a
	 * listener made one), or none any more. */
	struct tcp_conn *c = tcp_lookup(s, ip->dst, v.dport, ip->src, v.sport);
	if (c || had_conn)
		vars_emit(s, c, &v);
}

void tcp_input(struct tp_stack *s, const struct ip_info *ip, const uint8_t *d, size_t len)
{
	if (!s->trace) {
		tcp_segment_arrives(s, ip, d, len);
		return;
	}
	int had_conn = len >= TCP_HDR_LEN && tcp_lookup(s, ip->dst, get_be16(d + 2), ip->src, get_be16(d));
	tcp_vars_flush(s);
	tcp_segment_arrives(s, ip, d, len);
	vars_received(s, ip, d, len, had_conn);
}
