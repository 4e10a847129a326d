/* gso.c - see tapir/gso.h. Written from RFC 791/9293 and the virtio-net
 * header's meaning, not from the core: tests compare the two. */
#include "tapir/gso.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ETH 14
#define FIN 0x01
#define PSH 0x08

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void set16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* RFC 1071 sum of len bytes onto sum, unfolded. */
static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP checksum of the segment at l4 (len bytes) inside datagram ip. */
static void tcp_checksum(const uint8_t *ip, uint8_t *l4, size_t len)
{
	uint32_t pseudo = sum16(0, ip + 12, 8) + ip[9] + (uint32_t)len;
	set16(l4 + 16, 0);
	set16(l4 + 16, fold(sum16(pseudo, l4, len)));
}

int tp_gso_segment(const uint8_t *frame, size_t len, const struct tp_offload *off,
		   tp_gso_emit_fn emit, void *ctx)
{
	if (!off->csum_partial && !off->gso_tcp4) {
		emit(ctx, frame, len);
		return 1;
	}
	if (len < ETH + 20 || be16(frame + 12) != 0x0800)
		return -EINVAL;
	const uint8_t *ip = frame + ETH;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = be16(ip + 2);
	if (ihl < 20 || total < ihl || ETH + total > len || off->csum_start != ETH + ihl)
		return -EINVAL;
	uint8_t *out = malloc(len < 60 ? 60 : len);
	if (!out)
		return -ENOMEM;
	memcpy(out, frame, len);
	if (!off->gso_tcp4) {
		/* A partial checksum (TCP's or UDP's): complete it over the datagram. */
		size_t at = off->csum_start + off->csum_offset;
		int ok = at + 2 <= ETH + total;
		if (ok)
			set16(out + at, fold(sum16(0, out + off->csum_start, ETH + total - off->csum_start)));
		if (ok)
			emit(ctx, out, len);
		free(out);
		return ok ? 1 : -EINVAL;
	}
	size_t thl = ip[9] == 6 && total >= ihl + 20 ? (size_t)(ip[ihl + 12] >> 4) * 4 : 0;
	if (thl < 20 || ihl + thl >= total || !off->gso_size) {
		free(out);
		return -EINVAL;
	}
	size_t hdrs = ETH + ihl + thl, payload = total - ihl - thl, n = 0;
	uint32_t seq0 = (uint32_t)be16(ip + ihl + 4) << 16 | be16(ip + ihl + 6);
	uint16_t id0 = be16(ip + 4);
	uint8_t flags = ip[ihl + 13];
	for (size_t at = 0; at < payload; at += off->gso_size, n++) {
		size_t chunk = payload - at < off->gso_size ? payload - at : off->gso_size;
		int last = at + chunk >= payload;
		uint8_t *oip = out + ETH, *tcp = oip + ihl;
		memcpy(out, frame, hdrs);
		memcpy(out + hdrs, frame + hdrs + at, chunk);
		set16(oip + 2, ihl + thl + chunk);
		set16(oip + 4, (uint16_t)(id0 + n));
		set16(oip + 10, 0);
		set16(oip + 10, fold(sum16(0, oip, ihl)));
		uint32_t seq = seq0 + (uint32_t)at;
		set16(tcp + 4, seq >> 16);
		set16(tcp + 6, seq);
		tcp[13] = last ? flags : (uint8_t)(flags & ~(FIN | PSH));
		tcp_checksum(oip, tcp, thl + chunk);
		size_t flen = hdrs + chunk;
		if (flen < 60) {
			memset(out + flen, 0, 60 - flen);       /* Ethernet's minimum */
			flen = 60;
		}
		emit(ctx, out, flen);
	}
	free(out);
	return (int)n;
}
