/* The stack object: configuration, interfaces, counters, the trace hook;
 * and the packet buffers every layer builds on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "pkb.h"
#include "stack.h"


START_TEST(config_defaults_fill_zeros_only)
{
	struct tp_stack_config c = {0};
	tp_stack_config_defaults(&c);
	ck_assert_uint_eq(c.icmp_rate, 100);
	ck_assert_uint_eq(c.icmp_burst, 50);
	ck_assert_uint_eq(c.arp_cache_size, 128);
	ck_assert_uint_eq(c.reass_mem_limit, 1u << 20);
	ck_assert_uint_eq(c.default_ttl, 64);
	struct tp_stack_config d = {.icmp_rate = 7, .arp_cache_size = 3, .default_ttl = 9};
	tp_stack_config_defaults(&d);
	ck_assert_uint_eq(d.icmp_rate, 7);
	ck_assert_uint_eq(d.arp_cache_size, 3);
	ck_assert_uint_eq(d.default_ttl, 9);
}
END_TEST

START_TEST(clock_starts_at_start_time)
{
	struct tp_stack_config c = {.start_time = 12345};
	struct tp_stack *s = tp_stack_new(&c);
	ck_assert_uint_eq(tp_now(s), 12345);
	tp_poll(s, 20000);
	ck_assert_uint_eq(tp_now(s), 20000);
	tp_poll(s, 100);
	ck_assert_uint_eq(tp_now(s), 20000);
	tp_stack_free(s);
	tp_stack_free(NULL);
}
END_TEST

/* Bad interface configurations are refused with EINVAL. */
static void break_prefix(struct tp_netif_config *c) { c->prefix_len = 33; }
static void break_mac(struct tp_netif_config *c) { c->mac[0] = 0x01; }
static void break_addr(struct tp_netif_config *c) { c->addr = 0; }
static void break_mtu_low(struct tp_netif_config *c) { c->mtu = 67; }
static void break_mtu_high(struct tp_netif_config *c) { c->mtu = 9001; }
static void (*const breakers[])(struct tp_netif_config *) = {
	break_prefix, break_mac, break_addr, break_mtu_low, break_mtu_high,
};

START_TEST(netif_rejects_bad_config)
{
	struct tp_stack_config sc = {0};
	struct tp_stack *s = tp_stack_new(&sc);
	struct tp_netif_config c = h_netif_config();
	breakers[_i](&c);
	errno = 0;
	ck_assert_ptr_null(tp_netif_add(s, &c, discard_transmit, NULL));
	ck_assert_int_eq(errno, EINVAL);
	tp_stack_free(s);
}
END_TEST

START_TEST(netif_limits_and_defaults)
{
	struct tp_stack_config sc = {0};
	struct tp_stack *s = tp_stack_new(&sc);
	struct tp_netif_config c = h_netif_config();
	ck_assert_ptr_null(tp_netif_add(s, &c, NULL, NULL));    /* no transmit */
	c.mtu = 0;
	for (int i = 0; i < TP_MAX_NETIF; i++) {
		c.addr = US_IP + (tp_ip4)i;
		struct tp_netif *n = tp_netif_add(s, &c, discard_transmit, NULL);
		ck_assert_ptr_nonnull(n);
		ck_assert_uint_eq(tp_netif_config_of(n)->mtu, 1500);
		ck_assert_uint_eq(tp_netif_config_of(n)->addr, US_IP + (tp_ip4)i);
	}
	ck_assert_ptr_null(tp_netif_add(s, &c, discard_transmit, NULL));
	ck_assert_int_eq(errno, EINVAL);
	tp_stack_free(s);
}
END_TEST

/* Names and help follow the table; out-of-range ids are harmless. */
START_TEST(stat_names)
{
	ck_assert_str_eq(tp_stat_name(TP_STAT_ETH_IN), "eth.in");
	ck_assert_str_eq(tp_stat_name(TP_STAT_IP_DROP_CHECKSUM), "ip.drop_checksum");
	ck_assert_str_eq(tp_stat_name(TP_STAT_MEM_FAIL), "mem.fail");
	ck_assert_str_eq(tp_stat_help(TP_STAT_ETH_IN), "frames received");
	ck_assert_str_eq(tp_stat_name(TP_STAT_COUNT), "?");
	ck_assert_str_eq(tp_stat_help(TP_STAT_COUNT), "?");
	for (int i = 0; i < TP_STAT_COUNT; i++) {
		const char *n = tp_stat_name((enum tp_stat_id)i);
		ck_assert_ptr_nonnull(strchr(n, '.'));              /* "layer.what" */
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(n, tp_stat_name((enum tp_stat_id)j));
	}
	struct tp_stack_config sc = {0};
	struct tp_stack *s = tp_stack_new(&sc);
	ck_assert_uint_eq(tp_stat(s, TP_STAT_COUNT), 0);
	tp_stack_free(s);
}
END_TEST

/* The trace hook sees frames in and out, and drops with their counter. */
struct trace_log {
	int in, out, drops, notes;
	enum tp_stat_id last_drop;
	tp_time last_time;
	char note[256];
};

static void trace(void *ctx, const struct tp_trace_event *ev)
{
	struct trace_log *t = ctx;
	t->last_time = ev->time;
	switch (ev->kind) {
	case TP_TRACE_FRAME_IN: t->in++; break;
	case TP_TRACE_FRAME_OUT: t->out++; break;
	case TP_TRACE_DROP:
		t->drops++;
		t->last_drop = ev->stat;
		break;
	case TP_TRACE_STATE:
	case TP_TRACE_NOTE:
		t->notes++;
		snprintf(t->note, sizeof(t->note), "%s", ev->text);
		break;
	case TP_TRACE_TCP_VARS:
		break;
	}
}

START_TEST(trace_hook_sees_events)
{
	struct harness h;
	h_init(&h);
	struct trace_log log = {0};
	tp_set_trace(h.stack, trace, &log);
	struct frame f;
	struct arp_spec a = {.op = 1, .sha = PEER_MAC, .spa = PEER_IP, .tpa = US_IP};
	frame_arp(&f, BCAST_MAC, &a);
	h_input(&h, &f);
	ck_assert_int_eq(log.in, 1);
	ck_assert_int_eq(log.out, 1);
	frame_eth(&f, US_MAC, PEER_MAC, 0x86dd);
	h_input(&h, &f);
	ck_assert_int_eq(log.drops, 1);
	ck_assert_int_eq(log.last_drop, TP_STAT_ETH_DROP_ETHERTYPE);
	ck_assert_uint_eq(log.last_time, h.now);
	/* ARP giving up leaves a note naming the address. */
	tp_ping_send(h.stack, OTHER_IP, 1, 1, NULL, 0);
	h_advance(&h, TP_SEC(3));
	ck_assert_int_ge(log.notes, 1);
	ck_assert_ptr_nonnull(strstr(log.note, "10.0.0.3"));
	/* A conflict also leaves a note. */
	a = (struct arp_spec){.op = 1, .sha = OTHER_MAC, .spa = US_IP, .tpa = US_IP};
	frame_arp(&f, BCAST_MAC, &a);
	h_input(&h, &f);
	ck_assert_ptr_nonnull(strstr(log.note, "02:00:00:00:00:03"));
	tp_set_trace(h.stack, NULL, NULL);
	h_input(&h, &f);
	ck_assert_int_eq(log.in, 3);
	h_fini(&h);
}
END_TEST

/* --- pkb ----------------------------------------------------------------- */

START_TEST(pkb_push_put_pull)
{
	struct pkb *p = pkb_alloc(16, 100);
	ck_assert_uint_eq(pkb_headroom(p), 16);
	ck_assert_uint_eq(p->len, 0);
	uint8_t *d = pkb_put(p, 100);
	ck_assert_ptr_eq(d, p->data);
	memset(d, 0xaa, 100);
	ck_assert_ptr_null(pkb_put(p, 1));              /* no tailroom left */
	uint8_t *hdr = pkb_push(p, 16);
	ck_assert_ptr_eq(hdr, d - 16);
	ck_assert_uint_eq(p->len, 116);
	ck_assert_ptr_null(pkb_push(p, 1));             /* no headroom left */
	pkb_pull(p, 16);
	ck_assert_ptr_eq(p->data, d);
	pkb_pull(p, 1000);                              /* clamps */
	ck_assert_uint_eq(p->len, 0);
	pkb_free(p);
}
END_TEST

/* Small buffers still leave room to pad to the Ethernet minimum. */
START_TEST(pkb_min_tailroom)
{
	struct pkb *p = pkb_alloc(PKB_HEADROOM, 1);
	ck_assert_ptr_nonnull(pkb_put(p, 60));
	pkb_free(p);
}
END_TEST

static Suite *stack_suite(void)
{
	Suite *s = suite_create("stack");
	TCase *tc = tcase_create("stack");
	tcase_add_test(tc, config_defaults_fill_zeros_only);
	tcase_add_test(tc, clock_starts_at_start_time);
	tcase_add_loop_test(tc, netif_rejects_bad_config, 0, COUNT(breakers));
	tcase_add_test(tc, netif_limits_and_defaults);
	tcase_add_test(tc, stat_names);
	tcase_add_test(tc, trace_hook_sees_events);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("pkb");
	tcase_add_test(tp, pkb_push_put_pull);
	tcase_add_test(tp, pkb_min_tailroom);
	suite_add_tcase(s, tp);
	return s;
}

TEST_MAIN(stack_suite)
