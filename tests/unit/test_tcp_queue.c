/*
 * test_tcp_queue.c - a stack that is one of several on a steered link
 * (tp_stack_config's queue_count / queue_index; tapir/tap.h's multi-queue
 * TAP): tp_flow_queue() is symmetric, in range and spreads flows evenly,
 * even over Linux's even-only connect() ports; TCP connect() and UDP's
 * connect() or first sendto() take only local ports whose flow the link
 * hands back to this stack; a bad index is refused.
 */
#include <errno.h>
#include <string.h>

#include "tcp_harness.h"

/* The steering program sees a flow from either end: the same queue. Every
 * local port against one server port, and only even ones (Linux gives
 * connect() even ports): each queue within 5 % of its share. */
START_TEST(flow_queue_symmetric_and_spread)
{
	for (unsigned n = 2; n <= 4; n++) {
		unsigned all[4] = {0}, even[4] = {0};
		for (uint32_t p = 0; p < 65536; p++) {
			unsigned q = tp_flow_queue((uint16_t)p, 80, n);
			if (q >= n || q != tp_flow_queue(80, (uint16_t)p, n))
				ck_abort_msg("port %u, %u queues: %u, reversed %u", p, n, q,
					     tp_flow_queue(80, (uint16_t)p, n));
			all[q]++;
			even[q] += p % 2 == 0;
		}
		for (unsigned q = 0; q < n; q++) {
			ck_assert_msg(all[q] > 65536 / n * 95 / 100 && all[q] < 65536 / n * 105 / 100,
				      "%u queues: queue %u has %u of 65536", n, q, all[q]);
			ck_assert_msg(even[q] > 32768 / n * 95 / 100 && even[q] < 32768 / n * 105 / 100,
				      "%u queues: queue %u has %u of the even ports", n, q, even[q]);
		}
	}
	ck_assert_uint_eq(tp_flow_queue(1234, 80, 1), 0);
	ck_assert_uint_eq(tp_flow_queue(1234, 80, 0), 0);
}
END_TEST

/* 200 connects from queue 2 of 4: every SYN's source port hashes back to
 * queue 2, and no port is used twice. */
START_TEST(connect_picks_ports_of_its_queue)
{
	struct tp_stack_config cfg = {.seed = 42, .start_time = TP_SEC(1000), .queue_count = 4,
				      .queue_index = 2};
	struct tconn t;
	tc_init(&t, &cfg);
	static uint8_t used[65536];
	memset(used, 0, sizeof(used));
	for (int i = 0; i < 200; i++) {
		int fd = tp_sock_open(t.h.stack, TP_SOCK_STREAM);
		ck_assert_int_ge(fd, 0);
		h_clear(&t.h);
		ck_assert_int_eq(tp_sock_connect(t.h.stack, fd, PEER_IP, PEER_PORT), -EINPROGRESS);
		struct tview v;
		only_tcp(&t.h, &v);
		ck_assert_uint_eq(v.flags, F_SYN);
		ck_assert_uint_eq(tp_flow_queue(v.sport, PEER_PORT, 4), 2);
		ck_assert_msg(!used[v.sport], "port %u used twice", v.sport);
		used[v.sport] = 1;
	}
	tc_fini(&t);
}
END_TEST

/* UDP: a port picked at connect() or at the first sendto() hashes back
 * with the peer's port too. */
START_TEST(udp_picks_ports_of_its_queue)
{
	struct tp_stack_config cfg = {.seed = 7, .start_time = TP_SEC(1000), .queue_count = 4,
				      .queue_index = 3};
	struct tconn t;
	tc_init(&t, &cfg);
	for (int i = 0; i < 100; i++) {
		int fd = tp_sock_open(t.h.stack, TP_SOCK_DGRAM);
		ck_assert_int_ge(fd, 0);
		h_clear(&t.h);
		if (i % 2) {
			ck_assert_int_eq(tp_sock_connect(t.h.stack, fd, PEER_IP, 53), 0);
			ck_assert_int_eq(tp_sock_send(t.h.stack, fd, "q", 1), 1);
		} else {
			ck_assert_int_eq(tp_sock_sendto(t.h.stack, fd, "q", 1, PEER_IP, 53), 1);
		}
		ck_assert_uint_eq(t.h.n_out, 1);
		const uint8_t *udp = t.h.out[0].b + 14 + 20;
		uint16_t sport = (uint16_t)(udp[0] << 8 | udp[1]);
		ck_assert_uint_eq(tp_flow_queue(sport, 53, 4), 3);
		tp_sock_close(t.h.stack, fd);
	}
	tc_fini(&t);
}
END_TEST

START_TEST(queue_index_out_of_range_refused)
{
	struct tp_stack_config cfg = {.seed = 1, .queue_count = 2, .queue_index = 2};
	errno = 0;
	ck_assert_ptr_null(tp_stack_new(&cfg));
	ck_assert_int_eq(errno, EINVAL);
	cfg.queue_index = 1;
	struct tp_stack *s = tp_stack_new(&cfg);
	ck_assert_ptr_nonnull(s);
	tp_stack_free(s);
}
END_TEST

static Suite *queue_suite(void)
{
	Suite *s = suite_create("tcp_queue");
	TCase *tc = tcase_create("queues");
	tcase_add_test(tc, flow_queue_symmetric_and_spread);
	tcase_add_test(tc, connect_picks_ports_of_its_queue);
	tcase_add_test(tc, udp_picks_ports_of_its_queue);
	tcase_add_test(tc, queue_index_out_of_range_refused);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(queue_suite)
