/*
 * ladder.c - `tapir ladder CAPTURE.pcap [--conn N] [--svg FILE] [--html FILE] [--vars LIST]`:
 * the command line around ladder_conn/layout/text/svg (see ladder.h).
 */
#include "ladder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

static void usage(FILE *out)
{
	fputs("usage: tapir ladder [options] CAPTURE.pcap\n"
	      "Draws a TCP connection from an Ethernet capture (tapir --pcap, tcpdump) as a\n"
	      "ladder diagram: one arrow per segment with flags, seq/ack relative to each\n"
	      "side's ISN, window, length and options; both ends' states as inferred from\n"
	      "the RFC 9293 state diagram; retransmissions, duplicate ACKs, zero windows and\n"
	      "segments never acknowledged marked. The left end sent the first SYN.\n"
	      "With several connections it lists them first and draws the first (or --conn).\n"
	      "Exit status: 0 drawn, 1 no TCP connection (or no such --conn), 2 an error.\n"
	      "\n"
	      "options:\n"
	      "  --conn N          draw the N-th connection (1 is the first)\n"
	      "  --svg FILE        also write the diagram as SVG ('-' for stdout)\n"
	      "  --html FILE       also write a page with the SVG and a table of segments\n"
	      "  --vars LIST       beside each arrow, tapir's own variables after the segment,\n"
	      "                    from CAPTURE.vars (written by tapir --pcap and replay --write):\n"
	      "                    state,snd.una,snd.nxt,snd.wnd,rcv.nxt,rcv.wnd,cwnd,ssthresh,\n"
	      "                    srtt,rto,timers (comma-separated), or all\n"
	      "  --list            only list the connections\n"
	      "  -q, --quiet       no text diagram (with --svg or --html)\n"
	      "  -h, --help        this text\n",
	      out);
}

struct options {
	const char *capture, *svg, *html;
	size_t conn;
	int list_only, quiet;
	int vars[LADDER_NVARS], n_vars;         /* --vars: LV_* ids */
};

/* Returns 0, 1 after --help, or 2 after saying what is wrong. */
static int parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--list")) {
			o->list_only = 1;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			o->quiet = 1;
		} else if (!strcmp(a, "--conn") || !strcmp(a, "--svg") || !strcmp(a, "--html") ||
			   !strcmp(a, "--vars")) {
			if (!value) {
				fprintf(stderr, "tapir ladder: %s needs a value\n", a);
				return 2;
			}
			i++;
			char err[400];
			if (!strcmp(a, "--vars")) {
				o->n_vars = ladder_vars_choose(value, o->vars, err, sizeof(err));
				if (o->n_vars < 0) {
					fprintf(stderr, "tapir ladder: %s\n", err);
					return 2;
				}
			} else if (!strcmp(a, "--svg")) {
				o->svg = value;
			} else if (!strcmp(a, "--html")) {
				o->html = value;
			} else {
				char *end;
				errno = 0;
				unsigned long n = strtoul(value, &end, 10);
				if (errno || *end || end == value || n == 0 || value[0] == '-') {
					fprintf(stderr, "tapir ladder: --conn wants a number from 1, not '%.64s'\n",
						value);
					return 2;
				}
				o->conn = n;
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "tapir ladder: unknown option '%.64s'\n", a);
			usage(stderr);
			return 2;
		} else if (o->capture) {
			fprintf(stderr, "tapir ladder: one capture at a time ('%.64s' and '%.64s')\n",
				o->capture, a);
			return 2;
		} else {
			o->capture = a;
		}
	}
	if (!o->capture) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static void list_connections(FILE *out, const struct ladder_capture *cap, size_t chosen)
{
	uint64_t t0 = UINT64_MAX;
	for (size_t i = 0; i < cap->n_conn; i++)
		if (cap->conn[i].n_seg && cap->conn[i].seg[0].time_us < t0)
			t0 = cap->conn[i].seg[0].time_us;
	fprintf(out, "%zu TCP connections (--conn N draws the N-th):\n", cap->n_conn);
	for (size_t i = 0; i < cap->n_conn; i++) {
		const struct ladder_conn *c = &cap->conn[i];
		char a[32], b[32];
		if (!c->n_seg)
			continue;       /* its first segment did not fit in memory */
		uint64_t us = c->seg[0].time_us - t0;
		fprintf(out, "%c %3zu  %-21s -> %-21s %5zu %-8s  at %llu.%03llu s  ends %s / %s\n",
			i + 1 == chosen ? '*' : ' ', i + 1, ladder_endpoint_str(c->ip[0], c->port[0], a, sizeof(a)),
			ladder_endpoint_str(c->ip[1], c->port[1], b, sizeof(b)), c->n_seg, c->n_seg == 1 ? "segment" : "segments",
			(unsigned long long)(us / 1000000), (unsigned long long)(us / 1000 % 1000),
			ti_state_name(c->infer.end[0].state), ti_state_name(c->infer.end[1].state));
	}
}

/* Writes with render into path ('-': stdout); 0 or 2 after saying why. */
static int write_file(const char *path, const struct ladder_layout *lay,
		      void (*render)(FILE *, const struct ladder_layout *, int), int arg)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		fprintf(stderr, "tapir ladder: cannot write %s: %s\n", path, strerror(errno));
		return 2;
	}
	render(f, lay, arg);
	int failed = ferror(f);
	if (f != stdout)
		failed |= fclose(f) != 0;
	else
		fflush(f);
	if (failed) {
		fprintf(stderr, "tapir ladder: cannot write %s\n", path);
		return 2;
	}
	return 0;
}

static void render_html(FILE *out, const struct ladder_layout *lay, int unused)
{
	(void)unused;
	ladder_render_html(out, lay);
}

/* --vars: the sidecar beside the capture onto connection c. 0, or -1 after
 * saying why in one line. */
static int add_vars(struct ladder_conn *c, const char *capture, const int *ids, int n_ids)
{
	struct ladder_vars v;
	char err[512], *path = malloc(strlen(capture) + sizeof(".vars"));
	if (!path) {
		fprintf(stderr, "tapir ladder: out of memory\n");
		return -1;
	}
	sprintf(path, "%s.vars", capture);
	int rc = ladder_vars_load(&v, path, err, sizeof(err));
	if (rc == -2)
		fprintf(stderr, "tapir ladder: --vars needs %s, which tapir writes beside a capture "
			"(tapir --pcap FILE, tapir replay --write FILE); there is none\n", path);
	else if (rc < 0)
		fprintf(stderr, "tapir ladder: %s\n", err);
	else if ((rc = ladder_vars_annotate(c, &v, ids, n_ids)) < 0)
		fprintf(stderr, "tapir ladder: out of memory\n");
	else if (c->vars_end < 0)
		fprintf(stderr, "tapir ladder: %s has no line for this connection's segments\n", path);
	ladder_vars_free(&v);
	free(path);
	return rc < 0 ? -1 : 0;
}

int cmd_ladder(int argc, char **argv)
{
	struct options o = {0};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc == 1 ? 0 : 2;

	struct ladder_capture cap = {0};
	char err[256] = "";
	if (ladder_capture_read(&cap, o.capture, err, sizeof(err)) < 0) {
		fprintf(stderr, "tapir ladder: %s\n", err);
		if (!cap.n_conn) {
			ladder_capture_free(&cap);
			return 2;
		}
		fprintf(stderr, "tapir ladder: drawing what was read before the damage\n");
	}
	if (!cap.n_conn) {
		fprintf(stderr, "tapir ladder: %s: no TCP segments in %zu frames\n", o.capture, cap.frames);
		ladder_capture_free(&cap);
		return 1;
	}
	size_t chosen = o.conn ? o.conn : 1;
	if (cap.n_conn > 1 || o.list_only) {
		list_connections(stdout, &cap, o.list_only ? 0 : chosen);
		if (!o.list_only && !o.quiet)
			fputc('\n', stdout);
	}
	if (o.list_only) {
		ladder_capture_free(&cap);
		return 0;
	}
	if (chosen > cap.n_conn) {
		fprintf(stderr, "tapir ladder: no connection %zu (%zu in the capture)\n", chosen, cap.n_conn);
		ladder_capture_free(&cap);
		return 1;
	}

	if (o.n_vars && add_vars(&cap.conn[chosen - 1], o.capture, o.vars, o.n_vars) < 0) {
		ladder_capture_free(&cap);
		return 2;
	}
	struct ladder_layout lay;
	rc = 0;
	if (ladder_layout_build(&lay, &cap.conn[chosen - 1], o.capture, chosen, cap.n_conn) < 0) {
		fprintf(stderr, "tapir ladder: out of memory\n");
		rc = 2;
	} else {
		if (!o.quiet)
			ladder_render_text(stdout, &lay);
		if (o.svg)
			rc |= write_file(o.svg, &lay, ladder_render_svg, 1);
		if (o.html)
			rc |= write_file(o.html, &lay, render_html, 0);
		ladder_layout_free(&lay);
	}
	ladder_capture_free(&cap);
	return rc;
}
