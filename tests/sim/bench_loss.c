/*
 * bench_loss.c - not a test: the goodput of a 20 MB one-way transfer between
 * two tapir stacks on the simulated wire (1 ms each way, 100 Mbit/s), for
 * Reno, NewReno and CUBIC, each with SACK and without, at 0, 1, 5 and 10 %
 * random loss and under bursty loss, the same seeds for every cell.
 *
 *   build/bin/bench-loss (BENCH_BYTES, BENCH_SEEDS: 20 MB, 2)
 *
 * Goodput is bytes over virtual time (MB/s); what a run costs in CPU time is
 * not what it measures. Loss applies to both directions (ACKs too).
 */
#include <stdio.h>
#include <stdlib.h>

#include "simnet.h"

static const struct {
	const char *name, *impair;
	uint32_t enter, leave;
} losses[] = {
	{"0 %", "delay=1ms,rate=100mbit"},
	{"1 %", "loss=1%,delay=1ms,rate=100mbit"},
	{"5 %", "loss=5%,delay=1ms,rate=100mbit"},
	{"10 %", "loss=10%,delay=1ms,rate=100mbit"},
	{"bursty", "delay=1ms,rate=100mbit", 5000, 330000},
};
#define NLOSS (int)(sizeof(losses) / sizeof(losses[0]))

static int run(void)
{
	const char *ccs[] = {"reno", "newreno", "cubic"};
	const char *env_bytes = getenv("BENCH_BYTES"), *env_seeds = getenv("BENCH_SEEDS");
	uint64_t bytes = env_bytes ? strtoull(env_bytes, NULL, 10) : 20000000;
	unsigned seeds = env_seeds ? (unsigned)strtoul(env_seeds, NULL, 10) : 2;
	printf("goodput, MB/s of virtual time, %llu bytes one way, %u seeds, 1 ms / 100 Mbit/s\n\n",
	       (unsigned long long)bytes, seeds);
	printf("| algorithm | SACK |");
	for (int l = 0; l < NLOSS; l++)
		printf(" %s |", losses[l].name);
	printf("\n|---|---|");
	for (int l = 0; l < NLOSS; l++)
		printf("---|");
	printf("\n");
	for (int a = 0; a < 3; a++)
		for (int no_sack = 0; no_sack < 2; no_sack++) {
			printf("| %s | %s |", ccs[a], no_sack ? "off" : "on");
			for (int l = 0; l < NLOSS; l++) {
				tp_time total = 0;
				uint64_t rto = 0;
				for (unsigned s = 0; s < seeds; s++) {
					struct sim_xfer_result r;
					struct sim_xfer_options o = {
						.impair = losses[l].impair, .seed = 1 + s, .bytes = bytes,
						.limit = TP_SEC(36000), .cc = ccs[a], .no_sack = no_sack,
						.burst_enter_ppm = losses[l].enter,
						.burst_leave_ppm = losses[l].leave};
					sim_xfer(&o, &r);
					if (!r.complete) {
						printf(" failed |");
						total = 0;
						break;
					}
					total += r.elapsed;
					rto += r.rto;
				}
				if (total)
					printf(" %.2f (%llu RTO) |", (double)bytes * seeds / (double)total,
					       (unsigned long long)rto);
				fflush(stdout);
			}
			printf("\n");
		}
	return 0;
}

/* sim_xfer() asserts with Check: run inside a suite of one, unforked. */
START_TEST(bench)
{
	run();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bench_loss");
	TCase *tc = tcase_create("bench");
	tcase_set_timeout(tc, 0);
	tcase_add_test(tc, bench);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_SILENT);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
