/* control.c - the control socket: paths, the server on the loop thread,
 * the answers, and the client's query; see tapir/control.h. */
#define _GNU_SOURCE             /* accept4 */
#include "tapir/control.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tapir/sock.h"

#define CONTROL_PROTOCOL_VERSION 1
#define CONTROL_MAX_CLIENTS 8
#define CONTROL_REQUEST_MAX 64          /* a request line with its "\n" */
#define CONTROL_ANSWER_MAX (4u << 20)
#define CONTROL_ANSWER_TAIL 128         /* kept free for the "truncated" and "end" lines */
#define CONTROL_CLIENT_TIMEOUT TP_SEC(5)
#define CONTROL_ACCEPTS_PER_WAKE 16
#define CONTROL_QUERY_TIMEOUT_MS 5000
#define CONTROL_QUERY_ANSWER_MAX (8u << 20)
#define CONTROL_STACKS_MAX 64           /* the first loop's and those added */

/* --- paths -------------------------------------------------------------- */

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* "" in the host's own network namespace, else "@" and the namespace's
 * `ip netns` name, else "@net" and its inode number. When pid 1's
 * namespace cannot be read (not root), a namespace with no name is taken
 * to be the host's. */
static void netns_suffix(char *buf, size_t size)
{
	struct stat self, init;
	buf[0] = '\0';
	if (stat("/proc/self/ns/net", &self) < 0)
		return;
	int init_known = stat("/proc/1/ns/net", &init) == 0;
	if (init_known && same_file(&self, &init))
		return;
	DIR *dir = opendir("/run/netns");
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		char path[300];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (stat(path, &st) == 0 && same_file(&st, &self)) {
			snprintf(buf, size, "@%s", e->d_name);
			break;
		}
	}
	if (dir)
		closedir(dir);
	if (!buf[0] && init_known)
		snprintf(buf, size, "@net%llu", (unsigned long long)self.st_ino);
}

int tp_control_default_path(const char *tap_name, char *buf, size_t size)
{
	char suffix[280];
	struct sockaddr_un sun;
	netns_suffix(suffix, sizeof(suffix));
	int n = snprintf(buf, size, TP_CONTROL_DIR "/%s%s.sock", tap_name, suffix);
	if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static int unix_address(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!*path || strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path));
	return 0;
}

/* --- answers --------------------------------------------------------------- */

struct answer {
	char *buf;
	size_t len, cap;
	uint64_t omitted;           /* lines dropped at the size limit */
};

static void answer_line(struct answer *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void answer_line(struct answer *a, const char *fmt, ...)
{
	char line[1024];          /* a tcp record at its widest is ~420 */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 1)
		return;                 /* never: every record is far shorter */
	line[n++] = '\n';
	if (a->omitted || a->len + (size_t)n > CONTROL_ANSWER_MAX - CONTROL_ANSWER_TAIL) {
		a->omitted++;
		return;
	}
	if (a->len + (size_t)n > a->cap) {
		size_t cap = a->cap ? a->cap : 4096;
		while (cap < a->len + (size_t)n)
			cap *= 2;
		char *grown = realloc(a->buf, cap);
		if (!grown) {
			a->omitted++;
			return;
		}
		a->buf = grown;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, line, (size_t)n);
	a->len += (size_t)n;
}

/* The closing lines always fit: room for them was kept. */
static void answer_finish(struct answer *a)
{
	uint64_t omitted = a->omitted;
	a->omitted = 0;
	if (omitted)
		answer_line(a, "truncated omitted=%llu", (unsigned long long)omitted);
	answer_line(a, "end");
}

static void format_endpoint(tp_ip4 addr, uint16_t port, char *buf)
{
	char a[16];
	sprintf(buf, "%s:%u", tp_ip4_format(addr, a), (unsigned)port);
}

struct tcp_walk {
	struct answer *answer;
	int listeners_only;
	unsigned queue;             /* the stack's index in the control's list */
	uint64_t per_state[TP_TCP_STATE_COUNT];
};

static void tcp_record(void *ctx, const struct tp_tcp_info *i)
{
	struct tcp_walk *w = ctx;
	char local[24], peer[24];
	if (w->listeners_only && strcmp(i->state, "LISTEN"))
		return;
	format_endpoint(i->laddr, i->lport, local);
	format_endpoint(i->raddr, i->rport, peer);
	answer_line(w->answer,
		    "tcp state=%s local=%s peer=%s recv_q=%u send_q=%u snd_wnd=%u rcv_wnd=%u "
		    "cwnd=%u ssthresh=%u mss=%u srtt_us=%llu rto_us=%llu retrans=%llu "
		    "bytes_in=%llu bytes_out=%llu accept_q=%u syn_q=%u backlog=%u fd=%d "
		    "sack=%u ts=%u snd_wscale=%d rcv_wscale=%d queue=%u",
		    i->state, local, peer, i->recv_q, i->send_q, i->snd_wnd, i->rcv_wnd, i->cwnd,
		    i->ssthresh, i->mss, (unsigned long long)i->srtt, (unsigned long long)i->rto,
		    (unsigned long long)i->retransmits, (unsigned long long)i->bytes_in,
		    (unsigned long long)i->bytes_out, i->accept_q, i->syn_q, i->backlog, i->fd,
		    i->sack, i->timestamps, i->snd_wscale, i->rcv_wscale, w->queue);
}

static void count_state(void *ctx, const struct tp_tcp_info *i)
{
	struct tcp_walk *w = ctx;
	for (unsigned s = 0; s < TP_TCP_STATE_COUNT; s++)
		if (!strcmp(i->state, tp_tcp_state_name(s)))
			w->per_state[s]++;
}

static void udp_record(void *ctx, const struct tp_udp_info *i)
{
	struct tcp_walk *w = ctx;
	char local[24], peer[24];
	format_endpoint(i->laddr, i->lport, local);
	format_endpoint(i->raddr, i->rport, peer);
	answer_line(w->answer, "udp local=%s peer=%s queued=%u queued_bytes=%u fd=%d queue=%u",
		    local, peer, i->queued_dgrams, i->queued_bytes, i->fd, w->queue);
}

/* --- the server ------------------------------------------------------------- */

struct control_client {
	struct tp_control *ctl;
	int fd;                     /* -1: a free slot */
	char request[CONTROL_REQUEST_MAX];
	size_t request_len;
	struct answer answer;
	size_t sent;
	int answering;              /* the answer is built; only writing is left */
	struct tp_loop_timer *deadline;
};

struct tp_control {
	struct tp_loop *loop;
	/* The stacks answered for: [0] is loop's own, the rest are other
	 * threads' (a multi-queue TAP), taken under their core locks. */
	struct tp_loop *stacks[CONTROL_STACKS_MAX];
	unsigned n_stacks;
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[64];
	struct stat bound;          /* the socket file we made, to remove only ours */
	tp_time started;
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

/* Builds the answer to one request line (without its "\n"). */
static void answer_request(struct tp_control *ctl, const char *request, struct answer *a)
{
	static const char *const known[] = {"conns", "listeners", "udp", "counters", "summary"};
	struct tp_stack *s = tp_loop_stack(ctl->loop);
	int is_known = 0;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		is_known |= !strcmp(request, known[i]);
	if (!is_known) {
		/* Quoted with only printable ASCII: a request is anyone's bytes. */
		char shown[CONTROL_REQUEST_MAX];
		size_t n = 0;
		for (const char *p = request; *p && n < sizeof(shown) - 1; p++)
			shown[n++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
		shown[n] = '\0';
		answer_line(a, "error unknown request '%s': ask for conns, listeners, udp, counters "
			       "or summary", shown);
		return;
	}
	answer_line(a, "tapir version=%d name=%s pid=%ld uptime_ms=%llu stacks=%u",
		    CONTROL_PROTOCOL_VERSION, ctl->name, (long)getpid(),
		    (unsigned long long)((tp_now(s) - ctl->started) / 1000u), ctl->n_stacks);
	struct tcp_walk walk = {.answer = a};
	uint64_t counter[TP_STAT_COUNT] = {0};
	walk.listeners_only = !strcmp(request, "listeners");
	for (unsigned k = 0; k < ctl->n_stacks; k++) {
		struct tp_loop *l = ctl->stacks[k];
		struct tp_stack *ks = tp_loop_stack(l);
		walk.queue = k;
		if (k)
			tp_loop_lock(l);
		if (!strcmp(request, "conns") || !strcmp(request, "listeners"))
			tp_tcp_foreach(ks, tcp_record, &walk);
		else if (!strcmp(request, "udp"))
			tp_udp_foreach(ks, udp_record, &walk);
		else if (!strcmp(request, "summary"))
			tp_tcp_foreach(ks, count_state, &walk);
		else
			for (int id = 0; id < TP_STAT_COUNT; id++)
				counter[id] += tp_stat(ks, (enum tp_stat_id)id);
		if (k)
			tp_loop_unlock(l);
	}
	if (!strcmp(request, "counters"))
		for (int id = 0; id < TP_STAT_COUNT; id++)
			answer_line(a, "counter name=%s value=%llu", tp_stat_name((enum tp_stat_id)id),
				    (unsigned long long)counter[id]);
	if (!strcmp(request, "summary"))
		for (unsigned i = 0; i < TP_TCP_STATE_COUNT; i++)
			answer_line(a, "state name=%s count=%llu", tp_tcp_state_name(i),
				    (unsigned long long)walk.per_state[i]);
	answer_finish(a);
}

static void client_end(struct control_client *c)
{
	if (c->fd < 0)
		return;
	tp_loop_del_fd(c->ctl->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	tp_loop_timer_stop(c->deadline);
	free(c->answer.buf);
	memset(&c->answer, 0, sizeof(c->answer));
}

static void client_timed_out(void *ctx)
{
	client_end(ctx);
}

/* Writes what the socket takes; ends the client once all is out. */
static void client_write(struct control_client *c)
{
	while (c->sent < c->answer.len) {
		ssize_t n = send(c->fd, c->answer.buf + c->sent, c->answer.len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			client_end(c);
			return;
		}
		c->sent += (size_t)n;
	}
	client_end(c);
}

static int on_client(void *ctx, int fd, uint32_t events);

/* The answer is built: from now on the client is only written to. */
static void client_start_writing(struct control_client *c)
{
	c->answering = 1;
	client_write(c);
	if (c->fd < 0)
		return;
	/* Most answers go out at once; a big one to a slow reader waits for room. */
	tp_loop_del_fd(c->ctl->loop, c->fd);
	if (tp_loop_add_fd(c->ctl->loop, c->fd, EPOLLOUT, on_client, c) < 0)
		client_end(c);
}

static void client_read(struct control_client *c)
{
	for (;;) {
		size_t room = sizeof(c->request) - c->request_len;
		if (room == 0) {
			c->answer.len = 0;
			answer_line(&c->answer, "error the request is longer than %d bytes",
				    CONTROL_REQUEST_MAX - 1);
			client_start_writing(c);
			return;
		}
		ssize_t n = recv(c->fd, c->request + c->request_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {           /* gone before asking anything */
			client_end(c);
			return;
		}
		char *nl = memchr(c->request + c->request_len, '\n', (size_t)n);
		c->request_len += (size_t)n;
		if (nl) {
			*nl = '\0';
			if (nl > c->request && nl[-1] == '\r')
				nl[-1] = '\0';
			answer_request(c->ctl, c->request, &c->answer);
			client_start_writing(c);
			return;
		}
	}
}

static int on_client(void *ctx, int fd, uint32_t events)
{
	struct control_client *c = ctx;
	(void)fd;
	if (c->answering)
		client_write(c);
	else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
	return 0;               /* a client's trouble never stops the loop */
}

static void refuse_busy(int fd)
{
	static const char busy[] = "error busy: too many clients at once, try again\n";
	ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	/* Read what the client already sent: closing over unread bytes makes
	 * the kernel reset the connection, and the client would see that
	 * instead of the reason. */
	char drain[CONTROL_REQUEST_MAX];
	while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT) > 0)
		;
	(void)n;
	close(fd);
}

/* Frees the slots of clients that hung up but whose hang-up the loop has
 * not handled yet (it comes after this accept in the same wake): a burst of
 * short-lived clients must not make the next one look like a crowd. */
static struct control_client *reap_departed(struct tp_control *ctl)
{
	struct control_client *freed = NULL;
	for (int k = 0; k < CONTROL_MAX_CLIENTS; k++) {
		struct control_client *c = &ctl->clients[k];
		/* POLLHUP: closed both ways (a client that only shut its
		 * writing side may still be waiting for its answer). */
		struct pollfd p = {.fd = c->fd, .events = 0};
		if (c->fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR))) {
			client_end(c);
			freed = c;
		}
	}
	return freed;
}

static int on_listen(void *ctx, int fd, uint32_t events)
{
	struct tp_control *ctl = ctx;
	(void)events;
	for (int i = 0; i < CONTROL_ACCEPTS_PER_WAKE; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return 0;       /* EAGAIN, or out of fds: the next wake tries again */
		struct control_client *c = NULL;
		for (int k = 0; k < CONTROL_MAX_CLIENTS && !c; k++)
			if (ctl->clients[k].fd < 0)
				c = &ctl->clients[k];
		if (!c)
			c = reap_departed(ctl);
		if (!c || tp_loop_add_fd(ctl->loop, cfd, EPOLLIN, on_client, c) < 0) {
			refuse_busy(cfd);
			continue;
		}
		c->fd = cfd;
		c->request_len = 0;
		c->sent = 0;
		c->answering = 0;
		tp_loop_timer_start(c->deadline, CONTROL_CLIENT_TIMEOUT, 0);
	}
	return 0;
}

/* 1: a tapir answers at sun; 0: the file was left by one that died; or a
 * negative errno when that cannot be told. */
static int someone_listens(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int e = errno;
	close(fd);
	if (r == 0 || e == EAGAIN)          /* EAGAIN: alive, its backlog full */
		return 1;
	return e == ECONNREFUSED ? 0 : -e;
}

static int bind_private(int fd, const struct sockaddr_un *sun)
{
	mode_t old = umask(0177);           /* the socket file is born 0600 */
	int r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
	int e = errno;
	umask(old);
	errno = e;
	return r;
}

static int listen_at(struct tp_control *ctl, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	if (unix_address(ctl->path, &sun) < 0) {
		snprintf(err, errlen, "control socket path '%.80s' is empty or too long", ctl->path);
		errno = ENAMETOOLONG;
		return -1;
	}
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->listen_fd < 0) {
		int why = errno;
		snprintf(err, errlen, "control socket: %s", strerror(why));
		errno = why;
		return -1;
	}
	int r = bind_private(ctl->listen_fd, &sun);
	if (r < 0 && errno == EADDRINUSE) {
		if (lstat(ctl->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket: not replacing it", ctl->path);
			errno = EEXIST;
			return -1;
		}
		int live = someone_listens(&sun);
		char usual[sizeof(ctl->path)];
		if (live == 1 && tp_control_default_path(ctl->name, usual, sizeof(usual)) == 0 &&
		    !strcmp(usual, ctl->path)) {
			snprintf(err, errlen, "another tapir is already running on %s (control socket %s)",
				 ctl->name, ctl->path);
			errno = EADDRINUSE;
			return -1;
		}
		if (live == 1) {
			snprintf(err, errlen, "another tapir is already running with control socket %s",
				 ctl->path);
			errno = EADDRINUSE;
			return -1;
		}
		if (live < 0) {
			snprintf(err, errlen, "control socket %s is in use: %s", ctl->path,
				 strerror(-live));
			errno = -live;
			return -1;
		}
		unlink(ctl->path);      /* left by a tapir that died */
		r = bind_private(ctl->listen_fd, &sun);
	}
	if (r < 0 || listen(ctl->listen_fd, CONTROL_MAX_CLIENTS * 2) < 0) {
		int why = errno;
		snprintf(err, errlen, "control socket %s: %s (choose another with --control PATH)",
			 ctl->path, strerror(why));
		errno = why;
		return -1;
	}
	if (lstat(ctl->path, &ctl->bound) < 0)
		memset(&ctl->bound, 0, sizeof(ctl->bound));
	return 0;
}

/* Creates TP_CONTROL_DIR when path is in it; other directories are the
 * user's to make. */
static int make_default_dir(const char *path, char *err, size_t errlen)
{
	size_t dir_len = strlen(TP_CONTROL_DIR);
	if (strncmp(path, TP_CONTROL_DIR "/", dir_len + 1) || strchr(path + dir_len + 1, '/'))
		return 0;
	if (mkdir(TP_CONTROL_DIR, 0755) == 0 || errno == EEXIST)
		return 0;
	int why = errno;
	snprintf(err, errlen, "creating %s: %s (choose another place with --control PATH)",
		 TP_CONTROL_DIR, strerror(why));
	errno = why;
	return -1;
}

struct tp_control *tp_control_open(struct tp_loop *loop, const char *path, const char *name,
				   char *err, size_t errlen)
{
	struct tp_control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		snprintf(err, errlen, "control socket: %s", strerror(ENOMEM));
		return NULL;
	}
	ctl->loop = loop;
	ctl->stacks[0] = loop;
	ctl->n_stacks = 1;
	ctl->listen_fd = -1;
	ctl->started = tp_now(tp_loop_stack(loop));
	snprintf(ctl->name, sizeof(ctl->name), "%s", name);
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	int ok = strlen(path) < sizeof(ctl->path);
	if (!ok) {
		snprintf(err, errlen, "control socket path '%.80s...' is too long", path);
		errno = ENAMETOOLONG;
	}
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		ctl->clients[i].ctl = ctl;
		ctl->clients[i].fd = -1;
		ctl->clients[i].deadline = tp_loop_timer_new(loop, client_timed_out, &ctl->clients[i]);
		if (ok && !ctl->clients[i].deadline) {
			snprintf(err, errlen, "control socket: %s", strerror(ENOMEM));
			errno = ENOMEM;
			ok = 0;
		}
	}
	ok = ok && make_default_dir(path, err, errlen) == 0 && listen_at(ctl, err, errlen) == 0;
	int e;
	if (ok && (e = tp_loop_add_fd(loop, ctl->listen_fd, EPOLLIN, on_listen, ctl)) < 0) {
		snprintf(err, errlen, "watching the control socket: %s", strerror(-e));
		errno = -e;
		ok = 0;
	}
	if (!ok) {
		int why = errno;
		tp_control_close(ctl);
		errno = why;
		return NULL;
	}
	return ctl;
}

int tp_control_add_stack(struct tp_control *ctl, struct tp_loop *loop)
{
	if (ctl->n_stacks == CONTROL_STACKS_MAX)
		return -ENOSPC;
	ctl->stacks[ctl->n_stacks++] = loop;
	return 0;
}

void tp_control_close(struct tp_control *ctl)
{
	if (!ctl)
		return;
	for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		client_end(&ctl->clients[i]);
		tp_loop_timer_free(ctl->clients[i].deadline);
	}
	if (ctl->listen_fd >= 0) {
		tp_loop_del_fd(ctl->loop, ctl->listen_fd);
		close(ctl->listen_fd);
	}
	struct stat now;
	if (ctl->bound.st_ino && lstat(ctl->path, &now) == 0 && same_file(&now, &ctl->bound))
		unlink(ctl->path);
	free(ctl);
}

/* --- the client ------------------------------------------------------------- */

static int64_t ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Waits (bounded by the deadline) until fd is ready for `events`. */
static int await_ready(int fd, short events, const struct timespec *deadline)
{
	for (;;) {
		int64_t left = ms_left(deadline);
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int send_request(int fd, const char *request, const struct timespec *deadline)
{
	char line[CONTROL_REQUEST_MAX];
	int len = snprintf(line, sizeof(line), "%s\n", request);
	if (len < 0 || (size_t)len >= sizeof(line) || strchr(request, '\n'))
		return -EINVAL;
	for (int off = 0; off < len;) {
		int e = await_ready(fd, POLLOUT, deadline);
		if (e < 0)
			return e;
		ssize_t n = send(fd, line + off, (size_t)(len - off), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		off += n > 0 ? (int)n : 0;
	}
	return 0;
}

/* Everything up to the server's close, NUL-terminated, into *answer. */
static int read_answer(int fd, char **answer, const struct timespec *deadline)
{
	size_t cap = 16384, got = 0;
	char *buf = malloc(cap);
	int e = buf ? 0 : -ENOMEM;
	while (e == 0) {
		if (got + 1 == cap) {
			char *grown = cap < CONTROL_QUERY_ANSWER_MAX ? realloc(buf, cap * 2) : NULL;
			if (!grown) {
				e = cap < CONTROL_QUERY_ANSWER_MAX ? -ENOMEM : -EMSGSIZE;
				break;
			}
			buf = grown;
			cap *= 2;
		}
		if ((e = await_ready(fd, POLLIN, deadline)) < 0)
			break;
		ssize_t n = recv(fd, buf + got, cap - 1 - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			e = -errno;
	}
	if (e < 0) {
		free(buf);
		return e;
	}
	buf[got] = '\0';
	*answer = buf;
	return 0;
}

static int query_on(int fd, const struct sockaddr_un *sun, const char *request, char **answer)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += CONTROL_QUERY_TIMEOUT_MS / 1000;
	/* EAGAIN: its backlog is full, as a burst of clients can make it for a
	 * moment. Ask again every 2 ms until the deadline; a tapir that stays
	 * that full is busy. */
	int e;
	while ((e = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0 ? errno : 0) ==
		       EAGAIN && ms_left(&deadline) > 0)
		nanosleep(&(struct timespec){.tv_nsec = 2000000}, NULL);
	if (e)
		return e == EAGAIN ? -EBUSY : -e;
	e = send_request(fd, request, &deadline);
	return e < 0 ? e : read_answer(fd, answer, &deadline);
}

int tp_control_query(const char *path, const char *request, char **answer)
{
	struct sockaddr_un sun;
	*answer = NULL;
	if (unix_address(path, &sun) < 0)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int e = query_on(fd, &sun, request, answer);
	close(fd);
	return e;
}
