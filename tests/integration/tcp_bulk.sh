#!/bin/bash
# 50 MB through tapir's TCP echo and back, byte-exact: both directions of one
# connection at full speed at once (with the sanitizers: a few seconds).
source "$(dirname "$0")/lib.sh"
require nc sha256sum
ns_create tcpbulk
SIZE=$((50 * 1024 * 1024))

start_tapir "$WORK/tapir"
random_file "$WORK/in" "$SIZE"
start=$(date +%s.%N)
in_ns timeout 120 nc -N 10.0.0.2 7 <"$WORK/in" >"$WORK/out" || fail "nc to echo failed"
end=$(date +%s.%N)
same_content "echo of 50 MB" "$WORK/in" "$WORK/out"
awk -v s="$start" -v e="$end" -v n="$SIZE" \
	'BEGIN { printf "%.1f s, %.1f MB/s each way\n", e - s, n / (e - s) / 1e6 }'
stop_tapir "$WORK/tapir"
expect_counter_eq "$WORK/tapir" echo.bytes_out "$SIZE"
echo PASS
