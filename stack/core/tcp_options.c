/* tcp_options.c - reading the TCP options of a segment (RFC 9293 §3.1,
 * RFC 7323, RFC 2018): every length checked, unknown kinds skipped. */
#include "byteorder.h"
#include "tcp.h"

int tcp_parse_options(const uint8_t *o, size_t n, struct tcp_seg *seg)
{
	size_t i = 0;
	seg->mss = 0;
	seg->wscale = -1;
	seg->sack_ok = 0;
	seg->has_ts = 0;
	while (i < n) {
		uint8_t kind = o[i];
		if (kind == 0)                      /* end of option list */
			break;
		if (kind == 1) {                    /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			return -1;
		uint8_t len = o[i + 1];
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case 2:
			if (len != 4)
				return -1;
			seg->mss = get_be16(v);
			break;
		case 3:
			if (len != 3)
				return -1;
			/* RFC 7323 §2.3: a shift above 14 is taken as 14. */
			seg->wscale = (int8_t)(v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0]);
			break;
		case 4:
			if (len != 2)
				return -1;
			seg->sack_ok = 1;
			break;
		case 8:
			if (len != 10)
				return -1;
			seg->has_ts = 1;
			seg->ts_val = get_be32(v);
			seg->ts_ecr = get_be32(v + 4);
			break;
		default:                            /* unknown or unused here: skipped */
			break;
		}
		i += len;
	}
	return 0;
}
