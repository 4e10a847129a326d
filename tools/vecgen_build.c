/*
 * vecgen_build.c - a script line's frame, byte by byte: Ethernet, ARP, IPv4
 * (options, fragments, forced fields), and the datagram's payload: an ICMP
 * message, a TCP segment or UDP datagram (headers from vecgen_tcp.c), or
 * plain bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "vecgen.h"

uint16_t vg_checksum(const uint8_t *p, size_t n, uint32_t initial)
{
	uint64_t sum = initial;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t vg_pseudo_sum(tp_ip4 src, tp_ip4 dst, uint8_t proto, size_t len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + (uint32_t)len;
}

static size_t build_arp(const struct script *sc, const struct spec *s, uint8_t *a)
{
	static const uint8_t zero[6];
	int request = s->op == 1;
	vg_put16(a, 1);
	vg_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	vg_put16(a + 6, s->op);
	memcpy(a + 8, s->sha.b, 6);
	vg_put32(a + 14, s->spa);
	memcpy(a + 18, s->tha.set ? s->tha.b : request ? zero : sc->cfg->netif.mac, 6);
	vg_put32(a + 24, s->tpa);
	return 28;
}

static uint8_t default_proto(enum vg_kind kind)
{
	return kind == K_ICMP ? 1 : kind == K_TCP ? 6 : kind == K_UDP ? 17 : 253;
}

/* The transport header's length before the data. */
static size_t header_len(const struct spec *s)
{
	return s->kind == K_ICMP ? 8 : s->kind & K_L4 ? vg_l4_header_len(s) : 0;
}

/* The whole IP payload in a fresh buffer: the transport header, then the
 * data (as given, or `len` bytes of `fill` / the i mod 256 pattern). */
static uint8_t *build_message(struct script *sc, const struct spec *s, size_t *whole)
{
	size_t hl = header_len(s);
	size_t default_len = s->kind == K_ICMP ? 56 : s->kind == K_IP ? 20 : 0;
	size_t data_len = s->data ? s->data_len : s->len >= 0 ? (size_t)s->len : default_len;
	if (hl + data_len > 65535) {
		vg_fail(sc, "payload over 65535 bytes");
		return NULL;
	}
	*whole = hl + data_len;
	uint8_t *msg = calloc(1, *whole ? *whole : 1);
	if (!msg) {
		vg_fail(sc, "out of memory");
		return NULL;
	}
	uint8_t *data = msg + hl;
	if (s->data)
		memcpy(data, s->data, data_len);
	else
		for (size_t i = 0; i < data_len; i++)
			data[i] = (uint8_t)(s->fill >= 0 ? s->fill : (long)(i & 0xff));
	if (s->kind == K_ICMP) {
		msg[0] = s->icmp_type;
		msg[1] = s->icmp_code;
		vg_put16(msg + 4, s->id >= 0 ? s->id : 1);
		vg_put16(msg + 6, s->seq >= 0 ? s->seq : 1);
		vg_put16(msg + 2, s->icmpsum >= 0 ? s->icmpsum : vg_checksum(msg, *whole, 0));
	} else if ((s->kind & K_L4) && vg_build_l4_header(sc, s, msg, *whole) < 0) {
		free(msg);
		return NULL;
	}
	if (s->poke.off >= 0) {
		if ((size_t)s->poke.off + s->poke.bytes.len > *whole) {
			free(msg);
			vg_fail(sc, "poke beyond the payload");
			return NULL;
		}
		memcpy(msg + s->poke.off, s->poke.bytes.b, s->poke.bytes.len);
	}
	return msg;
}

/* The message, then the slice this line sends, behind an IP header.
 * Returns the datagram's length. */
static long build_ip(struct script *sc, const struct spec *s, uint8_t *ip)
{
	size_t whole;
	uint8_t *msg = build_message(sc, s, &whole);
	if (!msg)
		return -1;
	size_t off = s->frag_off >= 0 ? (size_t)s->frag_off : 0;
	size_t n = s->frag_off >= 0 ? (size_t)s->frag_len : whole;
	size_t hl = 20 + (s->options.len + 3) / 4 * 4;
	if (off % 8 || off + n > whole || hl + n > 65535) {
		free(msg);
		return vg_fail(sc, "%s", off % 8 ? "frag offset must be a multiple of 8"
						 : "slice beyond the payload, or datagram over 65535 bytes");
	}
	memset(ip, 0, hl);
	memcpy(ip + 20, s->options.b, s->options.len);
	memcpy(ip + hl, msg + off, n);
	free(msg);
	int more = s->mf >= 0 ? (int)s->mf : off + n < whole;
	ip[0] = (uint8_t)((s->version >= 0 ? s->version : 4) << 4 | (s->ihl >= 0 ? s->ihl : (long)hl / 4));
	ip[1] = (uint8_t)(s->tos >= 0 ? s->tos : 0);
	vg_put16(ip + 2, s->totlen >= 0 ? s->totlen : (long)(hl + n));
	vg_put16(ip + 4, s->ipid >= 0 ? s->ipid : sc->next_ipid);
	vg_put16(ip + 6, (s->df ? 0x4000 : 0) | (more ? 0x2000 : 0) | (long)(off / 8));
	ip[8] = (uint8_t)(s->ttl >= 0 ? s->ttl : 64);
	ip[9] = (uint8_t)(s->proto >= 0 ? s->proto : default_proto(s->kind));
	vg_put32(ip + 12, s->src);
	vg_put32(ip + 16, s->dst);
	vg_put16(ip + 10, s->ipsum >= 0 ? s->ipsum : vg_checksum(ip, hl, 0));
	sc->next_ipid++;
	return (long)(hl + n);
}

static int is_broadcast(const struct tp_replay_config *cfg, tp_ip4 a)
{
	uint8_t plen = cfg->netif.prefix_len;
	tp_ip4 host_bits = plen >= 32 ? 0 : ~0u >> plen;
	return a == 0xffffffffu || (plen < 31 && (a & host_bits) == host_bits &&
				    (a & ~host_bits) == (cfg->netif.addr & ~host_bits));
}

long vg_build_frame(struct script *sc, struct spec *s, uint8_t *frame)
{
	static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	long len;

	if (s->kind == K_RAW) {
		len = (long)s->raw_len;
		memcpy(frame, s->raw, s->raw_len);
	} else {
		int to_broadcast = s->kind == K_ARP ? s->op == 1 : is_broadcast(sc->cfg, s->dst);
		memcpy(frame, s->eth_dst.set ? s->eth_dst.b : to_broadcast ? broadcast : sc->cfg->netif.mac, 6);
		memcpy(frame + 6, s->eth_src.b, 6);
		vg_put16(frame + 12, s->kind == K_ARP ? 0x0806 : 0x0800);
		len = s->kind == K_ARP ? (long)build_arp(sc, s, frame + 14) : build_ip(sc, s, frame + 14);
		if (len < 0)
			return -1;
		len += 14;
	}
	if (s->pad && len < 60) {
		memset(frame + len, 0, (size_t)(60 - len));
		len = 60;
	}
	if (s->trunc >= 0 && s->trunc < len)
		len = s->trunc;
	return len;
}
