/* run.c - `tapir run`: the virtual host alone, answering ARP and ping
 * until Ctrl-C, then its counters. */
#include <stdio.h>

#include "commands.h"
#include "tapir/tap.h"
#include "vhost.h"

int cmd_run(int argc, char **argv)
{
	struct vhost_config cfg;
	vhost_config_defaults(&cfg);
	const struct cli_group groups[] = {{VHOST_OPTIONS_TITLE, vhost_options, &cfg}};
	const struct cli_command cmd = {
		.name = "tapir run",
		.synopsis = "[options]",
		.about = "Runs a virtual host on a new TAP until Ctrl-C; `tapir` alone does the same.\n"
			 "Other commands: tapir ping [options] HOST, tapir replay VECTOR.pcap "
			 "(each takes --help).",
		.groups = groups,
		.n_groups = 1,
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
	char a[16], h[16];
	const char *tap = tp_tap_name(vh.tap);
	tp_ip4_format(cfg.addr, a);
	tp_ip4_format(cfg.host_addr, h);
	printf("tapir: %s up on %s (host side %s/%u) \u2014 try: ping %s | arping -I %s %s | "
	       "Ctrl-C to stop\n", a, tap, h, cfg.host_prefix_len, a, tap, a);
	fflush(stdout);
	int failed = vhost_run(&vh) < 0;
	vhost_down(&vh, stderr);
	return failed;
}
