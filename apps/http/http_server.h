/*
 * http_server.h - an HTTP/1.1 origin server (RFC 9110, RFC 9112) for static
 * files, on the stack's non-blocking core sockets.
 *
 * Everything runs on the loop thread: one listener, one readiness callback
 * per connection, one periodic loop timer for idle and lingering-close
 * deadlines. Connections are persistent and pipelined requests answered in
 * order; files are streamed in chunks at the pace the TCP send buffer
 * drains (back-pressure), never read whole. Each request gets one line in
 * the access log: client, request line, status, bytes, time.
 */
#ifndef TAPIR_APPS_HTTP_SERVER_H
#define TAPIR_APPS_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tapir/tapir.h"

struct tp_loop;
struct http_server;

struct http_server_config {
	const char *www;            /* document root; NULL: the built-in site */
	uint16_t port;              /* [80] */
	tp_time idle_timeout;       /* a keep-alive connection's silence before close [15 s];
				     * a request still incomplete by then gets 408 */
	FILE *access_log;           /* NULL: none */
};

void http_server_config_defaults(struct http_server_config *cfg);

/* Opens the listener. NULL with the reason in err. */
struct http_server *http_server_start(struct tp_loop *loop, const struct http_server_config *cfg,
				      char *err, size_t errlen);
/* Closes every connection (reset if mid-response) and the listener. */
void http_server_stop(struct http_server *srv);

/* "tapir: http:" then its counters, in the format of the stack's. */
void http_server_print(const struct http_server *srv, FILE *out);

#endif
