/* dns_file.h - reading a small text file (zone, hosts) whole. */
#ifndef TAPIR_DNS_FILE_H
#define TAPIR_DNS_FILE_H

#include <stddef.h>

#define DNS_TEXT_FILE_MAX (1u << 20)

/* The file's text, NUL-terminated, to free(); NULL with "PATH: why" in err
 * if it cannot be read, is over 1 MiB or holds a NUL byte. */
char *dns_file_read(const char *path, char *err, size_t errlen);

#endif
