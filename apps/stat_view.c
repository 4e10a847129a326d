/* stat_view.c - records of a control answer into `ss`/`netstat`-like tables;
 * see stat_view.h. */
#include "stat_view.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "tapir/stats.h"

#define RECORD_MAX_FIELDS 32
#define RECORD_KEY_MAX 24
#define RECORD_VALUE_MAX 48
#define UNKNOWN "?"

/* --- records ------------------------------------------------------------- */

struct record {
	char type[RECORD_KEY_MAX];
	size_t n;
	struct {
		char key[RECORD_KEY_MAX], value[RECORD_VALUE_MAX];
	} field[RECORD_MAX_FIELDS];
};

/* Copies src[0..len) into dst (size bytes) with anything but printable,
 * non-space ASCII replaced by '?', cut to fit. */
static void copy_shown(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[n] = '\0';
}

/* Splits line[0..len) into a type word and key=value fields; words without
 * '=' and fields past the limit are dropped. */
static void record_parse(const char *line, size_t len, struct record *r)
{
	const char *p = line, *end = line + len;
	r->n = 0;
	r->type[0] = '\0';
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		const char *word = p;
		while (p < end && *p != ' ')
			p++;
		if (p == word)
			break;
		if (word == line) {
			copy_shown(r->type, sizeof(r->type), word, (size_t)(p - word));
			continue;
		}
		const char *eq = memchr(word, '=', (size_t)(p - word));
		if (!eq || eq == word || r->n == RECORD_MAX_FIELDS)
			continue;
		copy_shown(r->field[r->n].key, RECORD_KEY_MAX, word, (size_t)(eq - word));
		copy_shown(r->field[r->n].value, RECORD_VALUE_MAX, eq + 1, (size_t)(p - eq - 1));
		r->n++;
	}
}

static const char *record_get(const struct record *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->field[i].key, key))
			return r->field[i].value;
	return UNKNOWN;
}

/* A decimal field into *out: 0, or -1 when missing or not a number. */
static int record_u64(const struct record *r, const char *key, uint64_t *out)
{
	const char *s = record_get(r, key);
	uint64_t v = 0;
	if (!*s || !strcmp(s, UNKNOWN))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/* The answer's lines one at a time: *line and *len, 0 past the last. */
static int next_line(const char **cursor, const char **line, size_t *len)
{
	const char *p = *cursor;
	if (!*p)
		return 0;
	const char *nl = strchr(p, '\n');
	*line = p;
	*len = nl ? (size_t)(nl - p) : strlen(p);
	*cursor = nl ? nl + 1 : p + *len;
	return 1;
}

/* A tapir header first, "end" last, no "error": 0, else -1 and why. */
static int check_answer(const char *answer, char *err, size_t errlen)
{
	const char *cursor = answer, *line;
	size_t len, count = 0;
	int ended = 0;
	while (next_line(&cursor, &line, &len)) {
		char shown[200];
		if (len >= 6 && !strncmp(line, "error ", 6)) {
			/* Its text keeps its spaces; nothing else unprintable. */
			size_t n = len - 6 < sizeof(shown) - 1 ? len - 6 : sizeof(shown) - 1;
			for (size_t i = 0; i < n; i++)
				shown[i] = line[6 + i] >= 0x20 && line[6 + i] < 0x7f ? line[6 + i] : '?';
			shown[n] = '\0';
			snprintf(err, errlen, "tapir answered: %s", shown);
			return -1;
		}
		if (count++ == 0 && (len < 6 || strncmp(line, "tapir ", 6))) {
			copy_shown(shown, 40, line, len);
			snprintf(err, errlen, "not a tapir control socket (it answered '%s')", shown);
			return -1;
		}
		ended = len == 3 && !strncmp(line, "end", 3);
	}
	if (!count) {
		snprintf(err, errlen, "the control socket closed without an answer");
		return -1;
	}
	if (!ended) {
		snprintf(err, errlen, "the answer was cut short (did tapir stop?)");
		return -1;
	}
	return 0;
}

/* --- tables -------------------------------------------------------------- */

struct table {
	enum stat_view view;
	int with_info;
	FILE *out;
	uint64_t rows, total;       /* rows drawn; the summary's sum */
	uint64_t stacks;            /* the TAP's queues, each a stack (the "tapir" line) */
};

/* "*:*" for the unspecified address and port, as ss shows it. */
static const char *endpoint(const char *value)
{
	return strcmp(value, "0.0.0.0:0") ? value : "*:*";
}

static void print_header(const struct table *t)
{
	switch (t->view) {
	case STAT_VIEW_SUMMARY:
		fprintf(t->out, "%-13s %7s\n", "State", "Count");
		break;
	case STAT_VIEW_CONNS:
		fprintf(t->out, "%-12s %7s %7s %-21s %s\n", "State", "Recv-Q", "Send-Q",
			"Local Address:Port", "Peer Address:Port");
		break;
	case STAT_VIEW_LISTENERS:
		fprintf(t->out, "%-21s %8s %6s %7s\n", "Local Address:Port", "Accept-Q", "SYN-Q",
			"Backlog");
		break;
	case STAT_VIEW_UDP:
		fprintf(t->out, "%-7s %7s %9s %-21s %s\n", "State", "Recv-Q", "Datagrams",
			"Local Address:Port", "Peer Address:Port");
		break;
	case STAT_VIEW_COUNTERS:
	case STAT_VIEW_COUNT:
		break;
	}
}

/* Microseconds as milliseconds ("0.412", "200"), "-" for 0 (no sample yet). */
static void format_ms(const struct record *r, const char *key, char *buf, size_t size)
{
	uint64_t us;
	if (record_u64(r, key, &us) < 0)
		snprintf(buf, size, UNKNOWN);
	else if (us == 0)
		snprintf(buf, size, "-");
	else if (us % 1000 == 0)
		snprintf(buf, size, "%" PRIu64, us / 1000);
	else
		snprintf(buf, size, "%" PRIu64 ".%03" PRIu64, us / 1000, us % 1000);
}

/* The negotiated options as ss -i shows them ("sack,ts,wscale:7,3"), "-"
 * for none, UNKNOWN from a tapir too old to say. */
static void format_opts(const struct record *r, char *buf, size_t size)
{
	const char *sack = record_get(r, "sack"), *ts = record_get(r, "ts");
	const char *snd = record_get(r, "snd_wscale"), *rcv = record_get(r, "rcv_wscale");
	if (!strcmp(sack, UNKNOWN) || !strcmp(ts, UNKNOWN) || !strcmp(snd, UNKNOWN) ||
	    !strcmp(rcv, UNKNOWN)) {
		snprintf(buf, size, UNKNOWN);
		return;
	}
	int has_sack = strcmp(sack, "0") != 0, has_ts = strcmp(ts, "0") != 0;
	if (strcmp(snd, "-1"))
		snprintf(buf, size, "%s%swscale:%s,%s", has_sack ? "sack," : "", has_ts ? "ts," : "",
			 snd, rcv);
	else if (has_sack || has_ts)
		snprintf(buf, size, "%s%s%s", has_sack ? "sack" : "", has_sack && has_ts ? "," : "",
			 has_ts ? "ts" : "");
	else
		snprintf(buf, size, "-");
}

static void print_tcp_info(const struct table *t, const struct record *r)
{
	char srtt[32], rto[32], opts[64];
	uint64_t ssthresh;
	format_ms(r, "srtt_us", srtt, sizeof(srtt));
	format_ms(r, "rto_us", rto, sizeof(rto));
	format_opts(r, opts, sizeof(opts));
	/* tapir starts ssthresh "arbitrarily high" (RFC 5681 §3.1) at 2^31 - 1. */
	int infinite = record_u64(r, "ssthresh", &ssthresh) == 0 && ssthresh >= UINT32_MAX / 2;
	fprintf(t->out, "\t cwnd:%s ssthresh:%s mss:%s srtt:%sms rto:%sms snd_wnd:%s rcv_wnd:%s "
		"retrans:%s bytes_in:%s bytes_out:%s opts:%s", record_get(r, "cwnd"),
		infinite ? "inf" : record_get(r, "ssthresh"), record_get(r, "mss"), srtt, rto,
		record_get(r, "snd_wnd"), record_get(r, "rcv_wnd"), record_get(r, "retrans"),
		record_get(r, "bytes_in"), record_get(r, "bytes_out"), opts);
	if (t->stacks > 1)
		fprintf(t->out, " queue:%s", record_get(r, "queue"));
	fputc('\n', t->out);
}

static void print_tcp(struct table *t, const struct record *r)
{
	int listening = !strcmp(record_get(r, "state"), "LISTEN");
	if (t->view == STAT_VIEW_LISTENERS) {
		if (!listening)
			return;
		fprintf(t->out, "%-21s %8s %6s %7s\n", record_get(r, "local"),
			record_get(r, "accept_q"), record_get(r, "syn_q"), record_get(r, "backlog"));
		t->rows++;
		return;
	}
	/* As ss: a listener's Recv-Q is its accept queue, Send-Q its backlog. */
	fprintf(t->out, "%-12s %7s %7s %-21s %s\n", record_get(r, "state"),
		record_get(r, listening ? "accept_q" : "recv_q"),
		record_get(r, listening ? "backlog" : "send_q"), record_get(r, "local"),
		listening ? "*:*" : endpoint(record_get(r, "peer")));
	if (t->with_info && !listening)
		print_tcp_info(t, r);
	t->rows++;
}

static void print_udp(struct table *t, const struct record *r)
{
	const char *peer = endpoint(record_get(r, "peer"));
	fprintf(t->out, "%-7s %7s %9s %-21s %s\n", strcmp(peer, "*:*") ? "ESTAB" : "UNCONN",
		record_get(r, "queued_bytes"), record_get(r, "queued"), record_get(r, "local"), peer);
	t->rows++;
}

static void print_state(struct table *t, const struct record *r)
{
	uint64_t n;
	if (record_u64(r, "count", &n) == 0)
		t->total += n;
	fprintf(t->out, "%-13s %7s\n", record_get(r, "name"), record_get(r, "count"));
	t->rows++;
}

/* The heading for a counter's layer ("tcp.in" -> "TCP:"). */
static const char *layer_title(const char *name, size_t len)
{
	static const struct {
		const char *prefix, *title;
	} layers[] = {{"eth", "Ethernet"}, {"arp", "ARP"}, {"ip", "IP"}, {"icmp", "ICMP"},
		      {"tcp", "TCP"}, {"udp", "UDP"}, {"sock", "Sockets"}, {"mem", "Memory"}};
	for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++)
		if (strlen(layers[i].prefix) == len && !strncmp(name, layers[i].prefix, len))
			return layers[i].title;
	return NULL;
}

static const char *counter_help(const char *name)
{
	for (int id = 0; id < TP_STAT_COUNT; id++)
		if (!strcmp(tp_stat_name((enum tp_stat_id)id), name))
			return tp_stat_help((enum tp_stat_id)id);
	return "";              /* a counter newer than this tapir stat */
}

static void print_counter(struct table *t, const struct record *r, char *layer, size_t layer_size)
{
	const char *name = record_get(r, "name"), *dot = strchr(name, '.');
	size_t len = dot ? (size_t)(dot - name) : strlen(name);
	if (strlen(layer) != len || strncmp(layer, name, len)) {
		const char *title = layer_title(name, len);
		fprintf(t->out, "%s%s%.*s:\n", t->rows ? "\n" : "", title ? title : "",
			title ? 0 : (int)len, name);
		copy_shown(layer, layer_size, name, len);
	}
	fprintf(t->out, "  %14s  %-24s %s\n", record_get(r, "value"), name, counter_help(name));
	t->rows++;
}

const char *stat_view_request(enum stat_view view)
{
	static const char *const requests[STAT_VIEW_COUNT] = {
		[STAT_VIEW_SUMMARY] = "summary", [STAT_VIEW_CONNS] = "conns",
		[STAT_VIEW_LISTENERS] = "listeners", [STAT_VIEW_UDP] = "udp",
		[STAT_VIEW_COUNTERS] = "counters"};
	return view < STAT_VIEW_COUNT ? requests[view] : NULL;
}

int stat_view_render(enum stat_view view, int with_info, const char *answer, FILE *out,
		     char *err, size_t errlen)
{
	if (view >= STAT_VIEW_COUNT) {
		snprintf(err, errlen, "no such view");
		return -1;
	}
	if (check_answer(answer, err, errlen) < 0)
		return -1;
	struct table t = {.view = view, .with_info = with_info, .out = out};
	struct record r;
	char layer[RECORD_KEY_MAX] = "";
	const char *cursor = answer, *line;
	size_t len;
	print_header(&t);
	while (next_line(&cursor, &line, &len)) {
		record_parse(line, len, &r);
		if (!strcmp(r.type, "tapir") && record_u64(&r, "stacks", &t.stacks) < 0)
			t.stacks = 1;
		if (!strcmp(r.type, "tcp") && (view == STAT_VIEW_CONNS || view == STAT_VIEW_LISTENERS))
			print_tcp(&t, &r);
		else if (!strcmp(r.type, "udp") && view == STAT_VIEW_UDP)
			print_udp(&t, &r);
		else if (!strcmp(r.type, "state") && view == STAT_VIEW_SUMMARY)
			print_state(&t, &r);
		else if (!strcmp(r.type, "counter") && view == STAT_VIEW_COUNTERS)
			print_counter(&t, &r, layer, sizeof(layer));
		else if (!strcmp(r.type, "truncated"))
			fprintf(out, "... and %s more not shown (tapir's answer hit its size limit)\n",
				record_get(&r, "omitted"));
	}
	if (view == STAT_VIEW_SUMMARY)
		fprintf(out, "%-13s %7" PRIu64 "\n", "total", t.total);
	return 0;
}
