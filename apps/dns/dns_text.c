/* dns_text.c - presentation format; see dns_text.h. */
#include "dns_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{DNS_TYPE_A, "A"}, {DNS_TYPE_NS, "NS"}, {DNS_TYPE_CNAME, "CNAME"}, {DNS_TYPE_SOA, "SOA"},
	{DNS_TYPE_PTR, "PTR"}, {DNS_TYPE_MX, "MX"}, {DNS_TYPE_TXT, "TXT"}, {DNS_TYPE_AAAA, "AAAA"},
	{DNS_TYPE_OPT, "OPT"}, {251, "IXFR"}, {DNS_TYPE_AXFR, "AXFR"}, {DNS_TYPE_ANY, "ANY"},
};

const char *dns_type_name(uint16_t type, char *buf)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	snprintf(buf, 16, "TYPE%u", type);
	return buf;
}

int dns_type_parse(const char *text, uint16_t *type)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(text, types[i].name)) {
			*type = types[i].type;
			return 0;
		}
	if (!strncasecmp(text, "TYPE", 4) && text[4] >= '0' && text[4] <= '9') {
		char *end;
		unsigned long v = strtoul(text + 4, &end, 10);
		if (!*end && v <= 0xffff) {
			*type = (uint16_t)v;
			return 0;
		}
	}
	return -EINVAL;
}

const char *dns_class_name(uint16_t qclass, char *buf)
{
	if (qclass == DNS_CLASS_IN)
		return "IN";
	if (qclass == DNS_CLASS_ANY)
		return "ANY";
	snprintf(buf, 16, "CLASS%u", qclass);
	return buf;
}

const char *dns_rcode_name(int rcode, char *buf)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
					    "REFUSED"};
	if (rcode >= 0 && rcode < (int)(sizeof(names) / sizeof(names[0])))
		return names[rcode];
	if (rcode == DNS_RCODE_BADVERS)
		return "BADVERS";
	snprintf(buf, 16, "RCODE%d", rcode);
	return buf;
}

/* TXT's character-strings, quoted, with dig's escapes. */
static void format_txt(const uint8_t *p, size_t len, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 8 < size;) {
		size_t n = p[i++];
		o += (size_t)snprintf(buf + o, size - o, "%s\"", o ? " " : "");
		for (size_t k = 0; k < n && i < len && o + 8 < size; k++, i++) {
			uint8_t c = p[i];
			if (c == '"' || c == '\\')
				o += (size_t)snprintf(buf + o, size - o, "\\%c", c);
			else if (c < ' ' || c >= 0x7f)
				o += (size_t)snprintf(buf + o, size - o, "\\%03u", c);
			else
				buf[o++] = (char)c;
		}
		o += (size_t)snprintf(buf + o, size - o, "\"");
	}
	buf[o < size ? o : size - 1] = '\0';
}

char *dns_rr_format(const struct dns_rr *rr, char *buf, size_t size)
{
	char owner[DNS_NAME_TEXT_MAX], a[DNS_NAME_TEXT_MAX], b[DNS_NAME_TEXT_MAX], tb[16], cb[16];
	char data[4096] = "";
	switch (rr->type) {
	case DNS_TYPE_A:
		snprintf(data, sizeof(data), "%u.%u.%u.%u", rr->a >> 24, rr->a >> 16 & 0xff,
			 rr->a >> 8 & 0xff, rr->a & 0xff);
		break;
	case DNS_TYPE_NS:
	case DNS_TYPE_CNAME:
	case DNS_TYPE_PTR:
		dns_name_to_text(&rr->target, data, sizeof(data));
		break;
	case DNS_TYPE_MX:
		snprintf(data, sizeof(data), "%u %s", rr->preference,
			 dns_name_to_text(&rr->target, a, sizeof(a)));
		break;
	case DNS_TYPE_SOA:
		snprintf(data, sizeof(data), "%s %s %u %u %u %u %u",
			 dns_name_to_text(&rr->soa.mname, a, sizeof(a)),
			 dns_name_to_text(&rr->soa.rname, b, sizeof(b)), rr->soa.serial,
			 rr->soa.refresh, rr->soa.retry, rr->soa.expire, rr->soa.minimum);
		break;
	case DNS_TYPE_TXT:
		format_txt(rr->rdata, rr->rdlen, data, sizeof(data));
		break;
	default: {
		/* RFC 3597 §5: \# LENGTH HEX */
		size_t o = (size_t)snprintf(data, sizeof(data), "\\# %u ", rr->rdlen);
		for (size_t i = 0; i < rr->rdlen && o + 3 < sizeof(data); i++)
			o += (size_t)snprintf(data + o, sizeof(data) - o, "%02x", rr->rdata[i]);
	}
	}
	snprintf(buf, size, "%s\t%u\t%s\t%s\t%s", dns_name_to_text(&rr->name, owner, sizeof(owner)),
		 rr->ttl, dns_class_name(rr->rclass, cb), dns_type_name(rr->type, tb), data);
	return buf;
}
