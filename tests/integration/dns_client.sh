#!/bin/bash
# `tapir dig` and the resolver library: against tapir's own server (another
# tapir on tap0, reached through the namespace's router) over UDP, TCP and
# the TC fallback; against a python DNS server on the host side that first
# answers with a wrong ID (ignored), drops a query (retried) and lies about
# the question (ignored); `--lookup` through the hosts table, CNAME chains
# and the cache.
source "$(dirname "$0")/lib.sh"
require python3
ns_create dnsclient
in_ns sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding in $NS"
NET1=(--tap tap1 --addr 10.0.1.2/24 --host-addr 10.0.1.1/24)
DIG=(in_ns timeout 30 "$TAPIR" dig "${NET1[@]}" --timeout 1)

expect() {
	grep -Eq "$2" "$3" || { cat "$3"; fail "$1: no match for /$2/"; }
	echo "$1: ok"
}

note "tapir dig -> tapir run's server"
printf 'huge TXT' >"$WORK/zone"
for i in $(seq 12); do printf ' "%s"' "$(head -c 250 /dev/zero | tr '\0' y)" >>"$WORK/zone"; done
printf '\nwww A 10.0.0.2\nweb CNAME www\nweb2 CNAME web\n' >>"$WORK/zone"
start_tapir "$WORK/server" --services dns --zone-file "$WORK/zone"

"${DIG[@]}" @10.0.0.2 web2.tapir.test >"$WORK/d1" || fail "tapir dig exited $?"
expect "header" 'status: NOERROR, id: [0-9]+' "$WORK/d1"
expect "flags" 'flags: qr aa rd; QUERY: 1, ANSWER: 3, AUTHORITY: 0, ADDITIONAL: 1' "$WORK/d1"
expect "QUESTION" '^;web2\.tapir\.test\.[[:space:]]+IN[[:space:]]+A$' "$WORK/d1"
expect "CNAME chain" '^web\.tapir\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+www\.tapir\.test\.$' "$WORK/d1"
expect "A" '^www\.tapir\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.0\.0\.2$' "$WORK/d1"
expect "query time" '^;; Query time: [0-9]+ msec$' "$WORK/d1"
expect "over UDP" '^;; SERVER: 10\.0\.0\.2#53\(10\.0\.0\.2\) \(UDP\)$' "$WORK/d1"

"${DIG[@]}" @10.0.0.2 nope.tapir.test +tcp >"$WORK/d2" || fail "tapir dig +tcp exited $?"
expect "+tcp NXDOMAIN" 'status: NXDOMAIN' "$WORK/d2"
expect "+tcp SOA in AUTHORITY" '^;; AUTHORITY SECTION:$' "$WORK/d2"
expect "+tcp" '\(TCP\)$' "$WORK/d2"

"${DIG[@]}" @10.0.0.2 huge.tapir.test TXT >"$WORK/d3" || fail "tapir dig (TC) exited $?"
expect "TC -> TCP" 'Truncated, retrying in TCP mode' "$WORK/d3"
expect "whole TXT over TCP" 'ANSWER: 1,' "$WORK/d3"
expect "over TCP" '\(TCP\)$' "$WORK/d3"

"${DIG[@]}" --lookup @10.0.0.2 web2.tapir.test web2.tapir.test nope.tapir.test >"$WORK/l1"
[ $? -eq 1 ] || fail "--lookup with a missing name must exit 1"
expect "lookup via DNS" '^web2\.tapir\.test: 10\.0\.0\.2 \(dns, ttl 3600, 2 CNAMEs to www\.tapir\.test\.\)$' "$WORK/l1"
expect "second lookup from the cache" '^web2\.tapir\.test: 10\.0\.0\.2 \(cache, ttl 3[0-9]+, 2 CNAMEs' "$WORK/l1"
expect "NXDOMAIN" '^nope\.tapir\.test: no such name \(NXDOMAIN\)$' "$WORK/l1"
stop_tapir "$WORK/server"

note "tapir dig -> a python DNS server on the host side (10.0.1.1), which misbehaves"
cat >"$WORK/dnsd.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
print("ready", flush=True)
seen = {}
def name_end(m, i):
    while m[i]:
        i += 1 + m[i]
    return i + 1
while True:
    m, peer = s.recvfrom(2048)
    qid, flags = struct.unpack(">HH", m[:4])
    end = name_end(m, 12) + 4
    qname = m[12:end - 4]
    question = m[12:end]
    key = bytes(qname).lower()
    seen[key] = seen.get(key, 0) + 1
    print("query", key, seen[key], flush=True)
    def reply(rid, q=question, rcode=0):
        hdr = struct.pack(">HHHHHH", rid, 0x8180 | rcode, 1, 1, 0, 0)
        rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + bytes([10, 9, 8, 7])
        return hdr + q + rr
    if b"drop" in key and seen[key] == 1:
        continue                                    # lost: the client must retry
    if b"spoof" in key:
        s.sendto(reply(qid ^ 0x5555), peer)         # wrong ID: ignored
        other = b"\x05other\x04test\x00" + question[-4:]
        s.sendto(reply(qid, q=other), peer)         # wrong question: ignored
    s.sendto(reply(qid), peer)
PY
spawn "$WORK/dnsd" /dev/null python3 "$WORK/dnsd.py"
wait_until 100 grep -qs ready "$WORK/dnsd.out" || { cat "$WORK/dnsd.err"; fail "python DNS server did not start"; }

"${DIG[@]}" spoof.test >"$WORK/p1" || fail "tapir dig exited $?"
expect "default server: the host side" '^;; SERVER: 10\.0\.1\.1#53' "$WORK/p1"
expect "spoofed replies ignored" '^;; ignored 2 reply\(s\) that did not match the query$' "$WORK/p1"
expect "the real answer" '^spoof\.test\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.9\.8\.7$' "$WORK/p1"
expect "no RA from tapir's question, but from this server" 'flags: qr rd ra;' "$WORK/p1"

"${DIG[@]}" drop.test +short >"$WORK/p2" || fail "tapir dig exited $?"
expect "answer after a retry" '^10\.9\.8\.7$' "$WORK/p2"
expect "the server saw the retry" "query b'.x04drop.x04test.x00' 2" "$WORK/dnsd.out"

printf '10.1.2.3 fixed.example fixed\n' >"$WORK/hosts"
"${DIG[@]}" --lookup --hosts "$WORK/hosts" fixed FIXED.example. other.test >"$WORK/p3" || fail "--lookup exited $?"
expect "hosts table" '^fixed: 10\.1\.2\.3 \(hosts' "$WORK/p3"
expect "hosts table, any case" '^FIXED\.example\.: 10\.1\.2\.3 \(hosts' "$WORK/p3"
expect "others via DNS" '^other\.test: 10\.9\.8\.7 \(dns, ttl 30\)$' "$WORK/p3"
grep -q "fixed" "$WORK/dnsd.out" && fail "a hosts-table name went to the DNS server"

note "no server at all: a timeout, exit 9"
in_ns timeout 30 "$TAPIR" dig "${NET1[@]}" --timeout 0.2 --tries 2 @10.0.1.99 www.tapir.test >"$WORK/p4"
status=$?
[ "$status" -eq 9 ] || fail "tapir dig with no server exited $status"
expect "timeout message" 'connection timed out; no servers could be reached' "$WORK/p4"
