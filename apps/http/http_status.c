/* http_status.c - /status and /status.json; see http_status.h. */
#include "http_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "tapir/sock.h"
#include "tapir/tapir.h"

#define REFRESH_SECONDS 2

void http_buf_printf(struct http_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (int attempt = 0; attempt < 2 && !b->failed; attempt++) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->failed = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
}

struct page {
	struct http_buf *out;
	int json, count;
};

static void endpoint(char *buf, size_t n, tp_ip4 a, uint16_t port)
{
	char ip[16];
	snprintf(buf, n, "%s:%u", tp_ip4_format(a, ip), port);
}

static void one_connection(void *ctx, const struct tp_tcp_info *c)
{
	struct page *pg = ctx;
	char local[24], remote[24];
	endpoint(local, sizeof(local), c->laddr, c->lport);
	endpoint(remote, sizeof(remote), c->raddr, c->rport);
	if (pg->json)
		http_buf_printf(pg->out,
				"%s\n    {\"fd\": %d, \"state\": \"%s\", \"local\": \"%s\", \"remote\": \"%s\", "
				"\"cwnd\": %u, \"ssthresh\": %u, \"mss\": %u, \"srtt_us\": %llu, "
				"\"rto_us\": %llu, \"snd_wnd\": %u, \"rcv_wnd\": %u, \"recv_q\": %u, "
				"\"send_q\": %u, \"bytes_in\": %llu, \"bytes_out\": %llu, "
				"\"retransmits\": %llu}",
				pg->count ? "," : "", c->fd, c->state, local, remote, c->cwnd, c->ssthresh,
				c->mss, (unsigned long long)c->srtt, (unsigned long long)c->rto,
				c->snd_wnd, c->rcv_wnd, c->recv_q, c->send_q,
				(unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
				(unsigned long long)c->retransmits);
	else
		http_buf_printf(pg->out,
				"<tr><td>%s</td><td>%s</td><td>%s</td><td>%u</td><td>%.3f</td>"
				"<td>%llu</td><td>%llu</td><td>%llu</td><td>%u / %u</td></tr>\n",
				c->state, local, remote, c->cwnd, (double)c->srtt / 1000.0,
				(unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
				(unsigned long long)c->retransmits, c->recv_q, c->send_q);
	pg->count++;
}

static const struct {
	const char *name;
	size_t offset;
} server_rows[] = {
	{"http.connections", offsetof(struct http_server_stats, connections)},
	{"http.open", offsetof(struct http_server_stats, open)},
	{"http.requests", offsetof(struct http_server_stats, requests)},
	{"http.responses_2xx", offsetof(struct http_server_stats, responses[2])},
	{"http.responses_3xx", offsetof(struct http_server_stats, responses[3])},
	{"http.responses_4xx", offsetof(struct http_server_stats, responses[4])},
	{"http.responses_5xx", offsetof(struct http_server_stats, responses[5])},
	{"http.bytes_out", offsetof(struct http_server_stats, bytes_out)},
};

static uint64_t server_value(const struct http_server_stats *st, size_t i)
{
	return *(const uint64_t *)((const char *)st + server_rows[i].offset);
}

static void json_page(struct tp_stack *s, const struct http_server_stats *st, struct http_buf *out)
{
	struct page pg = {out, 1, 0};
	http_buf_printf(out, "{\n  \"time_us\": %llu,\n  \"connections\": [",
			(unsigned long long)tp_now(s));
	tp_tcp_foreach(s, one_connection, &pg);
	http_buf_printf(out, "\n  ],\n  \"server\": {");
	for (size_t i = 0; i < sizeof(server_rows) / sizeof(server_rows[0]); i++)
		http_buf_printf(out, "%s\n    \"%s\": %llu", i ? "," : "", server_rows[i].name,
				(unsigned long long)server_value(st, i));
	http_buf_printf(out, "\n  },\n  \"counters\": {");
	for (int id = 0; id < TP_STAT_COUNT; id++)
		http_buf_printf(out, "%s\n    \"%s\": %llu", id ? "," : "",
				tp_stat_name((enum tp_stat_id)id),
				(unsigned long long)tp_stat(s, (enum tp_stat_id)id));
	http_buf_printf(out, "\n  }\n}\n");
}

static void html_page(struct tp_stack *s, const struct http_server_stats *st, struct http_buf *out)
{
	struct page pg = {out, 0, 0};
	http_buf_printf(out,
			"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			"<meta http-equiv=\"refresh\" content=\"%d\"><title>tapir status</title>\n"
			"<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
			"td,th{border:1px solid #ccc;padding:.15em .5em;text-align:right}"
			"td:first-child,th:first-child{text-align:left}</style></head><body>\n"
			"<h1>tapir status</h1><p>Refreshes every %d s. Stack time %.3f s. "
			"<a href=\"/status.json\">JSON</a> &middot; <a href=\"/\">home</a></p>\n"
			"<h2>TCP connections</h2>\n<table><tr><th>state</th><th>local</th><th>remote</th>"
			"<th>cwnd</th><th>srtt ms</th><th>bytes in</th><th>bytes out</th>"
			"<th>retransmits</th><th>recv-q / send-q</th></tr>\n",
			REFRESH_SECONDS, REFRESH_SECONDS, (double)tp_now(s) / 1e6);
	tp_tcp_foreach(s, one_connection, &pg);
	http_buf_printf(out, "</table><p>%d connection%s (this page's own included).</p>\n"
			"<h2>Counters</h2>\n<table><tr><th>counter</th><th>value</th><th>meaning</th></tr>\n",
			pg.count, pg.count == 1 ? "" : "s");
	for (size_t i = 0; i < sizeof(server_rows) / sizeof(server_rows[0]); i++)
		http_buf_printf(out, "<tr><td>%s</td><td>%llu</td><td></td></tr>\n", server_rows[i].name,
				(unsigned long long)server_value(st, i));
	for (int id = 0; id < TP_STAT_COUNT; id++) {
		uint64_t v = tp_stat(s, (enum tp_stat_id)id);
		if (v)
			http_buf_printf(out, "<tr><td>%s</td><td>%llu</td><td>%s</td></tr>\n",
					tp_stat_name((enum tp_stat_id)id), (unsigned long long)v,
					tp_stat_help((enum tp_stat_id)id));
	}
	http_buf_printf(out, "</table><p>(Counters at zero are left out; /status.json has them all.)</p>"
			"\n</body></html>\n");
}

void http_status_page(struct tp_stack *s, const struct http_server_stats *st, int json,
		      struct http_buf *out)
{
	if (json)
		json_page(s, st, out);
	else
		html_page(s, st, out);
}
