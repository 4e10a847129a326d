/*
 * test_stat_view.c - `tapir stat`'s tables (apps/stat_view.c) drawn from
 * control answers: each view's exact text, and hostile answers (not tapir,
 * an error, cut short, escape sequences, missing and unknown fields, junk
 * lines, overlong values) handled without garbage reaching the terminal.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stat_view.h"
#include "tapir/stats.h"
#include "check_main.h"

#define HEAD "tapir version=1 name=tap0 pid=42 uptime_ms=1000\n"

/* The view drawn into *text (freed by the caller); returns render's result. */
static int render(enum stat_view view, int with_info, const char *answer, char **text, char *err)
{
	size_t len;
	FILE *out = open_memstream(text, &len);
	ck_assert_ptr_nonnull(out);
	int r = stat_view_render(view, with_info, answer, out, err, 256);
	fclose(out);
	return r;
}

static void expect_view(enum stat_view view, int with_info, const char *answer, const char *want)
{
	char *text, err[256] = "";
	ck_assert_msg(render(view, with_info, answer, &text, err) == 0, "%s", err);
	ck_assert_str_eq(text, want);
	free(text);
}

static void expect_error(const char *answer, const char *want)
{
	char *text, err[256] = "";
	ck_assert_int_eq(render(STAT_VIEW_CONNS, 0, answer, &text, err), -1);
	ck_assert_str_eq(text, "");
	ck_assert_msg(strstr(err, want), "'%s' lacks '%s'", err, want);
	free(text);
}

static const char conns[] = HEAD
	"tcp state=LISTEN local=0.0.0.0:7 peer=0.0.0.0:0 recv_q=0 send_q=0 accept_q=2 syn_q=1 "
	"backlog=128 fd=1\n"
	"tcp state=ESTABLISHED local=10.0.0.2:7 peer=10.0.0.1:40312 recv_q=5 send_q=1200 "
	"snd_wnd=64240 rcv_wnd=262144 cwnd=14600 ssthresh=2147483647 mss=1460 srtt_us=412 "
	"rto_us=200000 retrans=3 bytes_in=5 bytes_out=1205 accept_q=0 syn_q=0 backlog=0 fd=4 "
	"sack=1 ts=1 snd_wscale=7 rcv_wscale=3 future=1\n"
	"tcp state=TIME_WAIT local=10.0.0.2:9 peer=10.0.0.1:40000 recv_q=0 send_q=0 "
	"snd_wnd=0 rcv_wnd=0 cwnd=2920 ssthresh=5840 mss=1460 srtt_us=0 rto_us=1500 "
	"retrans=0 bytes_in=0 bytes_out=0 fd=-1\n"
	"end\n";

START_TEST(test_conns)
{
	expect_view(STAT_VIEW_CONNS, 0, conns,
		    "State         Recv-Q  Send-Q Local Address:Port    Peer Address:Port\n"
		    "LISTEN             2     128 0.0.0.0:7             *:*\n"
		    "ESTABLISHED        5    1200 10.0.0.2:7            10.0.0.1:40312\n"
		    "TIME_WAIT          0       0 10.0.0.2:9            10.0.0.1:40000\n");
}
END_TEST

START_TEST(test_conns_info)
{
	expect_view(STAT_VIEW_CONNS, 1, conns,
		    "State         Recv-Q  Send-Q Local Address:Port    Peer Address:Port\n"
		    "LISTEN             2     128 0.0.0.0:7             *:*\n"
		    "ESTABLISHED        5    1200 10.0.0.2:7            10.0.0.1:40312\n"
		    "\t cwnd:14600 ssthresh:inf mss:1460 srtt:0.412ms rto:200ms snd_wnd:64240 "
		    "rcv_wnd:262144 retrans:3 bytes_in:5 bytes_out:1205 opts:sack,ts,wscale:7,3\n"
		    "TIME_WAIT          0       0 10.0.0.2:9            10.0.0.1:40000\n"
		    "\t cwnd:2920 ssthresh:5840 mss:1460 srtt:-ms rto:1.500ms snd_wnd:0 "
		    "rcv_wnd:0 retrans:0 bytes_in:0 bytes_out:0 opts:?\n");
}
END_TEST

START_TEST(test_listeners)
{
	expect_view(STAT_VIEW_LISTENERS, 0, conns,
		    "Local Address:Port    Accept-Q  SYN-Q Backlog\n"
		    "0.0.0.0:7                    2      1     128\n");
}
END_TEST

START_TEST(test_udp)
{
	expect_view(STAT_VIEW_UDP, 0,
		    HEAD "udp local=0.0.0.0:7 peer=0.0.0.0:0 queued=0 queued_bytes=0 fd=2\n"
		    "udp local=10.0.0.2:5000 peer=10.0.0.1:53 queued=3 queued_bytes=120 fd=5\nend\n",
		    "State    Recv-Q Datagrams Local Address:Port    Peer Address:Port\n"
		    "UNCONN        0         0 0.0.0.0:7             *:*\n"
		    "ESTAB       120         3 10.0.0.2:5000         10.0.0.1:53\n");
}
END_TEST

START_TEST(test_summary)
{
	expect_view(STAT_VIEW_SUMMARY, 0,
		    HEAD "state name=CLOSED count=0\nstate name=LISTEN count=3\n"
		    "state name=ESTABLISHED count=12\nstate name=TIME_WAIT count=4\nend\n",
		    "State           Count\n"
		    "CLOSED              0\n"
		    "LISTEN              3\n"
		    "ESTABLISHED        12\n"
		    "TIME_WAIT           4\n"
		    "total              19\n");
}
END_TEST

START_TEST(test_counters)
{
	expect_view(STAT_VIEW_COUNTERS, 0,
		    HEAD "counter name=eth.in value=10\ncounter name=eth.out value=9\n"
		    "counter name=tcp.in value=4\ncounter name=new.thing value=1\nend\n",
		    "Ethernet:\n"
		    "              10  eth.in                   frames received\n"
		    "               9  eth.out                  frames sent\n"
		    "\nTCP:\n"
		    "               4  tcp.in                   segments received\n"
		    "\nnew:\n"
		    "               1  new.thing                \n");
}
END_TEST

START_TEST(test_every_counter_has_a_layer_title)
{
	/* A new layer in stats.h should get a title, not its bare prefix. */
	char answer[16384] = HEAD, *text, err[256];
	for (int id = 0; id < TP_STAT_COUNT; id++) {
		size_t n = strlen(answer);
		snprintf(answer + n, sizeof(answer) - n, "counter name=%s value=0\n",
			 tp_stat_name((enum tp_stat_id)id));
	}
	strcat(answer, "end\n");
	ck_assert_int_eq(render(STAT_VIEW_COUNTERS, 0, answer, &text, err), 0);
	for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
		if (*p != ' ' && *p != '\n')
			ck_assert_msg(p[0] >= 'A' && p[0] <= 'Z', "untitled layer: %.20s", p);
		if (!strchr(p, '\n'))
			break;
	}
	free(text);
}
END_TEST

START_TEST(test_bad_answers)
{
	expect_error("", "closed without an answer");
	expect_error("HTTP/1.1 400 Bad Request\r\n\r\n", "not a tapir control socket");
	expect_error("error busy: too many clients at once, try again\n",
		     "tapir answered: busy: too many clients");
	expect_error(HEAD "tcp state=LISTEN local=0.0.0.0:7\n", "cut short");
	expect_error(HEAD, "cut short");
	/* The complaint itself shows no control bytes. */
	char *text, err[256];
	ck_assert_int_eq(render(STAT_VIEW_CONNS, 0, "\033]0;owned\007\nend\n", &text, err), -1);
	ck_assert_ptr_null(strchr(err, '\033'));
	ck_assert_ptr_null(strchr(err, '\007'));
	free(text);
}
END_TEST

START_TEST(test_hostile_records)
{
	char *text, err[256];
	/* Escapes in values, junk lines, missing fields, overlong values, many fields. */
	static char answer[8192];
	snprintf(answer, sizeof(answer),
		 HEAD "tcp state=\033[31mEVIL local=1.2.3.4:5\n"
		 "garbage without fields\n"
		 "=== == =\n"
		 "tcp\n"
		 "tcp state=ESTABLISHED local=%0200d peer=x\n"
		 "tcp a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 l=12 m=13 n=14 o=15 p=16 "
		 "q=17 r=18 s=19 t=20 u=21 v=22 w=23 x=24 y=25 z=26 aa=27 ab=28 ac=29 ad=30 "
		 "ae=31 af=32 ag=33 state=LATE\n"
		 "end\n", 7);
	ck_assert_int_eq(render(STAT_VIEW_CONNS, 1, answer, &text, err), 0);
	ck_assert_ptr_null(strchr(text, '\033'));
	ck_assert_ptr_nonnull(strstr(text, "?[31mEVIL"));
	for (const char *p = text; *p; p++)
		ck_assert_msg((*p >= 0x20 && *p < 0x7f) || *p == '\n' || *p == '\t',
			      "byte 0x%02x in the output", (unsigned char)*p);
	/* Missing fields are '?', a cut value stays within its column's reach. */
	ck_assert_ptr_nonnull(strstr(text, "?       ? 1.2.3.4:5"));
	for (const char *line = text; *line; line = strchr(line, '\n') + 1)
		ck_assert_int_lt(strcspn(line, "\n"), 260);
	free(text);
}
END_TEST

START_TEST(test_requests)
{
	ck_assert_str_eq(stat_view_request(STAT_VIEW_SUMMARY), "summary");
	ck_assert_str_eq(stat_view_request(STAT_VIEW_CONNS), "conns");
	ck_assert_str_eq(stat_view_request(STAT_VIEW_LISTENERS), "listeners");
	ck_assert_str_eq(stat_view_request(STAT_VIEW_UDP), "udp");
	ck_assert_str_eq(stat_view_request(STAT_VIEW_COUNTERS), "counters");
	ck_assert_ptr_null(stat_view_request(STAT_VIEW_COUNT));
	expect_view(STAT_VIEW_CONNS, 0, HEAD "truncated omitted=7\nend\n",
		    "State         Recv-Q  Send-Q Local Address:Port    Peer Address:Port\n"
		    "... and 7 more not shown (tapir's answer hit its size limit)\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("stat_view");
	TCase *tc = tcase_create("stat_view");
	tcase_add_test(tc, test_conns);
	tcase_add_test(tc, test_conns_info);
	tcase_add_test(tc, test_listeners);
	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_every_counter_has_a_layer_title);
	tcase_add_test(tc, test_bad_answers);
	tcase_add_test(tc, test_hostile_records);
	tcase_add_test(tc, test_requests);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run_suite(suite());
}
