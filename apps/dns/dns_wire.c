/* dns_wire.c - DNS names and messages to and from bytes; see dns_wire.h. */
#include "dns_wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* RFC 1035 §4.1.4: a pointer is two bytes whose top bits are 11. */
#define POINTER_BITS 0xc0
/* Each jump goes strictly backwards, which alone ends every walk; this
 * bound caps the work a hostile message can ask for (a 255-byte name has
 * at most 127 labels, hence at most 127 useful pointers). */
#define MAX_POINTER_JUMPS 127

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* --- names ---------------------------------------------------------------- */

int dns_name_from_text(const char *text, struct dns_name *out)
{
	size_t n = 0;               /* bytes of out->wire used */
	const char *p = text;

	if (!strcmp(p, ".") || !*p) {
		out->len = 1;
		out->wire[0] = 0;
		return 0;
	}
	while (*p) {
		size_t len_at = n++, label = 0;
		if (n >= DNS_NAME_MAX)
			return -EINVAL;
		while (*p && *p != '.') {
			unsigned c = (unsigned char)*p++;
			if (c == '\\') {
				if (p[0] >= '0' && p[0] <= '9') {
					if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
						return -EINVAL;
					c = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
					if (c > 255)
						return -EINVAL;
					p += 3;
				} else if (*p) {
					c = (unsigned char)*p++;
				} else {
					return -EINVAL;
				}
			}
			if (++label > DNS_LABEL_MAX || n + 1 >= DNS_NAME_MAX)
				return -EINVAL;
			out->wire[n++] = (uint8_t)c;
		}
		if (label == 0)
			return -EINVAL;     /* "a..b" or a leading dot */
		out->wire[len_at] = (uint8_t)label;
		if (*p == '.')
			p++;
	}
	out->wire[n++] = 0;
	out->len = (uint8_t)n;
	return 0;
}

/* Appends text to buf[*o..size), always leaving it terminated. */
static void append(char *buf, size_t size, size_t *o, const char *text)
{
	for (; *text && *o + 1 < size; text++)
		buf[(*o)++] = *text;
	buf[*o] = '\0';
}

char *dns_name_to_text(const struct dns_name *name, char *buf, size_t size)
{
	size_t o = 0;
	char piece[8];
	if (!size)
		return buf;
	buf[0] = '\0';
	if (name->len <= 1) {
		append(buf, size, &o, ".");
		return buf;
	}
	for (size_t i = 0; i < name->len && name->wire[i];) {
		size_t label = name->wire[i++];
		for (size_t k = 0; k < label && i < name->len; k++, i++) {
			uint8_t c = name->wire[i];
			if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' ||
			    c == '@' || c == '$')
				snprintf(piece, sizeof(piece), "\\%c", c);
			else if (c <= ' ' || c >= 0x7f)
				snprintf(piece, sizeof(piece), "\\%03u", c);
			else
				snprintf(piece, sizeof(piece), "%c", c);
			append(buf, size, &o, piece);
		}
		append(buf, size, &o, ".");
	}
	return buf;
}

int dns_name_equal(const struct dns_name *a, const struct dns_name *b)
{
	if (a->len != b->len)
		return 0;
	/* Length bytes are below 64, so lowering them is harmless. */
	for (size_t i = 0; i < a->len; i++)
		if (lower(a->wire[i]) != lower(b->wire[i]))
			return 0;
	return 1;
}

unsigned dns_name_labels(const struct dns_name *name)
{
	unsigned n = 0;
	for (size_t i = 0; i < name->len && name->wire[i]; i += 1u + name->wire[i])
		n++;
	return n;
}

void dns_name_parent(const struct dns_name *name, unsigned drop, struct dns_name *out)
{
	size_t i = 0;
	for (unsigned k = 0; k < drop && i < name->len && name->wire[i]; k++)
		i += 1u + name->wire[i];
	if (i >= name->len) {
		out->len = 1;
		out->wire[0] = 0;
		return;
	}
	out->len = (uint8_t)(name->len - i);
	memmove(out->wire, name->wire + i, out->len);
}

int dns_name_in_zone(const struct dns_name *name, const struct dns_name *zone)
{
	unsigned nl = dns_name_labels(name), zl = dns_name_labels(zone);
	if (nl < zl)
		return 0;
	struct dns_name tail;
	dns_name_parent(name, nl - zl, &tail);
	return dns_name_equal(&tail, zone);
}

int dns_name_concat(const struct dns_name *prefix, const struct dns_name *suffix,
		    struct dns_name *out)
{
	size_t head = prefix->len ? prefix->len - 1u : 0;     /* without its root label */
	if (head + suffix->len > DNS_NAME_MAX)
		return -EINVAL;
	struct dns_name r;
	memcpy(r.wire, prefix->wire, head);
	memcpy(r.wire + head, suffix->wire, suffix->len);
	r.len = (uint8_t)(head + suffix->len);
	*out = r;
	return 0;
}

/* --- decoding ------------------------------------------------------------- */

static int bad(const char **why, const char *text)
{
	if (why)
		*why = text;
	return -EBADMSG;
}

int dns_read_name(const uint8_t *msg, size_t len, size_t *pos, struct dns_name *out,
		  const char **why)
{
	size_t at = *pos, after = 0, n = 0;
	unsigned jumps = 0;
	int jumped = 0;

	for (;;) {
		if (at >= len)
			return bad(why, "name runs past the end of the message");
		uint8_t b = msg[at];
		if ((b & POINTER_BITS) == POINTER_BITS) {
			if (at + 1 >= len)
				return bad(why, "compression pointer cut short");
			size_t target = (size_t)get16(msg + at) & 0x3fff;
			/* Only backwards, and never into the header: a pointer
			 * to itself or forwards could loop or read garbage. */
			if (target >= at)
				return bad(why, "compression pointer does not point backwards");
			if (target < DNS_HEADER_LEN)
				return bad(why, "compression pointer into the header");
			if (++jumps > MAX_POINTER_JUMPS)
				return bad(why, "too many compression pointers");
			if (!jumped)
				after = at + 2;
			jumped = 1;
			at = target;
			continue;
		}
		if (b & POINTER_BITS)
			return bad(why, "unknown label type (RFC 6891 §5 retired 0x40 and 0x80)");
		if (n + 1u + b > DNS_NAME_MAX)
			return bad(why, "name longer than 255 bytes");
		if (at + 1u + b > len)
			return bad(why, "label runs past the end of the message");
		memcpy(out->wire + n, msg + at, 1u + b);
		n += 1u + b;
		at += 1u + b;
		if (b == 0)
			break;
	}
	out->len = (uint8_t)n;
	*pos = jumped ? after : at;
	return 0;
}

static int reader_bad(struct dns_reader *r, const char *why)
{
	r->why = why;
	return -EBADMSG;
}

int dns_reader_init(struct dns_reader *r, const uint8_t *msg, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->msg = msg;
	r->len = len;
	if (len < DNS_HEADER_LEN)
		return reader_bad(r, "shorter than a DNS header (12 bytes)");
	r->hdr.id = get16(msg);
	r->hdr.flags = get16(msg + 2);
	r->hdr.qdcount = get16(msg + 4);
	r->hdr.ancount = get16(msg + 6);
	r->hdr.nscount = get16(msg + 8);
	r->hdr.arcount = get16(msg + 10);
	r->pos = DNS_HEADER_LEN;
	r->section = DNS_SECTION_QUESTION;
	r->left = r->hdr.qdcount;
	return 0;
}

/* Moves past exhausted sections; -ENOENT if the current one was exhausted
 * (the caller asked for one entry too many there). */
static int next_in(struct dns_reader *r, int question)
{
	if (r->section == DNS_SECTION_QUESTION && !question)
		return -EINVAL;     /* read the questions first */
	if (r->left > 0)
		return 0;
	if (r->section == DNS_SECTION_END)
		return -ENOENT;
	r->section++;
	const uint16_t counts[] = {r->hdr.qdcount, r->hdr.ancount, r->hdr.nscount, r->hdr.arcount};
	r->left = r->section < DNS_SECTION_END ? counts[r->section] : 0;
	return -ENOENT;
}

int dns_read_question(struct dns_reader *r, struct dns_question *q)
{
	if (r->section != DNS_SECTION_QUESTION)
		return -ENOENT;
	int e = next_in(r, 1);
	if (e)
		return e;
	if (dns_read_name(r->msg, r->len, &r->pos, &q->name, &r->why) < 0)
		return -EBADMSG;
	if (r->pos + 4 > r->len)
		return reader_bad(r, "question cut short (no type and class)");
	q->type = get16(r->msg + r->pos);
	q->qclass = get16(r->msg + r->pos + 2);
	r->pos += 4;
	r->left--;
	return 0;
}

/* The typed part of rdata: names inside it may be compressed against the
 * whole message (RFC 1035 §4.1.4), but must end inside the rdata. */
static int decode_rdata(struct dns_reader *r, struct dns_rr *rr, size_t start, size_t end)
{
	size_t pos = start;
	switch (rr->type) {
	case DNS_TYPE_A:
		if (end - start != 4)
			return reader_bad(r, "A record whose data is not 4 bytes");
		rr->a = get32(r->msg + start);
		return 0;
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
	case DNS_TYPE_MX:
		if (rr->type == DNS_TYPE_MX) {
			if (end - start < 2)
				return reader_bad(r, "MX record cut short");
			rr->preference = get16(r->msg + start);
			pos += 2;
		}
		if (dns_read_name(r->msg, end, &pos, &rr->target, &r->why) < 0)
			return -EBADMSG;
		break;
	case DNS_TYPE_SOA:
		if (dns_read_name(r->msg, end, &pos, &rr->soa.mname, &r->why) < 0 ||
		    dns_read_name(r->msg, end, &pos, &rr->soa.rname, &r->why) < 0)
			return -EBADMSG;
		if (end - pos != 20)
			return reader_bad(r, "SOA record with a bad length");
		rr->soa.serial = get32(r->msg + pos);
		rr->soa.refresh = get32(r->msg + pos + 4);
		rr->soa.retry = get32(r->msg + pos + 8);
		rr->soa.expire = get32(r->msg + pos + 12);
		rr->soa.minimum = get32(r->msg + pos + 16);
		pos += 20;
		break;
	case DNS_TYPE_TXT:
		/* RFC 1035 §3.3.14: one or more <character-string>s. */
		if (start == end)
			return reader_bad(r, "TXT record with no string");
		while (pos < end) {
			pos += 1u + r->msg[pos];
			if (pos > end)
				return reader_bad(r, "TXT string runs past its record");
		}
		return 0;
	default:
		return 0;           /* opaque */
	}
	if (pos != end)
		return reader_bad(r, "record data longer than its contents");
	return 0;
}

int dns_read_rr(struct dns_reader *r, struct dns_rr *rr)
{
	int e = next_in(r, 0);
	if (e)
		return e;
	memset(rr, 0, sizeof(*rr));
	if (dns_read_name(r->msg, r->len, &r->pos, &rr->name, &r->why) < 0)
		return -EBADMSG;
	if (r->pos + 10 > r->len)
		return reader_bad(r, "record header cut short");
	const uint8_t *p = r->msg + r->pos;
	rr->type = get16(p);
	rr->rclass = get16(p + 2);
	rr->ttl = get32(p + 4);
	rr->rdlen = get16(p + 8);
	size_t start = r->pos + 10, end = start + rr->rdlen;
	if (end > r->len)
		return reader_bad(r, "record data runs past the end of the message");
	rr->rdata = r->msg + start;
	if (decode_rdata(r, rr, start, end) < 0)
		return -EBADMSG;
	r->pos = end;
	r->left--;
	return 0;
}

int dns_reader_next(struct dns_reader *r, struct dns_rr *rr)
{
	struct dns_question q;
	int e;
	while ((e = dns_read_question(r, &q)) == 0)
		;
	if (e == -EBADMSG)
		return e;
	while ((e = dns_read_rr(r, rr)) == -ENOENT)
		if (r->section == DNS_SECTION_END)
			return 0;
	return e < 0 ? e : 1;
}

int dns_message_check(const uint8_t *msg, size_t len, const char **why)
{
	struct dns_reader r;
	struct dns_rr rr;
	int e;
	if (dns_reader_init(&r, msg, len) < 0)
		return bad(why, r.why);
	while ((e = dns_reader_next(&r, &rr)) == 1)
		;
	if (e < 0)
		return bad(why, r.why);
	if (r.pos != len)
		return bad(why, "bytes after the last record");
	return 0;
}

/* --- encoding ------------------------------------------------------------- */

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t limit)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->limit = limit;
}

int dns_write_header(struct dns_writer *w, uint16_t id, uint16_t flags)
{
	if (w->limit < DNS_HEADER_LEN)
		return -EMSGSIZE;
	memset(w->buf, 0, DNS_HEADER_LEN);
	put16(w->buf, id);
	put16(w->buf + 2, flags);
	w->len = DNS_HEADER_LEN;
	return 0;
}

void dns_writer_set_flags(struct dns_writer *w, uint16_t flags)
{
	put16(w->buf + 2, (uint16_t)(get16(w->buf + 2) | flags));
}

size_t dns_writer_finish(struct dns_writer *w)
{
	for (int s = 0; s < 4; s++)
		put16(w->buf + 4 + 2 * s, w->counts[s]);
	return w->len;
}

/* Where a name equal to wire[0..len) (a suffix of the name being written)
 * already stands in the message, or 0. Any label start inside a name we
 * wrote earlier, up to its first pointer, begins such a candidate. */
static size_t find_written(const struct dns_writer *w, const uint8_t *wire, size_t len)
{
	struct dns_name want, have;
	want.len = (uint8_t)len;
	memcpy(want.wire, wire, len);
	for (unsigned i = 0; i < w->names; i++) {
		for (size_t off = w->name_at[i]; off < w->len && off < 0x4000 && w->buf[off] &&
		     (w->buf[off] & POINTER_BITS) != POINTER_BITS; off += 1u + w->buf[off]) {
			size_t pos = off;
			if (dns_read_name(w->buf, w->len, &pos, &have, NULL) == 0 &&
			    dns_name_equal(&have, &want))
				return off;
		}
	}
	return 0;
}

/* Writes name at the end, pointing at an earlier copy of its longest
 * suffix already in the message. */
static int put_name(struct dns_writer *w, const struct dns_name *name)
{
	size_t start = w->len;
	for (size_t i = 0; i < name->len; i += 1u + name->wire[i]) {
		if (name->wire[i] == 0) {
			if (w->len + 1 > w->limit)
				return -EMSGSIZE;
			w->buf[w->len++] = 0;
			break;
		}
		size_t earlier = find_written(w, name->wire + i, name->len - i);
		if (earlier) {
			if (w->len + 2 > w->limit)
				return -EMSGSIZE;
			put16(w->buf + w->len, (uint16_t)(0xc000 | earlier));
			w->len += 2;
			break;
		}
		size_t label = 1u + name->wire[i];
		if (w->len + label > w->limit)
			return -EMSGSIZE;
		memcpy(w->buf + w->len, name->wire + i, label);
		w->len += label;
	}
	if (start < 0x4000 && w->names < DNS_COMPRESS_SLOTS && name->len > 1)
		w->name_at[w->names++] = (uint16_t)start;
	return 0;
}

static int put_bytes(struct dns_writer *w, const void *p, size_t n)
{
	if (w->len + n > w->limit)
		return -EMSGSIZE;
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static int put_u16(struct dns_writer *w, uint16_t v)
{
	uint8_t b[2];
	put16(b, v);
	return put_bytes(w, b, 2);
}

static int put_u32(struct dns_writer *w, uint32_t v)
{
	uint8_t b[4];
	put32(b, v);
	return put_bytes(w, b, 4);
}

/* Undoes a partial write: the message is as it was before. */
static int rollback(struct dns_writer *w, size_t len, unsigned names, int e)
{
	w->len = len;
	w->names = names;
	return e;
}

int dns_write_question(struct dns_writer *w, const struct dns_question *q)
{
	size_t len = w->len;
	unsigned names = w->names;
	int e;
	if ((e = put_name(w, &q->name)) < 0 || (e = put_u16(w, q->type)) < 0 ||
	    (e = put_u16(w, q->qclass)) < 0)
		return rollback(w, len, names, e);
	w->counts[DNS_SECTION_QUESTION]++;
	return 0;
}

static int put_rdata(struct dns_writer *w, const struct dns_rr *rr)
{
	int e = 0;
	switch (rr->type) {
	case DNS_TYPE_A:
		return put_u32(w, rr->a);
	case DNS_TYPE_MX:
		if ((e = put_u16(w, rr->preference)) < 0)
			return e;
		/* fall through */
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
		return put_name(w, &rr->target);
	case DNS_TYPE_SOA:
		if ((e = put_name(w, &rr->soa.mname)) < 0 || (e = put_name(w, &rr->soa.rname)) < 0 ||
		    (e = put_u32(w, rr->soa.serial)) < 0 || (e = put_u32(w, rr->soa.refresh)) < 0 ||
		    (e = put_u32(w, rr->soa.retry)) < 0 || (e = put_u32(w, rr->soa.expire)) < 0)
			return e;
		return put_u32(w, rr->soa.minimum);
	default:
		return put_bytes(w, rr->rdata, rr->rdlen);
	}
}

int dns_write_rr(struct dns_writer *w, enum dns_section section, const struct dns_rr *rr)
{
	size_t len = w->len;
	unsigned names = w->names;
	int e;
	if (section == DNS_SECTION_QUESTION || section >= DNS_SECTION_END)
		return -EINVAL;
	if ((e = put_name(w, &rr->name)) < 0 || (e = put_u16(w, rr->type)) < 0 ||
	    (e = put_u16(w, rr->rclass)) < 0 || (e = put_u32(w, rr->ttl)) < 0 ||
	    (e = put_u16(w, 0)) < 0)
		return rollback(w, len, names, e);
	size_t rdata_at = w->len;
	if ((e = put_rdata(w, rr)) < 0)
		return rollback(w, len, names, e);
	if (w->len - rdata_at > 0xffff)
		return rollback(w, len, names, -EMSGSIZE);
	put16(w->buf + rdata_at - 2, (uint16_t)(w->len - rdata_at));
	w->counts[section]++;
	return 0;
}
