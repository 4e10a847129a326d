/* ARP packets: replies, learning rules (RFC 826, RFC 1122 §2.3.2.1),
 * probes and conflicts (RFC 5227), malformed input. */
#include <string.h>

#include "arp.h"
#include "harness.h"
#include "stack.h"

static struct harness h;
static void setup(void) { h_init(&h); }
static void teardown(void) { h_fini(&h); }

static void send_arp(const uint8_t dst[6], uint16_t op, const uint8_t *sha, tp_ip4 spa,
		     tp_ip4 tpa)
{
	struct frame f;
	struct arp_spec a = {.op = op, .sha = sha, .spa = spa, .tpa = tpa};
	frame_arp(&f, dst, &a);
	h_input(&h, &f);
}

static const struct arp_entry *cached(tp_ip4 ip)
{
	const struct arp_entry *e = arp_lookup(&h.nif->arp, ip);
	return e && e->state == ARP_REACHABLE ? e : NULL;
}

/* Every field of the reply, against RFC 826's packet layout. */
START_TEST(reply_to_request_for_us)
{
	send_arp(BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	ck_assert_uint_eq(h.n_out, 1);
	const uint8_t *fr = h.out[0].b;
	ck_assert_mem_eq(fr, PEER_MAC, 6);              /* unicast back to the asker */
	ck_assert_mem_eq(fr + 6, US_MAC, 6);
	ck_assert_uint_eq(rd16(fr + 12), 0x0806);
	const uint8_t *a = out_arp(&h, 0);
	ck_assert_uint_eq(rd16(a), 1);                  /* htype Ethernet */
	ck_assert_uint_eq(rd16(a + 2), 0x0800);         /* ptype IPv4 */
	ck_assert_uint_eq(a[4], 6);
	ck_assert_uint_eq(a[5], 4);
	ck_assert_uint_eq(rd16(a + 6), 2);              /* reply */
	ck_assert_mem_eq(a + 8, US_MAC, 6);             /* sha: us */
	ck_assert_uint_eq(rd32(a + 14), US_IP);         /* spa: the address asked for */
	ck_assert_mem_eq(a + 18, PEER_MAC, 6);          /* tha: the asker */
	ck_assert_uint_eq(rd32(a + 24), PEER_IP);       /* tpa: the asker */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REPLY_OUT), 1);
}
END_TEST

START_TEST(request_for_other_address_ignored)
{
	send_arp(BCAST_MAC, 1, PEER_MAC, PEER_IP, OTHER_IP);
	send_arp(BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP + 100);
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_DROP_NOT_US), 2);
	ck_assert_ptr_null(cached(PEER_IP));            /* and nothing learned */
}
END_TEST

/* A request addressed to us teaches us the asker; the cached entry is then
 * used without asking. */
START_TEST(learns_from_request_for_us)
{
	send_arp(BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	const struct arp_entry *e = cached(PEER_IP);
	ck_assert_ptr_nonnull(e);
	ck_assert_mem_eq(e->mac, PEER_MAC, 6);
	h_clear(&h);
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 0), 0);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_uint_eq(rd16(h.out[0].b + 12), 0x0800);
	ck_assert_mem_eq(h.out[0].b, PEER_MAC, 6);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REQUEST_OUT), 0);
}
END_TEST

/* Merge (RFC 826): an entry we already hold is updated from any ARP packet,
 * even one for another target; an unknown sender is not added. */
START_TEST(merge_updates_existing_only)
{
	send_arp(BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	h_clear(&h);
	send_arp(BCAST_MAC, 1, OTHER_MAC, PEER_IP, OTHER_IP + 1);   /* PEER_IP moved */
	ck_assert_mem_eq(cached(PEER_IP)->mac, OTHER_MAC, 6);
	ck_assert_uint_eq(h.n_out, 0);
	/* Not counted as a drop: it taught us something. */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_DROP_NOT_US), 0);
	send_arp(BCAST_MAC, 1, OTHER_MAC, OTHER_IP, OTHER_IP + 1);
	ck_assert_ptr_null(cached(OTHER_IP));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_DROP_NOT_US), 1);
}
END_TEST

/* An RFC 5227 probe (sender 0.0.0.0) for our address is answered, so the
 * prober sees the address is taken, but 0.0.0.0 is never learned. */
START_TEST(probe_answered_not_learned)
{
	send_arp(BCAST_MAC, 1, PEER_MAC, 0, US_IP);
	ck_assert_uint_eq(h.n_out, 1);
	const uint8_t *a = out_arp(&h, 0);
	ck_assert_uint_eq(rd16(a + 6), 2);
	ck_assert_uint_eq(rd32(a + 14), US_IP);
	ck_assert_mem_eq(a + 18, PEER_MAC, 6);
	ck_assert_uint_eq(rd32(a + 24), 0);
	ck_assert_mem_eq(h.out[0].b, PEER_MAC, 6);
	ck_assert_ptr_null(arp_lookup(&h.nif->arp, 0));
}
END_TEST

/* Another MAC claiming our address is a conflict: counted, not answered,
 * not learned. Our own announcement echoed back is not a conflict. */
START_TEST(address_conflict_counted)
{
	send_arp(BCAST_MAC, 1, OTHER_MAC, US_IP, US_IP);
	send_arp(BCAST_MAC, 2, OTHER_MAC, US_IP, PEER_IP);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_ADDR_CONFLICT), 2);
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_ptr_null(arp_lookup(&h.nif->arp, US_IP));
	send_arp(BCAST_MAC, 1, US_MAC, US_IP, US_IP);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_ADDR_CONFLICT), 2);
}
END_TEST

/* A sender outside our subnet is answered but not cached (we would never
 * send to it directly). */
START_TEST(off_link_sender_not_learned)
{
	send_arp(BCAST_MAC, 1, PEER_MAC, REMOTE_IP, US_IP);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_ptr_null(arp_lookup(&h.nif->arp, REMOTE_IP));
}
END_TEST

/* On attach: a gratuitous ARP (RFC 5227 §3 announcement): a broadcast
 * request with sender and target both our address, target MAC zero. */
START_TEST(announces_on_attach)
{
	struct harness g;
	h_setup(&g, NULL, NULL);
	ck_assert_uint_eq(g.n_out, 1);
	ck_assert_uint_eq(g.out[0].len, 60);
	ck_assert_mem_eq(g.out[0].b, BCAST_MAC, 6);
	const uint8_t *a = out_arp(&g, 0);
	ck_assert_uint_eq(rd16(a + 6), 1);
	ck_assert_mem_eq(a + 8, US_MAC, 6);
	ck_assert_uint_eq(rd32(a + 14), US_IP);
	ck_assert_mem_eq(a + 18, ZERO_MAC, 6);
	ck_assert_uint_eq(rd32(a + 24), US_IP);
	ck_assert_uint_eq(tp_stat(g.stack, TP_STAT_ARP_GRATUITOUS_OUT), 1);
	h_fini(&g);
}
END_TEST

/* Malformed packets: each is dropped and counted, never answered or learned. */
static const uint8_t MCAST_MAC[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const struct {
	const char *what;
	struct arp_spec a;
	size_t cut;                     /* bytes removed from the end */
} malformed[] = {
	{"htype 6 (IEEE 802)", {.htype = 6, .op = 1}, 0},
	{"ptype IPv6", {.ptype = 0x86dd, .op = 1}, 0},
	{"hlen 8", {.hlen = 8, .op = 1}, 0},
	{"plen 16", {.plen = 16, .op = 1}, 0},
	{"op 0", {.op = 0}, 0},
	{"op 3 (RARP)", {.op = 3}, 0},
	{"27 bytes", {.op = 1}, 1},
	{"8 bytes", {.op = 1}, 20},
	{"multicast sender", {.op = 1, .sha = MCAST_MAC}, 0},
	{"broadcast sender", {.op = 1, .sha = BCAST_MAC}, 0},
};

START_TEST(malformed_dropped)
{
	struct arp_spec a = malformed[_i].a;
	if (!a.sha)
		a.sha = PEER_MAC;
	a.spa = PEER_IP;
	a.tpa = US_IP;
	struct frame f;
	frame_arp(&f, BCAST_MAC, &a);
	f.len -= malformed[_i].cut;
	h_input(&h, &f);
	ck_assert_msg(tp_stat(h.stack, TP_STAT_ARP_DROP_MALFORMED) == 1, "%s not dropped",
		      malformed[_i].what);
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_ptr_null(arp_lookup(&h.nif->arp, PEER_IP));
}
END_TEST

/* Ethernet padding after the 28 bytes is ignored. */
START_TEST(padded_request_answered)
{
	struct frame f;
	struct arp_spec a = {.op = 1, .sha = PEER_MAC, .spa = PEER_IP, .tpa = US_IP};
	frame_arp(&f, BCAST_MAC, &a);
	uint8_t pad[18];
	memset(pad, 0xa5, sizeof(pad));
	frame_put(&f, pad, sizeof(pad));
	h_input(&h, &f);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_DROP_MALFORMED), 0);
}
END_TEST

/* What a sibling queue's stack received (tp_input_overheard): learned from
 * by the same rules, never answered, counted only as overheard. */
static void overhear_arp(const uint8_t dst[6], uint16_t op, const uint8_t *sha, tp_ip4 spa,
			 tp_ip4 tpa)
{
	struct frame f;
	struct arp_spec a = {.op = op, .sha = sha, .spa = spa, .tpa = tpa};
	frame_arp(&f, dst, &a);
	tp_input_overheard(h.stack, h.nif, f.b, f.len);
}

START_TEST(overheard_request_teaches_without_answer)
{
	overhear_arp(BCAST_MAC, 1, PEER_MAC, PEER_IP, US_IP);
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_ptr_nonnull(cached(PEER_IP));
	ck_assert_mem_eq(cached(PEER_IP)->mac, PEER_MAC, 6);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_OVERHEARD), 1);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_IN), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_IN), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REPLY_OUT), 0);
}
END_TEST

/* The case it exists for: our request's reply reached another queue. The
 * packet waiting for it goes out to the MAC the sibling heard. */
START_TEST(overheard_reply_resolves_pending)
{
	ck_assert_int_eq(tp_ping_send(h.stack, PEER_IP, 1, 1, NULL, 0), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_REQUEST_OUT), 1);
	h_clear(&h);
	overhear_arp(US_MAC, 2, PEER_MAC, PEER_IP, US_IP);
	ck_assert_uint_eq(h.n_out, 1);
	ck_assert_uint_eq(rd16(h.out[0].b + 12), 0x0800);
	ck_assert_mem_eq(h.out[0].b, PEER_MAC, 6);
}
END_TEST

/* Only ARP for us or broadcast teaches; nothing overheard is answered,
 * judged (the receiving stack counted its drops) or taken as a conflict. */
START_TEST(overheard_rest_ignored)
{
	overhear_arp(OTHER_MAC, 1, PEER_MAC, PEER_IP, US_IP);       /* unicast elsewhere */
	overhear_arp(BCAST_MAC, 1, OTHER_MAC, OTHER_IP, OTHER_IP + 1);      /* not for us */
	overhear_arp(BCAST_MAC, 1, OTHER_MAC, US_IP, OTHER_IP);     /* claims our address */
	overhear_arp(BCAST_MAC, 3, PEER_MAC, PEER_IP, US_IP);       /* no such op */
	struct frame f;
	frame_eth(&f, US_MAC, PEER_MAC, 0x0800);                    /* not ARP */
	tp_input_overheard(h.stack, h.nif, f.b, f.len);
	tp_input_overheard(h.stack, h.nif, f.b, 5);                 /* runt */
	ck_assert_uint_eq(h.n_out, 0);
	ck_assert_ptr_null(cached(PEER_IP));
	ck_assert_ptr_null(cached(OTHER_IP));
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_OVERHEARD), 1);     /* the not-for-us one */
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_ADDR_CONFLICT), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_DROP_NOT_US), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ARP_DROP_MALFORMED), 0);
	ck_assert_uint_eq(tp_stat(h.stack, TP_STAT_ETH_DROP_ETHERTYPE), 0);
}
END_TEST

static Suite *arp_suite(void)
{
	Suite *s = suite_create("arp");
	TCase *tc = tcase_create("packets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reply_to_request_for_us);
	tcase_add_test(tc, request_for_other_address_ignored);
	tcase_add_test(tc, learns_from_request_for_us);
	tcase_add_test(tc, merge_updates_existing_only);
	tcase_add_test(tc, probe_answered_not_learned);
	tcase_add_test(tc, address_conflict_counted);
	tcase_add_test(tc, off_link_sender_not_learned);
	tcase_add_test(tc, announces_on_attach);
	tcase_add_loop_test(tc, malformed_dropped, 0, COUNT(malformed));
	tcase_add_test(tc, padded_request_answered);
	tcase_add_test(tc, overheard_request_teaches_without_answer);
	tcase_add_test(tc, overheard_reply_resolves_pending);
	tcase_add_test(tc, overheard_rest_ignored);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(arp_suite)
