/* test_dns_server.c - the authoritative answer as a pure function (query
 * bytes -> response bytes) for every rcode case, truncation and EDNS; the
 * zone-file and hosts-file parsers on good and bad input. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"
#include "dns_hosts.h"
#include "dns_text.h"
#include "dns_zone.h"
#include "check_main.h"

#define ADDR 0x0a000002u
#define HOST 0x0a000001u

static struct dns_zone zone;
static uint8_t out[DNS_MSG_MAX];

static void setup(void)
{
	char err[256];
	ck_assert_int_eq(dns_zone_setup(&zone, "tapir.test", NULL, ADDR, HOST, err, sizeof(err)), 0);
}

static void teardown(void)
{
	dns_zone_free(&zone);
}

struct query_spec {
	const char *name;
	uint16_t type, qclass, flags;
	int edns;                   /* 0: none, else the payload size */
	uint8_t edns_version;
};

static size_t make_query(const struct query_spec *s, uint8_t *buf, size_t size)
{
	struct dns_writer w;
	struct dns_question q = {.type = s->type ? s->type : DNS_TYPE_A,
				 .qclass = s->qclass ? s->qclass : DNS_CLASS_IN};
	ck_assert_int_eq(dns_name_from_text(s->name, &q.name), 0);
	dns_writer_init(&w, buf, size);
	dns_write_header(&w, 0x4242, s->flags);
	dns_write_question(&w, &q);
	if (s->edns) {
		struct dns_rr opt = {.type = DNS_TYPE_OPT, .rclass = (uint16_t)s->edns,
				     .ttl = (uint32_t)s->edns_version << 16};
		opt.name.len = 1;
		dns_write_rr(&w, DNS_SECTION_ADDITIONAL, &opt);
	}
	return dns_writer_finish(&w);
}

/* The reply, checked for the invariants every reply must hold. */
struct reply {
	struct dns_header hdr;
	int rcode;
	size_t len;
	char lines[16][512];        /* "SECTION<tab>record" */
	int n;
};

static struct reply ask_raw(const uint8_t *q, size_t qlen, enum dns_transport t)
{
	struct reply r;
	struct dns_reader rd;
	struct dns_rr rr;
	struct dns_answer_info info;
	memset(&r, 0, sizeof(r));
	r.len = dns_answer(&zone, q, qlen, t, out, sizeof(out), &info);
	if (!r.len)
		return r;
	ck_assert_int_eq(dns_message_check(out, r.len, NULL), 0);
	dns_reader_init(&rd, out, r.len);
	r.hdr = rd.hdr;
	r.rcode = info.rcode;
	ck_assert(r.hdr.flags & DNS_FLAG_QR);
	ck_assert_uint_eq(r.hdr.id, (unsigned)(q[0] << 8 | q[1]));
	while (dns_reader_next(&rd, &rr) == 1 && r.n < 16) {
		static const char *const sec[] = {"Q", "AN", "NS", "AR"};
		char line[480];
		snprintf(r.lines[r.n++], sizeof(r.lines[0]), "%s %s", sec[rd.section],
			 dns_rr_format(&rr, line, sizeof(line)));
	}
	return r;
}

static struct reply ask(const struct query_spec *s, enum dns_transport t)
{
	uint8_t q[512];
	size_t n = make_query(s, q, sizeof(q));
	struct reply r = ask_raw(q, n, t);
	ck_assert_uint_gt(r.len, 0);
	/* The question is echoed as asked (RFC 1035 §4.1.1). */
	ck_assert_uint_eq(r.hdr.qdcount, 1);
	ck_assert_int_eq(memcmp(out + 12, q + 12, n - 12 - (s->edns ? 11 : 0)), 0);
	return r;
}

START_TEST(a_record)
{
	struct reply r = ask(&(struct query_spec){"www.tapir.test", .flags = DNS_FLAG_RD},
			     DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_NOERROR);
	ck_assert(r.hdr.flags & DNS_FLAG_AA);
	ck_assert(r.hdr.flags & DNS_FLAG_RD);       /* copied */
	ck_assert(!(r.hdr.flags & (DNS_FLAG_TC | DNS_FLAG_RA)));
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.lines[0], "AN www.tapir.test.\t3600\tIN\tA\t10.0.0.2");
	/* Case-insensitive, and RD not set when not asked. */
	r = ask(&(struct query_spec){"WWW.Tapir.TEST"}, DNS_OVER_UDP);
	ck_assert_int_eq(r.n, 1);
	ck_assert(!(r.hdr.flags & DNS_FLAG_RD));
	r = ask(&(struct query_spec){"host.tapir.test"}, DNS_OVER_TCP);
	ck_assert_str_eq(r.lines[0], "AN host.tapir.test.\t3600\tIN\tA\t10.0.0.1");
}
END_TEST

START_TEST(cname_with_chained_a)
{
	struct reply r = ask(&(struct query_spec){"web.tapir.test"}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_NOERROR);
	ck_assert_int_eq(r.n, 2);
	ck_assert_str_eq(r.lines[0], "AN web.tapir.test.\t3600\tIN\tCNAME\twww.tapir.test.");
	ck_assert_str_eq(r.lines[1], "AN www.tapir.test.\t3600\tIN\tA\t10.0.0.2");
	/* Asking for the CNAME itself gives only it. */
	r = ask(&(struct query_spec){"web.tapir.test", DNS_TYPE_CNAME}, DNS_OVER_UDP);
	ck_assert_int_eq(r.n, 1);
}
END_TEST

START_TEST(nxdomain_with_soa)
{
	struct reply r = ask(&(struct query_spec){"nope.tapir.test"}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(DNS_RCODE(r.hdr.flags), DNS_RCODE_NXDOMAIN);
	ck_assert(r.hdr.flags & DNS_FLAG_AA);
	ck_assert_uint_eq(r.hdr.ancount, 0);
	ck_assert_int_eq(r.n, 1);
	/* RFC 2308 §3: TTL min(SOA TTL, MINIMUM) = 60. */
	ck_assert_str_eq(r.lines[0], "NS tapir.test.\t60\tIN\tSOA\tns.tapir.test. "
				     "hostmaster.tapir.test. 1 3600 600 86400 60");
}
END_TEST

START_TEST(nodata_with_soa)
{
	struct reply r = ask(&(struct query_spec){"www.tapir.test", DNS_TYPE_TXT}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_NOERROR);
	ck_assert_uint_eq(r.hdr.ancount, 0);
	ck_assert_uint_eq(r.hdr.nscount, 1);
	ck_assert_ptr_nonnull(strstr(r.lines[0], "NS tapir.test.\t60\tIN\tSOA"));
}
END_TEST

START_TEST(ns_soa_txt_any)
{
	struct reply r = ask(&(struct query_spec){"tapir.test", DNS_TYPE_NS}, DNS_OVER_UDP);
	ck_assert_int_eq(r.n, 2);
	ck_assert_str_eq(r.lines[0], "AN tapir.test.\t3600\tIN\tNS\tns.tapir.test.");
	ck_assert_str_eq(r.lines[1], "AR ns.tapir.test.\t3600\tIN\tA\t10.0.0.2");
	r = ask(&(struct query_spec){"tapir.test", DNS_TYPE_SOA}, DNS_OVER_UDP);
	ck_assert_int_eq(r.n, 1);
	ck_assert_ptr_nonnull(strstr(r.lines[0], "AN tapir.test.\t3600\tIN\tSOA\tns.tapir.test."));
	r = ask(&(struct query_spec){"tapir.test", DNS_TYPE_TXT}, DNS_OVER_UDP);
	ck_assert_ptr_nonnull(strstr(r.lines[0], "\tTXT\t\"tapir: a userspace TCP/IP stack"));
	r = ask(&(struct query_spec){"tapir.test", DNS_TYPE_ANY}, DNS_OVER_UDP);
	ck_assert_uint_eq(r.hdr.ancount, 4);        /* SOA, NS, A, TXT */
}
END_TEST

START_TEST(refused_outside_zone_or_class)
{
	struct reply r = ask(&(struct query_spec){"www.example.com"}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_REFUSED);
	ck_assert(!(r.hdr.flags & DNS_FLAG_AA));
	ck_assert_int_eq(r.n, 0);
	r = ask(&(struct query_spec){"xtapir.test"}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_REFUSED);
	r = ask(&(struct query_spec){"www.tapir.test", .qclass = 3 /* CHAOS */}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_REFUSED);
	r = ask(&(struct query_spec){"tapir.test", DNS_TYPE_AXFR}, DNS_OVER_TCP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_REFUSED);
}
END_TEST

START_TEST(notimp_for_other_opcodes)
{
	/* opcode 2 (STATUS) */
	struct reply r = ask(&(struct query_spec){"www.tapir.test", .flags = 2 << 11}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_NOTIMP);
	ck_assert_int_eq(DNS_OPCODE(r.hdr.flags), 2);
	ck_assert_int_eq(r.n, 0);
}
END_TEST

START_TEST(formerr_for_malformed)
{
	uint8_t q[512];
	size_t n = make_query(&(struct query_spec){"www.tapir.test", .flags = DNS_FLAG_RD}, q,
			      sizeof(q));
	/* Cut short: FORMERR, no question echoed, RD still copied. */
	struct reply r = ask_raw(q, n - 2, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_FORMERR);
	ck_assert_uint_eq(r.hdr.qdcount, 0);
	ck_assert(r.hdr.flags & DNS_FLAG_RD);
	/* Two questions. */
	q[5] = 2;
	r = ask_raw(q, n, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_FORMERR);
	/* No question. */
	q[5] = 0;
	r = ask_raw(q, 12, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_FORMERR);
	/* Two OPT records. */
	n = make_query(&(struct query_spec){"www.tapir.test", .edns = 1232}, q, sizeof(q));
	memcpy(q + n, q + n - 11, 11);
	q[11] = 2;
	r = ask_raw(q, n + 11, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_FORMERR);
	/* Shorter than a header, or a response: nothing at all. */
	ck_assert_uint_eq(ask_raw(q, 11, DNS_OVER_UDP).len, 0);
	q[2] |= 0x80;
	ck_assert_uint_eq(ask_raw(q, n, DNS_OVER_UDP).len, 0);
}
END_TEST

START_TEST(edns_echoed_and_badvers)
{
	struct reply r = ask(&(struct query_spec){"www.tapir.test", .edns = 4096}, DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_NOERROR);
	ck_assert_uint_eq(r.hdr.arcount, 1);
	ck_assert_str_eq(r.lines[1], "AR .\t0\tCLASS1232\tOPT\t\\# 0 ");
	r = ask(&(struct query_spec){"www.tapir.test", .edns = 1232, .edns_version = 1},
		DNS_OVER_UDP);
	ck_assert_int_eq(r.rcode, DNS_RCODE_BADVERS);
	ck_assert_int_eq(DNS_RCODE(r.hdr.flags), 0);        /* 16: all in the OPT */
	ck_assert_uint_eq(r.hdr.ancount, 0);
}
END_TEST

/* A zone with a TXT of ~1000 bytes: truncated in 512 bytes, whole with
 * EDNS 1232 or over TCP; and a 3000-byte one truncated even with EDNS. */
START_TEST(truncation)
{
	char text[8192], err[256];
	size_t n = (size_t)snprintf(text, sizeof(text), "big TXT");
	for (int i = 0; i < 4; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, " \"");
		memset(text + n, 'a' + i, 250);
		n += 250;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\"");
	}
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nhuge TXT");
	for (int i = 0; i < 12; i++) {
		n += (size_t)snprintf(text + n, sizeof(text) - n, " \"");
		memset(text + n, 'k', 250);
		n += 250;
		n += (size_t)snprintf(text + n, sizeof(text) - n, "\"");
	}
	snprintf(text + n, sizeof(text) - n, "\n");
	ck_assert_msg(dns_zone_parse(&zone, text, "big", ADDR, err, sizeof(err)) == 0, "%s", err);

	struct reply r = ask(&(struct query_spec){"big.tapir.test", DNS_TYPE_TXT}, DNS_OVER_UDP);
	ck_assert(r.hdr.flags & DNS_FLAG_TC);
	ck_assert_uint_eq(r.hdr.ancount, 0);
	ck_assert_uint_le(r.len, 512);
	r = ask(&(struct query_spec){"big.tapir.test", DNS_TYPE_TXT, .edns = 1232}, DNS_OVER_UDP);
	ck_assert(!(r.hdr.flags & DNS_FLAG_TC));
	ck_assert_uint_eq(r.hdr.ancount, 1);
	r = ask(&(struct query_spec){"big.tapir.test", DNS_TYPE_TXT, .edns = 100}, DNS_OVER_UDP);
	ck_assert(r.hdr.flags & DNS_FLAG_TC);       /* below 512 counts as 512 */
	r = ask(&(struct query_spec){"huge.tapir.test", DNS_TYPE_TXT, .edns = 4096}, DNS_OVER_UDP);
	ck_assert(r.hdr.flags & DNS_FLAG_TC);
	ck_assert_uint_le(r.len, DNS_EDNS_SIZE);
	ck_assert_uint_eq(r.hdr.arcount, 1);        /* the OPT still */
	r = ask(&(struct query_spec){"huge.tapir.test", DNS_TYPE_TXT}, DNS_OVER_TCP);
	ck_assert(!(r.hdr.flags & DNS_FLAG_TC));
	ck_assert_uint_eq(r.hdr.ancount, 1);
	ck_assert_uint_gt(r.len, 3000);
}
END_TEST

/* --- zone files ------------------------------------------------------------ */

static const char *zone_error(const char *text)
{
	static char err[256];
	struct dns_zone z;
	err[0] = '\0';
	ck_assert_int_eq(dns_zone_init(&z, "tapir.test"), 0);
	int rc = dns_zone_parse(&z, text, "z.txt", ADDR, err, sizeof(err));
	dns_zone_free(&z);
	ck_assert_msg(rc == -1, "zone accepted: %s", text);
	return err;
}

START_TEST(zone_file_good)
{
	static const char text[] =
		"# a comment\n"
		"$TTL 300\n"
		"@ IN SOA ns admin 7 1 2 3 4 ; trailing comment\n"
		"@ NS ns\n"
		"ns 60 A 10.0.0.9\n"
		"alias CNAME other.example.\n"
		"mail MX 10 ns\n"
		"t TXT \"with \\\"quotes\\\" and ; semicolon\" bare\n"
		"a.b.c A 1.2.3.4\n";
	char err[256];
	struct dns_zone z;
	ck_assert_int_eq(dns_zone_init(&z, "tapir.test"), 0);
	ck_assert_msg(dns_zone_parse(&z, text, "z", ADDR, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(z.count, 7);
	ck_assert_uint_eq(z.soa->soa.serial, 7);
	ck_assert_uint_eq(z.soa->ttl, 300);
	struct dns_name b;
	dns_name_from_text("b.c.tapir.test", &b);
	ck_assert(dns_zone_name_exists(&z, &b));    /* an empty non-terminal */
	ck_assert_uint_eq(dns_zone_find(&z, &b, DNS_TYPE_ANY, NULL, NULL), 0);
	dns_zone_free(&z);

	/* No SOA: the default SOA, NS and ns A come. */
	ck_assert_int_eq(dns_zone_init(&z, "tapir.test"), 0);
	ck_assert_int_eq(dns_zone_parse(&z, "www A 10.0.0.5", "z", ADDR, err, sizeof(err)), 0);
	ck_assert_uint_eq(z.count, 4);
	ck_assert_ptr_nonnull(z.soa);
	dns_zone_free(&z);
}
END_TEST

START_TEST(zone_file_errors)
{
	ck_assert_str_eq(zone_error("www A 10.0.0.300\n"), "z.txt:1: '10.0.0.300' is not an IPv4 address");
	ck_assert_str_eq(zone_error("\n\nwww BOGUS x\n"),
			 "z.txt:3: unknown record type 'BOGUS' (A, CNAME, NS, MX, SOA, TXT)");
	ck_assert_str_eq(zone_error("www A\n"), "z.txt:1: A wants 1 field, got 0");
	ck_assert_str_eq(zone_error("www.example.com. A 1.2.3.4\n"),
			 "z.txt:1: 'www.example.com.' is outside the zone");
	ck_assert_str_eq(zone_error("w CNAME x\nw A 1.2.3.4\n"),
			 "z.txt:2: a CNAME owner can have no other data (RFC 1034 §3.6.2)");
	ck_assert_str_eq(zone_error("@ SOA a b 1 2 3 4 5\n@ SOA a b 1 2 3 4 5\n"),
			 "z.txt:2: a second SOA, or one not at the zone's apex");
	ck_assert_str_eq(zone_error("www 99999999999 A 1.2.3.4\n"),
			 "z.txt:1: TTL '99999999999' is not 0..2147483647");
	ck_assert_str_eq(zone_error("t TXT \"open\n"), "z.txt:1: unterminated quoted string");
	ck_assert_str_eq(zone_error("$ORIGIN x.\n"), "z.txt:1: unknown directive '$ORIGIN' (only $TTL)");
	ck_assert_str_eq(zone_error("a..b A 1.2.3.4\n"), "z.txt:1: 'a..b' is not a valid domain name");
	ck_assert_str_eq(zone_error("www\n"), "z.txt:1: no record type");
	ck_assert_str_eq(zone_error("@ SOA a b 1 2 x 4 5\n"), "z.txt:1: SOA number 'x' is not 0..4294967295");

	char text[400];
	memset(text, 'x', 300);
	memcpy(text, "t TXT ", 6);
	text[300] = '\0';
	ck_assert_str_eq(zone_error(text), "z.txt:1: TXT string of 294 bytes (at most 255; split it)");
	char *longline = malloc(5000);
	memset(longline, 'a', 4999);
	longline[4999] = '\0';
	ck_assert_str_eq(zone_error(longline), "z.txt:1: line longer than 4096 bytes");
	free(longline);
}
END_TEST

START_TEST(hosts_file)
{
	struct dns_hosts h = {0};
	char err[256];
	uint32_t a[4];
	struct dns_name n;
	ck_assert_int_eq(dns_hosts_parse(&h, "# c\n10.0.0.1 host.test h # x\n::1 localhost\n\n"
					    "10.0.0.7 host.test.\n", "hosts", err, sizeof(err)), 0);
	dns_name_from_text("HOST.test", &n);
	ck_assert_uint_eq(dns_hosts_lookup(&h, &n, a, 4), 2);
	ck_assert_uint_eq(a[0], 0x0a000001);
	ck_assert_uint_eq(a[1], 0x0a000007);
	dns_name_from_text("localhost", &n);
	ck_assert_uint_eq(dns_hosts_lookup(&h, &n, a, 4), 0);
	ck_assert_int_eq(dns_hosts_parse(&h, "10.0.0.1\n", "hosts", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "hosts:1: an address with no name");
	ck_assert_int_eq(dns_hosts_parse(&h, "x\n1.2.3.4 a\n", "hosts", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "hosts:1: 'x' is not an IPv4 address");
	ck_assert_int_eq(dns_hosts_parse(&h, "1.2.3.4 a..b\n", "hosts", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "hosts:1: 'a..b' is not a valid host name");
	dns_hosts_free(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_server");
	TCase *tc = tcase_create("answers");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_record);
	tcase_add_test(tc, cname_with_chained_a);
	tcase_add_test(tc, nxdomain_with_soa);
	tcase_add_test(tc, nodata_with_soa);
	tcase_add_test(tc, ns_soa_txt_any);
	tcase_add_test(tc, refused_outside_zone_or_class);
	tcase_add_test(tc, notimp_for_other_opcodes);
	tcase_add_test(tc, formerr_for_malformed);
	tcase_add_test(tc, edns_echoed_and_badvers);
	tcase_add_test(tc, truncation);
	suite_add_tcase(s, tc);
	TCase *files = tcase_create("files");
	tcase_add_test(files, zone_file_good);
	tcase_add_test(files, zone_file_errors);
	tcase_add_test(files, hosts_file);
	suite_add_tcase(s, files);
	return check_run_suite(s);
}
