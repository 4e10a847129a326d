/*
 * replay.h - pcap test vectors: run a fresh stack under a virtual clock
 * against a recorded conversation and compare what it sends, frame by frame.
 *
 * A vector is NAME.pcap plus a sidecar NAME.conf of `key = value` lines (see
 * tp_replay_conf_keys below). Frames whose Ethernet source is not the stack's
 * MAC are inputs, fed at their capture time; frames from the stack's MAC are
 * the expectation. Used by `tapir replay` (cmd_replay) and by tapir-vecgen,
 * which records a stack's answers to a scripted peer.
 */
#ifndef TAPIR_TOOLS_REPLAY_H
#define TAPIR_TOOLS_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tapir/tapir.h"

/* --- Configuration: the sidecar file, and flags that override it ------- */

#define TP_REPLAY_MAX_CLIENTS 4
#define TP_REPLAY_MAX_CLIENT_SENDS 8
#define TP_REPLAY_MAX_COUNTERS 16

/* A scripted TCP client on the stack (`connect` key, replay_client.c): it
 * connects at `at`, writes `sends` at their times, reads and discards
 * whatever arrives, and closes at `close_at`. Times are since the start. */
struct tp_replay_client {
	tp_ip4 addr;
	uint16_t port;
	uint16_t from;                  /* local port; 0: an ephemeral one */
	int ka_idle, ka_intvl, ka_cnt;  /* keepalive (seconds, seconds, probes); 0: off */
	tp_time at, close_at;           /* close_at TP_TIME_NEVER: stays open */
	struct {
		tp_time at;
		uint32_t len;
	} sends[TP_REPLAY_MAX_CLIENT_SENDS];
	int n_sends;
};

/* A scripted TCP server on the stack (`listen` key, replay_client.c): it
 * accepts every connection on `port`, reads and discards what arrives,
 * answers the first data with `reply` bytes (0: no answer) and, with
 * `close_first`, closes the connection itself right after answering (at
 * once, without a reply): the server's active close. Otherwise it closes
 * when the peer does. */
struct tp_replay_listener {
	uint16_t port;
	uint32_t reply;
	int close_first;
};

#define TP_REPLAY_MAX_LISTENERS 4

/* A counter that must hold this value once the run ends (`expect_counter`). */
struct tp_replay_counter {
	enum tp_stat_id id;
	uint64_t value;
};

struct tp_replay_config {
	struct tp_netif_config netif;   /* mac, addr/prefix, gateway, mtu */
	struct tp_stack_config stack;   /* seed, ICMP rate limit, TCP knobs; start_time if has_start */
	int has_mac, has_addr, has_start;
	tp_time tolerance;              /* how far off time an emitted frame may be */
	tp_time end;                    /* keep the clock running this long after start */
	int expect_announce;            /* 0: the capture lacks the start-up gratuitous ARP */
	unsigned services;              /* TP_SVC_* bits (apps/services.h) served on the stack */
	struct tp_replay_client clients[TP_REPLAY_MAX_CLIENTS];
	int n_clients;
	struct tp_replay_listener listeners[TP_REPLAY_MAX_LISTENERS];
	int n_listeners;
	struct tp_replay_counter counters[TP_REPLAY_MAX_COUNTERS];
	int n_counters;
};

/* Zero stack, default tolerance (10 ms), announce expected. */
void tp_replay_config_init(struct tp_replay_config *cfg);

/* Sets one key ("mac", "addr", "seed", ...) from its text value. Returns 0,
 * or -1 with a one-line reason in err. `connect` and `expect_counter` add
 * one more each time, as does `listen`. */
int tp_replay_config_set(struct tp_replay_config *cfg, const char *key, const char *value,
			 char *err, size_t errlen);

/* Reads sidecar lines from f (`name` heads the error messages). Returns 0,
 * or -1 with "name:line: reason" in err. */
int tp_replay_config_parse(struct tp_replay_config *cfg, FILE *f, const char *name, char *err, size_t errlen);
/* Reads a sidecar file. Returns 0, -2 if it does not exist (not an error by
 * itself: flags may say everything), or -1 with "path:line: reason" in err. */
int tp_replay_config_load(struct tp_replay_config *cfg, const char *path, char *err, size_t errlen);

/* After loading: checks that mac and addr are known. 0 or -1 with err. */
int tp_replay_config_check(const struct tp_replay_config *cfg, char *err, size_t errlen);

/* The keys, with a one-line help each, for --help texts (NULL-terminated). */
struct tp_replay_key {
	const char *name, *arg, *help;
};
extern const struct tp_replay_key tp_replay_conf_keys[];

/* Decimal seconds ("12", "0.25", "1.000001") into microseconds, exactly:
 * at most 6 decimals, no sign, no exponent. Returns 0 or -1. */
int tp_parse_seconds(const char *s, tp_time *out);

/* --- Frames in memory --------------------------------------------------- */

struct tp_frame {
	tp_time t;
	uint8_t *data;
	size_t len;
};

struct tp_frame_list {
	struct tp_frame *frames;
	size_t count, cap;
};

/* Appends a copy of the bytes. Returns 0 or -1 (out of memory). */
int tp_frame_list_add(struct tp_frame_list *l, tp_time t, const uint8_t *data, size_t len);
void tp_frame_list_free(struct tp_frame_list *l);

/* Reads a whole pcap. Returns 0 or -1 with the reason in err. */
int tp_frame_list_load(struct tp_frame_list *l, const char *path, char *err, size_t errlen);

/* --- Running a vector --------------------------------------------------- */

enum tp_replay_mode {
	TP_REPLAY_STRICT,       /* byte-for-byte */
	TP_REPLAY_LOOSE,        /* tp_replay_loose_skipped fields ignored */
	TP_REPLAY_RECORD,       /* no comparison: the capture's stack frames are replaced */
};

struct tp_replay_options {
	const char *name;       /* for messages: the vector's name */
	enum tp_replay_mode mode;
	int verbose;            /* print each frame in and out */
	const char *write_path; /* save the conversation as run (NULL: don't) */
	int write_vars;         /* and tapir's TCP variables beside it, in write_path.vars */
	FILE *out;              /* where results and diffs go */
};

/* The fields --loose does not compare (NULL-terminated), by their
 * tp_decode_fields() names. */
extern const char *const tp_replay_loose_skipped[];

/* Exit codes, as `tapir replay` returns them. */
enum { TP_REPLAY_PASS = 0, TP_REPLAY_FAIL = 1, TP_REPLAY_ERROR = 2 };

/* Runs the capture through a fresh stack configured by cfg. Prints "PASS
 * NAME: N in, M out" or the first difference, field by field. */
int tp_replay_run(const struct tp_replay_config *cfg, const struct tp_frame_list *capture,
		  const struct tp_replay_options *opt);

/* --- Recording step by step (tapir-vecgen) -------------------------------
 * One fresh stack on a virtual clock that starts at `start`, fed one frame
 * at a time, so that a generator can build each frame after seeing what the
 * stack has sent so far (a peer's ACK of the stack's ISN). opt->mode must be
 * TP_REPLAY_RECORD. Every call returns a TP_REPLAY_* code, having printed
 * "ERROR NAME: why" to opt->out if it is not TP_REPLAY_PASS. */
struct tp_replay_session;

int tp_replay_session_open(struct tp_replay_session **out, const struct tp_replay_config *cfg, tp_time start,
			   const struct tp_replay_options *opt);
/* Runs timers and the scripted clients up to t, then feeds the frame at t. */
int tp_replay_session_input(struct tp_replay_session *r, tp_time t, const uint8_t *frame, size_t len);
/* Runs timers and the scripted clients up to t (never backwards). */
int tp_replay_session_advance(struct tp_replay_session *r, tp_time t);
/* Every frame the stack has sent so far, stamped with its clock. */
const struct tp_frame_list *tp_replay_session_sent(const struct tp_replay_session *r);
/* Runs the clock to the end, checks expect_counter, prints "RECORDED NAME:
 * N in, M out". */
int tp_replay_session_finish(struct tp_replay_session *r);
void tp_replay_session_free(struct tp_replay_session *r);

/* NAME.pcap -> NAME.conf (or any suffix -> .conf); malloc'd, NULL on ENOMEM. */
char *tp_replay_sidecar_path(const char *vector_path);

#endif
