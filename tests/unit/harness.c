#include "harness.h"

#include <string.h>

const uint8_t US_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
const uint8_t PEER_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
const uint8_t OTHER_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x03};
const uint8_t GW_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};
const uint8_t BCAST_MAC[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const uint8_t ZERO_MAC[6] = {0};

uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) << 16 | rd16(p + 2); }
void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

uint16_t ref_cksum(const uint8_t *data, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < len; i += 2) {
		uint16_t word = (uint16_t)(data[i] << 8 | (i + 1 < len ? data[i + 1] : 0));
		sum += word;
		if (sum > 0xffff)               /* end-around carry, one word at a time */
			sum = (sum & 0xffff) + 1;
	}
	return (uint16_t)~sum;
}

void frame_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	wr16(f->b + 12, type);
	f->len = ETH_LEN;
}

void frame_put(struct frame *f, const void *data, size_t n)
{
	ck_assert_uint_le(f->len + n, sizeof(f->b));
	memcpy(f->b + f->len, data, n);
	f->len += n;
}

void frame_arp(struct frame *f, const uint8_t dst[6], const struct arp_spec *a)
{
	uint8_t p[ARP_LEN];
	wr16(p, a->htype ? a->htype : 1);
	wr16(p + 2, a->ptype ? a->ptype : 0x0800);
	p[4] = a->hlen ? a->hlen : 6;
	p[5] = a->plen ? a->plen : 4;
	wr16(p + 6, a->op);
	memcpy(p + 8, a->sha, 6);
	wr32(p + 14, a->spa);
	memcpy(p + 18, a->tha ? a->tha : ZERO_MAC, 6);
	wr32(p + 24, a->tpa);
	frame_eth(f, dst, a->sha, 0x0806);
	frame_put(f, p, sizeof(p));
}

size_t ip_header(uint8_t *out, const struct ip_spec *s, size_t payload_len)
{
	size_t hl = IP_LEN + s->opt_len;
	ck_assert_uint_eq(s->opt_len % 4, 0);
	out[0] = (uint8_t)(0x40 | hl / 4);
	out[1] = s->tos;
	wr16(out + 2, (uint16_t)(hl + payload_len));
	wr16(out + 4, s->id);
	wr16(out + 6, s->frag);
	out[8] = s->ttl ? s->ttl : 64;
	out[9] = s->proto;
	wr16(out + 10, 0);
	wr32(out + 12, s->src ? s->src : PEER_IP);
	wr32(out + 16, s->dst ? s->dst : US_IP);
	if (s->opt_len)
		memcpy(out + IP_LEN, s->options, s->opt_len);
	wr16(out + 10, ref_cksum(out, hl));
	return hl;
}

void frame_ipv4(struct frame *f, const struct ip_spec *s, const void *payload, size_t len)
{
	uint8_t hdr[60];
	frame_eth(f, US_MAC, PEER_MAC, 0x0800);
	frame_put(f, hdr, ip_header(hdr, s, len));
	frame_put(f, payload, len);
}

size_t icmp_msg(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest, const void *body,
		size_t len)
{
	out[0] = type;
	out[1] = code;
	wr16(out + 2, 0);
	wr32(out + 4, rest);
	if (len)
		memcpy(out + ICMP_LEN, body, len);
	wr16(out + 2, ref_cksum(out, ICMP_LEN + len));
	return ICMP_LEN + len;
}

void frame_echo(struct frame *f, const struct ip_spec *s, uint16_t ident, uint16_t seq,
		const void *data, size_t len)
{
	static uint8_t msg[FRAME_MAX];
	struct ip_spec spec = *s;
	spec.proto = 1;
	size_t n = icmp_msg(msg, 8, 0, (uint32_t)ident << 16 | seq, data, len);
	frame_ipv4(f, &spec, msg, n);
}

void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
}

static int capture_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	struct harness *h = ctx;
	if (h->n_out == h->cap_out) {
		h->cap_out = h->cap_out ? 2 * h->cap_out : 16;
		h->out = realloc(h->out, h->cap_out * sizeof(*h->out));
		ck_assert_ptr_nonnull(h->out);
	}
	uint8_t *copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, frame, len);
	h->out[h->n_out++] = (struct captured){copy, len};
	return h->tx_result;
}

static void capture_echo(void *ctx, const struct tp_echo_reply *r)
{
	struct harness *h = ctx;
	if (h->n_echo == h->cap_echo) {
		h->cap_echo = h->cap_echo ? 2 * h->cap_echo : 16;
		h->echo = realloc(h->echo, h->cap_echo * sizeof(*h->echo));
		ck_assert_ptr_nonnull(h->echo);
	}
	struct echo_seen *e = &h->echo[h->n_echo++];
	e->r = *r;
	e->data = malloc(r->len ? r->len : 1);
	ck_assert_ptr_nonnull(e->data);
	if (r->len)
		memcpy(e->data, r->data, r->len);
	e->r.data = e->data;
}

struct tp_netif_config h_netif_config(void)
{
	struct tp_netif_config c = {.name = "test0", .addr = US_IP, .prefix_len = 24,
				    .gateway = GW_IP, .mtu = 1500};
	memcpy(c.mac, US_MAC, 6);
	return c;
}

void h_setup(struct harness *h, const struct tp_stack_config *cfg,
	     const struct tp_netif_config *ncfg)
{
	memset(h, 0, sizeof(*h));
	struct tp_stack_config sc = {.seed = 42, .start_time = TP_SEC(1000)};
	struct tp_netif_config nc = h_netif_config();
	if (cfg)
		sc = *cfg;
	if (ncfg)
		nc = *ncfg;
	h->now = sc.start_time;
	h->stack = tp_stack_new(&sc);
	ck_assert_ptr_nonnull(h->stack);
	tp_set_echo_handler(h->stack, capture_echo, h);
	h->nif = tp_netif_add(h->stack, &nc, capture_transmit, h);
	ck_assert_ptr_nonnull(h->nif);
}

void h_init(struct harness *h)
{
	h_setup(h, NULL, NULL);
	h_clear(h);
}

void h_clear(struct harness *h)
{
	for (size_t i = 0; i < h->n_out; i++)
		free(h->out[i].b);
	for (size_t i = 0; i < h->n_echo; i++)
		free(h->echo[i].data);
	h->n_out = h->n_echo = 0;
}

void h_fini(struct harness *h)
{
	tp_stack_free(h->stack);
	h_clear(h);
	free(h->out);
	free(h->echo);
	memset(h, 0, sizeof(*h));
}

void h_input(struct harness *h, const struct frame *f)
{
	tp_input(h->stack, h->nif, f->b, f->len);
}

void h_advance(struct harness *h, tp_time dt)
{
	/* Wake at every deadline on the way, as a real event loop would: a
	 * timer re-armed from its callback counts from when it ran. */
	tp_time target = h->now + dt, next;
	while ((next = tp_next_deadline(h->stack)) <= target) {
		h->now = next > h->now ? next : h->now;
		tp_poll(h->stack, h->now);
	}
	h->now = target;
	tp_poll(h->stack, h->now);
}

void h_learn(struct harness *h, tp_ip4 ip, const uint8_t mac[6])
{
	struct frame f;
	struct arp_spec a = {.op = 1, .sha = mac, .spa = ip, .tpa = US_IP};
	frame_arp(&f, BCAST_MAC, &a);
	h_input(h, &f);
	h_clear(h);
}

const uint8_t *out_ip(const struct harness *h, size_t i, size_t *hl, size_t *total)
{
	ck_assert_uint_lt(i, h->n_out);
	const uint8_t *fr = h->out[i].b;
	size_t len = h->out[i].len;
	ck_assert_uint_ge(len, ETH_LEN + IP_LEN);
	ck_assert_uint_eq(rd16(fr + 12), 0x0800);
	ck_assert_mem_eq(fr + 6, US_MAC, 6);
	const uint8_t *ip = fr + ETH_LEN;
	ck_assert_uint_eq(ip[0] >> 4, 4);
	size_t h_len = (size_t)(ip[0] & 15) * 4, t = rd16(ip + 2);
	ck_assert_uint_ge(h_len, IP_LEN);
	ck_assert_uint_le(t, len - ETH_LEN);
	ck_assert_uint_ge(t, h_len);
	ck_assert_uint_eq(ref_cksum(ip, h_len), 0);
	if (hl)
		*hl = h_len;
	if (total)
		*total = t;
	return ip;
}

const uint8_t *out_icmp(const struct harness *h, size_t i, size_t *len)
{
	size_t hl, total;
	const uint8_t *ip = out_ip(h, i, &hl, &total);
	ck_assert_uint_eq(ip[9], 1);
	ck_assert_uint_eq(rd16(ip + 6) & 0x3fff, 0);       /* not a fragment */
	ck_assert_uint_ge(total - hl, ICMP_LEN);
	ck_assert_uint_eq(ref_cksum(ip + hl, total - hl), 0);
	*len = total - hl;
	return ip + hl;
}

const uint8_t *out_arp(const struct harness *h, size_t i)
{
	ck_assert_uint_lt(i, h->n_out);
	ck_assert_uint_ge(h->out[i].len, ETH_LEN + ARP_LEN);
	ck_assert_uint_eq(rd16(h->out[i].b + 12), 0x0806);
	return h->out[i].b + ETH_LEN;
}

size_t out_glue(const struct harness *h, size_t first, size_t n, uint8_t *payload,
		const uint8_t **hdr0)
{
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		size_t hl, total;
		const uint8_t *ip = out_ip(h, first + i, &hl, &total);
		uint16_t frag = rd16(ip + 6);
		const uint8_t *ip0 = h->out[first].b + ETH_LEN;
		ck_assert_uint_eq(rd16(ip + 4), rd16(ip0 + 4));
		ck_assert_uint_eq(rd32(ip + 12), rd32(ip0 + 12));
		ck_assert_uint_eq(rd32(ip + 16), rd32(ip0 + 16));
		ck_assert_uint_eq(ip[9], ip0[9]);
		ck_assert_uint_eq((size_t)(frag & 0x1fff) * 8, off);
		ck_assert_int_eq(!!(frag & 0x2000), i + 1 < n);
		memcpy(payload + off, ip + hl, total - hl);
		off += total - hl;
	}
	if (hdr0)
		*hdr0 = h->out[first].b + ETH_LEN;
	return off;
}

size_t count_ethertype(const struct harness *h, uint16_t type)
{
	size_t n = 0;
	for (size_t i = 0; i < h->n_out; i++)
		n += h->out[i].len >= ETH_LEN && rd16(h->out[i].b + 12) == type;
	return n;
}

int discard_transmit(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)frame;
	(void)len;
	return 0;
}

