/*
 * test_cli.c - the option parser shared by the tapir commands, and the
 * virtual host's flag checks: values in range are stored, everything else
 * is refused (CLI_ERROR, which the commands turn into exit status 2).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "vhost.h"

static int failures;
#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			failures++;                                                  \
		}                                                                    \
	} while (0)

static struct vhost_config cfg;
static const struct cli_group groups[] = {{VHOST_OPTIONS_TITLE, vhost_options, &cfg}};
static const struct cli_command cmd = {.name = "test", .synopsis = "[options] [X]",
				       .about = "", .groups = groups, .n_groups = 1,
				       .max_operands = 1};

/* Parses a NULL-terminated argument list after a fresh set of defaults. */
static enum cli_result parse(const char *first, ...);
#include <stdarg.h>
static enum cli_result parse(const char *first, ...)
{
	char *argv[16] = {"test"};
	int argc = 1;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	char *operands[1];
	int n;
	vhost_config_defaults(&cfg);
	enum cli_result r = cli_parse(&cmd, argc, argv, operands, &n);
	if (r == CLI_OK && vhost_config_check(&cfg, &cmd) < 0)
		r = CLI_ERROR;
	return r;
}

int main(void)
{
	uint64_t u;
	tp_time t;
	char err[128];

	CHECK(cli_uint("0x10", 0, 100, &u, err, sizeof(err)) == 0 && u == 16);
	CHECK(cli_uint("18446744073709551615", 0, UINT64_MAX, &u, err, sizeof(err)) == 0);
	CHECK(cli_uint("18446744073709551616", 0, UINT64_MAX, &u, err, sizeof(err)) < 0);
	CHECK(cli_uint("", 0, 9, &u, err, sizeof(err)) < 0);
	CHECK(cli_uint("-1", 0, 9, &u, err, sizeof(err)) < 0);
	CHECK(cli_uint("1 ", 0, 9, &u, err, sizeof(err)) < 0);
	CHECK(cli_uint("0x", 0, 9, &u, err, sizeof(err)) < 0);
	CHECK(cli_seconds("0.2", 0, TP_SEC(10), &t, err, sizeof(err)) == 0 && t == TP_MSEC(200));
	CHECK(cli_seconds("2", 0, TP_SEC(10), &t, err, sizeof(err)) == 0 && t == TP_SEC(2));
	CHECK(cli_seconds(".5", 0, TP_SEC(10), &t, err, sizeof(err)) == 0 && t == TP_MSEC(500));
	CHECK(cli_seconds("0.0000001", 0, TP_SEC(10), &t, err, sizeof(err)) < 0);
	CHECK(cli_seconds("99999999999999999999", 0, TP_SEC(10), &t, err, sizeof(err)) < 0);
	CHECK(cli_seconds("11", 0, TP_SEC(10), &t, err, sizeof(err)) < 0);
	CHECK(cli_seconds(".", 0, TP_SEC(10), &t, err, sizeof(err)) < 0);
	CHECK(cli_seconds("1e3", 0, TP_SEC(10), &t, err, sizeof(err)) < 0);

	CHECK(parse(NULL) == CLI_OK);
	CHECK(cfg.addr == 0x0a000002 && cfg.gateway == 0x0a000001 && cfg.mtu == 1500);
	CHECK(!memcmp(cfg.mac, "\x02\x00\x0a\x00\x00\x02", 6));
	CHECK(parse("--tap", "tp9", "--addr=192.168.5.7/24", "--host-addr", "192.168.5.1/24",
		    "--mtu", "9000", "--seed", "42", "--trace", "--pcap", "x.pcap", "operand",
		    NULL) == CLI_OK);
	CHECK(!strcmp(cfg.tap_name, "tp9") && cfg.addr == 0xc0a80507 && cfg.mtu == 9000 &&
	      cfg.seed_set && cfg.seed == 42 && cfg.trace && !strcmp(cfg.pcap_path, "x.pcap"));
	CHECK(parse("--addr", "10.0.0.2/31", "--host-addr", "10.0.0.3/31", NULL) == CLI_OK);
	CHECK(parse("--msl", "0.5", "--impair", "loss=5%,delay=10ms,seed=3", NULL) == CLI_OK);
	CHECK(cfg.msl == TP_MSEC(500) && cfg.impair_set && cfg.impair_seed_set &&
	      cfg.impair.loss_ppm == 50000 && cfg.impair.delay == TP_MSEC(10) && cfg.impair.seed == 3);
	CHECK(parse("--impair", "dup=1%,reorder=10%", NULL) == CLI_OK);
	CHECK(cfg.impair_set && !cfg.impair_seed_set && cfg.impair.reorder_ppm == 100000);
	CHECK(parse(NULL) == CLI_OK && !cfg.impair_set && cfg.msl == 0 && !cfg.cc[0]);
	CHECK(parse("--cc", "newreno", NULL) == CLI_OK && !strcmp(cfg.cc, "newreno"));
	CHECK(parse(NULL) == CLI_OK && !cfg.no_syncookies);
	CHECK(parse("--no-syncookies", NULL) == CLI_OK && cfg.no_syncookies);
	CHECK(parse(NULL) == CLI_OK && cfg.tcp_mem == 0);
	CHECK(parse("--tcp-mem", "256", NULL) == CLI_OK && cfg.tcp_mem == 256ull << 20);
	CHECK(parse("--tcp-mem", "65536", NULL) == CLI_OK && cfg.tcp_mem == 65536ull << 20);

	fprintf(stderr, "(the errors below are expected)\n");
	CHECK(parse("--mtu", "67", NULL) == CLI_ERROR);
	CHECK(parse("--mtu", NULL) == CLI_ERROR);
	CHECK(parse("--addr", "10.0.0.255/24", NULL) == CLI_ERROR);
	CHECK(parse("--addr", "224.0.0.1/24", NULL) == CLI_ERROR);
	CHECK(parse("--addr", "10.0.0.2/0", NULL) == CLI_ERROR);
	CHECK(parse("--addr", "10.0.0.2/33", NULL) == CLI_ERROR);
	CHECK(parse("--addr", "10.0.0.1/24", NULL) == CLI_ERROR);        /* = host side */
	CHECK(parse("--gateway", "10.0.0.2", NULL) == CLI_ERROR);        /* = tapir */
	CHECK(parse("--mac", "ff:ff:ff:ff:ff:ff", NULL) == CLI_ERROR);
	CHECK(parse("--mac", "00:00:00:00:00:00", NULL) == CLI_ERROR);
	CHECK(parse("--mac", "02:00:00:00:00:0", NULL) == CLI_ERROR);
	CHECK(parse("--tap", "", NULL) == CLI_ERROR);
	CHECK(parse("--tap", "..", NULL) == CLI_ERROR);
	CHECK(parse("--tap", "tap 0", NULL) == CLI_ERROR);
	CHECK(parse("--tap", "tap%d", NULL) == CLI_ERROR);
	CHECK(parse("--trace=yes", NULL) == CLI_ERROR);
	CHECK(parse("--msl", "0", NULL) == CLI_ERROR);
	CHECK(parse("--tcp-mem", "0", NULL) == CLI_ERROR);
	CHECK(parse("--tcp-mem", "65537", NULL) == CLI_ERROR);
	CHECK(parse("--tcp-mem", "64M", NULL) == CLI_ERROR);
	CHECK(parse("--tcp-mem", "-1", NULL) == CLI_ERROR);
	CHECK(parse("--tcp-mem", NULL) == CLI_ERROR);
	CHECK(parse("--cc", "bbr", NULL) == CLI_ERROR);
	CHECK(parse("--cc", "cubicx", NULL) == CLI_ERROR);
	CHECK(parse("--cc", "", NULL) == CLI_ERROR);
	CHECK(parse("--impair", "loss=5", NULL) == CLI_ERROR);         /* no unit */
	CHECK(parse("--impair", "lose=5%", NULL) == CLI_ERROR);
	CHECK(parse("--impair", "loss=101%", NULL) == CLI_ERROR);
	CHECK(parse("-x", NULL) == CLI_ERROR);
	CHECK(parse("a", "b", NULL) == CLI_ERROR);
	CHECK(parse("--", "--tap", NULL) == CLI_OK);     /* after --, an operand */

	if (failures) {
		fprintf(stderr, "test_cli: %d checks failed\n", failures);
		return 1;
	}
	printf("test_cli: all checks passed\n");
	return 0;
}
