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

#endif
