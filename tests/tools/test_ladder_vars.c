/*
 * `tapir ladder --vars` below the command line: the CAPTURE.vars sidecar
 * parser on good, malformed and hostile input (every bad file is one clear
 * error naming its line, never a crash or a guess), and the --vars list.
 * The drawings with variables are golden tests (golden.cmake).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "tapir/sock.h"
#include "check_main.h"

#define MAGIC "# tapir-vars 1\n"

/* Parses text as a sidecar; 0 or -1 with the error in err. */
static int parse(const char *text, size_t len, struct ladder_vars *v, char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, len, "r");
	ck_assert_ptr_nonnull(f);
	int rc = ladder_vars_parse(v, f, "t.vars", err, errlen);
	fclose(f);
	return rc;
}

START_TEST(good_sidecar)
{
	static const char text[] =
		MAGIC
		"# a comment\n"
		"\n"
		"7 in state=ESTABLISHED snd.una=100 snd.nxt=200 snd.wnd=65535 rcv.nxt=4294967295 rcv.wnd=0 "
		"cwnd=14600 ssthresh=inf srtt=100000 rto=300000 timers=rtx:250000,delack:40000 future.key=x\r\n"
		"3 out state=SYN_SENT timers=-\n"
		"9 in state=CLOSED\n";
	struct ladder_vars v;
	char err[256] = "";
	ck_assert_int_eq(parse(text, sizeof(text) - 1, &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v.n, 3);
	/* Sorted by frame. */
	ck_assert_uint_eq(v.lines[0].frame, 3);
	ck_assert_int_eq(v.lines[0].out, 1);
	ck_assert_uint_eq(v.lines[0].present, (1u << LV_STATE) | (1u << LV_TIMERS));
	ck_assert_uint_eq(v.lines[0].timer[TP_TCP_TIMER_RTX], UINT64_MAX);
	const struct ladder_vars_line *l = &v.lines[1];
	ck_assert_uint_eq(l->frame, 7);
	ck_assert_int_eq(l->out, 0);
	ck_assert_int_eq(l->lineno, 4);
	ck_assert_str_eq(tp_tcp_state_name((unsigned)l->num[LV_STATE]), "ESTABLISHED");
	ck_assert_uint_eq(l->num[LV_RCV_NXT], 4294967295u);
	ck_assert_uint_eq(l->num[LV_SSTHRESH], UINT32_MAX);
	ck_assert_uint_eq(l->num[LV_RTO], 300000);
	ck_assert_uint_eq(l->timer[TP_TCP_TIMER_RTX], 250000);
	ck_assert_uint_eq(l->timer[TP_TCP_TIMER_DELACK], 40000);
	ck_assert_uint_eq(l->timer[TP_TCP_TIMER_2MSL], UINT64_MAX);
	ck_assert_uint_eq(v.lines[2].present, 1u << LV_STATE);
	ladder_vars_free(&v);

	/* The header alone: a capture without TCP. */
	ck_assert_int_eq(parse(MAGIC, strlen(MAGIC), &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v.n, 0);
	ladder_vars_free(&v);
}
END_TEST

/* Each bad file and the words its error must carry. */
static const struct {
	const char *text;
	const char *why;
} bad[] = {
	{"", "empty"},
	{"hello\n", "t.vars:1: not a tapir-vars sidecar"},
	{"# tapir-vars 2\n", "not a tapir-vars sidecar"},
	{"\n" MAGIC, "not a tapir-vars sidecar"},
	{MAGIC "x out state=CLOSED\n", "t.vars:2: expected a frame number"},
	{MAGIC "-1 out state=CLOSED\n", "frame number"},
	{MAGIC "+1 out state=CLOSED\n", "frame number"},
	{MAGIC "99999999999 out state=CLOSED\n", "frame number"},
	{MAGIC "18446744073709551616 out state=CLOSED\n", "frame number"},
	{MAGIC "1 sideways state=CLOSED\n", "'in' or 'out'"},
	{MAGIC "1\n", "'in' or 'out'"},
	{MAGIC "1 in\n", "no state="},
	{MAGIC "1 in cwnd=5\n", "no state="},
	{MAGIC "1 in state=BOGUS\n", "bad value 'BOGUS' for state"},
	{MAGIC "1 in state=established\n", "bad value"},
	{MAGIC "1 in state=CLOSED cwnd=-5\n", "bad value '-5' for cwnd"},
	{MAGIC "1 in state=CLOSED cwnd=4294967296\n", "bad value"},
	{MAGIC "1 in state=CLOSED cwnd=inf\n", "bad value"},
	{MAGIC "1 in state=CLOSED cwnd=\n", "bad value"},
	{MAGIC "1 in state=CLOSED cwnd=0x10\n", "bad value"},
	{MAGIC "1 in state=CLOSED srtt=1e5\n", "bad value"},
	{MAGIC "1 in state=CLOSED rto=99999999999999999999\n", "bad value"},
	{MAGIC "1 in state=CLOSED cwnd\n", "expected key=value"},
	{MAGIC "1 in state=CLOSED =5\n", "expected key=value"},
	{MAGIC "1 in state=CLOSED BAD!KEY=1\n", "bad key"},
	{MAGIC "1 in state=CLOSED cwnd=1 cwnd=2\n", "cwnd given twice"},
	{MAGIC "1 in state=CLOSED state=CLOSED\n", "given twice"},
	{MAGIC "1 in state=CLOSED timers=rtx\n", "bad value"},
	{MAGIC "1 in state=CLOSED timers=bogus:5\n", "bad value"},
	{MAGIC "1 in state=CLOSED timers=rtx:1,rtx:2\n", "bad value"},
	{MAGIC "1 in state=CLOSED timers=rtx:\n", "bad value"},
	{MAGIC "1 in state=CLOSED timers=rtx:18446744073709551615\n", "bad value"},
	{MAGIC "1 in state=CLOSED timers=\n", "bad value"},
	{MAGIC "1 in state=CLOSED\n2 in state=CLOSED\n1 out state=CLOSED\n", "t.vars:4: frame 1 already has a line (line 2)"},
	{MAGIC "1 in state=\x1b[31mX\n", "bad value '?[31mX'"},     /* no escape reaches the terminal */
};

START_TEST(malformed_sidecars_are_clean_errors)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ladder_vars v;
		char err[256] = "";
		int rc = parse(bad[i].text, strlen(bad[i].text), &v, err, sizeof(err));
		if (rc != -1 || !strstr(err, bad[i].why))
			ck_abort_msg("case %zu: rc %d, error '%s', expected '%s'", i, rc, err, bad[i].why);
		ladder_vars_free(&v);
	}
}
END_TEST

START_TEST(nul_bytes_and_long_lines)
{
	static const char nul[] = MAGIC "1 in state=CLOSED\0 cwnd=1\n";
	struct ladder_vars v;
	char err[256];
	ck_assert_int_eq(parse(nul, sizeof(nul) - 1, &v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.vars:2: NUL byte"));
	ladder_vars_free(&v);

	size_t n = strlen(MAGIC) + 10000;
	char *longline = malloc(n + 1);
	strcpy(longline, MAGIC);
	memset(longline + strlen(MAGIC), 'a', n - strlen(MAGIC));
	longline[n] = '\0';
	ck_assert_int_eq(parse(longline, n, &v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "longer than"));
	ladder_vars_free(&v);
	free(longline);
}
END_TEST

/* Random bytes after the header, and a good file mutated byte by byte: an
 * error or a parse, never a crash (ASan and UBSan watch). */
START_TEST(hostile_bytes_never_crash)
{
	static const char good[] =
		MAGIC "7 in state=ESTABLISHED snd.una=100 snd.nxt=200 cwnd=14600 ssthresh=inf srtt=100000 "
		"rto=300000 timers=rtx:250000,delack:40000\n3 out state=SYN_SENT timers=-\n";
	char buf[512], err[256];
	srandom(88172645u);             /* reproducible noise */
	for (int round = 0; round < 3000; round++) {
		size_t len;
		if (round % 2) {
			len = strlen(MAGIC) + (size_t)random() % 200;
			memcpy(buf, MAGIC, strlen(MAGIC));
			for (size_t i = strlen(MAGIC); i < len; i++) {
				static const char alphabet[] = "0123456789 =,:.-\nabcdefinoutrstxSTATE_\t\r";
				buf[i] = (size_t)random() % 4 ? alphabet[(size_t)random() % (sizeof(alphabet) - 1)] : (char)random();
			}
		} else {
			len = sizeof(good) - 1;
			memcpy(buf, good, len);
			for (int k = 0; k < 3; k++)
				buf[strlen(MAGIC) + (size_t)random() % (len - strlen(MAGIC))] = (char)random();
		}
		struct ladder_vars v;
		int rc = parse(buf, len, &v, err, sizeof(err));
		ck_assert(rc == 0 || rc == -1);
		for (const char *c = rc ? err : ""; *c; c++)
			ck_assert(*c >= ' ' && *c <= '~');
		ladder_vars_free(&v);
	}
}
END_TEST

START_TEST(missing_file)
{
	struct ladder_vars v;
	char err[256];
	ck_assert_int_eq(ladder_vars_load(&v, "/nonexistent/x.pcap.vars", err, sizeof(err)), -2);
	ladder_vars_free(&v);
}
END_TEST

START_TEST(choosing_variables)
{
	int ids[LADDER_NVARS];
	char err[256];
	ck_assert_int_eq(ladder_vars_choose("snd.una,CWND,snd.una", ids, err, sizeof(err)), 2);
	ck_assert_int_eq(ids[0], LV_SND_UNA);
	ck_assert_int_eq(ids[1], LV_CWND);
	ck_assert_int_eq(ladder_vars_choose("all", ids, err, sizeof(err)), LADDER_NVARS);
	ck_assert_int_eq(ids[0], LV_STATE);
	ck_assert_int_eq(ids[LADDER_NVARS - 1], LV_TIMERS);
	ck_assert_int_eq(ladder_vars_choose("cwnd,bogus", ids, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown variable 'bogus'"));
	ck_assert_int_eq(ladder_vars_choose("", ids, err, sizeof(err)), -1);
	ck_assert_int_eq(ladder_vars_choose("cwnd,", ids, err, sizeof(err)), -1);
	ck_assert_int_eq(ladder_vars_choose(",cwnd", ids, err, sizeof(err)), -1);
	ck_assert_int_eq(ladder_vars_choose("snd.un", ids, err, sizeof(err)), -1);
}
END_TEST

static Suite *vars_suite(void)
{
	Suite *s = suite_create("ladder_vars");
	TCase *tc = tcase_create("sidecar");
	tcase_add_test(tc, good_sidecar);
	tcase_add_test(tc, malformed_sidecars_are_clean_errors);
	tcase_add_test(tc, nul_bytes_and_long_lines);
	tcase_add_test(tc, hostile_bytes_never_crash);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, choosing_variables);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(vars_suite)
