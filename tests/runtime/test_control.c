/*
 * test_control.c - the control socket `tapir stat` reads (tapir/control.h),
 * served by a running loop: every request answered in the documented
 * format with real connections in it; a stale socket file replaced, a live
 * one and a foreign file refused, the file removed at close; and hostile
 * clients (oversized, unknown and binary requests, silent clients filling
 * every slot) never stall the loop. No root: the socket is in a temp dir.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "netpair.h"
#include "tapir/control.h"
#include "tapir/loop.h"
#include "tapir/socket.h"
#include "check_main.h"

#define PORT 7000

static struct netpair np;
static char dir[64], path[96];
static struct tp_control *ctl;

static struct tp_control *open_on(struct tp_loop *loop, const char *at, char *err, size_t n)
{
	tp_loop_lock(loop);
	struct tp_control *c = tp_control_open(loop, at, "tapA", err, n);
	tp_loop_unlock(loop);
	return c;
}

static void close_on(struct tp_loop *loop, struct tp_control *c)
{
	tp_loop_lock(loop);
	tp_control_close(c);
	tp_loop_unlock(loop);
}

static void setup(void)
{
	char err[256];
	netpair_start(&np, NULL);
	snprintf(dir, sizeof(dir), "/tmp/tapir-control-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	ctl = open_on(np.loop[1], path, err, sizeof(err));
	ck_assert_msg(ctl != NULL, "%s", err);
}

static void teardown(void)
{
	close_on(np.loop[1], ctl);
	netpair_stop(&np);
	unlink(path);
	rmdir(dir);
}

static char *query(const char *request)
{
	char *answer = NULL;
	int e = tp_control_query(path, request, &answer);
	ck_assert_msg(e == 0, "query %s: %s", request, strerror(-e));
	return answer;
}

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += !strncmp(p, prefix, len);
	return n;
}

static int ends_with_end(const char *text)
{
	size_t n = strlen(text);
	return n >= 4 && !strcmp(text + n - 4, "end\n");
}

/* A raw client: connected, nothing sent yet. */
static int raw_client(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Everything the server writes before it closes (10 s at most). */
static void read_all(int fd, char *buf, size_t size)
{
	size_t got = 0;
	ssize_t n;
	while (got + 1 < size && (n = recv(fd, buf + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

START_TEST(test_requests_answered)
{
	int l = np_listen(np.loop[1], PORT);
	int c = np_connect(NP_B_IP, PORT);
	ck_assert_int_ge(c, 0);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);

	char *a = query("conns");
	ck_assert_msg(!strncmp(a, "tapir version=1 name=tapA pid=", 30), "%s", a);
	ck_assert(ends_with_end(a));
	ck_assert_ptr_nonnull(strstr(a, "tcp state=LISTEN local=0.0.0.0:7000 peer=0.0.0.0:0 "));
	ck_assert_msg(strstr(a, "tcp state=ESTABLISHED local=10.0.0.2:7000 peer=10.0.0.1:") ||
		      strstr(a, "tcp state=SYN_RECEIVED local=10.0.0.2:7000"), "%s", a);
	ck_assert_ptr_nonnull(strstr(a, " backlog=16 "));
	/* The listener negotiated nothing; both ends offer every option. */
	ck_assert_ptr_nonnull(strstr(a, " sack=0 ts=0 snd_wscale=-1 rcv_wscale=-1 queue=0\n"));
	ck_assert_msg(strstr(a, " sack=1 ts=1 snd_wscale="), "%s", a);
	free(a);

	a = query("listeners");
	ck_assert_int_eq(count_lines_starting(a, "tcp "), 1);
	free(a);

	a = query("summary");
	ck_assert_int_eq(count_lines_starting(a, "state name="), 11);
	ck_assert_ptr_nonnull(strstr(a, "\nstate name=CLOSED count=0\nstate name=LISTEN count=1\n"));
	ck_assert_ptr_nonnull(strstr(a, "state name=TIME_WAIT count=0\nend\n"));
	free(a);

	a = query("counters");
	ck_assert_int_eq(count_lines_starting(a, "counter name="), TP_STAT_COUNT);
	ck_assert_ptr_nonnull(strstr(a, "\ncounter name=eth.in value="));
	ck_assert_ptr_nonnull(strstr(a, "\ncounter name=tcp.passive_opens value=1\n"));
	free(a);

	int u = tapir_socket_on(np.loop[1], AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sin = np_addr(0, 5353);
	ck_assert_int_eq(tapir_bind(u, (struct sockaddr *)&sin, sizeof(sin)), 0);
	a = query("udp");
	ck_assert_msg(strstr(a, "\nudp local=0.0.0.0:5353 peer=0.0.0.0:0 queued=0 queued_bytes=0 fd="),
		      "%s", a);
	free(a);
	tapir_close(u);
	tapir_close(c);
	tapir_close(l);
}
END_TEST

/* Two stacks on two threads under one control socket, as a multi-queue
 * TAP runs them: each one's sockets with its queue=, counters summed. */
START_TEST(test_stacks_added)
{
	int l = np_listen(np.loop[1], PORT);
	int c = np_connect(NP_B_IP, PORT);
	ck_assert_int_ge(c, 0);
	tp_loop_lock(np.loop[1]);
	ck_assert_int_eq(tp_control_add_stack(ctl, np.loop[0]), 0);
	tp_loop_unlock(np.loop[1]);

	char *a = query("conns");
	ck_assert_msg(strstr(a, " stacks=2\n"), "%s", a);
	ck_assert_ptr_nonnull(strstr(a, "tcp state=LISTEN local=0.0.0.0:7000 peer=0.0.0.0:0 "));
	/* B (queue 0) holds the listener and the accepted side, A (queue 1) the client. */
	ck_assert_msg(strstr(a, "local=10.0.0.1:") && strstr(a, " queue=1\n"), "%s", a);
	ck_assert_int_eq(count_lines_starting(a, "tcp "), 3);
	free(a);

	a = query("counters");
	uint64_t want = 0;
	for (int i = 0; i < 2; i++) {
		tp_loop_lock(np.loop[i]);
		want += tp_stat(np.stack[i], TP_STAT_TCP_ACTIVE_OPENS) +
			tp_stat(np.stack[i], TP_STAT_TCP_PASSIVE_OPENS);
		tp_loop_unlock(np.loop[i]);
	}
	ck_assert_uint_eq(want, 2);
	ck_assert_ptr_nonnull(strstr(a, "\ncounter name=tcp.active_opens value=1\n"));
	ck_assert_ptr_nonnull(strstr(a, "\ncounter name=tcp.passive_opens value=1\n"));
	free(a);
	tapir_close(c);
	tapir_close(l);
}
END_TEST

START_TEST(test_bad_requests)
{
	char *a = query("bogus");
	ck_assert_str_eq(a, "error unknown request 'bogus': ask for conns, listeners, udp, counters "
			    "or summary\n");
	free(a);
	ck_assert_int_eq(tp_control_query(path, "two\nlines", &a), -EINVAL);

	/* Control bytes come back as '?'; CRLF is accepted. */
	int fd = raw_client();
	char buf[512];
	ck_assert_int_eq(send(fd, "\033[2Jx\r\n", 7, 0), 7);
	read_all(fd, buf, sizeof(buf));
	ck_assert_msg(!strncmp(buf, "error unknown request '?[2Jx'", 29), "%s", buf);
	close(fd);
	fd = raw_client();
	ck_assert_int_eq(send(fd, "summary\r\n", 9, 0), 9);
	read_all(fd, buf, sizeof(buf));
	ck_assert(!strncmp(buf, "tapir ", 6));
	close(fd);

	/* A line that never ends is cut off at the limit. */
	fd = raw_client();
	char big[200];
	memset(big, 'a', sizeof(big));
	ck_assert_int_eq(send(fd, big, sizeof(big), MSG_NOSIGNAL), (ssize_t)sizeof(big));
	read_all(fd, buf, sizeof(buf));
	ck_assert_str_eq(buf, "error the request is longer than 63 bytes\n");
	close(fd);
}
END_TEST

START_TEST(test_silent_clients_cannot_stall)
{
	int silent[8], extra;
	for (int i = 0; i < 8; i++)
		silent[i] = raw_client();
	/* Every slot is held: one more is told so at once, not left waiting. */
	extra = raw_client();
	char buf[256];
	read_all(extra, buf, sizeof(buf));
	ck_assert_msg(!strncmp(buf, "error busy", 10), "%s", buf);
	close(extra);
	/* The loop still runs: the stack answers TCP meanwhile. */
	int l = np_listen(np.loop[1], PORT);
	int c = np_connect(NP_B_IP, PORT);
	ck_assert_int_ge(c, 0);
	tapir_close(c);
	tapir_close(l);
	/* Silent clients are dropped after their 5 s: the server closes them. */
	int64_t start = np_now_ms();
	read_all(silent[0], buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	ck_assert_int_lt(np_now_ms() - start, 9000);
	for (int i = 0; i < 8; i++)
		close(silent[i]);
	char *a = query("summary");
	ck_assert(ends_with_end(a));
	free(a);
}
END_TEST

START_TEST(test_client_gone_midway)
{
	/* Asks, then leaves without reading: nothing breaks. */
	for (int i = 0; i < 20; i++) {
		int fd = raw_client();
		ck_assert_int_eq(send(fd, "counters\n", 9, 0), 9);
		close(fd);
	}
	char *a = query("counters");
	ck_assert(ends_with_end(a));
	free(a);
}
END_TEST

START_TEST(test_socket_file_lifecycle)
{
	char err[256], other[160];
	/* A live one is refused, and stays. */
	ck_assert_ptr_null(open_on(np.loop[0], path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "another tapir is already running with control socket "), "%s", err);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_int_eq(access(path, F_OK), 0);

	/* A file that is not a socket is never replaced. */
	snprintf(other, sizeof(other), "%s/plain", dir);
	int fd = open(other, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_ptr_null(open_on(np.loop[0], other, err, sizeof(err)));
	ck_assert_msg(strstr(err, "is not a socket"), "%s", err);
	ck_assert_int_eq(errno, EEXIST);
	unlink(other);

	/* Closing removes the file; then nobody answers. */
	close_on(np.loop[1], ctl);
	ck_assert_int_eq(access(path, F_OK), -1);
	char *a;
	ck_assert_int_eq(tp_control_query(path, "conns", &a), -ENOENT);

	/* A socket file left by a crash (bound, nobody listening) is replaced. */
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	ck_assert_int_eq(tp_control_query(path, "conns", &a), -ECONNREFUSED);
	ctl = open_on(np.loop[1], path, err, sizeof(err));
	ck_assert_msg(ctl != NULL, "%s", err);
	a = query("conns");
	free(a);
}
END_TEST

START_TEST(test_paths)
{
	char buf[200];
	ck_assert_int_eq(tp_control_default_path("tap0", buf, sizeof(buf)), 0);
	ck_assert_msg(!strncmp(buf, "/run/tapir/tap0", 15), "%s", buf);
	ck_assert_msg(strlen(buf) > 5 && !strcmp(buf + strlen(buf) - 5, ".sock"), "%s", buf);
	ck_assert_int_eq(tp_control_default_path("tap0", buf, 10), -ENAMETOOLONG);
	char err[256], longpath[300];
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	ck_assert_ptr_null(open_on(np.loop[0], longpath, err, sizeof(err)));
	ck_assert_msg(strstr(err, "too long"), "%s", err);
	ck_assert_ptr_null(open_on(np.loop[0], "/nonexistent-dir/x.sock", err, sizeof(err)));
	ck_assert_msg(strstr(err, "--control"), "%s", err);
	ck_assert_int_eq(errno, ENOENT);
	char *a;
	ck_assert_int_eq(tp_control_query(longpath, "conns", &a), -ENAMETOOLONG);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("control");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_requests_answered);
	tcase_add_test(tc, test_stacks_added);
	tcase_add_test(tc, test_bad_requests);
	tcase_add_test(tc, test_silent_clients_cannot_stall);
	tcase_add_test(tc, test_client_gone_midway);
	tcase_add_test(tc, test_socket_file_lifecycle);
	tcase_add_test(tc, test_paths);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(suite());
}
