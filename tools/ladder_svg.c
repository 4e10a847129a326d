/*
 * ladder_svg.c - the layout drawn as a self-contained SVG (for slides) and
 * an HTML page around it with a table of the segments.
 *
 * Two lifelines, client left; each segment an arrow sloping down from the
 * sender to the receiver with its label written along it (options and
 * marks underneath), states in coloured boxes beside the lifelines where
 * they change, a light time axis on the left. Rows are evenly spaced, not
 * to scale: a capture's gaps (an RTO of seconds next to microseconds on a
 * LAN) would leave most of the picture empty. Only the layout's words are
 * drawn, so this and the text diagram always say the same thing.
 */
#include "ladder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FONT_SANS "'Helvetica Neue', Helvetica, Arial, 'DejaVu Sans', sans-serif"
#define FONT_MONO "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace"
#define MONO_EM 0.61            /* a monospace glyph's advance, in em */

/* Horizontal positions (px). */
#define WIDTH 980.0
#define AXIS_X 112.0            /* the time axis */
#define LEFT_X 310.0            /* lifelines */
#define RIGHT_X 830.0
#define BOX_GAP 10.0            /* lifeline to state box */

/* Vertical sizes (px). */
#define DROP 36.0               /* how far an arrow falls from sender to receiver */
#define SUB_LINE 15.0           /* each line under an arrow */
#define ROW_GAP 34.0            /* room above an arrow for its label */
#define BOX_H 20.0
#define BOX_STACK 24.0          /* a second state change in the same row */
#define FIRST_ARROW_Y 210.0

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

static double mono_width(const char *s, double size)
{
	return (double)strlen(s) * size * MONO_EM;
}

struct style_look {
	const char *colour, *dash, *marker;
};

static struct style_look look_of(enum ladder_style s)
{
	switch (s) {
	case LADDER_STYLE_HANDSHAKE: return (struct style_look){"#13795b", NULL, "head-handshake"};
	case LADDER_STYLE_RESET: return (struct style_look){"#c62828", NULL, "head-reset"};
	case LADDER_STYLE_REPEAT: return (struct style_look){"#d9822b", "7 5", "head-repeat"};
	case LADDER_STYLE_NORMAL: break;
	}
	return (struct style_look){"#2f5f98", NULL, "head-normal"};
}

/* An arrow in a style's colour, dashed for repeats, with its head. */
static void arrow_line(FILE *out, double x1, double y1, double x2, double y2, struct style_look look)
{
	fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.8\"",
		x1, y1, x2, y2, look.colour);
	if (look.dash)
		fprintf(out, " stroke-dasharray=\"%s\"", look.dash);
	fprintf(out, " marker-end=\"url(#%s)\"/>\n", look.marker);
}

/* State boxes are coloured by phase: opening, open, closing, closed. */
static void state_colours(const char *state, const char **fill, const char **stroke)
{
	static const struct { const char *prefix, *fill, *stroke; } phases[] = {
		{"ESTABLISHED", "#e3f3e6", "#5fa86d"},
		{"SYN_", "#e1eefb", "#6d9fd3"}, {"LISTEN", "#e1eefb", "#6d9fd3"},
		{"FIN_", "#fdf0da", "#d39b36"}, {"CLOSE_WAIT", "#fdf0da", "#d39b36"},
		{"CLOSING", "#fdf0da", "#d39b36"}, {"LAST_ACK", "#fdf0da", "#d39b36"},
		{"TIME_WAIT", "#fdf0da", "#d39b36"},
		{"CLOSED", "#eeeeee", "#9a9a9a"},
	};
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
		if (!strncmp(state, phases[i].prefix, strlen(phases[i].prefix))) {
			*fill = phases[i].fill;
			*stroke = phases[i].stroke;
			return;
		}
	*fill = "#ffffff";
	*stroke = "#bbbbbb";
}

/* A state in a box beside lifeline `end`, vertically centred on y. */
static void state_box(FILE *out, int end, double y, const char *state, const char *why)
{
	const char *fill, *stroke;
	double w = mono_width(state, 12) + 16, x = end == 0 ? LEFT_X - BOX_GAP - w : RIGHT_X + BOX_GAP;
	state_colours(state, &fill, &stroke);
	fputs("<g class=\"state\">", out);
	if (why) {
		fputs("<title>", out);
		xml_text(out, why);
		fputs("</title>", out);
	}
	fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" rx=\"4\" "
		"fill=\"%s\" stroke=\"%s\"/>", x, y - BOX_H / 2, w, BOX_H, fill, stroke);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-family=\"%s\" "
		"font-size=\"12\" fill=\"#222\">", x + w / 2, y + 4, FONT_MONO);
	xml_text(out, state);
	fputs("</text></g>\n", out);
}

#define ANNOTATION_CHARS 64     /* 64 x 12 px x MONO_EM fits between the lifelines */

static int sub_count(const struct ladder_row *r)
{
	char lines[LADDER_WRAP_MAX][128];
	return !!r->options[0] + !!r->marks[0] + ladder_wrap(r->annotations, ANNOTATION_CHARS, lines, LADDER_WRAP_MAX);
}

/* Where each row's arrow starts, and the height of the whole picture. */
static double *row_positions(const struct ladder_layout *lay, double *height)
{
	double *y = calloc(lay->n_rows ? lay->n_rows : 1, sizeof(*y));
	double at = FIRST_ARROW_Y;
	for (size_t i = 0; y && i < lay->n_rows; i++) {
		const struct ladder_row *r = &lay->rows[i];
		int stacked[2] = {0, 0};
		for (int k = 0; k < r->n_notes; k++)
			stacked[r->notes[k].end & 1]++;
		double below = DROP + SUB_LINE * sub_count(r);
		double boxes = (stacked[r->from] - 1) * BOX_STACK + BOX_H / 2;   /* sender's stack */
		double rcv = DROP + (stacked[!r->from] - 1) * BOX_STACK + BOX_H / 2;
		if (boxes > below)
			below = boxes;
		if (rcv > below)
			below = rcv;
		y[i] = at;
		at += below + ROW_GAP;
	}
	*height = at + 100;
	return y;
}

static void defs(FILE *out)
{
	static const char *const names[] = {"head-normal", "head-handshake", "head-reset", "head-repeat"};
	static const enum ladder_style styles[] = {LADDER_STYLE_NORMAL, LADDER_STYLE_HANDSHAKE,
						   LADDER_STYLE_RESET, LADDER_STYLE_REPEAT};
	fputs("<defs>\n", out);
	for (int i = 0; i < 4; i++)
		fprintf(out, "<marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
			"markerHeight=\"9\" orient=\"auto\" markerUnits=\"userSpaceOnUse\">"
			"<path d=\"M0,1 L10,5 L0,9 z\" fill=\"%s\"/></marker>\n",
			names[i], look_of(styles[i]).colour);
	fputs("</defs>\n", out);
}

static void header(FILE *out, const struct ladder_layout *lay, double bottom)
{
	static const char *const role[2] = {"client", "server"};
	fprintf(out, "<text x=\"24\" y=\"34\" font-family=\"%s\" font-size=\"18\" font-weight=\"bold\" "
		"fill=\"#222\">", FONT_SANS);
	xml_text(out, lay->title);
	fputs("</text>\n", out);
	for (int i = 0; i < 3 && lay->legend[i][0]; i++) {
		fprintf(out, "<text x=\"24\" y=\"%d\" font-family=\"%s\" font-size=\"12\" fill=\"#666\">", 56 + 17 * i,
			FONT_SANS);
		xml_text(out, lay->legend[i]);
		fputs("</text>\n", out);
	}
	/* The time axis, faint: times are read off it but it is not the subject. */
	fprintf(out, "<line x1=\"%.0f\" y1=\"140\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#d0d0d0\"/>\n",
		AXIS_X, AXIS_X, bottom);
	fprintf(out, "<text x=\"%.0f\" y=\"128\" text-anchor=\"end\" font-family=\"%s\" font-size=\"11\" "
		"fill=\"#999\">time (ms)</text>\n", AXIS_X + 4, FONT_SANS);
	for (int e = 0; e < 2; e++) {
		double x = e == 0 ? LEFT_X : RIGHT_X;
		double w = mono_width(lay->endpoint[e], 14) + 28;
		fprintf(out, "<line x1=\"%.0f\" y1=\"148\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#555\" stroke-width=\"2\"/>\n",
			x, x, bottom);
		fprintf(out, "<rect x=\"%.1f\" y=\"100\" width=\"%.1f\" height=\"48\" rx=\"6\" fill=\"#f7f7f7\" "
			"stroke=\"#555\" stroke-width=\"1.5\"/>\n", x - w / 2, w);
		fprintf(out, "<text x=\"%.0f\" y=\"118\" text-anchor=\"middle\" font-family=\"%s\" "
			"font-size=\"11\" fill=\"#777\">%s</text>\n", x, FONT_SANS, role[e]);
		fprintf(out, "<text x=\"%.0f\" y=\"138\" text-anchor=\"middle\" font-family=\"%s\" "
			"font-size=\"14\" font-weight=\"bold\" fill=\"#222\">", x, FONT_MONO);
		xml_text(out, lay->endpoint[e]);
		fputs("</text>\n", out);
		state_box(out, e, 172, lay->first_state[e], "state before the first segment");
	}
}

/* Text along an arrow: rotated with it, `offset` px above (<0) or below it. */
static void along(FILE *out, double mx, double my, double angle, double offset, const char *attrs,
		  const char *text)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(%.2f %.1f %.1f)\" text-anchor=\"middle\" %s>",
		mx, my + offset, angle, mx, my, attrs);
	xml_text(out, text);
	fputs("</text>\n", out);
}

static void arrow(FILE *out, const struct ladder_row *r, double y)
{
	struct style_look look = look_of(r->style);
	double x1 = r->from == 0 ? LEFT_X : RIGHT_X, x2 = r->from == 0 ? RIGHT_X : LEFT_X;
	double mx = (LEFT_X + RIGHT_X) / 2, my = y + DROP / 2;
	/* Text reads left to right whichever way the arrow points. */
	double angle = atan2(DROP, RIGHT_X - LEFT_X) * 180 / M_PI * (r->from == 0 ? 1 : -1);
	char attrs[256];

	fputs("<g class=\"segment\">", out);
	fprintf(out, "<title>%s ms</title>\n", r->time);
	arrow_line(out, x1, y, x2, y + DROP, look);
	fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x1, y, look.colour);

	snprintf(attrs, sizeof(attrs), "font-family=\"%s\" font-size=\"13\" fill=\"#1a1a1a\"", FONT_MONO);
	along(out, mx, my, angle, -7, attrs, r->label);
	double below = 16;
	if (r->options[0]) {
		snprintf(attrs, sizeof(attrs), "font-family=\"%s\" font-size=\"12\" fill=\"#555\"", FONT_MONO);
		along(out, mx, my, angle, below, attrs, r->options);
		below += SUB_LINE;
	}
	if (r->marks[0]) {
		snprintf(attrs, sizeof(attrs), "font-family=\"%s\" font-size=\"12\" font-style=\"italic\" fill=\"#b3261e\"",
			 FONT_SANS);
		along(out, mx, my, angle, below, attrs, r->marks);
		below += SUB_LINE;
	}
	char lines[LADDER_WRAP_MAX][128];
	int n_lines = ladder_wrap(r->annotations, ANNOTATION_CHARS, lines, LADDER_WRAP_MAX);
	snprintf(attrs, sizeof(attrs), "font-family=\"%s\" font-size=\"12\" fill=\"#6a1b9a\"", FONT_MONO);
	for (int k = 0; k < n_lines; k++, below += SUB_LINE)
		along(out, mx, my, angle, below, attrs, lines[k]);
	fputs("</g>\n", out);

	/* The time of capture, on the axis, level with the departure. */
	fprintf(out, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#c0c0c0\"/>\n", AXIS_X - 4, y,
		AXIS_X + 4, y);
	fprintf(out, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" font-family=\"%s\" font-size=\"11\" "
		"fill=\"#888\">%s</text>\n", AXIS_X - 8, y + 4, FONT_MONO, r->time);

	int stacked[2] = {0, 0};
	for (int k = 0; k < r->n_notes; k++) {
		const struct ladder_state_note *n = &r->notes[k];
		int e = n->end & 1;
		double at = y + (n->at_arrival ? DROP : 0) + BOX_STACK * stacked[e]++;
		state_box(out, e, at, n->state, n->why);
	}
}

static void footer(FILE *out, const struct ladder_layout *lay, double y)
{
	static const struct { enum ladder_style style; const char *what; } keys[] = {
		{LADDER_STYLE_NORMAL, "data / ACK"}, {LADDER_STYLE_HANDSHAKE, "SYN / FIN"},
		{LADDER_STYLE_RESET, "RST"}, {LADDER_STYLE_REPEAT, "retransmission / probe"},
	};
	for (int e = 0; e < 2; e++)
		state_box(out, e, y, lay->last_state[e], "state after the last segment");
	double x = 24, ky = y + 48;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct style_look look = look_of(keys[i].style);
		arrow_line(out, x, ky - 4, x + 34, ky - 4, look);
		fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" font-family=\"%s\" font-size=\"12\" fill=\"#555\">%s</text>\n",
			x + 42, ky, FONT_SANS, keys[i].what);
		x += 42 + strlen(keys[i].what) * 6.6 + 28;
	}
	fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" font-family=\"%s\" font-size=\"12\" fill=\"#555\">"
		"states inferred from the segments (RFC 9293)</text>\n", x, ky, FONT_SANS);
}

void ladder_render_svg(FILE *out, const struct ladder_layout *lay, int standalone)
{
	double height;
	double *y = row_positions(lay, &height);
	if (!y)
		return;
	double bottom = height - 84;
	if (standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\">\n", WIDTH, height, WIDTH, height);
	fputs("<title>", out);
	xml_text(out, lay->title);
	fputs("</title>\n", out);
	defs(out);
	fprintf(out, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", WIDTH, height);
	header(out, lay, bottom);
	for (size_t i = 0; i < lay->n_rows; i++)
		arrow(out, &lay->rows[i], y[i]);
	footer(out, lay, bottom);
	fputs("</svg>\n", out);
	free(y);
}

/* --- HTML: the SVG and a table of every segment --------------------------- */

static void cell(FILE *out, const char *cls, const char *text)
{
	fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	xml_text(out, text);
	fputs("</td>", out);
}

static void table_row(FILE *out, size_t n, const struct ladder_row *r)
{
	const struct ladder_segment *s = r->seg;
	char buf[256];

	fputs("<tr>", out);
	snprintf(buf, sizeof(buf), "%zu", n);
	cell(out, NULL, buf);
	cell(out, NULL, r->time);
	cell(out, "l", r->from == 0 ? "\xe2\x86\x92" : "\xe2\x86\x90");  /* → ← */
	cell(out, "l", r->flags);
	snprintf(buf, sizeof(buf), "%d", (int)(int32_t)s->rel_seq);
	cell(out, NULL, buf);
	snprintf(buf, sizeof(buf), "%d", (int)(int32_t)s->rel_ack);
	cell(out, NULL, s->tcp.flags & TCPF_ACK ? buf : "");
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->win);
	cell(out, NULL, buf);
	snprintf(buf, sizeof(buf), "%u", s->tcp.win);
	cell(out, NULL, buf);
	snprintf(buf, sizeof(buf), "%zu", s->tcp.payload_len);
	cell(out, NULL, buf);
	cell(out, "l", r->options);
	snprintf(buf, sizeof(buf), "%u / %u", s->tcp.ts_val, s->tcp.ts_ecr);
	cell(out, NULL, s->tcp.has_ts ? buf : "");
	cell(out, "l mark", r->marks);
	buf[0] = '\0';
	for (int k = 0; k < r->n_notes; k++) {
		size_t used = strlen(buf);
		snprintf(buf + used, sizeof(buf) - used, "%s%s %s (%s)", k ? "; " : "",
			 r->notes[k].end == 0 ? "client" : "server", r->notes[k].state, r->notes[k].why);
	}
	cell(out, "l", buf);
	cell(out, "l", r->annotations);
	fputs("</tr>\n", out);
}

void ladder_render_html(FILE *out, const struct ladder_layout *lay)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", out);
	xml_text(out, lay->title);
	fputs("</title>\n<style>\n"
	      "body { font-family: " FONT_SANS "; margin: 2em; color: #222; }\n"
	      "svg { max-width: 100%; height: auto; }\n"
	      "table { border-collapse: collapse; font: 13px " FONT_MONO "; margin-top: 1em; }\n"
	      "th { background: #f2f2f2; text-align: right; }\n"
	      "th, td { padding: 3px 9px; border-bottom: 1px solid #e2e2e2; text-align: right;\n"
	      "         white-space: nowrap; }\n"
	      "td.l, th.l { text-align: left; }\n"
	      "td.mark { color: #b3261e; font-style: italic; }\n"
	      "tr:hover td { background: #fafae6; }\n"
	      "</style>\n</head>\n<body>\n", out);
	ladder_render_svg(out, lay, 0);
	fputs("<h2>Segments</h2>\n<p>", out);
	xml_text(out, lay->endpoint[0]);
	fputs(" (client, \xe2\x86\x92) and ", out);
	xml_text(out, lay->endpoint[1]);
	fputs(" (server, \xe2\x86\x90). ", out);
	xml_text(out, lay->legend[0]);
	fputs("; ", out);
	xml_text(out, lay->legend[1]);
	if (lay->legend[2][0]) {
		fputs("; ", out);
		xml_text(out, lay->legend[2]);
	}
	fputs(".</p>\n<table>\n<tr><th>#</th><th>ms</th><th class=\"l\">dir</th><th class=\"l\">flags</th>"
	      "<th>seq</th><th>ack</th><th>win</th><th>win field</th><th>len</th><th class=\"l\">options</th>"
	      "<th>TSval / TSecr</th><th class=\"l\">marks</th><th class=\"l\">state changes</th>"
	      "<th class=\"l\">annotations</th></tr>\n",
	      out);
	for (size_t i = 0; i < lay->n_rows; i++)
		table_row(out, i + 1, &lay->rows[i]);
	fputs("</table>\n</body>\n</html>\n", out);
}
