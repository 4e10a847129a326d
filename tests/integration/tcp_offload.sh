#!/bin/bash
# TAP offloads (IFF_VNET_HDR: checksums left partial, 64 KB TSO/GSO frames
# both ways) under loss and reordering: 50 MB through echo, both directions of
# one connection at once, byte-exact, with nftables dropping 1% of the host's
# frames (super-frames included, whole) and tapir's own --impair losing and
# reordering its side. The counters show super-frames did go out; then the
# same with --no-offload shows none do, and that the host's GRO merges
# tapir's MTU-sized segments then (IFF_NAPI), unless --no-napi. The TAP's
# NAPI thread comes on in bulk and goes off when traffic is light
# (--napi-thread auto), or stays as --napi-thread on / off says.
source "$(dirname "$0")/lib.sh"
require nc nft sha256sum
ns_create tcpoffload
SIZE=$((50 * 1024 * 1024))

in_ns nft add table inet tp 2>/dev/null || skip "nftables does not work here"
in_ns nft add chain inet tp out '{ type filter hook output priority 0; }' || fail "nft chain"
in_ns nft add rule inet tp out ip daddr 10.0.0.2 numgen random mod 100 '<' 1 counter drop ||
	fail "nft rule"

start_tapir "$WORK/tapir" --impair loss=0.5%,reorder=1%,seed=7
random_file "$WORK/in" "$SIZE"
in_ns timeout 240 nc -N 10.0.0.2 7 <"$WORK/in" >"$WORK/out" || fail "nc to echo failed"
same_content "echo of 50 MB, offloads on, lossy" "$WORK/in" "$WORK/out"
in_ns nft list table inet tp | grep -o 'counter packets [0-9]*' |
	awk '{ n += $3 } END { print "nft dropped", n, "frames"; exit !(n > 0) }' ||
	fail "nft dropped nothing"
stop_tapir "$WORK/tapir"
expect_counter_eq "$WORK/tapir" echo.bytes_out "$SIZE"
expect_counter "$WORK/tapir" eth.tso_out
expect_counter "$WORK/tapir" tcp.retrans
expect_counter_eq "$WORK/tapir" eth.drop_offload 0
expect_counter_eq "$WORK/tapir" tcp.drop_checksum 0
# Super-frames came in too: far fewer frames than 1460-byte segments.
in=$(counter "$WORK/tapir" eth.in)
[ "$in" -lt $((SIZE / 1460 / 2)) ] || fail "$in frames in for $SIZE bytes: no GSO from the host?"
echo "eth.in = $in frames for $SIZE bytes"

note "--no-offload: 5 MB, every frame MTU-sized"
random_file "$WORK/in5" 5000000
start_tapir "$WORK/plain" --no-offload
in_ns timeout 120 nc -N 10.0.0.2 7 <"$WORK/in5" >"$WORK/out5" || fail "nc to echo failed"
same_content "echo of 5 MB, no offloads" "$WORK/in5" "$WORK/out5"
stop_tapir "$WORK/plain"
expect_counter_eq "$WORK/plain" eth.tso_out 0

# The host's IP counts one datagram per skb its GRO passes up (InReceives)
# and every segment in it (InNoECTPkts): their ratio is how much it merged.
ip_in() {
	in_ns cat /proc/net/snmp /proc/net/netstat | awk '
		$1 == "Ip:" && !ip { for (i = 2; i <= NF; i++) f[$i] = i; ip = 1; next }
		$1 == "Ip:" { r = $f["InReceives"] }
		$1 == "IpExt:" && !ext { for (i = 2; i <= NF; i++) g[$i] = i; ext = 1; next }
		$1 == "IpExt:" { n = $g["InNoECTPkts"] }
		END { print r, n }'
}
threaded() { in_ns cat /sys/class/net/tap0/threaded; }
# pull_merged LOG FLAGS...: 5 MB from chargen; MERGED = segments per host
# skb, THREADED = the TAP's NAPI `threaded` after it. Not in a subshell: the cleanup trap must know the tapir it starts.
pull_merged() {
	local log=$1 r0 n0 r1 n1
	shift
	start_tapir "$log" --no-offload "$@"
	read -r r0 n0 < <(ip_in)
	in_ns timeout 60 nc 10.0.0.2 19 </dev/null | head -c 5000000 | wc -c | grep -qx 5000000 ||
		fail "chargen gave less than 5 MB"
	read -r r1 n1 < <(ip_in)
	THREADED=$(threaded)
	stop_tapir "$log"
	MERGED=$(((n1 - n0) / (r1 - r0)))
}
note "the NAPI thread: on in bulk, off when light (auto)"
# On above 16 MiB/s here, not 128: a sanitized tapir beside other tests
# must cross it with room to spare.
start_tapir "$WORK/auto" --napi-thread auto:16
[ "$(threaded)" = 0 ] || fail "the NAPI thread is on before any traffic"
in_ns timeout 60 nc 10.0.0.2 19 </dev/null | head -c 300000000 | wc -c | grep -qx 300000000 ||
	fail "chargen gave less than 300 MB"
[ "$(threaded)" = 1 ] || fail "300 MB from chargen did not turn the NAPI thread on"
# Pings, a tenth of a second apart: light traffic, measured a period later.
ping_off() { in_ns ping -c 1 -W 1 -q 10.0.0.2 >/dev/null && [ "$(threaded)" = 0 ]; }
wait_until 50 ping_off || fail "the NAPI thread stayed on under pings"
echo "NAPI thread: on in bulk, off under pings"
stop_tapir "$WORK/auto"

note "--no-offload: the host's GRO merges tapir's segments (IFF_NAPI, gro_flush_timeout)"
start_tapir "$WORK/grosys" --no-offload --napi-thread on
[ "$(in_ns cat /sys/class/net/tap0/gro_flush_timeout)" = 20000000 ] ||
	fail "gro_flush_timeout is $(in_ns cat /sys/class/net/tap0/gro_flush_timeout), not 20 ms"
[ "$(threaded)" = 1 ] || fail "--napi-thread on: the TAP's NAPI is not threaded"
stop_tapir "$WORK/grosys"
grep -q 'warning' "$WORK/grosys.err" && { cat "$WORK/grosys.err" >&2; fail "host GRO reported unavailable"; }
pull_merged "$WORK/gro" --napi-thread off
echo "host GRO: $MERGED segments per skb"
[ "$THREADED" = 0 ] || fail "--napi-thread off: the TAP's NAPI is threaded"
[ "$MERGED" -ge 4 ] || fail "the host's GRO merged $MERGED segments per skb, expected >= 4"
pull_merged "$WORK/nogro" --no-napi
[ "$MERGED" -eq 1 ] || fail "--no-napi: $MERGED segments per skb, expected 1"
echo PASS
