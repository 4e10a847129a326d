/*
 * http_parse.h - HTTP/1.1 message parsing (RFC 9110, RFC 9112) as pure
 * functions over bytes: no I/O, no allocation, no clock. The server and
 * `tapir get` feed them what they received; unit tests and the libFuzzer
 * target feed them anything at all. Every hostile input ends in a clean
 * result: "need more bytes", or an error (an HTTP status code for the
 * request parser, a negative errno for the client-side ones).
 *
 * Parsed fields point into the caller's buffer (struct http_span), which
 * must outlive them; nothing is copied or NUL-terminated.
 */
#ifndef TAPIR_APPS_HTTP_PARSE_H
#define TAPIR_APPS_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct http_span {
	const char *p;
	size_t len;                 /* p is NULL and len 0 when absent */
};

/* Case-insensitive comparison of a span with a NUL-terminated word. */
int http_span_is(struct http_span s, const char *word);

/* --- requests (RFC 9112 §2-§6) --------------------------------------------- */

enum http_method {
	HTTP_GET, HTTP_HEAD,
	/* Registered methods tapir knows but does not allow here: 405 + Allow. */
	HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_CONNECT, HTTP_OPTIONS, HTTP_TRACE, HTTP_PATCH,
};

struct http_limits {
	size_t max_head;            /* request line + headers [8192]: past it 431 */
	size_t max_target;          /* request-target [2048]: past it 414 */
	size_t max_headers;         /* header lines [64]: past it 431 */
	uint64_t max_body;          /* Content-Length accepted (and discarded) [1 MiB]: past it 413 */
};
#define HTTP_LIMITS_DEFAULT {8192, 2048, 64, 1u << 20}

struct http_request {
	enum http_method method;
	struct http_span method_name, target;
	int minor;                  /* HTTP/1.<minor>: 0 or 1 (1.2+ is read as 1.1, RFC 9110 §2.5) */
	struct http_span host, if_modified_since, if_none_match, range, if_range;
	int keep_alive;             /* after this response, by version and Connection (RFC 9112 §9.3) */
	uint64_t content_length;    /* body bytes that follow the head */
	int chunked_body;           /* Transfer-Encoding present: framing is the client's; we close */
	size_t head_len;            /* bytes of the head, blank line included */
};

/*
 * Parses one request head at the start of buf[0..len).
 * Returns the head's length (> 0) when it is complete and valid, 0 when more
 * bytes are needed (and the limits still allow them), or minus the status
 * that answers it: -400 (malformed), -414 (target too long), -431 (head or
 * header count too large), -413 (declared body too large), -501 (unknown
 * method or transfer coding), -505 (not HTTP/1.x). On an error, `req`
 * holds what was parsed before it (method and target for the access log,
 * minor for the reply), the rest zeroed.
 */
long http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
			struct http_request *req);

const char *http_method_name(enum http_method m);
/* The reason phrase for a status code ("Not Found"), "" when unknown. */
const char *http_reason(int status);

/* --- field values ------------------------------------------------------------ */

/* Whether a comma-separated list (Connection, If-None-Match ...) holds `word`,
 * case-insensitively, ignoring optional whitespace (RFC 9110 §5.6.1). */
int http_list_has(struct http_span list, const char *word);

/* If-None-Match (RFC 9110 §13.1.2): whether the list names `etag` (a quoted
 * entity-tag, as sent in ETag) under weak comparison, or is "*". */
int http_etag_match(struct http_span if_none_match, const char *etag);

/* An HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, or the obsolete RFC 850 and
 * asctime forms. Returns 0 and the time, or -1 if it is not a valid date
 * (which makes If-Modified-Since be ignored, RFC 9110 §13.1.3). */
int http_date_parse(struct http_span s, time_t *out);
/* IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": buf holds 30 bytes. */
void http_date_format(time_t t, char buf[30]);

/* A Range header (RFC 9110 §14.2) against a representation of `size` bytes. */
enum http_range_result {
	HTTP_RANGE_NONE,            /* absent, not bytes, several ranges or malformed: send all (200) */
	HTTP_RANGE_OK,              /* *first..*last inclusive: 206 */
	HTTP_RANGE_UNSATISFIABLE,   /* 416 with Content-Range: bytes * / size */
};
enum http_range_result http_range_parse(struct http_span range, uint64_t size, uint64_t *first,
					uint64_t *last);

/* --- responses, for the client (RFC 9112 §4, §6) ----------------------------- */

struct http_response {
	int status, minor;
	struct http_span reason, location;
	int64_t content_length;     /* -1 when absent */
	int chunked;                /* Transfer-Encoding ends in chunked */
	int close;                  /* Connection: close, or HTTP/1.0 without keep-alive */
	size_t head_len;
};

/* Like http_parse_request: the head length, 0 for more, or -EBADMSG
 * (malformed, conflicting lengths, bad coding) / -E2BIG (longer than
 * max_head). */
long http_parse_response(const char *buf, size_t len, size_t max_head, struct http_response *res);

/*
 * The chunked transfer coding (RFC 9112 §7.1), decoded incrementally:
 * feed whatever arrived; each call consumes a prefix of it and may report one
 * run of body bytes inside it (*data, *data_len). Call again with the rest
 * until it is all consumed or `done` is set. Returns the bytes consumed
 * (> 0 unless len is 0 or done), or -EBADMSG on a malformed chunk size,
 * missing CRLF, a chunk size past 2^60 or an over-long line.
 */
struct http_chunked {
	int state;
	uint64_t remaining;         /* of the current chunk's data */
	size_t line;                /* bytes of the current size / trailer line */
	int digits;
	int done;                   /* the last chunk and the trailer section are in */
};
long http_chunked_feed(struct http_chunked *d, const char *in, size_t len, const char **data,
		       size_t *data_len);

/* --- URLs ------------------------------------------------------------------- */

struct http_url {
	char host[256];
	uint16_t port;
	char path[2048];            /* origin-form: "/" at least, query included */
};

/* Parses "http://host[:port][/path][?query]" (no userinfo, no fragment
 * sent). Returns 0, -EPROTONOSUPPORT (another scheme, https), -EINVAL
 * (malformed), -ENAMETOOLONG. */
int http_url_parse(const char *s, struct http_url *url);
/* Resolves a Location value against `base` (RFC 3986 §5.2, for the forms
 * servers send: absolute, scheme-relative, absolute-path, relative path).
 * Same errors as http_url_parse. */
int http_url_resolve(const struct http_url *base, struct http_span location, struct http_url *out);

#endif
