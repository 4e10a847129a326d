#!/usr/bin/env bash
# tools/bench/http.sh [SECONDS] [CONNECTIONS] - HTTP requests/s of tapir's
# server against nginx, in one run (root; a benchmark, not a test):
#   - installs wrk and nginx (Debian packages) if missing;
#   - builds a Release tapir in build-bench/ (no sanitizers);
#   - tapir: `tapir run --services http --www DIR` on a TAP, wrk from the
#     host side of the TAP (its access log goes to a file);
#   - nginx: one worker, access log off, in a second namespace over a veth
#     pair (MTU 1500), wrk from the first;
#   - both serve the same 1 KiB file with keep-alive, wrk -t2 -cCONNECTIONS.
# Everything happens in namespaces of its own (tpbh-PID-*), removed at exit.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/common.sh"
need_root
SECS=${1:-10}
CONNS=${2:-50}
[[ "$SECS" =~ ^[1-9][0-9]*$ && "$CONNS" =~ ^[1-9][0-9]*$ ]] ||
	die "usage: $0 [SECONDS] [CONNECTIONS] (whole numbers, default 10 and 50)"
install_packages wrk nginx
for tool in wrk nginx ip awk; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done

bench_build
bench_setup tpbh
chmod 755 "$WORK"     # nginx reads the files as its own user
listening() { ip netns exec "$1" ss -Hltn "sport = :80" 2>/dev/null | grep -q .; }
# rps NS URL: wrk's Requests/sec.
rps() {
	ip netns exec "$1" wrk -t2 -c"$CONNS" -d"${SECS}s" "$2" >"$WORK/wrk.out" 2>&1 ||
		{ cat "$WORK/wrk.out" >&2; die "wrk failed against $2"; }
	grep -q 'Non-2xx\|Socket errors' "$WORK/wrk.out" && sed -n '/Non-2xx\|Socket errors/p' "$WORK/wrk.out" >&2
	awk '/^Requests\/sec:/ { print $2 }' "$WORK/wrk.out"
}
latency() { awk '$1 == "Latency" { print $2 }' "$WORK/wrk.out"; }

mkdir -p "$WORK/www"
head -c 1024 /dev/zero | tr '\0' x >"$WORK/www/small.html"
chmod -R a+rX "$WORK/www"

# --- tapir on a TAP -------------------------------------------------------------
ip netns add "$NS_TAP" || die "cannot create a network namespace"
ip -n "$NS_TAP" link set lo up
ip netns exec "$NS_TAP" "$TAPIR" --services http --www "$WORK/www" --control "$WORK/control.sock" \
	>"$WORK/tapir.out" 2>"$WORK/tapir.err" &
TAPIR_PID=$!
PIDS+=("$TAPIR_PID")
wait_for 100 grep -q ' up on ' "$WORK/tapir.out" || { cat "$WORK/tapir.err" >&2; die "tapir did not come up"; }
echo "tapir: wrk -t2 -c$CONNS -d${SECS}s ..." >&2
tapir_rps=$(rps "$NS_TAP" http://10.0.0.2/small.html)
tapir_lat=$(latency)
kill -TERM "$TAPIR_PID"
wait "$TAPIR_PID"
PIDS=()
tapir_log=$(grep -c '"GET /small.html HTTP/1.1" 200' "$WORK/tapir.err")

# --- nginx, one worker, over veth -----------------------------------------------
ip netns add "$NS_A" && ip netns add "$NS_B" || die "cannot create namespaces"
ip -n "$NS_A" link add veth0 type veth peer name veth1 netns "$NS_B" || die "no veth support"
ip -n "$NS_A" addr add 10.9.0.1/24 dev veth0
ip -n "$NS_B" addr add 10.9.0.2/24 dev veth1
ip -n "$NS_A" link set veth0 mtu 1500 up
ip -n "$NS_B" link set veth1 mtu 1500 up
ip -n "$NS_A" link set lo up
ip -n "$NS_B" link set lo up
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
	server { listen 10.9.0.2:80; root $WORK/www; }
}
CONF
mkdir -p "$WORK/tmp"
ip netns exec "$NS_B" nginx -c "$WORK/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx.stderr" &
PIDS+=($!)
wait_for 100 listening "$NS_B" || { cat "$WORK/nginx.stderr" "$WORK/nginx.err" >&2; die "nginx did not listen"; }
echo "nginx: wrk -t2 -c$CONNS -d${SECS}s ..." >&2
nginx_rps=$(rps "$NS_A" http://10.9.0.2/small.html)
nginx_lat=$(latency)

printf '\nHTTP GET of a 1 KiB file, keep-alive, wrk -t2 -c%d -d%ds\n' "$CONNS" "$SECS"
printf '%-40s %12s %12s\n' "server" "requests/s" "latency avg"
printf '%-40s %12s %12s\n' "tapir (TAP, one thread, access log on)" "$tapir_rps" "$tapir_lat"
printf '%-40s %12s %12s\n' "nginx (kernel TCP over veth, 1 worker)" "$nginx_rps" "$nginx_lat"
printf '(tapir logged %s requests)\n\n' "$tapir_log"
echo "csv:server,requests_per_s,latency_avg"
echo "csv:tapir,$tapir_rps,$tapir_lat"
echo "csv:nginx,$nginx_rps,$nginx_lat"
