/*
 * `tapir ladder` below the command line: connection tracking, relative
 * numbers, window scaling, marks, the layout's words, and hostile input
 * (random and mutated frames, damaged pcap files) that must never crash.
 * Frames are built here byte by byte; the goldens (golden.cmake) cover the
 * drawings themselves.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ladder.h"
#include "tapir/pcap.h"
#include "check_main.h"

#define CLIENT_IP 0x0a000001u   /* 10.0.0.1 */
#define SERVER_IP 0x0a000002u   /* 10.0.0.2 */
#define CPORT 40000
#define SPORT 80

enum { F = 0x01, Y = 0x02, R = 0x04, P = 0x08, A = 0x10 };

struct opts {
	int mss, ws;            /* -1: none */
	int sack_ok;
	uint32_t sack[2];       /* one block when sack[1] */
};
static const struct opts NO_OPTS = {-1, -1, 0, {0, 0}};

static size_t put16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; return 2; }
static size_t put32(uint8_t *p, uint32_t v) { put16(p, v >> 16); put16(p + 2, v & 0xffff); return 4; }

/* An Ethernet/IPv4/TCP frame; checksums are left 0 (the ladder never checks them). */
static size_t tcp_frame(uint8_t *f, int from_client, unsigned flags, uint32_t seq, uint32_t ack,
			unsigned win, size_t len, struct opts o)
{
	uint8_t opt[40];
	size_t ol = 0;
	if (o.mss >= 0) {
		opt[ol++] = 2, opt[ol++] = 4;
		ol += put16(opt + ol, (unsigned)o.mss);
	}
	if (o.ws >= 0)
		opt[ol++] = 1, opt[ol++] = 3, opt[ol++] = 3, opt[ol++] = (uint8_t)o.ws;
	if (o.sack_ok)
		opt[ol++] = 1, opt[ol++] = 1, opt[ol++] = 4, opt[ol++] = 2;
	if (o.sack[1]) {
		opt[ol++] = 1, opt[ol++] = 1, opt[ol++] = 5, opt[ol++] = 10;
		ol += put32(opt + ol, o.sack[0]);
		ol += put32(opt + ol, o.sack[1]);
	}
	while (ol % 4)
		opt[ol++] = 0;
	memset(f, 0, 14 + 20 + 20 + ol + len);
	f[12] = 0x08;
	uint8_t *ip = f + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + 20 + ol + len));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, from_client ? CLIENT_IP : SERVER_IP);
	put32(ip + 16, from_client ? SERVER_IP : CLIENT_IP);
	put16(tcp, from_client ? CPORT : SPORT);
	put16(tcp + 2, from_client ? SPORT : CPORT);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((20 + ol) / 4 << 4);
	tcp[13] = (uint8_t)flags;
	put16(tcp + 14, win);
	memcpy(tcp + 20, opt, ol);
	return 14 + 20 + 20 + ol + len;
}

static uint64_t now_us;

static void seg(struct ladder_capture *cap, int from_client, unsigned flags, uint32_t seq, uint32_t ack,
		unsigned win, size_t len, struct opts o)
{
	uint8_t f[1600];
	size_t n = tcp_frame(f, from_client, flags, seq, ack, win, len, o);
	now_us += 1000;
	ladder_capture_add(cap, now_us, f, n);
}

/* The handshake every test starts from: client ISN 1000, server ISN 5000. */
static void handshake(struct ladder_capture *cap, int ws_client, int ws_server)
{
	struct opts c = NO_OPTS, s = NO_OPTS;
	c.mss = s.mss = 1460;
	c.ws = ws_client;
	s.ws = ws_server;
	seg(cap, 1, Y, 1000, 0, 65535, 0, c);
	seg(cap, 0, Y | A, 5000, 1001, 65535, 0, s);
	seg(cap, 1, A, 1001, 5001, 100, 0, NO_OPTS);
}

/* Renders every connection every way into memory: must not crash or leak. */
static void render_all(const struct ladder_capture *cap)
{
	for (size_t i = 0; i < cap->n_conn; i++) {
		struct ladder_layout lay;
		char *buf = NULL;
		size_t size = 0;
		FILE *out = open_memstream(&buf, &size);
		ck_assert_ptr_nonnull(out);
		ck_assert_int_eq(ladder_layout_build(&lay, &cap->conn[i], "x/fuzz.pcap", i + 1, cap->n_conn), 0);
		ladder_render_text(out, &lay);
		ladder_render_svg(out, &lay, 1);
		ladder_render_html(out, &lay);
		ladder_layout_free(&lay);
		fclose(out);
		free(buf);
	}
}

START_TEST(client_is_whoever_sent_the_first_syn)
{
	struct ladder_capture cap = {0};
	struct opts o = NO_OPTS;
	seg(&cap, 0, Y, 7, 0, 1000, 0, o);      /* the "server" address opens */
	seg(&cap, 1, Y | A, 9, 8, 1000, 0, o);
	ladder_capture_finish(&cap);
	ck_assert_uint_eq(cap.n_conn, 1);
	ck_assert_uint_eq(cap.conn[0].ip[0], SERVER_IP);
	ck_assert_uint_eq(cap.conn[0].port[0], SPORT);
	ck_assert_int_eq(cap.conn[0].seg[0].from, 0);
	ck_assert_int_eq(cap.conn[0].seg[1].from, 1);
	ladder_capture_free(&cap);

	/* Its SYN missed, a SYN-ACK names its receiver the client. */
	seg(&cap, 0, Y | A, 9, 8, 1000, 0, o);
	ladder_capture_finish(&cap);
	ck_assert_uint_eq(cap.conn[0].ip[0], CLIENT_IP);
	ck_assert_int_eq(cap.conn[0].seg[0].from, 1);
	ladder_capture_free(&cap);
}
END_TEST

START_TEST(new_syn_after_close_is_a_new_connection)
{
	struct ladder_capture cap = {0};
	seg(&cap, 1, Y, 1000, 0, 65535, 0, NO_OPTS);
	seg(&cap, 1, Y, 1000, 0, 65535, 0, NO_OPTS);   /* a retransmission: same connection */
	seg(&cap, 0, R | A, 0, 1001, 0, 0, NO_OPTS);
	seg(&cap, 1, Y, 2000, 0, 65535, 0, NO_OPTS);   /* refused, so this is a new attempt */
	seg(&cap, 0, Y | A, 5000, 2001, 65535, 0, NO_OPTS);
	seg(&cap, 1, A, 2001, 5001, 65535, 0, NO_OPTS);
	seg(&cap, 1, Y, 3000, 0, 65535, 0, NO_OPTS);   /* a SYN on an open connection: not new */
	ladder_capture_finish(&cap);
	ck_assert_uint_eq(cap.n_conn, 2);
	ck_assert_uint_eq(cap.conn[0].n_seg, 3);
	ck_assert_uint_eq(cap.conn[1].n_seg, 4);
	ck_assert_int_eq(cap.conn[0].infer.end[0].state, TI_CLOSED);
	ck_assert_int_eq(cap.conn[1].infer.end[1].state, TI_ESTABLISHED);
	ck_assert_uint_eq(cap.conn[1].seg[3].marks & LADDER_SYN_ON_OPEN, LADDER_SYN_ON_OPEN);
	ladder_capture_free(&cap);
}
END_TEST

START_TEST(many_connections_stay_apart)
{
	/* Enough 4-tuples to grow the index several times. */
	struct ladder_capture cap = {0};
	uint8_t f[200];
	for (unsigned i = 0; i < 3000; i++) {
		size_t n = tcp_frame(f, 1, Y, i, 0, 1000, 0, NO_OPTS);
		put16(f + 14 + 20, 1024 + i);           /* client port */
		ladder_capture_add(&cap, i, f, n);
		ladder_capture_add(&cap, i, f, n);
	}
	ladder_capture_finish(&cap);
	ck_assert_uint_eq(cap.n_conn, 3000);
	for (size_t i = 0; i < cap.n_conn; i++) {
		ck_assert_uint_eq(cap.conn[i].n_seg, 2);
		ck_assert_uint_eq(cap.conn[i].port[0], 1024 + i);
	}
	ladder_capture_free(&cap);
}
END_TEST

START_TEST(numbers_are_relative_and_windows_scaled)
{
	struct ladder_capture cap = {0};
	handshake(&cap, 7, 3);
	seg(&cap, 1, P | A, 1001, 5001, 100, 10, NO_OPTS);
	seg(&cap, 0, A, 5001, 1011, 2000, 0, NO_OPTS);
	ladder_capture_finish(&cap);
	const struct ladder_conn *c = &cap.conn[0];
	ck_assert(c->scaling);
	ck_assert_uint_eq(c->seg[0].rel_seq, 0);
	ck_assert_uint_eq(c->seg[0].win, 65535);        /* a SYN's window is never scaled */
	ck_assert_uint_eq(c->seg[1].rel_ack, 1);
	ck_assert_uint_eq(c->seg[3].rel_seq, 1);
	ck_assert_uint_eq(c->seg[3].win, 100u << 7);
	ck_assert_uint_eq(c->seg[4].rel_ack, 11);
	ck_assert_uint_eq(c->seg[4].win, 2000u << 3);
	ladder_capture_free(&cap);

	/* One side offering it is not enough (RFC 7323 §1.3). */
	handshake(&cap, 7, -1);
	seg(&cap, 1, A, 1001, 5001, 100, 0, NO_OPTS);
	ladder_capture_finish(&cap);
	ck_assert(!cap.conn[0].scaling);
	ck_assert_uint_eq(cap.conn[0].seg[3].win, 100);
	ladder_capture_free(&cap);
}
END_TEST

START_TEST(retransmission_dup_acks_and_fast_retransmit)
{
	struct ladder_capture cap = {0};
	handshake(&cap, -1, -1);
	struct opts sack = NO_OPTS;
	seg(&cap, 0, A, 5001, 1001, 1000, 100, NO_OPTS);        /* [3] 1-101 */
	seg(&cap, 1, A, 1001, 5101, 100, 0, NO_OPTS);           /* [4] ACK 101 */
	seg(&cap, 0, A, 5201, 1001, 1000, 100, NO_OPTS);        /* [5] 201-301: 101-201 lost */
	sack.sack[0] = 5201, sack.sack[1] = 5301;
	seg(&cap, 1, A, 1001, 5101, 100, 0, sack);              /* [6] dup ACK #1 */
	seg(&cap, 1, A, 1001, 5101, 100, 0, sack);              /* [7] #2 */
	seg(&cap, 1, A, 1001, 5101, 100, 0, sack);              /* [8] #3 */
	seg(&cap, 0, A, 5101, 1001, 1000, 100, NO_OPTS);        /* [9] the hole, asked for */
	seg(&cap, 0, A, 5101, 1001, 1000, 100, NO_OPTS);        /* [10] again: a plain retransmission */
	ladder_capture_finish(&cap);
	const struct ladder_segment *s = cap.conn[0].seg;
	ck_assert_uint_eq(s[5].marks & LADDER_GAP, LADDER_GAP);
	ck_assert_uint_eq(s[6].marks & LADDER_DUP_ACK, LADDER_DUP_ACK);
	ck_assert_uint_eq(s[6].dup_ack_count, 1);
	ck_assert_uint_eq(s[8].dup_ack_count, 3);
	ck_assert_uint_eq(s[6].rel_sack[0][0], 201);
	ck_assert_uint_eq(s[6].rel_sack[0][1], 301);
	ck_assert_uint_eq(s[9].marks & (LADDER_RETRANSMISSION | LADDER_FAST_RETRANSMIT),
			  LADDER_RETRANSMISSION | LADDER_FAST_RETRANSMIT);
	ck_assert_uint_eq(s[10].marks & LADDER_RETRANSMISSION, LADDER_RETRANSMISSION);
	/* Nothing the client sent after ACK 101 acknowledges 101..301. */
	ck_assert_uint_eq(s[5].marks & LADDER_UNACKED, LADDER_UNACKED);
	ck_assert_uint_eq(s[3].marks & LADDER_UNACKED, 0);

	struct ladder_layout lay;
	ck_assert_int_eq(ladder_layout_build(&lay, &cap.conn[0], "t.pcap", 1, 1), 0);
	ck_assert_str_eq(lay.rows[9].marks, "fast retransmission, never ACKed");
	ck_assert_str_eq(lay.rows[8].marks, "dup ACK #3");
	ck_assert_str_eq(lay.rows[8].options, "<sack 201-301>");
	ck_assert_str_eq(lay.rows[5].label, "ACK seq=201 ack=1 win=1000 len=100");
	ladder_layout_free(&lay);
	ladder_capture_free(&cap);
}
END_TEST

START_TEST(out_of_order_is_not_a_retransmission)
{
	struct ladder_capture cap = {0};
	handshake(&cap, -1, -1);
	seg(&cap, 1, A, 1011, 5001, 100, 10, NO_OPTS);          /* 11-21 first */
	seg(&cap, 1, A, 1001, 5001, 100, 10, NO_OPTS);          /* then 1-11 */
	ladder_capture_finish(&cap);
	ck_assert_uint_eq(cap.conn[0].seg[3].marks & LADDER_GAP, LADDER_GAP);
	ck_assert_uint_eq(cap.conn[0].seg[4].marks & (LADDER_OUT_OF_ORDER | LADDER_RETRANSMISSION),
			  LADDER_OUT_OF_ORDER);
	ladder_capture_free(&cap);
}
END_TEST

START_TEST(zero_window_probes_and_keepalives)
{
	struct ladder_capture cap = {0};
	handshake(&cap, -1, -1);
	seg(&cap, 0, A, 5001, 1001, 1000, 10, NO_OPTS);         /* [3] data */
	seg(&cap, 1, A, 1001, 5011, 0, 0, NO_OPTS);             /* [4] window shut */
	seg(&cap, 0, A, 5011, 1001, 1000, 1, NO_OPTS);          /* [5] probe: one new byte */
	seg(&cap, 1, A, 1001, 5011, 0, 0, NO_OPTS);             /* [6] still shut: not a dup ACK */
	seg(&cap, 0, A, 5011, 1001, 1000, 1, NO_OPTS);          /* [7] the probe again */
	seg(&cap, 1, A, 1001, 5012, 500, 0, NO_OPTS);           /* [8] open */
	seg(&cap, 1, A, 1000, 5012, 500, 0, NO_OPTS);           /* [9] keep-alive: seq one below */
	ladder_capture_finish(&cap);
	const struct ladder_segment *s = cap.conn[0].seg;
	ck_assert_uint_eq(s[4].marks, LADDER_ZERO_WINDOW);
	ck_assert_uint_eq(s[5].marks & LADDER_WINDOW_PROBE, LADDER_WINDOW_PROBE);
	ck_assert_uint_eq(s[6].marks & LADDER_DUP_ACK, 0);
	ck_assert_uint_eq(s[7].marks & (LADDER_WINDOW_PROBE | LADDER_RETRANSMISSION), LADDER_WINDOW_PROBE);
	ck_assert_uint_eq(s[9].marks, LADDER_KEEPALIVE);
	ladder_capture_free(&cap);
}
END_TEST

START_TEST(layout_words_and_annotations)
{
	struct ladder_capture cap = {0};
	struct opts o = NO_OPTS;
	o.mss = 1460, o.ws = 7, o.sack_ok = 1;
	seg(&cap, 1, Y, 1000, 0, 65535, 0, o);
	seg(&cap, 0, R | A, 0, 1001, 0, 0, NO_OPTS);
	ladder_capture_finish(&cap);

	/* What a sidecar trace would attach: the renderers must show it. */
	struct ladder_segment *s = &cap.conn[0].seg[0];
	s->annotations = calloc(2, sizeof(*s->annotations));
	s->annotations[0] = (struct ladder_annotation){strdup("SND.NXT"), strdup("1")};
	s->annotations[1] = (struct ladder_annotation){strdup("RTO"), strdup("1000")};
	s->n_annotations = 2;

	struct ladder_layout lay;
	ck_assert_int_eq(ladder_layout_build(&lay, &cap.conn[0], "dir/refused.pcap", 1, 1), 0);
	ck_assert_str_eq(lay.title, "refused.pcap, connection 1 of 1");
	ck_assert_str_eq(lay.endpoint[0], "10.0.0.1:40000");
	ck_assert_str_eq(lay.first_state[0], "CLOSED");
	ck_assert_str_eq(lay.last_state[0], "CLOSED");
	ck_assert_str_eq(lay.rows[0].label, "SYN seq=0 win=65535");
	ck_assert_str_eq(lay.rows[0].options, "<mss 1460,ws 7,sackOK>");
	ck_assert_str_eq(lay.rows[0].annotations, "SND.NXT=1 RTO=1000");
	ck_assert_str_eq(lay.rows[1].label, "RST,ACK seq=1 ack=1 win=0");
	ck_assert_int_eq(lay.rows[1].style, LADDER_STYLE_RESET);
	ck_assert_int_eq(lay.rows[1].n_notes, 1);
	ck_assert_str_eq(lay.rows[1].notes[0].state, "CLOSED");
	ck_assert_int_eq(lay.rows[1].notes[0].end, 0);
	ck_assert_int_eq(lay.rows[1].notes[0].at_arrival, 1);

	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	ladder_render_text(out, &lay);
	ladder_render_svg(out, &lay, 1);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(buf, "SND.NXT=1 RTO=1000"));
	ck_assert_ptr_nonnull(strstr(buf, "&lt;mss 1460,ws 7,sackOK&gt;"));   /* escaped in SVG */
	free(buf);
	ladder_layout_free(&lay);
	ladder_capture_free(&cap);
}
END_TEST

/* xorshift: reproducible noise without the stack's PRNG. */
static uint32_t rnd_state = 2463534242u;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

START_TEST(random_and_truncated_frames_never_crash)
{
	struct ladder_capture cap = {0};
	uint8_t f[1600];
	for (int i = 0; i < 20000; i++) {
		size_t n = tcp_frame(f, (int)(rnd() & 1), rnd() & 0xff, rnd() % 64, rnd() % 64, rnd() & 0xffff,
				     rnd() % 40, NO_OPTS);
		/* Ports from a small set, so segments pile into few connections. */
		put16(f + 34, 1 + rnd() % 3);
		switch (rnd() % 4) {
		case 0:         /* cut anywhere */
			n = rnd() % (n + 1);
			break;
		case 1:         /* scribble over the headers and options */
			for (int k = 0; k < 6; k++)
				f[rnd() % n] = (uint8_t)rnd();
			break;
		case 2:         /* TCP options of random bytes */
			f[14 + 20 + 12] = (uint8_t)((5 + rnd() % 11) << 4);
			for (size_t k = 54; k < n; k++)
				f[k] = (uint8_t)rnd();
			break;
		default:
			break;
		}
		ladder_capture_add(&cap, rnd(), f, n);
	}
	ladder_capture_finish(&cap);
	ck_assert_uint_gt(cap.n_conn, 0);
	render_all(&cap);
	ladder_capture_free(&cap);
}
END_TEST

/* LADDER_FUZZ_ROUNDS=N runs longer than ctest's default, by hand. */
static int fuzz_rounds(void)
{
	const char *env = getenv("LADDER_FUZZ_ROUNDS");
	int n = env ? atoi(env) : 0;
	return n > 0 ? n : 200;
}

START_TEST(mutated_vectors_never_crash)
{
	static const char *const vectors[] = {
		"pcaps/tcp_handshake_echo.pcap", "pcaps/tcp_active_close.pcap",
		"pcaps/tcp_simultaneous_open.pcap", "tests/tools/captures/fast_retransmit.pcap",
		"tests/tools/captures/linux_echo.pcap",
	};
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		char path[512], err[256];
		snprintf(path, sizeof(path), "%s/%s", TAPIR_SOURCE_DIR, vectors[v]);
		struct tp_pcap_reader *r = tp_pcap_reader_open(path, err, sizeof(err));
		if (!r)
			continue;       /* a vector not (yet) in the tree */
		uint8_t frames[64][1600];
		size_t lens[64], n = 0;
		tp_time t;
		const uint8_t *fr;
		size_t len;
		while (n < 64 && tp_pcap_reader_next(r, &t, &fr, &len, err, sizeof(err)) == 1) {
			lens[n] = len < sizeof(frames[0]) ? len : sizeof(frames[0]);
			memcpy(frames[n], fr, lens[n]);
			n++;
		}
		tp_pcap_reader_close(r);
		for (int round = 0; round < fuzz_rounds(); round++) {
			struct ladder_capture cap = {0};
			for (size_t i = 0; i < n; i++) {
				uint8_t f[1600];
				size_t l = lens[i];
				memcpy(f, frames[i], l);
				for (int k = 0, flips = (int)(rnd() % 4); k < flips && l; k++)
					f[rnd() % l] ^= (uint8_t)(1u << (rnd() % 8));
				if (rnd() % 8 == 0)
					l = rnd() % (l + 1);
				ladder_capture_add(&cap, (uint64_t)i * 1000, f, l);
			}
			ladder_capture_finish(&cap);
			render_all(&cap);
			ladder_capture_free(&cap);
		}
	}
}
END_TEST

START_TEST(damaged_pcap_files_are_errors_not_crashes)
{
	char src[512], path[] = "/tmp/ladder_damaged_XXXXXX", err[256];
	snprintf(src, sizeof(src), "%s/pcaps/tcp_handshake_echo.pcap", TAPIR_SOURCE_DIR);
	FILE *in = fopen(src, "rb");
	if (!in)
		return;
	uint8_t buf[8192];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);

	/* Every prefix: a cut header, a cut record. Connections read so far stay. */
	for (size_t cut = 0; cut < n; cut += 7) {
		FILE *out = fopen(path, "wb");
		fwrite(buf, 1, cut, out);
		fclose(out);
		struct ladder_capture cap = {0};
		ladder_capture_read(&cap, path, err, sizeof(err));
		render_all(&cap);
		ladder_capture_free(&cap);
	}
	/* Not a pcap at all. */
	FILE *out = fopen(path, "wb");
	fputs("this is not a capture\n", out);
	fclose(out);
	struct ladder_capture cap = {0};
	ck_assert_int_eq(ladder_capture_read(&cap, path, err, sizeof(err)), -1);
	ck_assert_uint_eq(cap.n_conn, 0);
	ladder_capture_free(&cap);
	unlink(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ladder");
	TCase *tc = tcase_create("ladder");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, client_is_whoever_sent_the_first_syn);
	tcase_add_test(tc, new_syn_after_close_is_a_new_connection);
	tcase_add_test(tc, many_connections_stay_apart);
	tcase_add_test(tc, numbers_are_relative_and_windows_scaled);
	tcase_add_test(tc, retransmission_dup_acks_and_fast_retransmit);
	tcase_add_test(tc, out_of_order_is_not_a_retransmission);
	tcase_add_test(tc, zero_window_probes_and_keepalives);
	tcase_add_test(tc, layout_words_and_annotations);
	tcase_add_test(tc, random_and_truncated_frames_never_crash);
	tcase_add_test(tc, mutated_vectors_never_crash);
	tcase_add_test(tc, damaged_pcap_files_are_errors_not_crashes);
	suite_add_tcase(s, tc);
	return check_run_suite(s);
}
