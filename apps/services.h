/*
 * services.h - the small standard services every tapir host offers:
 * echo (RFC 862), discard (RFC 863) and chargen (RFC 864), over TCP and UDP.
 *
 * Written on the core's non-blocking socket calls and readiness callbacks,
 * so the same code serves on a TAP under `tapir run` and inside `tapir
 * replay` on a virtual clock. Runs on the stack's thread.
 */
#ifndef TAPIR_APPS_SERVICES_H
#define TAPIR_APPS_SERVICES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tapir/tapir.h"

enum {
	TP_SVC_ECHO = 1 << 0,
	TP_SVC_DISCARD = 1 << 1,
	TP_SVC_CHARGEN = 1 << 2,
	TP_SVC_DNS = 1 << 3,        /* served by apps/dns (dns_server.h), not here */
	TP_SVC_TCP = 1 << 4,
	TP_SVC_UDP = 1 << 5,
	TP_SVC_HTTP = 1 << 6,       /* served by apps/http (http_server.h), not here */
	TP_SVC_ALL = TP_SVC_ECHO | TP_SVC_DISCARD | TP_SVC_CHARGEN | TP_SVC_DNS | TP_SVC_TCP |
		     TP_SVC_UDP | TP_SVC_HTTP,
};

struct tp_services;

/* Parses "echo,discard,chargen,dns,http" (with optional "tcp"/"udp" to restrict;
 * "all" or "" for everything, "none" for nothing) into TP_SVC_* bits.
 * Returns 0 or -EINVAL. */
int tp_services_parse(const char *list, unsigned *mask);

/* Opens the listeners and UDP sockets. NULL on failure, with the reason
 * (e.g. "TCP port 7 is in use") in err. */
struct tp_services *tp_services_start(struct tp_stack *s, unsigned mask, char *err, size_t errlen);
/* Closes everything it opened (connections are reset). */
void tp_services_stop(struct tp_services *svc);

/* What each service did, by TP_SVC_ECHO / _DISCARD / _CHARGEN order. */
struct tp_service_stats {
	uint64_t connections;       /* TCP connections accepted */
	uint64_t bytes_in, bytes_out;       /* TCP payload read and written */
	uint64_t datagrams_in, datagrams_out;   /* UDP */
};
const struct tp_service_stats *tp_services_stats(const struct tp_services *svc, unsigned service);

/* "tapir: services:" then one "  echo.bytes_in 1234" line per non-zero
 * counter, in the format of the stack's counters. */
void tp_services_print(const struct tp_services *svc, FILE *out);

#endif
