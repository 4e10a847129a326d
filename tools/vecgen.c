/*
 * vecgen.c - `tapir-vecgen NAME.vec`: turns a short text script of what a peer
 * sends into a pcap test vector. The script's frames are played to a fresh
 * stack configured by NAME.conf (the sidecar replay reads too), one at a
 * time, and the whole conversation, the stack's answers included, is
 * written to NAME.pcap for a human to check against the RFCs and commit.
 * Each frame is built at its time, after the stack's answers before it, so
 * a TCP line can acknowledge the stack's ISN (vecgen_tcp.c). Grammar:
 * usage() below and pcaps/README.md; the parts: vecgen.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "vecgen.h"

#define MAX_TOKENS 64

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
	      "  TIME tcp SRC:P > DST:P FLAGS [opt]  TCP segment; FLAGS: tcpdump's letters\n"
	      "                                      S F R P U E W, '.' for ACK (\"S.\"), or none\n"
	      "  TIME udp SRC:P > DST:P [opt]        UDP datagram\n"
	      "  TIME raw HEX...                     any bytes, as a whole frame\n"
	      "options (key value, or a bare flag):\n"
	      "  any:   eth.src MAC  eth.dst MAC  pad (zeros up to 60 bytes)  trunc N (cut the frame)\n"
	      "  arp:   op N  sha MAC  tha MAC\n"
	      "  ip:    version N  ipid N  ttl N  tos N  proto N  df  mf 0|1\n"
	      "         frag OFF LEN (send only bytes OFF..OFF+LEN of the payload; MF set unless\n"
	      "         that reaches the end)  options HEX (padded with EOL to 4 bytes)\n"
	      "         ihl N (header length field, in words)  totlen N  ipsum N (as sent)\n"
	      "  data:  len N (ICMP data / IP, TCP, UDP payload bytes; default 56 / 20, 0, 0)\n"
	      "         fill N (every data byte N; default byte i is i mod 256)\n"
	      "         text \"...\" (the payload; escapes \\n \\r \\t \\\\ \\\" \\xHH)  hex HEX\n"
	      "         poke OFF HEX (then overwrite IP payload bytes from OFF, checksums kept)\n"
	      "  icmp:  id N  seq N  icmpsum N\n"
	      "  tcp:   seq N (default: where this connection's last segment ended; the first\n"
	      "         must give it)  ack N | ack their+N (the stack's ISN on this connection:\n"
	      "         the seq of the last SYN it sent here)  win N (65535)  urg N\n"
	      "         doff N (data offset field, words)  tcpsum N\n"
	      "         TCP options, in the order given, padded with EOL: mss N  ws N  sackOK\n"
	      "         ts VAL ECR  sack LEFT RIGHT (edges like ack; repeat for more\n"
	      "         blocks)  nop  eol  tcpopt HEX (raw bytes)\n"
	      "  udp:   udpsum N (0: none)  ulen N (length field)\n"
	      "Defaults: eth.src the source's host MAC, eth.dst the stack's (broadcast for\n"
	      "requests and broadcast addresses), ipid counts up per IP line (give fragments of\n"
	      "one datagram the same ipid), ttl 64, checksums and lengths computed.\n", out);
}

/* --- Option table ------------------------------------------------------- */

enum opt_type { OPT_MAC, OPT_FLAG, OPT_NUM, OPT_HEX, OPT_RANGE, OPT_POKE, OPT_SEQNUM, OPT_TEXT, OPT_BYTES,
		OPT_TCPOPT };

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
	{"trunc", OPT_NUM, K_ANY, S(trunc), VG_MAX_FRAME},
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
	{"text", OPT_TEXT, K_L3, S(data), 0},
	{"hex", OPT_BYTES, K_L3, S(data), 0},
	{"poke", OPT_POKE, K_L3, S(poke), 65535},
	{"id", OPT_NUM, K_ICMP, S(id), 0xffff},
	{"seq", OPT_NUM, K_ICMP, S(seq), 0xffff},
	{"icmpsum", OPT_NUM, K_ICMP, S(icmpsum), 0xffff},
	{"seq", OPT_SEQNUM, K_TCP, S(tcp_seq), 0},
	{"ack", OPT_SEQNUM, K_TCP, S(tcp_ack), 0},
	{"win", OPT_NUM, K_TCP, S(win), 0xffff},
	{"urg", OPT_NUM, K_TCP, S(urg), 0xffff},
	{"doff", OPT_NUM, K_TCP, S(doff), 15},
	{"tcpsum", OPT_NUM, K_TCP, S(tcpsum), 0xffff},
	{"mss", OPT_TCPOPT, K_TCP, 0, 0},
	{"ws", OPT_TCPOPT, K_TCP, 0, 0},
	{"sackOK", OPT_TCPOPT, K_TCP, 0, 0},
	{"ts", OPT_TCPOPT, K_TCP, 0, 0},
	{"sack", OPT_TCPOPT, K_TCP, 0, 0},
	{"nop", OPT_TCPOPT, K_TCP, 0, 0},
	{"eol", OPT_TCPOPT, K_TCP, 0, 0},
	{"tcpopt", OPT_TCPOPT, K_TCP, 0, 0},
	{"udpsum", OPT_NUM, K_UDP, S(udpsum), 0xffff},
	{"ulen", OPT_NUM, K_UDP, S(ulen), 0xffff},
};
#undef S

/* --- The script's state ------------------------------------------------- */

struct recording {
	struct script sc;
	const struct tp_replay_config *cfg;
	const struct tp_replay_options *opt;
	struct tp_replay_session *session;  /* opened at the first frame */
};

int vg_fail(struct script *sc, const char *fmt, ...)
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

int vg_parse_num(const char *s, long max, long *out)
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

long vg_parse_hex(char **tok, int n, uint8_t *out, size_t cap)
{
	size_t len = 0;
	int half = -1;
	for (int t = 0; t < n; t++)
		for (const char *c = tok[t]; *c; c++) {
			int v = tp_hex_digit(*c);
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

/* A quoted word ("...", as split_words kept it) into bytes; -1 if an escape
 * is bad. out must hold strlen(word) bytes. */
static long decode_text(const char *word, uint8_t *out)
{
	size_t len = 0, n = strlen(word);
	if (n < 2 || word[0] != '"' || word[n - 1] != '"')
		return -1;
	for (const char *c = word + 1; c < word + n - 1; c++) {
		if (*c != '\\') {
			out[len++] = (uint8_t)*c;
			continue;
		}
		static const char escapes[] = "nrt\\\"0", values[] = "\n\r\t\\\"\0";
		const char *e = *++c ? strchr(escapes, *c) : NULL;
		if (e) {
			out[len++] = (uint8_t)values[e - escapes];
		} else if (*c == 'x' && tp_hex_digit(c[1]) >= 0 && tp_hex_digit(c[2]) >= 0) {
			out[len++] = (uint8_t)(tp_hex_digit(c[1]) << 4 | tp_hex_digit(c[2]));
			c += 2;
		} else {
			return -1;
		}
	}
	return (long)len;
}

int vg_parse_ip(struct script *sc, const char *s, tp_ip4 *out)
{
	return tp_ip4_parse(s, out) == 0 ? 0 : vg_fail(sc, "bad IPv4 address '%s'", s);
}

static const uint8_t *host_mac(const struct script *sc, tp_ip4 ip)
{
	for (int i = 0; i < sc->n_hosts; i++)
		if (sc->hosts[i].ip == ip)
			return sc->hosts[i].mac;
	return NULL;
}

/* --- Parsing a line ----------------------------------------------------- */

/* "SRC > DST" at tok[0..2]. */
static int parse_flow(struct script *sc, char **tok, int n, struct spec *s)
{
	if (n < 3 || strcmp(tok[1], ">"))
		return vg_fail(sc, "expected 'SRC > DST'");
	return vg_parse_ip(sc, tok[0], &s->src) || vg_parse_ip(sc, tok[2], &s->dst) ? -1 : 3;
}

static int parse_icmp_kind(struct script *sc, char *k, struct spec *s)
{
	long type, code;
	char *slash = strchr(k, '/');
	if (!strcmp(k, "echo")) {
		s->icmp_type = 8;
	} else if (!strcmp(k, "echo-reply")) {
		s->icmp_type = 0;
	} else if (slash) {
		*slash = '\0';
		if (vg_parse_num(k, 255, &type) || vg_parse_num(slash + 1, 255, &code))
			return vg_fail(sc, "bad ICMP TYPE/CODE");
		s->icmp_type = (uint8_t)type;
		s->icmp_code = (uint8_t)code;
	} else {
		return vg_fail(sc, "unknown ICMP kind '%s' (echo, echo-reply or TYPE/CODE)", k);
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
			return vg_parse_ip(sc, tok[2], &s->tpa) || vg_parse_ip(sc, tok[4], &s->spa) ? -1 : 5;
		}
		if (n >= 3 && !strcmp(tok[1], "reply")) {
			s->op = 2;
			s->tpa = sc->cfg->netif.addr;
			return vg_parse_ip(sc, tok[2], &s->spa) ? -1 : 3;
		}
		return vg_fail(sc, "expected 'arp who-has IP tell IP' or 'arp reply IP'");
	}
	if (!strcmp(tok[0], "icmp")) {
		s->kind = K_ICMP;
		if (n < 2 || parse_icmp_kind(sc, tok[1], s))
			return n < 2 ? vg_fail(sc, "expected 'icmp KIND SRC > DST'") : -1;
		int used = parse_flow(sc, tok + 2, n - 2, s);
		return used < 0 ? -1 : 2 + used;
	}
	if (!strcmp(tok[0], "ip")) {
		s->kind = K_IP;
		int used = parse_flow(sc, tok + 1, n - 1, s);
		return used < 0 ? -1 : 1 + used;
	}
	if (!strcmp(tok[0], "tcp") || !strcmp(tok[0], "udp"))
		return vg_parse_l4_head(sc, tok, n, s);
	if (!strcmp(tok[0], "raw")) {
		s->kind = K_RAW;
		s->raw = malloc(VG_MAX_FRAME);
		long len = s->raw ? vg_parse_hex(tok + 1, n - 1, s->raw, VG_MAX_FRAME) : -1;
		if (len < 0)
			return vg_fail(sc, "raw wants hex bytes (an even number of hex digits)");
		s->raw_len = (size_t)len;
		return n;
	}
	return vg_fail(sc, "unknown frame kind '%s' (arp, icmp, ip, tcp, udp, raw)", tok[0]);
}

/* `text "..."` or `hex HEX`: the payload, in a buffer of its own. */
static int parse_data(struct script *sc, const struct opt *o, char *word, struct spec *s)
{
	if (s->data)
		return vg_fail(sc, "the payload is given twice");
	size_t cap = strlen(word) + 1;
	s->data = malloc(cap);
	if (!s->data)
		return vg_fail(sc, "out of memory");
	long len = o->type == OPT_TEXT ? decode_text(word, s->data) : vg_parse_hex(&word, 1, s->data, cap);
	if (len < 0)
		return vg_fail(sc, "%s", o->type == OPT_TEXT ? "text wants \"...\" (escapes \\n \\r \\t \\\\ \\\" \\0 \\xHH)"
							      : "hex wants an even number of hex digits");
	s->data_len = (size_t)len;
	return 2;
}

static const struct opt *find_option(struct script *sc, const char *name, enum vg_kind kind)
{
	int known = 0;
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (strcmp(opts[i].name, name))
			continue;
		if (opts[i].kinds & kind)
			return &opts[i];
		known = 1;
	}
	if (known)
		vg_fail(sc, "option '%s' does not apply to this kind of frame", name);
	else
		vg_fail(sc, "unknown option '%s'", name);
	return NULL;
}

static int parse_option(struct script *sc, char **tok, int n, struct spec *s)
{
	const struct opt *o = find_option(sc, tok[0], s->kind);
	if (!o)
		return -1;
	if (o->type == OPT_TCPOPT)
		return vg_parse_tcp_option(sc, tok, n, s);
	void *field = (char *)s + o->offset;
	int args = o->type == OPT_FLAG ? 0 : o->type == OPT_RANGE || o->type == OPT_POKE ? 2 : 1;
	if (n <= args)
		return vg_fail(sc, "option '%s' wants a value", tok[0]);
	switch (o->type) {
	case OPT_FLAG:
		*(int *)field = 1;
		return 1;
	case OPT_MAC:
		((struct vg_mac *)field)->set = 1;
		return tp_mac_parse(tok[1], ((struct vg_mac *)field)->b) == 0 ? 2 : vg_fail(sc, "bad MAC '%s'", tok[1]);
	case OPT_NUM:
		return vg_parse_num(tok[1], o->max, field) == 0 ? 2
			: vg_fail(sc, "%s wants a number, 0..%ld", tok[0], o->max);
	case OPT_SEQNUM:
		return vg_parse_seqnum(tok[1], field) == 0 ? 2
			: vg_fail(sc, "%s wants a 32-bit number, or their, their+N, their-N", tok[0]);
	case OPT_RANGE:
		return vg_parse_num(tok[1], o->max, &s->frag_off) == 0 && vg_parse_num(tok[2], o->max, &s->frag_len) == 0
			       ? 3 : vg_fail(sc, "frag wants OFFSET LENGTH");
	case OPT_TEXT:
	case OPT_BYTES:
		return parse_data(sc, o, tok[1], s);
	case OPT_HEX:
	case OPT_POKE: {
		int poke = o->type == OPT_POKE;
		struct vg_hex *h = poke ? &s->poke.bytes : field;
		long len = vg_parse_hex(tok + 1 + poke, 1, h->b, sizeof(h->b));
		h->len = len < 0 ? 0 : (size_t)len;
		if (len < 0 || (poke && vg_parse_num(tok[1], o->max, &s->poke.off)))
			return vg_fail(sc, "%s wants %sup to 40 hex bytes", o->name, poke ? "OFFSET and " : "");
		return 2 + poke;
	}
	case OPT_TCPOPT:
		break;
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
			return vg_fail(sc, "no MAC for %s: add 'host IP MAC' or 'sha'", tp_ip4_format(sender, ip));
		s->sha.set = 1;
		memcpy(s->sha.b, mac, 6);
	}
	if (!s->eth_src.set) {
		if (s->kind == K_ARP)
			mac = s->sha.b;
		else if (!mac)
			return vg_fail(sc, "no MAC for %s: add 'host IP MAC' or 'eth.src'", tp_ip4_format(sender, ip));
		s->eth_src.set = 1;
		memcpy(s->eth_src.b, mac, 6);
	}
	return 0;
}

/* The stack starts with the first frame unless the conf says when. */
static int open_session(struct recording *rec, tp_time t)
{
	if (rec->session)
		return 0;
	tp_time start = rec->cfg->has_start ? rec->cfg->stack.start_time : t;
	if (tp_replay_session_open(&rec->session, rec->cfg, start, rec->opt) != TP_REPLAY_PASS)
		return vg_fail(&rec->sc, "the stack could not be started (see above)");
	return 0;
}

/* Runs the stack up to t, then builds the frame (seeing what it sent) and
 * feeds it. */
static int send_frame(struct recording *rec, struct spec *s, tp_time t)
{
	static uint8_t frame[VG_MAX_FRAME];
	struct script *sc = &rec->sc;
	if (open_session(rec, t) < 0)
		return -1;
	if (tp_replay_session_advance(rec->session, t) != TP_REPLAY_PASS)
		return vg_fail(sc, "the stack failed before this line (see above)");
	sc->sent = tp_replay_session_sent(rec->session);
	long len = vg_build_frame(sc, s, frame);
	if (len < 0)
		return -1;
	if (tp_replay_session_input(rec->session, t, frame, (size_t)len) != TP_REPLAY_PASS)
		return vg_fail(sc, "the stack failed on this line (see above)");
	return 0;
}

static int parse_frame_line(struct recording *rec, char **tok, int n, tp_time t)
{
	struct script *sc = &rec->sc;
	struct spec s;
	memset(&s, 0, sizeof(s));
	long *nums[] = {&s.trunc, &s.op, &s.version, &s.ipid, &s.ttl, &s.tos, &s.proto, &s.mf, &s.ihl, &s.totlen,
			&s.ipsum, &s.len, &s.fill, &s.id, &s.seq, &s.icmpsum, &s.frag_off, &s.frag_len, &s.poke.off,
			&s.win, &s.urg, &s.doff, &s.tcpsum, &s.udpsum, &s.ulen};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		*nums[i] = -1;

	int rc = -1, used = parse_head(sc, tok, n, &s);
	for (int i = used; used >= 0 && i < n; i += used)
		used = parse_option(sc, tok + i, n - i, &s);
	if (used >= 0 && s.data && (s.len >= 0 || s.fill >= 0))
		used = vg_fail(sc, "give the payload as text/hex or as len/fill, not both");
	if (used >= 0 && (s.kind == K_RAW || fill_macs(sc, &s) == 0))
		rc = send_frame(rec, &s, t);
	free(s.raw);
	free(s.data);
	return rc;
}

/* Splits a line into words in place: blanks separate, '#' outside quotes
 * ends the line, and "..." (with \" inside) is one word, quotes kept.
 * Returns the number of words, or -1. */
static int split_words(struct script *sc, char *p, char **tok)
{
	int n = 0;
	for (;;) {
		while (*p && strchr(" \t\r\n", *p))
			p++;
		if (*p == '\0' || *p == '#')
			return n;
		if (n == MAX_TOKENS)
			return vg_fail(sc, "too many words");
		tok[n++] = p;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p != '"')
				return vg_fail(sc, "unterminated quoted text");
			p++;
			if (*p && !strchr(" \t\r\n#", *p))
				return vg_fail(sc, "a closing quote must end the word");
		} else {
			while (*p && !strchr(" \t\r\n#", *p))
				p++;
		}
		if (*p == '#') {
			*p = '\0';
			return n;
		}
		if (*p)
			*p++ = '\0';
	}
}

static int parse_line(struct recording *rec, char *line)
{
	struct script *sc = &rec->sc;
	char *tok[MAX_TOKENS];
	int n = split_words(sc, line, tok);
	if (n <= 0)
		return n;
	if (!strcmp(tok[0], "host")) {
		if (n != 3 || sc->n_hosts == VG_MAX_HOSTS)
			return vg_fail(sc, "%s", n != 3 ? "expected 'host IP MAC'" : "too many hosts");
		if (vg_parse_ip(sc, tok[1], &sc->hosts[sc->n_hosts].ip) ||
		    tp_mac_parse(tok[2], sc->hosts[sc->n_hosts].mac))
			return vg_fail(sc, "expected 'host IP MAC'");
		sc->n_hosts++;
		return 0;
	}
	tp_time t;
	if (tp_parse_seconds(tok[0], &t) < 0)
		return vg_fail(sc, "expected a time in seconds, 'host', or a comment, not '%s'", tok[0]);
	if (t < sc->last)
		return vg_fail(sc, "time %s goes backwards", tok[0]);
	sc->last = t;
	if (n < 2)
		return vg_fail(sc, "a frame kind must follow the time");
	return parse_frame_line(rec, tok + 1, n - 1, sc->base + t);
}

static int record_script(struct recording *rec)
{
	struct script *sc = &rec->sc;
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
		rc = strlen(line) == (size_t)got ? parse_line(rec, line) : vg_fail(sc, "NUL byte in line");
	}
	free(line);
	fclose(f);
	if (rc == 0 && open_session(rec, sc->base) < 0)    /* a script of no frames */
		rc = -1;
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
	struct tp_replay_options opt = {.name = script, .mode = TP_REPLAY_RECORD, .verbose = !quiet,
					.write_path = out ? out : out_path, .out = stdout};
	struct recording rec = {.sc = {.path = script, .cfg = &cfg, .next_ipid = 1}, .cfg = &cfg, .opt = &opt};
	int rc = 2;

	tp_replay_config_init(&cfg);
	if ((!conf && !conf_path) || (!out && !out_path)) {
		fprintf(stderr, "tapir-vecgen: out of memory\n");
	} else if (tp_replay_config_load(&cfg, conf ? conf : conf_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "tapir-vecgen: %s\n", err[0] ? err : "no sidecar .conf next to the script");
	} else if (tp_replay_config_check(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "tapir-vecgen: %s\n", err);
	} else {
		/* Script time 0 is the stack's creation, when it announces itself;
		 * the recorded vector then starts with that announcement, which is
		 * where replay puts the start by default. */
		rec.sc.base = cfg.stack.start_time;
		if (cfg.expect_announce)
			cfg.has_start = 1;
		if (record_script(&rec) < 0)
			fprintf(stderr, "tapir-vecgen: %s\n", rec.sc.err);
		else
			rc = tp_replay_session_finish(rec.session);
	}
	tp_replay_session_free(rec.session);
	free(conf_path);
	free(out_path);
	return rc;
}
