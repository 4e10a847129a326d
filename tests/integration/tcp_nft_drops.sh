#!/bin/bash
# Random drops on the namespace side (nftables numgen, 5% of the host's
# frames to tapir and 5% of tapir's frames to the host, inside the namespace
# only): echo, discard and chargen transfers of a few MB stay byte-exact.
source "$(dirname "$0")/lib.sh"
require nc nft python3 sha256sum
ns_create tcpnft

in_ns nft add table inet tp 2>/dev/null || skip "nftables does not work here"
in_ns nft add chain inet tp out '{ type filter hook output priority 0; }' || fail "nft chain"
in_ns nft add chain inet tp in '{ type filter hook input priority 0; }' || fail "nft chain"
in_ns nft add rule inet tp out ip daddr 10.0.0.2 numgen random mod 100 '<' 5 counter drop ||
	fail "nft rule"
in_ns nft add rule inet tp in ip saddr 10.0.0.2 numgen random mod 100 '<' 5 counter drop ||
	fail "nft rule"

start_tapir "$WORK/tapir"

note "echo: 1 MB there and back"
random_file "$WORK/echo.in" 1000000
in_ns timeout 90 nc -N 10.0.0.2 7 <"$WORK/echo.in" >"$WORK/echo.out" || fail "nc to echo failed"
same_content "echo, 5% dropped" "$WORK/echo.in" "$WORK/echo.out"

note "discard: 4 MB"
random_file "$WORK/discard.in" 4000000
in_ns timeout 90 nc -N 10.0.0.2 9 <"$WORK/discard.in" || fail "nc to discard failed"

note "chargen: 4 MB"
want=$(python3 "$HERE/peer.py" chargen-sha256 4000000)
got=$(in_ns timeout 90 nc -d 10.0.0.2 19 | head -c 4000000 | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "chargen: sha256 $got, expected $want"
echo "chargen: 4000000 bytes match the pattern"

in_ns nft list table inet tp | grep -o 'counter packets [0-9]*' |
	awk '{ n += $3 } END { print "nft dropped", n, "packets"; exit !(n > 0) }' ||
	fail "nft dropped nothing"
stop_tapir "$WORK/tapir"
expect_counter_eq "$WORK/tapir" discard.bytes_in 4000000
expect_counter "$WORK/tapir" tcp.retrans
echo PASS
