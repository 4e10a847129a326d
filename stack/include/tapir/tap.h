/*
 * tap.h - the TAP driver: a Linux TAP device (/dev/net/tun, IFF_TAP |
 * IFF_NO_PI, non-blocking) as a stack interface.
 *
 * tp_tap_open() creates (or attaches to) the device; tp_tap_configure_host()
 * gives its host side an address, the MTU and IFF_UP over rtnetlink, after
 * checking the addresses clash with nothing already on the host;
 * tp_tap_transmit() is the netif's transmit callback; tp_tap_attach() lets
 * a loop drain received frames into tp_input(). Closing the fd removes a
 * TAP that tapir created (a non-persistent one), so tp_tap_close() is the
 * whole cleanup. Failures come back as one line of text for the user.
 */
#ifndef TAPIR_TAP_H
#define TAPIR_TAP_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/tapir.h"

struct tp_tap;
struct tp_loop;

/* Checks a name for the kernel's rules (1..15 bytes, no '/', ':', '%' or
 * space, not "." or ".."). Returns 0, or -EINVAL with the reason in err. */
int tp_tap_check_name(const char *name, char *err, size_t errlen);

/* NULL on failure, with one line in err (e.g. "creating a TAP needs root
 * (CAP_NET_ADMIN): run it with sudo"). */
struct tp_tap *tp_tap_open(const char *name, char *err, size_t errlen);

/* The same with IFF_NAPI: the frames tapir writes go through a NAPI
 * context, and so through the host's GRO, which merges a flow's segments
 * before its TCP sees them. Alone that merges nothing: GRO flushes at the
 * end of each poll, one per write(). tp_tap_gro_hold() sets the device's
 * gro_flush_timeout (sysfs, in the caller's namespace): GRO then keeps a
 * flow's full-sized segments across writes until one carries PSH, fills 64
 * KB, or a later write comes a jiffy after them, and flushes what is left
 * after `usec`. Fails with EINVAL on kernels before 4.15; the one line in
 * err says so. */
struct tp_tap *tp_tap_open_napi(const char *name, char *err, size_t errlen);
int tp_tap_gro_hold(struct tp_tap *tap, uint32_t usec, char *err, size_t errlen);
/* Polls the TAP's NAPI from a kernel thread (sysfs `threaded`, Linux 5.12):
 * the host's GRO and TCP work for tapir's frames (receiving its data,
 * processing its ACKs and sending more) then runs beside tapir rather than
 * inside its write(), on another core if there is one. */
int tp_tap_napi_thread(struct tp_tap *tap, char *err, size_t errlen);
/* The same on demand: the thread polls while the TAP (all its queues) moves
 * more than on_rate bytes/s in and out together (0: TP_TAP_NAPI_AUTO_RATE,
 * 128 MiB/s), and the poll runs inline again below a quarter of that,
 * judged every 100 ms by the traffic itself (no timer: an idle TAP costs
 * nothing). The thread takes the host's work off tapir's core in bulk, but
 * each frame then wakes it: a round trip of small frames is a wake-up
 * slower. Starts inline; 0, or -1 with err. */
#define TP_TAP_NAPI_AUTO_RATE (128ull << 20)
int tp_tap_napi_thread_auto(struct tp_tap *tap, uint64_t on_rate, char *err, size_t errlen);
/* How many times the on-demand thread was turned on or off. */
unsigned tp_tap_napi_thread_switches(const struct tp_tap *tap);

/* The same with the TAP's offloads (IFF_VNET_HDR, TUNSETOFFLOAD): checksums
 * left partial and TCP super-frames up to 64 KB both ways, the kernel
 * segmenting and checksumming for tapir. tp_tap_offloads() says what the
 * kernel agreed to (TP_OFFLOAD_*), for the netif's configuration, with
 * tp_tap_transmit_offload as its transmit_offload. */
struct tp_tap *tp_tap_open_offload(const char *name, char *err, size_t errlen);
uint32_t tp_tap_offloads(const struct tp_tap *tap);

/* Opens n queues of one TAP into queues[0..n-1] (IFF_MULTI_QUEUE when n >
 * 1), with the offloads (TP_TAP_OFFLOAD: as tp_tap_open_offload()) and
 * IFF_NAPI (TP_TAP_NAPI: as tp_tap_open_napi()) if `how` asks, to run a stack on
 * each, all with the same address. An eBPF steering program (TUNSETSTEERINGEBPF)
 * sends each TCP or UDP flow to queue tp_flow_queue() of its ports, an
 * ICMP error to the queue of the flow it quotes, and the rest (ARP, pings,
 * fragments) to queue 0; so each connection lives on one stack, and a stack
 * configured with its queue_index connects from ports that come back to it.
 * Where eBPF is refused the kernel's own flow hash steers instead (answers
 * go to the queue that last sent the flow): passive opens still work, see
 * tp_tap_steered(). Each queue also hands the ARP frames it reads to its
 * siblings' stacks (tp_input_overheard()), so every stack learns the
 * host's MAC whichever queue a reply reaches.
 * Close the queues only when no loop runs any of them. A TAP tapir creates
 * is its own (IFF_TUN_EXCL); on one that exists, another program's queues
 * are an error ("busy"). Returns 0, or -1 with one line in err and nothing
 * left open. */
#define TP_TAP_QUEUES_MAX 64
#define TP_TAP_OFFLOAD 0x1u
#define TP_TAP_NAPI 0x2u
int tp_tap_open_queues(const char *name, unsigned how, unsigned n, struct tp_tap **queues,
		       char *err, size_t errlen);
/* 1 if the steering program runs the TAP's queues; else 0 with the reason
 * in why (eBPF refused; "a single queue"). */
int tp_tap_steered(const struct tp_tap *tap, char *why, size_t whylen);
/* Which of its TAP's queues this is (0 for a single-queue TAP). */
unsigned tp_tap_queue_index(const struct tp_tap *tap);

struct tp_tap_host {
	tp_ip4 addr;            /* the host side's address on the TAP */
	uint8_t prefix_len;
	uint16_t mtu;
	tp_ip4 peer;            /* tapir's address: must not be the host's anywhere */
};

/* Fails (one line in err, negative errno) if the host already has either
 * address on another interface or reaches the peer through one, else sets
 * the MTU, brings the link up and adds the address. */
int tp_tap_configure_host(struct tp_tap *tap, const struct tp_tap_host *host, char *err,
			  size_t errlen);

/* Writes one frame; a tp_transmit_fn with the tap as its context. */
int tp_tap_transmit(void *tap, const uint8_t *frame, size_t len);
/* A tp_transmit_offload_fn, for a TAP opened with tp_tap_open_offload(). */
int tp_tap_transmit_offload(void *tap, const uint8_t *frame, size_t len,
			    const struct tp_offload *off);

/* Registers the TAP's fd with the loop: when readable, frames are read
 * until none is left (or a fairness bound of 256) and each goes to
 * tp_input(tp_loop_stack(loop), netif, ...) (tp_input_offload() with the
 * frame's virtio-net header on an offloading TAP), all of them one batch
 * (tp_batch_begin/end: ACKs coalesced). A read error stops the loop. */
int tp_tap_attach(struct tp_tap *tap, struct tp_loop *loop, struct tp_netif *netif);

/* Link impairment on the TAP (--impair), one seeded tp_impair per direction
 * (tapir/wire.h): TP_TAP_OUT for the frames the stack sends, TP_TAP_IN for
 * those read from the host; a NULL config leaves that direction perfect.
 * Frames held back (delay, reordering, rate) wait in the impairment's queue
 * until a loop timer releases them at their due time; the rest pass at once.
 * Call after tp_tap_attach(). Returns 0 or a negative errno. */
enum tp_tap_direction { TP_TAP_OUT = 0, TP_TAP_IN = 1 };
struct tp_impair_config;
struct tp_impair_stats;
int tp_tap_impair(struct tp_tap *tap, const struct tp_impair_config *out,
		  const struct tp_impair_config *in);
/* What one direction did so far, or NULL if it is not impaired. */
const struct tp_impair_stats *tp_tap_impair_stats(const struct tp_tap *tap,
						  enum tp_tap_direction dir);

const char *tp_tap_name(const struct tp_tap *tap);
int tp_tap_fd(const struct tp_tap *tap);
/* The negative errno of the read that stopped the loop, or 0. */
int tp_tap_read_error(const struct tp_tap *tap);

/* Detaches from the loop (so call it before tp_loop_free), closes the fd
 * (the kernel then deletes a non-persistent TAP) and frees. NULL is ignored. */
void tp_tap_close(struct tp_tap *tap);

#endif
