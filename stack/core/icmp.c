#include "icmp.h"

#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "ipv4.h"
#include "stack.h"

#define ICMP_HDR_LEN 8
#define ICMP_ERROR_MAX_QUOTE (576 - IP_HDR_LEN - ICMP_HDR_LEN)   /* RFC 1812 §4.3.2.3 */

/* Informational types may be answered with errors; errors never (RFC 1122 §3.2.2). */
static int icmp_is_error(uint8_t type)
{
	return type == ICMP_UNREACH || type == 4 || type == 5 || type == ICMP_TIME_EXCEEDED ||
	       type == ICMP_PARAM_PROBLEM;
}

static int errno_for(uint8_t type, uint8_t code)
{
	/* RFC 1122 §4.2.3.9: which errors are soft is the transport's call. */
	if (type == ICMP_PARAM_PROBLEM)
		return -EPROTO;
	if (type != ICMP_UNREACH)
		return -EHOSTUNREACH;
	switch (code) {
	case ICMP_UNREACH_NET: return -ENETUNREACH;
	case ICMP_UNREACH_PROTOCOL: return -ENOPROTOOPT;
	case ICMP_UNREACH_PORT: return -ECONNREFUSED;
	case ICMP_UNREACH_NEEDFRAG: return -EMSGSIZE;
	default: return -EHOSTUNREACH;
	}
}

static int send_icmp(struct tp_stack *s, struct pkb *p, tp_ip4 src, tp_ip4 dst)
{
	put_be16(p->data + 2, 0);
	put_be16(p->data + 2, cksum(p->data, p->len));
	tp_count(s, TP_STAT_ICMP_OUT);
	struct ip_send how = {.src = src, .dst = dst, .proto = IP_PROTO_ICMP};
	return ip_output(s, p, &how);
}

static struct pkb *icmp_alloc(struct tp_stack *s, uint8_t type, uint8_t code, uint32_t rest,
			      const uint8_t *body, size_t len)
{
	struct pkb *p = pkb_alloc(PKB_HEADROOM, ICMP_HDR_LEN + len);
	if (!p) {
		tp_count(s, TP_STAT_MEM_FAIL);
		return NULL;
	}
	uint8_t *h = pkb_put(p, ICMP_HDR_LEN + len);
	h[0] = type;
	h[1] = code;
	put_be32(h + 4, rest);
	if (len)
		memcpy(h + ICMP_HDR_LEN, body, len);
	return p;
}

/* Errors answer only datagrams sent to one of our own addresses: never a
 * broadcast or multicast (RFC 1122 §3.2.2), directed broadcasts included,
 * which a reassembly timeout would otherwise answer. */
static int is_our_unicast(const struct tp_stack *s, tp_ip4 a)
{
	for (int i = 0; i < s->n_netif; i++)
		if (s->netifs[i].cfg.addr == a)
			return 1;
	return 0;
}

void icmp_send_error(struct tp_stack *s, uint8_t type, uint8_t code, uint32_t rest,
		     const uint8_t *dgram, size_t len, int to_broadcast)
{
	if (len < IP_HDR_LEN)
		return;
	size_t hl = (size_t)(dgram[0] & 0x0f) * 4;
	tp_ip4 src = get_be32(dgram + 12);
	tp_ip4 dst = get_be32(dgram + 16);
	if (to_broadcast || !is_our_unicast(s, dst))
		return;
	if (src == 0 || src == 0xffffffffu || ip_is_multicast(src))
		return;
	if (get_be16(dgram + 6) & IP_OFFMASK)
		return;
	if (dgram[9] == IP_PROTO_ICMP && (len <= hl || icmp_is_error(dgram[hl])))
		return;
	if (!ratelimit_allow(&s->icmp.errors, s->now, s->cfg.icmp_rate, s->cfg.icmp_burst)) {
		tp_count(s, TP_STAT_ICMP_RATE_LIMITED);
		return;
	}
	if (len > ICMP_ERROR_MAX_QUOTE)
		len = ICMP_ERROR_MAX_QUOTE;
	struct pkb *p = icmp_alloc(s, type, code, rest, dgram, len);
	if (!p)
		return;
	if (type == ICMP_UNREACH)
		tp_count(s, TP_STAT_ICMP_UNREACH_OUT);
	/* Sent from the address the offending datagram was sent to. */
	send_icmp(s, p, dst, src);
}

static void deliver_echo(struct tp_stack *s, const struct tp_echo_reply *r)
{
	if (s->icmp.echo_fn)
		s->icmp.echo_fn(s->icmp.echo_ctx, r);
}

static void icmp_input(struct tp_stack *s, const struct ip_info *ip, const uint8_t *m, size_t len)
{
	tp_count(s, TP_STAT_ICMP_IN);
	if (len < ICMP_HDR_LEN) {
		tp_drop(s, TP_STAT_ICMP_DROP_MALFORMED, m, len);
		return;
	}
	if (cksum(m, len) != 0) {
		tp_drop(s, TP_STAT_ICMP_DROP_CHECKSUM, m, len);
		return;
	}
	uint8_t type = m[0], code = m[1];
	switch (type) {
	case ICMP_ECHO: {
		tp_count(s, TP_STAT_ICMP_ECHO_IN);
		/* RFC 1122 §3.2.2.6 allows silence for broadcast echo; Linux is silent too. */
		if (ip->to_broadcast) {
			tp_drop(s, TP_STAT_ICMP_DROP_BROADCAST, m, len);
			return;
		}
		struct pkb *p = icmp_alloc(s, ICMP_ECHO_REPLY, 0, get_be32(m + 4), m + ICMP_HDR_LEN,
					   len - ICMP_HDR_LEN);
		if (!p)
			return;
		tp_count(s, TP_STAT_ICMP_ECHO_REPLY_OUT);
		send_icmp(s, p, ip->dst, ip->src);
		return;
	}
	case ICMP_ECHO_REPLY: {
		tp_count(s, TP_STAT_ICMP_ECHO_REPLY_IN);
		struct tp_echo_reply r = {
			.from = ip->src, .ident = get_be16(m + 4), .seq = get_be16(m + 6),
			.ttl = ip->ttl, .data = m + ICMP_HDR_LEN, .len = len - ICMP_HDR_LEN,
		};
		deliver_echo(s, &r);
		return;
	}
	case ICMP_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAM_PROBLEM: {
		const uint8_t *quote = m + ICMP_HDR_LEN;
		size_t qlen = len - ICMP_HDR_LEN;
		if (type == ICMP_UNREACH)
			tp_count(s, TP_STAT_ICMP_UNREACH_IN);
		struct ip_error e = {
			.err = errno_for(type, code), .icmp_type = type, .icmp_code = code,
			.mtu = type == ICMP_UNREACH && code == ICMP_UNREACH_NEEDFRAG ? get_be16(m + 6) : 0,
			.reporter = ip->src,
		};
		if (qlen < IP_HDR_LEN + 8 || qlen < (size_t)(quote[0] & 0x0f) * 4 + 8 ||
		    (quote[0] >> 4) != 4 || (quote[0] & 0x0f) < 5) {
			tp_drop(s, TP_STAT_ICMP_DROP_MALFORMED, m, len);
			return;
		}
		ip_report_error(s, quote, qlen, &e);
		return;
	}
	default:
		tp_drop(s, TP_STAT_ICMP_DROP_TYPE, m, len);
	}
}

/* An error about one of our echo requests goes to the ping handler. */
static void icmp_error(struct tp_stack *s, const struct ip_error *e)
{
	if (e->l4_len < ICMP_HDR_LEN || e->l4[0] != ICMP_ECHO)
		return;
	struct tp_echo_reply r = {
		/* No reporter: our own ARP gave up, so the news is from us (as
		 * Linux's ping shows it), not from the host that never answered. */
		.from = e->reporter ? e->reporter : e->src, .ident = get_be16(e->l4 + 4),
		.seq = get_be16(e->l4 + 6), .error = e->err,
	};
	deliver_echo(s, &r);
}

void icmp_init(struct tp_stack *s)
{
	s->ip.protos[IP_PROTO_ICMP].input = icmp_input;
	s->ip.protos[IP_PROTO_ICMP].error = icmp_error;
}

void tp_set_echo_handler(struct tp_stack *s, tp_echo_fn fn, void *ctx)
{
	s->icmp.echo_fn = fn;
	s->icmp.echo_ctx = ctx;
}

int tp_ping_send(struct tp_stack *s, tp_ip4 dst, uint16_t ident, uint16_t seq,
		 const uint8_t *data, size_t len)
{
	if (len > IP_MAX_LEN - IP_HDR_LEN - ICMP_HDR_LEN)
		return -EMSGSIZE;
	tp_ip4 nexthop;
	if (!ip_route(s, dst, &nexthop))
		return -ENETUNREACH;
	struct pkb *p = icmp_alloc(s, ICMP_ECHO, 0, (uint32_t)ident << 16 | seq, data, len);
	if (!p)
		return -ENOMEM;
	return send_icmp(s, p, 0, dst);
}
