/* tcp_harness.c - TCP segments in and out, and connections driven by a
 * scripted peer (see tcp_harness.h). */
#include "tcp_harness.h"

#include <errno.h>
#include <string.h>

/* --- building ------------------------------------------------------------- */

/* RFC 1071 over the RFC 793 pseudo-header followed by the segment. */
static uint16_t pseudo_cksum(tp_ip4 src, tp_ip4 dst, uint8_t proto, const uint8_t *seg,
			     size_t len)
{
	static uint8_t buf[12 + FRAME_MAX];
	wr32(buf, src);
	wr32(buf + 4, dst);
	buf[8] = 0;
	buf[9] = proto;
	wr16(buf + 10, (uint16_t)len);
	memcpy(buf + 12, seg, len);
	return ref_cksum(buf, 12 + len);
}

size_t tcp_segment(uint8_t *out, tp_ip4 src, tp_ip4 dst, const struct tseg *s)
{
	size_t olen = (s->opt_len + 3) & ~(size_t)3;
	size_t hl = TCP_LEN + olen;
	wr16(out, s->sport ? s->sport : PEER_PORT);
	wr16(out + 2, s->dport ? s->dport : OUR_PORT);
	wr32(out + 4, s->seq);
	wr32(out + 8, s->ack);
	out[12] = (uint8_t)((s->data_offset ? (size_t)s->data_offset : hl / 4) << 4);
	out[13] = s->flags;
	wr16(out + 14, s->wnd);
	wr16(out + 16, 0);
	wr16(out + 18, 0);
	memset(out + TCP_LEN, 0, olen);             /* EOL padding */
	if (s->opt_len)
		memcpy(out + TCP_LEN, s->opt, s->opt_len);
	if (s->len)
		memcpy(out + hl, s->data, s->len);
	uint16_t sum = pseudo_cksum(src, dst, 6, out, hl + s->len);
	wr16(out + 16, s->bad_checksum ? (uint16_t)~sum : sum);
	return hl + s->len;
}

void frame_tcp(struct frame *f, const struct tseg *s)
{
	static uint8_t seg[FRAME_MAX];
	size_t n = tcp_segment(seg, PEER_IP, US_IP, s);
	frame_ipv4(f, &(struct ip_spec){.proto = 6}, seg, n);
}

void tcp_feed(struct harness *h, const struct tseg *s)
{
	static struct frame f;
	frame_tcp(&f, s);
	h_input(h, &f);
}

size_t udp_datagram(uint8_t *out, tp_ip4 src, tp_ip4 dst, uint16_t sport, uint16_t dport,
		    const void *data, size_t len, enum udp_cksum mode)
{
	wr16(out, sport);
	wr16(out + 2, dport);
	wr16(out + 4, (uint16_t)(UDP_LEN + len));
	wr16(out + 6, 0);
	if (len)
		memcpy(out + UDP_LEN, data, len);
	if (mode != UDP_CKSUM_NONE) {
		uint16_t sum = pseudo_cksum(src, dst, 17, out, UDP_LEN + len);
		if (sum == 0)
			sum = 0xffff;
		wr16(out + 6, mode == UDP_CKSUM_BAD ? (uint16_t)(sum ^ 0x0101) : sum);
	}
	return UDP_LEN + len;
}

uint16_t udp_cksum(tp_ip4 src, tp_ip4 dst, const uint8_t *dgram, size_t len)
{
	return pseudo_cksum(src, dst, 17, dgram, len);
}

/* --- reading ------------------------------------------------------------------ */

int is_tcp(const struct harness *h, size_t i)
{
	const uint8_t *fr = h->out[i].b;
	return h->out[i].len >= ETH_LEN + IP_LEN && rd16(fr + 12) == 0x0800 && fr[ETH_LEN + 9] == 6;
}

static void parse_options(const uint8_t *o, size_t n, struct tview *v)
{
	v->mss = v->wscale = -1;
	v->sack_ok = v->has_ts = v->n_sack = 0;
	for (size_t i = 0; i < n;) {
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		ck_assert_uint_lt(i + 1, n);
		size_t len = o[i + 1];
		ck_assert_uint_ge(len, 2);
		ck_assert_uint_le(i + len, n);
		if (o[i] == 2 && len == 4)
			v->mss = rd16(o + i + 2);
		else if (o[i] == 3 && len == 3)
			v->wscale = o[i + 2];
		else if (o[i] == 4 && len == 2)
			v->sack_ok = 1;
		else if (o[i] == 8 && len == 10) {
			v->has_ts = 1;
			v->ts_val = rd32(o + i + 2);
			v->ts_ecr = rd32(o + i + 6);
		} else if (o[i] == 5 && len >= 10 && (len - 2) % 8 == 0) {
			ck_assert_uint_le((len - 2) / 8, 4);
			v->n_sack = (int)(len - 2) / 8;
			for (int b = 0; b < v->n_sack; b++) {
				v->sack[b][0] = rd32(o + i + 2 + 8 * b);
				v->sack[b][1] = rd32(o + i + 6 + 8 * b);
			}
		}
		i += len;
	}
}

void out_tcp(const struct harness *h, size_t i, struct tview *v)
{
	size_t hl, total;
	const uint8_t *ip = out_ip(h, i, &hl, &total);
	ck_assert_uint_eq(ip[9], 6);
	ck_assert_uint_eq(rd16(ip + 6) & 0x3fff, 0);    /* not a fragment */
	const uint8_t *t = ip + hl;
	size_t len = total - hl;
	ck_assert_uint_ge(len, TCP_LEN);
	size_t thl = (size_t)(t[12] >> 4) * 4;
	ck_assert_uint_ge(thl, TCP_LEN);
	ck_assert_uint_le(thl, len);
	memset(v, 0, sizeof(*v));
	v->src = rd32(ip + 12);
	v->dst = rd32(ip + 16);
	ck_assert_uint_eq(pseudo_cksum(v->src, v->dst, 6, t, len), 0);
	v->sport = rd16(t);
	v->dport = rd16(t + 2);
	v->seq = rd32(t + 4);
	v->ack = rd32(t + 8);
	v->flags = t[13];
	v->wnd = rd16(t + 14);
	v->df = (rd16(ip + 6) & 0x4000) != 0;
	parse_options(t + TCP_LEN, thl - TCP_LEN, v);
	v->data = t + thl;
	v->len = len - thl;
}

size_t count_tcp(const struct harness *h)
{
	size_t n = 0;
	for (size_t i = 0; i < h->n_out; i++)
		n += is_tcp(h, i);
	return n;
}

void nth_tcp(const struct harness *h, size_t n, struct tview *v)
{
	for (size_t i = 0; i < h->n_out; i++)
		if (is_tcp(h, i) && n-- == 0) {
			out_tcp(h, i, v);
			return;
		}
	ck_abort_msg("fewer TCP segments captured than asked for");
}

void only_tcp(const struct harness *h, struct tview *v)
{
	ck_assert_uint_eq(count_tcp(h), 1);
	nth_tcp(h, 0, v);
}

/* --- connections -------------------------------------------------------------- */

static const uint8_t default_peer_opt[] = {2, 4, 0x05, 0xb4};      /* MSS 1460 */

void tc_init(struct tconn *t, const struct tp_stack_config *cfg)
{
	memset(t, 0, sizeof(*t));
	struct tp_stack_config sc = {.seed = 7, .start_time = TP_SEC(1000)};
	if (cfg) {
		sc = *cfg;
		if (!sc.start_time)
			sc.start_time = TP_SEC(1000);
	}
	h_setup(&t->h, &sc, NULL);
	h_clear(&t->h);
	h_learn(&t->h, PEER_IP, PEER_MAC);
	t->lfd = t->fd = -1;
	t->pnxt = PEER_ISS;
	t->peer_wnd = 65535;
	t->peer_opt = default_peer_opt;
	t->peer_opt_len = sizeof(default_peer_opt);
}

void tc_fini(struct tconn *t)
{
	h_fini(&t->h);
}

void tc_listen(struct tconn *t)
{
	struct tp_stack *s = t->h.stack;
	t->lfd = tp_sock_open(s, TP_SOCK_STREAM);
	ck_assert_int_ge(t->lfd, 0);
	ck_assert_int_eq(tp_sock_bind(s, t->lfd, 0, OUR_PORT), 0);
	ck_assert_int_eq(tp_sock_listen(s, t->lfd, 8), 0);
	t->lport = OUR_PORT;
}

void tc_send(struct tconn *t, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
	     size_t len)
{
	tcp_feed(&t->h, &(struct tseg){.dport = t->lport, .seq = seq, .ack = ack, .flags = flags,
				       .wnd = t->peer_wnd, .data = data, .len = len});
}

void tc_peer_syn(struct tconn *t)
{
	h_clear(&t->h);
	tcp_feed(&t->h, &(struct tseg){.dport = t->lport, .seq = PEER_ISS, .flags = F_SYN,
				       .wnd = t->peer_wnd, .opt = t->peer_opt,
				       .opt_len = t->peer_opt_len});
	t->pnxt = PEER_ISS + 1;
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_SYN | F_ACK);
	ck_assert_uint_eq(v.ack, PEER_ISS + 1);
	t->iss = v.seq;
	t->snd = v.seq + 1;
	h_clear(&t->h);
}

void tc_passive_open(struct tconn *t)
{
	tc_listen(t);
	tc_peer_syn(t);
	tc_send(t, F_ACK, t->pnxt, t->snd, NULL, 0);
	ck_assert_uint_eq(count_tcp(&t->h), 0);     /* the final ACK needs no answer */
	t->fd = tp_sock_accept(t->h.stack, t->lfd, NULL, NULL);
	ck_assert_int_ge(t->fd, 0);
	ck_assert_str_eq(tc_state(t), "ESTABLISHED");
}

void tc_connect(struct tconn *t)
{
	struct tp_stack *s = t->h.stack;
	t->fd = tp_sock_open(s, TP_SOCK_STREAM);
	ck_assert_int_ge(t->fd, 0);
	h_clear(&t->h);
	ck_assert_int_eq(tp_sock_connect(s, t->fd, PEER_IP, PEER_PORT), -EINPROGRESS);
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_SYN);
	ck_assert_uint_eq(v.dport, PEER_PORT);
	t->lport = v.sport;
	t->iss = v.seq;
	t->snd = v.seq + 1;
	h_clear(&t->h);
}

void tc_active_open(struct tconn *t)
{
	tc_connect(t);
	tcp_feed(&t->h, &(struct tseg){.dport = t->lport, .seq = PEER_ISS, .ack = t->snd,
				       .flags = F_SYN | F_ACK, .wnd = t->peer_wnd,
				       .opt = t->peer_opt, .opt_len = t->peer_opt_len});
	t->pnxt = PEER_ISS + 1;
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_ACK);
	ck_assert_uint_eq(v.seq, t->snd);
	ck_assert_uint_eq(v.ack, t->pnxt);
	ck_assert_str_eq(tc_state(t), "ESTABLISHED");
	h_clear(&t->h);
}

void tc_peer_data(struct tconn *t, const void *data, size_t len)
{
	tc_send(t, F_ACK | F_PSH, t->pnxt, t->snd, data, len);
	t->pnxt += (uint32_t)len;
}

void tc_peer_ack(struct tconn *t)
{
	tc_send(t, F_ACK, t->pnxt, t->snd, NULL, 0);
}

void tc_peer_fin(struct tconn *t)
{
	tc_send(t, F_FIN | F_ACK, t->pnxt, t->snd, NULL, 0);
	t->pnxt++;
}

void tc_our_fin(struct tconn *t, int shutdown)
{
	struct tp_stack *s = t->h.stack;
	h_clear(&t->h);
	if (shutdown)
		ck_assert_int_eq(tp_sock_shutdown(s, t->fd, TP_SHUT_WR), 0);
	else
		ck_assert_int_eq(tp_sock_close(s, t->fd), 0);
	struct tview v;
	only_tcp(&t->h, &v);
	ck_assert_uint_eq(v.flags, F_FIN | F_ACK);
	ck_assert_uint_eq(v.seq, t->snd);
	ck_assert_uint_eq(v.ack, t->pnxt);
	t->snd++;
	if (!shutdown)
		t->fd = -1;
	h_clear(&t->h);
}

struct find {
	uint16_t lport;
	int found;
	struct tp_tcp_info info;
};

static void find_conn(void *ctx, const struct tp_tcp_info *i)
{
	struct find *f = ctx;
	if (i->lport == f->lport && i->rport == PEER_PORT && i->raddr == PEER_IP) {
		f->found = 1;
		f->info = *i;
	}
}

const char *tc_state(struct tconn *t)
{
	struct find f = {.lport = t->lport};
	tp_tcp_foreach(t->h.stack, find_conn, &f);
	return f.found ? f.info.state : NULL;
}

void tc_info(struct tconn *t, struct tp_tcp_info *info)
{
	struct find f = {.lport = t->lport};
	tp_tcp_foreach(t->h.stack, find_conn, &f);
	ck_assert_msg(f.found, "no connection %u <-> %u", t->lport, PEER_PORT);
	*info = f.info;
}
