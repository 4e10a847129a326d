/*
 * test_replay.c - the replay engine must fail when it should, and say why:
 * late and early frames, missing and extra ones, differing fields; and it
 * must turn damaged captures, sidecars and flags into errors, not crashes.
 *
 * The conversation is the smallest one with an answer: an ARP request for
 * the stack, which replies (after its start-up announcement).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"
#include "tools.h"

static int failures;

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                 \
		}                                                                   \
	} while (0)

static char dir[] = "/tmp/tapir-test-replay-XXXXXX";
static char output[16384];

static const char *in_dir(const char *name)
{
	static char paths[4][256];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, sizeof(paths[0]), "%s/%s", dir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(data, 1, len, f) == len);
	if (f)
		fclose(f);
}

static void base_config(struct tp_replay_config *cfg)
{
	char err[200];
	tp_replay_config_init(cfg);
	CHECK(tp_replay_config_set(cfg, "mac", "02:00:00:00:00:02", err, sizeof(err)) == 0);
	CHECK(tp_replay_config_set(cfg, "addr", "10.0.0.2/24", err, sizeof(err)) == 0);
	CHECK(tp_replay_config_set(cfg, "seed", "1", err, sizeof(err)) == 0);
}

/* who-has 10.0.0.2 tell 10.0.0.1, from 02:00:00:00:00:01. */
static const uint8_t arp_request[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
	0, 1, 0x08, 0x00, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
};

/* Runs a capture; its messages land in `output`. */
static int run(const struct tp_replay_config *cfg, const struct tp_frame_list *capture,
	       enum tp_replay_mode mode, const char *write_path)
{
	FILE *out = fmemopen(output, sizeof(output), "w");
	struct tp_replay_options opt = {.name = "t", .mode = mode, .write_path = write_path, .out = out};
	int rc = tp_replay_run(cfg, capture, &opt);
	fclose(out);
	return rc;
}

static void copy_list(struct tp_frame_list *to, const struct tp_frame_list *from, size_t skip)
{
	memset(to, 0, sizeof(*to));
	for (size_t i = 0; i < from->count; i++)
		if (i != skip)
			CHECK(tp_frame_list_add(to, from->frames[i].t, from->frames[i].data, from->frames[i].len) == 0);
}

/* Records the exchange; returns the vector as read back from its pcap:
 * announce, request, reply. */
static void record(struct tp_frame_list *vector)
{
	struct tp_replay_config cfg;
	struct tp_frame_list inputs = {0};
	char err[300];

	base_config(&cfg);
	CHECK(tp_frame_list_add(&inputs, TP_SEC(100), arp_request, sizeof(arp_request)) == 0);
	CHECK(run(&cfg, &inputs, TP_REPLAY_RECORD, in_dir("v.pcap")) == TP_REPLAY_PASS);
	CHECK(strstr(output, "RECORDED t: 1 in, 2 out") != NULL);
	memset(vector, 0, sizeof(*vector));
	CHECK(tp_frame_list_load(vector, in_dir("v.pcap"), err, sizeof(err)) == 0);
	CHECK(vector->count == 3);
	tp_frame_list_free(&inputs);
}

static void test_compare(const struct tp_frame_list *vector)
{
	struct tp_replay_config cfg;
	struct tp_frame_list v;
	base_config(&cfg);

	CHECK(run(&cfg, vector, TP_REPLAY_STRICT, NULL) == TP_REPLAY_PASS);
	CHECK(strstr(output, "PASS t: 1 in, 2 out") != NULL);

	/* The reply expected 50 ms later than the stack sends it. */
	copy_list(&v, vector, SIZE_MAX);
	v.frames[2].t += TP_MSEC(50);
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_FAIL);
	CHECK(strstr(output, "frame early: capture frame #2, the stack's frame #1") != NULL);
	CHECK(strstr(output, "off by 50.000 ms; tolerance 10.000 ms") != NULL);
	v.frames[2].t -= TP_MSEC(45);           /* within the tolerance */
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_PASS);
	tp_frame_list_free(&v);

	/* A different target address in the expected reply. */
	copy_list(&v, vector, SIZE_MAX);
	v.frames[2].data[14 + 27] ^= 1;
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_FAIL);
	CHECK(strstr(output, "frames differ: capture frame #2, the stack's frame #1") != NULL);
	CHECK(strstr(output, "  * arp.tpa          10.0.0.0") != NULL);
	CHECK(strstr(output, "    arp.spa ") != NULL);       /* same fields are shown unmarked */
	CHECK(strstr(output, "first differing byte: offset 41") != NULL);
	CHECK(run(&cfg, &v, TP_REPLAY_LOOSE, NULL) == TP_REPLAY_FAIL);
	tp_frame_list_free(&v);

	/* Different padding: strict fails, --loose does not look. */
	copy_list(&v, vector, SIZE_MAX);
	v.frames[2].data[50] = 0xee;
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_FAIL);
	CHECK(run(&cfg, &v, TP_REPLAY_LOOSE, NULL) == TP_REPLAY_PASS);
	tp_frame_list_free(&v);

	/* A second reply that never comes. */
	copy_list(&v, vector, SIZE_MAX);
	CHECK(tp_frame_list_add(&v, TP_SEC(101), vector->frames[2].data, vector->frames[2].len) == 0);
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_FAIL);
	CHECK(strstr(output, "never sent a frame the capture expects: capture frame #3, the stack's frame #2") != NULL);
	tp_frame_list_free(&v);

	/* No reply in the capture: the stack's is extra. */
	copy_list(&v, vector, 2);
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_FAIL);
	CHECK(strstr(output, "sent a frame the capture does not have") != NULL);
	CHECK(strstr(output, "ARP reply 10.0.0.2 is-at 02:00:00:00:00:02") != NULL);
	tp_frame_list_free(&v);

	/* A capture that starts mid-way, without the announcement. */
	copy_list(&v, vector, 0);
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_FAIL);
	cfg.expect_announce = 0;
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_PASS);
	tp_frame_list_free(&v);

	/* Time going backwards is an error, not a verdict. */
	base_config(&cfg);
	copy_list(&v, vector, SIZE_MAX);
	v.frames[1].t = TP_SEC(99);
	CHECK(run(&cfg, &v, TP_REPLAY_STRICT, NULL) == TP_REPLAY_ERROR);
	CHECK(strstr(output, "capture frame #1 is stamped before the frame before it") != NULL);
	tp_frame_list_free(&v);
}

static void test_config(void)
{
	struct tp_replay_config cfg;
	char err[300];
	tp_time t;

	CHECK(tp_parse_seconds("1.5", &t) == 0 && t == 1500000);
	CHECK(tp_parse_seconds("0.000001", &t) == 0 && t == 1);
	CHECK(tp_parse_seconds("42", &t) == 0 && t == TP_SEC(42));
	const char *bad_times[] = {"", ".5", "1.", "1.1234567", "-1", "1e3", "1.5s", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++)
		CHECK(tp_parse_seconds(bad_times[i], &t) < 0);

	tp_replay_config_init(&cfg);
	CHECK(tp_replay_config_check(&cfg, err, sizeof(err)) < 0 && strstr(err, "mac"));
	CHECK(tp_replay_config_set(&cfg, "colour", "blue", err, sizeof(err)) < 0 && strstr(err, "colour"));
	const char *bad[][2] = {
		{"mac", "02:00:00:00:00"}, {"mac", "01:00:00:00:00:02"}, {"addr", "10.0.0.2"},
		{"addr", "10.0.0.256/24"}, {"mtu", "67"}, {"mtu", "9001"}, {"seed", "-1"}, {"seed", " 1"},
		{"seed", "0x"}, {"tolerance_ms", "ten"}, {"announce", "maybe"}, {"ttl", "0"}, {"icmp_burst", "0"},
		{"arp_cache_size", "65537"},    /* allocated whole: 4e9 asked for 288 GB */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(tp_replay_config_set(&cfg, bad[i][0], bad[i][1], err, sizeof(err)) < 0);
		CHECK(strstr(err, bad[i][0]) != NULL);
	}
	CHECK(tp_replay_config_set(&cfg, "seed", "0x10", err, sizeof(err)) == 0 && cfg.stack.seed == 16);
	CHECK(tp_replay_config_set(&cfg, "arp_cache_size", "65536", err, sizeof(err)) == 0 &&
	      cfg.stack.arp_cache_size == 65536);
	CHECK(tp_replay_config_set(&cfg, "tolerance_ms", "3", err, sizeof(err)) == 0 && cfg.tolerance == TP_MSEC(3));

	const char good[] = "# a vector\nmac = 02:00:00:00:00:02\n\n  addr=10.0.0.2/24   # trailing\r\nicmp_burst = 5\n";
	write_file(in_dir("good.conf"), good, sizeof(good) - 1);
	tp_replay_config_init(&cfg);
	CHECK(tp_replay_config_load(&cfg, in_dir("good.conf"), err, sizeof(err)) == 0);
	CHECK(tp_replay_config_check(&cfg, err, sizeof(err)) == 0 && cfg.stack.icmp_burst == 5);

	const char no_equals[] = "mac = 02:00:00:00:00:02\nmtu 1500\n";
	write_file(in_dir("bad.conf"), no_equals, sizeof(no_equals) - 1);
	CHECK(tp_replay_config_load(&cfg, in_dir("bad.conf"), err, sizeof(err)) == -1 && strstr(err, "bad.conf:2:"));
	const char nul[] = "mac = 02:00\0:00:00:00:02\n";
	write_file(in_dir("bad.conf"), nul, sizeof(nul) - 1);
	CHECK(tp_replay_config_load(&cfg, in_dir("bad.conf"), err, sizeof(err)) == -1 && strstr(err, "NUL"));
	CHECK(tp_replay_config_load(&cfg, in_dir("absent.conf"), err, sizeof(err)) == -2);

	char *side = tp_replay_sidecar_path("a.b/c.pcap");
	CHECK(side && !strcmp(side, "a.b/c.conf"));
	free(side);
	side = tp_replay_sidecar_path("a.b/c");
	CHECK(side && !strcmp(side, "a.b/c.conf"));
	free(side);
}

/* The keys for TCP vectors: services, scripted clients, stack knobs and
 * counter expectations; hostile values are refused with the key named. */
static void test_tcp_keys(void)
{
	struct tp_replay_config cfg;
	char err[300];

	base_config(&cfg);
	CHECK(tp_replay_config_set(&cfg, "services", "echo,tcp", err, sizeof(err)) == 0 && cfg.services);
	CHECK(tp_replay_config_set(&cfg, "tcp_msl_ms", "1000", err, sizeof(err)) == 0 &&
	      cfg.stack.tcp_msl == TP_SEC(1));
	CHECK(tp_replay_config_set(&cfg, "tcp_rcvbuf", "4096", err, sizeof(err)) == 0 && cfg.stack.tcp_rcvbuf == 4096);
	CHECK(tp_replay_config_set(&cfg, "expect_counter", "tcp.rst_out 2", err, sizeof(err)) == 0 &&
	      cfg.n_counters == 1 && cfg.counters[0].id == TP_STAT_TCP_RST_OUT && cfg.counters[0].value == 2);
	CHECK(tp_replay_config_set(&cfg, "connect", "10.0.0.1:5000 at 0.5 from 40000 send 10 at 0.7 send 5 at 0.7 "
				   "close at 1", err, sizeof(err)) == 0);
	const struct tp_replay_client *c = &cfg.clients[0];
	CHECK(cfg.n_clients == 1 && c->port == 5000 && c->from == 40000 && c->at == TP_MSEC(500) &&
	      c->n_sends == 2 && c->sends[0].len == 10 && c->sends[1].at == TP_MSEC(700) && c->close_at == TP_SEC(1));
	CHECK(c->ka_cnt == 0);
	CHECK(tp_replay_config_set(&cfg, "connect", "10.0.0.1:5001 at 0.5 keepalive 2,1,3 send 10 at 0.7", err,
				   sizeof(err)) == 0);
	c = &cfg.clients[1];
	CHECK(cfg.n_clients == 2 && c->ka_idle == 2 && c->ka_intvl == 1 && c->ka_cnt == 3 && c->n_sends == 1);
	CHECK(tp_replay_config_set(&cfg, "tcp_challenge_ack_rate", "3", err, sizeof(err)) == 0 &&
	      cfg.stack.tcp_challenge_ack_rate == 3);
	CHECK(tp_replay_config_set(&cfg, "listen", "80 reply 20 close", err, sizeof(err)) == 0);
	CHECK(tp_replay_config_set(&cfg, "listen", "8080", err, sizeof(err)) == 0);
	CHECK(cfg.n_listeners == 2 && cfg.listeners[0].port == 80 && cfg.listeners[0].reply == 20 &&
	      cfg.listeners[0].close_first && cfg.listeners[1].port == 8080 && !cfg.listeners[1].reply &&
	      !cfg.listeners[1].close_first);

	const char *bad[][2] = {
		{"services", "gopher"}, {"services", ""}, {"tcp_delack_ms", "201"}, {"tcp_rcvbuf", "100"},
		{"tcp_msl_ms", "0"}, {"tcp_retries", "-1"}, {"expect_counter", "tcp.rst_out"},
		{"expect_counter", "tcp.nonsense 1"}, {"expect_counter", "tcp.rst_out x"},
		{"connect", ""}, {"connect", "10.0.0.1 at 1"}, {"connect", "10.0.0.1:0 at 1"},
		{"connect", "10.0.0.1:70000 at 1"}, {"connect", "0.0.0.0:80 at 1"}, {"connect", "10.0.0.1:80"},
		{"connect", "10.0.0.1:80 at 1 send 5 at 0.5"}, {"connect", "10.0.0.1:80 at 1 close at 2 send 5 at 3"},
		{"connect", "10.0.0.1:80 at 1 send 0 at 2"}, {"connect", "10.0.0.1:80 at 1 from 1 from 2"},
		{"connect", "10.0.0.1:80 at 1 sing"}, {"connect", "10.0.0.1:80 at 1 close at"},
		{"connect", "10.0.0.1:80 at 1 keepalive"}, {"connect", "10.0.0.1:80 at 1 keepalive 1,1"},
		{"connect", "10.0.0.1:80 at 1 keepalive 0,1,1"}, {"connect", "10.0.0.1:80 at 1 keepalive 1,1,1x"},
		{"connect", "10.0.0.1:80 at 1 keepalive 1,1,128"},
		{"connect", "10.0.0.1:80 at 1 keepalive 1,1,1 keepalive 1,1,1"},
		{"tcp_challenge_ack_rate", "0"},
		{"listen", ""}, {"listen", "0"}, {"listen", "70000"}, {"listen", "80 reply"}, {"listen", "80 reply 0"},
		{"listen", "80 reply x"}, {"listen", "80 reply 5 reply 6"}, {"listen", "80 close close"},
		{"listen", "80 shut"}, {"listen", "80 reply 16777217"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(tp_replay_config_set(&cfg, bad[i][0], bad[i][1], err, sizeof(err)) < 0);
		CHECK(strstr(err, bad[i][0]) != NULL);
	}
	for (int i = cfg.n_clients; i < TP_REPLAY_MAX_CLIENTS; i++)
		CHECK(tp_replay_config_set(&cfg, "connect", "10.0.0.1:80 at 1", err, sizeof(err)) == 0);
	CHECK(tp_replay_config_set(&cfg, "connect", "10.0.0.1:80 at 1", err, sizeof(err)) < 0 && strstr(err, "connect"));
	for (int i = cfg.n_listeners; i < TP_REPLAY_MAX_LISTENERS; i++)
		CHECK(tp_replay_config_set(&cfg, "listen", "81", err, sizeof(err)) == 0);
	CHECK(tp_replay_config_set(&cfg, "listen", "82", err, sizeof(err)) < 0 && strstr(err, "at most 4 listen"));
}

/* expect_counter decides a run once the frames agree; a client the stack
 * cannot even start is an error; the run lasts until the last scripted
 * action. */
static void test_counters_and_clients(const struct tp_frame_list *vector)
{
	struct tp_replay_config cfg;
	char err[300];

	base_config(&cfg);
	CHECK(tp_replay_config_set(&cfg, "expect_counter", "arp.reply_out 1", err, sizeof(err)) == 0);
	CHECK(run(&cfg, vector, TP_REPLAY_STRICT, NULL) == TP_REPLAY_PASS);
	CHECK(tp_replay_config_set(&cfg, "expect_counter", "arp.in 2", err, sizeof(err)) == 0);
	CHECK(run(&cfg, vector, TP_REPLAY_STRICT, NULL) == TP_REPLAY_FAIL);
	CHECK(strstr(output, "FAIL t: counter arp.in is 1, the sidecar expects 2") != NULL);
	CHECK(run(&cfg, vector, TP_REPLAY_RECORD, NULL) == TP_REPLAY_FAIL);

	/* No route to 192.168.1.1 (no gateway): the connect fails at once. */
	base_config(&cfg);
	CHECK(tp_replay_config_set(&cfg, "connect", "192.168.1.1:80 at 0.5", err, sizeof(err)) == 0);
	CHECK(run(&cfg, vector, TP_REPLAY_STRICT, NULL) == TP_REPLAY_ERROR);
	CHECK(strstr(output, "ERROR t: connect to 192.168.1.1:80: Network is unreachable") != NULL);

	/* A server that cannot listen (its port taken by a service) is an error. */
	base_config(&cfg);
	CHECK(tp_replay_config_set(&cfg, "services", "echo", err, sizeof(err)) == 0);
	CHECK(tp_replay_config_set(&cfg, "listen", "7", err, sizeof(err)) == 0);
	CHECK(run(&cfg, vector, TP_REPLAY_STRICT, NULL) == TP_REPLAY_ERROR);
	CHECK(strstr(output, "ERROR t: listen on port 7: ") != NULL);

	/* The run lasts until the last scripted action, here a connect at 5 s,
	 * long after the capture's last frame: its ARP request is recorded. */
	base_config(&cfg);
	CHECK(tp_replay_config_set(&cfg, "connect", "10.0.0.9:80 at 5", err, sizeof(err)) == 0);
	CHECK(run(&cfg, vector, TP_REPLAY_RECORD, NULL) == TP_REPLAY_PASS);
	CHECK(strstr(output, "RECORDED t: 1 in, 3 out") != NULL);
}

/* The step-by-step recorder refuses time going backwards. */
static void test_session(void)
{
	struct tp_replay_config cfg;
	struct tp_replay_session *r;
	base_config(&cfg);
	FILE *out = fmemopen(output, sizeof(output), "w");
	struct tp_replay_options opt = {.name = "s", .mode = TP_REPLAY_RECORD, .out = out};
	CHECK(tp_replay_session_open(&r, &cfg, TP_SEC(10), &opt) == TP_REPLAY_PASS);
	CHECK(tp_replay_session_input(r, TP_SEC(11), arp_request, sizeof(arp_request)) == TP_REPLAY_PASS);
	CHECK(tp_replay_session_sent(r)->count == 2);         /* announcement, reply */
	CHECK(tp_replay_session_advance(r, TP_SEC(10)) == TP_REPLAY_ERROR);
	CHECK(tp_replay_session_finish(r) == TP_REPLAY_PASS);
	tp_replay_session_free(r);
	fclose(out);
	CHECK(strstr(output, "time goes backwards") != NULL && strstr(output, "RECORDED s: 1 in, 2 out") != NULL);
}

static void test_damaged_files(void)
{
	struct tp_frame_list l = {0};
	char err[300];
	FILE *f = fopen(in_dir("v.pcap"), "rb");
	static uint8_t bytes[4096];
	size_t n = f ? fread(bytes, 1, sizeof(bytes), f) : 0;
	if (f)
		fclose(f);
	CHECK(n > 100);

	write_file(in_dir("cut.pcap"), bytes, n - 5);          /* last record cut short */
	CHECK(tp_frame_list_load(&l, in_dir("cut.pcap"), err, sizeof(err)) < 0 && strstr(err, "cut.pcap"));
	tp_frame_list_free(&l);
	bytes[24 + 8] = 0xff;                                  /* first record's caplen: huge */
	bytes[24 + 9] = 0xff;
	bytes[24 + 10] = 0xff;
	write_file(in_dir("huge.pcap"), bytes, n);
	CHECK(tp_frame_list_load(&l, in_dir("huge.pcap"), err, sizeof(err)) < 0);
	tp_frame_list_free(&l);
	write_file(in_dir("text.pcap"), "hello, world\n", 13);
	CHECK(tp_frame_list_load(&l, in_dir("text.pcap"), err, sizeof(err)) < 0 && strstr(err, "text.pcap"));
	write_file(in_dir("empty.pcap"), "", 0);
	CHECK(tp_frame_list_load(&l, in_dir("empty.pcap"), err, sizeof(err)) < 0);
	CHECK(tp_frame_list_load(&l, in_dir("absent.pcap"), err, sizeof(err)) < 0);
	tp_frame_list_free(&l);
}

static int replay_cli(const char *const *args)
{
	char *argv[16];
	int argc = 0;
	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	return cmd_replay(argc, argv);
}

static void test_cli(void)
{
	char v[256], conf[256];           /* in_dir() reuses its buffers */
	snprintf(v, sizeof(v), "%s", in_dir("v.pcap"));
	snprintf(conf, sizeof(conf), "%s", in_dir("good.conf"));

	CHECK(replay_cli((const char *[]){"replay", NULL}) == TP_REPLAY_ERROR);
	CHECK(replay_cli((const char *[]){"replay", "--help", NULL}) == 0);
	CHECK(replay_cli((const char *[]){"replay", "--colour", "blue", v, NULL}) == TP_REPLAY_ERROR);
	CHECK(replay_cli((const char *[]){"replay", v, "--seed", NULL}) == TP_REPLAY_ERROR);
	/* No v.conf next to v.pcap: the flags must say it all. */
	CHECK(replay_cli((const char *[]){"replay", v, NULL}) == TP_REPLAY_ERROR);
	CHECK(replay_cli((const char *[]){"replay", "--mac", "02:00:00:00:00:02", "--addr", "10.0.0.2/24",
					  "--seed", "1", v, NULL}) == TP_REPLAY_PASS);
	CHECK(replay_cli((const char *[]){"replay", "--conf", conf, "--seed", "1", v, NULL}) == TP_REPLAY_PASS);
	CHECK(replay_cli((const char *[]){"replay", "--conf", conf, "--mtu", "5", v, NULL}) == TP_REPLAY_ERROR);
	CHECK(replay_cli((const char *[]){"replay", "--conf", in_dir("absent.conf"), v, NULL}) == TP_REPLAY_ERROR);
	CHECK(replay_cli((const char *[]){"replay", "--conf", conf, "--seed", "1", in_dir("cut.pcap"), NULL}) ==
	      TP_REPLAY_ERROR);
	/* Several vectors: the worst result wins, and every one runs. */
	CHECK(replay_cli((const char *[]){"replay", "--conf", conf, "--seed", "1", v, in_dir("text.pcap"), v,
					  NULL}) == TP_REPLAY_ERROR);
	CHECK(replay_cli((const char *[]){"replay", "--conf", conf, "--write", in_dir("w.pcap"), v, v, NULL}) ==
	      TP_REPLAY_ERROR);
}

static void cleanup(void)
{
	const char *files[] = {"v.pcap", "w.pcap", "cut.pcap", "huge.pcap", "text.pcap", "empty.pcap",
			       "good.conf", "bad.conf"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(in_dir(files[i]));
	rmdir(dir);
}

int main(void)
{
	struct tp_frame_list vector;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	record(&vector);
	if (vector.count == 3) {
		test_compare(&vector);
		test_counters_and_clients(&vector);
	}
	tp_frame_list_free(&vector);
	test_config();
	test_tcp_keys();
	test_session();
	test_damaged_files();
	test_cli();
	cleanup();
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	else
		printf("test_replay: all checks passed\n");
	return failures ? 1 : 0;
}
