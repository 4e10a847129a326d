/* dns_zone.c - zone data, the default zone and the zone-file parser. */
#include "dns_zone.h"
#include "dns_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_LEN 4096
#define LINE_MAX_TOKENS 128

static const char default_txt[] =
	"tapir: a userspace TCP/IP stack on a TAP device. This answer came from its "
	"own DNS server (RFC 1034/1035) over its own UDP or TCP.";

int dns_zone_init(struct dns_zone *z, const char *origin)
{
	memset(z, 0, sizeof(*z));
	if (dns_name_from_text(origin, &z->origin) < 0)
		return -EINVAL;
	return 0;
}

void dns_zone_free(struct dns_zone *z)
{
	for (size_t i = 0; i < z->count; i++)
		free((void *)z->records[i].rdata);
	free(z->records);
	memset(z, 0, sizeof(*z));
}

static int is_cname_clash(const struct dns_zone *z, const struct dns_rr *rr)
{
	for (size_t i = 0; i < z->count; i++)
		if (dns_name_equal(&z->records[i].name, &rr->name) &&
		    (z->records[i].type == DNS_TYPE_CNAME || rr->type == DNS_TYPE_CNAME))
			return 1;
	return 0;
}

int dns_zone_add(struct dns_zone *z, const struct dns_rr *rr)
{
	if (!dns_name_in_zone(&rr->name, &z->origin))
		return -EINVAL;
	if (rr->type == DNS_TYPE_SOA && (z->soa || !dns_name_equal(&rr->name, &z->origin)))
		return -EEXIST;
	if (is_cname_clash(z, rr))
		return -EEXIST;
	if (z->count == DNS_ZONE_MAX_RECORDS)
		return -ENOSPC;
	if (z->count == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 16;
		struct dns_rr *grown = realloc(z->records, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		z->records = grown;
		z->cap = cap;
		/* The SOA pointer moved with the array. */
		for (size_t i = 0; i < z->count; i++)
			if (z->records[i].type == DNS_TYPE_SOA)
				z->soa = &z->records[i];
	}
	struct dns_rr copy = *rr;
	copy.rdata = NULL;
	if (rr->rdlen) {
		uint8_t *data = malloc(rr->rdlen);
		if (!data)
			return -ENOMEM;
		memcpy(data, rr->rdata, rr->rdlen);
		copy.rdata = data;
	}
	copy.rclass = DNS_CLASS_IN;
	z->records[z->count] = copy;
	if (rr->type == DNS_TYPE_SOA)
		z->soa = &z->records[z->count];
	z->count++;
	return 0;
}

size_t dns_zone_find(const struct dns_zone *z, const struct dns_name *name, uint16_t type,
		     dns_zone_rr_fn fn, void *ctx)
{
	size_t n = 0;
	for (size_t i = 0; i < z->count; i++) {
		const struct dns_rr *rr = &z->records[i];
		if ((type == DNS_TYPE_ANY || rr->type == type) && dns_name_equal(&rr->name, name)) {
			n++;
			if (fn)
				fn(ctx, rr);
		}
	}
	return n;
}

int dns_zone_name_exists(const struct dns_zone *z, const struct dns_name *name)
{
	for (size_t i = 0; i < z->count; i++)
		if (dns_name_in_zone(&z->records[i].name, name))
			return 1;
	return 0;
}

/* --- building records ------------------------------------------------------- */

/* "label" under the origin, "@" for the origin, "x.y." absolute. */
static int name_in(const struct dns_zone *z, const char *text, struct dns_name *out)
{
	size_t n = strlen(text);
	if (!strcmp(text, "@")) {
		*out = z->origin;
		return 0;
	}
	struct dns_name rel;
	if (dns_name_from_text(text, &rel) < 0)
		return -EINVAL;
	if (n && text[n - 1] == '.' && (n < 2 || text[n - 2] != '\\')) {
		*out = rel;
		return 0;
	}
	return dns_name_concat(&rel, &z->origin, out);
}

static int add_simple(struct dns_zone *z, const char *owner, uint16_t type, uint32_t ttl,
		      uint32_t a, const char *target)
{
	struct dns_rr rr;
	memset(&rr, 0, sizeof(rr));
	rr.type = type;
	rr.ttl = ttl;
	rr.a = a;
	if (name_in(z, owner, &rr.name) < 0 || (target && name_in(z, target, &rr.target) < 0))
		return -EINVAL;
	return dns_zone_add(z, &rr);
}

static int add_txt(struct dns_zone *z, const char *owner, uint32_t ttl, const char *text)
{
	/* A long text becomes several character-strings of up to 255 bytes. */
	uint8_t data[2048];
	size_t n = 0, len = strlen(text);
	for (size_t at = 0; at < len && n + 256 <= sizeof(data); at += 255) {
		size_t piece = len - at < 255 ? len - at : 255;
		data[n++] = (uint8_t)piece;
		memcpy(data + n, text + at, piece);
		n += piece;
	}
	struct dns_rr rr;
	memset(&rr, 0, sizeof(rr));
	rr.type = DNS_TYPE_TXT;
	rr.ttl = ttl;
	rr.rdata = data;
	rr.rdlen = (uint16_t)n;
	if (name_in(z, owner, &rr.name) < 0)
		return -EINVAL;
	return dns_zone_add(z, &rr);
}

/* The SOA and NS every zone needs (RFC 1035 §5.2: one SOA at the apex),
 * and ns's address unless the zone gives one. */
static int add_apex(struct dns_zone *z, uint32_t addr)
{
	struct dns_rr soa;
	memset(&soa, 0, sizeof(soa));
	soa.name = z->origin;
	soa.type = DNS_TYPE_SOA;
	soa.ttl = DNS_DEFAULT_TTL;
	if (name_in(z, "ns", &soa.soa.mname) < 0 || name_in(z, "hostmaster", &soa.soa.rname) < 0)
		return -EINVAL;
	soa.soa.serial = 1;
	soa.soa.refresh = 3600;
	soa.soa.retry = 600;
	soa.soa.expire = 86400;
	soa.soa.minimum = DNS_DEFAULT_NEGATIVE_TTL;
	int e = dns_zone_add(z, &soa);
	if (e == 0 && !dns_zone_find(z, &z->origin, DNS_TYPE_NS, NULL, NULL))
		e = add_simple(z, "@", DNS_TYPE_NS, DNS_DEFAULT_TTL, 0, "ns");
	if (e == 0 && !dns_zone_find(z, &soa.soa.mname, DNS_TYPE_ANY, NULL, NULL))
		e = add_simple(z, "ns", DNS_TYPE_A, DNS_DEFAULT_TTL, addr, NULL);
	return e;
}

int dns_zone_add_defaults(struct dns_zone *z, uint32_t addr, uint32_t host_addr)
{
	int e = 0;
	if (!z->soa)
		e = add_apex(z, addr);
	if (!e)
		e = add_simple(z, "@", DNS_TYPE_A, DNS_DEFAULT_TTL, addr, NULL);
	if (!e)
		e = add_simple(z, "www", DNS_TYPE_A, DNS_DEFAULT_TTL, addr, NULL);
	if (!e && host_addr)
		e = add_simple(z, "host", DNS_TYPE_A, DNS_DEFAULT_TTL, host_addr, NULL);
	if (!e)
		e = add_simple(z, "web", DNS_TYPE_CNAME, DNS_DEFAULT_TTL, 0, "www");
	if (!e)
		e = add_txt(z, "@", DNS_DEFAULT_TTL, default_txt);
	return e;
}

/* --- the zone-file parser --------------------------------------------------- */

struct token {
	char text[LINE_MAX_LEN + 1];        /* unescaped for quoted strings */
	size_t len;
	int quoted;
};

struct line {
	const char *file;
	unsigned number;
	char *err;
	size_t errlen;
	struct token tok[LINE_MAX_TOKENS];
	size_t n;
	uint8_t txt[16384];         /* a TXT record's data, copied by dns_zone_add */
};

static int line_fail(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int line_fail(struct line *l, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s:%u: %s", l->file, l->number, what);
	return -1;
}

/* Splits one line (NUL-terminated, no newline) into tokens. */
static int tokenize(struct line *l, const char *s)
{
	l->n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		if (!*s || *s == ';' || *s == '#')
			return 0;
		if (l->n == LINE_MAX_TOKENS)
			return line_fail(l, "more than %d fields", LINE_MAX_TOKENS);
		struct token *t = &l->tok[l->n++];
		t->len = 0;
		t->quoted = *s == '"';
		if (t->quoted) {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				t->text[t->len++] = *s;
			}
			if (*s != '"')
				return line_fail(l, "unterminated quoted string");
			s++;
		} else {
			while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != ';')
				t->text[t->len++] = *s++;
		}
		t->text[t->len] = '\0';
	}
}

static int parse_u32(const char *s, uint32_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int upper_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if ((*a >= 'a' && *a <= 'z' ? *a - 32 : *a) != *b)
			return 0;
	return !*a && !*b;
}

static int field_name(struct line *l, const struct dns_zone *z, size_t i, struct dns_name *out)
{
	if (name_in(z, l->tok[i].text, out) < 0)
		return line_fail(l, "'%.64s' is not a valid domain name", l->tok[i].text);
	return 0;
}

static int expect_fields(struct line *l, size_t at, size_t want, const char *type)
{
	if (l->n - at != want)
		return line_fail(l, "%s wants %zu field%s, got %zu", type, want, want == 1 ? "" : "s",
				 l->n - at);
	return 0;
}

/* The data after TYPE, from field `at`, into rr. */
static int parse_rdata(struct line *l, const struct dns_zone *z, size_t at, struct dns_rr *rr,
		       uint8_t *raw, size_t rawcap)
{
	const char *type = l->tok[at - 1].text;
	if (rr->type == DNS_TYPE_A) {
		struct in_addr in;
		if (expect_fields(l, at, 1, "A") < 0)
			return -1;
		if (inet_pton(AF_INET, l->tok[at].text, &in) != 1)
			return line_fail(l, "'%.64s' is not an IPv4 address", l->tok[at].text);
		rr->a = ntohl(in.s_addr);
		return 0;
	}
	if (rr->type == DNS_TYPE_CNAME || rr->type == DNS_TYPE_NS)
		return expect_fields(l, at, 1, type) < 0 ? -1 : field_name(l, z, at, &rr->target);
	if (rr->type == DNS_TYPE_MX) {
		uint32_t pref;
		if (expect_fields(l, at, 2, "MX") < 0)
			return -1;
		if (parse_u32(l->tok[at].text, &pref) < 0 || pref > 0xffff)
			return line_fail(l, "MX preference '%.64s' is not 0..65535", l->tok[at].text);
		rr->preference = (uint16_t)pref;
		return field_name(l, z, at + 1, &rr->target);
	}
	if (rr->type == DNS_TYPE_SOA) {
		uint32_t *nums[] = {&rr->soa.serial, &rr->soa.refresh, &rr->soa.retry, &rr->soa.expire,
				    &rr->soa.minimum};
		if (expect_fields(l, at, 7, "SOA") < 0 || field_name(l, z, at, &rr->soa.mname) < 0 ||
		    field_name(l, z, at + 1, &rr->soa.rname) < 0)
			return -1;
		for (size_t k = 0; k < 5; k++)
			if (parse_u32(l->tok[at + 2 + k].text, nums[k]) < 0)
				return line_fail(l, "SOA number '%.64s' is not 0..4294967295",
						 l->tok[at + 2 + k].text);
		return 0;
	}
	/* TXT: RFC 1035 §3.3.14, each string at most 255 bytes. */
	size_t n = 0;
	if (l->n == at)
		return line_fail(l, "TXT wants at least one string");
	for (size_t i = at; i < l->n; i++) {
		if (l->tok[i].len > 255)
			return line_fail(l, "TXT string of %zu bytes (at most 255; split it)",
					 l->tok[i].len);
		if (n + 1 + l->tok[i].len > rawcap)
			return line_fail(l, "TXT record longer than %zu bytes", rawcap);
		raw[n++] = (uint8_t)l->tok[i].len;
		memcpy(raw + n, l->tok[i].text, l->tok[i].len);
		n += l->tok[i].len;
	}
	rr->rdata = raw;
	rr->rdlen = (uint16_t)n;
	return 0;
}

static const struct {
	const char *name;
	uint16_t type;
} zone_types[] = {
	{"A", DNS_TYPE_A}, {"CNAME", DNS_TYPE_CNAME}, {"NS", DNS_TYPE_NS},
	{"SOA", DNS_TYPE_SOA}, {"TXT", DNS_TYPE_TXT}, {"MX", DNS_TYPE_MX},
};

static int parse_record(struct line *l, struct dns_zone *z, uint32_t default_ttl)
{
	struct dns_rr rr;
	size_t at = 1;
	memset(&rr, 0, sizeof(rr));
	rr.ttl = default_ttl;
	if (l->tok[0].quoted || field_name(l, z, 0, &rr.name) < 0)
		return l->tok[0].quoted ? line_fail(l, "a name cannot be quoted") : -1;
	if (!dns_name_in_zone(&rr.name, &z->origin))
		return line_fail(l, "'%.64s' is outside the zone", l->tok[0].text);
	if (at < l->n && l->tok[at].text[0] >= '0' && l->tok[at].text[0] <= '9') {
		if (parse_u32(l->tok[at].text, &rr.ttl) < 0 || rr.ttl > 0x7fffffff)
			return line_fail(l, "TTL '%.64s' is not 0..2147483647", l->tok[at].text);
		at++;
	}
	if (at < l->n && upper_equal(l->tok[at].text, "IN"))
		at++;
	if (at >= l->n)
		return line_fail(l, "no record type");
	for (size_t i = 0; i < sizeof(zone_types) / sizeof(zone_types[0]); i++)
		if (upper_equal(l->tok[at].text, zone_types[i].name))
			rr.type = zone_types[i].type;
	if (!rr.type)
		return line_fail(l, "unknown record type '%.64s' (A, CNAME, NS, MX, SOA, TXT)",
				 l->tok[at].text);
	if (parse_rdata(l, z, at + 1, &rr, l->txt, sizeof(l->txt)) < 0)
		return -1;
	switch (dns_zone_add(z, &rr)) {
	case 0:
		return 0;
	case -EEXIST:
		return rr.type == DNS_TYPE_SOA
			       ? line_fail(l, "a second SOA, or one not at the zone's apex")
			       : line_fail(l, "a CNAME owner can have no other data (RFC 1034 §3.6.2)");
	case -ENOSPC:
		return line_fail(l, "more than %d records", DNS_ZONE_MAX_RECORDS);
	default:
		return line_fail(l, "out of memory");
	}
}

int dns_zone_parse(struct dns_zone *z, const char *text, const char *file, uint32_t addr,
		   char *err, size_t errlen)
{
	struct line *l = calloc(1, sizeof(*l));
	char *buf = malloc(LINE_MAX_LEN + 1);
	uint32_t default_ttl = DNS_DEFAULT_TTL;
	int rc = 0;
	if (!l || !buf) {
		snprintf(err, errlen, "%s: out of memory", file);
		rc = -1;
	}
	if (l) {
		l->file = file;
		l->err = err;
		l->errlen = errlen;
	}
	for (const char *p = text; !rc && *p;) {
		size_t n = strcspn(p, "\n");
		l->number++;
		if (n > LINE_MAX_LEN) {
			rc = line_fail(l, "line longer than %d bytes", LINE_MAX_LEN);
			break;
		}
		memcpy(buf, p, n);
		buf[n] = '\0';
		p += n + (p[n] == '\n');
		if (strlen(buf) != n) {
			rc = line_fail(l, "NUL byte in the line");
		} else if (tokenize(l, buf) < 0) {
			rc = -1;
		} else if (l->n && !l->tok[0].quoted && upper_equal(l->tok[0].text, "$TTL")) {
			if (l->n != 2 || parse_u32(l->tok[1].text, &default_ttl) < 0 ||
			    default_ttl > 0x7fffffff)
				rc = line_fail(l, "$TTL wants one number, 0..2147483647");
		} else if (l->n && l->tok[0].text[0] == '$') {
			rc = line_fail(l, "unknown directive '%.64s' (only $TTL)", l->tok[0].text);
		} else if (l->n) {
			rc = parse_record(l, z, default_ttl);
		}
	}
	if (!rc && !z->soa && add_apex(z, addr) < 0) {
		snprintf(err, errlen, "%s: cannot add the default SOA and NS", file);
		rc = -1;
	}
	free(l);
	free(buf);
	return rc;
}

int dns_zone_load_file(struct dns_zone *z, const char *path, uint32_t addr, char *err,
		       size_t errlen)
{
	char *text = dns_file_read(path, err, errlen);
	if (!text)
		return -1;
	int rc = dns_zone_parse(z, text, path, addr, err, errlen);
	free(text);
	return rc;
}

int dns_zone_setup(struct dns_zone *z, const char *origin, const char *file, uint32_t addr,
		   uint32_t host_addr, char *err, size_t errlen)
{
	if (dns_zone_init(z, origin) < 0) {
		snprintf(err, errlen, "'%.64s' is not a valid zone name", origin);
		return -1;
	}
	int rc = file ? dns_zone_load_file(z, file, addr, err, errlen)
		      : dns_zone_add_defaults(z, addr, host_addr);
	if (rc != 0 && !file)
		snprintf(err, errlen, "cannot build the default zone %.64s: %s", origin, strerror(-rc));
	if (rc != 0)
		dns_zone_free(z);
	return rc ? -1 : 0;
}
