/*
 * vecgen.c - `tapir-vecgen NAME.vec`: turns a short text script of what a peer
 * sends into a pcap test vector. The script's frames are played to a fresh
 * stack configured by NAME.conf (the sidecar replay reads too), and the whole
 * conversation, the stack's answers included, is written to NAME.pcap for a
 * human to check against the RFCs and commit. Grammar: usage() below and
 * pcaps/README.md.
 *
 * Frames are built here with code of its own (checksums too) rather than the
 * stack's: a vector built by the code under test would agree with its bugs.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define MAX_HOSTS 32
#define MAX_TOKENS 64
#define MAX_FRAME (14 + 65535 + 64)

static void usage(FILE *out)
{
	fputs("usage: tapir-vecgen [-q] [--conf FILE] [-o OUT.pcap] NAME.vec\n"
	      "Builds the peer's frames from the script, runs them through a stack configured\n"
	      "by NAME.conf (see `tapir replay --help` for its keys), and writes the whole\n"
	      "conversation to NAME.pcap (or OUT.pcap), printing it frame by frame (-q: don't).\n"
	      "\n"
	      "script lines ('#' starts a comment; TIME: seconds since the stack started,\n"
	      "never decreasing; in the pcap it is the conf's `start` + TIME):\n"
	      "  host IP MAC                         the MAC of a peer address\n"
	      "  TIME arp who-has IP tell IP [opt]   ARP request (broadcast)\n"
	      "  TIME arp reply IP [opt]             IP is-at its host MAC, sent to the stack\n"
	      "  TIME icmp KIND SRC > DST [opt]      KIND: echo, echo-reply or TYPE/CODE (3/2)\n"
	      "  TIME ip SRC > DST [opt]             IP datagram of `len` bytes (proto 253)\n"
	      "  TIME raw HEX...                     any bytes, as a whole frame\n"
	      "options (key value, or a bare flag):\n"
	      "  any:   eth.src MAC  eth.dst MAC  pad (zeros up to 60 bytes)  trunc N (cut the frame)\n"
	      "  arp:   op N  sha MAC  tha MAC\n"
	      "  ip:    version N  ipid N  ttl N  tos N  proto N  df  mf 0|1\n"
	      "         frag OFF LEN (send only bytes OFF..OFF+LEN of the payload; MF set unless\n"
	      "         that reaches the end)  options HEX (padded with EOL to 4 bytes)\n"
	      "         ihl N (header length field, in words)  totlen N  ipsum N (as sent)\n"
	      "  data:  len N (ICMP data / IP payload bytes; default 56 / 20)  fill N (every data\n"
	      "         byte N; default byte i is i mod 256)\n"
	      "         poke OFF HEX (then overwrite payload bytes from OFF, checksums kept)\n"
	      "  icmp:  id N  seq N  icmpsum N\n"
	      "Defaults: eth.src the source's host MAC, eth.dst the stack's (broadcast for\n"
	      "requests and broadcast addresses), ipid counts up per IP line (give fragments of\n"
	      "one datagram the same ipid), ttl 64, checksums and lengths computed.\n", out);
}

/* --- Option table ------------------------------------------------------- */

enum kind { K_ARP = 1, K_ICMP = 2, K_IP = 4, K_RAW = 8 };   /* raw takes no options */
#define K_ANY (K_ARP | K_ICMP | K_IP)
#define K_L3 (K_ICMP | K_IP)

struct mac_opt { int set; uint8_t b[6]; };
struct hex_opt { size_t len; uint8_t b[40]; };
struct poke_opt { long off; struct hex_opt bytes; };

/* One line's frame; numbers are -1 while not given. */
struct spec {
	enum kind kind;
	struct mac_opt eth_src, eth_dst, sha, tha;
	int pad, df;
	long trunc, op, version, ipid, ttl, tos, proto, mf, ihl, totlen, ipsum, len, fill, id, seq, icmpsum;
	long frag_off, frag_len;
	struct hex_opt options;
	struct poke_opt poke;
	tp_ip4 spa, tpa, src, dst;      /* ARP sender/target, IP source/destination */
	uint8_t icmp_type, icmp_code;
	uint8_t *raw;
	size_t raw_len;
};

enum opt_type { OPT_MAC, OPT_FLAG, OPT_NUM, OPT_HEX, OPT_RANGE, OPT_POKE };

struct opt {
	const char *name;
	enum opt_type type;
	unsigned kinds;
	size_t offset;
	long max;
};

#define S(field) offsetof(struct spec, field)
static const struct opt opts[] = {
	{"eth.src", OPT_MAC, K_ANY, S(eth_src), 0},
	{"eth.dst", OPT_MAC, K_ANY, S(eth_dst), 0},
	{"pad", OPT_FLAG, K_ANY, S(pad), 0},
	{"trunc", OPT_NUM, K_ANY, S(trunc), MAX_FRAME},
	{"op", OPT_NUM, K_ARP, S(op), 0xffff},
	{"sha", OPT_MAC, K_ARP, S(sha), 0},
	{"tha", OPT_MAC, K_ARP, S(tha), 0},
	{"version", OPT_NUM, K_L3, S(version), 15},
	{"ipid", OPT_NUM, K_L3, S(ipid), 0xffff},
	{"ttl", OPT_NUM, K_L3, S(ttl), 255},
	{"tos", OPT_NUM, K_L3, S(tos), 255},
	{"proto", OPT_NUM, K_L3, S(proto), 255},
	{"df", OPT_FLAG, K_L3, S(df), 0},
	{"mf", OPT_NUM, K_L3, S(mf), 1},
	{"frag", OPT_RANGE, K_L3, S(frag_off), 65535},
	{"options", OPT_HEX, K_L3, S(options), 0},
	{"ihl", OPT_NUM, K_L3, S(ihl), 15},
	{"totlen", OPT_NUM, K_L3, S(totlen), 0xffff},
	{"ipsum", OPT_NUM, K_L3, S(ipsum), 0xffff},
	{"len", OPT_NUM, K_L3, S(len), 65535},
	{"fill", OPT_NUM, K_L3, S(fill), 255},
	{"id", OPT_NUM, K_ICMP, S(id), 0xffff},
	{"seq", OPT_NUM, K_ICMP, S(seq), 0xffff},
	{"icmpsum", OPT_NUM, K_ICMP, S(icmpsum), 0xffff},
	{"poke", OPT_POKE, K_L3, S(poke), 65535},
};
#undef S

/* --- The script's state ------------------------------------------------- */

struct script {
	const char *path;
	int line;
	char err[300];
	const struct tp_replay_config *cfg;
	struct { tp_ip4 ip; uint8_t mac[6]; } hosts[MAX_HOSTS];
	int n_hosts;
	uint16_t next_ipid;
	tp_time base;                   /* capture time of script time 0: the conf's start */
	tp_time last;
	struct tp_frame_list frames;
};

static int fail(struct script *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct script *sc, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (char *c = why; *c; c++)        /* a binary file must not garble the terminal */
		if (!isprint((unsigned char)*c))
			*c = '?';
	snprintf(sc->err, sizeof(sc->err), "%s:%d: %s", sc->path, sc->line, why);
	return -1;
}

/* Decimal or 0x-hex (never octal: "010" is ten). */
static int parse_num(const char *s, long max, long *out)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	long v = strtol(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits from several tokens into out (at most cap bytes); -1 if odd or not hex. */
static long parse_hex(char **tok, int n, uint8_t *out, size_t cap)
{
	size_t len = 0;
	int half = -1;
	for (int t = 0; t < n; t++)
		for (const char *c = tok[t]; *c; c++) {
			int v = hexval(*c);
			if (v < 0 || (half < 0 && len == cap))
				return -1;
			if (half < 0) {
				half = v;
			} else {
				out[len++] = (uint8_t)(half << 4 | v);
				half = -1;
			}
		}
	return half < 0 ? (long)len : -1;
}

static const uint8_t *host_mac(const struct script *sc, tp_ip4 ip)
{
	for (int i = 0; i < sc->n_hosts; i++)
		if (sc->hosts[i].ip == ip)
			return sc->hosts[i].mac;
	return NULL;
}

/* --- Building a frame --------------------------------------------------- */

static uint16_t checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, long v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); }

static size_t build_arp(const struct script *sc, const struct spec *s, uint8_t *a)
{
	static const uint8_t zero[6];
	int request = s->op == 1;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, s->op);
	memcpy(a + 8, s->sha.b, 6);
	put32(a + 14, s->spa);
	memcpy(a + 18, s->tha.set ? s->tha.b : request ? zero : sc->cfg->netif.mac, 6);
	put32(a + 24, s->tpa);
	return 28;
}

/* The whole transport payload (ICMP message or plain bytes), then the slice
 * this line sends, behind an IP header. Returns the datagram's length. */
static long build_ip(struct script *sc, const struct spec *s, uint8_t *ip)
{
	int icmp = s->kind == K_ICMP;
	size_t data_len = (size_t)(s->len >= 0 ? s->len : icmp ? 56 : 20);
	size_t whole = (icmp ? 8 : 0) + data_len;
	uint8_t *msg = malloc(whole ? whole : 1);
	if (!msg)
		return fail(sc, "out of memory");
	uint8_t *data = msg + (icmp ? 8 : 0);
	for (size_t i = 0; i < data_len; i++)
		data[i] = (uint8_t)(s->fill >= 0 ? s->fill : (long)(i & 0xff));
	if (icmp) {
		msg[0] = s->icmp_type;
		msg[1] = s->icmp_code;
		put16(msg + 2, 0);
		put16(msg + 4, s->id >= 0 ? s->id : 1);
		put16(msg + 6, s->seq >= 0 ? s->seq : 1);
		put16(msg + 2, s->icmpsum >= 0 ? s->icmpsum : checksum(msg, whole));
	}
	if (s->poke.off >= 0) {
		if ((size_t)s->poke.off + s->poke.bytes.len > whole) {
			free(msg);
			return fail(sc, "poke beyond the payload");
		}
		memcpy(msg + s->poke.off, s->poke.bytes.b, s->poke.bytes.len);
	}
	size_t off = s->frag_off >= 0 ? (size_t)s->frag_off : 0;
	size_t n = s->frag_off >= 0 ? (size_t)s->frag_len : whole;
	size_t hl = 20 + (s->options.len + 3) / 4 * 4;
	if (off % 8 || off + n > whole || hl + n > 65535) {
		free(msg);
		return fail(sc, "%s", off % 8 ? "frag offset must be a multiple of 8"
					     : "slice beyond the payload, or datagram over 65535 bytes");
	}
	memset(ip, 0, hl);
	memcpy(ip + 20, s->options.b, s->options.len);
	memcpy(ip + hl, msg + off, n);
	free(msg);
	int more = s->mf >= 0 ? (int)s->mf : off + n < whole;
	ip[0] = (uint8_t)((s->version >= 0 ? s->version : 4) << 4 | (s->ihl >= 0 ? s->ihl : (long)hl / 4));
	ip[1] = (uint8_t)(s->tos >= 0 ? s->tos : 0);
	put16(ip + 2, s->totlen >= 0 ? s->totlen : (long)(hl + n));
	put16(ip + 4, s->ipid >= 0 ? s->ipid : sc->next_ipid);
	put16(ip + 6, (s->df ? 0x4000 : 0) | (more ? 0x2000 : 0) | (long)(off / 8));
	ip[8] = (uint8_t)(s->ttl >= 0 ? s->ttl : 64);
	ip[9] = (uint8_t)(s->proto >= 0 ? s->proto : icmp ? 1 : 253);
	put32(ip + 12, s->src);
	put32(ip + 16, s->dst);
	put16(ip + 10, s->ipsum >= 0 ? s->ipsum : checksum(ip, hl));
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

static int add_frame(struct script *sc, const struct spec *s, tp_time t)
{
	static uint8_t frame[MAX_FRAME];
	static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	long len;

	if (s->kind == K_RAW) {
		len = (long)s->raw_len;
		memcpy(frame, s->raw, s->raw_len);
	} else {
		int to_broadcast = s->kind == K_ARP ? s->op == 1 : is_broadcast(sc->cfg, s->dst);
		memcpy(frame, s->eth_dst.set ? s->eth_dst.b : to_broadcast ? broadcast : sc->cfg->netif.mac, 6);
		memcpy(frame + 6, s->eth_src.b, 6);
		put16(frame + 12, s->kind == K_ARP ? 0x0806 : 0x0800);
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
	if (tp_frame_list_add(&sc->frames, t, frame, (size_t)len) < 0)
		return fail(sc, "out of memory");
	return 0;
}

/* --- Parsing a line ----------------------------------------------------- */

static int parse_ip_arg(struct script *sc, const char *s, tp_ip4 *out)
{
	return tp_ip4_parse(s, out) == 0 ? 0 : fail(sc, "bad IPv4 address '%s'", s);
}

/* "SRC > DST" at tok[0..2]. */
static int parse_flow(struct script *sc, char **tok, int n, struct spec *s)
{
	if (n < 3 || strcmp(tok[1], ">"))
		return fail(sc, "expected 'SRC > DST'");
	return parse_ip_arg(sc, tok[0], &s->src) || parse_ip_arg(sc, tok[2], &s->dst) ? -1 : 3;
}

static int parse_icmp_kind(struct script *sc, const char *k, struct spec *s)
{
	long type, code;
	char *slash = strchr(k, '/');
	if (!strcmp(k, "echo")) {
		s->icmp_type = 8;
	} else if (!strcmp(k, "echo-reply")) {
		s->icmp_type = 0;
	} else if (slash) {
		*slash = '\0';
		if (parse_num(k, 255, &type) || parse_num(slash + 1, 255, &code))
			return fail(sc, "bad ICMP TYPE/CODE");
		s->icmp_type = (uint8_t)type;
		s->icmp_code = (uint8_t)code;
	} else {
		return fail(sc, "unknown ICMP kind '%s' (echo, echo-reply or TYPE/CODE)", k);
	}
	return 0;
}

/* The words before the options; returns how many it used, or -1. */
static int parse_head(struct script *sc, char **tok, int n, struct spec *s)
{
	if (!strcmp(tok[0], "arp")) {
		s->kind = K_ARP;
		if (n >= 5 && !strcmp(tok[1], "who-has") && !strcmp(tok[3], "tell")) {
			s->op = 1;
			return parse_ip_arg(sc, tok[2], &s->tpa) || parse_ip_arg(sc, tok[4], &s->spa) ? -1 : 5;
		}
		if (n >= 3 && !strcmp(tok[1], "reply")) {
			s->op = 2;
			s->tpa = sc->cfg->netif.addr;
			return parse_ip_arg(sc, tok[2], &s->spa) ? -1 : 3;
		}
		return fail(sc, "expected 'arp who-has IP tell IP' or 'arp reply IP'");
	}
	if (!strcmp(tok[0], "icmp")) {
		s->kind = K_ICMP;
		if (n < 2 || parse_icmp_kind(sc, tok[1], s))
			return n < 2 ? fail(sc, "expected 'icmp KIND SRC > DST'") : -1;
		int used = parse_flow(sc, tok + 2, n - 2, s);
		return used < 0 ? -1 : 2 + used;
	}
	if (!strcmp(tok[0], "ip")) {
		s->kind = K_IP;
		int used = parse_flow(sc, tok + 1, n - 1, s);
		return used < 0 ? -1 : 1 + used;
	}
	if (!strcmp(tok[0], "raw")) {
		s->kind = K_RAW;
		s->raw = malloc(MAX_FRAME);
		long len = s->raw ? parse_hex(tok + 1, n - 1, s->raw, MAX_FRAME) : -1;
		if (len < 0)
			return fail(sc, "raw wants hex bytes (an even number of hex digits)");
		s->raw_len = (size_t)len;
		return n;
	}
	return fail(sc, "unknown frame kind '%s' (arp, icmp, ip, raw)", tok[0]);
}

static int parse_option(struct script *sc, char **tok, int n, struct spec *s)
{
	const struct opt *o = NULL;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(opts[i].name, tok[0]))
			o = &opts[i];
	if (!o)
		return fail(sc, "unknown option '%s'", tok[0]);
	if (!(o->kinds & s->kind))
		return fail(sc, "option '%s' does not apply to this kind of frame", tok[0]);
	void *field = (char *)s + o->offset;
	int args = o->type == OPT_FLAG ? 0 : o->type == OPT_RANGE || o->type == OPT_POKE ? 2 : 1;
	if (n <= args)
		return fail(sc, "option '%s' wants a value", tok[0]);
	switch (o->type) {
	case OPT_FLAG:
		*(int *)field = 1;
		return 1;
	case OPT_MAC:
		((struct mac_opt *)field)->set = 1;
		return tp_mac_parse(tok[1], ((struct mac_opt *)field)->b) == 0 ? 2 : fail(sc, "bad MAC '%s'", tok[1]);
	case OPT_NUM:
		return parse_num(tok[1], o->max, field) == 0 ? 2 : fail(sc, "%s wants a number, 0..%ld", tok[0], o->max);
	case OPT_RANGE:
		return parse_num(tok[1], o->max, &s->frag_off) == 0 && parse_num(tok[2], o->max, &s->frag_len) == 0
			       ? 3 : fail(sc, "frag wants OFFSET LENGTH");
	case OPT_HEX:
	case OPT_POKE: {
		int poke = o->type == OPT_POKE;
		struct hex_opt *h = poke ? &s->poke.bytes : field;
		long len = parse_hex(tok + 1 + poke, 1, h->b, sizeof(h->b));
		h->len = len < 0 ? 0 : (size_t)len;
		if (len < 0 || (poke && parse_num(tok[1], o->max, &s->poke.off)))
			return fail(sc, "%s wants %sup to 40 hex bytes", o->name, poke ? "OFFSET and " : "");
		return 2 + poke;
	}
	}
	return -1;
}

/* The MACs a line did not give: the sender's from the host table. */
static int fill_macs(struct script *sc, struct spec *s)
{
	tp_ip4 sender = s->kind == K_ARP ? s->spa : s->src;
	const uint8_t *mac = host_mac(sc, sender);
	char ip[16];
	if (s->kind == K_ARP && !s->sha.set) {
		if (!mac)
			return fail(sc, "no MAC for %s: add 'host IP MAC' or 'sha'", tp_ip4_format(sender, ip));
		s->sha.set = 1;
		memcpy(s->sha.b, mac, 6);
	}
	if (!s->eth_src.set) {
		if (s->kind == K_ARP)
			mac = s->sha.b;
		else if (!mac)
			return fail(sc, "no MAC for %s: add 'host IP MAC' or 'eth.src'", tp_ip4_format(sender, ip));
		s->eth_src.set = 1;
		memcpy(s->eth_src.b, mac, 6);
	}
	return 0;
}

static int parse_frame_line(struct script *sc, char **tok, int n, tp_time t)
{
	struct spec s;
	memset(&s, 0, sizeof(s));
	long *nums[] = {&s.trunc, &s.op, &s.version, &s.ipid, &s.ttl, &s.tos, &s.proto, &s.mf, &s.ihl, &s.totlen,
			&s.ipsum, &s.len, &s.fill, &s.id, &s.seq, &s.icmpsum, &s.frag_off, &s.frag_len, &s.poke.off};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		*nums[i] = -1;

	int rc = -1, used = parse_head(sc, tok, n, &s);
	for (int i = used; used >= 0 && i < n; i += used)
		used = parse_option(sc, tok + i, n - i, &s);
	if (used >= 0 && (s.kind == K_RAW || fill_macs(sc, &s) == 0))
		rc = add_frame(sc, &s, t);
	free(s.raw);
	return rc;
}

static int parse_line(struct script *sc, char *line)
{
	char *tok[MAX_TOKENS];
	int n = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (char *w = strtok(line, " \t\r\n"); w; w = strtok(NULL, " \t\r\n")) {
		if (n == MAX_TOKENS)
			return fail(sc, "too many words");
		tok[n++] = w;
	}
	if (n == 0)
		return 0;
	if (!strcmp(tok[0], "host")) {
		if (n != 3 || sc->n_hosts == MAX_HOSTS)
			return fail(sc, "%s", n != 3 ? "expected 'host IP MAC'" : "too many hosts");
		if (parse_ip_arg(sc, tok[1], &sc->hosts[sc->n_hosts].ip) ||
		    tp_mac_parse(tok[2], sc->hosts[sc->n_hosts].mac))
			return fail(sc, "expected 'host IP MAC'");
		sc->n_hosts++;
		return 0;
	}
	tp_time t;
	if (tp_parse_seconds(tok[0], &t) < 0)
		return fail(sc, "expected a time in seconds, 'host', or a comment, not '%s'", tok[0]);
	if (t < sc->last)
		return fail(sc, "time %s goes backwards", tok[0]);
	sc->last = t;
	if (n < 2)
		return fail(sc, "a frame kind must follow the time");
	return parse_frame_line(sc, tok + 1, n - 1, sc->base + t);
}

static int parse_script(struct script *sc)
{
	FILE *f = fopen(sc->path, "r");
	if (!f) {
		snprintf(sc->err, sizeof(sc->err), "%s: %s", sc->path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int rc = 0;
	while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
		sc->line++;
		rc = strlen(line) == (size_t)got ? parse_line(sc, line) : fail(sc, "NUL byte in line");
	}
	free(line);
	fclose(f);
	return rc;
}

/* --- main --------------------------------------------------------------- */

/* NAME.vec -> NAME.pcap, malloc'd. */
static char *pcap_path_for(const char *script)
{
	char *conf = tp_replay_sidecar_path(script);   /* NAME.conf: same stem */
	if (!conf)
		return NULL;
	size_t stem = strlen(conf) - strlen(".conf");
	char *p = realloc(conf, stem + sizeof(".pcap"));
	if (p)
		memcpy(p + stem, ".pcap", sizeof(".pcap"));
	else
		free(conf);
	return p;
}

int main(int argc, char **argv)
{
	const char *script = NULL, *conf = NULL, *out = NULL;
	int quiet = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-q")) {
			quiet = 1;
		} else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--conf")) && i + 1 < argc) {
			if (argv[i][1] == 'o')
				out = argv[++i];
			else
				conf = argv[++i];
		} else if (argv[i][0] != '-' && !script) {
			script = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!script) {
		usage(stderr);
		return 2;
	}

	struct tp_replay_config cfg;
	char err[512] = "";
	char *conf_path = conf ? NULL : tp_replay_sidecar_path(script);
	char *out_path = out ? NULL : pcap_path_for(script);
	struct script sc = {.path = script, .cfg = &cfg, .next_ipid = 1};
	int rc = 2;

	tp_replay_config_init(&cfg);
	if ((!conf && !conf_path) || (!out && !out_path))
		fprintf(stderr, "tapir-vecgen: out of memory\n");
	else if (tp_replay_config_load(&cfg, conf ? conf : conf_path, err, sizeof(err)) != 0)
		fprintf(stderr, "tapir-vecgen: %s\n", err[0] ? err : "no sidecar .conf next to the script");
	else if (tp_replay_config_check(&cfg, err, sizeof(err)) < 0)
		fprintf(stderr, "tapir-vecgen: %s\n", err);
	else if ((sc.base = cfg.stack.start_time, parse_script(&sc)) < 0)
		fprintf(stderr, "tapir-vecgen: %s\n", sc.err);
	else {
		/* Script time 0 is the stack's creation, when it announces itself;
		 * the recorded vector then starts with that announcement, which is
		 * where replay puts the start by default. */
		if (cfg.expect_announce)
			cfg.has_start = 1;
		char name[256];
		snprintf(name, sizeof(name), "%s", script);
		struct tp_replay_options opt = {.name = name, .mode = TP_REPLAY_RECORD, .verbose = !quiet,
						.write_path = out ? out : out_path, .out = stdout};
		rc = tp_replay_run(&cfg, &sc.frames, &opt);
	}
	tp_frame_list_free(&sc.frames);
	free(conf_path);
	free(out_path);
	return rc;
}
