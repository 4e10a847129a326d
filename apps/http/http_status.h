/*
 * http_status.h - the live status page: every TCP connection the stack
 * holds (tp_tcp_foreach) and every counter (tp_stat), as auto-refreshing
 * HTML (/status) or JSON (/status.json).
 */
#ifndef TAPIR_APPS_HTTP_STATUS_H
#define TAPIR_APPS_HTTP_STATUS_H

#include <stddef.h>
#include <stdint.h>

struct tp_stack;

/* A growable text buffer; `failed` once an allocation failed. */
struct http_buf {
	char *p;
	size_t len, cap;
	int failed;
};
void http_buf_printf(struct http_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The HTTP server's own counters, shown with the stack's. */
struct http_server_stats {
	uint64_t connections;       /* accepted */
	uint64_t open;              /* now */
	uint64_t requests;
	uint64_t responses[6];      /* by class: [2] = 2xx ... [5] = 5xx */
	uint64_t bytes_out;
};

/* Writes the page into out (appending). */
void http_status_page(struct tp_stack *s, const struct http_server_stats *st, int json,
		      struct http_buf *out);

#endif
