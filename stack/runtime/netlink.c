/* netlink.c - rtnetlink requests over a NETLINK_ROUTE socket, no libraries. */
#include "netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Big enough for any one datagram of an address dump (iproute2 uses 32 KiB). */
#define NL_RECV_BUF 32768

/* A request: header, family-specific body, then attributes. */
struct nl_request {
	struct nlmsghdr hdr;
	union {
		struct ifinfomsg link;
		struct ifaddrmsg addr;
	} body;
	alignas(NLMSG_ALIGNTO) uint8_t attrs[64];
};

int nl_open(struct nl_conn *nl)
{
	nl->seq = 0;
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -errno;
	/* Binding with nl_pid 0 lets the kernel choose our port id. */
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	if (bind(nl->fd, (struct sockaddr *)&local, sizeof(local)) < 0) {
		int err = -errno;
		close(nl->fd);
		nl->fd = -1;
		return err;
	}
	return 0;
}

void nl_close(struct nl_conn *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

static void add_attr(struct nl_request *req, unsigned short type, const void *data, unsigned short len)
{
	struct rtattr *rta = (struct rtattr *)(void *)((char *)req + NLMSG_ALIGN(req->hdr.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->hdr.nlmsg_len = NLMSG_ALIGN(req->hdr.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int send_request(struct nl_conn *nl, struct nl_request *req)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	req->hdr.nlmsg_seq = ++nl->seq;
	ssize_t n = sendto(nl->fd, req, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel));
	if (n < 0)
		return -errno;
	return n == (ssize_t)req->hdr.nlmsg_len ? 0 : -EIO;
}

/* Reads replies to our last request until its ACK/error (or, for a dump,
 * NLMSG_DONE), handing every other message of ours to `each`. */
static int read_replies(struct nl_conn *nl, int (*each)(void *ctx, const struct nlmsghdr *h),
			void *ctx)
{
	alignas(struct nlmsghdr) uint8_t buf[NL_RECV_BUF];
	int stopped = 0;

	for (;;) {
		struct sockaddr_nl from;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(nl->fd, &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (msg.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (from.nl_pid != 0)      /* only the kernel speaks to us */
			continue;
		/* NLMSG_OK/NLMSG_NEXT by hand: the same bounds, without mixing
		 * signed and unsigned lengths. */
		size_t next = 0, got = (size_t)n;
		while (next < got && got - next >= sizeof(struct nlmsghdr)) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(void *)(buf + next);
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > got - next)
				break;      /* malformed: ignore the rest of the datagram */
			next += NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_seq != nl->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
					return -EIO;
				const struct nlmsgerr *e = NLMSG_DATA(h);
				return e->error;    /* 0 is the ACK */
			}
			if (!stopped && each)
				stopped = each(ctx, h);
		}
	}
}

struct addr_walk {
	nl_addr_fn fn;
	void *ctx;
};

static int each_addr(void *ctx, const struct nlmsghdr *h)
{
	struct addr_walk *w = ctx;
	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return 0;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	if (ifa->ifa_family != AF_INET)
		return 0;
	int len = (int)IFA_PAYLOAD(h);
	const uint8_t *local = NULL, *address = NULL;
	for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) != 4)
			continue;
		if (rta->rta_type == IFA_LOCAL)
			local = RTA_DATA(rta);
		else if (rta->rta_type == IFA_ADDRESS)
			address = RTA_DATA(rta);
	}
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on
	 * point-to-point links and equal to it elsewhere. */
	const uint8_t *a = local ? local : address;
	if (!a)
		return 0;
	struct nl_ipv4_addr out = {
		.ifindex = (int)ifa->ifa_index,
		.addr = (tp_ip4)a[0] << 24 | (tp_ip4)a[1] << 16 | (tp_ip4)a[2] << 8 | a[3],
		.prefix_len = ifa->ifa_prefixlen,
	};
	return w->fn(w->ctx, &out);
}

int nl_for_each_ipv4_addr(struct nl_conn *nl, nl_addr_fn fn, void *ctx)
{
	struct nl_request req = {
		.hdr = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)), .nlmsg_type = RTM_GETADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.body.addr = {.ifa_family = AF_INET},
	};
	int err = send_request(nl, &req);
	if (err < 0)
		return err;
	struct addr_walk w = {fn, ctx};
	return read_replies(nl, each_addr, &w);
}

int nl_link_set_mtu_up(struct nl_conn *nl, int ifindex, uint32_t mtu)
{
	struct nl_request req = {
		.hdr = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_NEWLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK},
		.body.link = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP,
			      .ifi_change = IFF_UP},
	};
	add_attr(&req, IFLA_MTU, &mtu, sizeof(mtu));
	int err = send_request(nl, &req);
	return err < 0 ? err : read_replies(nl, NULL, NULL);
}

int nl_ipv4_addr_add(struct nl_conn *nl, int ifindex, tp_ip4 addr, uint8_t prefix_len)
{
	struct nl_request req = {
		.hdr = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)), .nlmsg_type = RTM_NEWADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL},
		.body.addr = {.ifa_family = AF_INET, .ifa_prefixlen = prefix_len,
			      .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)ifindex},
	};
	uint32_t be = htonl(addr);
	/* As `ip addr add A/N dev X`: local and address both A. */
	add_attr(&req, IFA_LOCAL, &be, sizeof(be));
	add_attr(&req, IFA_ADDRESS, &be, sizeof(be));
	int err = send_request(nl, &req);
	return err < 0 ? err : read_replies(nl, NULL, NULL);
}
