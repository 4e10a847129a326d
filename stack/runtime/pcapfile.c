#include "tapir/pcap.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN 65535
#define RECENT_FRAMES 256       /* TCP frames a late snapshot can still find */
#define WAITING_VARS 32         /* snapshots whose frame is not out yet (ARP) */

/* What ties a snapshot to its frame: the segment as on the wire. */
struct seg_key {
	uint32_t src, dst, seq, ack, len;
	uint16_t sport, dport;
	uint8_t flags;
};

struct vars_sidecar {
	FILE *f;
	struct { uint64_t index; struct seg_key key; int done; } recent[RECENT_FRAMES];
	size_t n_recent, next_recent;
	struct { struct tp_tcp_vars v; tp_time now; } waiting[WAITING_VARS];
	size_t n_waiting;
};

struct tp_pcap_writer {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	tp_time epoch;
	uint64_t frames;                /* written so far: the next frame's index */
	struct vars_sidecar *vars;      /* NULL: no sidecar */
};

struct tp_pcap_reader {
	pcap_t *pcap;
};

struct tp_pcap_writer *tp_pcap_writer_open(const char *path, tp_time epoch, char *err, size_t errlen)
{
	struct tp_pcap_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->epoch = epoch;
	w->dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	if (w->dead)
		w->dumper = pcap_dump_open(w->dead, path);
	if (!w->dumper) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 w->dead ? pcap_geterr(w->dead) : "libpcap failed");
		if (w->dead)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

/* --- the TCP variables sidecar ------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* An Ethernet/IPv4/TCP frame's key; 0 if it is not one (fragments neither). */
static int frame_key(const uint8_t *f, size_t len, struct seg_key *k)
{
	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14] >> 4 != 4 || f[14 + 9] != 6)
		return 0;
	size_t ihl = (size_t)(f[14] & 15) * 4, total = (size_t)f[16] << 8 | f[17];
	if (ihl < 20 || total < ihl + 20 || 14 + total > len || ((f[20] & 0x3f) | f[21]))
		return 0;
	const uint8_t *t = f + 14 + ihl;
	size_t hl = (size_t)(t[12] >> 4) * 4;
	if (hl < 20 || ihl + hl > total)
		return 0;
	*k = (struct seg_key){
		.src = be32(f + 26), .dst = be32(f + 30), .seq = be32(t + 4),
		.ack = t[13] & 0x10 ? be32(t + 8) : 0, .len = (uint32_t)(total - ihl - hl),
		.sport = (uint16_t)(t[0] << 8 | t[1]), .dport = (uint16_t)(t[2] << 8 | t[3]),
		.flags = t[13] & 0x3f,
	};
	return 1;
}

static struct seg_key vars_key(const struct tp_tcp_vars *v)
{
	return (struct seg_key){.src = v->src, .dst = v->dst, .seq = v->seq, .ack = v->ack, .len = v->len,
				.sport = v->sport, .dport = v->dport, .flags = v->flags};
}

static int same_key(const struct seg_key *a, const struct seg_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->seq == b->seq && a->ack == b->ack &&
	       a->len == b->len && a->sport == b->sport && a->dport == b->dport && a->flags == b->flags;
}

static void write_vars_line(FILE *f, uint64_t index, tp_time now, const struct tp_tcp_vars *v)
{
	fprintf(f, "%llu %s state=%s", (unsigned long long)index, v->dir == TP_TCP_VARS_IN ? "in" : "out",
		v->state);
	if (v->gone) {
		fputc('\n', f);
		return;
	}
	fprintf(f, " snd.una=%u snd.nxt=%u snd.wnd=%u rcv.nxt=%u rcv.wnd=%u cwnd=%u", v->snd_una, v->snd_nxt,
		v->snd_wnd, v->rcv_nxt, v->rcv_wnd, v->cwnd);
	if (v->ssthresh == UINT32_MAX)
		fputs(" ssthresh=inf", f);
	else
		fprintf(f, " ssthresh=%u", v->ssthresh);
	fprintf(f, " srtt=%llu rto=%llu timers=", (unsigned long long)v->srtt, (unsigned long long)v->rto);
	const char *sep = "";
	for (int i = 0; i < TP_TCP_TIMERS; i++) {
		if (v->timer[i] == TP_TIME_NEVER)
			continue;
		fprintf(f, "%s%s:%llu", sep, tp_tcp_timer_name((unsigned)i),
			(unsigned long long)(v->timer[i] > now ? v->timer[i] - now : 0));
		sep = ",";
	}
	fprintf(f, "%s\n", *sep ? "" : "-");
}

int tp_pcap_writer_add_vars(struct tp_pcap_writer *w, const char *pcap_path, char *err, size_t errlen)
{
	size_t n = strlen(pcap_path) + sizeof(".vars");
	char *path = malloc(n);
	w->vars = calloc(1, sizeof(*w->vars));
	if (!path || !w->vars) {
		free(path);
		free(w->vars);
		w->vars = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(path, n, "%s.vars", pcap_path);
	w->vars->f = fopen(path, "w");
	if (!w->vars->f) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		free(path);
		free(w->vars);
		w->vars = NULL;
		return -1;
	}
	free(path);
	fputs("# tapir-vars 1\n"
	      "# FRAME DIR key=value...: tapir's TCP variables once it was done with the segment in\n"
	      "# frame FRAME of the pcap (0 is the first), DIR in (received) or out (sent).\n"
	      "# Sequence numbers absolute; srtt, rto and timers (time left) in microseconds.\n",
	      w->vars->f);
	return 0;
}

/* The newest frame with this key that has no line yet; its slot, or -1. */
static long find_recent(struct vars_sidecar *vs, const struct seg_key *k)
{
	for (size_t i = 0; i < vs->n_recent; i++) {
		size_t at = (vs->next_recent + RECENT_FRAMES - 1 - i) % RECENT_FRAMES;
		if (!vs->recent[at].done && same_key(&vs->recent[at].key, k))
			return (long)at;
	}
	return -1;
}

void tp_pcap_writer_vars(struct tp_pcap_writer *w, tp_time now, const struct tp_tcp_vars *v)
{
	struct vars_sidecar *vs = w ? w->vars : NULL;
	if (!vs)
		return;
	struct seg_key k = vars_key(v);
	long at = find_recent(vs, &k);
	if (at >= 0) {
		vs->recent[at].done = 1;
		write_vars_line(vs->f, vs->recent[at].index, now, v);
		return;
	}
	if (vs->n_waiting == WAITING_VARS) {    /* never sent, it seems: forget the oldest */
		memmove(&vs->waiting[0], &vs->waiting[1], (WAITING_VARS - 1) * sizeof(vs->waiting[0]));
		vs->n_waiting--;
	}
	vs->waiting[vs->n_waiting].v = *v;
	vs->waiting[vs->n_waiting++].now = now;
}

/* A frame just written: remembered, and given a waiting snapshot if one is its. */
static void vars_frame(struct vars_sidecar *vs, uint64_t index, const uint8_t *frame, size_t len)
{
	struct seg_key k;
	int taken = 0;
	if (!frame_key(frame, len, &k))
		return;
	for (size_t i = 0; i < vs->n_waiting && !taken; i++) {
		struct seg_key wk = vars_key(&vs->waiting[i].v);
		if (same_key(&wk, &k)) {
			write_vars_line(vs->f, index, vs->waiting[i].now, &vs->waiting[i].v);
			memmove(&vs->waiting[i], &vs->waiting[i + 1], (vs->n_waiting - i - 1) * sizeof(vs->waiting[0]));
			vs->n_waiting--;
			taken = 1;
		}
	}
	vs->recent[vs->next_recent].index = index;
	vs->recent[vs->next_recent].key = k;
	vs->recent[vs->next_recent].done = taken;
	vs->next_recent = (vs->next_recent + 1) % RECENT_FRAMES;
	if (vs->n_recent < RECENT_FRAMES)
		vs->n_recent++;
}

/* --- the pcap ------------------------------------------------------------ */

void tp_pcap_writer_frame(struct tp_pcap_writer *w, tp_time t, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;
	tp_time stamp = t + w->epoch;
	h.ts.tv_sec = (time_t)(stamp / 1000000u);
	h.ts.tv_usec = (suseconds_t)(stamp % 1000000u);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < SNAPLEN ? len : SNAPLEN);
	pcap_dump((u_char *)w->dumper, &h, frame);
	if (w->vars)
		vars_frame(w->vars, w->frames, frame, h.caplen);
	w->frames++;
}

void tp_pcap_writer_flush(struct tp_pcap_writer *w)
{
	pcap_dump_flush(w->dumper);
	if (w->vars)
		fflush(w->vars->f);
}

void tp_pcap_writer_close(struct tp_pcap_writer *w)
{
	if (!w)
		return;
	if (w->vars) {
		fclose(w->vars->f);
		free(w->vars);
	}
	pcap_dump_close(w->dumper);
	pcap_close(w->dead);
	free(w);
}

struct tp_pcap_reader *tp_pcap_reader_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	struct tp_pcap_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->pcap = pcap_open_offline(path, perr);
	if (!r->pcap) {
		snprintf(err, errlen, "cannot read %s: %s", path, perr);
		free(r);
		return NULL;
	}
	if (pcap_datalink(r->pcap) != DLT_EN10MB) {
		snprintf(err, errlen, "%s: not an Ethernet capture (link type %d)", path,
			 pcap_datalink(r->pcap));
		pcap_close(r->pcap);
		free(r);
		return NULL;
	}
	return r;
}

int tp_pcap_reader_next(struct tp_pcap_reader *r, tp_time *t, const uint8_t **frame, size_t *len,
			char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(r->pcap, &h, &data);
	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		snprintf(err, errlen, "damaged capture: %s", pcap_geterr(r->pcap));
		return -1;
	}
	*t = (tp_time)h->ts.tv_sec * 1000000u + (tp_time)h->ts.tv_usec;
	*frame = data;
	*len = h->caplen;
	return 1;
}

void tp_pcap_reader_close(struct tp_pcap_reader *r)
{
	if (!r)
		return;
	pcap_close(r->pcap);
	free(r);
}
