/* dns_file.c - see dns_file.h. */
#include "dns_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dns_file_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *text = malloc(DNS_TEXT_FILE_MAX + 1);
	size_t n = text ? fread(text, 1, DNS_TEXT_FILE_MAX + 1, f) : 0;
	int failed = ferror(f);
	fclose(f);
	const char *why = !text ? "out of memory" : failed ? "read error"
			: n > DNS_TEXT_FILE_MAX ? "larger than 1 MiB" : NULL;
	if (!why) {
		text[n] = '\0';
		if (strlen(text) != n)
			why = "contains a NUL byte";
	}
	if (why) {
		snprintf(err, errlen, "%s: %s", path, why);
		free(text);
		return NULL;
	}
	return text;
}
