#!/bin/bash
# `tapir run` serves echo, discard and chargen (RFC 862-864) over TCP and UDP
# by default: Linux's nc gets every echoed byte back, discard takes 50 MB (its
# counters confirm them), chargen's first 50 MB match the pattern computed
# independently in python; a closed TCP port answers with a RST (refused), a
# closed UDP port with ICMP port unreachable; UDP echo answers.
source "$(dirname "$0")/lib.sh"
require nc python3 sha256sum
ns_create tcpsvc
BIG=$((50 * 1024 * 1024))

start_tapir "$WORK/tapir"
grep -q 'try: .*nc 10.0.0.2 7' "$WORK/tapir.out" || fail "the banner does not suggest nc"

note "echo: 300 KB come back byte for byte"
random_file "$WORK/echo.in" 300000
in_ns timeout 30 nc -N 10.0.0.2 7 <"$WORK/echo.in" >"$WORK/echo.out" || fail "nc to echo failed"
same_content echo "$WORK/echo.in" "$WORK/echo.out"

note "discard: 50 MB"
head -c "$BIG" /dev/urandom | in_ns timeout 60 nc -N 10.0.0.2 9 || fail "nc to discard failed"

note "chargen: 50 MB of RFC 864's pattern"
want=$(python3 "$HERE/peer.py" chargen-sha256 "$BIG")
got=$(in_ns timeout 60 nc -d 10.0.0.2 19 | head -c "$BIG" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "chargen: sha256 $got, expected $want"
echo "chargen: sha256 ${got:0:16}... matches the pattern"

note "closed TCP port: RST, so connect is refused"
in_ns timeout 10 python3 "$HERE/peer.py" refused 10.0.0.2 5555 || fail "no RST from a closed port"
! in_ns timeout 10 nc -z 10.0.0.2 5555 || fail "nc -z to a closed port succeeded"

note "UDP: echo answers; a closed port sends ICMP port unreachable"
in_ns timeout 20 python3 "$HERE/peer.py" udp-echo 10.0.0.2 7 || fail "UDP echo"
in_ns timeout 20 python3 "$HERE/peer.py" udp-refused 10.0.0.2 5555 || fail "closed UDP port"

stop_tapir "$WORK/tapir"
expect_counter_eq "$WORK/tapir" echo.bytes_in 300000
expect_counter_eq "$WORK/tapir" echo.bytes_out 300000
expect_counter_eq "$WORK/tapir" discard.bytes_in "$BIG"
expect_counter_eq "$WORK/tapir" discard.connections 1
expect_counter "$WORK/tapir" chargen.bytes_out
expect_counter "$WORK/tapir" echo.datagrams_out
expect_counter "$WORK/tapir" tcp.rst_out
expect_counter "$WORK/tapir" icmp.unreach_out
echo PASS
