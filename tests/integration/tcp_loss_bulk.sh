#!/bin/bash
# 50 MB each way through tapir's echo service on a lossy, slow, reordering
# path: nftables drops at random on the namespace side (1 %, then 5 %, of the
# frames in each direction) while tapir's own --impair adds delay and
# reordering on the TAP. Every byte must come back in order (RFC 9293 §3.10.7.4:
# reliable delivery whatever the network does), and the counters must show
# the path really was bad: retransmissions and out-of-order arrivals.
source "$(dirname "$0")/lib.sh"
require nc nft sha256sum
ns_create tcploss
MB=${TAPIR_LOSS_MB:-50}

random_file "$WORK/echo.in" $((MB * 1000 * 1000))
in_ns nft add table inet tp 2>/dev/null || skip "nftables does not work here"

for rate in 1 5; do
	note "loss $rate % each way (nftables) + delay 1ms, reorder 2% (--impair): $MB MB through echo"
	in_ns nft flush table inet tp
	in_ns nft add chain inet tp out '{ type filter hook output priority 0; }' 2>/dev/null
	in_ns nft add chain inet tp in '{ type filter hook input priority 0; }' 2>/dev/null
	in_ns nft add rule inet tp out ip daddr 10.0.0.2 numgen random mod 100 '<' "$rate" counter drop ||
		fail "nft rule"
	in_ns nft add rule inet tp in ip saddr 10.0.0.2 numgen random mod 100 '<' "$rate" counter drop ||
		fail "nft rule"
	start_tapir "$WORK/tapir$rate" --impair "delay=1ms,reorder=2%,seed=$rate"
	start=$(date +%s.%N)
	in_ns timeout 400 nc -N 10.0.0.2 7 <"$WORK/echo.in" >"$WORK/echo.out" || fail "nc to echo failed"
	end=$(date +%s.%N)
	same_content "echo, $rate % loss" "$WORK/echo.in" "$WORK/echo.out"
	awk -v s="$start" -v e="$end" -v mb="$MB" \
		'BEGIN { printf "goodput: %.2f MB/s each way (%.1f s)\n", mb / (e - s), e - s }'
	in_ns nft list table inet tp | grep -o 'counter packets [0-9]*' |
		awk '{ n += $3 } END { print "nft dropped", n, "packets"; exit !(n > 0) }' ||
		fail "nft dropped nothing"
	stop_tapir "$WORK/tapir$rate"
	expect_counter_eq "$WORK/tapir$rate" echo.bytes_in $((MB * 1000 * 1000))
	expect_counter "$WORK/tapir$rate" tcp.retrans
	expect_counter "$WORK/tapir$rate" tcp.ooo_in
done
echo PASS
