/*
 * fuzz_tcp_options.c - tcp_parse_options() on arbitrary option bytes (up to
 * the 40 a TCP header can carry, and beyond, since the parser must not care).
 * Checks what a caller relies on: a window scale within RFC 7323's 14.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly `size` bytes, so ASan sees any read past the end. */
	uint8_t *opt = malloc(size ? size : 1);
	if (!opt)
		return 0;
	memcpy(opt, data, size);
	struct tcp_seg seg;
	memset(&seg, 0xa5, sizeof(seg));
	if (tcp_parse_options(opt, size, &seg) == 0 && seg.wscale > TCP_MAX_WSCALE) {
		fprintf(stderr, "window scale %d above %d\n", seg.wscale, TCP_MAX_WSCALE);
		abort();
	}
	free(opt);
	return 0;
}
