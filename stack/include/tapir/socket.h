/*
 * socket.h - BSD sockets over tapir, from any thread, blocking or not.
 *
 * A program written against it reads like a BSD sockets program: the calls
 * take the system's types and constants (struct sockaddr_in, socklen_t,
 * SOL_SOCKET, SO_*, IPPROTO_TCP, TCP_NODELAY, SHUT_*, POLL*, MSG_*), return
 * -1 with errno set as POSIX says, and never raise SIGPIPE (EPIPE instead).
 * A client that sends a line and prints the answer:
 *
 *     tapir_attach(loop);            // the loop runs tp_loop_run() on its thread
 *     int fd = tapir_socket(AF_INET, SOCK_STREAM, 0);
 *     struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(7)};
 *     inet_pton(AF_INET, "10.0.0.1", &to.sin_addr);
 *     if (tapir_connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
 *             err(1, "connect");     // ECONNREFUSED, ETIMEDOUT, ...
 *     tapir_send(fd, "hello\n", 6, 0);
 *     char buf[64];
 *     ssize_t n = tapir_recv(fd, buf, sizeof(buf), 0);
 *     printf("%.*s", (int)(n > 0 ? n : 0), buf);
 *     tapir_close(fd);
 *
 * Descriptors are tapir's own small integers, not kernel fds: pass them
 * only to tapir_* calls (tapir_poll, not poll(2)).
 *
 * Stacks. BSD calls name no stack, so tapir_attach() binds the API to the
 * stack a loop drives; the first loop attached (and still attached) is the
 * process-wide default for tapir_socket(). Several may be attached (tests
 * run two stacks in one process): tapir_socket_on() picks one, an accepted
 * socket lives on its listener's stack, every other call follows the fd.
 *
 * Threads. The stack runs on its loop's thread; other threads call it under
 * the loop's core lock (tapir/loop.h).
 *   - From any thread that is not inside a loop callback, calls block when
 *     the socket is blocking (the default): they sleep until a readiness
 *     event, never spin, and honour SO_RCVTIMEO / SO_SNDTIMEO (EAGAIN when
 *     they expire; connect() gives EINPROGRESS then, as on Linux, and goes
 *     on in the background) and tapir_poll()'s timeout.
 *   - Inside a loop's callbacks (fd, timer or socket callbacks, which run
 *     holding that loop's lock) nothing ever blocks: a call that would
 *     returns EAGAIN (connect: EINPROGRESS) even on a blocking socket,
 *     tapir_poll() does not wait, and a SO_LINGER close does not linger.
 *     Use descriptors of that loop's stack only: another stack's are
 *     refused with EDEADLK, since two loops calling into each other would
 *     deadlock. tapir_set_callback() gives such code readiness events.
 *   - tapir_close() from one thread wakes every call blocked on the
 *     descriptor in others; they return EBADF.
 */
#ifndef TAPIR_SOCKET_H
#define TAPIR_SOCKET_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tp_loop;

/* Makes loop's stack usable through this API. -1 with errno EEXIST (already
 * attached), EINVAL (NULL) or ENOMEM. */
int tapir_attach(struct tp_loop *loop);
/* Closes every descriptor on loop's stack (calls blocked on them return
 * EBADF), waits until no call is still inside one, and forgets the loop;
 * the next attached loop becomes the default. Not from a loop callback
 * (EDEADLK). Free the loop only after this. */
int tapir_detach(struct tp_loop *loop);

/* AF_INET only; SOCK_STREAM (TCP) or SOCK_DGRAM (UDP), optionally with
 * SOCK_NONBLOCK (SOCK_CLOEXEC is accepted and means nothing here);
 * protocol 0 or the matching IPPROTO_TCP / IPPROTO_UDP. Created on the
 * default stack, or inside a loop callback on that loop's stack. ENETDOWN
 * when no stack is attached. */
int tapir_socket(int domain, int type, int protocol);
int tapir_socket_on(struct tp_loop *loop, int domain, int type, int protocol);

int tapir_bind(int fd, const struct sockaddr *addr, socklen_t len);
int tapir_listen(int fd, int backlog);
/* Blocks until a connection is established (SO_RCVTIMEO bounds it). */
int tapir_accept(int fd, struct sockaddr *addr, socklen_t *len);
/* flags: SOCK_NONBLOCK, SOCK_CLOEXEC. */
int tapir_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
/* TCP: blocks until ESTABLISHED or the error (ECONNREFUSED, ETIMEDOUT,
 * EHOSTUNREACH, ...); non-blocking: EINPROGRESS, then POLLOUT and SO_ERROR.
 * UDP: sets the default peer; AF_UNSPEC dissolves it. */
int tapir_connect(int fd, const struct sockaddr *addr, socklen_t len);

/* send: MSG_DONTWAIT, MSG_NOSIGNAL (implied). A blocking TCP send writes
 * everything, returning less only on an error or SO_SNDTIMEO. */
ssize_t tapir_send(int fd, const void *buf, size_t len, int flags);
ssize_t tapir_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		     socklen_t tolen);
/* recv: MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL. 0 at end of stream. A UDP
 * datagram longer than len is cut, the rest lost. For TCP, recvfrom()
 * reports no address (*fromlen = 0), as Linux does. */
ssize_t tapir_recv(int fd, void *buf, size_t len, int flags);
ssize_t tapir_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
		       socklen_t *fromlen);

int tapir_shutdown(int fd, int how);
/* With SO_LINGER on and a positive time, a blocking close from outside a
 * callback waits (at most that long) until the peer acknowledged all the
 * data and the FIN; with a zero time it resets the connection. */
int tapir_close(int fd);

/* SOL_SOCKET: SO_REUSEADDR, SO_RCVBUF, SO_SNDBUF, SO_LINGER (struct linger),
 * SO_KEEPALIVE, SO_RCVTIMEO / SO_SNDTIMEO (struct timeval; zero: forever),
 * and get-only SO_ERROR, SO_TYPE, SO_ACCEPTCONN, SO_DOMAIN, SO_PROTOCOL.
 * IPPROTO_TCP: TCP_NODELAY, TCP_MAXSEG. Values are ints unless noted; a
 * length too short for the value is EINVAL, a NULL pointer EFAULT. */
int tapir_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int tapir_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
/* As POSIX: a short *len truncates the address; *len gets its full size. */
int tapir_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int tapir_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

/* O_NONBLOCK on or off, like fcntl(F_SETFL). */
int tapir_set_nonblock(int fd, int on);
/* F_GETFL / F_SETFL (O_NONBLOCK), F_GETFD / F_SETFD (accepted, no effect). */
int tapir_fcntl(int fd, int cmd, ... /* int arg */);

/* poll(2) over tapir descriptors, which may live on different stacks.
 * Unknown descriptors report POLLNVAL, negative ones are skipped. */
int tapir_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/* For code on a loop thread: fn(ctx, fd, revents) runs (holding the loop's
 * lock) whenever fd's readiness may have changed, with the POLL* bits that
 * hold then. NULL fn removes it. */
typedef void (*tapir_event_fn)(void *ctx, int fd, short revents);
int tapir_set_callback(int fd, tapir_event_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
