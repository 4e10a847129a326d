/* http_response.c - the client's side: response heads, the chunked coding,
 * URLs and redirect targets; see http_parse.h. */
#include "http_parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tapir/tapir.h"

#define MAX_CHUNK_LINE 4096         /* a chunk-size line with its extensions */
#define MAX_TRAILERS 64
#define MAX_CHUNK_DIGITS 15         /* 15 hex digits: sizes below 2^60 */

static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static struct http_span trim(const char *p, size_t len)
{
	while (len && (*p == ' ' || *p == '\t'))
		p++, len--;
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	return (struct http_span){p, len};
}

/* --- the response head (RFC 9112 §4, §6.3) ----------------------------------- */

static int response_header(struct http_response *res, struct http_span name, struct http_span v,
			   int *keep_alive)
{
	if (http_span_is(name, "content-length")) {
		int64_t n = 0;
		if (!v.len)
			return -EBADMSG;
		for (size_t i = 0; i < v.len; i++) {
			if (v.p[i] < '0' || v.p[i] > '9' || n > (INT64_MAX - 9) / 10)
				return -EBADMSG;
			n = n * 10 + (v.p[i] - '0');
		}
		if (res->content_length >= 0 && res->content_length != n)
			return -EBADMSG;    /* RFC 9112 §6.3 item 5: conflicting lengths */
		res->content_length = n;
	} else if (http_span_is(name, "transfer-encoding")) {
		/* Chunked last: chunked framing; otherwise the body runs to the
		 * close (RFC 9112 §6.3 item 4). */
		const char *p = v.p + v.len;
		while (p > v.p && p[-1] != ',')
			p--;
		res->chunked = http_span_is(trim(p, (size_t)(v.p + v.len - p)), "chunked");
		if (!res->chunked)
			res->close = 1;
	} else if (http_span_is(name, "connection")) {
		if (http_list_has(v, "close"))
			res->close = 1;
		if (http_list_has(v, "keep-alive"))
			*keep_alive = 1;
	} else if (http_span_is(name, "location")) {
		res->location = v;
	}
	return 0;
}

long http_parse_response(const char *buf, size_t len, size_t max_head, struct http_response *res)
{
	memset(res, 0, sizeof(*res));
	res->content_length = -1;
	int keep_alive = 0, first = 1;
	size_t pos = 0;
	for (;;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		if (!nl)
			return len >= max_head ? -E2BIG : 0;
		size_t next = (size_t)(nl - buf) + 1, end = next - 1;
		if (next > max_head)
			return -E2BIG;
		if (end > pos && buf[end - 1] == '\r')
			end--;
		const char *l = buf + pos;
		size_t n = end - pos;
		for (size_t i = 0; i < n; i++)
			if (is_ctl((unsigned char)l[i]))
				return -EBADMSG;
		pos = next;
		if (first) {
			/* status-line = HTTP-version SP status-code SP [reason-phrase] */
			first = 0;
			if (n < 12 || memcmp(l, "HTTP/1.", 7) || l[7] < '0' || l[7] > '9' || l[8] != ' ' ||
			    (n > 12 && l[12] != ' '))
				return -EBADMSG;
			res->minor = l[7] - '0';
			for (int i = 9; i < 12; i++) {
				if (l[i] < '0' || l[i] > '9')
					return -EBADMSG;
				res->status = res->status * 10 + (l[i] - '0');
			}
			if (res->status < 100)
				return -EBADMSG;
			res->reason = n > 13 ? (struct http_span){l + 13, n - 13} : (struct http_span){"", 0};
			continue;
		}
		if (n == 0)
			break;
		size_t colon = 0;
		while (colon < n && is_tchar((unsigned char)l[colon]))
			colon++;
		if (colon == 0 || colon == n || l[colon] != ':')
			return -EBADMSG;
		int e = response_header(res, (struct http_span){l, colon},
					trim(l + colon + 1, n - colon - 1), &keep_alive);
		if (e < 0)
			return e;
	}
	if (res->chunked)
		res->content_length = -1;   /* Transfer-Encoding overrides it (§6.3 item 3) */
	if (res->minor == 0 && !keep_alive)
		res->close = 1;
	res->head_len = pos;
	return (long)pos;
}

/* --- chunked transfer coding (RFC 9112 §7.1) ------------------------------- */

enum {
	CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF,
	CH_TRAILER, CH_TRAILER_LINE, CH_TRAILER_LF, CH_END_LF,
};

static void size_line_done(struct http_chunked *d)
{
	d->state = d->remaining ? CH_DATA : CH_TRAILER;
	d->digits = 0;
	d->line = 0;
}

long http_chunked_feed(struct http_chunked *d, const char *in, size_t len, const char **data,
		       size_t *data_len)
{
	size_t i = 0;
	*data = NULL;
	*data_len = 0;
	while (i < len && !d->done) {
		char c = in[i];
		if (d->state == CH_DATA) {
			size_t n = len - i < d->remaining ? len - i : (size_t)d->remaining;
			*data = in + i;
			*data_len = n;
			d->remaining -= n;
			if (!d->remaining)
				d->state = CH_DATA_CR;
			return (long)(i + n);
		}
		if (++d->line > MAX_CHUNK_LINE)
			return -EBADMSG;
		int h;
		switch (d->state) {
		case CH_SIZE:
			if ((h = tp_hex_digit(c)) >= 0) {
				if (++d->digits > MAX_CHUNK_DIGITS)
					return -EBADMSG;
				d->remaining = d->remaining * 16 + (uint64_t)h;
			} else if (!d->digits) {
				return -EBADMSG;
			} else if (c == ';' || c == ' ' || c == '\t') {
				d->state = CH_EXT;  /* BWS and chunk-ext: skipped (§7.1.1) */
			} else if (c == '\r') {
				d->state = CH_SIZE_LF;
			} else if (c == '\n') {
				size_line_done(d);
			} else {
				return -EBADMSG;
			}
			break;
		case CH_EXT:
			if (c == '\r')
				d->state = CH_SIZE_LF;
			else if (c == '\n')
				size_line_done(d);
			else if (is_ctl((unsigned char)c))
				return -EBADMSG;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return -EBADMSG;
			size_line_done(d);
			break;
		case CH_DATA_CR:
		case CH_DATA_LF:
			if (c == '\r' && d->state == CH_DATA_CR) {
				d->state = CH_DATA_LF;
				break;
			}
			if (c != '\n')
				return -EBADMSG;    /* chunk data longer than its size */
			d->state = CH_SIZE;
			d->line = 0;
			break;
		case CH_TRAILER:
			d->line = 1;
			if (c == '\r') {
				d->state = CH_END_LF;
			} else if (c == '\n') {
				d->done = 1;
			} else {
				if (++d->digits > MAX_TRAILERS || is_ctl((unsigned char)c))
					return -EBADMSG;
				d->state = CH_TRAILER_LINE;
			}
			break;
		case CH_TRAILER_LINE:
			if (c == '\r')
				d->state = CH_TRAILER_LF;
			else if (c == '\n')
				d->state = CH_TRAILER;
			else if (is_ctl((unsigned char)c))
				return -EBADMSG;
			break;
		case CH_TRAILER_LF:
			if (c != '\n')
				return -EBADMSG;
			d->state = CH_TRAILER;
			break;
		case CH_END_LF:
			if (c != '\n')
				return -EBADMSG;
			d->done = 1;
			break;
		default:
			return -EBADMSG;
		}
		i++;
	}
	return (long)i;
}

/* --- URLs (RFC 3986, RFC 9110 §4.2.1) -------------------------------------- */

static int is_host_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '.' || c == '_';
}

int http_url_parse(const char *s, struct http_url *url)
{
	const char *sep = strstr(s, "://");
	memset(url, 0, sizeof(*url));
	if (sep) {
		for (const char *p = s; p < sep; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (p > s && ((*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))))
				return -EINVAL;
		if (sep - s != 4 || strncasecmp(s, "http", 4))
			return sep == s ? -EINVAL : -EPROTONOSUPPORT;
		s = sep + 3;
	}
	size_t auth = strcspn(s, "/?#");
	const char *colon = memchr(s, ':', auth);
	size_t host_len = colon ? (size_t)(colon - s) : auth;
	if (host_len == 0 || memchr(s, '@', auth))
		return -EINVAL;         /* no host, or userinfo (not supported) */
	if (host_len >= sizeof(url->host))
		return -ENAMETOOLONG;
	for (size_t i = 0; i < host_len; i++)
		if (!is_host_char(s[i]))
			return -EINVAL;
	memcpy(url->host, s, host_len);
	url->port = 80;
	if (colon) {
		unsigned long port = 0;
		const char *p = colon + 1;
		if (p == s + auth)
			return -EINVAL;
		for (; p < s + auth; p++) {
			if (*p < '0' || *p > '9' || (port = port * 10 + (unsigned long)(*p - '0')) > 65535)
				return -EINVAL;
		}
		if (port == 0)
			return -EINVAL;
		url->port = (uint16_t)port;
	}
	const char *path = s + auth;
	size_t path_len = strcspn(path, "#");   /* the fragment stays with the client */
	int slash = path_len == 0 || path[0] == '?';
	if (path_len + (size_t)slash >= sizeof(url->path))
		return -ENAMETOOLONG;
	for (size_t i = 0; i < path_len; i++)
		if ((unsigned char)path[i] <= 0x20 || (unsigned char)path[i] >= 0x7f)
			return -EINVAL; /* spaces, controls, raw UTF-8: not a valid target */
	snprintf(url->path, sizeof(url->path), "%s%.*s", slash ? "/" : "", (int)path_len, path);
	return 0;
}

int http_url_resolve(const struct http_url *base, struct http_span location, struct http_url *out)
{
	char buf[sizeof(base->host) + sizeof(base->path) + 32];
	struct http_span loc = trim(location.p ? location.p : "", location.len);
	if (!loc.len)
		return -EINVAL;
	const char *colon = memchr(loc.p, ':', loc.len), *slash = memchr(loc.p, '/', loc.len);
	int n;
	if (colon && (!slash || colon < slash)) {
		n = snprintf(buf, sizeof(buf), "%.*s", (int)loc.len, loc.p);            /* absolute */
	} else if (loc.len >= 2 && loc.p[0] == '/' && loc.p[1] == '/') {
		n = snprintf(buf, sizeof(buf), "http:%.*s", (int)loc.len, loc.p);       /* scheme-relative */
	} else if (loc.p[0] == '/') {
		n = snprintf(buf, sizeof(buf), "http://%s:%u%.*s", base->host, base->port, (int)loc.len,
			     loc.p);
	} else {
		/* A relative path replaces the base's last segment (RFC 3986 §5.2.3). */
		size_t dir = strcspn(base->path, "?");
		while (dir > 0 && base->path[dir - 1] != '/')
			dir--;
		n = snprintf(buf, sizeof(buf), "http://%s:%u%.*s%.*s", base->host, base->port, (int)dir,
			     base->path, (int)loc.len, loc.p);
	}
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return http_url_parse(buf, out);
}
