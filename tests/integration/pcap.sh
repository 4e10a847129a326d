#!/bin/bash
# (e) --pcap: tcpdump reads the capture, which holds the echo both ways with
# wall-clock stamps; beside it run.pcap.vars holds tapir's TCP variables for
# a TCP echo, which `tapir ladder --vars` draws beside its arrows.
source "$(dirname "$0")/lib.sh"
require ping tcpdump nc
ns_create pcap

cap="$WORK/run.pcap"
start_tapir "$WORK/tapir" --pcap "$cap" --seed 7
in_ns ping -c 2 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "ping failed"
echo hello | in_ns timeout 10 nc -N 10.0.0.2 7 >"$WORK/echo.out" || fail "nc to echo failed"
stop_tapir "$WORK/tapir"
out=$(tcpdump -nn -tt -r "$cap" 2>"$WORK/tcpdump.err") ||
	{ cat "$WORK/tcpdump.err"; fail "tcpdump cannot read the capture"; }
echo "$out"
grep -q 'ICMP echo request' <<<"$out" || fail "no echo request in the capture"
grep -q 'ICMP echo reply' <<<"$out" || fail "no echo reply in the capture"
stamp=$(head -1 <<<"$out" | cut -d. -f1)
now=$(date +%s)
[ $((now - stamp)) -ge 0 ] && [ $((now - stamp)) -lt 600 ] ||
	fail "first stamp $stamp is not wall-clock time (now $now)"

head -1 "$cap.vars" | grep -qx '# tapir-vars 1' || fail "no TCP variables sidecar beside the capture"
ladder=$("$TAPIR" ladder --vars state,snd.nxt,rcv.nxt "$cap") || fail "tapir ladder --vars failed"
echo "$ladder"
grep -q "variables: tapir's at 10.0.0.2:7" <<<"$ladder" || fail "the ladder names no variables"
grep -q 'state=ESTABLISHED snd.nxt=1 rcv.nxt=7' <<<"$ladder" || fail "no variables after the 6 bytes came in"
echo PASS
