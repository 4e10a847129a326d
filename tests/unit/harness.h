/*
 * harness.h - what every unit test shares: one stack on a capturing
 * interface under a virtual clock, byte-by-byte frame builders, and readers
 * for the frames the stack emits.
 *
 * The builders and the checksum here are written independently of the core
 * (ref_cksum is a plain RFC 1071 loop), so a test never checks the stack's
 * output with the stack's own code.
 */
#ifndef TAPIR_TEST_HARNESS_H
#define TAPIR_TEST_HARNESS_H

#include <check.h>

#include "check_main.h"
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tapir/tapir.h"

/* An assertion for hot loops: Check's own ck_assert_* report every passing
 * check to the parent process, which makes a million of them take minutes. */
#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond))                                                         \
			ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond);  \
	} while (0)

/* The test network: us 10.0.0.2/24 behind gateway 10.0.0.254. */
#define US_IP 0x0a000002u       /* 10.0.0.2 */
#define PEER_IP 0x0a000001u     /* 10.0.0.1, on-link */
#define OTHER_IP 0x0a000003u    /* 10.0.0.3, on-link */
#define GW_IP 0x0a0000feu       /* 10.0.0.254 */
#define BCAST_IP 0x0a0000ffu    /* 10.0.0.255 */
#define REMOTE_IP 0xc0000207u   /* 192.0.2.7, off-link */

extern const uint8_t US_MAC[6], PEER_MAC[6], OTHER_MAC[6], GW_MAC[6], BCAST_MAC[6], ZERO_MAC[6];

#define ETH_LEN 14
#define IP_LEN 20
#define ICMP_LEN 8
#define ARP_LEN 28
#define FRAME_MAX 70000

/* --- Reading and writing big-endian fields ------------------------------ */
uint16_t rd16(const uint8_t *p);
uint32_t rd32(const uint8_t *p);
void wr16(uint8_t *p, uint16_t v);
void wr32(uint8_t *p, uint32_t v);

/* RFC 1071 over one buffer, written plainly (no folding tricks). */
uint16_t ref_cksum(const uint8_t *data, size_t len);

/* --- Frames under construction ----------------------------------------- */
struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

/* Starts a frame with an Ethernet header. */
void frame_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type);
void frame_put(struct frame *f, const void *data, size_t n);

struct arp_spec {
	uint16_t htype, ptype, op;      /* 0 means the normal value (1, 0x0800) for htype/ptype */
	uint8_t hlen, plen;             /* 0 means 6 / 4 */
	const uint8_t *sha, *tha;
	tp_ip4 spa, tpa;
};
/* An ARP packet in an Ethernet frame from sha (src MAC) to dst. */
void frame_arp(struct frame *f, const uint8_t dst[6], const struct arp_spec *a);

struct ip_spec {
	tp_ip4 src, dst;                /* 0: PEER_IP / US_IP */
	uint8_t proto, ttl, tos;        /* ttl 0: 64 */
	uint16_t id, frag;              /* frag: flags | offset/8, as on the wire */
	const uint8_t *options;
	size_t opt_len;                 /* a multiple of 4 */
};
/* Writes an IPv4 header for `payload_len` bytes with a correct checksum;
 * returns its length. */
size_t ip_header(uint8_t *out, const struct ip_spec *s, size_t payload_len);
/* A whole frame from PEER_MAC to US_MAC: Ethernet + IP + payload. */
void frame_ipv4(struct frame *f, const struct ip_spec *s, const void *payload, size_t len);
/* An ICMP message with a correct checksum; returns its length. */
size_t icmp_msg(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest, const void *body,
		size_t len);
/* An echo request (type 8) frame from PEER to us. */
void frame_echo(struct frame *f, const struct ip_spec *s, uint16_t ident, uint16_t seq,
		const void *data, size_t len);
/* Fills buf with a recognisable pattern seeded by `seed`. */
void fill_pattern(uint8_t *buf, size_t len, unsigned seed);

/* --- One stack on a capturing interface -------------------------------- */
struct captured {
	uint8_t *b;
	size_t len;
};

struct echo_seen {
	struct tp_echo_reply r;         /* r.data points into data */
	uint8_t *data;
};

struct harness {
	struct tp_stack *stack;
	struct tp_netif *nif;
	tp_time now;
	struct captured *out;           /* frames the stack transmitted */
	size_t n_out, cap_out;
	struct echo_seen *echo;         /* what reached the echo handler */
	size_t n_echo, cap_echo;
	int tx_result;                  /* what the transmit callback returns */
};

/* A stack on one interface (10.0.0.2/24, gateway 10.0.0.254, MTU 1500);
 * cfg / ncfg may be NULL for those defaults. Captures start with the
 * gratuitous ARP sent on attach. */
void h_setup(struct harness *h, const struct tp_stack_config *cfg,
	     const struct tp_netif_config *ncfg);
/* h_setup with defaults, then forgets the gratuitous ARP. */
void h_init(struct harness *h);
void h_fini(struct harness *h);
/* Forgets captured frames and echo reports. */
void h_clear(struct harness *h);
void h_input(struct harness *h, const struct frame *f);
/* Moves the virtual clock forward by dt, polling at every deadline on the
 * way and at the end. */
void h_advance(struct harness *h, tp_time dt);
/* Puts ip -> mac in the ARP cache (a request from it for us), then clears. */
void h_learn(struct harness *h, tp_ip4 ip, const uint8_t mac[6]);
/* The default netif config used by h_setup. */
struct tp_netif_config h_netif_config(void);

/* --- Reading what came out --------------------------------------------- */
/* Frame i's IPv4 header (asserting it is a well-formed IPv4 frame with a
 * correct header checksum), its header length and total length. */
const uint8_t *out_ip(const struct harness *h, size_t i, size_t *hl, size_t *total);
/* Frame i's ICMP message (asserting IPv4, protocol 1 and a valid ICMP
 * checksum; unfragmented), and its length. */
const uint8_t *out_icmp(const struct harness *h, size_t i, size_t *len);
/* Asserts frame i is an ARP packet; returns it (after the Ethernet header). */
const uint8_t *out_arp(const struct harness *h, size_t i);
/* Glues frames first..first+n-1, one datagram's fragments in order, back
 * into its payload, asserting RFC 791 consistency (one ID, contiguous
 * offsets, MF on all but the last); returns the payload length. hdr0 (may
 * be NULL) receives the first fragment's IP header. */
size_t out_glue(const struct harness *h, size_t first, size_t n, uint8_t *payload,
		const uint8_t **hdr0);
/* How many captured frames carry this ethertype. */
size_t count_ethertype(const struct harness *h, uint16_t type);

/* A transmit callback that drops everything (for extra interfaces). */
int discard_transmit(void *ctx, const uint8_t *frame, size_t len);

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

#endif
