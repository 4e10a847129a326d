/* http_request.c - the request parser and field-value helpers; see http_parse.h. */
#include "http_parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_LEADING_EMPTY_LINES 4
#define MAX_METHOD_LEN 32

/* --- characters (RFC 9110 §5.6.2, RFC 5234 B.1) ----------------------------- */

/* tchar: "!#$%&'*+-.^_`|~" DIGIT ALPHA */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar / obs-text, SP, HTAB: what a field value may hold (RFC 9110 §5.5). */
static int is_field_char(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

int http_span_is(struct http_span s, const char *word)
{
	size_t n = strlen(word);
	return s.p && s.len == n && strncasecmp(s.p, word, n) == 0;
}

static struct http_span trim(const char *p, size_t len)
{
	while (len && is_ows(*p))
		p++, len--;
	while (len && is_ows(p[len - 1]))
		len--;
	return (struct http_span){p, len};
}

/* --- names ------------------------------------------------------------------ */

static const char *const method_names[] = {
	[HTTP_GET] = "GET", [HTTP_HEAD] = "HEAD", [HTTP_POST] = "POST", [HTTP_PUT] = "PUT",
	[HTTP_DELETE] = "DELETE", [HTTP_CONNECT] = "CONNECT", [HTTP_OPTIONS] = "OPTIONS",
	[HTTP_TRACE] = "TRACE", [HTTP_PATCH] = "PATCH",
};

const char *http_method_name(enum http_method m)
{
	return (size_t)m < sizeof(method_names) / sizeof(method_names[0]) ? method_names[m] : "?";
}

const char *http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
		{100, "Continue"}, {200, "OK"}, {204, "No Content"}, {206, "Partial Content"},
		{301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"}, {304, "Not Modified"},
		{307, "Temporary Redirect"}, {308, "Permanent Redirect"}, {400, "Bad Request"},
		{403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
		{408, "Request Timeout"}, {411, "Length Required"}, {413, "Content Too Large"},
		{414, "URI Too Long"}, {416, "Range Not Satisfiable"},
		{431, "Request Header Fields Too Large"}, {500, "Internal Server Error"},
		{501, "Not Implemented"}, {503, "Service Unavailable"},
		{505, "HTTP Version Not Supported"},
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "";
}

/* --- the request head ------------------------------------------------------- */

/* The line starting at buf[pos]: its content [pos, *end) without CRLF or LF
 * (RFC 9112 §2.2 lets a recipient accept a bare LF), and where the next one
 * starts. 0 when no LF has arrived yet. */
static int next_line(const char *buf, size_t len, size_t pos, size_t *end, size_t *next)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);
	if (!nl)
		return 0;
	size_t e = (size_t)(nl - buf);
	*next = e + 1;
	if (e > pos && buf[e - 1] == '\r')
		e--;
	*end = e;
	return 1;
}

static int method_from(struct http_span m, enum http_method *out)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		/* Methods are case-sensitive (RFC 9110 §9.1). */
		if (m.len == strlen(method_names[i]) && !memcmp(m.p, method_names[i], m.len)) {
			*out = (enum http_method)i;
			return 0;
		}
	return -1;
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
 * Called on what arrived so far, so a too-long method or target is caught
 * before its line ends. `complete`: the line's end is at `end`. */
static long parse_request_line(const char *buf, size_t start, size_t end, int complete,
			       const struct http_limits *lim, struct http_request *req)
{
	size_t i = start;
	while (i < end && is_tchar((unsigned char)buf[i]))
		i++;
	req->method_name = (struct http_span){buf + start, i - start};
	if (i - start > MAX_METHOD_LEN)
		return -501;            /* longer than any method: not one we implement */
	if (i == end && !complete)
		return 0;
	if (i == start || i == end || buf[i] != ' ')
		return -400;
	size_t t = ++i;
	while (i < end && (unsigned char)buf[i] > 0x20 && (unsigned char)buf[i] < 0x7f)
		i++;
	req->target = (struct http_span){buf + t, i - t};
	if (i - t > lim->max_target)
		return -414;
	if (i == end && !complete)
		return 0;
	if (i == t || i == end || buf[i] != ' ')
		return -400;
	i++;
	if (!complete)
		return 0;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3). */
	if (end - i != 8 || memcmp(buf + i, "HTTP/", 5) || buf[i + 6] != '.' ||
	    buf[i + 5] < '0' || buf[i + 5] > '9' || buf[i + 7] < '0' || buf[i + 7] > '9')
		return -400;
	if (buf[i + 5] != '1')
		return -505;
	req->minor = buf[i + 7] == '0' ? 0 : 1;
	if (method_from(req->method_name, &req->method) < 0)
		return -501;
	/* origin-form or absolute-form; '*' and authority-form only with the
	 * methods that use them (RFC 9112 §3.2), answered 405 later. */
	struct http_span tg = req->target;
	if (tg.p[0] == '/')
		return 1;
	if (tg.len == 1 && tg.p[0] == '*' && req->method == HTTP_OPTIONS)
		return 1;
	if (req->method == HTTP_CONNECT)
		return 1;
	if (tg.len > 7 && !strncasecmp(tg.p, "http://", 7))
		return 1;
	return -400;
}

/* Content-Length = 1*DIGIT (RFC 9110 §8.6); saturates instead of wrapping. */
static int parse_length(struct http_span v, uint64_t *out)
{
	uint64_t n = 0;
	if (!v.len)
		return -1;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX : n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n;
	return 0;
}

/* The last member of a comma-separated list. */
static struct http_span last_member(struct http_span list)
{
	const char *p = list.p + list.len;
	while (p > list.p && p[-1] != ',')
		p--;
	return trim(p, (size_t)(list.p + list.len - p));
}

struct header_seen {
	int content_length, close, keep_alive;
};

static long take_header(struct http_request *req, struct http_span name, struct http_span value,
			struct header_seen *seen)
{
	if (http_span_is(name, "host")) {
		if (req->host.p)
			return -400;        /* RFC 9112 §3.2: more than one Host */
		req->host = value;
		if (!value.len)
			req->host.p = value.p ? value.p : "";
	} else if (http_span_is(name, "content-length")) {
		uint64_t n;
		if (parse_length(value, &n) < 0 || (seen->content_length && n != req->content_length))
			return -400;        /* RFC 9112 §6.3 item 5: invalid length */
		req->content_length = n;
		seen->content_length = 1;
	} else if (http_span_is(name, "transfer-encoding")) {
		/* Only chunked may end a request's codings (RFC 9112 §6.3 item 4). */
		if (!http_span_is(last_member(value), "chunked"))
			return -501;
		req->chunked_body = 1;
	} else if (http_span_is(name, "connection")) {
		seen->close |= http_list_has(value, "close");
		seen->keep_alive |= http_list_has(value, "keep-alive");
	} else if (http_span_is(name, "if-modified-since")) {
		req->if_modified_since = value;
	} else if (http_span_is(name, "if-none-match")) {
		req->if_none_match = value;
	} else if (http_span_is(name, "range")) {
		req->range = value;
	} else if (http_span_is(name, "if-range")) {
		req->if_range = value;
	}
	return 0;
}

long http_parse_request(const char *buf, size_t len, const struct http_limits *lim,
			struct http_request *req)
{
	size_t pos = 0, end = 0, next = 0;
	memset(req, 0, sizeof(*req));
	/* RFC 9112 §2.2: ignore empty lines before the request line. */
	for (int empties = 0; empties < MAX_LEADING_EMPTY_LINES && pos < len; empties++) {
		if (buf[pos] == '\n')
			pos++;
		else if (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n')
			pos += 2;
		else if (buf[pos] == '\r' && pos + 1 == len)
			return 0;
		else
			break;
	}
	size_t line_start = pos;
	int complete = next_line(buf, len, pos, &end, &next);
	long rc = parse_request_line(buf, line_start, complete ? end : len, complete, lim, req);
	if (rc < 0)
		return rc;
	if (!complete)
		return len >= lim->max_head ? -431 : 0;

	struct header_seen seen = {0};
	size_t count = 0;
	for (pos = next;; pos = next) {
		if (!next_line(buf, len, pos, &end, &next))
			return len >= lim->max_head ? -431 : 0;
		if (next > lim->max_head)
			return -431;
		if (end == pos)
			break;              /* the empty line: end of the head */
		if (++count > lim->max_headers)
			return -431;
		/* obs-fold (RFC 9112 §5.2) and whitespace before the colon
		 * (§5.1) are rejected: both are request-smuggling vectors. */
		size_t colon = pos;
		while (colon < end && is_tchar((unsigned char)buf[colon]))
			colon++;
		if (colon == pos || colon == end || buf[colon] != ':')
			return -400;
		for (size_t i = colon + 1; i < end; i++)
			if (!is_field_char((unsigned char)buf[i]))
				return -400;        /* NUL, CR or another control in a value */
		struct http_span name = {buf + pos, colon - pos};
		struct http_span value = trim(buf + colon + 1, end - colon - 1);
		if ((rc = take_header(req, name, value, &seen)) < 0)
			return rc;
	}
	/* Both framings at once, or one the client's version cannot send, is a
	 * smuggling attempt (RFC 9112 §6.1, §6.3). */
	if (req->chunked_body && (seen.content_length || req->minor == 0))
		return -400;
	if (req->minor == 1 && !req->host.p)
		return -400;            /* RFC 9112 §3.2: HTTP/1.1 requires Host */
	if (req->content_length > lim->max_body)
		return -413;
	req->keep_alive = !seen.close && (req->minor == 1 || seen.keep_alive);
	req->head_len = next;
	return (long)next;
}

/* --- lists and entity tags (RFC 9110 §5.6.1, §8.8.3) ------------------------ */

/* Calls fn on each non-empty member of a comma-separated list, until fn
 * returns non-zero; returns that. Quoted strings are not split. */
static int each_member(struct http_span list, int (*fn)(struct http_span, const void *),
		       const void *arg)
{
	size_t i = 0;
	while (i < list.len) {
		size_t start = i;
		int quoted = 0;
		for (; i < list.len && (quoted || list.p[i] != ','); i++)
			if (list.p[i] == '"')
				quoted = !quoted;
		struct http_span m = trim(list.p + start, i - start);
		int r = m.len ? fn(m, arg) : 0;
		if (r)
			return r;
		i++;
	}
	return 0;
}

static int member_is_word(struct http_span m, const void *word)
{
	return http_span_is(m, word);
}

int http_list_has(struct http_span list, const char *word)
{
	return list.p && each_member(list, member_is_word, word);
}

/* Weak comparison: W/ prefixes are ignored, the opaque tags compared. */
static int member_is_etag(struct http_span m, const void *etag)
{
	const char *tag = etag;
	if (m.len == 1 && m.p[0] == '*')
		return 1;
	if (m.len >= 2 && m.p[0] == 'W' && m.p[1] == '/')
		m.p += 2, m.len -= 2;
	if (tag[0] == 'W' && tag[1] == '/')
		tag += 2;
	return m.len == strlen(tag) && !memcmp(m.p, tag, m.len);
}

int http_etag_match(struct http_span if_none_match, const char *etag)
{
	return if_none_match.p && each_member(if_none_match, member_is_etag, etag);
}

/* --- dates (RFC 9110 §5.6.7) -------------------------------------------------- */

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

void http_date_format(time_t t, char buf[30])
{
	struct tm tm;
	char text[64];
	gmtime_r(&t, &tm);
	snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[tm.tm_wday % 7],
		 tm.tm_mday, month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
	memcpy(buf, text, 29);      /* 29 characters for any year 0..9999 */
	buf[29] = '\0';
}

/* n decimal digits at p, or -1. */
static int digits(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int month_from(const char *p)
{
	for (int m = 0; m < 12; m++)
		if (!memcmp(p, month_names[m], 3))
			return m;
	return -1;
}

/* "08:49:37" */
static int clock_from(const char *p, struct tm *tm)
{
	if (p[2] != ':' || p[5] != ':')
		return -1;
	tm->tm_hour = digits(p, 2);
	tm->tm_min = digits(p + 3, 2);
	tm->tm_sec = digits(p + 6, 2);
	return tm->tm_hour < 0 || tm->tm_min < 0 || tm->tm_sec < 0 ? -1 : 0;
}

int http_date_parse(struct http_span s, time_t *out)
{
	struct tm tm;
	char b[64];
	const char *comma;
	if (!s.p || s.len >= sizeof(b))
		return -1;
	memcpy(b, s.p, s.len);
	b[s.len] = '\0';
	memset(&tm, 0, sizeof(tm));
	comma = strchr(b, ',');
	if (comma && s.len == 29 && comma == b + 3) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		if (b[4] != ' ' || b[7] != ' ' || b[11] != ' ' || b[16] != ' ' || strcmp(b + 25, " GMT"))
			return -1;
		tm.tm_mday = digits(b + 5, 2);
		tm.tm_mon = month_from(b + 8);
		tm.tm_year = digits(b + 12, 4) - 1900;
		if (clock_from(b + 17, &tm) < 0)
			return -1;
	} else if (comma) {
		/* rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"; two-digit years
		 * past 50 years ahead are in the past (RFC 9110 §5.6.7). */
		const char *d = comma + 1;
		if (strlen(d) != 23 || d[0] != ' ' || d[3] != '-' || d[7] != '-' || d[10] != ' ' ||
		    strcmp(d + 19, " GMT"))
			return -1;
		tm.tm_mday = digits(d + 1, 2);
		tm.tm_mon = month_from(d + 4);
		int yy = digits(d + 8, 2);
		tm.tm_year = yy < 0 ? -1 : yy < 70 ? yy + 100 : yy;
		if (clock_from(d + 11, &tm) < 0)
			return -1;
	} else if (s.len == 24) {
		/* asctime-date: "Sun Nov  6 08:49:37 1994" */
		if (b[3] != ' ' || b[7] != ' ' || b[10] != ' ' || b[19] != ' ')
			return -1;
		tm.tm_mon = month_from(b + 4);
		tm.tm_mday = b[8] == ' ' ? digits(b + 9, 1) : digits(b + 8, 2);
		tm.tm_year = digits(b + 20, 4) - 1900;
		if (clock_from(b + 11, &tm) < 0)
			return -1;
	} else {
		return -1;
	}
	if (tm.tm_mon < 0 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_year < 0 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* --- ranges (RFC 9110 §14.1-§14.2) ------------------------------------------ */

/* 1*DIGIT at *p, saturating; -1 when there is none. */
static int range_number(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t n = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX : n * 10 + (uint64_t)(**p - '0');
		(*p)++;
	}
	*out = n;
	return *p == s ? -1 : 0;
}

enum http_range_result http_range_parse(struct http_span range, uint64_t size, uint64_t *first,
					uint64_t *last)
{
	if (!range.p)
		return HTTP_RANGE_NONE;
	struct http_span r = trim(range.p, range.len);
	const char *eq = memchr(r.p, '=', r.len);
	/* The unit is case-insensitive (RFC 9110 §14.1); others are ignored. */
	if (!eq || !http_span_is(trim(r.p, (size_t)(eq - r.p)), "bytes"))
		return HTTP_RANGE_NONE;
	struct http_span set = trim(eq + 1, (size_t)(r.p + r.len - eq - 1));
	const char *p = set.p, *end = set.p + set.len;
	if (memchr(p, ',', set.len))
		return HTTP_RANGE_NONE; /* several ranges: a server MAY ignore Range (§14.2) */
	uint64_t a, b;
	if (p < end && *p == '-') {
		/* suffix-range: the last b bytes */
		p++;
		if (range_number(&p, end, &b) < 0 || p != end)
			return HTTP_RANGE_NONE;
		if (size == 0)
			return HTTP_RANGE_NONE;
		if (b == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return HTTP_RANGE_OK;
	}
	if (range_number(&p, end, &a) < 0 || p == end || *p != '-')
		return HTTP_RANGE_NONE;
	p++;
	b = UINT64_MAX;
	if (p < end && range_number(&p, end, &b) < 0)
		return HTTP_RANGE_NONE;
	if (p != end || b < a)
		return HTTP_RANGE_NONE; /* invalid (§14.1.1): ignored */
	if (a >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return HTTP_RANGE_OK;
}
