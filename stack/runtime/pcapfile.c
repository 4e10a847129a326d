#include "tapir/pcap.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAPLEN 65535

struct tp_pcap_writer {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	tp_time epoch;
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

void tp_pcap_writer_frame(struct tp_pcap_writer *w, tp_time t, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;
	tp_time stamp = t + w->epoch;
	h.ts.tv_sec = (time_t)(stamp / 1000000u);
	h.ts.tv_usec = (suseconds_t)(stamp % 1000000u);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < SNAPLEN ? len : SNAPLEN);
	pcap_dump((u_char *)w->dumper, &h, frame);
}

void tp_pcap_writer_flush(struct tp_pcap_writer *w)
{
	pcap_dump_flush(w->dumper);
}

void tp_pcap_writer_close(struct tp_pcap_writer *w)
{
	if (!w)
		return;
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
