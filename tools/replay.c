/*
 * replay.c - `tapir replay`: run pcap test vectors (see replay.h and
 * pcaps/README.md). Every sidecar key is also a flag (`--icmp-burst 5`), and
 * flags win over the sidecar.
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "tools.h"

static void usage(FILE *out)
{
	fputs("usage: tapir replay [options] VECTOR.pcap...\n"
	      "Feeds every frame not from the stack's MAC into a fresh stack at its capture\n"
	      "time (virtual clock) and checks that the stack sends the capture's frames from\n"
	      "its MAC: same order, same bytes, on time. Configuration comes from the sidecar\n"
	      "VECTOR.conf ('key = value' lines, '#' comments); a flag overrides a key.\n"
	      "Exit status: 0 all passed, 1 a vector failed, 2 an error (bad file, bad flag).\n"
	      "\n"
	      "options:\n"
	      "  --loose            compare decoded fields, all but these (for vectors\n"
	      "                     captured from other implementations):\n"
	      "                    ", out);
	for (const char *const *s = tp_replay_loose_skipped; *s; s++)
		fprintf(out, " %s", *s);
	fputs("\n"
	      "  --record           do not compare: replace the capture's stack frames with\n"
	      "                     what the stack sends (use with --write to make a vector)\n"
	      "  --write OUT.pcap   save the conversation as run: inputs and the stack's frames,\n"
	      "                     and the stack's TCP variables in OUT.pcap.vars (tapir ladder --vars)\n"
	      "  --conf FILE        read FILE instead of VECTOR.conf\n"
	      "  -v, --verbose      print each frame in and out (time since start, capture\n"
	      "                     index for 'in', the stack's own count for 'out')\n"
	      "  -h, --help         this text\n"
	      "sidecar keys, each also a flag --KEY VALUE ('-' or '_' alike):\n", out);
	for (const struct tp_replay_key *k = tp_replay_conf_keys; k->name; k++)
		fprintf(out, "  %-18s %-8s %s\n", k->name, k->arg, k->help);
}

struct override {
	char key[32];                   /* a sidecar key, '-' already turned into '_' */
	const char *value;
};

struct cli {
	enum tp_replay_mode mode;
	int verbose;
	const char *write_path, *conf_path;
	struct override *overrides;
	size_t n_overrides;
	const char **vectors;
	size_t n_vectors;
};

/* "--icmp-burst" -> "icmp_burst" in o->key; 0 if that is a sidecar key. */
static int override_key(const char *flag, struct override *o)
{
	if (snprintf(o->key, sizeof(o->key), "%s", flag + 2) >= (int)sizeof(o->key))
		return -1;
	for (char *p = o->key; *p; p++)
		if (*p == '-')
			*p = '_';
	for (const struct tp_replay_key *k = tp_replay_conf_keys; k->name; k++)
		if (!strcmp(k->name, o->key))
			return 0;
	return -1;
}

#define SHOWED_HELP (-1)

/* Returns 0, SHOWED_HELP, or TP_REPLAY_ERROR after saying why. */
static int parse_args(int argc, char **argv, struct cli *c)
{
	int only_vectors = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_vectors || a[0] != '-' || a[1] == '\0') {
			c->vectors[c->n_vectors++] = a;
			continue;
		}
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			only_vectors = 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return SHOWED_HELP;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			c->verbose = 1;
		} else if (!strcmp(a, "--loose")) {
			c->mode = TP_REPLAY_LOOSE;
		} else if (!strcmp(a, "--record")) {
			c->mode = TP_REPLAY_RECORD;
		} else if (!strcmp(a, "--write") && value) {
			c->write_path = argv[++i];
		} else if (!strcmp(a, "--conf") && value) {
			c->conf_path = argv[++i];
		} else if (a[1] == '-' && value && override_key(a, &c->overrides[c->n_overrides]) == 0) {
			c->overrides[c->n_overrides++].value = argv[++i];
		} else {
			fprintf(stderr, "tapir replay: unknown option or missing value: %s (see --help)\n", a);
			return TP_REPLAY_ERROR;
		}
	}
	if (!c->n_vectors) {
		usage(stderr);
		return TP_REPLAY_ERROR;
	}
	if (c->write_path && c->n_vectors > 1) {
		fprintf(stderr, "tapir replay: --write takes one vector at a time\n");
		return TP_REPLAY_ERROR;
	}
	return 0;
}

/* "pcaps/icmp_echo.pcap" -> "icmp_echo", in buf. */
static const char *vector_name(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	int n = dot && dot != base ? (int)(dot - base) : (int)strlen(base);
	snprintf(buf, size, "%.*s", n, base);
	return buf;
}

static int configure(const struct cli *c, const char *vector, struct tp_replay_config *cfg)
{
	char err[512];
	char *sidecar = c->conf_path ? NULL : tp_replay_sidecar_path(vector);
	const char *path = c->conf_path ? c->conf_path : sidecar;

	tp_replay_config_init(cfg);
	if (!path) {
		fprintf(stderr, "tapir replay: out of memory\n");
		return TP_REPLAY_ERROR;
	}
	int rc = tp_replay_config_load(cfg, path, err, sizeof(err));
	if (rc == -2 && c->conf_path)
		snprintf(err, sizeof(err), "%s: no such file", path);
	free(sidecar);
	if (rc == -1 || (rc == -2 && c->conf_path)) {
		fprintf(stderr, "tapir replay: %s\n", err);
		return TP_REPLAY_ERROR;
	}
	for (size_t i = 0; i < c->n_overrides; i++) {
		const struct override *o = &c->overrides[i];
		if (tp_replay_config_set(cfg, o->key, o->value, err, sizeof(err)) < 0) {
			fprintf(stderr, "tapir replay: %s\n", err);
			return TP_REPLAY_ERROR;
		}
	}
	if (tp_replay_config_check(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "tapir replay: %s: %s\n", vector, err);
		return TP_REPLAY_ERROR;
	}
	return 0;
}

static int replay_one(const struct cli *c, const char *vector)
{
	struct tp_replay_config cfg;
	struct tp_frame_list capture = {0};
	char err[512], name[128];

	int rc = configure(c, vector, &cfg);
	if (rc)
		return rc;
	if (tp_frame_list_load(&capture, vector, err, sizeof(err)) < 0) {
		fprintf(stderr, "tapir replay: %s\n", err);
		tp_frame_list_free(&capture);
		return TP_REPLAY_ERROR;
	}
	struct tp_replay_options opt = {
		.name = vector_name(vector, name, sizeof(name)), .mode = c->mode, .verbose = c->verbose,
		.write_path = c->write_path, .write_vars = 1, .out = stdout,
	};
	rc = tp_replay_run(&cfg, &capture, &opt);
	tp_frame_list_free(&capture);
	fflush(stdout);
	return rc;
}

int cmd_replay(int argc, char **argv)
{
	struct cli c = {.mode = TP_REPLAY_STRICT};
	size_t slots = argc > 0 ? (size_t)argc : 1;

	c.overrides = calloc(slots, sizeof(*c.overrides));
	c.vectors = calloc(slots, sizeof(*c.vectors));
	int rc = c.overrides && c.vectors ? parse_args(argc, argv, &c) : TP_REPLAY_ERROR;
	if (rc == 0) {
		/* Every vector runs even after one fails: the summary lines say which. */
		for (size_t i = 0; i < c.n_vectors; i++) {
			int one = replay_one(&c, c.vectors[i]);
			if (one > rc)
				rc = one;
		}
	}
	free(c.overrides);
	free(c.vectors);
	return rc == SHOWED_HELP ? 0 : rc;
}
