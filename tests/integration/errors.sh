#!/bin/bash
# (g) Errors are one clear line and a non-zero exit: a TAP name already taken
# (a second tapir on the same TAP in the same namespace), an existing non-TAP
# interface of that name, a host address already in use, no root, and bad
# flags (exit 2, then a usage hint).
source "$(dirname "$0")/lib.sh"
require
ns_create errors

# expect_error STATUS PATTERN CMD...: CMD exits STATUS and its first stderr line matches.
expect_error() {
	local want=$1 pattern=$2 status first
	shift 2
	"$@" >"$WORK/err.out" 2>"$WORK/err.txt"
	status=$?
	first=$(head -1 "$WORK/err.txt")
	echo "[$status] $first"
	[ "$status" -eq "$want" ] || fail "$* exited $status, expected $want"
	grep -Eq "$pattern" <<<"$first" || fail "message '$first' does not match /$pattern/"
}

note "bad flags: exit 2, one line naming the flag, then a hint"
expect_error 2 "^tapir run: --mtu '20': " "$TAPIR" --mtu 20
grep -qx "try 'tapir run --help'" "$WORK/err.txt" || fail "no usage hint"
[ "$(wc -l <"$WORK/err.txt")" -eq 2 ] || fail "more than a line and a hint"
expect_error 2 "^tapir run: unknown option --nope" "$TAPIR" run --nope
expect_error 2 "^tapir run: --addr '10.0.0.2': " "$TAPIR" --addr 10.0.0.2
expect_error 2 "^tapir run: --tap 'a/b': " "$TAPIR" --tap a/b
expect_error 2 "not on one subnet" "$TAPIR" --host-addr 192.168.9.1/24
expect_error 2 "^tapir ping: -c 'x': " "$TAPIR" ping -c x 10.0.0.1
expect_error 2 "^tapir ping: 'nowhere' is not an IPv4 address" "$TAPIR" ping nowhere
expect_error 2 "^tapir run: --impair 'loss=5': loss=5: missing unit" "$TAPIR" --impair loss=5
expect_error 2 "^tapir run: --services 'ftp': " "$TAPIR" --services ftp
expect_error 2 "^tapir run: --msl 'x': " "$TAPIR" --msl x
expect_error 2 "^tapir nc: missing PORT" "$TAPIR" nc 10.0.0.1
expect_error 2 "^tapir nc: port '70000': " "$TAPIR" nc 10.0.0.1 70000
expect_error 2 "^tapir nc: 'host' is not an IPv4 address" "$TAPIR" nc host 7

note "a second tapir on a TAP that is in use"
start_tapir "$WORK/first"
expect_error 1 "^tapir: TAP tap0 is busy" in_ns "$TAPIR" --tap tap0
note "... and one whose host address is already on the first TAP"
expect_error 1 "^tapir: 10.0.0.1 is already a host address, on tap0" in_ns "$TAPIR" --tap tap1
in_ns ping -c 1 -W 1 10.0.0.2 >/dev/null || fail "the first tapir stopped answering"
stop_tapir "$WORK/first"

note "tapir's own address already on the host"
in_ns ip addr add 10.0.0.2/32 dev lo
expect_error 1 "^tapir: 10.0.0.2 \(tapir's address\) is already a host address, on lo" in_ns "$TAPIR"
in_ns ip addr del 10.0.0.2/32 dev lo

if in_ns ip link add tap0 type bridge 2>/dev/null; then
	note "an existing interface that is not a TAP"
	expect_error 1 "^tapir: interface tap0 already exists and is not a TAP" in_ns "$TAPIR"
	in_ns ip link del tap0
else
	note "(no bridge support in this kernel: non-TAP name check skipped)"
fi

if command -v setpriv >/dev/null; then
	note "without root"
	expect_error 1 "^tapir: creating a TAP needs root \(CAP_NET_ADMIN\): run it with sudo" \
		in_ns setpriv --reuid=65534 --regid=65534 --clear-groups "$TAPIR"
fi
for tap in tap0 tap1; do
	! in_ns ip link show $tap >/dev/null 2>&1 || fail "a failed start left $tap behind"
done
echo PASS
