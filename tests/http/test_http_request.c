/* test_http_request.c - the request parser and the field-value helpers on
 * good and hostile input (RFC 9110, RFC 9112). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http_parse.h"
#include "check_main.h"

static const struct http_limits lim = HTTP_LIMITS_DEFAULT;

static long parse(const char *text, struct http_request *req)
{
	return http_parse_request(text, strlen(text), &lim, req);
}

static struct http_span span(const char *s)
{
	return (struct http_span){s, strlen(s)};
}

START_TEST(simple_get)
{
	struct http_request r;
	const char *t = "GET /index.html?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\nGET /next";
	long n = parse(t, &r);
	ck_assert_int_eq(n, (long)(strstr(t, "GET /next") - t));
	ck_assert_int_eq(r.method, HTTP_GET);
	ck_assert(http_span_is(r.target, "/index.html?x=1"));
	ck_assert(http_span_is(r.host, "a"));
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_uint_eq(r.content_length, 0);
}
END_TEST

START_TEST(every_prefix_is_incomplete)
{
	const char *t = "HEAD / HTTP/1.1\r\nHost: example\r\nRange: bytes=0-1\r\n\r\n";
	struct http_request r;
	for (size_t i = 0; i < strlen(t); i++)
		ck_assert_int_eq(http_parse_request(t, i, &lim, &r), 0);
	ck_assert_int_eq(parse(t, &r), (long)strlen(t));
	ck_assert_int_eq(r.method, HTTP_HEAD);
	ck_assert(http_span_is(r.range, "bytes=0-1"));
}
END_TEST

START_TEST(bare_lf_and_leading_empty_lines)
{
	struct http_request r;
	ck_assert_int_gt(parse("\r\n\nGET / HTTP/1.1\nHost: a\n\n", &r), 0);
	ck_assert(http_span_is(r.target, "/"));
}
END_TEST

START_TEST(connection_semantics)
{
	struct http_request r;
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.keep_alive, 0);
	ck_assert_int_gt(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_gt(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.keep_alive, 0);
	ck_assert_int_gt(parse("GET / HTTP/1.9\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.minor, 1);
}
END_TEST

/* Every malformed request and the status that answers it. */
static const struct {
	const char *text;
	long want;
} bad[] = {
	{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", -400},             /* two spaces */
	{"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", -400},              /* trailing space */
	{"GET /\r\n\r\n", -400},                                     /* HTTP/0.9 */
	{"GET / http/1.1\r\nHost: a\r\n\r\n", -400},               /* version is case-sensitive */
	{"GET / HTTP/1.10\r\nHost: a\r\n\r\n", -400},
	{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505},
	{"GET / HTTP/0.9\r\nHost: a\r\n\r\n", -505},
	{"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", -501},
	{"get / HTTP/1.1\r\nHost: a\r\n\r\n", -501},               /* methods are case-sensitive */
	{"GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", -400},      /* not origin-form */
	{"GET / HTTP/1.1\r\n\r\n", -400},                            /* no Host in 1.1 */
	{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400},
	{"GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400},              /* space before the colon */
	{"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", -400},    /* obs-fold */
	{"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", -400},
	{"GET / HTTP/1.1\r\nHost: a\rX-Injected: 1\r\n\r\n", -400}, /* bare CR */
	{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", -400},
	{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", -400},
	{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", -400},
	{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	 -400},                                                      /* smuggling */
	{"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400},
	{"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", -501},
	{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", -413},
	{"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", -413},
	{"\r\nGET / HTTP/1.1\r\n\r\n", -400},
	{" GET / HTTP/1.1\r\nHost: a\r\n\r\n", -400},
};

START_TEST(malformed)
{
	struct http_request r;
	ck_assert_msg(parse(bad[_i].text, &r) == bad[_i].want, "case %d: %ld, want %ld", _i,
		      parse(bad[_i].text, &r), bad[_i].want);
}
END_TEST

START_TEST(nul_bytes)
{
	struct http_request r;
	static const char in_target[] = "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char in_value[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	ck_assert_int_eq(http_parse_request(in_target, sizeof(in_target) - 1, &lim, &r), -400);
	ck_assert_int_eq(http_parse_request(in_value, sizeof(in_value) - 1, &lim, &r), -400);
}
END_TEST

START_TEST(limits)
{
	struct http_request r;
	size_t big = 20000;
	char *t = malloc(big + 64);
	/* A target past max_target: 414, even before its line ends. */
	strcpy(t, "GET /");
	memset(t + 5, 'a', 3000);
	t[3005] = '\0';
	ck_assert_int_eq(parse(t, &r), -414);
	/* A head past max_head: 431, complete or not. */
	strcpy(t, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	size_t n = strlen(t);
	memset(t + n, 'b', 9000);
	strcpy(t + n + 9000, "\r\n\r\n");
	ck_assert_int_eq(parse(t, &r), -431);
	t[n + 9000] = '\0';
	ck_assert_int_eq(parse(t, &r), -431);
	/* Too many header lines: 431. */
	strcpy(t, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 70; i++)
		strcat(t, "X: 1\r\n");
	strcat(t, "\r\n");
	ck_assert_int_eq(parse(t, &r), -431);
	/* A very long method: 501, not a wait for more. */
	memset(t, 'A', 100);
	t[100] = '\0';
	ck_assert_int_eq(parse(t, &r), -501);
	free(t);
}
END_TEST

START_TEST(other_methods_and_forms)
{
	struct http_request r;
	ck_assert_int_gt(parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", &r), 0);
	ck_assert_int_eq(r.method, HTTP_POST);
	ck_assert_uint_eq(r.content_length, 3);
	ck_assert_int_gt(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_gt(parse("GET http://a/b HTTP/1.1\r\nHost: a\r\n\r\n", &r), 0);
	ck_assert_int_eq(parse("GET * HTTP/1.1\r\nHost: a\r\n\r\n", &r), -400);
}
END_TEST

START_TEST(lists_and_etags)
{
	ck_assert(http_list_has(span("keep-alive , Close"), "close"));
	ck_assert(!http_list_has(span("closed"), "close"));
	ck_assert(http_etag_match(span("\"a\", W/\"b\""), "\"b\""));
	ck_assert(http_etag_match(span("*"), "\"z\""));
	ck_assert(!http_etag_match(span("\"a,b\""), "\"a\""));
	ck_assert(!http_etag_match(span(""), "\"a\""));
}
END_TEST

START_TEST(dates)
{
	time_t t;
	char buf[30];
	ck_assert_int_eq(http_date_parse(span("Sun, 06 Nov 1994 08:49:37 GMT"), &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(http_date_parse(span("Sunday, 06-Nov-94 08:49:37 GMT"), &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(http_date_parse(span("Sun Nov  6 08:49:37 1994"), &t), 0);
	ck_assert_int_eq(t, 784111777);
	http_date_format(784111777, buf);
	ck_assert_str_eq(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	ck_assert_int_eq(http_date_parse(span("Sun, 06 Nov 1994 08:49:37 UTC"), &t), -1);
	ck_assert_int_eq(http_date_parse(span("Sun, 36 Nov 1994 08:49:37 GMT"), &t), -1);
	ck_assert_int_eq(http_date_parse(span("yesterday"), &t), -1);
	ck_assert_int_eq(http_date_parse(span("Sun, 06 Xyz 1994 08:49:37 GMT"), &t), -1);
}
END_TEST

START_TEST(ranges)
{
	uint64_t a, b;
	ck_assert_int_eq(http_range_parse(span("bytes=0-99"), 1000, &a, &b), HTTP_RANGE_OK);
	ck_assert(a == 0 && b == 99);
	ck_assert_int_eq(http_range_parse(span("bytes=900-"), 1000, &a, &b), HTTP_RANGE_OK);
	ck_assert(a == 900 && b == 999);
	ck_assert_int_eq(http_range_parse(span("bytes=-10"), 1000, &a, &b), HTTP_RANGE_OK);
	ck_assert(a == 990 && b == 999);
	ck_assert_int_eq(http_range_parse(span("bytes=-5000"), 1000, &a, &b), HTTP_RANGE_OK);
	ck_assert(a == 0 && b == 999);
	ck_assert_int_eq(http_range_parse(span("Bytes=10-20000"), 1000, &a, &b), HTTP_RANGE_OK);
	ck_assert(a == 10 && b == 999);
	ck_assert_int_eq(http_range_parse(span("bytes=1000-"), 1000, &a, &b), HTTP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(http_range_parse(span("bytes=-0"), 1000, &a, &b), HTTP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(http_range_parse(span("bytes=99999999999999999999999-"), 10, &a, &b),
			 HTTP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(http_range_parse(span("bytes=5-1"), 1000, &a, &b), HTTP_RANGE_NONE);
	ck_assert_int_eq(http_range_parse(span("bytes=0-1,5-6"), 1000, &a, &b), HTTP_RANGE_NONE);
	ck_assert_int_eq(http_range_parse(span("items=0-1"), 1000, &a, &b), HTTP_RANGE_NONE);
	ck_assert_int_eq(http_range_parse(span("bytes=x-1"), 1000, &a, &b), HTTP_RANGE_NONE);
	ck_assert_int_eq(http_range_parse(span("bytes="), 1000, &a, &b), HTTP_RANGE_NONE);
	ck_assert_int_eq(http_range_parse(span("bytes=-"), 1000, &a, &b), HTTP_RANGE_NONE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_request");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, simple_get);
	tcase_add_test(tc, every_prefix_is_incomplete);
	tcase_add_test(tc, bare_lf_and_leading_empty_lines);
	tcase_add_test(tc, connection_semantics);
	tcase_add_loop_test(tc, malformed, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, other_methods_and_forms);
	tcase_add_test(tc, lists_and_etags);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, ranges);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
