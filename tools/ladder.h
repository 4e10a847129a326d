/*
 * ladder.h - `tapir ladder`: TCP connections in a capture drawn as ladder
 * (sequence) diagrams. The pieces, each in its own file:
 *
 *   ladder_conn.c    capture -> connections: segments grouped by 4-tuple,
 *                    relative numbers, marks (retransmission, dup ACK, ...)
 *   tcp_infer.c      both ends' states from the RFC 9293 diagram
 *   ladder_layout.c  one connection -> rows of words (labels, state notes):
 *                    the model both renderers draw, so they cannot disagree
 *   ladder_text.c    rows -> terminal text
 *   ladder_svg.c     rows -> SVG, and the HTML page around it
 *   ladder_vars.c    tapir's own variables from CAPTURE.vars (--vars)
 *   ladder.c         the command line
 */
#ifndef TAPIR_TOOLS_LADDER_H
#define TAPIR_TOOLS_LADDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "tapir/tapir.h"
#include "tcp_infer.h"

/* What a segment shows beyond its own fields, inferred from its neighbours. */
enum ladder_mark {
	LADDER_RETRANSMISSION = 1 << 0, /* its sequence range was sent before */
	LADDER_OUT_OF_ORDER = 1 << 1,   /* below data sent before, but never sent itself */
	LADDER_GAP = 1 << 2,            /* starts past the data sent so far: some was not captured */
	LADDER_DUP_ACK = 1 << 3,        /* RFC 5681 §2's duplicate ACK */
	LADDER_ZERO_WINDOW = 1 << 4,    /* advertises a window of 0 */
	LADDER_WINDOW_PROBE = 1 << 5,   /* data sent into the peer's zero window */
	LADDER_KEEPALIVE = 1 << 6,      /* seq one below the next byte, at most 1 byte */
	LADDER_UNACKED = 1 << 7,        /* data, SYN or FIN no ACK in the capture covers */
	LADDER_RST_IGNORED = 1 << 8,    /* RST the receiver must drop (RFC 5961 §3.2) */
	LADDER_STATE_ASSUMED = 1 << 9,  /* sender's state guessed: handshake not captured */
	LADDER_SYN_ON_OPEN = 1 << 10,   /* new SYN on an open connection (RFC 5961 §4) */
	LADDER_FAST_RETRANSMIT = 1 << 11, /* resent after 3 duplicate ACKs asked for it (RFC 5681 §3.2) */
};

/* A name = value pair shown with a segment. The capture alone gives none:
 * the sidecar trace written by tapir (SND.UNA, cwnd, RTO, ...) attaches
 * its variables to the segment they belong to (ladder_vars.c). */
struct ladder_annotation {
	char *name, *value;
};

struct ladder_segment {
	uint64_t time_us;               /* capture stamp */
	size_t frame;                   /* its index in the capture, 0 the first */
	int from;                       /* 0: client -> server, 1: server -> client */
	struct tp_tcp_segment tcp;      /* the numbers on the wire */
	uint32_t rel_seq, rel_ack;      /* relative to the sender's / receiver's ISN */
	uint32_t rel_sack[TP_TCP_MAX_SACK][2];
	uint64_t win;                   /* window in bytes, scaled when scaling is in use */
	unsigned marks;                 /* LADDER_* */
	unsigned dup_ack_count;         /* n for the n-th duplicate ACK */
	struct tcp_transition transitions[TCP_INFER_MAX_TRANSITIONS];
	int n_transitions;
	struct ladder_annotation *annotations;  /* see above */
	size_t n_annotations;
};

struct ladder_conn {
	uint32_t ip[2];                 /* [0] the client: sent the first SYN */
	unsigned port[2];
	struct ladder_segment *seg;
	size_t n_seg, cap_seg;
	struct tcp_infer infer;         /* states as of the last segment */
	uint32_t base[2];               /* relative numbers start here: ISN, or first seq - 1 */
	int ws[2];                      /* window scale each SYN offered, -1: none */
	int scaling;                    /* both SYNs offered it (RFC 7323 §2.2) */
	int vars_end;                   /* whose variables annotate it: 0, 1, 2 both, -1 none */
};

struct ladder_capture {
	struct ladder_conn *conn;
	size_t n_conn, cap_conn;
	size_t frames;                  /* all frames read */
	size_t tcp_frames;              /* of which TCP segments */
	/* 4-tuple -> latest connection, so huge captures stay linear. */
	size_t *index;
	size_t index_size;
};

/* The whole pipeline for a file: reads, tracks, finishes. Returns 0, or -1
 * with the reason in err (connections read before damage are kept). */
int ladder_capture_read(struct ladder_capture *cap, const char *path, char *err, size_t errlen);

/* The same in steps, for tests: add frames in capture order, then finish
 * (relative numbers and marks need the whole connection). */
void ladder_capture_add(struct ladder_capture *cap, uint64_t time_us, const uint8_t *frame,
			size_t len);
void ladder_capture_finish(struct ladder_capture *cap);
void ladder_capture_free(struct ladder_capture *cap);

/* "10.0.0.1:40000" */
char *ladder_endpoint_str(uint32_t ip, unsigned port, char *buf, size_t size);

/* --- The layout model: what both renderers draw -------------------------- */

/* A state written beside a lifeline: at the arrow's start (the sender's
 * change) or its end (the receiver's). */
struct ladder_state_note {
	int end;                        /* 0 left lifeline, 1 right */
	int at_arrival;
	const char *state;              /* "FIN_WAIT_1" */
	const char *why;
};

/* How an arrow should look; renderers map these to dashes and colours. */
enum ladder_style {
	LADDER_STYLE_NORMAL,
	LADDER_STYLE_HANDSHAKE,         /* SYN or FIN */
	LADDER_STYLE_RESET,             /* RST */
	LADDER_STYLE_REPEAT,            /* retransmission, probe, keep-alive */
};

struct ladder_row {
	const struct ladder_segment *seg;
	int from;                       /* 0: arrow left -> right */
	enum ladder_style style;
	char time[24];                  /* ms since the connection's first segment */
	char flags[48];                 /* "PSH,ACK": the label's first word */
	char label[128];                /* "PSH,ACK seq=1 ack=1 win=65535 len=10" */
	char options[128];              /* "<mss 1460,ws 7,sackOK,ts>" or "" */
	char marks[128];                /* "retransmission, never ACKed" or "" */
	char annotations[256];          /* the segment's annotations, "name=value ..." */
	struct ladder_state_note notes[TCP_INFER_MAX_TRANSITIONS];
	int n_notes;
};

struct ladder_layout {
	char title[256];                /* "tcp_handshake_echo.pcap, connection 1 of 1" */
	char endpoint[2][48];           /* "10.0.0.1:40000" */
	const char *first_state[2], *last_state[2];
	char legend[3][160];            /* how numbers read: relative seq, window scaling,
					   whose variables ("" without --vars) */
	struct ladder_row *rows;
	size_t n_rows;
};

/* Returns 0, or -1 out of memory. capture_name is shown in the title. */
int ladder_layout_build(struct ladder_layout *lay, const struct ladder_conn *c,
			const char *capture_name, size_t conn_number, size_t n_conns);
void ladder_layout_free(struct ladder_layout *lay);

/* Splits text at spaces into lines of at most width characters (a longer
 * word is cut); returns how many, at most max. */
#define LADDER_WRAP_MAX 6
int ladder_wrap(const char *text, size_t width, char lines[][128], int max);

void ladder_render_text(FILE *out, const struct ladder_layout *lay);
/* standalone: with the XML declaration, for a .svg file; without, to inline in HTML. */
void ladder_render_svg(FILE *out, const struct ladder_layout *lay, int standalone);
void ladder_render_html(FILE *out, const struct ladder_layout *lay);

/* --- tapir's variables (ladder_vars.c) ------------------------------------ */

enum ladder_var {
	LV_STATE, LV_SND_UNA, LV_SND_NXT, LV_SND_WND, LV_RCV_NXT, LV_RCV_WND, LV_CWND, LV_SSTHRESH,
	LV_SRTT, LV_RTO, LV_TIMERS, LADDER_NVARS
};

/* One line of a CAPTURE.vars sidecar. */
struct ladder_vars_line {
	uint64_t frame;
	int out;                        /* tapir sent the segment (else received it) */
	int lineno;
	unsigned present;               /* 1 << LV_* given on the line */
	uint64_t num[LADDER_NVARS];     /* LV_STATE: tp_tcp_state_name() index; times in µs */
	uint64_t timer[TP_TCP_TIMERS];  /* µs left; UINT64_MAX not armed */
};

struct ladder_vars {
	struct ladder_vars_line *lines; /* sorted by frame, one per frame */
	size_t n, cap;
};

/* Reads a sidecar: 0, or -1 with "NAME:LINE: why" in err (all of v freed
 * by ladder_vars_free either way). _load: -2 if the file does not exist. */
int ladder_vars_parse(struct ladder_vars *v, FILE *f, const char *name, char *err, size_t errlen);
int ladder_vars_load(struct ladder_vars *v, const char *path, char *err, size_t errlen);
void ladder_vars_free(struct ladder_vars *v);
/* "snd.una,cwnd" (any case) or "all" into LV_* ids (room for LADDER_NVARS);
 * how many, or -1 with err. */
int ladder_vars_choose(const char *list, int *ids, char *err, size_t errlen);
/* Gives each segment of c with a line its chosen variables as annotations
 * (after ladder_capture_finish: numbers are relative). 0 or -1 (memory). */
int ladder_vars_annotate(struct ladder_conn *c, const struct ladder_vars *v, const int *ids, int n_ids);

#endif
