/*
 * pcap.h - classic pcap files (Ethernet, microsecond stamps) through libpcap:
 * the recorder behind `tapir --pcap` and the reader behind `tapir replay`.
 * libpcap writes no pcapng, so tapir's TCP variables go in a text sidecar.
 */
#ifndef TAPIR_PCAP_H
#define TAPIR_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

struct tp_pcap_writer;
struct tp_pcap_reader;

/* `epoch` is added to every stack time to give the stamp written (the
 * wall-clock value of monotonic zero; 0 keeps stack times as they are).
 * On failure returns NULL and writes the reason into err. */
struct tp_pcap_writer *tp_pcap_writer_open(const char *path, tp_time epoch, char *err, size_t errlen);
void tp_pcap_writer_frame(struct tp_pcap_writer *w, tp_time t, const uint8_t *frame, size_t len);
/* Also writes the TCP variables sidecar PCAP_PATH.vars: one line per
 * TP_TRACE_TCP_VARS event given to tp_pcap_writer_vars, keyed by the index
 * of the segment's frame in the pcap (format: README.md, "tapir's
 * variables beside the arrows"). Returns 0, or -1 with the reason in err. */
int tp_pcap_writer_add_vars(struct tp_pcap_writer *w, const char *pcap_path, char *err, size_t errlen);
/* A snapshot taken at `now`: written beside its segment's frame, at once if
 * that was written already, else when it is (a segment waiting for ARP). */
void tp_pcap_writer_vars(struct tp_pcap_writer *w, tp_time now, const struct tp_tcp_vars *v);
void tp_pcap_writer_flush(struct tp_pcap_writer *w);
void tp_pcap_writer_close(struct tp_pcap_writer *w);

struct tp_pcap_reader *tp_pcap_reader_open(const char *path, char *err, size_t errlen);
/* The next frame: 1 and its stamp (µs) and bytes (valid until the next
 * call), 0 at the end, or -1 on a damaged file (reason in err). */
int tp_pcap_reader_next(struct tp_pcap_reader *r, tp_time *t, const uint8_t **frame, size_t *len,
			char *err, size_t errlen);
void tp_pcap_reader_close(struct tp_pcap_reader *r);

#endif
