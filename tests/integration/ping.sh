#!/bin/bash
# (a) Linux pings tapir: 5 echoes, no loss; on SIGTERM tapir exits 0, prints
# its counters and its TAP is gone.
source "$(dirname "$0")/lib.sh"
require ping
ns_create ping

start_tapir "$WORK/tapir" --tap tap0 --addr 10.0.0.2/24 --host-addr 10.0.0.1/24
in_ns ip -br addr show tap0
out=$(in_ns ping -c 5 -i 0.2 -W 1 10.0.0.2) || { echo "$out"; fail "ping failed"; }
echo "$out"
grep -q ' 0% packet loss' <<<"$out" || fail "expected 0% loss"
stop_tapir "$WORK/tapir"
expect_counter "$WORK/tapir" icmp.echo_reply_out
[ "$(counter "$WORK/tapir" icmp.echo_reply_out)" -ge 5 ] || fail "fewer than 5 replies counted"
echo PASS
