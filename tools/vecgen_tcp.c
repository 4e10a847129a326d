/*
 * vecgen_tcp.c - TCP and UDP lines of a vector script.
 *
 *   TIME tcp SRC:PORT > DST:PORT FLAGS [options]
 *   TIME udp SRC:PORT > DST:PORT [options]
 *
 * FLAGS are tcpdump's letters (S F R P U E W, and '.' for ACK) or "none".
 *
 * Sequence numbers. A flow is one direction of a connection as the peer
 * sends it (its address and port, the stack's address and port). The first
 * segment of a flow names the peer's sequence number (`seq 1000`); each
 * later one starts by default where the flow's furthest segment so far
 * ended (SYN and FIN count one each; a SYN starts the flow over), and `seq N`
 * overrides that (reordering, retransmissions, out-of-window guesses).
 *
 * `ack` is absolute or relative to the stack's ISN on the flow: `their` is
 * the sequence number of the last SYN (or SYN-ACK) the stack sent on this
 * connection, read from the frames it has sent up to the line's time, as a
 * real peer would learn it. So `ack their+1` acknowledges the stack's SYN
 * whatever ISN its seed and clock give, and the pcap holds the numbers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vecgen.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_ACK 0x10
#define DEFAULT_WINDOW 65535

static const char flag_letters[] = "FSRP.UEW";     /* bit i is letter i, as tcpdump prints them */

static int seq_after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static int parse_u32(const char *s, uint32_t *out)
{
	long v;
	if (vg_parse_num(s, 0xffffffffL, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int vg_parse_seqnum(const char *s, struct vg_seqnum *out)
{
	uint32_t n = 0;
	memset(out, 0, sizeof(*out));
	out->set = 1;
	if (!strncmp(s, "their", 5)) {
		out->their = 1;
		s += 5;
		if (*s == '\0')
			return 0;
		if ((*s != '+' && *s != '-') || parse_u32(s + 1, &n) < 0)
			return -1;
		out->n = *s == '-' ? -(int64_t)n : (int64_t)n;
		return 0;
	}
	if (parse_u32(s, &n) < 0)
		return -1;
	out->n = n;
	return 0;
}

/* "10.0.0.1:5000" */
static int parse_endpoint(struct script *sc, const char *s, tp_ip4 *ip, uint16_t *port)
{
	char addr[32];
	long p;
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(addr) || vg_parse_num(colon + 1, 65535, &p) < 0)
		return vg_fail(sc, "expected ADDRESS:PORT, not '%s'", s);
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	*port = (uint16_t)p;
	return vg_parse_ip(sc, addr, ip);
}

static int parse_flags(struct script *sc, const char *s, uint8_t *flags)
{
	*flags = 0;
	if (!strcmp(s, "none"))
		return 0;
	for (const char *c = s; *c; c++) {
		const char *at = strchr(flag_letters, *c);
		uint8_t bit = at ? (uint8_t)(1u << (at - flag_letters)) : 0;
		if (!bit || (*flags & bit))
			return vg_fail(sc, "bad TCP flags '%s' (letters of %s once each, '.' for ACK, or none)", s,
				       flag_letters);
		*flags |= bit;
	}
	return *s ? 0 : vg_fail(sc, "empty TCP flags");
}

int vg_parse_l4_head(struct script *sc, char **tok, int n, struct spec *s)
{
	int tcp = !strcmp(tok[0], "tcp");
	int words = tcp ? 5 : 4;
	s->kind = tcp ? K_TCP : K_UDP;
	if (n < words || strcmp(tok[2], ">"))
		return vg_fail(sc, "expected '%s SRC:PORT > DST:PORT%s'", tok[0], tcp ? " FLAGS" : "");
	if (parse_endpoint(sc, tok[1], &s->src, &s->sport) < 0 || parse_endpoint(sc, tok[3], &s->dst, &s->dport) < 0)
		return -1;
	if (tcp && parse_flags(sc, tok[4], &s->tcp_flags) < 0)
		return -1;
	return words;
}

/* --- TCP options ---------------------------------------------------------- */

static int append_option(struct script *sc, struct spec *s, const uint8_t *bytes, size_t len)
{
	if (s->tcp_opt_len + len > VG_TCP_OPT_MAX)
		return vg_fail(sc, "TCP options over %d bytes", VG_TCP_OPT_MAX);
	memcpy(s->tcp_opt + s->tcp_opt_len, bytes, len);
	s->tcp_opt_len += len;
	return 0;
}

int vg_parse_tcp_option(struct script *sc, char **tok, int n, struct spec *s)
{
	const char *name = tok[0];
	uint8_t o[VG_TCP_OPT_MAX];
	long v;
	uint32_t val, ecr;

	if (!strcmp(name, "nop") || !strcmp(name, "eol") || !strcmp(name, "sackOK")) {
		static const uint8_t sack_ok[2] = {4, 2};
		o[0] = name[0] == 'n' ? 1 : 0;
		return append_option(sc, s, name[0] == 's' ? sack_ok : o, name[0] == 's' ? 2 : 1) < 0 ? -1 : 1;
	}
	if (!strcmp(name, "mss") || !strcmp(name, "ws")) {
		int mss = name[0] == 'm';
		if (n < 2 || vg_parse_num(tok[1], mss ? 65535 : 255, &v) < 0)
			return vg_fail(sc, "%s wants a number, 0..%d", name, mss ? 65535 : 255);
		o[0] = mss ? 2 : 3;
		o[1] = mss ? 4 : 3;
		o[2] = (uint8_t)(mss ? v >> 8 : v);
		o[3] = (uint8_t)v;
		return append_option(sc, s, o, mss ? 4 : 3) < 0 ? -1 : 2;
	}
	if (!strcmp(name, "ts")) {
		if (n < 3 || parse_u32(tok[1], &val) < 0 || parse_u32(tok[2], &ecr) < 0)
			return vg_fail(sc, "ts wants TSVAL TSECR");
		o[0] = 8;
		o[1] = 10;
		vg_put32(o + 2, val);
		vg_put32(o + 6, ecr);
		return append_option(sc, s, o, 10) < 0 ? -1 : 3;
	}
	/* sack LEFT RIGHT: one block (RFC 2018 §3); blocks given one after
	 * another make one option. Edges may be `their+N`, like ack. */
	if (!strcmp(name, "sack")) {
		struct vg_seqnum l, r;
		static const uint8_t head[2] = {5, 2}, block[8];
		if (n < 3 || vg_parse_seqnum(tok[1], &l) < 0 || vg_parse_seqnum(tok[2], &r) < 0)
			return vg_fail(sc, "sack wants LEFT RIGHT (N, their, their+N)");
		if (s->n_sack == 4)
			return vg_fail(sc, "at most 4 sack blocks");
		if (s->n_sack && s->sack_off + 2 + 8 * (size_t)s->n_sack != s->tcp_opt_len)
			return vg_fail(sc, "sack blocks of one option go one after another");
		if (!s->n_sack) {
			s->sack_off = s->tcp_opt_len;
			if (append_option(sc, s, head, 2) < 0)
				return -1;
		}
		if (append_option(sc, s, block, 8) < 0)
			return -1;
		s->tcp_opt[s->sack_off + 1] += 8;
		s->sack[s->n_sack][0] = l;
		s->sack[s->n_sack][1] = r;
		s->n_sack++;
		return 3;
	}
	/* tcpopt HEX: any bytes, for malformed option lists */
	long len = n < 2 ? -1 : vg_parse_hex(tok + 1, 1, o, sizeof(o));
	if (len < 0)
		return vg_fail(sc, "tcpopt wants up to %d hex bytes", VG_TCP_OPT_MAX);
	return append_option(sc, s, o, (size_t)len) < 0 ? -1 : 2;
}

/* --- headers ---------------------------------------------------------------- */

size_t vg_l4_header_len(const struct spec *s)
{
	return s->kind == K_TCP ? 20 + (s->tcp_opt_len + 3) / 4 * 4 : 8;
}

static struct vg_flow *find_flow(struct script *sc, const struct spec *s)
{
	for (int i = 0; i < sc->n_flows; i++) {
		struct vg_flow *f = &sc->flows[i];
		if (f->src == s->src && f->dst == s->dst && f->sport == s->sport && f->dport == s->dport)
			return f;
	}
	return NULL;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The sequence number of the last SYN the stack sent to this line's sender
 * from this line's destination, in the frames sent so far. */
static int stack_isn(struct script *sc, const struct spec *s, uint32_t *isn)
{
	for (size_t i = sc->sent ? sc->sent->count : 0; i-- > 0;) {
		const uint8_t *f = sc->sent->frames[i].data;
		size_t len = sc->sent->frames[i].len;
		if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6)
			continue;
		size_t l4 = 14 + (size_t)(f[14] & 15) * 4;
		if (len < l4 + 20 || be32(f + 26) != s->dst || be32(f + 30) != s->src)
			continue;
		uint16_t sport = (uint16_t)(f[l4] << 8 | f[l4 + 1]), dport = (uint16_t)(f[l4 + 2] << 8 | f[l4 + 3]);
		if (sport == s->dport && dport == s->sport && (f[l4 + 13] & TCP_SYN)) {
			*isn = be32(f + l4 + 4);
			return 0;
		}
	}
	char a[16], b[16];
	return vg_fail(sc, "ack their: the stack has sent no SYN from %s:%u to %s:%u yet",
		       tp_ip4_format(s->dst, a), s->dport, tp_ip4_format(s->src, b), s->sport);
}

static int resolve_seq(struct script *sc, const struct spec *s, const struct vg_flow *flow, uint32_t *seq)
{
	if (s->tcp_seq.their)
		return vg_fail(sc, "seq is the peer's own number: 'their' is for ack");
	if (s->tcp_seq.set)
		*seq = (uint32_t)s->tcp_seq.n;
	else if (flow)
		*seq = flow->nxt;
	else
		return vg_fail(sc, "the first segment of a connection names its seq");
	return 0;
}

static int resolve_ack(struct script *sc, const struct spec *s, uint32_t *ack)
{
	uint32_t isn = 0;
	if (!s->tcp_ack.set) {
		*ack = 0;
		return s->tcp_flags & TCP_ACK ? vg_fail(sc, "an ACK needs 'ack N' or 'ack their+N'") : 0;
	}
	if (s->tcp_ack.their && stack_isn(sc, s, &isn) < 0)
		return -1;
	*ack = isn + (uint32_t)s->tcp_ack.n;
	return 0;
}

/* Remembers where the peer's segment ended, for the next line's seq. */
static int advance_flow(struct script *sc, const struct spec *s, struct vg_flow *flow, uint32_t seq,
			size_t data_len)
{
	uint32_t end = seq + (uint32_t)data_len + !!(s->tcp_flags & TCP_SYN) + !!(s->tcp_flags & TCP_FIN);
	if (!flow) {
		if (sc->n_flows == VG_MAX_FLOWS)
			return vg_fail(sc, "more than %d TCP connections", VG_MAX_FLOWS);
		flow = &sc->flows[sc->n_flows++];
		*flow = (struct vg_flow){.src = s->src, .dst = s->dst, .sport = s->sport, .dport = s->dport};
		flow->nxt = end;
	} else if ((s->tcp_flags & TCP_SYN) || seq_after(end, flow->nxt)) {
		flow->nxt = end;
	}
	return 0;
}

static int build_tcp(struct script *sc, const struct spec *s, uint8_t *h, size_t whole)
{
	struct vg_flow *flow = find_flow(sc, s);
	size_t hl = vg_l4_header_len(s);
	uint32_t seq = 0, ack = 0;   /* set by resolve_*() on success; GCC cannot see it */
	if (resolve_seq(sc, s, flow, &seq) < 0 || resolve_ack(sc, s, &ack) < 0)
		return -1;
	vg_put16(h, s->sport);
	vg_put16(h + 2, s->dport);
	vg_put32(h + 4, seq);
	vg_put32(h + 8, ack);
	h[12] = (uint8_t)((s->doff >= 0 ? s->doff : (long)hl / 4) << 4);
	h[13] = s->tcp_flags;
	vg_put16(h + 14, s->win >= 0 ? s->win : DEFAULT_WINDOW);
	vg_put16(h + 18, s->urg >= 0 ? s->urg : 0);
	memcpy(h + 20, s->tcp_opt, s->tcp_opt_len);          /* the rest stays 0: end of option list */
	for (int b = 0; b < s->n_sack; b++)
		for (int e = 0; e < 2; e++) {
			uint32_t isn = 0;
			if (s->sack[b][e].their && stack_isn(sc, s, &isn) < 0)
				return -1;
			vg_put32(h + 20 + s->sack_off + 2 + 8 * b + 4 * e, isn + (uint32_t)s->sack[b][e].n);
		}
	vg_put16(h + 16, s->tcpsum >= 0 ? s->tcpsum : vg_checksum(h, whole, vg_pseudo_sum(s->src, s->dst, 6, whole)));
	return advance_flow(sc, s, flow, seq, whole - hl);
}

/* The checksum covers the datagram as its length field tells it (RFC 768),
 * so `ulen` below the payload makes the rest surplus IP payload. */
static void build_udp(const struct spec *s, uint8_t *h, size_t whole)
{
	size_t ulen = s->ulen >= 0 ? (size_t)s->ulen : whole;
	size_t covered = ulen < whole ? ulen : whole;
	vg_put16(h, s->sport);
	vg_put16(h + 2, s->dport);
	vg_put16(h + 4, (long)ulen);
	uint16_t sum = vg_checksum(h, covered, vg_pseudo_sum(s->src, s->dst, 17, ulen));
	/* RFC 768: a computed zero is sent as all ones; zero means "none". */
	vg_put16(h + 6, s->udpsum >= 0 ? s->udpsum : sum ? sum : 0xffff);
}

int vg_build_l4_header(struct script *sc, const struct spec *s, uint8_t *msg, size_t whole)
{
	if (s->kind == K_TCP)
		return build_tcp(sc, s, msg, whole);
	build_udp(s, msg, whole);
	return 0;
}
