/*
 * tcp_harness.h - what the TCP and UDP unit tests share, on top of
 * harness.h: segments and datagrams built byte by byte with an independently
 * computed checksum, the stack's segments decoded (checksums verified), and
 * connections driven into any RFC 9293 state with real segments.
 *
 * The peer is PEER_IP (10.0.0.1) port PEER_PORT; its initial sequence number
 * sits 16 bytes below 2^32, so every test crosses the sequence-number wrap.
 */
#ifndef TAPIR_TCP_HARNESS_H
#define TAPIR_TCP_HARNESS_H

#include "harness.h"
#include "tapir/sock.h"

#define TCP_LEN 20
#define PEER_PORT 40000
#define OUR_PORT 80
#define PEER_ISS 0xfffffff0u

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

/* --- Building segments ---------------------------------------------------- */
struct tseg {
	uint16_t sport, dport;      /* 0: PEER_PORT / the connection's port */
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;               /* as written in the header */
	const uint8_t *opt;         /* raw options, padded here to a multiple of 4 with EOL */
	size_t opt_len;
	const void *data;
	size_t len;
	int bad_checksum;           /* flip the checksum */
	int data_offset;            /* nonzero: write this header length (in words) instead */
};
/* The TCP header + options + payload with the RFC 793 pseudo-header checksum,
 * into out; returns its length. src/dst are host-order addresses. */
size_t tcp_segment(uint8_t *out, tp_ip4 src, tp_ip4 dst, const struct tseg *s);
/* A whole frame from PEER to us. */
void frame_tcp(struct frame *f, const struct tseg *s);
void tcp_feed(struct harness *h, const struct tseg *s);

/* --- Reading what the stack sent ----------------------------------------- */
struct tview {
	tp_ip4 src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	int mss, wscale;            /* the options, -1 when absent */
	int sack_ok, has_ts;
	uint32_t ts_val, ts_ecr;
	int n_sack;                 /* SACK blocks, as sent */
	uint32_t sack[4][2];
	const uint8_t *data;        /* into the captured frame */
	size_t len;
	int df;                     /* IP "don't fragment" */
};
/* Asserts captured frame i is an IPv4 TCP segment with correct IP and TCP
 * checksums (computed here, not by the stack) and decodes it. */
void out_tcp(const struct harness *h, size_t i, struct tview *v);
/* Whether frame i is TCP at all. */
int is_tcp(const struct harness *h, size_t i);
/* How many TCP segments were captured. */
size_t count_tcp(const struct harness *h);
/* The n-th (0-based) captured TCP segment; asserts it exists. */
void nth_tcp(const struct harness *h, size_t n, struct tview *v);
/* The only TCP segment captured since the last h_clear; asserts exactly one. */
void only_tcp(const struct harness *h, struct tview *v);

/* --- UDP ----------------------------------------------------------------- */
#define UDP_LEN 8
enum udp_cksum { UDP_CKSUM_OK, UDP_CKSUM_NONE, UDP_CKSUM_BAD };
/* A UDP header + payload, checksummed as asked; returns its length. */
size_t udp_datagram(uint8_t *out, tp_ip4 src, tp_ip4 dst, uint16_t sport, uint16_t dport,
		    const void *data, size_t len, enum udp_cksum mode);
/* The RFC 768 checksum over pseudo-header + datagram (0 when it verifies). */
uint16_t udp_cksum(tp_ip4 src, tp_ip4 dst, const uint8_t *dgram, size_t len);

/* --- A connection with a scripted peer ----------------------------------- */
struct tconn {
	struct harness h;
	int lfd;                    /* our listener, or -1 */
	int fd;                     /* our connected / accepted socket, or -1 */
	uint16_t lport;             /* our port */
	uint32_t iss;               /* our ISN (from our SYN or SYN-ACK) */
	uint32_t snd;               /* the next sequence number we will use (after a FIN: past it) */
	uint32_t pnxt;              /* the peer's next sequence number */
	uint16_t peer_wnd;          /* the window the peer advertises */
	const uint8_t *peer_opt;    /* options the peer's SYN carries (default: MSS 1460) */
	size_t peer_opt_len;
};

/* A stack with PEER's MAC learned; cfg may be NULL. */
void tc_init(struct tconn *t, const struct tp_stack_config *cfg);
void tc_fini(struct tconn *t);
/* A listener on OUR_PORT. */
void tc_listen(struct tconn *t);
/* The peer's SYN reaches the listener; asserts our SYN-ACK and learns our ISN. */
void tc_peer_syn(struct tconn *t);
/* The peer completes the handshake; we accept. Passive open, ESTABLISHED. */
void tc_passive_open(struct tconn *t);
/* We connect to the peer; asserts our SYN and learns our ISN. */
void tc_connect(struct tconn *t);
/* The peer answers our SYN with a SYN-ACK; asserts our ACK. Active open. */
void tc_active_open(struct tconn *t);
/* The peer sends `len` bytes of data (with ACK of everything we sent). */
void tc_peer_data(struct tconn *t, const void *data, size_t len);
/* The peer acknowledges everything we sent. */
void tc_peer_ack(struct tconn *t);
/* The peer sends its FIN (with ACK of everything we sent). */
void tc_peer_fin(struct tconn *t);
/* Our side closes (close(), or shutdown(SHUT_WR) when `shutdown`); asserts
 * our FIN and advances t->snd past it. */
void tc_our_fin(struct tconn *t, int shutdown);
/* A segment from the peer on this connection. */
void tc_send(struct tconn *t, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	     size_t len);
/* This connection's state as tp_tcp_foreach reports it, or NULL if gone. */
const char *tc_state(struct tconn *t);
/* This connection's tp_tcp_info; asserts it exists. */
void tc_info(struct tconn *t, struct tp_tcp_info *info);

#endif
