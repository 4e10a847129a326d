# lib.sh - sourced by every integration script (see docs/testing.md):
#   - skip (exit 77, ctest's SKIP_RETURN_CODE) without root, /dev/net/tun or a tool;
#   - one uniquely named network namespace per test (parallel runs never meet),
#     tapir started inside it, packets only ever inside it;
#   - every wait is a bounded poll for an observable event, never a bare sleep;
#   - the EXIT trap stops only the PIDs this script started, then deletes its
#     namespace and scratch directory.
# Usage: source lib.sh; ns_create NAME; start_tapir LOG [flags]; ...; stop_tapir
set -u

TAPIR=${1:?usage: $0 PATH/TO/tapir}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS=""
WORK=""
STARTED=()          # PIDs this script started, and only those

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*"; }

require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces and a TAP)"
	[ -c /dev/net/tun ] || skip "no /dev/net/tun (modprobe tun)"
	local tool
	for tool in ip "$@"; do
		command -v "$tool" >/dev/null || skip "$tool is not installed"
	done
	[ -x "$TAPIR" ] || fail "no tapir binary at $TAPIR"
}

# A process that ended but was not reaped yet is a zombie: not alive.
alive() {
	local state
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_until TRIES CMD...: runs CMD every 0.1 s until it succeeds, at most TRIES times.
wait_until() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

forget_pid() {
	local p kept=()
	for p in "${STARTED[@]}"; do
		[ "$p" = "$1" ] || kept+=("$p")
	done
	STARTED=("${kept[@]+"${kept[@]}"}")
}

# stop_pid PID: SIGTERM, up to 10 s to exit, then SIGKILL; returns its status.
stop_pid() {
	local pid=$1 status
	kill -TERM "$pid" 2>/dev/null
	if ! wait_until 100 eval '! alive '"$pid"; then
		echo "pid $pid ignored SIGTERM for 10 s: killing it" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	status=$?
	forget_pid "$pid"
	return "$status"
}

cleanup() {
	local pid
	for pid in "${STARTED[@]+"${STARTED[@]}"}"; do
		stop_pid "$pid" 2>/dev/null
	done
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	[ -n "$WORK" ] && rm -rf "$WORK"
}

# ns_create NAME: the namespace tp-NAME-PID with lo up, and a scratch dir.
ns_create() {
	NS="tp-$1-$$"
	trap cleanup EXIT
	trap 'exit 1' INT TERM
	ip netns add "$NS" 2>/dev/null || { NS=""; skip "cannot create a network namespace"; }
	ip -n "$NS" link set lo up || fail "lo up in $NS"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapir-it.XXXXXX")
}

in_ns() { ip netns exec "$NS" "$@"; }

# start_tapir LOG [flags...]: tapir inside the namespace, output in LOG.out /
# LOG.err; returns once its banner says it is up (at most 10 s). Sets TAPIR_PID.
start_tapir() {
	local log=$1
	shift
	# Not through in_ns: a backgrounded function is a subshell, and $! would
	# be that shell rather than tapir. `ip netns exec` execs in place.
	ip netns exec "$NS" "$TAPIR" "$@" >"$log.out" 2>"$log.err" &
	TAPIR_PID=$!
	STARTED+=("$TAPIR_PID")
	if ! wait_until 100 grep -qs ' up on ' "$log.out"; then
		cat "$log.out" "$log.err" >&2
		fail "tapir did not come up within 10 s"
	fi
	[ "$(readlink "/proc/$TAPIR_PID/exe")" = "$(readlink -f "$TAPIR")" ] ||
		fail "pid $TAPIR_PID is not tapir: cannot stop it by its pid"
}

# stop_tapir LOG [TAP]: SIGTERM; it must exit 0, print its counters and leave
# no TAP behind.
stop_tapir() {
	local log=$1 tap=${2:-tap0} status
	stop_pid "$TAPIR_PID"
	status=$?
	[ "$status" -eq 0 ] || { cat "$log.err" >&2; fail "tapir exited with $status"; }
	grep -q '^tapir: counters:' "$log.err" || fail "no counters on exit"
	if ip -n "$NS" link show "$tap" >/dev/null 2>&1; then
		fail "$tap still exists after tapir exited"
	fi
}

# counter LOG NAME: the value tapir printed on exit (0 when not printed).
counter() {
	awk -v name="$2" '$1 == name { v = $2 } END { print v + 0 }' "$1.err"
}

expect_counter() {
	local v
	v=$(counter "$1" "$2")
	[ "$v" -gt 0 ] || { cat "$1.err" >&2; fail "counter $2 is $v, expected > 0"; }
	echo "$2 = $v"
}

# --- TCP and UDP conversations ------------------------------------------------

# spawn LOG INPUT CMD...: CMD inside the namespace in the background, stdin
# from INPUT, output in LOG.out / LOG.err. Sets SPAWNED to its PID.
spawn() {
	local log=$1 input=$2
	shift 2
	ip netns exec "$NS" "$@" <"$input" >"$log.out" 2>"$log.err" &
	SPAWNED=$!
	STARTED+=("$SPAWNED")
}

# await PID SECONDS: waits for a spawned process to end; returns its status.
# Still running after SECONDS: killed, and the test fails.
await() {
	local pid=$1 secs=$2 status
	if ! wait_until $((secs * 10)) eval '! alive '"$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		forget_pid "$pid"
		fail "pid $pid ($(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null)) still running after $secs s"
	fi
	wait "$pid"
	status=$?
	forget_pid "$pid"
	return "$status"
}

# listening PORT: a TCP listener on PORT in the namespace.
listening() {
	in_ns ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# random_file FILE BYTES
random_file() {
	head -c "$2" /dev/urandom >"$1" || fail "cannot write $1"
}

# same_content WHAT EXPECTED GOT: the two files hold the same bytes.
same_content() {
	local want got
	want=$(sha256sum <"$2" | cut -d' ' -f1)
	got=$(sha256sum <"$3" | cut -d' ' -f1)
	[ "$want" = "$got" ] ||
		fail "$1: sha256 $got ($(stat -c %s "$3") bytes), expected $want ($(stat -c %s "$2") bytes)"
	echo "$1: $(stat -c %s "$3") bytes, sha256 ${got:0:16}... match"
}

# expect_counter_eq LOG NAME VALUE
expect_counter_eq() {
	local v
	v=$(counter "$1" "$2")
	[ "$v" -eq "$3" ] || { cat "$1.err" >&2; fail "counter $2 is $v, expected $3"; }
	echo "$2 = $v"
}
