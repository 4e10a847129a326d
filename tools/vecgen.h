/*
 * vecgen.h - what tapir-vecgen's parts share: one script line's frame as
 * parsed (struct spec), the script's state, and the helpers.
 *
 *   vecgen.c        the script: lines, words, options; main()
 *   vecgen_build.c  frames from a spec: Ethernet, ARP, IPv4, ICMP, payloads
 *   vecgen_tcp.c    TCP and UDP: addresses with ports, flags, sequence
 *                   numbers (flows, the stack's ISN), TCP options, headers
 *
 * Frames are built here with code of its own (checksums too) rather than the
 * stack's: a vector built by the code under test would agree with its bugs.
 */
#ifndef TAPIR_TOOLS_VECGEN_H
#define TAPIR_TOOLS_VECGEN_H

#include <stddef.h>
#include <stdint.h>

#include "replay.h"

#define VG_MAX_HOSTS 32
#define VG_MAX_FLOWS 32
#define VG_MAX_FRAME (14 + 65535 + 64)
#define VG_TCP_OPT_MAX 40

enum vg_kind { K_ARP = 1, K_ICMP = 2, K_IP = 4, K_RAW = 8, K_TCP = 16, K_UDP = 32 };  /* raw: no options */
#define K_L4 (K_TCP | K_UDP)
#define K_L3 (K_ICMP | K_IP | K_L4)
#define K_ANY (K_ARP | K_L3)

struct vg_mac { int set; uint8_t b[6]; };
struct vg_hex { size_t len; uint8_t b[40]; };
struct vg_poke { long off; struct vg_hex bytes; };

/* A 32-bit TCP number as written: absolute, or the stack's ISN on this
 * flow plus n ("their+1"). */
struct vg_seqnum { int set, their; int64_t n; };

/* One line's frame; numbers are -1 while not given. */
struct spec {
	enum vg_kind kind;
	struct vg_mac eth_src, eth_dst, sha, tha;
	int pad, df;
	long trunc, op, version, ipid, ttl, tos, proto, mf, ihl, totlen, ipsum, len, fill, id, seq, icmpsum;
	long frag_off, frag_len;
	struct vg_hex options;          /* IP options */
	struct vg_poke poke;
	tp_ip4 spa, tpa, src, dst;      /* ARP sender/target, IP source/destination */
	uint8_t icmp_type, icmp_code;
	uint8_t *raw;                   /* raw: the whole frame */
	size_t raw_len;
	uint8_t *data;                  /* `text` / `hex`: the payload as given (else len/fill) */
	size_t data_len;
	/* TCP and UDP */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	struct vg_seqnum tcp_seq, tcp_ack;
	long win, urg, doff, tcpsum, udpsum, ulen;
	uint8_t tcp_opt[VG_TCP_OPT_MAX];
	size_t tcp_opt_len;
	struct vg_seqnum sack[4][2];    /* `sack L R` blocks, resolved when built */
	int n_sack;
	size_t sack_off;                /* where their option starts in tcp_opt */
};

/* The peer's side of one TCP connection: where its next segment starts. */
struct vg_flow {
	tp_ip4 src, dst;
	uint16_t sport, dport;
	uint32_t nxt;
};

struct script {
	const char *path;
	int line;
	char err[300];
	const struct tp_replay_config *cfg;
	struct { tp_ip4 ip; uint8_t mac[6]; } hosts[VG_MAX_HOSTS];
	int n_hosts;
	struct vg_flow flows[VG_MAX_FLOWS];
	int n_flows;
	uint16_t next_ipid;
	tp_time base;                   /* capture time of script time 0: the conf's start */
	tp_time last;
	const struct tp_frame_list *sent;   /* what the stack has sent until this line's time */
};

/* Sets sc->err to "path:line: why" (printable); returns -1. */
int vg_fail(struct script *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Decimal or 0x-hex (never octal: "010" is ten), 0..max. Returns 0 or -1. */
int vg_parse_num(const char *s, long max, long *out);
/* Hex digits from n words into out (at most cap bytes); the length, or -1
 * if odd, not hex or too long. */
long vg_parse_hex(char **tok, int n, uint8_t *out, size_t cap);
int vg_parse_ip(struct script *sc, const char *s, tp_ip4 *out);

uint16_t vg_checksum(const uint8_t *p, size_t n, uint32_t initial);
/* The TCP/UDP pseudo-header's sum, for vg_checksum's `initial`. */
uint32_t vg_pseudo_sum(tp_ip4 src, tp_ip4 dst, uint8_t proto, size_t len);
static inline void vg_put16(uint8_t *p, long v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void vg_put32(uint8_t *p, uint32_t v) { vg_put16(p, v >> 16); vg_put16(p + 2, v & 0xffff); }

/* vecgen_build.c: the frame of a parsed line into `frame` (VG_MAX_FRAME
 * bytes); its length, or -1 with sc->err. */
long vg_build_frame(struct script *sc, struct spec *s, uint8_t *frame);

/* vecgen_tcp.c */
/* "tcp SRC:PORT > DST:PORT FLAGS" / "udp SRC:PORT > DST:PORT" at tok[0..];
 * returns the words used, or -1. */
int vg_parse_l4_head(struct script *sc, char **tok, int n, struct spec *s);
/* A TCP option word (mss N, ws N, sackOK, ts VAL ECR, sack L R, nop, eol, tcpopt HEX)
 * at tok[0]: appends it to s->tcp_opt; returns the words used, or -1. */
int vg_parse_tcp_option(struct script *sc, char **tok, int n, struct spec *s);
/* "N", "their", "their+N", "their-N" into a TCP number. 0 or -1. */
int vg_parse_seqnum(const char *s, struct vg_seqnum *out);
/* The TCP header or UDP header at msg, for a message of `whole` bytes
 * (header included) whose payload is already in place; sequence numbers
 * resolved and the flow moved on. Returns 0 or -1 with sc->err. */
int vg_build_l4_header(struct script *sc, const struct spec *s, uint8_t *msg, size_t whole);
/* The transport header's length for this line (TCP: with its options). */
size_t vg_l4_header_len(const struct spec *s);

#endif
