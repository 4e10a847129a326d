#!/bin/bash
# `tapir run --www DIR` serves HTTP/1.1 to Linux's curl: GET and HEAD,
# keep-alive (two URLs, one connection), Range (206, 416), If-Modified-Since
# and If-None-Match (304), a 20 MB file byte-exact, 200 concurrent curls and
# 1000 keep-alive connections held at once, pipelining, every error status
# the parser can give, path traversal in every spelling (never a byte from
# outside the root), 408 for a stalled request, /status and /status.json, and
# one access-log line per request.
source "$(dirname "$0")/lib.sh"
require curl python3 sha256sum xargs
ns_create http
BASE=http://10.0.0.2
peer() { in_ns timeout 60 python3 "$HERE/http_peer.py" "$@"; }
code() { in_ns curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$@"; }

WWW=$WORK/www
mkdir -p "$WWW/dir" "$WWW/empty"
echo 'hello' >"$WWW/hello.txt"
echo '<h1>index</h1>' >"$WWW/index.html"
echo '<h1>dir</h1>' >"$WWW/dir/index.html"
echo 'secret' >"$WORK/secret"
ln -s "$WORK/secret" "$WWW/link-out"
random_file "$WWW/big.bin" $((20 * 1024 * 1024))

start_tapir "$WORK/tapir" --www "$WWW" --http-idle 2 --control "$WORK/control.sock"
grep -q 'curl http://10.0.0.2/' "$WORK/tapir.out" || fail "the banner does not suggest curl"

note "GET and HEAD"
[ "$(in_ns curl -sS --max-time 10 $BASE/)" = '<h1>index</h1>' ] || fail "GET / is not index.html"
head=$(in_ns curl -sS --max-time 10 -I $BASE/hello.txt) || fail "HEAD failed"
echo "$head" | grep -q '^HTTP/1.1 200' || fail "HEAD: $head"
echo "$head" | grep -qi '^Content-Length: 6' || fail "HEAD: no Content-Length 6"
echo "$head" | grep -qi '^Content-Type: text/plain' || fail "HEAD: no Content-Type"

note "keep-alive: two URLs in one curl, one connection"
in_ns curl -sv --max-time 10 $BASE/hello.txt $BASE/dir/ >"$WORK/two.out" 2>"$WORK/two.err" ||
	fail "curl with two URLs failed"
grep -q 'Re-using existing connection' "$WORK/two.err" || fail "the connection was not reused"
[ "$(cat "$WORK/two.out")" = "$(printf 'hello\n<h1>dir</h1>')" ] || fail "two URLs: $(cat "$WORK/two.out")"
sed -n '/^> GET \/hello/,/^< Content-Length/p' "$WORK/two.err"

note "Range and conditionals"
[ "$(in_ns curl -sS --max-time 10 -r 1-3 $BASE/hello.txt)" = ell ] || fail "Range 1-3"
[ "$(code -r 1-3 $BASE/hello.txt)" = 206 ] || fail "Range: not 206"
[ "$(code -r 100- $BASE/hello.txt)" = 416 ] || fail "unsatisfiable Range: not 416"
lm=$(in_ns curl -sSI --max-time 10 $BASE/hello.txt | sed -n 's/^Last-Modified: \(.*\)\r$/\1/p')
etag=$(in_ns curl -sSI --max-time 10 $BASE/hello.txt | sed -n 's/^ETag: \(.*\)\r$/\1/p')
[ -n "$lm" ] && [ -n "$etag" ] || fail "no Last-Modified or ETag"
[ "$(code -H "If-Modified-Since: $lm" $BASE/hello.txt)" = 304 ] || fail "If-Modified-Since: not 304"
[ "$(code -H "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT" $BASE/hello.txt)" = 200 ] ||
	fail "an old If-Modified-Since: not 200"
[ "$(code -H "If-None-Match: $etag" $BASE/hello.txt)" = 304 ] || fail "If-None-Match: not 304"
[ "$(code $BASE/dir)" = 301 ] || fail "a directory without / : not 301"

note "20 MB byte-exact"
in_ns curl -sS --max-time 60 -o "$WORK/big.out" $BASE/big.bin || fail "the 20 MB GET failed"
same_content "20 MB file" "$WWW/big.bin" "$WORK/big.out"

note "200 concurrent curls (50 at a time)"
ok=$(seq 200 | in_ns timeout 60 xargs -P 50 -I{} curl -s --max-time 20 -o /dev/null -w '%{http_code}\n' \
	"$BASE/hello.txt?n={}" | grep -c '^200$')
[ "$ok" -eq 200 ] || fail "only $ok of 200 concurrent curls got 200"
echo "200 of 200 concurrent curls: 200 OK"

note "1000 keep-alive connections at once"
peer hold 10.0.0.2 80 1000 || fail "1000 connections"

note "pipelining, HTTP/1.0 close, 408"
peer pipeline 10.0.0.2 80 || fail "pipelining"
peer partial 10.0.0.2 80 || fail "408"

note "errors"
peer raw 10.0.0.2 80 400 'GET  / HTTP/1.1\r\nHost: a\r\n\r\n' >/dev/null || fail "400"
peer raw 10.0.0.2 80 400 'GET / HTTP/1.1\r\n\r\n' >/dev/null || fail "400 without Host"
peer raw 10.0.0.2 80 400 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n' \
	>/dev/null || fail "400 for CL+TE"
peer raw 10.0.0.2 80 405 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi' | grep -qi '^Allow: GET, HEAD' ||
	fail "405 without Allow"
peer raw 10.0.0.2 80 501 'BREW / HTTP/1.1\r\nHost: a\r\n\r\n' >/dev/null || fail "501"
peer raw 10.0.0.2 80 505 'GET / HTTP/2.0\r\nHost: a\r\n\r\n' >/dev/null || fail "505"
peer raw 10.0.0.2 80 414 "GET /$(head -c 3000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: a\r\n\r\n" >/dev/null ||
	fail "414"
peer raw 10.0.0.2 80 431 "GET / HTTP/1.1\r\nHost: a\r\nX: $(head -c 9000 /dev/zero | tr '\0' b)\r\n\r\n" \
	>/dev/null || fail "431"
peer raw 10.0.0.2 80 413 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n' >/dev/null || fail "413"
[ "$(code $BASE/nothere)" = 404 ] || fail "404"

note "traversal: nothing from outside the root, in any spelling"
for path in '/../secret' '/../../../../etc/passwd' '/%2e%2e/secret' '/%2E%2e/%2e%2e/etc/passwd' \
	'/dir/..%2f..%2fsecret' '/dir/%2e%2e/%2e%2e/secret' '/hello.txt%00.html' '/link-out'; do
	got=$(code --path-as-is "$BASE$path")
	body=$(in_ns curl -s --path-as-is --max-time 10 "$BASE$path")
	case "$got" in 400 | 403 | 404) ;; *) fail "$path: $got" ;; esac
	case "$body" in *secret* | *root:*) fail "$path leaked: $body" ;; esac
	echo "$path -> $got"
done
peer raw 10.0.0.2 80 400 'GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n' >/dev/null || fail "a raw NUL"

note "/status and /status.json"
in_ns curl -sS --max-time 10 $BASE/status | grep -q 'tapir status' || fail "/status"
in_ns curl -sS --max-time 10 $BASE/status.json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert any(c["state"] == "ESTABLISHED" and c["local"] == "10.0.0.2:80" for c in d["connections"]), d["connections"]
assert d["counters"]["tcp.passive_opens"] > 0 and d["server"]["http.requests"] > 0
print("status.json: %d connections, %d counters" % (len(d["connections"]), len(d["counters"])))
' || fail "/status.json does not parse or lacks the connection"

stop_tapir "$WORK/tapir"
grep -q '^10\.0\.0\.1:[0-9]* "GET /hello.txt HTTP/1.1" 200 [0-9]* [0-9.]*ms$' "$WORK/tapir.err" ||
	fail "no access-log line for GET /hello.txt"
echo "access log: $(grep -c '^10\.0\.0\.1:' "$WORK/tapir.err") lines"
expect_counter "$WORK/tapir" http.requests
expect_counter "$WORK/tapir" http.responses_4xx
echo PASS
