/*
 * checksum.h - the Internet checksum (RFC 1071), in pieces so a pseudo-header
 * and a payload in two buffers can be summed without copying.
 */
#ifndef TP_CHECKSUM_H
#define TP_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds `len` bytes to a running 32-bit sum. An odd length is padded with a
 * zero byte, so only the last piece of a message may be odd. */
uint32_t cksum_add(uint32_t sum, const uint8_t *data, size_t len);
/* Folds the sum to 16 bits and complements it: the value to store. */
uint16_t cksum_finish(uint32_t sum);
/* The whole checksum of one buffer. Verifying: 0 means correct. */
uint16_t cksum(const uint8_t *data, size_t len);
/* Sum of the IPv4 pseudo-header (RFC 793 §3.1 / RFC 768). */
uint32_t cksum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

#endif
