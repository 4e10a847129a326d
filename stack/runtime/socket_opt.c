/*
 * socket_opt.c - options, names, flags and callbacks of the BSD-style API:
 * the system's SOL_SOCKET / IPPROTO_TCP options mapped onto the core's, the
 * timeouts and O_NONBLOCK this layer keeps itself. See socket.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>

#include "socket_impl.h"
#include "tapir/loop.h"
#include "tapir/sock.h"

/* The longest timeout a struct timeval may ask for: a year is forever here,
 * and keeps deadlines far from overflowing. */
#define TIMEO_MAX TP_SEC(365LL * 24 * 3600)

static int fail(int err)
{
	errno = err;
	return -1;
}

/* The core option for a system one that is a plain int, or -1. */
static int core_int_option(int level, int name)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR: return TP_SO_REUSEADDR;
		case SO_RCVBUF: return TP_SO_RCVBUF;
		case SO_SNDBUF: return TP_SO_SNDBUF;
		case SO_KEEPALIVE: return TP_SO_KEEPALIVE;
		case SO_ERROR: return TP_SO_ERROR;
		case SO_ACCEPTCONN: return TP_SO_ACCEPTCONN;
		default: return -1;
		}
	}
	if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY: return TP_TCP_NODELAY;
		case TCP_MAXSEG: return TP_TCP_MAXSEG;
		case TCP_KEEPIDLE: return TP_TCP_KEEPIDLE;
		case TCP_KEEPINTVL: return TP_TCP_KEEPINTVL;
		case TCP_KEEPCNT: return TP_TCP_KEEPCNT;
		default: return -1;
		}
	}
	return -1;
}

static int timeval_to_time(const struct timeval *tv, tp_time *out)
{
	if (tv->tv_sec < 0)
		return -EINVAL;
	if (tv->tv_usec < 0 || tv->tv_usec >= 1000000)
		return -EDOM;               /* POSIX: the value does not fit */
	tp_time t = (tp_time)tv->tv_usec;
	if ((tp_time)tv->tv_sec >= TIMEO_MAX / 1000000u)
		t = TIMEO_MAX;
	else
		t += TP_SEC((tp_time)tv->tv_sec);
	*out = t;
	return 0;
}

static int set_option(struct call *c, int level, int name, const void *val, socklen_t len)
{
	if (!val)
		return -EFAULT;
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		struct timeval tv;
		tp_time t;
		if (len < sizeof(tv))
			return -EINVAL;
		memcpy(&tv, val, sizeof(tv));
		int r = timeval_to_time(&tv, &t);
		if (r < 0)
			return r;
		*(name == SO_RCVTIMEO ? &c->so->rcvtimeo : &c->so->sndtimeo) = t;
		return 0;
	}
	if (level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l;
		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		int secs = !l.l_onoff ? -1 : l.l_linger < 0 ? 0 : l.l_linger;
		return tp_sock_setopt(c->stack, c->core_fd, TP_SO_LINGER, secs);
	}
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		/* A name, not necessarily NUL-terminated within len (as Linux). */
		char algo[16];
		if (len == 0 || len >= sizeof(algo))
			return len == 0 ? -EINVAL : -ENOENT;
		memcpy(algo, val, len);
		algo[len] = '\0';
		return tp_sock_set_congestion(c->stack, c->core_fd, algo);
	}
	int opt = core_int_option(level, name);
	/* Get-only options and unknown ones alike: ENOPROTOOPT, as Linux. */
	if (opt < 0 || opt == TP_SO_ERROR || opt == TP_SO_ACCEPTCONN)
		return -ENOPROTOOPT;
	int v;
	if (len < sizeof(v))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	return tp_sock_setopt(c->stack, c->core_fd, (enum tp_sockopt)opt, v);
}

int tapir_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	return (int)call_end(&c, set_option(&c, level, name, val, len));
}

/* Copies a value out; a buffer too short for it is EINVAL. */
static int put_value(void *val, socklen_t *len, const void *v, size_t size)
{
	if (*len < size)
		return -EINVAL;
	memcpy(val, v, size);
	*len = (socklen_t)size;
	return 0;
}

static int get_option(struct call *c, int level, int name, void *val, socklen_t *len)
{
	if (!val || !len)
		return -EFAULT;
	int v;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVTIMEO:
		case SO_SNDTIMEO: {
			tp_time t = name == SO_RCVTIMEO ? c->so->rcvtimeo : c->so->sndtimeo;
			struct timeval tv = {.tv_sec = (time_t)(t / 1000000u),
					     .tv_usec = (suseconds_t)(t % 1000000u)};
			return put_value(val, len, &tv, sizeof(tv));
		}
		case SO_LINGER: {
			int secs = -1;
			tp_sock_getopt(c->stack, c->core_fd, TP_SO_LINGER, &secs);
			struct linger l = {.l_onoff = secs >= 0, .l_linger = secs >= 0 ? secs : 0};
			return put_value(val, len, &l, sizeof(l));
		}
		case SO_TYPE:
			v = c->so->type;
			return put_value(val, len, &v, sizeof(v));
		case SO_DOMAIN:
			v = AF_INET;
			return put_value(val, len, &v, sizeof(v));
		case SO_PROTOCOL:
			v = c->so->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
			return put_value(val, len, &v, sizeof(v));
		default:
			break;
		}
	}
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		const char *algo = tp_sock_get_congestion(c->stack, c->core_fd);
		if (!algo)
			return -ENOPROTOOPT;
		/* Like Linux: as much of the name as fits, NUL included if it does. */
		size_t n = strlen(algo) + 1;
		if (*len < n)
			n = *len;
		memcpy(val, algo, n);
		*len = (socklen_t)n;
		return 0;
	}
	int opt = core_int_option(level, name);
	if (opt < 0)
		return -ENOPROTOOPT;
	if (level == IPPROTO_TCP && c->so->type != SOCK_STREAM)
		return -ENOPROTOOPT;
	if (*len < sizeof(v))
		return -EINVAL;             /* before SO_ERROR is read and cleared */
	int r = tp_sock_getopt(c->stack, c->core_fd, (enum tp_sockopt)opt, &v);
	return r < 0 ? r : put_value(val, len, &v, sizeof(v));
}

int tapir_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	return (int)call_end(&c, get_option(&c, level, name, val, len));
}

static int get_name(int fd, struct sockaddr *addr, socklen_t *len, int peer)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	tp_ip4 a = 0;
	uint16_t port = 0;
	if (!addr || !len)
		r = -EFAULT;
	else if (peer)
		r = tp_sock_peer(c.stack, c.core_fd, &a, &port);
	else
		r = tp_sock_name(c.stack, c.core_fd, &a, &port);
	if (!r)
		sin_put(addr, len, a, port);
	return (int)call_end(&c, r);
}

int tapir_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
	return get_name(fd, addr, len, 0);
}

int tapir_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
	return get_name(fd, addr, len, 1);
}

int tapir_set_nonblock(int fd, int on)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	c.so->nonblock = on != 0;
	return (int)call_end(&c, 0);
}

int tapir_fcntl(int fd, int cmd, ...)
{
	int arg = 0;
	if (cmd == F_SETFL || cmd == F_SETFD) {
		va_list ap;
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	switch (cmd) {
	case F_GETFL:
		r = O_RDWR | (c.so->nonblock ? O_NONBLOCK : 0);
		break;
	case F_SETFL:
		c.so->nonblock = (arg & O_NONBLOCK) != 0;
		break;
	case F_GETFD:
	case F_SETFD:
		r = 0;                      /* nothing here survives exec anyway */
		break;
	default:
		r = -EINVAL;
	}
	return (int)call_end(&c, r);
}

int tapir_set_callback(int fd, tapir_event_fn fn, void *ctx)
{
	struct call c;
	int r = call_begin(&c, fd);
	if (r < 0)
		return fail(-r);
	c.so->user_fn = fn;
	c.so->user_ctx = fn ? ctx : NULL;
	return (int)call_end(&c, 0);
}
