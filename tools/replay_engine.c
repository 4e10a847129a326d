/*
 * replay_engine.c - one vector through one fresh stack under a virtual clock.
 *
 * The clock only moves when the capture says so: before each input frame the
 * stack's timers are stepped one deadline at a time up to the frame's stamp,
 * so a frame a timer sends carries the timer's own time, not the next
 * input's. Everything the stack sends is kept, then compared in order with
 * the capture's frames from the stack's MAC.
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "replay_client.h"
#include "services.h"
#include "tapir/pcap.h"

/* A stack whose timers keep re-arming at the same instant never lets the
 * clock move; past this many timer steps for one advance, give up. */
#define MAX_TIMER_STEPS 1000000

const char *const tp_replay_loose_skipped[] = {
	"frame.len",            /* follows the padding */
	"padding",              /* Ethernet padding after the datagram or ARP packet */
	"ip.id",                /* each implementation picks its own */
	"ip.checksum",          /* follows ip.id */
	"icmp.checksum",        /* follows the ICMP data, which is compared */
	"udp.checksum",
	"tcp.checksum",
	NULL,
};

/* One fresh stack on a virtual clock, with what runs on it. */
struct tp_replay_session {
	const struct tp_replay_config *cfg;
	const struct tp_replay_options *opt;
	struct tp_stack *stack;
	struct tp_netif *nif;
	struct tp_services *services;   /* the `services` key */
	struct replay_clients *clients; /* the `connect` keys */
	struct tp_pcap_writer *writer;
	struct tp_frame_list sent;      /* what the stack transmitted, with its clock */
	tp_time start;
	tp_time last_stamp;             /* the last frame fed or expected */
	size_t n_in;
	int discard_sent;               /* while creating the netif with announce = no, and at teardown */
	int out_of_memory;
};

static void print_time(FILE *out, const struct tp_replay_session *r, tp_time t)
{
	tp_time rel = t - r->start;
	fprintf(out, "%4llu.%06llu", (unsigned long long)(rel / 1000000u),
		(unsigned long long)(rel % 1000000u));
}

static void print_frame_line(const struct tp_replay_session *r, const char *dir, size_t index, tp_time t,
			     const uint8_t *frame, size_t len)
{
	char summary[256];
	FILE *out = r->opt->out;
	print_time(out, r, t);
	fprintf(out, " %-3s #%-4zu %s\n", dir, index, tp_decode_summary(frame, len, summary, sizeof(summary)));
}

static int on_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct tp_replay_session *r = ctx;
	tp_time now = tp_now(r->stack);

	if (r->discard_sent)
		return 0;
	if (tp_frame_list_add(&r->sent, now, frame, len) < 0) {
		r->out_of_memory = 1;       /* reported once the run ends */
		return 0;
	}
	if (r->writer)
		tp_pcap_writer_frame(r->writer, now, frame, len);
	if (r->opt->verbose)
		print_frame_line(r, "out", r->sent.count - 1, now, frame, len);
	return 0;
}

/* TCP variables for the --write capture's sidecar. */
static void on_trace(void *ctx, const struct tp_trace_event *ev)
{
	struct tp_replay_session *r = ctx;
	if (ev->kind == TP_TRACE_TCP_VARS)
		tp_pcap_writer_vars(r->writer, ev->time, ev->tcp_vars);
}

static int error(const struct tp_replay_session *r, const char *what)
{
	fprintf(r->opt->out, "ERROR %s: %s\n", r->opt->name, what);
	return TP_REPLAY_ERROR;
}

/* Runs every timer and scripted client action due up to `target`, each at
 * its own time (timers first when both fall on the same instant). */
static int advance_to(struct tp_replay_session *r, tp_time target)
{
	char why[200];
	for (long steps = 0;; steps++) {
		tp_time due = tp_next_deadline(r->stack);
		tp_time action = replay_clients_next(r->clients);
		tp_time next = action < due ? action : due;
		if (next > target)
			break;
		if (steps == MAX_TIMER_STEPS)
			return error(r, "the stack's timers never let the clock move");
		tp_poll(r->stack, next);
		if (action == next && replay_clients_run(r->clients, next, why, sizeof(why)) < 0)
			return error(r, why);
	}
	tp_poll(r->stack, target);
	return 0;
}

static int from_stack(const struct tp_replay_session *r, const struct tp_frame *f)
{
	return f->len >= 12 && memcmp(f->data + 6, r->cfg->netif.mac, 6) == 0;
}

/* --- Comparing one frame ------------------------------------------------ */

#define FIELD_NAME_MAX 32
#define FIELD_VALUE_MAX 128

struct field {
	char name[FIELD_NAME_MAX];
	char value[FIELD_VALUE_MAX];
	int used;               /* matched while aligning two lists */
};

struct field_list {
	struct field *items;
	size_t count, cap;
	int failed;
};

static void collect_field(void *ctx, const char *name, const char *value)
{
	struct field_list *l = ctx;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct field *items = realloc(l->items, cap * sizeof(*items));
		if (!items) {
			l->failed = 1;
			return;
		}
		l->items = items;
		l->cap = cap;
	}
	struct field *f = &l->items[l->count++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->value, sizeof(f->value), "%s", value);
	f->used = 0;
}

static int decode_fields(const struct tp_frame *frame, struct field_list *l)
{
	memset(l, 0, sizeof(*l));
	tp_decode_fields(frame->data, frame->len, collect_field, l);
	return l->failed ? -1 : 0;
}

static int loose_skips(const char *name)
{
	for (const char *const *s = tp_replay_loose_skipped; *s; s++)
		if (!strcmp(*s, name))
			return 1;
	return 0;
}

/* The compared fields, in order, must be the same names with the same values. */
static int loose_equal(const struct field_list *a, const struct field_list *b)
{
	size_t i = 0, j = 0;
	for (;;) {
		while (i < a->count && loose_skips(a->items[i].name))
			i++;
		while (j < b->count && loose_skips(b->items[j].name))
			j++;
		if (i == a->count || j == b->count)
			return i == a->count && j == b->count;
		if (strcmp(a->items[i].name, b->items[j].name) || strcmp(a->items[i].value, b->items[j].value))
			return 0;
		i++, j++;
	}
}

static struct field *take_by_name(struct field_list *l, const char *name)
{
	for (size_t i = 0; i < l->count; i++)
		if (!l->items[i].used && !strcmp(l->items[i].name, name)) {
			l->items[i].used = 1;
			return &l->items[i];
		}
	return NULL;
}

#define VALUE_COLUMN 36

static const char *shown(const char *value)
{
	return !value ? "-" : *value ? value : "(none)";
}

/* One row; a value too wide for its column puts "got" on a line of its own. */
static void print_field_row(FILE *out, enum tp_replay_mode mode, const char *name,
			    const char *expected, const char *got)
{
	int differs = !expected || !got || strcmp(expected, got) != 0;
	char mark = !differs ? ' ' : mode == TP_REPLAY_LOOSE && loose_skips(name) ? '~' : '*';
	if (strlen(shown(expected)) <= VALUE_COLUMN)
		fprintf(out, "  %c %-16s %-*s %s\n", mark, name, VALUE_COLUMN, shown(expected), shown(got));
	else
		fprintf(out, "  %c %-16s %s\n    %-16s %-*s %s\n", mark, name, shown(expected), "",
			VALUE_COLUMN, "", shown(got));
}

/* Expected and got side by side, aligned by field name so that two frames of
 * different shapes (ARP against IP) still line up where they can. */
static void print_field_diff(FILE *out, enum tp_replay_mode mode, struct field_list *expected,
			     struct field_list *got)
{
	fprintf(out, "    %-16s %-*s %s\n", "field", VALUE_COLUMN, "expected", "got");
	for (size_t i = 0; i < expected->count; i++) {
		struct field *e = &expected->items[i];
		struct field *g = take_by_name(got, e->name);
		print_field_row(out, mode, e->name, e->value, g ? g->value : NULL);
	}
	for (size_t i = 0; i < got->count; i++)
		if (!got->items[i].used)
			print_field_row(out, mode, got->items[i].name, NULL, got->items[i].value);
	fprintf(out, "  (* differs%s)\n", mode == TP_REPLAY_LOOSE ? ", ~ differs but --loose ignores it" : "");
}

static void print_byte_diff(FILE *out, const struct tp_frame *e, const struct tp_frame *g)
{
	size_t n = e->len < g->len ? e->len : g->len, at = 0;
	while (at < n && e->data[at] == g->data[at])
		at++;
	if (at < n)
		fprintf(out, "  first differing byte: offset %zu (0x%02x expected, 0x%02x got)\n", at,
			e->data[at], g->data[at]);
	if (e->len != g->len)
		fprintf(out, "  length: %zu bytes expected, %zu got\n", e->len, g->len);
}

static void print_header(const struct tp_replay_session *r, const char *what, size_t capture_index,
			 size_t sent_index)
{
	fprintf(r->opt->out, "FAIL %s: %s: capture frame #%zu, the stack's frame #%zu\n", r->opt->name,
		what, capture_index, sent_index);
}

static void print_labelled(const struct tp_replay_session *r, const char *label, const struct tp_frame *f)
{
	char summary[256];
	fprintf(r->opt->out, "  %-8s at ", label);
	print_time(r->opt->out, r, f->t);
	fprintf(r->opt->out, " s: %s\n", tp_decode_summary(f->data, f->len, summary, sizeof(summary)));
}

static tp_time time_apart(tp_time a, tp_time b) { return a > b ? a - b : b - a; }

/* 0 if `got` is the frame the capture expects, else prints why and returns 1
 * (or TP_REPLAY_ERROR if decoding ran out of memory). */
static int compare_frame(struct tp_replay_session *r, size_t capture_index, const struct tp_frame *expected,
			 size_t sent_index, const struct tp_frame *got)
{
	FILE *out = r->opt->out;
	int same;
	struct field_list ef, gf;

	if (decode_fields(expected, &ef) < 0 || decode_fields(got, &gf) < 0) {
		free(ef.items);
		free(gf.items);
		fprintf(out, "ERROR %s: out of memory\n", r->opt->name);
		return TP_REPLAY_ERROR;
	}
	if (r->opt->mode == TP_REPLAY_LOOSE)
		same = loose_equal(&ef, &gf);
	else
		same = expected->len == got->len && memcmp(expected->data, got->data, got->len) == 0;

	int rc = 0;
	if (!same) {
		print_header(r, "frames differ", capture_index, sent_index);
		print_labelled(r, "expected", expected);
		print_labelled(r, "got", got);
		print_field_diff(out, r->opt->mode, &ef, &gf);
		print_byte_diff(out, expected, got);
		rc = TP_REPLAY_FAIL;
	} else if (time_apart(expected->t, got->t) > r->cfg->tolerance) {
		print_header(r, got->t > expected->t ? "frame late" : "frame early", capture_index, sent_index);
		print_labelled(r, "expected", expected);
		print_labelled(r, "got", got);
		fprintf(out, "  off by %.3f ms; tolerance %.3f ms\n", (double)time_apart(expected->t, got->t) / 1000.0,
			(double)r->cfg->tolerance / 1000.0);
		rc = TP_REPLAY_FAIL;
	}
	free(ef.items);
	free(gf.items);
	return rc;
}

/* --- The session --------------------------------------------------------- */

int tp_replay_session_open(struct tp_replay_session **out, const struct tp_replay_config *cfg, tp_time start,
			   const struct tp_replay_options *opt)
{
	char err[300];
	struct tp_replay_session *r = calloc(1, sizeof(*r));
	struct tp_replay_session quiet = {.cfg = cfg, .opt = opt};   /* for a message before r exists */

	*out = r;
	if (!r)
		return error(&quiet, "out of memory");
	r->cfg = cfg;
	r->opt = opt;
	r->start = r->last_stamp = start;
	if (tp_replay_config_check(cfg, err, sizeof(err)) < 0)
		return error(r, err);
	struct tp_stack_config scfg = cfg->stack;
	scfg.start_time = start;
	r->stack = tp_stack_new(&scfg);
	if (!r->stack)
		return error(r, "out of memory");
	if (opt->write_path) {
		r->writer = tp_pcap_writer_open(opt->write_path, 0, err, sizeof(err));
		if (!r->writer)
			return error(r, err);
		if (opt->write_vars) {
			if (tp_pcap_writer_add_vars(r->writer, opt->write_path, err, sizeof(err)) < 0)
				return error(r, err);
			tp_set_trace(r->stack, on_trace, r);
		}
	}
	r->discard_sent = !cfg->expect_announce;
	r->nif = tp_netif_add(r->stack, &cfg->netif, on_transmit, r);
	r->discard_sent = 0;
	if (!r->nif)
		return error(r, "the stack refused the interface configuration (mac, addr, mtu)");
	if (cfg->services) {
		r->services = tp_services_start(r->stack, cfg->services, err, sizeof(err));
		if (!r->services)
			return error(r, err);
	}
	r->clients = replay_clients_new(r->stack, cfg, start);
	if (!r->clients)
		return error(r, "out of memory");
	if (replay_clients_listen(r->clients, err, sizeof(err)) < 0)
		return error(r, err);
	return TP_REPLAY_PASS;
}

int tp_replay_session_advance(struct tp_replay_session *r, tp_time t)
{
	if (t < tp_now(r->stack))
		return error(r, "time goes backwards");
	return advance_to(r, t);
}

/* Feeds one frame at t; `index` is its place in the conversation, for -v. */
static int input_at(struct tp_replay_session *r, size_t index, tp_time t, const uint8_t *frame, size_t len)
{
	int rc = tp_replay_session_advance(r, t);
	if (rc)
		return rc;
	if (r->writer)
		tp_pcap_writer_frame(r->writer, t, frame, len);
	if (r->opt->verbose)
		print_frame_line(r, "in", index, t, frame, len);
	tp_input(r->stack, r->nif, frame, len);
	r->n_in++;
	r->last_stamp = t;
	return TP_REPLAY_PASS;
}

int tp_replay_session_input(struct tp_replay_session *r, tp_time t, const uint8_t *frame, size_t len)
{
	return input_at(r, r->n_in + r->sent.count, t, frame, len);
}

const struct tp_frame_list *tp_replay_session_sent(const struct tp_replay_session *r)
{
	return &r->sent;
}

/* Runs the clock past the last frame by the tolerance, so a late frame still
 * counts. Recording extends the end while frames keep coming near it, so the
 * recorded vector ends exactly where its own replay will stop looking. */
static int run_to_end(struct tp_replay_session *r)
{
	tp_time end = r->start + r->cfg->end;
	if (r->last_stamp > end)
		end = r->last_stamp;
	if (replay_clients_last(r->clients) > end)
		end = replay_clients_last(r->clients);
	end += r->cfg->tolerance;
	for (;;) {
		int rc = advance_to(r, end);
		if (rc)
			return rc;
		if (r->out_of_memory)
			return error(r, "out of memory");
		if (r->opt->mode != TP_REPLAY_RECORD || !r->sent.count)
			return 0;
		tp_time last_sent = r->sent.frames[r->sent.count - 1].t + r->cfg->tolerance;
		if (last_sent <= end)
			return 0;
		end = last_sent;
	}
}

/* The stack's counters that moved: in -v output they say why a frame got no
 * answer (which drop), which the frames alone cannot show. */
static void print_counters(const struct tp_replay_session *r)
{
	const char *sep = "counters:";
	for (int id = 0; id < TP_STAT_COUNT; id++) {
		uint64_t n = tp_stat(r->stack, (enum tp_stat_id)id);
		if (n) {
			fprintf(r->opt->out, "%s %s=%llu", sep, tp_stat_name((enum tp_stat_id)id), (unsigned long long)n);
			sep = "";
		}
	}
	fprintf(r->opt->out, "\n");
}

/* The sidecar's expect_counter lines, against the stack's counters. */
static int check_counters(const struct tp_replay_session *r)
{
	for (int i = 0; i < r->cfg->n_counters; i++) {
		const struct tp_replay_counter *c = &r->cfg->counters[i];
		uint64_t got = tp_stat(r->stack, c->id);
		if (got != c->value) {
			fprintf(r->opt->out, "FAIL %s: counter %s is %llu, the sidecar expects %llu\n", r->opt->name,
				tp_stat_name(c->id), (unsigned long long)got, (unsigned long long)c->value);
			return TP_REPLAY_FAIL;
		}
	}
	return TP_REPLAY_PASS;
}

/* Runs to the end; in RECORD mode also says so and checks the counters. */
static int finish(struct tp_replay_session *r)
{
	int rc = run_to_end(r);
	if (rc)
		return rc;
	if (r->opt->verbose)
		print_counters(r);
	if (r->opt->mode != TP_REPLAY_RECORD)
		return TP_REPLAY_PASS;
	fprintf(r->opt->out, "RECORDED %s: %zu in, %zu out%s%s\n", r->opt->name, r->n_in, r->sent.count,
		r->opt->write_path ? " -> " : "", r->opt->write_path ? r->opt->write_path : "");
	return check_counters(r);
}

int tp_replay_session_finish(struct tp_replay_session *r)
{
	return finish(r);
}

void tp_replay_session_free(struct tp_replay_session *r)
{
	if (!r)
		return;
	r->discard_sent = 1;                /* the services' farewell resets are no part of the run */
	if (r->stack)
		tp_set_trace(r->stack, NULL, NULL);
	tp_services_stop(r->services);
	tp_stack_free(r->stack);
	replay_clients_free(r->clients);
	tp_pcap_writer_close(r->writer);
	tp_frame_list_free(&r->sent);
	free(r);
}

/* --- Replaying a capture -------------------------------------------------- */

/* Stamps must never go back, nor come before the start. */
static int check_stamps(const struct tp_replay_session *r, const struct tp_frame_list *capture)
{
	tp_time prev = r->start;
	for (size_t i = 0; i < capture->count; i++) {
		if (capture->frames[i].t < prev) {
			char why[160];
			snprintf(why, sizeof(why), "capture frame #%zu is stamped before %s", i,
				 i ? "the frame before it" : "the configured start");
			return error(r, why);
		}
		prev = capture->frames[i].t;
	}
	return 0;
}

/* Feeds the inputs; collects in `expected` the indices of the stack's frames. */
static int feed(struct tp_replay_session *r, const struct tp_frame_list *capture, size_t *expected,
		size_t *n_expected)
{
	for (size_t i = 0; i < capture->count; i++) {
		const struct tp_frame *f = &capture->frames[i];
		if (!from_stack(r, f)) {
			int rc = input_at(r, i, f->t, f->data, f->len);
			if (rc)
				return rc;
		} else if (r->opt->mode != TP_REPLAY_RECORD) {
			expected[(*n_expected)++] = i;
			r->last_stamp = f->t;
		}
	}
	return 0;
}

static int compare_all(struct tp_replay_session *r, const struct tp_frame_list *capture,
		       const size_t *expected, size_t n_expected)
{
	size_t n = n_expected < r->sent.count ? n_expected : r->sent.count;
	for (size_t k = 0; k < n; k++) {
		int rc = compare_frame(r, expected[k], &capture->frames[expected[k]], k, &r->sent.frames[k]);
		if (rc)
			return rc;
	}
	if (r->sent.count > n_expected) {
		print_header(r, "the stack sent a frame the capture does not have",
			     capture->count, n_expected);
		print_labelled(r, "extra", &r->sent.frames[n_expected]);
		return TP_REPLAY_FAIL;
	}
	if (r->sent.count < n_expected) {
		print_header(r, "the stack never sent a frame the capture expects",
			     expected[r->sent.count], r->sent.count);
		print_labelled(r, "missing", &capture->frames[expected[r->sent.count]]);
		return TP_REPLAY_FAIL;
	}
	return check_counters(r);
}

static int run_capture(struct tp_replay_session *r, const struct tp_frame_list *capture, size_t *expected)
{
	size_t n_expected = 0;
	int rc = check_stamps(r, capture);
	if (!rc)
		rc = feed(r, capture, expected, &n_expected);
	if (!rc)
		rc = finish(r);
	if (rc || r->opt->mode == TP_REPLAY_RECORD)
		return rc;
	rc = compare_all(r, capture, expected, n_expected);
	if (rc == TP_REPLAY_PASS)
		fprintf(r->opt->out, "PASS %s: %zu in, %zu out\n", r->opt->name, r->n_in, r->sent.count);
	return rc;
}

int tp_replay_run(const struct tp_replay_config *cfg, const struct tp_frame_list *capture,
		  const struct tp_replay_options *opt)
{
	struct tp_replay_session *r;
	tp_time start = cfg->has_start ? cfg->stack.start_time : capture->count ? capture->frames[0].t : 0;
	int rc = tp_replay_session_open(&r, cfg, start, opt);
	if (!rc) {
		size_t *expected = malloc((capture->count ? capture->count : 1) * sizeof(*expected));
		rc = expected ? run_capture(r, capture, expected) : error(r, "out of memory");
		free(expected);
	}
	tp_replay_session_free(r);
	return rc;
}
