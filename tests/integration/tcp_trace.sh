#!/bin/bash
# --trace tells one TCP conversation segment by segment and state by state:
# `tapir run` as the server (LISTEN -> SYN_RECEIVED -> ... -> CLOSED) and
# `tapir nc` as the client (CLOSED -> SYN_SENT -> ... -> TIME_WAIT).
source "$(dirname "$0")/lib.sh"
require nc ss
ns_create tcptrace

# expect_line LOG REGEX: LOG has a line matching REGEX (extended).
expect_line() {
	grep -Eq -- "$2" "$1" || { cat "$1" >&2; fail "no line matching /$2/ in $1"; }
	grep -Em1 -- "$2" "$1"
}

start_tapir "$WORK/tapir" --trace
echo hello >"$WORK/hello"
in_ns timeout 10 nc -N 10.0.0.2 7 <"$WORK/hello" >"$WORK/back" || fail "nc to echo failed"
same_content echo "$WORK/hello" "$WORK/back"
stop_tapir "$WORK/tapir"

log="$WORK/tapir.out"
C='10\.0\.0\.1:[0-9]+'
expect_line "$log" "in +$C > 10\.0\.0\.2:7 \[S\] seq [0-9]+ win [0-9]+ <mss 1460,.*> len 0$"
expect_line "$log" "out +10\.0\.0\.2:7 > $C \[S\.\] seq [0-9]+ ack [0-9]+ win [0-9]+ <mss 1460[,>]"
expect_line "$log" "out +10\.0\.0\.2:7 > $C \[P?\.\] seq [0-9]+ ack [0-9]+ win [0-9]+ (<nop,nop,ts [0-9]+ [0-9]+> )?len 6$"
for change in "LISTEN -> SYN_RECEIVED \(SYN received\)" \
	"SYN_RECEIVED -> ESTABLISHED \(" "ESTABLISHED -> CLOSE_WAIT \(FIN received\)" \
	"CLOSE_WAIT -> LAST_ACK \(" "LAST_ACK -> CLOSED \(our FIN acknowledged\)"; do
	expect_line "$log" "state conn 10\.0\.0\.2:7-$C $change"
done

note "tapir nc --trace: the client's side, on stderr"
spawn "$WORK/l" /dev/null nc -l 5000
wait_until 50 listening 5000 || fail "nc -l did not listen"
in_ns timeout 20 "$TAPIR" nc --trace 10.0.0.1 5000 <"$WORK/hello" 2>"$WORK/nc.err" ||
	{ cat "$WORK/nc.err"; fail "tapir nc failed"; }
await "$SPAWNED" 10 || fail "nc -l exited $?"
same_content "tapir nc" "$WORK/hello" "$WORK/l.out"
log="$WORK/nc.err"
S='10\.0\.0\.2:[0-9]+'
expect_line "$log" "out +$S > 10\.0\.0\.1:5000 \[S\] seq [0-9]+ win [0-9]+ <mss 1460"
for change in "CLOSED -> SYN_SENT \(connect\)" "SYN_SENT -> ESTABLISHED \(" \
	"ESTABLISHED -> FIN_WAIT_1 \(" "(FIN_WAIT_2|CLOSING|FIN_WAIT_1) -> TIME_WAIT \("; do
	expect_line "$log" "state conn $S-10\.0\.0\.1:5000 $change"
done
echo PASS
