#!/usr/bin/env bash
# tools/bench/loss.sh [MB] [RATES] - goodput under random loss, tapir's
# congestion-control algorithms (with and without SACK) next to the Linux
# kernel's, in one run (root; a benchmark, not a test):
#   - tapir -> host: MB from tapir's chargen, nc on the host reading, with
#     nftables dropping RATE % of the frames in each direction on the host
#     side of the TAP (data and ACKs alike);
#   - the kernel: nc to nc over a veth pair between two namespaces, the same
#     nftables rule on the receiver's side, segmentation offloads off (so a
#     drop is one segment, as on tapir's TAP), with reno (Linux's "reno"
#     is NewReno: RFC 6582 partial ACKs are built in) and the host's default
#     algorithm (cubic, or bbr), the ones a namespace is allowed;
#   - each transfer is bounded: a run still going after LIMIT seconds (60)
#     stops there and its goodput is what arrived by then, marked with '>'.
# Everything happens in namespaces of its own (tpl-PID-*), removed at exit.
# Prints one table (MB/s, 10^6 bytes a second), then the figures as CSV.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_root
MB=${1:-20}
RATES=${2:-"0 1 5 10"}
LIMIT=${LIMIT:-60}
[[ "$MB" =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [MB] [\"RATES\"] (default: 20 \"0 1 5 10\")"
for r in $RATES; do
	[[ "$r" =~ ^[0-9]+$ && "$r" -lt 100 ]] || die "a loss rate is a whole percentage below 100: $r"
done
BYTES=$((MB * 1000 * 1000))
for tool in nc ip nft awk; do
	command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install netcat-openbsd iproute2 nftables)"
done
command -v ethtool >/dev/null || install_packages ethtool

bench_build
bench_setup tpl

now() { date +%s.%N; }
# goodput START END BYTES_RECEIVED: sets GOODPUT (MB/s, '>' when the run
# hit LIMIT short). Runs set globals rather than print so that they stay in
# this shell, where the EXIT trap can stop what they started.
goodput() {
	GOODPUT=$(awk -v s="$1" -v e="$2" -v got="$3" -v want="$BYTES" \
		'BEGIN { printf "%s%.2f", got < want ? ">" : "", got / (e - s) / 1e6 }')
}

# drop_rule NS DEV_FILTER RATE: RATE % of what arrives in and leaves NS dropped.
drop_rule() {
	local ns=$1 match=$2 rate=$3
	ip netns exec "$ns" nft delete table inet tpl 2>/dev/null
	[ "$rate" -eq 0 ] && return 0
	ip netns exec "$ns" nft -f - <<-EOF || die "nftables does not work here"
		table inet tpl {
			chain in { type filter hook input priority 0; ip saddr $match numgen random mod 100 < $rate drop; }
			chain out { type filter hook output priority 0; ip daddr $match numgen random mod 100 < $rate drop; }
		}
	EOF
}

# --- tapir on a TAP --------------------------------------------------------
SACK_FLAG=
"$TAPIR" run --help 2>&1 | grep -q -- --no-sack && SACK_FLAG=--no-sack
OFFLOAD_FLAG=
"$TAPIR" run --help 2>&1 | grep -q -- --no-offload && OFFLOAD_FLAG=--no-offload
ip netns add "$NS_TAP" || die "cannot create a network namespace"
ip -n "$NS_TAP" link set lo up

# tapir_run CC SACK(on|off) RATE: the goodput of one chargen transfer.
tapir_run() {
	local cc=$1 sack=$2 rate=$3 extra=() pid t0 t1 got
	[ "$sack" = off ] && extra+=("$SACK_FLAG")
	[ -n "$OFFLOAD_FLAG" ] && extra+=("$OFFLOAD_FLAG")
	ip netns exec "$NS_TAP" "$TAPIR" --seed 1 --cc "$cc" "${extra[@]}" \
		>"$WORK/tapir.out" 2>"$WORK/tapir.err" &
	pid=$!
	PIDS+=("$pid")
	wait_for 100 grep -q ' up on ' "$WORK/tapir.out" || { cat "$WORK/tapir.err" >&2; die "tapir did not come up"; }
	drop_rule "$NS_TAP" 10.0.0.2 "$rate"
	t0=$(now)
	got=$(ip netns exec "$NS_TAP" timeout "$LIMIT" nc -d 10.0.0.2 19 | head -c "$BYTES" | wc -c)
	t1=$(now)
	kill -TERM "$pid" && wait "$pid"
	PIDS=()
	goodput "$t0" "$t1" "$got"
}

# --- the kernel over veth -----------------------------------------------------
# kernel_net: a fresh veth pair between NS_A and NS_B for each run. Fresh,
# because a namespace may switch to "reno" but not back to a restricted
# algorithm such as "cubic": a new one starts with the host's default.
kernel_net() {
	local pair
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	ip netns add "$NS_A" && ip netns add "$NS_B" || die "cannot create namespaces"
	ip -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" || die "no veth support"
	ip -n "$NS_A" addr add 10.9.0.1/24 dev veth0
	ip -n "$NS_B" addr add 10.9.0.2/24 dev veth1
	for pair in "$NS_A veth0" "$NS_B veth1"; do
		set -- $pair
		ip -n "$1" link set "$2" mtu 1500 up
		ip -n "$1" link set lo up
		ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 ||
			echo "note: could not turn offloads off on $2; kernel drops may hit whole GSO bursts" >&2
	done
}
listening_b() { ip netns exec "$NS_B" ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

# kernel_run CC SACK(on|off) RATE: A sends MB to B, drops on B's side.
kernel_run() {
	local cc=$1 sack=$2 rate=$3 ns pid t0 t1 got port=5009
	kernel_net
	for ns in "$NS_A" "$NS_B"; do
		[ "$(ip netns exec "$ns" sysctl -n net.ipv4.tcp_congestion_control)" = "$cc" ] ||
			ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$cc" 2>/dev/null ||
			{ echo "note: the kernel cannot use $cc in a namespace here" >&2; return 1; }
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_sack="$([ "$sack" = on ] && echo 1 || echo 0)"
	done
	drop_rule "$NS_B" 10.9.0.1 "$rate"
	ip netns exec "$NS_B" timeout "$LIMIT" nc -l "$port" </dev/null >"$WORK/kernel.count" &
	pid=$!
	PIDS+=("$pid")
	wait_for 50 listening_b "$port" || die "nc -l did not listen"
	t0=$(now)
	head -c "$BYTES" /dev/zero | ip netns exec "$NS_A" timeout "$LIMIT" nc -N 10.9.0.2 "$port" 2>/dev/null
	wait "$pid"
	t1=$(now)
	PIDS=()
	got=$(stat -c %s "$WORK/kernel.count")
	goodput "$t0" "$t1" "$got"
}

# --- the table ---------------------------------------------------------------
CONFIGS=()
for cc in reno newreno cubic; do
	CONFIGS+=("tapir $cc")
	[ -n "$SACK_FLAG" ] && CONFIGS+=("tapir $cc+sack")
done
# The kernel's own default (cubic, or bbr on some hosts) and reno: a
# namespace may use only those (net.ipv4.tcp_allowed_congestion_control),
# and this benchmark leaves the host's settings alone.
KERNEL_DEFAULT_CC=$(sysctl -n net.ipv4.tcp_congestion_control)
for cc in reno $KERNEL_DEFAULT_CC; do
	CONFIGS+=("linux $cc" "linux $cc+sack")
done

declare -A RESULT
for rate in $RATES; do
	for conf in "${CONFIGS[@]}"; do
		set -- $conf
		who=$1 cc=${2%+sack} sack=off
		[[ "$2" == *+sack ]] && sack=on
		# Without --no-sack, this tapir has no SACK: its runs are "off".
		[ "$who" = tapir ] && [ -z "$SACK_FLAG" ] && sack=on
		echo "loss $rate %: $conf ..." >&2
		GOODPUT=n/a
		if [ "$who" = tapir ]; then
			tapir_run "$cc" "$sack" "$rate"
		else
			kernel_run "$cc" "$sack" "$rate"
		fi
		RESULT[$rate,$conf]=$GOODPUT
	done
done

printf '\nGoodput (MB/s) of one %d MB transfer under random loss, each direction\n' "$MB"
printf '(">": still running after %d s; the figure is what arrived by then)\n' "$LIMIT"
printf '%-7s' "loss %"
for conf in "${CONFIGS[@]}"; do printf ' %14s' "$conf"; done
printf '\n'
for rate in $RATES; do
	printf '%-7s' "$rate"
	for conf in "${CONFIGS[@]}"; do printf ' %14s' "${RESULT[$rate,$conf]}"; done
	printf '\n'
done
printf '\ncsv:loss_percent,stack,algorithm,sack,megabytes,mb_per_s\n'
for rate in $RATES; do
	for conf in "${CONFIGS[@]}"; do
		set -- $conf
		printf 'csv:%s,%s,%s,%s,%s,%s\n' "$rate" "$1" "${2%+sack}" \
			"$([[ "$2" == *+sack ]] && echo on || echo off)" "$MB" "${RESULT[$rate,$conf]}"
	done
done
