#include "ip_reass.h"

#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "icmp.h"
#include "stack.h"

static void reass_timeout(struct tp_stack *s, struct tp_timer *t);

static struct ip_reass_table *table(struct tp_stack *s) { return &s->ip.reass; }

static void reass_free(struct tp_stack *s, struct ip_reass *r)
{
	struct ip_reass_table *t = table(s);
	for (struct ip_reass **link = &t->list; *link; link = &(*link)->next)
		if (*link == r) {
			*link = r->next;
			break;
		}
	tp_timer_stop(s, &r->timer);
	t->mem -= sizeof(*r) + r->cap;
	free(r->data);
	free(r);
}

/* Frees the oldest reassemblies other than `keep` until `need` more bytes fit. */
static int make_room(struct tp_stack *s, struct ip_reass *keep, size_t need)
{
	struct ip_reass_table *t = table(s);
	while (t->mem + need > t->mem_limit) {
		struct ip_reass *oldest = NULL;
		for (struct ip_reass *r = t->list; r; r = r->next)
			if (r != keep)
				oldest = r;     /* the list is newest first */
		if (!oldest)
			return -1;
		tp_count(s, TP_STAT_IP_REASS_MEMORY);
		reass_free(s, oldest);
	}
	return 0;
}

static struct ip_reass *find_or_create(struct tp_stack *s, const struct ip_frag *f)
{
	struct ip_reass_table *t = table(s);
	for (struct ip_reass *r = t->list; r; r = r->next)
		if (r->id == f->id && r->src == f->src && r->dst == f->dst && r->proto == f->proto)
			return r;
	if (make_room(s, NULL, sizeof(struct ip_reass)) < 0)
		return NULL;
	struct ip_reass *r = calloc(1, sizeof(*r));
	if (!r) {
		tp_count(s, TP_STAT_MEM_FAIL);
		return NULL;
	}
	r->src = f->src;
	r->dst = f->dst;
	r->id = f->id;
	r->proto = f->proto;
	r->started = s->now;
	tp_timer_init(&r->timer, reass_timeout);
	tp_timer_set(s, &r->timer, s->now + IP_REASS_TIMEOUT);
	r->next = t->list;
	t->list = r;
	t->mem += sizeof(*r);
	return r;
}

static int block_got(const struct ip_reass *r, uint32_t b) { return r->got[b / 8] >> (b % 8) & 1; }

static void reass_timeout(struct tp_stack *s, struct tp_timer *t)
{
	struct ip_reass *r = container_of(t, struct ip_reass, timer);

	tp_count(s, TP_STAT_IP_REASS_TIMEOUT);
	/* RFC 1122 §3.3.2: time exceeded (code 1), only if fragment zero came. */
	if (r->hdr_len) {
		uint8_t quote[60 + 8];
		size_t n = r->hdr_len;
		size_t data = r->cap < 8 ? r->cap : 8;
		memcpy(quote, r->hdr, n);
		if (block_got(r, 0))
			memcpy(quote + n, r->data, data);
		else
			data = 0;
		icmp_send_error(s, ICMP_TIME_EXCEEDED, 1, 0, quote, n + data, 0);
	}
	reass_free(s, r);
}

static void drop_datagram(struct tp_stack *s, struct ip_reass *r, enum tp_stat_id why,
			  const struct ip_frag *f)
{
	tp_drop(s, why, f->hdr, f->hdr_len + f->len);
	reass_free(s, r);
}

uint8_t *ip_reass_add(struct tp_stack *s, const struct ip_frag *f, size_t *hdr_len, size_t *total)
{
	uint32_t end = f->offset + (uint32_t)f->len;

	tp_count(s, TP_STAT_IP_FRAG_IN);
	if (f->hdr_len + end > IP_MAX_LEN) {
		tp_drop(s, TP_STAT_IP_REASS_OVERSIZE, f->hdr, f->hdr_len + f->len);
		return NULL;
	}
	/* RFC 791: every fragment but the last carries a multiple of 8 bytes. */
	if (f->more && (f->len == 0 || f->len % 8 != 0)) {
		tp_drop(s, TP_STAT_IP_REASS_BAD_FRAG, f->hdr, f->hdr_len + f->len);
		return NULL;
	}
	struct ip_reass *r = find_or_create(s, f);
	if (!r) {
		tp_drop(s, TP_STAT_IP_REASS_MEMORY, f->hdr, f->hdr_len + f->len);
		return NULL;
	}
	/* Contradictions about where the datagram ends kill it. */
	if (r->seen_last) {
		if ((!f->more && end != r->total) || end > r->total) {
			drop_datagram(s, r, TP_STAT_IP_REASS_OVERLAP, f);
			return NULL;
		}
	} else if (!f->more && end < r->max_end) {
		/* A last fragment ending inside bytes already held: checking only
		 * whole blocks past its end would miss the block it ends in. */
		drop_datagram(s, r, TP_STAT_IP_REASS_OVERLAP, f);
		return NULL;
	}
	if (end > r->cap) {
		uint32_t cap = r->cap ? r->cap : 2048;
		while (cap < end)
			cap *= 2;
		if (cap > IP_MAX_LEN)
			cap = IP_MAX_LEN;
		if (make_room(s, r, cap - r->cap) < 0) {
			drop_datagram(s, r, TP_STAT_IP_REASS_MEMORY, f);
			return NULL;
		}
		uint8_t *data = realloc(r->data, cap);
		if (!data) {
			tp_count(s, TP_STAT_MEM_FAIL);
			drop_datagram(s, r, TP_STAT_IP_REASS_MEMORY, f);
			return NULL;
		}
		table(s)->mem += cap - r->cap;
		r->data = data;
		r->cap = cap;
	}
	/* Bytes already held must match: a duplicate is harmless, a rewrite is not. */
	uint32_t first = f->offset / 8, last = (end + 7) / 8, fresh = 0;
	for (uint32_t b = first; b < last; b++) {
		if (!block_got(r, b)) {
			fresh++;
			continue;
		}
		uint32_t lo = b * 8, hi = lo + 8 < end ? lo + 8 : end;
		if (memcmp(r->data + lo, f->data + (lo - f->offset), hi - lo) != 0) {
			drop_datagram(s, r, TP_STAT_IP_REASS_OVERLAP, f);
			return NULL;
		}
	}
	if (f->offset == 0 && !r->hdr_len) {
		memcpy(r->hdr, f->hdr, f->hdr_len);
		r->hdr_len = (uint8_t)f->hdr_len;
	}
	if (!f->more) {
		r->total = end;
		r->seen_last = 1;
	}
	/* The first fragment's header becomes the whole datagram's: with its
	 * options the datagram may exceed 65535 bytes though no fragment did. */
	if (r->hdr_len && r->seen_last && r->hdr_len + r->total > IP_MAX_LEN) {
		drop_datagram(s, r, TP_STAT_IP_REASS_OVERSIZE, f);
		return NULL;
	}
	if (fresh == 0 && f->len != 0) {
		tp_count(s, TP_STAT_IP_REASS_DUP);
		return NULL;
	}
	if (++r->frags > IP_REASS_MAX_FRAGS) {
		drop_datagram(s, r, TP_STAT_IP_REASS_BAD_FRAG, f);
		return NULL;
	}
	if (f->len)
		memcpy(r->data + f->offset, f->data, f->len);
	for (uint32_t b = first; b < last; b++)
		r->got[b / 8] |= (uint8_t)(1u << (b % 8));
	r->have += fresh;
	if (end > r->max_end)
		r->max_end = end;

	if (!r->hdr_len || !r->seen_last || r->have != (r->total + 7) / 8)
		return NULL;

	/* Complete: the first fragment's header, no longer a fragment, then the data. */
	size_t hl = r->hdr_len;
	uint8_t *out = malloc(hl + r->total);
	if (!out) {
		tp_count(s, TP_STAT_MEM_FAIL);
		reass_free(s, r);
		return NULL;
	}
	memcpy(out, r->hdr, hl);
	memcpy(out + hl, r->data, r->total);
	put_be16(out + 2, (uint16_t)(hl + r->total));
	put_be16(out + 6, get_be16(out + 6) & IP_FLAG_DF);
	put_be16(out + 10, 0);
	put_be16(out + 10, cksum(out, hl));
	*hdr_len = hl;
	*total = hl + r->total;
	tp_count(s, TP_STAT_IP_REASS_OK);
	reass_free(s, r);
	return out;
}

void ip_reass_fini(struct tp_stack *s)
{
	while (table(s)->list)
		reass_free(s, table(s)->list);
}
