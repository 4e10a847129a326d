/* tap.c - the TAP driver and its host-side setup; see tapir/tap.h. */
#include "tapir/tap.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "netlink.h"
#include "tapir/loop.h"

#define TUN_PATH "/dev/net/tun"
/* The largest IPv4 datagram with an Ethernet and a VLAN header: whatever the
 * host sends (its MTU bounds it), read() never cuts a frame. */
#define TAP_FRAME_MAX (65535 + 14 + 4)
/* Frames read per wake before timers get a turn; epoll is level-triggered,
 * so the rest are read on the next wake, at once. */
#define TAP_DRAIN_MAX 256

static const char need_root[] = "creating a TAP needs root (CAP_NET_ADMIN): run it with sudo";

struct tp_tap {
	int fd;
	int ifindex;
	char name[IFNAMSIZ];
	struct tp_loop *loop;       /* attached to, or NULL */
	struct tp_netif *netif;
	int read_error;             /* what stopped the loop, or 0 */
	uint8_t frame[TAP_FRAME_MAX];
};

int tp_tap_check_name(const char *name, char *err, size_t errlen)
{
	size_t len = strnlen(name, IFNAMSIZ);
	const char *why = NULL;
	if (len == 0)
		why = "is empty";
	else if (len >= IFNAMSIZ)
		why = "is longer than 15 characters";
	else if (!strcmp(name, ".") || !strcmp(name, ".."))
		why = "is not allowed";
	for (const char *c = name; !why && *c; c++)
		if (*c == '/' || *c == ':' || *c == '%' || isspace((unsigned char)*c) ||
		    !isprint((unsigned char)*c))
			why = "has a character interface names cannot hold ('/', ':', '%', space)";
	if (!why)
		return 0;
	snprintf(err, errlen, "interface name '%.32s' %s", name, why);
	return -EINVAL;
}

struct tp_tap *tp_tap_open(const char *name, char *err, size_t errlen)
{
	if (tp_tap_check_name(name, err, errlen) < 0)
		return NULL;
	int fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == EACCES || e == EPERM)
			snprintf(err, errlen, "%s", need_root);
		else if (e == ENOENT || e == ENODEV || e == ENXIO)
			snprintf(err, errlen, TUN_PATH " is missing: load the TUN/TAP driver with "
				 "'modprobe tun'");
		else
			snprintf(err, errlen, "opening " TUN_PATH ": %s", strerror(e));
		return NULL;
	}
	struct ifreq ifr = {0};
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EPERM || e == EACCES)
			snprintf(err, errlen, "%s", need_root);
		else if (e == EBUSY)
			snprintf(err, errlen, "TAP %s is busy: another program has it open", name);
		else if (e == EINVAL && if_nametoindex(name))
			snprintf(err, errlen, "interface %s already exists and is not a TAP", name);
		else
			snprintf(err, errlen, "creating TAP %s: %s", name, strerror(e));
		return NULL;
	}
	struct tp_tap *tap = calloc(1, sizeof(*tap));
	if (!tap) {
		close(fd);
		snprintf(err, errlen, "creating TAP %s: out of memory", name);
		return NULL;
	}
	tap->fd = fd;
	memcpy(tap->name, ifr.ifr_name, IFNAMSIZ - 1);
	tap->ifindex = (int)if_nametoindex(tap->name);
	if (!tap->ifindex) {
		snprintf(err, errlen, "TAP %s vanished as it was created: %s", name, strerror(errno));
		tp_tap_close(tap);
		return NULL;
	}
	return tap;
}

/* What the host's existing addresses say about the planned configuration. */
struct host_check {
	const struct tp_tap *tap;
	const struct tp_tap_host *want;
	char *err;
	size_t errlen;
	int clash;
	int addr_present;           /* already on our TAP (a persistent one) */
};

static int contains(tp_ip4 net, uint8_t prefix_len, tp_ip4 a)
{
	tp_ip4 mask = prefix_len ? ~0u << (32 - prefix_len) : 0;
	return (net & mask) == (a & mask);
}

static int check_one(void *ctx, const struct nl_ipv4_addr *a)
{
	struct host_check *c = ctx;
	char ifname[IF_NAMESIZE] = "?", have[16], peer[16];
	int ours = a->ifindex == c->tap->ifindex;

	if_indextoname((unsigned)a->ifindex, ifname);
	tp_ip4_format(a->addr, have);
	tp_ip4_format(c->want->peer, peer);
	if (a->addr == c->want->peer) {
		snprintf(c->err, c->errlen, "%s (tapir's address) is already a host address, on %s",
			 peer, ifname);
		c->clash = 1;
	} else if (a->addr == c->want->addr) {
		if (ours) {
			c->addr_present = 1;
			return 0;
		}
		snprintf(c->err, c->errlen, "%s is already a host address, on %s", have, ifname);
		c->clash = 1;
	} else if (!ours && a->prefix_len >= c->want->prefix_len &&
		   contains(a->addr, a->prefix_len, c->want->peer)) {
		/* Longest prefix wins: the host would send tapir's traffic there. */
		snprintf(c->err, c->errlen, "the host already reaches %s through %s (%s/%u)", peer,
			 ifname, have, a->prefix_len);
		c->clash = 1;
	}
	return c->clash;
}

static void netlink_error(char *err, size_t errlen, int e, const char *what, const char *name)
{
	if (e == -EPERM || e == -EACCES)
		snprintf(err, errlen, "configuring TAP %s needs root (CAP_NET_ADMIN): run it with sudo",
			 name);
	else
		snprintf(err, errlen, "%s on %s: %s", what, name, strerror(-e));
}

int tp_tap_configure_host(struct tp_tap *tap, const struct tp_tap_host *host, char *err,
			  size_t errlen)
{
	struct nl_conn nl;
	int e = nl_open(&nl);
	if (e < 0) {
		snprintf(err, errlen, "opening rtnetlink: %s", strerror(-e));
		return e;
	}
	struct host_check check = {.tap = tap, .want = host, .err = err, .errlen = errlen};
	e = nl_for_each_ipv4_addr(&nl, check_one, &check);
	if (e < 0) {
		netlink_error(err, errlen, e, "listing host addresses", tap->name);
	} else if (check.clash) {
		e = -EADDRINUSE;
	} else {
		e = nl_link_set_mtu_up(&nl, tap->ifindex, host->mtu);
		if (e < 0)
			netlink_error(err, errlen, e, "setting MTU and link up", tap->name);
	}
	if (!e && !check.addr_present) {
		e = nl_ipv4_addr_add(&nl, tap->ifindex, host->addr, host->prefix_len);
		if (e < 0)
			netlink_error(err, errlen, e, "adding the host address", tap->name);
	}
	nl_close(&nl);
	return e;
}

int tp_tap_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct tp_tap *tap = ctx;
	/* One write is one frame; a TAP never takes part of one. */
	return write(tap->fd, frame, len) < 0 ? -errno : 0;
}

static int tap_readable(void *ctx, int fd, uint32_t events)
{
	struct tp_tap *tap = ctx;
	struct tp_stack *stack = tp_loop_stack(tap->loop);
	(void)events;
	for (int i = 0; i < TAP_DRAIN_MAX; i++) {
		ssize_t n = read(fd, tap->frame, sizeof(tap->frame));
		if (n < 0) {
			if (errno == EAGAIN)
				return 0;
			if (errno == EINTR)
				continue;
			tap->read_error = -errno;   /* EBADFD: the interface was deleted */
			return tap->read_error;
		}
		tp_input(stack, tap->netif, tap->frame, (size_t)n);
	}
	return 0;
}

int tp_tap_attach(struct tp_tap *tap, struct tp_loop *loop, struct tp_netif *netif)
{
	int e = tp_loop_add_fd(loop, tap->fd, EPOLLIN, tap_readable, tap);
	if (e < 0)
		return e;
	tap->loop = loop;
	tap->netif = netif;
	return 0;
}

const char *tp_tap_name(const struct tp_tap *tap)
{
	return tap->name;
}

int tp_tap_fd(const struct tp_tap *tap)
{
	return tap->fd;
}

int tp_tap_read_error(const struct tp_tap *tap)
{
	return tap->read_error;
}

void tp_tap_close(struct tp_tap *tap)
{
	if (!tap)
		return;
	if (tap->loop)
		tp_loop_del_fd(tap->loop, tap->fd);
	close(tap->fd);
	free(tap);
}
