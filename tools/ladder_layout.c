/*
 * ladder_layout.c - one connection turned into the words of its diagram:
 * per segment an arrow direction, a time, a label, options, marks and the
 * states written beside the lifelines. Text and SVG both draw this model,
 * so every word is chosen once, here, and the two pictures always agree;
 * the renderers only decide where things go.
 */
#include "ladder.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Appends to a fixed buffer; output past its end is cut, never overflows. */
static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
}

/* "SYN,ACK": Wireshark's names, SYN/FIN/RST first as they matter most. */
static void flags_str(unsigned flags, char *buf, size_t size)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{TCPF_SYN, "SYN"}, {TCPF_FIN, "FIN"}, {TCPF_RST, "RST"}, {TCPF_PSH, "PSH"},
		{TCPF_URG, "URG"}, {TCPF_ACK, "ACK"}, {TCPF_ECE, "ECE"}, {TCPF_CWR, "CWR"},
	};
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			append(buf, size, "%s%s", buf[0] ? "," : "", names[i].name);
	if (!buf[0])
		snprintf(buf, size, "(no flags)");
}

static void label_str(const struct ladder_segment *s, const char *flags, char *buf, size_t size)
{
	buf[0] = '\0';
	/* Relative numbers are differences: one before the ISN reads -1000,
	 * not 4294966296. */
	append(buf, size, "%s seq=%d", flags, (int)(int32_t)s->rel_seq);
	if (s->tcp.flags & TCPF_ACK)
		append(buf, size, " ack=%d", (int)(int32_t)s->rel_ack);
	append(buf, size, " win=%llu", (unsigned long long)s->win);
	if (s->tcp.payload_len)
		append(buf, size, " len=%zu", s->tcp.payload_len);
}

/* Only what the handshake negotiates and SACK's blocks: timestamps ride on
 * every segment once agreed, so they are named on the SYNs only (the HTML
 * table has their values). */
static void options_str(const struct ladder_segment *s, char *buf, size_t size)
{
	const struct tp_tcp_segment *t = &s->tcp;
	char in[128] = "";
	if (t->has_mss)
		append(in, sizeof(in), "%smss %u", in[0] ? "," : "", t->mss);
	if (t->has_ws)
		append(in, sizeof(in), "%sws %u", in[0] ? "," : "", t->ws);
	if (t->has_sack_ok)
		append(in, sizeof(in), "%ssackOK", in[0] ? "," : "");
	if (t->has_ts && (t->flags & TCPF_SYN))     /* negotiated here; then on every segment */
		append(in, sizeof(in), "%sts", in[0] ? "," : "");
	if (t->n_sack) {
		append(in, sizeof(in), "%ssack", in[0] ? "," : "");
		for (unsigned b = 0; b < t->n_sack; b++)
			append(in, sizeof(in), " %d-%d", (int)(int32_t)s->rel_sack[b][0],
			       (int)(int32_t)s->rel_sack[b][1]);
	}
	buf[0] = '\0';
	if (in[0])
		append(buf, size, "<%s>", in);
}

static void marks_str(const struct ladder_segment *s, char *buf, size_t size)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{LADDER_RETRANSMISSION, "retransmission"},      /* "fast retransmission" with FAST */
		{LADDER_OUT_OF_ORDER, "out of order"},
		{LADDER_GAP, "previous segment not captured"},
		{LADDER_DUP_ACK, NULL},         /* numbered: "dup ACK #2" */
		{LADDER_WINDOW_PROBE, "zero-window probe"},
		{LADDER_KEEPALIVE, "keep-alive"},
		{LADDER_ZERO_WINDOW, "zero window"},
		{LADDER_RST_IGNORED, "RST ignored: seq is not RCV.NXT"},
		{LADDER_SYN_ON_OPEN, "SYN on an open connection: challenge ACK"},
		{LADDER_UNACKED, "never ACKed"},
	};
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(s->marks & names[i].bit))
			continue;
		if (names[i].bit == LADDER_RETRANSMISSION && (s->marks & LADDER_FAST_RETRANSMIT))
			append(buf, size, "%sfast retransmission", buf[0] ? ", " : "");
		else if (names[i].name)
			append(buf, size, "%s%s", buf[0] ? ", " : "", names[i].name);
		else
			append(buf, size, "%sdup ACK #%u", buf[0] ? ", " : "", s->dup_ack_count);
	}
}

static enum ladder_style style_of(const struct ladder_segment *s)
{
	if (s->tcp.flags & TCPF_RST)
		return LADDER_STYLE_RESET;
	if (s->marks & (LADDER_RETRANSMISSION | LADDER_WINDOW_PROBE | LADDER_KEEPALIVE))
		return LADDER_STYLE_REPEAT;
	if (s->tcp.flags & (TCPF_SYN | TCPF_FIN))
		return LADDER_STYLE_HANDSHAKE;
	return LADDER_STYLE_NORMAL;
}

static void row_build(struct ladder_row *row, const struct ladder_segment *s, uint64_t t0)
{
	memset(row, 0, sizeof(*row));
	row->seg = s;
	row->from = s->from;
	row->style = style_of(s);
	uint64_t us = s->time_us >= t0 ? s->time_us - t0 : 0;
	snprintf(row->time, sizeof(row->time), "%llu.%03llu", (unsigned long long)(us / 1000),
		 (unsigned long long)(us % 1000));
	flags_str(s->tcp.flags, row->flags, sizeof(row->flags));
	label_str(s, row->flags, row->label, sizeof(row->label));
	options_str(s, row->options, sizeof(row->options));
	marks_str(s, row->marks, sizeof(row->marks));
	for (size_t i = 0; i < s->n_annotations; i++)
		append(row->annotations, sizeof(row->annotations), "%s%s=%s",
		       row->annotations[0] ? " " : "", s->annotations[i].name, s->annotations[i].value);
	for (int i = 0; i < s->n_transitions; i++) {
		const struct tcp_transition *tr = &s->transitions[i];
		row->notes[row->n_notes++] = (struct ladder_state_note){
			tr->end, tr->at_arrival, ti_state_name(tr->to), tr->why};
	}
}

int ladder_layout_build(struct ladder_layout *lay, const struct ladder_conn *c,
			const char *capture_name, size_t conn_number, size_t n_conns)
{
	memset(lay, 0, sizeof(*lay));
	lay->rows = calloc(c->n_seg ? c->n_seg : 1, sizeof(*lay->rows));
	if (!lay->rows)
		return -1;
	lay->n_rows = c->n_seg;
	uint64_t t0 = c->n_seg ? c->seg[0].time_us : 0;
	for (size_t i = 0; i < c->n_seg; i++)
		row_build(&lay->rows[i], &c->seg[i], t0);

	const char *base = strrchr(capture_name, '/');
	snprintf(lay->title, sizeof(lay->title), "%s, connection %zu of %zu",
		 base ? base + 1 : capture_name, conn_number, n_conns);
	for (int e = 0; e < 2; e++) {
		ladder_endpoint_str(c->ip[e], c->port[e], lay->endpoint[e], sizeof(lay->endpoint[e]));
		lay->first_state[e] = ti_state_name(c->infer.end[e].first);
		lay->last_state[e] = ti_state_name(c->infer.end[e].state);
	}
	int assumed = c->infer.end[0].assumed || c->infer.end[1].assumed;
	snprintf(lay->legend[0], sizeof(lay->legend[0]),
		 "seq/ack relative to each side's ISN; time in ms since the first segment%s",
		 assumed ? "; handshake not captured: first states assumed" : "");
	if (c->scaling)
		snprintf(lay->legend[1], sizeof(lay->legend[1]),
			 "windows scaled (RFC 7323): left x%u (ws %d), right x%u (ws %d)",
			 1u << c->ws[0], c->ws[0], 1u << c->ws[1], c->ws[1]);
	else if (c->n_seg && (c->seg[0].tcp.flags & TCPF_SYN))
		snprintf(lay->legend[1], sizeof(lay->legend[1]),
			 "windows as sent: no window scaling (both SYNs must offer it)");
	else
		snprintf(lay->legend[1], sizeof(lay->legend[1]),
			 "windows as sent: scaling unknown (SYNs not captured)");
	if (c->vars_end >= 0)
		snprintf(lay->legend[2], sizeof(lay->legend[2]),
			 "variables: tapir's at %s, once done with each segment (snd.*, rcv.nxt relative)",
			 c->vars_end == 2 ? "both ends" : lay->endpoint[c->vars_end]);
	return 0;
}

int ladder_wrap(const char *text, size_t width, char lines[][128], int max)
{
	int n = 0;
	if (width >= 128)
		width = 127;
	while (*text == ' ')
		text++;
	while (*text && n < max) {
		size_t len = strlen(text), cut = len;
		if (len > width) {
			cut = width;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;        /* one word longer than a line */
		}
		snprintf(lines[n++], 128, "%.*s", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
	return n;
}

void ladder_layout_free(struct ladder_layout *lay)
{
	free(lay->rows);
	memset(lay, 0, sizeof(*lay));
}
