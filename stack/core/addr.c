/* addr.c - parsing and printing addresses, strictly (no inet_aton leniency). */
#include <errno.h>
#include <stdio.h>

#include "tapir/tapir.h"

static const char *parse_octet(const char *s, unsigned max, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;
	while (*s >= '0' && *s <= '9' && digits < 4) {
		v = v * 10 + (unsigned)(*s++ - '0');
		digits++;
	}
	/* "010" is 10 here but 8 to inet_aton: refuse the ambiguity. */
	if (!digits || digits > 3 || v > max || (digits > 1 && s[-digits] == '0'))
		return NULL;
	*out = v;
	return s;
}

static const char *parse_ip(const char *s, tp_ip4 *out)
{
	tp_ip4 a = 0;
	for (int i = 0; i < 4; i++) {
		unsigned o;
		if (!s || !(s = parse_octet(s, 255, &o)))
			return NULL;
		a = a << 8 | o;
		if (i < 3 && *s++ != '.')
			return NULL;
	}
	*out = a;
	return s;
}

int tp_ip4_parse(const char *s, tp_ip4 *out)
{
	const char *end = parse_ip(s, out);
	return end && *end == '\0' ? 0 : -EINVAL;
}

int tp_ip4_parse_cidr(const char *s, tp_ip4 *addr, uint8_t *prefix_len)
{
	const char *end = parse_ip(s, addr);
	if (!end)
		return -EINVAL;
	if (*end == '\0') {
		*prefix_len = 32;
		return 0;
	}
	unsigned len;
	if (*end != '/' || !(end = parse_octet(end + 1, 32, &len)) || *end != '\0')
		return -EINVAL;
	*prefix_len = (uint8_t)len;
	return 0;
}

char *tp_ip4_format(tp_ip4 a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
	return buf;
}

int tp_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int tp_mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		int hi = tp_hex_digit(s[0]), lo = hi < 0 ? -1 : tp_hex_digit(s[1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	return *s == '\0' ? 0 : -EINVAL;
}
