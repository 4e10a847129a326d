/*
 * The ladder's state inference (tools/tcp_infer.c), table-driven: each
 * scenario is a capture, segment by segment, with both ends' states
 * expected after each, as RFC 9293's diagram (§3.3.2 figure 5) and its
 * event processing (§3.10.7) say.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "tcp_infer.h"
#include "check_main.h"

#define C 0             /* the client end */
#define S 1             /* the server end */
#define F TCPF_FIN
#define Y TCPF_SYN      /* 'Y' for sYn: S is the server */
#define R TCPF_RST
#define A TCPF_ACK
#define P TCPF_PSH

struct step {
	int from;
	unsigned flags;
	uint32_t seq, ack;
	size_t len;
	enum ti_state client, server;   /* expected after the segment */
};

/* Runs the steps, checking both states after each; returns the inference. */
static void run(const char *name, const struct step *steps, size_t n, struct tcp_infer *inf,
		struct tcp_infer_result *last)
{
	tcp_infer_init(inf);
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		struct tcp_infer_segment seg = {s->flags, s->seq, s->ack, s->len};
		tcp_infer_segment(inf, s->from, &seg, last);
		ck_assert_msg(inf->end[C].state == s->client && inf->end[S].state == s->server,
			      "%s, step %zu: client %s server %s, expected %s / %s", name, i + 1,
			      ti_state_name(inf->end[C].state), ti_state_name(inf->end[S].state),
			      ti_state_name(s->client), ti_state_name(s->server));
	}
}

#define RUN(steps, inf, res) run(__func__, steps, sizeof(steps) / sizeof(steps[0]), inf, res)

/* Client ISN 100, server ISN 500 throughout. */
#define HANDSHAKE                                                              \
	{C, Y, 100, 0, 0, TI_SYN_SENT, TI_UNKNOWN},                            \
	{S, Y | A, 500, 101, 0, TI_ESTABLISHED, TI_SYN_RECEIVED},              \
	{C, A, 101, 501, 0, TI_ESTABLISHED, TI_ESTABLISHED}

START_TEST(three_way_handshake_and_first_states)
{
	static const struct step steps[] = {HANDSHAKE};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
	ck_assert_int_eq(inf.end[C].first, TI_CLOSED);
	ck_assert_int_eq(inf.end[S].first, TI_LISTEN);       /* shown by its SYN-ACK */
	ck_assert_int_eq(res.n, 1);
	ck_assert_int_eq(res.t[0].end, S);
	ck_assert_int_eq(res.t[0].at_arrival, 1);
	ck_assert_int_eq(res.t[0].from, TI_SYN_RECEIVED);
}
END_TEST

START_TEST(active_close_four_way)
{
	static const struct step steps[] = {
		HANDSHAKE,
		{C, P | A, 101, 501, 10, TI_ESTABLISHED, TI_ESTABLISHED},
		{C, F | A, 111, 501, 0, TI_FIN_WAIT_1, TI_CLOSE_WAIT},
		{S, A, 501, 112, 0, TI_FIN_WAIT_2, TI_CLOSE_WAIT},
		{S, F | A, 501, 112, 0, TI_TIME_WAIT, TI_LAST_ACK},
		{C, A, 112, 502, 0, TI_TIME_WAIT, TI_CLOSED},
		/* A retransmitted FIN in TIME_WAIT changes nothing (it restarts 2MSL). */
		{S, F | A, 501, 112, 0, TI_TIME_WAIT, TI_CLOSED},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
	ck_assert(tcp_infer_is_over(&inf));
}
END_TEST

START_TEST(fin_with_ack_of_fin_goes_straight_to_time_wait)
{
	static const struct step steps[] = {
		HANDSHAKE,
		{C, F | A, 101, 501, 0, TI_FIN_WAIT_1, TI_CLOSE_WAIT},
		{S, F | A, 501, 102, 0, TI_TIME_WAIT, TI_LAST_ACK},
		{C, A, 102, 502, 0, TI_TIME_WAIT, TI_CLOSED},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
}
END_TEST

START_TEST(simultaneous_close_goes_through_closing)
{
	static const struct step steps[] = {
		HANDSHAKE,
		{C, F | A, 101, 501, 0, TI_FIN_WAIT_1, TI_CLOSE_WAIT},
		/* Its FIN does not ACK the client's: it left before that arrived. */
		{S, F | A, 501, 101, 0, TI_CLOSING, TI_CLOSING},
		{C, A, 102, 502, 0, TI_CLOSING, TI_TIME_WAIT},
		{S, A, 502, 102, 0, TI_TIME_WAIT, TI_TIME_WAIT},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	tcp_infer_init(&inf);
	for (size_t i = 0; i < 4; i++) {
		struct tcp_infer_segment seg = {steps[i].flags, steps[i].seq, steps[i].ack, 0};
		tcp_infer_segment(&inf, steps[i].from, &seg, &res);
	}
	/* The server's FIN takes back its CLOSE_WAIT and says what happened. */
	struct tcp_infer_segment fin = {F | A, 501, 101, 0};
	tcp_infer_segment(&inf, S, &fin, &res);
	ck_assert_uint_eq(res.retract_close_wait, 1u << S);
	ck_assert_int_ge(res.n, 3);
	ck_assert_int_eq(res.t[0].to, TI_FIN_WAIT_1);
	ck_assert_int_eq(res.t[1].to, TI_CLOSING);
	ck_assert_int_eq(res.t[2].end, C);
	ck_assert_int_eq(res.t[2].to, TI_CLOSING);
	RUN(steps, &inf, &res);
}
END_TEST

START_TEST(simultaneous_open)
{
	static const struct step steps[] = {
		{C, Y, 100, 0, 0, TI_SYN_SENT, TI_UNKNOWN},
		/* A bare SYN in answer: the two SYNs crossed (figure 8). */
		{S, Y, 500, 0, 0, TI_SYN_RECEIVED, TI_SYN_RECEIVED},
		{C, Y | A, 100, 501, 0, TI_SYN_RECEIVED, TI_ESTABLISHED},
		{S, Y | A, 500, 101, 0, TI_ESTABLISHED, TI_ESTABLISHED},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
	ck_assert_int_eq(inf.end[S].first, TI_CLOSED);
}
END_TEST

START_TEST(refused_connection)
{
	static const struct step steps[] = {
		{C, Y, 100, 0, 0, TI_SYN_SENT, TI_UNKNOWN},
		{S, R | A, 0, 101, 0, TI_CLOSED, TI_CLOSED},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
	ck_assert_int_eq(inf.end[S].first, TI_CLOSED);
	ck_assert_str_eq(res.t[0].why, "RST received: connection refused");
}
END_TEST

START_TEST(rst_that_acks_nothing_sent_is_ignored_in_syn_sent)
{
	static const struct step steps[] = {
		{C, Y, 100, 0, 0, TI_SYN_SENT, TI_UNKNOWN},
		{S, R | A, 0, 999, 0, TI_SYN_SENT, TI_CLOSED},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
}
END_TEST

START_TEST(rst_in_window_but_not_exact_is_ignored)
{
	static const struct step steps[] = {
		HANDSHAKE,
		{C, R, 150, 0, 0, TI_ESTABLISHED, TI_ESTABLISHED},
		/* A SYN on the open connection: a challenge ACK, no state change. */
		{C, Y, 900, 0, 0, TI_ESTABLISHED, TI_ESTABLISHED},
		{C, R, 101, 0, 0, TI_CLOSED, TI_CLOSED},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	tcp_infer_init(&inf);
	for (size_t i = 0; i < 4; i++) {
		struct tcp_infer_segment seg = {steps[i].flags, steps[i].seq, steps[i].ack, 0};
		tcp_infer_segment(&inf, steps[i].from, &seg, &res);
	}
	ck_assert_uint_eq(res.verdicts & TCP_INFER_RST_IGNORED, TCP_INFER_RST_IGNORED);
	struct tcp_infer_segment syn = {Y, 900, 0, 0};
	tcp_infer_segment(&inf, C, &syn, &res);
	ck_assert_uint_eq(res.verdicts & TCP_INFER_SYN_IN_WINDOW, TCP_INFER_SYN_IN_WINDOW);
	RUN(steps, &inf, &res);
}
END_TEST

START_TEST(rst_in_syn_received_returns_a_listener_to_listen)
{
	static const struct step steps[] = {
		{C, Y, 100, 0, 0, TI_SYN_SENT, TI_UNKNOWN},
		{S, Y | A, 500, 101, 0, TI_ESTABLISHED, TI_SYN_RECEIVED},
		{C, R, 101, 0, 0, TI_CLOSED, TI_LISTEN},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
	ck_assert(tcp_infer_is_over(&inf));
}
END_TEST

START_TEST(passive_close_from_syn_received_fin)
{
	/* The third ACK carries a FIN: ESTABLISHED, then CLOSE_WAIT at once. */
	static const struct step steps[] = {
		{C, Y, 100, 0, 0, TI_SYN_SENT, TI_UNKNOWN},
		{S, Y | A, 500, 101, 0, TI_ESTABLISHED, TI_SYN_RECEIVED},
		{C, F | A, 101, 501, 0, TI_FIN_WAIT_1, TI_CLOSE_WAIT},
		{S, F | A, 501, 102, 0, TI_TIME_WAIT, TI_LAST_ACK},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
}
END_TEST

START_TEST(mid_stream_capture_assumes_established)
{
	static const struct step steps[] = {
		{C, P | A, 7000, 9000, 100, TI_ESTABLISHED, TI_UNKNOWN},
		{S, F | A, 9000, 7100, 0, TI_CLOSE_WAIT, TI_FIN_WAIT_1},
		{C, F | A, 7100, 9001, 0, TI_LAST_ACK, TI_TIME_WAIT},
		{S, A, 9001, 7101, 0, TI_CLOSED, TI_TIME_WAIT},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	tcp_infer_init(&inf);
	struct tcp_infer_segment seg = {P | A, 7000, 9000, 100};
	tcp_infer_segment(&inf, C, &seg, &res);
	ck_assert_uint_eq(res.verdicts & TCP_INFER_ASSUMED, TCP_INFER_ASSUMED);
	RUN(steps, &inf, &res);
	ck_assert(inf.end[C].assumed && inf.end[S].assumed);
}
END_TEST

START_TEST(fin_heard_while_unknown_is_applied_later)
{
	/* Mid-stream: the server's state shows only when it speaks. */
	static const struct step steps[] = {
		{C, F | A, 7000, 9000, 0, TI_FIN_WAIT_1, TI_UNKNOWN},
		{S, A, 9000, 7001, 0, TI_FIN_WAIT_2, TI_CLOSE_WAIT},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
}
END_TEST

START_TEST(sequence_numbers_wrap)
{
	static const struct step steps[] = {
		{C, Y, 0xfffffff0u, 0, 0, TI_SYN_SENT, TI_UNKNOWN},
		{S, Y | A, 0xffffffffu, 0xfffffff1u, 0, TI_ESTABLISHED, TI_SYN_RECEIVED},
		{C, A, 0xfffffff1u, 0, 0, TI_ESTABLISHED, TI_ESTABLISHED},
		{C, F | A, 0xfffffff1u, 0, 0x20, TI_FIN_WAIT_1, TI_CLOSE_WAIT},
		{S, A, 0, 0x12, 0, TI_FIN_WAIT_2, TI_CLOSE_WAIT},
	};
	struct tcp_infer inf;
	struct tcp_infer_result res;
	RUN(steps, &inf, &res);
}
END_TEST

START_TEST(every_state_has_a_name)
{
	for (int s = TI_UNKNOWN; s <= TI_TIME_WAIT; s++)
		ck_assert(strlen(ti_state_name((enum ti_state)s)) > 0);
	ck_assert_str_eq(ti_state_name(TI_UNKNOWN), "?");
	ck_assert_str_eq(ti_state_name(TI_FIN_WAIT_2), "FIN_WAIT_2");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tcp_infer");
	TCase *tc = tcase_create("states");
	tcase_add_test(tc, three_way_handshake_and_first_states);
	tcase_add_test(tc, active_close_four_way);
	tcase_add_test(tc, fin_with_ack_of_fin_goes_straight_to_time_wait);
	tcase_add_test(tc, simultaneous_close_goes_through_closing);
	tcase_add_test(tc, simultaneous_open);
	tcase_add_test(tc, refused_connection);
	tcase_add_test(tc, rst_that_acks_nothing_sent_is_ignored_in_syn_sent);
	tcase_add_test(tc, rst_in_window_but_not_exact_is_ignored);
	tcase_add_test(tc, rst_in_syn_received_returns_a_listener_to_listen);
	tcase_add_test(tc, passive_close_from_syn_received_fin);
	tcase_add_test(tc, mid_stream_capture_assumes_established);
	tcase_add_test(tc, fin_heard_while_unknown_is_applied_later);
	tcase_add_test(tc, sequence_numbers_wrap);
	tcase_add_test(tc, every_state_has_a_name);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
