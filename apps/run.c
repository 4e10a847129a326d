/* run.c - `tapir run`: the virtual host alone, answering ARP and ping and
 * serving echo, discard and chargen until Ctrl-C, then its counters. */
#include <stdio.h>

#include "commands.h"
#include "services.h"
#include "tapir/tap.h"
#include "vhost.h"

struct run_options {
	unsigned services;          /* TP_SVC_* bits */
};

static int set_services(void *t, const char *v, char *err, size_t n)
{
	struct run_options *o = t;
	if (tp_services_parse(v, &o->services) == 0)
		return 0;
	snprintf(err, n, "wants a list of echo, discard, chargen, tcp, udp (or all, none)");
	return -1;
}

static const struct cli_option run_options[] = {
	{"services", 0, "LIST", "echo (7), discard (9), chargen (19), tcp, udp; all (default), "
				"none", set_services},
	{NULL, 0, NULL, NULL, NULL},
};

/* "try: ping 10.0.0.2 | nc 10.0.0.2 7 (echo) | ..." for what is served. */
static void print_banner(const struct vhost *vh, unsigned services)
{
	const struct vhost_config *cfg = &vh->cfg;
	char a[16], h[16];
	tp_ip4_format(cfg->addr, a);
	tp_ip4_format(cfg->host_addr, h);
	printf("tapir: %s up on %s (host side %s/%u) \u2014 try: ping %s", a, tp_tap_name(vh->tap), h,
	       cfg->host_prefix_len, a);
	if ((services & TP_SVC_ECHO) && (services & TP_SVC_TCP))
		printf(" | nc %s 7 (echo)", a);
	if ((services & TP_SVC_CHARGEN) && (services & TP_SVC_TCP))
		printf(" | nc %s 19 | head (chargen)", a);
	if ((services & TP_SVC_ECHO) && !(services & TP_SVC_TCP) && (services & TP_SVC_UDP))
		printf(" | nc -u %s 7 (echo)", a);
	printf(" | Ctrl-C to stop\n");
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	struct vhost_config cfg;
	struct run_options opt = {.services = TP_SVC_ALL};
	vhost_config_defaults(&cfg);
	const struct cli_group groups[] = {
		{"services", run_options, &opt},
		{VHOST_OPTIONS_TITLE, vhost_options, &cfg},
	};
	const struct cli_command cmd = {
		.name = "tapir run",
		.synopsis = "[options]",
		.about = "Runs a virtual host on a new TAP until Ctrl-C; `tapir` alone does the same.\n"
			 "It answers ARP and ping and serves echo, discard and chargen (RFC 862-864).\n"
			 "Other commands: tapir ping [options] HOST, tapir nc [options] HOST PORT,\n"
			 "tapir replay VECTOR.pcap (each takes --help).",
		.details = vhost_impair_help,
		.groups = groups,
		.n_groups = 2,
	};
	int n_operands;
	switch (cli_parse(&cmd, argc, argv, NULL, &n_operands)) {
	case CLI_HELP:
		return 0;
	case CLI_ERROR:
		return CLI_EXIT_USAGE;
	case CLI_OK:
		break;
	}
	if (vhost_config_check(&cfg, &cmd) < 0)
		return CLI_EXIT_USAGE;

	struct vhost vh;
	if (vhost_up(&vh, &cfg) < 0)
		return 1;
	struct tp_services *svc = NULL;
	if (opt.services) {
		char err[128];
		svc = tp_services_start(vh.stack, opt.services, err, sizeof(err));
		if (!svc) {
			fprintf(stderr, "tapir: %s\n", err);
			vhost_down(&vh, NULL);
			return 1;
		}
	}
	print_banner(&vh, opt.services);
	int failed = vhost_run(&vh) < 0;
	if (svc) {
		tp_services_print(svc, stderr);
		tp_services_stop(svc);      /* resets what is still open, through the TAP */
	}
	vhost_down(&vh, stderr);
	return failed;
}
