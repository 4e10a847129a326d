/*
 * ladder_vars.c - `tapir ladder --vars`: tapir's own TCP variables beside
 * each arrow, from the sidecar CAPTURE.vars that tapir writes with a
 * capture (`tapir --pcap`, `tapir replay --write`). The format (README.md,
 * "tapir's variables beside the arrows"):
 *
 *   # tapir-vars 1
 *   FRAME DIR key=value...
 *
 * FRAME is the segment's index in the pcap (0 the first), DIR `in` or `out`.
 * The file may come from anywhere: every line is checked, and anything that
 * is not exactly the format is an error naming the line, never a guess.
 * Unknown keys are skipped (a newer tapir may add some); known ones must
 * parse. Sequence numbers are written absolute and drawn relative, like the
 * arrows' own.
 */
#include "ladder.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tapir/sock.h"

#define MAGIC "# tapir-vars 1"
#define MAX_LINE 4096
#define MAX_FRAME 0xffffffffull         /* pcaps hold far fewer; a bigger number is damage */

enum kind { NUM32, TIME, STATE, TIMERS };

/* In the order `--vars all` shows them. */
static const struct {
	const char *name;
	enum kind kind;
} vars[LADDER_NVARS] = {
	[LV_STATE] = {"state", STATE},
	[LV_SND_UNA] = {"snd.una", NUM32}, [LV_SND_NXT] = {"snd.nxt", NUM32}, [LV_SND_WND] = {"snd.wnd", NUM32},
	[LV_RCV_NXT] = {"rcv.nxt", NUM32}, [LV_RCV_WND] = {"rcv.wnd", NUM32},
	[LV_CWND] = {"cwnd", NUM32}, [LV_SSTHRESH] = {"ssthresh", NUM32},
	[LV_SRTT] = {"srtt", TIME}, [LV_RTO] = {"rto", TIME},
	[LV_TIMERS] = {"timers", TIMERS},
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *c = err; *c; c++)        /* a hostile file must not garble the terminal */
		if ((unsigned char)*c < ' ' || (unsigned char)*c > '~')
			*c = '?';
	return -1;
}

/* Decimal digits only (no sign, no spaces), at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* "rtx:300000,delack:40000" or "-". */
static int parse_timers(char *s, struct ladder_vars_line *l)
{
	for (int i = 0; i < TP_TCP_TIMERS; i++)
		l->timer[i] = UINT64_MAX;
	if (!strcmp(s, "-"))
		return 0;
	if (!*s || *s == ',' || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		return -1;
	for (char *save = NULL, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		if (!colon)
			return -1;
		*colon = '\0';
		unsigned i = 0;
		while (i < TP_TCP_TIMERS && strcmp(tp_tcp_timer_name(i), t))
			i++;
		if (i == TP_TCP_TIMERS || l->timer[i] != UINT64_MAX ||
		    parse_u64(colon + 1, UINT64_MAX - 1, &l->timer[i]) < 0)
			return -1;
	}
	return 0;
}

static int parse_value(enum ladder_var id, char *value, struct ladder_vars_line *l)
{
	switch (vars[id].kind) {
	case NUM32:
		if (id == LV_SSTHRESH && !strcmp(value, "inf")) {
			l->num[id] = UINT32_MAX;
			return 0;
		}
		return parse_u64(value, UINT32_MAX, &l->num[id]);
	case TIME:
		return parse_u64(value, UINT64_MAX / 2, &l->num[id]);
	case STATE:
		for (unsigned i = 0; tp_tcp_state_name(i); i++)
			if (!strcmp(tp_tcp_state_name(i), value)) {
				l->num[id] = i;
				return 0;
			}
		return -1;
	case TIMERS:
		return parse_timers(value, l);
	}
	return -1;
}

/* One "FRAME DIR key=value..." line (already cut at its newline). */
static int parse_line(char *text, struct ladder_vars_line *l, char *err, size_t errlen)
{
	char *save = NULL;
	char *frame = strtok_r(text, " ", &save), *dir = strtok_r(NULL, " ", &save);
	memset(l, 0, sizeof(*l));
	if (!frame || parse_u64(frame, MAX_FRAME, &l->frame) < 0)
		return fail(err, errlen, "expected a frame number first");
	if (!dir || (strcmp(dir, "in") && strcmp(dir, "out")))
		return fail(err, errlen, "expected 'in' or 'out' after the frame number");
	l->out = dir[0] == 'o';
	for (char *kv = strtok_r(NULL, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			return fail(err, errlen, "expected key=value, not '%.40s'", kv);
		*eq = '\0';
		for (const char *c = kv; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_'))
				return fail(err, errlen, "bad key '%.40s'", kv);
		int id = 0;
		while (id < LADDER_NVARS && strcmp(vars[id].name, kv))
			id++;
		if (id == LADDER_NVARS)
			continue;               /* a key from a newer tapir */
		if (l->present & (1u << id))
			return fail(err, errlen, "%s given twice", kv);
		if (parse_value((enum ladder_var)id, eq + 1, l) < 0)
			return fail(err, errlen, "bad value '%.40s' for %s", eq + 1, kv);
		l->present |= 1u << id;
	}
	if (!(l->present & (1u << LV_STATE)))
		return fail(err, errlen, "no state=");
	return 0;
}

static int by_frame(const void *a, const void *b)
{
	const struct ladder_vars_line *x = a, *y = b;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return (x->lineno > y->lineno) - (x->lineno < y->lineno);      /* a duplicate names the later line */
}

int ladder_vars_parse(struct ladder_vars *v, FILE *f, const char *name, char *err, size_t errlen)
{
	char *line = NULL, why[160];
	size_t size = 0;
	ssize_t got;
	int lineno = 0, rc = 0;

	memset(v, 0, sizeof(*v));
	while (rc == 0 && (got = getline(&line, &size, f)) >= 0) {
		lineno++;
		size_t n = (size_t)got;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strlen(line) != n)
			rc = fail(why, sizeof(why), "NUL byte in line");
		else if (n > MAX_LINE)
			rc = fail(why, sizeof(why), "line longer than %d bytes", MAX_LINE);
		else if (lineno == 1 && strcmp(line, MAGIC))
			rc = fail(why, sizeof(why), "not a tapir-vars sidecar (the first line must be '%s')", MAGIC);
		if (rc || line[0] == '#' || !line[0])
			continue;
		if (v->n == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 256;
			struct ladder_vars_line *p = cap < SIZE_MAX / sizeof(*p) ? realloc(v->lines, cap * sizeof(*p)) : NULL;
			if (!p) {
				rc = fail(why, sizeof(why), "out of memory");
				break;
			}
			v->lines = p;
			v->cap = cap;
		}
		rc = parse_line(line, &v->lines[v->n], why, sizeof(why));
		if (!rc)
			v->lines[v->n++].lineno = lineno;
	}
	free(line);
	if (!rc && ferror(f))
		return fail(err, errlen, "%s: read error", name);
	if (!rc && lineno == 0)
		return fail(err, errlen, "%s: empty (not a tapir-vars sidecar)", name);
	if (rc)
		return fail(err, errlen, "%s:%d: %s", name, lineno, why);
	if (v->n > 1)
		qsort(v->lines, v->n, sizeof(*v->lines), by_frame);
	for (size_t i = 1; i < v->n; i++)
		if (v->lines[i].frame == v->lines[i - 1].frame)
			return fail(err, errlen, "%s:%d: frame %llu already has a line (line %d)", name,
				    v->lines[i].lineno, (unsigned long long)v->lines[i].frame, v->lines[i - 1].lineno);
	return 0;
}

int ladder_vars_load(struct ladder_vars *v, const char *path, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	FILE *f = fopen(path, "r");
	if (!f) {
		int missing = errno == ENOENT;
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return missing ? -2 : -1;
	}
	int rc = ladder_vars_parse(v, f, path, err, errlen);
	fclose(f);
	return rc;
}

void ladder_vars_free(struct ladder_vars *v)
{
	free(v->lines);
	memset(v, 0, sizeof(*v));
}

int ladder_vars_choose(const char *list, int *ids, char *err, size_t errlen)
{
	int n = 0;
	if (!strcasecmp(list, "all")) {
		for (int i = 0; i < LADDER_NVARS; i++)
			ids[n++] = i;
		return n;
	}
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		int id = 0;
		while (id < LADDER_NVARS && (strlen(vars[id].name) != len || strncasecmp(vars[id].name, p, len)))
			id++;
		if (id == LADDER_NVARS) {
			char known[256] = "";
			for (int i = 0; i < LADDER_NVARS; i++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s", i ? "," : "",
					 vars[i].name);
			return fail(err, errlen, "--vars: unknown variable '%.*s' (known: %s, or all)",
				    (int)(len < 40 ? len : 40), p, known);
		}
		int seen = 0;
		for (int i = 0; i < n; i++)
			seen |= ids[i] == id;
		if (!seen)
			ids[n++] = id;
		p += len;
		if (*p == ',' && *++p == '\0')
			return fail(err, errlen, "--vars: a list ends with a name, not a comma");
	}
	return n ? n : fail(err, errlen, "--vars: an empty list");
}

static const struct ladder_vars_line *find(const struct ladder_vars *v, uint64_t frame)
{
	size_t lo = 0, hi = v->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->lines[mid].frame < frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n && v->lines[lo].frame == frame ? &v->lines[lo] : NULL;
}

/* "300ms", "1.5ms" */
static void ms_str(uint64_t us, char *buf, size_t size)
{
	if (us % 1000 == 0) {
		snprintf(buf, size, "%llums", (unsigned long long)(us / 1000));
		return;
	}
	int n = snprintf(buf, size, "%llu.%03llu", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
	while (n > 0 && (size_t)n < size && buf[n - 1] == '0')
		buf[--n] = '\0';
	snprintf(buf + strlen(buf), size - strlen(buf), "ms");
}

/* One variable's value as drawn; base[0] tapir's ISN side, base[1] the peer's. */
static void value_str(const struct ladder_vars_line *l, int id, const uint32_t base[2], char *buf, size_t size)
{
	uint64_t x = l->num[id];
	switch (id) {
	case LV_STATE:
		snprintf(buf, size, "%s", tp_tcp_state_name((unsigned)x));
		break;
	case LV_SND_UNA:
	case LV_SND_NXT:
	case LV_RCV_NXT:
		/* Relative, as the arrows' seq and ack (RCV.NXT in the peer's space). */
		snprintf(buf, size, "%d", (int)(int32_t)((uint32_t)x - base[id == LV_RCV_NXT]));
		break;
	case LV_SSTHRESH:
		if (x == UINT32_MAX) {
			snprintf(buf, size, "inf");
			break;
		}
		/* fall through */
	case LV_SND_WND:
	case LV_RCV_WND:
	case LV_CWND:
		snprintf(buf, size, "%llu", (unsigned long long)x);
		break;
	case LV_SRTT:
	case LV_RTO:
		if (id == LV_SRTT && x == 0)
			snprintf(buf, size, "-");     /* no sample yet */
		else
			ms_str(x, buf, size);
		break;
	case LV_TIMERS:
		buf[0] = '\0';
		for (unsigned i = 0; i < TP_TCP_TIMERS; i++) {
			char t[32];
			if (l->timer[i] == UINT64_MAX)
				continue;
			ms_str(l->timer[i], t, sizeof(t));
			snprintf(buf + strlen(buf), size - strlen(buf), "%s%s:%s", buf[0] ? "," : "",
				 tp_tcp_timer_name(i), t);
		}
		if (!buf[0])
			snprintf(buf, size, "-");
		break;
	}
}

static int annotate(struct ladder_segment *s, const struct ladder_vars_line *l, const int *ids, int n_ids,
		    const uint32_t base[2])
{
	s->annotations = calloc((size_t)n_ids, sizeof(*s->annotations));
	if (!s->annotations)
		return -1;
	for (int k = 0; k < n_ids; k++) {
		char value[160];
		if (!(l->present & (1u << ids[k])))
			continue;               /* a gone connection has only its state */
		value_str(l, ids[k], base, value, sizeof(value));
		struct ladder_annotation *a = &s->annotations[s->n_annotations];
		a->name = strdup(vars[ids[k]].name);
		a->value = strdup(value);
		if (!a->name || !a->value) {
			free(a->name);
			free(a->value);
			return -1;
		}
		s->n_annotations++;
	}
	return 0;
}

int ladder_vars_annotate(struct ladder_conn *c, const struct ladder_vars *v, const int *ids, int n_ids)
{
	c->vars_end = -1;
	for (size_t i = 0; i < c->n_seg; i++) {
		struct ladder_segment *s = &c->seg[i];
		const struct ladder_vars_line *l = find(v, s->frame);
		if (!l || s->annotations)
			continue;
		int tapir = l->out ? s->from : !s->from;
		uint32_t base[2] = {c->base[tapir], c->base[!tapir]};
		c->vars_end = c->vars_end < 0 || c->vars_end == tapir ? tapir : 2;
		if (annotate(s, l, ids, n_ids, base) < 0)
			return -1;
	}
	return 0;
}
