/*
 * test_socket_misc.c - the BSD-style API beyond blocking TCP: UDP (with
 * ECONNREFUSED on a connected socket after a port unreachable), tapir_poll
 * over descriptors of two stacks with a timeout, non-blocking connect,
 * calls from inside a loop callback (never blocking), readiness callbacks,
 * detaching a stack under a sleeping call, and hostile arguments.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netpair.h"
#include "tapir/loop.h"
#include "tapir/socket.h"
#include "check_main.h"

#define TCP_PORT 7000
#define UDP_A_PORT 5000
#define UDP_B_PORT 5001

static struct netpair np;

static void setup(void)
{
	netpair_start(&np, NULL);
}

static void teardown(void)
{
	netpair_stop(&np);
}

static int udp_on(struct tp_loop *loop, uint16_t port)
{
	int fd = tapir_socket_on(loop, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sin = np_addr(0, port);
	ck_assert_int_eq(tapir_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* --- UDP ------------------------------------------------------------------------- */

START_TEST(test_udp_roundtrip)
{
	int a = udp_on(np.loop[0], UDP_A_PORT), b = udp_on(np.loop[1], UDP_B_PORT);
	struct sockaddr_in to_b = np_addr(NP_B_IP, UDP_B_PORT), from;
	socklen_t len = sizeof(from);
	char buf[64];
	ck_assert_int_eq(tapir_sendto(a, "hello", 5, 0, (struct sockaddr *)&to_b, sizeof(to_b)), 5);
	ck_assert_int_eq(tapir_recvfrom(b, buf, sizeof(buf), MSG_PEEK, NULL, NULL), 5);
	ck_assert_int_eq(tapir_recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 5);
	ck_assert(!memcmp(buf, "hello", 5));
	ck_assert_uint_eq(len, sizeof(from));
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), NP_A_IP);
	ck_assert_uint_eq(ntohs(from.sin_port), UDP_A_PORT);
	/* Answer to where it came from; a short buffer cuts the datagram. */
	ck_assert_int_eq(tapir_sendto(b, "0123456789", 10, 0, (struct sockaddr *)&from, len), 10);
	ck_assert_int_eq(tapir_sendto(b, "", 0, 0, (struct sockaddr *)&from, len), 0);
	ck_assert_int_eq(tapir_recv(a, buf, 4, 0), 4);
	ck_assert(!memcmp(buf, "0123", 4));
	ck_assert_int_eq(tapir_recv(a, buf, sizeof(buf), 0), 0);   /* the empty one */
	ck_assert_int_eq(tapir_recv(a, buf, sizeof(buf), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	static char huge[70000];
	ck_assert_int_eq(tapir_sendto(a, huge, sizeof(huge), 0, (struct sockaddr *)&to_b, sizeof(to_b)), -1);
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_int_eq(tapir_send(a, "x", 1, 0), -1);
	ck_assert_int_eq(errno, EDESTADDRREQ);
	int type;
	socklen_t tlen = sizeof(type);
	ck_assert_int_eq(tapir_getsockopt(a, SOL_SOCKET, SO_TYPE, &type, &tlen), 0);
	ck_assert_int_eq(type, SOCK_DGRAM);
	tapir_close(a);
	tapir_close(b);
}
END_TEST

START_TEST(test_udp_connected_refused)
{
	int u = tapir_socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in nobody = np_addr(NP_B_IP, 5999), peer;
	ck_assert_int_eq(tapir_connect(u, (struct sockaddr *)&nobody, sizeof(nobody)), 0);
	socklen_t len = sizeof(peer);
	ck_assert_int_eq(tapir_getpeername(u, (struct sockaddr *)&peer, &len), 0);
	ck_assert_uint_eq(ntohs(peer.sin_port), 5999);
	ck_assert_int_eq(tapir_send(u, "x", 1, 0), 1);
	char c;
	/* B answers port unreachable; the blocking recv hears of it. */
	ck_assert_int_eq(tapir_recv(u, &c, 1, 0), -1);
	ck_assert_int_eq(errno, ECONNREFUSED);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	ck_assert_int_eq(tapir_connect(u, &unspec, sizeof(unspec)), 0);
	ck_assert_int_eq(tapir_getpeername(u, (struct sockaddr *)&peer, &len), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	tapir_close(u);
}
END_TEST

/* --- poll ------------------------------------------------------------------------- */

struct sender {
	int wait_fd;                    /* send once someone sleeps on this */
	int from_fd;
	uint16_t to_port;
	uint32_t to_ip;
};

static void *send_when_sleeping(void *arg)
{
	struct sender *s = arg;
	ck_assert(np_wait_sleeper(s->wait_fd));
	struct sockaddr_in to = np_addr(s->to_ip, s->to_port);
	ck_assert_int_eq(tapir_sendto(s->from_fd, "p", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	return NULL;
}

START_TEST(test_poll)
{
	int lfd = np_listen(np.loop[1], TCP_PORT);
	int t = np_connect(NP_B_IP, TCP_PORT);
	ck_assert_int_ge(t, 0);
	int st = tapir_accept(lfd, NULL, NULL);     /* the listener has nothing queued */
	ck_assert_int_ge(st, 0);
	int ua = udp_on(np.loop[0], UDP_A_PORT), ub = udp_on(np.loop[1], UDP_B_PORT);
	/* Descriptors of both stacks in one set; -1 is skipped. */
	struct pollfd fds[] = {{.fd = ua, .events = POLLIN}, {.fd = t, .events = POLLIN},
			       {.fd = lfd, .events = POLLIN}, {.fd = -1, .events = POLLIN},
			       {.fd = ub, .events = POLLIN}};
	int64_t t0 = np_now_ms();
	ck_assert_int_eq(tapir_poll(fds, 5, 250), 0);
	int64_t took = np_now_ms() - t0;
	ck_assert_int_ge(took, 245);
	ck_assert_int_lt(took, 3000);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(fds[i].revents, 0);

	/* A sleeping poll wakes for a datagram reaching B. */
	struct sender s = {.wait_fd = ub, .from_fd = ua, .to_ip = NP_B_IP, .to_port = UDP_B_PORT};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, send_when_sleeping, &s), 0);
	t0 = np_now_ms();
	ck_assert_int_eq(tapir_poll(fds, 5, 10000), 1);
	ck_assert_int_lt(np_now_ms() - t0, 5000);
	pthread_join(th, NULL);
	ck_assert_int_eq(fds[4].revents, POLLIN);
	ck_assert_int_eq(fds[0].revents | fds[1].revents | fds[2].revents, 0);

	/* And for a connection reaching a listener, with no timeout at all. */
	struct pollfd lp = {.fd = lfd, .events = POLLIN};
	int c2 = np_connect(NP_B_IP, TCP_PORT);
	ck_assert_int_eq(tapir_poll(&lp, 1, -1), 1);
	ck_assert_int_eq(lp.revents, POLLIN);

	struct pollfd misc[] = {{.fd = t, .events = POLLOUT | POLLWRNORM}, {.fd = 9999, .events = POLLIN}};
	ck_assert_int_eq(tapir_poll(misc, 2, 0), 2);
	ck_assert_int_eq(misc[0].revents, POLLOUT | POLLWRNORM);
	ck_assert_int_eq(misc[1].revents, POLLNVAL);
	/* A fresh TCP socket: writable and hung up, as Linux says. */
	int fresh = tapir_socket(AF_INET, SOCK_STREAM, 0);
	struct pollfd fp = {.fd = fresh, .events = POLLOUT};
	ck_assert_int_eq(tapir_poll(&fp, 1, 0), 1);
	ck_assert_int_eq(fp.revents, POLLOUT | POLLHUP);
	tapir_close(fresh);
	tapir_close(c2);
	tapir_close(st);
	tapir_close(t);
	tapir_close(ua);
	tapir_close(ub);
	tapir_close(lfd);
}
END_TEST

/* --- non-blocking ------------------------------------------------------------------- */

START_TEST(test_nonblocking_connect)
{
	int lfd = np_listen(np.loop[1], TCP_PORT);
	ck_assert_int_eq(tapir_set_nonblock(lfd, 1), 0);
	ck_assert_int_eq(tapir_accept(lfd, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);

	int fd = tapir_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(tapir_fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	struct sockaddr_in to = np_addr(NP_B_IP, TCP_PORT);
	ck_assert_int_eq(tapir_connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	ck_assert_int_eq(tapir_connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert(errno == EALREADY || errno == EISCONN);   /* the handshake is quick */
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	ck_assert_int_eq(tapir_poll(&p, 1, 5000), 1);
	ck_assert_int_eq(p.revents, POLLOUT);
	int err = -1;
	socklen_t len = sizeof(err);
	ck_assert_int_eq(tapir_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(tapir_connect(fd, (struct sockaddr *)&to, sizeof(to)), -1);
	ck_assert_int_eq(errno, EISCONN);
	char c;
	ck_assert_int_eq(tapir_recv(fd, &c, 1, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);

	struct pollfd lp = {.fd = lfd, .events = POLLIN};
	ck_assert_int_eq(tapir_poll(&lp, 1, 5000), 1);
	int sfd = tapir_accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(tapir_fcntl(sfd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	ck_assert_int_eq(tapir_fcntl(sfd, F_SETFL, 0), 0);
	ck_assert_int_eq(tapir_fcntl(sfd, F_GETFL) & O_NONBLOCK, 0);

	/* Refused: POLLOUT with POLLERR and POLLHUP, then SO_ERROR once. */
	int r = tapir_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in closed = np_addr(NP_B_IP, 7001);
	ck_assert_int_eq(tapir_connect(r, (struct sockaddr *)&closed, sizeof(closed)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	struct pollfd rp = {.fd = r, .events = POLLOUT};
	ck_assert_int_eq(tapir_poll(&rp, 1, 5000), 1);
	ck_assert(rp.revents & POLLOUT);
	ck_assert(rp.revents & POLLERR);
	ck_assert(rp.revents & POLLHUP);
	ck_assert_int_eq(tapir_getsockopt(r, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_int_eq(tapir_getsockopt(r, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, 0);
	tapir_close(r);
	tapir_close(sfd);
	tapir_close(fd);
	tapir_close(lfd);
}
END_TEST

/* --- inside a loop callback ------------------------------------------------------------- */

struct in_loop {
	int tcp_fd, other_stack_fd;
	int recv_r, recv_err, connect_r, connect_err, foreign_r, foreign_err, poll_r;
	int64_t took_ms;
	struct tp_loop_timer *timer;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int done;
};

static void run_in_loop(void *arg)
{
	struct in_loop *x = arg;
	int64_t t0 = np_now_ms();
	char c;
	/* A blocking socket, but nothing may sleep here. */
	x->recv_r = (int)tapir_recv(x->tcp_fd, &c, 1, 0);
	x->recv_err = errno;
	int fd = tapir_socket(AF_INET, SOCK_STREAM, 0);        /* on this loop's stack */
	struct sockaddr_in to = np_addr(NP_B_IP, TCP_PORT);
	x->connect_r = tapir_connect(fd, (struct sockaddr *)&to, sizeof(to));
	x->connect_err = errno;
	tapir_close(fd);
	x->foreign_r = (int)tapir_recv(x->other_stack_fd, &c, 1, 0);
	x->foreign_err = errno;
	struct pollfd p = {.fd = x->tcp_fd, .events = POLLIN};
	x->poll_r = tapir_poll(&p, 1, 5000);
	x->took_ms = np_now_ms() - t0;
	tp_loop_timer_free(x->timer);
	pthread_mutex_lock(&x->mu);
	x->done = 1;
	pthread_cond_signal(&x->cond);
	pthread_mutex_unlock(&x->mu);
}

START_TEST(test_loop_thread_context)
{
	int lfd = np_listen(np.loop[1], TCP_PORT);
	struct in_loop x = {.tcp_fd = np_connect(NP_B_IP, TCP_PORT), .other_stack_fd = lfd};
	ck_assert_int_ge(x.tcp_fd, 0);
	pthread_mutex_init(&x.mu, NULL);
	pthread_cond_init(&x.cond, NULL);
	/* Loop timers may be set from another thread under the core lock. */
	tp_loop_lock(np.loop[0]);
	x.timer = tp_loop_timer_new(np.loop[0], run_in_loop, &x);
	ck_assert_int_eq(tp_loop_timer_start(x.timer, 0, 0), 0);
	tp_loop_unlock(np.loop[0]);
	pthread_mutex_lock(&x.mu);
	while (!x.done)
		pthread_cond_wait(&x.cond, &x.mu);
	pthread_mutex_unlock(&x.mu);
	ck_assert_int_eq(x.recv_r, -1);
	ck_assert_int_eq(x.recv_err, EAGAIN);
	ck_assert_int_eq(x.connect_r, -1);
	ck_assert_int_eq(x.connect_err, EINPROGRESS);
	ck_assert_int_eq(x.foreign_r, -1);
	ck_assert_int_eq(x.foreign_err, EDEADLK);
	ck_assert_int_eq(x.poll_r, 0);
	ck_assert_int_lt(x.took_ms, 1000);
	pthread_cond_destroy(&x.cond);
	pthread_mutex_destroy(&x.mu);
	tapir_close(x.tcp_fd);
	tapir_close(lfd);
}
END_TEST

struct event_seen {
	int fd;
	char data[8];
	int got;
	pthread_mutex_t mu;
	pthread_cond_t cond;
};

static void on_readable(void *ctx, int fd, short revents)
{
	struct event_seen *e = ctx;
	ck_assert_int_eq(fd, e->fd);
	if (!(revents & POLLIN))
		return;
	/* On the loop thread: reads never block, and here there is data. */
	ssize_t n = tapir_recv(fd, e->data, sizeof(e->data), 0);
	ck_assert_int_eq(n, 3);
	pthread_mutex_lock(&e->mu);
	e->got = 1;
	pthread_cond_signal(&e->cond);
	pthread_mutex_unlock(&e->mu);
}

START_TEST(test_callback)
{
	int ub = udp_on(np.loop[1], UDP_B_PORT), ua = udp_on(np.loop[0], UDP_A_PORT);
	struct event_seen e = {.fd = ub};
	pthread_mutex_init(&e.mu, NULL);
	pthread_cond_init(&e.cond, NULL);
	ck_assert_int_eq(tapir_set_callback(ub, on_readable, &e), 0);
	struct sockaddr_in to = np_addr(NP_B_IP, UDP_B_PORT);
	ck_assert_int_eq(tapir_sendto(ua, "abc", 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	pthread_mutex_lock(&e.mu);
	while (!e.got)
		pthread_cond_wait(&e.cond, &e.mu);
	pthread_mutex_unlock(&e.mu);
	ck_assert(!memcmp(e.data, "abc", 3));
	ck_assert_int_eq(tapir_set_callback(ub, NULL, NULL), 0);
	tapir_close(ua);
	tapir_close(ub);
	pthread_cond_destroy(&e.cond);
	pthread_mutex_destroy(&e.mu);
}
END_TEST

struct nested {
	pthread_t caller;
	int calls, on_caller, recv_r;
};

static void on_shut(void *ctx, int fd, short revents)
{
	struct nested *n = ctx;
	char c;
	(void)revents;
	n->calls++;
	n->on_caller = pthread_equal(pthread_self(), n->caller);
	n->recv_r = (int)tapir_recv(fd, &c, 1, 0);     /* nests in the caller's lock */
}

START_TEST(test_callback_on_calling_thread)
{
	int lfd = np_listen(np.loop[1], TCP_PORT);
	int fd = np_connect(NP_B_IP, TCP_PORT);
	ck_assert_int_ge(fd, 0);
	struct nested n = {.caller = pthread_self()};
	ck_assert_int_eq(tapir_set_callback(fd, on_shut, &n), 0);
	/* The event this call causes is delivered as it lets go of the lock,
	 * on this thread; the callback's own calls nest inside. */
	ck_assert_int_eq(tapir_shutdown(fd, SHUT_RD), 0);
	ck_assert_int_ge(n.calls, 1);
	ck_assert(n.on_caller);
	ck_assert_int_eq(n.recv_r, 0);
	ck_assert_int_eq(tapir_set_callback(fd, NULL, NULL), 0);
	/* The lock was let go exactly once: other threads' calls still work. */
	int other = np_connect(NP_B_IP, TCP_PORT);
	ck_assert_int_ge(other, 0);
	tapir_close(other);
	tapir_close(fd);
	tapir_close(lfd);
}
END_TEST

struct sleeper {
	int fd;
	ssize_t r;
	int err;
};

static void *recv_sleeper(void *arg)
{
	struct sleeper *s = arg;
	char c;
	s->r = tapir_recv(s->fd, &c, 1, 0);
	s->err = errno;
	return NULL;
}

START_TEST(test_detach_wakes_sleepers)
{
	struct sleeper s = {.fd = udp_on(np.loop[1], UDP_B_PORT)};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, recv_sleeper, &s), 0);
	ck_assert(np_wait_sleeper(s.fd));
	ck_assert_int_eq(tapir_detach(np.loop[1]), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(s.r, -1);
	ck_assert_int_eq(s.err, EBADF);
	ck_assert_int_eq(tapir_socket_on(np.loop[1], AF_INET, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tapir_detach(np.loop[1]), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("socket_misc");
	TCase *tc = tcase_create("misc");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_udp_roundtrip);
	tcase_add_test(tc, test_udp_connected_refused);
	tcase_add_test(tc, test_poll);
	tcase_add_test(tc, test_nonblocking_connect);
	tcase_add_test(tc, test_loop_thread_context);
	tcase_add_test(tc, test_callback);
	tcase_add_test(tc, test_callback_on_calling_thread);
	tcase_add_test(tc, test_detach_wakes_sleepers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(suite());
}
