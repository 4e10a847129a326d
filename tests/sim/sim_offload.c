/*
 * sim_offload.c - TSO and checksum offload change nothing on the wire.
 *
 * The same seeded bulk transfer (both ways at once, on a wire that loses,
 * duplicates and reorders) runs twice: once with every segment built and
 * checksummed by tapir, once with TP_OFFLOAD_TX_CSUM | TP_OFFLOAD_TSO, where
 * TCP hands the link super-segments with partial checksums and the wire cuts
 * them like the kernel behind a TAP would (tapir/gso.h, written apart from
 * the core). Every frame delivered must be the same, byte for byte, in the
 * same order at the same virtual time, and the streams byte-exact: so the
 * segmentation loses nothing, reorders nothing, and both implementations of
 * the checksum, the IP IDs and the flags agree.
 *
 *   SIM_SEEDS   seeds per impairment [5]
 *   SIM_OFFLOAD_BYTES   bytes each way [2 MiB]
 */
#include <stdio.h>
#include <string.h>

#include "simnet.h"

#define PORT 5002
#define KEY_A 0x0ff10adaull
#define KEY_B 0x0ff10adbull

struct wire_log {
	uint64_t frames, bytes;
	uint64_t hash;              /* FNV-1a over (time, side, frame) of every delivery */
};

static void log_frame(void *ctx, enum tp_wire_side from, tp_time at, const uint8_t *frame,
		      size_t len)
{
	struct wire_log *l = ctx;
	uint64_t h = l->hash ? l->hash : 14695981039346656037ull;
	uint8_t meta[9];
	memcpy(meta, &at, 8);
	meta[8] = (uint8_t)from;
	for (size_t i = 0; i < sizeof(meta); i++)
		h = (h ^ meta[i]) * 1099511628211ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ frame[i]) * 1099511628211ull;
	l->hash = h;
	l->frames++;
	l->bytes += len;
}

struct run {
	struct simnet net;
	struct sim_acceptor acc;
	struct sim_stream a;
};

static int both_done(void *ctx)
{
	struct run *r = ctx;
	struct sim_stream *b = r->acc.count ? &r->acc.streams[0] : NULL;
	if (r->a.error || r->a.mismatch || (b && (b->error || b->mismatch)))
		return 1;
	return sim_stream_complete(&r->a) && b && sim_stream_complete(b) && r->a.closed &&
	       b->closed;
}

/* Returns the super-frames handed to the wire; fills log. */
static uint64_t transfer(const char *impair, uint64_t seed, uint64_t bytes, uint32_t offloads,
			 struct wire_log *log)
{
	static struct run r;
	memset(&r, 0, sizeof(r));
	memset(log, 0, sizeof(*log));
	sim_init(&r.net, &(struct sim_options){.impair = impair, .seed = seed,
					       .offloads = offloads});
	tp_wire_set_monitor(r.net.wire, log_frame, log);
	struct sim_stream templ = {.close_after_eof = 1, .tx_key = KEY_B ^ seed, .to_send = bytes,
				   .rx_key = KEY_A ^ seed, .to_receive = bytes};
	sim_acceptor_init(&r.acc, &r.net, SIM_B, PORT, 8, &templ, 1);
	int fd = sim_connect(&r.net, SIM_A, 0, PORT);
	r.a.close_when_complete = 1;
	sim_stream_init(&r.a, &r.net, SIM_A, fd, KEY_A ^ seed, bytes, KEY_B ^ seed, bytes);
	sim_run(&r.net, sim_now(&r.net) + TP_SEC(600), both_done, &r);
	struct sim_stream *b = r.acc.count ? &r.acc.streams[0] : NULL;
	ck_assert_msg(b, "seed %llu %s: never accepted", (unsigned long long)seed, impair);
	ck_assert_msg(!r.a.mismatch && !b->mismatch && !r.a.error && !b->error &&
		      r.a.received == bytes && b->received == bytes,
		      "seed %llu %s offloads %u: A got %llu, B got %llu (mismatch %d/%d)",
		      (unsigned long long)seed, impair, offloads,
		      (unsigned long long)r.a.received, (unsigned long long)b->received,
		      r.a.mismatch, b->mismatch);
	uint64_t tso = tp_stat(r.net.stack[SIM_A], TP_STAT_ETH_TSO_OUT) +
		       tp_stat(r.net.stack[SIM_B], TP_STAT_ETH_TSO_OUT);
	sim_acceptor_fini(&r.acc);
	sim_fini(&r.net);
	return tso;
}

static const char *const impairs[] = {
	"delay=1ms,rate=100mbit",
	"loss=2%,delay=1ms,rate=100mbit",
	"reorder=5%,reorder_delay=3ms,delay=1ms,rate=100mbit",
	"loss=2%,dup=2%,reorder=2%,delay=5ms,jitter=2ms,rate=20mbit",
};

START_TEST(offload_changes_nothing_on_the_wire)
{
	const char *impair = impairs[_i];
	unsigned seeds = (unsigned)sim_env("SIM_SEEDS", 5);
	uint64_t bytes = sim_env("SIM_OFFLOAD_BYTES", 2u << 20);
	uint64_t supers = 0, frames = 0;
	for (unsigned s = 1; s <= seeds; s++) {
		struct wire_log plain, offl;
		ck_assert_uint_eq(transfer(impair, s, bytes, 0, &plain), 0);
		supers += transfer(impair, s, bytes, TP_OFFLOAD_TX_CSUM | TP_OFFLOAD_TSO, &offl);
		ck_assert_msg(plain.frames == offl.frames && plain.bytes == offl.bytes &&
			      plain.hash == offl.hash,
			      "seed %u %s: without offloads %llu frames (%llu bytes), with them "
			      "%llu (%llu bytes), hashes %s", s, impair,
			      (unsigned long long)plain.frames, (unsigned long long)plain.bytes,
			      (unsigned long long)offl.frames, (unsigned long long)offl.bytes,
			      plain.hash == offl.hash ? "equal" : "differ");
		frames += plain.frames;
	}
	/* It did use super-segments, or the comparison proved nothing. */
	ck_assert_uint_gt(supers, seeds);
	printf("sim.offload %-60s seeds %u: %llu frames identical, %llu super-segments\n", impair,
	       seeds, (unsigned long long)frames, (unsigned long long)supers);
}
END_TEST

static Suite *offload_suite(void)
{
	Suite *s = suite_create("sim_offload");
	TCase *tc = tcase_create("offload");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, offload_changes_nothing_on_the_wire, 0,
			    (int)(sizeof(impairs) / sizeof(impairs[0])));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(offload_suite)
