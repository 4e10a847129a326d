/* vnet.c - see vnet.h. The layout is Linux's include/uapi/linux/virtio_net.h. */
#include "vnet.h"

#include <string.h>

#define F_NEEDS_CSUM 1u
#define F_DATA_VALID 2u
#define GSO_NONE 0u
#define GSO_TCPV4 1u
#define GSO_ECN 0x80u       /* the segments carry ECN bits: harmless to a receiver */

static uint16_t get_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

int vnet_parse(const uint8_t *buf, size_t len, struct tp_offload *off)
{
	memset(off, 0, sizeof(*off));
	if (len < VNET_HDR_LEN)
		return -1;
	uint8_t flags = buf[0], gso = buf[1] & (uint8_t)~GSO_ECN;
	off->csum_partial = !!(flags & F_NEEDS_CSUM);
	off->csum_valid = !!(flags & F_DATA_VALID);
	off->hdr_len = get_le16(buf + 2);
	off->gso_size = get_le16(buf + 4);
	off->csum_start = get_le16(buf + 6);
	off->csum_offset = get_le16(buf + 8);
	off->gso_tcp4 = gso == GSO_TCPV4;
	off->gso_other = (gso != GSO_NONE && gso != GSO_TCPV4) ||
			 (flags & ~(F_NEEDS_CSUM | F_DATA_VALID));
	return VNET_HDR_LEN;
}

void vnet_build(uint8_t hdr[VNET_HDR_LEN], const struct tp_offload *off)
{
	memset(hdr, 0, VNET_HDR_LEN);
	if (!off)
		return;
	hdr[0] = off->csum_partial ? F_NEEDS_CSUM : 0;
	hdr[1] = off->gso_tcp4 ? GSO_TCPV4 : GSO_NONE;
	put_le16(hdr + 2, off->hdr_len);
	put_le16(hdr + 4, off->gso_tcp4 ? off->gso_size : 0);
	put_le16(hdr + 6, off->csum_start);
	put_le16(hdr + 8, off->csum_offset);
}
