/* clock.c - monotonic and wall time in microseconds, and a getrandom(2) seed. */
#include "tapir/clock.h"

#include <errno.h>
#include <sys/random.h>
#include <time.h>

static tp_time to_usec(const struct timespec *ts)
{
	return (tp_time)ts->tv_sec * 1000000u + (tp_time)ts->tv_nsec / 1000u;
}

tp_time tp_clock_now(void)
{
	struct timespec ts;
	/* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return to_usec(&ts);
}

tp_time tp_clock_epoch(void)
{
	struct timespec wall, mono;
	clock_gettime(CLOCK_REALTIME, &wall);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	tp_time w = to_usec(&wall), m = to_usec(&mono);
	return w > m ? w - m : 0;
}

int tp_clock_seed(uint64_t *seed)
{
	uint8_t *p = (uint8_t *)seed;
	size_t got = 0;
	/* Up to 256 bytes never return short once the pool is initialised
	 * (getrandom(2)), but a signal may still interrupt a first boot wait. */
	while (got < sizeof(*seed)) {
		ssize_t n = getrandom(p + got, sizeof(*seed) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}
