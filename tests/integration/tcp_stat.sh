#!/bin/bash
# `tapir stat` against a running tapir: connections held open from the
# namespace in several states (ESTABLISHED, CLOSE_WAIT, LAST_ACK; TIME_WAIT
# on the Linux side, which closed first) show in the table, -s, -i, -l, -u
# and -c; the control socket is 0600, refuses a second tapir and is gone
# after exit; with no tapir running, stat says so in one line and fails.
source "$(dirname "$0")/lib.sh"
require python3 ss
ns_create stat

stat_out() { in_ns "$TAPIR" stat "$@" 2>&1; }
# stat_shows PATTERN ARGS...: the stat output with ARGS has a line matching PATTERN.
stat_shows() {
	local pattern=$1
	shift
	stat_out "$@" | grep -Eq -- "$pattern"
}
expect_stat() {
	local pattern=$1
	shift
	if ! wait_until 100 stat_shows "$pattern" "$@"; then
		stat_out "$@" >&2
		fail "tapir stat $* never showed /$pattern/ within 10 s"
	fi
	echo "tapir stat $*: /$pattern/"
}

note "no tapir running: one line saying so, and how to start one"
in_ns "$TAPIR" stat --tap tap7 >"$WORK/none.out" 2>"$WORK/none.err" && fail "stat without tapir succeeded"
[ "$(wc -l <"$WORK/none.err")" -eq 1 ] || fail "want one line, got: $(cat "$WORK/none.err")"
grep -q "no tapir is running on tap7.*tapir run --tap tap7" "$WORK/none.err" ||
	fail "unclear: $(cat "$WORK/none.err")"
cat "$WORK/none.err"
! in_ns "$TAPIR" stat --control "$WORK/none.sock" 2>"$WORK/none.err" || fail "stat --control to nothing"
grep -q "no tapir answers at $WORK/none.sock" "$WORK/none.err" || fail "$(cat "$WORK/none.err")"

start_tapir "$WORK/tapir" --msl 30
sock="/run/tapir/tap0@$NS.sock"
[ -S "$sock" ] || fail "no control socket at $sock"
[ "$(stat -c %a "$sock")" = 600 ] || fail "$sock is mode $(stat -c %a "$sock"), not 600"

note "a second tapir on the same control socket is refused"
in_ns "$TAPIR" run --tap tap1 --addr 10.0.1.2/24 --host-addr 10.0.1.1/24 --control "$sock" \
	>"$WORK/second.out" 2>"$WORK/second.err" && fail "a second tapir started"
grep -q "another tapir is already running" "$WORK/second.err" || fail "$(cat "$WORK/second.err")"
[ -S "$sock" ] || fail "the refused tapir removed the live socket"

note "listeners and UDP sockets of the default services"
for port in 7 9 19; do
	expect_stat "^LISTEN +0 +128 0\.0\.0\.0:$port +\*:\*$"
	expect_stat "^0\.0\.0\.0:$port +0 +0 +128$" -l
	expect_stat "^UNCONN +0 +0 0\.0\.0\.0:$port +\*:\*$" -u
done

note "connections held from the namespace"
spawn "$WORK/hold" /dev/null python3 "$HERE/hold_conns.py" 10.0.0.2
hold=$SPAWNED
wait_until 300 grep -q ready "$WORK/hold.out" ||
	{ cat "$WORK/hold.err" >&2; fail "hold_conns.py did not get ready in 30 s"; }
expect_stat "^ESTABLISHED +0 +0 10\.0\.0\.2:7 +10\.0\.0\.1:[0-9]+$"
expect_stat "^CLOSE_WAIT +[1-9][0-9]* +[1-9][0-9]* 10\.0\.0\.2:7 +10\.0\.0\.1:"
expect_stat "^LAST_ACK +0 +[1-9][0-9]* 10\.0\.0\.2:7 +10\.0\.0\.1:"
expect_stat "^	 cwnd:[0-9]+ ssthresh:[0-9a-z]+ mss:(1448|1460) srtt:[0-9.]+ms rto:[0-9.]+ms .* retrans:[0-9]+ bytes_in:1 bytes_out:1 opts:sack,ts,wscale:[0-9]+,[0-9]+$" -i
# Linux closed first there: the TIME_WAIT is its, and tapir's side is gone.
in_ns ss -Htan state time-wait dst 10.0.0.2:9 | grep -q . || fail "no TIME_WAIT on the Linux side"
! stat_shows " 10\.0\.0\.2:9 +10\.0\.0\.1:" || fail "tapir still lists the closed discard connection"
in_ns ss -Htan state fin-wait-2 dst 10.0.0.2:7 | grep -c . | grep -qx 2 ||
	fail "the Linux side of CLOSE_WAIT/LAST_ACK is not FIN_WAIT_2: $(in_ns ss -tan)"

note "-s: all eleven states in RFC order"
stat_out -s | tee "$WORK/summary"
want="CLOSED LISTEN SYN_SENT SYN_RECEIVED ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT CLOSING LAST_ACK TIME_WAIT total"
[ "$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = " " }' "$WORK/summary")" = "$want" ] ||
	fail "-s does not list the states in order"
for pair in "ESTABLISHED 1" "CLOSE_WAIT 1" "LAST_ACK 1"; do
	grep -Eq "^${pair% *} +${pair#* }$" "$WORK/summary" || fail "-s: want $pair"
done
# Other services may listen too (tapir run grows); at least echo, discard, chargen.
awk '$1 == "LISTEN" && $2 >= 3 { ok = 1 } END { exit !ok }' "$WORK/summary" || fail "-s: LISTEN < 3"
awk 'NR > 1 && $1 != "total" { sum += $2 } $1 == "total" { total = $2 } END { exit sum != total }' \
	"$WORK/summary" || fail "-s: the total is not the sum"

note "-c: counters by layer with their help"
stat_out -c >"$WORK/counters"
grep -Eq "^TCP:$" "$WORK/counters" || fail "-c: no TCP heading"
grep -Eq "^ +[4-9][0-9]*  tcp\.passive_opens +connections accepted from a listener$" "$WORK/counters" ||
	fail "-c: tcp.passive_opens: $(grep passive "$WORK/counters")"
[ "$(grep -c '^ \+[0-9]\+  [a-z]\+\.[a-z_]\+ ' "$WORK/counters")" -ge 90 ] || fail "-c: counters missing"
grep -E "^(Ethernet|IP|TCP):$|tcp\.(in|out|passive_opens) " "$WORK/counters"

note "several views at once"
stat_out -s -l -u -c >"$WORK/all"
[ "$(grep -c '^$' "$WORK/all")" -ge 3 ] || fail "views not separated"
for head in "^State +Count$" "^Local Address:Port +Accept-Q" "^State +Recv-Q +Datagrams" "^TCP:$"; do
	grep -Eq "$head" "$WORK/all" || fail "combined output lacks /$head/"
done

stop_pid "$hold"
stop_tapir "$WORK/tapir"
[ ! -e "$sock" ] || fail "$sock left behind after exit"
! in_ns "$TAPIR" stat 2>/dev/null || fail "stat succeeded after tapir exited"
echo PASS
