/* dns_hosts.c - the hosts table; see dns_hosts.h. */
#include "dns_hosts.h"
#include "dns_file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOSTS_LINE_MAX 1024

static int add_entry(struct dns_hosts *h, const struct dns_name *name, uint32_t addr)
{
	if (h->count == DNS_HOSTS_MAX)
		return -ENOSPC;
	if (!h->entries && !(h->entries = malloc(DNS_HOSTS_MAX * sizeof(*h->entries))))
		return -ENOMEM;
	h->entries[h->count].name = *name;
	h->entries[h->count].addr = addr;
	h->count++;
	return 0;
}

int dns_hosts_parse(struct dns_hosts *h, const char *text, const char *file, char *err,
		    size_t errlen)
{
	char line[HOSTS_LINE_MAX + 1];
	unsigned number = 0;
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		number++;
		if (n > HOSTS_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line longer than %d bytes", file, number,
				 HOSTS_LINE_MAX);
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] == '\n');
		line[strcspn(line, "#")] = '\0';
		char *save = NULL, *addr_text = strtok_r(line, " \t\r", &save);
		if (!addr_text || strchr(addr_text, ':'))
			continue;           /* blank, a comment, or IPv6 */
		struct in_addr in;
		if (inet_pton(AF_INET, addr_text, &in) != 1) {
			snprintf(err, errlen, "%s:%u: '%.64s' is not an IPv4 address", file, number,
				 addr_text);
			return -1;
		}
		int names = 0;
		for (char *word; (word = strtok_r(NULL, " \t\r", &save)); names++) {
			struct dns_name name;
			if (dns_name_from_text(word, &name) < 0 || name.len == 1) {
				snprintf(err, errlen, "%s:%u: '%.64s' is not a valid host name", file,
					 number, word);
				return -1;
			}
			int e = add_entry(h, &name, ntohl(in.s_addr));
			if (e < 0) {
				snprintf(err, errlen, "%s:%u: %s", file, number,
					 e == -ENOSPC ? "more than 1024 names" : "out of memory");
				return -1;
			}
		}
		if (!names) {
			snprintf(err, errlen, "%s:%u: an address with no name", file, number);
			return -1;
		}
	}
	return 0;
}

int dns_hosts_load(struct dns_hosts *h, const char *path, char *err, size_t errlen)
{
	char *text = dns_file_read(path, err, errlen);
	if (!text)
		return -1;
	int rc = dns_hosts_parse(h, text, path, err, errlen);
	free(text);
	return rc;
}

void dns_hosts_free(struct dns_hosts *h)
{
	free(h->entries);
	h->entries = NULL;
	h->count = 0;
}

size_t dns_hosts_lookup(const struct dns_hosts *h, const struct dns_name *name, uint32_t *out,
			size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < h->count && n < max; i++)
		if (dns_name_equal(&h->entries[i].name, name))
			out[n++] = h->entries[i].addr;
	return n;
}
