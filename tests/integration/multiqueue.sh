#!/bin/bash
# `tapir run --queues 4`: one multi-queue TAP, a stack, its services and a
# thread on each queue. tapir's eBPF program steers each flow to one queue
# (the one tp_flow_queue() names, checked for each of 32 held echo
# connections by `tapir stat -i`); every flow is served: ping, the 32
# connections (spread over the queues), four echo streams at once
# byte-exact, 40 curls, 20 DNS queries over UDP from 20 source ports. The
# host's ARP reaches one queue and is overheard by the others (arp.overheard),
# `tapir stat` lists every stack's sockets, SIGTERM stops every thread, and
# the TAP goes away. Bad --queues values and combinations fail with one line.
source "$(dirname "$0")/lib.sh"
require nc curl dig python3 sha256sum
ns_create mq
Q=4
CTL=$WORK/control.sock
stat_() { in_ns "$TAPIR" stat --control "$CTL" "$@"; }

note "flags"
for bad in "--queues 0" "--queues 65" "--queues x" "--queues 2 --pcap $WORK/x.pcap" \
	"--queues 2 --impair loss=1%"; do
	# shellcheck disable=SC2086  # the flags are meant to split
	in_ns "$TAPIR" run $bad >"$WORK/bad.out" 2>&1
	status=$?
	[ "$status" -eq 2 ] || fail "tapir run $bad: exit $status, expected 2"
	[ "$(wc -l <"$WORK/bad.out")" -ge 1 ] && head -1 "$WORK/bad.out"
	! ip -n "$NS" link show tap0 >/dev/null 2>&1 || fail "tapir run $bad left a TAP"
done

start_tapir "$WORK/tapir" --queues $Q --control "$CTL"
grep -q "; $Q queues)" "$WORK/tapir.out" || fail "the banner does not say $Q queues"
in_ns ip -d link show tap0 | grep -q "multi_queue numqueues $Q " ||
	fail "tap0 is not a $Q-queue TAP: $(in_ns ip -d link show tap0)"

note "ping"
in_ns ping -c 3 -i 0.2 -W 2 -n 10.0.0.2 >"$WORK/ping.out" || fail "ping failed: $(cat "$WORK/ping.out")"
tail -2 "$WORK/ping.out"

note "32 echo connections held, spread over the queues"
cat >"$WORK/hold.py" <<'PY'
import socket, sys, time
held = []
for i in range(32):
    s = socket.create_connection(("10.0.0.2", 7), timeout=10)
    s.sendall(b"x")
    if s.recv(1) != b"x":
        sys.exit("no echo on connection %d" % i)
    held.append(s)
print("ready", flush=True)
sys.stdin.read()            # until the test closes our stdin (or kills us)
PY
mkfifo "$WORK/hold.in"
ip netns exec "$NS" timeout 60 python3 "$WORK/hold.py" <"$WORK/hold.in" >"$WORK/hold.out" 2>"$WORK/hold.err" &
HOLD=$!
STARTED+=("$HOLD")
exec 7>"$WORK/hold.in"
wait_until 200 grep -qs ready "$WORK/hold.out" ||
	{ cat "$WORK/hold.err" >&2; fail "the 32 echo connections were not all served"; }
stat_ -i >"$WORK/conns.out" || fail "tapir stat -i failed"
est=$(grep -c '^ESTABLISHED .* 10.0.0.2:7 ' "$WORK/conns.out")
[ "$est" -eq 32 ] || { cat "$WORK/conns.out" >&2; fail "tapir stat shows $est echo connections, not 32"; }
queues=$(grep -o 'queue:[0-9]*' "$WORK/conns.out" | sort | uniq -c)
echo "$queues"
used=$(echo "$queues" | wc -l)
# Four queues, 32 flows hashed by their ports: all on one queue has odds 4^-31.
[ "$used" -ge 2 ] || fail "every connection landed on one queue: is the TAP multi-queue?"
# tapir's steering program puts flow (a, b) on tp_flow_queue(a, b, n).
flow_queue() { echo $(((((($1 ^ $2) * 0x9e3779b1) & 0xffffffff) >> 16) % $3)); }
if grep -q 'queue-steering' "$WORK/tapir.err"; then
	note "no eBPF here ($(grep -m1 'queue-steering' "$WORK/tapir.err")): the kernel's hash steered"
else
	awk '$1 == "ESTABLISHED" { split($5, p, ":"); port = p[2]; getline; sub(/.*queue:/, ""); print port, $1 }' \
		"$WORK/conns.out" >"$WORK/placed"
	[ "$(wc -l <"$WORK/placed")" -eq 32 ] || fail "read $(wc -l <"$WORK/placed") placements, not 32"
	while read -r port queue; do
		[ "$queue" -eq "$(flow_queue "$port" 7 $Q)" ] ||
			fail "the flow from port $port is on queue $queue, not $(flow_queue "$port" 7 $Q)"
	done <"$WORK/placed"
	echo "each of $(wc -l <"$WORK/placed") flows on its tp_flow_queue() queue"
fi
exec 7>&-
await "$HOLD" 20 || fail "the holder failed"
listeners=$(stat_ -s | awk '$1 == "LISTEN" { print $2 }')
[ "$listeners" -gt 0 ] && [ $((listeners % Q)) -eq 0 ] ||
	fail "$listeners listeners: each of the $Q stacks should have the same set"
echo "LISTEN $listeners ($((listeners / Q)) per stack)"

note "four echo streams at once, byte-exact"
for i in 1 2 3 4; do
	random_file "$WORK/in$i" $((4 * 1024 * 1024))
	spawn "$WORK/echo$i" "$WORK/in$i" timeout 60 nc -N 10.0.0.2 7
	PIDS_ECHO+=("$SPAWNED")
done
for i in 1 2 3 4; do
	await "${PIDS_ECHO[$((i - 1))]}" 90 || fail "echo stream $i failed: $(cat "$WORK/echo$i.err")"
	same_content "echo stream $i" "$WORK/in$i" "$WORK/echo$i.out"
done

note "40 curls, 20 DNS queries"
for i in $(seq 40); do
	code=$(in_ns curl -s --max-time 10 -o /dev/null -w '%{http_code}' http://10.0.0.2/)
	[ "$code" = 200 ] || fail "curl $i: HTTP $code"
done
for i in $(seq 20); do
	a=$(in_ns dig +short +time=2 +tries=2 @10.0.0.2 www.tapir.test A)
	[ "$a" = 10.0.0.2 ] || fail "dig $i: '$a'"
done
echo "40 x 200, 20 x www.tapir.test A 10.0.0.2"

stop_tapir "$WORK/tapir"
for i in $(seq 0 $((Q - 1))); do
	grep -q "^tapir: queue $i:" "$WORK/tapir.err" || fail "no report from queue $i"
done
requests=$(awk '$1 == "http.requests" { n += $2 } END { print n + 0 }' "$WORK/tapir.err")
[ "$requests" -eq 40 ] || fail "the queues served $requests HTTP requests together, not 40"
served=$(awk '$1 == "http.requests" && $2 > 0 { n++ } END { print n + 0 }' "$WORK/tapir.err")
echo "http.requests = $requests, over $served queues"
expect_counter "$WORK/tapir" arp.overheard
expect_counter_eq "$WORK/tapir" tcp.drop_no_conn 0
echo PASS
