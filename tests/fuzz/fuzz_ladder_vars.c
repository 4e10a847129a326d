/*
 * fuzz_ladder_vars.c - the `tapir ladder --vars` side: the CAPTURE.vars
 * sidecar parser (tools/ladder_vars.c) on arbitrary bytes, the variable
 * list, and, for a sidecar that parses, its annotations laid out and drawn
 * as text beside made-up segments.
 *
 * Input: the --vars list up to the first newline (at most 64 bytes; an
 * empty one means "all"), then the sidecar file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "ladder.h"
#include "tapir/sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEGS 64

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_ladder_vars: %s\n", what);
		abort();
	}
}

static void check_err(const char *err, size_t cap)
{
	size_t n = strnlen(err, cap);
	check(n < cap, "error message unterminated");
	for (size_t i = 0; i < n; i++)
		check((unsigned char)err[i] >= ' ' && (unsigned char)err[i] <= '~', "error not printable");
}

/* Segments at the frames the sidecar names (and one it does not), drawn. */
static void draw(const struct ladder_vars *v, const int *ids, int n_ids, FILE *out)
{
	struct ladder_conn c;
	memset(&c, 0, sizeof(c));
	c.n_seg = v->n < MAX_SEGS ? v->n + 1 : MAX_SEGS;
	c.seg = calloc(c.n_seg, sizeof(*c.seg));
	if (!c.seg)
		return;
	c.base[0] = v->n ? (uint32_t)v->lines[0].num[LV_SND_UNA] : 0;
	c.base[1] = 7;
	for (size_t i = 0; i < c.n_seg; i++) {
		c.seg[i].frame = i < v->n ? (size_t)v->lines[i].frame : (size_t)-1;
		c.seg[i].from = (int)(i & 1);
	}
	if (ladder_vars_annotate(&c, v, ids, n_ids) == 0) {
		check(c.vars_end >= -1 && c.vars_end <= 2, "vars_end");
		struct ladder_layout lay;
		if (ladder_layout_build(&lay, &c, "fuzz.pcap", 1, 1) == 0) {
			ladder_render_text(out, &lay);
			ladder_layout_free(&lay);
		}
	}
	for (size_t i = 0; i < c.n_seg; i++) {
		for (size_t k = 0; k < c.seg[i].n_annotations; k++) {
			free(c.seg[i].annotations[k].name);
			free(c.seg[i].annotations[k].value);
		}
		free(c.seg[i].annotations);
	}
	free(c.seg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *out;
	char list[65], err[160];
	int ids[LADDER_NVARS];

	if (!out)
		out = fopen("/dev/null", "w");
	const uint8_t *nl = memchr(data, '\n', size < sizeof(list) ? size : sizeof(list));
	size_t list_len = nl ? (size_t)(nl - data) : 0;
	memcpy(list, data, list_len);
	list[list_len] = '\0';
	const uint8_t *file = nl ? nl + 1 : data;
	size_t file_len = size - (size_t)(file - data);

	int n_ids = ladder_vars_choose(list_len ? list : "all", ids, err, sizeof(err));
	if (n_ids < 0) {
		check_err(err, sizeof(err));
		n_ids = ladder_vars_choose("all", ids, err, sizeof(err));
	}
	check(n_ids > 0 && n_ids <= LADDER_NVARS, "variable count");
	for (int i = 0; i < n_ids; i++)
		check(ids[i] >= 0 && ids[i] < LADDER_NVARS, "variable id");

	struct fuzz_file ff;
	if (fuzz_file_open(&ff, file, file_len) < 0)
		return 0;
	struct ladder_vars v;
	int rc = ladder_vars_parse(&v, ff.f, "fuzz.vars", err, sizeof(err));
	fuzz_file_close(&ff);
	if (rc < 0) {
		check_err(err, sizeof(err));
	} else {
		for (size_t i = 0; i < v.n; i++) {
			check(i == 0 || v.lines[i].frame > v.lines[i - 1].frame, "frames not sorted and unique");
			check(v.lines[i].present & (1u << LV_STATE), "a line without its state");
			check(tp_tcp_state_name((unsigned)v.lines[i].num[LV_STATE]) != NULL, "state out of range");
		}
		if (out)
			draw(&v, ids, n_ids, out);
	}
	ladder_vars_free(&v);
	return 0;
}
