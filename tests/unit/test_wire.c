/* Two stacks on the in-memory wire, run on the virtual clock: pings both
 * ways, big fragmented pings under loss, the rate limit seen end to end. */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "tapir/wire.h"

#define A_IP 0x0a000001u
#define B_IP 0x0a000002u
#define BIG 4000

static const uint8_t A_MAC[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t B_MAC[6] = {0x02, 0, 0, 0, 0, 0x0b};

/* What one side's echo handler saw. */
struct pinger {
	const uint8_t *expect;          /* the payload sent */
	size_t expect_len;
	uint16_t want_seq;              /* the latest sequence number sent */
	int replies, good, errors, corrupt;
	tp_time reply_at;
	struct tp_stack *stack;
};

static void on_echo(void *ctx, const struct tp_echo_reply *r)
{
	struct pinger *p = ctx;
	if (r->error) {
		p->errors++;
		return;
	}
	p->replies++;
	/* Any reply, even to an older attempt, must carry exactly what was sent. */
	if (r->len != p->expect_len || (r->len && memcmp(r->data, p->expect, r->len) != 0)) {
		p->corrupt++;
		return;
	}
	if (!p->good)
		p->reply_at = tp_now(p->stack);
	p->good++;
}

static int got_reply(void *ctx) { return ((struct pinger *)ctx)->good > 0; }

struct pair {
	struct tp_wire *wire;
	struct tp_stack *a, *b;
	struct tp_netif *na, *nb;
	struct pinger pa, pb;
	size_t frags_ab, frags_ba;      /* fragments seen on the wire, per direction */
};

static void count_fragments(void *ctx, enum tp_wire_side from, tp_time at, const uint8_t *f,
			    size_t len)
{
	struct pair *p = ctx;
	(void)at;
	if (len >= ETH_LEN + IP_LEN && rd16(f + 12) == 0x0800 && (rd16(f + ETH_LEN + 6) & 0x3fff))
		*(from == TP_WIRE_A ? &p->frags_ab : &p->frags_ba) += 1;
}

static struct tp_netif *attach(struct tp_wire *w, enum tp_wire_side side, struct tp_stack *s,
			       tp_ip4 ip, const uint8_t mac[6])
{
	struct tp_netif_config c = {.name = side == TP_WIRE_A ? "a" : "b", .addr = ip,
				    .prefix_len = 24, .mtu = 1500};
	memcpy(c.mac, mac, 6);
	struct tp_netif *n = tp_wire_attach(w, side, s, &c);
	ck_assert_ptr_nonnull(n);
	return n;
}

/* Two stacks seeded from `seed`, joined by a wire impaired by `spec` both ways. */
static void pair_up(struct pair *p, const char *spec, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	struct tp_impair_config c;
	char err[128];
	ck_assert_msg(tp_impair_parse(spec, &c, err, sizeof(err)) == 0, "%s", err);
	c.seed ^= seed;
	p->wire = tp_wire_new(&c, &c);
	ck_assert_ptr_nonnull(p->wire);
	struct tp_stack_config sa = {.seed = seed * 2 + 1, .start_time = TP_SEC(10)};
	struct tp_stack_config sb = {.seed = seed * 2 + 2, .start_time = TP_SEC(10)};
	p->a = tp_stack_new(&sa);
	p->b = tp_stack_new(&sb);
	p->na = attach(p->wire, TP_WIRE_A, p->a, A_IP, A_MAC);
	p->nb = attach(p->wire, TP_WIRE_B, p->b, B_IP, B_MAC);
	p->pa.stack = p->a;
	p->pb.stack = p->b;
	tp_set_echo_handler(p->a, on_echo, &p->pa);
	tp_set_echo_handler(p->b, on_echo, &p->pb);
	tp_wire_set_monitor(p->wire, count_fragments, p);
}

static void pair_free(struct pair *p)
{
	tp_wire_free(p->wire);
	tp_stack_free(p->a);
	tp_stack_free(p->b);
}

/* Pings from `from` to `to` once a second until an intact reply comes;
 * returns the number of attempts, or 0 if `max` were not enough. */
static int ping_until_answered(struct pair *p, struct tp_stack *from, struct pinger *pg, tp_ip4 to,
			       const uint8_t *data, size_t len, int max)
{
	pg->expect = data;
	pg->expect_len = len;
	for (int attempt = 1; attempt <= max; attempt++) {
		pg->want_seq = (uint16_t)attempt;
		int err = tp_ping_send(from, to, 0x7777, (uint16_t)attempt, data, len);
		/* Queued behind an unanswered ARP is the only refusal allowed. */
		ck_assert(err == 0 || err == -ENOBUFS);
		if (tp_wire_run(p->wire, tp_wire_now(p->wire) + TP_SEC(1), got_reply, pg) == 1)
			return attempt;
	}
	return 0;
}

/* A perfect wire with 1 ms each way: ARP request, ARP reply, echo request,
 * echo reply - answered exactly 4 ms after sending. */
START_TEST(ping_on_a_clean_wire)
{
	struct pair p;
	pair_up(&p, "delay=1ms", 1);
	/* Let the gratuitous ARPs cross first. */
	ck_assert_int_eq(tp_wire_run(p.wire, TP_TIME_NEVER, NULL, NULL), 0);
	tp_time start = tp_wire_now(p.wire);
	ck_assert_uint_eq(start, TP_SEC(10) + TP_MSEC(1));
	uint8_t data[56];
	fill_pattern(data, sizeof(data), 1);
	ck_assert_int_eq(ping_until_answered(&p, p.a, &p.pa, B_IP, data, sizeof(data), 1), 1);
	ck_assert_uint_eq(p.pa.reply_at, start + TP_MSEC(4));
	/* And back: B already knows A from A's ARP request, so 2 ms. */
	start = tp_wire_now(p.wire);
	ck_assert_int_eq(ping_until_answered(&p, p.b, &p.pb, A_IP, data, sizeof(data), 1), 1);
	ck_assert_uint_eq(p.pb.reply_at, start + TP_MSEC(2));
	ck_assert_int_eq(p.pa.corrupt + p.pb.corrupt + p.pa.errors + p.pb.errors, 0);
	const struct tp_impair_stats *ab = tp_wire_stats(p.wire, TP_WIRE_A);
	ck_assert_uint_eq(ab->dropped_loss + ab->dropped_queue, 0);
	ck_assert_uint_eq(ab->delivered, ab->sent);
	pair_free(&p);
}
END_TEST

/* 4000 bytes: three fragments each way, reassembled on both sides. */
START_TEST(big_ping_fragmented_both_ways)
{
	struct pair p;
	pair_up(&p, "delay=500us", 2);
	static uint8_t data[BIG];
	fill_pattern(data, sizeof(data), 2);
	ck_assert_int_eq(ping_until_answered(&p, p.a, &p.pa, B_IP, data, sizeof(data), 1), 1);
	ck_assert_uint_eq(p.frags_ab, 3);
	ck_assert_uint_eq(p.frags_ba, 3);
	ck_assert_uint_eq(tp_stat(p.b, TP_STAT_IP_REASS_OK), 1);
	ck_assert_uint_eq(tp_stat(p.a, TP_STAT_IP_REASS_OK), 1);
	pair_free(&p);
}
END_TEST

/* The heart of it: 10% loss each way, a retry every second, 100 seeds.
 * Every run ends with an intact reply; no reply is ever corrupted. */
START_TEST(big_ping_under_loss_many_seeds)
{
	static uint8_t data[BIG];
	fill_pattern(data, sizeof(data), 3);
	int total_attempts = 0, needed_retry = 0;
	for (uint64_t seed = 1; seed <= 100; seed++) {
		struct pair p;
		pair_up(&p, "loss=10%,delay=2ms,jitter=1ms", seed);
		int attempts = ping_until_answered(&p, p.a, &p.pa, B_IP, data, sizeof(data), 40);
		ck_assert_msg(attempts > 0, "seed %llu: no reply in 40 s", (unsigned long long)seed);
		ck_assert_int_eq(p.pa.corrupt, 0);
		ck_assert_uint_ge(p.frags_ab, 3);
		ck_assert_uint_ge(p.frags_ba, 3);
		total_attempts += attempts;
		needed_retry += attempts > 1;
		const struct tp_impair_stats *ab = tp_wire_stats(p.wire, TP_WIRE_A);
		ck_assert_uint_eq(ab->sent + ab->duplicated,
				  ab->delivered + ab->dropped_loss + ab->dropped_queue +
				  ab->dropped_filter);
		pair_free(&p);
	}
	/* A first-time success needs eight frames across (ARP both ways, three
	 * fragments each way): 0.9^8 = 43%, so about 57 of 100 runs retry. The
	 * band shows loss really happened without making retries universal. */
	ck_assert_int_gt(needed_retry, 20);
	ck_assert_int_lt(needed_retry, 80);
	ck_assert_int_lt(total_attempts, 400);
}
END_TEST

/* Duplication and reordering on top: replies still exact. */
START_TEST(big_ping_dup_and_reorder)
{
	static uint8_t data[BIG];
	fill_pattern(data, sizeof(data), 4);
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct pair p;
		pair_up(&p, "loss=5%,dup=10%,reorder=30%,reorder_delay=3ms,delay=1ms", seed);
		ck_assert_int_gt(ping_until_answered(&p, p.a, &p.pa, B_IP, data, sizeof(data), 40), 0);
		/* Let the stragglers land: duplicates must not upset anything. */
		tp_wire_run(p.wire, tp_wire_now(p.wire) + TP_SEC(1), NULL, NULL);
		ck_assert_int_eq(p.pa.corrupt, 0);
		pair_free(&p);
	}
}
END_TEST

/* At 1 Mbit/s the 4000-byte ping cannot be answered faster than its frames
 * take to serialise: 3 frames (1514 + 1514 + 1082 bytes) each way. */
START_TEST(rate_limit_bounds_rtt)
{
	struct pair p;
	pair_up(&p, "rate=1mbit", 5);
	tp_wire_run(p.wire, TP_TIME_NEVER, NULL, NULL);         /* gratuitous ARPs */
	static uint8_t data[BIG];
	fill_pattern(data, sizeof(data), 5);
	/* Warm the ARP caches so only the echo frames count. */
	ck_assert_int_eq(ping_until_answered(&p, p.a, &p.pa, B_IP, NULL, 0, 1), 1);
	p.pa.good = 0;
	tp_time start = tp_wire_now(p.wire);
	ck_assert_int_eq(ping_until_answered(&p, p.a, &p.pa, B_IP, data, sizeof(data), 1), 1);
	uint64_t bits_one_way = (1514 + 1514 + 1082) * 8;
	tp_time floor = 2 * bits_one_way;       /* µs at 1 bit/µs */
	ck_assert_uint_ge(p.pa.reply_at - start, floor);
	ck_assert_uint_le(p.pa.reply_at - start, floor + 10);   /* rounding to µs only */
	pair_free(&p);
}
END_TEST

/* A filter drops exactly the first echo request: the first attempt goes
 * unanswered, the second is answered. */
static int drop_first_echo(void *ctx, enum tp_wire_side from, tp_time now, const uint8_t *f,
			   size_t len)
{
	int *dropped = ctx;
	(void)now;
	if (from == TP_WIRE_A && !*dropped && len > ETH_LEN + IP_LEN && rd16(f + 12) == 0x0800 &&
	    f[ETH_LEN + 9] == 1 && f[ETH_LEN + IP_LEN] == 8) {
		*dropped = 1;
		return 0;
	}
	return 1;
}

START_TEST(filter_drops_one_frame)
{
	struct pair p;
	pair_up(&p, "delay=1ms", 6);
	int dropped = 0;
	tp_wire_set_filter(p.wire, drop_first_echo, &dropped);
	ck_assert_int_eq(ping_until_answered(&p, p.a, &p.pa, B_IP, (const uint8_t *)"x", 1, 5), 2);
	ck_assert_uint_eq(tp_wire_stats(p.wire, TP_WIRE_A)->dropped_filter, 1);
	pair_free(&p);
}
END_TEST

/* Same seeds, same run, frame for frame. */
struct digest {
	uint64_t hash;
	size_t frames;
};

static void digest_frame(void *ctx, enum tp_wire_side from, tp_time at, const uint8_t *f,
			 size_t len)
{
	struct digest *d = ctx;
	d->hash = d->hash * 1000003u ^ (uint64_t)from ^ at * 31u ^ len;
	for (size_t i = 0; i < len; i++)
		d->hash = d->hash * 131u + f[i];
	d->frames++;
}

static struct digest one_run(uint64_t seed)
{
	struct pair p;
	pair_up(&p, "loss=10%,dup=5%,reorder=10%,delay=2ms,jitter=1ms,rate=20mbit", seed);
	struct digest d = {0};
	tp_wire_set_monitor(p.wire, digest_frame, &d);
	static uint8_t data[BIG];
	fill_pattern(data, sizeof(data), 6);
	ping_until_answered(&p, p.a, &p.pa, B_IP, data, sizeof(data), 20);
	pair_free(&p);
	return d;
}

START_TEST(runs_are_reproducible)
{
	struct digest a = one_run(42), b = one_run(42), c = one_run(43);
	ck_assert_uint_eq(a.frames, b.frames);
	ck_assert_uint_eq(a.hash, b.hash);
	ck_assert_uint_ne(a.hash, c.hash);
}
END_TEST

START_TEST(run_edges)
{
	struct tp_wire *w = tp_wire_new(NULL, NULL);
	struct tp_stack_config sc = {.seed = 1};
	struct tp_stack *s = tp_stack_new(&sc), *t = tp_stack_new(&sc);
	ck_assert_int_eq(tp_wire_run(w, TP_TIME_NEVER, NULL, NULL), -EINVAL);
	attach(w, TP_WIRE_A, s, A_IP, A_MAC);
	struct tp_netif_config c = {.addr = B_IP, .prefix_len = 24};
	memcpy(c.mac, B_MAC, 6);
	errno = 0;
	ck_assert_ptr_null(tp_wire_attach(w, TP_WIRE_A, t, &c));        /* side taken */
	ck_assert_int_eq(errno, EINVAL);
	c.prefix_len = 40;
	ck_assert_ptr_null(tp_wire_attach(w, TP_WIRE_B, t, &c));        /* bad config */
	c.prefix_len = 24;
	ck_assert_ptr_nonnull(tp_wire_attach(w, TP_WIRE_B, t, &c));
	/* Perfect wire: the announcements cross at once; then nothing is left. */
	ck_assert_int_eq(tp_wire_run(w, TP_TIME_NEVER, NULL, NULL), 0);
	ck_assert_uint_eq(tp_wire_stats(w, TP_WIRE_A)->delivered, 1);
	ck_assert_uint_eq(tp_wire_stats(w, TP_WIRE_B)->delivered, 1);
	/* A bounded run with nothing to do still moves both clocks to `until`. */
	ck_assert_int_eq(tp_wire_run(w, TP_SEC(5), NULL, NULL), 0);
	ck_assert_uint_eq(tp_wire_now(w), TP_SEC(5));
	ck_assert_uint_eq(tp_now(s), TP_SEC(5));
	ck_assert_uint_eq(tp_now(t), TP_SEC(5));
	tp_wire_free(w);
	tp_stack_free(s);
	tp_stack_free(t);
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("two stacks");
	tcase_add_test(tc, ping_on_a_clean_wire);
	tcase_add_test(tc, big_ping_fragmented_both_ways);
	tcase_add_test(tc, big_ping_under_loss_many_seeds);
	tcase_add_test(tc, big_ping_dup_and_reorder);
	tcase_add_test(tc, rate_limit_bounds_rtt);
	tcase_add_test(tc, filter_drops_one_frame);
	tcase_add_test(tc, runs_are_reproducible);
	tcase_add_test(tc, run_edges);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(wire_suite)
