/*
 * netlink.h - the few rtnetlink requests the TAP driver needs to configure
 * the host side of a TAP: list IPv4 addresses, set MTU and IFF_UP, add an
 * address (RFC 3549 describes the protocol; <linux/rtnetlink.h> the
 * messages). Internal to the runtime. Every reply is parsed as if hostile:
 * lengths are checked before anything is read.
 */
#ifndef TP_RUNTIME_NETLINK_H
#define TP_RUNTIME_NETLINK_H

#include <stdint.h>

#include "tapir/tapir.h"

struct nl_conn {
	int fd;
	uint32_t seq;
};

/* An IPv4 address on a host interface. */
struct nl_ipv4_addr {
	int ifindex;
	tp_ip4 addr;
	uint8_t prefix_len;
};
/* Called once per address; a non-zero return ends the walk early. */
typedef int (*nl_addr_fn)(void *ctx, const struct nl_ipv4_addr *a);

/* Each returns 0 or a negative errno (the kernel's answer, e.g. -EPERM). */
int nl_open(struct nl_conn *nl);
void nl_close(struct nl_conn *nl);
int nl_for_each_ipv4_addr(struct nl_conn *nl, nl_addr_fn fn, void *ctx);
/* RTM_NEWLINK on an existing link: sets the MTU and brings it up. */
int nl_link_set_mtu_up(struct nl_conn *nl, int ifindex, uint32_t mtu);
/* RTM_NEWADDR: addr/prefix_len on ifindex (the kernel adds the subnet route). */
int nl_ipv4_addr_add(struct nl_conn *nl, int ifindex, tp_ip4 addr, uint8_t prefix_len);

#endif
