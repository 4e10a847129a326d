/*
 * fuzz_dns.c - the DNS parsers on arbitrary bytes. The first byte picks the
 * parser: a message (decoded record by record and printed, then answered
 * by the authoritative server over UDP and TCP, and the answer decoded
 * again), zone-file text, or hosts-file text. Each must end in a clean
 * verdict; the invariants below catch a reply that breaks the rules.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"
#include "dns_hosts.h"
#include "dns_text.h"
#include "dns_zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static struct dns_zone zone;
static uint8_t reply[DNS_MSG_MAX];

static void walk(const uint8_t *msg, size_t len)
{
	struct dns_reader r;
	struct dns_rr rr;
	char line[8192];
	if (dns_reader_init(&r, msg, len) < 0)
		return;
	while (dns_reader_next(&r, &rr) == 1) {
		dns_rr_format(&rr, line, sizeof(line));
		check(strlen(line) < sizeof(line));
	}
}

static void answer(const uint8_t *q, size_t len, enum dns_transport t)
{
	struct dns_answer_info info;
	size_t n = dns_answer(&zone, q, len, t, reply, sizeof(reply), &info);
	if (!n)
		return;
	/* Every reply is well formed, a response, with the query's ID, and
	 * within the transport's size. */
	check(dns_message_check(reply, n, NULL) == 0);
	check(reply[2] & 0x80);
	check(reply[0] == q[0] && reply[1] == q[1]);
	check(t == DNS_OVER_TCP || n <= DNS_EDNS_SIZE);
	walk(reply, n);
}

static void parse_text(const uint8_t *data, size_t size, int hosts)
{
	char err[256];
	char *text = malloc(size + 1);
	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (hosts) {
		struct dns_hosts h = {0};
		dns_hosts_parse(&h, text, "fuzz", err, sizeof(err));
		dns_hosts_free(&h);
	} else {
		struct dns_zone z;
		if (dns_zone_init(&z, "tapir.test") == 0 &&
		    dns_zone_parse(&z, text, "fuzz", 0x0a000002, err, sizeof(err)) == 0)
			check(z.soa != NULL);
		dns_zone_free(&z);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!zone.soa) {
		char err[128];
		if (dns_zone_setup(&zone, "tapir.test", NULL, 0x0a000002, 0x0a000001, err, sizeof(err)))
			abort();
	}
	if (size == 0)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch (data[0] % 4) {
	case 0:
	case 1:
		walk(in, len);
		answer(in, len, DNS_OVER_UDP);
		answer(in, len, DNS_OVER_TCP);
		break;
	case 2:
		parse_text(in, len, 0);
		break;
	default:
		parse_text(in, len, 1);
	}
	return 0;
}
