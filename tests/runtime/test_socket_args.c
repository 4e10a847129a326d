/*
 * test_socket_args.c - every call of the BSD-style API against hostile
 * arguments: unknown descriptors, NULL pointers, short lengths, wrong
 * families, types, levels, options and flags, and calls in the wrong state.
 * Each must fail with POSIX's errno and leave the socket usable.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "netpair.h"
#include "tapir/socket.h"
#include "check_main.h"

static struct netpair np;

static void setup(void)
{
	netpair_start(&np, NULL);
}

static void teardown(void)
{
	netpair_stop(&np);
}

#define FAILS_WITH(call, err)                                                        \
	do {                                                                         \
		errno = 0;                                                           \
		long r_ = (long)(call);                                              \
		ck_assert_msg(r_ == -1 && errno == (err), "%s: %ld, errno %d (%s), want %s", \
			      #call, r_, errno, strerror(errno), #err);              \
	} while (0)

START_TEST(test_bad_descriptors)
{
	struct sockaddr_in sin = np_addr(NP_B_IP, 7);
	socklen_t len = sizeof(sin);
	char buf[4];
	int v = 0;
	struct pollfd p = {.fd = 4242, .events = POLLIN};
	int bad[] = {-1, 4242, 1 << 30};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = bad[i];
		FAILS_WITH(tapir_bind(fd, (struct sockaddr *)&sin, len), EBADF);
		FAILS_WITH(tapir_listen(fd, 1), EBADF);
		FAILS_WITH(tapir_accept(fd, NULL, NULL), EBADF);
		FAILS_WITH(tapir_connect(fd, (struct sockaddr *)&sin, len), EBADF);
		FAILS_WITH(tapir_send(fd, buf, 1, 0), EBADF);
		FAILS_WITH(tapir_recv(fd, buf, 1, 0), EBADF);
		FAILS_WITH(tapir_sendto(fd, buf, 1, 0, (struct sockaddr *)&sin, len), EBADF);
		FAILS_WITH(tapir_recvfrom(fd, buf, 1, 0, NULL, NULL), EBADF);
		FAILS_WITH(tapir_shutdown(fd, SHUT_RDWR), EBADF);
		FAILS_WITH(tapir_close(fd), EBADF);
		FAILS_WITH(tapir_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EBADF);
		FAILS_WITH(tapir_getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len), EBADF);
		FAILS_WITH(tapir_getsockname(fd, (struct sockaddr *)&sin, &len), EBADF);
		FAILS_WITH(tapir_getpeername(fd, (struct sockaddr *)&sin, &len), EBADF);
		FAILS_WITH(tapir_set_nonblock(fd, 1), EBADF);
		FAILS_WITH(tapir_fcntl(fd, F_GETFL), EBADF);
		FAILS_WITH(tapir_set_callback(fd, NULL, NULL), EBADF);
	}
	ck_assert_int_eq(tapir_poll(&p, 1, 0), 1);
	ck_assert_int_eq(p.revents, POLLNVAL);
	/* More descriptors than fit on poll's stack: skipped, unknown, valid. */
	struct pollfd many[40];
	int u = tapir_socket(AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 40; i++)
		many[i] = (struct pollfd){.fd = i == 7 ? 4242 : i == 30 ? u : -1, .events = POLLOUT};
	ck_assert_int_eq(tapir_poll(many, 40, 10), 2);
	ck_assert_int_eq(many[7].revents, POLLNVAL);
	ck_assert_int_eq(many[30].revents, POLLOUT);
	tapir_close(u);
	FAILS_WITH(tapir_poll(NULL, 1, 0), EFAULT);
	FAILS_WITH(tapir_poll(&p, 1u << 30, 0), EINVAL);
	ck_assert_int_eq(tapir_poll(NULL, 0, 0), 0);
	FAILS_WITH(tapir_attach(NULL), EINVAL);
	FAILS_WITH(tapir_attach(np.loop[0]), EEXIST);
	FAILS_WITH(tapir_detach(NULL), EINVAL);
	FAILS_WITH(tapir_socket_on(NULL, AF_INET, SOCK_STREAM, 0), EINVAL);
}
END_TEST

START_TEST(test_bad_socket_args)
{
	FAILS_WITH(tapir_socket(AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
	FAILS_WITH(tapir_socket(AF_UNIX, SOCK_DGRAM, 0), EAFNOSUPPORT);
	FAILS_WITH(tapir_socket(AF_INET, 99, 0), EINVAL);
	FAILS_WITH(tapir_socket(AF_INET, 0, 0), EINVAL);
	FAILS_WITH(tapir_socket(AF_INET, SOCK_RAW, 0), ESOCKTNOSUPPORT);
	FAILS_WITH(tapir_socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	FAILS_WITH(tapir_socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	int fd = tapir_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tapir_close(fd), 0);
	/* The lowest free descriptor comes back, as POSIX hands them out. */
	ck_assert_int_eq(tapir_socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP), fd);
	ck_assert_int_eq(tapir_close(fd), 0);
}
END_TEST

START_TEST(test_bad_addresses)
{
	int fd = tapir_socket(AF_INET, SOCK_STREAM, 0), other = tapir_socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = np_addr(0, 8080), six = sin;
	six.sin_family = AF_INET6;
	FAILS_WITH(tapir_bind(fd, NULL, sizeof(sin)), EFAULT);
	FAILS_WITH(tapir_bind(fd, (struct sockaddr *)&sin, sizeof(sin) - 1), EINVAL);
	FAILS_WITH(tapir_bind(fd, (struct sockaddr *)&sin, 0), EINVAL);
	FAILS_WITH(tapir_bind(fd, (struct sockaddr *)&sin, 100000), EINVAL);
	FAILS_WITH(tapir_bind(fd, (struct sockaddr *)&six, sizeof(six)), EAFNOSUPPORT);
	struct sockaddr_in foreign = np_addr(NP_B_IP, 8080);      /* B's, not A's */
	FAILS_WITH(tapir_bind(fd, (struct sockaddr *)&foreign, sizeof(foreign)), EADDRNOTAVAIL);
	/* Any alignment: the address sits one byte into a buffer. */
	char unaligned[sizeof(sin) + 1];
	memcpy(unaligned + 1, &sin, sizeof(sin));
	ck_assert_int_eq(tapir_bind(fd, (struct sockaddr *)(unaligned + 1), sizeof(sin)), 0);
	FAILS_WITH(tapir_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), EINVAL);
	FAILS_WITH(tapir_bind(other, (struct sockaddr *)&sin, sizeof(sin)), EADDRINUSE);
	FAILS_WITH(tapir_connect(other, NULL, sizeof(sin)), EFAULT);
	FAILS_WITH(tapir_connect(other, (struct sockaddr *)&sin, 3), EINVAL);
	FAILS_WITH(tapir_connect(other, (struct sockaddr *)&six, sizeof(six)), EAFNOSUPPORT);
	struct sockaddr_in got;
	socklen_t len = sizeof(got);
	FAILS_WITH(tapir_getsockname(fd, NULL, &len), EFAULT);
	FAILS_WITH(tapir_getsockname(fd, (struct sockaddr *)&got, NULL), EFAULT);
	FAILS_WITH(tapir_getpeername(fd, (struct sockaddr *)&got, &len), ENOTCONN);
	ck_assert_int_eq(tapir_getsockname(fd, (struct sockaddr *)&got, &len), 0);
	ck_assert_uint_eq(ntohs(got.sin_port), 8080);
	tapir_close(fd);
	tapir_close(other);
}
END_TEST

START_TEST(test_bad_state_and_flags)
{
	int t = tapir_socket(AF_INET, SOCK_STREAM, 0), u = tapir_socket(AF_INET, SOCK_DGRAM, 0);
	char buf[8];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	FAILS_WITH(tapir_send(t, "x", 1, 0), ENOTCONN);
	FAILS_WITH(tapir_recv(t, buf, 1, 0), ENOTCONN);
	FAILS_WITH(tapir_shutdown(t, SHUT_WR), ENOTCONN);
	FAILS_WITH(tapir_accept(t, NULL, NULL), EINVAL);
	FAILS_WITH(tapir_listen(u, 5), EOPNOTSUPP);
	FAILS_WITH(tapir_send(t, NULL, 5, 0), EFAULT);
	FAILS_WITH(tapir_recv(t, NULL, 5, 0), EFAULT);
	FAILS_WITH(tapir_recvfrom(u, buf, 1, 0, (struct sockaddr *)&from, NULL), EFAULT);
	FAILS_WITH(tapir_send(t, "x", 1, MSG_OOB), EOPNOTSUPP);
	FAILS_WITH(tapir_recv(t, buf, 1, MSG_OOB), EOPNOTSUPP);
	FAILS_WITH(tapir_send(u, "x", 1, 0), EDESTADDRREQ);
	struct sockaddr_in to = np_addr(NP_B_IP, 9);
	FAILS_WITH(tapir_sendto(u, "x", 1, 0, (struct sockaddr *)&to, 2), EINVAL);
	ck_assert_int_eq(tapir_listen(t, 5), 0);
	FAILS_WITH(tapir_accept4(t, NULL, NULL, 0x4000000), EINVAL);
	FAILS_WITH(tapir_accept(t, (struct sockaddr *)&from, NULL), EFAULT);
	FAILS_WITH(tapir_connect(t, (struct sockaddr *)&to, sizeof(to)), EINVAL);
	FAILS_WITH(tapir_fcntl(t, F_DUPFD, 0), EINVAL);
	(void)len;
	tapir_close(t);
	tapir_close(u);
}
END_TEST

START_TEST(test_bad_options)
{
	int t = tapir_socket(AF_INET, SOCK_STREAM, 0), u = tapir_socket(AF_INET, SOCK_DGRAM, 0);
	int v = 1;
	socklen_t len = sizeof(v);
	struct timeval tv = {.tv_usec = 2000000};
	struct linger l;
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_REUSEADDR, NULL, sizeof(v)), EFAULT);
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)), ENOPROTOOPT);
	FAILS_WITH(tapir_setsockopt(t, 12345, 1, &v, sizeof(v)), ENOPROTOOPT);
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_ERROR, &v, sizeof(v)), ENOPROTOOPT);
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), EDOM);
	tv = (struct timeval){.tv_sec = -1};
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), EINVAL);
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv) - 1), EINVAL);
	FAILS_WITH(tapir_setsockopt(t, SOL_SOCKET, SO_LINGER, &l, sizeof(l) - 1), EINVAL);
	FAILS_WITH(tapir_setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), ENOPROTOOPT);
	v = 10;
	FAILS_WITH(tapir_setsockopt(t, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), EINVAL);
	FAILS_WITH(tapir_getsockopt(t, SOL_SOCKET, SO_ERROR, NULL, &len), EFAULT);
	FAILS_WITH(tapir_getsockopt(t, SOL_SOCKET, SO_ERROR, &v, NULL), EFAULT);
	len = 2;
	FAILS_WITH(tapir_getsockopt(t, SOL_SOCKET, SO_ERROR, &v, &len), EINVAL);
	len = sizeof(l) - 1;
	FAILS_WITH(tapir_getsockopt(t, SOL_SOCKET, SO_LINGER, &l, &len), EINVAL);
	len = sizeof(v);
	FAILS_WITH(tapir_getsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, &len), ENOPROTOOPT);
	FAILS_WITH(tapir_getsockopt(t, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);

	/* What is valid round-trips. */
	l = (struct linger){.l_onoff = 1, .l_linger = 3};
	ck_assert_int_eq(tapir_setsockopt(t, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
	memset(&l, 0, sizeof(l));
	len = sizeof(l);
	ck_assert_int_eq(tapir_getsockopt(t, SOL_SOCKET, SO_LINGER, &l, &len), 0);
	ck_assert_int_eq(l.l_onoff, 1);
	ck_assert_int_eq(l.l_linger, 3);
	tv = (struct timeval){.tv_sec = 2, .tv_usec = 500};
	ck_assert_int_eq(tapir_setsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
	memset(&tv, 0, sizeof(tv));
	len = sizeof(tv);
	ck_assert_int_eq(tapir_getsockopt(t, SOL_SOCKET, SO_SNDTIMEO, &tv, &len), 0);
	ck_assert_int_eq(tv.tv_sec, 2);
	ck_assert_int_eq(tv.tv_usec, 500);
	v = 65536;
	ck_assert_int_eq(tapir_setsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	len = sizeof(v);
	ck_assert_int_eq(tapir_getsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	ck_assert_int_eq(v, 65536);
	v = 1;
	ck_assert_int_eq(tapir_setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0);
	v = 0;
	ck_assert_int_eq(tapir_getsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(tapir_getsockopt(u, SOL_SOCKET, SO_PROTOCOL, &v, &len), 0);
	ck_assert_int_eq(v, IPPROTO_UDP);
	ck_assert_int_eq(tapir_getsockopt(u, SOL_SOCKET, SO_DOMAIN, &v, &len), 0);
	ck_assert_int_eq(v, AF_INET);

	/* TCP_CONGESTION takes and gives a name, as on Linux. */
	char algo[16] = "";
	len = sizeof(algo);
	ck_assert_int_eq(tapir_getsockopt(t, IPPROTO_TCP, TCP_CONGESTION, algo, &len), 0);
	ck_assert_str_eq(algo, "cubic");
	ck_assert_int_eq(tapir_setsockopt(t, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	len = sizeof(algo);
	ck_assert_int_eq(tapir_getsockopt(t, IPPROTO_TCP, TCP_CONGESTION, algo, &len), 0);
	ck_assert_str_eq(algo, "reno");
	ck_assert_uint_eq(len, 5);
	FAILS_WITH(tapir_setsockopt(t, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3), ENOENT);
	FAILS_WITH(tapir_setsockopt(u, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), ENOPROTOOPT);
	tapir_close(t);
	tapir_close(u);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("socket_args");
	TCase *tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bad_descriptors);
	tcase_add_test(tc, test_bad_socket_args);
	tcase_add_test(tc, test_bad_addresses);
	tcase_add_test(tc, test_bad_state_and_flags);
	tcase_add_test(tc, test_bad_options);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(suite());
}
