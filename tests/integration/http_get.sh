#!/bin/bash
# `tapir get` against a Linux HTTP server (python, tests/integration/http_peer.py)
# on the host side of its TAP: a 1 MB file byte-exact (Content-Length), a
# chunked response, a redirect chain (302 then a relative 301), a redirect
# loop (fails), a 404 (fails), a refused port (fails), a name from the static
# table, and --timeline showing the handshake and teardown states.
source "$(dirname "$0")/lib.sh"
require python3 sha256sum
ns_create httpget
SRV=$WORK/srv
mkdir -p "$SRV"
random_file "$SRV/data.bin" 1000000
random_file "$SRV/chunked.src" 123457
spawn "$WORK/peer" /dev/null python3 "$HERE/http_peer.py" serve 8000 "$SRV"
wait_until 100 listening 8000 || fail "the python server did not listen"
get() { in_ns timeout 60 "$TAPIR" get --control "$WORK/control.sock" "$@"; }
URL=http://10.0.0.1:8000

note "Content-Length: 1 MB byte-exact"
get -o "$WORK/data.out" $URL/data.bin || fail "get data.bin"
same_content "1 MB" "$SRV/data.bin" "$WORK/data.out"

note "chunked"
get $URL/chunked >"$WORK/chunked.out" || fail "get /chunked"
same_content "chunked" "$SRV/chunked.src" "$WORK/chunked.out"

note "redirects: 302 -> 301 (relative) -> 200"
get -v -o "$WORK/redir.out" $URL/redirect 2>"$WORK/redir.err" || { cat "$WORK/redir.err"; fail "redirect"; }
same_content "redirected" "$SRV/data.bin" "$WORK/redir.out"
grep -c '^\* following the redirect' "$WORK/redir.err" | grep -qx 2 || fail "not two redirects"

note "failures say why and exit 1"
! get $URL/loop 2>"$WORK/loop.err" >/dev/null || fail "a redirect loop succeeded"
grep -q 'too many redirects' "$WORK/loop.err" || fail "loop: $(cat "$WORK/loop.err")"
! get $URL/nothere 2>"$WORK/404.err" >/dev/null || fail "a 404 succeeded"
grep -q '404' "$WORK/404.err" || fail "404: $(cat "$WORK/404.err")"
! get http://10.0.0.1:8001/ 2>"$WORK/refused.err" || fail "a refused port succeeded"
grep -q 'Connection refused' "$WORK/refused.err" || fail "refused: $(cat "$WORK/refused.err")"
! get https://10.0.0.1/ 2>"$WORK/https.err" || fail "https succeeded"
cat "$WORK/loop.err" "$WORK/404.err" "$WORK/refused.err" "$WORK/https.err"

note "a name from the static table"
get --resolve web.tapir.test:10.0.0.1 -o "$WORK/name.out" http://web.tapir.test:8000/data.bin ||
	fail "get by name"
same_content "by name" "$SRV/data.bin" "$WORK/name.out"

note "--timeline"
get --timeline -o /dev/null $URL/data.bin 2>"$WORK/timeline.err" || fail "get --timeline"
cat "$WORK/timeline.err"
grep -q 'TCP connect.*CLOSED -> SYN_SENT -> ESTABLISHED' "$WORK/timeline.err" || fail "no handshake states"
grep -q '^  close .*-> CLOSED\|^  close .*-> TIME_WAIT' "$WORK/timeline.err" || fail "no teardown states"
for step in 'DNS lookup' 'request sent' 'first byte' 'last byte'; do
	grep -q "^  $step" "$WORK/timeline.err" || fail "no '$step' step"
done
echo PASS
