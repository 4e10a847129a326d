/*
 * dns_answer.h - an authoritative server's reply as a pure function:
 * query bytes in, response bytes out. No I/O, so every case is a unit test
 * and a fuzz target; dns_server.c only moves the bytes.
 *
 *   in the zone, records of the type      NOERROR, AA, the records
 *   a CNAME on the way                    the CNAME, then the target's answer
 *                                         (RFC 1034 §4.3.2; chains bounded)
 *   name exists, not that type            NODATA: NOERROR, SOA in authority
 *   name does not exist                   NXDOMAIN, SOA in authority (RFC 2308)
 *   outside the zone, class not IN        REFUSED
 *   malformed, QDCOUNT != 1, two OPTs     FORMERR
 *   opcode other than QUERY               NOTIMP
 *   EDNS version other than 0             BADVERS (RFC 6891 §6.1.3)
 *
 * The ID, opcode and RD are copied, the question echoed. Over UDP the reply
 * fits 512 bytes, or the requester's EDNS payload size (RFC 6891 §6.2.5,
 * at most DNS_EDNS_SIZE); if the answer does not fit, only the header and
 * question go back with TC set (RFC 2181 §9: no partial RRsets), and the
 * client retries over TCP, where up to 65535 bytes fit.
 */
#ifndef TAPIR_DNS_ANSWER_H
#define TAPIR_DNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "dns_zone.h"

/* The UDP payload size we advertise and send at most (the 2020 DNS flag
 * day's value: no IP fragmentation on common paths). */
#define DNS_EDNS_SIZE 1232
#define DNS_CNAME_CHAIN_MAX 8

enum dns_transport { DNS_OVER_UDP, DNS_OVER_TCP };

struct dns_answer_info {
	int rcode;                  /* the full (extended) rcode sent */
	int truncated;
};

/* Writes the response to `query` into out (room for DNS_MSG_MAX bytes is
 * always enough) and returns its length, or 0 when nothing must be sent:
 * shorter than a header (no ID to answer with) or a response itself (QR
 * set: answering those invites loops). info may be NULL. */
size_t dns_answer(const struct dns_zone *z, const uint8_t *query, size_t len,
		  enum dns_transport transport, uint8_t *out, size_t outcap,
		  struct dns_answer_info *info);

#endif
