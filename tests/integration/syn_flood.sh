#!/bin/bash
# A SYN flood against `tapir run`'s HTTP port (80) from forged off-link
# sources (syn_flood.py: 200 000 SYNs or 10 s, paced at 20 000 SYN/s, a
# rate the TAP carries, so what is measured is tapir, not the link), while
# curl fetches the built-in page over and over with a 2 s limit. The SYN
# queue fills in the first milliseconds; from then on every SYN, the
# flood's and curl's, is answered with a SYN cookie, and curl's ACK opens
# its connection from the cookie alone. At least 99 % of the curls must
# succeed, and tapir's counters must show cookies sent and validated. Then
# 3 s as fast as the sender goes, for the figure only, and 3 s from forged
# on-link sources (tapir on a /16), which make it ARP for each: curl must
# still get through. Prints the figures: SYNs/s sent and absorbed, the
# success rate and median latency under each flood. The flood never leaves
# the namespace: it holds only lo and the TAP, and tapir's answers go to
# the host side, which does not forward them.
source "$(dirname "$0")/lib.sh"
require curl python3 awk sort
ns_create synflood
CTL=$WORK/control.sock
BASE=http://10.0.0.2/

start_tapir "$WORK/tapir" --control "$CTL" --addr 10.0.0.2/16 --host-addr 10.0.0.1/16
# counters: `tapir stat -c` as "NAME VALUE" lines.
counters() { in_ns "$TAPIR" stat --control "$CTL" -c | awk '$1 ~ /^[0-9]+$/ { print $2, $1 }'; }
value() { awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }' "$1"; }
fetch() { in_ns curl -s -o /dev/null --max-time 2 -w '%{http_code} %{time_total}\n' "$BASE"; }

note "before the flood"
[ "$(fetch | cut -d' ' -f1)" = 200 ] || fail "no page from tapir before the flood"
counters >"$WORK/before"
[ "$(value "$WORK/before" tcp.syncookies_sent)" -eq 0 ] || fail "cookies before any flood"

# flood NAME MAX_SYNS SECONDS RATE [SOURCES]: the flood (RATE 0: as fast as it can) and
# curl in a loop until it ends; prints the figures, leaves them in $WORK/NAME.*
# and the counts in OK, TOTAL, COOKIES, VALID, ARP_DROPS.
flood() {
	local name=$1 i
	counters >"$WORK/$name.before"
	spawn "$WORK/$name" /dev/null python3 "$HERE/syn_flood.py" 10.0.0.2 80 "$2" "$3" "$4" "${5:-198.18.0.0/15}"
	local pid=$SPAWNED
	: >"$WORK/$name.curls"
	# Until the flood ends (600: finite whatever happens).
	for ((i = 0; i < 600; i++)); do
		alive "$pid" || break
		fetch >>"$WORK/$name.curls" || echo "000 2" >>"$WORK/$name.curls"
	done
	await "$pid" 30 || { cat "$WORK/$name.err" >&2; fail "the flood failed"; }
	counters >"$WORK/$name.after"
	local secs sent segs kd median p99
	secs=$(sed -n 's/^sent [0-9]* in \([0-9.]*\) s.*/\1/p' "$WORK/$name.out")
	sent=$(sed -n 's/^sent \([0-9]*\) in.*/\1/p' "$WORK/$name.out")
	[ -n "$sent" ] && [ "$sent" -gt 1000 ] || fail "the flood sent too little: $(cat "$WORK/$name.out")"
	delta() { echo $(($(value "$WORK/$name.after" "$1") - $(value "$WORK/$name.before" "$1"))); }
	COOKIES=$(delta tcp.syncookies_sent)
	VALID=$(delta tcp.syncookies_valid)
	ARP_DROPS=$(delta arp.queue_drop)
	segs=$(delta tcp.in)
	TOTAL=$(wc -l <"$WORK/$name.curls")
	OK=$(grep -c '^200 ' "$WORK/$name.curls")
	awk '$1 == 200 { print $2 }' "$WORK/$name.curls" | sort -n >"$WORK/$name.times"
	median=$(awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] * 1000 : 0 }' "$WORK/$name.times")
	p99=$(awk '{ v[NR] = $1 } END { print NR ? v[int(NR * 0.99 + 0.999)] * 1000 : 0 }' "$WORK/$name.times")
	kd=$(in_ns ip -s link show tap0 | awk '/TX:/ { getline; print $4 }')
	awk -v sent="$sent" -v secs="$secs" -v segs="$segs" -v cookies="$COOKIES" -v valid="$VALID" \
	    -v ok="$OK" -v total="$TOTAL" -v med="$median" -v p99="$p99" -v kd="$kd" 'BEGIN {
		printf "  SYNs sent:          %d in %.1f s = %d/s\n", sent, secs, sent / secs
		printf "  taken in by tapir:  %d segments = %d/s (TAP drops in the kernel so far: %s)\n", segs, segs / secs, kd
		printf "  SYN cookies:        %d sent = %d/s; %d validated\n", cookies, cookies / secs, valid
		printf "  curl meanwhile:     %d of %d OK (%.1f %%), median %.1f ms, p99 %.1f ms\n", ok, total, total ? 100 * ok / total : 0, med, p99
	}'
	echo "  ARP: requests $(delta arp.request_out), queue drops $ARP_DROPS, evictions $(delta arp.cache_evict)"
}

note "flood at 20 000 SYN/s (200 000 SYNs or 10 s), curl meanwhile"
flood paced 200000 10 20000
[ "$TOTAL" -ge 10 ] || fail "only $TOTAL curls ran during the flood"
[ $((OK * 100)) -ge $((TOTAL * 99)) ] || { cat "$WORK/paced.curls" >&2; fail "only $OK of $TOTAL curls succeeded"; }
[ "$COOKIES" -gt 0 ] || fail "no SYN cookies sent"
[ "$VALID" -gt 0 ] || fail "no SYN cookie validated"
[ "$ARP_DROPS" -eq 0 ] || fail "packets dropped waiting for ARP"

# As fast as Python can send: a figure for how much tapir absorbs when the
# TAP itself overflows (the kernel drops frames before tapir sees them, so
# curl's too: not asserted, only shown).
note "flood as fast as it goes (3 s), curl meanwhile"
flood unpaced 200000 3 0

# Forged on-link sources nobody answers: each SYN-ACK makes tapir ARP for
# a new address, so the ARP cache churns; its entries for hosts that do
# answer (curl's, 10.0.0.1) must survive it.
note "flood from on-link forged sources (10.0.128.0/17) at 5 000 SYN/s for 3 s, curl meanwhile"
flood onlink 15000 3 5000 10.0.128.0/17
[ $((OK * 100)) -ge $((TOTAL * 99)) ] || { cat "$WORK/onlink.curls" >&2; fail "only $OK of $TOTAL curls succeeded"; }

note "after the flood"
[ "$(fetch | cut -d' ' -f1)" = 200 ] || fail "no page from tapir after the flood"
stop_tapir "$WORK/tapir"
expect_counter "$WORK/tapir" tcp.syncookies_sent
expect_counter "$WORK/tapir" tcp.syncookies_valid
echo PASS
