/*
 * nc.c - `tapir nc`: a tiny netcat on a virtual host of its own. Copies
 * stdin to a TCP (or UDP) socket of the tapir stack and the socket to
 * stdout; on EOF from stdin it half-closes (shutdown SHUT_WR) and it exits
 * when the peer closes (and stdin, unless a terminal, has ended). Everything runs on the loop thread with the core's
 * non-blocking socket calls: stdin and stdout are loop fds like the TAP, and
 * each side stops reading while the other cannot take more (back-pressure
 * reaches the peer as a closing TCP window).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "commands.h"
#include "tapir/loop.h"
#include "tapir/sock.h"
#include "tapir/tap.h"
#include "vhost.h"

#define NC_BUF_SIZE 65536
#define UDP_PAYLOAD_MAX 65507
/* After the peer closed: how long our own FIN may take to be acknowledged. */
#define CLOSE_LINGER TP_SEC(5)

struct nc_options {
	int listen, udp, verbose, no_stdin;
	uint64_t local_port;        /* -p; 0: ephemeral */
	tp_time connect_timeout;    /* -w; 0: the stack's own SYN retries */
	tp_time udp_linger;         /* -q: UDP, after stdin's EOF */
};

/* One direction of the copy: our end is a local fd (0 or 1). */
struct pipe_end {
	int fd;
	uint8_t buf[NC_BUF_SIZE];
	size_t off, len;            /* bytes buf[off..len) wait to be passed on */
	int eof;
	int watched;                /* registered with the loop */
	int unpollable;             /* epoll refuses it (a regular file): always ready */
	int saved_flags;            /* to restore at exit; -1: untouched */
};

enum nc_phase { NC_WAITING, NC_CONNECTED, NC_CLOSING, NC_DONE };

struct nc {
	struct vhost vh;
	struct nc_options opt;
	tp_ip4 host;
	uint16_t port;
	char where[24];             /* "10.0.0.1:5000", for messages */
	int listen_fd, fd;
	enum nc_phase phase;
	int status;
	int shut_wr;
	struct pipe_end in, out;    /* stdin -> socket, socket -> stdout */
	struct tp_loop_timer *timer;    /* connect timeout, close linger, UDP linger */
};

/* --- options ---------------------------------------------------------------- */

static int set_local_port(void *t, const char *v, char *err, size_t n)
{
	return cli_uint(v, 1, 65535, &((struct nc_options *)t)->local_port, err, n);
}

static int set_wait(void *t, const char *v, char *err, size_t n)
{
	return cli_seconds(v, TP_MSEC(1), TP_SEC(3600), &((struct nc_options *)t)->connect_timeout,
			   err, n);
}

static int set_quit(void *t, const char *v, char *err, size_t n)
{
	return cli_seconds(v, 0, TP_SEC(3600), &((struct nc_options *)t)->udp_linger, err, n);
}

static const struct cli_option nc_options[] = {
	CLI_SWITCH("listen", 'l', "listen for one connection on PORT instead of connecting",
		   struct nc_options, listen),
	CLI_SWITCH("udp", 'u', "UDP instead of TCP", struct nc_options, udp),
	CLI_SWITCH("no-stdin", 'd', "do not read stdin: only receive, close when the peer does",
		   struct nc_options, no_stdin),
	CLI_SWITCH("verbose", 'v', "say what happens on stderr, and the counters at exit",
		   struct nc_options, verbose),
	{"source-port", 'p', "PORT", "connect from this local port", set_local_port},
	{"wait", 'w', "SEC", "give up connecting after SEC seconds", set_wait},
	{"quit", 'q', "SEC", "UDP: after EOF on stdin, wait SEC for replies (default 1)", set_quit},
	{NULL, 0, NULL, NULL, NULL},
};

/* --- ending --------------------------------------------------------------- */

static void finish(struct nc *nc, int status)
{
	if (nc->phase == NC_DONE)
		return;
	nc->phase = NC_DONE;
	nc->status = status;
	tp_loop_stop(nc->vh.loop);
}

static void fail(struct nc *nc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct nc *nc, const char *fmt, ...)
{
	va_list ap;
	if (nc->phase == NC_DONE)
		return;
	fprintf(stderr, "tapir nc: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	finish(nc, 1);
}

static void say(const struct nc *nc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct nc *nc, const char *fmt, ...)
{
	va_list ap;
	if (!nc->opt.verbose)
		return;
	fprintf(stderr, "tapir nc: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- the two local ends --------------------------------------------------- */

static void pump(struct nc *nc);

static int on_local_ready(void *ctx, int fd, uint32_t events)
{
	(void)fd, (void)events;
	pump(ctx);
	return 0;
}

/* Non-blocking, so neither end ever stalls the stack; restored at exit
 * (a terminal is shared with the shell). */
static void make_nonblocking(struct pipe_end *p)
{
	int flags = fcntl(p->fd, F_GETFL);
	p->saved_flags = -1;
	if (flags >= 0 && !(flags & O_NONBLOCK) && fcntl(p->fd, F_SETFL, flags | O_NONBLOCK) == 0)
		p->saved_flags = flags;
}

static void restore_blocking(struct pipe_end *p)
{
	if (p->saved_flags >= 0)
		fcntl(p->fd, F_SETFL, p->saved_flags);
}

/* Watches the end's fd while `want`, so a level-triggered loop never spins
 * on an end we are not ready to serve. */
static void watch(struct nc *nc, struct pipe_end *p, int want, uint32_t events)
{
	if (p->unpollable || want == p->watched)
		return;
	if (!want) {
		tp_loop_del_fd(nc->vh.loop, p->fd);
		p->watched = 0;
		return;
	}
	int e = tp_loop_add_fd(nc->vh.loop, p->fd, events, on_local_ready, nc);
	if (e == -EPERM)
		p->unpollable = 1;      /* a regular file: it never blocks */
	else if (e < 0)
		fail(nc, "watching fd %d: %s", p->fd, strerror(-e));
	else
		p->watched = 1;
}

/* --- the copy ------------------------------------------------------------ */

/* stdin -> socket, until either side would block. */
static void copy_to_socket(struct nc *nc)
{
	struct tp_stack *s = nc->vh.stack;
	struct pipe_end *in = &nc->in;
	size_t chunk = nc->opt.udp ? UDP_PAYLOAD_MAX : sizeof(in->buf);

	if (nc->phase != NC_CONNECTED || nc->shut_wr || nc->opt.no_stdin)
		return;
	for (;;) {
		if (in->off == in->len) {
			if (in->eof)
				break;
			ssize_t n = read(in->fd, in->buf, chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0) {
				fail(nc, "reading stdin: %s", strerror(errno));
				return;
			}
			in->off = 0;
			in->len = (size_t)n;
			in->eof = n == 0;
			continue;
		}
		long n = tp_sock_send(s, nc->fd, in->buf + in->off, in->len - in->off);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			fail(nc, "%s: %s", nc->where, strerror((int)-n));
			return;
		}
		in->off += nc->opt.udp ? in->len - in->off : (size_t)n;
	}
	if (!in->eof || in->off != in->len)
		return;
	if (nc->opt.udp) {
		/* Replies may still come: linger, then go. */
		say(nc, "EOF on stdin: waiting %g s for replies", (double)nc->opt.udp_linger / 1e6);
		tp_loop_timer_start(nc->timer, nc->opt.udp_linger, 0);
	} else {
		say(nc, "EOF on stdin: sending FIN (shutdown SHUT_WR)");
		tp_sock_shutdown(s, nc->fd, TP_SHUT_WR);
	}
	nc->shut_wr = 1;
}

/* UDP listening: the first datagram's sender becomes the peer. */
static void adopt_sender(struct nc *nc, tp_ip4 from, uint16_t port)
{
	char a[16];
	tp_sock_connect(nc->vh.stack, nc->fd, from, port);
	nc->host = from;
	nc->port = port;
	snprintf(nc->where, sizeof(nc->where), "%s:%u", tp_ip4_format(from, a), port);
	nc->phase = NC_CONNECTED;
	say(nc, "datagrams from %s", nc->where);
}

/* socket -> stdout, until either side would block. */
static void copy_from_socket(struct nc *nc)
{
	struct tp_stack *s = nc->vh.stack;
	struct pipe_end *out = &nc->out;

	for (;;) {
		if (out->off < out->len) {
			ssize_t w = write(out->fd, out->buf + out->off, out->len - out->off);
			if (w >= 0) {
				out->off += (size_t)w;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			if (errno == EPIPE) {
				/* The reader went away (`| head`): nothing left to
				 * do. Nobody reads what the peer still sends, and our
				 * stack ends with us, so it could never hear a reset
				 * later: reset now (SO_LINGER 0, RFC 9293 §3.10.5). */
				say(nc, "stdout closed: stopping, resetting the connection");
				tp_sock_setopt(nc->vh.stack, nc->fd, TP_SO_LINGER, 0);
				tp_sock_close(nc->vh.stack, nc->fd);
				nc->fd = -1;
				finish(nc, 0);
			} else {
				fail(nc, "writing stdout: %s", strerror(errno));
			}
			return;
		}
		if (out->eof || (nc->phase == NC_WAITING && !(nc->opt.udp && nc->opt.listen)))
			break;
		tp_ip4 from;
		uint16_t port;
		long n = tp_sock_recvfrom(s, nc->fd, out->buf, sizeof(out->buf), 0, &from, &port);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			fail(nc, "%s: %s", nc->where, strerror((int)-n));
			return;
		}
		if (n == 0 && !nc->opt.udp) {
			say(nc, "%s closed its side", nc->where);
			out->eof = 1;
			break;
		}
		if (nc->phase == NC_WAITING)
			adopt_sender(nc, from, port);
		out->off = 0;
		out->len = (size_t)n;
	}
}

/* Our FIN acknowledged (or the connection gone): a clean end. */
struct conn_probe {
	int fd, open;
};

static void probe_conn(void *ctx, const struct tp_tcp_info *info)
{
	struct conn_probe *p = ctx;
	if (info->fd == p->fd && strcmp(info->state, "TIME_WAIT") && strcmp(info->state, "CLOSED"))
		p->open = 1;
}

static int fin_acknowledged(struct nc *nc)
{
	struct conn_probe p = {.fd = nc->fd};
	tp_tcp_foreach(nc->vh.stack, probe_conn, &p);
	return !p.open;
}

static void pump(struct nc *nc)
{
	copy_to_socket(nc);
	if (nc->phase != NC_DONE)
		copy_from_socket(nc);
	if (nc->phase == NC_DONE)
		return;
	struct pipe_end *in = &nc->in, *out = &nc->out;
	watch(nc, in, nc->phase == NC_CONNECTED && !nc->shut_wr && !nc->opt.no_stdin &&
		      in->off == in->len, EPOLLIN);
	watch(nc, out, out->off < out->len, EPOLLOUT);
	if (nc->opt.udp || !out->eof || out->off < out->len)
		return;
	/* The peer is done and all it sent is out. A half-closed peer still
	 * takes data (RFC 9293 §3.6): stdin from a file or a pipe goes on to
	 * its end; from a terminal, nobody may ever type the EOF, so we stop. */
	if (!nc->shut_wr && !nc->opt.no_stdin && !isatty(STDIN_FILENO))
		return;
	/* Close our side too. */
	if (!nc->shut_wr) {
		tp_sock_shutdown(nc->vh.stack, nc->fd, TP_SHUT_WR);
		nc->shut_wr = 1;
		watch(nc, in, 0, EPOLLIN);
	}
	if (fin_acknowledged(nc)) {
		finish(nc, 0);
	} else if (nc->phase != NC_CLOSING) {
		nc->phase = NC_CLOSING;
		tp_loop_timer_start(nc->timer, CLOSE_LINGER, 0);
	}
}

/* --- the socket ----------------------------------------------------------- */

static void on_socket(void *ctx, int fd, int events)
{
	struct nc *nc = ctx;
	if (nc->phase == NC_WAITING && !nc->opt.udp) {
		if (!(events & (TP_EV_OUT | TP_EV_ERR | TP_EV_HUP)))
			return;
		int err = 0;
		tp_sock_getopt(nc->vh.stack, fd, TP_SO_ERROR, &err);
		if (err) {
			fail(nc, "connect to %s: %s", nc->where, strerror(err));
			return;
		}
		tp_loop_timer_stop(nc->timer);
		nc->phase = NC_CONNECTED;
		say(nc, "connected to %s", nc->where);
	}
	pump(nc);
}

static void on_listener(void *ctx, int fd, int events)
{
	struct nc *nc = ctx;
	struct tp_stack *s = nc->vh.stack;
	tp_ip4 from;
	uint16_t port;
	char a[16];
	(void)events;
	int cfd = tp_sock_accept(s, fd, &from, &port);
	if (cfd == -EAGAIN)
		return;
	if (cfd < 0) {
		fail(nc, "accept: %s", strerror(-cfd));
		return;
	}
	/* One connection, like nc -l: later SYNs find no listener (RST). */
	tp_sock_close(s, fd);
	nc->listen_fd = -1;
	nc->fd = cfd;
	snprintf(nc->where, sizeof(nc->where), "%s:%u", tp_ip4_format(from, a), port);
	nc->phase = NC_CONNECTED;
	say(nc, "connection from %s", nc->where);
	tp_sock_set_callback(s, cfd, on_socket, nc);
	pump(nc);
}

static void on_timer(void *ctx)
{
	struct nc *nc = ctx;
	if (nc->phase == NC_WAITING)
		fail(nc, "connect to %s: %s", nc->where, strerror(ETIMEDOUT));
	else if (nc->phase == NC_CLOSING)
		say(nc, "no answer to our FIN in %g s: leaving", (double)CLOSE_LINGER / 1e6);
	finish(nc, nc->phase == NC_WAITING ? 1 : 0);
}

/* Opens the socket and connects or listens; prints why not and returns -1. */
static int open_socket(struct nc *nc)
{
	struct tp_stack *s = nc->vh.stack;
	int fd = tp_sock_open(s, nc->opt.udp ? TP_SOCK_DGRAM : TP_SOCK_STREAM);
	int e = fd < 0 ? fd : 0;
	const char *doing = "opening a socket";
	char a[16];
	tp_ip4_format(nc->vh.cfg.addr, a);

	if (!e && nc->opt.listen) {
		doing = "listening";
		tp_sock_setopt(s, fd, TP_SO_REUSEADDR, 1);
		e = tp_sock_bind(s, fd, 0, nc->port);
		if (!e && !nc->opt.udp)
			e = tp_sock_listen(s, fd, 1);
		if (!e)
			say(nc, "listening on %s:%u (%s)", a, nc->port, nc->opt.udp ? "UDP" : "TCP");
	} else if (!e) {
		doing = "connecting";
		if (nc->opt.local_port)
			e = tp_sock_bind(s, fd, 0, (uint16_t)nc->opt.local_port);
		if (!e)
			e = tp_sock_connect(s, fd, nc->host, nc->port);
		if (e == -EINPROGRESS)
			e = 0;
		if (!e && nc->opt.udp)
			nc->phase = NC_CONNECTED;
	}
	if (e < 0) {
		fprintf(stderr, "tapir nc: %s %s: %s\n", doing, nc->where, strerror(-e));
		if (fd >= 0)
			tp_sock_close(s, fd);
		return -1;
	}
	if (nc->opt.listen && !nc->opt.udp) {
		nc->listen_fd = fd;
		tp_sock_set_callback(s, fd, on_listener, nc);
	} else {
		nc->fd = fd;
		tp_sock_set_callback(s, fd, on_socket, nc);
	}
	if (!nc->opt.listen && !nc->opt.udp && nc->opt.connect_timeout)
		tp_loop_timer_start(nc->timer, nc->opt.connect_timeout, 0);
	return 0;
}

static int nc_run(struct nc *nc)
{
	nc->in = (struct pipe_end){.fd = STDIN_FILENO, .saved_flags = -1};
	nc->out = (struct pipe_end){.fd = STDOUT_FILENO, .saved_flags = -1};
	nc->listen_fd = nc->fd = -1;
	nc->timer = tp_loop_timer_new(nc->vh.loop, on_timer, nc);
	if (!nc->timer) {
		fprintf(stderr, "tapir nc: %s\n", strerror(ENOMEM));
		return 1;
	}
	char a[16], h[16];
	say(nc, "%s up on %s (host side %s/%u)", tp_ip4_format(nc->vh.cfg.addr, a),
	    tp_tap_name(nc->vh.tap), tp_ip4_format(nc->vh.cfg.host_addr, h),
	    nc->vh.cfg.host_prefix_len);
	if (open_socket(nc) < 0) {
		tp_loop_timer_free(nc->timer);
		return 1;
	}
	make_nonblocking(&nc->in);
	make_nonblocking(&nc->out);
	pump(nc);               /* UDP may send at once; TCP waits for its socket */
	tp_sock_dispatch(nc->vh.stack);
	int failed = vhost_run(&nc->vh) < 0;
	restore_blocking(&nc->in);
	restore_blocking(&nc->out);
	tp_loop_timer_free(nc->timer);
	/* Whatever is still open says goodbye on the TAP before it goes: a
	 * FIN, or a RST if data we did not read would be lost (`| head`). */
	if (nc->fd >= 0)
		tp_sock_close(nc->vh.stack, nc->fd);
	if (nc->listen_fd >= 0)
		tp_sock_close(nc->vh.stack, nc->listen_fd);
	if (failed)
		return 1;
	/* Stopped by Ctrl-C / SIGTERM: fine once a conversation took place. */
	return nc->phase == NC_DONE ? nc->status : nc->phase == NC_WAITING;
}

int cmd_nc(int argc, char **argv)
{
	struct vhost_config net;
	vhost_config_defaults(&net);
	net.messages = stderr;      /* stdout carries the data */
	struct nc *nc = calloc(1, sizeof(*nc));
	if (!nc) {
		fprintf(stderr, "tapir nc: %s\n", strerror(ENOMEM));
		return 1;
	}
	nc->opt.udp_linger = TP_SEC(1);
	const struct cli_group groups[] = {
		{"nc", nc_options, &nc->opt},
		{VHOST_OPTIONS_TITLE, vhost_options, &net},
	};
	const struct cli_command cmd = {
		.name = "tapir nc",
		.synopsis = "[options] HOST PORT | -l [options] PORT",
		.about = "Brings up a virtual host on a new TAP and connects from it to HOST:PORT (or,\n"
			 "with -l, waits for one connection to PORT), copying stdin to the connection\n"
			 "and the connection to stdout. At EOF on stdin it closes its sending side\n"
			 "(TCP half-close); it exits when the peer closes and stdin has ended (from a\n"
			 "terminal: when the peer closes). Exit status: 0 after a\n"
			 "clean end, 1 if the connection failed (refused, reset, timed out).",
		.details = vhost_impair_help,
		.groups = groups,
		.n_groups = 2,
		.min_operands = 1,
		.max_operands = 2,
	};
	char *operands[2];
	int n_operands, status = CLI_EXIT_USAGE;
	int parsed = cli_parse(&cmd, argc, argv, operands, &n_operands);
	if (parsed != CLI_OK) {
		status = parsed;
		goto out;
	}
	if (!nc->opt.listen && n_operands != 2) {
		cli_fail(&cmd, "missing PORT (usage: %s %s)", cmd.name, cmd.synopsis);
		goto out;
	}
	if (nc->opt.listen && n_operands == 2 && cli_host(&cmd, operands[0], &nc->host) < 0)
		goto out;
	if (cli_port(&cmd, operands[n_operands - 1], &nc->port) < 0)
		goto out;
	if (!nc->opt.listen && cli_host(&cmd, operands[0], &nc->host) < 0)
		goto out;
	if (vhost_config_check(&net, &cmd) < 0)
		goto out;
	if (nc->opt.listen && nc->host && nc->host != net.addr) {
		cli_fail(&cmd, "-l %s: tapir can only listen on its own address (--addr)", operands[0]);
		goto out;
	}
	char a[16];
	snprintf(nc->where, sizeof(nc->where), "%s:%u",
		 tp_ip4_format(nc->opt.listen ? net.addr : nc->host, a), nc->port);
	/* A reader that goes away is EPIPE from write(), handled, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	status = 1;
	if (vhost_up(&nc->vh, &net) < 0)
		goto out;
	status = nc_run(nc);
	vhost_down(&nc->vh, nc->opt.verbose || net.trace ? stderr : NULL);
out:
	free(nc);
	return status;
}
