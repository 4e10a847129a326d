/* fuzz_file.h - an input's bytes as a stream, for parsers that read a FILE. */
#ifndef TAPIR_FUZZ_FILE_H
#define TAPIR_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_file {
	FILE *f;
	uint8_t *copy;
};

/* fmemopen wants a buffer of its own, and no zero size. 0, or -1. */
static inline int fuzz_file_open(struct fuzz_file *ff, const uint8_t *data, size_t size)
{
	ff->copy = malloc(size + 1);
	if (!ff->copy)
		return -1;
	memcpy(ff->copy, data, size);
	ff->f = size ? fmemopen(ff->copy, size, "r") : fopen("/dev/null", "r");
	if (!ff->f) {
		free(ff->copy);
		return -1;
	}
	return 0;
}

static inline void fuzz_file_close(struct fuzz_file *ff)
{
	fclose(ff->f);
	free(ff->copy);
}

#endif
