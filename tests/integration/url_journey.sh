#!/bin/bash
# The whole "type a URL" journey on tapir, both ends: one tapir serves DNS
# and HTTP (tap0, 10.0.0.2); `tapir get` on a second virtual host (tap1,
# 10.0.1.2, routed through the namespace) resolves www.tapir.test with
# tapir's resolver against that server, connects, fetches, tears down - and
# --timeline shows every step with the TCP states it passed. Then the same
# by name from Linux's `python3 -m http.server` on the host side.
source "$(dirname "$0")/lib.sh"
require python3
ns_create urljourney
in_ns sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding in $NS"
mkdir -p "$WORK/www"
random_file "$WORK/www/big.bin" 300000
printf '<h1>hello from tapir</h1>\n' >"$WORK/www/index.html"
printf 'www A 10.0.0.2\nweb CNAME www\npy A 10.0.1.1\n' >"$WORK/zone"
start_tapir "$WORK/server" --services dns,http --zone-file "$WORK/zone" --www "$WORK/www"

GET=(in_ns timeout 60 "$TAPIR" get --tap tap1 --addr 10.0.1.2/24 --host-addr 10.0.1.1/24
     --control "$WORK/get.sock" --dns 10.0.0.2)

note "by name, through a CNAME, with the timeline"
"${GET[@]}" --timeline -o "$WORK/index.out" http://web.tapir.test/ 2>"$WORK/timeline.err" ||
	{ cat "$WORK/timeline.err"; fail "tapir get by name"; }
cat "$WORK/timeline.err"
same_content "index" "$WORK/www/index.html" "$WORK/index.out"
grep -q '^  DNS lookup .*web.tapir.test is from DNS (10.0.0.2, 1 CNAME): 10.0.0.2' "$WORK/timeline.err" ||
	fail "the DNS step does not say it asked 10.0.0.2"
grep -q 'TCP connect.*CLOSED -> SYN_SENT -> ESTABLISHED' "$WORK/timeline.err" || fail "no handshake"

note "a bigger file, byte-exact"
"${GET[@]}" -o "$WORK/big.out" http://www.tapir.test/big.bin || fail "get big.bin"
same_content "big.bin" "$WORK/www/big.bin" "$WORK/big.out"

note "by name from Linux's python3 -m http.server on the host side"
mkdir -p "$WORK/py"
random_file "$WORK/py/file.bin" 200000
spawn "$WORK/pyhttp" /dev/null python3 -m http.server --directory "$WORK/py" 8000
wait_until 100 listening 8000 || fail "python's http.server did not listen"
"${GET[@]}" -o "$WORK/py.out" http://py.tapir.test:8000/file.bin || fail "get from python by name"
same_content "python's file" "$WORK/py/file.bin" "$WORK/py.out"

note "a name the zone does not have"
! "${GET[@]}" http://nope.tapir.test/ 2>"$WORK/nx.err" >/dev/null || fail "an unknown name succeeded"
grep -q "cannot resolve 'nope.tapir.test' with the DNS server 10.0.0.2: .*NXDOMAIN" "$WORK/nx.err" ||
	fail "NXDOMAIN: $(cat "$WORK/nx.err")"

stop_tapir "$WORK/server"
grep -q 'dns' "$WORK/server.err" || fail "no DNS counters from the server"
echo PASS
