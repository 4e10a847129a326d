/* pair.c - two interfaces joined by an AF_UNIX datagram socketpair; see tapir/pair.h. */
#include "tapir/pair.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tapir/loop.h"

/* A jumbo frame (the core's largest MTU, 9000) with its Ethernet header. */
#define PAIR_FRAME_MAX (9000 + 14)
/* Frames read per wake before timers get a turn (epoll is level-triggered). */
#define PAIR_DRAIN_MAX 256
/* Asked for, the kernel caps it at net.core.wmem_max: as many frames in
 * flight as a TCP window of the default 256 KiB needs, where allowed. */
#define PAIR_SNDBUF (4 * 1024 * 1024)

struct tp_pair_end {
	int fd;
	struct tp_loop *loop;       /* attached to, or NULL */
	struct tp_netif *netif;
	/* Written under the sending stack's core lock, read by anyone. */
	atomic_uint_fast64_t dropped;
	uint8_t frame[PAIR_FRAME_MAX];
};

static struct tp_pair_end *end_new(int fd)
{
	struct tp_pair_end *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fd = fd;
	atomic_init(&e->dropped, 0);
	int size = PAIR_SNDBUF;
	/* Best effort: a smaller buffer only drops earlier. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return e;
}

int tp_pair_open(struct tp_pair_end *ends[2])
{
	int fds[2];
	ends[0] = ends[1] = NULL;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
		return -errno;
	ends[0] = end_new(fds[0]);
	ends[1] = end_new(fds[1]);
	if (!ends[0] || !ends[1]) {
		for (int i = 0; i < 2; i++) {
			free(ends[i]);
			ends[i] = NULL;
			close(fds[i]);
		}
		return -ENOMEM;
	}
	return 0;
}

int tp_pair_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct tp_pair_end *e = ctx;
	/* One send is one frame: a datagram socket never splits or merges them. */
	if (send(e->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 0;
	if (errno == EAGAIN || errno == ENOBUFS) {
		atomic_fetch_add(&e->dropped, 1);
		return 0;               /* a full link loses frames; TCP recovers */
	}
	return -errno;
}

static int pair_readable(void *ctx, int fd, uint32_t events)
{
	struct tp_pair_end *e = ctx;
	struct tp_stack *stack = tp_loop_stack(e->loop);
	(void)events;
	for (int i = 0; i < PAIR_DRAIN_MAX; i++) {
		ssize_t n = recv(fd, e->frame, sizeof(e->frame), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;           /* an empty datagram: nothing to deliver */
		tp_input(stack, e->netif, e->frame, (size_t)n);
	}
	return 0;
}

int tp_pair_attach(struct tp_pair_end *e, struct tp_loop *loop, struct tp_netif *netif)
{
	int err = tp_loop_add_fd(loop, e->fd, EPOLLIN, pair_readable, e);
	if (err < 0)
		return err;
	e->loop = loop;
	e->netif = netif;
	return 0;
}

uint64_t tp_pair_dropped(const struct tp_pair_end *e)
{
	return atomic_load(&e->dropped);
}

void tp_pair_close(struct tp_pair_end *e)
{
	if (!e)
		return;
	if (e->loop)
		tp_loop_del_fd(e->loop, e->fd);
	close(e->fd);
	free(e);
}
