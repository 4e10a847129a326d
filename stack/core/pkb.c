#include "pkb.h"

#include <stdlib.h>

struct pkb *pkb_alloc(size_t headroom, size_t tailroom)
{
	/* Always leave room to pad to the Ethernet minimum (60 bytes). */
	if (tailroom < 64)
		tailroom = 64;
	struct pkb *p = malloc(sizeof(*p) + headroom + tailroom);
	if (!p)
		return NULL;
	p->next = NULL;
	p->data = p->buf + headroom;
	p->len = 0;
	p->size = headroom + tailroom;
	p->nexthop = 0;
	p->csum_l4 = NULL;
	p->csum_offset = 0;
	p->gso_size = 0;
	return p;
}

void pkb_free(struct pkb *p)
{
	free(p);
}

uint8_t *pkb_push(struct pkb *p, size_t n)
{
	if (pkb_headroom(p) < n)
		return NULL;
	p->data -= n;
	p->len += n;
	return p->data;
}

uint8_t *pkb_put(struct pkb *p, size_t n)
{
	size_t used = pkb_headroom(p) + p->len;
	if (p->size - used < n)
		return NULL;
	p->len += n;
	return p->data + p->len - n;
}

void pkb_pull(struct pkb *p, size_t n)
{
	if (n > p->len)
		n = p->len;
	p->data += n;
	p->len -= n;
}
