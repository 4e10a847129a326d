/*
 * fuzz_frames.c - arbitrary frames and socket calls against a stack with live
 * connections, listeners, a UDP socket, half-done reassemblies and a full
 * ARP queue (fuzz_world.h builds it afresh for every input).
 *
 * An input is a sequence of records, each starting with a control byte:
 *
 *   bits 0-2  first move the clock on by 0, 1 ms, 10 ms, 200 ms, 1 s, 3 s,
 *             30 s or 300 s (timers fire at their deadlines on the way)
 *   bit 7     set: a socket call, two more bytes (see fuzz_world_sockop)
 *             clear: a frame, a 2-byte big-endian length, then its bytes
 *   bits 3-6  for a frame, fix-ups before it is fed (FW_FIX_* << 3): Ethernet
 *             header, IPv4 addresses, TCP seq/ack relative to the live
 *             connection, valid checksums
 *
 * Each frame is also handed over as one a sibling queue's stack received
 * (tp_input_overheard), as a multi-queue TAP does with ARP.
 * A record cut short by the end of the input is fed as far as it goes.
 * Afterwards every descriptor is read and closed and the clock runs on until
 * every connection must have ended (fuzz_world_destroy).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const tp_time clock_steps[8] = {0, TP_MSEC(1), TP_MSEC(10), TP_MSEC(200),
				       TP_SEC(1), TP_SEC(3), TP_SEC(30), TP_SEC(300)};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[65536];
	struct fuzz_world w;
	fuzz_world_build(&w);
	size_t at = 0;
	while (at < size) {
		uint8_t ctl = data[at++];
		if (ctl & 7)
			fuzz_world_advance(&w, clock_steps[ctl & 7]);
		if (ctl & 0x80) {
			uint8_t which = at < size ? data[at] : 0;
			uint8_t arg = at + 1 < size ? data[at + 1] : 0;
			at += 2;
			fuzz_world_sockop(&w, which, arg);
			continue;
		}
		size_t len = 0;
		if (at + 2 <= size)
			len = (size_t)data[at] << 8 | data[at + 1];
		at += 2;
		if (at > size)
			break;
		if (len > size - at)
			len = size - at;
		memcpy(frame, data + at, len);
		at += len;
		fuzz_world_feed(&w, frame, len, (ctl >> 3) & 15);
		tp_input_overheard(w.stack, w.nif, frame, len);
	}
	fuzz_world_destroy(&w);
	return 0;
}
