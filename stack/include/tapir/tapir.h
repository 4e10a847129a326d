/*
 * tapir.h - the sans-IO protocol core: create a stack, attach interfaces,
 * feed it frames and time, read its counters.
 *
 * The core performs no I/O and reads no clock. It is driven by three inputs
 *   tp_input()  a received Ethernet frame
 *   tp_poll()   the passage of time (monotonic microseconds, passed in)
 *   socket calls (tapir/socket.h)
 * and produces frames through each interface's transmit callback and events
 * through the trace hook. tp_next_deadline() says when tp_poll() is next due.
 * Everything runs on one thread; see tapir/loop.h for the runtime around it.
 */
#ifndef TAPIR_TAPIR_H
#define TAPIR_TAPIR_H

#include <stddef.h>
#include <stdint.h>

#include "tapir/stats.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef uint64_t tp_time;              /* monotonic time in microseconds */
#define TP_TIME_NEVER UINT64_MAX
#define TP_MSEC(ms) ((tp_time)(ms) * 1000u)
#define TP_SEC(s) ((tp_time)(s) * 1000000u)

typedef uint32_t tp_ip4;               /* IPv4 address in host byte order */

struct tp_stack;
struct tp_netif;

/* Sends one complete Ethernet frame (no FCS). Returns 0 or a negative errno.
 * The frame is only borrowed for the duration of the call. */
typedef int (*tp_transmit_fn)(void *ctx, const uint8_t *frame, size_t len);

/* Offloads a link may provide (tp_netif_config.offloads), in the model of
 * virtio-net / a Linux TAP with IFF_VNET_HDR. */
#define TP_OFFLOAD_TX_CSUM 0x1u /* transmit_offload completes TCP checksums left partial */
#define TP_OFFLOAD_TSO 0x2u     /* ... and cuts TCP super-segments (up to 64 KB) into MSS
				   segments itself; needs TP_OFFLOAD_TX_CSUM */
#define TP_OFFLOAD_RX 0x4u      /* tp_input_offload() may hand checksum-partial frames and
				   GSO super-frames (IP datagrams larger than the MTU) */

/* How one frame is offloaded: the link-neutral form of a virtio_net_hdr.
 * Offsets count from the first byte of the Ethernet header. */
struct tp_offload {
	uint8_t csum_partial;   /* the L4 checksum field holds only the pseudo-header sum
				   (folded, not complemented); the sum of the bytes from
				   csum_start on belongs at csum_start + csum_offset */
	uint8_t csum_valid;     /* rx: the link vouches for the L4 checksum */
	uint8_t gso_tcp4;       /* a TCP/IPv4 super-frame of gso_size-byte segments */
	uint8_t gso_other;      /* rx: a kind tapir does not take (UDP, IPv6): dropped */
	uint16_t csum_start, csum_offset;
	uint16_t gso_size;      /* payload bytes per segment (the MSS), or 0 */
	uint16_t hdr_len;       /* Ethernet + IP + TCP header bytes (tx; rx: a hint) */
};

/* Sends a frame with offload work left for the link (see tp_offload). */
typedef int (*tp_transmit_offload_fn)(void *ctx, const uint8_t *frame, size_t len,
				      const struct tp_offload *off);

struct tp_netif_config {
	const char *name;       /* for messages only */
	uint8_t mac[6];
	tp_ip4 addr;
	uint8_t prefix_len;     /* on-link subnet */
	tp_ip4 gateway;         /* 0: no default route */
	uint16_t mtu;           /* IP MTU, 68..9000; 0 means 1500 */
	uint32_t offloads;      /* TP_OFFLOAD_*; 0: every frame complete, none over the MTU */
	tp_transmit_offload_fn transmit_offload;   /* needed for TX_CSUM and TSO; takes
						      the same ctx as transmit */
};

/* A switch in struct tp_stack_config whose 0 means "the default": 1 turns
 * it on, TP_OFF off. */
#ifndef TP_OFF
#define TP_OFF 2
#endif

struct tp_stack_config {
	uint64_t seed;          /* PRNG seed: fixed in tests, getrandom(2) in production */
	tp_time start_time;     /* the clock's value at creation */
	uint32_t icmp_rate;     /* ICMP errors per second (token bucket); 0 = default 100 */
	uint32_t icmp_burst;    /* bucket depth; 0 = default 50 */
	uint32_t arp_cache_size;    /* entries; 0 = default 128 */
	uint32_t reass_mem_limit;   /* bytes held for IP reassembly; 0 = default 1 MiB */
	uint8_t default_ttl;        /* 0 = default 64 */

	/* TCP and sockets (0 = the default in brackets) */
	tp_time tcp_msl;            /* maximum segment lifetime; TIME_WAIT lasts 2 MSL [30 s] */
	tp_time tcp_fin_timeout;    /* an orphan's FIN_WAIT_2 life [60 s] */
	tp_time tcp_delack;         /* delayed-ACK timeout, at most 200 ms [40 ms] */
	uint32_t tcp_syn_retries;   /* SYN / SYN-ACK retransmissions before giving up [6] */
	uint32_t tcp_retries;       /* data retransmissions before ETIMEDOUT [12] */
	uint32_t tcp_sndbuf;        /* default send buffer [256 KiB] */
	uint32_t tcp_rcvbuf;        /* default receive buffer [256 KiB] */
	uint32_t tcp_syn_backlog;   /* half-open connections per listener [256] */
	uint32_t max_sockets;       /* descriptors and connections together [65536] */
	uint64_t tcp_mem_limit;     /* bytes of TCP socket buffers, stack-wide: past it new
				       connections are refused and buffers stop growing [64 MiB] */
	uint8_t tcp_syncookies;     /* SYN cookies when a SYN queue is full: 1 or TP_OFF [on] */
	uint32_t udp_rcvbuf;        /* bytes queued per UDP socket [256 KiB] */
	uint32_t tcp_challenge_ack_rate;    /* RFC 5961 challenge ACKs per second, stack-wide [1000] */
	const char *tcp_cc;         /* congestion control: "reno", "newreno", "cubic" [cubic];
				       an unknown name makes tp_stack_new() fail with EINVAL */
	/* Switches: 0 = the default in brackets, 1 = on, TP_OFF = off. */
	uint8_t tcp_sack;           /* SACK (RFC 2018, RFC 6675 recovery) [on] */
	uint8_t tcp_timestamps;     /* timestamps, RTTM and PAWS (RFC 7323) [on] */
	/* One of queue_count stacks sharing a link whose frames are steered by
	 * tp_flow_queue() (a multi-queue TAP, tapir/tap.h): a connect() (UDP:
	 * or first sendto) then takes only local ports whose flow comes back
	 * to queue_index; a bind to port 0 does not know the peer yet. [1, 0] */
	uint16_t queue_count, queue_index;
};
#define TP_OFF 2                /* a switch turned off (0 is the default, 1 on) */

/* Fills in defaults for every zero field. */
void tp_stack_config_defaults(struct tp_stack_config *cfg);

/* Which of n queues a TCP or UDP flow between these two ports belongs to,
 * either way round (symmetric): a 16-bit multiplicative hash of their XOR,
 * modulo n. A multi-queue TAP's steering program computes the same. */
static inline unsigned tp_flow_queue(uint16_t port_a, uint16_t port_b, unsigned n)
{
	uint16_t h = (uint16_t)(((uint32_t)(port_a ^ port_b) * 0x9e3779b1u) >> 16);
	return n > 1 ? h % n : 0;
}

struct tp_stack *tp_stack_new(const struct tp_stack_config *cfg);
void tp_stack_free(struct tp_stack *stack);

/* Attaches an interface; sends a gratuitous ARP for its address.
 * Returns NULL with errno set on a bad configuration. */
struct tp_netif *tp_netif_add(struct tp_stack *stack, const struct tp_netif_config *cfg,
			      tp_transmit_fn transmit, void *transmit_ctx);
const struct tp_netif_config *tp_netif_config_of(const struct tp_netif *netif);

/* A received frame. The stack copies what it keeps. */
void tp_input(struct tp_stack *stack, struct tp_netif *netif, const uint8_t *frame, size_t len);

/* A frame that another stack sharing this link received (the queues of a
 * multi-queue TAP each run a stack with the same address): the ARP in it
 * teaches this stack its neighbours too, as tp_input() would; nothing is
 * answered or counted as received, everything but ARP is ignored. */
void tp_input_overheard(struct tp_stack *stack, struct tp_netif *netif, const uint8_t *frame,
			size_t len);

/* A received frame with what the link says of it (off may be NULL). With
 * TP_OFFLOAD_RX on the interface, a checksum the link marked partial or valid
 * is not verified again, and a super-frame is taken as one datagram; the
 * metadata is checked against the frame first (a lie is a counted drop,
 * eth.drop_offload). Without TP_OFFLOAD_RX, off is ignored. */
void tp_input_offload(struct tp_stack *stack, struct tp_netif *netif, const uint8_t *frame,
		      size_t len, const struct tp_offload *off);

/* Frames input between these two form one batch (a driver's drain of its
 * device): a connection's pure ACKs for in-order data are held to
 * tp_batch_end(), which sends one cumulative ACK each. */
void tp_batch_begin(struct tp_stack *stack);
void tp_batch_end(struct tp_stack *stack);

/* Advances the clock to `now` (never backwards) and runs every timer due. */
void tp_poll(struct tp_stack *stack, tp_time now);

/* When tp_poll() must next be called, or TP_TIME_NEVER. */
tp_time tp_next_deadline(const struct tp_stack *stack);

tp_time tp_now(const struct tp_stack *stack);

/* Counters (see tapir/stats.h for the list). */
uint64_t tp_stat(const struct tp_stack *stack, enum tp_stat_id id);

/* --- ICMP echo, the API under `tapir ping` ---------------------------- */

struct tp_echo_reply {
	tp_ip4 from;
	uint16_t ident, seq;
	uint8_t ttl;
	const uint8_t *data;    /* payload after the 8-byte ICMP header */
	size_t len;
	int error;              /* 0, or -EHOSTUNREACH / -ENETUNREACH / ... for an error report */
};
typedef void (*tp_echo_fn)(void *ctx, const struct tp_echo_reply *reply);

/* Replies to our echo requests (and errors about them) go to this handler. */
void tp_set_echo_handler(struct tp_stack *stack, tp_echo_fn fn, void *ctx);

/* Sends an ICMP echo request; `len` payload bytes, fragmented if needed.
 * Returns 0, -ENETUNREACH (no route), -EMSGSIZE or -ENOMEM. */
int tp_ping_send(struct tp_stack *stack, tp_ip4 dst, uint16_t ident, uint16_t seq,
		 const uint8_t *data, size_t len);

/* --- Trace hook: what tools see ---------------------------------------- */

enum tp_trace_kind {
	TP_TRACE_FRAME_IN,      /* frame, len */
	TP_TRACE_FRAME_OUT,     /* frame, len */
	TP_TRACE_DROP,          /* stat (the drop counter), frame/len when known */
	TP_TRACE_STATE,         /* text: "conn ... A -> B (why)" */
	TP_TRACE_NOTE,          /* text: anything else worth a line */
	TP_TRACE_TCP_VARS,      /* tcp_vars: a connection's variables after a segment */
};

/* --- TCP variables after a segment (TP_TRACE_TCP_VARS) ------------------ */

/* The timers a connection may have armed (the retransmission slot is the
 * persist timer while the peer's window is shut). */
enum tp_tcp_timer {
	TP_TCP_TIMER_RTX,       /* retransmission (RFC 6298) */
	TP_TCP_TIMER_PERSIST,   /* zero-window probe (RFC 9293 §3.8.6.1) */
	TP_TCP_TIMER_DELACK,    /* delayed ACK (RFC 1122 §4.2.3.2) */
	TP_TCP_TIMER_2MSL,      /* TIME_WAIT (RFC 9293 §3.6) */
	TP_TCP_TIMER_WAIT,      /* the same slot outside TIME_WAIT: FIN_WAIT_2 orphan, SYN_RECEIVED life */
	TP_TCP_TIMER_KEEPALIVE, /* RFC 1122 §4.2.3.6 */
	TP_TCP_TIMERS
};
/* "rtx", "persist", "delack", "2msl", "wait", "keepalive"; NULL past the end. */
const char *tp_tcp_timer_name(unsigned timer);

enum tp_tcp_vars_dir {
	TP_TCP_VARS_IN,         /* the segment arrived and the stack is done with it */
	TP_TCP_VARS_OUT,        /* the stack sent it and is done with what goes with it */
};

/* One snapshot of a connection, tied to one segment. "After" means once the
 * stack has finished with the segment: for a received one, its processing
 * (answers sent included); for a sent one, the bookkeeping around the send
 * (SND.NXT moved, the retransmission timer armed). Sequence numbers are
 * absolute. */
struct tp_tcp_vars {
	enum tp_tcp_vars_dir dir;
	/* The segment, as on the wire: finds its frame in a capture. */
	tp_ip4 src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;      /* ack: 0 without the ACK flag */
	uint8_t flags;          /* FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20 */
	uint32_t len;           /* payload bytes */
	/* The connection. gone: the segment belonged to none, or ended it
	 * (state is then "CLOSED" and the rest is zero). */
	int gone;
	const char *state;      /* RFC 9293 §3.3.2 name, "ESTABLISHED"; static */
	uint32_t snd_una, snd_nxt, snd_wnd;
	uint32_t rcv_nxt, rcv_wnd;      /* rcv_wnd: as last advertised, in bytes */
	uint32_t cwnd, ssthresh;        /* bytes; ssthresh UINT32_MAX: not set yet (RFC 5681 §3.1) */
	tp_time srtt, rto;              /* µs; srtt 0: no sample yet */
	tp_time timer[TP_TCP_TIMERS];   /* when each fires, TP_TIME_NEVER if not armed */
};

struct tp_trace_event {
	enum tp_trace_kind kind;
	tp_time time;
	const struct tp_netif *netif;
	const uint8_t *frame;
	size_t len;
	enum tp_stat_id stat;
	const char *text;
	const struct tp_tcp_vars *tcp_vars;
};
typedef void (*tp_trace_fn)(void *ctx, const struct tp_trace_event *ev);

/* One hook per stack; tools that need several chain them. */
void tp_set_trace(struct tp_stack *stack, tp_trace_fn fn, void *ctx);

/* --- Helpers for addresses --------------------------------------------- */

/* Parses "a.b.c.d" into host order; returns 0 or -EINVAL. */
int tp_ip4_parse(const char *s, tp_ip4 *out);
/* Parses "a.b.c.d/len"; a missing /len gives 32. */
int tp_ip4_parse_cidr(const char *s, tp_ip4 *addr, uint8_t *prefix_len);
/* Writes "a.b.c.d" into buf (at least 16 bytes); returns buf. */
char *tp_ip4_format(tp_ip4 a, char *buf);
/* The value of one hexadecimal digit, either case, or -1. */
int tp_hex_digit(char c);
/* Parses "aa:bb:cc:dd:ee:ff"; returns 0 or -EINVAL. */
int tp_mac_parse(const char *s, uint8_t mac[6]);

#ifdef __cplusplus
}
#endif
#endif
