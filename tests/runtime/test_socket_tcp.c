/*
 * test_socket_tcp.c - the BSD-style API's TCP side with real threads: two
 * stacks on two loop threads (netpair.h), blocking calls from application
 * threads. A threaded echo server on B and concurrent clients on A move
 * megabytes byte-exact; then each error a BSD program relies on: refused,
 * timed out (SO_RCVTIMEO, SO_SNDTIMEO, a silent peer), EPIPE, ECONNRESET,
 * close from another thread, a lingering close.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netpair.h"
#include "tapir/loop.h"
#include "tapir/sock.h"
#include "tapir/socket.h"
#include "check_main.h"

#define ECHO_PORT 7000
#define CLIENTS 3
#define BULK_BYTES (2u * 1024 * 1024)

static struct netpair np;

static void setup(void)
{
	/* A SYN is retried once: a silent peer times out in 1 s + 2 s. */
	struct tp_stack_config cfg = {.seed = 7, .tcp_syn_retries = 1};
	netpair_start(&np, &cfg);
}

static void teardown(void)
{
	netpair_stop(&np);
}

static uint8_t pattern(size_t off, unsigned id)
{
	return (uint8_t)(off * 7 + off / 251 + id * 13);
}

/* --- a threaded echo server on B ------------------------------------------------------ */

static void *echo_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint8_t buf[16384];
	for (;;) {
		ssize_t n = tapir_recv(fd, buf, sizeof(buf), 0);
		if (n <= 0) {
			ck_assert_int_eq(n, 0);
			break;
		}
		ck_assert_int_eq(tapir_send(fd, buf, (size_t)n, 0), n);
	}
	ck_assert_int_eq(tapir_close(fd), 0);
	return NULL;
}

struct echo_server {
	int lfd, conns;
	pthread_t thread;
};

static void *echo_accept(void *arg)
{
	struct echo_server *srv = arg;
	pthread_t conn[CLIENTS];
	for (int i = 0; i < srv->conns; i++) {
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		int fd = tapir_accept(srv->lfd, (struct sockaddr *)&peer, &len);
		ck_assert_int_ge(fd, 0);
		ck_assert_uint_eq(len, sizeof(peer));
		ck_assert_uint_eq(ntohl(peer.sin_addr.s_addr), NP_A_IP);
		ck_assert_int_eq(pthread_create(&conn[i], NULL, echo_conn, (void *)(intptr_t)fd), 0);
	}
	for (int i = 0; i < srv->conns; i++)
		pthread_join(conn[i], NULL);
	return NULL;
}

struct client {
	unsigned id;
	int fd;
	pthread_t thread, sender;
	size_t received;
};

static void *client_send(void *arg)
{
	struct client *cl = arg;
	uint8_t *data = malloc(BULK_BYTES);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < BULK_BYTES; i++)
		data[i] = pattern(i, cl->id);
	/* One call: a blocking send writes everything. */
	ck_assert_int_eq(tapir_send(cl->fd, data, BULK_BYTES, 0), (ssize_t)BULK_BYTES);
	ck_assert_int_eq(tapir_shutdown(cl->fd, SHUT_WR), 0);
	free(data);
	return NULL;
}

static void *client_run(void *arg)
{
	struct client *cl = arg;
	cl->fd = np_connect(NP_B_IP, ECHO_PORT);
	ck_assert_int_ge(cl->fd, 0);
	ck_assert_int_eq(pthread_create(&cl->sender, NULL, client_send, cl), 0);
	uint8_t buf[10000];             /* not a divisor of anything: reads straddle */
	for (;;) {
		ssize_t n = tapir_recv(cl->fd, buf, sizeof(buf), 0);
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(cl->received + (size_t)i, cl->id))
				ck_abort_msg("client %u: byte %zu differs", cl->id, cl->received + (size_t)i);
		cl->received += (size_t)n;
	}
	pthread_join(cl->sender, NULL);
	ck_assert_int_eq(tapir_close(cl->fd), 0);
	return NULL;
}

START_TEST(test_echo_bulk)
{
	struct echo_server srv = {.lfd = np_listen(np.loop[1], ECHO_PORT), .conns = CLIENTS};
	ck_assert_int_eq(pthread_create(&srv.thread, NULL, echo_accept, &srv), 0);
	struct client cl[CLIENTS];
	for (unsigned i = 0; i < CLIENTS; i++) {
		cl[i] = (struct client){.id = i};
		ck_assert_int_eq(pthread_create(&cl[i].thread, NULL, client_run, &cl[i]), 0);
	}
	for (unsigned i = 0; i < CLIENTS; i++) {
		pthread_join(cl[i].thread, NULL);
		ck_assert_uint_eq(cl[i].received, BULK_BYTES);
	}
	pthread_join(srv.thread, NULL);
	ck_assert_int_eq(tapir_close(srv.lfd), 0);
}
END_TEST

START_TEST(test_names)
{
	int lfd = np_listen(np.loop[1], ECHO_PORT);
	int fd = np_connect(NP_B_IP, ECHO_PORT);
	ck_assert_int_ge(fd, 0);
	int sfd = tapir_accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	struct sockaddr_in me, peer, them;
	socklen_t len = sizeof(me);
	ck_assert_int_eq(tapir_getsockname(fd, (struct sockaddr *)&me, &len), 0);
	ck_assert_uint_eq(len, sizeof(me));
	ck_assert_int_eq(me.sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(me.sin_addr.s_addr), NP_A_IP);
	len = sizeof(peer);
	ck_assert_int_eq(tapir_getpeername(fd, (struct sockaddr *)&peer, &len), 0);
	ck_assert_uint_eq(ntohl(peer.sin_addr.s_addr), NP_B_IP);
	ck_assert_uint_eq(ntohs(peer.sin_port), ECHO_PORT);
	len = sizeof(them);
	ck_assert_int_eq(tapir_getpeername(sfd, (struct sockaddr *)&them, &len), 0);
	ck_assert_uint_eq(them.sin_port, me.sin_port);
	/* A short buffer truncates; the length says how long it really is. */
	uint8_t small[4];
	len = sizeof(small);
	ck_assert_int_eq(tapir_getsockname(fd, (struct sockaddr *)small, &len), 0);
	ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
	int type = 0, acc = 1;
	len = sizeof(type);
	ck_assert_int_eq(tapir_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
	ck_assert_int_eq(type, SOCK_STREAM);
	ck_assert_int_eq(tapir_getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len), 0);
	ck_assert_int_eq(acc, 0);
	ck_assert_int_eq(tapir_getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len), 0);
	ck_assert_int_eq(acc, 1);
	int nodelay = 1, mss = 0;
	ck_assert_int_eq(tapir_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof(nodelay)), 0);
	nodelay = 0;
	ck_assert_int_eq(tapir_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
	ck_assert_int_eq(nodelay, 1);
	ck_assert_int_eq(tapir_getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), 0);
	ck_assert_int_eq(mss, 1460 - 12);  /* less the timestamps on every segment, as Linux */
	tapir_close(sfd);
	tapir_close(fd);
	tapir_close(lfd);
}
END_TEST

START_TEST(test_refused)
{
	int64_t t0 = np_now_ms();
	ck_assert_int_eq(np_connect(NP_B_IP, 7001), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	ck_assert_int_lt(np_now_ms() - t0, 2000);        /* the RST, not a timeout */
}
END_TEST

START_TEST(test_connect_silent_peer)
{
	int64_t t0 = np_now_ms();
	ck_assert_int_eq(np_connect(NP_SILENT_IP, 80), -1);
	ck_assert_int_eq(errno, ETIMEDOUT);
	int64_t took = np_now_ms() - t0;
	ck_assert_int_ge(took, 2900);                    /* SYN, 1 s, SYN, 2 s */
	ck_assert_int_lt(took, 8000);
}
END_TEST

START_TEST(test_connect_sndtimeo)
{
	int fd = tapir_socket(AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {.tv_usec = 200000};
	ck_assert_int_eq(tapir_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	struct sockaddr_in to = np_addr(NP_SILENT_IP, 80);
	int64_t t0 = np_now_ms();
	/* As Linux: the wait ends, the handshake goes on. */
	ck_assert_int_eq(tapir_connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_ge(np_now_ms() - t0, 195);
	ck_assert_int_eq(tapir_connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EALREADY);
	tapir_close(fd);
}
END_TEST

START_TEST(test_rcvtimeo)
{
	int lfd = np_listen(np.loop[1], ECHO_PORT);
	struct timeval tv = {.tv_usec = 200000};
	ck_assert_int_eq(tapir_setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	int64_t t0 = np_now_ms();
	ck_assert_int_eq(tapir_accept(lfd, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_ge(np_now_ms() - t0, 195);

	int fd = np_connect(NP_B_IP, ECHO_PORT);
	ck_assert_int_ge(fd, 0);
	int sfd = tapir_accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	/* Accepted sockets inherit the listener's timeouts, as on Linux. */
	struct timeval got;
	socklen_t len = sizeof(got);
	ck_assert_int_eq(tapir_getsockopt(sfd, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
	ck_assert_int_eq(got.tv_usec, 200000);
	tv.tv_usec = 300000;
	ck_assert_int_eq(tapir_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	char c;
	t0 = np_now_ms();
	ck_assert_int_eq(tapir_recv(fd, &c, 1, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	int64_t took = np_now_ms() - t0;
	ck_assert_int_ge(took, 295);
	ck_assert_int_lt(took, 3000);
	/* Data that arrives is read at once, timeout or not. */
	ck_assert_int_eq(tapir_send(sfd, "x", 1, 0), 1);
	ck_assert_int_eq(tapir_recv(fd, &c, 1, 0), 1);
	ck_assert_int_eq(c, 'x');
	tapir_close(sfd);
	tapir_close(fd);
	tapir_close(lfd);
}
END_TEST

START_TEST(test_sndtimeo_partial)
{
	int lfd = np_listen(np.loop[1], ECHO_PORT);
	int fd = np_connect(NP_B_IP, ECHO_PORT);
	int sfd = tapir_accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	/* Nobody reads at B: the windows and buffers fill, the send stops. */
	struct timeval tv = {.tv_usec = 300000};
	ck_assert_int_eq(tapir_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	size_t big = 4u * 1024 * 1024;
	uint8_t *data = calloc(1, big);
	ssize_t n = tapir_send(fd, data, big, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (ssize_t)big);
	/* Window probes may still squeeze a little through; then nothing
	 * moves, and a send gives up after its timeout with EAGAIN. */
	int64_t t0;
	int tries = 0;
	do {
		ck_assert_int_lt(tries++, 20);
		t0 = np_now_ms();
	} while (tapir_send(fd, data, big, 0) > 0);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_int_ge(np_now_ms() - t0, 295);
	ck_assert_int_eq(tapir_send(fd, data, big, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	free(data);
	tapir_close(sfd);
	tapir_close(fd);
	tapir_close(lfd);
}
END_TEST

START_TEST(test_epipe_after_shutdown)
{
	int lfd = np_listen(np.loop[1], ECHO_PORT);
	int fd = np_connect(NP_B_IP, ECHO_PORT);
	int sfd = tapir_accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(tapir_send(fd, "ab", 2, 0), 2);
	ck_assert_int_eq(tapir_shutdown(fd, SHUT_WR), 0);
	/* EPIPE, and no SIGPIPE: the default action would kill this test. */
	ck_assert_int_eq(tapir_send(fd, "c", 1, 0), -1);
	ck_assert_int_eq(errno, EPIPE);
	char buf[4];
	ck_assert_int_eq(tapir_recv(sfd, buf, sizeof(buf), MSG_WAITALL), 2);
	ck_assert_int_eq(tapir_recv(sfd, buf, sizeof(buf), 0), 0);     /* the FIN */
	/* The other direction still works. */
	ck_assert_int_eq(tapir_send(sfd, "z", 1, 0), 1);
	ck_assert_int_eq(tapir_recv(fd, buf, 1, 0), 1);
	ck_assert_int_eq(tapir_shutdown(fd, 42), -1);
	ck_assert_int_eq(errno, EINVAL);
	tapir_close(sfd);
	tapir_close(fd);
	tapir_close(lfd);
}
END_TEST

START_TEST(test_reset)
{
	int lfd = np_listen(np.loop[1], ECHO_PORT);
	int fd = np_connect(NP_B_IP, ECHO_PORT);
	int sfd = tapir_accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	ck_assert_int_eq(tapir_setsockopt(sfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	ck_assert_int_eq(tapir_close(sfd), 0);      /* linger 0: a RST */
	char c;
	ck_assert_int_eq(tapir_recv(fd, &c, 1, 0), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	tapir_close(fd);
	tapir_close(lfd);
}
END_TEST

struct blocked_call {
	int fd, accept;
	ssize_t result;
	int err;
};

static void *block_in_call(void *arg)
{
	struct blocked_call *b = arg;
	char c;
	b->result = b->accept ? tapir_accept(b->fd, NULL, NULL) : tapir_recv(b->fd, &c, 1, 0);
	b->err = errno;
	return NULL;
}

START_TEST(test_close_unblocks)
{
	int lfd = np_listen(np.loop[1], ECHO_PORT);
	int fd = np_connect(NP_B_IP, ECHO_PORT);
	ck_assert_int_ge(fd, 0);
	struct blocked_call rb = {.fd = fd}, ab = {.fd = lfd, .accept = 1};
	/* Drain the queued connection first, so the accept below sleeps. */
	int sfd = tapir_accept(lfd, NULL, NULL);
	pthread_t r, a;
	ck_assert_int_eq(pthread_create(&r, NULL, block_in_call, &rb), 0);
	ck_assert_int_eq(pthread_create(&a, NULL, block_in_call, &ab), 0);
	ck_assert(np_wait_sleeper(fd));
	ck_assert(np_wait_sleeper(lfd));
	ck_assert_int_eq(tapir_close(fd), 0);
	ck_assert_int_eq(tapir_close(lfd), 0);
	pthread_join(r, NULL);
	pthread_join(a, NULL);
	ck_assert_int_eq(rb.result, -1);
	ck_assert_int_eq(rb.err, EBADF);
	ck_assert_int_eq(ab.result, -1);
	ck_assert_int_eq(ab.err, EBADF);
	ck_assert_int_eq(tapir_close(fd), -1);      /* closed once only */
	ck_assert_int_eq(errno, EBADF);
	tapir_close(sfd);
}
END_TEST

struct tcp_state_seen {
	uint16_t lport;
	char state[16];
};

static void find_conn(void *ctx, const struct tp_tcp_info *info)
{
	struct tcp_state_seen *s = ctx;
	if (info->lport == s->lport) {
		strncpy(s->state, info->state, sizeof(s->state) - 1);
		s->state[sizeof(s->state) - 1] = '\0';
	}
}

/* The state of the connection from local port lport on loop's stack ("" if
 * none), read under the core lock as any other thread may. */
static struct tcp_state_seen conn_state(struct tp_loop *loop, uint16_t lport)
{
	struct tcp_state_seen seen = {.lport = lport};
	tp_loop_lock(loop);
	tp_tcp_foreach(tp_loop_stack(loop), find_conn, &seen);
	tp_loop_unlock(loop);
	return seen;
}

struct drain {
	int fd;
	uint16_t peer_port;         /* A's port: start once A's close lingers */
	size_t got;
};

static void *drain_after_fin_wait(void *arg)
{
	struct drain *d = arg;
	int64_t give_up = np_now_ms() + 10000;
	/* Observable, bounded: A's lingering close has shut its side. */
	while (strcmp(conn_state(np.loop[0], d->peer_port).state, "FIN_WAIT_1") != 0) {
		ck_assert_int_lt(np_now_ms(), give_up);
		struct timespec tick = {.tv_nsec = 1000000};
		nanosleep(&tick, NULL);
	}
	uint8_t buf[16384];
	ssize_t n;
	while ((n = tapir_recv(d->fd, buf, sizeof(buf), 0)) > 0)
		d->got += (size_t)n;
	ck_assert_int_eq(n, 0);
	return NULL;
}

START_TEST(test_linger_waits_for_ack)
{
	int lfd = np_listen(np.loop[1], ECHO_PORT);
	int fd = np_connect(NP_B_IP, ECHO_PORT);
	int sfd = tapir_accept(lfd, NULL, NULL);
	ck_assert_int_ge(sfd, 0);
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	ck_assert_int_eq(tapir_getsockname(fd, (struct sockaddr *)&me, &len), 0);
	/* More than B's 256 KiB window: the rest waits in A's send buffer
	 * until B reads, which it only starts once A is closing. */
	size_t total = 400 * 1024;
	uint8_t *data = calloc(1, total);
	ck_assert_int_eq(tapir_send(fd, data, total, 0), (ssize_t)total);
	free(data);
	struct linger l = {.l_onoff = 1, .l_linger = 10};
	ck_assert_int_eq(tapir_setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	struct drain d = {.fd = sfd, .peer_port = ntohs(me.sin_port)};
	pthread_t reader;
	ck_assert_int_eq(pthread_create(&reader, NULL, drain_after_fin_wait, &d), 0);
	ck_assert_int_eq(tapir_close(fd), 0);
	/* Returned only once everything, the FIN too, was acknowledged. */
	const char *state = conn_state(np.loop[0], d.peer_port).state;
	ck_assert_msg(!strcmp(state, "FIN_WAIT_2") || !strcmp(state, "TIME_WAIT"), "state %s", state);
	pthread_join(reader, NULL);
	ck_assert_uint_eq(d.got, total);
	tapir_close(sfd);
	tapir_close(lfd);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("socket_tcp");
	TCase *tc = tcase_create("blocking");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_echo_bulk);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_connect_silent_peer);
	tcase_add_test(tc, test_connect_sndtimeo);
	tcase_add_test(tc, test_rcvtimeo);
	tcase_add_test(tc, test_sndtimeo_partial);
	tcase_add_test(tc, test_epipe_after_shutdown);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_close_unblocks);
	tcase_add_test(tc, test_linger_waits_for_ack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(suite());
}
