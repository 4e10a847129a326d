/* vhost.c - network flags, bring-up, trace and capture, teardown; see vhost.h. */
#include "vhost.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include "decode.h"
#include "tapir/clock.h"
#include "tapir/control.h"
#include "tapir/loop.h"
#include "tapir/pcap.h"
#include "tapir/sock.h"
#include "tapir/tap.h"

#define PCAP_FLUSH_PERIOD TP_SEC(1)

/* --- flags ------------------------------------------------------------ */

static tp_ip4 mask_of(uint8_t prefix_len)
{
	return prefix_len ? ~0u << (32 - prefix_len) : 0;
}

/* Why `a` cannot be a host's own unicast address on a /prefix_len, or NULL. */
static const char *unusable(tp_ip4 a, uint8_t prefix_len)
{
	if (a >> 24 == 0)
		return "is in 0.0.0.0/8, which names no host";
	if (a >> 24 == 127)
		return "is a loopback address";
	if (a >> 28 == 0xe)
		return "is a multicast address";
	if (a >> 28 == 0xf)
		return "is reserved (240.0.0.0/4) or broadcast";
	/* RFC 3021: /31 and /32 have no network or broadcast address. */
	if (prefix_len <= 30 && (a & ~mask_of(prefix_len)) == 0)
		return "is the subnet's network address";
	if (prefix_len <= 30 && (a & ~mask_of(prefix_len)) == ~mask_of(prefix_len))
		return "is the subnet's broadcast address";
	return NULL;
}

static int parse_host_cidr(const char *v, tp_ip4 *addr, uint8_t *prefix_len, char *err, size_t n)
{
	if (!strchr(v, '/') || tp_ip4_parse_cidr(v, addr, prefix_len) < 0) {
		snprintf(err, n, "wants an address and prefix length, like 10.0.0.2/24");
		return -1;
	}
	if (*prefix_len == 0) {
		snprintf(err, n, "a /0 prefix would put the whole Internet on the TAP");
		return -1;
	}
	const char *why = unusable(*addr, *prefix_len);
	if (why) {
		snprintf(err, n, "%s", why);
		return -1;
	}
	return 0;
}

static int set_tap(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	if (tp_tap_check_name(v, err, n) < 0)
		return -1;
	c->tap_name = v;
	return 0;
}

static int set_addr(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	return parse_host_cidr(v, &c->addr, &c->prefix_len, err, n);
}

static int set_host_addr(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	return parse_host_cidr(v, &c->host_addr, &c->host_prefix_len, err, n);
}

static int set_mac(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	static const uint8_t zero[6];
	if (tp_mac_parse(v, c->mac) < 0) {
		snprintf(err, n, "wants six hex bytes, like 02:00:00:00:00:02");
		return -1;
	}
	if (c->mac[0] & 1) {
		snprintf(err, n, "is a multicast MAC (lowest bit of the first byte set)");
		return -1;
	}
	if (!memcmp(c->mac, zero, 6)) {
		snprintf(err, n, "the all-zero MAC names no interface");
		return -1;
	}
	c->mac_set = 1;
	return 0;
}

static int set_mtu(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	uint64_t mtu;
	/* 68: RFC 791's minimum; 9000: a jumbo frame, the core's limit. */
	if (cli_uint(v, 68, 9000, &mtu, err, n) < 0)
		return -1;
	c->mtu = (uint16_t)mtu;
	return 0;
}

static int set_gateway(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	if (tp_ip4_parse(v, &c->gateway) < 0) {
		snprintf(err, n, "wants an IPv4 address, like 10.0.0.1");
		return -1;
	}
	const char *why = unusable(c->gateway, 32);
	if (why) {
		snprintf(err, n, "%s", why);
		return -1;
	}
	c->gateway_set = 1;
	return 0;
}

static int set_pcap(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	if (!*v) {
		snprintf(err, n, "wants a file name");
		return -1;
	}
	c->pcap_path = v;
	return 0;
}

static int set_seed(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	if (cli_uint(v, 0, UINT64_MAX, &c->seed, err, n) < 0)
		return -1;
	c->seed_set = 1;
	return 0;
}

static int set_msl(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	return cli_seconds(v, TP_MSEC(1), TP_SEC(3600), &c->msl, err, n);
}

/* The budget of every TCP connection's buffers together, in MiB: at least
 * one (a few connections' worth), at most 64 GiB. */
static int set_tcp_mem(void *t, const char *v, char *err, size_t n)
{
	uint64_t mib;
	if (cli_uint(v, 1, 65536, &mib, err, n) < 0)
		return -1;
	((struct vhost_config *)t)->tcp_mem = mib << 20;
	return 0;
}

static int set_napi_thread(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	uint64_t mb;
	c->napi_thread_set = 1;
	if (!strcmp(v, "on") || !strcmp(v, "off")) {
		c->napi_thread = !strcmp(v, "on") ? VHOST_NAPI_ON : VHOST_NAPI_OFF;
		return 0;
	}
	c->napi_thread = VHOST_NAPI_AUTO;
	if (!strcmp(v, "auto"))
		return 0;
	if (!strncmp(v, "auto:", 5) && cli_uint(v + 5, 1, 100000, &mb, err, n) == 0) {
		c->napi_auto_rate = mb << 20;
		return 0;
	}
	snprintf(err, n, "wants auto, auto:MB (MiB/s that turn it on), on or off");
	return -1;
}

static int set_cc(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	/* The stack knows its algorithms: look the name up in its list. */
	char names[64];
	snprintf(names, sizeof(names), "%s", tp_tcp_congestion_names());
	for (char *save, *name = strtok_r(names, " ", &save); name; name = strtok_r(NULL, " ", &save))
		if (!strcmp(name, v)) {
			snprintf(c->cc, sizeof(c->cc), "%s", v);
			return 0;
		}
	snprintf(err, n, "'%.32s' is not one of: %s", v, tp_tcp_congestion_names());
	return -1;
}

static int set_control(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	if (!*v) {
		snprintf(err, n, "wants a path for the control socket");
		return -1;
	}
	c->control_path = v;
	return 0;
}

static int set_impair(void *t, const char *v, char *err, size_t n)
{
	struct vhost_config *c = t;
	static const char prefix[] = "impair: ";
	char why[256];
	if (tp_impair_parse(v, &c->impair, why, sizeof(why)) < 0) {
		/* The flag is named already: drop the parser's own "impair: ". */
		const char *text = strncmp(why, prefix, sizeof(prefix) - 1) ? why : why + sizeof(prefix) - 1;
		snprintf(err, n, "%s", text);
		return -1;
	}
	c->impair_set = 1;
	c->impair_seed_set = 0;
	for (const char *item = v; item; item = strchr(item, ',') ? strchr(item, ',') + 1 : NULL)
		if (!strncmp(item, "seed=", 5))
			c->impair_seed_set = 1;
	return 0;
}

const char vhost_impair_help[] =
	"--impair SPEC makes the TAP a bad link, in both directions (frames tapir sends and\n"
	"frames it receives each pass one seeded impairment), to watch TCP recover:\n"
	"  loss=5%          drop frames at random       dup=1%         deliver some twice\n"
	"  reorder=10%      hold some back to be overtaken (reorder_delay=1ms, the hold)\n"
	"  delay=10ms       one-way delay (jitter=2ms varies it, keeping order)\n"
	"  rate=10mbit      serialisation rate (queue=64kib of backlog, limit=1000 frames)\n"
	"  seed=N           repeatable runs (default: from --seed, else random; printed)\n"
	"e.g. --impair loss=5%,delay=10ms,reorder=10%,dup=1%,seed=7. What it did is printed\n"
	"at exit with the counters (watch tcp.retrans and tcp.fast_retrans grow).\n";

static int set_busy_poll(void *t, const char *v, char *err, size_t n)
{
	uint64_t us;
	if (cli_uint(v, 0, 1000000, &us, err, n) < 0)
		return -1;
	((struct vhost_config *)t)->busy_poll = us;
	return 0;
}

const struct cli_option vhost_options[] = {
	{"tap", 0, "NAME", "TAP device to create (default tap0)", set_tap},
	{"addr", 0, "A/N", "tapir's address and prefix (default 10.0.0.2/24)", set_addr},
	{"host-addr", 0, "A/N", "the host side of the TAP (default 10.0.0.1/24)", set_host_addr},
	{"mac", 0, "MAC", "tapir's MAC (default 02:00 + the address's 4 bytes)", set_mac},
	{"mtu", 0, "N", "IP MTU on both sides, 68..9000 (default 1500)", set_mtu},
	{"gateway", 0, "A", "default route (default: the host side)", set_gateway},
	{"pcap", 0, "FILE", "record every frame in and out (TCP variables in FILE.vars)", set_pcap},
	{"seed", 0, "N", "fixed PRNG seed, for repeatable runs (default: getrandom)", set_seed},
	CLI_SWITCH("trace", 0, "print one line per frame in/out, drop and event", struct vhost_config,
		   trace),
	{"busy-poll", 0, "USEC", "poll this long after each wake before sleeping: lower latency, "
				 "a busy core (default 0: off)", set_busy_poll},
	CLI_SWITCH("no-offload", 0, "no TAP offloads: tapir checksums and segments everything itself",
		   struct vhost_config, no_offload),
	CLI_SWITCH("no-napi", 0, "a TAP without IFF_NAPI: the host takes tapir's frames inside its "
		   "write() (no GRO merging, no NAPI thread in bulk)", struct vhost_config, no_napi),
	{"napi-thread", 0, "MODE", "the host's side of the TAP polled by a kernel thread: auto "
				   "(in bulk, default), on, off", set_napi_thread},
	{"msl", 0, "SEC", "TCP maximum segment lifetime; TIME_WAIT is 2 MSL (default 30)", set_msl},
	{"impair", 0, "SPEC", "lose, delay, reorder, duplicate frames (see below)", set_impair},
	{"tcp-mem", 0, "MB", "MiB for all TCP socket buffers together, 1..65536 (default 64)",
	 set_tcp_mem},
	{"cc", 0, "NAME", "TCP congestion control: cubic (default), newreno, reno", set_cc},
	CLI_SWITCH("no-syncookies", 0, "drop SYNs beyond a full SYN queue instead of SYN cookies",
		   struct vhost_config, no_syncookies),
	CLI_SWITCH("no-sack", 0, "neither offer nor accept SACK (RFC 2018)", struct vhost_config,
		   no_sack),
	CLI_SWITCH("no-timestamps", 0, "neither offer nor accept TCP timestamps (RFC 7323)",
		   struct vhost_config, no_timestamps),
	{"control", 0, "PATH", "control socket for `tapir stat` (default /run/tapir/TAP.sock)",
	 set_control},
	{NULL, 0, NULL, NULL, NULL},
};

void vhost_config_defaults(struct vhost_config *c)
{
	memset(c, 0, sizeof(*c));
	c->tap_name = "tap0";
	c->addr = 0x0a000002;           /* 10.0.0.2/24 */
	c->prefix_len = 24;
	c->host_addr = 0x0a000001;      /* 10.0.0.1/24 */
	c->host_prefix_len = 24;
	c->mtu = 1500;
}

int vhost_config_check(struct vhost_config *c, const struct cli_command *cmd)
{
	char a[16], h[16], g[16];
	tp_ip4_format(c->addr, a);
	tp_ip4_format(c->host_addr, h);
	if (c->addr == c->host_addr) {
		cli_fail(cmd, "--addr and --host-addr are both %s", a);
		return -1;
	}
	/* Each side must see the other on-link, or nothing ever gets through. */
	tp_ip4 m = mask_of(c->prefix_len), hm = mask_of(c->host_prefix_len);
	if ((c->addr & m) != (c->host_addr & m) || (c->addr & hm) != (c->host_addr & hm)) {
		cli_fail(cmd, "--addr %s/%u and --host-addr %s/%u are not on one subnet", a,
			 c->prefix_len, h, c->host_prefix_len);
		return -1;
	}
	if (c->no_napi && c->napi_thread_set) {
		cli_fail(cmd, "--napi-thread needs the TAP's NAPI: drop --no-napi");
		return -1;
	}
	if (c->queues > 1 && (c->pcap_path || c->impair_set)) {
		cli_fail(cmd, "--queues %u does not combine with %s: each queue is a stack of its own; "
			 "use one queue", c->queues, c->pcap_path ? "--pcap" : "--impair");
		return -1;
	}
	if (!c->gateway_set)
		c->gateway = c->host_addr;
	tp_ip4_format(c->gateway, g);
	if ((c->gateway & m) != (c->addr & m) || c->gateway == c->addr) {
		cli_fail(cmd, "--gateway %s is not another host on %s/%u", g, a, c->prefix_len);
		return -1;
	}
	if (!c->mac_set) {
		/* Locally administered, unicast, and stable for a given address,
		 * so captures of two runs line up. */
		c->mac[0] = 0x02;
		c->mac[1] = 0x00;
		for (int i = 0; i < 4; i++)
			c->mac[2 + i] = (uint8_t)(c->addr >> (24 - 8 * i));
	}
	return 0;
}

/* --- trace and capture ------------------------------------------------ */

static void print_trace(const struct vhost_queue *q, const struct tp_trace_event *ev)
{
	const struct vhost *vh = q->vh;
	tp_time t = ev->time > vh->start ? ev->time - vh->start : 0;
	char text[512], line[640], where[8] = "";

	if (ev->kind == TP_TRACE_TCP_VARS)
		return;                 /* one per segment: for the --pcap sidecar, not for reading */
	if (vh->n_queues > 1)
		snprintf(where, sizeof(where), "q%u ", q->index);
	text[0] = '\0';
	switch (ev->kind) {
	case TP_TRACE_FRAME_IN:
	case TP_TRACE_FRAME_OUT:
		tp_decode_summary(ev->frame, ev->len, text, sizeof(text));
		break;
	case TP_TRACE_DROP:
		/* The bytes are the dropping layer's (an IP or ICMP header, not
		 * always a frame), so only their length is shown. */
		snprintf(text, sizeof(text), "%s: %s (%zu bytes)", tp_stat_name(ev->stat),
			 tp_stat_help(ev->stat), ev->len);
		break;
	case TP_TRACE_STATE:
	case TP_TRACE_NOTE:
		snprintf(text, sizeof(text), "%s", ev->text ? ev->text : "");
		break;
	case TP_TRACE_TCP_VARS:
		break;
	}
	static const char *const kinds[] = {[TP_TRACE_FRAME_IN] = "in  ", [TP_TRACE_FRAME_OUT] = "out ",
					    [TP_TRACE_DROP] = "drop", [TP_TRACE_STATE] = "state",
					    [TP_TRACE_NOTE] = "note"};
	const char *kind = (size_t)ev->kind < sizeof(kinds) / sizeof(kinds[0]) && kinds[ev->kind] ?
				   kinds[ev->kind] : "?";
	/* One write a line: the queues' threads share the stream. */
	snprintf(line, sizeof(line), "%5llu.%06llu %s%s %s\n", (unsigned long long)(t / 1000000u),
		 (unsigned long long)(t % 1000000u), where, kind, text);
	fputs(line, vh->cfg.messages);
}

static void on_trace(void *ctx, const struct tp_trace_event *ev)
{
	struct vhost_queue *q = ctx;
	struct vhost *vh = q->vh;
	if (vh->pcap && (ev->kind == TP_TRACE_FRAME_IN || ev->kind == TP_TRACE_FRAME_OUT))
		tp_pcap_writer_frame(vh->pcap, ev->time, ev->frame, ev->len);
	if (vh->pcap && ev->kind == TP_TRACE_TCP_VARS)
		tp_pcap_writer_vars(vh->pcap, ev->time, ev->tcp_vars);
	if (vh->cfg.trace)
		print_trace(q, ev);
	if (vh->cfg.observe)
		vh->cfg.observe(vh->cfg.observe_ctx, ev);
}

static void flush_capture(void *ctx)
{
	struct vhost *vh = ctx;
	tp_pcap_writer_flush(vh->pcap);
}

/* --- signals ---------------------------------------------------------- */

static struct tp_loop *_Atomic signalled_loop;

static void on_stop_signal(int sig)
{
	(void)sig;
	struct tp_loop *loop = atomic_load(&signalled_loop);
	if (loop)
		tp_loop_stop(loop);
}

static void catch_stop_signals(struct tp_loop *loop)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = loop ? on_stop_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	atomic_store(&signalled_loop, loop);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* --- impairment -------------------------------------------------------- */

/* Both directions get the spec; each its own random stream, both derived
 * from the one seed that is printed, so a run can be repeated. */
static int impair_tap(struct vhost *vh, uint64_t stack_seed)
{
	struct tp_impair_config out = vh->cfg.impair, in;
	if (!vh->cfg.impair_seed_set)
		out.seed = stack_seed ^ 0x9e3779b97f4a7c15ull;     /* not the stack's own stream */
	in = out;
	in.seed ^= 0x5bd1e9955bd1e995ull;                       /* as tp_wire does for B->A */
	tp_impair_format(&out, vh->impair_spec, sizeof(vh->impair_spec));
	int e = tp_tap_impair(vh->tap, &out, &in);
	if (e == 0)
		fprintf(vh->cfg.messages, "tapir: impairing %s both ways: %s\n", tp_tap_name(vh->tap),
			vh->impair_spec);
	return e;
}

static void print_impairment(const struct vhost *vh, FILE *out)
{
	static const char *const names[2] = {[TP_TAP_OUT] = "out (tapir -> host)",
					      [TP_TAP_IN] = "in  (host -> tapir)"};
	fprintf(out, "tapir: impairment %s:\n", vh->impair_spec);
	for (int dir = 0; dir < 2; dir++) {
		const struct tp_impair_stats *st = &vh->impaired[dir];
		fprintf(out, "  %s frames %llu, lost %llu, duplicated %llu, reordered %llu, "
			"queue drops %llu, delivered %llu\n", names[dir],
			(unsigned long long)st->sent, (unsigned long long)st->dropped_loss,
			(unsigned long long)st->duplicated, (unsigned long long)st->reordered,
			(unsigned long long)st->dropped_queue, (unsigned long long)st->delivered);
	}
}

/* --- lifecycle -------------------------------------------------------- */

static int fail(struct vhost *vh, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct vhost *vh, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tapir: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	vhost_down(vh, NULL);
	return -1;
}

/* The host's GRO may hold a flow's full-sized segments this long when no
 * PSH, 64 KB or later write flushes them (tapir marks each burst's last
 * segment PSH, so only strays wait). Longer than a tick at any HZ (10 ms at
 * 100): the kernel re-arms the flush timer on every write, and one that
 * expires before the tick reprograms the clock each time - a VM exit. */
#define HOST_GRO_HOLD_US 20000

/* The TAP's queues, with IFF_NAPI unless --no-napi. Without offloads every
 * write() is one 1,514-byte frame, and without NAPI each runs the host's
 * whole TCP receive for it: through NAPI with a GRO hold the host's TCP
 * sees 64 KB at a time. With or without offloads, a NAPI thread in bulk
 * takes that work out of tapir's write() (README, performance). Without
 * NAPI it is only slower: a warning, and the plain TAP. */
static int open_taps(struct vhost *vh, int offload, struct tp_tap **taps, char *err,
		     size_t errlen)
{
	const char *name = vh->cfg.tap_name;
	unsigned n = vh->n_queues, how = offload ? TP_TAP_OFFLOAD : 0;
	char why[256] = "";
	if (!vh->cfg.no_napi) {
		if (tp_tap_open_queues(name, how | TP_TAP_NAPI, n, taps, why, sizeof(why)) == 0) {
			if (tp_tap_gro_hold(taps[0], HOST_GRO_HOLD_US, why, sizeof(why)) == 0) {
				int mode = vh->cfg.napi_thread;
				if ((mode == VHOST_NAPI_AUTO &&
				     tp_tap_napi_thread_auto(taps[0], vh->cfg.napi_auto_rate, why,
							     sizeof(why)) < 0) ||
				    (mode == VHOST_NAPI_ON && tp_tap_napi_thread(taps[0], why, sizeof(why)) < 0))
					fprintf(stderr, "tapir: warning: no NAPI thread on %s: %s\n",
						name, why);
				return 0;
			}
			for (unsigned i = 0; i < n; i++)
				tp_tap_close(taps[i]);
		}
	}
	if (tp_tap_open_queues(name, how, n, taps, err, errlen) < 0)
		return -1;
	if (why[0])
		fprintf(stderr, "tapir: warning: no NAPI on %s: %s\n", name, why);
	return 0;
}

/* Queue i's stack, loop and interface on its TAP queue. */
static int queue_up(struct vhost *vh, unsigned i, uint64_t seed, int offload)
{
	const struct vhost_config *cfg = &vh->cfg;
	struct vhost_queue *q = &vh->queue[i];
	uint64_t mem = cfg->tcp_mem;
	if (vh->n_queues > 1) {
		/* --tcp-mem is for all of them together. */
		struct tp_stack_config defaults = {0};
		tp_stack_config_defaults(&defaults);
		mem = (mem ? mem : defaults.tcp_mem_limit) / vh->n_queues;
	}
	char why[160];
	int steered = tp_tap_steered(q->tap, why, sizeof(why));
	struct tp_stack_config sc = {.seed = i ? seed ^ (0x9e3779b97f4a7c15ull * i) : seed,
				     .start_time = vh->start, .tcp_msl = cfg->msl,
				     .tcp_cc = cfg->cc[0] ? cfg->cc : NULL,
				     .tcp_syncookies = cfg->no_syncookies ? TP_OFF : 0,
				     .tcp_sack = cfg->no_sack ? TP_OFF : 0,
				     .tcp_timestamps = cfg->no_timestamps ? TP_OFF : 0,
				     .tcp_mem_limit = mem,
				     .queue_count = steered ? (uint16_t)vh->n_queues : 1,
				     .queue_index = steered ? (uint16_t)i : 0};
	int e;
	if (i == 0 && vh->n_queues > 1 && !steered)
		fprintf(stderr, "tapir: warning: %s; the kernel's flow hash steers the queues "
			"instead\n", why);
	q->stack = tp_stack_new(&sc);
	if (!q->stack)
		return fail(vh, "creating the stack: %s", strerror(ENOMEM));
	if (vh->pcap || cfg->trace || cfg->observe)
		tp_set_trace(q->stack, on_trace, q);
	q->loop = tp_loop_new(q->stack);
	if (!q->loop)
		return fail(vh, "creating the event loop: %s", strerror(errno));
	tp_loop_set_busy_poll(q->loop, cfg->busy_poll);
	struct tp_netif_config nc = {.name = tp_tap_name(q->tap), .addr = cfg->addr,
				     .prefix_len = cfg->prefix_len, .gateway = cfg->gateway,
				     .mtu = cfg->mtu, .offloads = tp_tap_offloads(q->tap),
				     .transmit_offload = offload ? tp_tap_transmit_offload : NULL};
	memcpy(nc.mac, cfg->mac, 6);
	q->netif = tp_netif_add(q->stack, &nc, tp_tap_transmit, q->tap);
	if (!q->netif)
		return fail(vh, "adding the interface: %s", strerror(errno));
	if ((e = tp_tap_attach(q->tap, q->loop, q->netif)) < 0)
		return fail(vh, "watching the TAP: %s", strerror(-e));
	return 0;
}

int vhost_up(struct vhost *vh, const struct vhost_config *cfg)
{
	char err[256];
	uint64_t seed = cfg->seed;
	int e;

	memset(vh, 0, sizeof(*vh));
	vh->cfg = *cfg;
	vh->n_queues = cfg->queues ? cfg->queues : 1;
	for (unsigned i = 0; i < TP_TAP_QUEUES_MAX; i++)
		vh->queue[i] = (struct vhost_queue){.vh = vh, .index = i};
	if (!vh->cfg.messages)
		vh->cfg.messages = stdout;
	if (!cfg->seed_set && (e = tp_clock_seed(&seed)) < 0)
		return fail(vh, "getrandom: %s", strerror(-e));
	/* A capture is for replaying: it must hold real, checksummed,
	 * MTU-sized frames, which the offloads leave for the kernel to make. */
	int offload = !cfg->no_offload && !cfg->pcap_path;
	struct tp_tap *taps[TP_TAP_QUEUES_MAX];
	if (open_taps(vh, offload, taps, err, sizeof(err)) < 0)
		return fail(vh, "%s", err);
	for (unsigned i = 0; i < vh->n_queues; i++)
		vh->queue[i].tap = taps[i];
	vh->tap = taps[0];
	struct tp_tap_host host = {.addr = cfg->host_addr, .prefix_len = cfg->host_prefix_len,
				   .mtu = cfg->mtu, .peer = cfg->addr};
	if (tp_tap_configure_host(vh->tap, &host, err, sizeof(err)) < 0)
		return fail(vh, "%s", err);
	vh->start = tp_clock_now();
	if (cfg->pcap_path) {
		vh->pcap = tp_pcap_writer_open(cfg->pcap_path, tp_clock_epoch(), err, sizeof(err));
		if (!vh->pcap || tp_pcap_writer_add_vars(vh->pcap, cfg->pcap_path, err, sizeof(err)) < 0)
			return fail(vh, "%s", err);
	}
	for (unsigned i = 0; i < vh->n_queues; i++)
		if (queue_up(vh, i, seed, offload) < 0)
			return -1;
	vh->stack = vh->queue[0].stack;
	vh->netif = vh->queue[0].netif;
	vh->loop = vh->queue[0].loop;
	char control_path[128];
	const char *control = cfg->control_path ? cfg->control_path : control_path;
	if (!cfg->control_path &&
	    tp_control_default_path(tp_tap_name(vh->tap), control_path, sizeof(control_path)) < 0)
		return fail(vh, "the control socket's path is too long: choose one with --control");
	vh->control = tp_control_open(vh->loop, control, tp_tap_name(vh->tap), err, sizeof(err));
	/* Without root /run may be closed to us (a tapir given CAP_NET_ADMIN):
	 * the host still runs, unseen by `tapir stat`. A clash or a chosen
	 * --control that fails is an error. */
	if (!vh->control && (cfg->control_path || errno == EADDRINUSE || errno == EEXIST))
		return fail(vh, "%s", err);
	if (!vh->control)
		fprintf(stderr, "tapir: warning: %s; `tapir stat` cannot see this host\n", err);
	for (unsigned i = 1; vh->control && i < vh->n_queues; i++)
		tp_control_add_stack(vh->control, vh->queue[i].loop);   /* never full: 64 queues */
	if (cfg->impair_set && (e = impair_tap(vh, seed)) < 0)
		return fail(vh, "impairing the TAP: %s", strerror(-e));
	if (vh->pcap) {
		vh->pcap_flush = tp_loop_timer_new(vh->loop, flush_capture, vh);
		if (!vh->pcap_flush ||
		    tp_loop_timer_start(vh->pcap_flush, PCAP_FLUSH_PERIOD, PCAP_FLUSH_PERIOD) < 0)
			return fail(vh, "arming the capture flush: %s", strerror(ENOMEM));
	}
	catch_stop_signals(vh->loop);
	return 0;
}

/* 0, or -1 after saying why queue q's loop stopped on an error. */
static int report_loop_end(const struct vhost_queue *q, int e)
{
	char which[24] = "";
	if (q->vh->n_queues > 1)
		snprintf(which, sizeof(which), " (queue %u)", q->index);
	if (e < 0 && tp_tap_read_error(q->tap)) {
		fprintf(stderr, "tapir: lost TAP %s%s (deleted from the host?): %s\n",
			tp_tap_name(q->tap), which, strerror(-tp_tap_read_error(q->tap)));
		return -1;
	}
	if (e < 0) {
		fprintf(stderr, "tapir: the event loop%s stopped on an error: %s\n", which,
			strerror(-e));
		return -1;
	}
	return 0;
}

static void *queue_thread(void *arg)
{
	struct vhost_queue *q = arg;
	q->failed = report_loop_end(q, tp_loop_run(q->loop)) < 0;
	if (q->failed)
		tp_loop_stop(q->vh->loop);      /* one queue down stops the host */
	return NULL;
}

int vhost_run(struct vhost *vh)
{
	int failed = 0;
	for (unsigned i = 1; i < vh->n_queues; i++) {
		struct vhost_queue *q = &vh->queue[i];
		int e = pthread_create(&q->thread, NULL, queue_thread, q);
		if (e) {
			fprintf(stderr, "tapir: starting queue %u's thread: %s\n", i, strerror(e));
			failed = 1;
			break;
		}
		q->thread_started = 1;
	}
	if (!failed)
		failed = report_loop_end(&vh->queue[0], tp_loop_run(vh->loop)) < 0;
	for (unsigned i = 1; i < vh->n_queues; i++) {
		struct vhost_queue *q = &vh->queue[i];
		if (!q->thread_started)
			continue;
		tp_loop_stop(q->loop);
		pthread_join(q->thread, NULL);
		q->thread_started = 0;
		failed |= q->failed;
	}
	return failed ? -1 : 0;
}

static void print_counters(const struct vhost *vh, FILE *out)
{
	fprintf(out, "tapir: counters:\n");
	for (int id = 0; id < TP_STAT_COUNT; id++) {
		uint64_t v = 0;
		for (unsigned i = 0; i < vh->n_queues; i++)
			v += vh->queue[i].stack ? tp_stat(vh->queue[i].stack, (enum tp_stat_id)id) : 0;
		if (v)
			fprintf(out, "  %-24s %llu\n", tp_stat_name((enum tp_stat_id)id),
				(unsigned long long)v);
	}
}

void vhost_down(struct vhost *vh, FILE *counters)
{
	catch_stop_signals(NULL);
	tp_loop_timer_free(vh->pcap_flush);
	vh->pcap_flush = NULL;
	tp_control_close(vh->control);
	vh->control = NULL;
	int impaired = vh->tap && tp_tap_impair_stats(vh->tap, TP_TAP_OUT);
	for (int dir = 0; impaired && dir < 2; dir++)
		vh->impaired[dir] = *tp_tap_impair_stats(vh->tap, (enum tp_tap_direction)dir);
	/* Closing the fds removes the TAP (and with it the host's address and
	 * route) before anything else, so it never outlives us by much. */
	for (unsigned i = 0; i < vh->n_queues; i++) {
		tp_tap_close(vh->queue[i].tap);
		vh->queue[i].tap = NULL;
	}
	vh->tap = NULL;
	for (unsigned i = 0; i < vh->n_queues; i++) {
		tp_loop_free(vh->queue[i].loop);
		vh->queue[i].loop = NULL;
	}
	vh->loop = NULL;
	if (counters)
		print_counters(vh, counters);
	if (counters && impaired)
		print_impairment(vh, counters);
	tp_pcap_writer_close(vh->pcap);
	vh->pcap = NULL;
	for (unsigned i = 0; i < vh->n_queues; i++) {
		tp_stack_free(vh->queue[i].stack);
		vh->queue[i].stack = NULL;
	}
	vh->stack = NULL;
}
