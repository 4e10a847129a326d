/*
 * socket.c - the BSD-style socket API over the core's non-blocking sockets;
 * see tapir/socket.h for what it offers.
 *
 * Design: a core lock, not message passing.
 * The stack is single-threaded. Other threads could reach it by posting each
 * call to the loop thread (through its eventfd and wake handler) and waiting
 * for the answer, or by taking a lock the loop holds while it works (lwIP's
 * LWIP_TCPIP_CORE_LOCKING). Message passing makes every call, even one that
 * returns at once, pay two thread switches and a wake - the mailbox cost
 * measured on this machine was ~60 us per frame hand-off. The lock costs an
 * uncontended mutex and a clock read, keeps results synchronous (errno comes
 * straight from the core call) and still keeps the packet path on the loop
 * thread: the loop holds the lock from epoll's return to its next wait, so a
 * received frame goes TAP -> tp_input -> reply without changing thread. So:
 *   - tp_loop_lock() (tapir/loop.h) takes the lock and brings the stack's
 *     clock to now (tp_poll), so a call from a thread that finds the stack
 *     idle since long ago stamps RTT samples and timers with the right time;
 *   - tp_loop_unlock() delivers the socket events the calls caused, and if
 *     a call armed a timer earlier than the loop's timerfd (a first
 *     retransmission timer), moves the timerfd itself: no eventfd wake, no
 *     per-call cost when the deadline did not move.
 *
 * Sleeping. A blocking call never sleeps holding the core lock. It hooks a
 * waiter (its own mutex and condition variable) on the socket inside the
 * critical section where its attempt would block, then lets the lock go and
 * sleeps; the socket's core callback (every socket made here has one)
 * fires the waiters after protocol processing. An event after the failed
 * attempt therefore always finds the waiter: no lost wake-up, no spinning,
 * and deadlines (SO_RCVTIMEO, SO_SNDTIMEO, poll) are condvar timeouts on
 * CLOCK_MONOTONIC. A waiter has a mutex of its own so that one tapir_poll()
 * can sleep on sockets of several stacks.
 *
 * Descriptors and close. A descriptor is a reference-counted wrapper over a
 * core socket (whose number the core reuses at once). tapir_close() removes
 * it from the table and marks it closed under the core lock, firing every
 * waiter; they wake, see the mark, return EBADF, and never touch the core
 * socket again. The wrapper is freed with the last reference.
 *
 * Context. Inside a loop callback the thread already holds that loop's lock
 * (tp_loop_lock nests), so calls work there but must not sleep: a would-block
 * result is returned as is (EAGAIN, EINPROGRESS). Another loop's
 * descriptors are refused (EDEADLK): two loops calling into each other
 * under their own locks would deadlock.
 *
 * Lock order: a loop's core lock, then the descriptor table's lock, then a
 * waiter's mutex. Nobody takes a core lock while holding either of the
 * others, and nobody holds two core locks unless nested from a callback of
 * the same loop.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socket_impl.h"
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "tapir/sock.h"

#define POLL_MAX_FDS 65536u      /* poll(2) says EINVAL beyond RLIMIT_NOFILE */
#define POLL_ON_STACK 16         /* descriptors polled without a malloc */

static int fail(int err)
{
	errno = err;
	return -1;
}

/* --- addresses ------------------------------------------------------------------- */

/* A caller's sockaddr_in: any alignment, length checked first. */
static int sin_parse(const struct sockaddr *sa, socklen_t len, tp_ip4 *addr, uint16_t *port)
{
	struct sockaddr_in sin;
	if (!sa)
		return -EFAULT;
	if (len < sizeof(sin) || len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	memcpy(&sin, sa, sizeof(sin));
	if (sin.sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*addr = ntohl(sin.sin_addr.s_addr);
	*port = ntohs(sin.sin_port);
	return 0;
}

void sin_put(struct sockaddr *sa, socklen_t *len, tp_ip4 addr, uint16_t port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(addr);
	memcpy(sa, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
}

/* --- creating, binding, listening, accepting ---------------------------------------- */

static int open_socket(struct tp_loop *loop, int domain, int type, int protocol)
{
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (domain != AF_INET)
		return fail(EAFNOSUPPORT);
	if (base != SOCK_STREAM && base != SOCK_DGRAM)
		return fail(base <= 0 || base > SOCK_PACKET ? EINVAL : ESOCKTNOSUPPORT);
	if (protocol != 0 && protocol != (base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
		return fail(EPROTONOSUPPORT);
	int err;
	struct api_stack *st = api_stack_reserve(loop, &err);
	if (!st)
		return fail(-err);
	if (tp_loop_lock_held(NULL) && !tp_loop_lock_held(st->loop)) {
		api_stack_release(st);
		return fail(EDEADLK);
	}
	tp_loop_lock(st->loop);
	int fd = tp_sock_open(st->stack, base == SOCK_STREAM ? TP_SOCK_STREAM : TP_SOCK_DGRAM);
	if (fd >= 0) {
		int core_fd = fd;
		fd = tsock_create(st, core_fd, base, (flags & SOCK_NONBLOCK) != 0, NULL);
		if (fd < 0)
			tp_sock_close(st->stack, core_fd);
	}
	tp_loop_unlock(st->loop);
	api_stack_release(st);
	return fd < 0 ? fail(-fd) : fd;
}

int tapir_socket(int domain, int type, int protocol)
{
	return open_socket(NULL, domain, type, protocol);
}

int tapir_socket_on(struct tp_loop *loop, int domain, int type, int protocol)
{
	if (!loop)
		return fail(EINVAL);
	return open_socket(loop, domain, type, protocol);
}

int tapir_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	tp_ip4 a;
	uint16_t port;
	r = sin_parse(addr, len, &a, &port);
	if (!r)
		r = tp_sock_bind(c.stack, c.core_fd, a, port);
	return (int)call_end(&c, r);
}

int tapir_listen(int fd, int backlog)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	return (int)call_end(&c, tp_sock_listen(c.stack, c.core_fd, backlog));
}

int tapir_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return (int)call_end(&c, -EINVAL);
	if (addr && !len)
		return (int)call_end(&c, -EFAULT);  /* checked before a connection is taken */
	tp_time deadline = deadline_after(c.so->rcvtimeo);
	for (;;) {
		tp_ip4 peer;
		uint16_t port;
		r = tp_sock_accept(c.stack, c.core_fd, &peer, &port);
		if (r >= 0) {
			int core_fd = r;
			struct tsock *nso;
			r = tsock_create(c.so->st, core_fd, SOCK_STREAM, (flags & SOCK_NONBLOCK) != 0, &nso);
			if (r < 0) {
				tp_sock_close(c.stack, core_fd);
				break;
			}
			/* Linux copies the timeouts to the accepted socket. */
			nso->rcvtimeo = c.so->rcvtimeo;
			nso->sndtimeo = c.so->sndtimeo;
			if (addr)
				sin_put(addr, len, peer, port);
			break;
		}
		if (r != -EAGAIN || !call_may_wait(&c, 0))
			break;
		r = call_wait(&c, deadline);
		if (r < 0) {
			r = r == -ETIMEDOUT ? -EAGAIN : r;
			break;
		}
	}
	return (int)call_end(&c, r);
}

int tapir_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return tapir_accept4(fd, addr, len, 0);
}

/* --- connecting -------------------------------------------------------------------- */

/* A blocking TCP connect after -EINPROGRESS: until ESTABLISHED or the end. */
static int finish_connect(struct call *c)
{
	tp_time deadline = deadline_after(c->so->sndtimeo);
	for (;;) {
		int ev = tp_sock_events(c->stack, c->core_fd);
		if (ev & TP_EV_HUP) {
			/* Failed: report the reason once, as connect(2) does. */
			int e = 0;
			tp_sock_getopt(c->stack, c->core_fd, TP_SO_ERROR, &e);
			if (!e) {
				int again = tp_sock_connect(c->stack, c->core_fd, 0, 0);
				e = again < 0 && again != -EISCONN ? -again : ECONNABORTED;
			}
			return -e;
		}
		/* A soft error (an ICMP report while SYN_SENT) sets only
		 * TP_EV_ERR: the handshake goes on, and so do we. */
		if (ev & TP_EV_OUT)
			return 0;
		int r = call_wait(c, deadline);
		if (r == -ETIMEDOUT)
			return -EINPROGRESS;    /* SO_SNDTIMEO: Linux's answer, it goes on */
		if (r < 0)
			return r;
	}
}

int tapir_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	tp_ip4 a = 0;
	uint16_t port = 0;
	sa_family_t family = AF_INET;
	if (addr && len >= sizeof(family))
		memcpy(&family, &addr->sa_family, sizeof(family));
	if (c.so->type == SOCK_DGRAM && family == AF_UNSPEC)
		r = 0;                          /* dissolves the association */
	else
		r = sin_parse(addr, len, &a, &port);
	if (!r)
		r = tp_sock_connect(c.stack, c.core_fd, a, port);
	if (r == -EINPROGRESS && call_may_wait(&c, 0))
		r = finish_connect(&c);
	return (int)call_end(&c, r);
}

/* --- data ---------------------------------------------------------------------------- */

/* TCP: everything, unless an error or SO_SNDTIMEO stops it first. */
static long send_stream(struct call *c, const uint8_t *buf, size_t len, int flags)
{
	size_t done = 0;
	long r = 0;
	tp_time deadline = TP_TIME_NEVER;
	int waited = 0;
	do {
		r = tp_sock_send(c->stack, c->core_fd, buf + done, len - done);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r != -EAGAIN || !call_may_wait(c, flags))
			break;
		if (!waited++)
			deadline = deadline_after(c->so->sndtimeo);
		r = call_wait(c, deadline);
		if (r < 0) {
			r = r == -ETIMEDOUT ? -EAGAIN : r;
			break;
		}
	} while (done < len);
	return done > 0 ? (long)done : r;
}

ssize_t tapir_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		     socklen_t tolen)
{
	struct call c;
	int err = call_begin(&c, fd);
	if (err < 0)
		return fail(-err);
	long r;
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL))
		r = -EOPNOTSUPP;
	else if (!buf && len)
		r = -EFAULT;
	else if (c.so->type == SOCK_STREAM)
		r = send_stream(&c, buf, len, flags);   /* the address is ignored, as on Linux */
	else if (!to)
		r = tp_sock_send(c.stack, c.core_fd, buf, len);
	else {
		tp_ip4 a;
		uint16_t port;
		r = sin_parse(to, tolen, &a, &port);
		if (!r)
			r = tp_sock_sendto(c.stack, c.core_fd, buf, len, a, port);
	}
	return call_end(&c, r);
}

ssize_t tapir_send(int fd, const void *buf, size_t len, int flags)
{
	return tapir_sendto(fd, buf, len, flags, NULL, 0);
}

static long recv_loop(struct call *c, uint8_t *buf, size_t len, int flags, tp_ip4 *addr,
		      uint16_t *port)
{
	int peek = (flags & MSG_PEEK) != 0;
	int wait_all = (flags & MSG_WAITALL) && !peek && c->so->type == SOCK_STREAM;
	size_t got = 0;
	long r;
	tp_time deadline = TP_TIME_NEVER;
	int waited = 0;
	for (;;) {
		r = tp_sock_recvfrom(c->stack, c->core_fd, buf + got, len - got, peek ? TP_MSG_PEEK : 0,
				     addr, port);
		if (r > 0) {
			got += (size_t)r;
			if (!wait_all || got == len)
				break;
			continue;
		}
		if (r != -EAGAIN || !call_may_wait(c, flags))
			break;
		if (!waited++)
			deadline = deadline_after(c->so->rcvtimeo);
		r = call_wait(c, deadline);
		if (r < 0) {
			r = r == -ETIMEDOUT ? -EAGAIN : r;
			break;
		}
	}
	return got > 0 ? (long)got : r;
}

ssize_t tapir_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
		       socklen_t *fromlen)
{
	struct call c;
	int err = call_begin(&c, fd);
	if (err < 0)
		return fail(-err);
	tp_ip4 a = 0;
	uint16_t port = 0;
	long r;
	if (flags & ~(MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL | MSG_NOSIGNAL))
		r = -EOPNOTSUPP;
	else if ((!buf && len) || (from && !fromlen))
		r = -EFAULT;
	else
		r = recv_loop(&c, buf, len, flags, &a, &port);
	if (r >= 0 && from) {
		if (c.so->type == SOCK_DGRAM)
			sin_put(from, fromlen, a, port);
		else
			*fromlen = 0;
	}
	return call_end(&c, r);
}

ssize_t tapir_recv(int fd, void *buf, size_t len, int flags)
{
	return tapir_recvfrom(fd, buf, len, flags, NULL, NULL);
}

/* --- ending ---------------------------------------------------------------------------- */

int tapir_shutdown(int fd, int how)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	int tp_how = how == SHUT_RD ? TP_SHUT_RD : how == SHUT_WR ? TP_SHUT_WR
		   : how == SHUT_RDWR ? TP_SHUT_RDWR : -1;
	return (int)call_end(&c, tp_how < 0 ? -EINVAL : tp_sock_shutdown(c.stack, c.core_fd, tp_how));
}

/* SO_LINGER with a positive time: until the peer has acknowledged all the
 * data and the FIN, or the time is up. Unread data makes close reset the
 * connection at once instead (RFC 2525 §2.17), so that skips the wait. */
static void linger(struct call *c)
{
	int secs = -1, sendq = 0;
	uint8_t byte;
	tp_sock_getopt(c->stack, c->core_fd, TP_SO_LINGER, &secs);
	if (secs <= 0 || c->so->type != SOCK_STREAM || !call_may_wait(c, 0))
		return;
	if (tp_sock_recv(c->stack, c->core_fd, &byte, 1, TP_MSG_PEEK) > 0)
		return;
	if (tp_sock_shutdown(c->stack, c->core_fd, TP_SHUT_WR) < 0)
		return;                         /* never connected: nothing to deliver */
	tp_time deadline = deadline_after(TP_SEC(secs));
	c->closing = 1;
	while (tp_sock_getopt(c->stack, c->core_fd, TP_SO_SENDQ, &sendq) == 0 && sendq > 0)
		if (call_wait(c, deadline) == -ETIMEDOUT)
			break;
}

int tapir_close(int fd)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	r = tsock_close_begin(&c, fd);
	if (!r) {
		linger(&c);
		tp_sock_close(c.stack, c.core_fd);
	}
	return (int)call_end(&c, r);
}

/* --- poll -------------------------------------------------------------------------------- */

struct poll_slot {
	struct tsock *so;               /* NULL: skipped or unknown */
	struct wait_link link;
};

static short revents_of(int ev, short want)
{
	short r = 0;
	if (ev & TP_EV_IN)
		r |= want & (POLLIN | POLLRDNORM);
	if (ev & TP_EV_OUT)
		r |= want & (POLLOUT | POLLWRNORM);
	if (ev & TP_EV_ERR)
		r |= POLLERR;               /* reported whether asked for or not */
	if (ev & TP_EV_HUP)
		r |= POLLHUP;
	return r;
}

/* One pass: every revents, and waiters hooked where missing. The count of
 * descriptors with something to report. */
static int poll_scan(struct pollfd *fds, struct poll_slot *slot, nfds_t n, struct waiter *w)
{
	int ready = 0;
	for (nfds_t i = 0; i < n; i++) {
		struct tsock *so = slot[i].so;
		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		if (!so) {
			fds[i].revents = POLLNVAL;
		} else {
			tp_loop_lock(so->st->loop);
			if (atomic_load(&so->closed))
				fds[i].revents = POLLNVAL;
			else
				fds[i].revents = revents_of(tp_sock_events(so->st->stack, so->core_fd),
							    fds[i].events);
			if (w && !slot[i].link.linked && !atomic_load(&so->closed))
				wait_link_add(so, &slot[i].link, w);
			tp_loop_unlock(so->st->loop);
		}
		ready += fds[i].revents != 0;
	}
	return ready;
}

int tapir_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	if (n > POLL_MAX_FDS)
		return fail(EINVAL);
	if (!fds && n)
		return fail(EFAULT);
	struct poll_slot on_stack[POLL_ON_STACK];
	struct poll_slot *slot = n <= POLL_ON_STACK ? on_stack : calloc(n, sizeof(*slot));
	if (!slot)
		return fail(ENOMEM);
	int in_callback = tp_loop_lock_held(NULL);
	int err = 0;
	for (nfds_t i = 0; i < n; i++) {
		memset(&slot[i], 0, sizeof(slot[i]));
		slot[i].so = fds[i].fd >= 0 ? tsock_get(fds[i].fd) : NULL;
		if (slot[i].so && in_callback && !tp_loop_lock_held(slot[i].so->st->loop))
			err = EDEADLK;
	}
	int ready = 0;
	int may_sleep = !in_callback && timeout_ms != 0;
	if (!err) {
		tp_time deadline = timeout_ms < 0 ? TP_TIME_NEVER : tp_clock_now() + TP_MSEC(timeout_ms);
		struct waiter w;
		waiter_init(&w);
		for (;;) {
			/* Armed before the scan: an event during or after it fires. */
			waiter_arm(&w);
			ready = poll_scan(fds, slot, n, may_sleep ? &w : NULL);
			if (ready || !may_sleep || waiter_sleep(&w, deadline) == -ETIMEDOUT)
				break;
		}
		/* `linked` is the core lock's to read: a close may clear it. */
		for (nfds_t i = 0; i < n && may_sleep; i++) {
			if (!slot[i].so)
				continue;
			tp_loop_lock(slot[i].so->st->loop);
			wait_link_remove(slot[i].so, &slot[i].link);
			tp_loop_unlock(slot[i].so->st->loop);
		}
		waiter_destroy(&w);
	}
	for (nfds_t i = 0; i < n; i++)
		if (slot[i].so)
			tsock_unref(slot[i].so);
	if (slot != on_stack)
		free(slot);
	return err ? fail(err) : ready;
}
