/*
 * ladder_text.c - the layout drawn with characters. Each segment is an
 * arrow over two lines that steps down at a bend, so it reads as a
 * diagonal from sender to receiver:
 *
 * 0.000      SYN_SENT |-- SYN seq=0 win=65535 -----------------.                   |
 *                     |   <mss 1460>                            `----------------->|
 * 0.000               |                   .------- SYN,ACK seq=0 ack=1 win=65535 --| SYN_RECEIVED
 *         ESTABLISHED |<-----------------'                            <mss 1460>   |
 *
 * The label rides the sender's half, options (and marks, annotations) the
 * other half or the lines below; the sender's new state is written on the
 * first line, the receiver's on the second, beside their lifelines. Every
 * bend sits in the same column, so the picture stays calm.
 */
#include "ladder.h"

#include <string.h>

#define MIN_INNER 60            /* columns between the lifelines, at least */
#define MAX_SUB (2 + LADDER_WRAP_MAX)    /* options, marks, annotations' lines */
#define ANNOTATION_COLS 72
#define LINE_MAX_COLS 512

/* The texts under an arrow's label, in the order they are drawn. */
static int sub_lines(const struct ladder_row *r, char sub[MAX_SUB][200])
{
	char wrapped[LADDER_WRAP_MAX][128];
	int n = 0;
	if (r->options[0])
		snprintf(sub[n++], sizeof(sub[0]), "%s", r->options);
	if (r->marks[0])
		snprintf(sub[n++], sizeof(sub[0]), "[%s]", r->marks);
	int lines = ladder_wrap(r->annotations, ANNOTATION_COLS, wrapped, LADDER_WRAP_MAX);
	_Static_assert(sizeof(wrapped[0]) <= sizeof(sub[0]), "a wrapped line fits a sub-line");
	for (int k = 0; k < lines; k++)
		memcpy(sub[n++], wrapped[k], sizeof(wrapped[k]));
	return n;
}

struct geometry {
	int time_w, state_w;    /* the margin columns */
	int inner;              /* columns between the two lifelines */
	int bend;               /* where a left-to-right arrow steps down */
};

static int max_int(int a, int b) { return a > b ? a : b; }

/* Does an arrow's first sub-line fit on its lower line, before the bend?
 * If not it goes below with the others, so one long mark does not push
 * every bend in the diagram sideways. */
static int fits_lower_line(const struct geometry *g, const char *text)
{
	return (int)strlen(text) + 4 <= g->bend;
}

static struct geometry measure(const struct ladder_layout *lay)
{
	struct geometry g = {4, 0, MIN_INNER, MIN_INNER / 2};
	int widest_extra = 0;
	for (int e = 0; e < 2; e++) {
		g.state_w = max_int(g.state_w, (int)strlen(lay->first_state[e]));
		g.state_w = max_int(g.state_w, (int)strlen(lay->last_state[e]));
	}
	for (size_t i = 0; i < lay->n_rows; i++) {
		const struct ladder_row *r = &lay->rows[i];
		g.time_w = max_int(g.time_w, (int)strlen(r->time));
		g.bend = max_int(g.bend, (int)strlen(r->label) + 5);
		for (int k = 0; k < r->n_notes; k++)
			g.state_w = max_int(g.state_w, (int)strlen(r->notes[k].state));
	}
	for (size_t i = 0; i < lay->n_rows; i++) {
		char sub[MAX_SUB][200];
		int n = sub_lines(&lay->rows[i], sub);
		for (int k = 0; k < n; k++)
			if (k > 0 || !fits_lower_line(&g, sub[k]))
				widest_extra = max_int(widest_extra, (int)strlen(sub[k]) + 4);
	}
	g.inner = max_int(max_int(MIN_INNER, g.bend + 18), widest_extra);
	if (g.inner > LINE_MAX_COLS)
		g.inner = LINE_MAX_COLS;
	if (g.bend > g.inner - 6)
		g.bend = g.inner - 6;
	return g;
}

/* Writes text into a line at col, clipped to the line. */
static void put_text(char *line, int width, int col, const char *text)
{
	for (int i = 0; text[i] && col + i < width; i++)
		if (col + i >= 0)
			line[col + i] = text[i];
}

static void put_run(char *line, int from, int to, char c)
{
	for (int i = from; i <= to; i++)
		line[i] = c;
}

static void print_line(FILE *out, const struct geometry *g, const char *time, const char *left,
		       const char *inner, const char *right)
{
	char buf[LINE_MAX_COLS + 128];
	snprintf(buf, sizeof(buf), "%*s  %*s |%.*s| %s", g->time_w, time, g->state_w, left, g->inner,
		 inner, right);
	size_t n = strlen(buf);
	while (n && buf[n - 1] == ' ')
		n--;
	fprintf(out, "%.*s\n", (int)n, buf);
}

/* One arrow's lines: [0] the label half, [1] the other half, then extras. */
static int draw_arrow(const struct geometry *g, const struct ladder_row *r, char lines[][LINE_MAX_COLS])
{
	char sub[MAX_SUB][200];
	int n_sub = sub_lines(r, sub);
	int first_sub_line = n_sub && fits_lower_line(g, sub[0]) ? 1 : 2;
	int n_lines = max_int(2, first_sub_line + n_sub);
	int w = g->inner, b = g->bend, len = (int)strlen(r->label);
	for (int k = 0; k < n_lines; k++)
		memset(lines[k], ' ', (size_t)w);
	if (r->from == 0) {
		put_text(lines[0], w, 0, "--");
		put_text(lines[0], w, 3, r->label);
		put_run(lines[0], 3 + len + 1, b - 1, '-');
		lines[0][b] = '.';
		lines[1][b + 1] = '`';
		put_run(lines[1], b + 2, w - 2, '-');
		lines[1][w - 1] = '>';
		for (int k = 0; k < n_sub; k++)
			put_text(lines[first_sub_line + k], w, 3, sub[k]);
	} else {
		/* The mirror image; text still reads left to right, flush right. */
		put_text(lines[0], w, w - 2, "--");
		put_text(lines[0], w, w - 3 - len, r->label);
		put_run(lines[0], w - b, w - 3 - len - 2, '-');
		lines[0][w - 1 - b] = '.';
		lines[1][0] = '<';
		put_run(lines[1], 1, w - 3 - b, '-');
		lines[1][w - 2 - b] = '\'';
		for (int k = 0; k < n_sub; k++)
			put_text(lines[first_sub_line + k], w, w - 3 - (int)strlen(sub[k]), sub[k]);
	}
	return n_lines;
}

static void draw_row(FILE *out, const struct geometry *g, const struct ladder_row *r)
{
	char lines[MAX_SUB + TCP_INFER_MAX_TRANSITIONS + 2][LINE_MAX_COLS];
	const char *state[2][MAX_SUB + TCP_INFER_MAX_TRANSITIONS + 2] = {{0}};
	int n_lines = draw_arrow(g, r, lines);
	int next[2] = {0, 1};   /* the sender writes from line 0, the receiver from line 1 */
	if (r->from == 1) {
		next[0] = 1;
		next[1] = 0;
	}
	for (int k = 0; k < r->n_notes; k++) {
		int e = r->notes[k].end & 1;
		int line = next[e]++;
		if (line >= n_lines) {
			memset(lines[line], ' ', (size_t)g->inner);
			n_lines = line + 1;
		}
		state[e][line] = r->notes[k].state;
	}
	for (int k = 0; k < n_lines; k++)
		print_line(out, g, k == 0 ? r->time : "", state[0][k] ? state[0][k] : "", lines[k],
			   state[1][k] ? state[1][k] : "");
}

void ladder_render_text(FILE *out, const struct ladder_layout *lay)
{
	struct geometry g = measure(lay);
	char blank[LINE_MAX_COLS], head[LINE_MAX_COLS * 2];

	fprintf(out, "%s\n%s\n%s\n", lay->title, lay->legend[0], lay->legend[1]);
	if (lay->legend[2][0])
		fprintf(out, "%s\n", lay->legend[2]);
	fputc('\n', out);

	/* Endpoint names centred over their lifelines. */
	int left = g.time_w + 2 + g.state_w + 1, right = left + 1 + g.inner;
	int width = right + 1 + (int)strlen(lay->endpoint[1]);
	memset(head, ' ', sizeof(head));
	put_text(head, (int)sizeof(head) - 1, g.time_w - 2, "ms");
	put_text(head, (int)sizeof(head) - 1, left - (int)strlen(lay->endpoint[0]) / 2, lay->endpoint[0]);
	put_text(head, (int)sizeof(head) - 1, right - (int)strlen(lay->endpoint[1]) / 2, lay->endpoint[1]);
	while (width > 0 && head[width - 1] == ' ')
		width--;
	fprintf(out, "%.*s\n", width, head);

	memset(blank, ' ', sizeof(blank));
	print_line(out, &g, "", lay->first_state[0], blank, lay->first_state[1]);
	for (size_t i = 0; i < lay->n_rows; i++)
		draw_row(out, &g, &lay->rows[i]);
	print_line(out, &g, "", "", blank, "");
	print_line(out, &g, "end", lay->last_state[0], blank, lay->last_state[1]);
}
