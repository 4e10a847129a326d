/*
 * decode.c - frames into words. One parse fills a `struct frame`; the
 * summary line and the field list are two views of it, so they never
 * disagree. Every read is bounds-checked: a short frame stops the parse
 * where its bytes end and says "truncated".
 */
#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum layer { L_ETH = 1, L_ARP = 2, L_IP = 4, L_ICMP = 8, L_UDP = 16, L_TCP = 32 };

struct frame {
	unsigned layers;
	const char *truncated;      /* the layer whose header was cut short */
	/* Ethernet */
	const uint8_t *dst, *src;
	unsigned ethertype;
	/* ARP */
	unsigned arp_op;
	const uint8_t *sha, *tha;
	uint32_t spa, tpa;
	/* IPv4 */
	unsigned ip_ver, ip_hl, ip_tos, ip_len, ip_id, ip_flags, ip_off, ip_ttl, ip_proto, ip_sum;
	uint32_t ip_src, ip_dst;
	/* ICMP */
	unsigned icmp_type, icmp_code, icmp_sum, icmp_id, icmp_seq;
	/* UDP / TCP */
	unsigned sport, dport, l4_sum, udp_len;
	uint32_t seq, ack;
	unsigned tcp_off, tcp_flags, win, urg;
	const uint8_t *tcp_opt;
	size_t tcp_opt_len;
	/* What follows the last header parsed */
	const uint8_t *payload;
	size_t payload_len;
	size_t pad;                 /* bytes after the IP datagram (Ethernet padding) */
};

static unsigned be16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void parse_l4(struct frame *fr, const uint8_t *p, size_t n)
{
	switch (fr->ip_proto) {
	case 1:
		if (n < 8) {
			fr->truncated = "icmp";
			break;
		}
		fr->layers |= L_ICMP;
		fr->icmp_type = p[0];
		fr->icmp_code = p[1];
		fr->icmp_sum = be16(p + 2);
		fr->icmp_id = be16(p + 4);
		fr->icmp_seq = be16(p + 6);
		p += 8, n -= 8;
		break;
	case 17:
		if (n < 8) {
			fr->truncated = "udp";
			break;
		}
		fr->layers |= L_UDP;
		fr->sport = be16(p);
		fr->dport = be16(p + 2);
		fr->udp_len = be16(p + 4);
		fr->l4_sum = be16(p + 6);
		p += 8, n -= 8;
		break;
	case 6: {
		size_t off = n >= 13 ? (size_t)(p[12] >> 4) * 4 : 0;
		if (n < 20 || off < 20 || off > n) {
			fr->truncated = "tcp";
			break;
		}
		fr->layers |= L_TCP;
		fr->sport = be16(p);
		fr->dport = be16(p + 2);
		fr->seq = be32(p + 4);
		fr->ack = be32(p + 8);
		fr->tcp_off = (unsigned)off;
		fr->tcp_flags = (unsigned)(p[12] & 1) << 8 | p[13];
		fr->win = be16(p + 14);
		fr->l4_sum = be16(p + 16);
		fr->urg = be16(p + 18);
		fr->tcp_opt = p + 20;
		fr->tcp_opt_len = off - 20;
		p += off, n -= off;
		break;
	}
	default:
		break;
	}
	fr->payload = p;
	fr->payload_len = n;
}

static void parse(struct frame *fr, const uint8_t *f, size_t len)
{
	memset(fr, 0, sizeof(*fr));
	if (len < 14) {
		fr->truncated = "ethernet";
		fr->payload = f;
		fr->payload_len = len;
		return;
	}
	fr->layers = L_ETH;
	fr->dst = f;
	fr->src = f + 6;
	fr->ethertype = be16(f + 12);
	const uint8_t *p = f + 14;
	size_t n = len - 14;
	fr->payload = p;
	fr->payload_len = n;

	if (fr->ethertype == 0x0806) {
		if (n < 28) {
			fr->truncated = "arp";
			return;
		}
		fr->layers |= L_ARP;
		fr->arp_op = be16(p + 6);
		fr->sha = p + 8;
		fr->spa = be32(p + 14);
		fr->tha = p + 18;
		fr->tpa = be32(p + 24);
		fr->payload = p + 28;
		fr->payload_len = 0;
		fr->pad = n - 28;
		return;
	}
	if (fr->ethertype != 0x0800)
		return;
	if (n < 20 || (p[0] & 0x0f) * 4u > n || (p[0] & 0x0f) < 5) {
		fr->truncated = "ip";
		return;
	}
	fr->layers |= L_IP;
	fr->ip_ver = p[0] >> 4;
	fr->ip_hl = (p[0] & 0x0f) * 4u;
	fr->ip_tos = p[1];
	fr->ip_len = be16(p + 2);
	fr->ip_id = be16(p + 4);
	fr->ip_flags = be16(p + 6) >> 13;
	fr->ip_off = (be16(p + 6) & 0x1fff) * 8u;
	fr->ip_ttl = p[8];
	fr->ip_proto = p[9];
	fr->ip_sum = be16(p + 10);
	fr->ip_src = be32(p + 12);
	fr->ip_dst = be32(p + 16);
	size_t datagram = fr->ip_len >= fr->ip_hl && fr->ip_len <= n ? fr->ip_len : n;
	fr->pad = n - datagram;
	p += fr->ip_hl;
	n = datagram - fr->ip_hl;
	fr->payload = p;
	fr->payload_len = n;
	if (fr->ip_off == 0)        /* later fragments carry no transport header */
		parse_l4(fr, p, n);
}

/* --- text helpers ------------------------------------------------------- */

struct out {
	char *buf;
	size_t size, used;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	if (o->used >= o->size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += (size_t)n < o->size - o->used ? (size_t)n : o->size - o->used - 1;
}

static const char *ip_str(uint32_t a, char *b)
{
	snprintf(b, 16, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	return b;
}

static const char *mac_str(const uint8_t *m, char *b)
{
	snprintf(b, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return b;
}

static const char *icmp_name(unsigned type)
{
	switch (type) {
	case 0: return "echo reply";
	case 3: return "unreachable";
	case 8: return "echo request";
	case 11: return "time exceeded";
	case 12: return "parameter problem";
	default: return "type";
	}
}

static void tcp_flags_str(unsigned flags, char *b)
{
	static const char names[] = "FSRP.UEW";   /* tcpdump's letters; '.' is ACK */
	char *p = b;
	for (int i = 0; i < 8; i++)
		if (flags & (1u << i))
			*p++ = names[i];
	if (flags & 0x100)
		*p++ = 'N';
	if (p == b)
		*p++ = '-';
	*p = '\0';
}

/* "<mss 1460,sackOK,ts 1 0,nop,ws 7>" - stops at a malformed length. */
static void tcp_options_str(const uint8_t *o, size_t n, struct out *out)
{
	const char *sep = "";
	size_t i = 0;
	put(out, "<");
	while (i < n) {
		uint8_t kind = o[i];
		if (kind == 0) {
			put(out, "%seol", sep);
			break;
		}
		if (kind == 1) {
			put(out, "%snop", sep);
			i++;
			sep = ",";
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i) {
			put(out, "%sbad option %u", sep, kind);
			break;
		}
		uint8_t len = o[i + 1];
		const uint8_t *v = o + i + 2;
		if (kind == 2 && len == 4)
			put(out, "%smss %u", sep, be16(v));
		else if (kind == 3 && len == 3)
			put(out, "%sws %u", sep, v[0]);
		else if (kind == 4 && len == 2)
			put(out, "%ssackOK", sep);
		else if (kind == 8 && len == 10)
			put(out, "%sts %u %u", sep, be32(v), be32(v + 4));
		else if (kind == 5 && (len - 2) % 8 == 0) {
			put(out, "%ssack", sep);
			for (int b = 0; b < (len - 2) / 8; b++)
				put(out, " %u-%u", be32(v + 8 * b), be32(v + 8 * b + 4));
		} else
			put(out, "%sopt %u len %u", sep, kind, len);
		i += len;
		sep = ",";
	}
	put(out, ">");
}

char *tp_decode_summary(const uint8_t *frame, size_t len, char *buf, size_t size)
{
	struct frame fr;
	struct out o = {buf, size, 0};
	char a[18], b[18];

	if (size)
		buf[0] = '\0';
	parse(&fr, frame, len);
	if (fr.layers & L_ARP) {
		if (fr.arp_op == 1 && fr.spa == fr.tpa)
			put(&o, "ARP announce %s is-at %s", ip_str(fr.spa, a), mac_str(fr.sha, b));
		else if (fr.arp_op == 1)
			put(&o, "ARP who-has %s tell %s", ip_str(fr.tpa, a), ip_str(fr.spa, b));
		else if (fr.arp_op == 2)
			put(&o, "ARP reply %s is-at %s", ip_str(fr.spa, a), mac_str(fr.sha, b));
		else
			put(&o, "ARP op %u", fr.arp_op);
	} else if (fr.layers & L_IP) {
		int ports = fr.layers & (L_TCP | L_UDP);
		put(&o, "%s", ip_str(fr.ip_src, a));
		if (ports)
			put(&o, ":%u", fr.sport);
		put(&o, " > %s", ip_str(fr.ip_dst, b));
		if (ports)
			put(&o, ":%u", fr.dport);
		if (fr.layers & L_ICMP) {
			put(&o, " ICMP %s", icmp_name(fr.icmp_type));
			if (fr.icmp_type == 0 || fr.icmp_type == 8)
				put(&o, " id %u seq %u", fr.icmp_id, fr.icmp_seq);
			else
				put(&o, " %u code %u", fr.icmp_type, fr.icmp_code);
		} else if (fr.layers & L_UDP) {
			put(&o, " UDP");
		} else if (fr.layers & L_TCP) {
			char flags[12];
			tcp_flags_str(fr.tcp_flags, flags);
			put(&o, " [%s] seq %u", flags, fr.seq);
			if (fr.tcp_flags & 0x10)
				put(&o, " ack %u", fr.ack);
			put(&o, " win %u", fr.win);
			if (fr.tcp_opt_len) {
				put(&o, " ");
				tcp_options_str(fr.tcp_opt, fr.tcp_opt_len, &o);
			}
		} else {
			put(&o, " proto %u", fr.ip_proto);
		}
		if (fr.ip_flags & 1 || fr.ip_off)
			put(&o, " frag id %u off %u%s", fr.ip_id, fr.ip_off, fr.ip_flags & 1 ? "+" : "");
		put(&o, " len %zu", fr.payload_len);
	} else if (fr.layers & L_ETH) {
		put(&o, "%s > %s ethertype 0x%04x len %zu", mac_str(fr.src, a), mac_str(fr.dst, b),
		    fr.ethertype, len);
	}
	if (fr.truncated)
		put(&o, "%s[truncated %s, %zu bytes]", o.used ? " " : "", fr.truncated, len);
	return buf;
}

static void field(tp_field_fn fn, void *ctx, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void field(tp_field_fn fn, void *ctx, const char *name, const char *fmt, ...)
{
	char v[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	fn(ctx, name, v);
}

static void bytes_field(tp_field_fn fn, void *ctx, const char *name, const uint8_t *p, size_t n)
{
	/* Long payloads are summarised by length and a checksum-like digest so
	 * two that differ show different values without flooding the screen. */
	char v[128];
	size_t shown = n < 24 ? n : 24, used = 0;
	used += (size_t)snprintf(v, sizeof(v), "%zu bytes:", n);
	for (size_t i = 0; i < shown && used + 4 < sizeof(v); i++)
		used += (size_t)snprintf(v + used, sizeof(v) - used, " %02x", p[i]);
	if (n > shown) {
		uint32_t h = 2166136261u;               /* FNV-1a over all bytes */
		for (size_t i = 0; i < n; i++)
			h = (h ^ p[i]) * 16777619u;
		snprintf(v + used, sizeof(v) - used, " ... fnv %08x", h);
	}
	fn(ctx, name, v);
}

void tp_decode_fields(const uint8_t *frame, size_t len, tp_field_fn fn, void *ctx)
{
	struct frame fr;
	char a[18];

	parse(&fr, frame, len);
	field(fn, ctx, "frame.len", "%zu", len);
	if (fr.layers & L_ETH) {
		field(fn, ctx, "eth.dst", "%s", mac_str(fr.dst, a));
		field(fn, ctx, "eth.src", "%s", mac_str(fr.src, a));
		field(fn, ctx, "eth.type", "0x%04x", fr.ethertype);
	}
	if (fr.layers & L_ARP) {
		field(fn, ctx, "arp.op", "%u", fr.arp_op);
		field(fn, ctx, "arp.sha", "%s", mac_str(fr.sha, a));
		field(fn, ctx, "arp.spa", "%s", ip_str(fr.spa, a));
		field(fn, ctx, "arp.tha", "%s", mac_str(fr.tha, a));
		field(fn, ctx, "arp.tpa", "%s", ip_str(fr.tpa, a));
	}
	if (fr.layers & L_IP) {
		field(fn, ctx, "ip.version", "%u", fr.ip_ver);
		field(fn, ctx, "ip.hdr_len", "%u", fr.ip_hl);
		field(fn, ctx, "ip.tos", "0x%02x", fr.ip_tos);
		field(fn, ctx, "ip.len", "%u", fr.ip_len);
		field(fn, ctx, "ip.id", "%u", fr.ip_id);
		field(fn, ctx, "ip.flags", "%s%s", fr.ip_flags & 2 ? "DF" : "", fr.ip_flags & 1 ? "MF" : "");
		field(fn, ctx, "ip.frag_off", "%u", fr.ip_off);
		field(fn, ctx, "ip.ttl", "%u", fr.ip_ttl);
		field(fn, ctx, "ip.proto", "%u", fr.ip_proto);
		field(fn, ctx, "ip.checksum", "0x%04x", fr.ip_sum);
		field(fn, ctx, "ip.src", "%s", ip_str(fr.ip_src, a));
		field(fn, ctx, "ip.dst", "%s", ip_str(fr.ip_dst, a));
		if (fr.ip_hl > 20)
			bytes_field(fn, ctx, "ip.options", frame + 14 + 20, fr.ip_hl - 20);
	}
	if (fr.layers & L_ICMP) {
		field(fn, ctx, "icmp.type", "%u (%s)", fr.icmp_type, icmp_name(fr.icmp_type));
		field(fn, ctx, "icmp.code", "%u", fr.icmp_code);
		field(fn, ctx, "icmp.checksum", "0x%04x", fr.icmp_sum);
		field(fn, ctx, "icmp.id", "%u", fr.icmp_id);
		field(fn, ctx, "icmp.seq", "%u", fr.icmp_seq);
	}
	if (fr.layers & (L_UDP | L_TCP)) {
		const char *l4 = fr.layers & L_UDP ? "udp" : "tcp";
		char name[24];
		snprintf(name, sizeof(name), "%s.sport", l4);
		field(fn, ctx, name, "%u", fr.sport);
		snprintf(name, sizeof(name), "%s.dport", l4);
		field(fn, ctx, name, "%u", fr.dport);
		snprintf(name, sizeof(name), "%s.checksum", l4);
		field(fn, ctx, name, "0x%04x", fr.l4_sum);
	}
	if (fr.layers & L_UDP)
		field(fn, ctx, "udp.len", "%u", fr.udp_len);
	if (fr.layers & L_TCP) {
		char flags[12], opts[256];
		struct out o = {opts, sizeof(opts), 0};
		tcp_flags_str(fr.tcp_flags, flags);
		tcp_options_str(fr.tcp_opt, fr.tcp_opt_len, &o);
		field(fn, ctx, "tcp.seq", "%u", fr.seq);
		field(fn, ctx, "tcp.ack", "%u", fr.ack);
		field(fn, ctx, "tcp.hdr_len", "%u", fr.tcp_off);
		field(fn, ctx, "tcp.flags", "%s", flags);
		field(fn, ctx, "tcp.win", "%u", fr.win);
		field(fn, ctx, "tcp.urg", "%u", fr.urg);
		field(fn, ctx, "tcp.options", "%s", opts);
	}
	if (fr.truncated)
		field(fn, ctx, "truncated", "%s", fr.truncated);
	bytes_field(fn, ctx, "payload", fr.payload, fr.payload_len);
	if (fr.pad)
		field(fn, ctx, "padding", "%zu bytes", fr.pad);
}

/* --- TCP as numbers (for tools that track connections) ------------------ */

static void tcp_options_parse(const uint8_t *o, size_t n, struct tp_tcp_segment *seg)
{
	size_t i = 0;
	while (i < n && o[i] != 0) {
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			return;         /* malformed: what came before still counts */
		uint8_t kind = o[i], len = o[i + 1];
		const uint8_t *v = o + i + 2;
		if (kind == 2 && len == 4) {
			seg->has_mss = 1;
			seg->mss = be16(v);
		} else if (kind == 3 && len == 3) {
			seg->has_ws = 1;
			seg->ws = v[0];
		} else if (kind == 4 && len == 2) {
			seg->has_sack_ok = 1;
		} else if (kind == 8 && len == 10) {
			seg->has_ts = 1;
			seg->ts_val = be32(v);
			seg->ts_ecr = be32(v + 4);
		} else if (kind == 5 && (len - 2) % 8 == 0) {
			for (int b = 0; b < (len - 2) / 8 && seg->n_sack < TP_TCP_MAX_SACK; b++) {
				seg->sack[seg->n_sack][0] = be32(v + 8 * b);
				seg->sack[seg->n_sack][1] = be32(v + 8 * b + 4);
				seg->n_sack++;
			}
		}
		i += len;
	}
}

int tp_decode_tcp(const uint8_t *frame, size_t len, struct tp_tcp_segment *seg)
{
	struct frame fr;

	memset(seg, 0, sizeof(*seg));
	parse(&fr, frame, len);
	if (!(fr.layers & L_TCP))
		return 0;
	seg->src_ip = fr.ip_src;
	seg->dst_ip = fr.ip_dst;
	seg->sport = fr.sport;
	seg->dport = fr.dport;
	seg->seq = fr.seq;
	seg->ack = fr.ack;
	seg->flags = fr.tcp_flags & 0xff;
	seg->win = fr.win;
	seg->payload_len = fr.payload_len;
	tcp_options_parse(fr.tcp_opt, fr.tcp_opt_len, seg);
	return 1;
}
