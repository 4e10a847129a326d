#!/bin/bash
# (f) tapir's own client: `tapir ping` from the virtual host to the host side
# gets replies; to a silent address it reports Destination Host Unreachable
# (ARP gives up after 3 s) and exits 1.
source "$(dirname "$0")/lib.sh"
require
ns_create clientping

out=$(in_ns timeout 20 "$TAPIR" ping -c 3 -i 0.2 10.0.0.1 2>&1) || { echo "$out"; fail "tapir ping failed"; }
echo "$out"
grep -q '^64 bytes from 10.0.0.1: icmp_seq=3 ttl=64 time=' <<<"$out" || fail "no third reply"
grep -q '3 packets transmitted, 3 received, 0% packet loss' <<<"$out" || fail "expected 3/3"

out=$(in_ns timeout 20 "$TAPIR" ping -c 2 -i 0.2 -s 3000 10.0.0.1 2>&1) || { echo "$out"; fail "fragmented tapir ping failed"; }
grep -q '^3008 bytes from 10.0.0.1' <<<"$out" || { echo "$out"; fail "no fragmented reply"; }
echo "fragmented: ok"

out=$(in_ns timeout 20 "$TAPIR" ping -c 1 -W 6 10.0.0.9 2>&1)
status=$?
echo "$out"
[ "$status" -eq 1 ] || fail "ping to a silent host exited $status, expected 1"
grep -q 'From 10.0.0.2 icmp_seq=1 Destination Host Unreachable' <<<"$out" ||
	fail "no Destination Host Unreachable"
echo PASS
