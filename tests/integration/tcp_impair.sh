#!/bin/bash
# Under tapir's own seeded impairment (--impair: loss, delay, reordering and
# duplication, in both directions of the TAP) TCP still delivers every byte:
# echo and discard transfers of a few MB, byte-exact, with retransmissions
# and the impairment's own counters to show it was not a clean link.
source "$(dirname "$0")/lib.sh"
require nc ping sha256sum
ns_create tcpimpair
SPEC=loss=5%,delay=5ms,reorder=5%,dup=1%,seed=7

start_tapir "$WORK/tapir" --impair "$SPEC"
grep "impairing" "$WORK/tapir.out" || fail "no line says what the impairment is"

note "delay=5ms each way: every ping reply takes at least 10 ms"
out=$(in_ns ping -c 5 -i 0.2 -W 2 10.0.0.2)
echo "$out" | tail -2
awk -F'time=' '/time=/ { n++; if ($2 + 0 < 10) bad++ } END { exit !(n > 0 && !bad) }' <<<"$out" ||
	fail "replies faster than the delay allows, or none"

note "echo: 1 MB there and back (every hole costs an RTO: no SACK yet)"
random_file "$WORK/echo.in" 1000000
in_ns timeout 90 nc -N 10.0.0.2 7 <"$WORK/echo.in" >"$WORK/echo.out" || fail "nc to echo failed"
same_content "echo, impaired" "$WORK/echo.in" "$WORK/echo.out"

note "discard: 4 MB"
random_file "$WORK/discard.in" 4000000
in_ns timeout 90 nc -N 10.0.0.2 9 <"$WORK/discard.in" || fail "nc to discard failed"

stop_tapir "$WORK/tapir"
expect_counter_eq "$WORK/tapir" discard.bytes_in 4000000
expect_counter "$WORK/tapir" tcp.retrans
expect_counter "$WORK/tapir" tcp.ooo_in
grep -A2 '^tapir: impairment' "$WORK/tapir.err" || fail "no impairment counters at exit"
lost=$(awk '/^  (out|in) / { for (i = 1; i < NF; i++) if ($i == "lost") n += $(i + 1) } END { print n + 0 }' \
	"$WORK/tapir.err")
[ "$lost" -gt 0 ] || fail "the impairment lost nothing"
echo PASS
