/*
 * http_get.c - `tapir get URL`: an HTTP/1.1 client on a virtual host of its
 * own. The loop runs on a thread of its own; the fetch is plain blocking
 * BSD-style code on the main thread (tapir/socket.h), every call bounded by
 * --timeout. Responses are framed by Content-Length, the chunked coding or
 * the close (RFC 9112 §6.3); 301/302/303/307/308 are followed.
 *
 * --timeline shows the journey, curl -w style: each step's start and
 * duration, and the TCP states the connection passed through meanwhile,
 * read from the stack's trace hook (TP_TRACE_STATE lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "dns_resolver.h"
#include "http_parse.h"
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "tapir/socket.h"
#include "vhost.h"

#define IN_SIZE 65536
#define MAX_HEAD 65536
#define MAX_STATE_EVENTS 256
#define MAX_STATIC_NAMES 16
#define CLOSE_LINGER_SECONDS 2

struct get_options {
	const char *output;         /* -o; NULL: stdout */
	int timeline, verbose;
	uint64_t max_redirects;
	tp_time timeout;
	struct {
		char name[256];
		tp_ip4 addr;
	} names[MAX_STATIC_NAMES];  /* --resolve: the static table */
	int n_names;
	tp_ip4 dns_server;          /* --dns; 0: the host side of the TAP */
};

/* A TCP state change seen in the trace: "conn L:p-R:p A -> B (why)". */
struct state_event {
	tp_time at;
	char text[160];
};

enum step { STEP_DNS, STEP_CONNECT, STEP_SENT, STEP_FIRST_BYTE, STEP_LAST_BYTE, STEP_CLOSE, N_STEPS };

static const char *const step_names[N_STEPS] = {
	"DNS lookup", "TCP connect", "request sent", "first byte", "last byte", "close",
};

struct get {
	struct vhost vh;
	struct get_options opt;
	pthread_t loop_thread;
	int out_fd;
	/* the trace, filled on the loop thread under the core lock */
	struct state_event events[MAX_STATE_EVENTS];
	int n_events, events_lost;
	/* this hop */
	struct http_url url;
	tp_ip4 addr;
	const char *resolved_how;
	char resolved_text[96];     /* resolved_how, when it is made up */
	struct tp_resolver *resolver;   /* made at the first name that needs DNS */
	tp_time start, marks[N_STEPS];
	char tuple[64];             /* "conn 10.0.0.2:49152-10.0.0.1:80 " */
	size_t request_len;
	uint64_t body_bytes;
	char in[IN_SIZE];
};

/* --- options ------------------------------------------------------------------- */

static int set_output(void *t, const char *v, char *err, size_t n)
{
	if (!*v) {
		snprintf(err, n, "wants a file name");
		return -1;
	}
	((struct get_options *)t)->output = v;
	return 0;
}

static int set_max_redirects(void *t, const char *v, char *err, size_t n)
{
	return cli_uint(v, 0, 50, &((struct get_options *)t)->max_redirects, err, n);
}

static int set_timeout(void *t, const char *v, char *err, size_t n)
{
	return cli_seconds(v, TP_MSEC(10), TP_SEC(3600), &((struct get_options *)t)->timeout, err, n);
}

static int set_resolve(void *t, const char *v, char *err, size_t n)
{
	struct get_options *o = t;
	const char *colon = strrchr(v, ':');
	if (o->n_names == MAX_STATIC_NAMES) {
		snprintf(err, n, "at most %d names", MAX_STATIC_NAMES);
		return -1;
	}
	if (!colon || colon == v || (size_t)(colon - v) >= sizeof(o->names[0].name) ||
	    tp_ip4_parse(colon + 1, &o->names[o->n_names].addr) < 0) {
		snprintf(err, n, "wants NAME:ADDRESS, like www.tapir.test:10.0.0.1");
		return -1;
	}
	memcpy(o->names[o->n_names].name, v, (size_t)(colon - v));
	o->names[o->n_names].name[colon - v] = '\0';
	o->n_names++;
	return 0;
}

static int set_dns(void *t, const char *v, char *err, size_t n)
{
	if (tp_ip4_parse(v, &((struct get_options *)t)->dns_server) < 0) {
		snprintf(err, n, "wants the DNS server's IPv4 address");
		return -1;
	}
	return 0;
}

static const struct cli_option get_options[] = {
	{"output", 'o', "FILE", "write the body to FILE instead of stdout", set_output},
	CLI_SWITCH("timeline", 0, "print each step with its timing and TCP states on stderr",
		   struct get_options, timeline),
	CLI_SWITCH("verbose", 'v', "print the request and response heads on stderr",
		   struct get_options, verbose),
	{"max-redirs", 0, "N", "follow at most N redirects (default 10)", set_max_redirects},
	{"timeout", 0, "SEC", "give up on any step after SEC seconds (default 30)", set_timeout},
	{"resolve", 0, "NAME:ADDR", "static host table entry (repeatable)", set_resolve},
	{"dns", 0, "SERVER", "DNS server for names (default: the host side of the TAP)", set_dns},
	{NULL, 0, NULL, NULL, NULL},
};

/* --- messages ------------------------------------------------------------------ */

static int failf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int failf(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tapir get: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static void verbose_lines(const struct get *g, char mark, const char *text, size_t len)
{
	if (!g->opt.verbose)
		return;
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len, line = n;
		if (line && text[line - 1] == '\r')
			line--;
		if (line)
			fprintf(stderr, "%c %.*s\n", mark, (int)line, text);
		text += nl ? n + 1 : n;
		len -= nl ? n + 1 : n;
	}
}

/* --- the trace: TCP state changes ----------------------------------------- */

static void observe(void *ctx, const struct tp_trace_event *ev)
{
	struct get *g = ctx;
	if (ev->kind != TP_TRACE_STATE || !ev->text)
		return;
	if (g->n_events == MAX_STATE_EVENTS) {
		g->events_lost++;
		return;
	}
	struct state_event *e = &g->events[g->n_events++];
	e->at = ev->time;
	snprintf(e->text, sizeof(e->text), "%s", ev->text);
}

/* --- name resolution --------------------------------------------------------- */

/*
 * THE place names become addresses. An IP literal answers itself; then the
 * static table (--resolve); then tapir's own resolver (apps/dns), asking the
 * --dns server over tapir's UDP (TCP when truncated) and following CNAMEs.
 * Its calls block, which is right here: this command runs on its own
 * thread, the loop on another.
 */
static int resolve_host(struct get *g, const char *name, tp_ip4 *addr)
{
	if (tp_ip4_parse(name, addr) == 0) {
		g->resolved_how = "an IP literal";
		return 0;
	}
	for (int i = 0; i < g->opt.n_names; i++)
		if (!strcasecmp(g->opt.names[i].name, name)) {
			*addr = g->opt.names[i].addr;
			g->resolved_how = "from the static table (--resolve)";
			return 0;
		}
	tp_ip4 server = g->opt.dns_server ? g->opt.dns_server : g->vh.cfg.host_addr;
	char err[160], sbuf[16];
	if (!g->resolver) {
		struct tp_resolver_config rc = {.server = server};
		g->resolver = tp_resolver_new(&rc, err, sizeof(err));
		if (!g->resolver)
			return failf("cannot resolve '%s': %s", name, err);
	}
	struct tp_resolve_result res;
	int e = tp_resolver_lookup_a(g->resolver, name, &res);
	if (e < 0)
		return failf("cannot resolve '%s' with the DNS server %s: %s", name,
			     tp_ip4_format(server, sbuf), tp_resolve_strerror(e));
	*addr = res.addrs[0];
	snprintf(g->resolved_text, sizeof(g->resolved_text), "from DNS (%s%s, %u CNAME%s)",
		 res.source == TP_RESOLVED_CACHE ? "cache of " : "", tp_ip4_format(server, sbuf),
		 res.cnames, res.cnames == 1 ? "" : "s");
	g->resolved_how = g->resolved_text;
	return 0;
}

/* --- one exchange ----------------------------------------------------------- */

static void mark(struct get *g, enum step s)
{
	g->marks[s] = tp_clock_now();
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int open_connection(struct get *g)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(g->url.port),
				 .sin_addr.s_addr = htonl(g->addr)};
	struct timeval tv = {.tv_sec = (time_t)(g->opt.timeout / 1000000u),
			     .tv_usec = (suseconds_t)(g->opt.timeout % 1000000u)};
	char a[16];
	tp_ip4_format(g->addr, a);
	int fd = tapir_socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return failf("socket: %s", strerror(errno));
	tapir_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	tapir_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (tapir_connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		int e = errno == EINPROGRESS ? ETIMEDOUT : errno;
		tapir_close(fd);
		return failf("connect to %s:%u: %s", a, g->url.port, strerror(e));
	}
	mark(g, STEP_CONNECT);
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	char l[16];
	tapir_getsockname(fd, (struct sockaddr *)&me, &len);
	snprintf(g->tuple, sizeof(g->tuple), "conn %s:%u-%s:%u ",
		 tp_ip4_format(ntohl(me.sin_addr.s_addr), l), ntohs(me.sin_port), a, g->url.port);
	if (g->opt.verbose)
		fprintf(stderr, "* connected to %s (%s) port %u from port %u\n", g->url.host, a,
			g->url.port, ntohs(me.sin_port));
	return fd;
}

static int send_request(struct get *g, int fd)
{
	char req[sizeof(g->url.path) + sizeof(g->url.host) + 256], host[sizeof(g->url.host) + 8];
	if (g->url.port == 80)
		snprintf(host, sizeof(host), "%s", g->url.host);
	else
		snprintf(host, sizeof(host), "%s:%u", g->url.host, g->url.port);
	/* One request per connection: say so (RFC 9112 §9.6). */
	int n = snprintf(req, sizeof(req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tapir-get/0.1\r\nAccept: */*\r\n"
			 "Connection: close\r\n\r\n", g->url.path, host);
	verbose_lines(g, '>', req, (size_t)n);
	if (tapir_send(fd, req, (size_t)n, 0) != n)
		return failf("sending the request to %s: %s", g->url.host,
			     strerror(errno == EAGAIN ? ETIMEDOUT : errno));
	g->request_len = (size_t)n;
	mark(g, STEP_SENT);
	return 0;
}

enum outcome { FETCH_FAILED = -1, FETCH_DONE, FETCH_REDIRECT };

struct body {
	struct http_response res;
	struct http_chunked chunked;
	uint64_t got;
	int deliver;                /* a 2xx: the body goes to the output */
	int done;
	/* res.reason and res.location point here: the receive buffer they
	 * were parsed from is reused for the body. */
	char reason[128], location[4096];
};

static struct http_span keep(struct http_span from, char *to, size_t size)
{
	size_t n = from.len < size - 1 ? from.len : size - 1;
	if (!from.p)
		return from;
	memcpy(to, from.p, n);
	to[n] = '\0';
	return (struct http_span){to, n};
}

/* Some body bytes: counted, decoded, delivered. -1 on a write error or a
 * malformed chunked coding. */
static int take_body(struct get *g, struct body *b, const char *p, size_t len)
{
	while (len && !b->done) {
		const char *data = p;
		size_t n = len;
		if (b->res.chunked) {
			long used = http_chunked_feed(&b->chunked, p, len, &data, &n);
			if (used < 0)
				return failf("%s: malformed chunked body (RFC 9112 §7.1)", g->url.host);
			p += used;
			len -= (size_t)used;
			b->done = b->chunked.done;
		} else {
			if (b->res.content_length >= 0 &&
			    n > (uint64_t)b->res.content_length - b->got)
				n = (size_t)((uint64_t)b->res.content_length - b->got);
			p += n;
			len -= n;
		}
		b->got += n;
		if (b->res.content_length >= 0 && b->got == (uint64_t)b->res.content_length)
			b->done = 1;
		int e = b->deliver && n ? write_all(g->out_fd, data, n) : 0;
		if (e < 0)
			return failf("writing the body: %s", strerror(-e));
		if (!b->res.chunked && b->res.content_length >= 0)
			len = 0;            /* bytes past Content-Length are not the body */
	}
	return 0;
}

static int read_response(struct get *g, int fd, struct body *b, int *eof)
{
	size_t have = 0;
	long head = 0;
	*eof = 0;
	for (;;) {
		ssize_t n = tapir_recv(fd, g->in + have, sizeof(g->in) - have, 0);
		if (n < 0)
			return failf("reading from %s: %s", g->url.host,
				     strerror(errno == EAGAIN ? ETIMEDOUT : errno));
		if (n == 0) {
			*eof = 1;
			break;
		}
		if (!g->marks[STEP_FIRST_BYTE])
			mark(g, STEP_FIRST_BYTE);
		have += (size_t)n;
		if (head > 0) {
			if (take_body(g, b, g->in, have) < 0)
				return -1;
			have = 0;
		} else {
			/* Skip interim 1xx responses (RFC 9110 §15.2). */
			while ((head = http_parse_response(g->in, have, MAX_HEAD, &b->res)) > 0 &&
			       b->res.status < 200) {
				memmove(g->in, g->in + head, have - (size_t)head);
				have -= (size_t)head;
			}
			if (head < 0)
				return failf("%s: malformed response head (%s)", g->url.host,
					     head == -E2BIG ? "too large" : "bad syntax");
			if (head == 0 && have == sizeof(g->in))
				return failf("%s: response head too large", g->url.host);
			if (head == 0)
				continue;
			verbose_lines(g, '<', g->in, (size_t)head);
			b->res.reason = keep(b->res.reason, b->reason, sizeof(b->reason));
			if (b->res.location.len >= sizeof(b->location))
				return failf("%s: Location longer than %zu bytes", g->url.host, sizeof(b->location));
			b->res.location = keep(b->res.location, b->location, sizeof(b->location));
			b->deliver = b->res.status / 100 == 2;
			/* No body after 204 and 304 (RFC 9112 §6.3 item 1). */
			if (b->res.status == 204 || b->res.status == 304)
				b->res.content_length = 0;
			if (take_body(g, b, g->in + head, have - (size_t)head) < 0)
				return -1;
			have = 0;
		}
		if (b->done || (b->res.content_length == 0 && head > 0))
			break;
	}
	if (head <= 0)
		return failf("%s closed the connection before a response", g->url.host);
	if (*eof && !b->done && (b->res.chunked || b->res.content_length >= 0))
		return failf("%s closed the connection after %llu body bytes%s", g->url.host,
			     (unsigned long long)b->got, b->res.chunked ? " (chunked, unfinished)" : "");
	mark(g, STEP_LAST_BYTE);
	g->body_bytes = b->got;
	return 0;
}

/* The four-way teardown, seen through: shut our side, read until the
 * server's FIN, then close and wait (SO_LINGER) until our FIN is acked. */
static void close_connection(struct get *g, int fd, int eof)
{
	char scrap[4096];
	if (!eof) {
		tapir_shutdown(fd, SHUT_WR);
		for (int i = 0; i < 1000 && tapir_recv(fd, scrap, sizeof(scrap), 0) > 0; i++)
			;
	}
	struct linger lg = {.l_onoff = 1, .l_linger = CLOSE_LINGER_SECONDS};
	tapir_setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	tapir_close(fd);
	mark(g, STEP_CLOSE);
}

/* --- the timeline ---------------------------------------------------------------- */

/* "ESTABLISHED" from "conn ... SYN_SENT -> ESTABLISHED (why)". */
static int state_after(const char *text, char *out, size_t n)
{
	const char *arrow = strstr(text, " -> ");
	if (!arrow)
		return -1;
	arrow += 4;
	size_t len = strcspn(arrow, " ");
	snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), arrow);
	return 0;
}

static void print_timeline(struct get *g, const struct body *b)
{
	static const char *const notes[N_STEPS] = {
		NULL, "SYN -> SYN-ACK -> ACK", NULL, "time to first byte", NULL, "FIN and ACK each way",
	};
	char state[32] = "CLOSED";
	int next = 0;
	tp_time prev = g->start;
	tp_loop_lock(g->vh.loop);   /* the trace is filled under it */
	fprintf(stderr, "tapir get: timeline of http://%s:%u%s -> %d %.*s\n", g->url.host, g->url.port,
		g->url.path, b->res.status, (int)b->res.reason.len, b->res.reason.p);
	fprintf(stderr, "  %-13s %10s %10s   %s\n", "step", "at ms", "took ms", "TCP states (and what)");
	for (int s = 0; s < N_STEPS; s++) {
		char line[512];
		int o = snprintf(line, sizeof(line), "%s", state);
		for (; next < g->n_events && g->events[next].at <= g->marks[s]; next++) {
			if (strncmp(g->events[next].text, g->tuple, strlen(g->tuple)) ||
			    state_after(g->events[next].text, state, sizeof(state)) < 0)
				continue;
			o += snprintf(line + o, sizeof(line) - (size_t)o, " -> %s", state);
		}
		char what[160] = "";
		if (s == STEP_DNS)
			snprintf(what, sizeof(what), "%.80s is %s: %s", g->url.host, g->resolved_how,
				 tp_ip4_format(g->addr, (char[16]){0}));
		else if (s == STEP_SENT)
			snprintf(what, sizeof(what), "%zu bytes: GET %.80s", g->request_len, g->url.path);
		else if (s == STEP_LAST_BYTE)
			snprintf(what, sizeof(what), "%llu body bytes", (unsigned long long)g->body_bytes);
		else if (notes[s])
			snprintf(what, sizeof(what), "%s", notes[s]);
		fprintf(stderr, "  %-13s %10.3f %10.3f   %s%s%s%s\n", step_names[s],
			(double)(g->marks[s] - g->start) / 1000.0, (double)(g->marks[s] - prev) / 1000.0,
			s == STEP_DNS ? "" : line, s == STEP_DNS ? "" : "  (", what, s == STEP_DNS ? "" : ")");
		prev = g->marks[s];
	}
	if (g->events_lost)
		fprintf(stderr, "  (%d state changes not recorded)\n", g->events_lost);
	g->n_events = g->events_lost = 0;
	tp_loop_unlock(g->vh.loop);
}

/* One request and its response; a redirect's target lands in *next. */
static enum outcome fetch_once(struct get *g, struct http_url *next)
{
	struct body b;
	int eof;
	memset(&b, 0, sizeof(b));
	memset(g->marks, 0, sizeof(g->marks));
	g->start = tp_clock_now();
	if (resolve_host(g, g->url.host, &g->addr) < 0)
		return FETCH_FAILED;
	mark(g, STEP_DNS);
	int fd = open_connection(g);
	if (fd < 0)
		return FETCH_FAILED;
	if (send_request(g, fd) < 0 || read_response(g, fd, &b, &eof) < 0) {
		tapir_close(fd);
		return FETCH_FAILED;
	}
	close_connection(g, fd, eof);
	if (g->opt.timeline)
		print_timeline(g, &b);
	int status = b.res.status;
	if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
		if (!b.res.location.p) {
			failf("%d %.*s without a Location", status, (int)b.res.reason.len, b.res.reason.p);
			return FETCH_FAILED;
		}
		int e = http_url_resolve(&g->url, b.res.location, next);
		if (e < 0) {
			failf("redirect to '%.*s': %s", (int)(b.res.location.len > 200 ? 200 : b.res.location.len),
			      b.res.location.p, strerror(-e));
			return FETCH_FAILED;
		}
		return FETCH_REDIRECT;
	}
	if (!b.deliver) {
		failf("http://%s:%u%s: %d %.*s", g->url.host, g->url.port, g->url.path, status,
		      (int)b.res.reason.len, b.res.reason.p);
		return FETCH_FAILED;
	}
	return FETCH_DONE;
}

static int fetch(struct get *g, const char *target)
{
	int e = http_url_parse(target, &g->url);
	if (e < 0)
		return failf("'%.200s': %s", target,
			     e == -EPROTONOSUPPORT ? "only http:// URLs are supported" : strerror(-e));
	for (uint64_t hops = 0;; hops++) {
		struct http_url next;
		enum outcome o = fetch_once(g, &next);
		if (o != FETCH_REDIRECT)
			return o == FETCH_DONE ? 0 : -1;
		if (hops == g->opt.max_redirects)
			return failf("too many redirects (%llu)", (unsigned long long)g->opt.max_redirects);
		if (g->opt.verbose || g->opt.timeline)
			fprintf(stderr, "* following the redirect to http://%s:%u%s\n", next.host, next.port,
				next.path);
		g->url = next;
	}
}

/* --- the command -------------------------------------------------------------------- */

static void *run_loop(void *arg)
{
	struct get *g = arg;
	vhost_run(&g->vh);
	return NULL;
}

static int get_run(struct get *g, const char *url)
{
	if (tapir_attach(g->vh.loop) < 0)
		return failf("attaching the socket API: %s", strerror(errno));
	if (pthread_create(&g->loop_thread, NULL, run_loop, g) != 0) {
		tapir_detach(g->vh.loop);
		return failf("starting the loop thread");
	}
	int e = fetch(g, url);
	tp_resolver_free(g->resolver);      /* its sockets, while the loop still runs */
	g->resolver = NULL;
	tp_loop_stop(g->vh.loop);
	pthread_join(g->loop_thread, NULL);
	tapir_detach(g->vh.loop);
	return e;
}

int cmd_get(int argc, char **argv)
{
	struct vhost_config net;
	vhost_config_defaults(&net);
	net.messages = stderr;      /* stdout carries the body */
	struct get *g = calloc(1, sizeof(*g));
	if (!g) {
		failf("%s", strerror(ENOMEM));
		return 1;
	}
	g->opt.max_redirects = 10;
	g->opt.timeout = TP_SEC(30);
	const struct cli_group groups[] = {
		{"get", get_options, &g->opt},
		{VHOST_OPTIONS_TITLE, vhost_options, &net},
	};
	const struct cli_command cmd = {
		.name = "tapir get",
		.synopsis = "[options] URL",
		.about = "Brings up a virtual host on a new TAP and fetches an http:// URL from it with\n"
			 "HTTP/1.1, following redirects; the body goes to stdout (or -o FILE). Exit\n"
			 "status 0 on a 2xx response, 1 on any failure (said on stderr).",
		.details = vhost_impair_help,
		.groups = groups,
		.n_groups = 2,
		.min_operands = 1,
		.max_operands = 1,
	};
	char *operands[1];
	int n_operands, status = CLI_EXIT_USAGE;
	int parsed = cli_parse(&cmd, argc, argv, operands, &n_operands);
	if (parsed != CLI_OK) {
		status = parsed;
		goto out;
	}
	if (vhost_config_check(&net, &cmd) < 0)
		goto out;
	status = 1;
	g->out_fd = STDOUT_FILENO;
	if (g->opt.output &&
	    (g->out_fd = open(g->opt.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		failf("-o %s: %s", g->opt.output, strerror(errno));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	net.observe = observe;
	net.observe_ctx = g;
	if (vhost_up(&g->vh, &net) < 0)
		goto out;
	status = get_run(g, operands[0]) < 0 ? 1 : 0;
	vhost_down(&g->vh, g->opt.verbose || net.trace ? stderr : NULL);
out:
	if (g->opt.output && g->out_fd >= 0 && g->out_fd != STDOUT_FILENO)
		close(g->out_fd);
	free(g);
	return status;
}
