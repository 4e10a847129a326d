/*
 * stack.h - the stack object every core module shares (internal).
 *
 * Each protocol module keeps its state in a struct of its own header; this
 * file only gathers them. Upward delivery never names a higher module: it
 * goes through the demux tables below (ethertype, IP protocol), which
 * tp_stack_new() fills in.
 */
#ifndef TP_STACK_H
#define TP_STACK_H

#include <stdarg.h>
#include <stdint.h>

#include "tapir/tapir.h"
#include "arp.h"
#include "ipv4.h"
#include "icmp.h"
#include "rand.h"
#include "timer.h"

#define TP_MAX_NETIF 4

struct tcp_table;
struct udp_state;
struct sock_table;

struct tp_netif {
	struct tp_stack *stack;
	struct tp_netif_config cfg;
	tp_ip4 netmask, broadcast;
	tp_transmit_fn transmit;
	void *transmit_ctx;
	struct arp_table arp;
};

struct tp_stack {
	struct tp_stack_config cfg;
	tp_time now;
	struct tp_rand rng;
	struct tp_timer_heap timers;
	uint64_t stats[TP_STAT_COUNT];

	struct tp_netif netifs[TP_MAX_NETIF];
	int n_netif;

	struct ip_state ip;
	struct icmp_state icmp;
	/* Upper layers, allocated by their own init so lower modules never see
	 * their definitions. */
	struct tcp_table *tcp;
	struct udp_state *udp;
	struct sock_table *socks;
	arp_fail_fn arp_fail;    /* set by IP: report unresolved next hops */

	tp_trace_fn trace;
	void *trace_ctx;
	/* The frame being input came with a checksum the link vouched for
	 * (tp_input_offload); IP takes it for the one datagram it holds. */
	uint8_t rx_csum_ok;
	uint8_t rx_gso;             /* ... and is a GSO super-frame (TCP counts its segments) */
	uint8_t batching;           /* between tp_batch_begin() and tp_batch_end() */
};

static inline void tp_count(struct tp_stack *s, enum tp_stat_id id) { s->stats[id]++; }

/* Counts a drop and tells the trace hook (frame may be NULL). */
void tp_drop(struct tp_stack *s, enum tp_stat_id id, const uint8_t *frame, size_t len);
/* A trace line (TP_TRACE_STATE or TP_TRACE_NOTE), printf-style; free when
 * no hook is set. */
void tp_trace_text(struct tp_stack *s, enum tp_trace_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tp_trace_frame(struct tp_stack *s, enum tp_trace_kind kind, const struct tp_netif *nif,
		    const uint8_t *frame, size_t len);

static inline int tp_timer_set(struct tp_stack *s, struct tp_timer *t, tp_time when)
{
	return tp_timer_arm(&s->timers, t, when);
}
static inline void tp_timer_stop(struct tp_stack *s, struct tp_timer *t)
{
	tp_timer_cancel(&s->timers, t);
}

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Whether a flow from local port lport to rport reaches this stack when it
 * is one of several on a steered link (tp_stack_config.queue_count); with
 * no such link, or no peer port yet, any port does. */
static inline int stack_port_comes_back(const struct tp_stack *s, uint16_t lport, uint16_t rport)
{
	return s->cfg.queue_count <= 1 || !rport ||
	       tp_flow_queue(lport, rport, s->cfg.queue_count) == s->cfg.queue_index;
}

#endif
