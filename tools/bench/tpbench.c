/*
 * tpbench.c - the load generator and the kernel-side servers of
 * tools/bench/run.sh, on plain BSD sockets (so the same program measures
 * tapir over its TAP and the Linux kernel over veth). Not part of tapir.
 *
 * servers (run until killed; a thread per connection):
 *   tpbench sink PORT          read and discard            (tapir: discard, 9)
 *   tpbench source PORT        write zeros until reset     (tapir: chargen, 19)
 *   tpbench echo PORT          echo                        (tapir: echo, 7)
 * clients (print one line of key=value figures):
 *   tpbench send HOST PORT MB STREAMS      MB through each of STREAMS connections
 *   tpbench recv HOST PORT MB STREAMS      read MB from each, then close
 *   tpbench rr HOST PORT SECONDS           1-byte ping-pong: transactions/s, p50, p99
 *   tpbench crr HOST PORT SECONDS THREADS [SRC...]  connect (from the SRC addresses
 *                                          in turn), 1-byte request/answer, close
 *   tpbench hold HOST PORT COUNT SRC...    open COUNT connections from the SRC
 *                                          addresses, report, hold until stdin closes
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "tpbench: bad address %s\n", host);
		exit(2);
	}
	return a;
}

static int dial(const struct sockaddr_in *to, const struct sockaddr_in *from)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (from) {
		/* The port is chosen at connect(), for the whole 4-tuple. */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (const struct sockaddr *)from, sizeof(*from)) < 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* --- servers ---------------------------------------------------------------- */

enum kind { SINK, SOURCE, ECHO };
struct conn_arg { int fd; enum kind kind; };

static void *serve(void *p)
{
	struct conn_arg *a = p;
	static char zeros[CHUNK];
	char *buf = malloc(CHUNK);
	int one = 1;
	setsockopt(a->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (;;) {
		ssize_t n;
		if (a->kind == SOURCE) {
			n = write(a->fd, zeros, sizeof(zeros));
		} else {
			n = read(a->fd, buf, CHUNK);
			if (n > 0 && a->kind == ECHO && write_all(a->fd, buf, (size_t)n) < 0)
				n = -1;
		}
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
	}
	close(a->fd);
	free(buf);
	free(a);
	return NULL;
}

static _Noreturn void server(enum kind kind, const char *port)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4096) < 0)
		die("listen");
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		struct conn_arg *c = malloc(sizeof(*c));
		pthread_t t;
		c->fd = fd;
		c->kind = kind;
		if (pthread_create(&t, &attr, serve, c) != 0) {
			close(fd);
			free(c);
		}
	}
}

/* --- bulk ------------------------------------------------------------------- */

struct bulk { struct sockaddr_in to; uint64_t bytes; int send; int ok; int err; };

static void *bulk_one(void *p)
{
	struct bulk *b = p;
	char *buf = calloc(1, CHUNK);
	int fd = dial(&b->to, NULL);
	uint64_t done = 0;
	while (fd >= 0 && done < b->bytes) {
		size_t want = b->bytes - done < CHUNK ? (size_t)(b->bytes - done) : CHUNK;
		ssize_t n = b->send ? write(fd, buf, want) : read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			b->err = n < 0 ? errno : 0;
			break;
		}
		done += (uint64_t)n;
	}
	if (fd < 0)
		b->err = errno;
	if (fd >= 0 && b->send) {
		/* Done when the peer has it all: its FIN after ours. */
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, CHUNK) > 0)
			;
	}
	b->ok = done == b->bytes;
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int bulk(int send, const char *host, const char *port, const char *mb, const char *streams)
{
	int n = atoi(streams);
	uint64_t bytes = (uint64_t)atoll(mb) << 20;
	if (n < 1 || n > 64 || !bytes)
		return 2;
	struct bulk b[64];
	pthread_t t[64];
	double t0 = now();
	for (int i = 0; i < n; i++) {
		b[i] = (struct bulk){.to = addr_of(host, port), .bytes = bytes, .send = send};
		pthread_create(&t[i], NULL, bulk_one, &b[i]);
	}
	int ok = 1;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		ok &= b[i].ok;
		if (!b[i].ok)
			fprintf(stderr, "tpbench: stream %d ended short: %s\n", i,
				b[i].err ? strerror(b[i].err) : "end of stream");
	}
	double secs = now() - t0;
	if (!ok)
		return 1;
	printf("mb_per_s=%.1f seconds=%.3f\n", (double)bytes * n / secs / 1e6, secs);
	return 0;
}

/* --- request/response ---------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int rr(const char *host, const char *port, const char *seconds)
{
	struct sockaddr_in to = addr_of(host, port);
	int fd = dial(&to, NULL);
	if (fd < 0)
		die("connect");
	double secs = atof(seconds), t0 = now(), end = t0 + secs;
	size_t cap = 1 << 20, n = 0;
	double *lat = malloc(cap * sizeof(*lat));
	char c = 'x';
	while (n < cap) {
		double s = now();
		if (s >= end)
			break;
		if (write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
			die("ping-pong");
		lat[n++] = now() - s;
	}
	double total = now() - t0;
	close(fd);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("tps=%.0f p50_us=%.1f p99_us=%.1f\n", (double)n / total, lat[n / 2] * 1e6,
	       lat[n * 99 / 100] * 1e6);
	free(lat);
	return 0;
}

struct crr {
	struct sockaddr_in to;
	double end;
	uint64_t done, failed;
	char **srcs;
	int nsrc;
};

static void *crr_one(void *p)
{
	struct crr *r = p;
	char c = 'x';
	/* Our side's TIME_WAIT holds each 4-tuple for a minute: several source
	 * addresses keep the ephemeral ports from running out. */
	for (uint64_t i = 0; now() < r->end; i++) {
		struct sockaddr_in from;
		if (r->nsrc)
			from = addr_of(r->srcs[i % (uint64_t)r->nsrc], "0");
		int fd = dial(&r->to, r->nsrc ? &from : NULL);
		if (fd < 0 || write(fd, &c, 1) != 1 || read(fd, &c, 1) != 1)
			r->failed++;
		else
			r->done++;
		if (fd >= 0) {
			/* RST-free close after the answer; the server closes too. */
			close(fd);
		}
	}
	return NULL;
}

static int crr(const char *host, const char *port, const char *seconds, const char *threads,
	       char **srcs, int nsrc)
{
	int n = atoi(threads);
	if (n < 1 || n > 64)
		return 2;
	struct crr r[64];
	pthread_t t[64];
	double t0 = now(), end = t0 + atof(seconds);
	for (int i = 0; i < n; i++) {
		r[i] = (struct crr){.to = addr_of(host, port), .end = end, .srcs = srcs, .nsrc = nsrc};
		pthread_create(&t[i], NULL, crr_one, &r[i]);
	}
	uint64_t done = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		done += r[i].done;
		failed += r[i].failed;
	}
	printf("cps=%.0f failed=%llu\n", (double)done / (now() - t0), (unsigned long long)failed);
	return 0;
}

/* --- many connections ------------------------------------------------------------ */

static int hold(const char *host, const char *port, const char *count, char **srcs, int nsrc)
{
	struct sockaddr_in to = addr_of(host, port);
	long want = atol(count), open_ = 0, failed = 0;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	if ((rlim_t)want + 16 > rl.rlim_max) {
		fprintf(stderr, "tpbench: at most %llu descriptors here: hold fewer per process\n",
			(unsigned long long)rl.rlim_max);
		return 2;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("setrlimit");
	double t0 = now();
	for (long i = 0; i < want && failed < 1000; i++) {
		struct sockaddr_in from = addr_of(srcs[i % nsrc], "0");
		int fd = dial(&to, &from);
		if (fd < 0)
			failed++;
		else
			open_++;
	}
	printf("established=%ld failed=%ld seconds=%.2f\n", open_, failed, now() - t0);
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "sink") && argc == 3)
		server(SINK, argv[2]);
	if (!strcmp(m, "source") && argc == 3)
		server(SOURCE, argv[2]);
	if (!strcmp(m, "echo") && argc == 3)
		server(ECHO, argv[2]);
	if ((!strcmp(m, "send") || !strcmp(m, "recv")) && argc == 6)
		return bulk(!strcmp(m, "send"), argv[2], argv[3], argv[4], argv[5]);
	if (!strcmp(m, "rr") && argc == 5)
		return rr(argv[2], argv[3], argv[4]);
	if (!strcmp(m, "crr") && argc >= 6)
		return crr(argv[2], argv[3], argv[4], argv[5], argv + 6, argc - 6);
	if (!strcmp(m, "hold") && argc >= 6)
		return hold(argv[2], argv[3], argv[4], argv + 5, argc - 5);
	fprintf(stderr, "usage: see the comment at the top of tools/bench/tpbench.c\n");
	return 2;
}
