#!/bin/bash
# (c) ARP: arping on the host side gets tapir's MAC back every time.
source "$(dirname "$0")/lib.sh"
require arping
ns_create arping

mac=02:00:00:00:00:42
start_tapir "$WORK/tapir" --mac "$mac"
out=$(in_ns arping -c 3 -I tap0 10.0.0.2 2>&1) || { echo "$out"; fail "arping failed"; }
echo "$out"
# iputils and Habets arping word their replies differently; both print the MAC.
replies=$(grep -ic "$mac" <<<"$out")
[ "$replies" -ge 3 ] || fail "expected 3 replies naming $mac, got $replies"
stop_tapir "$WORK/tapir"
[ "$(counter "$WORK/tapir" arp.reply_out)" -ge 3 ] || fail "arp.reply_out < 3"
echo PASS
