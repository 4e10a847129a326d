#!/usr/bin/env bash
# tools/bench/throughput.sh [MiB] - TCP bulk throughput of tapir against the
# Linux kernel, in one run (root; a benchmark, not a test):
#   - builds a Release tapir in build-bench/ (no sanitizers);
#   - host -> tapir: MB of zeros into tapir's discard (nc -N 10.0.0.2 9);
#   - tapir -> host: MB from tapir's chargen (nc -d 10.0.0.2 19 | head -c);
#   - tapir's CPU seconds for each (utime + stime from /proc/PID/stat);
#   - the kernel's own figure for the same two transfers, nc to nc over a
#     veth pair between two namespaces (same MTU, default offloads).
# Everything happens in namespaces of its own (tpb-PID-*), removed at exit.
# Prints a table, then the same figures as CSV.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_root
MB=${1:-200}
[[ "$MB" =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [MB] (a whole number of megabytes, default 200)"
BYTES=$((MB * 1024 * 1024))
for tool in nc ip head awk; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

bench_build
bench_setup tpb

now() { date +%s.%N; }
# cpu_seconds PID: user + system time so far.
cpu_seconds() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
rate() { awk -v b="$BYTES" -v s="$1" -v e="$2" 'BEGIN { printf "%.1f", b / (e - s) / 1e6 }'; }
elapsed() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.2f", e - s }'; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

# --- tapir on a TAP --------------------------------------------------------
ip netns add "$NS_TAP" || die "cannot create a network namespace"
ip -n "$NS_TAP" link set lo up
ip netns exec "$NS_TAP" "$TAPIR" --seed 1 >"$WORK/tapir.out" 2>"$WORK/tapir.err" &
TAPIR_PID=$!
PIDS+=("$TAPIR_PID")
wait_for 100 grep -q ' up on ' "$WORK/tapir.out" || { cat "$WORK/tapir.err" >&2; die "tapir did not come up"; }

echo "host -> tapir discard, $MB MB ..." >&2
cpu0=$(cpu_seconds "$TAPIR_PID")
t0=$(now)
head -c "$BYTES" /dev/zero | ip netns exec "$NS_TAP" timeout 300 nc -N 10.0.0.2 9 ||
	die "the transfer into discard failed"
t1=$(now)
cpu1=$(cpu_seconds "$TAPIR_PID")

echo "tapir chargen -> host, $MB MB ..." >&2
got=$(ip netns exec "$NS_TAP" timeout 300 nc -d 10.0.0.2 19 | head -c "$BYTES" | wc -c)
t2=$(now)
cpu2=$(cpu_seconds "$TAPIR_PID")
[ "$got" -eq "$BYTES" ] || die "chargen gave $got bytes, expected $BYTES"
# ($t1 to $t2 includes nc's start; so does the kernel's figure below.)

kill -TERM "$TAPIR_PID"
wait "$TAPIR_PID"
PIDS=()
discard_in=$(awk '$1 == "discard.bytes_in" { print $2 }' "$WORK/tapir.err")
[ "${discard_in:-0}" -eq "$BYTES" ] || die "discard counted ${discard_in:-0} bytes, expected $BYTES"

# --- the kernel: nc to nc over veth -----------------------------------------
ip netns add "$NS_A" && ip netns add "$NS_B" || die "cannot create namespaces"
ip -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" || die "no veth support"
ip -n "$NS_A" addr add 10.9.0.1/24 dev veth0
ip -n "$NS_B" addr add 10.9.0.2/24 dev veth1
ip -n "$NS_A" link set veth0 mtu 1500 up
ip -n "$NS_B" link set veth1 mtu 1500 up
ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set lo up

listening_b() { ip netns exec "$NS_B" ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

echo "kernel: veth A -> B, $MB MB ..." >&2
ip netns exec "$NS_B" timeout 300 nc -l 5009 >/dev/null </dev/null &
PIDS+=($!)
wait_for 50 listening_b 5009 || die "nc -l did not listen"
k0=$(now)
head -c "$BYTES" /dev/zero | ip netns exec "$NS_A" timeout 300 nc -N 10.9.0.2 5009 ||
	die "kernel transfer A -> B failed"
k1=$(now)
wait "${PIDS[-1]}"

echo "kernel: veth B -> A, $MB MB ..." >&2
head -c "$BYTES" /dev/zero | ip netns exec "$NS_B" timeout 300 nc -N -l 5019 >/dev/null &
PIDS+=($!)
wait_for 50 listening_b 5019 || die "nc -l did not listen"
k2=$(now)
kgot=$(ip netns exec "$NS_A" timeout 300 nc -d 10.9.0.2 5019 | wc -c)
k3=$(now)
wait "${PIDS[-1]}"
PIDS=()
[ "$kgot" -eq "$BYTES" ] || die "kernel transfer B -> A gave $kgot bytes"

# --- the figures ----------------------------------------------------------
d_rate=$(rate "$t0" "$t1") c_rate=$(rate "$t1" "$t2")
d_cpu=$(minus "$cpu1" "$cpu0") c_cpu=$(minus "$cpu2" "$cpu1")
k_in=$(rate "$k0" "$k1") k_out=$(rate "$k2" "$k3")
printf '\nTCP bulk transfer, %d MiB each way (MB/s: 10^6 bytes a second)\n' "$MB"
printf '%-34s %9s %9s %12s %12s\n' "transfer" "seconds" "MB/s" "tapir CPU s" "kernel MB/s"
printf '%-34s %9s %9s %12s %12s\n' "host -> tapir (nc -> discard)" "$(elapsed "$t0" "$t1")" \
	"$d_rate" "$d_cpu" "$k_in"
printf '%-34s %9s %9s %12s %12s\n' "tapir -> host (chargen -> nc)" "$(elapsed "$t1" "$t2")" \
	"$c_rate" "$c_cpu" "$k_out"
printf '(kernel: nc to nc over a veth pair between two namespaces, MTU 1500)\n\n'
echo "csv:direction,megabytes,seconds,mb_per_s,tapir_cpu_s,kernel_mb_per_s"
echo "csv:host_to_tapir,$MB,$(elapsed "$t0" "$t1"),$d_rate,$d_cpu,$k_in"
echo "csv:tapir_to_host,$MB,$(elapsed "$t1" "$t2"),$c_rate,$c_cpu,$k_out"
