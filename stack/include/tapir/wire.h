/*
 * wire.h - seeded link impairment, and an in-memory wire joining two stacks
 * under a virtual clock.
 *
 * Offers:
 *   - tp_impair_parse(): the "--impair" spec shared by every driver, e.g.
 *     "loss=5%,delay=10ms,jitter=2ms,reorder=10%,dup=1%,rate=10mbit,seed=7";
 *   - struct tp_impair: one direction of a link that loses, duplicates,
 *     reorders, delays (with jitter) and rate-limits frames, deterministic for
 *     a seed; any driver can put one in each direction (the TAP driver's
 *     --impair, the wire below);
 *   - struct tp_wire: two stacks (sides A and B) joined by two tp_impairs,
 *     run on a virtual clock by tp_wire_run() - simulation tests with no
 *     sleeps, no root and no threads.
 *
 * Order of effects on a frame entering a direction: loss, duplication (the
 * copy gets its own pass through what follows), the rate limiter's queue
 * (serialisation at rate bit/s; a full queue drops), then propagation delay
 * with jitter. Jitter varies the delay but keeps frames in order, like a real
 * link's queues; only `reorder` reorders: a chosen frame is held back an
 * extra `reorder_delay` so frames sent after it overtake it.
 */
#ifndef TAPIR_WIRE_H
#define TAPIR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_IMPAIR_DEFAULT_QUEUE_BYTES (64u * 1024u)
#define TP_IMPAIR_DEFAULT_LIMIT 1000u
#define TP_IMPAIR_DEFAULT_REORDER_DELAY TP_MSEC(1)

/* Everything zero is a perfect link. Probabilities are parts per million. */
struct tp_impair_config {
	uint32_t loss_ppm;          /* loss=5%          frames lost */
	uint32_t dup_ppm;           /* dup=1%           frames delivered twice */
	uint32_t reorder_ppm;       /* reorder=10%      frames held back to be overtaken */
	tp_time delay;              /* delay=10ms       one-way propagation delay, µs */
	tp_time jitter;             /* jitter=2ms       delay varies uniformly by ± this */
	tp_time reorder_delay;      /* reorder_delay=5ms  extra hold; 0 = 1 ms */
	uint64_t rate_bps;          /* rate=10mbit      serialisation rate; 0 = unlimited */
	uint32_t queue_bytes;       /* queue=64kib      bytes not yet serialised, the frame
				     * on the wire included; 0 = 64 KiB. An
				     * idle link always takes a frame. */
	uint32_t limit;             /* limit=1000       frames in flight; 0 = 1000 */
	uint64_t seed;              /* seed=7 */
};

/* Parses a comma-separated "key=value" list into cfg (zeroed first). An
 * empty spec is a perfect link. Units: % for probabilities; us, ms, s for
 * times; bit, kbit, mbit, gbit for rates (powers of 1000); b, kb, mb, kib,
 * mib for the queue; decimals allowed ("0.5%", "1.5ms") when they give a
 * whole number of the base unit. Unknown or repeated keys, missing units and
 * values out of range are errors. Returns 0, or -EINVAL with one line in err. */
int tp_impair_parse(const char *spec, struct tp_impair_config *cfg, char *err, size_t errlen);

/* Writes cfg back as a spec tp_impair_parse() accepts (for logs and for
 * printing the seed of a failing run). Returns snprintf's count. */
int tp_impair_format(const struct tp_impair_config *cfg, char *buf, size_t len);

struct tp_impair_stats {
	uint64_t sent;              /* frames submitted */
	uint64_t delivered;         /* frames (copies included) handed out */
	uint64_t bytes_delivered;
	uint64_t dropped_loss;      /* lost at random */
	uint64_t dropped_queue;     /* rate limiter's queue or the in-flight limit full */
	uint64_t dropped_filter;    /* refused by a wire filter */
	uint64_t duplicated;        /* extra copies made */
	uint64_t reordered;         /* copies held back */
};

/* --- One direction of a link ------------------------------------------- */

struct tp_impair;

/* NULL and errno set on a bad config (ENOMEM, EINVAL). */
struct tp_impair *tp_impair_new(const struct tp_impair_config *cfg);
void tp_impair_free(struct tp_impair *imp);

/* A frame enters at `now` (never earlier than a previous call's now);
 * the bytes are copied. Returns how many copies will come out: 0, 1 or 2. */
int tp_impair_submit(struct tp_impair *imp, tp_time now, const uint8_t *frame, size_t len);

/* When the next frame comes out, or TP_TIME_NEVER. */
tp_time tp_impair_next(const struct tp_impair *imp);

/* Takes the next frame due at or before `now`: returns 1 with its bytes
 * (valid until the next call on imp) and its delivery time, or 0. Frames
 * come out ordered by delivery time, ties in the order they were scheduled. */
int tp_impair_pop(struct tp_impair *imp, tp_time now, const uint8_t **frame, size_t *len,
		  tp_time *at);

size_t tp_impair_in_flight(const struct tp_impair *imp);
const struct tp_impair_stats *tp_impair_stats(const struct tp_impair *imp);

/* --- Two stacks on a wire ---------------------------------------------- */

enum tp_wire_side { TP_WIRE_A = 0, TP_WIRE_B = 1 };

struct tp_wire;

/* a_to_b / b_to_a may be NULL for a perfect direction. When both directions
 * are given the same seed, B->A's generator is derived from it differently so
 * the two directions do not lose the same frames in lockstep. */
struct tp_wire *tp_wire_new(const struct tp_impair_config *a_to_b,
			    const struct tp_impair_config *b_to_a);
/* Frees the wire and the frames on it; the stacks are the caller's. */
void tp_wire_free(struct tp_wire *w);

/* Adds an interface to `stack` plugged into `side` of the wire (one per
 * side). Returns the interface, or NULL with errno set. The stack's
 * gratuitous ARP goes onto the wire at once. cfg->offloads may ask for
 * TP_OFFLOAD_TX_CSUM and TP_OFFLOAD_TSO: the wire then does the link's part
 * in software (tapir/gso.h), and only whole frames travel on it. */
struct tp_netif *tp_wire_attach(struct tp_wire *w, enum tp_wire_side side, struct tp_stack *stack,
				const struct tp_netif_config *cfg);

/* Sees every frame as a stack hands it to the wire; returning 0 drops it
 * (counted in dropped_filter) - for tests that need one exact frame lost. */
typedef int (*tp_wire_filter_fn)(void *ctx, enum tp_wire_side from, tp_time now,
				 const uint8_t *frame, size_t len);
void tp_wire_set_filter(struct tp_wire *w, tp_wire_filter_fn fn, void *ctx);

/* Sees every frame as it is delivered (for pcap writing and assertions). */
typedef void (*tp_wire_monitor_fn)(void *ctx, enum tp_wire_side from, tp_time at,
				   const uint8_t *frame, size_t len);
void tp_wire_set_monitor(struct tp_wire *w, tp_wire_monitor_fn fn, void *ctx);

/* Stop condition for tp_wire_run, checked before every step. */
typedef int (*tp_wire_done_fn)(void *ctx);

/* Runs both stacks and the wire on a virtual clock: repeatedly jumps to the
 * next event (either stack's tp_next_deadline() or the next delivery), polls
 * both stacks there and delivers what is due. Stops when done(ctx) returns
 * true (returns 1), or when the next event lies beyond `until` - both stacks
 * are then polled at `until` - or nothing is left to happen (returns 0).
 * Returns -EINVAL if a side has no stack. */
int tp_wire_run(struct tp_wire *w, tp_time until, tp_wire_done_fn done, void *ctx);

/* The wire's clock: the time of the last step. */
tp_time tp_wire_now(const struct tp_wire *w);

/* What the direction leaving `from` did. */
const struct tp_impair_stats *tp_wire_stats(const struct tp_wire *w, enum tp_wire_side from);

#ifdef __cplusplus
}
#endif
#endif
