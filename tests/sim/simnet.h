/*
 * simnet.h - two tapir stacks on the in-memory wire (tapir/wire.h) under a
 * virtual clock, driven only through the public socket API (tapir/sock.h),
 * plus a bulk-transfer endpoint that writes and verifies a keyed byte pattern.
 *
 *   side A: 10.0.0.1   side B: 10.0.0.2   (one /24, no gateway)
 *
 * Everything is deterministic for a seed: the stacks' generators and the
 * wire's impairments are all derived from it, so a failing seed replays.
 */
#ifndef TAPIR_SIMNET_H
#define TAPIR_SIMNET_H

#include <check.h>

#include "check_main.h"
#include <stddef.h>
#include <stdint.h>

#include "tapir/sock.h"
#include "tapir/tapir.h"
#include "tapir/wire.h"

/* A cheap assertion for hot paths (Check's own report every pass to the
 * parent process, which is slow in loops). */
#define SIM_CHECK(cond, ...)                                                    \
	do {                                                                    \
		if (!(cond))                                                    \
			ck_abort_msg(__VA_ARGS__);                              \
	} while (0)

enum sim_side { SIM_A = 0, SIM_B = 1 };

#define SIM_A_IP 0x0a000001u
#define SIM_B_IP 0x0a000002u
#define SIM_START_TIME TP_SEC(100)

struct sim_options {
	const char *impair;             /* both directions ("loss=1%,delay=1ms"); NULL: perfect */
	const char *impair_b_to_a;      /* NULL: the same spec as impair */
	uint64_t seed;                  /* drives both stacks and the wire */
	const struct tp_stack_config *stack;    /* base for both stacks; NULL: defaults */
	int cold_arp;                   /* skip sim_resolve() at the start */
	uint32_t offloads;              /* TP_OFFLOAD_TX_CSUM / _TSO on both interfaces,
					   the wire doing the link's part (tapir/gso.h) */
};

struct simnet {
	struct tp_wire *wire;
	struct tp_stack *stack[2];
	struct tp_netif *nif[2];
	tp_ip4 ip[2];
	uint64_t seed;
	char spec[200];                 /* what the wire does, for failure messages */
	/* An optional filter on top of the impairments: frames it refuses are
	 * lost (see sim_set_filter). */
	tp_wire_filter_fn filter;
	void *filter_ctx;
	int trace;                      /* SIM_TRACE: 1 delivered segments, 2 also sent ones */
	/* Every state transition each stack reported ("LISTEN -> SYN_RECEIVED
	 * (SYN received)" ...), one per line, from the trace hook. */
	char *transitions[2];
	size_t transitions_len[2], transitions_cap[2];
};

void sim_init(struct simnet *n, const struct sim_options *o);
void sim_fini(struct simnet *n);
static inline tp_time sim_now(const struct simnet *n) { return tp_wire_now(n->wire); }
/* Runs the wire until done(ctx) holds (returns 1) or the virtual clock reaches
 * `until` (returns 0). done may be NULL. */
int sim_run(struct simnet *n, tp_time until, int (*done)(void *ctx), void *ctx);
/* Runs for dt of virtual time, whatever happens. */
void sim_run_for(struct simnet *n, tp_time dt);
/* Makes A and B know each other's MAC (a ping until answered). */
void sim_resolve(struct simnet *n);
void sim_set_filter(struct simnet *n, tp_wire_filter_fn fn, void *ctx);

/* A number from the environment (for long runs), or dflt. */
unsigned long sim_env(const char *name, unsigned long dflt);

/* How many reported state transitions on `side` contain `what` (e.g.
 * "CLOSING -> TIME_WAIT"). */
unsigned sim_transitions(const struct simnet *n, enum sim_side side, const char *what);
void sim_forget_transitions(struct simnet *n);

/* --- Looking at connections (tp_tcp_foreach) --------------------------- */
/* The state of side's connection lport<->rport, or NULL if there is none. */
const char *sim_conn_state(struct simnet *n, enum sim_side side, uint16_t lport, uint16_t rport);
/* How many of side's entries (connections and listeners) are in `state`;
 * state NULL counts every one. */
unsigned sim_count_state(struct simnet *n, enum sim_side side, const char *state);
/* Fills info for side's connection lport<->rport; returns 0 if none. */
int sim_conn_info(struct simnet *n, enum sim_side side, uint16_t lport, uint16_t rport,
		  struct tp_tcp_info *info);

/* --- TCP frames on the wire (for filters and monitors) ----------------- */
struct sim_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	uint32_t len;                   /* payload bytes */
};
#define SIM_FIN 0x01
#define SIM_SYN 0x02
#define SIM_RST 0x04
#define SIM_ACK 0x10
/* Returns 1 and fills t if the frame is an unfragmented IPv4 TCP segment. */
int sim_parse_tcp(const uint8_t *frame, size_t len, struct sim_tcp *t);

/* --- The keyed byte pattern -------------------------------------------- */
uint8_t sim_pattern_byte(uint64_t key, uint64_t off);
void sim_pattern_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t n);
/* Index of the first byte that differs from the pattern, or n. */
size_t sim_pattern_check(uint64_t key, uint64_t off, const uint8_t *buf, size_t n);

/* --- A bulk-transfer endpoint on one socket ----------------------------- */
struct sim_stream {
	struct simnet *net;
	enum sim_side side;
	int fd;
	uint64_t tx_key, rx_key;
	uint64_t to_send, sent;         /* bytes to write, bytes written */
	uint64_t to_receive, received;  /* bytes expected, bytes read and verified */
	int shut_wr_after_send;         /* shutdown(SHUT_WR) once everything is written */
	int close_after_eof;            /* close once everything is written and EOF read */
	int close_when_complete;        /* close once everything is written and read (active close) */
	int paused;                     /* not reading */
	int connected;                  /* saw it writable after connect/accept */
	int eof;                        /* recv returned 0 */
	int error;                      /* the negative errno a call or SO_ERROR returned */
	tp_time error_at;
	int closed;                     /* we called close */
	int mismatch;                   /* a byte differed from the pattern */
	uint64_t mismatch_at;
	tp_time complete_at;            /* everything sent and received */
	tp_time connected_at;
};

/* Sets up s on an open fd and installs its readiness callback. */
void sim_stream_init(struct sim_stream *s, struct simnet *n, enum sim_side side, int fd,
		     uint64_t tx_key, uint64_t to_send, uint64_t rx_key, uint64_t to_receive);
/* Does whatever the socket allows now: write, read, verify, shut, close. */
void sim_stream_pump(struct sim_stream *s);
/* Everything written and everything expected read. */
int sim_stream_complete(const struct sim_stream *s);

/* A listener on `side` that accepts into up to `max` streams, each set up
 * by the template (keys, sizes, flags) with its own fd. */
struct sim_acceptor {
	struct simnet *net;
	enum sim_side side;
	int fd;
	struct sim_stream templ;
	struct sim_stream *streams;
	unsigned count, max;
	int paused;                     /* not accepting */
};
void sim_acceptor_init(struct sim_acceptor *a, struct simnet *n, enum sim_side side, uint16_t port,
		       int backlog, const struct sim_stream *templ, unsigned max);
void sim_acceptor_pump(struct sim_acceptor *a);
void sim_acceptor_fini(struct sim_acceptor *a);

/* A connected stream from `side` to the other side's port; returns the fd. */
int sim_connect(struct simnet *n, enum sim_side side, uint16_t lport, uint16_t rport);

/* --- Bursty loss and one-way transfers (sim_xfer.c) ---------------------- */
/* A two-state (Gilbert-Elliott) loss filter: each direction enters a bad
 * state with enter_ppm per frame, leaves it with leave_ppm, and loses every
 * frame while in it (mean burst 1e6 / leave_ppm frames). */
struct sim_burst {
	uint64_t rng[2];
	uint32_t enter_ppm, leave_ppm;
	int bad[2];
	uint64_t dropped;
};
void sim_burst_init(struct sim_burst *b, uint64_t seed, uint32_t enter_ppm, uint32_t leave_ppm);
int sim_burst_filter(void *ctx, enum tp_wire_side from, tp_time now, const uint8_t *frame, size_t len);

struct sim_xfer_options {
	const char *impair;             /* the wire, both directions */
	uint64_t seed;
	uint64_t bytes;                 /* A to B */
	tp_time limit;                  /* virtual time allowed */
	const char *cc;                 /* NULL: the default */
	int no_sack, no_timestamps;
	uint32_t burst_enter_ppm, burst_leave_ppm;  /* nonzero: bursty loss (sim_burst) */
	tp_wire_filter_fn filter;       /* or a filter of the test's own */
	void *filter_ctx;
};
struct sim_xfer_result {
	int complete;                   /* every byte arrived, verified, in time */
	tp_time elapsed;
	uint64_t rto, retrans, fast, sack_recovery, sack_rexmit;    /* A's counters */
	uint64_t paws;                  /* B's PAWS drops */
	uint64_t lost;                  /* frames the wire or the burst filter lost */
};
/* A connects to B and sends `bytes`; B checks each one. */
void sim_xfer(const struct sim_xfer_options *o, struct sim_xfer_result *r);

/* Adds a test in a case of its own (CK_RUN_CASE=name runs only it), with
 * a generous timeout: the scenarios loop over seeds. */
void sim_add_case(Suite *s, const char *name, const TTest *test);

#endif
