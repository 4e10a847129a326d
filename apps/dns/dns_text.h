/*
 * dns_text.h - DNS in presentation form, as dig prints it: type, class and
 * rcode names, and one resource record per line. Pure.
 */
#ifndef TAPIR_DNS_TEXT_H
#define TAPIR_DNS_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "dns_wire.h"

/* "A", "TXT", ... or "TYPE123" (RFC 3597 §5) in buf (at least 16 bytes). */
const char *dns_type_name(uint16_t type, char *buf);
/* "a", "TXT", "type123" -> the number; 0, or -EINVAL. */
int dns_type_parse(const char *text, uint16_t *type);
/* "IN", "ANY" or "CLASS3" in buf (at least 16 bytes). */
const char *dns_class_name(uint16_t qclass, char *buf);
/* "NOERROR", "NXDOMAIN", ... or "RCODE23" in buf (at least 16 bytes). */
const char *dns_rcode_name(int rcode, char *buf);

/* "www.tapir.test.\t3600\tIN\tA\t10.0.0.2" (no newline) into buf; cut
 * (always terminated) if buf is small. Returns buf. */
char *dns_rr_format(const struct dns_rr *rr, char *buf, size_t size);

#endif
