/* http_server.c - the static-file server on core sockets; see http_server.h. */
#include "http_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_files.h"
#include "http_parse.h"
#include "http_status.h"
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "tapir/sock.h"

#define IN_SIZE 8192                /* the request-head limit: past it, 431 */
#define OUT_SIZE 32768              /* a response head, or one chunk of a file */
#define LISTEN_BACKLOG 1024
#define SWEEP_PERIOD TP_SEC(1)
#define LINGER_TIMEOUT TP_SEC(2)    /* closing: how long to drain what the client still sends */
#define LOG_LINE 160

enum phase {
	READING,                    /* waiting for (the rest of) a request head */
	WRITING,                    /* a response is going out */
	CLOSING,                    /* FIN sent; draining the client's bytes until it closes */
};

struct conn {
	struct http_server *srv;
	struct conn *prev, *next;
	int fd;
	char peer[24];
	enum phase phase;
	tp_time last_active;
	/* request side */
	char in[IN_SIZE];
	size_t in_len;
	uint64_t discard;           /* request body bytes still to skip (RFC 9112 §6.3) */
	/* response side: out[out_off..out_len), then the body */
	char *out;
	size_t out_off, out_len;
	const char *body_mem;
	char *body_owned;           /* a generated page, freed with the response */
	int body_fd;
	uint64_t body_off, body_left;
	int close_after, minor;
	/* this exchange, for the access log */
	char line[LOG_LINE];
	int status;
	uint64_t sent;
	tp_time started;
};

struct http_server {
	struct tp_loop *loop;
	struct tp_stack *stack;
	struct http_server_config cfg;
	struct http_docroot root;
	struct http_limits limits;
	int listen_fd;
	struct conn *conns;
	struct tp_loop_timer *sweep;
	struct http_server_stats stats;
	time_t date_second;
	char date[30];
};

void http_server_config_defaults(struct http_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 80;
	cfg->idle_timeout = TP_SEC(15);
	cfg->access_log = stderr;
}

/* --- connection lifetime ------------------------------------------------ */

static void log_exchange(struct conn *c, const char *note)
{
	struct http_server *srv = c->srv;
	if (!c->status)
		return;
	if (srv->cfg.access_log) {
		tp_time took = tp_clock_now() - c->started;
		fprintf(srv->cfg.access_log, "%s \"%s\" %d %llu %.3fms%s\n", c->peer, c->line, c->status,
			(unsigned long long)c->sent, (double)took / 1000.0, note);
	}
	srv->stats.responses[c->status / 100 % 6]++;
	c->status = 0;
}

static void end_body(struct conn *c)
{
	if (c->body_fd >= 0)
		close(c->body_fd);
	c->body_fd = -1;
	free(c->body_owned);
	c->body_owned = NULL;
	c->body_mem = NULL;
	c->body_left = 0;
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = 0;
}

static void conn_free(struct conn *c)
{
	struct http_server *srv = c->srv;
	log_exchange(c, " (aborted)");
	end_body(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	tp_sock_close(srv->stack, c->fd);
	srv->stats.open--;
	free(c);
}

/* --- writing a response --------------------------------------------------- */

static const char *date_now(struct http_server *srv)
{
	time_t now = time(NULL);
	if (now != srv->date_second) {
		srv->date_second = now;
		http_date_format(now, srv->date);
	}
	return srv->date;
}

/* Appends text or a number to `out`, cut short at its end. Not printf: a
 * response head is built for every request, and formatting it with printf
 * was 4 % of tapir's CPU under load. */
static void out_str(struct conn *c, const char *text)
{
	size_t n = strlen(text), room = OUT_SIZE - c->out_len - 1;
	if (n > room)
		n = room;
	memcpy(c->out + c->out_len, text, n);
	c->out_len += n;
	c->out[c->out_len] = '\0';
}

static void out_uint(struct conn *c, uint64_t v)
{
	char digits[24], *p = digits + sizeof(digits);
	*--p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	out_str(c, p);
}

/* Starts a response: its head in `out`, the phase WRITING. `length` < 0:
 * no Content-Length (304). Returns -1 when out of memory. */
static int put_head(struct conn *c, int status, const char *type, int64_t length, const char *extra)
{
	if (!c->out && !(c->out = malloc(OUT_SIZE)))
		return -1;
	c->out_off = c->out_len = 0;
	c->status = status;
	c->phase = WRITING;
	/* A server sends its own highest version, HTTP/1.1 (RFC 9110 §6.2). */
	out_str(c, "HTTP/1.1 ");
	out_uint(c, (uint64_t)status);
	out_str(c, " ");
	out_str(c, http_reason(status));
	out_str(c, "\r\nServer: tapir\r\nDate: ");
	out_str(c, date_now(c->srv));
	out_str(c, "\r\n");
	out_str(c, extra ? extra : "");
	if (type) {
		out_str(c, "Content-Type: ");
		out_str(c, type);
		out_str(c, "\r\n");
	}
	if (length >= 0) {
		out_str(c, "Content-Length: ");
		out_uint(c, (uint64_t)length);
		out_str(c, "\r\n");
	}
	if (c->close_after)
		out_str(c, "Connection: close\r\n");
	else if (c->minor == 0)
		out_str(c, "Connection: keep-alive\r\n");      /* HTTP/1.0 asked for it */
	out_str(c, "\r\n");
	return 0;
}

/* A small HTML body saying what went wrong; none for HEAD. */
static int put_error(struct conn *c, int status, int head_only, const char *extra, const char *why)
{
	char body[256];
	int n = snprintf(body, sizeof(body),
			 "<!DOCTYPE html>\n<html><head><title>%d %s</title></head><body>"
			 "<h1>%d %s</h1><p>%s</p></body></html>\n",
			 status, http_reason(status), status, http_reason(status), why);
	if (put_head(c, status, "text/html; charset=utf-8", n, extra) < 0)
		return -1;
	if (!head_only && c->out_len + (size_t)n < OUT_SIZE) {
		memcpy(c->out + c->out_len, body, (size_t)n);
		c->out_len += (size_t)n;
	}
	return 0;
}

static const char *why_of(int status)
{
	switch (status) {
	case 400: return "The request is malformed.";
	case 403: return "That path is not served.";
	case 404: return "Nothing here by that name.";
	case 405: return "Only GET and HEAD are served here.";
	case 408: return "The request did not arrive in time.";
	case 413: return "The request body is too large.";
	case 414: return "The request-target is too long.";
	case 416: return "The range lies outside the file.";
	case 431: return "The request's header section is too large.";
	case 501: return "That method or transfer coding is not implemented.";
	case 505: return "Only HTTP/1.x is spoken here.";
	default: return "";
	}
}

/* Puts the start of the body right after the head in `out`, so a small
 * response leaves in one segment: two small writes would wait on each
 * other through Nagle and the client's delayed ACK (RFC 9293 §3.8.6.2). */
static void coalesce(struct conn *c)
{
	size_t room = OUT_SIZE - c->out_len;
	size_t n = c->body_left < room ? (size_t)c->body_left : room;
	if (!n || c->out_off)
		return;
	if (c->body_mem) {
		memcpy(c->out + c->out_len, c->body_mem, n);
		c->body_mem += n;
	} else {
		ssize_t r = pread(c->body_fd, c->out + c->out_len, n, (off_t)c->body_off);
		if (r <= 0)
			return;             /* flush() will meet the error */
		n = (size_t)r;
		c->body_off += n;
	}
	c->out_len += n;
	c->body_left -= n;
}

/* Sends what is queued; returns 1 when the response is complete, 0 when
 * the socket is full (its TP_EV_OUT resumes it), -1 on an error. */
static int flush(struct conn *c)
{
	struct tp_stack *s = c->srv->stack;
	for (;;) {
		const char *from;
		size_t len;
		if (c->out_off < c->out_len) {
			from = c->out + c->out_off;
			len = c->out_len - c->out_off;
		} else if (!c->body_left) {
			return 1;
		} else if (c->body_mem) {
			from = c->body_mem;
			len = c->body_left > SIZE_MAX ? SIZE_MAX : (size_t)c->body_left;
		} else {
			/* The next chunk of the file, only once the last one is out:
			 * the client's pace sets how fast the file is read. */
			size_t want = c->body_left < OUT_SIZE ? (size_t)c->body_left : OUT_SIZE;
			ssize_t r = pread(c->body_fd, c->out, want, (off_t)c->body_off);
			if (r <= 0)
				return -1;      /* the file shrank under us */
			c->out_off = 0;
			c->out_len = (size_t)r;
			c->body_off += (uint64_t)r;
			c->body_left -= (uint64_t)r;
			continue;
		}
		long n = tp_sock_send(s, c->fd, from, len);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->sent += (uint64_t)n;
		c->srv->stats.bytes_out += (uint64_t)n;
		c->last_active = tp_now(s);
		if (c->out_off < c->out_len) {
			c->out_off += (size_t)n;
		} else {
			c->body_mem += n;
			c->body_left -= (uint64_t)n;
		}
	}
}

/* --- answering a request ---------------------------------------------------- */

/* The request line as the log shows it: quotes, backslashes and bytes
 * outside printable ASCII escaped, so a hostile request cannot forge lines. */
static void copy_for_log(char *dst, size_t n, struct http_span method, struct http_span target, int minor,
			 int has_version)
{
	size_t o = 0;
	struct http_span parts[2] = {method, target};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < parts[k].len && o + 5 < n; i++) {
			unsigned char ch = (unsigned char)parts[k].p[i];
			if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
				o += (size_t)snprintf(dst + o, n - o, "\\x%02x", ch);
			else
				dst[o++] = (char)ch;
		}
		if (k == 0 && o + 1 < n)
			dst[o++] = ' ';
	}
	dst[o] = '\0';
	if (has_version)
		snprintf(dst + o, n - o, " HTTP/1.%d", minor);
	if (!method.len)
		snprintf(dst, n, "-");
}

/* Percent-encodes what may not stand in a Location path (RFC 3986 §3.3),
 * so a decoded "%0d%0a" cannot become a header line. */
static void encode_path(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (; *in && o + 4 < n; in++) {
		unsigned char ch = (unsigned char)*in;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    strchr("-._~!$&'()*+,;=:@/", ch))
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, n - o, "%%%02X", ch);
	}
	out[o] = '\0';
}

/* If-Range (RFC 9110 §13.1.5): the range applies only to the representation
 * the client has: a strong ETag match, or the exact Last-Modified date. */
static int if_range_holds(const struct http_request *req, const struct http_file *f)
{
	time_t t;
	if (!req->if_range.p)
		return 1;
	if (req->if_range.len && req->if_range.p[0] == '"')
		return req->if_range.len == strlen(f->etag) && !memcmp(req->if_range.p, f->etag, req->if_range.len);
	return http_date_parse(req->if_range, &t) == 0 && t == f->mtime;
}

static int serve_file(struct conn *c, const struct http_request *req, struct http_file *f)
{
	char extra[256], lm[30];
	uint64_t first = 0, last = f->size ? f->size - 1 : 0, length = f->size;
	int head_only = req->method == HTTP_HEAD, status = 200;
	time_t since;

	http_date_format(f->mtime, lm);
	int n = snprintf(extra, sizeof(extra), "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n",
			 lm, f->etag);
	/* RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only
	 * without it, and only when its date is valid (§13.1.3). */
	int not_modified = req->if_none_match.p ? http_etag_match(req->if_none_match, f->etag)
			   : req->if_modified_since.p &&
				     http_date_parse(req->if_modified_since, &since) == 0 &&
				     f->mtime <= since;
	if (not_modified) {
		if (f->fd >= 0)
			close(f->fd);
		return put_head(c, 304, NULL, -1, extra);
	}
	/* Range applies to GET only (RFC 9110 §14.2). */
	enum http_range_result r = req->method == HTTP_GET && if_range_holds(req, f)
					   ? http_range_parse(req->range, f->size, &first, &last)
					   : HTTP_RANGE_NONE;
	if (r == HTTP_RANGE_UNSATISFIABLE) {
		if (f->fd >= 0)
			close(f->fd);
		snprintf(extra + n, sizeof(extra) - (size_t)n, "Content-Range: bytes */%llu\r\n",
			 (unsigned long long)f->size);
		return put_error(c, 416, 0, extra, why_of(416));
	}
	if (r == HTTP_RANGE_OK) {
		status = 206;
		length = last - first + 1;
		snprintf(extra + n, sizeof(extra) - (size_t)n, "Content-Range: bytes %llu-%llu/%llu\r\n",
			 (unsigned long long)first, (unsigned long long)last, (unsigned long long)f->size);
	}
	if (put_head(c, status, f->content_type, (int64_t)length, extra) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		return -1;
	}
	c->body_left = head_only ? 0 : length;
	c->body_off = first;
	if (f->fd >= 0 && !head_only)
		c->body_fd = f->fd;
	else if (f->fd >= 0)
		close(f->fd);
	if (f->mem)
		c->body_mem = f->mem + first;
	return 0;
}

static int serve_status(struct conn *c, int head_only, int json)
{
	struct http_buf page = {0};
	http_status_page(c->srv->stack, &c->srv->stats, json, &page);
	if (page.failed) {
		free(page.p);
		return put_error(c, 500, head_only, NULL, "Out of memory.");
	}
	if (put_head(c, 200, json ? "application/json" : "text/html; charset=utf-8",
		     (int64_t)page.len, "Cache-Control: no-store\r\n") < 0) {
		free(page.p);
		return -1;
	}
	c->body_owned = page.p;
	c->body_mem = page.p;
	c->body_left = head_only ? 0 : page.len;
	return 0;
}

static int answer(struct conn *c, const struct http_request *req)
{
	char path[IN_SIZE], location[3 * IN_SIZE];
	struct http_file f;
	int head_only = req->method == HTTP_HEAD;
	if (req->method != HTTP_GET && req->method != HTTP_HEAD)
		return put_error(c, 405, 0, "Allow: GET, HEAD\r\n", why_of(405));
	if (http_target_path(req->target, path, sizeof(path)) < 0)
		return put_error(c, 400, head_only, NULL, "The path is malformed or leaves the site.");
	if (!strcmp(path, "/status") || !strcmp(path, "/status.json"))
		return serve_status(c, head_only, path[7] == '.');
	int e = http_docroot_lookup(&c->srv->root, path, &f);
	if (e == 301) {
		char header[sizeof(location) + 16];
		encode_path(path, location, sizeof(location) - 1);
		strcat(location, "/");
		snprintf(header, sizeof(header), "Location: %s\r\n", location);
		return put_error(c, 301, head_only, header, "It is a directory: follow the Location.");
	}
	if (e < 0)
		return put_error(c, -e, head_only, NULL, why_of(-e));
	return serve_file(c, req, &f);
}

/* One complete request head at the start of `in` (or a parse error). */
static int take_request(struct conn *c, long rc, const struct http_request *req)
{
	struct http_server *srv = c->srv;
	srv->stats.requests++;
	c->started = tp_clock_now();
	c->sent = 0;
	c->minor = req->minor;
	copy_for_log(c->line, sizeof(c->line), req->method_name, req->target, req->minor, rc > 0);
	if (rc < 0) {
		/* The framing is lost: answer, then close (RFC 9112 §9.6). */
		int status = (int)-rc;
		c->close_after = 1;
		c->in_len = 0;
		return put_error(c, status, 0, status == 405 ? "Allow: GET, HEAD\r\n" : NULL, why_of(status));
	}
	/* A chunked request body cannot be skipped without decoding it: close. */
	c->close_after = !req->keep_alive || req->chunked_body;
	c->discard = req->content_length;
	int e = answer(c, req);
	if (e == 0)
		coalesce(c);
	/* The head is used up (req points into it): drop it, keep what follows. */
	memmove(c->in, c->in + req->head_len, c->in_len - req->head_len);
	c->in_len -= req->head_len;
	return e;
}

/* --- the connection's state machine ------------------------------------- */

/* Everything that can be done now; frees c when the connection ends. */
static void conn_run(struct conn *c)
{
	struct http_server *srv = c->srv;
	struct tp_stack *s = srv->stack;
	for (;;) {
		if (c->phase == WRITING) {
			int done = flush(c);
			if (done < 0) {
				conn_free(c);
				return;
			}
			if (!done)
				return;
			log_exchange(c, "");
			end_body(c);
			c->last_active = tp_now(s);
			if (c->close_after) {
				tp_sock_shutdown(s, c->fd, TP_SHUT_WR);
				c->phase = CLOSING;
				c->in_len = 0;
			} else {
				c->phase = READING;
			}
			continue;
		}
		if (c->phase == READING && c->discard && c->in_len) {
			size_t drop = c->discard < c->in_len ? (size_t)c->discard : c->in_len;
			memmove(c->in, c->in + drop, c->in_len - drop);
			c->in_len -= drop;
			c->discard -= drop;
		}
		if (c->phase == READING && !c->discard && c->in_len) {
			struct http_request req;
			long rc = http_parse_request(c->in, c->in_len, &srv->limits, &req);
			if (rc != 0) {
				if (take_request(c, rc, &req) < 0) {
					conn_free(c);
					return;
				}
				continue;
			}
		}
		/* READING and short of a head (or skipping a body), or CLOSING. */
		size_t room = c->phase == READING ? IN_SIZE - c->in_len : IN_SIZE;
		char *into = c->phase == READING ? c->in + c->in_len : c->in;
		long n = tp_sock_recv(s, c->fd, into, room, 0);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			/* The client closed (or reset): a partial request dies with it. */
			conn_free(c);
			return;
		}
		c->last_active = tp_now(s);
		if (c->phase == READING)
			c->in_len += (size_t)n;
	}
}

static void on_conn(void *ctx, int fd, int events)
{
	(void)fd, (void)events;
	conn_run(ctx);
}

static void on_listener(void *ctx, int fd, int events)
{
	struct http_server *srv = ctx;
	(void)events;
	for (;;) {
		tp_ip4 addr;
		uint16_t port;
		char ip[16];
		int cfd = tp_sock_accept(srv->stack, fd, &addr, &port);
		if (cfd < 0)
			return;
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			tp_sock_close(srv->stack, cfd);
			continue;
		}
		c->srv = srv;
		c->fd = cfd;
		c->body_fd = -1;
		c->last_active = tp_now(srv->stack);
		snprintf(c->peer, sizeof(c->peer), "%s:%u", tp_ip4_format(addr, ip), port);
		c->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = c;
		srv->conns = c;
		srv->stats.connections++;
		srv->stats.open++;
		/* Responses are whole messages: no need to hold their tails back. */
		tp_sock_setopt(srv->stack, cfd, TP_TCP_NODELAY, 1);
		tp_sock_set_callback(srv->stack, cfd, on_conn, c);
		conn_run(c);
	}
}

/* Once a second: idle keep-alive connections close; one stuck mid-request
 * gets 408 (RFC 9110 §15.5.9); a lingering close ends. */
static void on_sweep(void *ctx)
{
	struct http_server *srv = ctx;
	tp_time now = tp_now(srv->stack);
	struct conn *next;
	for (struct conn *c = srv->conns; c; c = next) {
		next = c->next;
		tp_time idle = now - c->last_active;
		if (c->phase == CLOSING && idle >= LINGER_TIMEOUT) {
			conn_free(c);
		} else if (c->phase != CLOSING && idle >= srv->cfg.idle_timeout) {
			if (c->phase == READING && (c->in_len || c->discard)) {
				struct http_request none = {.minor = 1};
				none.method_name = (struct http_span){"", 0};
				take_request(c, -408, &none);
				conn_run(c);
			} else {
				conn_free(c);
			}
		}
	}
}

struct http_server *http_server_start(struct tp_loop *loop, const struct http_server_config *cfg,
				      char *err, size_t errlen)
{
	struct http_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->loop = loop;
	srv->stack = tp_loop_stack(loop);
	srv->cfg = *cfg;
	srv->limits = (struct http_limits)HTTP_LIMITS_DEFAULT;
	srv->limits.max_head = IN_SIZE;
	srv->listen_fd = -1;
	if (http_docroot_open(&srv->root, cfg->www, err, errlen) < 0) {
		free(srv);
		return NULL;
	}
	struct tp_stack *s = srv->stack;
	int fd = tp_sock_open(s, TP_SOCK_STREAM), e = fd < 0 ? fd : 0;
	if (!e) {
		tp_sock_setopt(s, fd, TP_SO_REUSEADDR, 1);
		e = tp_sock_bind(s, fd, 0, cfg->port);
	}
	if (!e)
		e = tp_sock_listen(s, fd, LISTEN_BACKLOG);
	srv->sweep = e ? NULL : tp_loop_timer_new(loop, on_sweep, srv);
	if (!e && (!srv->sweep || tp_loop_timer_start(srv->sweep, SWEEP_PERIOD, SWEEP_PERIOD) < 0))
		e = -ENOMEM;
	if (e < 0) {
		snprintf(err, errlen, "cannot serve HTTP on TCP port %u: %s", cfg->port, strerror(-e));
		if (fd >= 0)
			tp_sock_close(s, fd);
		tp_loop_timer_free(srv->sweep);
		http_docroot_close(&srv->root);
		free(srv);
		return NULL;
	}
	srv->listen_fd = fd;
	tp_sock_set_callback(s, fd, on_listener, srv);
	return srv;
}

void http_server_stop(struct http_server *srv)
{
	if (!srv)
		return;
	while (srv->conns)
		conn_free(srv->conns);
	tp_loop_timer_free(srv->sweep);
	tp_sock_close(srv->stack, srv->listen_fd);
	http_docroot_close(&srv->root);
	free(srv);
}

void http_server_print(const struct http_server *srv, FILE *out)
{
	const struct http_server_stats *st = &srv->stats;
	const struct {
		const char *name;
		uint64_t v;
	} rows[] = {
		{"http.connections", st->connections}, {"http.requests", st->requests},
		{"http.responses_2xx", st->responses[2]}, {"http.responses_3xx", st->responses[3]},
		{"http.responses_4xx", st->responses[4]}, {"http.responses_5xx", st->responses[5]},
		{"http.bytes_out", st->bytes_out},
	};
	fprintf(out, "tapir: http:\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (rows[i].v)
			fprintf(out, "  %-24s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
}
