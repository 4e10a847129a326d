/*
 * dig.c - `tapir dig`: a DNS query from a virtual host of its own, printed
 * like dig(1): header flags, then the QUESTION, ANSWER, AUTHORITY and
 * ADDITIONAL sections, query time, server and size.
 *
 * The loop runs on a thread of its own and the query goes through the
 * resolver library (dns_resolver.h) with blocking tapir sockets from the
 * main thread, as any application would. --lookup instead resolves names
 * to addresses the way applications do (hosts table, cache, CNAME chains).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dns_resolver.h"
#include "dns_text.h"
#include "tapir/loop.h"
#include "tapir/socket.h"
#include "vhost.h"

#define DIG_MAX_OPERANDS 8

struct dig_options {
	tp_time timeout;
	uint64_t tries;
	const char *hosts_path;
	int lookup;
};

static int set_timeout(void *t, const char *v, char *err, size_t n)
{
	return cli_seconds(v, TP_MSEC(1), TP_SEC(60), &((struct dig_options *)t)->timeout, err, n);
}

static int set_tries(void *t, const char *v, char *err, size_t n)
{
	return cli_uint(v, 1, 10, &((struct dig_options *)t)->tries, err, n);
}

static int set_hosts(void *t, const char *v, char *err, size_t n)
{
	if (!*v) {
		snprintf(err, n, "wants a file name");
		return -1;
	}
	((struct dig_options *)t)->hosts_path = v;
	return 0;
}

static const struct cli_option dig_options[] = {
	{"timeout", 0, "SEC", "wait per try (default 1)", set_timeout},
	{"tries", 0, "N", "UDP tries, 1..10 (default 3)", set_tries},
	{"hosts", 0, "FILE", "--lookup: a static table in /etc/hosts format, asked first", set_hosts},
	CLI_SWITCH("lookup", 0, "resolve each NAME to addresses as applications do (hosts, cache, "
		   "CNAMEs)", struct dig_options, lookup),
	{NULL, 0, NULL, NULL, NULL},
};

static const char dig_details[] =
	"Operands, in any order: NAME, @SERVER (default: the TAP's host side), TYPE (A, NS,\n"
	"CNAME, SOA, TXT, MX, AAAA, ANY, TYPEnn; default A) and dig's +tcp, +noedns, +norec,\n"
	"+short. With --lookup every plain operand is a NAME, resolved in turn.\n";

/* What the operands asked. */
struct dig_request {
	const char *names[DIG_MAX_OPERANDS];
	size_t n_names;
	uint16_t type;
	int short_form;
};

static int parse_operands(const struct cli_command *cmd, char **ops, int n, int lookup,
			  struct dig_request *req, struct tp_resolver_config *rc)
{
	req->type = DNS_TYPE_A;
	int type_given = 0;
	for (int i = 0; i < n; i++) {
		const char *op = ops[i];
		if (op[0] == '@') {
			if (cli_host(cmd, op + 1, &rc->server) < 0)
				return -1;
		} else if (!strcmp(op, "+tcp")) {
			rc->tcp_only = 1;
		} else if (!strcmp(op, "+noedns")) {
			rc->no_edns = 1;
		} else if (!strcmp(op, "+norec") || !strcmp(op, "+norecurse")) {
			rc->no_recursion = 1;
		} else if (!strcmp(op, "+short")) {
			req->short_form = 1;
		} else if (op[0] == '+') {
			cli_fail(cmd, "unknown option '%.64s' (+tcp, +noedns, +norec, +short)", op);
			return -1;
		} else if (!lookup && req->n_names && !type_given) {
			if (dns_type_parse(op, &req->type) < 0) {
				cli_fail(cmd, "'%.64s' is not a record type (A, NS, TXT, TYPE99, ...)", op);
				return -1;
			}
			type_given = 1;
		} else if (!lookup && req->n_names) {
			cli_fail(cmd, "one NAME and one TYPE at most (or --lookup NAME...)");
			return -1;
		} else {
			req->names[req->n_names++] = op;
		}
	}
	if (!req->n_names) {
		cli_fail(cmd, "which NAME?");
		return -1;
	}
	return 0;
}

/* --- printing ------------------------------------------------------------- */

static void print_flags(uint16_t flags)
{
	static const struct {
		uint16_t bit;
		const char *name;
	} bits[] = {
		{DNS_FLAG_QR, "qr"}, {DNS_FLAG_AA, "aa"}, {DNS_FLAG_TC, "tc"}, {DNS_FLAG_RD, "rd"},
		{DNS_FLAG_RA, "ra"}, {DNS_FLAG_AD, "ad"}, {DNS_FLAG_CD, "cd"},
	};
	printf(";; flags:");
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (flags & bits[i].bit)
			printf(" %s", bits[i].name);
}

static int print_reply(const uint8_t *msg, size_t len, const struct dig_request *req)
{
	static const char *const titles[] = {"QUESTION", "ANSWER", "AUTHORITY", "ADDITIONAL"};
	struct dns_reader rd;
	struct dns_question q;
	struct dns_rr rr;
	char line[8192], name[DNS_NAME_TEXT_MAX], tb[16], cb[16], rb[16];
	int e, rcode;
	enum dns_section shown = DNS_SECTION_QUESTION;

	if (dns_message_check(msg, len, &rd.why) < 0) {
		printf(";; malformed reply: %s\n", rd.why);
		return -1;
	}
	dns_reader_init(&rd, msg, len);
	rcode = DNS_RCODE(rd.hdr.flags);
	/* RFC 6891 §6.1.3: the OPT TTL holds the rcode's upper 8 bits. */
	while ((e = dns_reader_next(&rd, &rr)) == 1)
		if (rr.type == DNS_TYPE_OPT)
			rcode |= (int)(rr.ttl >> 24) << 4;
	if (req->short_form) {
		dns_reader_init(&rd, msg, len);
		while ((e = dns_reader_next(&rd, &rr)) == 1)
			if (rd.section == DNS_SECTION_ANSWER) {
				/* dig +short: the data alone, after the fourth tab. */
				const char *p = dns_rr_format(&rr, line, sizeof(line));
				for (int tabs = 0; tabs < 4 && p; tabs++)
					p = strchr(p, '\t') ? strchr(p, '\t') + 1 : NULL;
				printf("%s\n", p ? p : line);
			}
		return rcode;
	}
	printf(";; ->>HEADER<<- opcode: QUERY, status: %s, id: %u\n", dns_rcode_name(rcode, rb),
	       rd.hdr.id);
	print_flags(rd.hdr.flags);
	printf("; QUERY: %u, ANSWER: %u, AUTHORITY: %u, ADDITIONAL: %u\n", rd.hdr.qdcount,
	       rd.hdr.ancount, rd.hdr.nscount, rd.hdr.arcount);
	dns_reader_init(&rd, msg, len);
	while (dns_reader_next(&rd, &rr) == 1)
		if (rr.type == DNS_TYPE_OPT)
			printf("\n;; OPT PSEUDOSECTION:\n; EDNS: version: %u, flags:%s; udp: %u\n",
			       rr.ttl >> 16 & 0xff, rr.ttl & 0x8000 ? " do" : "", rr.rclass);
	dns_reader_init(&rd, msg, len);
	while (dns_read_question(&rd, &q) == 0) {
		if (shown == DNS_SECTION_QUESTION)
			printf("\n;; QUESTION SECTION:\n");
		shown = DNS_SECTION_ANSWER;
		printf(";%s\t\t%s\t%s\n", dns_name_to_text(&q.name, name, sizeof(name)),
		       dns_class_name(q.qclass, cb), dns_type_name(q.type, tb));
	}
	shown = DNS_SECTION_QUESTION;
	while ((e = dns_reader_next(&rd, &rr)) == 1) {
		if (rr.type == DNS_TYPE_OPT)
			continue;   /* shown above */
		if (rd.section != shown)
			printf("\n;; %s SECTION:\n", titles[rd.section]);
		shown = rd.section;
		printf("%s\n", dns_rr_format(&rr, line, sizeof(line)));
	}
	return rcode;
}

/* --- running ---------------------------------------------------------------- */

static void *run_loop(void *arg)
{
	struct vhost *vh = arg;
	vhost_run(vh);
	return NULL;
}

static int dig_query(struct tp_resolver *r, const struct tp_resolver_config *rc,
		     const struct dig_request *req)
{
	uint8_t *reply = malloc(DNS_MSG_MAX);
	struct tp_dns_exchange ex;
	char server[16], tb[16];
	if (!reply) {
		fprintf(stderr, "tapir dig: %s\n", strerror(ENOMEM));
		return 1;
	}
	tp_ip4_format(rc->server, server);
	if (!req->short_form)
		printf("\n; <<>> tapir dig <<>> @%s %s %s%s\n", server, req->names[0],
		       dns_type_name(req->type, tb), rc->tcp_only ? " +tcp" : "");
	int e = tp_resolver_query(r, req->names[0], req->type, reply, DNS_MSG_MAX, &ex);
	if (e < 0) {
		if (e == -ETIMEDOUT)
			printf(";; connection timed out; no servers could be reached\n");
		else
			fprintf(stderr, "tapir dig: %s: %s\n", req->names[0], tp_resolve_strerror(e));
		free(reply);
		return 9;               /* dig's "no reply" status */
	}
	if (!req->short_form) {
		if (ex.tc_fallback)
			printf(";; Truncated, retrying in TCP mode.\n");
		if (ex.ignored)
			printf(";; ignored %u reply(s) that did not match the query\n", ex.ignored);
		printf(";; Got answer:\n");
	}
	int rcode = print_reply(reply, ex.len, req);
	if (!req->short_form)
		printf("\n;; Query time: %llu msec\n;; SERVER: %s#%u(%s) (%s)\n;; MSG SIZE  rcvd: %zu\n\n",
		       (unsigned long long)(ex.rtt / 1000u), server, rc->port ? rc->port : DNS_PORT,
		       server, ex.over_tcp ? "TCP" : "UDP", ex.len);
	free(reply);
	return rcode < 0 ? 1 : 0;
}

static int dig_lookup(struct tp_resolver *r, const struct dig_request *req)
{
	static const char *const sources[] = {
		[TP_RESOLVED_LITERAL] = "literal", [TP_RESOLVED_HOSTS] = "hosts",
		[TP_RESOLVED_CACHE] = "cache", [TP_RESOLVED_DNS] = "dns",
	};
	int status = 0;
	for (size_t i = 0; i < req->n_names; i++) {
		struct tp_resolve_result res;
		char a[16];
		int e = tp_resolver_lookup_a(r, req->names[i], &res);
		if (e < 0) {
			printf("%s: %s\n", req->names[i], tp_resolve_strerror(e));
			status = 1;
			continue;
		}
		printf("%s:", req->names[i]);
		for (size_t k = 0; k < res.count; k++)
			printf(" %s", tp_ip4_format(res.addrs[k], a));
		printf(" (%s, ttl %u", sources[res.source], res.ttl);
		if (res.cnames)
			printf(", %u CNAME%s to %s", res.cnames, res.cnames > 1 ? "s" : "", res.canonical);
		printf(")\n");
	}
	return status;
}

int cmd_dig(int argc, char **argv)
{
	struct vhost_config net;
	struct dig_options opt = {.timeout = TP_SEC(1), .tries = 3};
	vhost_config_defaults(&net);
	const struct cli_group groups[] = {
		{"dig", dig_options, &opt},
		{VHOST_OPTIONS_TITLE, vhost_options, &net},
	};
	const struct cli_command cmd = {
		.name = "tapir dig",
		.synopsis = "[options] NAME [@SERVER] [TYPE] [+tcp] [+noedns] [+norec] [+short]",
		.about = "Brings up a virtual host on a new TAP and asks a DNS server from it.",
		.details = dig_details,
		.groups = groups,
		.n_groups = 2,
		.min_operands = 1,
		.max_operands = DIG_MAX_OPERANDS,
	};
	char *ops[DIG_MAX_OPERANDS];
	int n_ops;
	int parsed = cli_parse(&cmd, argc, argv, ops, &n_ops);
	if (parsed != CLI_OK)
		return parsed;
	struct dig_request req = {.n_names = 0};
	struct tp_resolver_config rc = {.timeout = opt.timeout, .tries = (unsigned)opt.tries,
					.hosts_path = opt.hosts_path};
	if (parse_operands(&cmd, ops, n_ops, opt.lookup, &req, &rc) < 0 ||
	    vhost_config_check(&net, &cmd) < 0)
		return CLI_EXIT_USAGE;
	if (!rc.server)
		rc.server = net.host_addr;

	char err[256];
	struct tp_resolver *r = tp_resolver_new(&rc, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tapir dig: %s\n", err);
		return 1;
	}
	struct vhost vh;
	pthread_t loop_thread;
	int status = 1;
	if (vhost_up(&vh, &net) < 0)
		goto out;
	if (tapir_attach(vh.loop) < 0) {
		fprintf(stderr, "tapir dig: attaching the socket API: %s\n", strerror(errno));
		vhost_down(&vh, NULL);
		goto out;
	}
	int e = pthread_create(&loop_thread, NULL, run_loop, &vh);
	if (e != 0) {
		fprintf(stderr, "tapir dig: starting the loop thread: %s\n", strerror(e));
		tapir_detach(vh.loop);
		vhost_down(&vh, NULL);
		goto out;
	}
	status = opt.lookup ? dig_lookup(r, &req) : dig_query(r, &rc, &req);
	tp_loop_stop(vh.loop);
	pthread_join(loop_thread, NULL);
	tapir_detach(vh.loop);
	vhost_down(&vh, net.trace ? stderr : NULL);
out:
	tp_resolver_free(r);
	return status;
}
