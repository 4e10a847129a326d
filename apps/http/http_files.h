/*
 * http_files.h - what the server serves: files under --www, or the built-in
 * site, and the mapping from a request-target to one of them.
 *
 * The mapping never leaves the document root: the target's path is
 * percent-decoded (a NUL or a ".." segment, however encoded, is refused),
 * then opened with openat2(2)'s RESOLVE_BENEATH against the root's
 * descriptor, so the kernel refuses any way out (a symlink pointing out,
 * an absolute one) in the one call; where openat2 is missing, resolved with
 * realpath(3) and checked to lie under the root's own realpath.
 */
#ifndef TAPIR_APPS_HTTP_FILES_H
#define TAPIR_APPS_HTTP_FILES_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "http_parse.h"

struct http_docroot {
	char real[PATH_MAX];        /* realpath of --www; "" for the built-in site */
	int dirfd;                  /* the root opened, or -1 */
	time_t started;             /* Last-Modified of the built-in pages */
};

/* Opens `dir` (NULL: the built-in site). -1 with the reason in err. */
int http_docroot_open(struct http_docroot *root, const char *dir, char *err, size_t errlen);
void http_docroot_close(struct http_docroot *root);

/*
 * The decoded path of a request-target (origin- or absolute-form): query
 * dropped, %XX decoded, "/" + segments. Returns 0, or -400 for a malformed
 * escape, an encoded NUL, a ".." or "." segment, or a path longer than
 * outlen.
 */
int http_target_path(struct http_span target, char *out, size_t outlen);

/* One representation, ready to send: an open file or bytes in memory. */
struct http_file {
	int fd;                     /* -1 when `mem` holds it */
	const char *mem;
	uint64_t size;
	time_t mtime;
	char etag[64];              /* strong, quoted */
	const char *content_type;
};

/*
 * Looks a decoded path up. Returns 0 (and f, whose fd the caller closes),
 * 301 when it names a directory without the final "/" (redirect to it),
 * -404 (missing, not a regular file, or a directory without index.html)
 * or -403 (outside the root through a symlink, or unreadable).
 */
int http_docroot_lookup(const struct http_docroot *root, const char *path, struct http_file *f);

/* "text/html; charset=utf-8" for "/a/index.html"; application/octet-stream
 * when the extension is unknown. */
const char *http_content_type(const char *path);

#endif
