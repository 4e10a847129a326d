/* run.c - `tapir run`: the virtual host alone, answering ARP and ping and
 * serving echo, discard, chargen, DNS and HTTP until Ctrl-C, then its counters. */
#include <stdio.h>

#include "commands.h"
#include "dns_server.h"
#include "http_server.h"
#include "services.h"
#include "tapir/tap.h"
#include "vhost.h"

struct run_options {
	unsigned services;          /* TP_SVC_* bits */
	const char *zone;           /* DNS: the zone served */
	const char *zone_file;      /* NULL: the built-in records */
	struct http_server_config http;     /* --www, --http-port, --http-idle */
	unsigned queues;            /* --queues */
};

/* What serves on one queue's stack. */
struct queue_services {
	struct tp_services *svc;
	struct dns_server *dns;
	struct http_server *http;
};

static int set_services(void *t, const char *v, char *err, size_t n)
{
	struct run_options *o = t;
	if (tp_services_parse(v, &o->services) == 0)
		return 0;
	snprintf(err, n, "wants a list of echo, discard, chargen, dns, http, tcp, udp (or all, none)");
	return -1;
}

static int set_zone(void *t, const char *v, char *err, size_t n)
{
	struct dns_name name;
	if (dns_name_from_text(v, &name) < 0 || name.len == 1) {
		snprintf(err, n, "wants a domain name, like tapir.test");
		return -1;
	}
	((struct run_options *)t)->zone = v;
	return 0;
}

static int set_zone_file(void *t, const char *v, char *err, size_t n)
{
	if (!*v) {
		snprintf(err, n, "wants a file name");
		return -1;
	}
	((struct run_options *)t)->zone_file = v;
	return 0;
}

static int set_www(void *t, const char *v, char *err, size_t n)
{
	if (!*v) {
		snprintf(err, n, "wants a directory");
		return -1;
	}
	((struct run_options *)t)->http.www = v;
	return 0;
}

static int set_http_port(void *t, const char *v, char *err, size_t n)
{
	uint64_t port;
	if (cli_uint(v, 1, 65535, &port, err, n) < 0)
		return -1;
	((struct run_options *)t)->http.port = (uint16_t)port;
	return 0;
}

static int set_http_idle(void *t, const char *v, char *err, size_t n)
{
	return cli_seconds(v, TP_MSEC(100), TP_SEC(3600), &((struct run_options *)t)->http.idle_timeout,
			   err, n);
}

static int set_no_access_log(void *t, const char *v, char *err, size_t n)
{
	(void)v, (void)err, (void)n;
	((struct run_options *)t)->http.access_log = NULL;
	return 0;
}

static int set_queues(void *t, const char *v, char *err, size_t n)
{
	uint64_t q;
	if (cli_uint(v, 1, TP_TAP_QUEUES_MAX, &q, err, n) < 0)
		return -1;
	((struct run_options *)t)->queues = (unsigned)q;
	return 0;
}

static const struct cli_option run_options[] = {
	{"services", 0, "LIST", "echo (7), discard (9), chargen (19), dns (53), http (80), tcp, "
				"udp; all (default), none", set_services},
	{"zone", 0, "NAME", "the DNS zone served (default tapir.test)", set_zone},
	{"zone-file", 0, "FILE", "its records (format in apps/dns/dns_zone.h; default: www, web, "
				 "host, ns, TXT)", set_zone_file},
	{"www", 0, "DIR", "HTTP: serve the files under DIR (default: a built-in page)", set_www},
	{"http-port", 0, "PORT", "HTTP: the TCP port (default 80)", set_http_port},
	{"http-idle", 0, "SEC", "HTTP: close keep-alive connections idle this long (default 15)",
	 set_http_idle},
	{"no-access-log", 0, NULL, "HTTP: log no requests (default: one line each on stderr)",
	 set_no_access_log},
	{"queues", 0, "N", "TAP queues, each with a stack, its services and a thread of its own "
			   "(1..64, default 1)", set_queues},
	{NULL, 0, NULL, NULL, NULL},
};

/* Starts the services opt asks for on queue q's stack. */
static int services_start(struct vhost_queue *q, const struct run_options *opt,
			  const struct dns_zone *zone, struct queue_services *qs, char *err,
			  size_t errlen)
{
	unsigned services = opt->services;
	if (services && !(qs->svc = tp_services_start(q->stack, services, err, errlen)))
		return -1;
	if (zone) {
		struct dns_server_config dc = {.zone = zone, .udp = (services & TP_SVC_UDP) != 0,
					       .tcp = (services & TP_SVC_TCP) != 0};
		if (!(qs->dns = dns_server_start(q->loop, &dc, err, errlen)))
			return -1;
	}
	if ((services & TP_SVC_HTTP) && (services & TP_SVC_TCP) &&
	    !(qs->http = http_server_start(q->loop, &opt->http, err, errlen)))
		return -1;
	return 0;
}

/* Stops every queue's services (what is still open is reset, through the
 * TAP), printing what each did to `out` if not NULL. */
static void services_stop(const struct vhost *vh, struct queue_services *qs, FILE *out)
{
	for (unsigned i = 0; i < vh->n_queues; i++) {
		if (out && vh->n_queues > 1)
			fprintf(out, "tapir: queue %u:\n", i);
		if (out && qs[i].svc)
			tp_services_print(qs[i].svc, out);
		if (out && qs[i].dns)
			dns_server_print(qs[i].dns, out);
		if (out && qs[i].http)
			http_server_print(qs[i].http, out);
		tp_services_stop(qs[i].svc);
		dns_server_stop(qs[i].dns);
		http_server_stop(qs[i].http);
		qs[i] = (struct queue_services){0};
	}
}

/* "try: ping 10.0.0.2 | nc 10.0.0.2 7 (echo) | ..." for what is served. */
static void print_banner(const struct vhost *vh, unsigned services, const struct run_options *opt)
{
	const struct vhost_config *cfg = &vh->cfg;
	char a[16], h[16];
	tp_ip4_format(cfg->addr, a);
	tp_ip4_format(cfg->host_addr, h);
	printf("tapir: %s up on %s (host side %s/%u", a, tp_tap_name(vh->tap), h, cfg->host_prefix_len);
	if (vh->n_queues > 1)
		printf("; %u queues", vh->n_queues);
	printf(") \u2014 try: ping %s", a);
	if ((services & TP_SVC_ECHO) && (services & TP_SVC_TCP))
		printf(" | nc %s 7 (echo)", a);
	if ((services & TP_SVC_CHARGEN) && (services & TP_SVC_TCP))
		printf(" | nc %s 19 | head (chargen)", a);
	if ((services & TP_SVC_ECHO) && !(services & TP_SVC_TCP) && (services & TP_SVC_UDP))
		printf(" | nc -u %s 7 (echo)", a);
	if (services & TP_SVC_DNS)
		printf(" | dig @%s www.%s", a, opt->zone);
	if ((services & TP_SVC_HTTP) && (services & TP_SVC_TCP) && opt->http.port == 80)
		printf(" | curl http://%s/", a);
	else if ((services & TP_SVC_HTTP) && (services & TP_SVC_TCP))
		printf(" | curl http://%s:%u/", a, opt->http.port);
	printf(" | Ctrl-C to stop\n");
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	struct vhost_config cfg;
	struct run_options opt = {.services = TP_SVC_ALL, .zone = "tapir.test"};
	http_server_config_defaults(&opt.http);
	vhost_config_defaults(&cfg);
	const struct cli_group groups[] = {
		{"services", run_options, &opt},
		{VHOST_OPTIONS_TITLE, vhost_options, &cfg},
	};
	const struct cli_command cmd = {
		.name = "tapir run",
		.synopsis = "[options]",
		.about = "Runs a virtual host on a new TAP until Ctrl-C; `tapir` alone does the same.\n"
			 "It answers ARP and ping and serves echo, discard and chargen (RFC 862-864)\n"
			 "and DNS for a zone of its own (RFC 1034/1035), and HTTP/1.1 on port 80: static\n"
			 "files (--www) or a built-in page, with a live /status of every connection.\n"
			 "Other commands: tapir ping [options] HOST, tapir nc [options] HOST PORT,\n"
			 "tapir dig [options] NAME [@SERVER] [TYPE],\n"
			 "tapir replay VECTOR.pcap (each takes --help).",
		.details = vhost_impair_help,
		.groups = groups,
		.n_groups = 2,
	};
	int n_operands;
	int parsed = cli_parse(&cmd, argc, argv, NULL, &n_operands);
	if (parsed != CLI_OK)
		return parsed;
	cfg.queues = opt.queues;
	if (vhost_config_check(&cfg, &cmd) < 0)
		return CLI_EXIT_USAGE;
	char err[256];
	struct dns_zone zone;
	int serve_dns = (opt.services & TP_SVC_DNS) != 0;
	if (serve_dns && dns_zone_setup(&zone, opt.zone, opt.zone_file, cfg.addr, cfg.host_addr, err,
					sizeof(err)) < 0) {
		cli_fail(&cmd, "--zone-file: %s", err);
		return CLI_EXIT_USAGE;
	}

	struct vhost vh;
	struct queue_services qs[TP_TAP_QUEUES_MAX] = {0};
	int failed = 1;
	if (vhost_up(&vh, &cfg) < 0)
		goto out;
	for (unsigned i = 0; i < vh.n_queues; i++)
		if (services_start(&vh.queue[i], &opt, serve_dns ? &zone : NULL, &qs[i], err,
				   sizeof(err)) < 0) {
			fprintf(stderr, "tapir: %s\n", err);
			services_stop(&vh, qs, NULL);
			vhost_down(&vh, NULL);
			goto out;
		}
	print_banner(&vh, opt.services, &opt);
	failed = vhost_run(&vh) < 0;
	services_stop(&vh, qs, stderr);
	vhost_down(&vh, stderr);
out:
	if (serve_dns)
		dns_zone_free(&zone);
	return failed;
}
