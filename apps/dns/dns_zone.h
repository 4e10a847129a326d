/*
 * dns_zone.h - the data one authoritative zone holds: its records, the
 * built-in default zone and a small zone-file format. Pure: the parser
 * reads from a string (dns_zone_load_file() is the one call that opens a
 * file).
 *
 * Zone file format: a line-based subset of RFC 1035 §5 master files.
 *
 *     # comment (';' also starts one, outside quotes)
 *     $TTL 3600                       default TTL for the lines after it
 *     NAME [TTL] [IN] TYPE DATA...
 *
 *   NAME   relative to the zone ("www"), "@" for the zone itself, or
 *          absolute with a trailing dot ("www.tapir.test."); it must lie in
 *          the zone.
 *   TYPE   A ADDRESS | CNAME NAME | NS NAME | MX PREF NAME |
 *          SOA MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM |
 *          TXT "string" ["string"...]  (each at most 255 bytes; \" and \\
 *          escape; a bare word is a string too)
 *   Names in data follow the NAME rules. A CNAME owner has no other data
 *   (RFC 1034 §3.6.2). Without an SOA line the default SOA and NS are
 *   added (ns.ZONE, with ns.ZONE A the server's address if not given).
 *
 * Every error names its line: "zone.txt:7: TTL 'x' is not a number".
 */
#ifndef TAPIR_DNS_ZONE_H
#define TAPIR_DNS_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "dns_wire.h"

#define DNS_ZONE_MAX_RECORDS 4096
#define DNS_DEFAULT_TTL 3600
/* RFC 2308 §5: the negative-caching TTL, the SOA's MINIMUM. */
#define DNS_DEFAULT_NEGATIVE_TTL 60

struct dns_zone {
	struct dns_name origin;
	struct dns_rr *records;     /* TXT and other raw rdata owned by the zone */
	size_t count, cap;
	const struct dns_rr *soa;   /* the apex SOA (always present once loaded) */
};

/* An empty zone named `origin` ("tapir.test"). 0 or -EINVAL / -ENOMEM. */
int dns_zone_init(struct dns_zone *z, const char *origin);
void dns_zone_free(struct dns_zone *z);

/* The built-in zone: SOA, NS ns, A for the apex, ns, www (all `addr`),
 * host (the TAP's host side, `host_addr`; 0 leaves it out), web CNAME www,
 * and a TXT at the apex explaining what answers. */
int dns_zone_add_defaults(struct dns_zone *z, uint32_t addr, uint32_t host_addr);

/* The zone `tapir run` serves: named `origin`, read from `file` when not
 * NULL, else the built-in defaults. 0, or -1 with the reason in err (and z
 * freed). */
int dns_zone_setup(struct dns_zone *z, const char *origin, const char *file, uint32_t addr,
		   uint32_t host_addr, char *err, size_t errlen);

/* Parses zone-file text into z (see above). `file` names the source in
 * errors. 0, or -1 with "FILE:LINE: what" in err. Records come after what
 * z already holds; the default SOA/NS (with `addr`) when the text has none. */
int dns_zone_parse(struct dns_zone *z, const char *text, const char *file, uint32_t addr,
		   char *err, size_t errlen);
/* Reads a file (at most 1 MiB) and parses it. */
int dns_zone_load_file(struct dns_zone *z, const char *path, uint32_t addr, char *err,
		       size_t errlen);

/* Adds one record (copying raw rdata). -EEXIST for a CNAME beside other
 * data, -ENOSPC past DNS_ZONE_MAX_RECORDS, -ENOMEM, -EINVAL outside the
 * zone. */
int dns_zone_add(struct dns_zone *z, const struct dns_rr *rr);

/* Records at `name`: calls fn for each of type `type` (DNS_TYPE_ANY: all). */
typedef void (*dns_zone_rr_fn)(void *ctx, const struct dns_rr *rr);
size_t dns_zone_find(const struct dns_zone *z, const struct dns_name *name, uint16_t type,
		     dns_zone_rr_fn fn, void *ctx);
/* Whether any record's owner is name or below it (RFC 8020: a name with
 * nothing but descendants, an "empty non-terminal", exists). */
int dns_zone_name_exists(const struct dns_zone *z, const struct dns_name *name);

#endif
