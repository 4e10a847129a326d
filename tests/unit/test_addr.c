/* Address parsing and printing: strict, table-driven. */
#include <errno.h>
#include <string.h>

#include "harness.h"

static const struct { const char *text; tp_ip4 addr; } good_ips[] = {
	{"0.0.0.0", 0},
	{"10.0.0.2", 0x0a000002},
	{"255.255.255.255", 0xffffffff},
	{"192.168.1.254", 0xc0a801fe},
	{"1.2.3.4", 0x01020304},
	{"0.10.100.0", 0x000a6400},
};

/* Each must be refused: nothing lenient like inet_aton's "1.2.3" or octal. */
static const char *const bad_ips[] = {
	"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "1.2.3.4 ", " 1.2.3.4", "x1.2.3.4",
	"1.2.3.4x", "1..2.3", "1.2.3.", ".1.2.3", "1.2.3.-4", "+1.2.3.4", "1.2.3.0004", "1234.1.1.1",
	"0x1.2.3.4", "1.2.3.4/24", "1,2,3,4", "01.2.3.4", "1.2.3.010", "1.2.3.00",
};

START_TEST(ip_parses_valid)
{
	tp_ip4 a = 0xdeadbeef;
	ck_assert_int_eq(tp_ip4_parse(good_ips[_i].text, &a), 0);
	ck_assert_uint_eq(a, good_ips[_i].addr);
	char buf[16];
	ck_assert_str_eq(tp_ip4_format(a, buf), good_ips[_i].text);
}
END_TEST

START_TEST(ip_rejects_malformed)
{
	tp_ip4 a;
	ck_assert_msg(tp_ip4_parse(bad_ips[_i], &a) == -EINVAL, "accepted \"%s\"", bad_ips[_i]);
}
END_TEST

START_TEST(ip_rejects_null)
{
	tp_ip4 a;
	ck_assert_int_eq(tp_ip4_parse(NULL, &a), -EINVAL);
}
END_TEST

static const struct { const char *text; tp_ip4 addr; uint8_t len; } good_cidrs[] = {
	{"10.0.0.2/24", 0x0a000002, 24},
	{"10.0.0.2", 0x0a000002, 32},      /* no /len: a host */
	{"0.0.0.0/0", 0, 0},
	{"192.168.1.1/32", 0xc0a80101, 32},
	{"172.16.0.1/12", 0xac100001, 12},
};

static const char *const bad_cidrs[] = {
	"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/24x", "1.2.3.4/ 24", "1.2.3.4//24",
	"1.2.3/24", "/24", "1.2.3.4/100", "1.2.3.4/2 4", "1.2.3.4/024", "256.0.0.0/8",
};

START_TEST(cidr_parses_valid)
{
	tp_ip4 a;
	uint8_t len = 99;
	ck_assert_int_eq(tp_ip4_parse_cidr(good_cidrs[_i].text, &a, &len), 0);
	ck_assert_uint_eq(a, good_cidrs[_i].addr);
	ck_assert_uint_eq(len, good_cidrs[_i].len);
}
END_TEST

START_TEST(cidr_rejects_malformed)
{
	tp_ip4 a;
	uint8_t len;
	ck_assert_msg(tp_ip4_parse_cidr(bad_cidrs[_i], &a, &len) == -EINVAL, "accepted \"%s\"",
		      bad_cidrs[_i]);
}
END_TEST

static const struct { const char *text; uint8_t mac[6]; } good_macs[] = {
	{"02:00:00:00:00:01", {2, 0, 0, 0, 0, 1}},
	{"ff:ff:ff:ff:ff:ff", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	{"AA:bb:Cc:dD:0e:F0", {0xaa, 0xbb, 0xcc, 0xdd, 0x0e, 0xf0}},
};

static const char *const bad_macs[] = {
	"", "01:02:03:04:05", "01:02:03:04:05:06:07", "01:02:03:04:05:06 ", " 01:02:03:04:05:06",
	"1:2:3:4:5:6", "01-02-03-04-05-06", "0102.0304.0506", "01:02:03:04:05:0g", "01:02:03:04:05:6",
	"001:02:03:04:05:06", "01:02:03:04:05:", "01:02:03:04:05:06:", "g1:02:03:04:05:06",
};

START_TEST(mac_parses_valid)
{
	uint8_t mac[6];
	ck_assert_int_eq(tp_mac_parse(good_macs[_i].text, mac), 0);
	ck_assert_mem_eq(mac, good_macs[_i].mac, 6);
}
END_TEST

START_TEST(mac_rejects_malformed)
{
	uint8_t mac[6];
	ck_assert_msg(tp_mac_parse(bad_macs[_i], mac) == -EINVAL, "accepted \"%s\"", bad_macs[_i]);
}
END_TEST


static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("parse");
	tcase_add_loop_test(tc, ip_parses_valid, 0, COUNT(good_ips));
	tcase_add_loop_test(tc, ip_rejects_malformed, 0, COUNT(bad_ips));
	tcase_add_test(tc, ip_rejects_null);
	tcase_add_loop_test(tc, cidr_parses_valid, 0, COUNT(good_cidrs));
	tcase_add_loop_test(tc, cidr_rejects_malformed, 0, COUNT(bad_cidrs));
	tcase_add_loop_test(tc, mac_parses_valid, 0, COUNT(good_macs));
	tcase_add_loop_test(tc, mac_rejects_malformed, 0, COUNT(bad_macs));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(addr_suite)
