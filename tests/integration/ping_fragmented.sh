#!/bin/bash
# (b) 4000-byte pings: Linux fragments the requests, tapir reassembles them
# and fragments its replies, Linux reassembles those.
source "$(dirname "$0")/lib.sh"
require ping
ns_create pingfrag

start_tapir "$WORK/tapir"
out=$(in_ns ping -c 3 -i 0.2 -W 1 -s 4000 10.0.0.2) || { echo "$out"; fail "ping failed"; }
echo "$out"
grep -q '^4008 bytes from 10.0.0.2' <<<"$out" || fail "no full-size reply"
grep -q ' 0% packet loss' <<<"$out" || fail "expected 0% loss"
stop_tapir "$WORK/tapir"
[ "$(counter "$WORK/tapir" ip.reass_ok)" -ge 3 ] || fail "tapir reassembled fewer than 3 requests"
[ "$(counter "$WORK/tapir" ip.frag_out)" -ge 9 ] || fail "tapir sent fewer than 9 fragments"
echo "ip.reass_ok = $(counter "$WORK/tapir" ip.reass_ok), ip.frag_out = $(counter "$WORK/tapir" ip.frag_out)"
echo PASS
