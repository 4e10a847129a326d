/* main.c - the one `tapir` binary: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tools.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tapir [run] [options]       run a virtual host on a TAP (the default)\n"
		"       tapir ping [options] HOST   ping from a virtual host\n"
		"       tapir nc [options] HOST PORT  netcat from a virtual host (-l: listen)\n"
		"       tapir dig [options] NAME [@SERVER] [TYPE]  a DNS query from a virtual host\n"
		"       tapir get [options] URL     fetch an http:// URL from a virtual host\n"
		"       tapir replay VECTOR.pcap    replay a test vector through the stack\n"
		"       tapir ladder CAPTURE.pcap   draw a TCP connection as a ladder diagram\n"
		"       tapir stat [options]        live connections and counters of a running tapir\n"
		"Each command takes --help.\n");
}

int main(int argc, char **argv)
{
	/* Lines reach a log file as they happen (tests and --trace read them). */
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc < 2 || argv[1][0] == '-')
		return cmd_run(argc, argv);
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "ping"))
		return cmd_ping(argc - 1, argv + 1);
	if (!strcmp(cmd, "nc"))
		return cmd_nc(argc - 1, argv + 1);
	if (!strcmp(cmd, "dig"))
		return cmd_dig(argc - 1, argv + 1);
	if (!strcmp(cmd, "get"))
		return cmd_get(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "ladder"))
		return cmd_ladder(argc - 1, argv + 1);
	if (!strcmp(cmd, "stat"))
		return cmd_stat(argc - 1, argv + 1);
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "tapir: unknown command '%.64s'\n", cmd);
	usage(stderr);
	return 2;
}
