/* ping.c - `tapir ping`: ICMP echo from a virtual host, iputils-style. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "vhost.h"

#define ICMP_HDR_LEN 8
#define IP_HDR_LEN 20
#define PING_MAX_SIZE (65535 - IP_HDR_LEN - ICMP_HDR_LEN)
#define STAMP_LEN sizeof(tp_time)    /* the send time at the start of each payload */

struct ping_options {
	uint64_t count;             /* 0: until Ctrl-C */
	tp_time interval;
	uint64_t size;
	tp_time linger;             /* after the last request, how long to wait */
};

struct ping {
	struct vhost vh;
	struct ping_options opt;
	tp_ip4 target;
	char target_text[16];
	uint16_t ident;
	uint64_t sent, received, duplicates, errors;
	tp_time first_sent, last_sent;
	tp_time rtt_min, rtt_max;
	double rtt_sum, rtt_sum2;   /* in ms, for avg and mdev */
	uint64_t rtt_count;
	uint8_t *payload;
	struct tp_loop_timer *send_timer, *linger_timer;
	/* By icmp_seq: requests out (so replies nobody asked for are ignored)
	 * and requests answered (so a second answer is a DUP!). */
	uint8_t outstanding[65536 / 8], answered[65536 / 8];
};

static int bit(const uint8_t *set, uint16_t i) { return set[i / 8] >> (i % 8) & 1; }
static void bit_set(uint8_t *set, uint16_t i) { set[i / 8] |= (uint8_t)(1u << (i % 8)); }
static void bit_clear(uint8_t *set, uint16_t i) { set[i / 8] &= (uint8_t)~(1u << (i % 8)); }

/* --- options ------------------------------------------------------------ */

static int set_count(void *t, const char *v, char *err, size_t n)
{
	return cli_uint(v, 1, UINT32_MAX, &((struct ping_options *)t)->count, err, n);
}

static int set_interval(void *t, const char *v, char *err, size_t n)
{
	return cli_seconds(v, TP_MSEC(1), TP_SEC(3600), &((struct ping_options *)t)->interval, err, n);
}

static int set_size(void *t, const char *v, char *err, size_t n)
{
	return cli_uint(v, 0, PING_MAX_SIZE, &((struct ping_options *)t)->size, err, n);
}

static int set_linger(void *t, const char *v, char *err, size_t n)
{
	return cli_seconds(v, TP_MSEC(1), TP_SEC(3600), &((struct ping_options *)t)->linger, err, n);
}

static const struct cli_option ping_options[] = {
	{"count", 'c', "N", "stop after N requests (default: at Ctrl-C)", set_count},
	{"interval", 'i', "SEC", "seconds between requests (default 1)", set_interval},
	{"size", 's', "SIZE", "payload bytes, 0..65507 (default 56)", set_size},
	{"timeout", 'W', "SEC", "wait for replies after the last request (default 10)", set_linger},
	{NULL, 0, NULL, NULL, NULL},
};

/* --- the conversation ----------------------------------------------------- */

static uint8_t pattern_byte(size_t i) { return (uint8_t)i; }

static void format_ms(tp_time us, char *buf, size_t size)
{
	/* As iputils: three significant decimals below 1 ms, fewer above. */
	double ms = (double)us / 1000.0;
	int decimals = ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0;
	snprintf(buf, size, "%.*f", decimals, ms);
}

static void finish_if_done(struct ping *p)
{
	if (p->opt.count && p->sent == p->opt.count && p->received + p->errors >= p->opt.count)
		tp_loop_stop(p->vh.loop);
}

static void send_request(void *ctx)
{
	struct ping *p = ctx;
	uint16_t seq = (uint16_t)(p->sent + 1);     /* iputils counts from 1 */
	tp_time now = tp_clock_now();

	if (p->opt.size >= STAMP_LEN)
		memcpy(p->payload, &now, STAMP_LEN);
	bit_set(p->outstanding, seq);
	bit_clear(p->answered, seq);
	int e = tp_ping_send(p->vh.stack, p->target, p->ident, seq, p->payload, p->opt.size);
	if (e < 0)
		printf("ping: sending icmp_seq=%u: %s\n", seq, strerror(-e));
	if (!p->sent)
		p->first_sent = now;
	p->last_sent = now;
	p->sent++;
	if (p->opt.count && p->sent == p->opt.count) {
		tp_loop_timer_stop(p->send_timer);
		tp_loop_timer_start(p->linger_timer, p->opt.linger, 0);
		finish_if_done(p);
	}
}

static void linger_over(void *ctx)
{
	struct ping *p = ctx;
	tp_loop_stop(p->vh.loop);
}

static const char *unreachable_text(int error)
{
	switch (error) {
	case -EHOSTUNREACH: return "Destination Host Unreachable";
	case -ENETUNREACH: return "Destination Net Unreachable";
	case -ECONNREFUSED: return "Destination Port Unreachable";
	case -ENOPROTOOPT: return "Destination Protocol Unreachable";
	case -EMSGSIZE: return "Frag needed and DF set";
	case -EPROTO: return "Parameter problem";
	default: return strerror(-error);
	}
}

/* The payload came back as sent (after the stamp)? */
static int payload_intact(const struct ping *p, const struct tp_echo_reply *r)
{
	if (r->len != p->opt.size)
		return 0;
	for (size_t i = STAMP_LEN; i < r->len; i++)
		if (r->data[i] != pattern_byte(i))
			return 0;
	return 1;
}

static void on_reply(void *ctx, const struct tp_echo_reply *r)
{
	struct ping *p = ctx;
	char from[16];

	if (r->ident != p->ident || !bit(p->outstanding, r->seq))
		return;             /* not an answer to anything we asked */
	tp_ip4_format(r->from, from);
	if (r->error) {
		p->errors++;
		printf("From %s icmp_seq=%u %s\n", from, r->seq, unreachable_text(r->error));
		finish_if_done(p);
		return;
	}
	int dup = bit(p->answered, r->seq);
	if (dup)
		p->duplicates++;
	else
		p->received++;
	bit_set(p->answered, r->seq);

	char time_text[48] = "";
	tp_time now = tp_clock_now(), stamp;
	if (p->opt.size >= STAMP_LEN && r->len >= STAMP_LEN) {
		memcpy(&stamp, r->data, STAMP_LEN);
		/* A stamp from the future or before we started is not ours. */
		if (stamp >= p->first_sent && stamp <= now) {
			tp_time rtt = now - stamp;
			char ms[24];
			format_ms(rtt, ms, sizeof(ms));
			snprintf(time_text, sizeof(time_text), " time=%s ms", ms);
			if (!dup) {
				double v = (double)rtt / 1000.0;
				if (!p->rtt_count || rtt < p->rtt_min)
					p->rtt_min = rtt;
				if (rtt > p->rtt_max)
					p->rtt_max = rtt;
				p->rtt_sum += v;
				p->rtt_sum2 += v * v;
				p->rtt_count++;
			}
		}
	}
	printf("%zu bytes from %s: icmp_seq=%u ttl=%u%s%s%s\n", r->len + ICMP_HDR_LEN, from, r->seq,
	       r->ttl, time_text, dup ? " (DUP!)" : "", payload_intact(p, r) ? "" : " (BAD DATA)");
	finish_if_done(p);
}

static void print_summary(const struct ping *p)
{
	tp_time span = p->sent ? p->last_sent - p->first_sent : 0;
	printf("\n--- %s ping statistics ---\n", p->target_text);
	printf("%llu packets transmitted, %llu received", (unsigned long long)p->sent,
	       (unsigned long long)p->received);
	if (p->duplicates)
		printf(", +%llu duplicates", (unsigned long long)p->duplicates);
	if (p->errors)
		printf(", +%llu errors", (unsigned long long)p->errors);
	if (p->sent)
		printf(", %g%% packet loss",
		       (double)(p->sent - (p->received < p->sent ? p->received : p->sent)) * 100.0 /
			       (double)p->sent);
	printf(", time %llums\n", (unsigned long long)(span / 1000u));
	if (p->rtt_count) {
		double n = (double)p->rtt_count, avg = p->rtt_sum / n;
		double var = p->rtt_sum2 / n - avg * avg;
		printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", (double)p->rtt_min / 1000.0,
		       avg, (double)p->rtt_max / 1000.0, var > 0 ? sqrt(var) : 0.0);
	}
}

static int ping_run(struct ping *p)
{
	p->payload = malloc(p->opt.size ? p->opt.size : 1);
	p->send_timer = tp_loop_timer_new(p->vh.loop, send_request, p);
	p->linger_timer = tp_loop_timer_new(p->vh.loop, linger_over, p);
	if (!p->payload || !p->send_timer || !p->linger_timer ||
	    tp_loop_timer_start(p->send_timer, 0, p->opt.interval) < 0) {
		fprintf(stderr, "tapir ping: %s\n", strerror(ENOMEM));
		return -1;
	}
	for (size_t i = 0; i < p->opt.size; i++)
		p->payload[i] = pattern_byte(i);
	tp_set_echo_handler(p->vh.stack, on_reply, p);
	printf("PING %s (%s) %llu(%llu) bytes of data.\n", p->target_text, p->target_text,
	       (unsigned long long)p->opt.size,
	       (unsigned long long)(p->opt.size + ICMP_HDR_LEN + IP_HDR_LEN));
	int failed = vhost_run(&p->vh) < 0;
	print_summary(p);
	return failed ? -1 : 0;
}

int cmd_ping(int argc, char **argv)
{
	struct vhost_config net;
	vhost_config_defaults(&net);
	struct ping *p = calloc(1, sizeof(*p));
	if (!p) {
		fprintf(stderr, "tapir ping: %s\n", strerror(ENOMEM));
		return 1;
	}
	p->opt = (struct ping_options){.interval = TP_SEC(1), .size = 56, .linger = TP_SEC(10)};
	const struct cli_group groups[] = {
		{"ping", ping_options, &p->opt},
		{VHOST_OPTIONS_TITLE, vhost_options, &net},
	};
	const struct cli_command cmd = {
		.name = "tapir ping",
		.synopsis = "[options] HOST",
		.about = "Brings up a virtual host on a new TAP and pings HOST (an IPv4 address) from it.",
		.groups = groups,
		.n_groups = 2,
		.min_operands = 1,
		.max_operands = 1,
	};
	char *host;
	int n_operands, status = CLI_EXIT_USAGE;
	int parsed = cli_parse(&cmd, argc, argv, &host, &n_operands);
	if (parsed != CLI_OK) {
		status = parsed;
		goto out;
	}
	if (cli_host(&cmd, host, &p->target) < 0)
		goto out;
	if (vhost_config_check(&net, &cmd) < 0)
		goto out;
	tp_ip4_format(p->target, p->target_text);
	p->ident = (uint16_t)getpid();
	status = 1;
	if (vhost_up(&p->vh, &net) < 0)
		goto out;
	int failed = ping_run(p) < 0;
	tp_loop_timer_free(p->send_timer);
	tp_loop_timer_free(p->linger_timer);
	vhost_down(&p->vh, net.trace ? stderr : NULL);
	status = !failed && p->received ? 0 : 1;
out:
	free(p->payload);
	free(p);
	return status;
}
