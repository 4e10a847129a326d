/*
 * clock.h - the runtime's clock and entropy.
 *
 * Offers monotonic microseconds (CLOCK_MONOTONIC) for tp_poll() and the
 * event loop, the wall-clock value of monotonic zero that turns stack times
 * into pcap stamps, and a PRNG seed from getrandom(2). The sans-IO core
 * never calls these: the runtime reads them and passes the values in.
 */
#ifndef TAPIR_CLOCK_H
#define TAPIR_CLOCK_H

#include <stdint.h>

#include "tapir/tapir.h"

/* Monotonic time in microseconds: never jumps, unrelated to the date. */
tp_time tp_clock_now(void);

/* Wall-clock microseconds since the Unix epoch at monotonic zero, so that
 * tp_clock_now() + tp_clock_epoch() is the current date (0 if the wall
 * clock reads earlier than the monotonic one, i.e. was never set). */
tp_time tp_clock_epoch(void);

/* 64 bits from the kernel's CSPRNG. Returns 0 or a negative errno. */
int tp_clock_seed(uint64_t *seed);

#endif
