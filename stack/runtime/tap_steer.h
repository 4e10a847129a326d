/*
 * tap_steer.h - the eBPF program that steers a multi-queue TAP's frames to
 * its queues (TUNSETSTEERINGEBPF): a TCP or UDP flow to tp_flow_queue() of
 * its two ports, an ICMP error to the queue of the flow it quotes, and
 * everything else (ARP, pings, IP fragments) to queue 0. The kernel takes
 * the program's 16-bit result modulo the number of queues, as
 * tp_flow_queue() does, so a stack that picks its ports with it gets its
 * flows' answers on its own queue.
 */
#ifndef TAPIR_TAP_STEER_H
#define TAPIR_TAP_STEER_H

#include <stddef.h>

/* Loads the program for frames whose IPv4 header starts l3_offset bytes
 * into the data the program sees (14 on a TAP: the Ethernet header; 0 in
 * BPF_PROG_TEST_RUN, which strips it). Returns its fd, or -1 with one line
 * in err. */
int tap_steer_load(int l3_offset, char *err, size_t errlen);

/* Loads it and attaches it to the TAP behind fd. 0, or -1 with err. */
int tap_steer_attach(int tap_fd, char *err, size_t errlen);

#endif
