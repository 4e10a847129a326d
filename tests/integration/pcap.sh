#!/bin/bash
# (e) --pcap: tcpdump reads the capture, which holds the echo both ways with
# wall-clock stamps.
source "$(dirname "$0")/lib.sh"
require ping tcpdump
ns_create pcap

cap="$WORK/run.pcap"
start_tapir "$WORK/tapir" --pcap "$cap" --seed 7
in_ns ping -c 2 -i 0.2 -W 1 10.0.0.2 >/dev/null || fail "ping failed"
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
echo PASS
