/*
 * test_tap_steer.c - the multi-queue TAP's steering program (tap_steer.h),
 * run by the kernel's own eBPF interpreter or JIT on hand-built frames
 * (BPF_PROG_TEST_RUN): TCP and UDP flows land where tp_flow_queue() says,
 * from either end; ICMP errors where the flow they quote lives; ARP, pings,
 * fragments, quoted ICMP and truncated or odd frames on queue 0. Needs
 * root (CAP_BPF); skipped (77) without.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tap_steer.h"
#include "tapir/tapir.h"
#include "check_main.h"

static int prog = -1;

static void setup(void)
{
	char err[256];
	prog = tap_steer_load(0, err, sizeof(err));    /* the test run strips Ethernet */
	ck_assert_msg(prog >= 0, "%s", err);
}

static void teardown(void)
{
	close(prog);
}

/* The program's answer for a frame, as the TAP would take it: 16 bits. */
static unsigned run(const uint8_t *frame, size_t len)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (uint32_t)prog;
	attr.test.data_in = (uint64_t)(uintptr_t)frame;
	attr.test.data_size_in = (uint32_t)len;
	attr.test.repeat = 1;
	int e = (int)syscall(SYS_bpf, BPF_PROG_TEST_RUN, &attr, sizeof(attr));
	ck_assert_msg(e == 0, "BPF_PROG_TEST_RUN of %zu bytes: %s", len, strerror(errno));
	return (uint16_t)attr.test.retval;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 (ihl words, proto, frag field) from the host to tapir;
 * returns the offset of the IP payload. Checksums do not matter here. */
static size_t ip_frame(uint8_t *f, unsigned ihl, unsigned proto, unsigned frag)
{
	memset(f, 0, 128);
	memset(f, 0x02, 12);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = (uint8_t)(0x40 | ihl);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	put16(ip + 6, frag);
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	return 14 + ihl * 4;
}

/* A TCP (or UDP) segment from port a to port b: the ports are all it reads. */
static size_t flow_frame(uint8_t *f, unsigned proto, unsigned ihl, unsigned a, unsigned b)
{
	size_t at = ip_frame(f, ihl, proto, 0x4000);        /* DF, as TCP sends */
	put16(f + at, a);
	put16(f + at + 2, b);
	return at + 20;
}

START_TEST(flows_follow_tp_flow_queue)
{
	uint8_t f[128];
	uint32_t x = 12345;
	for (int i = 0; i < 300; i++) {
		x = x * 1103515245u + 12345u;
		unsigned a = (x >> 8) & 0xffff, b = i % 3 ? 80 : (x >> 3) & 0xffff;
		unsigned proto = i % 2 ? IPPROTO_TCP : IPPROTO_UDP;
		unsigned ihl = i % 5 ? 5 : 6;                   /* with and without IP options */
		unsigned q = run(f, flow_frame(f, proto, ihl, a, b));
		unsigned back = run(f, flow_frame(f, proto, ihl, b, a));
		for (unsigned n = 2; n <= 8; n++) {
			ck_assert_msg(q % n == tp_flow_queue((uint16_t)a, (uint16_t)b, n),
				      "ports %u %u, %u queues: program %u, tp_flow_queue %u", a, b, n,
				      q % n, tp_flow_queue((uint16_t)a, (uint16_t)b, n));
			ck_assert_uint_eq(back % n, q % n);
		}
	}
}
END_TEST

/* An ICMP error about a datagram tapir sent (ports b -> a inside) goes to
 * the queue of flow (a, b), so the stack that owns it hears of it. */
static size_t icmp_error(uint8_t *f, unsigned type, unsigned inner_proto, unsigned inner_ihl,
			 unsigned a, unsigned b)
{
	size_t at = ip_frame(f, 5, IPPROTO_ICMP, 0);
	f[at] = (uint8_t)type;
	uint8_t *inner = f + at + 8;
	inner[0] = (uint8_t)(0x40 | inner_ihl);
	inner[9] = (uint8_t)inner_proto;
	put16(inner + inner_ihl * 4, b);
	put16(inner + inner_ihl * 4 + 2, a);
	return at + 8 + inner_ihl * 4 + 8;
}

START_TEST(icmp_errors_follow_their_flow)
{
	uint8_t f[128];
	static const unsigned types[] = {3, 11, 12};
	for (unsigned t = 0; t < 3; t++)
		for (unsigned a = 40000; a < 40064; a++) {
			unsigned want = run(f, flow_frame(f, IPPROTO_TCP, 5, a, 80));
			ck_assert_uint_eq(run(f, icmp_error(f, types[t], IPPROTO_TCP, 5, a, 80)), want);
			ck_assert_uint_eq(run(f, icmp_error(f, types[t], IPPROTO_UDP, 6, a, 80)), want);
		}
}
END_TEST

START_TEST(the_rest_to_queue_0)
{
	uint8_t f[128];
	size_t n;
	/* ARP */
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	put16(f + 12, 0x0806);
	put16(f + 14 + 20, 0x1234);
	ck_assert_uint_eq(run(f, 60), 0);
	/* Echo request and an error quoting ICMP: no flow to follow. */
	n = ip_frame(f, 5, IPPROTO_ICMP, 0);
	f[n] = 8;
	put16(f + n + 4, 0xbeef);
	ck_assert_uint_eq(run(f, n + 64), 0);
	ck_assert_uint_eq(run(f, icmp_error(f, 3, IPPROTO_ICMP, 5, 40001, 80)), 0);
	ck_assert_uint_eq(run(f, icmp_error(f, 4, IPPROTO_TCP, 5, 40001, 80)), 0);  /* quench */
	/* Fragments: the first (MF) and a later one (offset). */
	for (unsigned frag = 0x2000; frag; frag = frag == 0x2000 ? 0x00b9 : 0) {
		n = flow_frame(f, IPPROTO_UDP, 5, 40001, 53);
		put16(f + 14 + 6, frag);
		ck_assert_uint_eq(run(f, n), 0);
	}
	/* Another IP protocol (GRE). */
	ck_assert_uint_eq(run(f, flow_frame(f, 47, 5, 40001, 80)), 0);
}
END_TEST

/* Cut anywhere past the IP header (the test run wants one whole),
 * lying about lengths: never a read past the frame (the
 * kernel's loads check), always queue 0 or a flow's queue, never a fault. */
START_TEST(truncated_and_lying_frames)
{
	uint8_t f[128];
	size_t full = flow_frame(f, IPPROTO_TCP, 5, 40001, 80);
	unsigned q = run(f, full);
	for (size_t len = 14 + 20; len < full; len++) {
		unsigned got = run(f, len);
		ck_assert_msg(got == 0 || (len >= 14 + 20 + 4 && got == q), "cut at %zu: %u", len, got);
	}
	for (size_t len = 14 + 20; len < 14 + 20 + 4; len++)
		ck_assert_uint_eq(run(f, len), 0);
	flow_frame(f, IPPROTO_TCP, 15, 40001, 80);              /* 60-byte header, 40 sent */
	ck_assert_uint_eq(run(f, 14 + 40), 0);
	size_t icmp = icmp_error(f, 3, IPPROTO_TCP, 15, 40001, 80);
	ck_assert_uint_eq(run(f, icmp - 20), 0);                /* the quoted ports cut off */
}
END_TEST

static Suite *steer_suite(void)
{
	Suite *s = suite_create("tap_steer");
	TCase *tc = tcase_create("program");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, flows_follow_tp_flow_queue);
	tcase_add_test(tc, icmp_errors_follow_their_flow);
	tcase_add_test(tc, the_rest_to_queue_0);
	tcase_add_test(tc, truncated_and_lying_frames);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char err[256];
	int fd = tap_steer_load(0, err, sizeof(err));
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		printf("SKIP: %s (needs root)\n", err);
		return 77;
	}
	if (fd >= 0)
		close(fd);
	return check_run_suite(steer_suite());
}
