/*
 * vhost.h - the virtual host every tapir command runs: one stack on one TAP,
 * driven by the event loop, with the network flags they all share (--tap,
 * --addr, --host-addr, --mac, --mtu, --gateway, --pcap, --seed, --trace,
 * --msl, --impair, --cc, --no-sack, --no-timestamps, --control), answering `tapir stat` on its control socket.
 *
 * A command puts vhost_options in its cli groups, calls vhost_config_check()
 * after parsing, then vhost_up(), adds its own handlers and timers,
 * vhost_run() until Ctrl-C / SIGTERM or tp_loop_stop(), and vhost_down().
 */
#ifndef TAPIR_APPS_VHOST_H
#define TAPIR_APPS_VHOST_H

#include <stdint.h>
#include <stdio.h>

#include <pthread.h>

#include "cli.h"
#include "tapir/tap.h"
#include "tapir/tapir.h"
#include "tapir/wire.h"

struct vhost_config {
	const char *tap_name;
	tp_ip4 addr, host_addr, gateway;
	uint8_t prefix_len, host_prefix_len;
	uint8_t mac[6];
	uint16_t mtu;
	uint64_t seed;
	const char *pcap_path;      /* NULL: no capture */
	int trace;
	int no_offload;             /* --no-offload: every frame complete, MTU-sized */
	int no_napi;                /* --no-napi: a TAP without IFF_NAPI (no host GRO, no thread) */
	enum { VHOST_NAPI_AUTO, VHOST_NAPI_ON, VHOST_NAPI_OFF } napi_thread;   /* --napi-thread */
	uint64_t napi_auto_rate;    /* --napi-thread auto:MB, bytes/s; 0: the TAP's default */
	int napi_thread_set;
	unsigned queues;            /* TAP queues, a stack and a thread each; 0 means 1 */
	tp_time busy_poll;          /* --busy-poll: µs the loop polls before sleeping */
	int mac_set, gateway_set, seed_set;
	tp_time msl;                /* TCP maximum segment lifetime; 0: the stack's default */
	char cc[16];                /* congestion control; "": the stack's default (cubic) */
	int no_syncookies;          /* --no-syncookies: a full SYN queue drops SYNs */
	int no_sack, no_timestamps; /* --no-sack, --no-timestamps */
	uint64_t tcp_mem;           /* --tcp-mem: bytes of TCP buffers; 0: the stack's default */
	struct tp_impair_config impair;     /* --impair, applied to both directions */
	int impair_set, impair_seed_set;
	FILE *messages;             /* --trace lines and notes; NULL: stdout */
	const char *control_path;   /* NULL: the default (tapir/control.h) */
	/* A command's own look at the trace (e.g. `tapir get --timeline` at
	 * TP_TRACE_STATE lines), called on the loop thread after --trace and
	 * --pcap had theirs. NULL: none. */
	tp_trace_fn observe;
	void *observe_ctx;
};

extern const struct cli_option vhost_options[];
#define VHOST_OPTIONS_TITLE "virtual host"
/* What --impair SPEC may say: for a command's `details`. */
extern const char vhost_impair_help[];

void vhost_config_defaults(struct vhost_config *cfg);
/* Checks the flags together (one subnet, a gateway on it) and derives the
 * unset ones (MAC from the address, gateway = host side). On a problem:
 * cli_fail() and -1, for exit status 2. */
int vhost_config_check(struct vhost_config *cfg, const struct cli_command *cmd);

/* One queue of the TAP with the stack and loop that serve it; queue 0 runs
 * on the thread that calls vhost_run(), the others on threads of their own. */
struct vhost_queue {
	struct vhost *vh;
	unsigned index;
	struct tp_stack *stack;
	struct tp_netif *netif;
	struct tp_tap *tap;
	struct tp_loop *loop;
	pthread_t thread;
	int thread_started;
	int failed;                 /* its loop stopped on an error (already printed) */
};

struct vhost {
	struct vhost_config cfg;
	/* Queue 0's, which is all a single-queue command needs. */
	struct tp_stack *stack;
	struct tp_netif *netif;
	struct tp_tap *tap;
	struct tp_loop *loop;
	unsigned n_queues;
	struct vhost_queue queue[TP_TAP_QUEUES_MAX];
	struct tp_pcap_writer *pcap;
	struct tp_loop_timer *pcap_flush;
	struct tp_control *control;     /* answers `tapir stat` */
	tp_time start;              /* monotonic time at start-up, for --trace */
	char impair_spec[256];      /* --impair as applied, seed included */
	struct tp_impair_stats impaired[2];     /* by tp_tap_direction, kept at close */
};

/* Creates the TAP (cfg->queues queues), configures its host side, starts a
 * stack on each queue, catches SIGINT/SIGTERM. Prints "tapir: <why>" and returns -1 on failure, with
 * everything already undone. */
int vhost_up(struct vhost *vh, const struct vhost_config *cfg);
/* Runs the loops until stopped (queue 0's on this thread, the others on
 * threads of their own, all stopped when one stops); 0, or -1 after
 * printing why one failed. */
int vhost_run(struct vhost *vh);
/* Removes the TAP, then prints the non-zero counters (the stacks' summed, then
 * what --impair did) to `counters` if not NULL, then frees everything (and
 * flushes the capture). */
void vhost_down(struct vhost *vh, FILE *counters);

#endif
