#!/bin/bash
# tapir's client side: `tapir nc` (its own virtual host) against Linux peers
# in the namespace. Both directions byte-exact, one at a time with Linux's nc
# and both at once with a python peer (half-close on both sides); `tapir nc
# -l` takes a connection from Linux; tapir nc talks to tapir run through the
# namespace's router; refused TCP and UDP give one clear line and exit 1.
source "$(dirname "$0")/lib.sh"
require nc python3 sha256sum ss
ns_create tcpclient
random_file "$WORK/a" 2000000
random_file "$WORK/b" 3000000

note "tapir nc -> Linux nc -l: 2 MB, then tapir half-closes"
spawn "$WORK/l1" /dev/null nc -l 5000
wait_until 50 listening 5000 || fail "nc -l did not listen"
in_ns timeout 30 "$TAPIR" nc 10.0.0.1 5000 <"$WORK/a" || fail "tapir nc exited $?"
await "$SPAWNED" 10 || fail "Linux nc -l exited $?"
same_content "tapir -> Linux" "$WORK/a" "$WORK/l1.out"

note "Linux nc -N -l -> tapir nc -d: 3 MB, then Linux closes"
spawn "$WORK/l2" "$WORK/b" nc -N -l 5001
wait_until 50 listening 5001 || fail "nc -l did not listen"
in_ns timeout 30 "$TAPIR" nc -d 10.0.0.1 5001 >"$WORK/t2" || fail "tapir nc exited $?"
await "$SPAWNED" 10 || fail "Linux nc -l exited $?"
same_content "Linux -> tapir" "$WORK/b" "$WORK/t2"

note "both directions at once against python, each side half-closing"
spawn "$WORK/p3" /dev/null python3 "$HERE/peer.py" serve 5002 "$WORK/b" "$WORK/p3.recv"
wait_until 100 grep -q listening "$WORK/p3.out" || fail "peer.py did not listen"
in_ns timeout 30 "$TAPIR" nc 10.0.0.1 5002 <"$WORK/a" >"$WORK/t3" || fail "tapir nc exited $?"
await "$SPAWNED" 10 || { cat "$WORK/p3.err"; fail "peer.py exited $?"; }
same_content "duplex, tapir -> python" "$WORK/a" "$WORK/p3.recv"
same_content "duplex, python -> tapir" "$WORK/b" "$WORK/t3"

note "tapir nc -l takes one connection from Linux nc"
spawn "$WORK/t4" /dev/null "$TAPIR" nc -l -d -v 6000
wait_until 100 grep -q 'listening on 10.0.0.2:6000' "$WORK/t4.err" || { cat "$WORK/t4.err"; fail "tapir nc -l"; }
in_ns timeout 30 nc -N 10.0.0.2 6000 <"$WORK/a" || fail "Linux nc to tapir nc -l failed"
await "$SPAWNED" 10 || { cat "$WORK/t4.err"; fail "tapir nc -l exited $?"; }
same_content "Linux -> tapir nc -l" "$WORK/a" "$WORK/t4.out"
grep -q 'connection from 10.0.0.1:' "$WORK/t4.err" || fail "tapir nc -l -v did not say who connected"

note "tapir nc -l -u prints the datagrams Linux sends, until SIGTERM"
spawn "$WORK/t6" /dev/null "$TAPIR" nc -l -u -d -v 7000
wait_until 100 grep -q 'listening on 10.0.0.2:7000 (UDP)' "$WORK/t6.err" || { cat "$WORK/t6.err"; fail "tapir nc -l -u"; }
echo "one datagram" | in_ns timeout 10 nc -u -w1 10.0.0.2 7000
wait_until 50 grep -qx "one datagram" "$WORK/t6.out" || { cat "$WORK/t6.err"; fail "no datagram printed"; }
stop_pid "$SPAWNED" || { cat "$WORK/t6.err"; fail "tapir nc -l -u exited $? on SIGTERM"; }
echo "tapir nc -l -u: got 'one datagram', exit 0 on SIGTERM"

note "tapir to tapir: tapir nc on tap1 through the namespace's router to tapir run on tap0"
in_ns sysctl -qw net.ipv4.ip_forward=1 || fail "cannot enable forwarding in $NS"
start_tapir "$WORK/server"
NET1=(--tap tap1 --addr 10.0.1.2/24 --host-addr 10.0.1.1/24)
in_ns timeout 30 "$TAPIR" nc "${NET1[@]}" 10.0.0.2 7 <"$WORK/a" >"$WORK/t5" || fail "tapir nc exited $?"
same_content "tapir nc -> tapir echo -> tapir nc" "$WORK/a" "$WORK/t5"
n=$(in_ns timeout 30 "$TAPIR" nc "${NET1[@]}" -d 10.0.0.2 19 | head -c 1000000 | wc -c)
[ "$n" -eq 1000000 ] || fail "chargen through tapir nc | head gave $n bytes"
echo "tapir nc -d 10.0.0.2 19 | head -c 1000000: $n bytes"
stop_tapir "$WORK/server"
expect_counter "$WORK/server" tcp.rst_in      # tapir nc reset chargen when head left

# expect_refusal MESSAGE CMD...: exit status 1 and MESSAGE as the only line.
expect_refusal() {
	local want=$1 out status
	shift
	out=$("$@" 2>&1 </dev/null)
	status=$?
	echo "[$status] $out"
	[ "$status" -eq 1 ] || fail "exit status $status, expected 1"
	[ "$out" = "$want" ] || fail "expected '$want'"
}
note "refused, TCP (RST) and UDP (ICMP port unreachable)"
expect_refusal "tapir nc: connect to 10.0.0.1:5003: Connection refused" \
	in_ns timeout 20 "$TAPIR" nc 10.0.0.1 5003
echo probe >"$WORK/probe"
# -q 10: the ICMP error ends it at once; the default second of waiting is
# too short for ARP, the datagram and the error when the machine is busy.
out=$(in_ns timeout 20 "$TAPIR" nc -u -q 10 10.0.0.1 5004 <"$WORK/probe" 2>&1)
status=$?
echo "[$status] $out"
[ "$status" -eq 1 ] && [ "$out" = "tapir nc: 10.0.0.1:5004: Connection refused" ] ||
	fail "tapir nc -u to a closed port"
echo PASS
