/* dns_answer.c - the authoritative answer to one query; see dns_answer.h. */
#include "dns_answer.h"

#include <errno.h>
#include <string.h>

#define OPT_RR_LEN 11               /* root name, type, class, TTL, RDLENGTH 0 */
#define ADDITIONAL_TARGETS_MAX 16

/* What the query asked, once it parsed. */
struct query {
	struct dns_header hdr;
	struct dns_question q;
	int has_question;
	int edns;                   /* an OPT RR came (RFC 6891) */
	uint16_t edns_size;         /* its UDP payload size */
	uint8_t edns_version;
};

struct reply {
	const struct dns_zone *z;
	struct dns_writer w;
	int truncated;
	struct dns_name targets[ADDITIONAL_TARGETS_MAX];    /* NS / MX names to add A records for */
	unsigned n_targets;
};

/* Reads the query; FORMERR (with *why) when it is malformed or breaks a
 * rule of RFC 6891 §6.1.1 about OPT. */
static int read_query(const uint8_t *msg, size_t len, struct query *out)
{
	struct dns_reader r;
	struct dns_rr rr;
	int e, opts = 0;

	memset(out, 0, sizeof(*out));
	if (dns_message_check(msg, len, NULL) < 0 || dns_reader_init(&r, msg, len) < 0)
		return -EBADMSG;
	out->hdr = r.hdr;
	if (r.hdr.qdcount == 1 && dns_read_question(&r, &out->q) == 0)
		out->has_question = 1;
	while ((e = dns_reader_next(&r, &rr)) == 1) {
		if (rr.type != DNS_TYPE_OPT)
			continue;
		/* Exactly one, in the additional section, owned by the root. */
		if (++opts > 1 || r.section != DNS_SECTION_ADDITIONAL || rr.name.len != 1)
			return -EBADMSG;
		out->edns = 1;
		out->edns_size = rr.rclass < DNS_UDP_MAX ? DNS_UDP_MAX : rr.rclass;
		out->edns_version = (uint8_t)(rr.ttl >> 16);
	}
	if (e < 0)
		return e;
	if (r.hdr.qdcount != 1)
		return -EBADMSG;
	return 0;
}

static void add(struct reply *rp, enum dns_section section, const struct dns_rr *rr)
{
	if (rp->truncated)
		return;
	if (dns_write_rr(&rp->w, section, rr) < 0) {
		rp->truncated = 1;
		return;
	}
	if (section == DNS_SECTION_ANSWER && (rr->type == DNS_TYPE_NS || rr->type == DNS_TYPE_MX) &&
	    rp->n_targets < ADDITIONAL_TARGETS_MAX)
		rp->targets[rp->n_targets++] = rr->target;
}

static void add_answer(void *ctx, const struct dns_rr *rr)
{
	add(ctx, DNS_SECTION_ANSWER, rr);
}

static void add_additional(void *ctx, const struct dns_rr *rr)
{
	add(ctx, DNS_SECTION_ADDITIONAL, rr);
}

/* RFC 2308 §3: the SOA in a negative answer lives min(TTL, MINIMUM). */
static void add_soa_authority(struct reply *rp)
{
	struct dns_rr soa = *rp->z->soa;
	if (soa.soa.minimum < soa.ttl)
		soa.ttl = soa.soa.minimum;
	add(rp, DNS_SECTION_AUTHORITY, &soa);
}

struct first_cname {
	struct dns_rr rr;
	int found;
};

static void keep_cname(void *ctx, const struct dns_rr *rr)
{
	struct first_cname *c = ctx;
	if (!c->found)
		c->rr = *rr;
	c->found = 1;
}

/* Answers from the zone for a question inside it; returns the rcode. */
static int answer_from_zone(struct reply *rp, const struct dns_question *q)
{
	struct dns_name name = q->name;
	const struct dns_zone *z = rp->z;

	for (int hops = 0;; hops++) {
		if (!dns_name_in_zone(&name, &z->origin))
			return DNS_RCODE_NOERROR;   /* the chain left our zone: the client goes on */
		if (dns_zone_find(z, &name, q->type, add_answer, rp))
			break;
		struct first_cname c = {.found = 0};
		if (q->type != DNS_TYPE_CNAME && dns_zone_find(z, &name, DNS_TYPE_CNAME, keep_cname, &c)) {
			/* RFC 1034 §4.3.2 step 3.a: the CNAME, then restart at its target. */
			add(rp, DNS_SECTION_ANSWER, &c.rr);
			if (hops + 1 >= DNS_CNAME_CHAIN_MAX)
				return DNS_RCODE_NOERROR;
			name = c.rr.target;
			continue;
		}
		add_soa_authority(rp);
		/* RFC 8020: a name with descendants exists (NODATA, not NXDOMAIN);
		 * RFC 6604: the rcode speaks of the chain's last name. */
		return dns_zone_name_exists(z, &name) ? DNS_RCODE_NOERROR : DNS_RCODE_NXDOMAIN;
	}
	/* RFC 1035 §4.1: addresses of the NS / MX names, in additional. */
	for (unsigned i = 0; i < rp->n_targets; i++)
		dns_zone_find(z, &rp->targets[i], DNS_TYPE_A, add_additional, rp);
	return DNS_RCODE_NOERROR;
}

static int rcode_for(const struct dns_zone *z, const struct query *qr)
{
	const struct dns_question *q = &qr->q;
	if (DNS_OPCODE(qr->hdr.flags) != DNS_OPCODE_QUERY)
		return DNS_RCODE_NOTIMP;
	if (qr->edns && qr->edns_version != 0)
		return DNS_RCODE_BADVERS;
	if (q->type == DNS_TYPE_OPT)
		return DNS_RCODE_FORMERR;   /* RFC 6891 §6.1.1: OPT is no question */
	if ((q->qclass != DNS_CLASS_IN && q->qclass != DNS_CLASS_ANY) ||
	    !dns_name_in_zone(&q->name, &z->origin))
		return DNS_RCODE_REFUSED;
	if (q->type == DNS_TYPE_AXFR || q->type == 251 /* IXFR */)
		return DNS_RCODE_REFUSED;   /* no zone transfers */
	if (q->type == 253 || q->type == 254)
		return DNS_RCODE_NOTIMP;    /* MAILB, MAILA */
	return -1;                  /* to be answered from the zone */
}

/* Header (flags from the query), the question, answers, OPT. */
static size_t build(const struct dns_zone *z, const struct query *qr, size_t limit, uint8_t *out,
		    int force_truncated, struct dns_answer_info *info)
{
	struct reply rp = {.z = z};
	uint16_t flags = DNS_FLAG_QR | (uint16_t)(DNS_OPCODE(qr->hdr.flags) << 11) |
			 (qr->hdr.flags & DNS_FLAG_RD);
	size_t records_limit = limit - (qr->edns ? OPT_RR_LEN : 0);
	int rcode = qr->has_question ? rcode_for(z, qr)
			: DNS_OPCODE(qr->hdr.flags) != DNS_OPCODE_QUERY ? DNS_RCODE_NOTIMP
			: DNS_RCODE_FORMERR;

	dns_writer_init(&rp.w, out, records_limit);
	dns_write_header(&rp.w, qr->hdr.id, flags);
	if (qr->has_question && dns_write_question(&rp.w, &qr->q) < 0)
		rp.truncated = 1;   /* cannot happen: the question came in a smaller message */
	if (rcode < 0) {
		dns_writer_set_flags(&rp.w, DNS_FLAG_AA);
		rp.truncated = force_truncated;
		if (!force_truncated)
			rcode = answer_from_zone(&rp, &qr->q);
		else
			rcode = DNS_RCODE_NOERROR;
	}
	if (rp.truncated && !force_truncated)
		return 0;           /* the caller builds it again, header and question only */
	if (rp.truncated)
		dns_writer_set_flags(&rp.w, DNS_FLAG_TC);
	dns_writer_set_flags(&rp.w, (uint16_t)(rcode & 0xf));
	if (qr->edns) {
		/* RFC 6891 §6.1.3: the rcode's upper 8 bits ride in the OPT TTL. */
		struct dns_rr opt = {.type = DNS_TYPE_OPT, .rclass = DNS_EDNS_SIZE,
				     .ttl = (uint32_t)(rcode >> 4) << 24};
		opt.name.len = 1;
		rp.w.limit = limit;
		dns_write_rr(&rp.w, DNS_SECTION_ADDITIONAL, &opt);
	}
	if (info) {
		info->rcode = rcode;
		info->truncated = rp.truncated;
	}
	return dns_writer_finish(&rp.w);
}

size_t dns_answer(const struct dns_zone *z, const uint8_t *query, size_t len,
		  enum dns_transport transport, uint8_t *out, size_t outcap,
		  struct dns_answer_info *info)
{
	struct query qr;
	struct dns_reader r;

	if (dns_reader_init(&r, query, len) < 0 || (r.hdr.flags & DNS_FLAG_QR) || outcap < DNS_UDP_MAX)
		return 0;
	if (read_query(query, len, &qr) < 0) {
		/* FORMERR: the ID, opcode and RD we could read, nothing else
		 * (RFC 6891 §7: no OPT in reply to a broken one). */
		memset(&qr, 0, sizeof(qr));
		qr.hdr = r.hdr;
	}
	size_t limit = transport == DNS_OVER_TCP ? DNS_MSG_MAX : DNS_UDP_MAX;
	if (transport == DNS_OVER_UDP && qr.edns)
		limit = qr.edns_size < DNS_EDNS_SIZE ? qr.edns_size : DNS_EDNS_SIZE;
	if (limit > outcap)
		limit = outcap;
	size_t n = build(z, &qr, limit, out, 0, info);
	return n ? n : build(z, &qr, limit, out, 1, info);
}
