/*
 * rand.h - the stack's one source of randomness: xoshiro256** seeded with
 * splitmix64. Deterministic for a given seed, so tests and replays repeat
 * exactly; production seeds it from getrandom(2). Not for secrets on its own:
 * keyed hashes (ISNs, cookies) draw their keys from it once at start.
 */
#ifndef TP_RAND_H
#define TP_RAND_H

#include <stdint.h>

struct tp_rand { uint64_t s[4]; };

void tp_rand_seed(struct tp_rand *r, uint64_t seed);
uint64_t tp_rand_next(struct tp_rand *r);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint32_t tp_rand_below(struct tp_rand *r, uint32_t bound);

#endif
