/* test_http_client.c - what `tapir get` and the server's file mapping
 * parse: response heads, the chunked coding, URLs, redirect targets,
 * request-target paths (traversal in every spelling) and the document root
 * (symlinks out). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_files.h"
#include "http_parse.h"
#include "check_main.h"

static long response(const char *text, struct http_response *res)
{
	return http_parse_response(text, strlen(text), 65536, res);
}

START_TEST(response_heads)
{
	struct http_response r;
	const char *t = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	ck_assert_int_eq(response(t, &r), (long)strlen(t) - 5);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.content_length, 5);
	ck_assert(http_span_is(r.reason, "OK"));
	ck_assert_int_eq(r.close, 0);
	ck_assert_int_gt(response("HTTP/1.0 301 Moved\r\nLocation: /x/\r\n\r\n", &r), 0);
	ck_assert(http_span_is(r.location, "/x/"));
	ck_assert_int_eq(r.close, 1);
	ck_assert_int_eq(r.content_length, -1);
	ck_assert_int_gt(response("HTTP/1.1 200\r\nTransfer-Encoding: gzip, chunked\r\n"
				  "Content-Length: 3\r\n\r\n", &r), 0);
	ck_assert_int_eq(r.chunked, 1);
	ck_assert_int_eq(r.content_length, -1);
	ck_assert_int_gt(response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &r), 0);
	ck_assert(!r.chunked && r.close);
	for (size_t i = 0; i < strlen(t) - 5; i++)
		ck_assert_int_eq(http_parse_response(t, i, 65536, &r), 0);
}
END_TEST

START_TEST(response_malformed)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 abc OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
		"ICY 200 OK\r\n\r\n",
	};
	struct http_response r;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(response(bad[i], &r) == -EBADMSG, "case %zu", i);
	char big[300];
	memset(big, 'x', sizeof(big));
	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	ck_assert_int_eq(http_parse_response(big, sizeof(big), 256, &r), -E2BIG);
}
END_TEST

/* Decodes `in` fed in pieces of `step` bytes; the body or NULL on error. */
static char *dechunk(const char *in, size_t step, int *done)
{
	struct http_chunked d = {0};
	static char out[4096];
	size_t o = 0, len = strlen(in), pos = 0;
	while (pos < len && !d.done) {
		size_t n = len - pos < step ? len - pos : step;
		while (n && !d.done) {
			const char *data;
			size_t dl;
			long used = http_chunked_feed(&d, in + pos, n, &data, &dl);
			if (used < 0)
				return NULL;
			if (dl)
				memcpy(out + o, data, dl);
			o += dl;
			pos += (size_t)used;
			n -= (size_t)used;
		}
	}
	out[o] = '\0';
	*done = d.done;
	return out;
}

START_TEST(chunked_good)
{
	const char *t = "5\r\nhello\r\n7;ext=\"v\"\r\n, world\r\n0\r\nTrailer: x\r\n\r\n";
	for (size_t step = 1; step <= strlen(t); step++) {
		int done;
		char *out = dechunk(t, step, &done);
		ck_assert_ptr_nonnull(out);
		ck_assert_str_eq(out, "hello, world");
		ck_assert_int_eq(done, 1);
	}
	int done;
	ck_assert_str_eq(dechunk("A\nabcdefghij\n0\n\n", 3, &done), "abcdefghij");
	ck_assert_int_eq(done, 1);
	ck_assert_str_eq(dechunk("3\r\nabc\r\n", 100, &done), "abc");
	ck_assert_int_eq(done, 0);  /* unfinished: the caller sees it at EOF */
}
END_TEST

START_TEST(chunked_bad)
{
	static const char *const bad[] = {
		"x\r\n", "\r\n", "5\r\nhelloX\r\n", "5\r\nhello\rX", "1000000000000000\r\n",
		"-1\r\n", "0x5\r\n", "5\r\nhello\r\n0\r\nbad\x01trailer\r\n\r\n", "5\rx",
	};
	int done;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(dechunk(bad[i], 2, &done) == NULL, "case %zu", i);
	char line[5000];
	memset(line, ' ', sizeof(line) - 1);
	line[0] = '1';
	line[sizeof(line) - 1] = '\0';
	ck_assert_ptr_null(dechunk(line, 4999, &done));     /* an endless size line */
}
END_TEST

START_TEST(urls)
{
	struct http_url u;
	ck_assert_int_eq(http_url_parse("http://10.0.0.1:8000/a/b?q=1#frag", &u), 0);
	ck_assert_str_eq(u.host, "10.0.0.1");
	ck_assert_int_eq(u.port, 8000);
	ck_assert_str_eq(u.path, "/a/b?q=1");
	ck_assert_int_eq(http_url_parse("HTTP://www.tapir.test", &u), 0);
	ck_assert_str_eq(u.path, "/");
	ck_assert_int_eq(u.port, 80);
	ck_assert_int_eq(http_url_parse("10.0.0.1?x", &u), 0);
	ck_assert_str_eq(u.path, "/?x");
	ck_assert_int_eq(http_url_parse("https://a/", &u), -EPROTONOSUPPORT);
	ck_assert_int_eq(http_url_parse("http://a:0/", &u), -EINVAL);
	ck_assert_int_eq(http_url_parse("http://a:70000/", &u), -EINVAL);
	ck_assert_int_eq(http_url_parse("http://user@a/", &u), -EINVAL);
	ck_assert_int_eq(http_url_parse("http:///x", &u), -EINVAL);
	ck_assert_int_eq(http_url_parse("http://a/b c", &u), -EINVAL);
	ck_assert_int_eq(http_url_parse("http://a/\r\nX: y", &u), -EINVAL);
	ck_assert_int_eq(http_url_parse("http://a b/", &u), -EINVAL);
	char long_host[400];
	memset(long_host, 'h', sizeof(long_host));
	memcpy(long_host, "http://", 7);
	long_host[sizeof(long_host) - 1] = '\0';
	ck_assert_int_eq(http_url_parse(long_host, &u), -ENAMETOOLONG);
}
END_TEST

START_TEST(redirects)
{
	struct http_url base, u;
	ck_assert_int_eq(http_url_parse("http://h:81/a/b?q", &base), 0);
	struct {
		const char *loc, *host, *path;
		int port;
	} cases[] = {
		{"/x", "h", "/x", 81},
		{"c", "h", "/a/c", 81},
		{"http://o/y", "o", "/y", 80},
		{"//p:82/z", "p", "/z", 82},
		{"  /spaced  ", "h", "/spaced", 81},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_span loc = {cases[i].loc, strlen(cases[i].loc)};
		ck_assert_int_eq(http_url_resolve(&base, loc, &u), 0);
		ck_assert_str_eq(u.host, cases[i].host);
		ck_assert_str_eq(u.path, cases[i].path);
		ck_assert_int_eq(u.port, cases[i].port);
	}
	ck_assert_int_eq(http_url_resolve(&base, (struct http_span){"ftp://x/", 8}, &u), -EPROTONOSUPPORT);
	ck_assert_int_eq(http_url_resolve(&base, (struct http_span){"", 0}, &u), -EINVAL);
}
END_TEST

static int target(const char *t, char *out)
{
	return http_target_path((struct http_span){t, strlen(t)}, out, 256);
}

START_TEST(target_paths)
{
	char p[256];
	ck_assert_int_eq(target("/a/b.html?x=../..", p), 0);
	ck_assert_str_eq(p, "/a/b.html");
	ck_assert_int_eq(target("/a%20b//c/", p), 0);
	ck_assert_str_eq(p, "/a b/c/");
	ck_assert_int_eq(target("http://host:80/x", p), 0);
	ck_assert_str_eq(p, "/x");
	ck_assert_int_eq(target("http://host", p), 0);
	ck_assert_str_eq(p, "/");
	ck_assert_int_eq(target("/..a/b..", p), 0);     /* dots inside names are fine */
	static const char *const traversal[] = {
		"/../etc/passwd", "/a/../../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2e/x",
		"/.%2e/x", "/a/%2e%2e", "/a/..", "/a/./b", "/..%2fetc%2fpasswd", "/%2e%2e%2fetc",
		"/a%00.html", "/%", "/%4", "/%zz", "relative", "http://h/..", "/a/.",
	};
	for (size_t i = 0; i < sizeof(traversal) / sizeof(traversal[0]); i++)
		ck_assert_msg(target(traversal[i], p) == -400, "%s: %d", traversal[i], target(traversal[i], p));
	char huge[600];
	memset(huge, 'a', sizeof(huge));
	huge[0] = '/';
	ck_assert_int_eq(http_target_path((struct http_span){huge, sizeof(huge)}, p, sizeof(p)), -400);
}
END_TEST

START_TEST(docroot)
{
	char dir[] = "/tmp/tapir-http-test.XXXXXX", path[512], err[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "mkdir -p %s/www/sub %s/www/empty && echo hi > %s/www/a.txt && "
		 "echo idx > %s/www/sub/index.html && echo secret > %s/secret && "
		 "ln -s %s/secret %s/www/out && ln -s ../../secret %s/www/sub/up && ln -s a.txt %s/www/in",
		 dir, dir, dir, dir, dir, dir, dir, dir, dir);
	ck_assert_int_eq(system(path), 0);
	snprintf(path, sizeof(path), "%s/www", dir);
	struct http_docroot root;
	struct http_file f;
	ck_assert_int_eq(http_docroot_open(&root, path, err, sizeof(err)), 0);
	/* Twice: with openat2(2) beneath the root, then the realpath(3) way
	 * taken where the kernel has no openat2 (no root descriptor). */
	for (int way = 0; way < 2; way++) {
		if (way == 1)
			http_docroot_close(&root);
		ck_assert_int_eq(http_docroot_lookup(&root, "/a.txt", &f), 0);
		ck_assert_uint_eq(f.size, 3);
		ck_assert_str_eq(f.content_type, "text/plain; charset=utf-8");
		ck_assert_int_eq(f.etag[0], '"');
		close(f.fd);
		ck_assert_int_eq(http_docroot_lookup(&root, "/in", &f), 0);     /* a symlink inside */
		close(f.fd);
		ck_assert_int_eq(http_docroot_lookup(&root, "/sub/", &f), 0);
		ck_assert_uint_eq(f.size, 4);
		close(f.fd);
		ck_assert_int_eq(http_docroot_lookup(&root, "/sub", &f), 301);
		ck_assert_int_eq(http_docroot_lookup(&root, "/empty/", &f), -404);
		ck_assert_int_eq(http_docroot_lookup(&root, "/nope", &f), -404);
		ck_assert_int_eq(http_docroot_lookup(&root, "/out", &f), -403);     /* symlink out */
		ck_assert_int_eq(http_docroot_lookup(&root, "/sub/up", &f), -403);
	}
	ck_assert_int_eq(http_docroot_open(&root, "/nonexistent/dir", err, sizeof(err)), -1);
	ck_assert_int_eq(http_docroot_open(&root, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(http_docroot_lookup(&root, "/", &f), 0);   /* the built-in site */
	ck_assert_int_eq(f.fd, -1);
	ck_assert_ptr_nonnull(strstr(f.mem, "/status"));
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

START_TEST(content_types)
{
	ck_assert_str_eq(http_content_type("/x/INDEX.HTML"), "text/html; charset=utf-8");
	ck_assert_str_eq(http_content_type("/a.png"), "image/png");
	ck_assert_str_eq(http_content_type("/a.tar.gz"), "application/gzip");
	ck_assert_str_eq(http_content_type("/dir.d/file"), "application/octet-stream");
	ck_assert_str_eq(http_content_type("/noext"), "application/octet-stream");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http_client");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, response_heads);
	tcase_add_test(tc, response_malformed);
	tcase_add_test(tc, chunked_good);
	tcase_add_test(tc, chunked_bad);
	tcase_add_test(tc, urls);
	tcase_add_test(tc, redirects);
	tcase_add_test(tc, target_paths);
	tcase_add_test(tc, docroot);
	tcase_add_test(tc, content_types);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
