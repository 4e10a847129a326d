#!/bin/bash
# (d) A burst of hostile frames (truncated, bogus IHL, total length past the
# frame, bad checksums, bad options, fragments past 65535, contradicting
# overlaps, a fragment flood past the reassembly budget): tapir survives
# (ASan/UBSan builds abort on any memory error), still answers ping, and its
# exit counters show each kind of drop.
source "$(dirname "$0")/lib.sh"
require ping python3
ns_create malformed

mac=02:00:00:00:00:02
# --trace too: the decoder must also read every hostile frame safely.
start_tapir "$WORK/tapir" --mac "$mac" --trace
in_ns python3 "$HERE/send_malformed.py" tap0 "$mac" 10.0.0.1 10.0.0.2 || fail "sender failed"
# The burst is queued on the TAP; a ping behind it shows tapir got through it.
out=$(in_ns ping -c 3 -i 0.2 -W 2 10.0.0.2) || { echo "$out"; fail "no answer after the burst"; }
grep -q ' 0% packet loss' <<<"$out" || { echo "$out"; fail "loss after the burst"; }
echo "ping after the burst: 0% loss"
stop_tapir "$WORK/tapir"
for c in ip.drop_short arp.drop_malformed eth.drop_ethertype ip.drop_version ip.drop_hdr_len \
	ip.drop_total_len ip.drop_checksum ip.drop_options ip.drop_bad_src icmp.drop_checksum \
	icmp.drop_malformed ip.reass_oversize ip.reass_bad_frag ip.reass_overlap ip.reass_memory; do
	expect_counter "$WORK/tapir" "$c"
done
echo PASS
