/*
 * test_tcp_tlp.c - the tail loss probe (RFC 8985 §7): a flight whose last
 * segments are lost is probed after 2 SRTT, not the RTO; the SACK of the
 * probe starts a recovery that resends the hole; a loss the probe repaired
 * alone still cuts cwnd (§7.4), a probe the peer reports as a duplicate does
 * not; no probe without SACK, with nothing outstanding, or in recovery.
 */
#include <string.h>

#include "tcp_harness.h"
#include "tcp_seq.h"

#define MSS 100
#define RTT TP_MSEC(10)

static const uint8_t sack_peer[] = {2, 4, 0, MSS, 1, 1, 4, 2};   /* MSS 100, SACK */
static const uint8_t plain_peer[] = {2, 4, 0, MSS};
static struct tconn t;
static uint8_t data[4000];

/* An active open whose handshake took RTT, then 100 bytes sent and
 * acknowledged RTT later: SRTT is RTT and the peer has our data. */
static void open_with_rtt(const uint8_t *opt, size_t len)
{
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	tc_init(&t, NULL);
	t.peer_opt = opt;
	t.peer_opt_len = len;
	tc_connect(&t);
	h_advance(&t.h, RTT);
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = PEER_ISS, .ack = t.snd,
				      .flags = F_SYN | F_ACK, .wnd = 65535, .opt = opt, .opt_len = len});
	t.pnxt = PEER_ISS + 1;
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, MSS), MSS);
	h_advance(&t.h, RTT);
	t.snd += MSS;
	tc_peer_ack(&t);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	ck_assert_uint_eq(info.srtt, RTT);
	h_clear(&t.h);
}

/* The peer's ACK of everything below ack, SACKing [s, e) when e != s. */
static void peer_sack(uint32_t ack, uint32_t s, uint32_t e)
{
	uint8_t o[12] = {1, 1, 5, 10};
	wr32(o + 4, s);
	wr32(o + 8, e);
	tcp_feed(&t.h, &(struct tseg){.dport = t.lport, .seq = t.pnxt, .ack = ack, .flags = F_ACK,
				      .wnd = 65535, .opt = o, .opt_len = s != e ? 12 : 0});
}

/* n bytes sent from una in full segments; asserts each, returns una. */
static uint32_t send_flight(uint32_t n)
{
	uint32_t una = t.snd;
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_send(t.h.stack, t.fd, data, n), (int)n);
	ck_assert_uint_eq(count_tcp(&t.h), n / MSS);
	h_clear(&t.h);
	t.snd += n;
	return una;
}

static uint64_t stat(enum tp_stat_id id)
{
	return tp_stat(t.h.stack, id);
}

/* segs segments sent, the first `acked` of them ACKed RTT later, and the
 * probe 2 SRTT after that; returns where the flight began. */
static uint32_t probed_flight(uint32_t segs, uint32_t acked)
{
	uint32_t una = send_flight(segs * MSS);
	h_advance(&t.h, RTT);
	if (acked)
		peer_sack(una + acked * MSS, 0, 0);
	h_advance(&t.h, 2 * RTT);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_PROBES), 1);
	return una;
}

/* The last two segments of ten are lost: the peer ACKs eight. The probe
 * resends the tenth after 2 SRTT; its SACK starts a recovery that resends
 * the ninth; nothing waits for the RTO. */
START_TEST(tail_loss_repaired_by_recovery)
{
	struct tview v;
	open_with_rtt(sack_peer, sizeof(sack_peer));
	uint32_t una = send_flight(10 * MSS);
	h_advance(&t.h, RTT);
	peer_sack(una + 8 * MSS, 0, 0);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, 2 * RTT - 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);     /* not before the PTO */
	h_advance(&t.h, 1);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.seq, una + 9 * MSS);   /* the highest segment again */
	ck_assert_uint_eq(v.len, MSS);
	ck_assert_mem_eq(v.data, data + 9 * MSS, MSS);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_PROBES), 1);
	/* The peer SACKs the probe: the ninth is lost, and goes again. */
	h_clear(&t.h);
	h_advance(&t.h, RTT);
	peer_sack(una + 8 * MSS, una + 9 * MSS, una + 10 * MSS);
	ck_assert_uint_eq(stat(TP_STAT_TCP_FAST_RETRANS), 1);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_RECOVERIES), 1);
	nth_tcp(&t.h, 0, &v);
	ck_assert_uint_eq(v.seq, una + 8 * MSS);
	ck_assert_uint_eq(v.len, MSS);
	ck_assert_mem_eq(v.data, data + 8 * MSS, MSS);
	for (size_t i = 1; i < count_tcp(&t.h); i++) {
		nth_tcp(&t.h, i, &v);
		ck_assert_uint_eq(v.len, 0);
	}
	peer_sack(una + 10 * MSS, 0, 0);
	h_advance(&t.h, TP_SEC(2));
	ck_assert_uint_eq(stat(TP_STAT_TCP_RTO), 0);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_PROBES), 1);
	tc_fini(&t);
}
END_TEST

/* A flight of segs, the first `acked` ACKed, probed; then the ACK of it
 * all, followed (dup 1) by the probe's duplicate ACK, or (dup 2) its D-SACK
 * (RFC 2883 §4: a block below the ACK); then the first ACK of a next
 * flight, beyond TLPHighRxt. cwnd before and after those. */
static void probe_answered(uint32_t segs, uint32_t acked, int dup, struct tp_tcp_info *before,
			   struct tp_tcp_info *after)
{
	open_with_rtt(sack_peer, sizeof(sack_peer));
	uint32_t una = probed_flight(segs, acked);
	peer_sack(una + segs * MSS, 0, 0);
	tc_info(&t, before);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_RECOVERIES), 0);
	if (dup == 1)
		peer_sack(una + segs * MSS, 0, 0);
	else if (dup == 2)
		peer_sack(una + segs * MSS, una + (segs - 1) * MSS, una + segs * MSS);
	uint32_t next = send_flight(2 * MSS);
	peer_sack(next + MSS, 0, 0);
	tc_info(&t, after);
	ck_assert_uint_eq(stat(TP_STAT_TCP_RTO), 0);
}

/* The ninth segment's ACK and the tenth segment are lost, and the probe
 * repairs it: the ACK of the whole flight says nothing yet (the original
 * may have arrived, and the probe's duplicate still be on its way), but the
 * next ACK beyond it without a D-SACK makes it a congestion event (§7.4). */
START_TEST(loss_repaired_by_probe_cuts_cwnd)
{
	struct tp_tcp_info before, after;
	probe_answered(10, 8, 0, &before, &after);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_RECOVERIES), 1);
	ck_assert_uint_lt(after.cwnd, before.cwnd);
	ck_assert_uint_eq(after.cwnd, after.ssthresh);
	tc_fini(&t);
}
END_TEST

/* The ACKs were only slow: the original arrived, and the peer answers the
 * probe with a duplicate ACK, or a D-SACK. No loss, no cut. */
START_TEST(duplicate_probe_is_no_loss)
{
	struct tp_tcp_info before, after;
	for (int dup = 1; dup <= 2; dup++) {
		probe_answered(4, 0, dup, &before, &after);
		ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_RECOVERIES), 0);
		ck_assert_uint_eq(stat(TP_STAT_TCP_DSACK_RCVD), dup == 2);
		ck_assert_uint_gt(after.cwnd, before.cwnd);
		tc_fini(&t);
	}
}
END_TEST

/* No probe: without SACK (the RTO it is), with nothing outstanding, and
 * during a recovery. */
START_TEST(no_probe_without_sack)
{
	struct tview v;
	open_with_rtt(plain_peer, sizeof(plain_peer));
	uint32_t una = send_flight(4 * MSS);
	h_advance(&t.h, TP_MSEC(199));
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, TP_MSEC(1));
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.seq, una);
	ck_assert_uint_eq(stat(TP_STAT_TCP_RTO), 1);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_PROBES), 0);
	tc_fini(&t);
}
END_TEST

START_TEST(no_probe_when_idle)
{
	open_with_rtt(sack_peer, sizeof(sack_peer));
	send_flight(4 * MSS);
	peer_sack(t.snd, 0, 0);
	h_advance(&t.h, TP_SEC(5));
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_PROBES), 0);
	tc_fini(&t);
}
END_TEST

START_TEST(no_probe_in_recovery)
{
	open_with_rtt(sack_peer, sizeof(sack_peer));
	uint32_t una = send_flight(10 * MSS);
	/* The first segment lost, 2-4 SACKed: recovery; 5-10 lost too. */
	for (uint32_t k = 2; k <= 4; k++)
		peer_sack(una, una + MSS, una + k * MSS);
	ck_assert_uint_eq(stat(TP_STAT_TCP_SACK_RECOVERY), 1);
	h_clear(&t.h);
	h_advance(&t.h, TP_MSEC(150));              /* many PTOs, less than the RTO */
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	ck_assert_uint_eq(stat(TP_STAT_TCP_TLP_PROBES), 0);
	tc_fini(&t);
}
END_TEST

static Suite *tlp_suite(void)
{
	Suite *s = suite_create("tcp_tlp");
	TCase *tc = tcase_create("probe");
	tcase_add_test(tc, tail_loss_repaired_by_recovery);
	tcase_add_test(tc, loss_repaired_by_probe_cuts_cwnd);
	tcase_add_test(tc, duplicate_probe_is_no_loss);
	tcase_add_test(tc, no_probe_without_sack);
	tcase_add_test(tc, no_probe_when_idle);
	tcase_add_test(tc, no_probe_in_recovery);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tlp_suite)
