/*
 * test_tcp_states.c - every RFC 9293 state transition, table-driven: one row
 * per (state, event) with the state it must lead to and the segment that
 * must come out (flags, sequence and acknowledgment numbers), observed on
 * real bytes. Then the acceptability test of §3.10.7.4 case by case, and the
 * timers of TIME_WAIT and an orphan's FIN_WAIT_2.
 *
 * Sequence numbers in the rows are relative: to the peer's ISN or next
 * sequence number, to ours. The peer starts 16 below 2^32, so every row runs
 * across the wrap.
 */
#include <errno.h>
#include <string.h>

#include "tcp_harness.h"

enum start {
	S_CLOSED_PORT,          /* nothing on OUR_PORT */
	S_LISTEN,
	S_SYN_SENT,
	S_SYN_RCVD_PASSIVE,     /* a listener's child */
	S_SYN_RCVD_ACTIVE,      /* SYN_SENT that received a SYN: simultaneous open */
	S_ESTABLISHED,          /* passive open, accepted */
	S_FIN_WAIT_1,           /* we shut down our side (socket open) */
	S_FIN_WAIT_2,
	S_CLOSE_WAIT,
	S_CLOSING,
	S_LAST_ACK,             /* we closed after the peer's FIN */
	S_TIME_WAIT,            /* on a port that still has its listener */
	S_ORPHAN_FIN_WAIT_2,    /* we closed the socket; its FIN is acknowledged */
};

enum base { ANY, ABS, PISS, PNXT, ISS, SND };
struct ref {
	enum base base;
	int32_t off;
};

enum ev_kind { SEGMENT, CLOSE, SHUT_WR, WAIT };

#define NO_RECV_CHECK 1000

struct row {
	const char *name;
	enum start from;
	enum ev_kind ev;
	uint8_t flags;              /* the segment */
	struct ref seq, ack;
	uint16_t len;
	tp_time wait;
	const char *to;             /* the 4-tuple's state after; NULL: no connection */
	uint8_t out;                /* flags of the one segment we send; 0: nothing */
	struct ref out_seq, out_ack;
	int so_error;               /* SO_ERROR afterwards (positive errno) */
	int recv;                   /* what recv() returns afterwards, or NO_RECV_CHECK */
};

#define MSL TP_SEC(30)

static const struct row rows[] = {
	/* LISTEN (§3.10.7.2) */
	{"LISTEN + SYN -> SYN_RECEIVED, <SYN,ACK>", S_LISTEN, SEGMENT, F_SYN, {PISS, 0}, {ABS, 0}, 0,
	 0, "SYN_RECEIVED", F_SYN | F_ACK, {ANY, 0}, {PISS, 1}, 0, NO_RECV_CHECK},
	{"LISTEN + ACK -> <RST> SEQ=SEG.ACK", S_LISTEN, SEGMENT, F_ACK, {PISS, 0}, {ABS, 12345}, 0, 0,
	 NULL, F_RST, {ABS, 12345}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"LISTEN + RST -> ignored", S_LISTEN, SEGMENT, F_RST, {PISS, 0}, {ABS, 0}, 0, 0, NULL, 0,
	 {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"LISTEN + neither SYN nor ACK -> dropped", S_LISTEN, SEGMENT, F_PSH, {PISS, 0}, {ABS, 0}, 10,
	 0, NULL, 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},

	/* SYN-SENT (§3.10.7.3) */
	{"SYN_SENT + <SYN,ACK> -> ESTABLISHED, ACK", S_SYN_SENT, SEGMENT, F_SYN | F_ACK, {PISS, 0},
	 {SND, 0}, 0, 0, "ESTABLISHED", F_ACK, {SND, 0}, {PISS, 1}, 0, -EAGAIN},
	{"SYN_SENT + <SYN> -> SYN_RECEIVED, <SYN,ACK> (simultaneous open)", S_SYN_SENT, SEGMENT,
	 F_SYN, {PISS, 0}, {ABS, 0}, 0, 0, "SYN_RECEIVED", F_SYN | F_ACK, {ISS, 0}, {PISS, 1}, 0,
	 NO_RECV_CHECK},
	{"SYN_SENT + <RST,ACK> acking our SYN -> CLOSED, refused", S_SYN_SENT, SEGMENT,
	 F_RST | F_ACK, {ABS, 0}, {SND, 0}, 0, 0, NULL, 0, {ANY, 0}, {ANY, 0}, ECONNREFUSED,
	 -ECONNREFUSED},
	{"SYN_SENT + <RST> without ACK -> ignored", S_SYN_SENT, SEGMENT, F_RST, {ABS, 0}, {ABS, 0}, 0,
	 0, "SYN_SENT", 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_SENT + <RST,ACK> with a bad ACK -> ignored", S_SYN_SENT, SEGMENT, F_RST | F_ACK,
	 {ABS, 0}, {SND, 7}, 0, 0, "SYN_SENT", 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_SENT + ACK beyond SND.NXT -> <RST> SEQ=SEG.ACK", S_SYN_SENT, SEGMENT, F_ACK, {PISS, 0},
	 {SND, 1000}, 0, 0, "SYN_SENT", F_RST, {SND, 1000}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_SENT + <SYN,ACK> acking ISS -> <RST> SEQ=SEG.ACK", S_SYN_SENT, SEGMENT, F_SYN | F_ACK,
	 {PISS, 0}, {ISS, 0}, 0, 0, "SYN_SENT", F_RST, {ISS, 0}, {ANY, 0}, 0, NO_RECV_CHECK},

	/* SYN-RECEIVED */
	{"SYN_RECEIVED + ACK -> ESTABLISHED", S_SYN_RCVD_PASSIVE, SEGMENT, F_ACK, {PNXT, 0},
	 {SND, 0}, 0, 0, "ESTABLISHED", 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_RECEIVED + unacceptable ACK -> <RST> SEQ=SEG.ACK", S_SYN_RCVD_PASSIVE, SEGMENT, F_ACK,
	 {PNXT, 0}, {SND, 5}, 0, 0, "SYN_RECEIVED", F_RST, {SND, 5}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_RECEIVED + the SYN again -> <SYN,ACK> again", S_SYN_RCVD_PASSIVE, SEGMENT, F_SYN,
	 {PISS, 0}, {ABS, 0}, 0, 0, "SYN_RECEIVED", F_SYN | F_ACK, {ISS, 0}, {PISS, 1}, 0,
	 NO_RECV_CHECK},
	{"SYN_RECEIVED + <FIN,ACK> -> ESTABLISHED, then CLOSE_WAIT, ACK", S_SYN_RCVD_PASSIVE,
	 SEGMENT, F_FIN | F_ACK, {PNXT, 0}, {SND, 0}, 0, 0, "CLOSE_WAIT", F_ACK, {SND, 0},
	 {PNXT, 1}, 0, NO_RECV_CHECK},
	{"SYN_RECEIVED (active) + close -> FIN waits for the handshake", S_SYN_RCVD_ACTIVE, CLOSE, 0,
	 {ANY, 0}, {ANY, 0}, 0, 0, "SYN_RECEIVED", 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_SENT + close -> CLOSED, nothing sent", S_SYN_SENT, CLOSE, 0, {ANY, 0}, {ANY, 0}, 0, 0,
	 NULL, 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"LISTEN + close -> CLOSED", S_LISTEN, CLOSE, 0, {ANY, 0}, {ANY, 0}, 0, 0, NULL, 0, {ANY, 0},
	 {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_RECEIVED (passive) + RST -> back to LISTEN", S_SYN_RCVD_PASSIVE, SEGMENT, F_RST,
	 {PNXT, 0}, {ABS, 0}, 0, 0, NULL, 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"SYN_RECEIVED (active) + RST -> CLOSED, refused", S_SYN_RCVD_ACTIVE, SEGMENT, F_RST,
	 {PNXT, 0}, {ABS, 0}, 0, 0, NULL, 0, {ANY, 0}, {ANY, 0}, ECONNREFUSED, -ECONNREFUSED},
	{"SYN_RECEIVED (active) + crossing <SYN,ACK> -> ESTABLISHED", S_SYN_RCVD_ACTIVE, SEGMENT,
	 F_SYN | F_ACK, {PISS, 0}, {SND, 0}, 0, 0, "ESTABLISHED", 0, {ANY, 0}, {ANY, 0}, 0, -EAGAIN},
	{"SYN_RECEIVED (active) + ACK -> ESTABLISHED", S_SYN_RCVD_ACTIVE, SEGMENT, F_ACK, {PNXT, 0},
	 {SND, 0}, 0, 0, "ESTABLISHED", 0, {ANY, 0}, {ANY, 0}, 0, -EAGAIN},

	/* ESTABLISHED */
	{"ESTABLISHED + data -> delivered, ACK delayed", S_ESTABLISHED, SEGMENT, F_ACK | F_PSH,
	 {PNXT, 0}, {SND, 0}, 10, 0, "ESTABLISHED", 0, {ANY, 0}, {ANY, 0}, 0, 10},
	{"ESTABLISHED + FIN -> CLOSE_WAIT, ACK", S_ESTABLISHED, SEGMENT, F_FIN | F_ACK, {PNXT, 0},
	 {SND, 0}, 0, 0, "CLOSE_WAIT", F_ACK, {SND, 0}, {PNXT, 1}, 0, 0},
	{"ESTABLISHED + close -> FIN_WAIT_1, <FIN,ACK>", S_ESTABLISHED, CLOSE, 0, {ANY, 0}, {ANY, 0},
	 0, 0, "FIN_WAIT_1", F_FIN | F_ACK, {SND, 0}, {PNXT, 0}, 0, NO_RECV_CHECK},
	{"ESTABLISHED + shutdown(SHUT_WR) -> FIN_WAIT_1, <FIN,ACK>", S_ESTABLISHED, SHUT_WR, 0,
	 {ANY, 0}, {ANY, 0}, 0, 0, "FIN_WAIT_1", F_FIN | F_ACK, {SND, 0}, {PNXT, 0}, 0, -EAGAIN},
	{"ESTABLISHED + RST at RCV.NXT -> CLOSED, reset", S_ESTABLISHED, SEGMENT, F_RST, {PNXT, 0},
	 {ABS, 0}, 0, 0, NULL, 0, {ANY, 0}, {ANY, 0}, ECONNRESET, -ECONNRESET},
	{"ESTABLISHED + RST in window, not at RCV.NXT -> challenge ACK (RFC 5961 §3.2)",
	 S_ESTABLISHED, SEGMENT, F_RST, {PNXT, 100}, {ABS, 0}, 0, 0, "ESTABLISHED", F_ACK, {SND, 0},
	 {PNXT, 0}, 0, -EAGAIN},
	{"ESTABLISHED + RST outside the window -> ignored", S_ESTABLISHED, SEGMENT, F_RST,
	 {PNXT, 1000000}, {ABS, 0}, 0, 0, "ESTABLISHED", 0, {ANY, 0}, {ANY, 0}, 0, -EAGAIN},
	{"ESTABLISHED + SYN in window -> challenge ACK (RFC 5961 §4.2)", S_ESTABLISHED, SEGMENT,
	 F_SYN, {PNXT, 5}, {ABS, 0}, 0, 0, "ESTABLISHED", F_ACK, {SND, 0}, {PNXT, 0}, 0, -EAGAIN},
	{"ESTABLISHED + SYN at RCV.NXT -> challenge ACK", S_ESTABLISHED, SEGMENT, F_SYN, {PNXT, 0},
	 {ABS, 0}, 0, 0, "ESTABLISHED", F_ACK, {SND, 0}, {PNXT, 0}, 0, -EAGAIN},
	{"ESTABLISHED + data beyond the window -> ACK, dropped", S_ESTABLISHED, SEGMENT, F_ACK,
	 {PNXT, 1000000}, {SND, 0}, 10, 0, "ESTABLISHED", F_ACK, {SND, 0}, {PNXT, 0}, 0, -EAGAIN},
	{"ESTABLISHED + old duplicate data -> ACK, dropped", S_ESTABLISHED, SEGMENT, F_ACK,
	 {PNXT, -10}, {SND, 0}, 10, 0, "ESTABLISHED", F_ACK, {SND, 0}, {PNXT, 0}, 0, -EAGAIN},
	{"ESTABLISHED + ACK of data never sent -> ACK, dropped", S_ESTABLISHED, SEGMENT, F_ACK,
	 {PNXT, 0}, {SND, 1000}, 10, 0, "ESTABLISHED", F_ACK, {SND, 0}, {PNXT, 0}, 0, -EAGAIN},
	{"ESTABLISHED + segment without ACK -> dropped", S_ESTABLISHED, SEGMENT, F_PSH, {PNXT, 0},
	 {ABS, 0}, 10, 0, "ESTABLISHED", 0, {ANY, 0}, {ANY, 0}, 0, -EAGAIN},

	/* Closing */
	{"FIN_WAIT_1 + ACK of our FIN -> FIN_WAIT_2", S_FIN_WAIT_1, SEGMENT, F_ACK, {PNXT, 0},
	 {SND, 0}, 0, 0, "FIN_WAIT_2", 0, {ANY, 0}, {ANY, 0}, 0, -EAGAIN},
	{"FIN_WAIT_1 + FIN -> CLOSING, ACK", S_FIN_WAIT_1, SEGMENT, F_FIN | F_ACK, {PNXT, 0},
	 {SND, -1}, 0, 0, "CLOSING", F_ACK, {SND, 0}, {PNXT, 1}, 0, 0},
	{"FIN_WAIT_1 + FIN acking our FIN -> TIME_WAIT, ACK", S_FIN_WAIT_1, SEGMENT, F_FIN | F_ACK,
	 {PNXT, 0}, {SND, 0}, 0, 0, "TIME_WAIT", F_ACK, {SND, 0}, {PNXT, 1}, 0, 0},
	{"FIN_WAIT_2 + data -> delivered (half-close)", S_FIN_WAIT_2, SEGMENT, F_ACK | F_PSH,
	 {PNXT, 0}, {SND, 0}, 10, 0, "FIN_WAIT_2", 0, {ANY, 0}, {ANY, 0}, 0, 10},
	{"FIN_WAIT_2 + FIN -> TIME_WAIT, ACK", S_FIN_WAIT_2, SEGMENT, F_FIN | F_ACK, {PNXT, 0},
	 {SND, 0}, 0, 0, "TIME_WAIT", F_ACK, {SND, 0}, {PNXT, 1}, 0, 0},
	{"CLOSING + ACK of our FIN -> TIME_WAIT", S_CLOSING, SEGMENT, F_ACK, {PNXT, 0}, {SND, 0}, 0,
	 0, "TIME_WAIT", 0, {ANY, 0}, {ANY, 0}, 0, 0},
	{"CLOSE_WAIT + close -> LAST_ACK, <FIN,ACK>", S_CLOSE_WAIT, CLOSE, 0, {ANY, 0}, {ANY, 0}, 0,
	 0, "LAST_ACK", F_FIN | F_ACK, {SND, 0}, {PNXT, 0}, 0, NO_RECV_CHECK},
	{"LAST_ACK + ACK of our FIN -> CLOSED", S_LAST_ACK, SEGMENT, F_ACK, {PNXT, 0}, {SND, 0}, 0, 0,
	 NULL, 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"LAST_ACK + ACK short of our FIN -> stays", S_LAST_ACK, SEGMENT, F_ACK, {PNXT, 0}, {SND, -1},
	 0, 0, "LAST_ACK", 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"TIME_WAIT + the peer's FIN again -> ACK again", S_TIME_WAIT, SEGMENT, F_FIN | F_ACK,
	 {PNXT, -1}, {SND, 0}, 0, 0, "TIME_WAIT", F_ACK, {SND, 0}, {PNXT, 0}, 0, 0},
	{"TIME_WAIT + 2 MSL -> CLOSED", S_TIME_WAIT, WAIT, 0, {ANY, 0}, {ANY, 0}, 0, 2 * MSL, NULL, 0,
	 {ANY, 0}, {ANY, 0}, 0, 0},
	{"TIME_WAIT + SYN above RCV.NXT -> new connection (RFC 6191)", S_TIME_WAIT, SEGMENT, F_SYN,
	 {PNXT, 100000}, {ABS, 0}, 0, 0, "SYN_RECEIVED", F_SYN | F_ACK, {ANY, 0}, {PNXT, 100001}, 0,
	 0},
	{"TIME_WAIT + SYN below RCV.NXT -> stays, ACK", S_TIME_WAIT, SEGMENT, F_SYN, {PNXT, -1000},
	 {ABS, 0}, 0, 0, "TIME_WAIT", F_ACK, {SND, 0}, {PNXT, 0}, 0, 0},
	{"orphan FIN_WAIT_2 + data -> <RST>, CLOSED", S_ORPHAN_FIN_WAIT_2, SEGMENT, F_ACK | F_PSH,
	 {PNXT, 0}, {SND, 0}, 10, 0, NULL, F_RST | F_ACK, {SND, 0}, {ANY, 0}, 0, NO_RECV_CHECK},

	/* No connection (§3.10.7.1) */
	{"closed port + SYN -> <RST,ACK> SEQ=0 ACK=SEG.SEQ+SEG.LEN", S_CLOSED_PORT, SEGMENT, F_SYN,
	 {PISS, 0}, {ABS, 0}, 0, 0, NULL, F_RST | F_ACK, {ABS, 0}, {PISS, 1}, 0, NO_RECV_CHECK},
	{"closed port + data -> <RST,ACK> ACK=SEG.SEQ+SEG.LEN", S_CLOSED_PORT, SEGMENT, F_PSH,
	 {PISS, 0}, {ABS, 0}, 10, 0, NULL, F_RST | F_ACK, {ABS, 0}, {PISS, 10}, 0, NO_RECV_CHECK},
	{"closed port + <FIN> -> <RST,ACK> ACK=SEG.SEQ+1", S_CLOSED_PORT, SEGMENT, F_FIN, {PISS, 0},
	 {ABS, 0}, 0, 0, NULL, F_RST | F_ACK, {ABS, 0}, {PISS, 1}, 0, NO_RECV_CHECK},
	{"closed port + ACK -> <RST> SEQ=SEG.ACK", S_CLOSED_PORT, SEGMENT, F_ACK, {PISS, 0},
	 {ABS, 777}, 0, 0, NULL, F_RST, {ABS, 777}, {ANY, 0}, 0, NO_RECV_CHECK},
	{"closed port + RST -> nothing", S_CLOSED_PORT, SEGMENT, F_RST | F_ACK, {PISS, 0}, {ABS, 9},
	 0, 0, NULL, 0, {ANY, 0}, {ANY, 0}, 0, NO_RECV_CHECK},
};
#define NROWS (int)(sizeof(rows) / sizeof(rows[0]))

static uint32_t resolve(const struct tconn *t, struct ref r)
{
	switch (r.base) {
	case PISS: return PEER_ISS + (uint32_t)r.off;
	case PNXT: return t->pnxt + (uint32_t)r.off;
	case ISS: return t->iss + (uint32_t)r.off;
	case SND: return t->snd + (uint32_t)r.off;
	default: return (uint32_t)r.off;
	}
}

static void reach(struct tconn *t, enum start from)
{
	switch (from) {
	case S_CLOSED_PORT:
		t->lport = OUR_PORT;
		break;
	case S_LISTEN:
		tc_listen(t);
		break;
	case S_SYN_SENT:
		tc_connect(t);
		break;
	case S_SYN_RCVD_PASSIVE:
		tc_listen(t);
		tc_peer_syn(t);
		break;
	case S_SYN_RCVD_ACTIVE: {
		tc_connect(t);
		tcp_feed(&t->h, &(struct tseg){.dport = t->lport, .seq = PEER_ISS, .flags = F_SYN,
					       .wnd = 65535});
		t->pnxt = PEER_ISS + 1;
		struct tview v;
		only_tcp(&t->h, &v);
		ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
		ck_assert_uint_eq(v.seq, t->iss);
		ck_assert_uint_eq(v.ack, t->pnxt);
		break;
	}
	default:
		tc_passive_open(t);
		break;
	}
	switch (from) {
	case S_FIN_WAIT_1:
		tc_our_fin(t, 1);
		break;
	case S_FIN_WAIT_2:
		tc_our_fin(t, 1);
		tc_peer_ack(t);
		break;
	case S_CLOSE_WAIT:
		tc_peer_fin(t);
		break;
	case S_CLOSING:
		tc_our_fin(t, 1);
		tc_send(t, F_FIN | F_ACK, t->pnxt, t->snd - 1, NULL, 0);   /* crosses ours */
		t->pnxt++;
		break;
	case S_LAST_ACK:
		tc_peer_fin(t);
		tc_our_fin(t, 0);
		break;
	case S_TIME_WAIT:
		tc_our_fin(t, 1);
		tc_peer_ack(t);
		tc_peer_fin(t);
		break;
	case S_ORPHAN_FIN_WAIT_2:
		tc_our_fin(t, 0);
		tc_peer_ack(t);
		break;
	default:
		break;
	}
	h_clear(&t->h);
}

START_TEST(state_transition)
{
	const struct row *r = &rows[_i];
	struct tconn t;
	tc_init(&t, NULL);
	reach(&t, r->from);
	struct tp_stack *s = t.h.stack;
	static const uint8_t data[16] = "0123456789abcdef";

	switch (r->ev) {
	case SEGMENT:
		tc_send(&t, r->flags, resolve(&t, r->seq), resolve(&t, r->ack), data, r->len);
		break;
	case CLOSE:
		if (t.fd >= 0) {
			ck_assert_int_eq(tp_sock_close(s, t.fd), 0);
			t.fd = -1;
		} else {
			ck_assert_int_eq(tp_sock_close(s, t.lfd), 0);
			t.lfd = -1;
		}
		break;
	case SHUT_WR:
		ck_assert_int_eq(tp_sock_shutdown(s, t.fd, TP_SHUT_WR), 0);
		break;
	case WAIT:
		h_advance(&t.h, r->wait);
		break;
	}

	const char *now = tc_state(&t);
	ck_assert_msg((now == NULL && r->to == NULL) || (now && r->to && strcmp(now, r->to) == 0),
		      "%s: state %s, expected %s", r->name, now ? now : "(none)",
		      r->to ? r->to : "(none)");
	if (!r->out) {
		ck_assert_msg(count_tcp(&t.h) == 0, "%s: %zu segments sent, expected none", r->name,
			      count_tcp(&t.h));
	} else {
		ck_assert_msg(count_tcp(&t.h) == 1, "%s: %zu segments sent, expected one", r->name,
			      count_tcp(&t.h));
		struct tview v;
		nth_tcp(&t.h, 0, &v);
		ck_assert_msg(v.flags == r->out, "%s: sent flags %#x, expected %#x", r->name, v.flags,
			      r->out);
		ck_assert_uint_eq(v.sport, t.lport);
		ck_assert_uint_eq(v.dport, PEER_PORT);
		if (r->out_seq.base != ANY)
			ck_assert_msg(v.seq == resolve(&t, r->out_seq), "%s: sent SEQ %u, expected %u",
				      r->name, v.seq, resolve(&t, r->out_seq));
		if (r->out_ack.base != ANY)
			ck_assert_msg(v.ack == resolve(&t, r->out_ack), "%s: sent ACK %u, expected %u",
				      r->name, v.ack, resolve(&t, r->out_ack));
		if (r->out & F_RST)
			ck_assert_uint_eq(v.len, 0);
	}
	if (t.fd >= 0) {
		int err = -1;
		ck_assert_int_eq(tp_sock_getopt(s, t.fd, TP_SO_ERROR, &err), 0);
		ck_assert_msg(err == r->so_error, "%s: SO_ERROR %d, expected %d", r->name, err,
			      r->so_error);
		if (r->recv != NO_RECV_CHECK) {
			uint8_t buf[64];
			long n = tp_sock_recv(s, t.fd, buf, sizeof(buf), 0);
			ck_assert_msg(n == r->recv, "%s: recv %ld, expected %d", r->name, n, r->recv);
			if (n > 0)
				ck_assert_mem_eq(buf, data, (size_t)n);
		}
	}
	/* A listener outlives whatever happens to its children. */
	if (t.lfd >= 0) {
		int listening = 0;
		tp_sock_getopt(s, t.lfd, TP_SO_ACCEPTCONN, &listening);
		ck_assert_msg(listening, "%s: the listener is gone", r->name);
	}
	tc_fini(&t);
}
END_TEST

/* --- RFC 9293 §3.10.7.4's acceptability test, all four cases ---------------- */

#define SMALL_RCVBUF 4096

struct accept_row {
	const char *name;
	int zero_window;            /* fill the receive buffer first */
	int32_t seq;                /* relative to RCV.NXT */
	uint16_t len;
	int acceptable;
	int in_order;               /* bytes that become readable */
	int out_of_order;           /* queued ahead of a gap */
};

static const struct accept_row accept_rows[] = {
	{"len 0, window open, at RCV.NXT", 0, 0, 0, 1, 0, 0},
	{"len 0, window open, last in-window number", 0, SMALL_RCVBUF - 1, 0, 1, 0, 0},
	{"len 0, window open, just past the window", 0, SMALL_RCVBUF, 0, 0, 0, 0},
	{"len 0, window open, just before RCV.NXT", 0, -1, 0, 0, 0, 0},
	{"len 0, window 0, at RCV.NXT", 1, 0, 0, 1, 0, 0},
	{"len 0, window 0, past RCV.NXT", 1, 1, 0, 0, 0, 0},
	{"len 0, window 0, before RCV.NXT", 1, -1, 0, 0, 0, 0},
	{"len 1, window 0, at RCV.NXT (a zero-window probe)", 1, 0, 1, 0, 0, 0},
	{"len 10, window 0, past RCV.NXT", 1, 1, 10, 0, 0, 0},
	{"len 100, window open, at RCV.NXT", 0, 0, 100, 1, 100, 0},
	{"len 100, window open, straddling RCV.NXT", 0, -50, 100, 1, 50, 0},
	{"len 200, window open, straddling the right edge", 0, SMALL_RCVBUF - 100, 200, 1, 0, 1},
	{"len 100, window open, all before RCV.NXT", 0, -200, 100, 0, 0, 0},
	{"len 10, window open, all past the window", 0, SMALL_RCVBUF, 10, 0, 0, 0},
};

START_TEST(acceptability)
{
	const struct accept_row *r = &accept_rows[_i];
	struct tconn t;
	tc_init(&t, &(struct tp_stack_config){.seed = 7, .tcp_rcvbuf = SMALL_RCVBUF});
	tc_passive_open(&t);
	struct tp_stack *s = t.h.stack;
	static uint8_t fill[SMALL_RCVBUF], data[256];
	fill_pattern(fill, sizeof(fill), 1);
	fill_pattern(data, sizeof(data), 2);
	if (r->zero_window) {
		tc_peer_data(&t, fill, sizeof(fill));
		struct tp_tcp_info info;
		tc_info(&t, &info);
		ck_assert_uint_eq(info.rcv_wnd, 0);
		ck_assert_uint_eq(info.recv_q, SMALL_RCVBUF);
	}
	h_clear(&t.h);
	uint64_t dropped = tp_stat(s, TP_STAT_TCP_DROP_UNACCEPTABLE);
	uint64_t ooo = tp_stat(s, TP_STAT_TCP_OOO_IN);
	uint32_t seq = t.pnxt + (uint32_t)r->seq;
	/* The data the peer would have sent at those sequence numbers. */
	tc_send(&t, F_ACK, seq, t.snd, data, r->len);

	if (!r->acceptable) {
		/* "If an incoming segment is not acceptable, an acknowledgment
		 * should be sent in reply": <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
		struct tview v;
		ck_assert_msg(count_tcp(&t.h) == 1, "%s: %zu replies", r->name, count_tcp(&t.h));
		nth_tcp(&t.h, 0, &v);
		ck_assert_uint_eq(v.flags, F_ACK);
		ck_assert_uint_eq(v.seq, t.snd);
		ck_assert_uint_eq(v.ack, t.pnxt);
		if (r->zero_window)
			ck_assert_uint_eq(v.wnd, 0);
	} else {
		ck_assert_uint_eq(tp_stat(s, TP_STAT_TCP_DROP_UNACCEPTABLE), dropped);
		if (r->len == 0)
			ck_assert_msg(count_tcp(&t.h) == 0, "%s: an acceptable ACK was answered", r->name);
	}
	ck_assert_uint_eq(tp_stat(s, TP_STAT_TCP_OOO_IN) - ooo, (uint64_t)r->out_of_order);
	if (r->zero_window) {
		static uint8_t buf[SMALL_RCVBUF + 256];
		ck_assert_int_eq(tp_sock_recv(s, t.fd, buf, sizeof(buf), 0), SMALL_RCVBUF);
		ck_assert_mem_eq(buf, fill, SMALL_RCVBUF);
	}
	uint8_t buf[256];
	long n = tp_sock_recv(s, t.fd, buf, sizeof(buf), 0);
	if (r->in_order) {
		ck_assert_int_eq(n, r->in_order);
		ck_assert_mem_eq(buf, data + (r->len - r->in_order), (size_t)n);
	} else {
		ck_assert_int_eq(n, -EAGAIN);
	}
	tc_fini(&t);
}
END_TEST

/* --- timers that end states ---------------------------------------------------- */

/* RFC 9293 §3.10.7.4 (TIME-WAIT): a retransmitted FIN is acknowledged again
 * and restarts the 2 MSL timeout. */
START_TEST(time_wait_restarts_on_fin)
{
	struct tconn t;
	tc_init(&t, NULL);
	reach(&t, S_TIME_WAIT);
	h_advance(&t.h, TP_SEC(50));
	ck_assert_str_eq(tc_state(&t), "TIME_WAIT");
	tc_send(&t, F_FIN | F_ACK, t.pnxt - 1, t.snd, NULL, 0);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ack, t.pnxt);
	h_advance(&t.h, 2 * MSL - TP_MSEC(1));      /* 50 s + 60 s - 1 ms after entering */
	ck_assert_str_eq(tc_state(&t), "TIME_WAIT");
	h_advance(&t.h, TP_MSEC(1));
	ck_assert_ptr_null(tc_state(&t));
	tc_fini(&t);
}
END_TEST

/* 2 MSL follows the configured MSL to the microsecond. */
START_TEST(time_wait_lasts_two_msl)
{
	struct tconn t;
	tc_init(&t, &(struct tp_stack_config){.seed = 7, .tcp_msl = TP_SEC(5)});
	reach(&t, S_TIME_WAIT);
	h_advance(&t.h, TP_SEC(10) - 1);
	ck_assert_str_eq(tc_state(&t), "TIME_WAIT");
	h_advance(&t.h, 1);
	ck_assert_ptr_null(tc_state(&t));
	tc_fini(&t);
}
END_TEST

/* An orphan in FIN_WAIT_2 does not wait for ever for a FIN (tcp_fin_timeout);
 * a socket still open does. */
START_TEST(fin_wait_2_timeout_only_for_orphans)
{
	struct tconn t;
	tc_init(&t, &(struct tp_stack_config){.seed = 7, .tcp_fin_timeout = TP_SEC(20)});
	reach(&t, S_ORPHAN_FIN_WAIT_2);
	h_advance(&t.h, TP_SEC(20) - 1);
	ck_assert_str_eq(tc_state(&t), "FIN_WAIT_2");
	h_advance(&t.h, 1);
	ck_assert_ptr_null(tc_state(&t));
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	tc_fini(&t);

	tc_init(&t, &(struct tp_stack_config){.seed = 7, .tcp_fin_timeout = TP_SEC(20)});
	reach(&t, S_FIN_WAIT_2);
	h_advance(&t.h, TP_SEC(600));
	ck_assert_str_eq(tc_state(&t), "FIN_WAIT_2");
	tc_fini(&t);
}
END_TEST

/* LAST_ACK with the peer silent: the FIN goes again on the RTO, backing off. */
START_TEST(last_ack_retransmits_fin)
{
	struct tconn t;
	tc_init(&t, NULL);
	reach(&t, S_LAST_ACK);
	struct tp_tcp_info info;
	tc_info(&t, &info);
	h_advance(&t.h, info.rto - 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, 1);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_FIN | F_ACK);
	ck_assert_uint_eq(v.seq, t.snd - 1);
	h_clear(&t.h);
	h_advance(&t.h, 2 * info.rto - 1);
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	h_advance(&t.h, 1);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_FIN | F_ACK);
	tc_peer_ack(&t);
	ck_assert_ptr_null(tc_state(&t));
	tc_fini(&t);
}
END_TEST

/* RFC 9293 §3.10.4 (CLOSE in LISTEN) and Linux: closing a listener resets
 * the connections it has not handed to the application, established or
 * half-open; the accepted one lives on. */
START_TEST(listener_close_resets_unaccepted)
{
	struct tconn t;
	tc_init(&t, NULL);
	tc_passive_open(&t);                        /* accepted: port PEER_PORT */
	struct tp_stack *s = t.h.stack;
	uint32_t their_ack[3];
	for (uint16_t i = 0; i < 3; i++) {          /* two complete, one half-open */
		uint16_t port = (uint16_t)(PEER_PORT + 1 + i);
		h_clear(&t.h);
		tcp_feed(&t.h, &(struct tseg){.sport = port, .seq = 1000u * i, .flags = F_SYN,
					      .wnd = 65535});
		struct tview v;
		only_tcp(&t.h, &v);
		their_ack[i] = v.seq + 1;
		if (i < 2)
			tcp_feed(&t.h, &(struct tseg){.sport = port, .seq = 1000u * i + 1,
						      .ack = v.seq + 1, .flags = F_ACK, .wnd = 65535});
	}
	h_clear(&t.h);
	ck_assert_int_eq(tp_sock_close(s, t.lfd), 0);
	t.lfd = -1;
	ck_assert_uint_eq(count_tcp(&t.h), 3);
	int seen = 0;
	for (size_t i = 0; i < 3; i++) {
		struct tview v;
		nth_tcp(&t.h, i, &v);
		ck_assert_uint_eq(v.flags & F_RST, F_RST);
		unsigned k = (unsigned)(v.dport - PEER_PORT - 1);
		ck_assert_uint_lt(k, 3);
		ck_assert_uint_eq(v.seq, their_ack[k]);     /* in the peer's window */
		seen |= 1 << k;
	}
	ck_assert_int_eq(seen, 7);
	ck_assert_str_eq(tc_state(&t), "ESTABLISHED");
	/* The port is closed now: a new SYN is refused. */
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.sport = PEER_PORT + 9, .seq = 5, .flags = F_SYN,
				      .wnd = 65535});
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_RST | F_ACK);
	tc_fini(&t);
}
END_TEST

/* A connection that completed its handshake with a FIN is accepted like
 * any other, and reads end of stream at once. */
START_TEST(accept_after_fin_in_handshake)
{
	struct tconn t;
	tc_init(&t, NULL);
	reach(&t, S_SYN_RCVD_PASSIVE);
	tc_send(&t, F_FIN | F_ACK, t.pnxt, t.snd, "hi", 2);
	t.fd = tp_sock_accept(t.h.stack, t.lfd, NULL, NULL);
	ck_assert_int_ge(t.fd, 0);
	char buf[8];
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 2);
	ck_assert_mem_eq(buf, "hi", 2);
	ck_assert_int_eq(tp_sock_recv(t.h.stack, t.fd, buf, sizeof(buf), 0), 0);
	ck_assert_str_eq(tc_state(&t), "CLOSE_WAIT");
	tc_fini(&t);
}
END_TEST

/* Closed during a simultaneous open: the FIN goes out as soon as the
 * handshake completes, and the orphan finishes on its own. */
START_TEST(close_during_simultaneous_open)
{
	struct tconn t;
	tc_init(&t, NULL);
	reach(&t, S_SYN_RCVD_ACTIVE);
	ck_assert_int_eq(tp_sock_close(t.h.stack, t.fd), 0);
	t.fd = -1;
	ck_assert_uint_eq(count_tcp(&t.h), 0);
	tc_send(&t, F_ACK, t.pnxt, t.snd, NULL, 0);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_FIN | F_ACK);
	ck_assert_uint_eq(v.seq, t.snd);
	ck_assert_str_eq(tc_state(&t), "FIN_WAIT_1");
	t.snd++;
	h_clear(&t.h);
	tc_peer_fin(&t);
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.ack, t.pnxt);
	ck_assert_str_eq(tc_state(&t), "TIME_WAIT");
	tc_fini(&t);
}
END_TEST

/* RFC 1122 §4.2.2.13 (1) / RFC 9293 §3.6.1 MAY-2: a SYN that reopens a
 * TIME_WAIT 4-tuple gets an ISN above every sequence number the old
 * incarnation used, even when the ISN clock (RFC 6528: 4 µs ticks) has not
 * moved past them: here no time passes at all, so the clock's ISN would be
 * the old one again. */
START_TEST(time_wait_reuse_isn_above_old)
{
	struct tconn t;
	tc_init(&t, NULL);
	reach(&t, S_TIME_WAIT);
	uint32_t old_iss = t.iss, old_max = t.snd;      /* past our FIN */
	tc_send(&t, F_SYN, t.pnxt + 100000, 0, NULL, 0);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
	ck_assert_uint_eq(v.ack, t.pnxt + 100001);
	ck_assert_int_gt((int32_t)(v.seq - old_max), 0);
	ck_assert_int_ne(v.seq, old_iss);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_TIME_WAIT_REUSE), 1);
	ck_assert_str_eq(tc_state(&t), "SYN_RECEIVED");
	tc_fini(&t);
}
END_TEST

/* The same with the listener's SYN queue full: a child still, never a SYN
 * cookie, whose ISN is a hash that may fall inside the old sequence space
 * (RFC 6191 §2). */
START_TEST(time_wait_reuse_never_a_cookie)
{
	struct tp_stack_config cfg = {.seed = 1, .tcp_syn_backlog = 1};
	struct tconn t;
	tc_init(&t, &cfg);
	reach(&t, S_TIME_WAIT);
	uint32_t old_max = t.snd;
	tcp_feed(&t.h, &(struct tseg){.sport = PEER_PORT + 1, .seq = 7, .flags = F_SYN, .wnd = 65535});
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_SYNCOOKIES_SENT), 0);
	h_clear(&t.h);                      /* the SYN queue is full now */
	tc_send(&t, F_SYN, t.pnxt + 100000, 0, NULL, 0);
	struct tview v;
	only_tcp(&t.h, &v);
	ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
	ck_assert_int_gt((int32_t)(v.seq - old_max), 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_SYNCOOKIES_SENT), 0);
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_TIME_WAIT_REUSE), 1);
	ck_assert_str_eq(tc_state(&t), "SYN_RECEIVED");
	/* Another new SYN meets the full queue: a cookie, as ever. */
	h_clear(&t.h);
	tcp_feed(&t.h, &(struct tseg){.sport = PEER_PORT + 2, .seq = 9, .flags = F_SYN, .wnd = 65535});
	ck_assert_uint_eq(tp_stat(t.h.stack, TP_STAT_TCP_SYNCOOKIES_SENT), 1);
	tc_fini(&t);
}
END_TEST

static Suite *states_suite(void)
{
	Suite *s = suite_create("tcp_states");
	TCase *tc = tcase_create("transitions");
	tcase_add_loop_test(tc, state_transition, 0, NROWS);
	suite_add_tcase(s, tc);
	tc = tcase_create("acceptability");
	tcase_add_loop_test(tc, acceptability, 0,
			    (int)(sizeof(accept_rows) / sizeof(accept_rows[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("timers");
	tcase_add_test(tc, time_wait_restarts_on_fin);
	tcase_add_test(tc, time_wait_lasts_two_msl);
	tcase_add_test(tc, fin_wait_2_timeout_only_for_orphans);
	tcase_add_test(tc, last_ack_retransmits_fin);
	tcase_add_test(tc, listener_close_resets_unaccepted);
	tcase_add_test(tc, accept_after_fin_in_handshake);
	tcase_add_test(tc, close_during_simultaneous_open);
	tcase_add_test(tc, time_wait_reuse_isn_above_old);
	tcase_add_test(tc, time_wait_reuse_never_a_cookie);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(states_suite)
