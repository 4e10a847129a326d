/*
 * siphash.h - SipHash-2-4 (Aumasson & Bernstein), the keyed hash behind
 * ISNs (RFC 6528), ephemeral ports (RFC 6056) and, later, SYN cookies.
 */
#ifndef TP_SIPHASH_H
#define TP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint64_t key[2], const uint8_t *data, size_t len);

#endif
