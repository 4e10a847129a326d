/* test_dns_wire.c - names, encoding with compression, and decoding of good
 * and hostile messages (RFC 1035 §4). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_text.h"
#include "dns_wire.h"
#include "check_main.h"

static struct dns_name name_of(const char *text)
{
	struct dns_name n;
	ck_assert_int_eq(dns_name_from_text(text, &n), 0);
	return n;
}

/* Header bytes: id 0x1234, flags, counts. */
static size_t header(uint8_t *m, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	const uint16_t v[] = {0x1234, flags, qd, an, ns, ar};
	for (int i = 0; i < 6; i++) {
		m[2 * i] = (uint8_t)(v[i] >> 8);
		m[2 * i + 1] = (uint8_t)v[i];
	}
	return DNS_HEADER_LEN;
}

static const char *check_why(const uint8_t *m, size_t len)
{
	const char *why = NULL;
	int e = dns_message_check(m, len, &why);
	ck_assert_msg(e == -EBADMSG, "expected -EBADMSG, got %d", e);
	ck_assert_ptr_nonnull(why);
	return why;
}

START_TEST(names_from_and_to_text)
{
	char text[DNS_NAME_TEXT_MAX];
	struct dns_name n = name_of("www.Tapir.test");
	ck_assert_int_eq(n.len, 16);
	ck_assert_int_eq(memcmp(n.wire, "\3www\5Tapir\4test\0", 16), 0);
	ck_assert_str_eq(dns_name_to_text(&n, text, sizeof(text)), "www.Tapir.test.");
	ck_assert(dns_name_equal(&n, &(struct dns_name){0}) == 0);
	struct dns_name same = name_of("WWW.tapir.TEST.");
	ck_assert(dns_name_equal(&n, &same));
	ck_assert_int_eq(name_of(".").len, 1);
	ck_assert_str_eq(dns_name_to_text(&(struct dns_name){.len = 1}, text, sizeof(text)), ".");
	/* Escapes both ways. */
	struct dns_name odd = name_of("a\\.b\\032c.test");
	ck_assert_int_eq(odd.wire[0], 5);
	ck_assert_str_eq(dns_name_to_text(&odd, text, sizeof(text)), "a\\.b\\032c.test.");
	/* A small buffer is cut, terminated. */
	char small[6];
	ck_assert_str_eq(dns_name_to_text(&n, small, sizeof(small)), "www.T");
}
END_TEST

START_TEST(names_rejected)
{
	struct dns_name n;
	char label64[70], long_name[300];
	memset(label64, 'a', 64);
	label64[64] = '\0';
	ck_assert_int_eq(dns_name_from_text(label64, &n), -EINVAL);
	label64[63] = '\0';
	ck_assert_int_eq(dns_name_from_text(label64, &n), 0);
	/* 4 × (1 + 62) + 1 = 253 fits; one more label does not. */
	snprintf(long_name, sizeof(long_name), "%.62s.%.62s.%.62s.%.62s", label64, label64, label64,
		 label64);
	ck_assert_int_eq(dns_name_from_text(long_name, &n), 0);
	ck_assert_int_eq(n.len, 253);
	strcat(long_name, ".abc");
	ck_assert_int_eq(dns_name_from_text(long_name, &n), -EINVAL);
	ck_assert_int_eq(dns_name_from_text("a..b", &n), -EINVAL);
	ck_assert_int_eq(dns_name_from_text(".a", &n), -EINVAL);
	ck_assert_int_eq(dns_name_from_text("a\\", &n), -EINVAL);
	ck_assert_int_eq(dns_name_from_text("a\\25", &n), -EINVAL);
	ck_assert_int_eq(dns_name_from_text("a\\256", &n), -EINVAL);
}
END_TEST

START_TEST(zone_membership)
{
	struct dns_name zone = name_of("tapir.test"), parent;
	struct dns_name www = name_of("www.TAPIR.test"), other = name_of("xtapir.test");
	ck_assert(dns_name_in_zone(&www, &zone));
	ck_assert(dns_name_in_zone(&zone, &zone));
	ck_assert(!dns_name_in_zone(&other, &zone));
	ck_assert(!dns_name_in_zone(&zone, &www));
	dns_name_parent(&www, 1, &parent);
	ck_assert(dns_name_equal(&parent, &zone));
	dns_name_parent(&www, 9, &parent);
	ck_assert_int_eq(parent.len, 1);
	ck_assert_int_eq(dns_name_labels(&www), 3);
}
END_TEST

/* A message with a question and records whose names repeat: every later
 * name must become a pointer, and decoding must give the names back. */
START_TEST(encode_compresses_and_decodes_back)
{
	uint8_t buf[512];
	struct dns_writer w;
	struct dns_question q = {.name = name_of("web.tapir.test"), .type = DNS_TYPE_A,
				 .qclass = DNS_CLASS_IN};
	struct dns_rr cname = {.name = q.name, .type = DNS_TYPE_CNAME, .rclass = DNS_CLASS_IN,
			       .ttl = 300};
	cname.target = name_of("www.tapir.test");
	struct dns_rr a = {.name = cname.target, .type = DNS_TYPE_A, .rclass = DNS_CLASS_IN,
			   .ttl = 60, .a = 0x0a000002};
	static const uint8_t txt[] = "\5hello";
	struct dns_rr t = {.name = name_of("tapir.test"), .type = DNS_TYPE_TXT,
			   .rclass = DNS_CLASS_IN, .rdata = txt, .rdlen = 6};

	dns_writer_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(dns_write_header(&w, 0xbeef, DNS_FLAG_QR | DNS_FLAG_AA), 0);
	ck_assert_int_eq(dns_write_question(&w, &q), 0);
	ck_assert_int_eq(dns_write_rr(&w, DNS_SECTION_ANSWER, &cname), 0);
	ck_assert_int_eq(dns_write_rr(&w, DNS_SECTION_ANSWER, &a), 0);
	ck_assert_int_eq(dns_write_rr(&w, DNS_SECTION_ADDITIONAL, &t), 0);
	size_t len = dns_writer_finish(&w);
	/* question 16+4; CNAME: ptr 2 + 10 + "www" 4 + ptr 2; A: ptr 2 + 10 + 4;
	 * TXT: ptr 2 + 10 + 6. */
	ck_assert_uint_eq(len, 12 + 20 + 18 + 16 + 18);
	ck_assert_int_eq(dns_message_check(buf, len, NULL), 0);

	struct dns_reader r;
	struct dns_question q2;
	struct dns_rr rr;
	char line[512];
	ck_assert_int_eq(dns_reader_init(&r, buf, len), 0);
	ck_assert_uint_eq(r.hdr.id, 0xbeef);
	ck_assert_uint_eq(r.hdr.ancount, 2);
	ck_assert_int_eq(dns_read_question(&r, &q2), 0);
	ck_assert(dns_name_equal(&q2.name, &q.name));
	ck_assert_int_eq(dns_reader_next(&r, &rr), 1);
	ck_assert_str_eq(dns_rr_format(&rr, line, sizeof(line)),
			 "web.tapir.test.\t300\tIN\tCNAME\twww.tapir.test.");
	ck_assert_int_eq(dns_reader_next(&r, &rr), 1);
	ck_assert_str_eq(dns_rr_format(&rr, line, sizeof(line)), "www.tapir.test.\t60\tIN\tA\t10.0.0.2");
	ck_assert_int_eq(dns_reader_next(&r, &rr), 1);
	ck_assert_int_eq(r.section, DNS_SECTION_ADDITIONAL);
	ck_assert_str_eq(dns_rr_format(&rr, line, sizeof(line)), "tapir.test.\t0\tIN\tTXT\t\"hello\"");
	ck_assert_int_eq(dns_reader_next(&r, &rr), 0);
}
END_TEST

/* A record that does not fit leaves the message as it was. */
START_TEST(encode_past_limit_rolls_back)
{
	uint8_t buf[64];
	struct dns_writer w;
	struct dns_rr a = {.name = name_of("a-rather-long-label.tapir.test"), .type = DNS_TYPE_A,
			   .rclass = DNS_CLASS_IN, .a = 1};
	dns_writer_init(&w, buf, 60);
	ck_assert_int_eq(dns_write_header(&w, 1, 0), 0);
	ck_assert_int_eq(dns_write_rr(&w, DNS_SECTION_ANSWER, &a), 0);     /* 12 + 32 + 14 = 58 */
	ck_assert_int_eq(dns_write_rr(&w, DNS_SECTION_ANSWER, &a), -EMSGSIZE);
	ck_assert_uint_eq(w.len, 58);
	ck_assert_uint_eq(w.counts[DNS_SECTION_ANSWER], 1);
	ck_assert_int_eq(dns_message_check(buf, dns_writer_finish(&w), NULL), 0);
	dns_writer_init(&w, buf, 11);
	ck_assert_int_eq(dns_write_header(&w, 1, 0), -EMSGSIZE);
}
END_TEST

START_TEST(decode_truncated_everywhere)
{
	/* Every proper prefix of a good message is refused, cleanly. */
	uint8_t buf[512];
	struct dns_writer w;
	struct dns_question q = {.name = name_of("www.tapir.test"), .type = DNS_TYPE_SOA,
				 .qclass = DNS_CLASS_IN};
	struct dns_rr soa = {.name = name_of("tapir.test"), .type = DNS_TYPE_SOA, .rclass = 1};
	soa.soa.mname = name_of("ns.tapir.test");
	soa.soa.rname = name_of("hostmaster.tapir.test");
	dns_writer_init(&w, buf, sizeof(buf));
	dns_write_header(&w, 7, 0);
	dns_write_question(&w, &q);
	dns_write_rr(&w, DNS_SECTION_AUTHORITY, &soa);
	size_t len = dns_writer_finish(&w);
	ck_assert_int_eq(dns_message_check(buf, len, NULL), 0);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);     /* exact size: ASan sees over-reads */
		memcpy(copy, buf, cut);
		check_why(copy, cut);
		free(copy);
	}
	/* And one byte more is trailing garbage. */
	buf[len] = 0;
	ck_assert_str_eq(check_why(buf, len + 1), "bytes after the last record");
}
END_TEST

START_TEST(decode_pointer_loops_and_forward_pointers)
{
	uint8_t m[64];
	size_t n = header(m, 0, 1, 0, 0, 0);
	/* A pointer to itself. */
	m[n] = 0xc0, m[n + 1] = 12, m[n + 2] = 0, m[n + 3] = 1, m[n + 4] = 0, m[n + 5] = 1;
	ck_assert_str_eq(check_why(m, n + 6), "compression pointer does not point backwards");
	/* Two pointers at each other: the second points forwards. */
	header(m, 0, 2, 0, 0, 0);
	m[12] = 0xc0, m[13] = 18;
	m[14] = 0, m[15] = 1, m[16] = 0, m[17] = 1;
	m[18] = 0xc0, m[19] = 12;
	m[20] = 0, m[21] = 1, m[22] = 0, m[23] = 1;
	ck_assert_str_eq(check_why(m, 24), "compression pointer does not point backwards");
	/* Into the header. */
	header(m, 0, 1, 0, 0, 0);
	m[12] = 0xc0, m[13] = 2;
	ck_assert_str_eq(check_why(m, 18), "compression pointer into the header");
	/* A pointer cut in half. */
	m[12] = 0xc0;
	ck_assert_str_eq(check_why(m, 13), "compression pointer cut short");
	/* Retired label types (0x40, 0x80). */
	m[12] = 0x41;
	ck_assert_ptr_nonnull(strstr(check_why(m, 18), "unknown label type"));
}
END_TEST

/* A chain of 200 backwards pointers, each to the one before: it ends,
 * and is refused for the jump count or the name length, not looped on. */
START_TEST(decode_long_pointer_chain)
{
	uint8_t m[1024];
	size_t n = header(m, 0, 1, 0, 0, 0);
	m[n++] = 1, m[n++] = 'a';
	m[n++] = 0;                 /* "a." at 12 */
	size_t prev = 12;
	for (int i = 0; i < 200; i++) {
		size_t here = n;
		m[n++] = 1, m[n++] = 'b';
		m[n++] = (uint8_t)(0xc0 | prev >> 8), m[n++] = (uint8_t)prev;
		prev = here;
	}
	size_t q = n;
	m[n++] = (uint8_t)(0xc0 | prev >> 8), m[n++] = (uint8_t)prev;
	m[n++] = 0, m[n++] = 1, m[n++] = 0, m[n++] = 1;
	struct dns_name out;
	const char *why = NULL;
	size_t pos = q;
	ck_assert_int_eq(dns_read_name(m, n, &pos, &out, &why), -EBADMSG);
	ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(decode_oversized_names_and_labels)
{
	uint8_t m[400];
	size_t n = header(m, 0, 1, 0, 0, 0);
	/* Five labels of 63: 320 bytes, past 255. */
	for (int l = 0; l < 5; l++) {
		m[n++] = 63;
		memset(m + n, 'x', 63);
		n += 63;
	}
	m[n++] = 0;
	m[n++] = 0, m[n++] = 1, m[n++] = 0, m[n++] = 1;
	ck_assert_str_eq(check_why(m, n), "name longer than 255 bytes");
	/* A label length past the end. */
	n = header(m, 0, 1, 0, 0, 0);
	m[n++] = 40;
	memset(m + n, 'y', 10);
	ck_assert_str_eq(check_why(m, n + 10), "label runs past the end of the message");
}
END_TEST

START_TEST(decode_counts_that_lie)
{
	uint8_t m[64];
	size_t n = header(m, 0, 1, 3, 0, 0);
	memcpy(m + n, "\1a\0\0\1\0\1", 7);
	n += 7;
	/* Promises three answers, has none. */
	ck_assert_str_eq(check_why(m, n), "name runs past the end of the message");
	/* Promises 65535 questions. */
	header(m, 0, 0xffff, 0, 0, 0);
	check_why(m, n);
	/* Record data longer than the message; A of 3 bytes; TXT string past its record. */
	n = header(m, 0, 0, 1, 0, 0);
	memcpy(m + n, "\0\0\1\0\1\0\0\0\0\0\x09", 11);
	ck_assert_str_eq(check_why(m, n + 11), "record data runs past the end of the message");
	memcpy(m + n, "\0\0\1\0\1\0\0\0\0\0\3\1\2\3", 14);
	ck_assert_str_eq(check_why(m, n + 14), "A record whose data is not 4 bytes");
	memcpy(m + n, "\0\0\x10\0\1\0\0\0\0\0\3\5ab", 14);
	ck_assert_str_eq(check_why(m, n + 14), "TXT string runs past its record");
	/* A CNAME whose name runs past its rdata into the next bytes. */
	memcpy(m + n, "\0\0\5\0\1\0\0\0\0\0\2\1a\0", 14);
	ck_assert_ptr_nonnull(check_why(m, n + 14));
	/* Too short for a header. */
	ck_assert_str_eq(check_why(m, 11), "shorter than a DNS header (12 bytes)");
}
END_TEST

START_TEST(text_names)
{
	char b[16];
	uint16_t t;
	ck_assert_str_eq(dns_type_name(DNS_TYPE_TXT, b), "TXT");
	ck_assert_str_eq(dns_type_name(99, b), "TYPE99");
	ck_assert_int_eq(dns_type_parse("cname", &t), 0);
	ck_assert_uint_eq(t, DNS_TYPE_CNAME);
	ck_assert_int_eq(dns_type_parse("TYPE65535", &t), 0);
	ck_assert_uint_eq(t, 65535);
	ck_assert_int_eq(dns_type_parse("TYPE65536", &t), -EINVAL);
	ck_assert_int_eq(dns_type_parse("bogus", &t), -EINVAL);
	ck_assert_str_eq(dns_rcode_name(3, b), "NXDOMAIN");
	ck_assert_str_eq(dns_rcode_name(16, b), "BADVERS");
	ck_assert_str_eq(dns_rcode_name(11, b), "RCODE11");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dns_wire");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, names_from_and_to_text);
	tcase_add_test(tc, names_rejected);
	tcase_add_test(tc, zone_membership);
	tcase_add_test(tc, encode_compresses_and_decodes_back);
	tcase_add_test(tc, encode_past_limit_rolls_back);
	tcase_add_test(tc, decode_truncated_everywhere);
	tcase_add_test(tc, decode_pointer_loops_and_forward_pointers);
	tcase_add_test(tc, decode_long_pointer_chain);
	tcase_add_test(tc, decode_oversized_names_and_labels);
	tcase_add_test(tc, decode_counts_that_lie);
	tcase_add_test(tc, text_names);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
