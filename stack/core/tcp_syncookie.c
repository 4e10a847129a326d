/* tcp_syncookie.c - SYN cookies (RFC 4987 §3.6); the layout is in tcp_syncookie.h. */
#include "tcp_syncookie.h"

#include <string.h>

#include "byteorder.h"
#include "siphash.h"
#include "stack.h"

#define DATA_BITS 9
#define DATA_MASK ((1u << DATA_BITS) - 1)
#define AUTH_BITS (32 - DATA_BITS)
#define WS_NONE 15

/* Linux's IPv4 table has 536, 1300, 1440, 1460; with a third bit: a floor
 * for tiny MSSes (64, what apply_syn_options clamps to), common tunnel
 * sizes, and jumbo frames. */
static const uint16_t mss_table[8] = {64, 536, 1200, 1360, 1400, 1440, 1460, 8960};

static unsigned mss_index(uint16_t mss)
{
	if (!mss)
		mss = TCP_DEFAULT_MSS;              /* RFC 9293 §3.7.1 */
	unsigned i = 7;
	while (i > 0 && mss_table[i] > mss)
		i--;
	return i;
}

uint16_t syncookie_mss(uint16_t mss)
{
	return mss_table[mss_index(mss)];
}

static size_t put_tuple(uint8_t *k, const struct syncookie_tuple *t)
{
	put_be32(k, t->laddr);
	put_be32(k + 4, t->raddr);
	put_be16(k + 8, t->lport);
	put_be16(k + 10, t->rport);
	put_be32(k + 12, t->peer_isn);
	return 16;
}

/* Hides the cookie's structure: a keyed hash of everything but the time. */
static uint32_t whitening(const uint64_t key[2], const struct syncookie_tuple *t)
{
	uint8_t k[16];
	return (uint32_t)siphash24(key, k, put_tuple(k, t));
}

static uint32_t authenticator(const uint64_t key[2], const struct syncookie_tuple *t, uint32_t counter,
			      uint32_t data)
{
	uint8_t k[22];
	size_t n = put_tuple(k, t);
	put_be32(k + n, counter);
	put_be16(k + n + 4, (uint16_t)data);
	return (uint32_t)(siphash24(key, k, sizeof(k)) >> (64 - AUTH_BITS));
}

uint32_t syncookie_make(const uint64_t key[2], tp_time now, const struct syncookie_tuple *t,
			const struct tcp_seg *syn)
{
	uint32_t counter = (uint32_t)(now / SYNCOOKIE_PERIOD);
	uint32_t ws = syn->wscale >= 0 ? (uint32_t)syn->wscale : WS_NONE;
	uint32_t data = (counter & 1) << 8 | mss_index(syn->mss) << 5 | ws << 1 | !!syn->sack_ok;
	uint32_t cookie = authenticator(key, t, counter, data) << DATA_BITS | data;
	return cookie + whitening(key, t);
}

int syncookie_check(const uint64_t key[2], tp_time now, const struct syncookie_tuple *t,
		    uint32_t cookie, struct tcp_seg *syn)
{
	uint32_t v = cookie - whitening(key, t);
	uint32_t data = v & DATA_MASK;
	uint32_t counter = (uint32_t)(now / SYNCOOKIE_PERIOD);
	if ((counter & 1) != data >> 8)
		counter--;                          /* made in the previous period */
	if (v >> DATA_BITS != authenticator(key, t, counter, data))
		return -1;
	uint32_t ws = data >> 1 & 0xf;
	syn->mss = mss_table[data >> 5 & 7];
	syn->wscale = ws == WS_NONE ? -1 : (int8_t)ws;
	syn->sack_ok = data & 1;
	return 0;
}

/* --- the listener's side ---------------------------------------------------- */

static void tuple_of(struct syncookie_tuple *t, const struct ip_info *ip, const struct tcp_seg *seg,
		     uint32_t peer_isn)
{
	t->laddr = ip->dst;
	t->raddr = ip->src;
	t->lport = seg->dport;
	t->rport = seg->sport;
	t->peer_isn = peer_isn;
}

void tcp_syncookie_answer(struct tcp_conn *l, const struct ip_info *ip, const struct tcp_seg *syn)
{
	struct tp_stack *s = l->stack;
	if (s->cfg.tcp_syncookies == TP_OFF) {
		tp_drop(s, TP_STAT_TCP_DROP_SYN_QUEUE, NULL, 0);
		return;
	}
	struct syncookie_tuple t;
	tuple_of(&t, ip, syn, syn->seq);
	/* The <SYN,ACK> a child would send, from a connection that lives only
	 * for the call: no timers, nothing in any table. */
	struct tcp_conn c;
	memset(&c, 0, sizeof(c));
	c.stack = s;
	c.state = TCP_SYN_RECEIVED;
	c.laddr = t.laddr;
	c.raddr = t.raddr;
	c.lport = t.lport;
	c.rport = t.rport;
	c.user_mss = l->user_mss;
	c.mss = syncookie_mss(syn->mss);
	c.ws_ok = syn->wscale >= 0;
	tcp_negotiate_options(&c, syn);         /* SACK-permitted and timestamps */
	c.rcv_wscale = c.ws_ok ? tcp_wscale_for(l->rcvbuf.cap) : 0;
	ring_init(&c.rcvbuf, l->rcvbuf.cap, NULL);
	c.iss = syncookie_make(s->tcp->cookie_key, s->now, &t, syn);
	c.rcv_nxt = c.rcv_adv = syn->seq + 1;
	tp_timer_init(&c.delack_timer, NULL);
	tcp_send_synack_stateless(&c);
	tp_count(s, TP_STAT_TCP_SYNCOOKIES_SENT);
	l->cookie_sent = 1;
	l->cookie_time = s->now;
}

int tcp_syncookie_ack(struct tcp_conn *l, const struct ip_info *ip, const struct tcp_seg *ack,
		      struct tcp_seg *syn)
{
	struct tp_stack *s = l->stack;
	/* No cookie went out within a cookie's life: none can be valid, and
	 * checking would only give forgers their odds (as Linux). */
	if (!l->cookie_sent || s->now - l->cookie_time > SYNCOOKIE_LIFE || (ack->flags & (TCP_SYN | TCP_RST)))
		return 0;
	struct syncookie_tuple t;
	tuple_of(&t, ip, ack, ack->seq - 1);
	memset(syn, 0, sizeof(*syn));
	if (syncookie_check(s->tcp->cookie_key, s->now, &t, ack->ack - 1, syn) < 0) {
		tp_drop(s, TP_STAT_TCP_SYNCOOKIES_FAILED, NULL, 0);
		return 0;
	}
	tp_count(s, TP_STAT_TCP_SYNCOOKIES_VALID);
	if (tcp_child_admit(l) < 0)
		return -1;
	syn->sport = ack->sport;
	syn->dport = ack->dport;
	syn->seq = ack->seq - 1;
	syn->flags = TCP_SYN;
	syn->seg_len = 1;
	syn->wnd = ack->wnd;        /* the SYN's own is lost; the ACK's replaces it at once */
	/* Timestamps need no bit in the cookie: the ACK carries the option only
	 * if both offered it (RFC 7323 §3.2), and its TSval stands in for the
	 * SYN's as TS.Recent. */
	syn->has_ts = ack->has_ts;
	syn->ts_val = ack->ts_val;
	return 1;
}

void tcp_syncookie_child(struct tcp_conn *c, uint32_t cookie)
{
	c->iss = c->snd_una = c->snd_wl2 = cookie;
	c->snd_nxt = c->snd_max = cookie + 1;
	/* What the cookie <SYN,ACK> offered: a SYN's window, never scaled. */
	c->rcv_adv = c->rcv_nxt;
	uint32_t wnd = tcp_rcv_window(c);
	c->rcv_adv = c->rcv_nxt + (wnd > 65535 ? 65535 : wnd);
}
