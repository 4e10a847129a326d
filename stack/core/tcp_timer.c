/* tcp_timer.c - retransmission (RFC 6298), persist, delayed ACK and 2MSL. */
#include <errno.h>

#include "stack.h"
#include "tcp.h"
#include "tcp_seq.h"

#define RTO_MIN TP_MSEC(200)     /* RFC 6298 §2.4 says 1 s; Linux and the BSDs use 200 ms */
#define RTO_MAX TP_SEC(60)       /* RFC 6298 §2.5 */
#define PERSIST_MIN TP_MSEC(500)
#define RTO_AFTER_SYN_LOSS TP_SEC(3) /* RFC 6298 §5.7 */
#define PERSIST_MAX TP_SEC(60)

static void rtx_expired(struct tp_stack *s, struct tp_timer *t);
static void delack_expired(struct tp_stack *s, struct tp_timer *t);
static void wait_expired(struct tp_stack *s, struct tp_timer *t);
static void keepalive_expired(struct tp_stack *s, struct tp_timer *t);

void tcp_timers_init(struct tcp_conn *c)
{
	tp_timer_init(&c->rtx_timer, rtx_expired);
	tp_timer_init(&c->delack_timer, delack_expired);
	tp_timer_init(&c->wait_timer, wait_expired);
	tp_timer_init(&c->ka_timer, keepalive_expired);
	c->ka_idle = TP_SEC(7200);              /* RFC 1122 §4.2.3.6: no less than two hours */
	c->ka_intvl = TP_SEC(75);
	c->ka_cnt = 9;
}

void tcp_timers_stop(struct tcp_conn *c)
{
	tp_timer_stop(c->stack, &c->rtx_timer);
	tp_timer_stop(c->stack, &c->delack_timer);
	tp_timer_stop(c->stack, &c->wait_timer);
	tp_timer_stop(c->stack, &c->ka_timer);
}

static tp_time clamp(tp_time v, tp_time lo, tp_time hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* RFC 6298 §2.2-2.3, with alpha = 1/8 and beta = 1/4. */
void tcp_rtt_sample(struct tcp_conn *c, tp_time r)
{
	if (r == 0)
		r = 1;
	if (c->srtt == 0) {
		c->srtt = r;
		c->rttvar = r / 2;
	} else {
		tp_time diff = c->srtt > r ? c->srtt - r : r - c->srtt;
		c->rttvar = (3 * c->rttvar + diff) / 4;
		c->srtt = (7 * c->srtt + r) / 8;
	}
	c->rto = clamp(c->srtt + 4 * c->rttvar, RTO_MIN, RTO_MAX);
}

static tp_time rto_now(const struct tcp_conn *c)
{
	return clamp(c->rto << (c->backoff < 10 ? c->backoff : 10), RTO_MIN, RTO_MAX);
}

void tcp_arm_rto(struct tcp_conn *c)
{
	c->tlp_pto = 0;
	tp_timer_set(c->stack, &c->rtx_timer, c->stack->now + rto_now(c));
}

/* One timer, two meanings: the PTO while a probe is due, else the RTO
 * (the probe then arms the RTO: RFC 8985 §7.3). */
void tcp_arm_rtx(struct tcp_conn *c)
{
	tp_time rto = rto_now(c), pto = tcp_tlp_timeout(c, rto);
	c->tlp_pto = pto != 0;
	tp_timer_set(c->stack, &c->rtx_timer, c->stack->now + (pto ? pto : rto));
}

/* RFC 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: with data waiting and the peer's
 * window shut, probe it with backoff for as long as it keeps answering. The
 * same timer overrides sender-side SWS avoidance (RFC 1122 §4.2.3.4). */
void tcp_enter_persist(struct tcp_conn *c)
{
	if (c->persist)
		return;
	c->persist = 1;
	c->persist_backoff = 0;
	c->tlp_pto = 0;
	tp_timer_set(c->stack, &c->rtx_timer, c->stack->now + clamp(c->rto, PERSIST_MIN, PERSIST_MAX));
}

void tcp_leave_persist(struct tcp_conn *c)
{
	if (!c->persist)
		return;
	c->persist = 0;
	c->persist_backoff = 0;
	tp_timer_stop(c->stack, &c->rtx_timer);
	/* All that is in flight is probe bytes the shut receiver was free to
	 * drop: send them again with the rest now that the window is open,
	 * rather than leave Nagle to hold the rest behind them until an RTO
	 * (RFC 1122 §4.2.2.17: probing exists to lose no time on reopening). */
	c->snd_nxt = c->snd_una;
	if (c->snd_una != c->snd_max)
		tcp_arm_rtx(c);
}
static void rtx_expired(struct tp_stack *s, struct tp_timer *t)
{
	struct tcp_conn *c = container_of(t, struct tcp_conn, rtx_timer);
	int handshake = c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED;

	if (c->persist) {
		/* RFC 1122 §4.2.2.17 keeps a shut window waiting only "as long
		 * as the receiving TCP continues to send acknowledgments in
		 * response to the probe segments". Probes the peer stopped
		 * answering count as retransmissions do (Linux's tcp_probe_timer
		 * too), or a silent peer would hold the connection, orphan or
		 * not, for ever. */
		if (c->persist_unanswered >= s->cfg.tcp_retries) {
			tp_count(s, TP_STAT_TCP_TIMEOUTS);
			tcp_send_reset(c);
			tcp_drop_conn(c, c->soft_error ? c->soft_error : -ETIMEDOUT,
				      "window probes unanswered");
			return;
		}
		c->persist_unanswered++;
		tp_count(s, TP_STAT_TCP_PERSIST_PROBES);
		tcp_send_probe(c);
		if (c->persist_backoff < 7)
			c->persist_backoff++;
		tp_time base = clamp(c->rto, PERSIST_MIN, PERSIST_MAX);
		tp_timer_set(s, t, s->now + clamp(base << c->persist_backoff, PERSIST_MIN, PERSIST_MAX));
		return;
	}
	if (c->snd_una == c->snd_max)
		return;                             /* everything was acknowledged */
	if (c->tlp_pto) {
		tcp_tlp_fire(c);
		return;
	}
	uint32_t limit = handshake ? s->cfg.tcp_syn_retries : s->cfg.tcp_retries;
	if (c->backoff >= limit) {
		tp_count(s, TP_STAT_TCP_TIMEOUTS);
		if (c->state != TCP_SYN_SENT && c->state != TCP_SYN_RECEIVED)
			tcp_send_reset(c);
		tcp_drop_conn(c, c->soft_error ? c->soft_error : -ETIMEDOUT,
			      "retransmission limit reached");
		return;
	}
	tp_count(s, TP_STAT_TCP_RTO);
	int first_timeout = c->backoff == 0;
	c->backoff++;
	c->rtt_active = 0;                      /* Karn */
	/* RFC 5681 §3.1: ssthresh falls at the first timeout of a series only
	 * (the flight then is what caused the loss), and after an RTO the
	 * window restarts at one segment. */
	if (first_timeout && !handshake)
		c->ssthresh = c->cc->on_loss(c);
	c->cwnd = c->mss;
	tcp_recovery_reset(c);
	/* RFC 6298 §5.5-5.7: back off and start again from the oldest. */
	if (handshake) {
		c->retransmits++;
		tp_count(s, TP_STAT_TCP_RETRANS);
		tcp_send_syn(c);
		return;
	}
	c->snd_nxt = c->snd_una;
	tp_timer_stop(s, &c->rtx_timer);
	tcp_output(c);
	if (!tp_timer_armed(&c->rtx_timer))
		tcp_arm_rtx(c);
}

void tcp_schedule_delack(struct tcp_conn *c)
{
	if (!tp_timer_armed(&c->delack_timer))
		tp_timer_set(c->stack, &c->delack_timer, c->stack->now + c->stack->cfg.tcp_delack);
}

static void delack_expired(struct tp_stack *s, struct tp_timer *t)
{
	struct tcp_conn *c = container_of(t, struct tcp_conn, delack_timer);
	tp_count(s, TP_STAT_TCP_DELAYED_ACKS);
	c->ack_now = 1;
	tcp_output(c);
}

/* RFC 6298 §5.7: if the timer expired awaiting the ACK of our SYN (or
 * SYN-ACK), data starts with an RTO of at least 3 s; RFC 5681 §3.1: and
 * with an initial window of one segment. Until then the only segments sent
 * were SYNs, so any retransmission was one of them. */
void tcp_handshake_completed(struct tcp_conn *c)
{
	if (!c->retransmits)
		return;
	if (c->rto < RTO_AFTER_SYN_LOSS)
		c->rto = RTO_AFTER_SYN_LOSS;
	c->cwnd = c->mss;
}

void tcp_enter_time_wait(struct tcp_conn *c)
{
	/* RFC 9293 §3.6.1: 2 MSL, so that our last ACK can be resent if lost
	 * and old duplicates of this connection die before the 4-tuple returns. */
	tp_timer_stop(c->stack, &c->rtx_timer);
	tp_timer_stop(c->stack, &c->delack_timer);
	ring_free(&c->sndbuf);
	tp_timer_set(c->stack, &c->wait_timer, c->stack->now + 2 * c->stack->cfg.tcp_msl);
}

static void wait_expired(struct tp_stack *s, struct tp_timer *t)
{
	struct tcp_conn *c = container_of(t, struct tcp_conn, wait_timer);
	(void)s;
	if (c->state == TCP_TIME_WAIT)
		tcp_drop_conn(c, 0, "2MSL timer expired");
	else if (c->state == TCP_FIN_WAIT_2 && !c->sock)
		tcp_drop_conn(c, 0, "FIN_WAIT_2 timeout for a closed socket");
}

static int keepalive_applies(const struct tcp_conn *c)
{
	return c->keepalive && (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT ||
				c->state == TCP_FIN_WAIT_2);
}

void tcp_keepalive_update(struct tcp_conn *c)
{
	if (!keepalive_applies(c)) {
		tp_timer_stop(c->stack, &c->ka_timer);
		return;
	}
	if (!c->last_rcv)
		c->last_rcv = c->stack->now;
	/* Switched on, or the idle time shortened, after a longer silence: the
	 * probe is due now (as Linux), not at a deadline already past. */
	tp_time due = c->last_rcv + c->ka_idle + c->ka_probes * c->ka_intvl;
	tp_timer_set(c->stack, &c->ka_timer, due > c->stack->now ? due : c->stack->now);
}

/* Arrival of any segment does not touch the timer (that would cost a heap
 * operation per segment): it records last_rcv, and the expiry re-arms
 * itself for the rest of the idle time when the connection was not idle. */
static void keepalive_expired(struct tp_stack *s, struct tp_timer *t)
{
	struct tcp_conn *c = container_of(t, struct tcp_conn, ka_timer);

	if (!keepalive_applies(c))
		return;
	if (c->ka_probes && s->now < c->last_rcv + c->ka_idle)
		c->ka_probes = 0;                   /* it answered */
	tp_time due = c->last_rcv + c->ka_idle + c->ka_probes * c->ka_intvl;
	/* Data in flight has the retransmission timer watching the peer. */
	if (s->now < due || c->snd_una != c->snd_max) {
		tp_timer_set(s, t, (s->now < due ? due : s->now + c->ka_idle));
		return;
	}
	if (c->ka_probes >= c->ka_cnt) {
		tp_count(s, TP_STAT_TCP_KEEPALIVE_DROPS);
		tcp_send_reset(c);
		tcp_drop_conn(c, c->soft_error ? c->soft_error : -ETIMEDOUT, "keepalive: the peer stopped answering");
		return;
	}
	tp_count(s, TP_STAT_TCP_KEEPALIVE_PROBES);
	tcp_send_keepalive(c);
	c->ka_probes++;
	tp_timer_set(s, t, s->now + c->ka_intvl);
}
