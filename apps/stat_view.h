/*
 * stat_view.h - `tapir stat`'s tables, drawn from a control socket's answer
 * (the protocol is in tapir/control.h). Pure text in, text out: no sockets
 * here, so the tests feed it answers, well-formed and hostile.
 *
 * The answer comes from another process and is treated as hostile: a line
 * that is not a record is skipped, fields are looked up by key (unknown ones
 * ignored, missing ones shown as "?"), and every value is shown with only
 * printable ASCII, so no escape sequence ever reaches the terminal.
 */
#ifndef TAPIR_APPS_STAT_VIEW_H
#define TAPIR_APPS_STAT_VIEW_H

#include <stddef.h>
#include <stdio.h>

enum stat_view {
	STAT_VIEW_SUMMARY,      /* -s: TCP sockets per state, all eleven in RFC order */
	STAT_VIEW_CONNS,        /* the default: every TCP socket, like `ss -tan` */
	STAT_VIEW_LISTENERS,    /* -l: with accept and SYN queues */
	STAT_VIEW_UDP,          /* -u */
	STAT_VIEW_COUNTERS,     /* -c: by layer, each with its help text */
	STAT_VIEW_COUNT
};

/* The request line the view needs ("summary", "conns", ...). */
const char *stat_view_request(enum stat_view view);

/* Draws the view from a whole answer; with_info (-i) adds a line of TCP
 * variables under each connection. Returns 0; or -1 with one line in err
 * when the answer is an error, is not from a tapir, or was cut short, and
 * then nothing is written to out. */
int stat_view_render(enum stat_view view, int with_info, const char *answer, FILE *out,
		     char *err, size_t errlen);

#endif
