/*
 * dns_hosts.h - a static name table in /etc/hosts format, for the resolver.
 *
 *     # comment
 *     10.0.0.1   host.tapir.test   host     # names after the address
 *
 * Lines with an IPv6 address (a ':' in it) are skipped; any other address
 * that is not dotted-quad IPv4, or a name that is not a valid domain name,
 * is an error naming its line. Names match case-insensitively, with or
 * without a trailing dot. Pure: dns_hosts_parse() works on a string.
 */
#ifndef TAPIR_DNS_HOSTS_H
#define TAPIR_DNS_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "dns_wire.h"

#define DNS_HOSTS_MAX 1024

struct dns_hosts_entry {
	struct dns_name name;
	uint32_t addr;              /* host order */
};

struct dns_hosts {
	struct dns_hosts_entry *entries;
	size_t count;
};

/* 0, or -1 with "FILE:LINE: what" in err. Appends to what h holds. */
int dns_hosts_parse(struct dns_hosts *h, const char *text, const char *file, char *err,
		    size_t errlen);
/* Reads a file (at most 1 MiB) and parses it. */
int dns_hosts_load(struct dns_hosts *h, const char *path, char *err, size_t errlen);
void dns_hosts_free(struct dns_hosts *h);
/* Up to max addresses for name, in file order; returns how many. */
size_t dns_hosts_lookup(const struct dns_hosts *h, const struct dns_name *name, uint32_t *out,
			size_t max);

#endif
