/*
 * dns_wire.h - the DNS message format (RFC 1035 §4): names, header,
 * questions and resource records, encoded and decoded. Pure functions over
 * byte buffers: no I/O, no clock, no allocation.
 *
 * Every input is hostile. Decoding checks every length against the buffer,
 * follows compression pointers only backwards and at most a bounded number
 * of times (so no loop can trap it), and enforces labels of at most 63 bytes
 * and names of at most 255 (RFC 1035 §2.3.4); a malformed message is a
 * clean -EBADMSG with a one-line reason, never a crash or a partial read
 * past the end.
 *
 * Names are kept in uncompressed wire form (length-prefixed labels ending in
 * the zero-length root label), so comparing and copying them is exact; text
 * ("www.tapir.test") is only for people, with dig's \DDD escapes.
 */
#ifndef TAPIR_DNS_WIRE_H
#define TAPIR_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define DNS_PORT 53
#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 255            /* wire bytes, root label included */
#define DNS_LABEL_MAX 63
#define DNS_UDP_MAX 512             /* RFC 1035 §4.2.1, without EDNS */
#define DNS_MSG_MAX 65535           /* over TCP, after the length prefix */
/* Text of the longest name with every byte escaped as \DDD, plus NUL. */
#define DNS_NAME_TEXT_MAX (DNS_NAME_MAX * 4 + 1)

/* Header flags (RFC 1035 §4.1.1). */
enum {
	DNS_FLAG_QR = 0x8000,
	DNS_FLAG_AA = 0x0400,
	DNS_FLAG_TC = 0x0200,
	DNS_FLAG_RD = 0x0100,
	DNS_FLAG_RA = 0x0080,
	DNS_FLAG_AD = 0x0020,       /* RFC 4035 */
	DNS_FLAG_CD = 0x0010,
};
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags) ((flags) & 0xf)

enum dns_opcode { DNS_OPCODE_QUERY = 0, DNS_OPCODE_IQUERY = 1, DNS_OPCODE_STATUS = 2 };

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,     /* RFC 6891 §6.1.3: extended, in the OPT RR */
};

enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_OPT = 41,          /* RFC 6891 */
	DNS_TYPE_AXFR = 252,
	DNS_TYPE_ANY = 255,
};

enum { DNS_CLASS_IN = 1, DNS_CLASS_ANY = 255 };

struct dns_name {
	uint8_t len;                /* bytes in wire[], 1 (the root) .. 255 */
	uint8_t wire[DNS_NAME_MAX];
};

struct dns_header {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
};

struct dns_question {
	struct dns_name name;
	uint16_t type, qclass;
};

struct dns_soa {
	struct dns_name mname, rname;
	uint32_t serial, refresh, retry, expire, minimum;
};

/* One resource record. Which member holds the data depends on type: A in
 * a; NS, CNAME and PTR in target; SOA in soa; MX in target with
 * preference; everything else (TXT, OPT, unknown types) as raw rdata. */
struct dns_rr {
	struct dns_name name;
	uint16_t type, rclass;      /* for OPT, rclass is the UDP payload size */
	uint32_t ttl;               /* for OPT, extended rcode, version and flags */
	union {
		uint32_t a;         /* host order */
		struct {
			struct dns_name target;
			uint16_t preference;
		};
		struct dns_soa soa;
	};
	const uint8_t *rdata;       /* raw rdata (decoded: points into the message) */
	uint16_t rdlen;
};

enum dns_section { DNS_SECTION_QUESTION, DNS_SECTION_ANSWER, DNS_SECTION_AUTHORITY,
		   DNS_SECTION_ADDITIONAL, DNS_SECTION_END };

/* --- names ---------------------------------------------------------------- */

/* "www.tapir.test" or "www.tapir.test." (the root: "." or ""), with \. \\
 * and \DDD escapes, into wire form. 0, or -EINVAL for an empty label, a
 * label over 63 bytes, a name over 255 or a bad escape. */
int dns_name_from_text(const char *text, struct dns_name *out);
/* Wire form into text with a trailing dot ("www.tapir.test."), escaping
 * dots, backslashes, quotes and non-printable bytes as dig does. buf should
 * hold DNS_NAME_TEXT_MAX bytes; a smaller one is cut (always terminated).
 * Returns buf. */
char *dns_name_to_text(const struct dns_name *name, char *buf, size_t size);
/* Case-insensitive equality (RFC 4343: ASCII letters only). */
int dns_name_equal(const struct dns_name *a, const struct dns_name *b);
/* Whether name is zone or below it. */
int dns_name_in_zone(const struct dns_name *name, const struct dns_name *zone);
/* Number of labels, the root not counted. */
unsigned dns_name_labels(const struct dns_name *name);
/* name with its first `drop` labels removed (the root for drop >= labels). */
void dns_name_parent(const struct dns_name *name, unsigned drop, struct dns_name *out);
/* prefix (a relative name: its root label is ignored) followed by suffix.
 * 0, or -EINVAL when the result would exceed 255 bytes. */
int dns_name_concat(const struct dns_name *prefix, const struct dns_name *suffix,
		    struct dns_name *out);

/* --- decoding ------------------------------------------------------------- */

/* Reads one message section by section: init, then the questions with
 * dns_read_question() and the records with dns_read_rr(), in order. Each
 * call returns 0, or -ENOENT when the current section has no more entries
 * (call again for the next section's), or -EBADMSG with `why` set. */
struct dns_reader {
	const uint8_t *msg;
	size_t len, pos;
	struct dns_header hdr;
	enum dns_section section;
	unsigned left;              /* entries left in the current section */
	const char *why;            /* after -EBADMSG: what is wrong */
};

int dns_reader_init(struct dns_reader *r, const uint8_t *msg, size_t len);
int dns_read_question(struct dns_reader *r, struct dns_question *q);
int dns_read_rr(struct dns_reader *r, struct dns_rr *rr);
/* The next record after the questions (which it skips), whichever its
 * section (then in r->section): 1 with *rr filled, 0 after the last one,
 * -EBADMSG with r->why set. */
int dns_reader_next(struct dns_reader *r, struct dns_rr *rr);
/* Reads a (possibly compressed) name at *pos, advancing *pos past it.
 * 0 or -EBADMSG with *why set. */
int dns_read_name(const uint8_t *msg, size_t len, size_t *pos, struct dns_name *out,
		  const char **why);
/* Walks the whole message: every count honoured, every record well formed,
 * nothing after the last one. 0 or -EBADMSG with *why set. */
int dns_message_check(const uint8_t *msg, size_t len, const char **why);

/* --- encoding ------------------------------------------------------------- */

#define DNS_COMPRESS_SLOTS 64

/* Builds a message in buf, never past `limit` bytes: a write that would
 * returns -EMSGSIZE and leaves the message as it was, so a caller can stop
 * at the last record that fit (and set TC). Names are compressed against
 * the names already written (RFC 1035 §4.1.4). */
struct dns_writer {
	uint8_t *buf;
	size_t limit, len;
	uint16_t counts[4];         /* entries written per section, for the header */
	uint16_t name_at[DNS_COMPRESS_SLOTS];   /* offsets of names written, to point at */
	unsigned names;
};

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t limit);
/* Writes the header (counts from what was written so far are filled in by
 * dns_writer_finish). -EMSGSIZE if limit < 12. */
int dns_write_header(struct dns_writer *w, uint16_t id, uint16_t flags);
int dns_write_question(struct dns_writer *w, const struct dns_question *q);
/* Encodes rr's data from its typed member (raw rdata for other types). */
int dns_write_rr(struct dns_writer *w, enum dns_section section, const struct dns_rr *rr);
/* Puts the counts in the header; returns the message length. */
size_t dns_writer_finish(struct dns_writer *w);
/* Sets flags in the written header (e.g. TC after a record did not fit). */
void dns_writer_set_flags(struct dns_writer *w, uint16_t flags);

#endif
