/* stack.c - the stack object: lifecycle, interfaces, the clock, counters, trace. */
#include "stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth.h"
#include "offload.h"
#include "sock.h"
#include "tapir/sock.h"
#include "tcp.h"
#include "udp.h"

void tp_stack_config_defaults(struct tp_stack_config *c)
{
	if (!c->icmp_rate)
		c->icmp_rate = 100;
	if (!c->icmp_burst)
		c->icmp_burst = 50;
	if (!c->arp_cache_size)
		c->arp_cache_size = 128;
	if (!c->reass_mem_limit)
		c->reass_mem_limit = 1u << 20;
	if (!c->default_ttl)
		c->default_ttl = 64;
	if (!c->tcp_msl)
		c->tcp_msl = TP_SEC(30);
	if (!c->tcp_fin_timeout)
		c->tcp_fin_timeout = TP_SEC(60);
	if (!c->tcp_delack)
		c->tcp_delack = TP_MSEC(40);
	if (c->tcp_delack > TP_MSEC(200))
		c->tcp_delack = TP_MSEC(200);    /* RFC 1122 §4.2.3.2 allows 0.5 s; the issue asks 200 ms */
	if (!c->tcp_syn_retries)
		c->tcp_syn_retries = 6;
	if (!c->tcp_retries)
		c->tcp_retries = 12;
	if (!c->tcp_sndbuf)
		c->tcp_sndbuf = 256 * 1024;
	if (!c->tcp_rcvbuf)
		c->tcp_rcvbuf = 256 * 1024;
	if (!c->tcp_syn_backlog)
		c->tcp_syn_backlog = 256;
	if (!c->max_sockets)
		c->max_sockets = 65536;
	if (!c->tcp_mem_limit)
		c->tcp_mem_limit = 64u << 20;
	if (!c->tcp_syncookies)
		c->tcp_syncookies = 1;
	if (!c->tcp_challenge_ack_rate)
		c->tcp_challenge_ack_rate = 1000;
	if (!c->udp_rcvbuf)
		c->udp_rcvbuf = 256 * 1024;
}

struct tp_stack *tp_stack_new(const struct tp_stack_config *cfg)
{
	if (cfg->queue_count > 1 && cfg->queue_index >= cfg->queue_count) {
		errno = EINVAL;
		return NULL;
	}
	struct tp_stack *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	tp_stack_config_defaults(&s->cfg);
	s->now = cfg->start_time;
	tp_rand_seed(&s->rng, cfg->seed);
	ip_init(s);
	icmp_init(s);
	int err = tcp_init(s);
	if (!err)
		err = udp_init(s);
	if (!err)
		err = sock_init(s);
	if (err) {
		tp_stack_free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

void tp_stack_free(struct tp_stack *s)
{
	if (!s)
		return;
	sock_fini(s);
	tcp_fini(s);
	udp_fini(s);
	for (int i = 0; i < s->n_netif; i++)
		arp_table_free(s, &s->netifs[i].arp);
	ip_fini(s);
	tp_timer_heap_free(&s->timers);
	free(s);
}

struct tp_netif *tp_netif_add(struct tp_stack *s, const struct tp_netif_config *cfg,
			      tp_transmit_fn transmit, void *ctx)
{
	if (s->n_netif == TP_MAX_NETIF || !transmit || cfg->prefix_len > 32 ||
	    eth_is_multicast(cfg->mac) || cfg->addr == 0 ||
	    (cfg->mtu && (cfg->mtu < 68 || cfg->mtu > 9000)) ||
	    (cfg->offloads & ~(TP_OFFLOAD_TX_CSUM | TP_OFFLOAD_TSO | TP_OFFLOAD_RX)) ||
	    ((cfg->offloads & (TP_OFFLOAD_TX_CSUM | TP_OFFLOAD_TSO)) && !cfg->transmit_offload) ||
	    ((cfg->offloads & TP_OFFLOAD_TSO) && !(cfg->offloads & TP_OFFLOAD_TX_CSUM))) {
		errno = EINVAL;
		return NULL;
	}
	struct tp_netif *nif = &s->netifs[s->n_netif];
	memset(nif, 0, sizeof(*nif));
	nif->stack = s;
	nif->cfg = *cfg;
	if (!nif->cfg.mtu)
		nif->cfg.mtu = 1500;
	nif->netmask = cfg->prefix_len ? ~0u << (32 - cfg->prefix_len) : 0;
	nif->broadcast = cfg->addr | ~nif->netmask;
	nif->transmit = transmit;
	nif->transmit_ctx = ctx;
	if (arp_table_init(&nif->arp, nif, s->cfg.arp_cache_size) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	s->n_netif++;
	arp_announce(nif);
	return nif;
}

const struct tp_netif_config *tp_netif_config_of(const struct tp_netif *nif)
{
	return &nif->cfg;
}

void tp_input(struct tp_stack *s, struct tp_netif *nif, const uint8_t *frame, size_t len)
{
	eth_input(nif, frame, len);
	tp_sock_dispatch(s);
}

void tp_input_overheard(struct tp_stack *s, struct tp_netif *nif, const uint8_t *frame, size_t len)
{
	eth_overheard(nif, frame, len);
	tp_sock_dispatch(s);
}

void tp_input_offload(struct tp_stack *s, struct tp_netif *nif, const uint8_t *frame, size_t len,
		      const struct tp_offload *off)
{
	if (!off || !(nif->cfg.offloads & TP_OFFLOAD_RX) ||
	    !(off->csum_partial || off->csum_valid || off->gso_tcp4 || off->gso_other)) {
		tp_input(s, nif, frame, len);
		return;
	}
	/* "Valid" alone claims nothing about the frame's layout to check. */
	if (off->gso_other ||
	    ((off->csum_partial || off->gso_tcp4) && offload_rx_check(frame, len, off) < 0)) {
		tp_count(s, TP_STAT_ETH_IN);
		tp_trace_frame(s, TP_TRACE_FRAME_IN, nif, frame, len);
		tp_drop(s, TP_STAT_ETH_DROP_OFFLOAD, frame, len);
		return;
	}
	s->rx_csum_ok = 1;
	s->rx_gso = off->gso_tcp4;
	eth_input(nif, frame, len);
	s->rx_csum_ok = 0;
	s->rx_gso = 0;
	tp_sock_dispatch(s);
}

void tp_batch_begin(struct tp_stack *s)
{
	s->batching = 1;
}

void tp_batch_end(struct tp_stack *s)
{
	s->batching = 0;
	tcp_flush_acks(s);
	tp_sock_dispatch(s);
}

void tp_poll(struct tp_stack *s, tp_time now)
{
	if (now > s->now)
		s->now = now;
	struct tp_timer *t;
	while ((t = tp_timer_pop_due(&s->timers, s->now)))
		t->fn(s, t);
	tp_sock_dispatch(s);
}

tp_time tp_next_deadline(const struct tp_stack *s)
{
	return tp_timer_next(&s->timers);
}

tp_time tp_now(const struct tp_stack *s)
{
	return s->now;
}

uint64_t tp_stat(const struct tp_stack *s, enum tp_stat_id id)
{
	return id < TP_STAT_COUNT ? s->stats[id] : 0;
}

static const char *const stat_names[] = {
#define TP_STAT_NAME(id, name, help) name,
	TP_STATS(TP_STAT_NAME)
#undef TP_STAT_NAME
};
static const char *const stat_helps[] = {
#define TP_STAT_HELP(id, name, help) help,
	TP_STATS(TP_STAT_HELP)
#undef TP_STAT_HELP
};

const char *tp_stat_name(enum tp_stat_id id) { return id < TP_STAT_COUNT ? stat_names[id] : "?"; }
const char *tp_stat_help(enum tp_stat_id id) { return id < TP_STAT_COUNT ? stat_helps[id] : "?"; }

void tp_set_trace(struct tp_stack *s, tp_trace_fn fn, void *ctx)
{
	s->trace = fn;
	s->trace_ctx = ctx;
}

void tp_drop(struct tp_stack *s, enum tp_stat_id id, const uint8_t *frame, size_t len)
{
	s->stats[id]++;
	if (s->trace) {
		struct tp_trace_event ev = {.kind = TP_TRACE_DROP, .time = s->now, .frame = frame,
					    .len = len, .stat = id};
		s->trace(s->trace_ctx, &ev);
	}
}

void tp_trace_frame(struct tp_stack *s, enum tp_trace_kind kind, const struct tp_netif *nif,
		    const uint8_t *frame, size_t len)
{
	if (s->trace) {
		struct tp_trace_event ev = {.kind = kind, .time = s->now, .netif = nif,
					    .frame = frame, .len = len};
		s->trace(s->trace_ctx, &ev);
	}
}

void tp_trace_text(struct tp_stack *s, enum tp_trace_kind kind, const char *fmt, ...)
{
	if (!s->trace)
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	struct tp_trace_event ev = {.kind = kind, .time = s->now, .text = buf};
	s->trace(s->trace_ctx, &ev);
}
