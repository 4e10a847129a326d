/* The ARP cache over time: aging, refresh, the size bound, the pending
 * queue, retries and failure reports - all on the virtual clock. */
#include <errno.h>
#include <string.h>

#include "arp.h"
#include "harness.h"
#include "stack.h"

static struct harness h;
static void setup(void) { h_init(&h); }
static void teardown(void) { h_fini(&h); }

static const struct arp_entry *cached(tp_ip4 ip)
{
	const struct arp_entry *e = arp_lookup(&h.nif->arp, ip);
	return e && e->state == ARP_REACHABLE ? e : NULL;
}

static void peer_says(uint16_t op, const uint8_t *mac, tp_ip4 ip)
{
	struct frame f;
	struct arp_spec a = {.op = op, .sha = mac, .spa = ip, .tpa = US_IP, .tha = US_MAC};
	frame_arp(&f, US_MAC, &a);
	h_input(&h, &f);
}

/* Asserts frame i is an ARP request from us for `ip`, to `dst`. */
static void assert_request(size_t i, tp_ip4 ip, const uint8_t dst[6])
{
	const uint8_t *a = out_arp(&h, i);
	ck_assert_mem_eq(h.out[i].b, dst, 6);
	ck_assert_uint_eq(rd16(a + 6), 1);
	ck_assert_mem_eq(a + 8, US_MAC, 6);
	ck_assert_uint_eq(rd32(a + 14), US_IP);
	ck_assert_uint_eq(rd32(a + 24), ip);
}

/* Asserts frame i is our echo request `seq` sent to `mac`. */
static void assert_echo_to(size_t i, const uint8_t mac[6], uint16_t seq)
{
	size_t len;
	const uint8_t *m = out_icmp(&h, i, &len);
	ck_assert_mem_eq(h.out[i].b, mac, 6);
	ck_assert_uint_eq(m[0], 8);
	ck_assert_uint_eq(rd16(m + 6), seq);
}

START_TEST(entry_expires_after_60s)
{
	h_learn(&h, PEER_IP, PEER_MAC);
	h_advance(&h, TP_SEC(60) - 1);
	ck_assert_ptr_nonnull(cached(PEER_IP));
	h_advance(&h, 1);
	ck_assert_ptr_null(arp_lookup(&h.nif->arp, PEER_IP));
	/* Sending now needs a fresh broadcast resolution. */
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 0), 0);
	ck_assert_uint_eq(h.n_out, 1);
	assert_request(0, PEER_IP, BCAST_MAC);
}
END_TEST

/* Used in its last 5 s, an entry is refreshed by one unicast request while
 * traffic keeps flowing; the answer extends it a full 60 s. */
START_TEST(refreshed_when_used_near_expiry)
{
	h_learn(&h, PEER_IP, PEER_MAC);
	h_advance(&h, TP_SEC(54));
	tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 0);
	ck_assert_uint_eq(h.n_out, 1);                  /* 6 s left: no refresh yet */
	h_advance(&h, TP_SEC(1));                       /* exactly 5 s left */
	tp_ping_send(h.stack, PEER_IP, 1, 2, NULL, 0);
	ck_assert_uint_eq(h.n_out, 3);
	assert_request(1, PEER_IP, PEER_MAC);           /* unicast, to the cached MAC */
	assert_echo_to(2, PEER_MAC, 2);                 /* and the packet goes anyway */
	tp_ping_send(h.stack, PEER_IP, 1, 3, NULL, 0);
	ck_assert_uint_eq(h.n_out, 4);                  /* one refresh request only */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REQUEST_OUT), 1);
	h_advance(&h, TP_SEC(2));
	peer_says(2, PEER_MAC, PEER_IP);
	h_advance(&h, TP_SEC(59));                      /* 57 + 59 s after learning */
	ck_assert_ptr_nonnull(cached(PEER_IP));
	h_advance(&h, TP_SEC(1));
	ck_assert_ptr_null(cached(PEER_IP));
}
END_TEST

/* A refresh nobody answers lets the entry expire on time. */
START_TEST(unanswered_refresh_expires)
{
	h_learn(&h, PEER_IP, PEER_MAC);
	h_advance(&h, TP_SEC(58));
	tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REQUEST_OUT), 1);
	h_advance(&h, TP_SEC(2));
	ck_assert_ptr_null(cached(PEER_IP));
}
END_TEST

/* More entries than hash buckets: every one is found through its chain,
 * and all of them age out (unlinking from the middle of chains). */
START_TEST(many_entries_found_and_aged)
{
	uint8_t mac[6] = {0x02, 0, 0, 0, 2, 0};
	for (int i = 0; i < 120; i++) {
		mac[5] = (uint8_t)i;
		h_learn(&h, 0x0a000000u + 10 + (tp_ip4)i, mac);
	}
	for (int i = 0; i < 120; i++) {
		const struct arp_entry *e = cached(0x0a000000u + 10 + (tp_ip4)i);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->mac[5], i);
	}
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_CACHE_EVICT), 0);
	h_advance(&h, TP_SEC(60));
	for (int i = 0; i < 120; i++)
		ck_assert_ptr_null(arp_lookup(&h.nif->arp, 0x0a000000u + 10 + (tp_ip4)i));
	for (int b = 0; b < ARP_HASH_BUCKETS; b++)
		ck_assert_int_eq(h.nif->arp.buckets[b], -1);
}
END_TEST

/* Full table: the least recently confirmed entry makes room, counted. */
START_TEST(full_table_evicts_oldest)
{
	h_fini(&h);
	struct tp_stack_config cfg = {.seed = 1, .start_time = TP_SEC(1), .arp_cache_size = 4};
	h_setup(&h, &cfg, NULL);
	h_clear(&h);
	uint8_t mac[6] = {0x02, 0, 0, 0, 1, 0};
	for (int i = 0; i < 4; i++) {
		mac[5] = (uint8_t)i;
		h_learn(&h, PEER_IP + 10 + (tp_ip4)i, mac);
		h_advance(&h, TP_SEC(1));
	}
	/* Re-confirm the first: now the second is the oldest. */
	mac[5] = 0;
	h_learn(&h, PEER_IP + 10, mac);
	mac[5] = 9;
	h_learn(&h, PEER_IP + 20, mac);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_CACHE_EVICT), 1);
	ck_assert_ptr_null(arp_lookup(&h.nif->arp, PEER_IP + 11));
	ck_assert_ptr_nonnull(cached(PEER_IP + 10));
	ck_assert_ptr_nonnull(cached(PEER_IP + 12));
	ck_assert_ptr_nonnull(cached(PEER_IP + 13));
	ck_assert_mem_eq(cached(PEER_IP + 20)->mac, mac, 6);
}
END_TEST

/* While unresolved, ARP_QUEUE_MAX packets wait; the next is dropped and
 * counted. The answer releases them in order. */
START_TEST(pending_queue_bounded)
{
	for (uint16_t seq = 1; seq <= ARP_QUEUE_MAX; seq++)
		ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 7, seq, NULL, 0), 0);
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 7, ARP_QUEUE_MAX + 1, NULL, 0), -ENOBUFS);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_QUEUE_DROP), 1);
	ck_assert_uint_eq(h.n_out, 1);                  /* one request, nothing else */
	assert_request(0, PEER_IP, BCAST_MAC);
	h_clear(&h);
	peer_says(2, PEER_MAC, PEER_IP);
	ck_assert_uint_eq(h.n_out, ARP_QUEUE_MAX);
	for (uint16_t i = 0; i < ARP_QUEUE_MAX; i++)
		assert_echo_to(i, PEER_MAC, (uint16_t)(i + 1));
	/* Nothing left behind to time out. */
	h_advance(&h, TP_SEC(10));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_RESOLVE_FAIL), 0);
}
END_TEST

/* The bound leaves room for every fragment of the largest datagram at MTU
 * 1500 (45), so a first send to a new neighbour is not lost whole. */
START_TEST(pending_queue_holds_a_maximal_datagram)
{
	static uint8_t big[65507];
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, big, sizeof(big)), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_QUEUE_DROP), 0);
	h_clear(&h);
	peer_says(2, PEER_MAC, PEER_IP);
	ck_assert_uint_eq(h.n_out, 45);
}
END_TEST

/* Three broadcast requests one second apart, then the sender hears
 * -EHOSTUNREACH about its datagram through the echo handler - from our own
 * address, as Linux's ping shows it: no one else said anything. */
START_TEST(retries_then_reports_failure)
{
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 0x1234, 5, (const uint8_t *)"abcd", 4), 0);
	ck_assert_uint_eq(h.n_out, 1);
	h_advance(&h, TP_SEC(1) - 1);
	ck_assert_uint_eq(h.n_out, 1);
	h_advance(&h, 1);
	ck_assert_uint_eq(h.n_out, 2);
	h_advance(&h, TP_SEC(1));
	ck_assert_uint_eq(h.n_out, 3);
	for (size_t i = 0; i < 3; i++)
		assert_request(i, PEER_IP, BCAST_MAC);
	ck_assert_uint_eq(h.n_echo, 0);
	h_advance(&h, TP_SEC(1));
	ck_assert_uint_eq(h.n_out, 3);                  /* no fourth request */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_RESOLVE_FAIL), 1);
	ck_assert_uint_eq(h.n_echo, 1);
	ck_assert_int_eq(h.echo[0].r.error, -EHOSTUNREACH);
	ck_assert_uint_eq(h.echo[0].r.ident, 0x1234);
	ck_assert_uint_eq(h.echo[0].r.seq, 5);
	ck_assert_uint_eq(h.echo[0].r.from, US_IP);
	ck_assert_ptr_null(arp_lookup(&h.nif->arp, PEER_IP));
	ck_assert_uint_eq(tp_next_deadline(h.stack), TP_TIME_NEVER);
}
END_TEST

/* Off-link traffic resolves the gateway, not the destination. */
START_TEST(off_link_resolves_gateway)
{
	tp_ping_send(h.stack, REMOTE_IP, 1, 1, NULL, 0);
	assert_request(0, GW_IP, BCAST_MAC);
	h_clear(&h);
	peer_says(2, GW_MAC, GW_IP);
	ck_assert_uint_eq(h.n_out, 1);
	assert_echo_to(0, GW_MAC, 1);
	size_t hl, total;
	ck_assert_uint_eq(rd32(out_ip(&h, 0, &hl, &total) + 16), REMOTE_IP);
}
END_TEST

/* A fragmented datagram waiting for ARP: its sender hears one error, not
 * one per fragment (later fragments carry no transport header, even when
 * their data happens to look like one). */
START_TEST(failure_reported_once_per_datagram)
{
	static uint8_t data[4000];
	memset(data, 8, sizeof(data));          /* every fragment starts with 0x08 */
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, data, sizeof(data)), 0);
	h_advance(&h, TP_SEC(3));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_RESOLVE_FAIL), 1);
	ck_assert_uint_eq(h.n_echo, 1);
	ck_assert_uint_eq(h.echo[0].r.seq, 1);
}
END_TEST

/* The failure report may trigger a new attempt at once (a ping retry): that
 * starts a fresh resolution instead of vanishing with the old entry. */
struct retrier {
	struct tp_stack *stack;
	int reports;
};

static void retry_on_error(void *ctx, const struct tp_echo_reply *r)
{
	struct retrier *rt = ctx;
	rt->reports++;
	if (r->error && r->seq < 2)
		ck_assert_int_eq(tp_ping_send(rt->stack, PEER_IP, r->ident, r->seq + 1, NULL, 0), 0);
}

START_TEST(retry_from_failure_callback)
{
	struct retrier rt = {.stack = h.stack};
	tp_set_echo_handler(h.stack, retry_on_error, &rt);
	tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 0);
	h_advance(&h, TP_SEC(3));
	ck_assert_int_eq(rt.reports, 1);
	/* The retry's first request went out from inside the callback. */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REQUEST_OUT), 4);
	h_advance(&h, TP_SEC(2));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REQUEST_OUT), 6);
	h_advance(&h, TP_SEC(1));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_RESOLVE_FAIL), 2);
	ck_assert_int_eq(rt.reports, 2);
}
END_TEST

/* An answer to an unresolved entry from an ARP for someone else (merge)
 * also releases the queue. */
START_TEST(merge_resolves_pending)
{
	tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 0);
	h_clear(&h);
	struct frame f;
	struct arp_spec a = {.op = 1, .sha = PEER_MAC, .spa = PEER_IP, .tpa = OTHER_IP};
	frame_arp(&f, BCAST_MAC, &a);
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 1);
	assert_echo_to(0, PEER_MAC, 1);
}
END_TEST

/* Freeing a stack with packets still waiting must not leak (ASan checks). */
START_TEST(free_with_pending_queue)
{
	for (uint16_t seq = 1; seq <= 3; seq++)
		tp_ping_send(h.stack, OTHER_IP + (tp_ip4)seq, 1, seq, NULL, 0);
	ck_assert_uint_eq(h.n_out, 3);
}
END_TEST

static Suite *arp_cache_suite(void)
{
	Suite *s = suite_create("arp_cache");
	TCase *tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, entry_expires_after_60s);
	tcase_add_test(tc, refreshed_when_used_near_expiry);
	tcase_add_test(tc, unanswered_refresh_expires);
	tcase_add_test(tc, many_entries_found_and_aged);
	tcase_add_test(tc, full_table_evicts_oldest);
	tcase_add_test(tc, pending_queue_bounded);
	tcase_add_test(tc, pending_queue_holds_a_maximal_datagram);
	tcase_add_test(tc, retries_then_reports_failure);
	tcase_add_test(tc, off_link_resolves_gateway);
	tcase_add_test(tc, failure_reported_once_per_datagram);
	tcase_add_test(tc, retry_from_failure_callback);
	tcase_add_test(tc, merge_resolves_pending);
	tcase_add_test(tc, free_with_pending_queue);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(arp_cache_suite)
