/*
 * decode.h - turning frames into words: a one-line summary (tcpdump-like)
 * for --trace, and a field-by-field breakdown for replay diffs.
 * Reads any bytes safely: a truncated or bogus frame decodes as far as it
 * goes and says where it stopped.
 */
#ifndef TAPIR_TOOLS_DECODE_H
#define TAPIR_TOOLS_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* One line, no newline, e.g.
 *   "10.0.0.1 > 10.0.0.2 ICMP echo request id 7 seq 1 len 56"
 *   "ARP who-has 10.0.0.2 tell 10.0.0.1"
 * Returns buf. */
char *tp_decode_summary(const uint8_t *frame, size_t len, char *buf, size_t size);

/* Calls fn once per field, in frame order, with a stable dotted name
 * ("eth.dst", "ip.ttl", "icmp.seq", "payload") and its value as text. */
typedef void (*tp_field_fn)(void *ctx, const char *name, const char *value);
void tp_decode_fields(const uint8_t *frame, size_t len, tp_field_fn fn, void *ctx);

/* A TCP segment as numbers, for tools that follow connections (`tapir
 * ladder`). Options are parsed only as far as they are well formed. */
#define TP_TCP_MAX_SACK 4
struct tp_tcp_segment {
	uint32_t src_ip, dst_ip;        /* host order */
	unsigned sport, dport;
	uint32_t seq, ack;
	unsigned flags;                 /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
	unsigned win;                   /* as on the wire, unscaled */
	size_t payload_len;             /* bytes of data in the capture */
	/* Options (has_* says whether the segment carried it) */
	int has_mss, has_ws, has_sack_ok, has_ts;
	unsigned mss, ws;
	uint32_t ts_val, ts_ecr;
	unsigned n_sack;
	uint32_t sack[TP_TCP_MAX_SACK][2];  /* [left, right) edges as on the wire */
};

/* Fills seg and returns 1 if the frame is Ethernet/IPv4/TCP with a whole TCP
 * header (not a later fragment); 0 otherwise. */
int tp_decode_tcp(const uint8_t *frame, size_t len, struct tp_tcp_segment *seg);

#endif
