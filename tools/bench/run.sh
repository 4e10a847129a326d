#!/usr/bin/env bash
# tools/bench/run.sh [--runs N] [--mb MB] [--secs S] [--conns N] [--queues N] [--csv FILE] [--svg FILE]
#
# tapir against the Linux kernel, measured in the same run (root; a
# benchmark, not a test). It builds a Release tapir and tpbench (its load
# generator) in build-bench/, installs wrk and nginx if missing, then:
#   tapir:  `tapir run` on a TAP in namespace tpbr-PID-tap, clients on the
#           host side of the TAP (the same namespace);
#   kernel: two namespaces tpbr-PID-a / -b joined by a veth pair (MTU 1500,
#           default offloads), clients in a, servers in b (tpbench servers,
#           nginx with one worker);
# and measures, medians of --runs runs (default 3) where cheap:
#   bulk TCP both ways, 1 and 4 streams (offloads on; 1 stream with
#   tapir --no-offload), 1-byte ping-pong transactions/s with p50/p99, ping
#   RTT p50/p99, wrk keep-alive (50 connections) and a new connection per
#   request, new connections/s (connect, 1-byte request, close), tapir's
#   most concurrent connections and resident memory per idle connection, and
#   tapir's CPU seconds per GB (perf's instruction counts where the CPU
#   exposes them); then 4-stream bulk, keep-alive HTTP and new connections
#   again with `tapir run --queues N` (default: one per core), for the scaling.
# Prints a table with ratios to the kernel, writes CSV (--csv, default
# bench.csv) and an SVG chart of the ratios (--svg, default
# docs/img/bench.svg) with tools/bench/chart.py. Everything runs in its own
# namespaces and is removed at exit; only the PIDs it started are stopped.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_root

RUNS=3 MB=2000 SECS=4 CONNS=50000 QUEUES=$(($(nproc) < 64 ? $(nproc) : 64))
CSV=bench.csv SVG="$TAPIR_ROOT/docs/img/bench.svg"
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) RUNS=$2 ;;
	--mb) MB=$2 ;;
	--secs) SECS=$2 ;;
	--conns) CONNS=$2 ;;
	--queues) QUEUES=$2 ;;
	--csv) CSV=$2 ;;
	--svg) SVG=$2 ;;
	*) die "usage: $0 [--runs N] [--mb MB] [--secs S] [--conns N] [--queues N] [--csv FILE] [--svg FILE]" ;;
	esac
	shift 2 || die "$1 needs a value"
done
for v in "$RUNS" "$MB" "$SECS" "$CONNS" "$QUEUES"; do
	[[ "$v" =~ ^[1-9][0-9]*$ ]] || die "--runs, --mb, --secs, --conns and --queues take whole numbers"
done
install_packages wrk nginx iputils-ping python3
for tool in wrk nginx ping ip awk python3; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

bench_build
cmake --build "$BUILD" -j "$(nproc)" --target tpbench >/dev/null || die "building tpbench failed"
TPB="$BUILD/bin/tpbench"
bench_setup tpbr
chmod 755 "$WORK"
T=10.0.0.2 K=10.9.0.2       # tapir; the kernel's server side

# --- helpers -------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'; }
# field KEY: the value of KEY=... in stdin's last line.
field() { tail -n1 | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
# runs N CMD...: CMD N times, one figure per line.
runs() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do "$@"; done
}
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
listening_in() { ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .; }

# --msl 2: a new connection per request leaves one TIME_WAIT on tapir each,
# and they count against its 65,536 sockets for 2 MSL (Linux instead stops
# keeping them past tcp_max_tw_buckets); --no-access-log as nginx's is off.
start_tapir() {         # start_tapir FLAGS...: tapir on its TAP, TAPIR_PID
	ip netns exec "$NS_TAP" "$TAPIR" --services echo,discard,chargen,http --www "$WORK/www" \
		--control "$WORK/control.sock" --no-access-log --msl 2 --seed 1 "$@" >"$WORK/tapir.out" 2>"$WORK/tapir.err" &
	TAPIR_PID=$!
	PIDS+=("$TAPIR_PID")
	wait_for 100 grep -q ' up on ' "$WORK/tapir.out" ||
		{ cat "$WORK/tapir.err" >&2; die "tapir did not come up"; }
	# The TAP is new each time: so are the host's extra addresses on it.
	TSRC=()
	for i in 10 11 12 13 14 15; do
		ip -n "$NS_TAP" addr add "10.0.0.$i/24" dev tap0 && TSRC+=("10.0.0.$i")
	done
}
stop_tapir() {
	kill -TERM "$TAPIR_PID" && wait "$TAPIR_PID"
	local kept=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$TAPIR_PID" ] || kept+=("$p"); done
	PIDS=("${kept[@]+"${kept[@]}"}")
}

# --- the two worlds -----------------------------------------------------------
mkdir -p "$WORK/www" "$WORK/tmp"
head -c 1024 /dev/zero | tr '\0' x >"$WORK/www/small.html"
chmod -R a+rX "$WORK/www"
ip netns add "$NS_TAP" && ip netns add "$NS_A" && ip netns add "$NS_B" || die "cannot create namespaces"
for ns in "$NS_TAP" "$NS_A" "$NS_B"; do
	ip -n "$ns" link set lo up
	# New connections/s must not run out of ephemeral ports.
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
done
ip -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" || die "no veth support"
ip -n "$NS_A" addr add 10.9.0.1/24 dev veth0
ip -n "$NS_B" addr add "$K/24" dev veth1
ip -n "$NS_A" link set veth0 mtu 1500 up
ip -n "$NS_B" link set veth1 mtu 1500 up
for kind in sink:5009 source:5019 echo:5007; do
	ip netns exec "$NS_B" "$TPB" "${kind%:*}" "${kind#*:}" &
	PIDS+=($!)
done
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $WORK/tmp;
	proxy_temp_path $WORK/tmp;
	fastcgi_temp_path $WORK/tmp;
	uwsgi_temp_path $WORK/tmp;
	scgi_temp_path $WORK/tmp;
	server { listen $K:80; root $WORK/www; }
}
CONF
ip netns exec "$NS_B" nginx -c "$WORK/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx.stderr" &
PIDS+=($!)
for port in 5009 5019 5007 80; do
	wait_for 100 listening_in "$NS_B" "$port" || die "the kernel-side server on $port did not listen"
done
start_tapir
# Client addresses for the kernel's side too (start_tapir adds tapir's): the
# clients' TIME_WAITs hold a 4-tuple a minute, and with tens of thousands on
# one address Linux's search for a free port makes connect() crawl.
KSRC=()
for i in 10 11 12 13 14 15; do
	ip -n "$NS_A" addr add "10.9.0.$i/24" dev veth0 && KSRC+=("10.9.0.$i")
done

declare -A R    # R[metric,tapir|kernel]
IN=""           # the namespace measure() runs its command for
in_ns() { ip netns exec "$IN" "$@"; }
# measure METRIC WHO NS CMD...: the median of RUNS figures printed by CMD
# (a function below, which runs its programs in NS with in_ns).
measure() {
	local metric=$1 who=$2
	IN=$3
	shift 3
	echo "  $metric ($who) ..." >&2
	R[$metric,$who]=$(runs "$RUNS" "$@" | median)
}
bulk() { in_ns "$TPB" "$1" "$2" "$3" "$4" "$5" | field mb_per_s; }
rr_field() { in_ns "$TPB" rr "$1" "$2" "$SECS" >"$WORK/rr.$3"; field tps <"$WORK/rr.$3"; }
ping_field() {  # ping_field HOST KEY(p50|p99) [CPU]: ping pinned to CPU if given
	local pin=()
	[ -n "${3-}" ] && pin=(taskset -c "$3")
	in_ns ping -c 200 -i 0.005 -q -n "$1" >/dev/null 2>&1    # warm caches and ARP
	in_ns "${pin[@]}" ping -c 500 -i 0.005 -n "$1" 2>/dev/null | sed -n 's/.*time=\([0-9.]*\) ms/\1/p' |
		sort -g | awk -v k="$2" '{ v[NR] = $1 }
			END { i = k == "p50" ? int(NR / 2) : int(NR * 0.99); if (i < 1) i = 1; print v[i] * 1000 }'
}
wrk_rps() { in_ns wrk -t2 -c50 -d"${SECS}s" "$@" 2>&1 | awk '/^Requests\/sec:/ { print $2 }'; }
crr() { in_ns "$TPB" crr "$@" | field cps; }

echo "bulk TCP, offloads on ..." >&2
measure bulk_in_1 tapir "$NS_TAP" bulk send "$T" 9 "$MB" 1
measure bulk_in_1 kernel "$NS_A" bulk send "$K" 5009 "$MB" 1
measure bulk_in_4 tapir "$NS_TAP" bulk send "$T" 9 $((MB / 4)) 4
measure bulk_in_4 kernel "$NS_A" bulk send "$K" 5009 $((MB / 4)) 4
measure bulk_out_1 tapir "$NS_TAP" bulk recv "$T" 19 "$MB" 1
measure bulk_out_1 kernel "$NS_A" bulk recv "$K" 5019 "$MB" 1
measure bulk_out_4 tapir "$NS_TAP" bulk recv "$T" 19 $((MB / 4)) 4
measure bulk_out_4 kernel "$NS_A" bulk recv "$K" 5019 $((MB / 4)) 4

# CPU and instructions per GB for one stream in: tapir's own process.
c0=$(cpu_ticks "$TAPIR_PID")
perf_ok=0
if command -v perf >/dev/null && perf stat -e instructions -p "$TAPIR_PID" -x, -o "$WORK/perf.probe" -- sleep 0.1 2>/dev/null &&
	! grep -q 'not supported' "$WORK/perf.probe"; then
	perf_ok=1
	perf stat -e instructions -p "$TAPIR_PID" -x, -o "$WORK/perf.bulk" &
	PERF_PID=$!
fi
ip netns exec "$NS_TAP" "$TPB" send "$T" 9 "$MB" 1 >/dev/null
[ "$perf_ok" = 1 ] && kill -INT "$PERF_PID" && wait "$PERF_PID"
c1=$(cpu_ticks "$TAPIR_PID")
R[cpu_s_per_gb,tapir]=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v mb="$MB" \
	'BEGIN { printf "%.2f", t / hz / (mb * 1048576 / 1e9) }')
[ "$perf_ok" = 1 ] && R[instr_per_byte,tapir]=$(awk -F, -v mb="$MB" '$3 ~ /^instructions/ && $1 + 0 > 0 { printf "%.2f", $1 / (mb * 1048576) }' "$WORK/perf.bulk")

echo "request/response ..." >&2
measure rr_tps tapir "$NS_TAP" rr_field "$T" 7 tapir
R[rr_p50_us,tapir]=$(field p50_us <"$WORK/rr.tapir") R[rr_p99_us,tapir]=$(field p99_us <"$WORK/rr.tapir")
measure rr_tps kernel "$NS_A" rr_field "$K" 5007 kernel
R[rr_p50_us,kernel]=$(field p50_us <"$WORK/rr.kernel") R[rr_p99_us,kernel]=$(field p99_us <"$WORK/rr.kernel")
for k in p50 p99; do
	measure "ping_${k}_us" tapir "$NS_TAP" ping_field "$T" "$k"
	measure "ping_${k}_us" kernel "$NS_A" ping_field "$K" "$k"
done
# The kernel answers in the pinger's own softirq, on its CPU; tapir's
# thread must be woken, on another CPU if it last ran there. With both on
# CPU 0 the wake-up is a context switch, not an interrupt to an idle CPU.
if command -v taskset >/dev/null && taskset -p -c 0 "$TAPIR_PID" >/dev/null; then
	measure ping_p50_us_1cpu tapir "$NS_TAP" ping_field "$T" p50 0
	measure ping_p50_us_1cpu kernel "$NS_A" ping_field "$K" p50 0
	taskset -p -c "0-$(($(nproc) - 1))" "$TAPIR_PID" >/dev/null
fi

echo "HTTP and new connections ..." >&2
measure http_keepalive_rps tapir "$NS_TAP" wrk_rps "http://$T/small.html"
measure http_keepalive_rps kernel "$NS_A" wrk_rps "http://$K/small.html"
if [ "$perf_ok" = 1 ]; then
	perf stat -e instructions -p "$TAPIR_PID" -x, -o "$WORK/perf.http" &
	PERF_PID=$!
	n=$(ip netns exec "$NS_TAP" wrk -t2 -c50 -d2s "http://$T/small.html" | awk '/requests in/ { print $1 }')
	kill -INT "$PERF_PID" && wait "$PERF_PID"
	R[instr_per_request,tapir]=$(awk -F, -v n="$n" '$3 ~ /^instructions/ && $1 + 0 > 0 && n > 0 { printf "%.0f", $1 / n }' "$WORK/perf.http")
fi
measure new_conns_per_s tapir "$NS_TAP" crr "$T" 7 "$SECS" 4 "${TSRC[@]}"
measure new_conns_per_s kernel "$NS_A" crr "$K" 5007 "$SECS" 4 "${KSRC[@]}"
measure http_close_rps tapir "$NS_TAP" wrk_rps -H 'Connection: close' "http://$T/small.html"
measure http_close_rps kernel "$NS_A" wrk_rps -H 'Connection: close' "http://$K/small.html"

echo "bulk TCP, tapir --no-offload ..." >&2
stop_tapir
start_tapir --no-offload
measure bulk_in_1_nooffload tapir "$NS_TAP" bulk send "$T" 9 $((MB / 4)) 1
measure bulk_out_1_nooffload tapir "$NS_TAP" bulk recv "$T" 19 $((MB / 4)) 1
R[bulk_in_1_nooffload,kernel]=${R[bulk_in_1,kernel]}
R[bulk_out_1_nooffload,kernel]=${R[bulk_out_1,kernel]}

echo "tapir --queues $QUEUES ..." >&2
stop_tapir
start_tapir --queues "$QUEUES"
measure bulk_in_4_mq tapir "$NS_TAP" bulk send "$T" 9 $((MB / 4)) 4
measure bulk_out_4_mq tapir "$NS_TAP" bulk recv "$T" 19 $((MB / 4)) 4
measure http_keepalive_rps_mq tapir "$NS_TAP" wrk_rps "http://$T/small.html"
measure new_conns_per_s_mq tapir "$NS_TAP" crr "$T" 7 "$SECS" 4 "${TSRC[@]}"
for m in bulk_in_4 bulk_out_4 http_keepalive_rps new_conns_per_s; do
	R[${m}_mq,kernel]=${R[$m,kernel]}
done

echo "$CONNS idle connections into tapir ..." >&2
stop_tapir
start_tapir
rss0=$(rss_kb "$TAPIR_PID")
# Several holders (a process may have too few descriptors for all), each
# holding until the FIFO they read reaches end of file: when we close it.
mkfifo "$WORK/holding"
exec 7<>"$WORK/holding"
per=$(( $(ulimit -Hn) - 100 < 15000 ? $(ulimit -Hn) - 100 : 15000 ))
holders=()
for ((left = CONNS, i = 0; left > 0; left -= per, i++)); do
	ip netns exec "$NS_TAP" "$TPB" hold "$T" 9 $((left < per ? left : per)) "${TSRC[@]}" \
		<"$WORK/holding" >"$WORK/hold.$i" 7>&- &
	PIDS+=($!) holders+=($!)
	wait_for 6000 grep -qs established "$WORK/hold.$i" || die "tpbench hold $i said nothing"
done
est=$(cat "$WORK"/hold.[0-9]* | tr ' ' '\n' | awk -F= '$1 == "established" { n += $2 } END { print n }')
rss1=$(rss_kb "$TAPIR_PID")
R[max_connections,tapir]=$est
R[bytes_per_idle_conn,tapir]=$(awk -v a="$rss0" -v b="$rss1" -v n="$est" 'BEGIN { printf "%.0f", (b - a) * 1024 / (n ? n : 1) }')
exec 7>&-
wait "${holders[@]}"
stop_tapir

# --- the table --------------------------------------------------------------
# metric | unit | better (hi: more is better, lo: less) | target for the
# ratio tapir / kernel (at least it for hi, at most it for lo) | label
rows=(
	"bulk_in_1|MB/s|hi|0.5|bulk host → peer 1 stream"
	"bulk_in_4|MB/s|hi|0.5|bulk host → peer 4 streams"
	"bulk_out_1|MB/s|hi|0.5|bulk peer → host 1 stream"
	"bulk_out_4|MB/s|hi|0.5|bulk peer → host 4 streams"
	"bulk_in_1_nooffload|MB/s|hi|0.25|bulk host → peer 1 stream --no-offload"
	"bulk_out_1_nooffload|MB/s|hi|0.25|bulk peer → host 1 stream --no-offload"
	"bulk_in_4_mq|MB/s|hi|0.5|bulk host → peer 4 streams --queues $QUEUES"
	"bulk_out_4_mq|MB/s|hi|0.5|bulk peer → host 4 streams --queues $QUEUES"
	"rr_tps|trans/s|hi|0.9|1-byte ping-pong"
	"rr_p50_us|µs|lo||ping-pong p50"
	"rr_p99_us|µs|lo||ping-pong p99"
	"ping_p50_us|µs|lo|1.5|ping RTT p50"
	"ping_p99_us|µs|lo||ping RTT p99"
	"ping_p50_us_1cpu|µs|lo||ping RTT p50 with ping and tapir on CPU 0"
	"http_keepalive_rps|req/s|hi|1.0|HTTP keep-alive 50 conns (nginx 1 worker)"
	"http_close_rps|req/s|hi||HTTP new connection per request"
	"new_conns_per_s|conn/s|hi|0.5|new connections (connect + 1 B + close)"
	"http_keepalive_rps_mq|req/s|hi|1.0|HTTP keep-alive 50 conns --queues $QUEUES"
	"new_conns_per_s_mq|conn/s|hi|0.5|new connections --queues $QUEUES"
	"max_connections|conns|hi|50000 abs|concurrent established connections"
	"bytes_per_idle_conn|bytes|lo|2048 abs|resident bytes per idle connection"
	"cpu_s_per_gb|CPU s/GB|lo||tapir CPU per GB in (1 stream)"
	"instr_per_byte|instr/B|lo||tapir instructions per byte in"
	"instr_per_request|instr/req|lo||tapir instructions per HTTP request"
)
{
	echo "metric,label,unit,better,tapir,kernel,ratio,target"
	for row in "${rows[@]}"; do
		IFS='|' read -r m unit better target label <<<"$row"
		t=${R[$m,tapir]-} k=${R[$m,kernel]-}
		ratio=$(awk -v t="$t" -v k="$k" 'BEGIN { if (t != "" && k != "" && k + 0 > 0) printf "%.2f", t / k }')
		echo "$m,$label,$unit,$better,$t,$k,$ratio,$target"
	done
} >"$CSV"

printf '\ntapir vs the Linux kernel, same run (%s, %s cores, medians of %d)\n' \
	"$(uname -r)" "$(nproc)" "$RUNS"
printf '%-50s %12s %12s %8s %8s\n' "benchmark" "tapir" "kernel" "ratio" "target"
tail -n +2 "$CSV" | while IFS=, read -r m label unit better t k ratio target; do
	printf '%-50s %12s %12s %8s %8s\n' "$label ($unit)" "${t:--}" "${k:--}" "${ratio:--}" "${target:--}"
done
[ -n "${R[instr_per_byte,tapir]-}" ] ||
	echo "(perf counted no instructions here - a VM without PMU access: instruction figures skipped)"
echo "CSV: $CSV"
mkdir -p "$(dirname "$SVG")"
python3 "$(dirname "$0")/chart.py" "$CSV" "$SVG" && echo "chart: $SVG"
