/* wire.c - seeded link impairment and the in-memory wire (see tapir/wire.h). */
#include "tapir/wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The core's generator: the wire's randomness is as reproducible as the
 * stack's (the runtime may use core internals; apps may not). */
#include "rand.h"
#include "tapir/gso.h"

#define PPM_MAX 1000000u
#define TIME_MAX TP_SEC(60)
#define LIMIT_MAX 1000000u
#define NSEC_PER_SEC 1000000000ull

/* --- The spec parser ----------------------------------------------------- */

struct unit {
	const char *name;
	uint64_t scale;         /* base units per one of this unit */
};

static const struct unit prob_units[] = {{"%", 10000}, {NULL, 0}};
static const struct unit time_units[] = {{"us", 1}, {"ms", 1000}, {"s", 1000000}, {NULL, 0}};
static const struct unit rate_units[] = {
	{"bit", 1}, {"kbit", 1000}, {"mbit", 1000000}, {"gbit", 1000000000}, {NULL, 0}};
static const struct unit size_units[] = {
	{"b", 1}, {"kb", 1000}, {"mb", 1000000}, {"kib", 1024}, {"mib", 1048576}, {NULL, 0}};

enum key_id { K_LOSS, K_DUP, K_REORDER, K_DELAY, K_JITTER, K_REORDER_DELAY, K_RATE, K_QUEUE,
	      K_LIMIT, K_SEED, K_COUNT };

struct key {
	const char *name;
	const struct unit *units;   /* NULL: a plain integer */
	const char *base;           /* the base unit, for messages */
	uint64_t min, max;          /* in base units */
	const char *range;          /* the range, as a user writes it */
};

static const struct key keys[K_COUNT] = {
	[K_LOSS] = {"loss", prob_units, "0.0001%", 0, PPM_MAX, "0% to 100%"},
	[K_DUP] = {"dup", prob_units, "0.0001%", 0, PPM_MAX, "0% to 100%"},
	[K_REORDER] = {"reorder", prob_units, "0.0001%", 0, PPM_MAX, "0% to 100%"},
	[K_DELAY] = {"delay", time_units, "us", 0, TIME_MAX, "0 to 60s"},
	[K_JITTER] = {"jitter", time_units, "us", 0, TIME_MAX, "0 to 60s"},
	[K_REORDER_DELAY] = {"reorder_delay", time_units, "us", 1, TIME_MAX, "1us to 60s"},
	[K_RATE] = {"rate", rate_units, "bit", 1, 1000ull * 1000000000ull, "1bit to 1000gbit"},
	[K_QUEUE] = {"queue", size_units, "b", 1, UINT32_MAX, "1b to 4294967295b"},
	[K_LIMIT] = {"limit", NULL, NULL, 1, LIMIT_MAX, "1 to 1000000"},
	[K_SEED] = {"seed", NULL, NULL, 0, UINT64_MAX, "0 to 2^64-1"},
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		int n = snprintf(err, errlen, "impair: ");
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < errlen)
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* An unsigned integer, decimal or 0x-hex, the whole of [s, s+n). */
static int parse_integer(const char *s, size_t n, uint64_t *out)
{
	unsigned base = 10;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		n -= 2;
	}
	if (n == 0)
		return -1;
	unsigned __int128 v = 0;
	for (size_t i = 0; i < n; i++) {
		int d;
		char c = s[i];
		if (is_digit(c))
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * base + (unsigned)d;
		if (v > UINT64_MAX)
			return -1;
	}
	*out = (uint64_t)v;
	return 0;
}

/* "1.5ms" into base units, exactly: decimals must give a whole base unit. */
static int parse_quantity(const struct key *k, const char *v, size_t n, uint64_t *out, char *err,
			  size_t errlen)
{
	size_t i = 0;
	unsigned __int128 mant = 0;
	unsigned frac_digits = 0, digits = 0;
	int seen_point = 0;
	for (; i < n && (is_digit(v[i]) || (v[i] == '.' && !seen_point)); i++) {
		if (v[i] == '.') {
			seen_point = 1;
			continue;
		}
		if (++digits > 19)
			return fail(err, errlen, "%s=%.*s: too many digits", k->name, (int)n, v);
		mant = mant * 10 + (unsigned)(v[i] - '0');
		frac_digits += seen_point;
	}
	if (digits == 0 || (seen_point && frac_digits == 0))
		return fail(err, errlen, "%s=%.*s: expected a number", k->name, (int)n, v);
	const char *unit = v + i;
	size_t unit_len = n - i;
	uint64_t scale = 0;
	if (unit_len == 0) {
		/* Zero needs no unit; anything else would be a guess. */
		if (mant != 0) {
			char names[64] = "";
			for (const struct unit *u = k->units; u->name; u++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
					 u == k->units ? "" : ", ", u->name);
			return fail(err, errlen, "%s=%.*s: missing unit (%s)", k->name, (int)n, v, names);
		}
		scale = 1;
	}
	for (const struct unit *u = k->units; unit_len && u->name; u++)
		if (strlen(u->name) == unit_len && strncasecmp(unit, u->name, unit_len) == 0)
			scale = u->scale;
	if (!scale)
		return fail(err, errlen, "%s=%.*s: unknown unit '%.*s'", k->name, (int)n, v,
			    (int)unit_len, unit);
	unsigned __int128 pow10 = 1;
	for (unsigned d = 0; d < frac_digits; d++)
		pow10 *= 10;
	unsigned __int128 scaled = mant * scale;
	if (scaled % pow10 != 0)
		return fail(err, errlen, "%s=%.*s: finer than the %s %s resolution", k->name, (int)n, v,
			    k->base, k->name);
	scaled /= pow10;
	if (scaled < k->min || scaled > k->max)
		return fail(err, errlen, "%s=%.*s: out of range (%s)", k->name, (int)n, v, k->range);
	*out = (uint64_t)scaled;
	return 0;
}

static void store(struct tp_impair_config *cfg, enum key_id id, uint64_t v)
{
	switch (id) {
	case K_LOSS: cfg->loss_ppm = (uint32_t)v; break;
	case K_DUP: cfg->dup_ppm = (uint32_t)v; break;
	case K_REORDER: cfg->reorder_ppm = (uint32_t)v; break;
	case K_DELAY: cfg->delay = v; break;
	case K_JITTER: cfg->jitter = v; break;
	case K_REORDER_DELAY: cfg->reorder_delay = v; break;
	case K_RATE: cfg->rate_bps = v; break;
	case K_QUEUE: cfg->queue_bytes = (uint32_t)v; break;
	case K_LIMIT: cfg->limit = (uint32_t)v; break;
	case K_SEED: cfg->seed = v; break;
	case K_COUNT: break;
	}
}

static int parse_item(const char *item, size_t n, struct tp_impair_config *cfg, unsigned *seen,
		      char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', n);
	if (!eq)
		return fail(err, errlen, "'%.*s' needs a value (key=value)", (int)n, item);
	size_t klen = (size_t)(eq - item);
	const char *v = eq + 1;
	size_t vlen = n - klen - 1;
	enum key_id id = K_COUNT;
	for (int i = 0; i < K_COUNT; i++)
		if (strlen(keys[i].name) == klen && strncmp(item, keys[i].name, klen) == 0)
			id = (enum key_id)i;
	if (id == K_COUNT)
		return fail(err, errlen,
			    "unknown key '%.*s' (expected loss, dup, reorder, delay, jitter, "
			    "reorder_delay, rate, queue, limit, seed)", (int)klen, item);
	const struct key *k = &keys[id];
	if (*seen & 1u << id)
		return fail(err, errlen, "%s given twice", k->name);
	*seen |= 1u << id;
	if (vlen == 0)
		return fail(err, errlen, "%s= needs a value", k->name);
	uint64_t value = 0;
	if (!k->units) {
		if (parse_integer(v, vlen, &value) < 0)
			return fail(err, errlen, "%s=%.*s: expected an integer", k->name, (int)vlen, v);
		if (value < k->min || value > k->max)
			return fail(err, errlen, "%s=%.*s: out of range (%s)", k->name, (int)vlen, v,
				    k->range);
	} else if (parse_quantity(k, v, vlen, &value, err, errlen) < 0) {
		return -EINVAL;
	}
	store(cfg, id, value);
	return 0;
}

int tp_impair_parse(const char *spec, struct tp_impair_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	if (!spec || !*spec)
		return 0;
	unsigned seen = 0;
	for (const char *p = spec;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0)
			return fail(err, errlen, "empty item in '%s'", spec);
		if (parse_item(p, n, cfg, &seen, err, errlen) < 0)
			return -EINVAL;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* "12.5%" from parts per million, with no trailing zeros. */
static void format_ppm(char *buf, size_t len, uint32_t ppm)
{
	unsigned whole = ppm / 10000, frac = ppm % 10000;
	if (!frac) {
		snprintf(buf, len, "%u%%", whole);
		return;
	}
	int digits = 4;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(buf, len, "%u.%0*u%%", whole, digits, frac);
}

/* In the largest unit that divides v exactly. */
static void format_units(char *buf, size_t len, uint64_t v, const struct unit *units)
{
	const struct unit *best = units;
	for (const struct unit *u = units; u->name; u++)
		if (v % u->scale == 0 && u->scale > best->scale)
			best = u;
	snprintf(buf, len, "%llu%s", (unsigned long long)(v / best->scale), best->name);
}

int tp_impair_format(const struct tp_impair_config *c, char *buf, size_t len)
{
	char out[512], v[32];
	size_t used = 0;
	out[0] = '\0';
#define ADD(...) used += (size_t)snprintf(out + used, sizeof(out) - used, __VA_ARGS__)
	if (c->loss_ppm) { format_ppm(v, sizeof(v), c->loss_ppm); ADD("loss=%s,", v); }
	if (c->dup_ppm) { format_ppm(v, sizeof(v), c->dup_ppm); ADD("dup=%s,", v); }
	if (c->reorder_ppm) { format_ppm(v, sizeof(v), c->reorder_ppm); ADD("reorder=%s,", v); }
	if (c->delay) { format_units(v, sizeof(v), c->delay, time_units); ADD("delay=%s,", v); }
	if (c->jitter) { format_units(v, sizeof(v), c->jitter, time_units); ADD("jitter=%s,", v); }
	if (c->reorder_delay) {
		format_units(v, sizeof(v), c->reorder_delay, time_units);
		ADD("reorder_delay=%s,", v);
	}
	if (c->rate_bps) { format_units(v, sizeof(v), c->rate_bps, rate_units); ADD("rate=%s,", v); }
	if (c->queue_bytes) ADD("queue=%ub,", c->queue_bytes);
	if (c->limit) ADD("limit=%u,", c->limit);
	ADD("seed=%llu", (unsigned long long)c->seed);
#undef ADD
	return snprintf(buf, len, "%s", out);
}

/* --- One direction: a delay line ordered by delivery time ----------------- */

struct flight {                 /* one copy of a frame on its way */
	tp_time at;
	uint64_t order;         /* breaks ties: scheduled first, delivered first */
	uint8_t *bytes;
	size_t len;
};

struct tp_impair {
	struct tp_impair_config cfg;
	struct tp_rand rng;
	struct flight *heap;    /* binary min-heap on (at, order) */
	size_t count, cap;
	uint64_t next_order;
	tp_time last_submit;
	tp_time last_in_order;  /* latest delivery time of a copy not held back */
	uint64_t busy_until_ns; /* the serialiser is sending until then */
	uint8_t *popped;        /* the bytes the last pop handed out */
	struct tp_impair_stats stats;
};

static int earlier(const struct flight *a, const struct flight *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void heap_sift_up(struct flight *h, size_t i)
{
	struct flight f = h[i];
	while (i > 0 && earlier(&f, &h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = f;
}

static void heap_sift_down(struct flight *h, size_t count, size_t i)
{
	struct flight f = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= count)
			break;
		if (c + 1 < count && earlier(&h[c + 1], &h[c]))
			c++;
		if (!earlier(&h[c], &f))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = f;
}

struct tp_impair *tp_impair_new(const struct tp_impair_config *cfg)
{
	static const struct tp_impair_config perfect;
	if (!cfg)
		cfg = &perfect;
	if (cfg->loss_ppm > PPM_MAX || cfg->dup_ppm > PPM_MAX || cfg->reorder_ppm > PPM_MAX ||
	    cfg->delay > TIME_MAX || cfg->jitter > TIME_MAX || cfg->reorder_delay > TIME_MAX ||
	    cfg->limit > LIMIT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	struct tp_impair *imp = calloc(1, sizeof(*imp));
	if (!imp)
		return NULL;
	imp->cfg = *cfg;
	if (!imp->cfg.queue_bytes)
		imp->cfg.queue_bytes = TP_IMPAIR_DEFAULT_QUEUE_BYTES;
	if (!imp->cfg.limit)
		imp->cfg.limit = TP_IMPAIR_DEFAULT_LIMIT;
	if (!imp->cfg.reorder_delay)
		imp->cfg.reorder_delay = TP_IMPAIR_DEFAULT_REORDER_DELAY;
	tp_rand_seed(&imp->rng, cfg->seed);
	return imp;
}

void tp_impair_free(struct tp_impair *imp)
{
	if (!imp)
		return;
	for (size_t i = 0; i < imp->count; i++)
		free(imp->heap[i].bytes);
	free(imp->heap);
	free(imp->popped);
	free(imp);
}

static int chance(struct tp_impair *imp, uint32_t ppm)
{
	/* No draw for a disabled effect, so a zero knob costs nothing. */
	return ppm && tp_rand_below(&imp->rng, PPM_MAX) < ppm;
}

/* When the rate limiter lets the frame's last bit out, or 0 if its queue is
 * full. An idle link always takes a frame, however large. */
static int serialise(struct tp_impair *imp, tp_time now, size_t len, tp_time *departs)
{
	uint64_t rate = imp->cfg.rate_bps;
	uint64_t now_ns = now * 1000u;
	uint64_t start = imp->busy_until_ns > now_ns ? imp->busy_until_ns : now_ns;
	/* Bytes not yet sent: what the backlog of time is worth at this rate. */
	unsigned __int128 backlog = ((unsigned __int128)(start - now_ns) * rate + 8 * NSEC_PER_SEC - 1) /
				    (8 * NSEC_PER_SEC);
	if (backlog > 0 && backlog + len > imp->cfg.queue_bytes)
		return 0;
	unsigned __int128 ns = ((unsigned __int128)len * 8 * NSEC_PER_SEC + rate - 1) / rate;
	imp->busy_until_ns = start + (uint64_t)ns;
	*departs = (imp->busy_until_ns + 999) / 1000;
	return 1;
}

/* Puts one copy on the line; returns 1, or 0 if a bound dropped it. */
static int schedule(struct tp_impair *imp, tp_time now, const uint8_t *frame, size_t len)
{
	const struct tp_impair_config *c = &imp->cfg;
	tp_time departs = now;

	if (imp->count >= c->limit || (c->rate_bps && !serialise(imp, now, len, &departs))) {
		imp->stats.dropped_queue++;
		return 0;
	}
	tp_time at = departs + c->delay;
	if (c->jitter) {
		uint64_t span = 2 * c->jitter + 1;
		tp_time offset = tp_rand_below(&imp->rng, (uint32_t)span);   /* 0 .. 2 * jitter */
		at = at + offset >= departs + c->jitter ? at + offset - c->jitter : departs;
	}
	if (chance(imp, c->reorder_ppm)) {
		at += c->reorder_delay;
		imp->stats.reordered++;
	} else {
		/* Jitter alone never reorders: a copy leaves no earlier than the one before. */
		if (at < imp->last_in_order)
			at = imp->last_in_order;
		imp->last_in_order = at;
	}
	if (imp->count == imp->cap) {
		size_t cap = imp->cap ? imp->cap * 2 : 64;
		struct flight *h = realloc(imp->heap, cap * sizeof(*h));
		if (!h) {
			imp->stats.dropped_queue++;
			return 0;
		}
		imp->heap = h;
		imp->cap = cap;
	}
	uint8_t *bytes = malloc(len ? len : 1);
	if (!bytes) {
		imp->stats.dropped_queue++;
		return 0;
	}
	memcpy(bytes, frame, len);
	imp->heap[imp->count] = (struct flight){.at = at, .order = imp->next_order++, .bytes = bytes,
						.len = len};
	heap_sift_up(imp->heap, imp->count++);
	return 1;
}

int tp_impair_submit(struct tp_impair *imp, tp_time now, const uint8_t *frame, size_t len)
{
	if (now < imp->last_submit)
		now = imp->last_submit;
	imp->last_submit = now;
	imp->stats.sent++;
	if (chance(imp, imp->cfg.loss_ppm)) {
		imp->stats.dropped_loss++;
		return 0;
	}
	int copies = 1;
	if (chance(imp, imp->cfg.dup_ppm)) {
		imp->stats.duplicated++;
		copies = 2;
	}
	int scheduled = 0;
	for (int i = 0; i < copies; i++)
		scheduled += schedule(imp, now, frame, len);
	return scheduled;
}

tp_time tp_impair_next(const struct tp_impair *imp)
{
	return imp->count ? imp->heap[0].at : TP_TIME_NEVER;
}

int tp_impair_pop(struct tp_impair *imp, tp_time now, const uint8_t **frame, size_t *len,
		  tp_time *at)
{
	if (!imp->count || imp->heap[0].at > now)
		return 0;
	struct flight f = imp->heap[0];
	imp->heap[0] = imp->heap[--imp->count];
	if (imp->count)
		heap_sift_down(imp->heap, imp->count, 0);
	free(imp->popped);
	imp->popped = f.bytes;
	imp->stats.delivered++;
	imp->stats.bytes_delivered += f.len;
	*frame = f.bytes;
	*len = f.len;
	if (at)
		*at = f.at;
	return 1;
}

size_t tp_impair_in_flight(const struct tp_impair *imp) { return imp->count; }

const struct tp_impair_stats *tp_impair_stats(const struct tp_impair *imp) { return &imp->stats; }

/* --- Two stacks on a wire ------------------------------------------------- */

struct wire_port {
	struct tp_wire *wire;
	enum tp_wire_side side;
	struct tp_stack *stack;
	struct tp_netif *netif;
	struct tp_impair *out;  /* the direction this side sends into */
};

struct tp_wire {
	struct wire_port port[2];
	tp_time now;
	tp_wire_filter_fn filter;
	void *filter_ctx;
	tp_wire_monitor_fn monitor;
	void *monitor_ctx;
};

struct tp_wire *tp_wire_new(const struct tp_impair_config *a_to_b,
			    const struct tp_impair_config *b_to_a)
{
	struct tp_wire *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	struct tp_impair_config back;
	if (b_to_a && a_to_b && b_to_a->seed == a_to_b->seed) {
		back = *b_to_a;
		back.seed ^= 0x5bd1e9955bd1e995ull;   /* independent streams, still reproducible */
		b_to_a = &back;
	}
	w->port[TP_WIRE_A].out = tp_impair_new(a_to_b);
	w->port[TP_WIRE_B].out = tp_impair_new(b_to_a);
	if (!w->port[TP_WIRE_A].out || !w->port[TP_WIRE_B].out) {
		int saved = errno;
		tp_wire_free(w);
		errno = saved;
		return NULL;
	}
	for (int i = 0; i < 2; i++) {
		w->port[i].wire = w;
		w->port[i].side = (enum tp_wire_side)i;
	}
	return w;
}

void tp_wire_free(struct tp_wire *w)
{
	if (!w)
		return;
	tp_impair_free(w->port[0].out);
	tp_impair_free(w->port[1].out);
	free(w);
}

/* The stacks' transmit callback: onto the line at the sender's time. A lossy
 * link tells its sender nothing, so this always succeeds. */
static int wire_transmit(void *ctx, const uint8_t *frame, size_t len);

static void wire_emit(void *ctx, const uint8_t *frame, size_t len)
{
	wire_transmit(ctx, frame, len);
}

/* The wire's link does the offloads in software (tapir/gso.h). */
static int wire_transmit_offload(void *ctx, const uint8_t *frame, size_t len,
				 const struct tp_offload *off)
{
	int n = tp_gso_segment(frame, len, off, wire_emit, ctx);
	return n < 0 ? n : 0;
}

static int wire_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct wire_port *p = ctx;
	struct tp_wire *w = p->wire;
	tp_time now = tp_now(p->stack);

	if (w->filter && !w->filter(w->filter_ctx, p->side, now, frame, len)) {
		p->out->stats.sent++;
		p->out->stats.dropped_filter++;
		return 0;
	}
	tp_impair_submit(p->out, now, frame, len);
	return 0;
}

struct tp_netif *tp_wire_attach(struct tp_wire *w, enum tp_wire_side side, struct tp_stack *stack,
				const struct tp_netif_config *cfg)
{
	if ((side != TP_WIRE_A && side != TP_WIRE_B) || !stack || w->port[side].stack) {
		errno = EINVAL;
		return NULL;
	}
	struct wire_port *p = &w->port[side];
	p->stack = stack;       /* before the netif exists: it transmits at once */
	struct tp_netif_config c = *cfg;
	c.offloads &= TP_OFFLOAD_TX_CSUM | TP_OFFLOAD_TSO;     /* it delivers only whole frames */
	c.transmit_offload = c.offloads ? wire_transmit_offload : NULL;
	p->netif = tp_netif_add(stack, &c, wire_transmit, p);
	if (!p->netif) {
		p->stack = NULL;
		return NULL;
	}
	if (tp_now(stack) > w->now)
		w->now = tp_now(stack);
	return p->netif;
}

void tp_wire_set_filter(struct tp_wire *w, tp_wire_filter_fn fn, void *ctx)
{
	w->filter = fn;
	w->filter_ctx = ctx;
}

void tp_wire_set_monitor(struct tp_wire *w, tp_wire_monitor_fn fn, void *ctx)
{
	w->monitor = fn;
	w->monitor_ctx = ctx;
}

static tp_time min_time(tp_time a, tp_time b) { return a < b ? a : b; }

static void advance(struct tp_wire *w, tp_time t)
{
	if (t > w->now)
		w->now = t;
	tp_poll(w->port[TP_WIRE_A].stack, w->now);
	tp_poll(w->port[TP_WIRE_B].stack, w->now);
}

/* Hands over everything due, earliest first across both directions; frames
 * the receivers send in answer join the line and go too if already due. */
static void deliver_due(struct tp_wire *w)
{
	for (;;) {
		tp_time na = tp_impair_next(w->port[TP_WIRE_A].out);
		tp_time nb = tp_impair_next(w->port[TP_WIRE_B].out);
		enum tp_wire_side from = na <= nb ? TP_WIRE_A : TP_WIRE_B;
		struct wire_port *src = &w->port[from], *dst = &w->port[!from];
		const uint8_t *frame;
		size_t len;
		tp_time at;
		if (!tp_impair_pop(src->out, w->now, &frame, &len, &at))
			return;
		if (w->monitor)
			w->monitor(w->monitor_ctx, from, at, frame, len);
		tp_input(dst->stack, dst->netif, frame, len);
	}
}

int tp_wire_run(struct tp_wire *w, tp_time until, tp_wire_done_fn done, void *ctx)
{
	if (!w->port[TP_WIRE_A].stack || !w->port[TP_WIRE_B].stack)
		return -EINVAL;
	for (;;) {
		if (done && done(ctx))
			return 1;
		tp_time next = min_time(tp_next_deadline(w->port[TP_WIRE_A].stack),
					tp_next_deadline(w->port[TP_WIRE_B].stack));
		next = min_time(next, tp_impair_next(w->port[TP_WIRE_A].out));
		next = min_time(next, tp_impair_next(w->port[TP_WIRE_B].out));
		if (next == TP_TIME_NEVER && until == TP_TIME_NEVER)
			return 0;       /* idle for ever: nothing would change */
		if (next > until) {
			advance(w, until);
			return 0;
		}
		advance(w, next);
		deliver_due(w);
	}
}

tp_time tp_wire_now(const struct tp_wire *w) { return w->now; }

const struct tp_impair_stats *tp_wire_stats(const struct tp_wire *w, enum tp_wire_side from)
{
	return &w->port[from].out->stats;
}
