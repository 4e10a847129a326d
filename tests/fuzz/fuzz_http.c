/*
 * fuzz_http.c - every HTTP parser on arbitrary bytes: the request parser
 * (default and tiny limits, every prefix length's verdict consistent), the
 * response head parser, the chunked decoder fed in uneven pieces, URLs,
 * redirect targets, request-target paths, ranges, dates and entity tags.
 * Each must end in a clean verdict; the invariants below catch a parser that
 * claims more bytes than it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_files.h"
#include "http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct http_span all = {in, size};

	struct http_limits lim = HTTP_LIMITS_DEFAULT, tiny = {64, 16, 4, 10};
	struct http_request req;
	long n = http_parse_request(in, size, &lim, &req);
	check(n <= (long)size);
	if (n > 0) {
		check(req.head_len == (size_t)n);
		check(req.target.p >= in && req.target.p + req.target.len <= in + size);
		char path[512];
		if (http_target_path(req.target, path, sizeof(path)) == 0)
			check(path[0] == '/' && !strstr(path, "/../") && strlen(path) < sizeof(path));
		uint64_t a, b;
		if (http_range_parse(req.range, 1000, &a, &b) == HTTP_RANGE_OK)
			check(a <= b && b < 1000);
		time_t t;
		http_date_parse(req.if_modified_since, &t);
		http_etag_match(req.if_none_match, "\"abc\"");
	} else if (n < 0) {
		check(n == -400 || n == -413 || n == -414 || n == -431 || n == -501 || n == -505);
	}
	n = http_parse_request(in, size, &tiny, &req);
	check(n <= (long)size && n <= 64);

	struct http_response res;
	n = http_parse_response(in, size, 4096, &res);
	check(n <= (long)size);
	if (n > 0) {
		check(res.status >= 100 && res.status <= 999);
		struct http_url base, next;
		if (http_url_parse("http://h:81/a/b?q", &base) == 0 && res.location.p)
			if (http_url_resolve(&base, res.location, &next) == 0)
				check(next.path[0] == '/' && next.port != 0);
	}

	/* The chunked decoder in pieces whose sizes come from the input. */
	struct http_chunked d = {0};
	size_t pos = 0, step = size ? (size_t)data[0] % 7 + 1 : 1;
	while (pos < size && !d.done) {
		size_t len = size - pos < step ? size - pos : step;
		const char *body;
		size_t body_len;
		long used = http_chunked_feed(&d, in + pos, len, &body, &body_len);
		if (used < 0)
			break;
		check((size_t)used <= len && used > 0);
		check(!body_len || (body >= in + pos && body + body_len <= in + pos + (size_t)used));
		pos += (size_t)used;
	}

	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
		struct http_url u;
		if (http_url_parse(text, &u) == 0)
			check(u.path[0] == '/' && u.host[0] && u.port);
		free(text);
	}
	http_list_has(all, "close");
	return 0;
}
