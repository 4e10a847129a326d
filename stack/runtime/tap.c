/* tap.c - the TAP driver and its host-side setup; see tapir/tap.h. */
#define _GNU_SOURCE             /* pipe2, O_DIRECT: packet-mode pipes */
#include "tapir/tap.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdatomic.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "netlink.h"
#include "tap_steer.h"
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "tapir/wire.h"
#include "vnet.h"

#define TUN_PATH "/dev/net/tun"
/* The largest IPv4 datagram with an Ethernet and a VLAN header: whatever the
 * host sends (its MTU bounds it), read() never cuts a frame. */
#define TAP_FRAME_MAX (65535 + 14 + 4)
/* Frames read per wake before timers get a turn; epoll is level-triggered,
 * so the rest are read on the next wake, at once. */
#define TAP_DRAIN_MAX 256

static const char need_root[] = "creating a TAP needs root (CAP_NET_ADMIN): run it with sudo";

/* The NAPI thread on demand (tp_tap_napi_thread_auto): the bytes the TAP
 * moved since `since`, measured by whichever queue's thread looks first
 * once NAPI_AUTO_PERIOD has passed. */
struct napi_auto {
	_Atomic int enabled;
	uint64_t on_rate;           /* bytes/s: thread on above this, off below a quarter */
	_Atomic uint64_t bytes;
	_Atomic tp_time since;
	_Atomic int on;             /* what `threaded` was last set to */
	_Atomic unsigned switches;
};
#define NAPI_AUTO_PERIOD TP_MSEC(100)

/* The queues of one multi-queue TAP. Each runs its own stack; each flow is
 * steered to one queue, but an ARP reply may land on any, so a
 * queue hands every ARP frame it reads to its siblings' stacks as well,
 * through each sibling's inbox: a packet-mode pipe its own loop drains. */
struct tap_group {
	unsigned n, open;
	struct napi_auto napi;      /* the device's, shared by its queues */
	int steered;                /* tap_steer.h's program decides, not the kernel's hash */
	char unsteered_why[160];
	struct tp_tap *queue[];
};

/* Longer than any ARP frame (42 bytes, 60 padded, 64 with a VLAN tag). */
#define OVERHEARD_MAX 128

struct tp_tap {
	int fd;
	struct tap_group *group;    /* NULL: a single-queue TAP */
	unsigned queue_index;
	int inbox[2];               /* [0] read by our loop, [1] written by siblings; -1: none */
	struct napi_auto own_napi;  /* a single queue's; else the group's */
	struct napi_auto *napi;
	int ifindex;
	char name[IFNAMSIZ];
	struct tp_loop *loop;       /* attached to, or NULL */
	struct tp_netif *netif;
	int read_error;             /* what stopped the loop, or 0 */
	struct tp_impair *impair[2];    /* by enum tp_tap_direction; NULL: perfect */
	struct tp_loop_timer *release;  /* due time of the next held frame */
	tp_time release_at;             /* when it is armed for, TP_TIME_NEVER if stopped */
	int releasing;                  /* inside release_due(): no nested release */
	int vnet;                   /* every frame has a virtio-net header first (vnet.h) */
	uint32_t offloads;          /* TP_OFFLOAD_* the kernel agreed to */
	uint8_t *held;              /* header + frame, for an impaired direction */
	uint8_t frame[VNET_HDR_LEN + TAP_FRAME_MAX];
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

/* The number in /sys/class/net/NAME/FILE, in `base`, or -1 when the sysfs
 * we see has no such file. */
static long sysfs_number(const char *name, const char *file, int base)
{
	char path[64], buf[24];
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long v = fgets(buf, sizeof(buf), f) ? strtol(buf, NULL, base) : -1;
	fclose(f);
	return v;
}

/* An existing TUN/TAP device's flags (IFF_*), or -1 if there is none by
 * that name in the sysfs we see. */
static long existing_tun_flags(const char *name)
{
	return sysfs_number(name, "tun_flags", 16);
}

/* iff: IFF_VNET_HDR, IFF_NAPI, IFF_MULTI_QUEUE, IFF_TUN_EXCL as wanted. */
static struct tp_tap *tap_open(const char *name, int iff, char *err, size_t errlen)
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
	ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | iff);    /* IFF_TUN_EXCL is its sign bit */
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EPERM || e == EACCES)
			snprintf(err, errlen, "%s", need_root);
		else if (e == EBUSY)
			snprintf(err, errlen, "TAP %s is busy: another program has it open", name);
		else if (e == EINVAL && if_nametoindex(name) && existing_tun_flags(name) >= 0)
			snprintf(err, errlen, "TAP %s already exists as a %s TAP (another tapir on it?): "
				 "choose another --tap, or %s", name,
				 existing_tun_flags(name) & IFF_MULTI_QUEUE ? "multi-queue" : "single-queue",
				 existing_tun_flags(name) & IFF_MULTI_QUEUE ? "match its --queues" :
									      "run with one queue");
		else if (e == EINVAL && if_nametoindex(name))
			snprintf(err, errlen, "interface %s already exists and is not a TAP", name);
		else if (e == EINVAL && (iff & IFF_NAPI))
			snprintf(err, errlen, "this kernel has no IFF_NAPI for TAPs (Linux 4.15 or later)");
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
	tap->inbox[0] = tap->inbox[1] = -1;
	tap->napi = &tap->own_napi;
	tap->vnet = (iff & IFF_VNET_HDR) != 0;
	memcpy(tap->name, ifr.ifr_name, IFNAMSIZ - 1);
	tap->ifindex = (int)if_nametoindex(tap->name);
	if (!tap->ifindex) {
		snprintf(err, errlen, "TAP %s vanished as it was created: %s", name, strerror(errno));
		tp_tap_close(tap);
		return NULL;
	}
	return tap;
}

/* The virtio-net header and what the kernel agrees to offload. */
static int enable_offloads(struct tp_tap *tap, char *err, size_t errlen)
{
	int hdr = VNET_HDR_LEN;
	if (ioctl(tap->fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		snprintf(err, errlen, "TAP %s: setting the virtio-net header size: %s", tap->name,
			 strerror(errno));
		return -1;
	}
	/* What the kernel takes from us needs no agreement: checksums left
	 * partial and TCP super-frames it segments itself. What it hands us
	 * does: the same two, or every frame complete if it refuses. */
	tap->offloads = TP_OFFLOAD_TX_CSUM | TP_OFFLOAD_TSO;
	if (ioctl(tap->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) == 0)
		tap->offloads |= TP_OFFLOAD_RX;
	return 0;
}

struct tp_tap *tp_tap_open(const char *name, char *err, size_t errlen)
{
	return tap_open(name, 0, err, errlen);
}

struct tp_tap *tp_tap_open_napi(const char *name, char *err, size_t errlen)
{
	return tap_open(name, IFF_NAPI, err, errlen);
}

/* Whether the sysfs we see shows this TAP under its name (the same
 * ifindex: a sysfs mounted for another namespace may have a device of the
 * same name). */
static int sysfs_shows(const struct tp_tap *tap)
{
	return sysfs_number(tap->name, "ifindex", 10) == tap->ifindex;
}

/* Writes `value` to the TAP's /sys/class/net/NAME/FILE. */
static int sysfs_put(const struct tp_tap *tap, const char *file, const char *value, char *err,
		     size_t errlen)
{
	char path[96];
	int e = sysfs_shows(tap) ? 0 : -ENODEV;
	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", tap->name, file);
	int fd = e ? -1 : open(path, O_WRONLY | O_CLOEXEC);
	if (!e && (fd < 0 || write(fd, value, strlen(value)) < 0))
		e = -errno;
	if (fd >= 0)
		close(fd);
	if (e)
		snprintf(err, errlen, "setting %s: %s", path,
			 e == -ENODEV ? "the /sys here does not show this TAP (another namespace's?)" :
					strerror(-e));
	return e;
}

int tp_tap_gro_hold(struct tp_tap *tap, uint32_t usec, char *err, size_t errlen)
{
	char ns[24];
	snprintf(ns, sizeof(ns), "%llu", (unsigned long long)usec * 1000);
	return sysfs_put(tap, "gro_flush_timeout", ns, err, errlen);
}

int tp_tap_napi_thread(struct tp_tap *tap, char *err, size_t errlen)
{
	return sysfs_put(tap, "threaded", "1", err, errlen);
}

int tp_tap_napi_thread_auto(struct tp_tap *tap, uint64_t on_rate, char *err, size_t errlen)
{
	if (sysfs_put(tap, "threaded", "0", err, errlen) < 0)
		return -1;
	tap->napi->on_rate = on_rate ? on_rate : TP_TAP_NAPI_AUTO_RATE;
	atomic_store(&tap->napi->since, tp_clock_now());
	tap->napi->enabled = 1;
	return 0;
}

unsigned tp_tap_napi_thread_switches(const struct tp_tap *tap)
{
	return atomic_load(&tap->napi->switches);
}

/* Counts what the TAP moved; once a period, turns the NAPI thread on or
 * off by the rate (hysteresis: on above on_rate, off below a quarter). */
static void napi_auto_account(struct tp_tap *tap, size_t bytes)
{
	struct napi_auto *a = tap->napi;
	if (!a->enabled)
		return;
	atomic_fetch_add_explicit(&a->bytes, bytes, memory_order_relaxed);
	/* `since` first: another queue may move it on after we read the clock. */
	tp_time since = atomic_load(&a->since), now = tp_clock_now();
	if (now < since + NAPI_AUTO_PERIOD ||
	    !atomic_compare_exchange_strong(&a->since, &since, now))
		return;
	uint64_t moved = atomic_exchange(&a->bytes, 0);
	uint64_t rate = moved * 1000000u / (now - since);
	int on = atomic_load(&a->on), want = on ? rate >= a->on_rate / 4 : rate > a->on_rate;
	char err[160];
	if (want == on)
		return;
	if (sysfs_put(tap, "threaded", want ? "1" : "0", err, sizeof(err)) < 0) {
		a->enabled = 0;         /* as it was: the loss is speed, not service */
		return;
	}
	atomic_store(&a->on, want);
	atomic_fetch_add(&a->switches, 1);
}

struct tp_tap *tp_tap_open_offload(const char *name, char *err, size_t errlen)
{
	struct tp_tap *tap = tap_open(name, IFF_VNET_HDR, err, errlen);
	if (tap && enable_offloads(tap, err, errlen) < 0) {
		tp_tap_close(tap);
		return NULL;
	}
	return tap;
}

/* How many queues the TAP has attached, from sysfs (its rx-N), or -1 when
 * the sysfs we see does not show this TAP. */
static int attached_queues(const struct tp_tap *tap)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", tap->name);
	DIR *d = sysfs_shows(tap) ? opendir(path) : NULL;
	if (!d)
		return -1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += !strncmp(e->d_name, "rx-", 3);
	closedir(d);
	return n;
}

int tp_tap_open_queues(const char *name, unsigned how, unsigned n, struct tp_tap **queues,
		       char *err, size_t errlen)
{
	if (n < 1 || n > TP_TAP_QUEUES_MAX) {
		snprintf(err, errlen, "a TAP has 1 to %d queues, not %u", TP_TAP_QUEUES_MAX, n);
		return -1;
	}
	memset(queues, 0, n * sizeof(*queues));
	int iff = ((how & TP_TAP_OFFLOAD) ? IFF_VNET_HDR : 0) | ((how & TP_TAP_NAPI) ? IFF_NAPI : 0) |
		  (n > 1 ? IFF_MULTI_QUEUE : 0);
	/* A multi-queue TAP takes any number of programs' queues: one we
	 * create is ours alone (IFF_TUN_EXCL), one that exists is checked for
	 * strangers' queues once ours are on. */
	int existed = if_nametoindex(name) != 0;
	struct tap_group *g = NULL;
	if (n > 1 && !(g = calloc(1, sizeof(*g) + n * sizeof(g->queue[0])))) {
		snprintf(err, errlen, "creating TAP %s: out of memory", name);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct tp_tap *q = tap_open(i ? queues[0]->name : name,
					    iff | (n > 1 && !i && !existed ? IFF_TUN_EXCL : 0), err, errlen);
		if (!q)
			break;
		queues[i] = q;
		if (g) {
			g->queue[i] = q;
			g->n = n;
			g->open++;
			q->group = g;
			q->napi = &g->napi;
			q->queue_index = i;
		}
		if ((how & TP_TAP_OFFLOAD) && enable_offloads(q, err, errlen) < 0)
			break;
		if (g && pipe2(q->inbox, O_DIRECT | O_NONBLOCK | O_CLOEXEC) < 0) {
			q->inbox[0] = q->inbox[1] = -1;
			snprintf(err, errlen, "TAP %s queue %u: creating its ARP inbox: %s", q->name, i,
				 strerror(errno));
			break;
		}
		if (i + 1 < n)
			continue;
		if (g && existed && attached_queues(q) > (int)n) {
			snprintf(err, errlen, "TAP %s is busy: another program has queues on it", q->name);
			break;
		}
		if (g)
			g->steered = tap_steer_attach(q->fd, g->unsteered_why,
						      sizeof(g->unsteered_why)) == 0;
		return 0;
	}
	if (g && !g->open)
		free(g);
	for (unsigned i = 0; i < n; i++) {
		tp_tap_close(queues[i]);
		queues[i] = NULL;
	}
	return -1;
}

uint32_t tp_tap_offloads(const struct tp_tap *tap)
{
	return tap->offloads;
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

/* Hands an ARP frame to the other queues' stacks (struct tap_group). A
 * full inbox loses it, as a busy link would: ARP retries. */
static void share_arp(const struct tp_tap *tap, const uint8_t *frame, size_t len)
{
	if (len < 14 || len > OVERHEARD_MAX || frame[12] != 0x08 || frame[13] != 0x06)
		return;
	for (unsigned i = 0; i < tap->group->n; i++) {
		const struct tp_tap *sib = tap->group->queue[i];
		if (sib && sib != tap && sib->inbox[1] >= 0) {
			ssize_t n = write(sib->inbox[1], frame, len);
			(void)n;
		}
	}
}

/* A frame read from the TAP (header included) into the stack. */
static void deliver(struct tp_tap *tap, const uint8_t *buf, size_t len)
{
	struct tp_stack *stack = tp_loop_stack(tap->loop);
	struct tp_offload off;
	size_t at = 0;
	if (!tap->vnet) {
		tp_input(stack, tap->netif, buf, len);
	} else {
		int hdr = vnet_parse(buf, len, &off);
		if (hdr < 0) {
			tp_input(stack, tap->netif, buf, 0);    /* counted as too short */
			return;
		}
		at = (size_t)hdr;
		tp_input_offload(stack, tap->netif, buf + at, len - at, &off);
	}
	if (tap->group)
		share_arp(tap, buf + at, len - at);
}

/* A sibling queue's ARP frames, into our stack. */
static int inbox_readable(void *ctx, int fd, uint32_t events)
{
	struct tp_tap *tap = ctx;
	uint8_t frame[OVERHEARD_MAX];
	ssize_t n;
	(void)events;
	while ((n = read(fd, frame, sizeof(frame))) > 0)
		tp_input_overheard(tp_loop_stack(tap->loop), tap->netif, frame, (size_t)n);
	return 0;
}

static int write_frame(struct tp_tap *tap, const uint8_t *frame, size_t len)
{
	/* One write is one frame; a TAP never takes part of one. */
	if (write(tap->fd, frame, len) < 0)
		return -errno;
	napi_auto_account(tap, len);
	return 0;
}

/* --- impairment ------------------------------------------------------------ */

/* Hands on every held frame due by `now`, then arms the timer for the next. */
static void release_due(struct tp_tap *tap, tp_time now)
{
	const uint8_t *frame;
	size_t len;
	/* An inbound frame makes the stack answer into the outbound direction
	 * from inside tp_input(): those answers are only queued (a nested pop
	 * would free the frame being processed) and go out just below. */
	tap->releasing = 1;
	while (tap->impair[TP_TAP_IN] && tp_impair_pop(tap->impair[TP_TAP_IN], now, &frame, &len, NULL))
		deliver(tap, frame, len);
	while (tap->impair[TP_TAP_OUT] && tp_impair_pop(tap->impair[TP_TAP_OUT], now, &frame, &len, NULL))
		write_frame(tap, frame, len);   /* a lossy link tells its sender nothing */
	tap->releasing = 0;
	tp_time next = TP_TIME_NEVER;
	for (int dir = 0; dir < 2; dir++)
		if (tap->impair[dir] && tp_impair_next(tap->impair[dir]) < next)
			next = tp_impair_next(tap->impair[dir]);
	if (next == tap->release_at)
		return;
	tap->release_at = next;
	if (next == TP_TIME_NEVER)
		tp_loop_timer_stop(tap->release);
	else
		tp_loop_timer_start(tap->release, next > now ? next - now : 0, 0);
}

static void on_release_timer(void *ctx)
{
	struct tp_tap *tap = ctx;
	tap->release_at = TP_TIME_NEVER;        /* fired: re-arm whatever is next */
	release_due(tap, tp_clock_now());
}

/* A frame enters an impaired direction; what is due now passes at once. */
static void impair_submit(struct tp_tap *tap, enum tp_tap_direction dir, const uint8_t *frame,
			  size_t len)
{
	tp_time now = tp_clock_now();
	tp_impair_submit(tap->impair[dir], now, frame, len);
	if (!tap->releasing)
		release_due(tap, now);
}

int tp_tap_impair(struct tp_tap *tap, const struct tp_impair_config *out,
		  const struct tp_impair_config *in)
{
	if (!tap->loop || tap->release)
		return -EINVAL;
	const struct tp_impair_config *cfg[2] = {[TP_TAP_OUT] = out, [TP_TAP_IN] = in};
	tap->release_at = TP_TIME_NEVER;
	tap->release = tp_loop_timer_new(tap->loop, on_release_timer, tap);
	if (!tap->release)
		return -ENOMEM;
	if (tap->vnet && out && !(tap->held = malloc(sizeof(tap->frame))))
		return -ENOMEM;
	for (int dir = 0; dir < 2; dir++) {
		if (!cfg[dir])
			continue;
		tap->impair[dir] = tp_impair_new(cfg[dir]);
		if (!tap->impair[dir])
			return errno ? -errno : -ENOMEM;    /* tp_tap_close() frees the rest */
	}
	return 0;
}

const struct tp_impair_stats *tp_tap_impair_stats(const struct tp_tap *tap,
						  enum tp_tap_direction dir)
{
	return tap->impair[dir] ? tp_impair_stats(tap->impair[dir]) : NULL;
}

/* --- frames in and out ------------------------------------------------------ */

/* One write is one frame, its virtio-net header in front when the TAP has
 * them; an impaired direction holds the two together. */
static int send_vnet(struct tp_tap *tap, const uint8_t *frame, size_t len,
		     const struct tp_offload *off)
{
	uint8_t hdr[VNET_HDR_LEN];
	vnet_build(hdr, off);
	if (tap->impair[TP_TAP_OUT]) {
		if (len > TAP_FRAME_MAX)
			return -EMSGSIZE;
		memcpy(tap->held, hdr, VNET_HDR_LEN);
		memcpy(tap->held + VNET_HDR_LEN, frame, len);
		impair_submit(tap, TP_TAP_OUT, tap->held, VNET_HDR_LEN + len);
		return 0;
	}
	struct iovec iov[2] = {{hdr, VNET_HDR_LEN}, {(void *)(uintptr_t)frame, len}};
	if (writev(tap->fd, iov, 2) < 0)
		return -errno;
	napi_auto_account(tap, len);
	return 0;
}

int tp_tap_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct tp_tap *tap = ctx;
	if (tap->vnet)
		return send_vnet(tap, frame, len, NULL);
	if (tap->impair[TP_TAP_OUT]) {
		impair_submit(tap, TP_TAP_OUT, frame, len);
		return 0;
	}
	return write_frame(tap, frame, len);
}

int tp_tap_transmit_offload(void *ctx, const uint8_t *frame, size_t len,
			    const struct tp_offload *off)
{
	struct tp_tap *tap = ctx;
	if (!tap->vnet)
		return -EOPNOTSUPP;
	return send_vnet(tap, frame, len, off);
}

static int tap_readable(void *ctx, int fd, uint32_t events)
{
	struct tp_tap *tap = ctx;
	struct tp_stack *stack = tp_loop_stack(tap->loop);
	int err = 0;
	size_t moved = 0;
	(void)events;
	/* One batch: the ACKs the frames call for go out once, at the end. */
	tp_batch_begin(stack);
	for (int i = 0; i < TAP_DRAIN_MAX; i++) {
		ssize_t n = read(fd, tap->frame, sizeof(tap->frame));
		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (errno == EINTR)
				continue;
			tap->read_error = err = -errno;     /* EBADFD: the interface was deleted */
			break;
		}
		/* Each frame at its own time: the kernel often answers inside
		 * our write() of the last one, so frames drained in one wake
		 * are not simultaneous, and RTT samples need the difference. */
		tp_poll(stack, tp_clock_now());
		moved += (size_t)n;
		if (tap->impair[TP_TAP_IN])
			impair_submit(tap, TP_TAP_IN, tap->frame, (size_t)n);
		else
			deliver(tap, tap->frame, (size_t)n);
	}
	tp_batch_end(stack);
	if (moved)
		napi_auto_account(tap, moved);
	return err;
}

int tp_tap_attach(struct tp_tap *tap, struct tp_loop *loop, struct tp_netif *netif)
{
	int e = tp_loop_add_fd(loop, tap->fd, EPOLLIN, tap_readable, tap);
	if (e < 0)
		return e;
	if (tap->inbox[0] >= 0 && (e = tp_loop_add_fd(loop, tap->inbox[0], EPOLLIN, inbox_readable,
						      tap)) < 0) {
		tp_loop_del_fd(loop, tap->fd);
		return e;
	}
	tap->loop = loop;
	tap->netif = netif;
	return 0;
}

const char *tp_tap_name(const struct tp_tap *tap)
{
	return tap->name;
}

int tp_tap_steered(const struct tp_tap *tap, char *why, size_t whylen)
{
	if (tap->group && tap->group->steered)
		return 1;
	snprintf(why, whylen, "%s", tap->group ? tap->group->unsteered_why : "a single queue");
	return 0;
}

unsigned tp_tap_queue_index(const struct tp_tap *tap)
{
	return tap->queue_index;
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
	if (tap->loop) {
		tp_loop_del_fd(tap->loop, tap->fd);
		if (tap->inbox[0] >= 0)
			tp_loop_del_fd(tap->loop, tap->inbox[0]);
	}
	if (tap->group) {
		tap->group->queue[tap->queue_index] = NULL;
		if (--tap->group->open == 0)
			free(tap->group);
	}
	for (int i = 0; i < 2; i++)
		if (tap->inbox[i] >= 0)
			close(tap->inbox[i]);
	tp_loop_timer_free(tap->release);
	tp_impair_free(tap->impair[TP_TAP_OUT]);
	tp_impair_free(tap->impair[TP_TAP_IN]);
	free(tap->held);
	close(tap->fd);
	free(tap);
}
