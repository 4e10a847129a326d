/* stat.c - `tapir stat`: the live state table of a running tapir, read from
 * its control socket (tapir/control.h) and drawn by stat_view.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "stat_view.h"
#include "tapir/control.h"
#include "tapir/tap.h"

#define CLEAR_SCREEN "\033[H\033[2J"
#define WATCH_DEFAULT_INTERVAL TP_SEC(2)

struct stat_options {
	const char *tap_name;
	const char *control_path;   /* NULL: the default for tap_name */
	int show[STAT_VIEW_COUNT];
	int with_info;
	int watch;
	tp_time interval;
};

static int set_tap(void *t, const char *v, char *err, size_t n)
{
	struct stat_options *o = t;
	if (tp_tap_check_name(v, err, n) < 0)
		return -1;
	o->tap_name = v;
	return 0;
}

static int set_control(void *t, const char *v, char *err, size_t n)
{
	struct stat_options *o = t;
	if (!*v) {
		snprintf(err, n, "wants the path of a control socket");
		return -1;
	}
	o->control_path = v;
	return 0;
}

#define VIEW_SWITCH(fn, view)                                                  \
	static int fn(void *t, const char *v, char *err, size_t n)             \
	{                                                                      \
		(void)v, (void)err, (void)n;                                   \
		((struct stat_options *)t)->show[view] = 1;                    \
		return 0;                                                      \
	}
VIEW_SWITCH(set_summary, STAT_VIEW_SUMMARY)
VIEW_SWITCH(set_counters, STAT_VIEW_COUNTERS)
VIEW_SWITCH(set_listeners, STAT_VIEW_LISTENERS)
VIEW_SWITCH(set_udp, STAT_VIEW_UDP)
#undef VIEW_SWITCH

static const struct cli_option stat_options[] = {
	{"tap", 0, "NAME", "the tapir running on this TAP (default tap0)", set_tap},
	{"control", 0, "PATH", "its control socket, if tapir was given --control", set_control},
	{"summary", 's', NULL, "TCP sockets per state (all eleven, RFC 9293 order)", set_summary},
	CLI_SWITCH("info", 'i', "connections with cwnd, ssthresh, srtt, rto, retransmits, bytes, TCP options",
		   struct stat_options, with_info),
	{"listening", 'l', NULL, "listeners with their accept and SYN queues", set_listeners},
	{"udp", 'u', NULL, "UDP sockets", set_udp},
	{"counters", 'c', NULL, "every counter by layer, like netstat -s", set_counters},
	CLI_SWITCH("watch", 0, "--watch [SEC]: redraw every SEC s (default 2) until Ctrl-C",
		   struct stat_options, watch),
	{NULL, 0, NULL, NULL, NULL},
};

/* One line saying why nothing could be read, and what to do. */
static void explain_failure(const struct stat_options *o, const char *path, int e)
{
	if ((e == -ENOENT || e == -ECONNREFUSED) && !o->control_path)
		fprintf(stderr, "tapir stat: no tapir is running on %s (nothing answers at %s); "
			"start one with: sudo tapir run --tap %s\n", o->tap_name, path, o->tap_name);
	else if (e == -ENOENT || e == -ECONNREFUSED)
		fprintf(stderr, "tapir stat: no tapir answers at %s; start one with: "
			"sudo tapir run --control %s\n", path, path);
	else if (e == -EACCES || e == -EPERM)
		fprintf(stderr, "tapir stat: %s: permission denied (only tapir's own user may read "
			"it: try sudo)\n", path);
	else
		fprintf(stderr, "tapir stat: %s: %s\n", path, strerror(-e));
}

/* Every chosen view, in a fixed order, blank lines between; 0 or -1. */
static int draw(const struct stat_options *o, const char *path, FILE *out)
{
	int drawn = 0;
	for (int v = 0; v < STAT_VIEW_COUNT; v++) {
		if (!o->show[v])
			continue;
		char *answer, err[256];
		int e = tp_control_query(path, stat_view_request((enum stat_view)v), &answer);
		if (e < 0) {
			explain_failure(o, path, e);
			return -1;
		}
		if (drawn++)
			fputc('\n', out);
		e = stat_view_render((enum stat_view)v, o->with_info, answer, out, err, sizeof(err));
		free(answer);
		if (e < 0) {
			fprintf(stderr, "tapir stat: %s: %s\n", path, err);
			return -1;
		}
	}
	return 0;
}

/* Draws into memory first so each refresh replaces the screen at once. */
static int watch(const struct stat_options *o, const char *path)
{
	for (;;) {
		char *text = NULL, when[32];
		size_t len = 0;
		FILE *frame = open_memstream(&text, &len);
		if (!frame) {
			fprintf(stderr, "tapir stat: %s\n", strerror(errno));
			return 1;
		}
		int e = draw(o, path, frame);
		fclose(frame);
		if (e == 0) {
			time_t now = time(NULL);
			strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
			printf(CLEAR_SCREEN "tapir stat on %s, every %g s (Ctrl-C to stop)   %s\n\n%s",
			       o->control_path ? o->control_path : o->tap_name,
			       (double)o->interval / 1e6, when, text);
			fflush(stdout);
		}
		free(text);
		if (e < 0)
			return 1;
		struct timespec pause = {.tv_sec = (time_t)(o->interval / 1000000u),
					 .tv_nsec = (long)(o->interval % 1000000u) * 1000};
		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
	}
}

int cmd_stat(int argc, char **argv)
{
	struct stat_options opt = {.tap_name = "tap0", .interval = WATCH_DEFAULT_INTERVAL};
	const struct cli_group groups[] = {{"stat", stat_options, &opt}};
	const struct cli_command cmd = {
		.name = "tapir stat",
		.synopsis = "[--tap NAME | --control PATH] [-s] [-i] [-l] [-u] [-c] [--watch [SEC]]",
		.about = "Shows what a running tapir holds, read from its control socket: TCP\n"
			 "connections like `ss -tan` (the default), and with the switches a count\n"
			 "per state, listeners, UDP sockets and counters (several may be combined).",
		.details = "The control socket is /run/tapir/<tap>.sock (<tap>@<netns>.sock inside a\n"
			   "network namespace, so run `ip netns exec NS tapir stat` there).\n",
		.groups = groups,
		.n_groups = 1,
		.max_operands = 1,
	};
	char *operands[1];
	int n_operands;
	int parsed = cli_parse(&cmd, argc, argv, operands, &n_operands);
	if (parsed != CLI_OK)
		return parsed;
	if (n_operands && !opt.watch) {
		cli_fail(&cmd, "unexpected argument '%.64s' (an interval goes after --watch)", operands[0]);
		return CLI_EXIT_USAGE;
	}
	char why[160];
	if (n_operands && cli_seconds(operands[0], TP_MSEC(100), TP_SEC(3600), &opt.interval, why,
				      sizeof(why)) < 0) {
		cli_fail(&cmd, "--watch '%.64s': %s", operands[0], why);
		return CLI_EXIT_USAGE;
	}
	int any = 0;
	for (int v = 0; v < STAT_VIEW_COUNT; v++)
		any |= opt.show[v];
	if (!any || opt.with_info)
		opt.show[STAT_VIEW_CONNS] = 1;

	char default_path[128];
	const char *path = opt.control_path ? opt.control_path : default_path;
	if (!opt.control_path &&
	    tp_control_default_path(opt.tap_name, default_path, sizeof(default_path)) < 0) {
		fprintf(stderr, "tapir stat: the control socket path for %s is too long: use --control\n",
			opt.tap_name);
		return 1;
	}
	if (opt.watch)
		return watch(&opt, path);
	return draw(&opt, path, stdout) < 0;
}
