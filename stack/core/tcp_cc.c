/* tcp_cc.c - Reno, NewReno and CUBIC (RFC 5681, RFC 6582, RFC 9438). */
#include "tcp_cc.h"

#include <math.h>
#include <string.h>

#include "stack.h"
#include "tcp.h"

static uint32_t half_flight(const struct tcp_conn *c, double beta)
{
	/* RFC 5681 §3.1 eq. 4: from the data in flight, not cwnd (which may be
	 * far larger than what an application-limited sender really used). */
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t floor2 = 2u * c->mss;
	uint32_t v = (uint32_t)(flight * beta);
	return v > floor2 ? v : floor2;
}

/* --- Reno / NewReno --------------------------------------------------------- */

static void reno_init(struct tcp_conn *c)
{
	c->cc_state.bytes_acked = 0;
}

/* RFC 5681 §3.1 with appropriate byte counting (RFC 3465 §2.1): one MSS
 * more per window of data acknowledged, however the ACKs were delayed. */
static void reno_on_ack(struct tcp_conn *c, uint32_t acked)
{
	c->cc_state.bytes_acked += acked;
	if (c->cc_state.bytes_acked >= c->cwnd) {
		c->cc_state.bytes_acked -= c->cwnd;
		c->cwnd += c->mss;
	}
}

static uint32_t reno_on_loss(struct tcp_conn *c)
{
	c->cc_state.bytes_acked = 0;
	return half_flight(c, 0.5);
}

const struct tcp_cc tcp_cc_reno = {"reno", reno_init, reno_on_ack, reno_on_loss, 0};
const struct tcp_cc tcp_cc_newreno = {"newreno", reno_init, reno_on_ack, reno_on_loss, 1};

/* --- CUBIC (RFC 9438) ------------------------------------------------------- */

/* §4.2 eq. 2: the time the cubic takes to climb back to w_max. */
double cubic_k(double w_max, double cwnd_at_loss)
{
	double d = (w_max - cwnd_at_loss) / CUBIC_C;
	return d > 0 ? cbrt(d) : 0;
}

/* §4.2 eq. 1: W_cubic(t) = C (t - K)^3 + W_max. */
double cubic_window(double t, double k, double origin)
{
	double x = t - k;
	return CUBIC_C * x * x * x + origin;
}

static void cubic_init(struct tcp_conn *c)
{
	memset(&c->cc_state, 0, sizeof(c->cc_state));
}

static void cubic_on_ack(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_cc_state *st = &c->cc_state;
	tp_time now = c->stack->now;
	double mss = c->mss;
	double cwnd = c->cwnd / mss;

	if (st->epoch == 0) {
		/* §4.2: a new congestion-avoidance epoch starts at this ACK. */
		st->epoch = now ? now : 1;
		st->cwnd = cwnd;
		st->w_est = cwnd;
		if (cwnd < st->w_max) {
			st->k = cubic_k(st->w_max, cwnd);
			st->origin = st->w_max;
		} else {
			st->k = 0;
			st->origin = cwnd;
		}
	}
	if (st->cwnd < cwnd || st->cwnd > cwnd + 1)
		st->cwnd = cwnd;                    /* someone else moved cwnd (recovery) */
	double segs = acked / mss;
	/* §4.3: the Reno-friendly estimate, alpha = 3 (1 - beta) / (1 + beta). */
	double alpha = 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA);
	st->w_est += alpha * segs / st->cwnd;
	double rtt = c->srtt ? c->srtt / 1e6 : 0.1;
	double t = (double)(now - st->epoch) / 1e6;
	double target = cubic_window(t + rtt, st->k, st->origin);
	if (cubic_window(t, st->k, st->origin) < st->w_est) {
		st->cwnd = st->w_est;               /* Reno-friendly region */
	} else {
		/* §4.4-4.5: concave or convex, never more than 1.5x per RTT. */
		if (target < st->cwnd)
			target = st->cwnd;
		if (target > 1.5 * st->cwnd)
			target = 1.5 * st->cwnd;
		st->cwnd += (target - st->cwnd) / st->cwnd * segs;
	}
	uint32_t bytes = (uint32_t)(st->cwnd * mss);
	if (bytes > c->cwnd)
		c->cwnd = bytes;
}

static uint32_t cubic_on_loss(struct tcp_conn *c)
{
	struct tcp_cc_state *st = &c->cc_state;
	double cwnd = (double)c->cwnd / c->mss;
	/* §4.7 fast convergence: a flow whose maximum keeps falling yields. */
	if (cwnd < st->w_max)
		st->w_max = cwnd * (1 + CUBIC_BETA) / 2;
	else
		st->w_max = cwnd;
	st->epoch = 0;
	/* §4.6: ssthresh = flight size * beta. */
	return half_flight(c, CUBIC_BETA);
}

const struct tcp_cc tcp_cc_cubic = {"cubic", cubic_init, cubic_on_ack, cubic_on_loss, 1};

/* --- the table -------------------------------------------------------------- */

static const struct tcp_cc *const algorithms[] = {&tcp_cc_reno, &tcp_cc_newreno, &tcp_cc_cubic};

const struct tcp_cc *tcp_cc_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (!strcmp(algorithms[i]->name, name))
			return algorithms[i];
	return NULL;
}

const char *tcp_cc_names(void)
{
	return "reno newreno cubic";
}
