/*
 * fuzz_decode.c - the trace/replay decoder (tools/decode.c) on arbitrary
 * bytes: the summary line, the field list and the TCP view. Every string it
 * produces must be terminated and within its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch_field(void *ctx, const char *name, const char *value)
{
	size_t *total = ctx;
	*total += strlen(name) + strlen(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *frame = malloc(size ? size : 1);
	if (!frame)
		return 0;
	memcpy(frame, data, size);
	/* The summary into a buffer as small as the first byte says (1..256). */
	size_t cap = size ? (size_t)data[0] + 1 : 64;
	char *line = malloc(cap);
	if (line) {
		tp_decode_summary(frame, size, line, cap);
		if (strlen(line) >= cap)
			abort();
		free(line);
	}
	size_t total = 0;
	tp_decode_fields(frame, size, touch_field, &total);
	struct tp_tcp_segment seg;
	if (tp_decode_tcp(frame, size, &seg) && seg.n_sack > TP_TCP_MAX_SACK)
		abort();
	free(frame);
	return 0;
}
