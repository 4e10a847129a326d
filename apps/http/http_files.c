/* http_files.c - document root, target paths, the built-in site; see http_files.h. */
#include "http_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tapir/tapir.h"

/* The built-in site: what a visitor sees without --www. */
static const char builtin_index[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\"><head><meta charset=\"utf-8\"><title>tapir</title>\n"
	"<style>body{font-family:sans-serif;max-width:44em;margin:2em auto;line-height:1.5}"
	"code{background:#eee;padding:0 .2em}</style></head><body>\n"
	"<h1>Hello from tapir</h1>\n"
	"<p>This page did not come from your kernel's TCP. It was served by <b>tapir</b>, a TCP/IP\n"
	"stack written in C that runs in an ordinary process, on a TAP device: every Ethernet\n"
	"frame of this conversation was built and parsed by tapir itself.</p>\n"
	"<p>Your browser (or curl) looked up the address, sent a SYN; tapir answered with a\n"
	"SYN-ACK, your ACK completed the three-way handshake, and this HTTP/1.1 request and\n"
	"response travelled in TCP segments that tapir sequenced, acknowledged and, if any got\n"
	"lost, retransmitted. The connection stays open (keep-alive) until one side sends a FIN.</p>\n"
	"<p>Watch it happen: <a href=\"/status\">/status</a> lists every TCP connection tapir holds\n"
	"right now &mdash; its state, addresses, congestion window, round-trip time and bytes\n"
	"in and out &mdash; and the stack's counters (<a href=\"/status.json\">as JSON</a>).\n"
	"Open it, start a download in another tab, and watch the states change.</p>\n"
	"<p>Try: <code>curl -v http://HOST/</code>, <code>tapir get --timeline http://HOST/</code>,\n"
	"or serve your own files with <code>tapir run --www DIR</code>.</p>\n"
	"</body></html>\n";

static const struct {
	const char *path;
	const char *body;
	size_t size;
} builtin_pages[] = {
	{"/index.html", builtin_index, sizeof(builtin_index) - 1},
};

int http_docroot_open(struct http_docroot *root, const char *dir, char *err, size_t errlen)
{
	struct stat st;
	memset(root, 0, sizeof(*root));
	root->dirfd = -1;
	root->started = time(NULL);
	if (!dir)
		return 0;
	if (!realpath(dir, root->real)) {
		snprintf(err, errlen, "--www %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(root->real, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--www %s: not a directory", dir);
		return -1;
	}
	root->dirfd = open(root->real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);   /* -1: realpath(3) */
	return 0;
}

void http_docroot_close(struct http_docroot *root)
{
	if (root->dirfd >= 0)
		close(root->dirfd);
	root->dirfd = -1;
}

/* Whether the segment just written at out[seg..o) is "." or "..". */
static int dot_segment(const char *out, size_t seg, size_t o)
{
	return (o - seg == 1 && out[seg] == '.') || (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.');
}

int http_target_path(struct http_span target, char *out, size_t outlen)
{
	const char *p = target.p, *end = target.p + target.len;
	/* absolute-form: skip "http://authority" (RFC 9112 §3.2.2). */
	if (target.len > 7 && !strncasecmp(p, "http://", 7)) {
		p += 7;
		while (p < end && *p != '/' && *p != '?')
			p++;
		if (p == end || *p == '?')
			return outlen >= 2 ? (memcpy(out, "/", 2), 0) : -400;
	}
	if (p == end || *p != '/')
		return -400;
	size_t o = 0, seg = 1;
	for (; p < end && *p != '?' && *p != '#'; p++) {
		char c = *p;
		if (c == '%') {
			if (end - p < 3 || tp_hex_digit(p[1]) < 0 || tp_hex_digit(p[2]) < 0)
				return -400;
			c = (char)(tp_hex_digit(p[1]) * 16 + tp_hex_digit(p[2]));
			p += 2;
			if (c == '\0')
				return -400;    /* a NUL would cut the path short */
		}
		if (o + 1 >= outlen)
			return -400;
		if (c == '/') {
			if (o > 0 && dot_segment(out, seg, o))
				return -400;
			if (o > 0 && out[o - 1] == '/')
				continue;           /* "//" is one separator */
			seg = o + 1;
		}
		out[o++] = c;
	}
	if (dot_segment(out, seg, o))
		return -400;
	out[o] = '\0';
	return 0;
}

const char *http_content_type(const char *path)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
		{"css", "text/css; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
		{"json", "application/json"}, {"txt", "text/plain; charset=utf-8"},
		{"md", "text/markdown; charset=utf-8"}, {"xml", "application/xml"},
		{"svg", "image/svg+xml"}, {"png", "image/png"}, {"jpg", "image/jpeg"},
		{"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"},
		{"ico", "image/x-icon"}, {"pdf", "application/pdf"}, {"wasm", "application/wasm"},
		{"mp4", "video/mp4"}, {"woff2", "font/woff2"}, {"zip", "application/zip"},
		{"gz", "application/gzip"}, {"tar", "application/x-tar"}, {"pcap", "application/vnd.tcpdump.pcap"},
	};
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
	if (dot && (!slash || dot > slash))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcasecmp(dot + 1, types[i].ext))
				return types[i].type;
	return "application/octet-stream";
}

static void make_etag(struct http_file *f, uint64_t ino, long nsec)
{
	snprintf(f->etag, sizeof(f->etag), "\"%llx-%llx-%llx-%lx\"", (unsigned long long)ino,
		 (unsigned long long)f->size, (unsigned long long)f->mtime, (unsigned long)nsec);
}

static int builtin_lookup(const struct http_docroot *root, const char *path, struct http_file *f)
{
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (size_t i = 0; i < sizeof(builtin_pages) / sizeof(builtin_pages[0]); i++) {
		if (strcmp(path, builtin_pages[i].path))
			continue;
		f->fd = -1;
		f->mem = builtin_pages[i].body;
		f->size = builtin_pages[i].size;
		f->mtime = root->started;
		f->content_type = http_content_type(path);
		make_etag(f, i, 0);
		return 0;
	}
	return -404;
}

/* realpath of root + path, checked to be inside root: 0, -404 or -403. */
static int resolve_inside(const struct http_docroot *root, const char *path, char *real)
{
	char joined[PATH_MAX];
	if ((size_t)snprintf(joined, sizeof(joined), "%s%s", root->real, path) >= sizeof(joined))
		return -404;
	if (!realpath(joined, real))
		return errno == EACCES ? -403 : -404;
	size_t n = strlen(root->real);
	if (strcmp(root->real, "/") && (strncmp(real, root->real, n) || (real[n] && real[n] != '/')))
		return -403;            /* a symlink out of the root */
	return 0;
}

/* path (decoded, "/..." ) opened beneath the root by the kernel itself: the
 * descriptor, -403, -404, or -ENOSYS where openat2(2) is missing. One call
 * where realpath costs one per path component. */
static int open_beneath(const struct http_docroot *root, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	if (root->dirfd < 0)
		return -ENOSYS;
	while (*path == '/')
		path++;
	long fd = syscall(SYS_openat2, root->dirfd, *path ? path : ".", &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == ENOSYS || errno == EPERM)      /* EPERM: a seccomp filter that does not know it */
		return -ENOSYS;
	return errno == EXDEV || errno == EACCES || errno == ELOOP ? -403 : -404;
}

/* Fills f from an open file whose fstat is st (NULL: not taken yet),
 * closing fd if it is not a regular file. */
static int take_file(int fd, const struct stat *st, const char *path, struct http_file *f)
{
	struct stat own;
	if (!st && fstat(fd, &own) == 0)
		st = &own;
	if (!st || !S_ISREG(st->st_mode)) {
		close(fd);
		return -404;            /* a device, FIFO or socket is not a page */
	}
	f->fd = fd;
	f->size = (uint64_t)st->st_size;
	f->mtime = st->st_mtim.tv_sec;
	f->content_type = http_content_type(path);
	make_etag(f, (uint64_t)st->st_ino, st->st_mtim.tv_nsec);
	return 0;
}

static int lookup_beneath(const struct http_docroot *root, const char *path, struct http_file *f)
{
	char index[PATH_MAX];
	struct stat st;
	int fd = open_beneath(root, path);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -404;
	}
	if (!S_ISDIR(st.st_mode))
		return take_file(fd, &st, path, f);        /* one fstat a request */
	close(fd);
	size_t n = strlen(path);
	if (!n || path[n - 1] != '/')
		return 301;
	if ((size_t)snprintf(index, sizeof(index), "%sindex.html", path) >= sizeof(index))
		return -404;
	if ((fd = open_beneath(root, index)) < 0)
		return fd;
	return take_file(fd, NULL, index, f);
}

int http_docroot_lookup(const struct http_docroot *root, const char *path, struct http_file *f)
{
	char real[PATH_MAX], index[PATH_MAX];
	struct stat st;
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	if (!root->real[0])
		return builtin_lookup(root, path, f);
	int e = lookup_beneath(root, path, f);
	if (e != -ENOSYS)
		return e;
	e = resolve_inside(root, path, real);
	if (e < 0)
		return e;
	if (stat(real, &st) < 0)
		return -404;
	if (S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);
		if (!n || path[n - 1] != '/')
			return 301;
		if ((size_t)snprintf(index, sizeof(index), "%sindex.html", path) >= sizeof(index))
			return -404;
		if ((e = resolve_inside(root, index, real)) < 0)
			return e;
	}
	int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == EACCES ? -403 : -404;
	return take_file(fd, NULL, real, f);
}
