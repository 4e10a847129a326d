#!/bin/bash
# tapir's DNS server against Linux's dig in the namespace: the default zone
# (A, CNAME with its A, NXDOMAIN and NODATA with the SOA, REFUSED outside the
# zone, NS with its address, the TXT, TCP), then a zone file with TXT records
# too large for 512 bytes (TC without EDNS, whole with it) and for EDNS's
# 1232 (TC, then the whole answer over TCP), and pipelined TCP queries.
source "$(dirname "$0")/lib.sh"
require dig python3
ns_create dnsserver
DIG=(in_ns dig +time=2 +tries=2 @10.0.0.2)

# expect WHAT PATTERN FILE: an extended regex that must match FILE.
expect() {
	grep -Eq "$2" "$3" || { cat "$3"; fail "$1: no match for /$2/"; }
	echo "$1: ok"
}

note "the default zone tapir.test"
start_tapir "$WORK/t1" --services dns
grep -q 'dig @10.0.0.2 www.tapir.test' "$WORK/t1.out" || fail "the banner does not suggest dig"

"${DIG[@]}" www.tapir.test >"$WORK/a" || fail "dig exited $?"
expect "A www" 'status: NOERROR' "$WORK/a"
expect "A www, flags" 'flags: qr aa rd;' "$WORK/a"
expect "A www, answer" '^www\.tapir\.test\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+10\.0\.0\.2$' "$WORK/a"

"${DIG[@]}" web.tapir.test >"$WORK/cname"
expect "CNAME" '^web\.tapir\.test\..*CNAME[[:space:]]+www\.tapir\.test\.$' "$WORK/cname"
expect "CNAME's A in the answer" '^www\.tapir\.test\..*A[[:space:]]+10\.0\.0\.2$' "$WORK/cname"

"${DIG[@]}" nope.tapir.test >"$WORK/nx"
expect "NXDOMAIN" 'status: NXDOMAIN' "$WORK/nx"
expect "NXDOMAIN's SOA" 'AUTHORITY: 1' "$WORK/nx"
expect "NXDOMAIN's SOA (negative TTL 60)" '^tapir\.test\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA' "$WORK/nx"

"${DIG[@]}" www.tapir.test TXT >"$WORK/nodata"
expect "NODATA" 'status: NOERROR.*' "$WORK/nodata"
expect "NODATA: empty answer, SOA" 'ANSWER: 0, AUTHORITY: 1' "$WORK/nodata"

"${DIG[@]}" www.example.com >"$WORK/refused"
expect "REFUSED outside the zone" 'status: REFUSED' "$WORK/refused"
grep -q 'flags: qr rd;' "$WORK/refused" || fail "REFUSED must not be authoritative"

"${DIG[@]}" tapir.test NS >"$WORK/ns"
expect "NS" 'IN[[:space:]]+NS[[:space:]]+ns\.tapir\.test\.' "$WORK/ns"
expect "NS's address in additional" '^ns\.tapir\.test\..*A[[:space:]]+10\.0\.0\.2$' "$WORK/ns"
[ "$("${DIG[@]}" +short tapir.test TXT)" != "" ] || fail "no TXT at the apex"

"${DIG[@]}" +tcp web.tapir.test >"$WORK/tcp"
expect "+tcp" 'SERVER: 10\.0\.0\.2#53\(10\.0\.0\.2\) \(TCP\)' "$WORK/tcp"
expect "+tcp CNAME and A" '^www\.tapir\.test\..*A[[:space:]]+10\.0\.0\.2$' "$WORK/tcp"

"${DIG[@]}" +noedns +header-only www.tapir.test >"$WORK/noedns"
expect "no EDNS, no OPT back" 'ADDITIONAL: 0' "$WORK/noedns"
"${DIG[@]}" +edns=1 +noednsneg www.tapir.test >"$WORK/badvers"
expect "EDNS version 1" 'status: BADVERS' "$WORK/badvers"
stop_tapir "$WORK/t1"
expect "server counters" 'dns\.nxdomain +1$' "$WORK/t1.err"

note "a zone file with large TXT records"
{
	echo '$TTL 120'
	echo '@ SOA ns hostmaster 42 3600 600 86400 30'
	echo '@ NS ns'
	echo 'ns A 10.0.0.2'
	echo 'www A 10.0.0.2'
	printf 'big TXT'; for i in 1 2 3 4; do printf ' "%s"' "$(head -c 200 /dev/zero | tr '\0' "$i")"; done; echo
	printf 'huge TXT'; for i in $(seq 12); do printf ' "%s"' "$(head -c 250 /dev/zero | tr '\0' x)"; done; echo
} >"$WORK/zone"
start_tapir "$WORK/t2" --services dns --zone-file "$WORK/zone"

"${DIG[@]}" +noedns +ignore big.tapir.test TXT >"$WORK/tc"
expect "TC over UDP without EDNS" 'flags: qr aa tc rd;' "$WORK/tc"
expect "TC: no partial answer" 'ANSWER: 0' "$WORK/tc"
"${DIG[@]}" +noedns big.tapir.test TXT >"$WORK/retry"
expect "dig retries in TCP" 'Truncated, retrying in TCP mode' "$WORK/retry"
expect "the whole TXT over TCP" 'ANSWER: 1,' "$WORK/retry"
"${DIG[@]}" big.tapir.test TXT >"$WORK/edns"
expect "with EDNS (1232) it fits in UDP" 'SERVER: .*\(UDP\)' "$WORK/edns"
grep -q 'flags: qr aa rd;' "$WORK/edns" || fail "EDNS answer truncated"

"${DIG[@]}" +ignore huge.tapir.test TXT >"$WORK/tc2"
expect "3 KB TXT: TC even with EDNS" 'flags: qr aa tc rd;' "$WORK/tc2"
"${DIG[@]}" huge.tapir.test TXT >"$WORK/huge"
expect "3 KB TXT over TCP" 'ANSWER: 1,' "$WORK/huge"
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' "$WORK/huge")
[ "${size:-0}" -gt 3000 ] || fail "TCP answer of ${size:-?} bytes"
echo "TCP answer: $size bytes"
"${DIG[@]}" tapir.test SOA +short >"$WORK/soa"
expect "the file's SOA" '^ns\.tapir\.test\. hostmaster\.tapir\.test\. 42 3600 600 86400 30$' "$WORK/soa"

note "three queries pipelined on one TCP connection, answered in order"
in_ns timeout 20 python3 - "$WORK/pipe" <<'PY' || fail "pipelined queries failed: $(cat "$WORK/pipe")"
import socket, struct, sys
def query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0\0\1\0\1"
    return struct.pack(">H", len(q)) + q
s = socket.create_connection(("10.0.0.2", 53), timeout=5)
s.sendall(query(1, "www.tapir.test") + query(2, "nope.tapir.test") + query(3, "ns.tapir.test"))
buf, got = b"", []
while len(got) < 3:
    data = s.recv(4096)
    if not data:
        break
    buf += data
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
        n = struct.unpack(">H", buf[:2])[0]
        msg, buf = buf[2:2 + n], buf[2 + n:]
        got.append((struct.unpack(">H", msg[:2])[0], msg[3] & 15))
open(sys.argv[1], "w").write(repr(got))
sys.exit(0 if got == [(1, 0), (2, 3), (3, 0)] else 1)
PY
echo "pipelined: $(cat "$WORK/pipe")"
stop_tapir "$WORK/t2"
expect "TC counted" 'dns\.truncated +[0-9]+$' "$WORK/t2.err"

note "a bad zone file is one clear line and exit 2"
echo 'www A 10.0.0.300' >"$WORK/badzone"
in_ns "$TAPIR" --zone-file "$WORK/badzone" >"$WORK/bad.out" 2>&1
status=$?
[ "$status" -eq 2 ] || fail "bad zone file: exit $status"
expect "bad zone file message" "badzone:1: '10\.0\.0\.300' is not an IPv4 address" "$WORK/bad.out"
